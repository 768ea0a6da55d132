"""Record a training run for replay: ``fit(..., callback=Recorder(model, X, y))``.

After each epoch ``fit`` calls ``recorder(epoch, history)``; the recorder keeps, for that
epoch, what the replay page (``autograd.draw.explorer.training_page``) shows:

* the gradient norm of each layer, ‖∂L/∂θ‖₂ over its parameters (the last step's gradients);
* for 2-D inputs and one output, the model's score on a ``grid`` × ``grid`` square over the
  data, as tanh(score) in one signed byte per cell (the sign is the class);
* the graph of one data point (``point``, an index into X) and its loss L = loss(score, y)
  (``loss``: the one ``fit`` trains with): each node's data and its derivative ∂L/∂node,
  what ``L.backward()`` would give for that point alone, from the engine's own sweep (no
  ``.grad`` is touched).

The curves (loss, accuracy) come from ``history`` for every epoch. The snapshots are
bounded by ``max_steps``: past it, every other kept step is dropped (the stride doubles), so
what remains is evenly spaced, epochs 0, s, 2s, … plus the latest; ``note`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from autograd import OPS, Value, backward_steps, topological_order

from .activations import activation_entry
from .diagnostics import grad_norms
from .layers import MLP, Layer, Sequential
from .module import Module, functional_call
from .train import History, _loss_fn, predict

__all__ = ["Recorder", "Snapshot"]


class Snapshot:
    """What one recorded epoch holds (see the module docstring)."""

    __slots__ = ("epoch", "norms", "grid", "data", "adj", "traced")

    def __init__(self, epoch: int, norms: dict[str, float], grid: bytes | None,
                 data: list[float], adj: list[float]):
        self.epoch, self.norms, self.grid, self.data, self.adj = epoch, norms, grid, data, adj
        self.traced: dict[int, tuple[list[float], list[float]]] = {}  # point: (data, adj)


def _grid_box(X: Sequence) -> tuple[float, float, float, float]:
    """The square the boundary is drawn on: the data's range padded (as nn.plot does)."""
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    pad_x = 0.1 * (max(xs) - min(xs)) + 0.25
    pad_y = 0.1 * (max(ys) - min(ys)) + 0.25
    return min(xs) - pad_x, max(xs) + pad_x, min(ys) - pad_y, max(ys) + pad_y


def _signed_byte(score: float) -> int:
    """tanh(score) in −127 … 127 (two's complement as an unsigned byte)."""
    if math.isnan(score):
        return 0
    return round(127 * math.tanh(score)) & 0xFF


def _float_scores(model: Module, points: list) -> list[float] | None:
    """The scores of a plain MLP/Sequential of Layers on plain floats (no graph built): the
    grid costs ~5× less than through Values. None for any other model (then: ``predict``)."""
    if type(model) not in (MLP, Sequential) or not all(type(m) is Layer for m in model.layers):
        return None
    layers = []
    for layer in model.layers:
        neurons = []
        for n in layer.neurons:
            act = activation_entry(n.activation).float_fn  # from the op table's forward
            if act is None:
                return None
            neurons.append(([w.data for w in n.w], n.b.data if n.b is not None else 0.0,
                            act, n.negative_slope))
        layers.append(neurons)
    if len(layers[-1]) != 1:
        return None
    # z = Σ wᵢxᵢ + b by the op table's own dot rule, as the model computes it: a diverged
    # model's ±∞ weights give NaN or ∞ here (as in the graph), never an error
    dot = OPS["dot"].forward
    scores = []
    for x in points:
        for neurons in layers:
            x = [act(dot(*ws, b, *x, 1.0), s) for ws, b, act, s in neurons]
        scores.append(x[0])
    return scores


class Recorder:
    """A bounded recording of a training run; pass it as ``fit``'s ``callback``.

    ``max_steps``: at most this many epochs keep a snapshot (evenly spaced, and the last).
    ``grid``: cells per side of the decision-boundary grid (2-D inputs, one output).
    ``point``: the index in X of the data point whose graph is replayed.
    ``loss``: the point's loss L, whose ∂L/∂node the replay shows (a name from
    ``nn.losses.LOSSES`` or a callable loss(outputs, targets)); by default the one ``fit``
    trains with, read from its history (``History.loss_fn``).
    ``trace``: how many points are recorded so the page can trace any of them: ``point``
    and ``trace - 1`` more, evenly spaced in X (``traced``, ``point`` first).
    """

    def __init__(self, model: Module, X: Sequence, y: Sequence, *, max_steps: int = 100,
                 grid: int = 25, point: int = 0, loss=None, trace: int = 6):
        if max_steps < 2:
            raise ValueError(f"max_steps must be at least 2 (the first and the last), "
                             f"got {max_steps}")
        if grid < 2:
            raise ValueError(f"grid must be at least 2 cells per side, got {grid}")
        X, y = list(X), list(y)
        if not 0 <= point < len(X):
            raise ValueError(f"point must index X (0 … {len(X) - 1}), got {point}")
        self.model, self.X, self.y = model, X, y
        self.max_steps, self.grid_size, self.point = max_steps, grid, point
        self.loss_fn = None if loss is None else _loss_fn(loss)
        if trace < 1:
            raise ValueError(f"trace must be at least 1 (the point itself), got {trace}")
        spread = [round(k * len(X) / trace) for k in range(trace)]
        self.traced = [point] + [i for i in dict.fromkeys(spread) if i != point][:trace - 1]
        self.history: History | None = None
        self.snapshots: list[Snapshot] = []
        self.stride = 1
        self.latest: Snapshot | None = None
        two_d = all(len(p) == 2 for p in X)
        self.box = _grid_box(X) if two_d else None
        # the chosen point's graph at the latest snapshot (on copies of the parameters): its
        # score and its loss L; the snapshots hold the nodes of L's graph in topological order
        self.out: Value | None = None
        self.point_loss: Value | None = None
        self.point_losses: dict[int, Value] = {}  # every traced point's loss L

    # --- recording ---------------------------------------------------------------------
    def __call__(self, epoch: int, history: History) -> None:
        """``fit``'s callback: snapshot this epoch (returns None: never stops training)."""
        self.history = history
        if self.loss_fn is None:
            if history.loss_fn is None:
                raise ValueError("the Recorder does not know the loss to replay: pass it as "
                                 "fit's callback, or give Recorder(..., loss=...)")
            self.loss_fn = history.loss_fn
        snap = self._snapshot(epoch)
        self.latest = snap
        if epoch % self.stride == 0:
            self.snapshots.append(snap)
            while len(self.snapshots) > self.max_steps:
                self.stride *= 2
                self.snapshots = [s for s in self.snapshots if s.epoch % self.stride == 0]

    def _snapshot(self, epoch: int) -> Snapshot:
        model = self.model
        was = model.training
        model.eval()
        try:
            grid = self._grid()
            # the points' graphs on copies of the parameters: graphs of our own, which the
            # page may run backward on without touching the model's .grad
            copies = {name: p.detach() for name, p in model.named_parameters()}
            graphs = {p: self._point_graph(copies, p) for p in self.traced}
        finally:
            model.train(was)
        self.out, self.point_loss = graphs[self.point][:2]
        self.point_losses = {p: g[1] for p, g in graphs.items()}
        snap = Snapshot(epoch, grad_norms(model), grid, *graphs[self.point][2:])
        snap.traced = {p: g[2:] for p, g in graphs.items()}
        return snap

    def _point_graph(self, copies: dict, p: int) -> tuple:
        """(score, loss L, each node's data, ∂L/∂node) of point p, nodes of L's graph in
        topological order."""
        x = self.X[p]
        out = functional_call(self.model, copies, lambda: self.model(x))
        if isinstance(out, list):
            if len(out) != 1:
                raise ValueError("the recorder replays the graph of a model with one output")
            out = out[0]
        point_loss = self.loss_fn([out], [self.y[p]])
        adj = {point_loss: 1.0}
        for _ in backward_steps(point_loss, adj):
            pass
        order = topological_order(point_loss)
        return out, point_loss, [v.data for v in order], [adj.get(v, 0.0) for v in order]

    def _grid(self) -> bytes | None:
        if self.box is None:
            return None
        x0, x1, y0, y1 = self.box
        n = self.grid_size
        gx = [x0 + (x1 - x0) * i / (n - 1) for i in range(n)]
        gy = [y0 + (y1 - y0) * j / (n - 1) for j in range(n)]
        points = [[a, b] for b in gy for a in gx]
        scores = _float_scores(self.model, points)
        if scores is None:
            scores = predict(self.model, points)
        if scores and isinstance(scores[0], list):
            if len(scores[0]) != 1:
                self.box = None  # several outputs: no signed score to draw
                return None
            scores = [s[0] for s in scores]
        return bytes(_signed_byte(s) for s in scores)

    # --- what was kept -------------------------------------------------------------------
    def kept(self) -> list[Snapshot]:
        """The kept snapshots, evenly spaced, and the latest epoch's last."""
        kept = list(self.snapshots)
        if self.latest is not None and (not kept or kept[-1] is not self.latest):
            stride = self.stride
            while len(kept) >= self.max_steps:  # make room for the latest, still even
                stride *= 2
                kept = [s for s in kept if s.epoch % stride == 0]
            kept.append(self.latest)
        return kept

    @property
    def note(self) -> str:
        """Which epochs were kept, in words."""
        kept = self.kept()
        total = self.latest.epoch + 1 if self.latest else 0
        if len(kept) >= total:
            return f"all {total} epochs recorded"
        stride = kept[1].epoch - kept[0].epoch
        every = {2: "every 2nd"}.get(stride, f"every {stride}th")
        return (f"{len(kept)} of {total} epochs kept (bound max_steps={self.max_steps}): "
                f"{every} epoch (1, {1 + stride}, {1 + 2 * stride}, …) and the last ({total})")

    def __repr__(self) -> str:
        return f"<Recorder: {self.note}>"
