"""Labels are user text of any length and content (issue 22, items 8 and 12): a label of
100,000 characters or with a lone surrogate draws in every picture and page; a label that is
not a str is refused when set, with a message that says what to write instead."""

from __future__ import annotations

import re

import pytest
from requires import graphviz_with_dot

from autograd import Value
from autograd.draw.style import LABEL_CHARS, TOOLTIP_CHARS, shown_text

graphviz = graphviz_with_dot()

from autograd.draw import (  # noqa: E402
    backward_frames,
    draw_anomaly,
    draw_dot,
    draw_rule_check,
    inspect,
    stepper,
)

LONG = "abcdefghij" * 10_000  # 100,000 characters: dot refuses HTML labels over 16,384 bytes
SURROGATE = "x\udc80y"  # what os.fsdecode makes of a file name that is not UTF-8


def expression(label: str) -> Value:
    a, b = Value(2.0, label), Value(-3.0, "b")
    c = a * b + a
    c.label = label  # the root too: captions name it
    c.backward()
    return c


def network(label: str) -> Value:
    import nn

    model = nn.MLP(2, [2, 1], seed=0)
    for _, p in model.named_parameters():
        p.label = label
    out = model([Value(1.0, label), Value(2.0, label)])
    out.label = label
    return out


def every_picture(label: str) -> dict:
    root = expression(label)
    a = root.operands[0].operands[0]
    return {
        "values": draw_dot(root),
        "local": draw_dot(root, edge_labels="local", color_by_grad=True),
        "highlight": draw_dot(root, highlight=a),
        "folded": draw_dot(root, max_nodes=2),
        "units": draw_dot(network(label), view="units"),
        "frame": backward_frames(root)[0],
        "rule check": draw_rule_check(root),
        "anomaly": draw_anomaly(root),
    }


@pytest.mark.parametrize("label", [LONG, SURROGATE], ids=["100k chars", "lone surrogate"])
def test_every_picture_draws_any_label(label):
    for view, g in every_picture(label).items():
        svg = g.pipe(format="svg", encoding="utf-8")  # dot failed here before
        assert "<svg" in svg, view
        if label is SURROGATE:
            assert "x\ufffdy" in svg, view  # drawn, as the replacement character


@pytest.mark.parametrize("label", [LONG, SURROGATE], ids=["100k chars", "lone surrogate"])
def test_every_page_carries_any_label(label, tmp_path):
    for page in (stepper(expression(label)), inspect(expression(label))):
        path = page.save(tmp_path / "page.html")  # a UnicodeEncodeError here before
        assert "<svg" in open(path, encoding="utf-8").read()


def test_a_long_label_is_cut_in_the_box_and_whole_up_to_a_bound_in_the_tooltip():
    g = draw_dot(expression(LONG))
    boxes = [b for b in re.findall(r"<B>([^<]*)</B>", g.source) if b != "b"]
    # a and the root share the label: copies [0] and [1] of it, each cut
    assert boxes == [LONG[: LABEL_CHARS - 1] + f"…[{k}]" for k in (0, 1)]
    tips = [t for t in re.findall(r"label='([^']*)'", g.source) if t != "b"]
    assert tips and all(t == LONG[: TOOLTIP_CHARS - 1] + "…" for t in tips)
    assert len(g.caption if g.caption else "") < 1000
    short = "layers.0.neurons.3.w1"
    assert shown_text(short) == short  # nn's names are never cut


def test_a_label_must_be_text():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"label must be a str, got int 5; write it as text"):
        x.label = 5
    with pytest.raises(TypeError, match=r"label must be a str, got int 5"):
        Value(1.0, label=5)
    with pytest.raises(TypeError, match=r"got NoneType"):
        x.label = None
    assert x.label == ""  # unchanged by the refused assignments
    x.label = "x"
    assert x.label == "x" and (x * 2).label == ""
