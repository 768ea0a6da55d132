"""Backprop step by step: frames, their states, animation files, strip and slider."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest
from draw_graphs import lecture

import autograd
from autograd import Value
from autograd.draw import (
    DotNotFound,
    backward_frames,
    draw_dot,
    frames_strip,
    save_frames,
)
from autograd.draw.frames import FrameStrip

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` missing")
SVG = "{http://www.w3.org/2000/svg}"


def graph():
    """x used twice, so its gradient is partial for a while: L = (x*y + x) * 2."""
    x, y = Value(3.0, "x"), Value(-2.0, "y")
    p = x * y
    p.label = "p"
    s = p + x
    s.label = "s"
    L = s * 2.0
    L.label = "L"
    return L, x, y, p, s


def states(frame_source: str) -> dict[str, str]:
    """{label: 'final <v>' | 'partial <v>' | 'unset'} read from a frame's DOT source."""
    out = {}
    pattern = r"<B>(\w+)</B></TD></TR><TR><TD>data [^<]*</TD><TD[^>]*>(.*?)</TD></TR>"
    for m in re.finditer(pattern, frame_source):
        cell = m.group(2)
        if "grad –" in cell:
            out[m.group(1)] = "unset"
        elif "shares)" in cell:
            k_of_n = re.search(r"\((\d+ of \d+) shares\)", cell).group(1)
            value = re.search(r"~([-\d.e+]+)", cell).group(1)
            out[m.group(1)] = f"partial {value} ({k_of_n})"
        else:
            out[m.group(1)] = "final " + re.search(r"grad ([-\d.e+]+)", cell).group(1)
    return out


def focus_of(frame_source: str) -> str:
    (line,) = [ln for ln in frame_source.splitlines()
               if 'color="#e7298a"' in ln and "penwidth=4" in ln]
    return re.search(r"<B>(\w+)</B>", line).group(1)


def test_one_frame_per_node_in_reverse_topological_order():
    L, x, y, p, s = graph()
    frames = backward_frames(L)
    order = autograd.topological_order(L)
    assert len(frames) == len(order) == 5
    assert [focus_of(f.source) for f in frames] == [n.label for n in reversed(order)]
    assert all(isinstance(f, graphviz.Digraph) for f in frames)
    assert L.grad == 0.0 and x.grad == 0.0  # frames never write .grad


def test_states_final_partial_untouched():
    L, x, y, p, s = graph()
    frames = [states(f.source) for f in backward_frames(L)]
    order = [n.label for n in reversed(autograd.topological_order(L))]
    assert order == ["L", "s", "p", "y", "x"]
    first = frames[0]
    # s's one consumer (L) has pushed: s is complete before its own visit
    assert first["L"] == "final 1" and first["s"] == "final 2"
    assert first["x"] == first["p"] == first["y"] == "unset"
    # after s: x has s's share (2) but still waits for p's: 1 of 2 shares
    after_s = frames[order.index("s")]
    assert after_s["s"] == "final 2" and after_s["p"] == "final 2"
    assert after_s["x"] == "partial 2 (1 of 2)"
    after_p = frames[order.index("p")]
    assert after_p["x"] == "final -2" and after_p["y"] == "final 6"  # + 2·y, + 2·x
    # the last frame agrees with backward()
    last = frames[-1]
    L.backward()
    for node in (L, x, y, p, s):
        assert last[node.label] == "final " + f"{node.grad:.4g}", node.label
    assert x.grad == 2 * (y.data + 1)  # -2: both shares arrived
    # every frame: final ones never change afterwards
    for k, frame in enumerate(frames):
        for name, st in frame.items():
            if st.startswith("final"):
                assert all(later[name] == st for later in frames[k:])


def test_frames_caption_and_pending_edges():
    L, *_ = graph()
    frames = backward_frames(L, edge_labels="product")
    assert "backward step 1/5" in frames[0].source
    assert "seed ∂L/∂L = 1" in frames[0].source
    assert "grey75" in frames[0].source  # shares not pushed yet
    assert "grey75" not in frames[-1].source
    assert "1×2\\n=2" in frames[0].source  # L's share to s: upstream 1 × local 2


def test_captions_name_nodes_and_give_the_local_derivative():
    """The lecture's L = (a·b + c)·f: after the seed, d (= e + c) and f are complete."""
    L = lecture(backward=False)
    frames = backward_frames(L)
    first = states(frames[0].source)
    assert first["d"] == "final -2" and first["f"] == "final 4"
    text = "\n".join(fr.caption for fr in frames)
    assert "pushed 1 × -2 = -2 to d, 1 × 4 = 4 to f" in text
    assert "∂L/∂d = -2 is complete; pushed -2 × 1 = -2 to e, -2 × 1 = -2 to c" in text
    assert not re.search(r"\bv\d+\b", text)  # no internal ids
    anon = backward_frames(Value(3.0) * Value(2.0, "w"))[0].caption
    assert "the mul node (data 6)" in anon or "to a leaf (data 3)" in anon


def test_frames_options_and_limits():
    L, *_ = graph()
    with pytest.raises(TypeError):
        backward_frames(L, highlight_everything=True)
    x = Value(1.0, "x")
    y = x
    for _ in range(400):
        y = y * 1.0
    with pytest.raises(ValueError, match="max_frames"):
        backward_frames(y)
    assert len(backward_frames(y, max_frames=None, max_nodes=10)) == 401


@needs_dot
def test_save_frames_formats(tmp_path):
    L, *_ = graph()
    frames = backward_frames(L, edge_labels="local")
    svg = ET.parse(save_frames(frames, tmp_path / "steps.svg")).getroot()
    groups = [g for g in svg if g.get("id", "").startswith("frame")]
    assert len(groups) == 5
    assert all(g.find(f"{SVG}animate") is not None for g in groups)
    assert [g.get("visibility") for g in groups] == ["hidden"] * 4 + ["visible"]
    ids = [e.get("id") for e in svg.iter() if e.get("id")]
    assert len(ids) == len(set(ids))  # frames' ids are prefixed: no clash
    page = (tmp_path / "steps.html")
    save_frames(frames, page)
    text = page.read_text()
    assert text.count('<div class="frame">') == 5 and "<script>" in text
    body = text.split("<body>")[1].replace("http://www.w3.org", "")
    assert "http" not in body and "src=" not in body  # self-contained
    folder = save_frames(frames, tmp_path / "seq")
    assert sorted(p.name for p in (tmp_path / "seq").iterdir()) == [
        f"step_{k:03d}.svg" for k in range(1, 6)]
    assert folder.endswith("seq")
    pil = pytest.importorskip("PIL.Image")
    gif = save_frames(frames, tmp_path / "steps.gif")
    with pil.open(gif) as im:
        assert im.n_frames == 5
    with pytest.raises(ValueError):
        save_frames(frames, tmp_path / "steps.mp4")


def test_save_frames_without_dot_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", tmp_path / "nope" / "dot")
    L, *_ = graph()
    frames = backward_frames(L)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("a.svg", "a.html", "a.gif", "seq"):
        with pytest.raises(graphviz.ExecutableNotFound) as err:
            save_frames(frames, out / name)
        assert isinstance(err.value, DotNotFound) and "apt-get install graphviz" in str(err.value)
    assert list(out.iterdir()) == []
    # in a notebook the strip and the slider show the DOT source instead of raising
    html = frames_strip(frames)._repr_html_()
    assert "apt-get install graphviz" in html and html.count("digraph dagrad") == 5


@needs_dot
def test_strip():
    L, *_ = graph()
    strip = frames_strip(backward_frames(L))
    assert isinstance(strip, FrameStrip) and len(strip) == 5
    assert strip._repr_html_().count("<svg") == 5


def test_draw_dot_and_last_frame_agree_on_structure():
    L, *_ = graph()
    last = backward_frames(L)[-1].source
    plain = draw_dot(L).source
    node_ids = set(re.findall(r"^\t(v\w+) \[", plain, re.M))
    assert node_ids == set(re.findall(r"^\t(v\w+) \[", last, re.M))


def _box_shapes(svg: str) -> dict[str, str]:
    """{node id: the outline of its box} from a rendered frame."""
    out = {}
    for part in re.split(r'(?=<g id="[^"]+" class="node">)', svg)[1:]:
        name = re.match(r'<g id="([^"]+)"', part).group(1)
        shape = re.search(r'<(?:path|polygon|ellipse)[^>]*?(?: d| points| cx)="([^"]+)"', part)
        out[name] = shape.group(1)
    return out


@needs_dot
@pytest.mark.parametrize("options", [{"edge_labels": "product"}, {"max_nodes": 30}])
def test_frames_are_laid_out_once_and_boxes_never_move(options):
    """x and y of reuse28 are used many times: their "~x (k of n shares)" changes width
    from frame to frame; a small MLP's loss folded has clusters and summaries."""
    from draw_graphs import point_loss, reuse28

    root = reuse28() if "edge_labels" in options else point_loss((2, 2, 1))[1]
    frames = backward_frames(root, **options)
    shapes = [_box_shapes(f.pipe(format="svg", encoding="utf-8")) for f in frames]
    assert len(shapes[0]) > 10
    for k, s in enumerate(shapes[1:], start=2):
        assert s == shapes[0], f"frame {k}: boxes moved"
    unpinned = [_box_shapes(f.pipe(format="svg", encoding="utf-8"))
                for f in backward_frames(root, pin=False, **options)]
    assert any(s != unpinned[0] for s in unpinned)  # what pinning prevents


def _network_loss(hidden: int = 4) -> Value:
    import random

    from nn import MLP

    model = MLP(3, [hidden, 1], rng=random.Random(0))
    loss = (model([1.0, -2.0, 0.5]) - 1.0) ** 2
    loss.label = "loss"
    return loss


@pytest.mark.parametrize("options", [
    {}, {"color_by_grad": True, "edge_labels": "product"}, {"max_nodes": 12},
    {"max_nodes": "auto", "color_by_grad": True, "edge_labels": "local"},
], ids=["plain", "colour-product", "folded", "auto"])
def test_frames_drawn_from_the_frame_cache_are_those_drawn_one_by_one(monkeypatch, options):
    """Frames reuse what an earlier frame drew for a node that looks the same (issue 22,
    item 10: 500 nodes in seconds, not minutes); each frame is exactly the picture drawn
    without any reuse."""
    import autograd.draw.frames as frames

    x, y = Value(0.5, "x"), Value(-1.5, "y")
    reuse = (x * x + (x + 1.0) * y).tanh() - x / y  # a node used 4 times: k of n shares
    for root in (_network_loss(), reuse):
        fast = [(f.source, f.caption) for f in backward_frames(root, pin=False, **options)]
        monkeypatch.setattr(frames, "FrameCache", lambda: None)  # nothing reused
        slow = [(f.source, f.caption) for f in backward_frames(root, pin=False, **options)]
        monkeypatch.undo()
        assert len(fast) == len(slow) > 8
        assert fast == slow
