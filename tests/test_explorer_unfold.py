"""Folded boxes open in the kernel-free pages (issue 20, "Folding that helps").

A folded box (``max_nodes``) clicked in the stepper, ``inspect`` or the replay opens below the
graph into the picture of what it holds (Python's SVG, carried packed in the page data), and
closes again (clicked again, or "close"); the main picture's boxes never move.
"""

import json
import re

import pytest
import test_explorer_browser as browser_tests
from draw_graphs import affine_recording
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
    # the two boxes' pictures first, then one per unit of layers.0 (which opens into units)
    assert data["titles"] == ["Inside layers.1.neurons.0 (5 nodes)",
                              "Inside layers.0 (15 nodes)"] + [
        f"Inside layers.0.neurons.{k} (5 nodes)" for k in range(3)]
    assert len(svgs) == len(data["titles"])
    layer = set(re.findall(r'o\d+-(\w+)" class="node"', svgs[1]))
    assert {"u0", "u1", "u2"} <= layer and not any(x.startswith("v") for x in layer - {
        f"v{s.graph.index[x]}" for x in s.graph.order if x.label in ("x0", "x1")})
    assert sorted(data["inner"].values()) == [2, 3, 4]
    assert all(sid.split("-")[-1] in layer for sid in data["inner"])
    drawn = set()
    for svg in svgs:  # every Value of every folded box is drawn as its own box somewhere
        drawn |= set(re.findall(r'o\d+-(v\d+)" class="node"', svg))
        assert "from " in svg and "stroke-dasharray" in svg  # operands from outside: dashed
    for b in folded:
        assert {f"v{s.graph.index[s.graph.order[i]]}" for i in members[b]} <= drawn
    assert all("click to open it" in data["base"][b][3] for b in folded)
    unfolded = stepper(loss, max_nodes=None)  # nothing folded: no opening data, no hint
    assert "folded" not in folded_data(unfolded) and "click it again" not in unfolded._html
    assert templates(unfolded) == []


def test_inspect_of_a_root_opens_with_its_draw_options():
    loss = net_loss()
    plain = templates(inspect(loss, max_nodes=8))
    local = templates(inspect(loss, max_nodes=8, edge_labels="local"))
    assert len(plain) == len(local) == 5
    for k in (0, 2, 3, 4):  # the pictures of nodes carry the local derivatives on the edges
        a, b = plain[k], local[k]
        assert b.count("<text") > a.count("<text")
        assert 'class="edge"' in a and "∂" in b


def open_box(page, box: str, where: str = ".dgx-figure", depth: int = 0):
    page.locator(f'{where} g.node[id$="-{box}"]').click()
    page.wait_for_selector(f'.dgx-open[data-depth="{depth}"]')


def panel_text(page, depth: int) -> str:
    return page.locator(f'.dgx-open[data-depth="{depth}"]').inner_text()


@pytest.mark.parametrize("make", [lambda r: stepper(r, max_nodes=8),
                                  lambda r: inspect(r, max_nodes=8)], ids=["stepper", "inspect"])
def test_click_a_folded_box_opens_it_and_closes_it_again(open_page, make, tmp_path):
    loss = net_loss()
    page = open_page(make(loss))
    before = page.evaluate(MAIN_BOXES)
    panels = page.locator(".dgx-open")
    for _ in range(2):
        # the layer opens into its three units (folded boxes themselves) ...
        open_box(page, "s1")
        assert panels.count() == 1 and panels.get_attribute("data-box").endswith("-s1")
        layer = page.locator('.dgx-open[data-depth="0"] .dgx-openbody svg g.node')
        assert layer.count() >= 3 and layer.first.is_visible()
        text = panel_text(page, 0)
        assert "Inside layers.0 (15 nodes)" in text and "from x0" in text
        assert all(f"neurons.{k}" in text for k in range(3)) and "relu" not in text
        # ... a unit opens into its nodes, below it
        open_box(page, "u1", '.dgx-open[data-depth="0"]', depth=1)
        unit = page.locator('.dgx-open[data-depth="1"] .dgx-openbody svg g.node')
        assert unit.count() >= 5 and unit.first.is_visible()
        text = panel_text(page, 1)
        assert "Inside layers.0.neurons.1 (5 nodes)" in text
        for label in ("w0", "w1", "b", "relu", "from x0", "from x1"):
            assert label in text
        page.screenshot(path=tmp_path / "opened.png", full_page=True)
        assert same_boxes(page.evaluate(MAIN_BOXES), before)
        # the unit clicked again closes its panel; close closes the layer's
        page.locator('.dgx-open[data-depth="0"] g.node[id$="-u1"]').click()
        assert panels.count() == 1
        page.locator(".dgx-close").click()
        assert panels.count() == 0
        open_box(page, "s1")  # and clicking the layer's box again closes it (and its units)
        open_box(page, "u0", '.dgx-open[data-depth="0"]', depth=1)
        page.locator('.dgx-figure g.node[id$="-s1"]').click()
        assert panels.count() == 0
        assert same_boxes(page.evaluate(MAIN_BOXES), before)
    # another folded box swaps the picture; an unfolded box still gives its chain-rule sum
    open_box(page, "s0")
    assert "layers.1" in panel_text(page, 0)
    page.locator(".dgx-figure g.node", has=page.locator("text", has_text="loss")).first.click()
    assert "∂loss/∂loss = 1" in page.locator(".dgx-info").inner_text()
    assert panels.count() == 1  # an unfolded box leaves the opened one open
    assert page.errors == []


def affine_replay(max_nodes: int):
    """The replay of a model that is no network (its graph is the value graph), folded."""
    return training_page(affine_recording(), max_nodes=max_nodes)


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
    assert page.locator(".dgx-open").count() == 0
    assert page.errors == []


def test_pictures_past_the_budget_say_how_to_see_them(monkeypatch):
    from autograd.draw.explorer import unfold

    loss = net_loss()
    full = templates(stepper(loss, max_nodes=8))
    monkeypatch.setattr(unfold, "PICTURES_BUDGET", len(full[0]) + 1)
    s = stepper(loss, max_nodes=8)
    data, kept = folded_data(s), templates(s)
    def unprefixed(svg):
        return re.sub(r"dgx\d+x\d+-", "", svg)

    assert unprefixed(kept[0]) == unprefixed(full[0])  # the first fits,
    assert kept[1] == ""  # the next is left out
    assert "too many to carry in this page" in data["titles"][1]
    assert data["inner"] == {}  # a picture left out opens no units
    assert "too many" not in data["titles"][0]


HOSTILE = ["<script>window.__pwned=1</script>", "<img src=x onerror=window.__pwned=1>",
           "<!--<script>", "</template>"]


def test_hostile_labels_in_an_opened_box_stay_text(open_page):
    xs = [Value(float(i + 1), label=f"layer.0.{HOSTILE[i % 4]}") for i in range(6)]
    out = sum((x * x for x in xs), Value(0.0, label="zero"))
    out.label = "out"
    out.backward()
    s = stepper(out, max_nodes=4)
    data = folded_data(s)
    assert data["folded"] and len(templates(s)) == len(data["titles"])
    page = open_page(s)
    for b in data["folded"]:
        open_box(page, s.graph.boxes[b])
        text = page.locator(".dgx-open").inner_text()
        assert any(h in text for h in HOSTILE), text  # the labels read back as text
        page.locator(".dgx-close").click()
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('script').length") == 1
    assert page.errors == []


def test_the_replay_says_which_epoch_its_opened_pictures_show():
    replay = affine_replay(4)
    titles = replay.data["graph"]["titles"]
    assert titles and all("at epoch 2 (the last kept)" in t for t in titles)
