"""Every entry of the op table, checked automatically: adding an op adds its tests.

For each op we sample points inside its domain (rejecting points where the forward rule or
its derivative is undefined, and points near a kink), then compare the table's partials
with central differences (gradcheck) and the second derivatives obtained by differentiating
the partials themselves (gradgradcheck).
"""

import inspect
import math
import random

import pytest

from autograd import OPS, DomainError, Value, gradcheck, gradgradcheck
from autograd.ops import Op

NARY_ARITY = {"dot": 4}  # a variadic op is tested with this many operands (default 3)


def arity(op: Op) -> int:
    params = inspect.signature(op.partials).parameters.values()
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return NARY_ARITY.get(op.name, 3)
    return len(params) - 1  # the last parameter is the op's output


def sample_points(op: Op, count: int, seed: int = 0) -> list[list[float]]:
    """Points where the op and its first and second derivatives are defined and smooth."""
    rng = random.Random(seed)
    n = arity(op)
    points = []
    for _ in range(2000):
        xs = [rng.choice([-1, 1]) * rng.uniform(0.2, 2.0) for _ in range(n)]
        vs = [x if i in op.constants else Value(x) for i, x in enumerate(xs)]
        try:
            out = op(*vs)
            out.backward()
        except DomainError:
            continue
        if not math.isfinite(out.data):
            continue
        points.append(xs)
        if len(points) == count:
            return points
    raise AssertionError(f"could not find {count} points in the domain of {op.name}")


def as_function(op: Op, point: list[float]):
    """f(Values for the non-constant operands) -> op applied with the constants in place."""
    variable = [i for i in range(len(point)) if i not in op.constants]

    def f(*vs):
        args = list(point)
        for i, v in zip(variable, vs):
            args[i] = v
        return op(*args)

    return f, [point[i] for i in variable]


@pytest.mark.parametrize("name", sorted(OPS))
def test_first_derivatives_match_central_differences(name):
    op = OPS[name]
    for point in sample_points(op, 6):
        f, inputs = as_function(op, point)
        assert gradcheck(f, inputs)


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives_match_central_differences(name):
    op = OPS[name]
    for point in sample_points(op, 3, seed=1):
        f, inputs = as_function(op, point)
        assert gradgradcheck(f, inputs, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_is_documented_with_its_math(name):
    assert OPS[name].doc, f"op {name} has no doc string giving its math"


def test_constant_positions_refuse_values():
    with pytest.raises(TypeError, match="pow: operand 1 must be a number"):
        OPS["pow"](Value(2.0), Value(3.0))


def test_reference_figures_from_the_course():
    x = Value(0.0)
    x.sigmoid().backward()
    assert x.grad == 0.25  # σ′(0) = 1/4
    y = Value(0.0)
    y.tanh().backward()
    assert y.grad == 1.0  # tanh′(0) = 1
    # L = ½(y − z)² gives δ_out = ∂L/∂z = z − y
    z, target = Value(0.7), 0.2
    (0.5 * (target - z) ** 2).backward()
    assert z.grad == pytest.approx(0.7 - 0.2, abs=1e-15)
    # tanh′ = 1 − tanh² = 1/cosh²
    w = Value(0.8)
    w.tanh().backward()
    assert w.grad == pytest.approx(1 / math.cosh(0.8) ** 2, rel=1e-14)
