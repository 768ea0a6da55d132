"""Per-node code, derived from the op table: each op's own ``forward``/``partials`` run on
symbolic operands (``symbolic.Sym``), so the emitted expressions are the table's rules.

``node_code(op, operands, out, array)`` gives a node's forward expression and its partials
as Syms (printed later as float or NumPy code). In order:

1. a **template** of this very ``Op`` object (never looked up by name: a user's ``Op("tanh",
   …)`` is not the table's tanh), where the table's rule branches on a number: relu, abs,
   leaky_relu, the powers (0 and negative bases), and on arrays sigmoid's two branches,
   softplus, logsumexp's shift (``tests/test_compile_emit.py`` checks each against the
   table at 0, ±0, NaN, ±inf, ±1e308, denormals and large exponents);
2. else, for a table op, the rule itself run on Syms (add, mul, div, exp, tanh, sum, dot …):
   a rule that reads a number to choose raises ``Branches`` and goes to 3;
3. else the op's own functions are called (``op_<k>(…)``; on arrays elementwise, each
   example's error recorded): what a user's ``Op`` always gets.

The float namespace binds the names the table's rules call (``exp``, ``cos``, ``sigmoid`` …)
to the very functions they are (math's, and ``autograd.ops``' own polymorphic ones); the
array namespace to NumPy's and to the array templates below.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .. import ops as _ops
from ..ops import OPS, Op
from .symbolic import Branches, Sym, both, call, cmp, name, negate, sym, where

# Python 3.12 made sum() of floats compensated (Neumaier); the table's sum and dot use sum(),
# so on such a Python their rules are not run symbolically (that would add left to right):
# the code calls the table's own functions instead.
PLAIN_SUM = sum([0.1, 0.2, 0.3]) == (0.1 + 0.2) + 0.3

# Functions that are, themselves, an op's forward rule: a call of the same name in the code.
FUNCTIONS: dict[Callable, str] = {math.exp: "exp", math.log: "log", math.sqrt: "sqrt",
                                  math.tanh: "tanh", math.sin: "sin", math.cos: "cos",
                                  abs: "abs"}


@dataclass(frozen=True)
class NodeCode:
    """A node's code: ``forward`` its value; ``partials`` ∂out/∂operandᵢ (None: one call
    ``partials_call`` returns them all); ``gated(g)`` the share passed back for a gate op."""

    forward: Sym
    partials: list[Sym] | None
    partials_call: Sym | None = None
    gated: Callable[[Sym], Sym] | None = None


@dataclass(frozen=True)
class Template:
    """Hand-written code for an op whose rule branches. Each field takes the operands (Syms,
    or floats for constants) and, for partials, the node's own output; None: derive it."""

    forward: Callable | None = None
    partials: Callable | None = None
    gated: Callable | None = None  # (g, *operands) -> the share, for a gate op
    array_forward: Callable | None = None  # on arrays only (floats call the table's function)
    array_partials: str | None = None  # an array function returning all partials at once


NAN = float("nan")


def _relu_slope(a) -> Sym:  # 1 for a > 0, 0 for a ≤ 0, NaN at NaN (the table's three cases)
    return where(cmp(a, ">", 0.0), 1.0, where(cmp(a, "<=", 0.0), 0.0, NAN))


def _sign(a) -> Sym:
    return where(cmp(a, ">", 0.0), 1.0, where(cmp(a, "<", 0.0), -1.0,
                                               where(cmp(a, "<=", 0.0), 0.0, NAN)))


def _power(a, b, safe: bool) -> Sym:
    """a ** b: bare where Python's float power cannot give a complex number (``safe``), else
    the table's pow, which refuses a negative base with a non-integer exponent."""
    return Sym("**", sym(a), sym(b)) if safe else call("pow_", a, b)


def _powv_partials(a, b, out) -> list[Sym]:
    # The table's _powv_partials and _exponent_partial, branch for branch:
    # ∂/∂a = b·a^(b−1), but 0 where b = 0 and a is 0 or NaN (neither > 0 nor < 0);
    # ∂/∂b = a^b · ln a for a > 0; at a = 0, 0 for b ≥ 0 and a^b · (−∞) otherwise; NaN below.
    zero_or_nan = both(negate(cmp(a, ">", 0.0)), negate(cmp(a, "<", 0.0)))
    d_a = where(both(cmp(b, "==", 0.0), zero_or_nan), 0.0, b * a ** (b - 1))
    at_zero = where(cmp(b, ">=", 0.0), 0.0, out * -math.inf)
    d_b = where(cmp(a, ">", 0.0), out * call("log", a), where(cmp(a, "==", 0.0), at_zero, NAN))
    return [d_a, d_b]


def _integer(c) -> bool:
    return c.__class__ is float and c.is_integer()


# fmt: off
TEMPLATES: list[tuple[Op, Template]] = [
    (OPS["relu"], Template(
        forward=lambda a: where(cmp(a, "<=", 0.0), 0.0, a),
        partials=lambda a, out: [_relu_slope(a)],
        gated=lambda g, a: where(cmp(a, ">", 0.0), g, where(cmp(a, "<=", 0.0), 0.0, NAN)))),
    (OPS["abs"], Template(partials=lambda a, out: [_sign(a)])),
    (OPS["leaky_relu"], Template(
        forward=lambda a, s: where(cmp(a, ">", 0.0), a, s * sym(a)),
        partials=lambda a, s, out: [where(cmp(a, ">", 0.0), 1.0, s),
                                    where(cmp(a, ">", 0.0), 0.0, a)])),
    (OPS["pow"], Template(forward=lambda a, c: _power(a, c, _integer(c)))),
    (OPS["rpow"], Template(forward=lambda c, b: _power(c, b, c.__class__ is float and c > 0))),
    (OPS["powv"], Template(forward=lambda a, b: _power(a, b, False), partials=_powv_partials)),
    (OPS["sigmoid"], Template(array_forward=lambda a: call("sigmoid", a))),
    (OPS["softplus"], Template(array_forward=lambda a: call("softplus", a))),
    (OPS["logsumexp"], Template(array_forward=lambda *xs: call("logsumexp", *xs),
                                array_partials="softmax")),
]
# fmt: on


def template_of(op: Op) -> Template | None:
    """The template of this Op object (identity, not name)."""
    return next((t for o, t in TEMPLATES if o is op), None)


def is_table_op(op: Op) -> bool:
    return OPS.get(op.name) is op


def _derived_forward(op: Op, args: list):
    if op.forward in FUNCTIONS:
        return call(FUNCTIONS[op.forward], *args)
    if not PLAIN_SUM and (op is OPS["sum"] or op is OPS["dot"]):
        raise Branches("compensated sum")
    return sym(op.forward(*args))


def _derived_partials(op: Op, args: list, out: Sym) -> list[Sym]:
    if not PLAIN_SUM and (op is OPS["sum"] or op is OPS["dot"]):
        raise Branches("compensated sum")
    ds = op.partials(*args, out)
    if len(ds) != len(args):
        raise Branches("wrong number of partials")  # the engine's arity error, via the call
    return [sym(d) for d in ds]


def _try(fn: Callable, *args):
    try:
        return fn(*args)
    except (Branches, TypeError, ArithmeticError, ValueError):
        # a rule that reads a number, or that cannot run on symbols: call it instead
        return None


def node_code(op: Op, args: list, out: Sym, array: bool, fn_name: str, line: int,
              line_sym: Sym | None = None) -> NodeCode:
    """The code of one node: ``args`` are its operands (Syms for nodes, floats for constants),
    ``out`` the node's own name, ``fn_name`` the name the op's own functions get in the code
    and ``line`` the source line (for errors from those calls on arrays); ``line_sym``, if
    given, stands for the line instead (a placeholder, for code made once per kind of node)."""
    t = template_of(op)
    table = is_table_op(op)
    forward = partials = None
    if t is not None and array and t.array_forward is not None:
        forward = t.array_forward(*args)
    elif t is not None and t.forward is not None:
        forward = t.forward(*args)
    elif table:
        forward = _try(_derived_forward, op, args)
    if t is not None and t.partials is not None:
        partials = t.partials(*args, out)
    elif table and not (array and t is not None and t.array_partials):
        partials = _try(_derived_partials, op, args, out)
    # on arrays the op's own functions report each example's error to ``dom``
    extra = (name("dom"), line_sym if line_sym is not None else name(str(int(line)))) \
        if array else ()
    if forward is None:
        forward = call(fn_name, *extra, *args)
    partials_call = None
    if partials is None:
        fn = t.array_partials if array and t is not None and t.array_partials else \
            f"{fn_name}_partials"
        partials_call = call(fn, *(() if fn == "softmax" else extra), *args, out)
    return NodeCode(forward, partials, partials_call, t.gated if t is not None else None)


# --- names the code calls ----------------------------------------------------------------------
def float_namespace() -> dict:
    """The functions the table's rules call, as the rules call them (standard library only)."""
    return {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
            "sin": math.sin, "cos": math.cos, "abs": abs, "sigmoid": _ops.sigmoid,
            "pow_": OPS["pow"].forward, "inf": math.inf, "nan": math.nan}


def _python_max(np, xs):
    """Python's max over operands, per example: the first unless a later one is greater (so
    a NaN first stays, a NaN later is passed over), as the table's max() does."""
    m = xs[0]
    for x in xs[1:]:
        m = np.where(x > m, x, m)
    return m


def array_namespace() -> dict:
    """NumPy's elementwise functions, and the array templates of ops whose rule branches."""
    import numpy as np

    def sigmoid(a):  # the table's two branches (a ≥ 0, else), so exp never overflows
        return np.where(a >= 0, 1.0 / (1.0 + np.exp(-a)), np.exp(a) / (1.0 + np.exp(a)))

    def softplus(a):  # max(a, 0) + log1p(e^−|a|), Python's max: NaN stays NaN
        return np.where(0.0 > a, 0.0, a) + np.log1p(np.exp(-np.abs(a)))

    def fsum(terms):  # math.fsum per example: the table's exactly rounded sum
        cols = np.broadcast_arrays(*terms)
        return np.array([math.fsum(c) for c in zip(*[np.ravel(c) for c in cols])]) \
            .reshape(cols[0].shape)

    def logsumexp(*xs):
        m = _python_max(np, xs)
        total = fsum([np.exp(x - m) for x in xs])
        # the table's rule: an infinite max is the result, unless an operand is NaN
        any_nan = np.logical_or.reduce(np.broadcast_arrays(*[np.isnan(x) for x in xs]))
        return np.where(np.isinf(m), np.where(any_nan, np.nan, m), m + np.log(total))

    def softmax(*xs_out):  # logsumexp's partials: shifted by the max, or e^(x − out)
        xs, out = xs_out[:-1], xs_out[-1]
        m = _python_max(np, xs)
        es = [np.exp(x - m) for x in xs]
        total = es[0]
        for e in es[1:]:
            total = total + e
        return tuple(np.where(np.isfinite(m), e / total, np.exp(x - out))
                     for x, e in zip(xs, es, strict=True))

    def tanh(a):  # NumPy's tanh differs from math.tanh in the last bit on many points
        if np.ndim(a) == 0:
            return math.tanh(a)
        return np.fromiter(map(math.tanh, a.ravel().tolist()), float, a.size).reshape(a.shape)

    def pow_(a, b):  # NumPy takes x ** 0.5 as sqrt: −0.0 and NaN where Python gives 0.0 and inf
        r = np.power(a, b)
        return np.where(b == 0.5, np.where(a == -math.inf, math.inf, r + 0.0), r)

    ns = {name: getattr(np, name) for name in ("exp", "log", "sqrt", "sin", "cos",
                                               "isinf", "isfinite", "floor", "logical_not",
                                               "where", "abs")}
    ns.update(tanh=tanh, sigmoid=sigmoid, softplus=softplus, logsumexp=logsumexp, softmax=softmax,
              pow_=pow_, inf=math.inf, nan=math.nan)
    return ns


def vectorized(fn: Callable, outputs: int, partials: bool = False) -> Callable:
    """An op's own float function made elementwise over arrays: ``(dom, line, *args)``; an
    example where it raises gets NaN, and ``dom`` is told which examples those were. With
    ``partials``, a tuple of ``outputs`` arrays (even of one)."""
    import numpy as np

    def apply(dom, line, *args):
        arrays = np.broadcast_arrays(*map(np.asarray, args))
        shape = arrays[0].shape
        rows, bad = [], []
        for xs in zip(*[a.ravel().tolist() for a in arrays]):
            try:
                r = fn(*xs)
                rows.append(tuple(r) if partials else r)
                bad.append(False)
            except (ArithmeticError, ValueError):
                rows.append((NAN,) * outputs if partials else NAN)
                bad.append(True)
        dom(np.array(bad, dtype=bool).reshape(shape), line)
        if not partials:
            return np.array(rows, dtype=float).reshape(shape)
        cols = np.array(rows, dtype=float).reshape((*shape, outputs))
        return tuple(np.moveaxis(cols, -1, 0))

    return apply
