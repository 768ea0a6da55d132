"""The network view (``draw_dot(root, view="units")``) as numbers a page script rewrites.

The units view is laid out once (neato, pinned positions); its boxes are units, not Values,
so a page does not go through ``GraphData``. Instead it gets, next to the SVG:

* ``ids``: each unit's box id ``l{layer}u{j}`` (the ``<g id>`` of its node), ``names`` (its
  module, from its role: ``layers.1.neurons.3``), ``act`` (the op of its output, "" for none);
* ``edges``: ``[tail, head]`` per weight (tail ``-1 - k`` is input xₖ) and ``titles``, the
  edge's ``<title>`` ``tail->head`` in the SVG;
* ``steps``: one dict per step, per unit ``z``, ``a``, ``da`` (∂L/∂a), ``dz`` (∂L/∂z) in
  full precision and ``gp`` (g′(z) = ∂a/∂z); per edge ``w`` and ``share`` = ∂L/∂z_head · w
  (4 significant digits: they set a colour and a width); ``root``, the output's value;
* ``scale`` (log10 range of |share| over all steps) and ``wmax`` (largest |w| over all
  steps): the legend of the SVG is drawn with these, so it holds at every step.

Per step the script sets each unit's three texts (``n{j}`` and "dead", "z … a …",
"∂L/∂z …"), greys and dashes dead ReLUs (z ≤ 0), and sets each edge's colour (share),
width (|w|) and dash (zero share), as ``draw_units`` does in Python. Hover: a unit's z, a,
∂L/∂a, ∂L/∂z in full precision; click: its chain-rule sum
∂L/∂a_j = Σ over next-layer units k of ∂L/∂z_k × w_kj, then ∂L/∂z_j = ∂L/∂a_j × g′(z_j),
and its paths to the root outlined.
"""

from __future__ import annotations

import math

from ... import local_derivatives
from ...value import Value
from ..style import shown_text
from ..units import Network, _scale
from .page import finite


def _short(x: float) -> float | None:
    return finite(float(f"{x:.4g}")) if math.isfinite(x) else None


def _slope(out, z) -> float:
    """g′(z) = ∂a/∂z: 1 when the unit has no activation node."""
    if out is z:
        return 1.0
    for p, d in zip(out.operands, local_derivatives(out)):
        if p is z:
            return float(d)
    return 1.0


def step_numbers(net: Network, value, adjoint) -> dict:
    """One step's numbers for the page (see the module docstring)."""
    nums = net.numbers(value, adjoint)
    return {
        "z": [finite(x) for x in nums["z"]], "a": [finite(x) for x in nums["a"]],
        "da": [finite(x) for x in nums["da"]], "dz": [finite(x) for x in nums["dz"]],
        "w": [_short(x) for x in nums["w"]], "share": [_short(x) for x in nums["share"]],
        "root": finite(nums["root"]),
    }


def network_data(net: Network, steps: list[dict], gp: list[list[float]], top: str) -> dict:
    """The page's data for a network view: ``steps`` from ``step_numbers``, ``gp[s][k]``
    the slope g′(z) of unit k at step s."""
    shares = [x for s in steps for x in s["share"] if x is not None]
    ws = [abs(x) for s in steps for x in s["w"] if x is not None]
    for s, slopes in zip(steps, gp):
        s["gp"] = [finite(x) for x in slopes]
    return {
        "ids": net.ids,
        "names": [shown_text(z.role.module) for _li, _j, z, _o in net.units],
        "act": ["" if out is z else out.op for _li, _j, z, out in net.units],
        "edges": [[t, h] for t, h, _w in net.edges],
        "titles": [net.edge_title(e) for e in range(len(net.edges))],
        "inputs": net.input_names,
        "top": top,
        "steps": steps,
        "scale": list(_scale(shares)),
        "wmax": max(ws, default=1.0) or 1.0,
    }


def single_step(net: Network, adjoints: dict, top: str) -> dict:
    """A picture's own numbers (inspect): one step, from the data and a reverse sweep."""
    step = step_numbers(net, lambda v: v.data, lambda v: adjoints.get(v, 0.0))
    return network_data(net, [step], [[_slope(o, z) for _l, _j, z, o in net.units]], top)


def replay(net: Network, order_index: dict, snapshots: list, top: str) -> dict:
    """A recording's numbers: each snapshot holds ``data`` and ``adj`` lists in the order
    of ``order_index`` ({Value: position}, the topological order of the recorded graph)."""
    steps, gp = [], []
    for snap in snapshots:
        def value(v, s=snap):
            return s.data[order_index[v]]

        steps.append(step_numbers(net, value, lambda v, s=snap: s.adj[order_index[v]]))
        gp.append([_recorded_slope(o, z, value) for _l, _j, z, o in net.units])
    return network_data(net, steps, gp, top)


def _recorded_slope(out, z, value) -> float:
    """g′(z) at a recorded step: the output's own Op's partial at that step's operands."""
    if out is z:
        return 1.0
    rule = out.rule
    args = [value(p) if isinstance(p, Value) else p for p in out.operands]
    try:
        partials = rule.partials(*args, value(out))
    except (ArithmeticError, ValueError, TypeError, AttributeError):
        return float("nan")
    slot = next(i for i, p in enumerate(out.operands) if p is z)
    return float(partials[slot])
