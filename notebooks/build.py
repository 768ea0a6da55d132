"""Run the lessons and store them with their outputs, so a code host shows every picture.

``python -m notebooks`` executes each notebook top to bottom in a fresh ``python3`` kernel
(cwd ``notebooks/``, the repository root on ``PYTHONPATH``, ``PYTHONHASHSEED=0``), normalises
what varies between runs, and writes it back. ``tests/test_notebooks.py`` runs the same
execution and compares it with the committed file through :func:`differences`, so committed
outputs can never go stale or be edited by hand unnoticed.

What is normalised (``normalise``): execution counts (1, 2, … in order), cell timings and
kernel details in the metadata, memory addresses (``0x7f…``), temporary paths, widget views
(their model ids change every run; a code host cannot show them, so each widget must carry a
static fallback, HTML or an image, in the same output), split stream chunks. Plots are PNG
(the set-up cell asks matplotlib for that: JupyterLab does not render an untrusted notebook's
SVG), compared by pixel size.

How outputs are compared (``differences``): a cell tagged ``timing`` (it prints or plots
measured seconds, which no two runs share) by its output types and their number only; others:
text, HTML and SVG exactly after normalisation
when they were made by the same Graphviz/matplotlib version; across versions, by their visible
text and their number of pictures only (a new release redraws every curve slightly). PNGs by
presence and pixel size, never bytes.
"""

from __future__ import annotations

import html
import os
import re
import struct
import sys
import tempfile
import tomllib
from base64 import b64decode
from pathlib import Path
from urllib.parse import quote

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
REGENERATE = "python -m notebooks"  # what the README and every failure message name
SETUP_ID = "setup"                  # the id of the generated first code cell
TIMING_TAG = "timing"               # a cell showing measured seconds: compared by kind only
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC = ("text/html", "image/svg+xml", "image/png", "image/jpeg")


class BuildError(Exception):
    """A notebook that cannot be stored as it is: a failing cell, a widget with no fallback."""


def notebooks(selection: list[str] | None = None) -> list[Path]:
    """The lessons in order; ``selection`` picks by number prefix or name (``["2", "05"]``)."""
    paths = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not selection:
        return paths
    picked = [p for p in paths
              if any(p.name.startswith(s.zfill(2)) or p.name == s or p.stem == s
                     for s in selection)]
    if not picked:
        raise BuildError(f"no notebook matches {selection}; have {[p.name for p in paths]}")
    return picked


# --- the set-up cell -------------------------------------------------------------------------

def repository() -> str:
    """The repository URL, from ``[tool.dagrad] repository`` in pyproject.toml ('' if unset)."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return settings.get("tool", {}).get("dagrad", {}).get("repository", "").strip()


_SETUP = '''\
# Set-up, the same in every lesson (written by `python -m notebooks`: edit it there). On Colab
# or Binder it installs dagrad and Graphviz; after the README's set-up it changes nothing.
import os, shutil, subprocess, sys
try:
    from autograd import Value  # dagrad's engine (HIPS autograd, also `autograd`, has no Value)
except ImportError:
    REPO = os.environ.get("DAGRAD_REPO", "{repo}")  # pyproject.toml: [tool.dagrad] repository
    if not REPO:
        raise RuntimeError("dagrad is not installed and its repository is not known: run "
                           "%env DAGRAD_REPO=<URL of the dagrad git repository>, then this cell")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"dagrad[plot] @ git+{{REPO}}"],
                   check=True)
    for name in [m for m in sys.modules if m.split(".")[0] == "autograd"]:
        del sys.modules[name]  # forget a preinstalled HIPS autograd
if not shutil.which("dot") and shutil.which("apt-get") and getattr(os, "geteuid", int)() == 0:
    subprocess.run("apt-get -qq update && apt-get -qq install -y graphviz", shell=True)
'''

_PLOTS = '''\
# Plots as PNG, which every notebook host shows (trusted or not), at most 1200 px wide.
%config InlineBackend.figure_formats = ["png"]
%config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 100}
'''


def setup_source(nb: nbformat.NotebookNode, repo: str | None = None) -> str:
    """The set-up cell for ``nb``: install if missing; PNG plot settings if it plots."""
    repo = repository() if repo is None else repo
    if '"' in repo or "\\" in repo:
        raise BuildError(f"[tool.dagrad] repository must be a plain URL, got {repo!r}")
    uses_plots = any("matplotlib" in c.source for c in nb.cells
                     if c.cell_type == "code" and c.get("id") != SETUP_ID)
    return (_SETUP.format(repo=repo) + (_PLOTS if uses_plots else "")).rstrip("\n")


def with_setup_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Put the generated set-up cell first among the code cells (after the title)."""
    source = setup_source(nb)
    cells = [c for c in nb.cells if c.get("id") != SETUP_ID]
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    cells.insert(first_code, nbformat.v4.new_code_cell(source, id=SETUP_ID))
    nb.cells = cells
    return nb


# --- executing ----------------------------------------------------------------------------

def kernel_env() -> dict[str, str]:
    """The kernel's environment: the repository importable, hashing fixed."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="0")


def execute(path: Path, timeout: int = 600) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` (its set-up cell regenerated) and return it normalised."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = with_setup_cell(nbformat.read(path, as_version=4))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        store_widget_state=False, resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as err:
        raise BuildError(f"{path.name}: a cell failed\n{err}") from None
    return normalise(nb, path.name)


# --- normalising ----------------------------------------------------------------------------

_TMP = re.escape(tempfile.gettempdir().rstrip(os.sep))
_VARYING = [  # (pattern, replacement) applied to every text output
    (re.compile(r"\b0x[0-9a-fA-F]{6,16}\b"), "0x…"),
    (re.compile(_TMP + r"(/[\w.\-]+)+"), "<tmp>"),
    (re.compile(r"/tmp(/[\w.\-]+)+"), "<tmp>"),
]


def _clean_text(text: str) -> str:
    for pattern, replacement in _VARYING:
        text = pattern.sub(replacement, text)
    return text


def _join(text) -> str:
    return "".join(text) if isinstance(text, list) else text


def _coalesce(outputs: list) -> list:
    """Merge consecutive stream chunks of the same stream (the kernel flushes them at will)."""
    merged: list = []
    for out in outputs:
        last = merged[-1] if merged else None
        if (out.output_type == "stream" and last is not None
                and last.output_type == "stream" and last.name == out.name):
            last.text = _join(last.text) + _join(out.text)
        else:
            merged.append(out)
    return merged


def _normalise_output(out, where: str, count: int | None):
    """One output with its varying parts replaced; raises for a widget with no fallback."""
    out.pop("transient", None)
    if out.output_type == "stream":
        out.text = _clean_text(_join(out.text))
    elif out.output_type == "error":
        out.traceback = [_clean_text(t) for t in out.traceback]
    else:
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            del data[WIDGET_VIEW]
            if not any(k in data for k in STATIC):
                raise BuildError(
                    f"{where} shows an ipywidgets widget with no static fallback, so a code "
                    "host would show only its text repr: make the displayed object's "
                    "_repr_mimebundle_ add text/html or image/svg+xml beside the widget view")
        for key, value in data.items():
            if isinstance(value, str | list) and (key.startswith("text/") or key.endswith("+xml")):
                data[key] = _clean_text(_join(value))
        if out.output_type == "execute_result":
            out.execution_count = count
    return out


def normalise(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Strip or fix everything in an executed notebook that varies from run to run."""
    nb.metadata = nbformat.from_dict({
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    count = 0
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        executed = cell.execution_count is not None
        count += executed
        cell.execution_count = count if executed else None
        where = f"{name}, {describe(cell, index)}"
        cell.outputs = [_normalise_output(o, where, cell.execution_count)
                        for o in _coalesce(cell.outputs)]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write in nbformat's own layout (one-space indent, sorted keys), as Jupyter saves."""
    nbformat.validate(nb)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# --- comparing ------------------------------------------------------------------------------

def describe(cell, index: int) -> str:
    """'cell 7 (id c07: L.backward())': how failures name a cell."""
    first = next((line for line in cell.source.splitlines() if line.strip()), "")
    return f"cell {index} (id {cell.get('id')}: {first[:50]})"


_GENERATOR = re.compile(r"graphviz version [\d.]+|Matplotlib v[\w.+]+")
_TAG = re.compile(r"<(style|script)\b.*?</\1>|<[^>]*>", re.S)


def _visible(text: str) -> tuple:
    """What a reader sees of some SVG/HTML: its text, and how many pictures it holds."""
    words = [html.unescape(w).strip() for w in _TAG.sub("\n", text).splitlines()]
    return [w for w in words if w], text.count("<svg"), text.count("<img")


def png_size(data: str) -> tuple[int, int]:
    """(width, height) from a base64 PNG's header."""
    raw = b64decode(data[:64])
    return struct.unpack(">II", raw[16:24])


def _first_difference(old: str, new: str) -> str:
    """Where two texts part: the first differing line of each."""
    a, b = old.splitlines(), new.splitlines()
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"\n      line {k + 1}: committed {x[:120]!r}\n      fresh run {y[:120]!r}"
    return f"\n      committed {len(a)} lines, a fresh run {len(b)}"


_DATA_SVG = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def _data_svgs(text: str) -> tuple[str, list[str]]:
    """HTML with each ``<img src="data:image/svg+xml;base64,…">`` source replaced by a mark,
    and the SVGs decoded (so they compare as SVG: by what they show, across versions)."""
    svgs = [b64decode(m).decode("utf-8", "replace") for m in _DATA_SVG.findall(text)]
    return _DATA_SVG.sub("data:image/svg+xml;base64,…", text), svgs


def _compare_html(old: str, new: str) -> str | None:
    (old, old_svgs), (new, new_svgs) = _data_svgs(old), _data_svgs(new)
    if len(old_svgs) != len(new_svgs):
        return f"text/html shows {len(old_svgs)} pictures, a fresh run {len(new_svgs)}"
    for a, b in zip(old_svgs, new_svgs):
        why = _compare_data("image/svg+xml", a, b)
        if why:
            return f"text/html's picture: {why}"
    return _compare_data("text/html+text", old, new)


def _compare_data(key: str, old, new) -> str | None:
    """Why two values of one mime type differ, or None if they count as the same."""
    if key == "text/html" and isinstance(old, str) and isinstance(new, str):
        return _compare_html(old, new)
    if key.startswith("image/png"):
        same = png_size(old) == png_size(new)
        return None if same else f"{key} size {png_size(old)} != fresh {png_size(new)}"
    if not isinstance(old, str):
        return None if old == new else f"{key} differs"
    if old == new:
        return None
    if set(_GENERATOR.findall(old)) != set(_GENERATOR.findall(new)):  # another renderer version
        if _visible(old) == _visible(new):
            return None
        return f"{key} shows other text{_first_difference(old, new)}"
    return f"{key} differs{_first_difference(old, new)}"


def _compare_output(old, new) -> str | None:
    if old.output_type != new.output_type:
        return f"an {old.output_type} output where a fresh run gives {new.output_type}"
    if old.output_type == "stream":
        old_text, new_text = _join(old.text), _join(new.text)
        if (old.name, old_text) != (new.name, new_text):
            return f"{old.name} text differs{_first_difference(old_text, new_text)}"
        return None
    if old.output_type == "error":
        return None if old.traceback == new.traceback else "the error differs"
    old_data, new_data = old.get("data", {}), new.get("data", {})
    if set(old_data) != set(new_data):
        return f"output types {sorted(old_data)} where a fresh run gives {sorted(new_data)}"
    svgs = old_data.get("image/svg+xml"), new_data.get("image/svg+xml")
    redrawn = all(isinstance(t, str) for t in svgs) and len(
        {frozenset(_GENERATOR.findall(t)) for t in svgs}) > 1  # by another Graphviz version
    for key in old_data:
        if redrawn and key.startswith("image/png"):
            continue  # its pixel size moves with the redrawing; the SVG was compared
        why = _compare_data(key, old_data[key], new_data[key])
        if why:
            return why
    return None


def _compare_cell(old, new) -> str | None:
    if (old.cell_type, old.source) != (new.cell_type, new.source):
        return "its source differs from the notebook that was run"
    if old.cell_type != "code":
        return None
    if old.execution_count != new.execution_count:
        return f"execution count {old.execution_count}, a fresh run gives {new.execution_count}"
    if len(old.outputs) != len(new.outputs):
        return f"{len(old.outputs)} outputs committed, a fresh run gives {len(new.outputs)}"
    if TIMING_TAG in old.metadata.get("tags", ()):
        def kinds(cell):
            return [(o.output_type, sorted(o.get("data", {}))) for o in cell.outputs]

        return None if kinds(old) == kinds(new) else "its outputs are of other kinds"
    for k, (o, n) in enumerate(zip(old.outputs, new.outputs)):
        why = _compare_output(o, n)
        if why:
            return f"output {k}: {why}"
    return None


def differences(committed: nbformat.NotebookNode, fresh: nbformat.NotebookNode) -> list[str]:
    """One line per cell whose committed outputs are not what a fresh run gives."""
    if len(committed.cells) != len(fresh.cells):
        return [f"{len(committed.cells)} cells committed, {len(fresh.cells)} after the build "
                "(the set-up cell is missing or doubled)"]
    found = []
    for index, (old, new) in enumerate(zip(committed.cells, fresh.cells)):
        why = _compare_cell(old, new)
        if why:
            found.append(f"{describe(old, index)}: {why}")
    return found


# --- links for hosted notebook services -----------------------------------------------------

def hosted_links(repo: str, name: str, branch: str = "main") -> dict[str, str]:
    """Colab and Binder links for one notebook of a GitHub repository URL."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repo)
    if not match:
        raise BuildError(f"links are made for https://github.com/<owner>/<repo> URLs, not {repo!r}")
    owner, project = match.groups()
    return {
        "Colab": f"https://colab.research.google.com/github/{owner}/{project}/blob/{branch}"
                 f"/notebooks/{name}",
        "Binder": f"https://mybinder.org/v2/gh/{owner}/{project}/{branch}"
                  f"?labpath={quote('notebooks/' + name, safe='')}",
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m notebooks", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="notebooks to run, by number (2 or 02) or name")
    parser.add_argument("--check", action="store_true",
                        help="run them and report stale outputs without writing anything")
    parser.add_argument("--links", action="store_true",
                        help="print each lesson's Colab and Binder links and exit")
    args = parser.parse_args(argv)
    try:
        if args.links:
            repo = repository()
            if not repo:
                raise BuildError("set [tool.dagrad] repository in pyproject.toml first")
            for path in notebooks(args.names):
                links = hosted_links(repo, path.name)
                print(path.name, *(f"  {k}: {v}" for k, v in links.items()), sep="\n")
            return 0
        stale = 0
        for path in notebooks(args.names):
            start = time.perf_counter()
            fresh = execute(path)
            found = differences(nbformat.read(path, as_version=4), fresh)
            if found and not args.check:  # unchanged: keep the file (and its timings) as is
                write(fresh, path)
            stale += bool(found)
            state = ("stale" if args.check else "updated") if found else "unchanged"
            print(f"{path.name}: {state} ({time.perf_counter() - start:.1f} s)", flush=True)
            for line in found if args.check else []:
                print("   ", line)
        return 1 if args.check and stale else 0
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2

