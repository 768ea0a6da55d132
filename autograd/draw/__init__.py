"""Pictures of the computation graph: values, gradients, local derivatives, paths, clusters.

``from autograd.draw import draw_dot`` — the engine never imports this package, and
``import autograd`` alone does not import graphviz. Modules, by concept:

* ``options``: ``DrawOptions``, the one list of how a picture can be drawn;
* ``builder``: the DOT builder (``draw_dot``), one box per Value, one node per op;
* ``layout``: path counts, clusters from roles (``Value.role``, set by ``nn``; labels are
  display text), folding big graphs into summaries;
* ``style``: numbers, op symbols, colours;
* ``display``: ``GraphPicture`` (inline SVG in notebooks, no ``dot`` handled) and ``save``;
* ``frames``: backpropagation step by step as files (``backward_frames``, ``save_frames``);
* ``explorer``: self-contained pages (inline SVG and a little JavaScript, no kernel, no
  network): ``show_backward`` steps through the sweep, ``inspect`` answers hovers and clicks,
  ``training_page`` replays training.
"""

from .builder import draw_dot
from .checks import BadRule, check_rules, draw_anomaly, draw_rule_check, first_non_finite
from .display import INSTALL_HINT, DotNotFound, GraphPicture, fallback_bundle, save
from .explorer import inspect, show_backward, stepper, training_page
from .frames import (
    FrameStrip,
    animated_svg,
    backward_frames,
    flipbook_html,
    frames_strip,
    save_frames,
)
from .layout import count_paths
from .options import DrawOptions
from .style import OP_SYMBOLS, fmt_count, fmt_number, grad_color, grad_penwidth, grad_strength

__all__ = [
    "draw_dot", "DrawOptions", "check_rules", "draw_rule_check", "draw_anomaly", "first_non_finite",
    "BadRule", "count_paths", "save", "GraphPicture", "DotNotFound", "INSTALL_HINT",
    "backward_frames", "save_frames", "frames_strip", "FrameStrip",
    "show_backward", "stepper", "inspect", "training_page",
    "animated_svg", "flipbook_html", "fallback_bundle",
    "OP_SYMBOLS", "fmt_number", "fmt_count", "grad_color", "grad_penwidth", "grad_strength",
]
