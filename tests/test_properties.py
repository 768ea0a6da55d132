"""Property-based suite (issue 12): random DAGs over every op, constants of every numeric type
on both sides, nested transformations through closures; first and second order against
central differences always, and against PyTorch float64 (torch.autograd, torch.func) where
torch is installed.

One program is run three ways: on dagrad Values, on torch 0-d float64 tensors, and on plain
floats (through dagrad under no_grad) for the central differences. Seeded and derandomised
(see conftest.py's profiles); the whole file runs in well under a minute.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, grad, gradients, hessian, jvp, no_grad, value_and_grad

try:
    import numpy
except ImportError:  # numpy is a test extra; without it the suite uses Python's numbers only
    numpy = None
try:
    import torch
except ImportError:
    torch = None

NEEDS_TORCH = pytest.mark.skipif(torch is None, reason="torch is not installed")

# Constants of every numeric type dagrad accepts, on either side of an operator.
CONSTANTS = [2, -1, True, 0.75, -1.5, Fraction(1, 3), Fraction(-5, 4)]
if numpy is not None:
    CONSTANTS += [numpy.float64(0.5), numpy.float32(-0.25), numpy.int64(3)]

# Each step: (op, i, j, k, constant index, constant on the left?) over earlier nodes i, j, k.
UNARY = ["tanh", "sigmoid", "sin", "cos", "softplus", "exp", "relu", "abs", "neg", "leaky",
         "sqrt", "log", "square", "cube", "rpow", "powv"]
BINARY = ["add", "sub", "mul", "div", "sum3", "dot", "lse", "cadd", "csub", "cmul", "cdiv"]
OPS = UNARY + BINARY

steps = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6),
        st.integers(0, len(CONSTANTS) - 1), st.booleans(),
    ),
    min_size=1, max_size=10,
)
points = st.lists(st.floats(min_value=-1.5, max_value=1.5), min_size=2, max_size=3)
pairs = st.lists(st.floats(min_value=-1.5, max_value=1.5), min_size=2, max_size=2)


class Lib:
    """The ops a program uses, for one kind of number (dagrad Values or torch tensors)."""

    def __init__(self, torch_mode: bool) -> None:
        self.t = torch_mode

    def const(self, c):
        return float(c) if self.t else c  # dagrad takes every kind as is; torch wants floats

    def unary(self, name, a):
        if name in ("tanh", "sigmoid", "sin", "cos", "exp", "relu", "abs", "sqrt", "log"):
            return getattr(torch, name)(a) if self.t else getattr(a, name)()
        if name == "softplus":
            return torch.nn.functional.softplus(a) if self.t else a.softplus()
        if name == "leaky":
            return torch.nn.functional.leaky_relu(a, 0.1) if self.t else a.leaky_relu(0.1)
        raise KeyError(name)

    def lse(self, xs):
        return torch.logsumexp(torch.stack(xs), 0) if self.t else autograd.logsumexp(xs)

    def sum(self, xs):
        return torch.stack(xs).sum() if self.t else autograd.sum(xs)

    def dot(self, ws, xs, bias):
        if self.t:
            return (torch.stack(ws) * torch.stack(xs)).sum() + bias
        return autograd.dot(ws, xs, bias=bias)


def run(program, xs, lib: Lib):
    """Run the program on the inputs xs; any step may reuse any earlier node (a DAG)."""
    nodes = list(xs)
    for name, i, j, k, ci, left in program:
        a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        const = lib.const(CONSTANTS[ci])
        nodes.append(step(lib, name, a, b, c, const, left))
    return nodes[-1]


def step(lib: Lib, name, a, b, c, const, left):  # noqa: C901 - one branch per op, a table
    u = lib.unary
    if name in ("sqrt", "log"):  # on a positive operand: softplus(a) + 0.2
        return u(name, u("softplus", a) + 0.2)
    if name in ("neg", "square", "cube"):
        return {"neg": lambda: -a, "square": lambda: a * a, "cube": lambda: a**3}[name]()
    if name == "rpow":
        return 2.0**a
    if name == "powv":  # a positive base to a Value power
        return (u("sigmoid", a) + 0.5) ** b
    if name in UNARY:
        return u(name, a)
    simple = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
              "div": lambda: a / (u("sigmoid", b) + 1.5)}
    if name in simple:
        return simple[name]()
    if name == "sum3":
        return lib.sum([a, b, c])
    if name == "dot":
        return lib.dot([a, b], [c, a], 0.5)
    if name == "lse":
        return lib.lse([a, b, c])
    if name == "cdiv":  # divide by a nonzero constant, or the constant by (1.5 + σ(a))
        return a / (const if float(const) else 3) if not left else const / (u("sigmoid", a) + 1.5)
    ops = {"cadd": lambda p, q: p + q, "csub": lambda p, q: p - q, "cmul": lambda p, q: p * q}
    return ops[name](const, a) if left else ops[name](a, const)


KINKS = {"relu", "abs", "leaky"}


def well_behaved(program, point, for_torch: bool = False) -> bool:
    """Reject programs whose values grow large (central differences lose accuracy where high
    derivatives are huge) or that evaluate a kink (relu, abs) near its corner.

    ``for_torch`` also rejects a Value power with an exponent of exactly 0: there PyTorch's
    pow backward masks ∂/∂a to 0 with ``where``, so its second derivative in the exponent is
    0, where dagrad (and central differences) give the true value."""
    with no_grad():
        nodes = [Value(v) for v in point]
        for name, i, j, k, ci, left in program:
            if name in KINKS and abs(nodes[i % len(nodes)].data) < 0.05:
                return False
            if for_torch and name == "powv" and nodes[j % len(nodes)].data == 0.0:
                return False
            nodes.append(step(Lib(False), name, *(nodes[n % len(nodes)] for n in (i, j, k)),
                              CONSTANTS[ci], left))
            if not abs(nodes[-1].data) < 30.0:
                return False
    return True


def function(program):
    return lambda *xs: run(program, xs, Lib(False))


def numeric(f, point, h=1e-6):
    """Central differences of a float-valued f (evaluated with dagrad under no_grad)."""
    result = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        result.append((f(*up) - f(*down)) / (2 * h))
    return result


def value_of(f):
    def g(*xs):
        with no_grad():
            out = f(*[Value(x) for x in xs])
        return out.data if isinstance(out, Value) else float(out)

    return g


def grads_at(f, point):
    xs = [Value(v) for v in point]
    return gradients(f(*xs), xs)


def close(a, b, tol=1e-4):
    return abs(a - b) <= tol * (1 + abs(b))


@settings(max_examples=60)
@given(steps, points)
def test_first_and_second_order_against_central_differences(program, point):
    assume(well_behaved(program, point))
    f = function(program)
    xs = [Value(v) for v in point]
    out = f(*xs)
    assert type(out.data) is float
    analytic = gradients(out, xs)
    assert all(type(g) is float for g in analytic)
    for a, n in zip(analytic, numeric(value_of(f), point)):
        assert close(a, n), (a, n)
    # second order: the Hessian against central differences of the analytic gradient
    h = hessian(f)(*point)

    def analytic_grad(*p, j):
        vs = [Value(v) for v in p]
        return gradients(f(*vs), vs)[j]

    for j in range(len(point)):
        col = numeric(lambda *p, j=j: analytic_grad(*p, j=j), point)
        for i in range(len(point)):
            assert close(h[i][j], col[i], 1e-3), (i, j, h[i][j], col[i])


@settings(max_examples=40)
@given(steps, pairs)
def test_nested_transformations_through_closures(program, point):
    """d/dy [∂f/∂x at (x, y)] through closures equals the Hessian's mixed entry, and the
    tangent of jvp and the value of value_and_grad are differentiable too."""
    assume(well_behaved(program, point))
    f = function(program)
    x0, y0 = point
    rest = ()

    def inner_grad(y):
        return grad(lambda x: f(x, y))(x0)

    mixed = grad(inner_grad)(y0)
    h = hessian(f)(*point)
    assert type(mixed) is float and close(mixed, h[0][1], 1e-6), (mixed, h[0][1])
    via_jvp = grad(lambda y: jvp(lambda x: f(x, y, *rest), [x0], [1.0])[1])(y0)
    assert close(via_jvp, h[0][1], 1e-6)
    via_value = grad(lambda y: value_and_grad(lambda x: f(x, y, *rest))(x0)[0])(y0)
    assert close(via_value, grads_at(f, point)[1], 1e-9)
    # and by backward through a captured Value
    y = Value(y0)
    g = grad(lambda x: f(x, y, *rest))(x0)
    if isinstance(g, Value):
        g.backward()
    assert close(y.grad, h[0][1], 1e-6)


@NEEDS_TORCH
@settings(max_examples=60)
@given(steps, points)
def test_first_and_second_order_against_torch_float64(program, point):
    assume(well_behaved(program, point, for_torch=True))
    f = function(program)
    value, grads = value_and_grad(f, argnums=tuple(range(len(point))))(*point)
    h = hessian(f)(*point)

    def tf(*ts):
        return run(program, ts, Lib(True))

    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = tf(*ts)
    assert close(value, out.item(), 1e-12)
    tg = torch.autograd.grad(out, ts, allow_unused=True)
    for a, b in zip(grads, tg):
        assert close(a, 0.0 if b is None else b.item(), 1e-9)
    th = torch.autograd.functional.hessian(
        lambda v: tf(*v.unbind()), torch.tensor(point, dtype=torch.float64)
    )
    for i in range(len(point)):
        for j in range(len(point)):
            assert close(h[i][j], th[i][j].item(), 1e-8), (i, j, h[i][j], th[i][j].item())


@NEEDS_TORCH
@settings(max_examples=30)
@given(steps, pairs)
def test_nested_grad_against_torch_func(program, point):
    assume(well_behaved(program, point, for_torch=True))
    f = function(program)
    rest = ()
    mixed = grad(lambda y: grad(lambda x: f(x, y, *rest))(point[0]))(point[1])

    def tf(x, y):
        return run(program, [x, y, *(torch.tensor(r, dtype=torch.float64) for r in rest)],
                   Lib(True))

    from torch.func import grad as tgrad

    expected = tgrad(lambda y: tgrad(lambda x: tf(x, y))(torch.tensor(point[0],
                     dtype=torch.float64)))(torch.tensor(point[1], dtype=torch.float64))
    assert close(mixed, expected.item(), 1e-8)


@NEEDS_TORCH
def test_gradient_penalty_against_torch_func():
    from torch.func import grad as tgrad

    def penalty(w):
        return (0.5 * w) ** 2 + grad(lambda x: (w * x).tanh())(0.5) ** 2

    def tpenalty(w):
        return (0.5 * w) ** 2 + tgrad(lambda x: torch.tanh(w * x))(torch.tensor(0.5,
                                      dtype=torch.float64)) ** 2

    expected = tgrad(tpenalty)(torch.tensor(0.7, dtype=torch.float64)).item()
    assert grad(penalty)(0.7) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.1918377845608026, rel=1e-12)


@settings(max_examples=40)
@given(st.sampled_from(CONSTANTS), st.floats(min_value=0.1, max_value=2.0))
def test_constants_of_every_type_give_float_data_and_float_gradients(c, v):
    x = Value(v)
    outs = [x + c, c + x, x - c, c - x, x * c, c * x, x**c, (c if float(c) > 0 else 2) ** x]
    if float(c):
        outs += [x / c, c / x]
    total = autograd.sum(outs)
    total.backward()
    assert all(type(o.data) is float for o in outs) and type(x.grad) is float
    expected = numeric(lambda t: sum(
        [t + float(c), float(c) + t, t - float(c), float(c) - t, t * float(c), float(c) * t,
         t ** float(c), (float(c) if float(c) > 0 else 2.0) ** t]
        + ([t / float(c), float(c) / t] if float(c) else [])
    ), [v])[0]
    assert close(x.grad, expected)


def test_nan_propagates_through_every_unary_op():
    for name in ("tanh", "sigmoid", "sin", "cos", "softplus", "exp", "relu", "abs"):
        x = Value(math.nan)
        y = getattr(x, name)()
        assert math.isnan(y.data), name
        y.backward()
        assert math.isnan(x.grad), name
