"""On to PyTorch: ``to_torch(model)`` and ``from_torch(module)``.

A scalar engine's users outgrow it by moving to tensors. ``to_torch`` turns a dagrad model
into an equivalent ``torch.nn.Sequential`` in float64 with the same weights: a ``Layer`` of
n neurons becomes ``torch.nn.Linear`` (row j of its weight matrix is neuron j's wᵢ, its
bias neuron j's b) followed by the layer's activation module; ``Sequential``/``MLP`` are
flattened; every activation module (``ReLU``, ``Tanh`` …: the ``torch`` name in its
``nn.activations.ACTIVATIONS`` entry), ``Dropout``, ``BatchNorm`` (with its running
averages) and ``LayerNorm`` map to their namesakes. A
module used twice (weight tying) maps to one torch module used twice. ``from_torch``
reads such a module back into a dagrad ``Sequential``. Outputs and parameter gradients
agree to rounding (the tests ask for 1e-12); a one-output layer gives a ``Value`` in
dagrad and a column of shape (N, 1) in torch.

torch is optional: ``pip install 'dagrad[torch]'``. Without it both functions raise an
ImportError saying so.
"""

from __future__ import annotations

from typing import Any

from . import losses as _losses
from .activations import ACTIVATIONS, ActivationModule, activation_entry
from .layers import BatchNorm, Dropout, Layer, LayerNorm, Linear, Neuron, Sequential
from .module import Module

__all__ = ["to_torch", "from_torch", "torch_loss"]


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError(
            "nn.to_torch / nn.from_torch need PyTorch, an optional extra: "
            "pip install 'dagrad[torch]' (or pip install torch)"
        ) from None
    return torch


def _tensor(torch, rows):
    return torch.tensor(rows, dtype=torch.float64)


# --- dagrad → torch ---------------------------------------------------------------------------
def _neurons_to_torch(torch, neurons: list[Neuron], activation: str) -> list:
    first = neurons[0]
    bias = first.b is not None
    lin = torch.nn.Linear(first.nin, len(neurons), bias=bias, dtype=torch.float64)
    with torch.no_grad():
        lin.weight.copy_(_tensor(torch, [[w.data for w in n.w] for n in neurons]))
        if bias:
            lin.bias.copy_(_tensor(torch, [n.b.data for n in neurons]))
    act = activation_entry(activation).torch_module(torch, first.negative_slope)
    return [lin] if act is None else [lin, act]


def _batchnorm_to_torch(torch, m: BatchNorm) -> list:
    affine = m.weight is not None
    bn = torch.nn.BatchNorm1d(m.num_features, eps=m.eps, momentum=m.momentum, affine=affine,
                              dtype=torch.float64)
    with torch.no_grad():
        if affine:
            bn.weight.copy_(_tensor(torch, [p.data for p in m.weight]))
            bn.bias.copy_(_tensor(torch, [p.data for p in m.bias]))
        bn.running_mean.copy_(_tensor(torch, m.running_mean))
        bn.running_var.copy_(_tensor(torch, m.running_var))
    return [bn]


def _layernorm_to_torch(torch, m: LayerNorm) -> list:
    affine = m.weight is not None
    ln = torch.nn.LayerNorm(m.normalized_shape, eps=m.eps, elementwise_affine=affine,
                            dtype=torch.float64)
    if affine:
        with torch.no_grad():
            ln.weight.copy_(_tensor(torch, [p.data for p in m.weight]))
            ln.bias.copy_(_tensor(torch, [p.data for p in m.bias]))
    return [ln]


def _sequential_to_torch(torch, m: Sequential, memo: dict) -> list:
    return [piece for layer in m.layers for piece in _pieces(torch, layer, memo)]


def _activation_to_torch(torch, m: ActivationModule):
    entry = m.entry
    if entry.fn is None:
        return torch.nn.Identity()
    return entry.torch_module(torch, m.negative_slope)


# dagrad class → converter(torch, module, memo) → list of torch modules (looked up along
# the class's MRO, so MLP uses Sequential's entry and Linear uses Layer's).
TO_TORCH: dict[type, Any] = {
    Sequential: _sequential_to_torch,
    Layer: lambda torch, m, memo: _neurons_to_torch(torch, m.neurons, m.activation),
    Neuron: lambda torch, m, memo: _neurons_to_torch(torch, [m], m.activation),
    # every activation module: its entry's torch module (Identity for linear)
    ActivationModule: lambda torch, m, memo: [_activation_to_torch(torch, m)],
    Dropout: lambda torch, m, memo: [torch.nn.Dropout(m.p)],
    BatchNorm: lambda torch, m, memo: _batchnorm_to_torch(torch, m),
    LayerNorm: lambda torch, m, memo: _layernorm_to_torch(torch, m),
}


def _pieces(torch, m: Module, memo: dict) -> list:
    if id(m) in memo:  # a shared module stays shared (weight tying)
        return memo[id(m)]
    convert = next((TO_TORCH[c] for c in type(m).__mro__ if c in TO_TORCH), None)
    if convert is None:
        raise TypeError(f"to_torch: no PyTorch counterpart for {type(m).__name__}; it "
                        f"converts {', '.join(c.__name__ for c in TO_TORCH)}")
    memo[id(m)] = pieces = convert(torch, m, memo)
    return pieces


def to_torch(model: Module):
    """An equivalent ``torch.nn.Sequential`` (float64) with a copy of ``model``'s weights,
    buffers and train/eval mode. Changing one afterwards does not change the other."""
    torch = _torch()
    if not isinstance(model, Module):
        raise TypeError(f"to_torch converts an nn.Module, got {type(model).__name__}")
    out = torch.nn.Sequential(*_pieces(torch, model, {}))
    return out.train(model.training)


# --- torch → dagrad ---------------------------------------------------------------------------
def _linear_from_torch(torch, m) -> Module:
    bias = m.bias is not None
    lin = Linear(m.in_features, m.out_features, bias=bias, init="zeros")
    w = m.weight.detach().tolist()
    b = m.bias.detach().tolist() if bias else None
    for j, neuron in enumerate(lin.neurons):
        for i, p in enumerate(neuron.w):
            p.data = float(w[j][i])
        if bias:
            neuron.b.data = float(b[j])
    return lin


def _affine_from_torch(m, ours) -> None:
    if ours.weight is not None:
        for p, v in zip(ours.weight, m.weight.detach().tolist(), strict=True):
            p.data = float(v)
        for p, v in zip(ours.bias, m.bias.detach().tolist(), strict=True):
            p.data = float(v)


def _batchnorm_from_torch(torch, m) -> Module:
    if m.momentum is None or not m.track_running_stats:
        raise ValueError("from_torch: BatchNorm1d needs a momentum and running statistics "
                         "(momentum=None and track_running_stats=False have no dagrad twin)")
    bn = BatchNorm(m.num_features, eps=m.eps, momentum=m.momentum, affine=m.affine)
    _affine_from_torch(m, bn)
    bn.running_mean = [float(v) for v in m.running_mean.tolist()]
    bn.running_var = [float(v) for v in m.running_var.tolist()]
    return bn


def _layernorm_from_torch(torch, m) -> Module:
    if len(m.normalized_shape) != 1 or (m.weight is not None and m.bias is None):
        raise ValueError("from_torch: only LayerNorm over one dimension, with both weight "
                         "and bias or neither, has a dagrad counterpart")
    ln = LayerNorm(m.normalized_shape[0], eps=m.eps,
                   elementwise_affine=m.weight is not None)
    _affine_from_torch(m, ln)
    return ln


def _activation_from_torch(entry):
    """torch's activation module → the module class made from the same entry."""
    if entry.slope:
        return lambda torch, m: entry.module_class(m.negative_slope)
    return lambda torch, m: entry.module_class()


def _from_torch_table(torch) -> dict:
    nn = torch.nn
    return {
        nn.Linear: _linear_from_torch,
        **{getattr(nn, e.torch): _activation_from_torch(e) for e in ACTIVATIONS.values()
           if e.torch is not None and e.module},
        nn.Dropout: lambda torch, m: Dropout(m.p),
        nn.BatchNorm1d: _batchnorm_from_torch,
        nn.LayerNorm: _layernorm_from_torch,
    }


def _modules_from_torch(torch, m, table: dict, memo: dict) -> list[Module]:
    if isinstance(m, torch.nn.Sequential):
        return [ours for child in m for ours in _modules_from_torch(torch, child, table, memo)]
    if id(m) in memo:
        return [memo[id(m)]]
    convert = table.get(type(m))
    if convert is None:
        raise TypeError(f"from_torch: no dagrad counterpart for {type(m).__name__}; it reads "
                        f"Sequential, {', '.join(c.__name__ for c in table)}")
    memo[id(m)] = ours = convert(torch, m)
    return [ours]


def from_torch(module) -> Sequential:
    """A dagrad ``Sequential`` equivalent to the torch ``module`` (a ``Sequential`` of, or
    one of: Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Identity, Dropout, BatchNorm1d,
    LayerNorm), with a copy of its weights, running statistics and train/eval mode."""
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch reads a torch.nn.Module, got {type(module).__name__}")
    model = Sequential(*_modules_from_torch(torch, module, _from_torch_table(torch), {}))
    return model.train(module.training)


def torch_loss(loss: str):
    """The ``torch.nn`` loss module computing the loss named ``loss`` with mean reduction,
    from its ``nn.losses.LOSSES`` entry (e.g. ``"mse"`` → ``torch.nn.MSELoss()``)."""
    torch = _torch()
    entry = _losses.LOSSES.get(loss) if isinstance(loss, str) else None
    if entry is None or entry.torch is None:
        known = ", ".join(n for n, e in _losses.LOSSES.items() if e.torch)
        raise ValueError(f"torch_loss: {loss!r} has no PyTorch counterpart (known: {known}); "
                         "give its LOSSES entry torch=<torch.nn loss class name>")
    return getattr(torch.nn, entry.torch)()


def __getattr__(name: str):
    """``TORCH_ACTIVATIONS``, deprecated: a view made from the ACTIVATIONS entries."""
    if name == "TORCH_ACTIVATIONS":
        import warnings

        warnings.warn("nn.torch_bridge.TORCH_ACTIVATIONS is deprecated: the torch module is "
                      "in each nn.activations.ACTIVATIONS entry, "
                      "ACTIVATIONS[name].torch_module(torch, negative_slope)",
                      DeprecationWarning, stacklevel=2)
        return {n: e.torch_module for n, e in ACTIVATIONS.items() if e.torch}
    raise AttributeError(f"module 'nn.torch_bridge' has no attribute {name!r}")
