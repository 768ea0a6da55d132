"""The draw options: one frozen dataclass, the one list of what a picture can be asked for.

``draw_dot``, ``backward_frames``, the stepper and the inspector take a ``DrawOptions`` or
the same keywords, checked here (``DrawOptions.of``); nothing else lists the option names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["DrawOptions", "OPTION_NAMES"]

RANKDIRS = ("auto", "LR", "TB", "RL", "BT")
EDGE_LABELS = (None, "local", "product")


@dataclass(frozen=True)
class DrawOptions:
    """How to draw a graph (the values view and its frames).

    * ``rankdir``: "auto" (left to right when that fits a notebook column, else top to
      bottom when narrower), or Graphviz's "LR", "TB", "RL", "BT".
    * ``edge_labels``: None; "local" labels operand → op edges with ∂out/∂operand;
      "product" with upstream × local = the share that edge adds to the operand's gradient.
    * ``show_constants``: write constant operands inside their op (False hides them).
    * ``color_by_grad``: fill and pen width by gradient, blue > 0, red < 0, log scale, legend.
    * ``clusters``: "auto" groups nodes by the module that made them (``Value.role``, set by
      nn: ``layers.0.neurons.3``; a graph with no roles: by dotted labels); True, False.
    * ``max_nodes``: fold neurons, then layers, then chains into summary nodes until the
      picture has at most that many nodes; "auto" folds only as much as the picture needs
      to fit a notebook column, and says so in the caption; None draws every node.
    * ``fmt``: the output format Graphviz renders (``"svg"``, ``"png"`` …).
    """

    rankdir: str = "auto"
    edge_labels: str | None = None
    show_constants: bool = True
    color_by_grad: bool = False
    clusters: str | bool = "auto"
    max_nodes: int | str | None = "auto"
    fmt: str = "svg"

    def __post_init__(self) -> None:
        if self.edge_labels not in EDGE_LABELS:
            raise ValueError(f"edge_labels must be None, 'local' or 'product', got "
                             f"{self.edge_labels!r}")
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be 'auto', 'LR', 'TB', 'RL' or 'BT', got "
                             f"{self.rankdir!r}")
        if self.clusters not in ("auto", True, False):
            raise ValueError(f"clusters must be 'auto', True or False, got {self.clusters!r}")
        m = self.max_nodes
        if m not in (None, "auto") and (not isinstance(m, int) or isinstance(m, bool) or m < 1):
            raise ValueError(f"max_nodes must be a positive int, 'auto' (fold to fit) or None "
                             f"(draw every node), got {m!r}")
        for name in ("show_constants", "color_by_grad"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not isinstance(self.fmt, str) or not self.fmt:
            raise TypeError(f"fmt must be a Graphviz format name such as 'svg', got "
                            f"{self.fmt!r}")

    @classmethod
    def of(cls, options: DrawOptions | None = None, who: str = "draw_dot",
           **keywords) -> DrawOptions:
        """``options`` (default: the defaults) with ``keywords`` replaced, each checked:
        an unknown name is a TypeError that lists the known ones."""
        if options is not None and not isinstance(options, cls):
            raise TypeError(f"{who}: options must be a DrawOptions, got "
                            f"{type(options).__name__}")
        unknown = sorted(set(keywords) - set(OPTION_NAMES))
        if unknown:
            raise TypeError(f"{who} got unexpected option(s) {unknown}; the draw options are "
                            f"{', '.join(OPTION_NAMES)} (autograd.draw.DrawOptions)")
        return replace(options or cls(), **keywords)


OPTION_NAMES: tuple[str, ...] = tuple(f.name for f in fields(DrawOptions))
