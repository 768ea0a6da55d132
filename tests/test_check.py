"""gradcheck and friends, including the meta-test: a wrong derivative rule is caught."""

import math

import pytest

from autograd import GradcheckError, Op, Value, count_ops, gradcheck, gradgradcheck, numeric_grad


def test_numeric_grad_is_central_differences():
    f = lambda x, y: x * x * y
    assert numeric_grad(f, [3.0, 2.0]) == pytest.approx([12.0, 9.0], rel=1e-8)
    with count_ops() as c:
        numeric_grad(f, [3.0, 2.0])
    assert c.passes["numeric"] == 4  # two evaluations per input


def test_gradcheck_passes_on_a_correct_engine():
    f = lambda x, y: (x * y + x.exp()).tanh() / (1 + x**2)
    assert gradcheck(f, [2.0, -3.0])
    assert gradgradcheck(f, [2.0, -3.0])


def test_a_wrong_first_derivative_is_caught_with_a_readable_report():
    wrong_sin = Op("wrong_sin", math.sin, lambda a, out: (math.sin(a),))  # should be cos
    x = Value(0.3, label="x")
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda v: wrong_sin(v) * 2, [x])
    text = str(e.value)
    assert "1 of 1 derivatives disagree" in text
    assert "x" in text and "mismatch" in text
    assert f"{2 * math.sin(0.3):.6e}" in text and f"{2 * math.cos(0.3):.6e}" in text
    assert isinstance(e.value, AssertionError)  # pytest shows it as a failed assert
    assert gradcheck(lambda v: wrong_sin(v), [0.3], raise_exception=False) is False


def test_a_rule_that_is_not_differentiable_is_caught_by_the_second_order_check():
    # The first derivative is right, but computing it on floats hides it from the graph:
    # create_graph sees a constant, so second derivatives come out 0.
    opaque_sin = Op("opaque_sin", math.sin, lambda a, out: (math.cos(float(a)),))
    f = lambda v: opaque_sin(v)
    assert gradcheck(f, [0.4])
    with pytest.raises(GradcheckError, match="gradgradcheck failed"):
        gradgradcheck(f, [0.4])


def test_inputs_may_be_values_and_keep_their_labels():
    a = Value(1.5, label="a")
    bad = Op("bad_square", lambda t: t * t, lambda t, out: (t,))
    with pytest.raises(GradcheckError, match=r"\n\s+a\s"):
        gradcheck(lambda v: bad(v), [a])


# --- issue 12 ----------------------------------------------------------------------------------
def test_gradcheck_inside_no_grad_checks_the_true_gradient():
    from autograd import no_grad

    with no_grad():
        assert gradcheck(lambda x: x * x.sin(), [0.7])
        assert gradgradcheck(lambda x: x * x.sin(), [0.7])


@pytest.mark.parametrize("kwargs, match", [
    ({"eps": 0}, "eps must be a positive"),
    ({"eps": -1e-6}, "eps must be a positive"),
    ({"eps": float("nan")}, "eps must be a positive"),
    ({"atol": -1.0}, "atol must be a non-negative"),
    ({"rtol": "big"}, "rtol must be"),
])
def test_gradcheck_names_bad_tolerances(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gradcheck(lambda x: x * x, [1.0], **kwargs)


def test_gradcheck_names_a_non_scalar_function_and_bad_inputs():
    with pytest.raises(TypeError, match="must return a scalar"):
        gradcheck(lambda x: [x], [1.0])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a number"):
        gradcheck(lambda x, y: x * y, [1.0, "2"])
