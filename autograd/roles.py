"""Roles: what a node *is* in a model's structure, said by the code that built it.

A node's ``label`` is display text: the user may rename any node at any time (``out.label =
"out"``) and nothing but the text shown changes. Structure travels separately, as a
``Role`` in ``Value.role``: ``nn`` sets it on what its modules make (a neuron's pre-activation
z = Σᵢ wᵢxᵢ + b, its output a = g(z), its weights wᵢ and bias b), and the pictures read it
(the units view's units, layers and edges; the clusters of the values view). Neither side
parses the other's strings.

This module imports nothing from dagrad: the engine only holds the tag (one slot on
``Value``, never set while building a node, so building costs the same), ``nn`` writes it
and ``autograd.draw`` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Role", "KINDS", "mark"]

# z: a unit's pre-activation; out: its output g(z) (a linear unit's output is z itself);
# w: weight ``index`` of the unit (it multiplies input ``index``); b: the unit's bias.
KINDS = ("z", "out", "w", "b")


@dataclass(frozen=True, slots=True)
class Role:
    """A node's place in a network: unit ``unit`` of layer ``layer``, as ``kind``.

    ``module`` is the path of the module that made the node (``layers.1.neurons.3``), the
    structural name pictures group by; ``index`` is the input a weight multiplies (only for
    ``kind == "w"``); ``parent`` the path of the layer holding the unit (``layers.1``), the
    name its weights take as one matrix in the grouped replay. Frozen: one Role is shared by
    every node a unit makes.
    """

    kind: str
    module: str = ""
    layer: int = 0
    unit: int = 0
    index: int | None = None
    parent: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Role kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if (self.index is None) == (self.kind == "w"):
            raise ValueError("a Role of kind 'w' needs index= (the input it multiplies); "
                             f"kind {self.kind!r} takes none")
        for name in ("layer", "unit") + (("index",) if self.index is not None else ()):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"Role {name} must be a whole number >= 0, got {v!r}")
        for name in ("module", "parent"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"Role {name} must be a str (a module path), got "
                                f"{type(getattr(self, name)).__name__}")


def mark(node, label: str, role: Role) -> None:
    """Name ``node`` (its display ``label``) and say what it is (its ``role``) in one step.

    The path ``nn`` takes for every neuron it runs, so it writes the two slots of ``Value``
    directly: the caller passes a str and a ``Role`` made (and checked) once per module.
    Anyone else sets ``node.label`` and ``node.role``, which check what they are given.
    """
    node._label = label
    node._role = role
