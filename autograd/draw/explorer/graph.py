"""The numbers behind a drawn graph, as plain lists a page script can read.

Everything is computed from the engine's public API: the reverse sweep runs on its own dict
(``backward_steps``), so no ``.grad`` is touched. For each Value in topological order:

* ``b``: the index of the box drawing it (``picture.node_ids``; folded Values share one);
* ``ops``: ``[operand index, ∂value/∂operand]`` for each Value operand, in order (what the
  sweep pushes: ``share = adjoint × local``);
* ``adj``: ∂root/∂value, the sum over consumers c of ∂root/∂c × ∂c/∂value.

What a page shows of them is written here as text (``tip``: hover; ``chain``: click, the
chain-rule sum with its numbers); the page's script only puts the texts in place.
"""

from __future__ import annotations

import graphviz

from ... import backward_steps, local_derivatives, topological_order
from ...value import Value
from ..style import caption_name, shown_text
from .page import finite, fmt, full

ROOT_NAME = "out"


def name(v: Value) -> str:
    """How a caption names a node: its label, else its op and data, never an internal id."""
    return caption_name(v, fmt)


def svg_of(picture: graphviz.Digraph) -> str:
    """The picture laid out once by ``dot``."""
    return picture.pipe(format="svg", encoding="utf-8")


def find_root(node_ids: dict) -> Value:
    """The one Value of a picture that no other Value of it uses."""
    used = {id(p) for v in node_ids for p in v.parents}
    roots = [v for v in node_ids if id(v) not in used]
    if len(roots) != 1:
        raise ValueError(f"the picture has {len(roots)} outputs; pass the root Value instead")
    return roots[0]


class GraphData:
    """A root's graph as index lists, with its box names from ``node_ids``."""

    def __init__(self, root: Value, node_ids: dict):
        self.root = root
        self.order = topological_order(root)
        missing = [v for v in self.order if v not in node_ids]
        if missing:
            raise ValueError(
                f"the picture draws no box for {len(missing)} of the graph's Values "
                f"(e.g. {name(missing[0])}); draw it with autograd.draw.draw_dot(root)")
        self.index = {v: i for i, v in enumerate(self.order)}
        self.boxes: list[str] = []
        box_index: dict[str, int] = {}
        self.box_of: list[int] = []
        for v in self.order:
            b = box_index.setdefault(node_ids[v], len(self.boxes))
            if b == len(self.boxes):
                self.boxes.append(node_ids[v])
            self.box_of.append(b)
        self.locals = [local_derivatives(v) for v in self.order]
        self.adj = {root: 1.0}
        for _ in backward_steps(root, self.adj):
            pass

    def operands(self, v: Value) -> list[tuple[Value, float]]:
        """(operand, local derivative) for each Value operand of ``v``."""
        local = self.locals[self.index[v]]
        return [(p, float(d)) for p, d in zip(v.operands, local) if isinstance(p, Value)]

    def values(self) -> list[dict]:
        """One dict per Value: what hover and click show, and what the sweep pushes."""
        out = []
        for i, v in enumerate(self.order):
            out.append({
                "b": self.box_of[i],
                "name": name(v),
                "data": finite(v.data),
                "grad": finite(v.grad),
                "adj": finite(self.adj.get(v, 0.0)),
                "ops": [[self.index[p], finite(d)] for p, d in self.operands(v)],
            })
        return out

    def representative(self) -> list[int]:
        """For each box, the Value it shows: its last in topological order (the output)."""
        rep = [0] * len(self.boxes)
        for i, b in enumerate(self.box_of):
            rep[b] = i
        return rep

    @property
    def top(self) -> str:
        return shown_text(self.root.label) or ROOT_NAME

    def members(self) -> list[list[int]]:
        """For each box, the indices of the Values it draws."""
        out: list[list[int]] = [[] for _ in self.boxes]
        for i, b in enumerate(self.box_of):
            out[b].append(i)
        return out

    def uses(self, i: int) -> list[tuple[int, float]]:
        """(consumer index, ∂consumer/∂value) for each use of Value i: its sum's terms."""
        if not hasattr(self, "_uses"):
            self._uses: list[list[tuple[int, float]]] = [[] for _ in self.order]
            for c, v in enumerate(self.order):
                for p, d in self.operands(v):
                    self._uses[self.index[p]].append((c, d))
        return self._uses[i]

    def tip(self, b: int, extra: list[str]) -> str:
        """Hover text of box b: its output Value's name and data, then ``extra``."""
        n = sum(1 for x in self.box_of if x == b)
        v = self.order[self.representative()[b]]
        head = [f"{n} values folded here; its output:"] if n > 1 else []
        return "\n".join(head + [name(v), f"data = {full(v.data)}"] + extra)

    def chain(self, i: int) -> str:
        """∂L/∂v = Σ over the uses of v of ∂L/∂consumer × ∂consumer/∂v, with the numbers."""
        v, top = self.order[i], self.top
        head = f"∂{top}/∂{name(v)}"
        if v is self.root:
            return head + " = 1: the seed of the sweep (the output itself)."
        uses = self.uses(i)
        lines = [f"{head} = Σ over its {len(uses)} use{'' if len(uses) == 1 else 's'} of "
                 f"∂{top}/∂consumer × ∂consumer/∂{name(v)}:"]
        parts = []
        for c, local in uses:
            up = self.adj.get(self.order[c], 0.0)
            lines.append(f"  via {name(self.order[c])}: {fmt(up)} × {fmt(local)} = "
                         f"{fmt(up * local)}")
            parts.append(fmt(up * local))
        a = self.adj.get(v, 0.0)
        lines.append(f"  {head} = {' + '.join(parts).replace('+ −', '− ')} = {fmt(a)}  "
                     f"(full precision {full(a)})")
        return "\n".join(lines)

    def sums(self) -> list[str]:
        """Click text of each box: the chain-rule sum of the Value it shows."""
        return [self.chain(i) for i in self.representative()]

    def inspect_tips(self) -> list[str]:
        """Hover text of each box in ``inspect``: data, .grad and ∂root/∂value."""
        out = []
        for b, i in enumerate(self.representative()):
            v = self.order[i]
            out.append(self.tip(b, [f".grad = {full(finite(v.grad))}",
                                    f"∂{self.top}/∂{name(v)} = {full(self.adj.get(v, 0.0))}"]))
        return out

    def data(self) -> dict:
        """What every page of this graph gets: its boxes' DOT names and click texts."""
        return {"boxes": self.boxes, "sums": self.sums()}
