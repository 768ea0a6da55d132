"""Checks on the committed notebooks themselves (nbmake runs them; this checks how they are stored).

Committed notebooks carry no outputs (students run them; diffs stay readable), use the
``python3`` kernel that nbmake and CI run, fix their random seeds, and are listed in order.
"""

import json
import pathlib
import re

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7, [p.name for p in NOTEBOOKS]
    numbers = [int(re.match(r"(\d+)_", p.name).group(1)) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), "notebooks are numbered 01_, 02_, …"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a notebook with no code"
    for cell in code:
        first = "".join(cell["source"])[:60]
        assert cell.get("outputs") == [], f"committed outputs in cell {first!r}: clear them"
        assert cell.get("execution_count") is None, f"execution count in cell {first!r}"
    assert nb["cells"][0]["cell_type"] == "markdown", "start with a title and the idea"
    ids = [c.get("id") for c in nb["cells"]]
    assert None not in ids, "every cell needs an id (nbformat 4.5); nbformat.validator.normalize"
    assert len(set(ids)) == len(ids), "cell ids must be unique"


def _code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_needs_dot(path):
    """Pictures are displayed (which falls back to DOT source without Graphviz), never
    rendered or saved, which would need the `dot` program."""
    source = _code(path)
    for call in (".render(", ".pipe(", "save_frames(", "draw.save(", ".view("):
        assert call not in source, f"{call} needs Graphviz's dot; display the picture instead"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_randomness_is_seeded(path):
    """Every random source used is seeded: random.Random(seed) / random.seed / np seeds."""
    source = _code(path)
    # bare module-level random.* draws without a seed anywhere make outputs irreproducible
    if re.search(r"\brandom\.(random|uniform|gauss|choice|shuffle|sample)\(", source):
        assert re.search(r"\brandom\.seed\(", source), "random.* used without random.seed()"
    assert "Random()" not in source, "random.Random() without a seed"
    if re.search(r"\bnp\.random\.", source):
        seeded = re.search(r"np\.random\.(seed|default_rng)\(\s*\d", source)
        assert seeded, "numpy randomness unseeded"
