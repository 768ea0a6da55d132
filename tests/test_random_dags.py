"""Property-based tests: random expression DAGs, with reuse, against numeric gradients."""

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import DomainError, Value, gradcheck, gradients

UNARY = ["tanh", "sigmoid", "sin", "cos", "softplus", "exp", "relu", "abs", "neg", "square"]
BINARY = ["add", "sub", "mul", "div", "sum3", "dot2", "lse2"]

steps = st.lists(
    st.tuples(
        st.sampled_from(UNARY + BINARY),
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=10**6),
        st.integers(min_value=0, max_value=10**6),
    ),
    min_size=1,
    max_size=14,
)
inputs = st.lists(st.floats(min_value=-1.5, max_value=1.5), min_size=1, max_size=4)


def build(program, xs):
    """Run the program on leaves xs; every step may reuse any earlier node (a DAG)."""
    nodes = list(xs)
    for name, i, j, k in program:
        a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        if name == "square":
            out = a * a
        elif name == "neg":
            out = -a
        elif name == "abs":
            out = abs(a)
        elif name in UNARY:
            out = getattr(a, name)()
        elif name == "add":
            out = a + b
        elif name == "sub":
            out = a - b
        elif name == "mul":
            out = a * b
        elif name == "div":
            out = a / (1.5 + b.sigmoid())
        elif name == "sum3":
            out = autograd.sum([a, b, c])
        elif name == "dot2":
            out = autograd.dot([a, b], [c, a], bias=0.5)
        else:
            out = autograd.logsumexp([a, b])
        nodes.append(out)
    return nodes[-1]


def smooth_enough(program, values):
    """Reject graphs with large values (central differences lose accuracy where third
    derivatives are huge, e.g. nested exp) or an input near a kink of relu/abs."""
    try:
        nodes_out = build(program, [Value(v) for v in values])
    except (DomainError, OverflowError):
        return False
    order = autograd.topological_order(nodes_out)
    if any(not math.isfinite(n.data) or abs(n.data) > 100 for n in order):
        return False
    return all(abs(n.parents[0].data) > 1e-3 for n in order if n.op in ("relu", "abs"))


@settings(max_examples=300)
@given(program=steps, values=inputs)
def test_random_dag_gradients_match_numeric(program, values):
    assume(smooth_enough(program, values))
    assert gradcheck(lambda *vs: build(program, vs), values, atol=1e-5, rtol=1e-3)


@settings(max_examples=300)
@given(program=steps, values=inputs)
def test_backward_gradients_and_forward_mode_agree(program, values):
    assume(smooth_enough(program, values))
    xs = [Value(v) for v in values]
    y = build(program, xs)
    y.backward()
    via_backward = [x.grad for x in xs]
    # The same leaf may appear several times in xs only if hypothesis repeats values; the
    # Values are distinct objects, so each has its own gradient.
    assert gradients(y, xs) == via_backward
    for x, g in zip(xs, via_backward):
        tangent = autograd.forward_tangents(y, {x: 1.0}).get(y, 0.0)
        assert math.isclose(tangent, g, rel_tol=1e-9, abs_tol=1e-12)
