"""Pictures fit a notebook column: at most 1,200 px wide at 100 %, text no smaller than 11 px.

Measured on the SVG that ``dot`` renders (its width/height in pt, 1 pt = 4/3 px), for the
graphs the notebooks draw, with the options they use.
"""

from __future__ import annotations

import re
import shutil
from base64 import b64decode

import pytest
from draw_graphs import (
    full_batch_loss,
    lecture,
    notebook1_out,
    notebook2_layered,
    notebook4_f,
    point_loss,
    reuse28,
    smallest_text_px,
    svg_size_px,
)

import nn
from autograd import Value
from autograd.draw import draw_dot
from notebooks.build import png_size

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is missing")


def _neuron():
    net, _ = point_loss()
    neuron = net.layers[0].neurons[0]
    u = neuron([0.5, 0.25])
    u.backward()
    return u


def _notebook1_paths():
    x = Value(0.8, label="x")
    y = x * x
    y.label = "y"
    p = 3.0 * y
    p.label = "p"
    q = y.sin()
    q.label = "q"
    g = p + q
    g.label = "g"
    g.backward()
    return draw_dot(g, highlight=y, edge_labels="product")


def _neuron_z():
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    bias = Value(6.8813735870195432, label="b")
    z = x1 * w1 + x2 * w2 + bias
    z.label = "z"
    u = z.tanh()
    u.label = "u"
    u.backward()
    return draw_dot(u)


CASES = {
    "notebook 1 paths": _notebook1_paths,
    "notebook 1 neuron": _neuron_z,
    "lecture": lambda: draw_dot(lecture()),
    "lecture local": lambda: draw_dot(lecture(), edge_labels="local"),
    "lecture product": lambda: draw_dot(lecture(), edge_labels="product"),
    "notebook 1 out": lambda: draw_dot(notebook1_out(), color_by_grad=True),
    "notebook 2 layered": lambda: draw_dot(notebook2_layered()[1], highlight="w",
                                           show_constants=False),
    "notebook 4 f": lambda: draw_dot(notebook4_f()),
    "notebook 5 neuron": lambda: draw_dot(_neuron()),
    "notebook 5 point loss": lambda: draw_dot(point_loss()[1], color_by_grad=True),
    "reuse 28": lambda: draw_dot(reuse28()),
    "reuse 28 product": lambda: draw_dot(reuse28(), edge_labels="product"),
    "MLP(2,[4,4,1])": lambda: draw_dot(point_loss((4, 4, 1))[1]),
    "MLP(2,[16,16,1]) units": lambda: draw_dot(point_loss()[1], view="units"),
    "notebook 5 full-batch loss": lambda: draw_dot(full_batch_loss()),
    "notebook 5 full-batch loss units": lambda: draw_dot(full_batch_loss(), view="units"),
}


def test_a_picture_that_cannot_fit_at_11_px_says_so_and_how_to_fit_it():
    """max_nodes=None on a whole MLP(2, [4, 4, 1]) is ~3,800 px wide at 11 px text in either
    direction: dot shrinks it, and the caption says so and names the option that folds."""
    loss = point_loss((4, 4, 1))[1]
    g = draw_dot(loss, max_nodes=None)
    assert "too big for a notebook column" in g.caption and "max_nodes='auto'" in g.caption
    assert "too big" not in (draw_dot(loss).caption or "")


@pytest.mark.parametrize("name", list(CASES))
def test_picture_fits_a_notebook_column(name):
    svg = CASES[name]().pipe(format="svg", encoding="utf-8")
    width, _ = svg_size_px(svg)
    assert width <= 1200, f"{name}: {width:.0f} px wide"
    assert smallest_text_px(svg) >= 11 - 0.05, f"{name}: text {smallest_text_px(svg):.1f} px"


def test_explicit_rankdir_is_kept():
    assert "rankdir=LR" in draw_dot(reuse28(), rankdir="LR").source
    assert "rankdir=TB" in draw_dot(lecture(), rankdir="TB").source


def test_html_bundle_is_the_svg_as_an_image_scaled_to_the_column():
    """Untrusted JupyterLab strips inline SVG but keeps <img src="data:…">: the HTML is the
    picture as an image, and a script (run only where scripts run) swaps in the inline SVG
    with dot's tooltips."""
    bundle = draw_dot(lecture())._repr_mimebundle_()
    html = bundle["text/html"]
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "<title>" in svg  # dot's tooltips
    static = html[:html.index("<script>")]
    assert static.startswith("<div") and "<svg" not in static
    src = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    assert b64decode(src).decode("utf-8") == svg
    assert "max-width:100%" in html and html.endswith("</script>")
    assert png_size(bundle["image/png"])[0] <= 1200


def test_a_small_network_is_drawn_whole_and_a_batch_at_max_nodes_200_fits():
    """A 2-3-1 network (22 values) is not folded by default: too wide for one column at
    readable text, it is drawn at 100 % and scrolls (the caption says so); max_nodes=200 on
    a whole batch folds until it fits the column; max_nodes=None never shrinks the text."""
    net = nn.MLP(2, [3, 1], seed=0)
    loss = (net([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    g = draw_dot(loss)
    assert not g.caption or "folded" not in g.caption
    svg = g.pipe(format="svg", encoding="utf-8")
    assert smallest_text_px(svg) >= 11 - 0.05
    if svg_size_px(svg)[0] > 1200:
        assert "scrolls sideways" in g.caption
        assert "max-width:none" in g._repr_mimebundle_()["text/html"]
    batch = draw_dot(full_batch_loss(), max_nodes=200)
    svg = batch.pipe(format="svg", encoding="utf-8")
    assert svg_size_px(svg)[0] <= 1200 and smallest_text_px(svg) >= 11 - 0.05
    assert "folded" in batch.caption
    whole = draw_dot(point_loss((4, 4, 1))[1], max_nodes=None)
    svg = whole.pipe(format="svg", encoding="utf-8")
    assert smallest_text_px(svg) >= 11 - 0.05 and "scrolls sideways" in whole.caption


