"""grad, value_and_grad, jvp, hessian: JAX-style transformations, nested to any order."""

import math

import pytest

from autograd import Value, grad, hessian, jvp, no_grad, value_and_grad


def test_grad_of_a_python_function():
    assert grad(lambda a: a.sin() * a)(0.5) == pytest.approx(math.sin(0.5) + 0.5 * math.cos(0.5))


def test_higher_order_any_depth():
    f = lambda a: a**3
    assert grad(grad(f))(2.0) == 12.0
    assert grad(grad(grad(f)))(2.0) == 6.0
    assert grad(grad(grad(grad(f))))(2.0) == 0.0
    # d⁴/dx⁴ sin = sin
    assert grad(grad(grad(grad(lambda a: a.sin()))))(0.7) == pytest.approx(math.sin(0.7))
    # d²/dx² tanh = -2 tanh (1 - tanh²)
    t = math.tanh(0.3)
    assert grad(grad(lambda a: a.tanh()))(0.3) == pytest.approx(-2 * t * (1 - t * t))


def test_argnums_and_value_and_grad():
    f = lambda x, y: x * y + y.exp()
    assert grad(f, argnums=1)(2.0, 0.0) == 3.0
    value, (gx, gy) = value_and_grad(f, argnums=(0, 1))(2.0, 0.0)
    assert (value, gx, gy) == (1.0, 0.0, 3.0)


def test_returns_floats_for_numbers_and_values_when_nested():
    assert type(grad(lambda a: a * a)(3.0)) is float
    x = Value(3.0)
    g = grad(lambda a: a * a)(x)
    assert isinstance(g, Value) and g.data == 6.0


def test_constant_function_has_zero_gradient():
    assert grad(lambda a: 5.0)(1.0) == 0.0


def test_no_perturbation_confusion():
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1  (Siskind & Pearlmutter's example)
    f = lambda x: x * grad(lambda y: x + y)(1.0)
    assert grad(f)(2.0) == 1.0


def test_jvp_is_the_directional_derivative():
    f = lambda x, y: x * y.sin()
    value, tangent = jvp(f, [2.0, 0.5], [1.0, 3.0])
    assert value == 2.0 * math.sin(0.5)
    assert tangent == pytest.approx(math.sin(0.5) * 1.0 + 2.0 * math.cos(0.5) * 3.0)


def test_hessian_of_a_quadratic_form_and_a_mixed_function():
    h = hessian(lambda x, y: 3 * x * x + 2 * x * y + y * y)(1.0, -2.0)
    assert h == [[6.0, 2.0], [2.0, 2.0]]
    x, y = 0.4, 1.3
    h = hessian(lambda a, b: (a * b).exp())(x, y)
    e = math.exp(x * y)
    expected = [[y * y * e, e * (1 + x * y)], [e * (1 + x * y), x * x * e]]
    for row, erow in zip(h, expected):
        assert row == pytest.approx(erow, rel=1e-12)


# --- issue 12: whether a transformation records follows from what f depends on ---------------
def central(f, x, h=1e-5):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_nested_grad_sees_the_variable_captured_from_the_outer_grad():
    # JAX and torch.func: d/dy [d/dx (x·y)] = d/dy y = 1
    assert grad(lambda y: grad(lambda x: x * y)(1.0))(3.0) == 1.0


def gradient_penalty(w):
    """(0.5w)² + (∂/∂x tanh(wx) at x = 0.5)², a WGAN-GP-style loss."""
    slope = grad(lambda x: (w * x).tanh())(0.5)
    return (0.5 * w) ** 2 + slope**2


def plain_penalty(w: float) -> float:
    t = math.tanh(0.5 * w)
    return (0.5 * w) ** 2 + (w * (1 - t * t)) ** 2


def test_gradient_penalty_matches_central_differences():
    expected = central(plain_penalty, 0.7)
    assert expected == pytest.approx(1.1918377845608026, rel=1e-8)
    assert grad(gradient_penalty)(0.7) == pytest.approx(expected, rel=1e-8)
    value, slope = value_and_grad(gradient_penalty)(0.7)
    assert value == pytest.approx(plain_penalty(0.7)) and slope == pytest.approx(expected)


def test_gradient_penalty_through_backward_on_a_captured_weight():
    w = Value(0.7)
    gradient_penalty(w).backward()
    assert w.grad == pytest.approx(central(plain_penalty, 0.7), rel=1e-8)


def test_differentiating_through_value_and_grad_jvp_and_hessian():
    # value of value_and_grad: d/dy (2y) = 2
    assert grad(lambda y: value_and_grad(lambda x: x * y)(2.0)[0])(3.0) == 2.0
    # jvp tangent: d/dy (2·x·y at x = 2) = 4
    assert grad(lambda y: jvp(lambda x: x * x * y, [2.0], [1.0])[1])(3.0) == 4.0
    # hessian entry: d/dy (6·x·y at x = 2) = 12
    assert grad(lambda y: hessian(lambda x: x * x * x * y)(2.0)[0][0])(3.0) == 12.0


def test_results_are_floats_unless_something_outside_is_differentiated():
    assert type(grad(lambda x: x * x)(3.0)) is float
    assert type(value_and_grad(lambda x: x.sin())(3.0)[0]) is float
    w = Value(2.0)
    g = grad(lambda x: x * w)(3.0)
    assert isinstance(g, Value) and g.data == 2.0
    g.backward()
    assert w.grad == 1.0  # d/dw (∂(xw)/∂x) = 1


def test_nested_grad_does_not_confuse_a_finished_inner_variable_with_an_outer_one():
    # the inner grad's result is recorded (it depends on w); the outer result is a float
    # since nothing outside the outer grad is differentiated
    assert type(grad(gradient_penalty)(0.7)) is float


def test_transforms_inside_no_grad_compute_true_derivatives():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert value_and_grad(lambda x: x * x)(3.0) == (9.0, 6.0)
        assert hessian(lambda x: x * x * x)(2.0) == [[12.0]]
        assert jvp(lambda x: x * x, [3.0], [1.0]) == (9.0, 6.0)
        assert grad(lambda y: grad(lambda x: x * y)(1.0))(3.0) == 1.0
        x = Value(3.0)
        g = grad(lambda a: a * a)(x)
        assert g.data == 6.0 and g.is_leaf()  # not recorded: outside, nothing is differentiated


def test_hessian_of_a_constant_is_zero():
    assert hessian(lambda x, y: 5.0)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: grad(lambda x: x)(), "called with 0 argument"),
        (lambda: grad(lambda x: x, argnums=1)(2.0), "argnums=1"),
        (lambda: grad(lambda x: x, argnums="0"), "argnums must be an int"),
        (lambda: grad(3.0), "needs a function"),
        (lambda: grad(lambda x: [x, x])(2.0), "must return a scalar"),
        (lambda: grad(lambda x: x)("2"), "argument 0 must be a real number"),
        (lambda: jvp(lambda x: x, [1.0], [1.0, 2.0]), "one tangent per primal"),
        (lambda: jvp(lambda x: x, 1.0, 1.0), "primals must be a list"),
        (lambda: hessian(lambda x: x)(), "no arguments"),
    ],
)
def test_transformations_name_the_mistake(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_a_function_returning_a_captured_leaf_keeps_it():
    w = Value(2.0)
    value, g = value_and_grad(lambda x: w)(1.0)
    assert value is w and float(g) == 0.0
    value, tangent = jvp(lambda x: w * x, [3.0], [1.0])
    value.backward()
    assert w.grad == 3.0 and float(tangent) == 2.0


# --- issue 22 item 4: a Value made inside f is a constant, not an outer variable -----------
def test_a_constant_value_made_inside_f_gives_a_float():
    import json

    g = grad(lambda a: a * a + Value(3.0))(2.0)
    assert type(g) is float and g == 4.0
    assert json.dumps(g) == "4.0"
    value, g = value_and_grad(lambda a: a * Value(5.0, label="k") + a.detach())(2.0)
    assert (type(value), type(g)) == (float, float) and (value, g) == (12.0, 5.0)
    primal, tangent = jvp(lambda a: a * Value(2.0), [1.5], [1.0])
    assert (type(primal), type(tangent)) == (float, float) and tangent == 2.0
    h = hessian(lambda a, b: a * b * Value(2.0))(1.0, 1.0)
    assert h == [[0.0, 2.0], [2.0, 0.0]] and all(type(x) is float for row in h for x in row)


def test_a_model_built_inside_f_is_part_of_f():
    import nn

    def f(x):
        model = nn.MLP(1, [3, 1], seed=0)  # its weights are made inside f: constants
        return model([x])

    g = grad(f)(0.3)
    assert type(g) is float
    eps = 1e-6
    assert g == pytest.approx((f(0.3 + eps).data - f(0.3 - eps).data) / (2 * eps), rel=1e-6)


def test_nested_with_constants_inside_still_differentiates_the_outer_variable():
    # the inner grad's constant Value(1.0) is made inside the outer f too: the outer result
    # is a float; y is the outer variable, so the inner result is recorded for the outer grad
    r = grad(lambda y: grad(lambda x: x * y + Value(1.0) * x)(1.0) * Value(2.0))(3.0)
    assert type(r) is float and r == 2.0

    def f(a):
        with no_grad():  # a leaf made by an op under no_grad inside f is a constant too
            c = Value(2.0) * 3.0
        return a * c
    assert type(grad(f)(1.0)) is float and grad(f)(1.0) == 6.0


def test_a_real_outer_variable_still_gives_a_recorded_value_usable_as_a_number():
    w = Value(2.0)
    r = grad(lambda x: w * x * Value(10.0))(1.0)
    assert isinstance(r, Value) and float(r) == 20.0 and r.item() == 20.0
    assert f"{r:.1f}" == "20.0"
    r.backward()
    assert w.grad == 10.0  # the result reaches w: d/dw (10 w) = 10
