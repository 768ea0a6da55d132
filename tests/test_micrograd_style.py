"""Code written the way micrograd's lecture teaches it, run against dagrad's Value unchanged.

The lecture walks ``v._prev`` to draw the graph, names nodes ``str(id(n)) + n._op``, and
backpropagates by hand: a topological sort over ``_prev``, the root's grad set to 1, then
``node._backward()`` in reverse. Each must work on dagrad Values and agree with ``backward()``.
"""

import math

import graphviz

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
