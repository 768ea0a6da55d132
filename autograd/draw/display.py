"""Display and saving without surprises: inline in notebooks, files on disk, no ``dot`` handled.

Building DOT never runs Graphviz. Showing a picture in Jupyter runs ``dot`` once and gives
both ``image/svg+xml`` and ``text/html`` (the same SVG inline, scaled to the column, so that
JupyterLab shows the tooltips too). Without ``dot`` the notebook shows the DOT source and the
install command instead of raising; saving raises ``DotNotFound``.
"""

from __future__ import annotations

import html
import os
from collections.abc import Callable

import graphviz

from ..saving import write_atomic
from .style import clean

__all__ = ["INSTALL_HINT", "DotNotFound", "GraphPicture", "fallback_bundle", "save"]

INSTALL_HINT = (
    "Graphviz's `dot` program is needed to render the picture (the pip package `graphviz` is "
    "only its Python interface). Install it with: sudo apt-get install graphviz "
    "(Debian/Ubuntu), brew install graphviz (macOS), conda install -c conda-forge graphviz "
    "(conda), or from https://graphviz.org/download/ (Windows)."
)


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


def inline_svg(svg: str) -> str:
    """dot's SVG as an element for an HTML page: no XML header, scaled down to fit the page."""
    svg = svg[svg.index("<svg"):].replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)
    return f'<div style="max-width:100%;overflow-x:auto">{svg}</div>'


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

    def __repr__(self) -> str:
        return f"<GraphPicture {self.summary}>" if self.summary else "<GraphPicture>"

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            svg = svg_text(self)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as e:
            return fallback_bundle(self.source, e)
        bundle = {"image/svg+xml": svg, "text/html": inline_svg(svg),
                  "text/plain": repr(self)}
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
