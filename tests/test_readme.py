"""The README's Python blocks run as written: in order, each in a fresh interpreter, in a
temporary working directory, with a generous time bound.

A block may opt out only with a ``<!-- not-run: reason -->`` comment on the line before its
fence; such blocks are listed as skipped, with their reason, so they stay few and visible.
"""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECONDS_PER_BLOCK = 120
_BLOCK = re.compile(
    r"^(?:<!--\s*not-run:(?P<reason>[^\n]*?)-->\n)?```python\n(?P<code>.*?)^```", re.S | re.M)


class Block(NamedTuple):
    line: int
    code: str
    reason: str | None  # why it is not run, or None


def python_blocks(text: str) -> list[Block]:
    """Every fenced ```python block, with its line number and any not-run reason."""
    return [Block(text.count("\n", 0, m.start("code")) + 1, m.group("code"),
                  None if m.group("reason") is None else m.group("reason").strip())
            for m in _BLOCK.finditer(text)]


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 3, "the README's examples are ```python blocks"


def test_opt_outs_are_marked_with_a_reason():
    text = README.read_text(encoding="utf-8")
    markers = re.findall(r"<!--\s*not-run:(.*?)-->", text)
    opted_out = [b for b in BLOCKS if b.reason is not None]
    assert len(markers) == len(opted_out), "a not-run marker must sit right above a ```python fence"
    assert all(b.reason for b in opted_out), "every not-run marker says why"
    assert len(opted_out) <= 2, "use not-run sparingly: " + str([b.line for b in opted_out])


def test_no_block_runs_backward_twice_on_one_root():
    """A second backward() adds to the leaves' grads again, so pictures drawn after it lie."""
    for block in BLOCKS:
        twice = [root for root, n in Counter(re.findall(r"(\w+)\.backward\(", block.code)).items()
                 if n > 1]
        assert not twice, f"README.md line {block.line}: {twice} backward() called twice"


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"line{b.line}")
def test_block_runs_as_written(block, tmp_path):
    if block.reason is not None:
        pytest.skip(f"README.md line {block.line} is marked not-run: {block.reason}")
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    result = subprocess.run(
        [sys.executable, "-c", block.code], cwd=tmp_path, capture_output=True, text=True,
        timeout=SECONDS_PER_BLOCK, env=dict(os.environ, PYTHONPATH=path, MPLBACKEND="Agg"),
    )
    assert result.returncode == 0, (
        f"README.md's Python block at line {block.line} fails as written:\n{block.code}\n"
        f"--- its error ---\n{result.stderr[-3000:]}"
    )


def test_blocks_are_found_with_their_markers():
    text = "intro\n<!-- not-run: needs a GPU -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n"
    blocks = python_blocks(text)
    assert [(b.line, b.code, b.reason) for b in blocks] == [
        (4, "x = 1\n", "needs a GPU"), (8, "y = 2\n", None)]
