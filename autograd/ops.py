"""The op table: every operation's forward rule and local derivatives, one entry per op.

An entry is ``Op(name, forward, partials, domain)``:

* ``forward(*args) -> float`` computes the op on plain floats.
* ``partials(*args, out) -> tuple`` gives ∂out/∂argᵢ for every operand, given the operands and
  the op's own output. The partials are written with arithmetic and with the polymorphic
  functions below (``exp``, ``log``, ``sin`` …), so the same rule runs on floats (the fast
  first-order sweep) and on ``Value``s (``create_graph=True``: the sweep is itself recorded
  and can be differentiated again, to any order).

An op of one operand whose partial selects rather than scales (relu) sets ``gate=True``:
where its partial is exactly 0, every sweep (reverse, forward, higher order) passes
nothing through it, not even an infinite or NaN gradient.

Operands may be ``Value``s or constants (plain floats kept inside the node rather than made
into graph nodes). A partial in a position that is always a constant (listed in
``Op.constants``) is never used and holds ``0.0``. This table is the only derivative
knowledge in dagrad: the reverse sweep, forward mode, higher order, gradcheck and the edge
labels of pictures all read it.

A new op is one new entry. An ``Op`` is also callable on its own, so a user can define and
use an op without touching the table: ``square = Op("square", lambda a: a * a,
lambda a, out: (2 * a,)); square(x)``.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Op:
    name: str
    forward: Callable[..., float]
    partials: Callable[..., tuple]
    domain: str = ""  # where the op (or its derivative) is defined, for error messages
    doc: str = ""  # the math, shown as the docstring of the matching Value method
    constants: tuple[int, ...] = ()  # operand positions that must be numbers, not Values
    # A one-operand op whose partial selects rather than scales (relu: 1 or 0): a partial of
    # exactly 0 passes nothing back, even an upstream gradient of ±∞ or NaN (∞ · 0 would be
    # NaN), as PyTorch's relu. Honoured for ops of one operand (the sweep's unary branch).
    gate: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"Op needs a non-empty str name, got {self.name!r:.60}")
        for what in ("forward", "partials"):
            if not callable(getattr(self, what)):
                raise TypeError(
                    f"Op {self.name!r}: {what} must be a function, got "
                    f"{type(getattr(self, what)).__name__}"
                )

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __call__(self, *operands):
        """Apply the op: a new node whose operands are ``operands`` (Values or numbers)."""
        from .value import _apply  # value.py imports this module, so import at call time

        return _apply(self, operands)


# --- polymorphic math: float in -> float out (math module); Value in -> Value out ----------
def _lift(method: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    def fn(x):
        if x.__class__ is float:
            try:
                return on_float(x)
            except (ArithmeticError, ValueError) as e:
                return _float_error(method, x, e)
        if hasattr(x, "_rule"):  # a Value
            return getattr(x, method)()
        if isinstance(x, numbers.Real):  # int, bool, NumPy scalars, Fraction: as a float
            return fn(float(x))
        raise TypeError(
            f"autograd.{method} takes a real number or a Value, got {type(x).__name__} {x!r:.60}"
        )

    fn.__name__ = method
    fn.__doc__ = f"{method}(x) for a float (via math) or a Value (recorded in the graph)."
    return fn


def _float_error(method: str, x: float, cause: Exception):
    from .value import domain_error  # value.py imports this module, so import at call time

    raise domain_error(OPS[method], (x,), cause) from None


def _sigmoid(a: float) -> float:
    # Two branches so that exp never overflows: stable at ±1e3 and beyond.
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _softplus(a: float) -> float:
    # ln(1 + e^a) = max(a, 0) + ln(1 + e^-|a|): never overflows.
    return max(a, 0.0) + math.log1p(math.exp(-abs(a)))


def _pow(a: float, b: float) -> float:
    r = a**b
    if r.__class__ is complex:  # Python returns a complex number for (-8) ** 0.5
        raise ValueError("a negative base needs an integer exponent")
    return r


nan = math.nan  # the slope of relu and abs at NaN (comparisons work on floats and Values)


def _data(x) -> float:
    return x if x.__class__ is float else x.data


def _exponent_partial(a, b, out):
    """∂(a^b)/∂b = a^b · ln a for a > 0. At a = 0 and b ≥ 0 it is 0 (the limit from a > 0,
    and PyTorch's convention); at a = 0 and b = −∞ or NaN, a^b · ln a is ∞·(−∞) = −∞ or
    NaN, as PyTorch; for a < 0, a^b is not real near b: NaN, as PyTorch."""
    base = _data(a)
    if base > 0:
        return out * log(a)
    if base == 0:
        return 0.0 if _data(b) >= 0 else _data(out) * -math.inf
    return math.nan


def _powv_partials(a, b, out):
    # ∂/∂a = b·a^(b−1); at b = 0 and a = 0 (where a^(b−1) is undefined) or a NaN, 0 (a^0 is
    # the constant 1; PyTorch's convention). Only there: elsewhere the formula is kept, so
    # that its own derivative (second order) in b is right at b = 0 too.
    base = _data(a)
    singular = _data(b) == 0 and (base == 0 or base != base)
    return (0.0 if singular else b * a ** (b - 1), _exponent_partial(a, b, out))


def _logsumexp_partials(*xs_out):
    """softmax(x)ᵢ = e^(xᵢ−m) / Σⱼ e^(xⱼ−m) with m = max x (a constant shift): accurate even
    where xᵢ is above 2^53 (e^(xᵢ − lse) would lose lse's fraction), and, on Values, a
    graph whose second derivatives are those of softmax with no cancellation."""
    xs = xs_out[:-1]
    m = max(_data(x) for x in xs)
    if not math.isfinite(m):
        return tuple(exp(x - xs_out[-1]) for x in xs)
    es = [exp(x - m) for x in xs]
    total = es[0]
    for e in es[1:]:
        total = total + e
    return tuple(e / total for e in es)


def _logsumexp(*xs: float) -> float:
    """m + ln Σ e^(xᵢ−m), m = max x; an infinite m is the result itself, unless an operand
    is NaN (``max`` skips a NaN after the first operand): then NaN, as in PyTorch. The
    partials follow: each is e^(xᵢ − out), NaN when out is."""
    m = max(xs)
    if math.isinf(m):
        return math.nan if any(x != x for x in xs) else m
    return m + math.log(math.fsum(math.exp(x - m) for x in xs))


def _dot(*args: float) -> float:
    n = len(args) // 2
    return sum(map(operator.mul, args[:n], args[n:]))


def _dot_partials(*args_out):
    args = args_out[:-1]
    n = len(args) // 2
    return (*args[n:], *args[:n])  # ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ


exp = _lift("exp", math.exp)
log = _lift("log", math.log)
sin = _lift("sin", math.sin)
cos = _lift("cos", math.cos)
sigmoid = _lift("sigmoid", _sigmoid)


# --- the table ------------------------------------------------------------------------------
# fmt: off
_TABLE = [
    #  name          forward                      partials(operands…, out) -> ∂out/∂operandᵢ
    Op("add",        operator.add,                lambda a, b, out: (1.0, 1.0),
       doc="a + b"),
    Op("sub",        operator.sub,                lambda a, b, out: (1.0, -1.0),
       doc="a − b"),
    Op("mul",        operator.mul,                lambda a, b, out: (b, a),
       doc="a · b"),
    Op("div",        operator.truediv,            lambda a, b, out: (1.0 / b, -out / b),
       domain="b ≠ 0", doc="a / b;  ∂/∂a = 1/b, ∂/∂b = −a/b²"),
    Op("neg",        operator.neg,                lambda a, out: (-1.0,),
       doc="−a"),
    Op("pow",        _pow,                        lambda a, c, out: (c * a ** (c - 1) if c else 0.0, 0.0),
       domain="a > 0, or a = 0 with c ≥ 1, or a < 0 with integer c", constants=(1,),
       doc="a ** c for a constant c;  ∂/∂a = c·a^(c−1)"),
    Op("rpow",       _pow,                        lambda c, b, out: (0.0, _exponent_partial(c, b, out)),
       domain="c > 0, or c = 0 with b ≥ 0, or c < 0 with integer b", constants=(0,),
       doc="c ** b for a constant c;  ∂/∂b = c^b · ln c (0 at c = 0, NaN for c < 0)"),
    Op("powv",       _pow,                        _powv_partials,
       domain="a > 0, or a = 0 with b ≥ 1, or a < 0 with integer b",
       doc="a ** b, both Values;  ∂/∂a = b·a^(b−1), ∂/∂b = a^b · ln a (0 at a = 0, NaN for a < 0)"),
    Op("abs",        abs,                         lambda a, out: (1.0 if a > 0 else -1.0 if a < 0 else 0.0 if a <= 0 else nan,),
       doc="|a|;  derivative sign(a), 0 at 0 (NaN at NaN)"),
    Op("exp",        math.exp,                    lambda a, out: (out,),
       domain="a ≤ 709.78 (larger overflows a float)", doc="e^a;  derivative e^a"),
    Op("log",        math.log,                    lambda a, out: (1.0 / a,),
       domain="a > 0", doc="ln a;  derivative 1/a"),
    Op("sqrt",       math.sqrt,                   lambda a, out: (0.5 / out,),
       domain="a ≥ 0 (a > 0 for the derivative)", doc="√a;  derivative 1/(2√a)"),
    Op("tanh",       math.tanh,                   lambda a, out: (1.0 - out * out,),
       doc="tanh a;  derivative 1 − tanh² a"),
    Op("sigmoid",    _sigmoid,                    lambda a, out: (out * (1.0 - out),),
       doc="σ(a) = 1/(1 + e^−a);  derivative σ(a)(1 − σ(a))"),
    Op("relu",       lambda a: 0.0 if a <= 0 else a, lambda a, out: (1.0 if a > 0 else 0.0 if a <= 0 else nan,),
       gate=True,
       doc="max(0, a);  derivative 1 for a > 0, else 0 (NaN in gives NaN out and NaN slope)"),
    Op("leaky_relu", lambda a, s: a if a > 0 else s * a,
                                                  lambda a, s, out: (1.0 if a > 0 else s, 0.0 if a > 0 else a),
       doc="a for a > 0, else s·a;  ∂/∂a = 1 or s"),
    Op("sin",        math.sin,                    lambda a, out: (cos(a),),
       doc="sin a;  derivative cos a"),
    Op("cos",        math.cos,                    lambda a, out: (-sin(a),),
       doc="cos a;  derivative −sin a"),
    Op("softplus",   _softplus,                   lambda a, out: (sigmoid(a),),
       doc="ln(1 + e^a);  derivative σ(a)"),
    # n-ary ops: one node for a whole sum, dot product or log-sum-exp
    Op("sum",        lambda *xs: sum(xs),         lambda *xs_out: (1.0,) * (len(xs_out) - 1),
       doc="Σᵢ xᵢ;  ∂/∂xᵢ = 1"),
    Op("dot",        _dot,                        _dot_partials,
       doc="Σᵢ wᵢxᵢ over operands (w₁…wₙ, x₁…xₙ);  ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ"),
    Op("logsumexp",  _logsumexp,                  _logsumexp_partials,
       doc="ln Σᵢ e^xᵢ (shifted by the max, so it never overflows);  ∂/∂xᵢ = softmax(x)ᵢ"),
]
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in _TABLE}
