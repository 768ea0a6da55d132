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


# --- issue 12: edges that gave wrong numbers or raw errors ----------------------------------
NAN, INF = math.nan, math.inf


def test_relu_of_nan_is_nan_with_a_nan_slope():
    x = Value(NAN)
    y = x.relu()
    assert math.isnan(y.data)
    y.backward()
    assert math.isnan(x.grad)


@pytest.mark.parametrize("create_graph", [False, True])
def test_an_infinite_upstream_through_relus_zero_slope_gives_zero(create_graph):
    x = Value(-1.0)
    y = x.relu()
    y.backward(gradient=INF, create_graph=create_graph)
    assert float(x.grad) == 0.0  # relu selects: ∂ = 0 passes nothing back (PyTorch too)
    z = Value(2.0)
    z.relu().backward(gradient=INF)
    assert z.grad == INF


def test_backward_steps_and_the_fast_path_agree_on_the_relu_gate():
    import autograd

    x = Value(-1.0)
    adjoints = {x.relu(): NAN}
    for _ in autograd.backward_steps(list(adjoints), adjoints):
        pass
    assert adjoints.get(x, 0.0) == 0.0


@pytest.mark.parametrize(
    "make, da, db",
    [
        (lambda a, b: a**b, 0.0, 0.0),  # 0 ** 2: ∂/∂a = 2·0 = 0, ∂/∂b = 0 (PyTorch)
        (lambda a, b: 0.0**b, None, 0.0),
        (lambda a, b: a**b, 12.0, NAN),  # (-2) ** 3: ∂/∂b = 8 · ln(−2): NaN (PyTorch)
    ],
)
def test_pow_at_zero_and_negative_bases_gives_finite_partials_where_they_exist(make, da, db):
    a, b = (Value(0.0), Value(2.0)) if da != 12.0 else (Value(-2.0), Value(3.0))
    make(a, b).backward()
    if da is not None:
        assert a.grad == da
    assert b.grad == db or (math.isnan(db) and math.isnan(b.grad))


def test_pow_second_order_at_zero_base():
    from autograd import hessian

    h = hessian(lambda a, b: a**b)(0.0, 2.0)
    assert h[0][0] == 2.0  # ∂²(a^b)/∂a² = b(b−1)a^(b−2) = 2


def test_overflow_in_pow_is_reported_as_overflow():
    with pytest.raises(DomainError, match="overflows") as info:
        Value(10.0) ** 400
    assert "needs a > 0" not in str(info.value)
    with pytest.raises(DomainError, match="overflows"):
        Value(10.0) ** Value(400.0)


def test_polymorphic_exp_on_a_float_raises_a_domain_error_not_a_raw_overflow():
    import autograd

    with pytest.raises(DomainError, match="overflows"):
        autograd.exp(1000.0)
    with pytest.raises(DomainError, match="log"):
        autograd.log(-1.0)


def test_logsumexp_second_order_above_two_to_the_53():
    from autograd import hessian, logsumexp

    u = 2.0**54
    first = autograd_grads(lambda a, b: logsumexp([a, b]), [u, u])
    assert first == [0.5, 0.5]
    h = hessian(lambda a, b: logsumexp([a, b]))(u, u)
    assert h == [[0.25, -0.25], [-0.25, 0.25]]  # softmax Jacobian p(1−p), −p·q


def autograd_grads(f, point):
    from autograd import gradients

    xs = [Value(v) for v in point]
    return gradients(f(*xs), xs)


@pytest.mark.parametrize("op", ["sin", "cos", "softplus", "exp", "tanh", "sigmoid"])
def test_numpy_scalars_in_data_never_leak_and_backward_works(op):
    numpy = pytest.importorskip("numpy")
    arr = numpy.array([0.5, 0.25])
    w = Value(1.0)
    w.data = arr[0]  # a numpy.float64 put straight into the slot
    y = getattr(w, op)() * w + arr[1]
    assert type(y.data) is float
    y.backward()
    assert type(w.grad) is float and type(w.data) is float


def test_numpy_scalars_as_operands_and_in_logsumexp():
    numpy = pytest.importorskip("numpy")
    from autograd import logsumexp

    for c in (numpy.float64(0.5), numpy.float32(0.5), numpy.int64(2)):
        x = Value(c)
        assert type(x.data) is float
        for y in (x + c, c - x, x * c, c / x, x**c, c**x):
            assert type(y.data) is float
    w = Value(0.0)
    w.data = numpy.float32(0.25)
    y = logsumexp([w, Value(0.5)])
    y.backward()
    assert type(y.data) is float and type(w.grad) is float


@pytest.mark.parametrize("n_operands, n_partials", [(2, 1), (2, 3), (3, 2), (1, 2)])
def test_an_op_whose_partials_have_the_wrong_length_is_named(n_operands, n_partials):
    bad = Op("bad", lambda *a: sum(a), lambda *a_out: (1.0,) * n_partials)
    xs = [Value(1.0) for _ in range(n_operands)]
    with pytest.raises(TypeError, match=f"returned {n_partials} derivative"):
        bad(*xs).backward()
    with pytest.raises(TypeError, match=f"returned {n_partials} derivative"):
        bad(*xs).backward(create_graph=True)


def test_powv_second_order_at_a_zero_exponent():
    # g(x) = (σ(x) + 0.5)^x: g''(0) = 2σ'(0) = 0.5 (found by tests/test_properties.py)
    from autograd import grad

    assert grad(grad(lambda x: (x.sigmoid() + 0.5) ** x))(0.0) == pytest.approx(0.5)


def test_the_relu_gate_holds_in_micrograds_backward_and_in_forward_mode():
    from autograd import forward_tangents, topological_order

    x = Value(-1.0)
    y = x.relu()
    y.grad = INF
    for node in reversed(topological_order(y)):
        node._backward()
    assert x.grad == 0.0
    assert forward_tangents(y, {x: INF})[y] == 0.0


def _same_float(a: float, b: float) -> bool:
    """Both NaN, the same infinity, or finite and equal to rounding."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return a == pytest.approx(b, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("xs", [
    [-math.inf, math.nan], [math.nan, -math.inf], [math.inf, math.nan],
    [-math.inf, math.inf, math.nan], [0.0, math.nan, math.inf], [1.0, math.nan],
])
def test_logsumexp_keeps_a_nan_beside_an_infinity(xs):
    """A NaN operand makes the result and every partial NaN (as PyTorch), whatever the
    maximum: the shift by an infinite maximum must not drop it."""
    from autograd import logsumexp
    vs = [Value(x) for x in xs]
    out = logsumexp(vs)
    out.backward()
    assert math.isnan(out.data)
    assert all(math.isnan(v.grad) for v in vs)


def test_logsumexp_inf_and_nan_mixes_agree_with_torch():
    """Every mix of ±∞, NaN and finite numbers (up to 3 operands): value and partials as
    torch.logsumexp in float64."""
    torch = pytest.importorskip("torch")
    import itertools

    from autograd import logsumexp
    pool = [-math.inf, math.inf, math.nan, 0.0, -2.5]
    for n in (1, 2, 3):
        for xs in itertools.product(pool, repeat=n):
            t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
            ty = torch.logsumexp(t, 0)
            ty.backward()
            vs = [Value(x) for x in xs]
            out = logsumexp(vs)
            out.backward()
            assert _same_float(out.data, ty.item()), xs
            for v, g in zip(vs, t.grad.tolist(), strict=True):
                assert _same_float(v.grad, g), xs


def _torch_and_ours(torch, f, xs):
    """(value, partials) of f at xs from torch float64 and from dagrad; ours None where
    dagrad raises DomainError (documented: where Python's math raises)."""
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ty = f(*ts)
    tg = [0.0 if g is None else g.item()
          for g in torch.autograd.grad(ty, ts, allow_unused=True)]
    from autograd import gradients
    vs = [Value(x) for x in xs]
    try:
        y = f(*vs)
        ours = (y.data, [float(g) for g in gradients(y, vs)])
    except DomainError:
        ours = None
    return (ty.item(), tg), ours


def test_inf_and_nan_operands_of_every_operator_agree_with_torch():
    """±∞, NaN, 0 and finite operands of + − × ÷ ** (Values or constants on either side),
    value and partials, as PyTorch float64 wherever dagrad gives a number (it raises
    DomainError where Python's math would: the error policy)."""
    torch = pytest.importorskip("torch")
    import itertools
    import operator

    pool = [-math.inf, math.inf, math.nan, 0.0, 1.0, -1.5, 2.0]
    ops = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
    for op, a, b in itertools.product(ops, pool, pool):
        for f, xs in ((op, [a, b]), (lambda x, op=op, b=b: op(x, b), [a]),
                      (lambda x, op=op, a=a: op(a, x), [b])):
            want, got = _torch_and_ours(torch, f, xs)
            if got is None:
                continue
            assert _same_float(got[0], want[0]), (op.__name__, xs, got, want)
            assert all(_same_float(g, w) for g, w in zip(got[1], want[1], strict=True)), (
                op.__name__, a, b, xs, got, want)
