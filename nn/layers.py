"""Layers: ``Neuron``, ``Layer`` (fully connected), ``MLP``, ``Sequential``, activations,
``Dropout``, ``BatchNorm`` and ``LayerNorm``.

One example is a list of numbers or Values; a batch is a list of examples. ``module(x)``
computes one example; ``module.forward_batch(X)`` a whole batch, which ``BatchNorm`` needs
in training mode (it normalises each unit over the batch). ``fit`` always uses
``forward_batch``. A layer with one output returns a ``Value``, otherwise a list (as in
micrograd); the next layer accepts either.

Activations (``nn.activations.ACTIVATIONS``: every fact of one in its entry) and weight
initialisers (``INITS``) are tables: adding one is one entry. ``Neuron``, ``Layer`` and ``MLP`` take
micrograd's arguments too (``nin``, ``nonlin=``), and without ``seed``/``rng`` draw their
weights from Python's global ``random`` in micrograd's order.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import autograd
from autograd import Value
from autograd.roles import Role, mark

from . import init as _init
from .activations import (  # noqa: F401 - the activation modules live on as nn.layers.*
    ACTIVATIONS,
    Activation,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Tanh,
    activation_entry,
)
from .module import Module


def _kaiming_bound(fan_in: int, gain: float) -> float:
    return math.sqrt(3.0) * (gain / math.sqrt(fan_in))


# Weight initialisers by name: ``init(w, fan_in, fan_out, gain, rng)`` fills the weights ``w``
# of one neuron (biases stay 0); ``gain`` is the neuron's activation gain. Adding one is one
# entry. micrograd: U(−1, 1), micrograd's own; normal: N(0, 1); Xavier/Glorot uses gain 1
# (as published and PyTorch's default), so it stays distinct from He on ReLU layers;
# Kaiming/He: σ = gain/√fan_in (√2 for ReLU).
INITS: dict[str, Callable[..., object]] = {
    "micrograd": lambda w, fi, fo, gain, rng: _init.uniform_(w, -1.0, 1.0, rng=rng),
    "zeros": lambda w, fi, fo, gain, rng: _init.zeros_(w),
    "normal": lambda w, fi, fo, gain, rng: _init.normal_(w, 0.0, 1.0, rng=rng),
    "xavier_uniform": lambda w, fi, fo, gain, rng: _init.xavier_uniform_(
        w, 1.0, fan_in=fi, fan_out=fo, rng=rng),
    "xavier_normal": lambda w, fi, fo, gain, rng: _init.xavier_normal_(
        w, 1.0, fan_in=fi, fan_out=fo, rng=rng),
    "kaiming_uniform": lambda w, fi, fo, gain, rng: _init.uniform_(
        w, -_kaiming_bound(fi, gain), _kaiming_bound(fi, gain), rng=rng),
    "kaiming_normal": lambda w, fi, fo, gain, rng: _init.normal_(
        w, 0.0, gain / math.sqrt(fi), rng=rng),
}


def _check_init(init) -> None:
    if not callable(init) and init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)} or a "
                         "callable init(w, fan_in=…, fan_out=…, rng=…)")


def _init_weights(w: list[Value], init: str | Callable, fan_in: int, fan_out: int,
                  gain: float, rng: random.Random) -> None:
    """Fill the weights ``w`` of one neuron by the scheme ``init``: a name from ``INITS``
    or a callable, called as ``init(w, fan_in=…, fan_out=…, rng=…)``."""
    if callable(init):
        init(w, fan_in=fan_in, fan_out=fan_out, rng=rng)
    else:
        INITS[init](w, fan_in, fan_out, gain, rng)


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive whole number, got {value!r}")
    return value


def _resolve_activation(activation: str | None, nonlin: bool | None) -> str:
    """micrograd's ``nonlin=True/False`` means relu/linear; dagrad's ``activation`` names one."""
    if nonlin is None:
        return "relu" if activation is None else activation
    if activation is not None:
        raise ValueError("give activation=… or micrograd's nonlin=…, not both")
    return "relu" if nonlin else "linear"


def _as_list(x) -> list:
    return [x] if isinstance(x, Value) else x


class Neuron(Module):
    """One unit: z = Σᵢ wᵢxᵢ + b (a single ``dot`` node), output u = g(z).

    ``activation``: a name from ``ACTIVATIONS``: relu (default, as micrograd's
    ``nonlin=True``; ``nonlin=False`` is linear), leaky_relu, tanh, sigmoid or linear. The
    nodes it makes are labelled ``<name>.z`` and ``<name>.out`` (no ``.out`` for a linear
    neuron); a standalone neuron is named ``neuron``. Default init: micrograd's, weights
    U(−1, 1) and bias 0, drawn from ``rng``, a new ``random.Random(seed)``, or (neither
    given) Python's global ``random``, so ``random.seed(n)`` makes it repeatable.
    """

    def __init__(self, nin: int, activation: str | None = None, *, nonlin: bool | None = None,
                 init: str | Callable = "micrograd", bias: bool = True,
                 negative_slope: float = 0.01, fan_out: int = 1, seed: int | None = None,
                 rng: random.Random | None = None, name: str = "neuron") -> None:
        self.nin = self.fan_in = _positive_int(nin, "nin (the number of inputs)")
        self.fan_out = fan_out
        self.activation = _resolve_activation(activation, nonlin)
        self.negative_slope = negative_slope
        entry = activation_entry(self.activation)
        self._act = entry.fn
        _check_init(init)
        self.w = [Value(0.0) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        _init_weights(self.w, init, nin, fan_out, entry.gain(negative_slope),
                      _init.make_rng(seed, rng))
        self.name = name
        self.assign_names()

    _place = (0, 0, "")  # (layer, unit, the layer's path): given by the Layer holding it

    def _set_name(self, name: str) -> None:
        self.name = name
        # Precomputed once: these strings label every node this neuron makes (display
        # text), and these roles say what each node is (structure, for the pictures).
        self._z_label = f"{name}.z" if name else "z"
        self._out_label = f"{name}.out" if name else "out"
        layer, unit, *parent = self._place  # a neuron pickled before parent existed has two
        parent = parent[0] if parent else ""
        self._z_role = Role("z", name, layer, unit, parent=parent)
        self._out_role = Role("out", name, layer, unit, parent=parent)
        for k, w in enumerate(self.w):
            w.role = Role("w", name, layer, unit, k, parent=parent)
        if self.b is not None:
            self.b.role = Role("b", name, layer, unit, parent=parent)

    # The activation function comes from the table; a pickle stores its name instead.
    def __getstate__(self) -> dict:
        state = dict(vars(self))
        del state["_act"]
        return state

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state)
        self._act = activation_entry(self.activation).fn

    def weights(self) -> list[Value]:
        return self.w

    def preactivation(self, x: Sequence) -> Value:
        """z = Σᵢ wᵢxᵢ + b as one node, labelled ``<name>.z``."""
        z = autograd.dot(self.w, x, self.b) if self.b is not None else autograd.dot(self.w, x)
        mark(z, self._z_label, self._z_role)
        return z

    def __call__(self, x: Sequence) -> Value:
        return self.forward_with_z(x)[1]

    def forward_with_z(self, x: Sequence) -> tuple[Value, Value]:
        """(pre-activation z, output u): for diagnostics."""
        z = self.preactivation(_as_list(x))
        if self._act is None:
            return z, z
        out = self._act(z, self.negative_slope)
        mark(out, self._out_label, self._out_role)
        return z, out

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """A fully connected layer of ``nout`` neurons, each seeing all ``nin`` inputs.

    Returns a list of ``nout`` Values, or a single Value when ``nout == 1``. A standalone
    layer is named ``layer`` (its neurons ``layer.neurons.0`` …); inside an MLP ``layers.i``.
    ``nonlin=`` (micrograd's) and the other keywords are passed on to each ``Neuron``.
    """

    def __init__(self, nin: int, nout: int, activation: str | None = None, *,
                 nonlin: bool | None = None, init: str | Callable = "micrograd",
                 bias: bool = True, negative_slope: float = 0.01, seed: int | None = None,
                 rng: random.Random | None = None, name: str = "layer") -> None:
        _positive_int(nin, "nin (the number of inputs)")
        _positive_int(nout, "nout (the number of neurons)")
        rng = _init.make_rng(seed, rng)
        self.nin = self.fan_in = nin
        self.nout = self.fan_out = nout
        self.activation = _resolve_activation(activation, nonlin)
        self.neurons = [
            Neuron(nin, self.activation, init=init, bias=bias, negative_slope=negative_slope,
                   fan_out=nout, rng=rng, name="")
            for _ in range(nout)
        ]
        self.name = name
        self.assign_names()

    _layer = 0  # its index in the Sequential holding it (see Sequential._set_name)

    def _set_name(self, name: str) -> None:
        # Names are given parent first, so each neuron learns its place before its name.
        self.name = name
        for j, n in enumerate(self.neurons):
            n._place = (self._layer, j, name)

    def weights(self) -> list[Value]:
        return [w for n in self.neurons for w in n.w]

    def __call__(self, x):
        x = _as_list(x)
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class Linear(Layer):
    """``Layer(nin, nout, activation="linear")``, PyTorch's name; init as ``Layer``."""

    def __init__(self, in_features: int, out_features: int, **kwargs) -> None:
        super().__init__(in_features, out_features, "linear", **kwargs)

    def __repr__(self) -> str:
        return f"Linear({self.nin}, {self.nout})"


class Sequential(Module):
    """Modules applied in turn; children named ``layers.0``, ``layers.1`` …

    ``forward_batch`` hands the whole batch from module to module, so it works with
    ``BatchNorm``; ``model(x)`` handles one example.
    """

    def __init__(self, *modules: Module, name: str = "") -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential's argument {i} is a {type(m).__name__}, not a Module: "
                    "wrap a function in a Module subclass with a __call__ (e.g. nn.Tanh())"
                )
        self.layers = list(modules)
        self.name = name
        self.assign_names()  # the modules given get their paths in this one

    def _set_name(self, name: str) -> None:
        self.name = name
        for i, m in enumerate(self.layers):  # a layer's index is its units' layer (Role)
            if isinstance(m, Layer):
                m._layer = i

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def forward_batch(self, X: list) -> list:
        for layer in self.layers:
            X = layer.forward_batch(X)
        return X

    def __repr__(self) -> str:
        return "Sequential(" + ", ".join(repr(m) for m in self.layers) + ")"


class MLP(Sequential):
    """A multilayer perceptron: ``MLP(2, [16, 16, 1])`` is micrograd's demo network.

    Hidden layers use ``activation`` (ReLU by default), the last layer
    ``output_activation`` (linear by default). f = f⁽ᴸ⁾ ∘ … ∘ f⁽¹⁾. Layers are ``layers.i``.
    """

    def __init__(self, nin: int, nouts: Sequence[int], activation: str | None = "relu", *,
                 output_activation: str = "linear", init: str | Callable = "micrograd",
                 bias: bool = True, negative_slope: float = 0.01, seed: int | None = None,
                 rng: random.Random | None = None, name: str = "") -> None:
        nouts = list(nouts)
        if not nouts:
            raise ValueError("MLP needs at least one layer size, e.g. MLP(2, [16, 16, 1])")
        _positive_int(nin, "MLP's nin (the number of inputs)")
        for i, n in enumerate(nouts):
            _positive_int(n, f"MLP's nouts[{i}] (the size of layer {i})")
        rng = _init.make_rng(seed, rng)
        sizes = [nin, *nouts]
        self.nin, self.nouts = nin, nouts
        self.activation, self.output_activation = activation, output_activation
        layers = [
            Layer(sizes[i], sizes[i + 1],
                  activation if i < len(nouts) - 1 else output_activation,
                  init=init, bias=bias, negative_slope=negative_slope, rng=rng,
                  name=f"{name}.layers.{i}" if name else f"layers.{i}")
            for i in range(len(nouts))
        ]
        super().__init__(*layers, name=name)

    def __repr__(self) -> str:
        extra = "" if self.output_activation == "linear" else \
            f", output_activation={self.output_activation!r}"
        return f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}{extra})"


# --- regularisation and normalisation ---------------------------------------------------------
class Dropout(Module):
    """Inverted dropout: in training each element is zeroed with probability ``p`` and the
    rest are scaled by 1/(1 − p), so the expected output equals the input; in eval mode
    it is the identity. The masks come from ``seed``/``rng`` (reproducible)."""

    def __init__(self, p: float = 0.5, *, seed: int | None = None,
                 rng: random.Random | None = None) -> None:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"dropout probability p must be in [0, 1], got {p}")
        self.p = p
        # No seed or rng: Python's global generator, looked up at each call (so a pickled
        # or copied model keeps following random.seed).
        self._rng = None if seed is None and rng is None else _init.make_rng(seed, rng)

    def __call__(self, x):
        if not self.training or self.p == 0.0:
            return x
        single = isinstance(x, Value)
        xs = [x] if single else x
        if self.p == 1.0:
            out = [v * 0.0 for v in xs]
        else:
            scale = 1.0 / (1.0 - self.p)
            r = (self._rng or random).random
            out = [v * (scale if r() >= self.p else 0.0) for v in xs]
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


def _check_width(x: list, n: int, who: str) -> None:
    if len(x) != n:
        raise ValueError(f"{who} expects {n} features per example, got {len(x)}")


class BatchNorm(Module):
    """Batch normalisation of ``num_features`` units over a batch (PyTorch's BatchNorm1d).

    Training (``forward_batch(X)``, X a list of examples): for each unit j, with μⱼ and σ²ⱼ
    the mean and biased variance of unit j over the batch,
    yᵢⱼ = γⱼ (xᵢⱼ − μⱼ)/√(σ²ⱼ + eps) + βⱼ, and the running averages move by ``momentum``:
    running ← (1 − momentum)·running + momentum·statistic (the variance unbiased, n/(n−1)).
    Eval: the running mean and variance replace the batch statistics, so single examples
    work (``model(x)``). In training mode a single example raises: call ``forward_batch``.
    """

    _buffers = ("running_mean", "running_var")

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True) -> None:
        self.num_features = _positive_int(num_features, "BatchNorm's num_features")
        self.eps, self.momentum = eps, momentum
        self.weight = [Value(1.0) for _ in range(num_features)] if affine else None
        self.bias = [Value(0.0) for _ in range(num_features)] if affine else None
        self.running_mean = [0.0] * num_features
        self.running_var = [1.0] * num_features
        self.assign_names()

    def forward_batch(self, X: list) -> list:
        if not self.training:
            return [self(x) for x in X]
        n = len(X)
        if n < 2:
            raise ValueError("BatchNorm in training mode needs a batch of at least 2 examples")
        rows = [_as_list(x) for x in X]
        for r in rows:
            _check_width(r, self.num_features, "BatchNorm")
        cols = []
        m = self.momentum
        for j in range(self.num_features):
            col = [r[j] for r in rows]
            mean = autograd.sum(col) / n
            d = [c - mean for c in col]
            var = autograd.dot(d, d) / n  # Σ dᵢ² as one node
            inv = (var + self.eps) ** -0.5
            if self.weight is not None:
                scale = inv * self.weight[j]
                y = [di * scale + self.bias[j] for di in d]
            else:
                y = [di * inv for di in d]
            cols.append(y)
            self.running_mean[j] = (1 - m) * self.running_mean[j] + m * mean.data
            self.running_var[j] = (1 - m) * self.running_var[j] + m * var.data * n / (n - 1)
        out = [list(r) for r in zip(*cols, strict=True)]
        return [o[0] for o in out] if self.num_features == 1 and isinstance(X[0], Value) else out

    def __call__(self, x):
        if self.training:
            raise ValueError(
                "BatchNorm in training mode normalises over a batch: call "
                "model.forward_batch(X) with a list of examples, or model.eval() first"
            )
        single = isinstance(x, Value)
        xs = _as_list(x)
        _check_width(xs, self.num_features, "BatchNorm")
        out = []
        for j, v in enumerate(xs):
            inv = (self.running_var[j] + self.eps) ** -0.5
            y = (v - self.running_mean[j]) * inv
            if self.weight is not None:
                y = y * self.weight[j] + self.bias[j]
            out.append(y)
        return out[0] if single else out

    def __repr__(self) -> str:
        return f"BatchNorm({self.num_features})"


BatchNorm1d = BatchNorm


class LayerNorm(Module):
    """Layer normalisation over the units of one example (the same in train and eval):
    yᵢ = γᵢ (xᵢ − μ)/√(σ² + eps) + βᵢ with μ, σ² the mean and biased variance of x."""

    def __init__(self, normalized_shape: int, eps: float = 1e-5,
                 elementwise_affine: bool = True) -> None:
        self.normalized_shape = _positive_int(normalized_shape, "LayerNorm's normalized_shape")
        self.eps = eps
        self.weight = [Value(1.0) for _ in range(normalized_shape)] if elementwise_affine \
            else None
        self.bias = [Value(0.0) for _ in range(normalized_shape)] if elementwise_affine \
            else None
        self.assign_names()

    def __call__(self, x):
        xs = _as_list(x)
        n = len(xs)
        _check_width(xs, self.normalized_shape, "LayerNorm")
        mean = autograd.sum(xs) / n
        d = [v - mean for v in xs]
        inv = (autograd.dot(d, d) / n + self.eps) ** -0.5
        if self.weight is None:
            return [di * inv for di in d]
        return [di * inv * g + b for di, g, b in zip(d, self.weight, self.bias, strict=True)]

    def __repr__(self) -> str:
        return f"LayerNorm({self.normalized_shape})"
