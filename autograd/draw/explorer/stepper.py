"""The backward sweep, one step at a time, on a graph laid out once.

``stepper(root)`` lays the graph out once with ``dot``; Python then runs the sweep
(``adjoint[operand] += adjoint[node] × local``, the same sums in the same order as
``autograd.backward_steps``) and ships, next to the SVG, what each step changes: per box its
state, grad text, badge and hover text (only the boxes that changed), the box visited and
the boxes whose visits are over. The page's script puts those in place, so each step
changes only text and colour, never a position, and the script computes nothing.

Exercise mode (a check box in the page): the gradient of the node visited next is hidden
("grad ?"); the student types it, the page compares it with the interval Python shipped
(``TOLERANCE``), and on a miss shows the node's chain-rule sum with the numbers.

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
from .graph import GraphData, name, svg_of
from .page import Page, fmt, fragment, full, new_prefix, svg_element

DRAW_OPTIONS = frozenset(OPTION_NAMES)  # the one list: autograd.draw.options
LEGEND = (
    '<div class="dgx-legend"><span class="dgx-key dgx-k0"></span>not reached '
    '<span class="dgx-key dgx-k1"></span>k of n shares received '
    '<span class="dgx-key dgx-k2"></span>complete '
    '<span class="dgx-key dgx-k3"></span>visited in this step: pushes adjoint × local '
    "to its operands · hover a node for its numbers, click it for its chain-rule sum</div>"
)
MAX_VISITS_NAMED = 4  # visits spelled out in the caption of one folded step
TOLERANCE = 2e-3  # exercise mode: an answer within 0.2 % (or 1e-6) of the gradient is right
UNREACHED, PARTIAL, COMPLETE = 0, 1, 2  # a Value's (and a box's) state in the sweep


class _Sweep:
    """The sweep of ``g`` replayed step by step: each Value's adjoint so far, the shares it
    has received (``cnt``) and needs (``need``: one per use, the seed for the root)."""

    def __init__(self, g: GraphData):
        self.g = g
        n = len(g.order)
        self.need = [0] * n
        for v in g.order:
            for p, _d in g.operands(v):
                self.need[g.index[p]] += 1
        r = g.index[g.root]
        self.need[r] += 1
        self.adj, self.cnt = [0.0] * n, [0] * n
        self.adj[r], self.cnt[r] = 1.0, 1
        self.members = g.members()
        self.rep = g.representative()

    def push(self, i: int) -> set[int]:
        """Visit Value i: push adjoint × local to each operand; the boxes that changed."""
        g, changed = self.g, set()
        for p, d in g.operands(g.order[i]):
            j = g.index[p]
            self.adj[j] += self.adj[i] * d
            self.cnt[j] += 1
            changed.add(g.box_of[j])
        return changed

    def state(self, i: int) -> int:
        c = self.cnt[i]
        return UNREACHED if c == 0 else PARTIAL if c < self.need[i] else COMPLETE

    def box(self, b: int, top: str) -> list:
        """[state, grad text (None: a folded box keeps its own), badge, hover text]."""
        states = [self.state(i) for i in self.members[b]]
        st = COMPLETE if min(states) == COMPLETE else PARTIAL if max(states) else UNREACHED
        text, badge = None, ""
        if len(states) == 1:
            i = self.members[b][0]
            a = fmt(self.adj[i])
            text = ("grad –", f"grad ~{a}", f"grad {a}")[st]
            if st == PARTIAL:
                badge = f"{self.cnt[i]} of {self.need[i]} shares"
        i = self.rep[b]
        v = self.g.order[i]
        d = f"∂{top}/∂{name(v)}"
        own = self.state(i)
        line = (f"{d}: not reached yet" if own == UNREACHED else
                f"{d}{' so far' if own == PARTIAL else ''} = {full(self.adj[i])} "
                f"({self.cnt[i]} of {self.need[i]} shares)")
        return [st, text, badge, self.g.tip(b, [line, f".grad = {full(v.grad)}"])]


def _quiz(g: GraphData, sweep: _Sweep, visits: list[int] | None, top: str):
    """Exercise mode at a step: the Value visited next (its gradient complete, not yet
    shown) as [box, question, lowest and highest right answer, right text, hint]."""
    if not visits or len(visits) != 1 or len(sweep.members[g.box_of[visits[0]]]) != 1:
        return None
    i = visits[0]
    v, a = g.order[i], sweep.adj[i]
    d = f"∂{top}/∂{name(v)}"
    tol = TOLERANCE * abs(a) + 1e-6
    return [g.box_of[i], f"Exercise: {name(v)} is visited next and all its shares are in. "
            f"What is {d}?", a - tol, a + tol, f"Right: {d} = {full(a)}.",
            f"Not quite. {g.chain(i)}"]


def _sweep_steps(g: GraphData, steps: list[list[int]], top: str) -> dict:
    """The page's data for the steps: the boxes before the first step, then per step the
    boxes that changed, the box visited, the boxes whose visits ended, the quiz."""
    sweep = _Sweep(g)
    base = [sweep.box(b, top) for b in range(len(g.boxes))]
    left = [len(m) for m in sweep.members]
    out, quiz = [], []
    for k, visits in enumerate(steps):
        changed, done = set(), []
        for i in visits:
            changed |= sweep.push(i)
            b = g.box_of[i]
            left[b] -= 1
            if left[b] == 0:
                done.append(b)
        out.append({"v": g.box_of[visits[0]], "done": done,
                    "set": [[b, *sweep.box(b, top)] for b in sorted(changed)]})
        quiz.append(_quiz(g, sweep, steps[k + 1] if k + 1 < len(steps) else None, top))
    return {"base": base, "steps": out, "quiz": quiz,
            "where": [f"step {k + 1} / {len(steps)}" for k in range(len(steps))]}


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
        top = g.top
        steps = _steps(g)
        self.captions = [_caption(g, k, len(steps), s, top) for k, s in enumerate(steps)]
        self.steps = steps
        self.note = "" if self.has_backward else (
            f"No backward pass has run from {top} yet ({top}.grad is 0): call "
            f"{top}.backward() first. These steps show the sweep it would do; no .grad "
            "is changed by showing them.")
        prefix = new_prefix(picture.source)
        self._svg = svg_of(picture)
        data = {**g.data(), **_sweep_steps(g, steps, top), "captions": self.captions}
        note = f'<div class="dgx-note">{html.escape(self.note)}</div>' if self.note else ""
        body = (f'{note}<div class="dgx-bar"></div><div class="dgx-caption">'
                f"{html.escape(self._static_caption())}</div>"
                f"{LEGEND}"
                f'<div class="dgx-main"><div class="dgx-figure">{svg_element(self._svg, prefix)}'
                '</div><div class="dgx-side"><div class="dgx-info">Click a node for its '
                "chain-rule sum.</div></div></div>")
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
