"""Weight initialisers, named as in ``torch.nn.init`` (the trailing ``_`` means in place).

Each takes the Values to fill: a list of ``Value``s, or a ``Neuron``/``Layer`` (then its
weights, not its biases, and its fans are read from it: fan_in = inputs per neuron,
fan_out = neurons in the layer). Random initialisers take ``seed`` or ``rng`` (a
``random.Random``), so runs are reproducible.

* Xavier/Glorot (keeps the variance of activations and of gradients for tanh-like units):
  Var[w] = gain² · 2 / (fan_in + fan_out); uniform on ±gain·√(6/(fan_in + fan_out)) or
  normal with σ = gain·√(2/(fan_in + fan_out)).
* He/Kaiming (for ReLU: half the units are 0, so double the variance): σ = gain/√fan, with
  gain = √2 for ReLU; uniform on ±gain·√(3/fan). ``mode="fan_in"`` keeps the forward
  variance, ``"fan_out"`` the backward one.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from autograd import Value

from .activations import ACTIVATIONS, activation_entry

__all__ = [
    "calculate_gain", "make_rng", "zeros_", "ones_", "constant_", "uniform_", "normal_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
]


def make_rng(seed: int | None = None, rng: random.Random | None = None) -> random.Random:
    """The ``random.Random`` to draw from: ``rng`` if given, else a new one seeded by ``seed``;
    with neither, Python's global generator (the one ``random.seed(n)`` seeds), so that, as
    in micrograd (and as ``torch.manual_seed`` does for PyTorch's layers), ``random.seed(n)``
    before building a model makes it repeatable."""
    if rng is not None and seed is not None:
        raise ValueError("give seed or rng, not both")
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__}")
        return rng
    if seed is None:
        return random.random.__self__  # the generator behind random.random(), random.seed(), …
    return random.Random(seed)


# PyTorch's gains for nonlinearities that are not dagrad activations (an activation's gain
# is in its ``nn.activations.ACTIVATIONS`` entry), as functions of the negative slope.
_OTHER_GAINS = {
    "conv1d": lambda s: 1.0, "conv2d": lambda s: 1.0,
    "conv3d": lambda s: 1.0, "selu": lambda s: 3.0 / 4,
}


def _gain_of(nonlinearity: str):
    try:
        return activation_entry(nonlinearity).gain  # identity: linear's entry
    except ValueError:
        return _OTHER_GAINS.get(nonlinearity)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain: the activation's entry in ``nn.activations.ACTIVATIONS``
    (linear/sigmoid 1, tanh 5/3, relu √2, leaky_relu √(2/(1 + slope²)) with slope
    ``param``, default 0.01; identity is linear), or conv 1, selu 3/4."""
    gain = _gain_of(nonlinearity)
    if gain is None:
        raise ValueError(f"unknown nonlinearity {nonlinearity!r}; choose one of "
                         f"{', '.join([*ACTIVATIONS, *_OTHER_GAINS])}")
    return gain(0.01 if param is None else float(param))


def _target(values, fan_in: int | None = None, fan_out: int | None = None):
    """(the Values to fill, fan_in, fan_out) for a list of Values or a Neuron/Layer."""
    if hasattr(values, "weights") and hasattr(values, "fan_in"):
        return values.weights(), fan_in or values.fan_in, fan_out or values.fan_out
    values = list(values)
    if values and not all(isinstance(v, Value) for v in values):
        raise TypeError("initialisers fill Values: pass a list of Values, a Neuron or a Layer")
    return values, fan_in, fan_out


def _fill(values: Sequence[Value], draw) -> Sequence[Value]:
    for v in values:
        v.data = float(draw())
    return values


def zeros_(values) -> Sequence[Value]:
    """Every value ← 0. (All units of a layer then compute the same and learn the same:
    the herd effect; use it for biases, not weights.)"""
    return constant_(values, 0.0)


def ones_(values) -> Sequence[Value]:
    return constant_(values, 1.0)


def constant_(values, val: float) -> Sequence[Value]:
    """Every value ← ``val``."""
    vs, _, _ = _target(values)
    return _fill(vs, lambda: val)


def uniform_(values, a: float = 0.0, b: float = 1.0, *, seed: int | None = None,
             rng: random.Random | None = None) -> Sequence[Value]:
    """Each value ~ U(a, b) independently. ``uniform_(w, -1, 1)`` is micrograd's init."""
    r = make_rng(seed, rng)
    vs, _, _ = _target(values)
    return _fill(vs, lambda: r.uniform(a, b))


def normal_(values, mean: float = 0.0, std: float = 1.0, *, seed: int | None = None,
            rng: random.Random | None = None) -> Sequence[Value]:
    """Each value ~ N(mean, std²) independently."""
    r = make_rng(seed, rng)
    vs, _, _ = _target(values)
    return _fill(vs, lambda: r.gauss(mean, std))


def _need(fan: int | None, what: str) -> int:
    if not fan or fan < 1:
        raise ValueError(f"{what} is needed: pass {what}=… or a Neuron/Layer")
    return fan


def xavier_uniform_(values, gain: float = 1.0, *, fan_in: int | None = None,
                    fan_out: int | None = None, seed: int | None = None,
                    rng: random.Random | None = None) -> Sequence[Value]:
    """Glorot uniform: U(−a, a) with a = gain·√(6/(fan_in + fan_out))."""
    vs, fi, fo = _target(values, fan_in, fan_out)
    bound = gain * math.sqrt(6.0 / (_need(fi, "fan_in") + _need(fo, "fan_out")))
    r = make_rng(seed, rng)
    return _fill(vs, lambda: r.uniform(-bound, bound))


def xavier_normal_(values, gain: float = 1.0, *, fan_in: int | None = None,
                   fan_out: int | None = None, seed: int | None = None,
                   rng: random.Random | None = None) -> Sequence[Value]:
    """Glorot normal: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out))."""
    vs, fi, fo = _target(values, fan_in, fan_out)
    std = gain * math.sqrt(2.0 / (_need(fi, "fan_in") + _need(fo, "fan_out")))
    r = make_rng(seed, rng)
    return _fill(vs, lambda: r.gauss(0.0, std))


def _kaiming_std(vs_fans, a: float, mode: str, nonlinearity: str) -> float:
    _, fi, fo = vs_fans
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = _need(fi, "fan_in") if mode == "fan_in" else _need(fo, "fan_out")
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(values, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", *, fan_in: int | None = None,
                     fan_out: int | None = None, seed: int | None = None,
                     rng: random.Random | None = None) -> Sequence[Value]:
    """He uniform: U(−b, b) with b = gain·√(3/fan) (σ = gain/√fan); gain √2 for ReLU.

    PyTorch's defaults (``nonlinearity="leaky_relu"``, ``a=0``) give the ReLU gain √2.
    """
    t = _target(values, fan_in, fan_out)
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    r = make_rng(seed, rng)
    return _fill(t[0], lambda: r.uniform(-bound, bound))


def kaiming_normal_(values, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", *, fan_in: int | None = None,
                    fan_out: int | None = None, seed: int | None = None,
                    rng: random.Random | None = None) -> Sequence[Value]:
    """He normal: N(0, σ²) with σ = gain/√fan; √(2/fan_in) for ReLU keeps Var[z] steady."""
    t = _target(values, fan_in, fan_out)
    std = _kaiming_std(t, a, mode, nonlinearity)
    r = make_rng(seed, rng)
    return _fill(t[0], lambda: r.gauss(0.0, std))


def __getattr__(name: str):
    """``GAINS``, deprecated: the gains by name, read from the ACTIVATIONS entries."""
    if name == "GAINS":
        import warnings

        warnings.warn("nn.init.GAINS is deprecated: an activation's gain is in its "
                      "nn.activations.ACTIVATIONS entry; use nn.init.calculate_gain(name, param)",
                      DeprecationWarning, stacklevel=2)
        return {n: e.gain for n, e in ACTIVATIONS.items()} | _OTHER_GAINS
    raise AttributeError(f"module 'nn.init' has no attribute {name!r}")
