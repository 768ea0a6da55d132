"""The network view (``draw_dot(root, view="units")``) as what a page shows at each step.

The units view is laid out once (neato, pinned positions); its boxes are units, not Values,
so a page does not go through ``GraphData``. Python computes every text and style of every
step here; the page's script only puts them in place:

* ``ids``: each unit's box id ``l{layer}u{j}`` (the ``<g id>`` of its node) and ``titles``,
  each edge's ``<title>`` ``tail->head`` in the SVG (tail: a unit or an input ``xₖ``);
* ``palette``: ``[stroke colour, dash]`` of an edge, by its share ∂L/∂z_head · w on the log
  scale ``scale`` fitted to all steps (``style.grad_color``; a zero share dashed grey);
  ``unit_style``: ``[fill, dash, text colour]`` of a live and of a dead unit;
* ``steps``: per step, per unit its three texts (``n{j}`` and "dead", "z … a …",
  "∂L/∂z …"), ``dead`` (the units shown dead: a ReLU with z ≤ 0), ``tips`` (hover: z, a,
  ∂L/∂a, ∂L/∂z in full precision) and ``sums`` (click: the chain-rule sum
  ∂L/∂a_j = Σ over next-layer units k of ∂L/∂z_k × w_kj, then ∂L/∂z_j = ∂L/∂a_j × g′(z_j),
  with the numbers); per edge ``e``: palette index and pen width (∝ |w|, ``wmax`` the
  largest |w| of all steps); ``root``: the output's text.

``numbers`` (per step, per unit ``z``, ``a``, ``da``, ``dz``, ``gp`` = g′(z); per edge ``w``
and ``share``) stays on the Python side, for tests and callers; the page gets texts.
"""

from __future__ import annotations

import math

from ... import local_derivatives
from ...value import Value
from ..style import grad_color, shown_text
from ..units import Network, _scale
from .page import fmt, full

ZERO_SHARE = ("#8c8c8c", "5,2")  # grey55, dashed: as draw_units draws a zero share
UNIT_STYLE = (("#ffffff", "none", "#000000"), ("#e0e0e0", "5,2", "#4d4d4d"))  # live, dead
CHAR_PT = 6.2  # a generous width of one character of the units' 10 pt Helvetica, in points


def _slope(out, z) -> float:
    """g′(z) = ∂a/∂z: 1 when the unit has no activation node."""
    if out is z:
        return 1.0
    for p, d in zip(out.operands, local_derivatives(out)):
        if p is z:
            return float(d)
    return 1.0


def _recorded_slope(out, z, value) -> float:
    """g′(z) at a recorded step: the output's own Op's partial at that step's operands."""
    if out is z:
        return 1.0
    args = [value(p) if isinstance(p, Value) else p for p in out.operands]
    try:
        partials = out.rule.partials(*args, value(out))
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return float("nan")
    slot = next(i for i, p in enumerate(out.operands) if p is z)
    return float(partials[slot])


class NetworkSteps:
    """The numbers of a network view at each step, and the page data they make."""

    def __init__(self, net: Network, top: str):
        self.net, self.top = net, top
        self.names = [shown_text(z.role.module) for _li, _j, z, _o in net.units]
        self.act = ["" if out is z else out.op for _li, _j, z, out in net.units]
        self.numbers: list[dict] = []

    def add(self, value, adjoint, slope) -> None:
        """One step, from ``value(v)``, ``adjoint(v)`` (∂L/∂v) and ``slope(out, z)``."""
        nums = self.net.numbers(value, adjoint)
        nums["gp"] = [slope(o, z) for _l, _j, z, o in self.net.units]
        self.numbers.append(nums)

    # --- texts ------------------------------------------------------------------------
    def unit_texts(self, s: dict, k: int) -> list[str]:
        dead = s["dead"][k]
        name = f"n{self.net.units[k][1]}" + (" dead" if dead else "")
        return [name, f"z {fmt(s['z'][k])}\u2002a {fmt(s['a'][k])}",
                f"∂{self.top}/∂z {fmt(s['dz'][k])}"]

    def tip(self, s: dict, k: int) -> str:
        top = self.top
        return "\n".join([
            self.names[k] + ("  (dead: a ReLU with z ≤ 0)" if s["dead"][k] else ""),
            f"z = {full(s['z'][k])}", f"a = {full(s['a'][k])}",
            f"∂{top}/∂a = {full(s['da'][k])}", f"∂{top}/∂z = {full(s['dz'][k])}"])

    def chain(self, s: dict, k: int) -> str:
        """∂L/∂a_j = Σ_k ∂L/∂z_k × w_kj; ∂L/∂z_j = ∂L/∂a_j × g′(z_j), with the numbers."""
        top, nm = self.top, self.names[k]
        uses = [e for e, (t, _h, _w) in enumerate(self.net.edges) if t == k]
        lines = []
        if uses:
            lines.append(f"∂{top}/∂a of {nm} = Σ over the next layer's units k of "
                         f"∂{top}/∂z_k × w_kj:")
            parts = []
            for e in uses:
                h = self.net.edges[e][1]
                term = s["dz"][h] * s["w"][e]
                lines.append(f"  via {self.names[h]}: {fmt(s['dz'][h])} × {fmt(s['w'][e])} "
                             f"= {fmt(term)}")
                parts.append(fmt(term))
            total = " + ".join(parts).replace("+ −", "− ") + " = " if len(parts) > 1 else ""
            lines.append(f"  = {total}{fmt(s['da'][k])}  (full precision {full(s['da'][k])})")
        else:
            lines.append(f"∂{top}/∂a of {nm} = {full(s['da'][k])}: it feeds {top} directly")
        act = self.act[k] or "no activation"
        lines.append(f"∂{top}/∂z = ∂{top}/∂a × g′(z) ({act}) = {fmt(s['da'][k])} × "
                     f"{fmt(s['gp'][k])} = {fmt(s['dz'][k])}  (full precision "
                     f"{full(s['dz'][k])})")
        return "\n".join(lines)

    # --- the page's data ----------------------------------------------------------------
    def scales(self) -> tuple[tuple[float, float], float]:
        """(log10 range of |share|, largest |w|) over all steps: one legend for them all."""
        return scales([self])

    def steps(self, root_name: str, scale: tuple[float, float], wmax: float,
              palette: dict) -> list[dict]:
        """Each step's texts and styles; ``palette`` ({(colour, dash): index}) is filled in
        as edge styles are met, so several points' steps can share one."""
        def style(share: float) -> int:
            key = ZERO_SHARE if share == 0 else (grad_color(share, scale), "none")
            return palette.setdefault(key, len(palette))

        out = []
        units = range(len(self.net.units))
        for s in self.numbers:
            edges: list = []
            for share, w in zip(s["share"], s["w"]):
                # |w|/wmax first: 3.5 · |w| overflows for |w| near 1e308 (a diverged run)
                width = 0.5 + 3.5 * (abs(w) / wmax) if math.isfinite(w) else 0.5
                edges += [style(share), round(width, 2)]
            out.append({
                "t": [self.unit_texts(s, k) for k in units],
                "dead": [k for k in units if s["dead"][k]],
                "tips": [self.tip(s, k) for k in units], "sums": [self.chain(s, k) for k in units],
                "e": edges, "root": f"{root_name} = {fmt(s['root'])}",
            })
        return out

    def common(self, palette: dict) -> dict:
        """What every step and every traced point share: box ids, edge titles, styles."""
        net = self.net
        return {
            "ids": net.ids, "titles": [net.edge_title(e) for e in range(len(net.edges))],
            "palette": [list(p) for p in palette], "unit_style": [list(u) for u in UNIT_STYLE],
        }

    def data(self, root_name: str) -> dict:
        """The page's data for these steps alone (see the module docstring)."""
        scale, wmax = self.scales()
        palette: dict = {}
        steps = self.steps(root_name, scale, wmax, palette)
        return {**self.common(palette), "steps": steps}

    def input_texts(self, root_name: str) -> list[str]:
        """The input nodes' texts ``x0 = 0.5`` (the inputs of this run's point)."""
        return [f"{name} = {fmt(x)}" for name, x in zip(self.net.input_names, self.net.inputs)]

    def widths(self, root_name: str) -> dict[str, float]:
        """Each unit box's width in inches, wide enough for its widest text at any step;
        the output's and the inputs' ellipses too (an ellipse needs ~1.3× its text)."""
        out = {}
        for k, box in enumerate(self.net.ids):
            chars = max(len(t) for s in self.numbers for t in self.unit_texts(s, k))
            out[box] = round(chars * CHAR_PT / 72 + 0.25, 2)
        texts = {"root": [f"{root_name} = {fmt(s['root'])}" for s in self.numbers]}
        texts.update({f"x{k}": [t] for k, t in enumerate(self.input_texts(root_name))})
        for box, ts in texts.items():
            out[box] = round(1.3 * max(map(len, ts)) * CHAR_PT / 72 + 0.3, 2)
        return out


def scales(runs: list[NetworkSteps]) -> tuple[tuple[float, float], float]:
    """(log10 range of |share|, largest |w|) over every step of ``runs``."""
    shares = [x for r in runs for s in r.numbers for x in s["share"]]
    ws = [abs(x) for r in runs for s in r.numbers for x in s["w"] if math.isfinite(x)]
    return _scale(shares), max(ws, default=1.0) or 1.0


def single_step(net: Network, adjoints: dict, top: str) -> NetworkSteps:
    """A picture's own numbers (inspect): one step, from the data and a reverse sweep."""
    steps = NetworkSteps(net, top)
    steps.add(lambda v: v.data, lambda v: adjoints.get(v, 0.0), _slope)
    return steps


def replay(net: Network, order_index: dict, snapshots: list, top: str) -> NetworkSteps:
    """A recording's numbers: each snapshot holds ``data`` and ``adj`` lists in the order
    of ``order_index`` ({Value: position}, the topological order of the recorded graph)."""
    steps = NetworkSteps(net, top)
    for snap in snapshots:
        def value(v, s=snap):
            return s.data[order_index[v]]

        steps.add(value, lambda v, s=snap: s.adj[order_index[v]],
                  lambda o, z, f=value: _recorded_slope(o, z, f))
    return steps


def widened(picture, widths: dict[str, float]):
    """A copy of a units picture whose unit boxes are at least ``widths`` (inches) wide, so
    no step's text spills out of its box (a later node statement adds to the first)."""
    picture = picture.copy()
    for box, width in widths.items():
        picture.node(box, width=f"{width}")
    return picture


def root_name(root: Value) -> str:
    """What the units picture calls its output node (as ``draw_units`` writes it)."""
    return shown_text(root.label) or "output"
