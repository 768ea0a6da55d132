"""The emitters derived from the op table, checked against the table itself: every op's code
(derived, or a template where the rule branches) on floats and on NumPy arrays, at ordinary
and edge points (0, ±0, NaN, ±inf, ±1e308, denormals, large exponents): the same bits where
the table returns, and, where it raises, the same on floats and a flagged example on arrays."""

import itertools
import math
import random

import pytest

from autograd import OPS
from autograd.compiled import symbolic
from autograd.compiled.emit import (
    TEMPLATES,
    array_namespace,
    float_namespace,
    node_code,
    template_of,
    vectorized,
)
from autograd.compiled.symbolic import Branches, Sym, call, name, raises

np = pytest.importorskip("numpy")

EDGE = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, math.nan, math.inf, -math.inf, 1e308, -1e308,
        5e-324, -5e-324, 2.2250738585072014e-308, 710.0, -710.0, 2.0**60 + 1.0, -37.0, 1e-8, 1.5]


def same(a, b) -> bool:
    """Bit for bit, up to NaN payloads: NaN and NaN, or equal with the same sign."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def table(fn, *args):
    try:
        return float(fn(*args)) if not isinstance(r := fn(*args), tuple) else tuple(map(float, r))
    except (ArithmeticError, ValueError):
        return "raises"


def operand_sets(op_name):
    """Operand tuples of every table op: all pairs of edge points for two operands."""
    op = OPS[op_name]
    if op_name in ("sum", "logsumexp"):
        rng = random.Random(op_name)
        return [tuple(rng.choice(EDGE) for _ in range(k)) for k in (1, 2, 3) for _ in range(120)]
    if op_name == "dot":
        rng = random.Random(op_name)
        return [tuple(rng.choice(EDGE) for _ in range(2 * k)) for k in (1, 2) for _ in range(150)]
    arity = 2 if op.constants or op_name in ("add", "sub", "mul", "div", "powv", "leaky_relu") \
        else 1
    return list(itertools.product(EDGE, repeat=arity))


def symbols(op, args):
    return [x if i in op.constants else name(f"a{i}") for i, x in enumerate(args)]


def float_eval(op, args):
    """(forward, partials) from the emitted float code, 'raises' where it raises."""
    syms = symbols(op, args)
    nc = node_code(op, syms, name("out"), False, "op_k", 1)
    ns = {**float_namespace(), "op_k": op.forward, "op_k_partials": op.partials,
          **{f"a{i}": x for i, x in enumerate(args)}}
    try:
        out = eval(nc.forward.code(False), ns)  # noqa: S307 - our own generated code
    except (ArithmeticError, ValueError):
        return "raises", None
    ns["out"] = out
    if nc.partials is None:
        ds = table(op.partials, *args, out)
        return out, ds
    ds = []
    for i, d in enumerate(nc.partials):
        if i in op.constants:
            ds.append(0.0)
            continue
        try:
            ds.append(float(eval(d.code(False), ns)))  # noqa: S307
        except (ArithmeticError, ValueError):
            return out, "raises"
    return out, tuple(ds)


@pytest.mark.parametrize("op_name", sorted(OPS))
def test_float_code_of_every_op_is_the_table_at_edge_points(op_name):
    op = OPS[op_name]
    for args in operand_sets(op_name):
        want = table(op.forward, *args)
        got, ds = float_eval(op, args)
        if want == "raises":
            assert got == "raises", (op_name, args, got)
            continue
        assert same(got, want), (op_name, args, got, want)
        want_ds = table(op.partials, *args, want)
        if want_ds == "raises":
            assert ds == "raises", (op_name, args, ds)
            continue
        assert ds != "raises", (op_name, args, want_ds)
        for i, (d, w) in enumerate(zip(ds, want_ds)):
            if i not in op.constants:
                assert same(d, w), (op_name, args, i, d, w)


def array_eval(op, args_list, const):
    """Forward and partials on arrays (one element per operand tuple), and the examples the
    code flags as 'the engine raises here'."""
    n = len(args_list)
    cols = [np.array([a[i] for a in args_list]) for i in range(len(args_list[0]))]
    syms = symbols(op, const)
    nc = node_code(op, syms, name("out"), True, "op_k", 1)
    bad = np.zeros(n, dtype=bool)

    def dom(mask, line):
        bad[:] |= np.broadcast_to(np.asarray(mask, dtype=bool), (n,))

    ns = {**array_namespace(), "dom": dom, "op_k": vectorized(op.forward, 1),
          "op_k_partials": vectorized(op.partials, len(cols), partials=True),
          **{f"a{i}": c for i, c in enumerate(cols)}}
    with np.errstate(all="ignore"):
        out = np.broadcast_to(eval(nc.forward.code(True), ns), (n,))  # noqa: S307
        fwd_bad = bad.copy()
        for m in [raises(nc.forward)]:
            if m is not None:
                fwd_bad |= np.broadcast_to(eval(m.code(True), ns), (n,))  # noqa: S307
        ns["out"] = out
        exprs = nc.partials if nc.partials is not None else None
        if exprs is None:
            all_ds = eval(nc.partials_call.code(True), ns)  # noqa: S307
            ds = [np.broadcast_to(d, (n,)) for d in all_ds]
        else:
            ds = [np.broadcast_to(eval(d.code(True), ns), (n,)) for d in exprs]  # noqa: S307
            for d in exprs:
                m = raises(d)
                if m is not None:
                    bad |= np.broadcast_to(eval(m.code(True), ns), (n,))  # noqa: S307
    return out, ds, fwd_bad, bad | fwd_bad


@pytest.mark.parametrize("op_name", sorted(OPS))
def test_array_code_of_every_op_is_the_table_or_flags_the_example(op_name):
    op = OPS[op_name]
    groups: dict = {}
    for args in operand_sets(op_name):  # one array per arity and constant pattern
        key = (len(args), tuple(repr(args[i]) for i in op.constants))
        groups.setdefault(key, []).append(args)
    for rows in groups.values():
        out, ds, fwd_bad, bad = array_eval(op, rows, rows[0])
        for k, args in enumerate(rows):
            want = table(op.forward, *args)
            if want == "raises":
                assert fwd_bad[k], (op_name, args)
                continue
            assert not fwd_bad[k] and same(float(out[k]), want), (op_name, args, out[k], want)
            want_ds = table(op.partials, *args, want)
            if want_ds == "raises":
                assert bad[k], (op_name, args)
                continue
            assert not bad[k], (op_name, args)
            for i, w in enumerate(want_ds):
                if i not in op.constants:
                    assert same(float(ds[i][k]), w), (op_name, args, i, ds[i][k], w)


def test_templates_only_where_the_rule_branches():
    """A template exists only for ops whose forward or partials read a number to choose."""
    for op, _ in TEMPLATES:
        syms = [1.5 if i in op.constants else name(f"a{i}") for i in range(2)]
        arity = 1 if op.name in ("relu", "abs", "sigmoid", "softplus") else 2
        syms = syms[:arity]
        branches = False
        for fn, extra in ((op.forward, ()), (op.partials, (name("out"),))):
            try:
                r = fn(*syms, *extra)
                if isinstance(r, Sym) and op.name in ("pow", "rpow", "powv"):
                    branches = True  # a**b on floats can be complex: the table checks its type
            except (Branches, TypeError):
                branches = True
        assert branches, op.name
    assert template_of(OPS["add"]) is None and template_of(OPS["tanh"]) is None


def test_a_comparison_never_picks_a_branch():
    x = name("x")
    for attempt in (lambda: x > 0, lambda: bool(x), lambda: float(x), lambda: x.data,
                    lambda: max(x, 0.0), lambda: round(x), lambda: f"{x:.2f}"):
        with pytest.raises(Branches):
            attempt()


def test_symbolic_prints_python_and_numpy():
    x, y = name("x"), name("y")
    e = symbolic.where(symbolic.cmp(x, ">", 0.0), x * (y - 1.0), -x ** 2.0)
    assert e.code(False) == "x * (y - 1.0) if x > 0.0 else -x ** 2.0"
    assert e.code(True) == "where(x > 0.0, x * (y - 1.0), -pow_(x, 2.0))"
    assert (x - (y + 1.0)).code(False) == "x - (y + 1.0)"
    assert call("exp", -x).code(False) == "exp(-x)"


def test_float_raises_facts_match_python():
    """FLOAT_RAISES against Python's own float operations, on every pair of edge points."""
    x, y = name("x"), name("y")
    cases = {"/": (x / y, lambda a, b: a / b), "**": (x ** y, lambda a, b: a ** b),
             "exp": (call("exp", x), lambda a, b: math.exp(a)),
             "log": (call("log", x), lambda a, b: math.log(a)),
             "sqrt": (call("sqrt", x), lambda a, b: math.sqrt(a)),
             "sin": (call("sin", x), lambda a, b: math.sin(a)),
             "cos": (call("cos", x), lambda a, b: math.cos(a)),
             "log1p": (call("log1p", x), lambda a, b: math.log1p(a))}
    pairs = list(itertools.product(EDGE, repeat=2))
    ns = {**array_namespace(), "log1p": np.log1p, "x": np.array([p[0] for p in pairs]),
          "y": np.array([p[1] for p in pairs])}
    for op, (expr, py) in cases.items():
        with np.errstate(all="ignore"):
            mask = eval(raises(expr).code(True), ns)  # noqa: S307
        for k, (a, b) in enumerate(pairs):
            try:
                r = py(a, b)
                fails = isinstance(r, complex)  # the table's pow refuses a complex result
            except (ArithmeticError, ValueError):
                fails = True
            assert bool(mask[k]) == fails, (op, a, b)
