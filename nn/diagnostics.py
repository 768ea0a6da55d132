"""Diagnostics for "why training fails": gradient norms, dead ReLUs, activation statistics.

* ``grad_norms(model)``: ‖∂L/∂θ‖₂ of each layer's parameters after a backward. Norms that
  shrink towards the input layer show vanishing gradients, huge ones exploding gradients.
* ``dead_relu_fraction(model, X)``: per ReLU layer, the fraction of units whose
  pre-activation is ≤ 0 on every example: their output and gradient are always 0, so they
  never learn again (dead ReLUs).
* ``activation_stats(model, X)``: per layer, the mean and standard deviation of the
  pre-activations z and outputs u, and the fraction of saturated units (|tanh| > 0.99,
  sigmoid outside [0.01, 0.99]) or of zeros (ReLU).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .activations import activation_entry
from .layers import BatchNorm, Layer, LayerNorm, _as_list
from .module import Module, eval_mode

__all__ = ["grad_norms", "dead_relu_fraction", "activation_stats"]

_LAYER_TYPES = (Layer, BatchNorm, LayerNorm)


def grad_norms(model: Module) -> dict[str, float]:
    """Layer name → L2 norm of the gradients of that layer's parameters (call after backward).

    Layers are the ``Layer``, ``BatchNorm`` and ``LayerNorm`` modules inside ``model``;
    ``{"layers.0": 0.31, "layers.1": 0.52, …}`` for an MLP.
    """
    norms = {}
    for path, m in model.named_modules():
        if isinstance(m, _LAYER_TYPES):
            sq = math.fsum(p.grad * p.grad for p in m.parameters())
            norms[path or type(m).__name__] = math.sqrt(sq)
    return norms


def _layer_sequence(model: Module) -> list[Module]:
    if isinstance(model, Layer):
        return [model]
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError("diagnostics need a Layer, an MLP or a Sequential (a .layers list)")
    return list(layers)


def _trace(model: Module, X: Sequence) -> list[tuple[str, Layer, list, list]]:
    """Run X through the layers (eval mode, no graph); for each ``Layer``:
    (name, layer, pre-activations per unit, outputs per unit) as lists of floats."""
    seq = _layer_sequence(model)
    X = list(X)
    if not X:
        raise ValueError("diagnostics need at least one example in X, got none")
    records = []
    with eval_mode(model):
        batch = [list(x) for x in X]
        for m in seq:
            if isinstance(m, Layer):
                zs = [[0.0] * len(batch) for _ in m.neurons]
                us = [[0.0] * len(batch) for _ in m.neurons]
                out = []
                for i, x in enumerate(batch):
                    row = []
                    for j, n in enumerate(m.neurons):
                        z, u = n.forward_with_z(x)
                        zs[j][i], us[j][i] = z.data, u.data
                        row.append(u)
                    out.append(row)
                records.append((m.name, m, zs, us))
                batch = out
            else:
                batch = [_as_list(o) for o in m.forward_batch(batch)]
    return records


def dead_relu_fraction(model: Module, X: Sequence) -> dict[str, float]:
    """For each ReLU ``Layer``: the fraction of its units with z ≤ 0 on every example in X."""
    result = {}
    for name, layer, zs, _ in _trace(model, X):
        if layer.activation == "relu":
            dead = sum(all(z <= 0.0 for z in unit) for unit in zs)
            result[name] = dead / len(zs)
    return result


def _mean_std(xs: list[float]) -> tuple[float, float]:
    m = math.fsum(xs) / len(xs)
    return m, math.sqrt(math.fsum((x - m) ** 2 for x in xs) / len(xs))


def activation_stats(model: Module, X: Sequence) -> dict[str, dict[str, float]]:
    """Layer name → {z_mean, z_std, out_mean, out_std, saturated} over all units and examples.

    ``saturated``: fraction of outputs at 0 (ReLU), with |u| > 0.99 (tanh), or outside
    [0.01, 0.99] (sigmoid); 0 for linear layers. A z_std far from 1 in deep layers
    signals a poor initialisation (activations shrinking or blowing up).
    """
    stats = {}
    for name, layer, zs, us in _trace(model, X):
        z_all = [z for unit in zs for z in unit]
        u_all = [u for unit in us for u in unit]
        zm, zsd = _mean_std(z_all)
        um, usd = _mean_std(u_all)
        saturated = activation_entry(layer.activation).saturated
        sat = sum(saturated(u) for u in u_all)
        stats[name] = {"z_mean": zm, "z_std": zsd, "out_mean": um, "out_std": usd,
                       "saturated": sat / len(u_all)}
    return stats

