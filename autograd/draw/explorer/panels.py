"""The training page's panels as SVG written here, and per kept step where their marks go.

Each panel is complete without a script (it shows the last kept step); the page's script
moves its marks to the positions and texts computed here for the chosen step:

* ``curve``: a line over every epoch; per kept step the marker's x, the dot's y and the
  value's text;
* ``bars``: the gradient norm per layer on a log scale; per kept step each bar's width and
  its text;
* ``boundary``: axes (ticks from the data's box), the data points in the class colours
  (``style.CLASS_COLOURS``) with a legend, over a canvas the script fills from the recorded
  grid through ``palette`` (one colour per signed byte: the class of the sign, paler near
  the boundary).
"""

from __future__ import annotations

import html
import math

from ..style import CLASS_COLOURS, tint
from .page import fmt


def _attrs(**kw) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{html.escape(str(v))}"'
                    for k, v in kw.items())


def _el(tag: str, **kw) -> str:
    return f"<{tag} {_attrs(**kw)}/>"


def _text(text: str, **kw) -> str:
    return f"<text {_attrs(**kw)}>{html.escape(text)}</text>"


def curve(title: str, ys: list, kept: list[int], show, w: int = 300, h: int = 150):
    """(SVG, marks): ``ys`` per epoch (None: not a number), ``show(y)`` its text; marks per
    kept step: [x, y (None: off the panel), label x, text]."""
    good = [y for y in ys if y is not None]
    lo, hi = (min(good), max(good)) if good else (0.0, 1.0)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    left, right, top, bottom, n = 44, 8, 18, 18, len(ys)

    def x(i: int) -> float:
        return round(left + (w - left - right) * (i / (n - 1) if n > 1 else 0.5), 1)

    def y(v: float) -> float:
        return round(top + (h - top - bottom) * (1 - (v - lo) / (hi - lo)), 1)

    points = " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(ys) if v is not None)
    marks = [[x(e), y(ys[e]) if ys[e] is not None else None,
              round(min(x(e) + 4, w - 80), 1), show(ys[e])] for e in kept]
    m = marks[-1]
    svg = (f'<svg {_attrs(width=w, height=h, class_="dgx-curve")}>'
           + _text(title, x=left, y=12, class_="dgx-ctitle")
           + _text(show(hi), x=left - 4, y=top + 4, text_anchor="end", class_="dgx-tick")
           + _text(show(lo), x=left - 4, y=h - bottom, text_anchor="end", class_="dgx-tick")
           + _el("rect", x=left, y=top, width=w - left - right, height=h - top - bottom,
                 class_="dgx-frame")
           + _el("polyline", points=points, class_="dgx-line")
           + _el("line", x1=m[0], x2=m[0], y1=top, y2=h - bottom, class_="dgx-mark")
           + _el("circle", r=3.5, cx=m[0], cy=m[1] if m[1] is not None else -10, class_="dgx-dot")
           + _text(m[3], x=m[2], y=top + 12, class_="dgx-value") + "</svg>")
    return svg, marks


def bars(names: list[str], rows: list[list], w: int = 330):
    """(SVG, per kept step per layer [bar width, text x, text]): ‖∂L/∂θ‖ on a log scale."""
    logs = [math.log10(x) for r in rows for x in r if x is not None and x > 0]
    lo, hi = math.floor(min(logs + [-3])), math.ceil(max(logs + [0]))
    left, right = 70, 70

    def bar(x) -> list:
        f = (math.log10(x) - lo) / (hi - lo) if x is not None and x > 0 else 0.0
        width = round(max(1.0, f * (w - left - right)), 1)
        return [width, round(left + width + 4, 1), fmt(x)]

    marks = [[bar(x) for x in r] for r in rows]
    h = 22 + 18 * len(names)
    parts = [f'<svg {_attrs(width=w, height=h, class_="dgx-bars")}>',
             _text("gradient norm per layer ‖∂L/∂θ‖ (log scale)", x=4, y=12,
                   class_="dgx-ctitle")]
    for i, (name, (width, tx, text)) in enumerate(zip(names, marks[-1])):
        parts += [_text(name, x=left - 4, y=32 + 18 * i, text_anchor="end", class_="dgx-tick"),
                  _el("rect", x=left, y=22 + 18 * i, height=13, width=width, class_="dgx-bar-rect"),
                  _text(text, x=tx, y=32 + 18 * i, class_="dgx-tick dgx-norm")]
    return "".join(parts) + "</svg>", marks


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round numbers (1, 2 or 5 × 10ᵏ apart) inside [lo, hi], about ``count`` of them."""
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if step * m >= raw)
    first = math.ceil(lo / step)
    return [k * step for k in range(first, math.floor(hi / step) + 1)]


def palette() -> list[int]:
    """R, G, B per signed byte −127 … 127 (index byte + 127) of tanh(score): the class of
    its sign (``CLASS_COLOURS``), paler near the boundary (0.25 … 0.7 of the colour)."""
    out = []
    for s in range(-127, 128):
        colour = tint(CLASS_COLOURS[1 if s > 0 else 0], 0.25 + 0.45 * abs(s) / 127)
        out += [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return out


BOUNDARY = 220  # the plot's side in pixels
PAD_L, PAD_T, PAD_B = 40, 26, 46


def boundary(box: tuple, points: list, labels: list, traced: list[int],
             axis_names=("x₀", "x₁")):
    """The boundary panel's SVG (axes, points, legend) over its canvas (filled by script);
    the traced points (``traced``, the one shown first) ringed and clickable."""
    x0, x1, y0, y1 = box
    size = BOUNDARY

    def px(x: float, y: float) -> tuple[float, float]:
        return (round(PAD_L + (x - x0) / (x1 - x0) * size, 1),
                round(PAD_T + (1 - (y - y0) / (y1 - y0)) * size, 1))

    values = sorted(set(labels))
    classes = {v: 1 if v > 0 else 0 for v in values}
    w, h = PAD_L + size + 8, PAD_T + size + PAD_B
    parts = [f'<svg {_attrs(width=w, height=h, class_="dgx-axes")}>',
             _text("decision boundary: the class predicted", x=4, y=11,
                   class_="dgx-ctitle")]
    lx = PAD_L
    for v in values:
        c = CLASS_COLOURS[classes[v]]
        parts.append(_el("circle", cx=lx + 5, cy=20, r=4, fill=c, stroke="#000", stroke_width=0.6))
        label = f"label {fmt(v)}"
        parts.append(_text(label, x=lx + 12, y=23, class_="dgx-tick"))
        lx += 24 + 6 * len(label)
    parts.append(_el("rect", x=PAD_L, y=PAD_T, width=size, height=size, class_="dgx-frame"))
    for t in ticks(x0, x1):
        x, _ = px(t, y0)
        parts += [_el("line", x1=x, x2=x, y1=PAD_T + size, y2=PAD_T + size + 4, stroke="#444"),
                  _text(fmt(t), x=x, y=PAD_T + size + 14, text_anchor="middle", class_="dgx-tick")]
    for t in ticks(y0, y1):
        _, y = px(x0, t)
        parts += [_el("line", x1=PAD_L - 4, x2=PAD_L, y1=y, y2=y, stroke="#444"),
                  _text(fmt(t), x=PAD_L - 6, y=y + 3, text_anchor="end", class_="dgx-tick")]
    parts += [_text(axis_names[0], x=PAD_L + size / 2, y=PAD_T + size + 28,
                    text_anchor="middle", class_="dgx-tick"),
              _text(axis_names[1], x=8, y=PAD_T + size / 2, class_="dgx-tick")]
    for (x, y), v in zip(points, labels):
        cx, cy = px(x, y)
        parts.append(_el("circle", cx=cx, cy=cy, r=3.2, fill=CLASS_COLOURS[classes[v]],
                         stroke="#000", stroke_width=0.6, class_="dgx-point"))
    for j, k in enumerate(traced):  # over the other points, so a click reaches them
        cx, cy = px(*points[k][:2])
        parts.append(_el("circle", cx=cx, cy=cy, r=5.5, fill=CLASS_COLOURS[classes[labels[k]]],
                         stroke="#e7298a" if j == 0 else "#000", stroke_width=2.5 if j == 0
                         else 1.5, class_="dgx-traced", data_k=j))
    if len(traced) > 1:
        parts.append(_text("click a ringed point to trace it", x=PAD_L, y=h - 4,
                           class_="dgx-tick"))
    return "".join(parts) + "</svg>", {"left": PAD_L, "top": PAD_T, "size": size}
