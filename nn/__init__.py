"""dagrad's neural-net library: modules, initialisers, losses, optimisers, data and ``fit``.

PyTorch names wherever PyTorch has one::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)  # micrograd's demo network (no seed: random.seed)
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, X, nn.data.to_pm1(y), loss="hinge", optimizer=opt, l2=1e-4)

``python -m nn`` trains that network and writes pictures (see ``nn.__main__``).
"""

from . import data, diagnostics, init, losses, optim
from .layers import (
    ACTIVATIONS,
    INITS,
    MLP,
    Activation,
    BatchNorm,
    BatchNorm1d,
    Dropout,
    Identity,
    Layer,
    LayerNorm,
    LeakyReLU,
    Linear,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from .losses import LOSSES, Loss
from .module import Module, StateDictError, eval_mode, functional_call
from .torch_bridge import from_torch, to_torch
from .train import History, accuracy, evaluate, fit, predict, train_step

__all__ = [
    "Module", "StateDictError", "functional_call", "eval_mode",
    "ACTIVATIONS", "Activation", "INITS", "LOSSES", "Loss",
    "Neuron", "Layer", "Linear", "MLP", "Sequential", "Dropout", "BatchNorm", "BatchNorm1d",
    "LayerNorm", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity",
    "fit", "train_step", "History", "predict", "evaluate", "accuracy",
    "to_torch", "from_torch",
    "data", "diagnostics", "init", "losses", "optim",
]
