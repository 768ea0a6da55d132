"""The op table: every operation's forward rule and local derivatives, one entry per op.

An entry is ``Op(name, forward, partials, domain)``:

* ``forward(*args) -> float`` computes the op on plain floats.
* ``partials(*args, out) -> tuple`` gives ∂out/∂argᵢ for every operand, given the operands and
  the op's own output. The partials are written with arithmetic and with the polymorphic
  functions below (``exp``, ``log``, ``sin`` …), so the same rule runs on floats (the fast
  first-order sweep) and on ``Value``s (``create_graph=True``: the sweep is itself recorded
  and can be differentiated again, to any order).

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

    def __repr__(self) -> str:
        return f"<op {self.name}>"

    def __call__(self, *operands):
        """Apply the op: a new node whose operands are ``operands`` (Values or numbers)."""
        from .value import _apply  # value.py imports this module, so import at call time

        return _apply(self, operands)


# --- polymorphic math: float in -> float out (math module); Value in -> Value out ----------
def _lift(method: str, on_float: Callable[[float], float]) -> Callable[[Any], Any]:
    def fn(x):
        if x.__class__ is float or x.__class__ is int:
            return on_float(x)
        return getattr(x, method)()

    fn.__name__ = method
    fn.__doc__ = f"{method}(x) for a float (via math) or a Value (recorded in the graph)."
    return fn


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


def _logsumexp(*xs: float) -> float:
    m = max(xs)
    if math.isinf(m):
        return m
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
    Op("rpow",       _pow,                        lambda c, b, out: (0.0, out * log(c)),
       domain="c > 0", constants=(0,), doc="c ** b for a constant c;  ∂/∂b = c^b · ln c"),
    Op("powv",       _pow,                        lambda a, b, out: (b * a ** (b - 1), out * log(a)),
       domain="a > 0", doc="a ** b, both Values;  ∂/∂a = b·a^(b−1), ∂/∂b = a^b · ln a"),
    Op("abs",        abs,                         lambda a, out: (1.0 if a > 0 else -1.0 if a < 0 else 0.0,),
       doc="|a|;  derivative sign(a), 0 at 0"),
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
    Op("relu",       lambda a: a if a > 0 else 0.0, lambda a, out: (1.0 if a > 0 else 0.0,),
       doc="max(0, a);  derivative 1 for a > 0, else 0"),
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
    Op("logsumexp",  _logsumexp,                  lambda *xs_out: tuple(exp(x - xs_out[-1]) for x in xs_out[:-1]),
       doc="ln Σᵢ e^xᵢ (shifted by the max, so it never overflows);  ∂/∂xᵢ = softmax(x)ᵢ"),
]
# fmt: on

OPS: dict[str, Op] = {op.name: op for op in _TABLE}

# Ops that are Value methods taking no argument besides self (x.exp(), x.tanh() …).
UNARY = ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "softplus")
