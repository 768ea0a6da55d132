"""One list of draw options: ``DrawOptions`` (a frozen dataclass) is their only home; every
function that draws takes it or its fields as keywords, checked by it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from draw_graphs import lecture

from autograd.draw import DrawOptions, backward_frames, draw_dot, stepper
from autograd.draw.options import OPTION_NAMES

PACKAGE = Path(__file__).parent.parent / "autograd" / "draw"


def test_options_are_a_frozen_dataclass_with_one_list_of_names():
    o = DrawOptions(rankdir="TB", edge_labels="local")
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.rankdir = "LR"
    assert OPTION_NAMES == ("rankdir", "edge_labels", "show_constants", "color_by_grad",
                            "clusters", "max_nodes", "fmt")
    assert DrawOptions.of(o, max_nodes=5) == DrawOptions("TB", "local", max_nodes=5)


def test_the_dataclass_and_the_keywords_draw_the_same_picture():
    root = lecture()
    o = DrawOptions(rankdir="TB", edge_labels="product", color_by_grad=True)
    assert draw_dot(root, o).source == draw_dot(
        root, rankdir="TB", edge_labels="product", color_by_grad=True).source
    # keywords win over the dataclass
    assert draw_dot(root, o, rankdir="LR").source == draw_dot(
        root, rankdir="LR", edge_labels="product", color_by_grad=True).source
    frames = backward_frames(root, DrawOptions(max_nodes=None, edge_labels="local"), pin=False)
    assert [f.source for f in frames] == [
        f.source for f in backward_frames(root, edge_labels="local", pin=False)]


@pytest.mark.parametrize("bad, message", [
    ({"rankdir": "up"}, "rankdir must be"), ({"edge_labels": "both"}, "edge_labels must be"),
    ({"clusters": "yes"}, "clusters must be"), ({"max_nodes": 0}, "max_nodes must be"),
    ({"max_nodes": True}, "max_nodes must be"), ({"show_constants": "no"}, "show_constants"),
    ({"color_by_grad": 1}, "color_by_grad must be True or False"), ({"fmt": ""}, "fmt must"),
])
def test_bad_values_are_named(bad, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DrawOptions(**bad)
    with pytest.raises((ValueError, TypeError), match=message):
        draw_dot(lecture(), **bad)


def test_an_unknown_option_lists_the_known_ones_everywhere():
    known = re.escape(", ".join(OPTION_NAMES))
    for who, call in (("draw_dot", lambda: draw_dot(lecture(), colour_by_grad=True)),
                      ("backward_frames", lambda: backward_frames(lecture(), colour=1)),
                      ("stepper", lambda: stepper(lecture(), colour=1))):
        with pytest.raises(TypeError, match=f"{who} got unexpected option.*") as e:
            call()
        if who != "stepper":
            assert re.search(known, str(e.value)), who
    with pytest.raises(TypeError, match="options must be a DrawOptions"):
        draw_dot(lecture(), {"rankdir": "TB"})


def test_no_module_restates_the_list():
    """The names are listed once (options.py); the stepper reads them from there."""
    from autograd.draw.explorer.stepper import DRAW_OPTIONS

    assert DRAW_OPTIONS == set(OPTION_NAMES)
    pattern = re.compile(r'"edge_labels",\s*"show_constants"')
    for path in PACKAGE.rglob("*.py"):
        if path.name != "options.py":
            assert not pattern.search(path.read_text(encoding="utf-8")), path
