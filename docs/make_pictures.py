"""Regenerate the README's picture: python docs/make_pictures.py (needs Graphviz's `dot`).

docs/graph.svg is micrograd's lecture expression L = (a·b + c)·f after L.backward(), each box
showing label | data | grad, each operand edge labelled with the local derivative ∂out/∂in.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from autograd import Value  # noqa: E402
from autograd.draw import draw_dot, save  # noqa: E402


def lecture_graph():
    a, b, c, f = Value(2.0, "a"), Value(-3.0, "b"), Value(10.0, "c"), Value(-2.0, "f")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d * f
    L.label = "L"
    L.backward()
    return draw_dot(L, edge_labels="local")


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    print(save(lecture_graph(), os.path.join(here, "graph.svg")))


if __name__ == "__main__":
    main()
