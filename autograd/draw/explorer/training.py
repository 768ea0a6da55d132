"""A training run replayed: curves, decision boundary, gradient norms and one point's graph.

``training_page(recorder)`` takes an ``nn.record.Recorder`` that ran as ``fit``'s callback
and writes one page where a single slider (and → ← space) picks a kept epoch; the loss and
accuracy curves mark it, the decision boundary (2-D data) and the per-layer gradient norms
are those of that epoch, and the graph of the recorded data point shows that epoch's data
and derivatives ∂score/∂node. The graph is laid out once (from the last epoch) and only its
numbers and colours change.
"""

from __future__ import annotations

import base64
import html
import math

from .graph import GraphData, svg_of
from .page import Page, finite, fmt, fragment, new_prefix, svg_element

GRAPH_NODES = 40  # the point's graph is folded (neurons, then layers) to this many boxes


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


def _graph(recorder, kept: list, prefix: str, max_nodes: int) -> tuple[dict | None, str]:
    from ..builder import draw_dot

    out = recorder.out
    x = ", ".join(fmt(v) for v in recorder.X[recorder.point])
    caption = (f"data point #{recorder.point}: x = ({x}), label {fmt(recorder.y[recorder.point])}; "
               "grad = ∂score/∂node at the chosen epoch")
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
        prefix = new_prefix()
        graph, self._svg = _graph(recorder, kept, prefix, max_nodes)
        data = {
            "kept": [s.epoch for s in kept],
            "loss": [finite(v) for v in history.loss],
            "accuracy": [finite(v) for v in history.accuracy],
            "norms": {"names": list(kept[-1].norms),
                      "rows": [[finite(s.norms.get(k, 0.0)) for k in kept[-1].norms]
                               for s in kept]},
            "graph": graph,
            "grid": None,
            "points": [],
        }
        if recorder.box is not None and kept[-1].grid is not None:
            x0, x1, y0, y1 = recorder.box
            data["grid"] = {"x0": x0, "x1": x1, "y0": y0, "y1": y1, "n": recorder.grid_size,
                            "cells": [base64.b64encode(s.grid).decode("ascii") for s in kept]}
            data["points"] = [[p[0], p[1], 1 if t > 0 else -1]
                              for p, t in zip(recorder.X, recorder.y)]
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
