"""Per-op code emitters: each op of the table written out as a Python expression.

An ``Emitter`` turns one node into text: ``forward(ctx)`` is the expression of its value (or
a list of terms to add, for n-ary sums), ``partial(i, ctx)`` the expression of
∂out/∂operandᵢ. ``ctx.a`` holds the operands as text (names of earlier nodes, or literals),
``ctx.k`` their constant values (None for a node), ``ctx.out`` the node's own name and
``ctx.array`` tells whether the code will run on floats or on NumPy arrays (one element per
example). The expressions are those of ``autograd.OPS``, written inline so that a replay
calls no function per node for the common ops; ``tests/test_compile.py`` evaluates every
emitter against the table's ``forward``/``partials`` at random points, so the two cannot
drift apart. An op without an emitter (or a user-defined ``Op``) is replayed by calling its
own ``forward`` and ``partials``.

Function names in the code (``exp``, ``tanh``, ``sigmoid`` …) are bound to the table's own
forward functions for floats (``OPS["tanh"].forward`` is ``math.tanh``) and to NumPy's
for arrays, where data-dependent ops (relu, abs, leaky_relu) become ``where``/``sign``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..ops import OPS

# Python 3.12 made sum() of floats compensated (Neumaier); the table's sum and dot use sum(),
# so on such a Python the code calls it too, to add in the same way as the engine.
PLAIN_SUM = sum([0.1, 0.2, 0.3]) == (0.1 + 0.2) + 0.3


@dataclass(frozen=True)
class Ctx:
    """What an emitter sees of one node: operands as text and as constants, its name."""

    a: list[str]
    k: list[float | None]
    out: str
    array: bool


@dataclass(frozen=True)
class Emitter:
    forward: Callable[[Ctx], str | list[str]]  # an expression, or terms to add left to right
    partial: Callable[[int, Ctx], str]  # ∂out/∂operandᵢ as an expression
    # For a gate op (relu): the share given the upstream adjoint's name, written as a
    # selection, so that a zero slope passes nothing back even when the adjoint is ±∞.
    gated: Callable[[str, Ctx], str] | None = None


def literal(x: float) -> str:
    """A float as source text that reads back as the same float (bracketed when negative)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "(-inf)"
    text = repr(float(x))
    return f"({text})" if text.startswith("-") else text


def _sum(terms: list[str], c: Ctx) -> str | list[str]:
    if PLAIN_SUM or c.array:
        return terms
    return f"sum(({', '.join(terms)},))"


def _fn(name: str) -> Callable[[Ctx], str]:
    return lambda c: f"{name}({', '.join(c.a)})"


def _where(cond: str, yes: str, no: str, c: Ctx) -> str:
    return f"where({cond}, {yes}, {no})" if c.array else f"{yes} if {cond} else {no}"


def _pow(c: Ctx) -> str:
    # Python's a ** c gives a complex number for a < 0 and fractional c, where the table's
    # forward raises: only whole exponents are written inline on floats.
    if c.array or float(c.k[1]).is_integer():
        return f"{c.a[0]} ** {c.a[1]}"
    return f"pow_({c.a[0]}, {c.a[1]})"


def _pow_partial(i: int, c: Ctx) -> str:
    if i == 1 or not c.k[1]:
        return "0.0"
    return f"{c.a[1]} * {c.a[0]} ** {literal(c.k[1] - 1)}"


def _rpow(c: Ctx) -> str:
    if c.array or c.k[0] > 0:
        return f"{c.a[0]} ** {c.a[1]}"
    return f"pow_({c.a[0]}, {c.a[1]})"


def _rpow_partial(i: int, c: Ctx) -> str:
    if i == 0:
        return "0.0"
    ln_c = literal(math.log(c.k[0])) if c.k[0] > 0 else f"log({c.a[0]})"
    return f"{c.out} * {ln_c}"


def _powv_partial(i: int, c: Ctx) -> str:
    a, b = c.a
    return f"{b} * {a} ** ({b} - 1.0)" if i == 0 else f"{c.out} * log({a})"


def _abs_partial(i: int, c: Ctx) -> str:
    a = c.a[0]
    return f"sign({a})" if c.array else f"1.0 if {a} > 0 else -1.0 if {a} < 0 else 0.0"


def _leaky(c: Ctx) -> str:
    a, s = c.a
    return _where(f"{a} > 0", a, f"{s} * {a}", c)


def _leaky_partial(i: int, c: Ctx) -> str:
    a, s = c.a
    if i == 0:
        return _where(f"{a} > 0", "1.0", s, c)
    return _where(f"{a} > 0", "0.0", a, c)


def _dot(c: Ctx) -> str | list[str]:
    n = len(c.a) // 2
    return _sum([f"{w} * {x}" for w, x in zip(c.a[:n], c.a[n:])], c)


def _dot_partial(i: int, c: Ctx) -> str:
    n = len(c.a) // 2
    return c.a[i + n] if i < n else c.a[i - n]


def _one(i: int, c: Ctx) -> str:
    return "1.0"


def _softmax_partial(i: int, c) -> str:
    return f"softmax({', '.join(c.a)}, {c.out})[{i}]"


# fmt: off
EMITTERS: dict[str, Emitter] = {
    #  name           forward (value of the node)   ∂out/∂operandᵢ
    "add":        Emitter(lambda c: f"{c.a[0]} + {c.a[1]}", _one),
    "sub":        Emitter(lambda c: f"{c.a[0]} - {c.a[1]}", lambda i, c: ("1.0", "-1.0")[i]),
    "mul":        Emitter(lambda c: f"{c.a[0]} * {c.a[1]}", lambda i, c: c.a[1 - i]),
    "div":        Emitter(lambda c: f"{c.a[0]} / {c.a[1]}",
                          lambda i, c: f"1.0 / {c.a[1]}" if i == 0 else f"-{c.out} / {c.a[1]}"),
    "neg":        Emitter(lambda c: f"-{c.a[0]}", lambda i, c: "-1.0"),
    "pow":        Emitter(_pow,                   _pow_partial),
    "rpow":       Emitter(_rpow,                  _rpow_partial),
    "powv":       Emitter(lambda c: f"{c.a[0]} ** {c.a[1]}" if c.array else _fn("pow_")(c),
                          _powv_partial),
    "abs":        Emitter(_fn("abs"),             _abs_partial),
    "exp":        Emitter(_fn("exp"),             lambda i, c: c.out),
    "log":        Emitter(_fn("log"),             lambda i, c: f"1.0 / {c.a[0]}"),
    "sqrt":       Emitter(_fn("sqrt"),            lambda i, c: f"0.5 / {c.out}"),
    "tanh":       Emitter(_fn("tanh"),            lambda i, c: f"1.0 - {c.out} * {c.out}"),
    "sigmoid":    Emitter(_fn("sigmoid"),         lambda i, c: f"{c.out} * (1.0 - {c.out})"),
    "relu":       Emitter(lambda c: _where(f"{c.a[0]} <= 0", "0.0", c.a[0], c),  # NaN stays NaN
                          lambda i, c: _where(f"{c.a[0]} > 0", "1.0",
                                              _where(f"{c.a[0]} <= 0", "0.0", "nan", c), c),
                          lambda g, c: _where(f"{c.a[0]} > 0", g,
                                              _where(f"{c.a[0]} <= 0", "0.0", "nan", c), c)),
    "leaky_relu": Emitter(_leaky,                 _leaky_partial),
    "sin":        Emitter(_fn("sin"),             lambda i, c: f"cos({c.a[0]})"),
    "cos":        Emitter(_fn("cos"),             lambda i, c: f"-sin({c.a[0]})"),
    "softplus":   Emitter(_fn("softplus"),        lambda i, c: f"sigmoid({c.a[0]})"),
    "sum":        Emitter(lambda c: _sum(list(c.a), c), _one),
    "dot":        Emitter(_dot,                   _dot_partial),
    "logsumexp":  Emitter(_fn("logsumexp"),       _softmax_partial),
}
# fmt: on

_TABLE_FUNCTIONS = ("exp", "log", "sqrt", "tanh", "sin", "cos", "sigmoid", "softplus", "logsumexp")


def float_namespace() -> dict:
    """Names the float code calls: the table's own forward functions (standard library only)."""
    ns = {name: OPS[name].forward for name in _TABLE_FUNCTIONS}
    ns.update(pow_=OPS["pow"].forward, inf=math.inf, nan=math.nan,
              softmax=OPS["logsumexp"].partials)  # softmax shifted by the max, as the table
    return ns


def array_namespace() -> dict:
    """Names the batched code calls: NumPy's elementwise functions (imported here only)."""
    import numpy as np

    def sigmoid(a):
        e = np.exp(-np.abs(a))  # the table's two branches, so exp never overflows
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def softplus(a):
        return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))

    def logsumexp(*xs):
        m = xs[0]
        for x in xs[1:]:
            m = np.maximum(m, x)
        with np.errstate(invalid="ignore"):
            total = sum(np.exp(x - m) for x in xs)
            return np.where(np.isinf(m), m, m + np.log(total))

    def softmax(*xs_out):  # logsumexp's partials, shifted by the max as in the table
        xs, out = xs_out[:-1], xs_out[-1]
        m = xs[0]
        for x in xs[1:]:
            m = np.maximum(m, x)
        with np.errstate(invalid="ignore"):
            es = [np.exp(x - m) for x in xs]
            total = sum(es)
            return tuple(np.where(np.isfinite(m), e / total, np.exp(x - out))
                         for x, e in zip(xs, es, strict=True))

    ns = {name: getattr(np, name) for name in ("exp", "log", "sqrt", "tanh", "sin", "cos")}
    ns.update(sigmoid=sigmoid, softplus=softplus, logsumexp=logsumexp, softmax=softmax,
              where=np.where,
              sign=np.sign, pow_=np.power, inf=math.inf, nan=math.nan)
    return ns


def vectorized(fn: Callable, outputs: int) -> Callable:
    """An op's own float function made elementwise over arrays (for ops without an emitter)."""
    import numpy as np

    return np.vectorize(fn, otypes=[float] * outputs)
