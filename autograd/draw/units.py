"""The units view of a network: one column per layer, one box per unit, in index order.

Works from the graph and the roles ``nn`` gives its nodes (``Value.role``, an
``autograd.roles.Role``: unit j of layer l, as z, out, weight k or bias), never from labels,
which are display text the user may change; it never imports ``nn``. For a unit j of
layer l:

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

from .. import backward_steps, local_derivatives, topological_order
from ..value import Value
from .display import GraphPicture
from .style import TOOLTIP_CHARS, fmt_number, grad_color, shown_text

__all__ = ["draw_units"]

def _units(order: list[Value]) -> dict[tuple[int, int], dict]:
    """{(layer, unit): {"z": node, "out": node}}: the first copy of each, by role."""
    units: dict[tuple[int, int], dict] = {}
    for node in order:
        role = node.role
        if role is not None and role.kind in ("z", "out"):
            unit = units.setdefault((role.layer, role.unit), {})
            unit.setdefault(role.kind, node)
    return {k: u for k, u in units.items() if "z" in u}


def _weights(z: Value) -> dict[int, tuple[Value, float, str]]:
    """{k: (w_k, x_k, name)}: each weight operand of z (role "w", index k), the input it
    multiplies (∂z/∂w_k) and that input's label when it is a labelled Value of a dot (its
    partner operand)."""
    partials = local_derivatives(z)
    operands = z.operands
    half = len(operands) // 2
    found = {}
    for j, p in enumerate(operands):
        role = p.role if isinstance(p, Value) else None
        if role is not None and role.kind == "w":
            partner = operands[j + half] if z.op == "dot" and j < half else None
            name = partner.label if isinstance(partner, Value) else ""
            found[role.index] = (p, float(partials[j]), name)
    return found


def _scale(values: list[float]) -> tuple[float, float]:
    """log10 range of the nonzero |values| (fitted to this picture)."""
    mags = [abs(v) for v in values if v != 0 and math.isfinite(v)]
    if not mags:
        return (0.0, 1.0)
    lo, hi = math.log10(min(mags)), math.log10(max(mags))
    return (lo, hi) if hi > lo else (lo - 1, hi)


def _unit_label(name: str, z: Value, out: Value, dz: float, dead: bool) -> str:
    rows = [f"<B>{html.escape(name)}{' dead' if dead else ''}</B>",
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


class Network:
    """What the units view draws, as Values (so a replay can read any step's numbers).

    * ``units``: ``[(layer, j, z, out)]`` in layer then index order; ``ids[k]`` is unit k's
      box id ``l{layer}u{j}`` in the picture;
    * ``edges``: ``[(tail, head, w)]``: ``tail`` a unit index or ``-1 - k`` for input xₖ,
      ``head`` a unit index, ``w`` the weight Value (the edge's share is ∂L/∂z_head · w);
    * ``inputs``: the input values xₖ; ``input_names``: their labels (or ``xₖ``).
    """

    def __init__(self, root: Value, order: list[Value]):
        found = _units(order)
        if not found:
            raise ValueError("view='units' needs a network's graph: no node has the role of a "
                             "unit's pre-activation (build the model with nn's Neuron, Layer "
                             "or MLP, which set Value.role); use view='values' for any graph")
        self.root = root
        keys = sorted(found)
        self.units = [(li, j, found[(li, j)]["z"], found[(li, j)].get("out", found[(li, j)]["z"]))
                      for li, j in keys]
        self.ids = [f"l{li}u{j}" for li, j in keys]
        self.layers = sorted({li for li, _ in keys})
        at = {key: k for k, key in enumerate(keys)}
        self.edges: list[tuple[int, int, Value]] = []
        inputs: dict[int, float] = {}
        names: dict[int, str] = {}
        for h, (li, _j, z, _out) in enumerate(self.units):
            for k, (w, x, name) in sorted(_weights(z).items()):
                if li == self.layers[0]:
                    inputs[k] = x
                    if name:
                        names[k] = name
                    self.edges.append((-1 - k, h, w))
                elif (li - 1, k) in at:
                    self.edges.append((at[(li - 1, k)], h, w))
        n_inputs = max(inputs, default=-1) + 1
        self.inputs = [inputs.get(k, 0.0) for k in range(n_inputs)]
        self.input_names = [shown_text(names[k]) if names.get(k) else f"x{k}"
                            for k in range(n_inputs)]

    def tail_id(self, tail: int) -> str:
        return f"x{-1 - tail}" if tail < 0 else self.ids[tail]

    def edge_title(self, e: int) -> str:
        """The edge's ``<title>`` in the SVG: ``tail->head``."""
        tail, head, _w = self.edges[e]
        return f"{self.tail_id(tail)}->{self.ids[head]}"

    def numbers(self, value, adjoint) -> dict:
        """One step's numbers, from ``value(v)`` (data) and ``adjoint(v)`` (∂L/∂v): per unit
        z, a, ∂L/∂a, ∂L/∂z and dead (a ReLU with z ≤ 0); per edge w and its share
        ∂L/∂z_head · w; the root's value."""
        z = [value(u[2]) for u in self.units]
        return {
            "z": z, "a": [value(u[3]) for u in self.units],
            "da": [adjoint(u[3]) for u in self.units], "dz": [adjoint(u[2]) for u in self.units],
            "dead": [u[3].op == "relu" and zk <= 0 for u, zk in zip(self.units, z)],
            "w": [value(w) for _t, _h, w in self.edges],
            "share": [adjoint(self.units[h][2]) * value(w) for _t, h, w in self.edges],
            "root": value(self.root),
        }


def draw_units(root: Value, *, caption: str | None = None, fmt: str = "svg",
               scale: tuple[float, float] | None = None,
               wmax: float | None = None, root_name: str | None = None) -> GraphPicture:
    """The units view of the network whose output (or loss) is ``root`` (see module doc).

    ``scale`` (log10 range of |share|) and ``wmax`` (the |w| of the widest edge) default to
    this picture's own; a replay passes those of all its steps, so one legend fits them all.
    ``root_name``: what the output's node is called (default: its label, else "output").
    The picture carries ``network`` (a ``Network``) and ``unit_ids`` ({(layer, j): box id}).
    """
    order = topological_order(root)
    net = Network(root, order)
    adjoints = {root: 1.0}
    for _ in backward_steps(root, adjoints):
        pass
    nums = net.numbers(lambda v: v.data, lambda v: adjoints.get(v, 0.0))
    scale = scale or _scale(nums["share"])
    wmax = wmax or max((abs(w) for w in nums["w"]), default=1.0) or 1.0
    # Positions are pinned (neato with pos="x,y!"): columns are layers, units top to bottom
    # in index order, whatever dot's crossing minimisation would prefer.
    g = GraphPicture(name="units", format=fmt, engine="neato")
    g.attr(splines="false", overlap="true", outputorder="edgesfirst", size="11.98,1000")
    g.attr("node", fontname="Helvetica", fontsize="10", shape="box", style="rounded,filled",
           fillcolor="white", margin="0.04,0.02")
    g.attr("edge", arrowsize="0.5")
    for k, (x, label) in enumerate(zip(net.inputs, net.input_names)):
        g.node(f"x{k}", f"{html.escape(label)} = {fmt_number(x)}", id=f"x{k}",
               shape="ellipse", pos=_pos(0, k))
    g.node("hx", "inputs", shape="plaintext", pos=_pos(0, -1), id="hx")
    for col, li in enumerate(net.layers, start=1):
        g.node(f"h{li}", f"layers.{li}", shape="plaintext", pos=_pos(col, -1), id=f"h{li}")
    for k, (li, j, z, out) in enumerate(net.units):
        col = net.layers.index(li) + 1
        _unit(g, net.ids[k], j, (z, out), (nums["dz"][k], nums["dead"][k]), _pos(col, j))
    for e, (tail, head, w) in enumerate(net.edges):
        share = nums["share"][e]
        attrs = {"penwidth": f"{0.5 + 3.5 * abs(w.data) / wmax:.2f}",
                 "tooltip": f"{shown_text(w.label, TOOLTIP_CHARS)} = {w.data!r}; "
                            f"share ∂L/∂z·w = {share!r}"}
        if share == 0:
            attrs.update(style="dashed", color="grey55")
        else:
            attrs["color"] = grad_color(share, scale)
        g.edge(net.tail_id(tail), net.ids[head], **attrs)
    shown = shown_text(root_name or root.label) or "output"
    g.node("root", f"{html.escape(shown)} = {fmt_number(root.data)}",
           id="root", shape="ellipse", pos=_pos(len(net.layers) + 1, 0))
    for k, (li, *_rest) in enumerate(net.units):
        if li == net.layers[-1]:
            g.edge(net.ids[k], "root", color="grey55", style="dotted")
    _legend(g, scale, wmax)
    tallest = max(j for _, j, _, _ in net.units)
    g.node("legend", pos=_pos(len(net.layers) / 2 + 0.5, tallest + 1.2))
    ids = {}
    for k, (_li, _j, z, out) in enumerate(net.units):
        ids[z] = ids[out] = net.ids[k]
    for node in order:
        ids.setdefault(node, "root")
    g.node_ids = ids
    g.network = net
    g.unit_ids = {(li, j): net.ids[k] for k, (li, j, _z, _o) in enumerate(net.units)}
    first = net.units[0][2].role
    copies = sum(1 for n in order if n.role == first)
    text = f"{len(net.units)} units in {len(net.layers)} layers"
    if copies > 1:
        text += f"; the network ran on {copies} examples: the first one is drawn"
    g.caption = "\n".join(c for c in (caption, text) if c)
    g.attr(label=g.caption, labelloc="t", labeljust="l", fontsize="12", fontname="Helvetica")
    g.summary = f"units view, {text}"
    return g


COLUMN_IN, ROW_IN = 2.2, 0.75  # spacing of the pinned positions, in inches


def _pos(col: float, row: float) -> str:
    return f"{col * COLUMN_IN:.2f},{-row * ROW_IN:.2f}!"


def _unit(g: GraphPicture, box: str, j: int, zo: tuple[Value, Value],
          dz_dead: tuple[float, bool], pos: str) -> None:
    """One unit's box: name (and "dead"), z and a, ∂L/∂z; the texts a replay rewrites."""
    (z, out), (dz, dead) = zo, dz_dead
    attrs = {"tooltip": f"{shown_text(z.label, TOOLTIP_CHARS)}: z={z.data!r}, "
                        f"a={out.data!r}, dL/dz={dz!r}"}
    if dead:
        attrs.update(style="rounded,filled,dashed", fillcolor="grey88", fontcolor="grey30")
    g.node(box, _unit_label(f"n{j}", z, out, dz, dead), id=box, pos=pos, **attrs)
