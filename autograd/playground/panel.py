"""The live training panel's Python: a 2-D classifier trained step by step, with everything the
page draws (curves, boundary, each unit's heat map, every weight's gradient and update).

The page (``site/playground.js``) makes a ``Trainer`` from the controls' settings and calls
``step(k)`` while playing; each call returns JSON. A step is one mini-batch (full batch by
default): the loss's gradient by the compiled float replay (``autograd.compile``'s
``compile_graph`` on ONE example, replayed per example on floats, no NumPy, the same floats as
the engine) where the model allows it, else the engine's own backward; then the optimiser's
step. Labels are 0/1 (class 0 / class 1); hinge and logistic train on −1/+1 (``to_pm1``).

The unit views run the network forward on floats over a grid of the input plane (no graph
built): ``z`` and ``u = g(z)`` of every unit at every grid point.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field

from autograd import Value
from autograd.compiled import compile_graph
from nn import LOSSES, Layer, Sequential
from nn.activations import activation_entry  # one home of an activation's float g(z)
from nn.data import DATASETS, to_pm1
from nn.optim import OPTIMIZERS

__all__ = ["LOSS_CHOICES", "Settings", "Trainer", "choices", "new", "step", "point_pages", "view"]

# The losses of one score per example, and the score where the two classes meet (0 for a
# margin or a logit; 0.5 for mse, which regresses the labels 0/1 themselves).
LOSS_CHOICES = {"hinge": 0.0, "logistic": 0.0, "bce_with_logits": 0.0, "mse": 0.5}
PM1 = ("hinge", "logistic")  # losses on labels −1/+1 (the others: 0/1)
GRID = 28  # the boundary and heat maps: GRID × GRID points over the data's box
PAD = 0.25  # the box: the data's extent, widened by this fraction on each side


@dataclass
class Settings:
    """What the controls set. ``hidden`` and ``activations`` pair up, one per hidden layer
    (any number, any width); ``batch_size`` 0 is the full batch; ``added`` are the reader's
    points ``[x1, x2, class]``, kept on top of the generated ones."""

    dataset: str = "moons"
    n: int = 100
    noise: float = 0.1
    seed: int = 0
    hidden: list[int] = field(default_factory=lambda: [16, 16])
    activations: list[str] = field(default_factory=lambda: ["relu", "relu"])
    loss: str = "hinge"
    optimizer: str = "adam"
    lr: float = 0.05
    batch_size: int = 0
    compiled: bool = True
    added: list[list[float]] = field(default_factory=list)

    def check(self) -> None:
        """A clear ValueError for a setting outside what the panel trains."""
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset {self.dataset!r}: choose one of {', '.join(DATASETS)}")
        if self.loss not in LOSS_CHOICES:
            raise ValueError(f"loss {self.loss!r}: choose one of {', '.join(LOSS_CHOICES)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r}: choose one of "
                             f"{', '.join(OPTIMIZERS)}")
        if len(self.hidden) != len(self.activations):
            raise ValueError("give one activation per hidden layer")
        if any(int(h) < 1 for h in self.hidden):
            raise ValueError("every hidden layer needs at least one unit")
        if int(self.n) + len(self.added) < 2:
            raise ValueError("the data needs at least 2 points: raise 'points' or add some")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("the learning rate must be a positive number")


class Trainer:
    """One network, its data and its optimiser; ``step`` trains, ``view`` shows."""

    def __init__(self, settings: Settings) -> None:
        settings.check()
        self.s = settings
        X, y = DATASETS[settings.dataset](settings.n, noise=settings.noise, seed=settings.seed)
        X += [[float(a), float(b)] for a, b, _ in settings.added]
        y += [int(c) for *_, c in settings.added]
        self.X, self.y = X, y
        self.targets = to_pm1(y) if settings.loss in PM1 else [float(c) for c in y]
        rng = random.Random(settings.seed)
        sizes = [2, *map(int, settings.hidden), 1]
        acts = [*settings.activations, "linear"]
        self.model = Sequential(*[
            Layer(sizes[i], sizes[i + 1], acts[i], rng=rng, name=f"layers.{i}")
            for i in range(len(sizes) - 1)])
        self.params = self.model.parameters()
        self.opt = OPTIMIZERS[settings.optimizer](self.params, lr=settings.lr)
        self.loss = LOSSES[settings.loss]
        self.batch_rng = random.Random(settings.seed + 1)
        self.steps = 0
        self.last_update = [0.0] * len(self.params)
        self.engine = "interpreted"
        self.replay = self._trace() if settings.compiled else None

    def _trace(self):
        """The loss of one example compiled: parameters, inputs, target are its arguments."""
        xs = [Value(0.0, "x1"), Value(0.0, "x2")]
        t = Value(self.targets[0], "y")
        out = self.model(xs)
        term = self.loss([out], [t], reduction="sum")
        fn = compile_graph(term, {"params": self.params, "x": xs, "y": t}, aux=[out],
                           name="example_loss")
        self.engine = "compiled float replay"
        return fn

    def _batch(self) -> list[int]:
        n, b = len(self.X), self.s.batch_size
        return list(range(n)) if not b or b >= n else self.batch_rng.sample(range(n), b)

    def _grads(self, idx: list[int]) -> tuple[float, list[float]]:
        """The batch's mean loss and outputs; each parameter's ``.grad`` set to its mean."""
        if self.replay is None:
            outs = [self.model(self.X[i]) for i in idx]
            L = self.loss(outs, [self.targets[i] for i in idx])
            self.opt.zero_grad()
            L.backward()
            return L.data, [o.data for o in outs]
        w = [p.data for p in self.params]
        total, grads, outs = 0.0, [0.0] * len(w), []
        for i in idx:
            value, g, aux = self.replay(w, self.X[i], self.targets[i])
            total += value
            grads = [a + b for a, b in zip(grads, g)]
            outs.append(aux[0])
        for p, g in zip(self.params, grads):
            p.grad = g / len(idx)
        return total / len(idx), outs

    def step(self, k: int = 1) -> dict:
        """``k`` optimiser steps; the last one's loss, batch accuracy and weight updates."""
        for _ in range(max(1, int(k))):
            idx = self._batch()
            before = [p.data for p in self.params]
            loss, outs = self._grads(idx)
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss became {loss} at step {self.steps + 1}: "
                                         "lower the learning rate and press Reset")
            self.opt.step()
            self.last_update = [p.data - b for p, b in zip(self.params, before)]
            self.steps += 1
        return {"step": self.steps, "loss": loss, "accuracy": self.accuracy()}

    def accuracy(self) -> float:
        """The share of all points on the right side of the boundary."""
        outs = self.scores(self.X)
        right = sum(self.loss.correct(o, t) for o, t in zip(outs, self.targets))
        return right / len(self.X)

    # --- the views (floats only) ---------------------------------------------------------------
    def _layers(self) -> list[list[tuple]]:
        return [[([w.data for w in n.w], n.b.data if n.b is not None else 0.0,
                  activation_entry(n.activation).float_fn, n.negative_slope) for n in layer.neurons]
                for layer in self.model.layers]

    def forward_all(self, points: list) -> list[list[list[float]]]:
        """Every unit's output at each point: ``[point][layer][unit]``."""
        layers, rows = self._layers(), []
        for x in points:
            row = []
            for neurons in layers:
                x = [act(math.fsum(w * v for w, v in zip(ws, x)) + b, s)
                     for ws, b, act, s in neurons]
                row.append(x)
            rows.append(row)
        return rows

    def scores(self, points: list) -> list[float]:
        return [row[-1][0] for row in self.forward_all(points)]

    def box(self) -> list[float]:
        xs, ys = [p[0] for p in self.X], [p[1] for p in self.X]
        dx, dy = (max(xs) - min(xs)) * PAD or 1.0, (max(ys) - min(ys)) * PAD or 1.0
        return [min(xs) - dx, max(xs) + dx, min(ys) - dy, max(ys) + dy]

    def view(self) -> dict:
        """What the page draws: points, the grid of every unit's output (the last layer's is
        the score, whose sign is the boundary), and every weight with its gradient and last
        update."""
        x0, x1, y0, y1 = box = self.box()
        grid = [[x0 + (x1 - x0) * (i + 0.5) / GRID, y1 - (y1 - y0) * (j + 0.5) / GRID]
                for j in range(GRID) for i in range(GRID)]
        rows = self.forward_all(grid)
        units = [[[round(r[li][u], 4) for r in rows] for u in range(len(layer.neurons))]
                 for li, layer in enumerate(self.model.layers)]
        k = 0
        layers = []
        for layer in self.model.layers:
            neurons = []
            for n in layer.neurons:
                ps = [*n.w, *([n.b] if n.b is not None else [])]
                idx = range(k, k + len(ps))
                neurons.append({"w": [p.data for p in ps], "grad": [p.grad for p in ps],
                                "update": [self.last_update[i] for i in idx],
                                "activation": n.activation})
                k += len(ps)
            layers.append(neurons)
        return {"box": box, "grid": GRID, "units": units, "layers": layers,
                "points": [[a, b, c] for (a, b), c in zip(self.X, self.y)],
                "engine": self.engine, "step": self.steps,
                "threshold": LOSS_CHOICES[self.s.loss]}

    def _point_loss(self, i: int) -> Value:
        """Point ``i``'s loss, backward run on it alone; the batch's gradients are kept."""
        out = self.model(self.X[i])
        L = self.loss([out], [self.targets[i]])
        L.label = f"loss at point {i}"
        kept = [p.grad for p in self.params]
        for p in self.params:
            p.grad = 0.0
        L.backward()
        for p, g in zip(self.params, kept):
            p.grad = g
        return L

    def sweep(self, i: int):
        """The chosen point's backward sweep: the explorer's stepper on its loss's graph."""
        from ..draw import show_backward

        return show_backward(self._point_loss(i))

    def units(self, i: int):
        """The chosen point on the network view: each unit's z, output and ∂L/∂z (hover),
        its chain-rule sum (click): the explorer's inspector of ``draw_dot(view="units")``."""
        from ..draw import draw_dot, inspect

        return inspect(draw_dot(self._point_loss(i), view="units"))


_TRAINER: list[Trainer] = []


def choices() -> str:
    """The controls' menus: data sets, losses, optimisers (from their tables)."""
    return json.dumps({"datasets": list(DATASETS), "losses": list(LOSS_CHOICES),
                       "optimizers": list(OPTIMIZERS)})


def new(settings_json: str) -> str:
    """Start over with the controls' settings (JSON); the first view."""
    _TRAINER[:] = [Trainer(Settings(**json.loads(settings_json)))]
    return json.dumps(_TRAINER[0].view())


def step(k: int = 1) -> str:
    return json.dumps(_TRAINER[0].step(k))


def view() -> str:
    return json.dumps(_TRAINER[0].view())


def point_pages(i: int) -> str:
    """Point ``i``'s backward pass as two pages (full HTML, for frames): on the network view
    (the inspector) and step by step on its graph (the stepper); JSON [units, stepper]."""
    t = _TRAINER[0]
    return json.dumps([t.units(int(i)).html(), t.sweep(int(i)).html()])
