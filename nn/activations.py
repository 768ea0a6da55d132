"""Activations: one table entry per activation holds every fact about it.

An entry (``Activation``) says how a neuron's output u = g(z) is computed and what goes
with it; everything else reads the entry and nothing restates it:

* ``fn(z, negative_slope) -> Value``: u on Values (``None``: linear, u = z). For an
  activation that is an op of the table (``Activation.of_op``) it applies that op (its
  Value method where Value has one), so the op's forward rule and partials are its only
  math;
* ``float_fn(z, negative_slope) -> float``: u on plain floats, for the recorder's fast
  decision-boundary grid; derived from the op's ``forward`` (``None``: the grid goes
  through ``nn.predict``);
* ``gain(negative_slope)``: the factor He/Kaiming initialisation scales the weights' spread
  by (PyTorch's ``calculate_gain``);
* ``saturated(u)``: whether an output sits where the slope is (nearly) 0 (diagnostics);
* ``module``: the name of its module class (``ReLU``), made from the entry
  (``entry.module_class``), elementwise on a Value or a list;
* ``torch``: the name of its ``torch.nn`` module class for ``to_torch``/``from_torch``
  (``None``: no PyTorch counterpart);
* ``slope``: whether it takes ``negative_slope`` (leaky_relu): passed to the op as its
  second operand, to the module's constructor and to the torch module's.

Adding an activation is one entry in ``ACTIVATIONS``: ``Neuron``, ``Layer``, ``MLP``, the
initialisers, the diagnostics, ``python -m nn --activation``, the recorder, ``to_torch`` and
``from_torch`` all read it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from autograd import OPS, Value

from .module import Module

__all__ = ["Activation", "ACTIVATIONS", "activation_entry", "ActivationModule"]


def _never(u: float) -> bool:
    return False


@dataclass(frozen=True)
class Activation:
    """One entry of ``ACTIVATIONS`` (see the module docstring for each field)."""

    fn: Callable[[Value, float], Value] | None
    gain: Callable[[float], float]
    saturated: Callable[[float], bool] = field(default=_never)
    float_fn: Callable[[float, float], float] | None = None
    module: str = ""
    torch: str | None = None
    slope: bool = False

    @classmethod
    def of_op(cls, op: str, gain: Callable[[float], float],
              saturated: Callable[[float], bool] = _never, **facts) -> Activation:
        """The entry of an activation that is the table op ``op``: its Value and float
        functions both come from the op (u = op(z), or op(z, negative_slope) with
        ``slope=True``), so the op's entry stays the only place its math is written."""
        if op not in OPS:
            raise ValueError(f"Activation.of_op: {op!r} is not an op of autograd.OPS")
        rule = OPS[op]
        apply = getattr(Value, op, rule)  # the Value method if there is one: the fast path
        forward = rule.forward
        if facts.get("slope"):
            def fn(z, s): return apply(z, s)
            def float_fn(z, s): return forward(z, s)
        else:
            def fn(z, s): return apply(z)
            def float_fn(z, s): return forward(z)
        return cls(fn, gain, saturated, float_fn, **facts)

    @cached_property
    def module_class(self) -> type:
        """The module class made from this entry (``ReLU``, …): elementwise u = g(x)."""
        if not self.module:
            raise ValueError("this activation has no module name: give its entry module=…")
        base = _SlopedActivation if self.slope else ActivationModule
        doc = f"{self.module}: the activation elementwise on a Value or a list of Values."
        cls = type(self.module, (base,), {"entry": self, "__doc__": doc,
                                          "__module__": __name__})
        return cls

    def torch_module(self, torch, negative_slope: float = 0.01):
        """The ``torch.nn`` module computing this activation (None for linear)."""
        if self.fn is None:
            return None
        if self.torch is None:
            raise ValueError(f"to_torch: the activation {self.module or self.fn!r} has no "
                             "PyTorch counterpart: give its ACTIVATIONS entry torch=…")
        cls = getattr(torch.nn, self.torch)
        return cls(negative_slope) if self.slope else cls()


class ActivationModule(Module):
    """An activation as a module, elementwise; subclasses are made from a table entry."""

    entry: Activation
    negative_slope = 0.01

    def _f(self, v: Value) -> Value:
        fn = self.entry.fn
        return v if fn is None else fn(v, self.negative_slope)

    def __call__(self, x):
        if isinstance(x, Value):
            return self._f(x)
        return [self._f(v if isinstance(v, Value) else Value(v)) for v in x]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _SlopedActivation(ActivationModule):
    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = negative_slope


# fmt: off
# Adding an activation is one entry here.
ACTIVATIONS: dict[str, Activation] = {
    "relu": Activation.of_op("relu", lambda s: math.sqrt(2.0), lambda u: u == 0.0,
                             module="ReLU", torch="ReLU"),
    "leaky_relu": Activation.of_op("leaky_relu", lambda s: math.sqrt(2.0 / (1 + s**2)),
                                   module="LeakyReLU", torch="LeakyReLU", slope=True),
    "tanh": Activation.of_op("tanh", lambda s: 5.0 / 3, lambda u: abs(u) > 0.99,
                             module="Tanh", torch="Tanh"),
    "sigmoid": Activation.of_op("sigmoid", lambda s: 1.0, lambda u: u < 0.01 or u > 0.99,
                                module="Sigmoid", torch="Sigmoid"),
    "linear": Activation(None, lambda s: 1.0, float_fn=lambda z, s: z, module="Identity",
                         torch="Identity"),
}
# fmt: on
_ALIASES = {"identity": "linear", None: "linear"}


def activation_entry(activation: str | None) -> Activation:
    """The ``ACTIVATIONS`` entry for a name (``identity``/``None`` mean ``linear``)."""
    try:
        return ACTIVATIONS[_ALIASES.get(activation, activation)]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {activation!r}; choose one of "
                         f"{', '.join(ACTIVATIONS)} (or register one in nn.ACTIVATIONS)"
                         ) from None


def module_class(name: str) -> type:
    """The module class of an activation by its module name (``"ReLU"``), made from its
    entry; how pickle finds the class of a registered activation's module."""
    for entry in ACTIVATIONS.values():
        if entry.module == name:
            return entry.module_class
    raise AttributeError(f"module 'nn.activations' has no attribute {name!r} (no "
                         f"ACTIVATIONS entry has module={name!r})")


ReLU = module_class("ReLU")
LeakyReLU = module_class("LeakyReLU")
Tanh = module_class("Tanh")
Sigmoid = module_class("Sigmoid")
Identity = module_class("Identity")


def __getattr__(name: str) -> type:
    """``nn.activations.<Module>`` for an activation registered later (pickle looks here)."""
    return module_class(name)
