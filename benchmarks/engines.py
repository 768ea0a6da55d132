"""The engines under test, the shared data and weights, and micrograd's demo step in each.

micrograd's demo (its README's ``demo.ipynb``) trains ``MLP(2, [16, 16, 1])`` on 100 moons
points with a max-margin loss plus 1e-4 · L2, one full-batch SGD step at a time. Every engine
here runs that step from the same initial weights on the same data, so all of them must
reach the same losses, step after step (up to float rounding: sums are added in different
orders).
"""

from __future__ import annotations

import importlib
import math
import random

ALPHA = 1e-4  # the L2 weight of micrograd's demo
SIZES = (2, [16, 16, 1])  # MLP(2, [16, 16, 1])


def optional(name: str):
    """The module, or None when it is not installed (the suite then skips its rows)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * k / 100  # micrograd's demo schedule


# --- data and weights, shared by every engine -------------------------------------------------
def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """sklearn's ``make_moons`` (without sklearn): points and labels ±1.0, as in the demo."""
    rng = random.Random(seed)
    n_out, n_in = n // 2, n - n // 2
    pts = [(math.cos(math.pi * i / (n_out - 1)), math.sin(math.pi * i / (n_out - 1)))
           for i in range(n_out)]
    pts += [(1 - math.cos(math.pi * i / (n_in - 1)), 0.5 - math.sin(math.pi * i / (n_in - 1)))
            for i in range(n_in)]
    X = [[a + rng.gauss(0, noise), b + rng.gauss(0, noise)] for a, b in pts]
    y = [-1.0] * n_out + [1.0] * n_in
    return X, y


def initial_weights(nin: int = SIZES[0], nouts=SIZES[1], seed: int = 1) -> list:
    """micrograd's initialisation (w ~ U(-1, 1), b = 0) as layers of (weights, bias) rows."""
    rng = random.Random(seed)
    sizes = [nin, *nouts]
    return [[([rng.uniform(-1, 1) for _ in range(sizes[i])], 0.0) for _ in range(sizes[i + 1])]
            for i in range(len(nouts))]


# --- dagrad -----------------------------------------------------------------------------------
class DagradDemo:
    """The demo step on dagrad: each neuron is one ``dot`` node, then its ReLU."""

    name = "dagrad"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import autograd

        self.ag = autograd
        V = autograd.Value
        self.layers = [[([V(w) for w in ws], V(b)) for ws, b in layer] for layer in weights]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.X, self.y = X, y

    def loss(self):
        dot, last = self.ag.dot, len(self.layers) - 1
        scores = []
        for x in self.X:  # inputs are plain floats: constants inside the dot nodes
            for i, layer in enumerate(self.layers):
                x = [dot(ws, x, bias=b) if i == last else dot(ws, x, bias=b).relu()
                     for ws, b in layer]
            scores.append(x[0])
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = self.ag.sum(losses) * (1.0 / len(losses))
        return data_loss + ALPHA * self.ag.sum(p * p for p in self.params)

    def step(self, k: int) -> float:
        total = self.loss()
        for p in self.params:
            p.grad = 0.0
        total.backward()
        lr = learning_rate(k)
        for p in self.params:
            p.data -= lr * p.grad
        return total.data


# --- micrograd --------------------------------------------------------------------------------
class MicrogradDemo:
    """micrograd's demo step, as its notebook writes it."""

    name = "micrograd"

    def __init__(self, weights: list, X: list, y: list) -> None:
        from micrograd.engine import Value
        from micrograd.nn import MLP

        self.Value = Value
        self.model = MLP(SIZES[0], list(SIZES[1]))
        for layer, wlayer in zip(self.model.layers, weights, strict=True):
            for neuron, (ws, b) in zip(layer.neurons, wlayer, strict=True):
                for v, w in zip(neuron.w, ws, strict=True):
                    v.data = w
                neuron.b.data = b
        self.X, self.y = X, y

    def step(self, k: int) -> float:
        model, Value = self.model, self.Value
        inputs = [list(map(Value, xrow)) for xrow in self.X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total_loss = data_loss + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        total_loss.backward()
        lr = learning_rate(k)
        for p in model.parameters():
            p.data -= lr * p.grad
        return total_loss.data


# --- PyTorch ----------------------------------------------------------------------------------
class TorchScalarDemo:
    """micrograd's demo written with PyTorch 0-d tensors: one tensor per scalar, as micrograd."""

    name = "torch 0-d"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import torch

        self.torch = torch

        def t(v):
            return torch.tensor(v, dtype=torch.float64, requires_grad=True)

        self.layers = [[([t(w) for w in ws], t(b)) for ws, b in layer] for layer in weights]
        self.params = [p for layer in self.layers for ws, b in layer for p in (*ws, b)]
        self.X, self.y = X, y

    def step(self, k: int) -> float:
        torch, last = self.torch, len(self.layers) - 1
        scores = []
        for x in self.X:
            for i, layer in enumerate(self.layers):
                acts = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
                x = acts if i == last else [a.relu() for a in acts]
            scores.append(x[0])
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        total = data_loss + ALPHA * sum(p * p for p in self.params)
        for p in self.params:
            p.grad = None
        total.backward()
        lr = learning_rate(k)
        with torch.no_grad():
            for p in self.params:
                p -= lr * p.grad
        return total.item()


class TorchBatchedDemo:
    """The same step on batched tensors (a (100, 2) input, weight matrices): the physical
    reference, what the step costs when Python is out of the inner loop."""

    name = "torch batched"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import torch

        self.torch = torch
        f64 = torch.float64
        self.params = []
        for layer in weights:
            W = torch.tensor([ws for ws, _ in layer], dtype=f64, requires_grad=True)
            b = torch.tensor([b for _, b in layer], dtype=f64, requires_grad=True)
            self.params += [W, b]
        self.X = torch.tensor(X, dtype=f64)
        self.y = torch.tensor(y, dtype=f64)

    def step(self, k: int) -> float:
        torch, h, ps = self.torch, self.X, self.params
        for i in range(0, len(ps), 2):
            h = h @ ps[i].T + ps[i + 1]
            if i + 2 < len(ps):
                h = h.relu()
        losses = (1 + -self.y * h[:, 0]).relu()
        total = losses.sum() * (1.0 / len(losses)) + ALPHA * sum((p * p).sum() for p in ps)
        for p in ps:
            p.grad = None
        total.backward()
        lr = learning_rate(k)
        with torch.no_grad():
            for p in ps:
                p -= lr * p.grad
        return total.item()
