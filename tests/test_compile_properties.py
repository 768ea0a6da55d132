"""Compile floats, compile batch (per example, ``reduce=None``) and the engine on random graphs
of every table op, at ordinary points and at edge points (0, −0, NaN, ±inf, ±1e308,
denormals, large exponents): the same numbers bit for bit where the engine returns, and
DomainError where it raises (the batch: raised, or NaN for exactly those examples with
``errors="nan"``).

A few seconds by default; ``DAGRAD_COMPILE_PROPERTY=2000 pytest tests/test_compile_properties.py``
runs that many random graphs."""

import math
import os
import random
from unittest import mock

import pytest

import autograd
from autograd import OPS, DomainError, Value
from autograd.compiled import grouped

np = pytest.importorskip("numpy")

EDGE = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -5e-324,
        2.2250738585072014e-308, 710.0, -710.0, 2.0**60, 1.0, -1.0, 0.5]
EXPONENTS = [2.0, 3.0, 0.5, -1.5, 0.0, -1.0, 1.0]
BASES = [2.0, 0.5, 0.0, -2.0, 1.0]

STEP = {
    "add": lambda a, b, c, k: a + b, "sub": lambda a, b, c, k: a - b,
    "mul": lambda a, b, c, k: a * b, "div": lambda a, b, c, k: a / b,
    "neg": lambda a, b, c, k: -a, "pow": lambda a, b, c, k: a ** EXPONENTS[k % 7],
    "rpow": lambda a, b, c, k: BASES[k % 5] ** a, "powv": lambda a, b, c, k: a ** b,
    "abs": lambda a, b, c, k: abs(a), "exp": lambda a, b, c, k: a.exp(),
    "log": lambda a, b, c, k: a.log(), "sqrt": lambda a, b, c, k: a.sqrt(),
    "tanh": lambda a, b, c, k: a.tanh(), "sigmoid": lambda a, b, c, k: a.sigmoid(),
    "relu": lambda a, b, c, k: a.relu(),
    "leaky_relu": lambda a, b, c, k: a.leaky_relu((0.1, 0.0, -0.5)[k % 3]),
    "sin": lambda a, b, c, k: a.sin(), "cos": lambda a, b, c, k: a.cos(),
    "softplus": lambda a, b, c, k: a.softplus(),
    "sum": lambda a, b, c, k: autograd.sum([a, b, c][:1 + k % 3]),
    "dot": lambda a, b, c, k: autograd.dot([a, b], [c, a], bias=0.5 if k % 2 else None),
    "logsumexp": lambda a, b, c, k: autograd.logsumexp([a, b, c][:1 + k % 3]),
}


def test_every_table_op_is_drawn():
    assert set(STEP) == set(OPS)


def random_program(rng: random.Random, n_inputs: int):
    ops = sorted(STEP)
    return [(rng.choice(ops), rng.randrange(10**6), rng.randrange(10**6), rng.randrange(10**6),
             rng.randrange(60)) for _ in range(rng.randint(1, 8))], n_inputs


def build(program, xs):
    steps, _ = program
    nodes = list(xs)
    for name, i, j, k, m in steps:
        pick = nodes[-3:] if m % 2 else nodes  # recent nodes more often: deeper graphs
        a, b, c = pick[i % len(pick)], pick[j % len(pick)], pick[k % len(pick)]
        nodes.append(STEP[name](a, b, c, m))
    return nodes[-1]


def engine(program, point):
    """(value, grads) of the engine, or 'raises' (DomainError in forward or backward)."""
    vs = [Value(x) for x in point]
    try:
        y = build(program, vs)
        y.backward()
    except DomainError:
        return "raises"
    return y.data, [v.grad for v in vs]


def same(a, b) -> bool:
    a, b = float(a), float(b)
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def points(rng: random.Random, n: int, count: int) -> list[list[float]]:
    out = []
    for k in range(count):
        if k % 2:
            out.append([rng.choice(EDGE) for _ in range(n)])
        else:
            out.append([rng.uniform(-3, 3) for _ in range(n)])
    return out


def check_program(program, rng) -> int:
    n = program[1]
    trace = [rng.uniform(0.2, 2.0) for _ in range(n)]
    if engine(program, trace) == "raises":
        return 0
    fn = autograd.compile(lambda v: build(program, v), trace)
    pts = points(rng, n, 12)
    wants = [engine(program, p) for p in pts]
    for p, want in zip(pts, wants):
        if want == "raises":
            with pytest.raises(DomainError):
                fn(p)
            continue
        value, grads = fn(p)
        assert same(value, want[0]), (program, p, value, want)
        assert all(same(g, w) for g, w in zip(grads, want[1])), (program, p, grads, want)
    values, grads = fn.batch(np.array(pts), reduce=None, errors="nan")
    for k, want in enumerate(wants):
        if want == "raises":
            assert math.isnan(values[k]) and np.isnan(grads[k]).all(), (program, pts[k])
            continue
        assert same(values[k], want[0]), (program, pts[k], values[k], want)
        assert all(same(g, w) for g, w in zip(grads[k], want[1])), (program, pts[k], grads[k])
    if "raises" in wants:
        with pytest.raises(DomainError, match="example"):
            fn.batch(np.array(pts), reduce=None)
    check_grouped(fn, program, pts, wants)
    return 1


def close(a, b) -> bool:
    """The same number up to summation order (and NumPy's tanh): equal, both NaN, or within
    1e-12 relative."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def check_grouped(fn, program, pts, wants) -> None:
    """The grouped replay: the engine's numbers up to summation order, its errors."""
    values, grads = fn.batch(np.array(pts), reduce=None, errors="nan", grouped=True)
    for k, want in enumerate(wants):
        if want == "raises":
            assert math.isnan(values[k]) and np.isnan(grads[k]).all(), (program, pts[k])
            continue
        assert close(values[k], want[0]), (program, pts[k], values[k], want, fn.grouped_source)
        assert all(close(g, w) for g, w in zip(grads[k], want[1])), \
            (program, pts[k], grads[k], want, fn.grouped_source)
    if "raises" in wants:
        with pytest.raises(DomainError, match="example"):
            fn.batch(np.array(pts), reduce=None, grouped=True)
    with mock.patch.object(grouped, "LONG_PROGRAM", 0):  # run a statement at a time: the same
        fn._grouped.clear()
        again = fn.batch(np.array(pts), reduce=None, errors="nan", grouped=True)
    fn._grouped.clear()
    assert np.array_equal(values, again[0], equal_nan=True), (program, fn.grouped_source)
    assert np.array_equal(grads, again[1], equal_nan=True), (program, fn.grouped_source)


def run(count: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    done = 0
    for _ in range(count):
        done += check_program(random_program(rng, rng.randint(1, 3)), rng)
    return done


def test_random_graphs_compiled_float_batch_and_engine_agree_at_edge_points():
    count = int(os.environ.get("DAGRAD_COMPILE_PROPERTY", "60"))
    assert run(count) > count // 3  # most programs trace at an ordinary point
