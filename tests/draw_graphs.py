"""Graphs the picture tests draw: the notebooks' own, and big ones (imported by test_draw_*)."""

from __future__ import annotations

import random
import re

import autograd
from autograd import Value


def lecture_nodes(backward: bool = False) -> dict[str, Value]:
    """micrograd's lecture expression L = (a*b + c) * f with a=2, b=−3, c=10, f=−2: every
    node by its label."""
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    if backward:
        L.backward()
    return dict(a=a, b=b, c=c, d=d, e=e, f=f, L=L)


def lecture(backward: bool = True) -> Value:
    """The lecture expression's root L (after backward unless asked not to)."""
    return lecture_nodes(backward)["L"]


def reuse28():
    """A 28-node expression in which x and y are used many times."""
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    h = x * y
    for k in range(4):
        h = (h * x + y).tanh() + h * (k + 1.0)
    out = h * x - y / (x + 2.0)
    out.label = "out"
    out.backward()
    return out


def notebook1_out():
    xs = [Value(v, label=f"x{i}") for i, v in enumerate([0.5, -1.0, 2.0])]
    h1 = (xs[0] * xs[1] + xs[2]).tanh()
    h2 = (xs[1] * xs[2] - xs[0]).sigmoid()
    out = h1 * h2 + h1.exp()
    out.label = "out"
    out.backward()
    return out


def notebook2_layered(K=2, L=3, seed=0):
    rng = random.Random(seed)
    w = Value(0.5, label="w")
    h = [(w * rng.uniform(-1, 1)).tanh() for _ in range(K)]
    for _ in range(L - 1):
        h = [autograd.dot([rng.uniform(-1, 1) for _ in range(K)], h).tanh() for _ in range(K)]
    loss = autograd.sum(h)
    loss.label = "loss"
    return w, loss


def notebook4_f():
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
    f.backward()
    return f


def mlp(nouts=(16, 16, 1), seed=0):
    import nn

    return nn.MLP(2, list(nouts), seed=seed)


def point_loss(nouts=(16, 16, 1), seed=0):
    """Notebook 5: the hinge loss of an MLP on one example, after backward."""
    import nn

    net = mlp(nouts, seed)
    X, y01 = nn.data.make_moons(80, noise=0.1, seed=0)
    y = nn.data.to_pm1(y01)
    loss = nn.losses.hinge([net(X[0])], [y[0]])
    loss.label = "loss"
    loss.backward()
    return net, loss


def full_batch_loss():
    """Notebook 5: hinge + L2 over 80 points of the moons, MLP(2, [16, 16, 1]), ~5,800 nodes."""
    import nn

    net = mlp()
    X, y01 = nn.data.make_moons(80, noise=0.1, seed=0)
    y = nn.data.to_pm1(y01)
    loss = (nn.losses.hinge(net.forward_batch(X), y)
            + 1e-4 * nn.losses.l2_penalty(net.parameters()))
    loss.label = "loss"
    loss.backward()
    return loss


def chain(n: int):
    x = Value(0.1, "x")
    y = x
    for _ in range(n):
        y = (y * 0.5 + 0.1).tanh()
    y.label = "y"
    return y


# --- reading rendered SVG ------------------------------------------------------------------
PX_PER_PT = 4 / 3


def svg_size_px(svg: str) -> tuple[float, float]:
    """The picture's width and height at 100 % zoom, in px (1 pt = 4/3 px)."""
    head = svg[svg.index("<svg"):]
    head = head[: head.index(">")]
    w = float(re.search(r'width="([\d.]+)pt"', head).group(1))
    h = float(re.search(r'height="([\d.]+)pt"', head).group(1))
    return w * PX_PER_PT, h * PX_PER_PT


def smallest_text_px(svg: str) -> float:
    """The smallest font size in the picture as shown at 100 %, in px."""
    head = svg[svg.index("<svg"):]
    head = head[: head.index(">")]
    w = float(re.search(r'width="([\d.]+)pt"', head).group(1))
    view_w = float(re.search(r'viewBox="[\d.\-]+ [\d.\-]+ ([\d.]+)', head).group(1))
    m = re.search(r'<g id="graph0" class="graph" transform="scale\(([\d.]+)', svg)
    scale = (float(m.group(1)) if m else 1.0) * w / view_w
    sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
    return min(sizes) * scale * PX_PER_PT


def affine_recording():
    """A training run recorded on a model that is no network (w·x₀ + b, no layers of
    units): its replay draws the value graph, not the units view."""
    from autograd import Value
    from nn import Module, fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    class Affine(Module):
        def __init__(self):
            self.w, self.b = Value(0.1, label="w"), Value(0.0, label="b")

        def parameters(self):
            return [self.w, self.b]

        def __call__(self, x):
            return self.w * x[0] + self.b

    X, y01 = make_moons(10, seed=1)
    model = Affine()
    rec = Recorder(model, X, to_pm1(y01), max_steps=5, grid=4)
    fit(model, X, to_pm1(y01), epochs=2, progress=False, callback=rec)
    return rec
