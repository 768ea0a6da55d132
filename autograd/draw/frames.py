"""Backpropagation step by step: one picture per node of the reverse sweep.

``backward_frames(root)`` draws the graph once per node, in reverse topological order, from
``autograd.backward_steps`` (the engine's own sweep, on its own dict: ``.grad`` is not
touched). In the frame of node k, node k is outlined in pink: its derivative ∂root/∂node is
complete and has just been pushed to its operands. The three states of the stepper: a node
all of whose n uses have pushed their share is complete (plain, even before its own visit);
one with k < n shares is grey italic "~x (k of n shares)"; one with none is "–". Edges whose
share is not pushed yet are grey. Captions name nodes by label, else by op and data, and
give each push as adjoint × local = share. Leaves show ∂root/∂leaf (what one backward from
a zeroed graph gives), not an accumulated ``.grad``.

``save_frames`` writes them as an animated SVG, a self-contained HTML flipbook, a GIF (with
Pillow) or a folder of SVGs; ``frames_strip`` shows them all at once. For stepping in a
notebook or a page, ``autograd.draw.show_backward`` (the explorer's stepper) lays the graph
out once and changes only text and colour.
"""

from __future__ import annotations

import html
import json
import os
import re

import graphviz

from .. import backward_steps
from ..saving import write_atomic
from ..sweep import shares
from ..value import Value
from .builder import FrameCache, Shares, _build
from .display import fallback_bundle, svg_text
from .layout import Layout
from .options import DrawOptions
from .style import caption_name, fmt_number, shown_text

__all__ = [
    "backward_frames", "save_frames", "frames_strip", "FrameStrip",
    "animated_svg", "flipbook_html",
]


def backward_frames(root: Value, options: DrawOptions | None = None, *,
                    max_frames: int | None = 300, pin: bool = True, **draw_options) -> list:
    """One ``GraphPicture`` per node of the reverse sweep, root first.

    ``pin``: lay the graph out once (one ``dot`` run on the frame with the widest boxes)
    and draw every frame at those positions (``neato -n2``), so nothing moves between
    frames. This runs ``dot`` here, so ``pin=False`` without Graphviz installed.

    ``options`` (a ``DrawOptions``) and ``draw_options`` (its fields as keywords) are those
    of ``draw_dot``, except that without ``options`` frames draw every node unless given
    ``max_nodes``. Each frame draws the whole graph, so the output grows with nodes²;
    graphs with more than ``max_frames`` nodes raise ValueError (``max_frames=None`` lifts
    the limit).
    """
    if options is None:
        draw_options = {"max_nodes": None, **draw_options}
    style = DrawOptions.of(options, "backward_frames", **draw_options)
    layout = Layout(root, style)
    n = len(layout.order)
    if max_frames is not None and n > max_frames:
        raise ValueError(
            f"the graph has {n} nodes, so {n} frames of {n} nodes each; pass max_frames={n} "
            "(or None) to draw them anyway, or draw a smaller graph"
        )
    top = shown_text(root.label) or "out"
    need = _uses(layout.order, root)
    got: dict[Value, int] = {root: 1}  # the seed is the root's one share
    frames = []
    visited: set[Value] = set()
    cache = FrameCache()
    before = None
    for step, (node, adjoints) in enumerate(backward_steps(root)):
        visited.add(node)
        if cache is not None:  # what this step changes: the node visited (and the one
            cache.changed = {node, before, *node.parents}  # before), its operands' shares
        before = node
        for p in node.parents:
            got[p] = got.get(p, 0) + sum(1 for q in node.operands if q is p)

        def grad_state(v, adjoints=adjoints):
            k = got.get(v, 0)
            if k == 0:
                return "unset", None
            if k >= need[v]:
                return "final", adjoints.get(v, 0.0)
            return "partial", Shares(adjoints.get(v, 0.0), k, need[v])

        caption = f"backward step {step + 1}/{n}: {_visit(node, adjoints, root, top)}"
        frames.append(_build(layout, style, grad_state, focus=node, caption=caption,
                             sweep=set(visited), cache=cache))
    if pin and frames:
        try:
            _pin(frames, _layout_frame(layout, style, need, adjoints, frames))
        except graphviz.ExecutableNotFound:
            pass  # no dot: the frames stay unpinned DOT (saving them will say what to install)
    return frames


def _layout_frame(layout: Layout, style: DrawOptions, need: dict, adjoints: dict, frames: list):
    """The frame the positions come from: every box as wide as it ever gets ("~x (k of n
    shares)" where a node has several uses), every edge label present, the longest
    caption."""
    def widest(v):
        g = adjoints.get(v, 0.0)
        return ("partial", Shares(g, need[v] - 1, need[v])) if need[v] > 1 else ("final", g)

    caption = max((f.caption for f in frames), key=len)
    return _build(layout, style, widest, caption=caption, sweep=set(layout.order),
                  upstream=lambda v: adjoints.get(v, 0.0))


_NAME = r'(?:"((?:[^"\\]|\\.)*)"|(\w+))'
_NODE_LINE = re.compile(rf"^(\t+){_NAME} \[")
_EDGE_LINE = re.compile(rf"^(\t+){_NAME} -> {_NAME}( \[)?")
_CLUSTER_LINE = re.compile(rf"^(\t+)subgraph {_NAME} {{")
_EDGE_POS = ("pos", "lp", "head_lp", "tail_lp")
ROOM_IN = {"box": 0.15, "box3d": 0.3}  # summaries' "grad lo … hi" vary more


def _laid_out(picture) -> tuple[dict, dict, dict, dict]:
    """``dot -Tjson`` of ``picture``: (graph, nodes by name, cluster boxes, edges by ends)."""
    laid = json.loads(picture.pipe(format="json", encoding="utf-8"))
    objects = laid.get("objects", [])
    names = {o["_gvid"]: o["name"] for o in objects}
    nodes = {o["name"]: o for o in objects if "pos" in o}
    boxes = {o["name"]: o["bb"] for o in objects if "bb" in o}
    edges: dict[tuple, list] = {}
    for e in laid.get("edges", []):
        edges.setdefault((names[e["tail"]], names[e["head"]]), []).append(e)
    return laid, nodes, boxes, edges


def _pin(frames: list, model) -> None:
    """Lay the frames out once: ``dot`` places ``model`` (``-Tjson``), its boxes widened a
    little and placed again (a partial sum may read a digit longer in another frame); each
    frame gets every node's position and size, every edge's spline and label position,
    every cluster's box, and is drawn by ``neato -n2``, which keeps them."""
    _, nodes, _, _ = _laid_out(model)
    model.body[:] = [_widened(line, nodes) for line in model.body]
    laid, nodes, boxes, edges = _laid_out(model)
    # Frames repeat their lines: each is pinned once. done: line -> its pinned line, or for
    # an edge (ends, {k: pinned line}): the k-th edge between the same ends takes the k-th
    # spline.
    done: dict[str, str | tuple] = {}
    for frame in frames:
        used: dict[tuple, int] = {}
        body = []
        for line in frame.body:
            got = done.get(line)
            if got is None:
                ends = _ends(line)
                got = done[line] = (_pinned(line, nodes, edges, boxes, None, 0)
                                    if ends is None else (ends, {}))
            if got.__class__ is not str:
                ends, pinned = got
                k = used[ends] = used.get(ends, -1) + 1
                got = pinned.get(k)
                if got is None:
                    got = pinned[k] = _pinned(line, nodes, edges, boxes, ends, k)
            body.append(got)
        frame.body[:] = body
        frame.body.insert(0, f'\tbb="{laid["bb"]}"\n')
        frame.engine = "neato"
        frame.no_op = 2


def _widened(line: str, nodes: dict) -> str:
    m = _NODE_LINE.match(line)
    o = nodes.get(m.group(2) or m.group(3)) if m else None
    room = ROOM_IN.get(o.get("shape"), 0.0) if o else 0.0
    if not room:
        return line
    end = line.rindex("]")
    return f"{line[:end]} width={float(o['width']) + room:.3f}{line[end:]}"


def _ends(line: str) -> tuple[str, str] | None:
    """(tail, head) of an edge statement; None for any other line."""
    m = _EDGE_LINE.match(line)
    return (m.group(2) or m.group(3), m.group(4) or m.group(5)) if m else None


def _pinned(line: str, nodes: dict, edges: dict, boxes: dict, ends: tuple | None,
            k: int) -> str:
    """One DOT statement with its laid-out attributes added (unchanged if it has none);
    an edge statement (``ends``) is the k-th between its ends."""
    m = _EDGE_LINE.match(line) if ends is not None else None
    if m:
        key = ends
        laid = edges.get(key, [])
        if k >= len(laid):
            return line
        attrs = " ".join(f'{a}="{laid[k][a]}"' for a in _EDGE_POS if a in laid[k])
        if m.group(6):
            return line.replace(" [", f" [{attrs} ", 1)
        return line.rstrip("\n") + f" [{attrs}]\n"
    m = _CLUSTER_LINE.match(line)
    if m:
        bb = boxes.get(m.group(2) or m.group(3))
        return line + (f'{m.group(1)}\tbb="{bb}"\n' if bb else "")
    m = _NODE_LINE.match(line)
    if m and (m.group(2) or m.group(3)) in nodes:
        o = nodes[m.group(2) or m.group(3)]
        return line.replace(" [", f' [pos="{o["pos"]}" width={o["width"]} '
                                  f'height={o["height"]} ', 1)
    return line


def _uses(order: list[Value], root: Value) -> dict[Value, int]:
    """How many shares each node receives: one per use as an operand (the root: the seed)."""
    need = dict.fromkeys(order, 0)
    need[root] = 1
    for v in order:
        for p in v.operands:
            if isinstance(p, Value):
                need[p] += 1
    return need


def _visit(node: Value, adjoints: dict, root: Value, top: str) -> str:
    """∂L/∂v = x is complete; pushed x × local = share to each operand (or: a leaf)."""
    a = adjoints.get(node, 0.0)
    if node is root:
        what = f"the seed ∂{top}/∂{top} = 1"
    else:
        what = f"∂{top}/∂{caption_name(node)} = {fmt_number(a)} is complete"
    pushes = [f"{fmt_number(a)} × {fmt_number(d)} = {fmt_number(share)} to {caption_name(p)}"
              for p, d, share in shares(node, a)]
    if pushes:
        return f"{what}; pushed {', '.join(pushes)}"
    if node.parents:  # a gating op (relu) at slope 0: see autograd.sweep.gated
        return f"{what}; slope 0: nothing passes back to {caption_name(node.parents[0])}"
    if node.op:
        return f"{what}; its operands are constants: nothing to push"
    return f"{what}; a leaf: nothing to push"


# --- rendering frames -------------------------------------------------------------------------
def _svg_element(svg: str, prefix: str) -> tuple[str, float, float]:
    """The <svg> element of dot's output (no XML header), ids prefixed, and its size in pt."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = re.sub(r'(href|xlink:href)="#', rf'\1="#{prefix}', svg)
    head = svg[: svg.index(">")]
    w = float(re.search(r'width="([\d.]+)', head).group(1))
    h = float(re.search(r'height="([\d.]+)', head).group(1))
    return svg, w, h


def animated_svg(svgs: list[str], seconds: float = 1.5) -> str:
    """One SVG showing each frame for ``seconds`` in a loop (SMIL; no script)."""
    parts, width, height = [], 0.0, 0.0
    n = len(svgs)
    for k, s in enumerate(svgs):
        element, w, h = _svg_element(s, f"f{k}_")
        width, height = max(width, w), max(height, h)
        # The last frame is visible without animation (viewers that ignore SMIL show the end).
        initial = "visible" if k == n - 1 else "hidden"
        anim = ""
        if n > 1:
            a, b = k / n, (k + 1) / n
            if k == 0:
                values, times = "visible;hidden", f"0;{b:.6f}"
            elif k == n - 1:
                values, times = "hidden;visible", f"0;{a:.6f}"
            else:
                values, times = "hidden;visible;hidden", f"0;{a:.6f};{b:.6f}"
            anim = (f'<animate attributeName="visibility" values="{values}" keyTimes="{times}" '
                    f'dur="{n * seconds:g}s" calcMode="discrete" repeatCount="indefinite"/>')
        parts.append(f'<g id="frame{k}" visibility="{initial}">{anim}{element}</g>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width:g}pt" height="{height:g}pt" viewBox="0 0 {width:g} {height:g}">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n' + "\n".join(parts) + "\n</svg>\n"
    )


_FLIPBOOK = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif}} .frame{{display:none}} .frame.on{{display:block}}</style>
</head><body>
<div><button id="prev">&#9664;</button> <button id="play">play</button>
<button id="next">&#9654;</button>
<input id="step" type="range" min="0" max="{last}" value="0" style="width:50%">
<span id="where"></span></div>
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll('.frame'), step = document.getElementById('step');
  var where = document.getElementById('where'), timer = null;
  function show(k) {{
    k = (k + frames.length) % frames.length;
    frames.forEach(function (f, i) {{ f.classList.toggle('on', i === k); }});
    step.value = k; where.textContent = 'step ' + (k + 1) + ' / ' + frames.length;
  }}
  step.oninput = function () {{ show(+step.value); }};
  document.getElementById('prev').onclick = function () {{ show(+step.value - 1); }};
  document.getElementById('next').onclick = function () {{ show(+step.value + 1); }};
  document.getElementById('play').onclick = function () {{
    if (timer) {{ clearInterval(timer); timer = null; return; }}
    timer = setInterval(function () {{ show(+step.value + 1); }}, {ms});
  }};
  show(0);
}})();
</script></body></html>
"""


def flipbook_html(svgs: list[str], seconds: float = 1.5, title: str = "backward") -> str:
    """A self-contained HTML page: the frames with a slider, buttons and play (no network)."""
    body = "\n".join(
        f'<div class="frame">{_svg_element(s, f"f{k}_")[0]}</div>' for k, s in enumerate(svgs)
    )
    return _FLIPBOOK.format(title=html.escape(title), last=len(svgs) - 1, frames=body,
                            ms=int(seconds * 1000))


def _gif(frames: list, seconds: float) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(
            "writing a GIF needs Pillow (pip install pillow, it comes with matplotlib); "
            "save_frames(frames, 'steps.svg') or '.html' need nothing extra"
        ) from None
    import io

    images = [Image.open(io.BytesIO(f.pipe(format="png"))).convert("RGB") for f in frames]
    w = max(i.width for i in images)
    h = max(i.height for i in images)
    padded = []
    for im in images:
        canvas = Image.new("RGB", (w, h), "white")
        canvas.paste(im, (0, 0))
        padded.append(canvas)
    out = io.BytesIO()
    padded[0].save(out, format="GIF", save_all=True, append_images=padded[1:],
                   duration=int(seconds * 1000), loop=0)
    return out.getvalue()


def save_frames(frames: list, path: str | os.PathLike, seconds: float = 1.5) -> str:
    """Write the frames: ``.svg`` animated SVG, ``.html`` flipbook, ``.gif`` (needs Pillow),
    or a path without suffix: a folder of ``step_001.svg`` … . Returns the path.

    Everything is rendered in memory first: without ``dot`` this raises ``DotNotFound``
    (a ``graphviz.ExecutableNotFound``) and writes nothing.
    """
    if not frames:
        raise ValueError("no frames to save")
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".gif":
        return write_atomic(path, _gif(frames, seconds))
    if suffix not in ("", ".svg", ".html", ".htm"):
        raise ValueError(f"save_frames writes .svg, .html, .gif or a folder, not {suffix!r}")
    svgs = [svg_text(f) for f in frames]
    if suffix == ".svg":
        return write_atomic(path, animated_svg(svgs, seconds))
    if suffix in (".html", ".htm"):
        return write_atomic(path, flipbook_html(svgs, seconds))
    os.makedirs(path, exist_ok=True)
    for k, s in enumerate(svgs):
        write_atomic(os.path.join(path, f"step_{k + 1:03d}.svg"), s)
    return path


# --- in notebooks ---------------------------------------------------------------------------------
def _fit(svg_element: str) -> str:
    """Scaled down to the page's width (as JupyterLab does not do for inline SVG)."""
    return svg_element.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _frame_html(frame: graphviz.Digraph) -> str:
    """A frame as inline SVG, or (without dot) the install hint and its DOT source."""
    try:
        return _fit(_svg_element(svg_text(frame), "")[0])
    except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as e:
        return fallback_bundle(frame.source, e)["text/html"]


class FrameStrip:
    """All frames at once, one under the other: for pages without a live kernel."""

    def __init__(self, frames: list):
        self.frames = list(frames)

    def __len__(self) -> int:
        return len(self.frames)

    def _repr_html_(self) -> str:
        try:
            svgs = [svg_text(f) for f in self.frames]
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as e:
            # one hint for the whole strip, then each frame's DOT source
            parts = [fallback_bundle(f.source, e)["text/html"] for f in self.frames[:1]]
            parts += [f"<pre>{html.escape(f.source)}</pre>" for f in self.frames[1:]]
            return "\n".join(parts)
        return "\n".join(
            f'<div style="border-bottom:1px solid #ccc;margin:4px 0">'
            f"{_fit(_svg_element(s, f'f{k}_')[0])}</div>"
            for k, s in enumerate(svgs)
        )

    def __repr__(self) -> str:
        return f"<FrameStrip of {len(self.frames)} backward steps>"

    def save(self, path: str | os.PathLike) -> str:
        """Write the strip as one HTML page."""
        return write_atomic(path, f"<!DOCTYPE html><meta charset='utf-8'>{self._repr_html_()}")


def frames_strip(frames: list) -> FrameStrip:
    """A static strip of frames (HTML with inline SVGs) that displays in Jupyter."""
    return FrameStrip(frames)

