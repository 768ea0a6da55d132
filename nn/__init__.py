"""dagrad's neural-net library: modules, initialisers, losses, optimisers, data and ``fit``.

PyTorch names wherever PyTorch has one::

    import nn
    X, y = nn.data.make_moons(100, noise=0.1, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)               # micrograd's demo network
    opt = nn.optim.SGD(model.parameters(), lr=1.0)
    history = nn.fit(model, X, nn.data.to_pm1(y), loss="hinge", optimizer=opt, l2=1e-4)

``python -m nn`` trains that network and writes pictures (see ``nn.__main__``).
"""

from . import data, diagnostics, init, losses, optim
from .layers import (
    MLP,
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
from .module import Module, StateDictError, functional_call
from .train import History, accuracy, evaluate, fit, predict

__all__ = [
    "Module", "StateDictError", "functional_call",
    "Neuron", "Layer", "Linear", "MLP", "Sequential", "Dropout", "BatchNorm", "BatchNorm1d",
    "LayerNorm", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity",
    "fit", "History", "predict", "evaluate", "accuracy",
    "data", "diagnostics", "init", "losses", "optim",
]
