"""Display and saving without surprises: inline in notebooks, files on disk, no ``dot`` handled.

Building DOT never runs Graphviz. Without ``dot`` the notebook shows the DOT source and the
install command instead of raising; saving raises ``DotNotFound``.

Every picture a notebook stores must show in every host that opens it (``picture_bundle``):

- JupyterLab 4 and Notebook 7 render ``text/html`` first, trusted or not; an untrusted notebook
  (every freshly cloned one) has its HTML sanitised: ``<script>``, ``<style>`` and inline
  ``<svg>`` are removed (the SVG's text stays, as a run of raw words), ``image/svg+xml`` is not
  rendered at all, but ``<img>`` keeps its ``src`` whatever the scheme, ``data:`` included,
  and ``style`` attributes with ordinary values stay.
- nbconvert's HTML export with scripts off, and code hosts, show the HTML or an image.

So ``text/html`` is the final picture as ``<img src="data:image/svg+xml;base64,…">`` (scaled to
the column), a one-line note of what is interactive and where, and a ``<script>`` that, where
scripts run (a trusted notebook, a live cell, an HTML export with scripts on), puts the live
thing in its place: the inline SVG with its tooltips, or an explorer page. The bundle also
carries ``image/svg+xml`` and, where given, ``image/png`` (for viewers that show images only).
"""

from __future__ import annotations

import html
import json
import os
import re
from base64 import b64encode
from collections.abc import Callable

import graphviz

from ..saving import write_atomic
from .style import clean

__all__ = ["INSTALL_HINT", "DotNotFound", "GraphPicture", "fallback_bundle", "picture_bundle",
           "save"]

INSTALL_HINT = (
    "Graphviz's `dot` program is needed to render the picture (the pip package `graphviz` is "
    "only its Python interface). Install it with: sudo apt-get install graphviz "
    "(Debian/Ubuntu), brew install graphviz (macOS), conda install -c conda-forge graphviz "
    "(conda), or from https://graphviz.org/download/ (Windows)."
)

MAX_PNG_WIDTH = 1200  # px: a stored PNG no wider than a notebook column
COLUMN_PX = 1200  # px: a picture up to this wide is scaled to the column, a wider one scrolls


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


def svg_text(graph: graphviz.Digraph) -> str:
    """The rendered SVG as text; ``DotNotFound`` without ``dot``."""
    try:
        return graph.pipe(format="svg", encoding="utf-8")
    except DotNotFound:
        raise
    except graphviz.ExecutableNotFound as e:
        raise DotNotFound(_command_name(e)) from e


# Where scripts run, the script after the static copy replaces it (its previous sibling) by
# the live HTML: for a picture, the SVG decoded from the <img> (tooltips work inline only);
# for a page, the page's fragment, whose own <script> runs as it is inserted.
_LIVE_SVG = (
    "(function(s){{var w=s.previousElementSibling,i=w.querySelector('img');"
    "var b=atob(i.src.split(',')[1]),u=new Uint8Array(b.length);"
    "for(var k=0;k<b.length;k++)u[k]=b.charCodeAt(k);"
    "var t=new TextDecoder().decode(u);var d=document.createElement('div');"
    "d.style.maxWidth='100%';d.style.overflowX='auto';"
    "d.innerHTML=t.slice(t.indexOf('<svg')).replace('<svg ',"
    "'<svg style=\"'+i.getAttribute('style')+'\" ');w.replaceWith(d);s.remove();}})"
    "(document.currentScript);"
)
_LIVE_PAGE = (
    "(function(s){{var w=s.previousElementSibling,r=document.createRange();r.selectNode(w);"
    "w.replaceWith(r.createContextualFragment({page}));s.remove();}})(document.currentScript);"
)


def svg_data_uri(svg: str) -> str:
    """``data:image/svg+xml;base64,…``: an <img> source every sanitiser keeps."""
    return "data:image/svg+xml;base64," + b64encode(svg.encode("utf-8")).decode("ascii")


def _script_json(text: str) -> str:
    """``text`` as a JavaScript string literal safe inside a <script> element."""
    return json.dumps(text).replace("</", "<\\/")


def width_px(svg: str) -> float:
    """The picture's width at 100 % in px (dot writes it in pt: 1 pt = 4/3 px)."""
    m = re.search(r'<svg[^>]*?\swidth="([\d.]+)(pt|px)?"', svg)
    return float(m.group(1)) * (4 / 3 if m.group(2) in (None, "pt") else 1) if m else 0.0


def img_style(svg: str) -> str:
    """Scaled down to the column if it is at most a column wide (``COLUMN_PX``); wider
    pictures (too big to shrink and stay readable) keep their size, and the output scrolls."""
    w = width_px(svg)
    return ("max-width:100%;height:auto" if w <= COLUMN_PX
            else f"max-width:none;width:{w:.0f}px;height:auto")


def static_html(svg: str, *, alt: str, note: str = "", live: str | None = None) -> str:
    """The picture as an <img> of its SVG (+ a one-line note), then the script that swaps in
    the live version (``live``: a page fragment; None: the inline SVG with tooltips)."""
    note_html = (f'<p style="margin:2px 0;font-size:90%;color:#555">{html.escape(note)}</p>'
                 if note else "")
    static = (f'<div class="dagrad-static" style="max-width:100%;overflow-x:auto">'
              f'<img src="{svg_data_uri(svg)}" alt="{html.escape(alt, quote=True)}" '
              f'style="{img_style(svg)}">{note_html}</div>')
    code = (_LIVE_SVG.format() if live is None
            else _LIVE_PAGE.format(page=_script_json(live)))
    return f"{static}<script>{code}</script>"


def picture_bundle(svg: str, plain: str, *, png: bytes | None = None, note: str = "",
                   live: str | None = None) -> dict:
    """A mimebundle that shows the picture ``svg`` in every host (see the module doc).

    ``plain`` is the text/plain repr, ``png`` the same picture rasterised (for viewers that
    show images only), ``note`` one line saying what is interactive and where, ``live`` the
    interactive HTML that replaces the static copy where scripts run.
    """
    bundle = {"text/plain": plain, "image/svg+xml": svg,
              "text/html": static_html(svg, alt=plain, note=note, live=live)}
    if png:
        bundle["image/png"] = b64encode(png).decode("ascii")
    return bundle
# Where there is no `dot` program (the browser playground, autograd.playground), a function
# (DOT source, engine, format) -> text set here lays every picture out instead of `dot`;
# neato -n2 (positions given) is Graphviz's engine "nop2" there.
layout_hook: Callable[[str, str, str], str] | None = None


class GraphPicture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that never raises when shown in a notebook.

    ``node_ids`` maps every Value of the graph to the DOT name of the box drawing it (the
    summary's name when it is folded); each DOT node's ``id`` is its name, so the SVG has
    ``<g id="NAME" class="node">``. ``pipe`` and ``render`` raise ``DotNotFound`` (still a
    ``graphviz.ExecutableNotFound``) naming the install command.
    """

    summary = ""  # what text/plain shows: stable across runs (no memory address)
    caption = ""  # what the picture's caption says (folding, staleness, …)
    # 2: the DOT carries every position already (neato -n2 draws it as laid out, see frames)
    no_op: int | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.node_ids: dict = {}

    # Every string that enters the DOT passes through clean(): a label with an ANSI escape,
    # a carriage return or a NUL must not make dot fail.
    def node(self, name, label=None, _attributes=None, **attrs):
        super().node(clean(name), clean(label), _attributes=_attributes,
                     **{k: clean(v) for k, v in attrs.items()})

    def edge(self, tail_name, head_name, label=None, _attributes=None, **attrs):
        super().edge(clean(tail_name), clean(head_name), clean(label), _attributes=_attributes,
                     **{k: clean(v) for k, v in attrs.items()})

    def attr(self, kw=None, _attributes=None, **attrs):
        super().attr(kw, _attributes=_attributes, **{k: clean(v) for k, v in attrs.items()})

    def pipe(self, *args, **kwargs):
        if layout_hook is not None:
            engine = kwargs.get("engine") or self.engine
            out = layout_hook(self.source, f"nop{self.no_op}" if self.no_op else engine,
                              kwargs.get("format", args[0] if args else None) or self.format)
            return out if kwargs.get("encoding") else out.encode()
        if self.no_op is not None and not args[2:3]:
            kwargs.setdefault("neato_no_op", self.no_op)
        try:
            return super().pipe(*args, **kwargs)
        except DotNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise DotNotFound(_command_name(e)) from e

    def render(self, *args, **kwargs):
        # Checked first, so that a missing `dot` leaves no source file behind either.
        _require_dot()
        if self.no_op is not None:
            kwargs.setdefault("neato_no_op", self.no_op)
        try:
            return super().render(*args, **kwargs)
        except DotNotFound:
            raise
        except graphviz.ExecutableNotFound as e:
            raise DotNotFound(_command_name(e)) from e

    def _png(self, svg: str) -> bytes:
        """The picture as PNG at most ``MAX_PNG_WIDTH`` px wide (dot's 96 dpi, or less)."""
        width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))
        graph = self.copy()
        graph.attr(dpi=f"{min(96.0, MAX_PNG_WIDTH * 72 / max(width_pt, 1)):.2f}")
        return graph.pipe(format="png")

    def __repr__(self) -> str:
        return f"<GraphPicture {self.summary}>" if self.summary else "<GraphPicture>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            svg = svg_text(self)
            png = None if layout_hook is not None else self._png(svg)  # no dot: no PNG
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as e:
            return fallback_bundle(self.source, e)
        bundle = picture_bundle(svg, repr(self), png=png)
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle


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
