"""Loss functions over lists of predictions and targets, returning one scalar ``Value``.

``reduction="mean"`` (default) averages the per-example losses, ``"sum"`` adds them; both
are one n-ary ``sum`` node. Every loss is finite, with finite gradients, for logits as
large as ±1e3: the logit losses use softplus(z) = ln(1 + eᶻ) and log-sum-exp, computed
without overflow.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import autograd
from autograd import Value

__all__ = [
    "mse", "mae", "bce", "bce_with_logits", "cross_entropy", "hinge", "logistic",
    "l1_penalty", "l2_penalty", "LOSSES",
]


def _reduce(terms: list, reduction: str) -> Value:
    if not terms:
        raise ValueError("a loss needs at least one example")
    total = autograd.sum(terms)
    if reduction == "mean":
        return total / len(terms)
    if reduction == "sum":
        return total
    raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")


def _pairs(preds, targets) -> list[tuple]:
    preds = [preds] if isinstance(preds, Value) else list(preds)
    targets = [targets] if isinstance(targets, (int, float, Value)) else list(targets)
    if len(preds) != len(targets):
        raise ValueError(f"{len(preds)} predictions but {len(targets)} targets")
    return list(zip(preds, targets, strict=True))


def _v(x) -> Value:
    return x if isinstance(x, Value) else Value(float(x))


def mse(preds: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Mean squared error: (1/n) Σᵢ (ŷᵢ − yᵢ)². (For L = ½(y − z)², δ_out = z − y.)"""
    return _reduce([(_v(p) - t) ** 2 for p, t in _pairs(preds, targets)], reduction)


def mae(preds: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Mean absolute error: (1/n) Σᵢ |ŷᵢ − yᵢ|."""
    return _reduce([abs(_v(p) - t) for p, t in _pairs(preds, targets)], reduction)


_LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps log(p) at −100 so p = 0 gives a finite loss


def _clamped_log(p: Value):
    if p.data > math.exp(_LOG_FLOOR):
        return p.log()
    return _LOG_FLOOR  # a constant: no gradient, as with PyTorch's clamp


def bce(probs: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Binary cross-entropy on probabilities p ∈ [0, 1], targets y ∈ {0, 1} (or in [0, 1]):
    −(1/n) Σᵢ [yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ)], each log clamped at −100 as in PyTorch.
    Prefer ``bce_with_logits`` on the pre-sigmoid score: it is stable."""
    terms = []
    for p, y in _pairs(probs, targets):
        p = _v(p)
        t = 0.0
        if y != 0:
            t = t + y * _clamped_log(p)
        if y != 1:
            t = t + (1 - y) * _clamped_log(1 - p)
        terms.append(-_v(t))
    return _reduce(terms, reduction)


def bce_with_logits(logits: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Binary cross-entropy on logits z (p = σ(z)), in the stable form
    ln(1 + eᶻ) − yz = softplus(z) − yz. ∂/∂z = σ(z) − y."""
    return _reduce([_v(z).softplus() - y * _v(z) for z, y in _pairs(logits, targets)],
                   reduction)


def cross_entropy(logits: Sequence[Sequence], targets: Sequence[int],
                  reduction: str = "mean") -> Value:
    """Categorical cross-entropy on logits: for example i with logits zᵢ and class cᵢ,
    −ln softmax(zᵢ)_cᵢ = logsumexp(zᵢ) − zᵢ,cᵢ (one stable log-sum-exp node).
    ``logits`` is one list of class scores per example; ``targets`` class indices."""
    terms = []
    for z, c in _pairs(logits, targets):
        z = list(z)
        c = int(c)
        if not 0 <= c < len(z):
            raise ValueError(f"class index {c} out of range for {len(z)} logits")
        terms.append(autograd.logsumexp(z) - z[c])
    return _reduce(terms, reduction)


def hinge(scores: Sequence, ys: Sequence, reduction: str = "mean") -> Value:
    """Hinge (SVM max-margin) loss for y ∈ {−1, 1}: (1/n) Σᵢ max(0, 1 − yᵢ sᵢ).
    micrograd's demo loss (plus an L2 penalty)."""
    terms = []
    for s, y in _pairs(scores, ys):
        terms.append((1 - y * _v(s)).relu())
    return _reduce(terms, reduction)


def logistic(scores: Sequence, ys: Sequence, reduction: str = "mean") -> Value:
    """Logistic loss for y ∈ {−1, 1}: (1/n) Σᵢ ln(1 + e^(−yᵢ sᵢ)) = softplus(−yᵢ sᵢ), stable.
    The same as ``bce_with_logits`` with labels (y + 1)/2."""
    return _reduce([(-y * _v(s)).softplus() for s, y in _pairs(scores, ys)], reduction)


def l1_penalty(params: Sequence[Value]) -> Value:
    """Σ |w| over ``params`` (add λ · this to a loss for L1 regularisation)."""
    return autograd.sum([abs(p) for p in params])


def l2_penalty(params: Sequence[Value]) -> Value:
    """Σ w² over ``params``, as one dot node (w·w). micrograd's demo adds 1e-4 × this."""
    params = list(params)
    return autograd.dot(params, params)


LOSSES = {
    "mse": mse, "mae": mae, "bce": bce, "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy, "hinge": hinge, "logistic": logistic,
}
