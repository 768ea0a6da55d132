"""Folded boxes open in the kernel-free pages (issue 20, "Folding that helps").

A folded box (``max_nodes``) clicked in the stepper, ``inspect`` or the replay opens below the
graph into the picture of what it holds (Python's SVG, carried packed in the page data), and
closes again (clicked again, or "close"); the main picture's boxes never move.
"""

import json
import re

import pytest
import test_explorer_browser as browser_tests
from test_explorer_browser import BOXES, same_boxes

from autograd import Value
from autograd.draw.explorer import inspect, stepper, training_page
from nn import MLP

browser, open_page = browser_tests.browser, browser_tests.open_page  # its fixtures
MAIN_BOXES = BOXES.replace(".dgx g.node", ".dgx-figure g.node")


def net_loss():
    """A 2-3-1 network's square loss: at max_nodes=8 its two layers fold into two boxes."""
    model = MLP(2, [3, 1], seed=1)
    out = model([Value(0.5, label="x0"), Value(-1.0, label="x1")])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return loss


def folded_data(page_obj) -> dict:
    """The page data the script gets (the JSON argument of dagradBoot)."""
    text = re.search(r'dagradBoot\("[^"]*", (\{.*\}), document', page_obj._html).group(1)
    return json.loads(text)


def templates(page_obj) -> list[str]:
    """The pictures of the folded boxes, in the order of the data's ``folded``."""
    return re.findall(r'<template class="dgx-members">(.*?)</template>', page_obj._html, re.S)


def test_each_folded_box_carries_the_picture_of_its_members():
    loss = net_loss()
    s = stepper(loss, max_nodes=8)
    data = folded_data(s)
    members = s.graph.members()
    folded = [b for b, m in enumerate(members) if len(m) > 1]
    assert data["folded"] == folded and len(folded) == 2
    svgs = templates(s)
    assert len(svgs) == len(folded) == len(data["titles"])
    for b, svg in zip(folded, svgs):
        nodes = re.findall(rf'<g id="[^"]*o{b}-(v\d+)" class="node"', svg)
        values = {f"v{s.graph.index[s.graph.order[i]]}" for i in members[b]}
        # every member is drawn (a box v<i>), plus its operands from outside (dashed)
        assert values <= set(nodes)
        assert "from " in svg and "stroke-dasharray" in svg
    assert sorted(data["titles"]) == ["Inside layers.0 (15 nodes)",
                                      "Inside layers.1.neurons.0 (5 nodes)"]
    assert all("click to open it" in data["base"][b][3] for b in folded)
    unfolded = stepper(loss, max_nodes=None)  # nothing folded: no opening data, no hint
    assert "folded" not in folded_data(unfolded) and "click it again" not in unfolded._html
    assert templates(unfolded) == []


def test_inspect_of_a_root_opens_with_its_draw_options():
    loss = net_loss()
    plain = templates(inspect(loss, max_nodes=8))
    local = templates(inspect(loss, max_nodes=8, edge_labels="local"))
    assert len(plain) == len(local) == 2
    for a, b in zip(plain, local):  # the local derivatives are written on the edges
        assert b.count("<text") > a.count("<text")
        assert 'class="edge"' in a and "∂" in b


def open_box(page, box: str):
    page.locator(f'.dgx-figure g.node[id$="-{box}"]').click()
    page.wait_for_selector(".dgx-open:not([hidden])")


@pytest.mark.parametrize("make", [lambda r: stepper(r, max_nodes=8),
                                  lambda r: inspect(r, max_nodes=8)], ids=["stepper", "inspect"])
def test_click_a_folded_box_opens_it_and_closes_it_again(open_page, make, tmp_path):
    loss = net_loss()
    page = open_page(make(loss))
    before = page.evaluate(MAIN_BOXES)
    panel = page.locator(".dgx-open")
    for _ in range(2):
        open_box(page, "s1")
        assert panel.get_attribute("data-box") == "s1"
        assert "Inside layers.0" in page.locator(".dgx-opentitle").inner_text()
        inner = page.locator(".dgx-openbody svg g.node")
        assert inner.count() >= 15 and inner.first.is_visible()
        text = page.locator(".dgx-openbody").inner_text()
        for label in ("neurons.0", "w0", "w1", "relu", "from x0", "from x1"):
            assert label in text
        page.screenshot(path=tmp_path / "opened.png")
        assert same_boxes(page.evaluate(MAIN_BOXES), before)
        page.locator(".dgx-close").click()
        assert panel.is_hidden() and page.locator(".dgx-openbody svg").count() == 0
        open_box(page, "s1")  # and clicking the box again closes it
        page.locator('.dgx-figure g.node[id$="-s1"]').click()
        assert panel.is_hidden()
        assert same_boxes(page.evaluate(MAIN_BOXES), before)
    # another folded box swaps the picture; an unfolded box still gives its chain-rule sum
    open_box(page, "s0")
    assert "layers.1" in page.locator(".dgx-opentitle").inner_text()
    page.locator(".dgx-figure g.node", has=page.locator("text", has_text="loss")).first.click()
    assert "∂loss/∂loss = 1" in page.locator(".dgx-info").inner_text()
    assert panel.is_visible()  # an unfolded box leaves the opened one open
    assert page.errors == []


def affine_replay(max_nodes: int):
    """The replay of a model that is no network (its graph is the value graph), folded."""
    from nn import Module, fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    class Affine(Module):
        def __init__(self):
            self.w, self.b = Value(0.1, label="w"), Value(0.0, label="b")

        def parameters(self):
            return [self.w, self.b]

        def __call__(self, x):
            return self.w * x[0] + self.b

    X, y01 = make_moons(10, seed=1)
    model = Affine()
    rec = Recorder(model, X, to_pm1(y01), max_steps=5, grid=4)
    fit(model, X, to_pm1(y01), epochs=2, progress=False, callback=rec)
    return training_page(rec, max_nodes=max_nodes)


def test_the_replay_graph_opens_its_folded_boxes(open_page):
    replay = affine_replay(4)
    graph = replay.data["graph"]
    assert graph["folded"], "the value graph at max_nodes=4 has a folded box"
    b = graph["folded"][0]
    box = graph["boxes"][b]
    assert "click to open it" in graph["steps"][0][b][2]
    page = open_page(replay)
    before = page.evaluate(MAIN_BOXES)
    open_box(page, box)
    assert page.locator(".dgx-openbody svg g.node").first.is_visible()
    assert same_boxes(page.evaluate(MAIN_BOXES), before)
    page.locator(".dgx-close").click()
    assert page.locator(".dgx-open").is_hidden()
    assert page.errors == []
