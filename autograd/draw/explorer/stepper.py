"""The backward sweep, one step at a time, on a graph laid out once.

``stepper(root)`` lays the graph out once with ``dot`` and ships, next to the SVG, the order
of the sweep and each node's local derivatives; the page's script replays the sweep
(``adjoint[operand] += adjoint[node] × local``, the same sums in the same order as
``autograd.backward_steps``), so each step changes only text and colour, never a position.

A node is in one of three states: *not reached* (no consumer has pushed its share yet),
*k of n shares* (k of its n uses have pushed, the sum is partial), *complete* (all n have;
for the root the seed ∂L/∂L = 1 is its one share). The node visited in the step is outlined:
its derivative is complete and it pushes ``adjoint × local`` to each operand.

With ``max_nodes`` the picture folds Values into summaries; the stepper then steps at the
drawn granularity: consecutive visits inside one summary are one step, the summary outlined.
"""

from __future__ import annotations

import html
import os

from ...sweep import backward_ran, shares
from ...value import Value
from ..options import OPTION_NAMES
from ..style import shown_text
from .graph import GraphData, name, svg_of
from .page import Page, fmt, fragment, new_prefix, svg_element

DRAW_OPTIONS = frozenset(OPTION_NAMES)  # the one list: autograd.draw.options
LEGEND = (
    '<div class="dgx-legend"><span class="dgx-key dgx-k0"></span>not reached '
    '<span class="dgx-key dgx-k1"></span>k of n shares received '
    '<span class="dgx-key dgx-k2"></span>complete '
    '<span class="dgx-key dgx-k3"></span>visited in this step: pushes adjoint × local '
    "to its operands · hover a node for its numbers, click it for its chain-rule sum</div>"
)
MAX_VISITS_NAMED = 4  # visits spelled out in the caption of one folded step


def _visit_text(g: GraphData, v: Value, top: str) -> str:
    """∂L/∂v = x; pushed x × local = share to each operand (or: a leaf)."""
    a = g.adj.get(v, 0.0)
    if v is g.root:
        what = f"the seed ∂{top}/∂{top} = 1"
    else:
        what = f"∂{top}/∂{name(v)} = {fmt(a)}"
    pushes = [f"{fmt(a)} × {fmt(d)} = {fmt(s)} to {name(p)}" for p, d, s in shares(v, a)]
    if pushes:
        return f"{what}; pushed {', '.join(pushes)}"
    if v.parents:  # a gating op (relu) at slope 0: see autograd.sweep.gated
        return f"{what}; slope 0: nothing passes back to {name(v.parents[0])}"
    if v.op:
        return f"{what}; its operands are constants: nothing to push"
    return f"{what}; a leaf: nothing to push (this is what backward adds to its .grad)"


def _steps(g: GraphData) -> list[list[int]]:
    """The sweep's visits, reverse topological order, merged while they stay in one box."""
    steps: list[list[int]] = []
    last_box = None
    for v in reversed(g.order):
        i = g.index[v]
        b = g.box_of[i]
        if steps and b == last_box and len(g.boxes) < len(g.order):
            steps[-1].append(i)
        else:
            steps.append([i])
        last_box = b
    return steps


def _box_name(g: GraphData, b: int) -> str:
    """A folded box by what the picture shows: its members' common dotted label prefix."""
    members = [v for v, box in zip(g.order, g.box_of) if box == b]
    paths = [v.label.split(".")[:-1] for v in members if v.label]
    common = os.path.commonprefix(paths) if paths else []
    if common and len(paths) == len(members):
        return f"the folded box {'.'.join(common)} ({len(members)} nodes)"
    return f"a folded box of {len(members)} nodes"


def _caption(g: GraphData, k: int, n: int, visits: list[int], top: str) -> str:
    nodes = [g.order[i] for i in visits]
    head = f"step {k + 1} of {n}: "
    if len(nodes) == 1 and sum(1 for b in g.box_of if b == g.box_of[visits[0]]) == 1:
        return head + f"visiting {name(nodes[0])}: " + _visit_text(g, nodes[0], top)
    texts = [_visit_text(g, v, top) for v in nodes[:MAX_VISITS_NAMED]]
    more = len(nodes) - MAX_VISITS_NAMED
    tail = f"; … and {more} more node{'s' if more != 1 else ''}" if more > 0 else ""
    return (head + f"inside {_box_name(g, g.box_of[visits[0]])}, {len(nodes)} "
            f"node{'s' if len(nodes) != 1 else ''}: " + "; then ".join(texts) + tail)


class Stepper(Page):
    """A backward stepper: display it in Jupyter, or ``save("steps.html")``."""

    title = "dagrad: backward, step by step"

    def __init__(self, root: Value, **draw_options):
        from ..builder import draw_dot  # the pictures import the engine, not the other way

        if not isinstance(root, Value):
            raise TypeError(f"stepper needs a Value (the output), got {type(root).__name__}")
        unknown = set(draw_options) - DRAW_OPTIONS
        if unknown:
            raise TypeError(f"stepper got unexpected options {sorted(unknown)}; it takes "
                            f"those of draw_dot: {sorted(DRAW_OPTIONS)}")
        draw_options.pop("fmt", None)
        self.has_backward = backward_ran(root)
        picture = draw_dot(root, grads=self.has_backward, **draw_options)
        self.graph = g = GraphData(root, picture.node_ids)
        top = shown_text(root.label) or "out"
        steps = _steps(g)
        self.captions = [_caption(g, k, len(steps), s, top) for k, s in enumerate(steps)]
        self.steps = steps
        self.note = "" if self.has_backward else (
            f"No backward pass has run from {top} yet ({top}.grad is 0): call "
            f"{top}.backward() first. These steps show the sweep it would do; no .grad "
            "is changed by showing them.")
        prefix = new_prefix(picture.source)
        self._svg = svg_of(picture)
        data = {**g.data(), "steps": steps, "captions": self.captions, "note": self.note}
        note = f'<div class="dgx-note">{html.escape(self.note)}</div>' if self.note else ""
        body = (f'{note}<div class="dgx-bar"></div><div class="dgx-caption">'
                f"{html.escape(self._static_caption())}</div>"
                f"{LEGEND}"
                f'<div class="dgx-figure">{svg_element(self._svg, prefix)}</div>'
                '<div class="dgx-info"></div>')
        static = ("Scripts are off here, so this is the end of the sweep: every gradient "
                  "complete." if self.has_backward else
                  "Scripts are off here: the graph without gradients (no backward pass yet).")
        self._html = fragment("stepper", prefix, body, data, static_note=(
            static + " Open the notebook in Jupyter, or its HTML export, to step through it."))

    def _static_caption(self) -> str:
        return f"after all {len(self.steps)} steps of the backward sweep"

    def __len__(self) -> int:
        return len(self.steps)

    def __repr__(self) -> str:
        return f"<Stepper: {len(self.steps)} backward steps over {len(self.graph.order)} values>"


def stepper(root: Value, **draw_options) -> Stepper:
    """The backward sweep of ``root`` step by step, as one self-contained HTML component.

    ``draw_options`` are those of ``draw_dot`` (rankdir, edge_labels, show_constants,
    color_by_grad, clusters, max_nodes). Buttons, a slider and the keys → ← (step) and
    space (play) move through the steps; hovering a node shows its data and gradient in
    full precision, clicking it its chain-rule sum ∂L/∂v = Σ upstream × local.
    """
    return Stepper(root, **draw_options)


def show_backward(root: Value, *, widget: bool | None = None, max_frames: int | None = None,
                  **draw_options) -> Stepper:
    """Drop-in for ``autograd.draw.show_backward``: the stepper, which needs no kernel.

    ``widget`` and ``max_frames`` are accepted for compatibility and ignored: the stepper is
    the same everywhere, and lays the graph out once whatever its size.
    """
    return Stepper(root, **draw_options)
