"""Folded boxes that open: the picture of what each one holds, drawn by Python.

A folded box (``draw_dot(..., max_nodes=N)``) stands for several Values. For each, this
draws what it holds with the picture's own options (the same boxes, ops and colours), one
cluster level down: a layer opens into its units (each a folded box that opens in turn), a
unit (or a box without clusters) into its nodes. Each operand from outside is a dashed grey
"from …" node, so the sum ∂L/∂v = Σ upstream × local can be followed across the box's edge.
The pictures travel in the page as inert ``<template>`` elements (parsed by the browser
with the rest of the page, shown by nothing until used; the script makes no markup from
text); the page's script copies one below the graph when its box is clicked and removes it
again (the box clicked again, or "close"). Nothing of the main picture moves.
"""

from __future__ import annotations

import copy
import os

from ...value import Value
from .graph import GraphData, name, svg_of
from .page import svg_element

HINT = (" A folded box (drawn 3-D) stands for several values: click it to open it below the "
        "graph (a layer into its units, a unit into its nodes), click it again (or close) to "
        "close it.")
PICTURES_BUDGET = 400_000  # bytes of opened pictures one page carries, at most
OUTSIDE = {"shape": "box", "style": "dashed,rounded", "color": "grey55", "fontcolor": "grey35",
           "margin": "0.04,0.02"}


def _outside(members: list[Value]) -> list[Value]:
    """The Values outside the box that its members use, in first-use order."""
    inside, seen, out = set(members), set(), []
    for v in members:
        for p in v.operands:
            if isinstance(p, Value) and p not in inside and p not in seen:
                seen.add(p)
                out.append(p)
    return out


def _units(layout, members: list[Value]) -> dict[str, list[Value]]:
    """The members grouped one cluster level below the clusters they all share (a layer's
    units), when there are two groups or more; else {} (open into the nodes)."""
    paths = [layout.paths[v] for v in members]
    d = len(os.path.commonprefix(paths))
    groups: dict[str, list[Value]] = {}
    for v, path in zip(members, paths):
        if len(path) > d:
            groups.setdefault(path[d], []).append(v)
    return groups if len(groups) > 1 else {}


class _Opener:
    """The pictures of a graph's folded boxes (``opened``), each drawn once."""

    def __init__(self, g: GraphData, prefix: str, layout, style, grads: bool, when: str):
        self.g, self.prefix, self.layout, self.style = g, prefix, layout, style
        self.grads, self.when = grads, when
        self.titles: list[str] = []
        self.svgs: list[str] = []
        self.inner: dict[str, int] = {}  # SVG id of a unit box inside a picture: its picture
        self.members = g.members()
        self.queue: list[tuple[int, list[Value]]] = []

    def grad_state(self, v: Value):
        return ("final", v.grad) if self.grads else ("unset", None)

    def title(self, members: list[Value]) -> str:
        """What a box holds, by the clusters of its members (``layers.0``, found from
        structure by ``autograd.draw.layout``), else by their labels."""
        common = os.path.commonprefix([self.layout.paths[v] for v in members])
        if common:
            return f"{common[-1]} ({len(members)} nodes)"
        return self.g.box_name(self.g.box_of[self.g.index[members[0]]])

    def outside_name(self, p: Value, merged: bool) -> tuple[str, str]:
        """(DOT name, text) of an outside operand: by its own name, or (``merged``) by the
        folded box of the main picture that draws it, so a layer's inputs are one node."""
        g = self.g
        b = g.box_of[g.index[p]]
        if merged and len(self.members[b]) > 1:
            return f"f{b}", f"from {self.title([g.order[i] for i in self.members[b]])}"
        return self.layout.vid(p), f"from {name(p)}"

    def add(self, members: list[Value]) -> int:
        """A picture of ``members``, to be drawn (``draw_all``); its index."""
        k = len(self.svgs)
        self.svgs.append("")
        self.titles.append(f"Inside {self.title(members)}{self.when}"
                           + ("" if self.grads else " (no backward pass yet)"))
        self.queue.append((k, members))
        return k

    def draw_all(self) -> None:
        """Every picture, level by level (the boxes', then their units'), while they fit
        ``PICTURES_BUDGET``; a picture past it is replaced by a sentence saying how to see it."""
        size = 0
        while self.queue:
            k, members = self.queue.pop(0)
            svg, units = self.draw(k, members)
            if size + len(svg) > PICTURES_BUDGET:
                self.titles[k] += (f": {len(members)} nodes, too many to carry in this page; "
                                   "see them with inspect(root, max_nodes=None)")
                continue
            size += len(svg)
            self.svgs[k] = svg
            for sid, vs in units:  # its units open in turn
                self.inner[sid] = self.add(vs)

    def draw(self, k: int, members: list[Value]) -> tuple[str, list]:
        """The SVG of picture k, ``members`` one cluster level down (units folded; outside
        operands dashed), and [SVG id, members] of each unit box in it."""
        from ..builder import _Builder

        sub = copy.copy(self.layout)  # the same analysis (names, clusters), drawing these only
        sub.order, sub.unit, sub.unit_id, sub.unit_members = members, {}, {}, {}
        units = _units(self.layout, members)
        for j, (cname, vs) in enumerate(units.items()):
            key = ("cluster", cname, self.layout.paths[vs[0]].index(cname) + 1)
            sub.unit_id[key], sub.unit_members[key] = f"u{j}", vs
            sub.unit.update(dict.fromkeys(vs, key))
        outside = {p: self.outside_name(p, bool(units)) for p in _outside(members)}
        base_vid = sub.vid
        sub.vid = lambda v: outside[v][0] if v in outside else base_vid(v)
        builder = _Builder(sub, self.style, self.grad_state)
        builder.fold_caption = str  # the units are this picture's own level, not max_nodes's
        builder.collect()
        for dot_name, text in dict(outside.values()).items():
            builder.node((), dot_name, text, tooltip=f"outside this box: {text}", **OUTSIDE)
        units = [(f"{self.prefix}o{k}-{sub.unit_id[key]}", vs)
                 for key, vs in sub.unit_members.items()]
        return svg_element(svg_of(builder.finish(None)), f"{self.prefix}o{k}-"), units


def opened(g: GraphData, prefix: str, draw_options: dict, grads: bool,
           when: str = "") -> tuple[dict, str]:
    """The folded boxes of ``g``: page data (``folded``: their box indices, their pictures
    first in that order; ``titles``: what each picture holds; ``inner``: the SVG id of each
    folded box inside a picture, and its own picture) and the HTML of the pictures, one
    ``<template>`` each. ``when`` says which numbers the pictures show, if not the graph's own
    now (the replay: its last kept step)."""
    from ..layout import Layout
    from ..options import DrawOptions

    members = g.members()
    boxes = [b for b, ms in enumerate(members) if len(ms) > 1]
    if not boxes:
        return {}, ""
    options = {k: v for k, v in draw_options.items() if k != "max_nodes"}
    style = DrawOptions.of(None, **options, max_nodes=None)
    opener = _Opener(g, prefix, Layout(g.root, style), style, grads, when)
    for b in boxes:  # the boxes' pictures first, in the order of "folded"
        opener.add([g.order[i] for i in members[b]])
    opener.draw_all()
    templates = "".join(f'<template class="dgx-members">{svg}</template>'
                        for svg in opener.svgs)
    return {"folded": boxes, "titles": opener.titles, "inner": opener.inner}, templates
