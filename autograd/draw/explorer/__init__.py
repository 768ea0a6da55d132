"""Pages that run in any browser without a kernel: no CDN, no network, no server.

* ``stepper(root)`` (also ``show_backward``): the backward sweep step by step on a graph
  laid out once, with buttons, a slider and the keys → ← and space.
* ``inspect(picture_or_root)``: hover a box for its data and gradient, click it for its
  chain-rule sum and its paths to the root.
* ``training_page(record)``: a training run replayed (loss, accuracy, decision boundary,
  gradient norms, the graph of one data point), one slider for all; ``nn.record`` records.

Each returns an object that displays inline in Jupyter and has ``save(path)``.
"""

from .inspect import Inspector, inspect
from .stepper import Stepper, show_backward, stepper
from .training import TrainingPage, training_page

__all__ = ["stepper", "show_backward", "Stepper", "inspect", "Inspector",
           "training_page", "TrainingPage"]
