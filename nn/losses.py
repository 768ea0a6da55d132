"""Loss functions over lists of predictions and targets, returning one scalar ``Value``.

``reduction="mean"`` (default) averages the per-example losses, ``"sum"`` adds them; both
are one n-ary ``sum`` node. Every loss is finite, with finite gradients, for logits as
large as ±1e3: the logit losses use softplus(z) = ln(1 + eᶻ) and log-sum-exp, computed
without overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import autograd
from autograd import Value

__all__ = [
    "mse", "mae", "bce", "bce_with_logits", "cross_entropy", "hinge", "logistic",
    "l1_penalty", "l2_penalty", "LOSSES", "Loss", "COMPILABLE",
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
# PyTorch's binary_cross_entropy backward: (p − y)/max(p(1 − p), ε) with ε = 1e-12 held as a
# float32, i.e. this double; so at p = 0 or 1 the gradient is ∓1.000000004e12, not 0.
_GRAD_EPS = 9.999999960041972e-13


def _check_probability(p: Value) -> None:
    if not 0.0 <= p.data <= 1.0:  # also catches NaN
        raise ValueError(f"bce needs probabilities in [0, 1], got {p.data!r}: pass a "
                         "sigmoid output, or use bce_with_logits on the raw score")


def _log_or_floor(x: float) -> float:
    return max(math.log(x), _LOG_FLOOR) if x > 0.0 else _LOG_FLOOR


def _bce_term(p: Value, y) -> Value:
    """−[y ln p + (1 − y) ln(1 − p)] for one example, with PyTorch's clamps.

    Where p(1 − p) ≥ ε the graph is the plain formula, whose gradient (p − y)/(p(1 − p)) is
    PyTorch's. Nearer to 0 or 1 PyTorch clamps: each log at −100 in the value, p(1 − p) at
    ε in the gradient. That piece is built as value + (p − p.data)·slope: a node worth 0
    whose derivative with respect to p is the clamped slope (p − y)/ε.
    """
    yv = y.data if isinstance(y, Value) else float(y)
    pv = p.data
    if pv * (1.0 - pv) >= _GRAD_EPS:
        t = 0.0
        if yv != 0:
            t = t + y * p.log()
        if yv != 1:
            t = t + (1 - y) * (1 - p).log()
        return -_v(t)
    value = -(yv * _log_or_floor(pv) + (1.0 - yv) * _log_or_floor(1.0 - pv))
    return (p - pv) * ((pv - yv) / _GRAD_EPS) + value


def bce(probs: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Binary cross-entropy on probabilities p ∈ [0, 1], targets y ∈ [0, 1] (usually 0/1):
    −(1/n) Σᵢ [yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ)], value and gradient as PyTorch's
    ``binary_cross_entropy``: each log clamped at −100, and ∂/∂p = (p − y)/max(p(1 − p),
    1e-12), so a saturated wrong prediction still gets a (huge) gradient. p outside [0, 1]
    or NaN raises ValueError. Prefer ``bce_with_logits`` on the pre-sigmoid score: stable."""
    terms = []
    for p, y in _pairs(probs, targets):
        p = _v(p)
        _check_probability(p)
        terms.append(_bce_term(p, y))
    return _reduce(terms, reduction)


def bce_with_logits(logits: Sequence, targets: Sequence, reduction: str = "mean") -> Value:
    """Binary cross-entropy on logits z (p = σ(z)), in the stable form
    ln(1 + eᶻ) − yz = softplus(z) − yz. ∂/∂z = σ(z) − y."""
    return _reduce([_v(z).softplus() - y * _v(z) for z, y in _pairs(logits, targets)],
                   reduction)


def _class_index(c) -> int:
    """A class label as an int; 2.0 is class 2, but 0.99 is an error (not class 0)."""
    v = c.data if isinstance(c, Value) else c
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
        raise ValueError(f"class labels must be whole numbers 0, 1, …, got {v!r}")
    return int(v)


def cross_entropy(logits: Sequence[Sequence], targets: Sequence[int],
                  reduction: str = "mean") -> Value:
    """Categorical cross-entropy on logits: for example i with logits zᵢ and class cᵢ,
    −ln softmax(zᵢ)_cᵢ = logsumexp(zᵢ) − zᵢ,cᵢ (one stable log-sum-exp node).
    ``logits`` is one list of class scores per example; ``targets`` class indices."""
    terms = []
    for z, c in _pairs(logits, targets):
        z = list(z)
        c = _class_index(c)
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


def _is_pm1(y) -> bool:
    return y in (-1, 1)


def _in_unit_interval(y) -> bool:
    return 0 <= y <= 1


def _is_class_index(y) -> bool:
    return not isinstance(y, bool) and y == int(y) and y >= 0


def _sign_right(score: float, t) -> bool:
    return (score > 0) == (t > 0)


def _argmax_right(scores: list[float], t) -> bool:
    return max(range(len(scores)), key=scores.__getitem__) == int(t)


@dataclass(frozen=True)
class Loss:
    """One entry of ``LOSSES``: a loss and what its name means elsewhere.

    * ``fn(outputs, targets, reduction="mean") -> Value``: the loss itself;
    * ``valid_label(y) -> bool`` and ``labels`` (its description, for errors): the label
      domain ``fit`` checks before training (``None``: any number);
    * ``correct(output, target) -> bool``: the decision rule behind ``accuracy``, given the
      output as a float (a list of floats for several) (``None``: regression, accuracy NaN);
    * ``classes``: (negative, positive) label when one score with this loss is a binary
      classifier ``python -m nn --loss`` can train (``None``: not offered there); the CLI
      name is the entry's key;
    * ``compile``: whether ``fit(compile=True)`` can trace it (its graph is the same for
      every example: no branch on the target);
    * ``torch``: the name of the ``torch.nn`` loss class computing the same loss with mean
      reduction (``nn.torch_bridge.torch_loss``; ``None``: none).

    An entry is called like its function: ``LOSSES["mse"](preds, targets)``.
    """

    fn: Callable[..., Value]
    labels: str = "numbers"
    valid_label: Callable[[Any], bool] | None = None
    correct: Callable[[Any, Any], bool] | None = None
    classes: tuple[float, float] | None = None
    compile: bool = False
    torch: str | None = None

    def __call__(self, outputs, targets, reduction: str = "mean") -> Value:
        return self.fn(outputs, targets, reduction)

    def check_labels(self, name: str, ys: Sequence) -> None:
        """Raise ValueError naming the labels outside this loss's domain (NaN included)."""
        if self.valid_label is None:
            return
        bad = [y for y in ys if not _label_ok(self.valid_label, y)]
        if bad:
            raise ValueError(f"the {name} loss needs {self.labels}, got {bad[:4]!r}")


def _label_ok(valid, y) -> bool:
    try:
        return bool(valid(y.data if isinstance(y, Value) else y))
    except (TypeError, ValueError, OverflowError):  # a string, NaN → int(), inf → int()
        return False


# Adding a loss is one entry: ``fit``, ``accuracy``, ``evaluate`` and ``python -m nn --loss``
# read everything they need from it.
LOSSES: dict[str, Loss] = {
    "mse": Loss(mse, compile=True, torch="MSELoss"),
    "mae": Loss(mae, compile=True, torch="L1Loss"),
    "bce": Loss(bce, "labels in [0, 1]", _in_unit_interval,
                lambda p, t: (p > 0.5) == (t > 0.5), torch="BCELoss"),
    "bce_with_logits": Loss(bce_with_logits, "labels in [0, 1]", _in_unit_interval,
                            lambda z, t: (z > 0) == (t > 0.5), classes=(0.0, 1.0),
                            compile=True, torch="BCEWithLogitsLoss"),
    "cross_entropy": Loss(cross_entropy, "class indices 0, 1, … (whole numbers)",
                          _is_class_index, _argmax_right, torch="CrossEntropyLoss"),
    "hinge": Loss(hinge, "labels -1/1 (convert 0/1 labels with nn.data.to_pm1(y))",
                  _is_pm1, _sign_right, classes=(-1.0, 1.0), compile=True),
    "logistic": Loss(logistic, "labels -1/1 (convert 0/1 labels with nn.data.to_pm1(y))",
                     _is_pm1, _sign_right, classes=(-1.0, 1.0), compile=True,
                     torch="SoftMarginLoss"),
}


class _Names:
    """The names of the ``LOSSES`` entries with a fact, read live (a loss registered later
    is in it): ``name in COMPILABLE``, ``list(COMPILABLE)``."""

    def __init__(self, fact: str) -> None:
        self.fact = fact

    def __contains__(self, name) -> bool:
        entry = LOSSES.get(name) if isinstance(name, str) else None
        return entry is not None and bool(getattr(entry, self.fact))

    def __iter__(self):
        return iter([n for n, e in LOSSES.items() if getattr(e, self.fact)])

    def __repr__(self) -> str:
        return f"<losses with {self.fact}: {', '.join(self)}>"


COMPILABLE = _Names("compile")  # the losses fit(compile=True) can trace
