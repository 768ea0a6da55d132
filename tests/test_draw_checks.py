"""Forward-mode pictures, the wrong-rule checker and the NaN origin."""

from __future__ import annotations

import math

import pytest
from draw_graphs import lecture, notebook4_f

import autograd
from autograd import Op, Value
from autograd.draw import check_rules, draw_anomaly, draw_dot, draw_rule_check


def test_tangents_shown_instead_of_gradients():
    f = notebook4_f()
    x1 = next(n for n in autograd.topological_order(f) if n.label == "x1")
    src = draw_dot(f, tangents={x1: 1.0}).source
    t = autograd.forward_tangents(f, {x1: 1.0})
    assert f"tangent {t[f]:.4g}" in src and "tangent 1<" in src
    assert ">grad " not in src  # the boxes show tangents, not gradients


def test_tangent_for_a_node_not_in_the_graph_is_a_clear_error():
    with pytest.raises(ValueError, match="'z' is not a node of the graph"):
        draw_dot(lecture(), tangents={Value(1.0, "z"): 1.0})


def test_a_user_op_with_a_wrong_partial_is_found_and_drawn_red():
    wrong_sin = Op("wrong_sin", math.sin, lambda a, out: (math.sin(a),))  # should be cos
    x = Value(0.7, "x")
    y = wrong_sin(x * 2.0)
    y.label = "y"
    out = y * y + x
    out.label = "out"
    bad = check_rules(out)  # the node carries its own Op (Value.rule): nothing to register
    assert [b.node for b in bad] == [y]
    assert bad[0].numeric == pytest.approx(math.cos(1.4), rel=1e-6)
    src = draw_rule_check(out).source
    assert "wrong rule at wrong_sin" in src
    y_line = next(line for line in src.splitlines() if "label='y'" in line)
    assert "#d7191c" in y_line


def test_stale_detection_covers_user_ops():
    double = Op("double", lambda a: 2 * a, lambda a, out: (2.0,))
    w = Value(0.5, "w")
    y = double(w)
    y.label = "y"
    out = y * 3.0
    out.label = "out"
    out.backward()
    assert "STALE" not in draw_dot(out).source
    w.data -= 0.1  # a step after the forward pass: y is no longer double(w)
    assert "STALE: 1 value(s) (y)" in draw_dot(out).source


def test_right_rules_pass_everywhere():
    assert check_rules(notebook4_f()) == []
    assert check_rules(lecture()) == []


def test_nan_origin_marked():
    x = Value(-1.0, "x")
    good = x * 3.0
    with pytest.raises(Exception):  # noqa: B017 - log(-3) is a DomainError in dagrad
        good.log()
    inf = Value(1e308, "big") * 10.0
    inf.label = "inf"
    out = inf - inf
    out.label = "out"
    src = draw_anomaly(out).source
    assert "first non-finite value" in src
    line = next(line for line in src.splitlines() if "label='inf'" in line)
    assert "#d7191c" in line


def test_stale_picture_says_so_and_greys_gradients():
    L = lecture()
    a = next(n for n in autograd.topological_order(L) if n.label == "a")
    assert "STALE" not in draw_dot(L).source
    a.data -= 0.01 * a.grad  # an optimiser step, no new forward pass
    g = draw_dot(L)
    assert "STALE: 1 value(s) (e)" in g.source
    assert "<S>grad " in g.source and ">grad " not in g.source.replace("<S>grad", "")


def test_gradients_follow_whether_a_backward_ran_not_the_root():
    L = lecture(backward=False)
    assert "grad –" in draw_dot(L).source  # no backward yet
    L.backward()
    L.grad = 0.0  # zeroing the root's gradient does not undo the backward
    src = draw_dot(L).source
    assert "grad –" not in src and "grad -4" in src


def test_anomaly_in_backward_is_located_and_drawn():
    a, b = Value(1e200, "a"), Value(1e-200, "b")
    c = a * b  # every value finite: c = 1
    c.label = "c"
    out = c * 1e200
    out.label = "out"
    with pytest.raises(autograd.AnomalyError), autograd.detect_anomaly():
        out.backward()  # the share 1e200 × a overflows to inf at c's op
    src = draw_anomaly(out).source
    assert "non-finite gradient first at mul (c)" in src
    line = next(line for line in src.splitlines() if "label='c'" in line)
    assert "#d7191c" in line


def test_explorer_contract_ids_and_text_order():
    import html
    import re
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is missing")
    L = lecture()
    g = draw_dot(L)
    order = autograd.topological_order(L)
    assert set(g.node_ids) == set(order)
    svg = g.pipe(format="svg", encoding="utf-8")
    for v in order:
        name = g.node_ids[v]
        part = svg.split(f'<g id="{name}" class="node">')[1].split('class="node"')[0]
        texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", part)]
        assert texts[-1] == f"grad {v.grad:.4g}" and texts[-2] == f"data {v.data:.4g}", texts
        if v.label:
            assert texts[0] == v.label
    assert "<title>v0&#45;&gt;v2op</title>" in svg


def test_forward_mode_tooltips_say_tangent_not_grad():
    f = notebook4_f()
    x1 = next(v for v in autograd.topological_order(f) if v.label == "x1")
    src = draw_dot(f, tangents={x1: 1.0}).source
    assert "tangent=1.0" in src and "grad=" not in src
