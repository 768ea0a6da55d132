"""The reverse sweep: ordering, reuse, repeated calls, depth, memory, modes."""

import gc
import math
import sys
import threading

import pytest

import autograd
from autograd import (
    AnomalyError,
    Value,
    backward_steps,
    count_ops,
    detect_anomaly,
    enable_grad,
    gradients,
    no_grad,
    topological_order,
)
from autograd.mode import is_grad_enabled


def test_topological_order_puts_operands_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for p in node.parents:
            assert pos[id(p)] < pos[id(node)]
    assert len(order) == 5  # each node once, however often it is used


def test_diamond_gradients_add():
    # x feeds y twice (via a and b): dy/dx = da/dx·∂y/∂a + db/dx·∂y/∂b
    x = Value(3.0, label="x")
    a = x * 2
    b = x * x
    y = a + b
    y.backward()
    assert x.grad == 2 + 2 * 3.0
    z = Value(2.0)
    w = z + z  # the same node twice in one op
    w.backward()
    assert z.grad == 2.0


def test_backward_twice_doubles_leaves_only():
    x = Value(2.0)
    h = x * x
    y = h * 3
    y.backward()
    assert (x.grad, h.grad, y.grad) == (12.0, 3.0, 1.0)
    y.backward()
    # leaves accumulate until zeroed (PyTorch semantics); inner nodes show the latest pass
    assert (x.grad, h.grad, y.grad) == (24.0, 3.0, 1.0)
    x.grad = 0.0
    y.backward()
    assert x.grad == 12.0


def test_upstream_gradient_scales_everything():
    x = Value(2.0)
    y = x.tanh()
    y.backward(gradient=3.0)
    assert x.grad == pytest.approx(3.0 * (1 - math.tanh(2.0) ** 2))
    assert y.grad == 3.0


def test_backward_on_a_leaf_and_through_constants():
    x = Value(2.0)
    x.backward()
    assert x.grad == 1.0
    y = autograd.sum([1.0, 2.0])  # a node with constant operands only
    y.backward()
    assert y.data == 3.0


def test_backward_needs_a_value():
    with pytest.raises(TypeError, match="backward needs a Value"):
        autograd.backward(3.0)


def test_a_million_node_chain_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x0 = x = Value(1.0)
    for _ in range(500_000):
        x = x * 1.0000001 + 0.0
    x.backward()
    assert len(topological_order(x)) == 1_000_001
    assert x0.grad == pytest.approx(1.0000001**500_000, rel=1e-9)
    del x  # the chain is freed by reference counting, one node after another, no recursion


def test_deep_chain_with_two_paths_per_level():
    # 2^60 paths from x to y: enumeration is hopeless, the cached sweep takes 180 steps.
    x = y = Value(1.0)
    for _ in range(60):
        y = y * 1.0 + y * 1.0  # two edges per level
        y = y * 0.5
    y.backward()
    assert x.grad == pytest.approx(1.0)


def test_dropped_graph_is_freed_by_reference_counting():
    gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        def live():
            return sum(1 for o in gc.get_objects() if type(o) is Value)

        before = live()
        xs = [Value(float(i)) for i in range(50)]
        y = autograd.sum(x.tanh() * x for x in xs) + xs[0] * xs[1]
        y.backward()
        assert live() - before > 100
        del xs, y
        assert live() == before  # no cycles: nothing waits for the cyclic collector
    finally:
        if was:
            gc.enable()


def test_no_grad_builds_leaves_and_nests_with_enable_grad():
    x = Value(2.0)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 3
        with enable_grad():
            z = x * 3
    assert is_grad_enabled()
    assert y.data == 6.0 and y.is_leaf() and y.op == ""
    assert z.parents == (x,)


def test_grad_mode_is_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def other():
        with no_grad():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=other)
    t.start()
    inside.wait(5)
    seen["main"] = is_grad_enabled()
    y = Value(1.0) * 2
    release.set()
    t.join()
    assert seen["main"] and not y.is_leaf()


def test_gradients_does_not_touch_grad():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x
    gx, gy = gradients(z, [x, y])
    assert (gx, gy) == (4.0, 2.0)
    assert (x.grad, y.grad, z.grad) == (0.0, 0.0, 0.0)
    unused = Value(1.0)
    assert gradients(z, [unused]) == [0.0]
    # several outputs with weights: d(2z + 3x)/dx
    assert gradients([z, x], [x], grad_outputs=[2.0, 3.0]) == [11.0]


def test_backward_with_create_graph_gives_differentiable_grads():
    x = Value(3.0)
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 27.0
    (d2,) = gradients(x.grad, [x])
    assert d2 == 18.0


def test_backward_steps_yields_final_adjoints_in_reverse_order():
    x = Value(2.0)
    a = x * x
    y = a + x
    steps = [(node, dict(adj)) for node, adj in backward_steps(y)]
    assert [n for n, _ in steps] == list(reversed(topological_order(y)))
    final = steps[-1][1]
    assert final[x] == 2 * 2.0 + 1
    # when a is processed, x has only its share from y so far (1.0), not yet a's
    at_a = next(adj for node, adj in steps if node is a)
    assert at_a[x] == 1.0 + 4.0
    at_y = steps[0][1]
    assert at_y[x] == 1.0 and at_y[a] == 1.0


def test_count_ops_counts_passes_and_products():
    xs = [Value(float(i)) for i in range(4)]
    y = autograd.sum(x * x for x in xs)  # 4 mul nodes (2 edges each) + 1 sum (4 edges)
    with count_ops() as c:
        y.backward()
        autograd.forward_tangents(y, {xs[0]: 1.0})
    assert c.passes == {"reverse": 1, "forward": 1}
    assert c.multiply_adds == {"reverse": 12, "forward": 12}


def test_forward_mode_matches_reverse_mode():
    x, y = Value(0.3), Value(-1.2)
    z = (x * y).sin() + x.exp() * y
    z.backward()
    tx = autograd.forward_tangents(z, {x: 1.0})
    ty = autograd.forward_tangents(z, {y: 1.0})
    assert tx[z] == pytest.approx(x.grad, rel=1e-14)
    assert ty[z] == pytest.approx(y.grad, rel=1e-14)


def test_detect_anomaly_names_the_op_and_line_in_forward():
    x = Value(1e200, label="big")
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"mul gave inf and produced it.*'big' = 1e\+200"
                           r".*test_backward\.py"):
            x * x  # line that made the node


def test_detect_anomaly_names_a_non_finite_operand():
    with detect_anomaly():
        with pytest.raises(AnomalyError, match="received the non-finite operand 'n' = nan"):
            Value(math.nan, label="n") + 1


def test_detect_anomaly_catches_non_finite_gradients_in_backward():
    x = Value(1e-160, label="tiny")
    with detect_anomaly():
        z = 1.0 / x  # 1e160 is finite, but its derivative -1/x² = -1e320 overflows
        with pytest.raises(AnomalyError, match="backward of div gave the non-finite gradient"):
            z.backward()


def test_backward_in_anomaly_mode_matches_the_fast_path():
    def build():
        x = Value(0.7)
        h = x.tanh()
        return x, (h * x + h.exp()) * h

    x1, y1 = build()
    y1.backward()
    x2, y2 = build()
    with detect_anomaly():
        y2.backward()
    assert x1.grad == x2.grad


# --- issue 12 ----------------------------------------------------------------------------------
def test_detect_anomaly_does_not_keep_nodes_alive():
    import weakref

    x = Value(0.5)
    with autograd.detect_anomaly():
        y = (x * 2.0).tanh()
        alive = weakref.ref(y)
        where = autograd.mode.STATE.anomaly.where(y)
        del y
        assert alive() is None  # freed at once, by reference counting
        assert "test_backward.py" in where


def test_detect_anomaly_still_names_the_line():
    x = Value(1e308)
    with autograd.detect_anomaly(), pytest.raises(autograd.AnomalyError, match="test_backward"):
        z = x * 10.0  # inf: the check fires inside the op
        del z


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda x: autograd.gradients(x * x, 3.0), "inputs"),
        (lambda x: autograd.gradients(x * x, [x, 3.0]), "item 1 is float"),
        (lambda x: autograd.gradients(x * x, x, grad_outputs=[1.0, 2.0]), "one grad_output"),
        (lambda x: autograd.gradients("loss", x), "outputs must be"),
        (lambda x: autograd.topological_order([x, 3]), "item 1 is int"),
        (lambda x: autograd.topological_order(3.0), "needs a Value or a list"),
        (lambda x: (x * x).backward(gradient=None), "gradient"),
        (lambda x: (x * x).backward(gradient="1"), "gradient"),
        (lambda x: autograd.local_derivatives(2.0), "needs a Value"),
        (lambda x: autograd.forward_tangents(x * x, [x]), "seeds must be a dict"),
        (lambda x: list(autograd.backward_steps([x, None])), "item 1"),
    ],
)
def test_the_sweep_names_bad_arguments(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call(Value(2.0))


def test_a_value_seed_with_create_graph():
    x = Value(3.0)
    s = Value(2.0)
    (x * x).backward(gradient=s, create_graph=True)
    assert x.grad.data == 12.0
    x.grad.backward()
    assert s.grad == 6.0


# --- the one chain-rule step, the one gate rule, the one "did backward run" -------------------
def test_shares_is_the_chain_rule_step_and_skips_constants():
    from autograd.sweep import shares

    a, b = Value(2.0, "a"), Value(-3.0, "b")
    m = a * b
    assert shares(m, 10.0) == [(a, -3.0, -30.0), (b, 2.0, 20.0)]
    c = a * 4.0  # the constant 4.0 is no node: no share for it
    assert shares(c, 1.0) == [(a, 4.0, 4.0)]
    assert shares(a, 1.0) == []  # a leaf pushes nothing


def test_a_zero_slope_gate_passes_nothing_even_an_infinite_gradient():
    import math

    from autograd.sweep import gated, shares

    z = Value(-1.0)
    r = z.relu()
    assert gated(r, 0.0) and not gated(r, 1.0)
    assert shares(r, math.inf) == []  # not inf × 0 = NaN
    t = z.tanh()
    assert not gated(t, 0.0)  # only gating ops gate
    u = Value(-1.0) * 0.0  # mul by 0 is arithmetic, not a gate: inf × 0 = NaN
    assert math.isnan(shares(u, math.inf)[0][2])


def test_backward_ran_asks_every_node_not_the_root():
    from autograd.sweep import backward_ran

    x = Value(0.5)
    y = (x * 3.0).tanh()
    assert not backward_ran(y) and not backward_ran(autograd.topological_order(y))
    y.backward()
    y.grad = 0.0  # the root zeroed: the inner gradients of that backward are still there
    assert backward_ran(y)
    g = Value(0.5)
    h = g * g
    h.backward(create_graph=True)
    for n in autograd.topological_order(h):
        if n.grad.__class__ is float:
            n.grad = 0.0
    assert backward_ran(h)  # a Value gradient counts as set
