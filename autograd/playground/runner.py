"""Code cells in the browser: run a cell, collect what it prints and shows, as a notebook does.

The page (``site/playground.js``) calls ``start(layout)`` once Pyodide has unpacked the
wheels, with ``layout`` the in-browser Graphviz (DOT source, engine, format) -> text; then
``run_cell(code)`` for each cell. A cell's outputs, in the order they happened:

* ``{"kind": "text", "text"}``: what it printed (stdout and stderr);
* ``{"kind": "svg", "svg"}``: a picture (``draw_dot``'s ``GraphPicture``, laid out in place);
* ``{"kind": "page", "html"}``: a self-contained page (``show_backward``, ``inspect``, any
  object with ``_repr_html_``), which the page shows in its own frame;
* ``{"kind": "error", "text"}``: the traceback's end (the cell's line, the raising line).

As in Jupyter, the value of a cell's last line is shown when it is an expression (not None),
and ``display(x)`` shows ``x`` at once (``from IPython.display import display, HTML``
works too, where IPython is missing). Nothing here imports ``js``: this runs (and is tested)
in CPython as well.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import json
import linecache
import sys
import traceback
import types
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout

__all__ = ["HTML", "Cell", "display", "ipython_stand_in", "namespace", "run_cell", "start",
           "warm_up"]

def start(layout: Callable[[str, str, str], str] | None) -> None:
    """Route every picture's layout to ``layout`` (the browser's WebAssembly Graphviz)."""
    from ..draw import display as pictures

    pictures.layout_hook = None if layout is None else (
        lambda source, engine, fmt: str(layout(source, engine, fmt)))
    ipython_stand_in()


def warm_up() -> None:
    """Draw a tiny picture and throw it away: the first layout compiles Graphviz's code in
    the browser (about a second), better spent while the reader is still reading."""
    from .. import Value
    from ..draw import draw_dot
    from ..draw.display import svg_text

    x = Value(1.0, label="x")
    svg_text(draw_dot((x * x).tanh()))


class Cell:
    """The outputs of one run: text as it is printed, and what ``display`` shows."""

    def __init__(self) -> None:
        self.outputs: list[dict] = []
        self._text = io.StringIO()

    def write(self, s: str) -> int:  # stdout and stderr of the cell land here
        return self._text.write(s)

    def flush(self) -> None:
        text = self._text.getvalue()
        if text:
            self.outputs.append({"kind": "text", "text": text})
            self._text = io.StringIO()

    def show(self, *objs: object) -> None:
        """``display(a, b, …)``: a picture as SVG, a page in a frame, anything else as repr."""
        self.flush()
        self.outputs.extend(shown(obj) for obj in objs)

    def error(self, e: BaseException, filename: str) -> None:
        self.flush()
        self.outputs.append({"kind": "error", "text": last_lines(e, filename)})


def shown(obj: object) -> dict:
    """How ``obj`` is shown: the richest of SVG (pictures), HTML (pages) and its repr."""
    from ..draw import GraphPicture
    from ..draw.display import svg_text
    from ..draw.explorer.page import Page

    if isinstance(obj, GraphPicture):
        svg = svg_text(obj)
        return {"kind": "svg", "svg": svg[svg.index("<svg"):]}
    if isinstance(obj, Page):
        return {"kind": "page", "html": obj.html()}
    rich = getattr(obj, "_repr_html_", None)
    if callable(rich) and not isinstance(obj, type):
        html = rich()
        if html is not None:
            return {"kind": "page", "html": html}
    return {"kind": "text", "text": repr(obj) + "\n"}


def last_lines(e: BaseException, filename: str) -> str:
    """The traceback's end: the cell's line that led to the error, the line that raised it
    (when that is elsewhere), and the error itself."""
    te = traceback.TracebackException.from_exception(e)
    stack = list(te.stack)
    ours = [i for i, f in enumerate(stack) if f.filename == filename]
    frames = [stack[ours[-1]]] + ([stack[-1]] if ours[-1] < len(stack) - 1 else []) \
        if ours else []
    text = "".join(traceback.StackSummary.from_list(frames).format())
    head = "Traceback (most recent call last):\n" if frames else ""
    return head + text + "".join(te.format_exception_only())


def namespace() -> dict:
    """The cells' globals: what the starter examples and lessons use, imported once."""
    import math
    import random

    import autograd
    import nn
    from autograd import Value
    from autograd.draw import draw_dot, inspect, show_backward

    return {"__name__": "__main__", "math": math, "random": random, "autograd": autograd,
            "nn": nn, "Value": Value, "draw_dot": draw_dot, "show_backward": show_backward,
            "inspect": inspect}


class HTML:
    """``IPython.display.HTML``: markup shown as a page."""

    def __init__(self, data: str = "") -> None:
        self.data = data

    def _repr_html_(self) -> str:
        return self.data


def display(*objs: object) -> None:
    """``IPython.display.display``: show ``objs`` in the running cell's output."""
    if not _CURRENT:
        raise RuntimeError("display() shows things in a cell's output: call it in a cell")
    _CURRENT[-1].show(*objs)


def ipython_stand_in() -> None:
    """Where IPython is missing (Pyodide), ``from IPython.display import display, HTML``
    (as the lessons write) gets these two; nothing else of IPython is offered."""
    if importlib.util.find_spec("IPython") is not None:
        return
    package, module = types.ModuleType("IPython"), types.ModuleType("IPython.display")
    module.display, module.HTML = display, HTML
    package.display = module
    sys.modules.update({"IPython": package, "IPython.display": module})


_GLOBALS: dict = {}
_CURRENT: list[Cell] = []
_RUNS = [0]


def run_cell(code: str, globals_: dict | None = None) -> str:
    """Run ``code`` in the shared namespace; its outputs as JSON (see the module's doc)."""
    if globals_ is None:
        globals_ = _GLOBALS or _GLOBALS.update(namespace()) or _GLOBALS
    _RUNS[0] += 1
    filename = f"<cell {_RUNS[0]}>"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    cell = Cell()
    globals_["display"] = display
    _CURRENT.append(cell)
    with redirect_stdout(cell), redirect_stderr(cell):
        try:
            _execute(code, filename, globals_, cell)
        except BaseException as e:  # noqa: BLE001 - a cell's error is an output, not a crash
            cell.error(e, filename)
        finally:
            _CURRENT.pop()
    cell.flush()
    return json.dumps(cell.outputs)


def _execute(code: str, filename: str, globals_: dict, cell: Cell) -> None:
    tree = ast.parse(code, filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), globals_)
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), globals_)
        if value is not None:
            cell.show(value)
