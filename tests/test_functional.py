"""grad, value_and_grad, jvp, hessian: JAX-style transformations, nested to any order."""

import math

import pytest

from autograd import Value, grad, hessian, jvp, value_and_grad


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
