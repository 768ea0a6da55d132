"""A training run replayed: curves, decision boundary, gradient norms and one point's graph.

``training_page(recording)`` takes a recording (``Recording``: ``nn.record.Recorder`` is
one) and writes one page where a single slider (and → ← space, and play at a chosen speed)
picks a kept epoch; the loss and accuracy curves mark it, the decision boundary (2-D data,
with axes and a class legend) and the per-layer gradient norms are those of that epoch, and
the graph of the recorded data point shows that epoch's numbers.

The graph is that point's loss L = loss(score, y) in the network view
(``draw_units(L)``: one column per layer, units in index order, z / a / ∂L/∂z per unit, what
``L.backward()`` gives for that point; dead ReLUs grey and dashed, edges as wide as |w| and
coloured by their share ∂L/∂z·w), laid out once from the last epoch with a colour and width
scale fitted to all kept epochs and boxes wide enough for every epoch's texts. A model
whose graph is not a network of ``nn`` layers gets the value graph folded to ``max_nodes``
boxes. Every text, colour and position of every step is computed here (``network.py``,
``panels.py``); the page's script only puts them in place.
"""

from __future__ import annotations

import base64
import html
import math
import re
from typing import Protocol, runtime_checkable

from ..style import grad_color
from ..units import _scale
from .graph import GraphData, name, svg_of
from .network import replay, scales, widened
from .page import Page, finite, fmt, fragment, full, new_prefix, pack, svg_element
from .panels import bars, boundary, curve, palette

GRAPH_NODES = 40  # a graph that is not a network is folded to this many boxes
TOP = "L"  # what the page calls the point's loss


@runtime_checkable
class Recording(Protocol):
    """What ``training_page`` reads from a recording (``nn.record.Recorder`` is one).

    ``kept()``: the kept snapshots, each with ``epoch``, ``norms`` ({layer: ‖∂L/∂θ‖}),
    ``grid`` (tanh(score) per cell, signed bytes, or None), ``data`` and ``adj`` (each node
    of ``point_loss``'s graph in topological order: its value, ∂L/∂node); ``history``
    (``loss``, ``accuracy`` per epoch); ``X``, ``y``, ``point`` (the replayed point's
    index), ``point_loss`` (its loss L at the latest snapshot, a Value), ``loss_fn``;
    ``box`` (x0, x1, y0, y1 of the grid, or None) and ``grid_size``; ``note``.
    """

    X: list
    y: list
    point: int
    box: tuple | None
    grid_size: int
    history: object
    point_loss: object
    note: str

    def kept(self) -> list: ...


def _loss_name(recording) -> str:
    fn = getattr(recording, "loss_fn", None)
    return getattr(getattr(fn, "fn", fn), "__name__", "loss")


def _header(recording) -> str:
    return (f"{TOP} = the traced point's {_loss_name(recording)} loss; ∂{TOP}/∂z per unit: "
            f"what {TOP}.backward() gives for that point")


def _point_caption(recording, p: int, loss: float) -> str:
    x = ", ".join(fmt(v) for v in recording.X[p])
    return f"point #{p} (x = ({x}), label {fmt(recording.y[p])}): {TOP} = {fmt(finite(loss))}"


def _network(recording, kept: list, captions: list[str]):
    """(page data, SVG, the chosen point's NetworkSteps) of the network view, or None when
    the graph is not an nn network. Every traced point's steps travel packed (``pack``)."""
    from ... import topological_order
    from ..units import Network, draw_units

    runs = {}
    for p in getattr(recording, "traced", [recording.point]):
        root = recording.point_losses[p] if p != recording.point else recording.point_loss
        order = topological_order(root)
        try:
            net = Network(root, order)
        except ValueError:
            return None
        _same_shape(kept, order)
        snaps = [_Traced(s, p) for s in kept]
        runs[p] = (replay(net, {v: i for i, v in enumerate(order)}, snaps, TOP), snaps)
    scale, wmax = scales([r for r, _ in runs.values()])
    palette: dict = {}
    traced = []
    for p, (run, snaps) in runs.items():
        steps = run.steps(TOP, scale, wmax, palette)
        for step, snap, caption in zip(steps, snaps, captions):
            step["caption"] = f"{caption}; {_point_caption(recording, p, snap.data[-1])}"
        traced.append({"p": p, "steps": pack(steps), "inputs": run.input_texts(TOP)})
    chosen = runs[recording.point][0]
    each = [r.widths(TOP) for r, _ in runs.values()]
    widths = {box: max(w[box] for w in each) for box in each[0]}
    picture = draw_units(recording.point_loss, caption=_header(recording), scale=scale,
                         wmax=wmax, root_name=TOP)
    data = {**chosen.common(palette), "traced": traced}
    return data, svg_of(widened(picture, widths)), chosen


class _Traced:
    """A snapshot seen through one traced point: its ``data`` and ``adj``."""

    def __init__(self, snap, p: int):
        self.epoch = snap.epoch
        self.data, self.adj = getattr(snap, "traced", {}).get(p, (snap.data, snap.adj))


def _same_shape(kept: list, order: list) -> None:
    if any(len(snap.data) != len(order) for snap in kept):
        raise ValueError("the recorded graphs differ in shape between epochs; the replay "
                         "needs a model whose graph for one point keeps its shape")


def _box_texts(svg: str, box: str) -> list[str]:
    """The texts of one node of dot's SVG, in order (unescaped)."""
    start = svg.index(f'<g id="{box}" class="node">')
    end = svg.find('<g id="', start + 10)
    return [html.unescape(t) for t in
            re.findall(r"<text[^>]*>([^<]*)</text>", svg[start:end if end > 0 else None])]


def _graph(recording, kept: list, max_nodes: int):
    """(page data, SVG) of the value graph: per step and box, [text index, text] pairs (a
    box's data and grad; a folded box's "‖grad‖ of n leaves" and "grad lo … hi" lines)
    and its fill by ∂L/∂node (``style.grad_color``, one scale over all steps)."""
    from ... import topological_order
    from ..builder import draw_dot

    root = recording.point_loss
    _same_shape(kept, topological_order(root))
    root.backward()  # the recording's own copy of the graph: the static picture shows grads
    picture = draw_dot(root, grads=True, max_nodes=max_nodes, caption=_header(recording))
    g = GraphData(root, picture.node_ids)
    svg = svg_of(picture)
    members, rep = g.members(), g.representative()
    leaf = [v.is_leaf() for v in g.order]
    texts = [_box_texts(svg, name) for name in g.boxes]
    scale = _scale([a for snap in kept for a in snap.adj])
    steps = []
    for snap in kept:
        boxes = []
        for b, ms in enumerate(members):
            i = rep[b]
            boxes.append([grad_color(snap.adj[i], scale), _box_lines(texts[b], ms, snap, leaf),
                          f"{name(g.order[i])} at epoch {snap.epoch + 1}: data "
                          f"{full(finite(snap.data[i]))}, ∂{TOP}/∂{name(g.order[i])} = "
                          f"{full(finite(snap.adj[i]))}; outlined: its paths to {TOP}."])
        steps.append(boxes)
    return {**g.data(), "steps": steps}, svg


def _box_lines(texts: list[str], members: list[int], snap, leaf: list[bool]) -> list:
    """[[text index, text]] of one box at one step (see ``_graph``)."""
    if len(members) == 1:
        i = members[0]
        return [[len(texts) - 2, f"data {fmt(finite(snap.data[i]))}"],
                [len(texts) - 1, f"grad {fmt(finite(snap.adj[i]))}"]]
    grads = [snap.adj[i] for i in members]
    norm = math.sqrt(math.fsum(snap.adj[i] ** 2 for i in members if leaf[i]))
    out = []
    for k, t in enumerate(texts):
        m = re.match(r"‖grad‖ of \d+ leaves?", t)
        if m:
            out.append([k, f"{m.group(0)} {fmt(finite(norm))}"])
        elif t.startswith("grad ") and "…" in t:
            out.append([k, f"grad {fmt(finite(min(grads)))} … {fmt(finite(max(grads)))}"])
    return out


def _percent(a: float | None) -> str:
    return "–" if a is None else f"{fmt(100 * a)} %"


def _captions(kept: list, loss: list, accuracy: list) -> list[str]:
    out = []
    for snap in kept:
        e = snap.epoch
        acc = "" if accuracy[e] is None else f", training accuracy {_percent(accuracy[e])}"
        out.append(f"epoch {e + 1} of {len(loss)}: loss {fmt(loss[e])}{acc}")
    return out


class TrainingPage(Page):
    """The replay page: display it in Jupyter, or ``save("explorer.html")``."""

    title = "dagrad: training replayed"

    def __init__(self, recording: Recording, *, max_nodes: int = GRAPH_NODES):
        if not isinstance(recording, Recording):
            raise TypeError("training_page needs a recording (nn.record.Recorder passed to "
                            f"fit as callback=recorder), got {type(recording).__name__}")
        kept = recording.kept()
        if not kept:
            raise ValueError("the recorder holds no epoch: pass it to fit as "
                             "callback=recorder and train first")
        history = recording.history
        prefix = new_prefix(repr(history.loss))
        loss = [finite(v) for v in history.loss]
        accuracy = [finite(v) for v in history.accuracy]
        epochs = [s.epoch for s in kept]
        self.captions = _captions(kept, loss, accuracy)
        network = _network(recording, kept, self.captions)
        graph, self.network = None, None
        if network is None:
            graph, self._svg = _graph(recording, kept, max_nodes)
        else:
            network, self._svg, self.network = network
        self.view = "units" if network is not None else "values"
        names = list(kept[-1].norms)
        rows = [[finite(s.norms.get(k, 0.0)) for k in names] for s in kept]
        panels, curves = self._curves(loss, accuracy, epochs)
        grid = None
        if recording.box is not None and kept[-1].grid is not None:
            traced = [t["p"] for t in network["traced"]] if network else [recording.point]
            svg, at = boundary(recording.box, [p[:2] for p in recording.X], recording.y,
                               traced)
            panels += (f'<div class="dgx-bwrap"><canvas class="dgx-boundary" width="{at["size"]}" '
                       f'height="{at["size"]}" style="left:{at["left"]}px;top:{at["top"]}px">'
                       f"</canvas>{svg}</div>")
            grid = {"n": recording.grid_size, "palette": palette(),
                    "cells": [base64.b64encode(s.grid).decode("ascii") for s in kept]}
        bar_svg, bar_marks = bars(names, rows)
        panels += bar_svg
        self.data = data = {
            "where": [f"kept step {j + 1} / {len(kept)}" for j in range(len(kept))],
            "captions": self.captions, "curves": curves, "bars": bar_marks,
            "grid": grid, "net": network, "graph": graph,
        }
        self.note = recording.note
        self.epochs = epochs
        body = (f'<div class="dgx-note">{html.escape(self.note)}</div>'
                '<div class="dgx-bar"></div>'
                f'<div class="dgx-caption">{html.escape(self.captions[-1])}</div>'
                f'<div class="dgx-panels">{panels}</div>'
                f'<div class="dgx-main"><div class="dgx-figure">{svg_element(self._svg, prefix)}'
                '</div><div class="dgx-side"><div class="dgx-info">Point at a unit for its '
                "numbers; click it for its chain-rule sum.</div></div></div>")
        self._html = fragment("training", prefix, body, data, static_note=(
            "Scripts are off here: only the last epoch is shown."))

    @staticmethod
    def _curves(loss: list, accuracy: list, epochs: list) -> tuple[str, list]:
        svg, marks = curve("loss (all epochs)", loss, epochs, fmt)
        out = [marks]
        if any(a is not None for a in accuracy):
            acc_svg, acc_marks = curve("training accuracy", accuracy, epochs, _percent)
            svg += acc_svg
            out.append(acc_marks)
        return svg, out

    def __repr__(self) -> str:
        return f"<TrainingPage: {self.note}>"


def training_page(recording: Recording, *, max_nodes: int = GRAPH_NODES) -> TrainingPage:
    """The replay page of a recording such as ``nn.record.Recorder`` (see the module
    docstring)."""
    return TrainingPage(recording, max_nodes=max_nodes)
