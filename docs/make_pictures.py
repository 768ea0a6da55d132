"""Regenerate the README's pictures: python docs/make_pictures.py (needs Graphviz's `dot`).

* docs/graph.svg: micrograd's lecture expression L = (a·b + c)·f after L.backward(), each box
  showing label over data | grad, each operand edge labelled with ∂out/∂in.
* docs/units_view.png: nn.MLP(2, [16, 16, 1]) (seed 0), hinge loss on the first moons point,
  after backward: draw_dot(loss, view="units").
* docs/dead_relu.png: two ReLU units on one input, one dead (z < 0): color_by_grad=True
  shows its zero-gradient path dashed grey, not white, on a scale fitted to the picture.
* docs/forward_mode.png: f = (x1·x2 + sin x1)·exp x2 with tangents={x1: 1.0}: every node's
  d node / d x1 from one forward pass.
* docs/wrong_rule.png: a user-defined Op "swish" whose partial forgot the product rule;
  draw_rule_check finds and draws it red.
"""

from __future__ import annotations

import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Op, Value, sigmoid  # noqa: E402
from autograd.draw import draw_dot, draw_rule_check, save  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def lecture_graph():
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return draw_dot(L, edge_labels="local")


def units_view():
    import nn

    net = nn.MLP(2, [16, 16, 1], seed=0)
    X, y01 = nn.data.make_moons(80, noise=0.1, seed=0)
    y = nn.data.to_pm1(y01)
    loss = nn.losses.hinge([net(X[0])], [y[0]])
    loss.label = "loss"
    loss.backward()
    return draw_dot(loss, view="units")


def dead_relu():
    x = Value(1.5, "x")
    w1, w2 = Value(0.8, "w1"), Value(-0.6, "w2")
    h1 = (w1 * x).relu()
    h1.label = "h1"
    h2 = (w2 * x).relu()  # z = -0.9 < 0: a dead unit, its gradient is exactly 0
    h2.label = "h2 (dead)"
    out = h1 * 2.0 + h2 * 3.0
    out.label = "out"
    out.backward()
    return draw_dot(out, color_by_grad=True, edge_labels="product")


def forward_mode():
    x1, x2 = Value(1.5, "x1"), Value(0.5, "x2")
    p = x1 * x2
    p.label = "p"
    s = x1.sin()
    s.label = "s"
    q = p + s
    q.label = "q"
    e = x2.exp()
    e.label = "e"
    f = q * e
    f.label = "f"
    return draw_dot(f, tangents={x1: 1.0},
                    caption="forward mode: each box shows d node / d x1 (seed x1 = 1)")


def wrong_rule():
    def swish(a):
        return a * sigmoid(a)

    # the partial of swish is σ(a) + a·σ(a)(1 − σ(a)); this one forgot the second term
    wrong = Op("swish", swish, lambda a, out: (sigmoid(a),))
    x, w = Value(0.8, "x"), Value(-1.2, "w")
    h = wrong(w * x)
    h.label = "h"
    out = h * h + x
    out.label = "out"
    out.backward()
    return draw_rule_check(out)


def _png(graph, name: str) -> str:
    from PIL import Image

    data = graph.pipe(format="png")
    image = Image.open(io.BytesIO(data))
    out = io.BytesIO()
    image.convert("P", palette=Image.ADAPTIVE, colors=64).save(out, format="PNG", optimize=True)
    path = os.path.join(HERE, name)
    with open(path, "wb") as f:
        f.write(out.getvalue())
    return path


def main() -> None:
    print(save(lecture_graph(), os.path.join(HERE, "graph.svg")))
    for make, name in ((units_view, "units_view.png"), (dead_relu, "dead_relu.png"),
                       (forward_mode, "forward_mode.png"), (wrong_rule, "wrong_rule.png")):
        path = _png(make(), name)
        print(path, f"{os.path.getsize(path) / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
