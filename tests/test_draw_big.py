"""Any graph draws: folding chosen from the size, monotone, bounded; hostile labels."""

from __future__ import annotations

import re
import shutil

import pytest
from draw_graphs import chain, full_batch_loss, point_loss, svg_size_px

from autograd import Value
from autograd.draw import draw_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is missing")


def _size(src: str) -> tuple[int, int]:
    nodes = len(re.findall(r"^\t\t*\w+ \[label=", src, re.M))
    edges = len(re.findall(r"->", src))
    return nodes, edges


def test_a_1e5_chain_folds_by_default_and_says_how_to_draw_all():
    g = draw_dot(chain(100_000))
    nodes, _ = _size(g.source)
    assert nodes < 20
    assert "draw_dot(..., max_nodes=None) draws all 300001" in g.caption


def test_full_batch_loss_folds_to_layers_and_a_chain_group():
    g = draw_dot(full_batch_loss())
    src = g.source
    assert "layers.0<BR/>" in src and "run on 80 examples" in src
    assert "80 × (mul, sub, relu)" in src  # the 80 per-example hinge chains, merged
    assert "×20480" in src  # parallel edges between summaries merged, with their count
    nodes, edges = _size(src)
    assert nodes <= 80 and edges <= 160


def test_folding_is_monotone_and_bounds_edges():
    _, loss = point_loss()
    sizes = []
    for m in (8, 16, 30, 50, 80, 120, 200):
        nodes, edges = _size(draw_dot(loss, max_nodes=m).source)
        assert nodes <= m + 1 and edges <= 2 * m + 2, (m, nodes, edges)
        sizes.append((nodes, edges))
    assert [n for n, _ in sizes] == sorted(n for n, _ in sizes)


def test_copies_of_a_neuron_are_told_apart():
    net, _ = point_loss()
    n = net.layers[0].neurons[3]
    out = n([0.1, 0.2]) + n([0.3, 0.4])
    src = draw_dot(out, max_nodes=None).source
    assert "<B>z[0]</B>" in src and "<B>z[1]</B>" in src


@needs_dot
def test_control_characters_in_labels_do_not_break_dot():
    a = Value(1.0, "\x1b[31mred\x1b[0m")
    b = Value(2.0, "car\rriage\x00nul")
    out = a * b
    out.label = "tab\tand\x7f"
    g = draw_dot(out, caption="caption \x1b[1m bold", edge_labels="local")
    svg = g.pipe(format="svg", encoding="utf-8")
    assert "␛[31mred" in svg and "car␍riage␀nul" in svg
    assert svg_size_px(svg)[0] > 0
