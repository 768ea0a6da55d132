"""The units view: layers as columns, units in index order in the RENDERED picture."""

from __future__ import annotations

import re
import shutil

import pytest
from draw_graphs import lecture, point_loss, smallest_text_px, svg_size_px

from autograd.draw import draw_dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is missing")


def _centres(svg: str) -> dict[str, tuple[float, float]]:
    """{node id: (x, y)} from the rendered SVG: the mean of each node's polygon/ellipse."""
    out = {}
    for part in re.split(r'(?=<g id="[^"]+" class="(?:node|edge)">)', svg):
        m = re.match(r'<g id="([^"]+)" class="node">', part)
        if m is None:
            continue
        name, body = m.group(1), part
        pts = re.search(r' (?:points|d)="([^"]+)"', body)
        if pts:
            nums = [float(v) for v in re.findall(r"-?[\d.]+", pts.group(1))]
            xy = list(zip(nums[::2], nums[1::2], strict=False))
        else:
            e = re.search(r'cx="([-\d.]+)" cy="([-\d.]+)"', body)
            if e is None:
                continue
            xy = [(float(e.group(1)), float(e.group(2)))]
        if not xy:
            continue
        out[name] = (sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy))
    return out


@needs_dot
def test_units_in_index_order_and_layers_as_columns_in_the_svg():
    _, loss = point_loss()
    svg = draw_dot(loss, view="units").pipe(format="svg", encoding="utf-8")
    at = _centres(svg)
    for li, n in ((0, 16), (1, 16), (2, 1)):
        ys = [at[f"l{li}u{j}"][1] for j in range(n)]
        assert ys == sorted(ys) and len(set(ys)) == n, f"layer {li} out of order: {ys}"
        xs = [at[f"l{li}u{j}"][0] for j in range(n)]
        assert max(xs) - min(xs) < 5, f"layer {li} is not one column: {xs}"
    assert at["x0"][0] < at["l0u0"][0] < at["l1u0"][0] < at["l2u0"][0] < at["root"][0]
    assert at["x0"][1] < at["x1"][1]
    width, _ = svg_size_px(svg)
    assert width <= 1200 and smallest_text_px(svg) >= 11


def test_units_content_dead_units_and_zero_share_edges():
    net, loss = point_loss()
    g = draw_dot(loss, view="units")
    src = g.source
    z = [n for n in net.layers[0].neurons if n.preactivation([0, 0]) is not None]
    assert "∂L/∂z" in src and "x0 = " in src and "x1 = " in src
    dead = re.findall(r"(l0u\d+) \[label=<.*? dead", src)
    assert dead, "a ReLU unit with z <= 0 on this example is marked dead"
    assert 'style=dashed' in src  # its outgoing shares are zero: dashed, not near-white
    assert len(z) == 16
    for name in g.node_ids.values():
        assert name in src


def test_unknown_view_and_non_network_graph_are_clear_errors():
    with pytest.raises(ValueError, match="unknown view 'unit'"):
        draw_dot(lecture(), view="unit")
    with pytest.raises(ValueError, match="role of a unit.s pre-activation.*Value.role"):
        draw_dot(lecture(), view="units")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_dot(3.0)
    with pytest.raises(ValueError, match="max_nodes must be"):
        draw_dot(lecture(), max_nodes=-1)


def test_labelled_inputs_keep_their_names_and_batches_say_which_example():
    import nn
    from autograd import Value

    net = nn.MLP(2, [3, 1], seed=1)
    x = [Value(0.5, "petal"), Value(-1.0, "sepal")]
    out = net(x) + net([0.1, 0.2])
    out.label = "sum"
    g = draw_dot(out, view="units")
    assert "petal = 0.5" in g.source and "sepal = -1" in g.source
    assert "ran on 2 examples: the first one is drawn" in g.caption
