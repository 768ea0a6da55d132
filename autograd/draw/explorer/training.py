"""A training run replayed: curves, decision boundary, gradient norms and one point's graph.

``training_page(recorder)`` takes an ``nn.record.Recorder`` that ran as ``fit``'s callback
and writes one page where a single slider (and → ← space) picks a kept epoch; the loss and
accuracy curves mark it, the decision boundary (2-D data) and the per-layer gradient norms
are those of that epoch, and the graph of the recorded data point shows that epoch's numbers.

The graph is the network view (``draw_dot(score, view="units")``: one column per layer,
units in index order, z / a / ∂score/∂z per unit, dead ReLUs grey and dashed, edges as wide
as |w| and coloured by their share ∂score/∂z·w), laid out once from the last epoch with a
colour scale and width scale fitted to all kept epochs; per epoch the page rewrites each
unit's texts and each edge's colour, width and dash (``network.py`` says how). A model whose
graph is not a network of ``nn`` layers gets the value graph folded to ``max_nodes`` boxes.
"""

from __future__ import annotations

import base64
import html
import math

from .graph import GraphData, svg_of
from .network import replay
from .page import Page, finite, fmt, fragment, new_prefix, svg_element

GRAPH_NODES = 40  # a graph that is not a network is folded to this many boxes


def _graph_steps(g: GraphData, kept: list) -> list[dict]:
    """Per kept epoch and per box: the representative's data and ∂score/∂node; for folded
    boxes the smallest and largest |∂score/∂node| over the members and the norm
    sqrt(Σ (∂score/∂leaf)²) over the members that are leaves (parameters)."""
    rep = g.representative()
    members: list[list[int]] = [[] for _ in g.boxes]
    for i, b in enumerate(g.box_of):
        members[b].append(i)
    leaf = [v.is_leaf() for v in g.order]
    steps = []
    for snap in kept:
        if len(snap.data) != len(g.order):
            raise ValueError("the recorded graphs differ in shape between epochs; the replay "
                             "needs a model whose graph for one point keeps its shape")
        lo = [finite(min(abs(snap.adj[i]) for i in m)) for m in members]
        hi = [finite(max(abs(snap.adj[i]) for i in m)) for m in members]
        norm = [finite(math.sqrt(math.fsum(snap.adj[i] ** 2 for i in m if leaf[i])))
                for m in members]
        steps.append({"data": [finite(snap.data[i]) for i in rep],
                      "grad": [finite(snap.adj[i]) for i in rep], "lo": lo, "hi": hi,
                      "norm": norm})
    return steps


def _caption(recorder, what: str) -> str:
    x = ", ".join(fmt(v) for v in recorder.X[recorder.point])
    return (f"data point #{recorder.point}: x = ({x}), label "
            f"{fmt(recorder.y[recorder.point])}; {what} at the chosen epoch")


def _network(recorder, kept: list) -> tuple[dict, str] | None:
    """The network view's data and SVG, or None when the graph is not an nn network."""
    from ... import topological_order
    from ..units import Network, draw_units

    out = recorder.out
    order = topological_order(out)
    try:
        net = Network(out, order)
    except ValueError:
        return None
    if any(len(snap.data) != len(order) for snap in kept):
        raise ValueError("the recorded graphs differ in shape between epochs; the replay "
                         "needs a model whose graph for one point keeps its shape")
    data = replay(net, {v: i for i, v in enumerate(order)}, kept, "score")
    picture = draw_units(out, caption=_caption(recorder, "∂score/∂z per unit"),
                         scale=tuple(data["scale"]), wmax=data["wmax"], root_name="score")
    return data, svg_of(picture)


def _graph(recorder, kept: list, prefix: str, max_nodes: int) -> tuple[dict | None, str]:
    from ..builder import draw_dot

    out = recorder.out
    caption = _caption(recorder, "grad = ∂score/∂node")
    out.backward()  # the recorder's own copy of the graph: the static picture shows grads
    picture = draw_dot(out, grads=True, max_nodes=max_nodes, caption=caption)
    g = GraphData(out, picture.node_ids)
    data = {**g.data(), "steps": _graph_steps(g, kept)}
    for v in data["values"]:  # the page reads each epoch's numbers from "steps"
        v.update(data=None, grad=None, adj=None)
    svg = svg_of(picture)
    return data, svg


class TrainingPage(Page):
    """The replay page: display it in Jupyter, or ``save("explorer.html")``."""

    title = "dagrad: training replayed"

    def __init__(self, recorder, *, max_nodes: int = GRAPH_NODES):
        kept = recorder.kept() if hasattr(recorder, "kept") else None
        if not kept:
            raise ValueError("the recorder holds no epoch: pass it to fit as "
                             "callback=recorder and train first")
        history = recorder.history
        prefix = new_prefix(repr(history.loss))
        network = _network(recorder, kept)
        if network is not None:
            graph = None
            network, self._svg = network
        else:
            graph, self._svg = _graph(recorder, kept, prefix, max_nodes)
        self.view = "units" if network is not None else "values"
        data = {
            "kept": [s.epoch for s in kept],
            "loss": [finite(v) for v in history.loss],
            "accuracy": [finite(v) for v in history.accuracy],
            "norms": {"names": list(kept[-1].norms),
                      "rows": [[finite(s.norms.get(k, 0.0)) for k in kept[-1].norms]
                               for s in kept]},
            "graph": graph,
            "net": network,
            "grid": None,
            "points": [],
        }
        if recorder.box is not None and kept[-1].grid is not None:
            x0, x1, y0, y1 = recorder.box
            data["grid"] = {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "n": recorder.grid_size,
                            "cells": [base64.b64encode(s.grid).decode("ascii") for s in kept]}
            data["points"] = [[p[0], p[1], 1 if t > 0 else -1]
                              for p, t in zip(recorder.X, recorder.y)]
        self.data = data
        self.note = recorder.note
        self.epochs = data["kept"]
        last = history.loss[-1] if history.loss else float("nan")
        body = (f'<div class="dgx-note">{html.escape(self.note)}</div>'
                '<div class="dgx-bar"></div>'
                f'<div class="dgx-caption">after epoch {len(history.loss)}: loss {fmt(last)}</div>'
                '<div class="dgx-panels"></div>'
                f'<div class="dgx-figure">{svg_element(self._svg, prefix)}</div>'
                '<div class="dgx-info"></div>')
        self._html = fragment("training", prefix, body, data, static_note=(
            "Scripts are off here: only the last epoch's graph is shown."))

    def __repr__(self) -> str:
        return f"<TrainingPage: {self.note}>"


def training_page(recorder, *, max_nodes: int = GRAPH_NODES) -> TrainingPage:
    """The replay page of a ``nn.record.Recorder`` (see the module docstring)."""
    return TrainingPage(recorder, max_nodes=max_nodes)
