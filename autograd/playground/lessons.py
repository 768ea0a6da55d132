"""Lessons 1–4 as starter pages of the playground, read from the notebooks at build time.

A page keeps the lesson's text and code cells in order, minus what only a Jupyter kernel has:
the set-up cell (it installs dagrad and Graphviz, which the site already carries) and IPython
magics (``%matplotlib inline``). The site carries no matplotlib (it would double its size),
so an ``import matplotlib…`` line becomes a comment saying so, and a cell that plots carries
a note telling the reader to run it in Jupyter; every other cell runs as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["LESSONS", "lesson_pages", "page_of"]

LESSONS = ("01", "02", "03", "04")  # the notebooks' number prefixes the site carries
SETUP = "# Set-up"  # how the notebooks' generated set-up cell begins (notebooks/build.py)
NO_PLOTS = "  # not in the browser: the playground carries no matplotlib (plots need Jupyter)"
_MPL_IMPORT = re.compile(r"^(\s*)(import matplotlib\b.*|from matplotlib\b.*)$")
_PLOTS = re.compile(r"\bplt\.|\bmatplotlib\b")


def _code_cell(source: str) -> dict | None:
    if source.startswith(SETUP):
        return None
    lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith("%")]
    plots = any(_PLOTS.search(ln) and not _MPL_IMPORT.match(ln) for ln in lines)
    lines = [f"{m[1]}# {m[2]}{NO_PLOTS}" if (m := _MPL_IMPORT.match(ln)) else ln
             for ln in lines]
    cell = {"kind": "code", "source": "\n".join(lines).strip("\n")}
    if plots:
        cell["note"] = "This cell plots with matplotlib: run it in Jupyter to see the figure."
    return cell


def page_of(notebook: dict) -> dict:
    """``{"title", "cells": [{"kind": "md" | "code", "source", "note"?}]}`` of a notebook."""
    cells = []
    for c in notebook.get("cells", []):
        source = "".join(c.get("source", []))
        if c.get("cell_type") == "markdown":
            cells.append({"kind": "md", "source": source})
        elif c.get("cell_type") == "code" and (cell := _code_cell(source)):
            cells.append(cell)
    first = next((c["source"] for c in cells if c["kind"] == "md"), "")
    title = first.splitlines()[0].lstrip("# ").strip() if first else "lesson"
    return {"title": title, "cells": cells}


def lesson_pages(folder: Path) -> list[dict]:
    """The pages of lessons 1–4 found in ``folder`` (``notebooks/``), in lesson order."""
    pages = []
    for number in LESSONS:
        for path in sorted(folder.glob(f"{number}_*.ipynb")):
            page = page_of(json.loads(path.read_text(encoding="utf-8")))
            pages.append({"file": path.name, **page})
    return pages
