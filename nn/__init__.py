"""dagrad's neural-net library: modules, initialisers, losses, optimisers, data and ``fit``.

PyTorch names wherever PyTorch has one::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)  # micrograd's demo network (no seed: random.seed)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, X, nn.data.to_pm1(y), loss="hinge", optimizer=opt, l2=1e-4)

``python -m nn`` trains that network and writes pictures (see ``nn.__main__``).
"""

from . import activations, data, diagnostics, init, losses, optim
from .activations import ACTIVATIONS, Activation, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .layers import INITS, MLP, BatchNorm, Dropout, Layer, LayerNorm, Linear, Neuron, Sequential
from .losses import LOSSES, Loss
from .module import Module, StateDictError, eval_mode
from .torch_bridge import from_torch, to_torch
from .train import History, accuracy, evaluate, fit, predict, train_step

__all__ = [
    "Module", "StateDictError", "eval_mode",
    "ACTIVATIONS", "Activation", "INITS", "LOSSES", "Loss",
    "Neuron", "Layer", "Linear", "MLP", "Sequential", "Dropout", "BatchNorm",
    "LayerNorm", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity",
    "fit", "train_step", "History", "predict", "evaluate", "accuracy",
    "to_torch", "from_torch",
    "data", "diagnostics", "init", "losses", "optim", "activations",
]

# Names no longer at the top level (not taught by the README): they keep working, with a
# DeprecationWarning giving the spelling to use.
_MOVED = {"functional_call": ("nn.module", "functional_call"),
          "BatchNorm1d": ("nn", "BatchNorm")}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib
        import warnings

        where, new = _MOVED[name]
        warnings.warn(f"nn.{name} is deprecated: use {where}.{new}", DeprecationWarning,
                      stacklevel=2)
        return getattr(importlib.import_module(where), new)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")
