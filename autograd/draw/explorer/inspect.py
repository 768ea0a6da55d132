"""Inspect a drawn graph by pointing: hover for the numbers, click for the chain rule.

``inspect(picture_or_root)`` wraps any picture that has ``node_ids`` (every ``draw_dot``
picture, folded or not): hovering a box shows its Value's data and ``.grad`` in full
precision; clicking it shows

    ∂L/∂v = Σ over the uses of v:  ∂L/∂consumer × ∂consumer/∂v

with the numbers, and outlines every path from it to the root. On the network view
(``draw_dot(root, view="units")``) the boxes are units: hover shows z, a, ∂L/∂a and ∂L/∂z
in full precision, click the sum ∂L/∂a_j = Σ_k ∂L/∂z_k × w_kj over the next layer's units.
"""

from __future__ import annotations

import html

import graphviz

from ... import backward_steps
from ...value import Value
from ..style import shown_text
from .graph import GraphData, find_root, svg_of
from .network import root_name, single_step, widened
from .page import Page, fragment, new_prefix, svg_element


class Inspector(Page):
    """A picture you can point at: display it in Jupyter, or ``save("graph.html")``."""

    title = "dagrad: inspect the graph"

    def __init__(self, picture: graphviz.Digraph, root: Value | None = None):
        node_ids = getattr(picture, "node_ids", None)
        if not node_ids:
            raise TypeError("inspect needs a Value or a picture from autograd.draw.draw_dot "
                            f"(with .node_ids), got {type(picture).__name__}")
        net = getattr(picture, "network", None)
        if net is not None:  # the network view: its boxes are units, not Values
            self._network(picture, net)
            return
        root = root if root is not None else find_root(node_ids)
        self.graph = g = GraphData(root, node_ids)
        prefix = new_prefix(picture.source)
        self._svg = svg_of(picture)
        body = (f'<div class="dgx-caption">Point at a box for its numbers; click it for its '
                f"chain-rule sum and its paths to {html.escape(g.top)}.</div>"
                '<div class="dgx-main"><div class="dgx-figure">'
                f"{svg_element(self._svg, prefix)}</div>"
                '<div class="dgx-side"><div class="dgx-info"></div></div></div>')
        data = {**g.data(), "tips": g.inspect_tips()}
        self._html = fragment("inspect", prefix, body, data, static_note=(
            "Scripts are off here: the picture is static (no hover or click)."))

    def _network(self, picture: graphviz.Digraph, net) -> None:
        root = net.root
        adjoints = {root: 1.0}
        for _ in backward_steps(root, adjoints):
            pass
        top = shown_text(root.label) or "out"
        self.graph = None
        self.units = len(net.units)
        steps = single_step(net, adjoints, top)
        picture = widened(picture, steps.widths(root_name(root)))  # a copy: theirs stays
        prefix = new_prefix(picture.source)
        self._svg = svg_of(picture)
        t = html.escape(top)
        body = (f'<div class="dgx-caption">Point at a unit for its z, a and ∂{t}/∂z; '
                "click it for its chain-rule sum over the next layer and its paths to "
                f"{t}.</div>"
                '<div class="dgx-main"><div class="dgx-figure">'
                f"{svg_element(self._svg, prefix)}</div>"
                '<div class="dgx-side"><div class="dgx-info"></div></div></div>')
        self._html = fragment("network", prefix, body, {"net": steps.data(root_name(root))},
                              static_note="Scripts are off here: the picture is static "
                              "(no hover or click).")

    def __repr__(self) -> str:
        if self.graph is None:
            return f"<Inspector of a network view: {self.units} units>"
        return f"<Inspector of {len(self.graph.order)} values in {len(self.graph.boxes)} boxes>"


def inspect(picture_or_root: graphviz.Digraph | Value, **draw_options) -> Inspector:
    """An ``Inspector`` on a picture (``draw_dot(...)``) or on a root (drawn here with
    ``draw_options``)."""
    if isinstance(picture_or_root, Value):
        from ..builder import draw_dot

        return Inspector(draw_dot(picture_or_root, **draw_options), picture_or_root)
    if draw_options:
        raise TypeError("draw options go with a root Value; the picture is drawn already")
    return Inspector(picture_or_root)
