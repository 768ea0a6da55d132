"""Imports only go downward: the engine never imports the rooms built on it.

The engine modules (value, ops, sweep, mode, functional, check) may import each other and
the standard library; never pictures (``autograd.draw``), compiled replay
(``autograd.compiled``), atomic saving (``autograd.saving``) or ``nn``, not even inside a
function. Checked on the source (every import statement, at any depth) and in a fresh
interpreter (what importing the engine modules loads).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ("value", "ops", "sweep", "mode", "functional", "check")
ROOMS = ("autograd.draw", "autograd.compiled", "autograd.saving", "nn")


def _imported(source: str) -> set[str]:
    """Every module a file of ``autograd/`` names in an import statement (relative ones
    resolved against the package ``autograd``)."""
    tree = ast.parse(source)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "autograd" if node.level else ""
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            full = ".".join(x for x in (base, node.module) if x)
            names.add(full)
            names.update(f"{full}.{a.name}" for a in node.names)
    return names


def _in_room(name: str) -> str | None:
    return next((r for r in ROOMS if name == r or name.startswith(r + ".")), None)


@pytest.mark.parametrize("module", ENGINE)
def test_engine_source_imports_no_room(module):
    source = (ROOT / "autograd" / f"{module}.py").read_text(encoding="utf-8")
    bad = sorted(n for n in _imported(source) if _in_room(n))
    assert not bad, f"autograd/{module}.py imports {bad}: the engine must not import {ROOMS}"


def test_the_scan_sees_a_room_import():
    """The scanner itself: imports inside a function, relative or absolute, are caught."""
    source = "def f():\n    from .draw import draw_dot\n    import nn.layers\nfrom . import ops\n"
    rooms = sorted({_in_room(n) for n in _imported(source)} - {None})
    assert rooms == ["autograd.draw", "nn"]
    assert _in_room("autograd.drawing") is None


def test_engine_modules_load_no_room():
    mods = ", ".join(f"autograd.{m}" for m in ENGINE)
    code = (
        "import sys, importlib\n"
        "import types\n"
        # load the engine modules without running autograd/__init__ (which re-exports
        # autograd.compile for the user): an empty package object stands in for it
        "pkg = types.ModuleType('autograd'); pkg.__path__ = [sys.argv[1]]\n"
        "sys.modules['autograd'] = pkg\n"
        f"for m in '{mods}'.split(', '): importlib.import_module(m)\n"
        f"rooms = {ROOMS!r}\n"
        "print(sorted(m for m in sys.modules if any(m == r or m.startswith(r + '.') "
        "for r in rooms)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(ROOT / "autograd")],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
