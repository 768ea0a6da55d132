"""Pictures of the computation graph: values, gradients, local derivatives, paths, clusters.

``draw_dot(root)`` returns a ``graphviz.Digraph`` (a subclass, ``GraphPicture``) with one box
per ``Value`` (label | data | grad), one small node per op, and edges operand → op → result.
Building the DOT source never runs Graphviz; displaying it in Jupyter or saving it does, and
without Graphviz's ``dot`` program the notebook shows the DOT source and the install command
instead of raising, while saving raises ``DotNotFound`` (a ``graphviz.ExecutableNotFound``).

Node ids are a counter over the topological order (``v0``, ``v0op``, ``v3c1`` for the constant
operand 1 of node 3, ``s0`` for summaries), never ``id()``: the same graph gives the same DOT
source and the same SVG on every run.

Whether a gradient is shown: ``.grad`` is 0.0 both before any backward and when it is truly
zero, so the picture cannot tell from a node alone. ``grads="auto"`` (the default) shows
gradients iff the root's ``.grad`` is nonzero, which is the case after ``root.backward()``
(the root's gradient is the seed, 1.0); otherwise every gradient is drawn as "–" in grey.
``grads=True`` / ``False`` force either. Nothing here recurses on the depth of the graph.
"""

from __future__ import annotations

import html
import math
import os
from collections import Counter

import graphviz

from .backward import backward_steps, local_derivatives, topological_order
from .draw_layout import (
    _cluster_paths,
    _collapse,
    _consumers,
    _reaches,
    count_paths,
)
from .files import write_atomic
from .value import Value

__all__ = [
    "draw_dot", "count_paths", "save", "GraphPicture", "DotNotFound", "INSTALL_HINT",
    "backward_frames", "save_frames", "frames_strip", "show_backward",
]

INSTALL_HINT = (
    "Graphviz's `dot` program is needed to render the picture (the pip package `graphviz` is "
    "only its Python interface). Install it with: sudo apt-get install graphviz "
    "(Debian/Ubuntu), brew install graphviz (macOS), conda install -c conda-forge graphviz "
    "(conda), or from https://graphviz.org/download/ (Windows)."
)


# --- display and saving without surprises ---------------------------------------------------
class DotNotFound(graphviz.ExecutableNotFound):
    """Graphviz's ``dot`` is missing: a ``graphviz.ExecutableNotFound`` naming the install."""

    def __init__(self, cmd: object = "dot") -> None:
        RuntimeError.__init__(self, f"could not run {cmd!r}. {INSTALL_HINT}")


def _command_name(err: BaseException) -> str:
    return str(err).split("'")[1] if "'" in str(err) else "dot"


def _require_dot() -> None:
    try:
        graphviz.version()
    except graphviz.ExecutableNotFound as e:
        raise DotNotFound(_command_name(e)) from e


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that never raises when shown in a notebook.

    With ``dot`` installed it displays inline as SVG like any Digraph. Without it, the notebook
    shows the DOT source and the command that installs Graphviz. ``pipe`` and ``render`` raise
    ``DotNotFound`` (still a ``graphviz.ExecutableNotFound``) naming the install command.
    """

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except DotNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise DotNotFound(_command_name(e)) from e

    def render(self, *args, **kwargs):
        # Checked first, so that a missing `dot` leaves no source file behind either.
        _require_dot()
        try:
            return super().render(*args, **kwargs)
        except DotNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise DotNotFound(_command_name(e)) from e

    summary = ""  # what text/plain shows: stable across runs (no memory address)
    # Value -> the DOT name (and SVG id) of the box drawing it (a summary's, if folded)
    node_ids: dict = {}

    def __repr__(self) -> str:
        return f"<GraphPicture {self.summary}>" if self.summary else "<GraphPicture>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as e:
            return fallback_bundle(self.source, e)


def fallback_bundle(source: str, error: BaseException) -> dict:
    """What a notebook shows instead of the picture: the reason, the install command, the DOT."""
    why = INSTALL_HINT if isinstance(error, graphviz.ExecutableNotFound) else f"dot failed: {error}"
    text = f"{why}\n\nDOT source (paste it into https://dreampuf.github.io/GraphvizOnline):\n{source}"
    page = (
        f"<div><p><b>No picture:</b> {html.escape(why)}</p>"
        f"<details open><summary>DOT source</summary><pre>{html.escape(source)}</pre>"
        "</details></div>"
    )
    return {"text/plain": text, "text/html": page}


def save(graph: graphviz.Digraph, path: str | os.PathLike, fmt: str | None = None) -> str:
    """Write ``graph`` to ``path`` as svg/png/pdf/… (from the suffix, or ``fmt``); returns path.

    ``.gv``/``.dot`` write the DOT source (no Graphviz needed). Other formats run ``dot``; if it
    is missing this raises ``DotNotFound`` and creates no file.
    """
    fmt = (fmt or os.path.splitext(os.fspath(path))[1].lstrip(".") or "svg").lower()
    if fmt in ("gv", "dot"):
        return write_atomic(path, graph.source)
    try:
        data = graph.pipe(format=fmt)
    except DotNotFound:
        raise
    except graphviz.ExecutableNotFound as e:
        raise DotNotFound(_command_name(e)) from e
    return write_atomic(path, data)


# --- formatting ---------------------------------------------------------------------------------
OP_SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−x", "pow": "x^c",
              "rpow": "c^x", "powv": "x^y", "abs": "|x|", "sum": "Σ", "dot": "w·x"}


def _num(x) -> float:
    return x.data if isinstance(x, Value) else float(x)


def fmt_number(x) -> str:
    """4 significant digits, compact: 0.8814, -6, 1.235e+05."""
    x = _num(x)
    return "0" if x == 0 else f"{x:.4g}"


def fmt_count(n: int) -> str:
    """A Python int of any size, without str() on huge ones (which Python 3.11 limits)."""
    if n < 10**15:
        return str(n)
    exponent = (n.bit_length() - 1) * math.log10(2)
    return f"≈10^{int(exponent)}"


# --- colours by gradient ------------------------------------------------------------------------
_WHITE, _BLUE, _RED = (247, 247, 247), (33, 102, 172), (178, 24, 43)  # ColorBrewer RdBu ends
LOG_RANGE = (-6.0, 3.0)  # |grad| from 1e-6 (white) to 1e3 (full colour), log scale


def grad_strength(g: float) -> float:
    """Where |g| sits on the log scale LOG_RANGE, from 0 to 1."""
    g = abs(g)
    if g == 0 or math.isnan(g):
        return 0.0
    if math.isinf(g):
        return 1.0
    lo, hi = LOG_RANGE
    return min(1.0, max(0.0, (math.log10(g) - lo) / (hi - lo)))


def grad_color(g: float) -> str:
    """Diverging colour: blue for positive, red for negative gradients, paler when smaller."""
    if math.isnan(g):
        return "#ffd700"
    t = grad_strength(g)
    end = _BLUE if g > 0 else _RED
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(_WHITE, end, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def grad_penwidth(g: float) -> str:
    return f"{1.0 + 3.0 * grad_strength(g):.2f}"


def _add_legend(g: graphviz.Digraph) -> None:
    """One small table: the colour of gradients from -1e3 to 1e3 on the log scale."""
    lo, hi = LOG_RANGE
    ticks = [-(10.0 ** e) for e in range(int(hi), int(lo) - 1, -3)]
    ticks = ticks + [0.0] + [-t for t in reversed(ticks)]
    cells = "".join(f'<TD BGCOLOR="{grad_color(t)}">{fmt_number(t)}</TD>' for t in ticks)
    label = (f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">'
             f'<TR><TD COLSPAN="{len(ticks)}">grad: blue &gt; 0, red &lt; 0, log |grad|; '
             f"pen width grows with |grad|</TD></TR><TR>{cells}</TR></TABLE>>")
    g.node("legend", label, shape="plaintext", fontsize="9", id="legend")


# --- the picture ----------------------------------------------------------------------------------
class _Style:
    """Options shared by ``draw_dot`` and the frames of ``backward_frames``."""

    def __init__(self, rankdir="LR", edge_labels=None, show_constants=True,
                 color_by_grad=False, clusters="auto", max_nodes=None, fmt="svg"):
        if edge_labels not in (None, "local", "product"):
            raise ValueError(f"edge_labels must be None, 'local' or 'product', got {edge_labels!r}")
        if clusters not in ("auto", True, False):
            raise ValueError(f"clusters must be 'auto', True or False, got {clusters!r}")
        if max_nodes is not None and max_nodes < 1:
            raise ValueError(f"max_nodes must be a positive int or None, got {max_nodes!r}")
        self.rankdir, self.edge_labels, self.show_constants = rankdir, edge_labels, show_constants
        self.color_by_grad, self.clusters, self.max_nodes = color_by_grad, clusters, max_nodes
        self.fmt = fmt


class _Layout:
    """The graph analysed once (order, uses, clusters, folding); frames reuse it."""

    def __init__(self, root: Value, style: _Style):
        if not isinstance(root, Value):
            raise TypeError(f"draw_dot needs a Value, got {type(root).__name__}")
        self.root = root
        self.order = topological_order(root)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.uses = _consumers(self.order)
        clusters = style.clusters
        if clusters == "auto":
            clusters = any("." in n.label for n in self.order if n.label)
        self.paths = (_cluster_paths(self.order, self.uses, root) if clusters
                      else dict.fromkeys(self.order, ()))
        self.unit = {}
        self.show_constants = style.show_constants
        if style.max_nodes is not None:
            self.unit, self.show_constants = _collapse(
                self.order, root, self.paths, self.uses, style.max_nodes, style.show_constants)
        # summary ids in order of their first member
        self.unit_id: dict[tuple, str] = {}
        self.unit_members: dict[tuple, list[Value]] = {}
        for node in self.order:
            key = self.unit.get(node)
            if key is not None:
                if key not in self.unit_id:
                    self.unit_id[key] = f"s{len(self.unit_id)}"
                    self.unit_members[key] = []
                self.unit_members[key].append(node)


def _resolve(node_or_label, order: list[Value]) -> Value:
    if isinstance(node_or_label, Value):
        if node_or_label not in set(order):
            raise ValueError("highlight: that node is not in the graph of root")
        return node_or_label
    for node in order:
        if node.label == node_or_label:
            return node
    raise ValueError(f"highlight: no node labelled {node_or_label!r} in the graph")


def _value_label(node: Value, name: str, state: str, g) -> str:
    cells = []
    if name:
        cells.append(f"<B>{html.escape(name)}</B>")
    cells.append(f"data {fmt_number(node.data)}")
    if state == "final":
        cells.append(f"grad {fmt_number(g)}")
    elif state == "partial":
        cells.append(f'<FONT COLOR="grey35"><I>grad ~{fmt_number(g)} (partial)</I></FONT>')
    else:
        cells.append('<FONT COLOR="grey60">grad –</FONT>')
    row = "".join(f"<TD>{c}</TD>" for c in cells)
    return (f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLUMNS="*">'
            f"<TR>{row}</TR></TABLE>>")


def _tooltip(node: Value, state: str, g) -> str:
    if state == "unset":
        shown = "not set yet"
    else:
        shown = repr(_num(g)) + (" (partial)" if state == "partial" else "")
    op = f", op={node.op}" if node.op else ""
    label = f", label={node.label!r}" if node.label else ""
    return f"Value(data={node.data!r}, grad={shown}{label}{op})"


HIGHLIGHT = "#ff7f00"
FOCUS = "#e7298a"


def _build(layout: _Layout, style: _Style, grad_state, *, highlight=None, focus=None,
           caption: str | None = None, upstream=None, sweep: bool = False) -> GraphPicture:
    """Emit the DOT: ``grad_state(node) -> ("final"|"partial"|"unset", value)``.

    ``upstream(node)`` gives the adjoint used for "product" edge labels when the node's
    gradient is not shown (None: no product label). ``sweep``: a frame of the reverse sweep
    (edges whose share is not pushed yet are grey; ``focus`` is the node being finalised).
    """
    order, index, unit = layout.order, layout.index, layout.unit
    g = GraphPicture(name="dagrad", format=style.fmt)
    g.attr(rankdir=style.rankdir)
    g.attr("node", fontname="Helvetica", fontsize="11")
    g.attr("edge", fontname="Helvetica", fontsize="9")
    on_path = _reaches(highlight, order) if highlight is not None else set()

    # statements per cluster path; () is the top level
    body: dict[tuple, list] = {(): []}

    edges: list = []

    def put(path: tuple, kind: str, *args, **kwargs) -> None:
        if kind == "edge":
            # Edges go after all clusters, at the top level: an edge written inside a cluster
            # would pull a node first mentioned there (from another cluster) into it.
            edges.append((args, kwargs))
            return
        for i in range(1, len(path) + 1):
            body.setdefault(path[:i], [])
        body[path].append((kind, args, kwargs))

    def vid(node: Value) -> str:
        key = unit.get(node)
        return layout.unit_id[key] if key is not None else f"v{index[node]}"

    emitted: set[tuple] = set()
    summaries: list[tuple] = []
    summary_edges: Counter = Counter()
    for node in order:
        i = index[node]
        key = unit.get(node)
        if key is not None:
            if key not in emitted:
                emitted.add(key)
                summaries.append(key)
            for p in node._prev:
                if p.__class__ is not float and unit.get(p) != key:
                    lit = p in on_path and node in on_path
                    summary_edges[(vid(p), layout.unit_id[key], lit)] += 1
            continue
        path = layout.paths[node]
        state, gv = grad_state(node)
        attrs = {"shape": "box", "style": "rounded", "margin": "0.04,0.02",
                 "tooltip": _tooltip(node, state, gv)}
        if style.color_by_grad and state != "unset":
            attrs.update(style="rounded,filled", fillcolor=grad_color(_num(gv)),
                         penwidth=grad_penwidth(_num(gv)))
        if node in on_path:
            attrs.update(color=HIGHLIGHT, penwidth="3")
        if node is focus:
            attrs.update(color=FOCUS, penwidth="4")
        name = node.label
        put(path, "node", f"v{i}", _value_label(node, name, state, gv), **attrs)
        if not node._prev:
            continue
        op_id = f"v{i}op"
        op_attrs = {"shape": "ellipse", "fontsize": "10", "margin": "0.02,0.01",
                    "height": "0.3", "tooltip": node.op}
        if node in on_path:
            op_attrs.update(color=HIGHLIGHT, penwidth="2")
        put(path, "node", op_id, OP_SYMBOLS.get(node.op, node.op), **op_attrs)
        put(path, "edge", op_id, f"v{i}", **_result_edge_attrs(node, on_path, style, state, gv))
        local = None
        if style.edge_labels is not None or style.color_by_grad:
            local = local_derivatives(node)
        for j, p in enumerate(node._prev):
            if p.__class__ is float:
                if layout.show_constants:
                    put(path, "node", f"v{i}c{j}", fmt_number(p), shape="plaintext",
                        fontsize="9", fontcolor="grey40", tooltip=repr(p))
                    put(path, "edge", f"v{i}c{j}", op_id, style="dashed", color="grey60",
                        arrowsize="0.5")
                continue
            e = {}
            share = None
            up = gv if state == "final" else (upstream(node) if upstream else None)
            if local is not None and up is not None:
                share = _num(up) * _num(local[j])
            if style.edge_labels == "local":
                e["label"] = fmt_number(local[j])
                e["tooltip"] = f"∂{_short(node, i)}/∂{_short(p, index[p])} = {_num(local[j])!r}"
            elif style.edge_labels == "product" and share is not None:
                e["label"] = f"{fmt_number(up)}×{fmt_number(local[j])}={fmt_number(share)}"
                e["tooltip"] = f"upstream {_num(up)!r} × local {_num(local[j])!r} = {share!r}"
            if style.color_by_grad and share is not None and state == "final":
                e.update(color=grad_color(share), penwidth=grad_penwidth(share))
            if node in on_path and p in on_path:
                e.update(color=HIGHLIGHT, penwidth="3")
            if sweep and state != "final":
                e.update(color="grey75")  # this share is not pushed yet
            if node is focus:
                e.update(color=FOCUS, penwidth="3")
            put(path, "edge", vid(p), op_id, **e)
    # summaries in natural order of their names (neurons.2 before neurons.10), so that dot
    # stacks them in that order; their ids still follow the topological order
    for key in sorted(summaries, key=lambda k: _natural((str(k[1]),))):
        _put_summary(put, layout, key, grad_state, style, on_path)
    for (a, b, lit), n in summary_edges.items():
        attrs = {"color": "grey55", "arrowsize": "0.6"}
        if n > 1:
            attrs["label"] = f"×{n}"
        if lit:
            attrs.update(color=HIGHLIGHT, penwidth="3")
        put((), "edge", a, b, **attrs)

    _emit(g, body)
    for args, kwargs in edges:
        g.edge(*args, **kwargs)
    g.node_ids = {node: vid(node) for node in order}
    g.summary = f"of {len(order)} values, {len(layout.unit_id)} summaries"
    if style.color_by_grad:
        _add_legend(g)
    if caption:
        g.attr(label=caption, labelloc="t", labeljust="l", fontname="Helvetica", fontsize="12")
    return g


def _short(node: Value, i: int) -> str:
    return node.label or f"v{i}"


def _result_edge_attrs(node, on_path, style, state, gv) -> dict:
    attrs = {}
    if style.color_by_grad and state != "unset":
        attrs.update(color=grad_color(_num(gv)), penwidth=grad_penwidth(_num(gv)))
    if node in on_path:
        attrs.update(color=HIGHLIGHT, penwidth="3")
    return attrs


def _put_summary(put, layout: _Layout, key: tuple, grad_state, style: _Style, on_path) -> None:
    members = layout.unit_members[key]
    n = len(members)
    if key[0] == "cluster":
        cname, d = key[1], key[2]
        parent = layout.paths[members[0]][: d - 1]
        short = cname
        if parent and cname.startswith(parent[-1] + "."):
            short = cname[len(parent[-1]) + 1:]
        lines = [html.escape(short), f"{n} node{'s' if n != 1 else ''}"]
        title = cname
    else:
        parent = ()
        ops = Counter(m.op or "leaf" for m in members)
        title = f"… {n} node{'s' if n != 1 else ''}"
        lines = [title, html.escape(", ".join(op for op, _ in ops.most_common(4)))]
    grads = [(_num(v), m) for m in members for s, v in [grad_state(m)] if s != "unset"]
    attrs = {"shape": "box3d", "margin": "0.12,0.08",
             "tooltip": f"{title}: {n} nodes folded (max_nodes)"}
    if grads:
        lo = min(abs(g) for g, _ in grads)
        hi = max(abs(g) for g, _ in grads)
        leaves = [g for g, m in grads if not m._prev]
        if key[0] == "cluster" and leaves:
            # the parameters' gradient norm: what vanishes or explodes layer by layer
            shade = math.sqrt(math.fsum(g * g for g in leaves))
            lines.append(f"‖grad‖ of {len(leaves)} leaves {fmt_number(shade)}")
        else:
            shade = hi
        lines.append(f"|grad| {fmt_number(lo)} … {fmt_number(hi)}")
        if style.color_by_grad:
            attrs.update(style="filled", fillcolor=grad_color(shade), penwidth=grad_penwidth(shade))
    if any(m in on_path for m in members):
        attrs.update(color=HIGHLIGHT, penwidth="3")
    label = "<" + "<BR/>".join(lines) + ">"
    put(parent, "node", layout.unit_id[key], label, **attrs)


def _natural(path: tuple) -> list:
    """Sort key: layers.2 before layers.10."""
    return [(0, int(t), "") if t.isdigit() else (1, 0, t) for t in path[-1].split(".")]


def _emit(g: graphviz.Digraph, body: dict[tuple, list]) -> None:
    """Write statements, nesting cluster subgraphs (deepest first; depth = label dots only)."""
    subs: dict[tuple, graphviz.Digraph] = {}
    for path in sorted(body, key=len, reverse=True):
        target = g if not path else graphviz.Digraph(name=f"cluster_{path[-1]}")
        if path:
            parent_name = path[-2] if len(path) > 1 else ""
            name = path[-1]
            short = name
            if parent_name and name.startswith(parent_name + "."):
                short = name[len(parent_name) + 1:]
            target.attr(label=short, style="rounded", color="grey70", fontsize="10",
                        fontname="Helvetica")
        for _, args, kwargs in body[path]:
            # id = the DOT name, so the SVG's <g class="node"> can be found by it
            target.node(*args, **{"id": args[0], **kwargs})
        children = [c for c in subs if len(c) == len(path) + 1 and c[:-1] == path]
        for child in sorted(children, key=_natural):
            target.subgraph(subs.pop(child))
        if path:
            subs[path] = target


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    grads: str | bool = "auto",
    edge_labels: str | None = None,
    show_constants: bool = True,
    color_by_grad: bool = False,
    highlight: Value | str | None = None,
    clusters: str | bool = "auto",
    max_nodes: int | None = None,
    fmt: str = "svg",
    caption: str | None = None,
) -> GraphPicture:
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (displays inline in Jupyter).

    * ``grads``: "auto" shows ``.grad`` iff ``root.grad != 0`` (a backward ran from root);
      True/False force it. Hidden gradients are drawn "–" in grey.
    * ``edge_labels``: "local" labels operand → op edges with ∂out/∂operand; "product" with
      upstream × local = the share that edge adds to the operand's gradient.
    * ``highlight``: a node (or a label): every path from it to the root is drawn in orange,
      and the caption gives the number of paths next to the steps of the cached sweep.
    * ``color_by_grad``: fill and pen width by gradient, blue > 0, red < 0, log scale, legend.
    * ``clusters``: "auto" groups nodes by dotted labels (``layers.0.neurons.3.w1``).
    * ``max_nodes``: fold neurons, then layers, then chains into summary nodes until the
      picture has at most that many nodes. ``show_constants=False`` hides constants.
    """
    style = _Style(rankdir, edge_labels, show_constants, color_by_grad, clusters, max_nodes, fmt)
    layout = _Layout(root, style)
    if grads == "auto":
        grads = _num(root.grad) != 0
    elif grads not in (True, False):
        raise ValueError(f"grads must be 'auto', True or False, got {grads!r}")
    adjoints = None
    if not grads and style.edge_labels == "product":
        # no backward to read from: take upstream from a sweep that leaves .grad untouched
        adjoints = {root: 1.0}
        for _ in backward_steps(root, adjoints):
            pass

    def grad_state(node):
        return ("final", node.grad) if grads else ("unset", None)

    upstream = (lambda node: adjoints.get(node, 0.0)) if adjoints is not None else None

    src = None
    if highlight is not None:
        src = _resolve(highlight, layout.order)
        n_paths = count_paths(src, root, layout.order)
        nodes, edges = len(layout.order), sum(layout.uses.values())
        name = src.label or f"v{layout.index[src]}"
        top = root.label or "the output"
        caption = (
            (caption + "\n" if caption else "")
            + f"{fmt_count(n_paths)} path{'s' if n_paths != 1 else ''} from {name} to {top} "
            f"(summing over paths: one product chain each); the cached backward sweep: "
            f"{nodes} node visits, {edges} edge products"
        )
    return _build(layout, style, grad_state, highlight=src, caption=caption, upstream=upstream)


# The step-by-step pictures live in frames.py, which builds on the definitions above.
from .frames import backward_frames, frames_strip, save_frames, show_backward  # noqa: E402
