"""Code written the way micrograd's lecture teaches it, run against dagrad's Value unchanged.

The lecture walks ``v._prev`` to draw the graph, names nodes ``str(id(n)) + n._op``, and
backpropagates by hand: a topological sort over ``_prev``, the root's grad set to 1, then
``node._backward()`` in reverse. Each must work on dagrad Values and agree with ``backward()``.
"""

import math
import random

import graphviz
import pytest

from autograd import Value


# --- the lecture's code, as a student types it (ruff: noqa kept to its own style) -------------
def trace(root):
    nodes, edges = set(), set()

    def build(v):
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                build(child)

    build(root)
    return nodes, edges


def draw_dot(root):
    dot = graphviz.Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(root)
    for n in nodes:
        uid = str(id(n))
        dot.node(name=uid, label="{ data %.4f | grad %.4f }" % (n.data, n.grad), shape="record")  # noqa: UP031
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for n1, n2 in edges:
        dot.edge(str(id(n1)), str(id(n2)) + n2._op)
    return dot


def manual_backward(root):
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(root)
    root.grad = 1.0
    for node in reversed(topo):
        node._backward()


# --------------------------------------------------------------------------------------------
def lecture_expression():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    return [x1, x2, w1, w2, b], o


def test_prev_is_the_set_of_value_operands_and_op_a_string():
    a = Value(2.0)
    y = a * 3.0 + a  # 3.0 is a constant kept inside the node, not a graph node
    assert y._prev == {y.operands[0], a}
    assert all(isinstance(p, Value) for p in y._prev)
    assert y._op == "add" and a._op == ""
    assert (a * 3.0)._prev == {a}


def test_the_lecture_picture_helper_draws_a_dagrad_graph():
    _, o = lecture_expression()
    o.backward()
    nodes, edges = trace(o)
    assert len(nodes) == 14 and len(edges) == 14  # 3.0, 1 and 2 stay inside their nodes
    dot = draw_dot(o)
    assert "grad 1.0000" in dot.source and "label=tanh" not in dot.source
    assert dot.source.count("shape=record") == len(nodes)


def test_manual_topological_sort_and_backward_give_backward_s_gradients():
    leaves, o = lecture_expression()
    manual_backward(o)
    by_hand = [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    o.backward()
    assert by_hand == [v.grad for v in leaves]
    assert math.isclose(leaves[0].grad, -1.5, rel_tol=1e-6)  # the lecture's x1.grad


def test_backward_of_a_leaf_is_a_no_op():
    a = Value(1.0)
    a.grad = 2.0
    a._backward()
    assert a.grad == 2.0


# --- micrograd's nn API and its demo's training loop ------------------------------------------
def demo_training(Value, MLP, X, y, steps):  # noqa: N803 - the demo's own names
    """micrograd's demo.ipynb loop as a student types it; returns the losses and accuracy."""
    random.seed(1337)
    model = MLP(2, [16, 16, 1])  # 2-layer neural network

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    for k in range(steps):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append(total_loss.data)
    return model, history, acc


def moons(n):
    import nn

    X, y01 = nn.data.make_moons(n, noise=0.1, seed=0)
    return X, nn.data.to_pm1(y01)


def test_the_demo_loop_runs_on_dagrad_and_follows_micrograd_step_for_step():
    pytest.importorskip("micrograd", reason="micrograd (the test extra) is the oracle here")
    from micrograd import engine as mg_engine
    from micrograd import nn as mg_nn

    import nn

    X, y = moons(16)
    ours, our_losses, _ = demo_training(Value, nn.MLP, X, y, steps=6)
    theirs, their_losses, _ = demo_training(mg_engine.Value, mg_nn.MLP, X, y, steps=6)
    # random.seed(1337) gives dagrad the very weights micrograd draws, so the runs agree
    assert len(ours.parameters()) == len(theirs.parameters()) == 337
    for a, b in zip(our_losses, their_losses, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9)
    assert our_losses[-1] < our_losses[0]


def test_the_demo_loop_trains_dagrad_to_95_percent():
    import nn

    X, y = moons(40)
    _, losses, acc = demo_training(Value, nn.MLP, X, y, steps=50)
    assert losses[-1] < 0.2 * losses[0] and acc >= 0.95


def test_micrograd_nn_api_neuron_layer_mlp():
    pytest.importorskip("micrograd", reason="micrograd (the test extra) is the oracle here")
    from micrograd import nn as mg_nn

    import nn

    for build in (lambda m: m.Neuron(3), lambda m: m.Neuron(3, nonlin=False),
                  lambda m: m.Layer(3, 2, nonlin=False), lambda m: m.MLP(3, [4, 4, 1])):
        random.seed(5)
        ours = build(nn)
        random.seed(5)
        theirs = build(mg_nn)
        assert [p.data for p in ours.parameters()] == [p.data for p in theirs.parameters()]
        x = [0.5, -1.0, 2.0]
        mine, want = ours(x), theirs(x)
        if isinstance(want, list):
            assert [v.data for v in mine] == pytest.approx([v.data for v in want], rel=1e-12)
        else:
            assert isinstance(mine, Value)
            assert mine.data == pytest.approx(want.data, rel=1e-12)
    n = nn.Neuron(2, nonlin=False)
    assert n.activation == "linear" and len(n.w) == 2 and n.b.data == 0.0
    assert nn.Layer(2, 3).neurons[0].nin == 2
    assert nn.MLP(2, [3, 1]).layers[1].activation == "linear"
    with pytest.raises(ValueError, match="not both"):
        nn.Neuron(2, "tanh", nonlin=True)


def test_random_seed_makes_unseeded_layers_repeatable_and_seed_still_works():
    import nn

    random.seed(42)
    a = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    random.seed(42)
    b = [p.data for p in nn.MLP(2, [4, 1]).parameters()]
    assert a == b
    random.seed(42)
    state = random.getstate()
    c = [p.data for p in nn.MLP(2, [4, 1], seed=7).parameters()]
    assert random.getstate() == state  # seed= draws from its own generator
    assert c == [p.data for p in nn.MLP(2, [4, 1], seed=7).parameters()] != a
    rng = random.Random(3)
    assert [p.data for p in nn.MLP(2, [4, 1], rng=rng).parameters()] != a
