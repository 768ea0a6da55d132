"""Folded boxes that open: the picture of what each one holds, drawn by Python.

A folded box (``draw_dot(..., max_nodes=N)``) stands for several Values. For each, this
draws its members unfolded with the picture's own options (the same boxes, ops and colours;
a layer's units appear as their clusters, a unit as its nodes), and each operand from
outside the box as a dashed grey "from …" node, so the sum ∂L/∂v = Σ upstream × local can
be followed across the box's edge. The pictures travel in the page as inert ``<template>``
elements (parsed by the browser with the rest of the page, shown by nothing until used; the
script makes no markup from text); the page's script copies one below the graph when its box
is clicked and removes it again (the box clicked again, or "close"). Nothing of the main
picture moves.
"""

from __future__ import annotations

import copy
import os

from ...value import Value
from .graph import GraphData, name, svg_of
from .page import svg_element

HINT = (" A folded box (drawn 3-D) stands for several values: click it to open it below the "
        "graph, click it again (or close) to close it.")
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


def _title(g: GraphData, layout, members: list[Value]) -> str:
    """What the box holds, by the clusters of its members (``layers.0``: the clusters found
    from structure by ``autograd.draw.layout``), else by their labels."""
    common = os.path.commonprefix([layout.paths[v] for v in members])
    n = len(members)
    return f"{common[-1]} ({n} nodes)" if common else g.box_name(g.box_of[g.index[members[0]]])


def _members_picture(layout, style, grad_state, members: list[Value]):
    """The members of one folded box, unfolded, with their outside operands (dashed)."""
    from ..builder import _Builder

    sub = copy.copy(layout)  # the same analysis (names, clusters, ids), drawing only these
    sub.order, sub.unit, sub.unit_id, sub.unit_members = members, {}, {}, {}
    builder = _Builder(sub, style, grad_state)
    builder.collect()
    for p in _outside(members):
        builder.node((), layout.vid(p), f"from {name(p)}", tooltip=f"from outside: {name(p)}",
                     **OUTSIDE)
    return builder.finish(None)


def opened(g: GraphData, prefix: str, draw_options: dict, grads: bool) -> tuple[dict, str]:
    """The folded boxes of ``g``: page data (``folded``: their box indices, ``titles``: what
    each holds) and the HTML of their pictures, one ``<template>`` each, in that order."""
    from ..layout import Layout
    from ..options import DrawOptions

    boxes = [b for b, ms in enumerate(g.members()) if len(ms) > 1]
    if not boxes:
        return {}, ""
    options = {k: v for k, v in draw_options.items() if k != "max_nodes"}
    style = DrawOptions.of(None, **options, max_nodes=None)
    layout = Layout(g.root, style)

    def grad_state(v: Value):
        return ("final", v.grad) if grads else ("unset", None)

    titles, templates = [], []
    members = g.members()
    for b in boxes:
        values = [g.order[i] for i in members[b]]
        picture = _members_picture(layout, style, grad_state, values)
        titles.append(f"Inside {_title(g, layout, values)}"
                      + ("" if grads else " (no backward pass yet)"))
        templates.append(f'<template class="dgx-members">'
                         f'{svg_element(svg_of(picture), f"{prefix}o{b}-")}</template>')
    return {"folded": boxes, "titles": titles}, "".join(templates)
