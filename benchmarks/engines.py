"""The engines under test, the shared data and weights, and micrograd's demo step in each.

micrograd's demo (its README's ``demo.ipynb``) trains ``MLP(2, [16, 16, 1])`` on 100 moons
points with a max-margin loss plus 1e-4 · L2, one full-batch SGD step at a time. Every engine
here runs that step from the same initial weights on the same data, so all of them must
reach the same losses, step after step (up to float rounding: sums are added in different
orders).
"""

from __future__ import annotations

import importlib

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
    """The demo's data from ``nn.data``: 100 moons points, labels −1/1."""
    import nn

    X, y = nn.data.make_moons(n, noise=noise, seed=seed)
    return X, nn.data.to_pm1(y)


def initial_weights(seed: int = 0) -> list:
    """dagrad's ``nn.MLP(2, [16, 16, 1])`` initial weights (micrograd's init: w ~ U(−1, 1),
    b = 0), as layers of (weights, bias) rows, to be copied into every engine's model."""
    import nn

    model = nn.MLP(SIZES[0], SIZES[1], seed=seed)
    return [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]


# --- dagrad -----------------------------------------------------------------------------------
class DagradDemo:
    """The demo step as a dagrad user writes it (what ``nn.fit`` does each step): ``nn.MLP``
    (each neuron one ``dot`` node, then its ReLU), ``nn.losses.hinge`` + 1e-4 ·
    ``nn.losses.l2_penalty``, ``nn.optim.SGD``. Inputs are plain floats (constants)."""

    name = "dagrad"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import nn

        self.nn = nn
        self.model = nn.MLP(SIZES[0], SIZES[1])
        for layer, wlayer in zip(self.model.layers, weights, strict=True):
            for neuron, (ws, b) in zip(layer.neurons, wlayer, strict=True):
                for v, w in zip(neuron.w, ws, strict=True):
                    v.data = w
                neuron.b.data = b
        self.params = self.model.parameters()
        self.optimizer = nn.optim.SGD(self.params, lr=1.0)
        self.X, self.y = X, y

    def loss(self):
        losses = self.nn.losses
        scores = self.model.forward_batch(self.X)
        return losses.hinge(scores, self.y) + ALPHA * losses.l2_penalty(self.params)

    def step(self, k: int) -> float:
        total = self.loss()
        self.optimizer.zero_grad()
        total.backward()
        self.optimizer.lr = learning_rate(k)
        self.optimizer.step()
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
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(self.y, scores, strict=True)]
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
                acts = [sum((wi * xi for wi, xi in zip(ws, x, strict=True)), b) for ws, b in layer]
                x = acts if i == last else [a.relu() for a in acts]
            scores.append(x[0])
        losses = [(1 + -yi * si).relu() for yi, si in zip(self.y, scores, strict=True)]
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
