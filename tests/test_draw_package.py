"""The picture package stands apart: the engine never imports it, and it has no import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import autograd.draw

PACKAGE = Path(autograd.draw.__file__).parent


def test_import_autograd_does_not_import_graphviz():
    code = ("import sys, autograd, nn; "
            "bad = [m for m in sys.modules if m.startswith(('graphviz', 'autograd.draw'))]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_draw_does_not_import_nn():
    code = "import sys, autograd.draw; print([m for m in sys.modules if m.split('.')[0] == 'nn'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def _imports(path: Path) -> set[str]:
    """Sibling modules of the package that ``path`` imports at module level."""
    found = set()
    for stmt in ast.parse(path.read_text()).body:
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
            found.add(stmt.module.split(".")[0])
    return found


def test_no_import_cycle_inside_the_package():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    # a depth-first search for a back edge
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for n in graph.get(m, ()):
            assert state.get(n) != 1, f"import cycle: {' -> '.join(stack + [m, n])}"
            if n not in state:
                visit(n, stack + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])
    assert graph["builder"], "the parse found the builder's imports"


def test_old_names_still_import():
    from autograd.draw import (  # noqa: F401
        INSTALL_HINT,
        DotNotFound,
        FrameStrip,
        GraphPicture,
        backward_frames,
        count_paths,
        draw_dot,
        fmt_count,
        frames_strip,
        grad_color,
        save,
        save_frames,
        show_backward,
    )
