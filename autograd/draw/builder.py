"""The DOT builder: one box per ``Value`` (label | data | grad), one small node per op.

``draw_dot(root)`` returns a ``GraphPicture`` (a ``graphviz.Digraph``) with edges operand →
op → result. Node ids are a counter over the topological order (``v0``, ``v0op``, ``v3c1``
for the constant operand 1 of node 3, ``s0`` for summaries), never ``id()``: the same graph
gives the same DOT source and the same SVG on every run. Nothing here recurses on the depth
of the graph.
"""

from __future__ import annotations

import html
import math
from collections import Counter

import graphviz

from .. import backward_steps, forward_tangents, local_derivatives
from ..sweep import backward_ran
from ..value import Value
from .display import GraphPicture
from .layout import (
    AUTO_STEPS,
    UNFOLDED_COLUMNS,
    UNFOLDED_NODES,
    Layout,
    _reaches,
    count_paths,
    resolve,
)
from .options import DrawOptions
from .style import (
    FOCUS,
    HIGHLIGHT,
    LOG_RANGE,
    TOOLTIP_CHARS,
    clean,
    fmt_count,
    fmt_number,
    grad_color,
    grad_penwidth,
    num,
    op_label,
    shown_text,
    slot_name,
)
from .units import draw_units

__all__ = ["draw_dot"]

VIEWS = ("values", "units")


GRAD_TEXT = {  # how a gradient reads in its box, by state
    "final": "grad {}",
    "partial": '<FONT COLOR="grey35"><I>grad ~{} (partial)</I></FONT>',
    "unset": '<FONT COLOR="grey60">grad –</FONT>',
    "stale": '<FONT COLOR="grey60"><S>grad {}</S></FONT>',
    "tangent": '<FONT COLOR="#1b7837">tangent {}</FONT>',
}
WRONG = "#d7191c"  # a node whose derivative rule is wrong, or where a NaN/inf began


class Shares(float):
    """A partial sum of gradient shares that knows how many it holds: k of n."""

    k: int
    n: int

    def __new__(cls, value: float, k: int, n: int):
        self = super().__new__(cls, value)
        self.k, self.n = k, n
        return self


def _value_label(node: Value, name: str, state: str, g) -> str:
    """The box: the label on top, data | grad below (narrow; the grad is the last text)."""
    grad = GRAD_TEXT[state].format(fmt_number(g) if g is not None else "")
    if isinstance(g, Shares) and state == "partial":
        grad = grad.replace("(partial)", f"({g.k} of {g.n} shares)")
    rows = f'<TR><TD COLSPAN="2"><B>{html.escape(name)}</B></TD></TR>' if name else ""
    rows += (f'<TR><TD>data {fmt_number(node.data)}</TD><TD SIDES="L" BORDER="1" '
             f'COLOR="grey80">{grad}</TD></TR>')
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">'
            f"{rows}</TABLE>>")


def _tooltip(node: Value, state: str, g) -> str:
    if state == "unset":
        shown = "not set yet"
    else:
        shown = repr(num(g)) + (" (partial)" if state == "partial" else "")
    op = f", op={node.op}" if node.op else ""
    label = f", label={shown_text(node.label, TOOLTIP_CHARS)!r}" if node.label else ""
    what = "tangent" if state == "tangent" else "grad"  # forward mode shows d node/d seeds
    return f"Value(data={node.data!r}, {what}={shown}{label}{op})"


class _Shade:
    """A colour (or pen width) by gradient, resolved once the picture's range is known."""

    __slots__ = ("value", "kind")

    def __init__(self, value: float, kind: str = "color"):
        self.value, self.kind = value, kind

    def resolve(self, scale: tuple[float, float]) -> str:
        if self.kind == "width":
            return grad_penwidth(self.value, scale)
        return grad_color(self.value, scale) if self.value != 0 else ZERO_FILL


ZERO_FILL = "#e6e6e6"  # a zero gradient: light grey, never white on white


def fitted_scale(values: list[float]) -> tuple[float, float]:
    """log10 of the smallest and largest nonzero finite |value|: the picture's own range."""
    mags = [abs(v) for v in values if v != 0 and math.isfinite(v)]
    if not mags:
        return LOG_RANGE
    lo, hi = math.log10(min(mags)), math.log10(max(mags))
    return (lo, hi) if hi - lo > 1e-9 else (lo - 1.0, hi)


def _add_legend(g: graphviz.Digraph, scale: tuple[float, float]) -> None:
    """One small table: this picture's range of gradients, on a log scale of |grad|."""
    lo, hi = scale
    mags = [10.0 ** hi, 10.0 ** ((lo + hi) / 2), 10.0 ** lo]
    ticks = [-m for m in mags] + [0.0] + list(reversed(mags))
    cells = "".join(f'<TD BGCOLOR="{grad_color(t, scale) if t else ZERO_FILL}">'
                    f"{fmt_number(t)}</TD>" for t in ticks)
    label = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
             f'<TR><TD COLSPAN="{len(ticks)}">grad and shares: blue &gt; 0, red &lt; 0, '
             f"log |·| from {fmt_number(10.0 ** lo)} to {fmt_number(10.0 ** hi)} (this "
             f"picture); 0 grey, zero-share edges dashed</TD></TR><TR>{cells}</TR></TABLE>>")
    g.node("legend", label, shape="plaintext", fontsize="10", id="legend")


def _resolve_shades(statements, scale) -> None:
    for _, kwargs in statements:
        for k, v in kwargs.items():
            if isinstance(v, _Shade):
                kwargs[k] = v.resolve(scale)


WIDTH_PX = {"box": 130, "box3d": 230, "ellipse": 45, "plaintext": 35, "record": 160}
RANKSEP_PX, NODESEP_PX = 48, 24  # dot's defaults: ranksep 0.5 in, nodesep 0.25 in
FIT_PX = 1150  # the width a notebook column shows at 100 % (a little under 1,200 px)
MIN_SCALE = 0.83  # dot may shrink a picture this much: 10 pt text stays >= 11 px


def _ranks(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path rank of each DOT node (what dot's ranking gives on a DAG)."""
    indeg = dict.fromkeys(names, 0)
    out: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        if a in out and b in indeg:
            out[a].append(b)
            indeg[b] += 1
    rank = dict.fromkeys(names, 0)
    todo = [n for n in names if indeg[n] == 0]
    while todo:
        n = todo.pop()
        for m in out[n]:
            rank[m] = max(rank[m], rank[n] + 1)
            indeg[m] -= 1
            if indeg[m] == 0:
                todo.append(m)
    return rank


def estimate_widths(widths: dict[str, int], edges: list[tuple[str, str]],
                    edge_label_px: int = 0) -> tuple[int, int]:
    """Estimated picture widths in px left-to-right and top-to-bottom.

    LR: the ranks side by side (widest node of each rank + ranksep + edge labels);
    TB: the widest rank, its nodes side by side.
    """
    rank = _ranks(list(widths), edges)
    widest: dict[int, int] = {}
    total: dict[int, int] = {}
    for name, r in rank.items():
        widest[r] = max(widest.get(r, 0), widths[name])
        total[r] = total.get(r, 0) + widths[name] + NODESEP_PX
    lr = sum(w + RANKSEP_PX + edge_label_px for w in widest.values())
    tb = max(total.values(), default=0)
    return lr, tb


def choose_rankdir(widths: dict[str, int], edges: list[tuple[str, str]],
                   edge_label_px: int = 0, extra_px: int = 0) -> str:
    """Left to right if that fits the column, else whichever direction is narrower."""
    lr, tb = estimate_widths(widths, edges, edge_label_px)
    lr, tb = lr + extra_px, tb + extra_px
    return "LR" if lr <= FIT_PX or lr <= tb else "TB"


def _natural(path: tuple) -> list:
    """Sort key: layers.2 before layers.10."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in path[-1].split(".")]


def _short_name(name: str, parent: str) -> str:
    """``layers.0.neurons.3`` inside ``layers.0`` is ``neurons.3``."""
    return name[len(parent) + 1:] if parent and name.startswith(parent + ".") else name


class FrameCache:
    """What the frames of one sweep share, so that drawing n frames of n nodes costs about
    n² dictionary look-ups rather than n² DOT statements made and quoted anew (issue 22,
    item 10). The first frame is drawn as any picture; it fixes ``fold`` (with
    ``max_nodes="auto"``: every frame has the same boxes and edges, so the same fold fits)
    and ``fit`` (direction, shrink caption). Then:

    * ``drawn``: per node and what its box shows in a frame (grad state and number, focus,
      visited), a ``Drawn``: the statements ``_Builder.draw_value`` made for it;
    * ``lines``: per statement, the DOT line graphviz quoted for it;
    * ``heads``: per cluster, its ``subgraph … {`` and attribute lines and its ``}``;
    * ``prev`` and ``changed``: the sweep says which nodes a step changes (the one visited,
      the one visited before, the operands that got a share); every other node is drawn
      as in the frame before, so a frame costs little more than copying its lines.
    """

    def __init__(self) -> None:
        self.ready = False
        self.fold: int | None = None
        self.fit: tuple[str, str, bool] = ("", "", True)  # rankdir, caption, fits
        self.drawn: dict[tuple, Drawn] = {}
        self.lines: dict[tuple, str] = {}
        self.heads: dict[tuple, tuple[list[str], str]] = {}
        self.scratch = GraphPicture(name="scratch")
        # The previous frame's Drawn, one per box in drawing order, and the nodes whose look
        # may differ in this frame (None: all): the others keep theirs.
        self.prev: list[Drawn] | None = None
        self.changed: set | None = None
        self.node_ids: dict | None = None

    def line(self, kind: str, args: tuple, kwargs: dict) -> str:
        """The DOT line of ``node(*args, **kwargs)`` (or ``edge``), quoted once."""
        key = (kind, args, tuple(kwargs.items()))
        line = self.lines.get(key)
        if line is None:
            getattr(self.scratch, kind)(*args, **kwargs)
            line = self.lines[key] = self.scratch.body.pop()
        return line

    def head(self, path: tuple) -> tuple[list[str], str]:
        """A cluster's opening lines and its closing line, indented for its depth."""
        got = self.heads.get(path)
        if got is None:
            tabs = "\t" * len(path)
            lines = [tabs + line for line in _cluster(path).__iter__(subgraph=True)]
            got = self.heads[path] = (lines[:-1], lines[-1])
        return got


class Drawn:
    """The statements drawing one node as it looks in some frame, and their DOT lines by
    the picture's colour scale (None when no statement has a shade)."""

    __slots__ = ("statements", "shades", "lines", "summaries")

    def __init__(self, statements: list) -> None:
        self.statements = statements
        self.summaries = [key for where, key in statements if where == "summary"]
        self.shades = [v.value for where, st in statements if where != "summary"
                       for v in st[-1].values() if isinstance(v, _Shade)]
        self.lines: dict = {}

    def lines_at(self, scale, cache: FrameCache) -> tuple[list, list]:
        """([(cluster path, node line indented for it)], [edge line]) with the shades
        resolved at ``scale``."""
        key = scale if self.shades else None
        got = self.lines.get(key)
        if got is None:
            nodes, edges = [], []
            for where, st in self.statements:
                if where == "summary":
                    continue
                kwargs = {k: v.resolve(scale) if isinstance(v, _Shade) else v
                          for k, v in st[-1].items()}
                if where is None:
                    edges.append(cache.line("edge", st[0], kwargs))
                else:
                    nodes.append((where, "\t" * len(where) + cache.line("node", st[1], kwargs)))
            got = self.lines[key] = (nodes, edges)
        return got


def _cluster(path: tuple) -> GraphPicture:
    """An empty cluster subgraph for ``path``, named and framed."""
    target = GraphPicture(name=clean(f"cluster_{path[-1]}"))
    parent_name = path[-2] if len(path) > 1 else ""
    target.attr(label=shown_text(_short_name(path[-1], parent_name)), style="rounded",
                color="grey70", fontsize="10", fontname="Helvetica")
    return target


def _emit(g: graphviz.Digraph, body: dict[tuple, list]) -> None:
    """Write statements, nesting cluster subgraphs (deepest first; depth = label dots only)."""
    subs: dict[tuple, graphviz.Digraph] = {}
    for path in sorted(body, key=len, reverse=True):
        target = _cluster(path) if path else g
        for _, args, kwargs in body[path]:
            target.node(*args, **kwargs)
        children = [c for c in subs if len(c) == len(path) + 1 and c[:-1] == path]
        for child in sorted(children, key=_natural):
            target.subgraph(subs.pop(child))
        if path:
            subs[path] = target


def _emit_lines(g: graphviz.Digraph, lines: dict[tuple, list[str]], cache: FrameCache) -> None:
    """``_emit`` from ready DOT lines per cluster path (each indented for its depth): the
    same source, line for line."""
    paths = set()
    for path in lines:
        paths.update(path[:i] for i in range(1, len(path) + 1))
    children: dict[tuple, list] = {}
    for path in paths:
        children.setdefault(path[:-1], []).append(path)
    body = g.body

    def nest(path: tuple) -> None:
        head, tail = cache.head(path)
        body.extend(head)
        body.extend(lines.get(path, ()))
        for child in sorted(children.get(path, ()), key=_natural):
            nest(child)
        body.append(tail)

    body.extend(lines.get((), ()))
    for child in sorted(children.get((), ()), key=_natural):
        nest(child)


class _Builder:
    """Emits the DOT of one picture: ``grad_state(node) -> ("final"|"partial"|"unset", g)``.

    ``upstream(node)`` gives the adjoint used for "product" edge labels when the node's
    gradient is not shown (None: no product label). ``sweep``: in a frame of the reverse
    sweep, the nodes visited so far (the edges of the others are grey: their shares are not
    pushed yet; ``focus`` is the node visited in this frame).
    """

    def __init__(self, layout: Layout, style: DrawOptions, grad_state, *, highlight=None,
                 focus=None, upstream=None, sweep: set | None = None, mark=(),
                 cache: FrameCache | None = None):
        self.layout, self.style, self.grad_state = layout, style, grad_state
        self.cache = cache  # a ready FrameCache: draw from it (see value, finish_cached)
        self.record: list | None = None  # the statements of the node being drawn (cache)
        self.drawn: list[Drawn] = []
        self.fit = ("", "", True)
        self.highlight, self.focus, self.upstream, self.sweep = highlight, focus, upstream, sweep
        self.on_path = _reaches(highlight, layout.order) if highlight is not None else set()
        self.body: dict[tuple, list] = {(): []}  # statements per cluster path; () is the top
        self.edges: list = []
        self.summary_edges: Counter = Counter()
        self.mark = set(mark)

    # --- statements ---------------------------------------------------------------------------
    def node(self, path: tuple, name: str, *args, **kwargs) -> None:
        for i in range(1, len(path) + 1):
            self.body.setdefault(path[:i], [])
        statement = ("node", (name, *args), {"id": name, **kwargs})
        if self.record is not None:
            self.record.append((path, statement))
        else:
            self.body[path].append(statement)

    def edge(self, *args, **kwargs) -> None:
        # Edges go after all clusters, at the top level: an edge written inside a cluster
        # would pull a node first mentioned there (from another cluster) into it.
        if self.record is not None:
            self.record.append((None, (args, kwargs)))
        else:
            self.edges.append((args, kwargs))

    def summary_edge(self, key: tuple) -> None:
        """One more edge from a summary (parallel ones merge, with a count)."""
        self.summary_edges[key] += 1
        if self.record is not None:
            self.record.append(("summary", key))

    def value(self, node: Value) -> None:
        """The statements drawing ``node`` (``draw_value``); with a ready frame cache, taken
        from it when the node looks as it did in an earlier frame."""
        cache = self.cache
        if cache is None:
            self.draw_value(node)
            return
        i = len(self.drawn)
        if cache.prev is not None and node not in cache.changed:
            drawn = cache.prev[i]  # looks as in the frame before
            for key in drawn.summaries:
                self.summary_edges[key] += 1
            self.drawn.append(drawn)
            return
        state, g = self.grad_state(node)
        key = (node, state, None if g is None else float(g), getattr(g, "k", None),
               node is self.focus, self.sweep is None or node in self.sweep)
        drawn = self.cache.drawn.get(key)
        if drawn is None:
            self.record = []
            self.draw_value(node)  # summary edges are counted as it draws
            drawn = self.cache.drawn[key] = Drawn(self.record)
            self.record = None
        else:
            for key in drawn.summaries:
                self.summary_edges[key] += 1
        self.drawn.append(drawn)

    # --- the picture --------------------------------------------------------------------------
    def collect(self) -> None:
        """Every node and edge statement of the picture."""
        layout = self.layout
        summaries: list[tuple] = []
        for node in layout.order:
            key = layout.unit.get(node)
            if key is None:
                self.value(node)
                continue
            if key not in summaries:
                summaries.append(key)
            self.folded_edges(node, key)
        # summaries in natural order of their names (neurons.2 before neurons.10), so that dot
        # stacks them in that order; their ids still follow the topological order
        for key in sorted(summaries, key=lambda k: _natural((str(k[1]),))):
            self.summary(key)
        for (a, b, lit), n in self.summary_edges.items():
            attrs = {"color": "grey55", "arrowsize": "0.6"}
            if n > 1:
                attrs["label"] = f"×{n}"
            if lit:
                attrs.update(color=HIGHLIGHT, penwidth="3")
            self.edge(a, b, **attrs)

    def rankdir(self) -> str:
        if self.style.rankdir != "auto":
            return self.style.rankdir
        widths = {args[0]: WIDTH_PX.get(kw.get("shape", "box"), 130)
                  for stmts in self.body.values() for _, args, kw in stmts}
        edges = [(args[0], args[1]) for args, _ in self.edges]
        label_px = {None: 0, "local": 20, "product": 90}[self.style.edge_labels]
        legend = 400 if self.style.color_by_grad else 0
        return choose_rankdir(widths, edges, label_px, legend)

    def width(self) -> int:
        """The picture's estimated width in px at 100 % (in the direction dot will draw)."""
        widths = {args[0]: WIDTH_PX.get(kw.get("shape", "box"), 130)
                  for stmts in self.body.values() for _, args, kw in stmts}
        edges = [(args[0], args[1]) for args, _ in self.edges]
        label_px = {None: 0, "local": 20, "product": 90}[self.style.edge_labels]
        lr, tb = estimate_widths(widths, edges, label_px)
        if self.style.color_by_grad:  # the legend sits beside the graph
            lr, tb = lr + 400, tb + 400
        return (lr if self.style.rankdir in ("LR", "RL") else
                tb if self.style.rankdir in ("TB", "BT") else min(lr, tb))

    def fits(self, columns: int = 1) -> bool:
        """Whether dot's picture fits ``columns`` notebook columns with text >= 11 px."""
        return self.width() <= columns * FIT_PX / MIN_SCALE

    def shrink_caption(self) -> str:
        """Said when the picture is wider than the column at readable text: it is drawn at
        100 % and the notebook scrolls it sideways, so the caption says how to fold it."""
        if self.fits():
            return ""
        if self.style.max_nodes == "auto" and self.layout.unit:
            return ("too big for a notebook column even folded: it scrolls sideways; "
                    "try view='units' for a network")
        if self.style.max_nodes == "auto":
            return ("wider than a notebook column with text of 11 px: it scrolls sideways; "
                    f"draw_dot(..., max_nodes={AUTO_STEPS[2]}) folds it into one column")
        return (f"too big for a notebook column with text of 11 px at max_nodes="
                f"{self.style.max_nodes}: it scrolls sideways (text stays readable); "
                "max_nodes='auto' folds it to fit")

    def finish(self, caption: str | None) -> GraphPicture:
        style = self.style
        g = GraphPicture(name="dagrad", format=style.fmt)
        # size: dot scales a picture that fits down to the column (12 in, 1,150 px), never
        # up; one too wide for that at readable text is drawn at 100 % (it scrolls sideways)
        self.fit = fit = (self.rankdir(), self.shrink_caption(), self.fits())
        g.attr(rankdir=fit[0], **({"size": f"{FIT_PX / 96:.2f},1000"} if fit[2] else {}))
        g.attr("node", fontname="Helvetica", fontsize="11")
        g.attr("edge", fontname="Helvetica", fontsize="10")
        shades = [(None, kw) for stmts in self.body.values() for _, _, kw in stmts]
        shades += [(None, kw) for _, kw in self.edges]
        scale = fitted_scale([v.value for _, kw in shades for v in kw.values()
                              if isinstance(v, _Shade)])
        _resolve_shades(shades, scale)
        _emit(g, self.body)
        for args, kwargs in self.edges:
            g.edge(*args, **kwargs)
        return self.close(g, scale, caption)

    def finish_cached(self, caption: str | None) -> GraphPicture:
        """``finish`` for a frame after the first: the same source, from the frame cache's
        lines (each node's statements resolved and quoted once per colour scale)."""
        cache, style = self.cache, self.style
        g = GraphPicture(name="dagrad", format=style.fmt)
        self.fit = cache.fit
        g.attr(rankdir=self.fit[0], **({"size": f"{FIT_PX / 96:.2f},1000"} if self.fit[2] else {}))
        g.attr("node", fontname="Helvetica", fontsize="11")
        g.attr("edge", fontname="Helvetica", fontsize="10")
        rest = [(None, kw) for stmts in self.body.values() for _, _, kw in stmts]
        rest += [(None, kw) for _, kw in self.edges]  # summaries: drawn anew in each frame
        values = [v.value for _, kw in rest for v in kw.values() if isinstance(v, _Shade)]
        for drawn in self.drawn:
            values += drawn.shades
        scale = fitted_scale(values)
        _resolve_shades(rest, scale)
        lines: dict[tuple, list[str]] = {}
        edges: list[str] = []
        for drawn in self.drawn:
            node_lines, edge_lines = drawn.lines_at(scale, cache)
            for path, line in node_lines:
                lines.setdefault(path, []).append(line)
            edges += edge_lines
        for path, stmts in self.body.items():
            tabs = "\t" * len(path)
            lines.setdefault(path, []).extend(
                tabs + cache.line("node", args, kwargs) for _, args, kwargs in stmts)
        edges += [cache.line("edge", args, kwargs) for args, kwargs in self.edges]
        _emit_lines(g, lines, cache)
        g.body += edges
        cache.prev = self.drawn
        return self.close(g, scale, caption)

    def close(self, g: GraphPicture, scale, caption: str | None) -> GraphPicture:
        """What follows the statements: summary text, ids, legend, caption."""
        layout, style, fit = self.layout, self.style, self.fit
        g.summary = f"of {len(layout.order)} values, {len(layout.unit_id)} summaries"
        if self.cache is None:
            g.node_ids = layout.node_ids()
        else:  # the same boxes in every frame of a sweep
            if self.cache.node_ids is None:
                self.cache.node_ids = layout.node_ids()
            g.node_ids = dict(self.cache.node_ids)
        if style.color_by_grad:
            _add_legend(g, scale)
        caption = "\n".join(c for c in (caption, self.fold_caption(), fit[1]) if c)
        if caption:
            # each line left-justified (DOT's \l), so long captions wrap into lines
            g.attr(label=caption.replace("\n", "\\l") + "\\l", labelloc="t", labeljust="l",
                   fontname="Helvetica", fontsize="12")
            g.caption = caption
        return g

    def fold_caption(self) -> str:
        layout = self.layout
        if not layout.unit:
            return ""
        n = len(layout.order)
        return (f"{len(layout.unit)} of {n} values folded into {len(layout.unit_id)} summaries "
                f"(max_nodes={layout.max_nodes});\ndraw_dot(..., max_nodes=None) draws all {n} "
                f"(slow for big graphs)")

    def folded_edges(self, node: Value, key: tuple) -> None:
        """Edges into a summary from outside it, counted so parallel ones merge."""
        layout = self.layout
        for p in node.operands:
            if p.__class__ is not float and layout.unit.get(p) != key:
                lit = p in self.on_path and node in self.on_path
                self.summary_edges[(layout.vid(p), layout.unit_id[key], lit)] += 1

    def draw_value(self, node: Value) -> None:
        """A value box, and for a computed node its op, constants and operand edges."""
        layout, style = self.layout, self.style
        i = layout.index[node]
        path = layout.paths[node]
        state, gv = self.grad_state(node)
        attrs = {"shape": "box", "style": "rounded", "margin": "0.04,0.02",
                 "tooltip": _tooltip(node, state, gv)}
        if style.color_by_grad and state != "unset":
            attrs.update(style="rounded,filled", fillcolor=_Shade(num(gv)),
                         penwidth=_Shade(num(gv), "width"))
        if node in self.on_path:
            attrs.update(color=HIGHLIGHT, penwidth="3")
        if node is self.focus:
            attrs.update(color=FOCUS, penwidth="4")
        if node in self.mark:
            attrs.update(color=WRONG, penwidth="4", fontcolor=WRONG)
        self.node(path, f"v{i}", _value_label(node, layout.shown_label(node), state, gv), **attrs)
        if node.is_leaf():
            return
        op_id = f"v{i}op"
        op_attrs = {"shape": "ellipse", "fontsize": "10", "margin": "0.02,0.01",
                    "height": "0.3", "tooltip": node.op}
        if self.op_on_path(node):
            op_attrs.update(color=HIGHLIGHT, penwidth="2")
        self.node(path, op_id, op_label(node.op, node.operands, layout.show_constants),
                  **op_attrs)
        self.edge(op_id, f"v{i}", **self.result_edge_attrs(node, state, gv))
        local = None
        if style.edge_labels is not None or style.color_by_grad:
            local = local_derivatives(node)
        for j, p in enumerate(node.operands):
            if p.__class__ is not float:  # constants are written inside the op
                self.operand_edge(node, p, local[j] if local else None, state, gv, op_id,
                                  slot_name(node.op, j, node.operands))

    def operand_edge(self, node: Value, p: Value, d, state: str, gv, op_id: str,
                     slot: str | None = None) -> None:
        """The edge operand → op: its label (local or product) and colour (the share)."""
        style, layout = self.style, self.layout
        if p in layout.unit:  # from a summary: merged with its parallel edges, with a count
            lit = p in self.on_path and node in self.on_path
            self.summary_edge((layout.vid(p), op_id, lit))
            return
        e = {}
        share = None
        up = gv if state == "final" else (self.upstream(node) if self.upstream else None)
        if d is not None and up is not None:
            share = num(up) * num(d)
        if style.edge_labels == "local":
            e["label"] = fmt_number(d)
            e["tooltip"] = f"∂{layout.name(node)}/∂{layout.name(p)} = {num(d)!r}"
        elif style.edge_labels == "product" and share is not None:
            e["label"] = f"{fmt_number(up)}×{fmt_number(d)}\\n={fmt_number(share)}"
            e["tooltip"] = f"upstream {num(up)!r} × local {num(d)!r} = {share!r}"
        if style.color_by_grad and share is not None and state == "final":
            if share == 0:  # visible, and plainly not a cut in the graph
                e.update(color="grey45", style="dashed")
            else:
                e.update(color=_Shade(share), penwidth=_Shade(share, "width"))
        if node in self.on_path and p in self.on_path:
            e.update(color=HIGHLIGHT, penwidth="3")
        if self.sweep is not None and node not in self.sweep:
            e.update(color="grey75")  # this share is not pushed yet
        if node is self.focus:
            e.update(color=FOCUS, penwidth="3")
        if slot:  # which side of − ÷ ^ this operand is
            e.update(headlabel=slot, labelfontcolor="grey30", labelfontsize="10",
                     labeldistance="1.6")
        self.edge(layout.vid(p), op_id, **e)

    def result_edge_attrs(self, node: Value, state: str, gv) -> dict:
        attrs = {}
        if self.style.color_by_grad and state != "unset":
            g = num(gv)
            attrs.update(color=_Shade(g) if g else "grey45", penwidth=_Shade(g, "width"))
            if g == 0:
                attrs["style"] = "dashed"
        if self.op_on_path(node):
            attrs.update(color=HIGHLIGHT, penwidth="3")
        return attrs

    def op_on_path(self, node: Value) -> bool:
        """Whether the op making ``node`` is on a highlighted path: one of its operands is
        (the op that makes the highlighted node itself is not)."""
        return node in self.on_path and any(p in self.on_path for p in node.parents)

    def summary(self, key: tuple) -> None:
        """One box for the folded nodes of ``key``: name, size and gradient range."""
        layout = self.layout
        members = layout.unit_members[key]
        n = len(members)
        if key[0] == "cluster":
            cname, d = key[1], key[2]
            parent = layout.paths[members[0]][: d - 1]
            copies = 1 + max((layout.copy.get(m, 0) for m in members), default=0)
            lines = [html.escape(shown_text(_short_name(cname, parent[-1] if parent else ""))),
                     f"{n} node{'s' if n != 1 else ''}"
                     + (f", run on {copies} examples" if copies > 1 else "")]
            title = cname
        elif key[0] == "chains":
            parent = ()
            per = len(key[1])
            title = f"{n // per} × ({', '.join(key[1])})"
            lines = [html.escape(title), f"{n} nodes: one chain per example"]
        else:
            parent = ()
            ops = Counter(m.op or "leaf" for m in members)
            title = f"… {n} node{'s' if n != 1 else ''}"
            lines = [title, html.escape(", ".join(op for op, _ in ops.most_common(4)))]
        attrs = {"shape": "box3d", "margin": "0.12,0.08",
                 "tooltip": f"{title}: {n} nodes folded (max_nodes)"}
        self.summary_grads(key, members, lines, attrs)
        if any(m in self.on_path for m in members):
            attrs.update(color=HIGHLIGHT, penwidth="3")
        label = "<" + "<BR/>".join(lines) + ">"
        self.node(parent, layout.unit_id[key], label, **attrs)

    def summary_grads(self, key: tuple, members: list, lines: list, attrs: dict) -> None:
        grads = [(num(v), m) for m in members for s, v in [self.grad_state(m)] if s != "unset"]
        if not grads:
            return
        lo = min(g for g, _ in grads)
        hi = max(g for g, _ in grads)
        leaves = [g for g, m in grads if m.is_leaf()]
        if key[0] == "cluster" and leaves:
            # the parameters' gradient norm: what vanishes or explodes layer by layer
            norm = math.sqrt(math.fsum(g * g for g in leaves))
            lines.append(f"‖grad‖ of {len(leaves)} leaves {fmt_number(norm)}")
        # shaded by the signed gradient of largest size, so a summary can be red
        shade = max((g for g, _ in grads), key=abs)
        lines.append(f"grad {fmt_number(lo)} … {fmt_number(hi)}")
        if self.style.color_by_grad:
            attrs.update(style="filled", fillcolor=_Shade(shade),
                         penwidth=_Shade(shade, "width"))


def _fold_to_fit(layout: Layout, style: DrawOptions, make) -> _Builder:
    """The builder of the picture ``style.max_nodes`` asks for (see ``_build``)."""
    if style.max_nodes is None:
        return make()
    if style.max_nodes == "auto":
        steps = AUTO_STEPS
        if layout.full_cost() <= 2000:  # bigger: dot would take minutes, so fold first
            layout.fold(None)
            builder = make()
            small = layout.full_cost() <= UNFOLDED_NODES
            if builder.fits() or small and builder.fits(UNFOLDED_COLUMNS):
                return builder
    else:  # at most max_nodes, and folded further until it fits
        steps = (style.max_nodes, *(m for m in AUTO_STEPS if m < style.max_nodes))
    for m in steps:
        layout.fold(m)
        builder = make()
        if builder.fits():
            break
    return builder


def _build(layout: Layout, style: DrawOptions, grad_state, *, highlight=None, focus=None,
           caption: str | None = None, upstream=None, sweep: set | None = None,
           mark=(), cache: FrameCache | None = None) -> GraphPicture:
    """The picture of ``layout`` with gradients from ``grad_state`` (see ``_Builder``).

    ``style.max_nodes == "auto"``: drawn whole if the estimated picture fits a notebook
    column, or if it is small (``UNFOLDED_NODES``) and at most ``UNFOLDED_COLUMNS`` wide (it
    scrolls); else folded step by step (``AUTO_STEPS``) until it fits. An int: folded to at
    most that many nodes, then further until it fits. None: never folded. ``cache``: the
    frames of one sweep share one (``FrameCache``); the first is drawn as any picture, the
    rest from it.
    """
    def make(ready: FrameCache | None = None) -> _Builder:
        builder = _Builder(layout, style, grad_state, highlight=highlight, focus=focus,
                           upstream=upstream, sweep=sweep, mark=mark, cache=ready)
        builder.collect()
        return builder

    if cache is not None and cache.ready:
        if layout.max_nodes != cache.fold:
            layout.fold(cache.fold)
        return make(cache).finish_cached(caption)
    builder = _fold_to_fit(layout, style, make)
    picture = builder.finish(caption)
    if cache is not None:
        cache.ready, cache.fold, cache.fit = True, layout.max_nodes, builder.fit
    return picture


def _path_caption(layout: Layout, src: Value, root: Value) -> str:
    n_paths = count_paths(src, root, layout.order)
    nodes, edges = len(layout.order), sum(layout.uses.values())
    top = shown_text(root.label) or "the output"
    return (f"{fmt_count(n_paths)} path{'s' if n_paths != 1 else ''} from {layout.name(src)} "
            f"to {top} (summing over paths: one product chain each); the cached backward "
            f"sweep: {nodes} node visits, {edges} edge products")


def draw_dot(
    root: Value,
    options: DrawOptions | None = None,
    *,
    grads: str | bool = "auto",
    highlight: Value | str | None = None,
    caption: str | None = None,
    view: str = "values",
    tangents: dict | None = None,
    mark=(),
    **draw_options,
) -> GraphPicture:
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (displays inline in Jupyter).

    How to draw it: ``options``, a ``DrawOptions``, and/or its fields as keywords (rankdir,
    edge_labels, show_constants, color_by_grad, clusters, max_nodes, fmt: see
    ``DrawOptions``); keywords win. What to draw:

    * ``view``: "values" (this picture) or "units" (a network: one column per layer, one
      box per unit in index order; see ``autograd.draw.units``).
    * ``tangents``: {input: tangent} seeds forward mode (``autograd.forward_tangents``):
      each box shows its tangent (d node / d seeded inputs) instead of the gradient.
    * ``mark``: nodes drawn red (``draw_rule_check``, ``draw_anomaly`` use it).
    * ``grads``: "auto" shows ``.grad`` iff a backward ran (some node's ``.grad`` is
      nonzero; zeroing the root alone does not hide them); True/False force it. Hidden
      gradients are drawn "–" in grey. If a value no longer equals its op applied to its
      operands (weights stepped since the forward pass) the caption says STALE and the
      gradients are struck through in grey.
    * ``highlight``: a node (or a label): every path from it to the root is drawn in orange,
      and the caption gives the number of paths next to the steps of the cached sweep.
    """
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}: choose one of {', '.join(map(repr, VIEWS))}")
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value (the output to draw), got {type(root).__name__}")
    style = DrawOptions.of(options, **draw_options)
    if view == "units":
        return draw_units(root, caption=caption, fmt=style.fmt)
    layout = Layout(root, style)
    if grads == "auto":
        grads = backward_ran(layout.order)
    elif grads not in (True, False):
        raise ValueError(f"grads must be 'auto', True or False, got {grads!r}")
    adjoints = None
    if not grads and style.edge_labels == "product":
        # no backward to read from: take upstream from a sweep that leaves .grad untouched
        adjoints = {root: 1.0}
        for _ in backward_steps(root, adjoints):
            pass

    stale = stale_nodes(layout.counts.leaf_users)
    shown = "stale" if stale else "final"

    def grad_state(node):
        return (shown, node.grad) if grads else ("unset", None)

    if tangents is not None:
        grad_state = _tangent_state(root, tangents, layout)

    upstream = (lambda node: adjoints.get(node, 0.0)) if adjoints is not None else None
    if stale:
        caption = "\n".join(c for c in (caption, _stale_caption(stale, layout)) if c)
    src = None
    if highlight is not None:
        src = resolve(highlight, layout.order)
        caption = (caption + "\n" if caption else "") + _path_caption(layout, src, root)
    return _build(layout, style, grad_state, highlight=src, caption=caption, upstream=upstream,
                  mark=mark)




def stale_nodes(candidates: list[Value], rel: float = 1e-9) -> list[Value]:
    """Nodes whose data is no longer their op applied to their operands' data (weights
    stepped since the forward pass). Pass the nodes with a leaf operand (``Counts``): a
    step changes leaves, so the mismatch shows first at their users. The op is the node's
    own ``Op`` (``rule_of``), so user-defined Ops are checked too."""
    stale = []
    for node in candidates:
        op = node.rule
        if op is None:
            continue
        try:
            value = op.forward(*[num(p) for p in node.operands])
        except (ArithmeticError, ValueError, TypeError):
            continue
        if not math.isclose(value, node.data, rel_tol=rel, abs_tol=1e-12) and not (
                math.isnan(value) and math.isnan(node.data)):
            stale.append(node)
    return stale


def _stale_caption(stale: list[Value], layout: Layout) -> str:
    names = ", ".join(layout.name(n) for n in stale[:3]) + (" …" if len(stale) > 3 else "")
    return (f"STALE: {len(stale)} value(s) ({names}) no longer equal their op applied to "
            "their operands:\nparameters changed since the forward pass, so the gradients "
            "(struck through) are old;\nrecompute the forward pass and backward before "
            "reading this picture")


def _tangent_state(root: Value, seeds: dict, layout: Layout):
    """Forward mode: each node's tangent Σᵢ ∂node/∂operandᵢ · tangentᵢ from ``seeds``."""
    if not isinstance(seeds, dict):
        raise TypeError(f"tangents must be a dict {{input Value: tangent}}, got {seeds!r}")
    members = set(layout.order)
    for x in seeds:
        if x not in members:
            name = x.label if isinstance(x, Value) else repr(x)
            raise ValueError(f"tangents: {name!r} is not a node of the graph of root; seed "
                             "inputs that root depends on")
    t = forward_tangents(root, seeds)
    return lambda node: ("tangent", t.get(node, 0.0))
