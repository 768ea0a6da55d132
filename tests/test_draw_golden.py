"""Golden DOT: the exact source of a few representative pictures, pinned in tests/golden/.

A change to any of these files must be on purpose: regenerate them with
``DAGRAD_GOLDEN=write pytest tests/test_draw_golden.py`` and read the diff before committing.
Building DOT never runs Graphviz, so these tests need no ``dot``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from draw_graphs import lecture as lecture_root

from autograd import Value
from autograd.draw import draw_dot

GOLDEN = Path(__file__).parent / "golden"


def lecture():
    """micrograd's lecture expression L = (a*b + c) * f, after backward, local derivatives."""
    return draw_dot(lecture_root(), edge_labels="local")


def reuse():
    """x used many times (x*x, x + 1, tanh(x*y)), gradients as upstream × local products."""
    x, y = Value(0.5, "x"), Value(-1.5, "y")
    out = (x * x + (x + 1.0) * y).tanh() - x / y
    out.label = "out"
    out.backward()
    return draw_dot(out, edge_labels="product", color_by_grad=True)


def neuron():
    """One named ReLU neuron of nn on a 3-input example, clustered by its labels."""
    from nn import MLP

    model = MLP(3, [2, 1], rng=random.Random(0))
    loss = model([1.0, -2.0, 0.5])
    loss.backward()
    return draw_dot(loss)


def folded_chain():
    """A chain of 300 tanh nodes folded to at most 12 nodes."""
    x = Value(0.1, "x")
    y = x
    for _ in range(300):
        y = (y * 1.01).tanh()
    y.label = "y"
    return draw_dot(y, max_nodes=12)


CASES = {"lecture": lecture, "reuse": reuse, "neuron": neuron, "folded_chain": folded_chain}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_dot(name):
    source = CASES[name]().source
    path = GOLDEN / f"{name}.gv"
    if os.environ.get("DAGRAD_GOLDEN") == "write":
        path.write_text(source, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with DAGRAD_GOLDEN=write"
    assert source == path.read_text(encoding="utf-8"), (
        f"the DOT of {name!r} changed; if on purpose, regenerate with DAGRAD_GOLDEN=write")
