"""The units view of a network: one column per layer, one box per unit, in index order.

Works from the graph and the labels ``nn`` gives (``layers.1.neurons.3.z``, ``….out``,
``….w2`` or ``….w[2]``, ``….b``); it never imports ``nn``. For a unit j of layer l:

* its box shows z (pre-activation), its output a = g(z) and ∂L/∂z (from the engine's own
  reverse sweep, ``backward_steps``, so ``.grad`` is not needed nor touched);
* a ReLU unit with z ≤ 0 is *dead* on this example: a = 0 and ∂L/∂z = 0, drawn grey;
* the edge from unit k of layer l-1 (or input xₖ) has pen width ∝ |w_jk| and the colour of
  its gradient share ∂L/∂z_j · w_jk (what it adds to ∂L/∂a_k), blue > 0, red < 0, on a log
  scale fitted to this picture's range; a zero share is drawn dashed grey.

When a unit ran on several examples (a batch loss), the first example's copy is drawn.
"""

from __future__ import annotations

import html
import math
import re

from .. import backward_steps, local_derivatives, topological_order
from ..value import Value
from .display import GraphPicture
from .style import fmt_number, grad_color

__all__ = ["draw_units"]

_NAME = re.compile(r"^(?:(.*)\.)?layers\.(\d+)\.neurons\.(\d+)\.(z|out|b|w\[?(\d+)\]?)$")


def _units(order: list[Value]) -> dict[tuple[int, int], dict]:
    """{(layer, unit): {"z": node, "out": node}}: the first copy of each, by label."""
    units: dict[tuple[int, int], dict] = {}
    for node in order:
        m = _NAME.match(node.label) if node.label else None
        if m and m.group(4) in ("z", "out"):
            unit = units.setdefault((int(m.group(2)), int(m.group(3))), {})
            unit.setdefault(m.group(4), node)
    return {k: u for k, u in units.items() if "z" in u}


def _weights(z: Value) -> dict[int, tuple[Value, float, str]]:
    """{k: (w_k, x_k, name)}: each weight operand of z, the input it multiplies (∂z/∂w_k)
    and that input's label when it is a labelled Value of a dot (its partner operand)."""
    partials = local_derivatives(z)
    operands = z.operands
    half = len(operands) // 2
    found = {}
    for j, p in enumerate(operands):
        if isinstance(p, Value) and p.label:
            m = _NAME.match(p.label)
            if m and m.group(5) is not None:
                partner = operands[j + half] if z.op == "dot" and j < half else None
                name = partner.label if isinstance(partner, Value) and partner.label else ""
                found[int(m.group(5))] = (p, float(partials[j]), name)
    return found


def _scale(values: list[float]) -> tuple[float, float]:
    """log10 range of the nonzero |values| (fitted to this picture)."""
    mags = [abs(v) for v in values if v != 0 and math.isfinite(v)]
    if not mags:
        return (0.0, 1.0)
    lo, hi = math.log10(min(mags)), math.log10(max(mags))
    return (lo, hi) if hi > lo else (lo - 1, hi)


def _unit_label(name: str, z: Value, out: Value, dz: float, dead: bool) -> str:
    rows = [f"<B>{html.escape(name)}</B>{' dead' if dead else ''}",
            f"z {fmt_number(z.data)}  a {fmt_number(out.data)}", f"∂L/∂z {fmt_number(dz)}"]
    body = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>>'


def _legend(g: GraphPicture, scale: tuple[float, float], wmax: float) -> None:
    lo, hi = scale
    ticks = [-(10 ** hi), -(10 ** lo), 0.0, 10 ** lo, 10 ** hi]
    cells = "".join(f'<TD BGCOLOR="{grad_color(t, scale)}">{fmt_number(t)}</TD>' for t in ticks)
    label = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
             f'<TR><TD COLSPAN="5">edge colour: share ∂L/∂z·w (this picture\'s range, log); '
             f"0 dashed; width ∝ |w| (max {fmt_number(wmax)})</TD></TR><TR>{cells}</TR>"
             "</TABLE>>")
    g.node("legend", label, shape="plaintext", fontsize="10", id="legend")


def draw_units(root: Value, *, caption: str | None = None, fmt: str = "svg") -> GraphPicture:
    """The units view of the network whose output (or loss) is ``root`` (see module doc)."""
    order = topological_order(root)
    units = _units(order)
    if not units:
        raise ValueError("view='units' needs a network's graph: no node is labelled like "
                         "'layers.0.neurons.0.z' (build the model with nn, or label the "
                         "pre-activations that way); use view='values' for any graph")
    adjoints = {root: 1.0}
    for _ in backward_steps(root, adjoints):
        pass
    layers = sorted({li for li, _ in units})
    # Positions are pinned (neato with pos="x,y!"): columns are layers, units top to bottom
    # in index order, whatever dot's crossing minimisation would prefer.
    g = GraphPicture(name="units", format=fmt, engine="neato")
    g.attr(splines="false", overlap="true", outputorder="edgesfirst", size="11.98,1000")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="box", style="rounded,filled",
           fillcolor="white",
           margin="0.04,0.02")
    g.attr("edge", arrowsize="0.5")
    edges, ids = [], {}
    names: dict[int, str] = {}  # labels of the inputs, when they are labelled Values
    n_inputs = 0
    for (li, j), u in units.items():
        for k, (w, x, name) in _weights(u["z"]).items():
            dz = adjoints.get(u["z"], 0.0)
            edges.append((li, k, j, w, dz * w.data, x))
            if li == layers[0]:
                n_inputs = max(n_inputs, k + 1)
                if name:
                    names[k] = name
    scale = _scale([e[4] for e in edges])
    wmax = max((abs(e[3].data) for e in edges), default=1.0) or 1.0
    inputs = {k: x for li, k, _, _, _, x in edges if li == layers[0]}
    for k in range(n_inputs):
        label = html.escape(names.get(k, f"x{k}"))
        g.node(f"x{k}", f"{label} = {fmt_number(inputs.get(k, 0.0))}", id=f"x{k}",
               shape="ellipse", pos=_pos(0, k))
    g.node("hx", "inputs", shape="plaintext", pos=_pos(0, -1), id="hx")
    for col, li in enumerate(layers, start=1):
        _layer(g, col, li, {j: u for (lj, j), u in units.items() if lj == li}, adjoints, ids)
    for li, k, j, w, share, _x in edges:
        tail = f"x{k}" if li == layers[0] else f"l{li - 1}u{k}"
        attrs = {"penwidth": f"{0.5 + 3.5 * abs(w.data) / wmax:.2f}",
                 "tooltip": f"{w.label} = {w.data!r}; share ∂L/∂z·w = {share!r}"}
        if share == 0:
            attrs.update(style="dashed", color="grey55")
        else:
            attrs["color"] = grad_color(share, scale)
        g.edge(tail, f"l{li}u{j}", **attrs)
    last = layers[-1]
    g.node("root", f"{html.escape(root.label or 'output')} = {fmt_number(root.data)}",
           id="root", shape="ellipse", pos=_pos(len(layers) + 1, 0))
    for (li, j) in units:
        if li == last:
            g.edge(f"l{li}u{j}", "root", color="grey55", style="dotted")
    _legend(g, scale, wmax)
    tallest = max(j for _, j in units)
    g.node("legend", pos=_pos(len(layers) / 2 + 0.5, tallest + 1.2))
    for node in order:
        ids.setdefault(node, "root")
    g.node_ids = ids
    copies = sum(1 for n in order if n.label == units[min(units)]["z"].label)
    text = f"{len(units)} units in {len(layers)} layers"
    if copies > 1:
        text += f"; the network ran on {copies} examples: the first one is drawn"
    g.caption = "\n".join(c for c in (caption, text) if c)
    g.attr(label=g.caption, labelloc="t", labeljust="l", fontsize="12", fontname="Helvetica")
    g.summary = f"units view, {text}"
    return g


COLUMN_IN, ROW_IN = 2.2, 0.75  # spacing of the pinned positions, in inches


def _pos(col: float, row: float) -> str:
    return f"{col * COLUMN_IN:.2f},{-row * ROW_IN:.2f}!"


def _layer(g: GraphPicture, col: int, li: int, units: dict[int, dict], adjoints: dict,
           ids: dict) -> None:
    """One column: the units of layer ``li`` top to bottom in index order."""
    g.node(f"h{li}", f"layers.{li}", shape="plaintext", pos=_pos(col, -1), id=f"h{li}")
    for j in sorted(units):
        u = units[j]
        z, out = u["z"], u.get("out", u["z"])
        dz = adjoints.get(z, 0.0)
        dead = out.op == "relu" and z.data <= 0
        name = f"l{li}u{j}"
        attrs = {"tooltip": f"{z.label}: z={z.data!r}, a={out.data!r}, dL/dz={dz!r}"}
        if dead:
            attrs.update(style="rounded,filled,dashed", fillcolor="grey88", fontcolor="grey30")
        g.node(name, _unit_label(f"n{j}", z, out, dz, dead), id=name, pos=_pos(col, j), **attrs)
        for v in (z, out):
            ids[v] = name
