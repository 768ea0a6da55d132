"""Engine-level workloads: a deep chain, a wide sum, memory per node and a Hessian.

Each engine is a small adapter (``leaf``, ``total`` of a list, ``backward``, ``grad_of``) so
that one function builds the same graph on all of them.
"""

from __future__ import annotations

import gc
import tracemalloc

from .engines import ALPHA, moons


class Adapter:
    """How one engine makes a leaf, sums a list, runs backward and reads a gradient."""

    def __init__(self, name: str, leaf, total, backward, grad_of) -> None:
        self.name, self.leaf, self.total = name, leaf, total
        self.backward, self.grad_of = backward, grad_of


def adapters(micrograd, torch) -> list[Adapter]:
    """dagrad, and micrograd / torch 0-d when installed. Sums are written the way a user of
    each engine writes them: ``autograd.sum`` (one node) for dagrad, ``sum()`` for the others."""
    import autograd

    out = [Adapter("dagrad", autograd.Value, autograd.sum, lambda r: r.backward(),
                   lambda v: v.grad)]
    if micrograd is not None:
        from micrograd.engine import Value as MV

        out.append(Adapter("micrograd", MV, sum, lambda r: r.backward(), lambda v: v.grad))
    if torch is not None:
        out.append(Adapter(
            "torch 0-d", lambda x: torch.tensor(x, dtype=torch.float64, requires_grad=True), sum,
            lambda r: r.backward(), lambda v: v.grad.item()))
    return out


def chain(engine: Adapter, nodes: int):
    """x = x * 1.0001 + 0.0, two nodes per step: a graph ``nodes`` deep."""
    x0 = x = engine.leaf(1.0)
    for _ in range(nodes // 2):
        x = x * 1.0001 + 0.0
    return x0, x


def wide_products(engine: Adapter, n: int):
    """The leaves of Σᵢ wᵢ·xᵢ (made outside the timed part)."""
    ws = [engine.leaf(0.5 + i / n) for i in range(n)]
    return ws, [engine.leaf(1.0 - i / n) for i in range(n)]


def wide_sum(engine: Adapter, ws: list, xs: list):
    return engine.total([w * x for w, x in zip(ws, xs, strict=True)])


def bytes_per_node(engine: Adapter, nodes: int) -> float:
    """tracemalloc's count of the bytes a ``nodes``-node chain holds, per node."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        graph = chain(engine, nodes)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del graph
    gc.collect()
    return (after - before) / nodes


def dagrad_node_anatomy() -> dict[str, int]:
    """Where dagrad's bytes per node go, object by object, for a binary op node."""
    import sys

    import autograd

    a = autograd.Value(1.0)
    node = a * 1.0001
    gc_head = sys.getsizeof(node) - node.__class__.__basicsize__  # the cyclic GC's header
    return {
        "Value (5 slots + header)": sys.getsizeof(node),
        "of which GC header": gc_head,
        "data float": sys.getsizeof(node.data),
        "operand tuple (2)": sys.getsizeof(node._operands),
    }


# --- second order ----------------------------------------------------------------------------
HESSIAN_SIZES = (2, [4, 4, 1])


def hessian_problem(n_points: int = 20, n_params: int = 6):
    """A small tanh MLP (so curvature is non-zero), its data and the parameters to
    differentiate twice: the first ``n_params`` weights of the first layer."""
    import random

    rng = random.Random(2)
    sizes = [HESSIAN_SIZES[0], *HESSIAN_SIZES[1]]
    weights = [[[rng.uniform(-1, 1) for _ in range(sizes[i] + 1)] for _ in range(sizes[i + 1])]
               for i in range(len(sizes) - 1)]
    X, y = moons(n_points, seed=3)
    return weights, X, y, n_params


def mlp_loss(weights_as, X, y, dot, tanh, total):
    """Max-margin loss + L2 of a tanh MLP whose rows are [w..., b] (any engine's scalars)."""
    scores = []
    for x in X:
        for i, layer in enumerate(weights_as):
            x = [dot(row[:-1], x) + row[-1] for row in layer]
            if i + 1 < len(weights_as):
                x = [tanh(a) for a in x]
        scores.append(x[0])
    losses = [(1 - yi * si).relu() for yi, si in zip(y, scores, strict=True)]
    params = [p for layer in weights_as for row in layer for p in row]
    return total(losses) * (1.0 / len(losses)) + ALPHA * total([p * p for p in params])


def hessian_dagrad(problem) -> list[list[float]]:
    import autograd

    weights, X, y, k = problem
    W = [[[autograd.Value(w) for w in row] for row in layer] for layer in weights]
    ps = [p for row in W[0] for p in row[:-1]][:k]
    loss = mlp_loss(W, X, y, autograd.dot, lambda a: a.tanh(), autograd.sum)
    first = autograd.gradients(loss, ps, create_graph=True)
    return [autograd.gradients(g, ps) for g in first]


def hessian_torch_scalar(problem, torch) -> list[list[float]]:
    """Double backward through the same scalar graph built of 0-d tensors."""
    weights, X, y, k = problem
    W = [[[torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in row] for row in layer]
         for layer in weights]
    ps = [p for row in W[0] for p in row[:-1]][:k]
    def dot(ws, xs):
        return sum(w * x for w, x in zip(ws, xs, strict=True))

    loss = mlp_loss(W, X, y, dot, torch.tanh, sum)
    first = torch.autograd.grad(loss, ps, create_graph=True)
    return [[g.item() for g in torch.autograd.grad(f, ps, retain_graph=True)] for f in first]


def hessian_torch_batched(problem, torch) -> list[list[float]]:
    """torch.autograd.functional.hessian of the loss as a function of a k-vector."""
    weights, X, y, k = problem
    f64 = torch.float64
    Ws = [torch.tensor([row[:-1] for row in layer], dtype=f64) for layer in weights]
    bs = [torch.tensor([row[-1] for row in layer], dtype=f64) for layer in weights]
    Xt, yt = torch.tensor(X, dtype=f64), torch.tensor(y, dtype=f64)
    mask = torch.zeros_like(Ws[0]).flatten()
    mask[:k] = 1.0
    base = Ws[0].flatten() * (1 - mask)

    def loss(theta):
        W0 = (base + torch.cat([theta, torch.zeros(mask.numel() - k, dtype=f64)])).view_as(Ws[0])
        h = Xt
        for i, (W, b) in enumerate(zip([W0, *Ws[1:]], bs, strict=True)):
            h = h @ W.T + b
            if i + 1 < len(Ws):
                h = torch.tanh(h)
        data_loss = (1 - yt * h[:, 0]).relu().sum() * (1.0 / len(yt))
        reg = sum((W * W).sum() + (b * b).sum() for W, b in zip([W0, *Ws[1:]], bs, strict=True))
        return data_loss + ALPHA * reg

    H = torch.autograd.functional.hessian(loss, Ws[0].flatten()[:k].clone())
    return H.tolist()
