"""The ``Value`` node: a scalar, its gradient, and the op and operands that made it.

Every operation on Values builds a new node of the computation DAG. What an op computes and
what its local derivatives are is looked up in the table in ``ops.py``; this module only
wires Python's operators and methods to that table.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

from .mode import RUNNING, STATE, AnomalyError
from .ops import OPS, Op
from .roles import Role

Number = int | float


class DomainError(ArithmeticError, ValueError):
    """An op, or its derivative, was evaluated where it is undefined or not a finite float.

    dagrad's policy: where Python's ``math`` would raise (log or sqrt of a negative, division
    by zero, exp overflow, a negative base to a fractional power), dagrad raises this error
    naming the op, its operands and its domain. IEEE infinities and NaNs that plain float
    arithmetic makes silently (1e200 * 1e200) flow on; ``detect_anomaly()`` stops at them.
    """


def _describe(x) -> str:
    if x.__class__ is Value:
        return f"{x.label!r} = {x.data!r}" if x.label else f"Value {x.data!r}"
    return repr(x)


def domain_error(op: Op, operands: Sequence, cause: Exception, when: str = "") -> DomainError:
    """A ``DomainError`` that names the op, its operands and what the op needs."""
    args = ", ".join(_describe(x) for x in operands)
    if isinstance(cause, OverflowError):
        return DomainError(
            f"{when}{op.name}({args}) overflows: the result is larger than the largest float "
            "(about 1.8e308). Scale the operands down, or use a stable form (logsumexp, "
            "softplus) instead."
        )
    needs = f" {op.name} needs {op.domain}." if op.domain else ""
    return DomainError(
        f"{when}{op.name}({args}) is undefined or not a finite float ({cause}).{needs} "
        "Check where that operand comes from; detect_anomaly() names the line that made "
        "each node."
    )


def _constant(x) -> float:
    """A Python number as a float constant kept inside the node; TypeError for anything else."""
    if x.__class__ is float:
        return x
    if isinstance(x, numbers.Real):  # int, bool, numpy floats, Fraction …
        return float(x)
    raise TypeError(
        f"expected a Value or a real number, got {type(x).__name__} {x!r:.60}; "
        "convert it first, e.g. float(x), or make one Value per element of a list"
    )


# --- op bindings: the table entries Python's operators and Value's methods apply -------------
_ADD, _SUB, _MUL, _DIV = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"]
_NEG, _ABS, _POW, _RPOW, _POWV = OPS["neg"], OPS["abs"], OPS["pow"], OPS["rpow"], OPS["powv"]

# Ops that are Value methods taking no argument besides self (x.exp(), x.tanh() …), in the
# order the class body below binds them (each with ``_unary``).
UNARY: list[str] = []


def _unary(name: str):
    """The method ``Value.<name>()``: the table's op ``name`` applied to self, documented by
    the table entry's math. A new op needs no method: ``OPS[name](x)`` applies it."""
    op = OPS[name]

    def method(self) -> Value:
        return _apply(op, (self,))

    method.__name__, method.__qualname__, method.__doc__ = name, f"Value.{name}", op.doc
    UNARY.append(name)
    return method


class Value:
    """A scalar node of the computation graph.

    ``data`` and ``grad`` are plain floats; ``label`` names the node in pictures and error
    messages. ``grad`` holds ∂(root)/∂(this node) after ``root.backward()``: leaves (nodes
    made by the user) accumulate it across backward calls until zeroed, as in PyTorch; inner
    nodes show the gradient of the latest backward through them.
    """

    # _operands: the operands in order (Values, or float constants kept inside the node);
    # _rule: the table entry that made the node (None for a leaf). micrograd's names
    # (_prev, _op, _backward) are views below, for code written against micrograd.
    # __weakref__ (8 bytes) lets detect_anomaly() remember where a node was made without
    # keeping it alive. _label is read and checked through ``label``; _role (an
    # ``autograd.roles.Role``, structure told by nn) is never set while building a node, so
    # building costs the same: ``role`` reads an unset slot as None.
    __slots__ = ("data", "grad", "_operands", "_rule", "_label", "_role", "__weakref__")

    def __init__(self, data: Number, label: str = "") -> None:
        if data.__class__ is not float:
            if isinstance(data, Value):
                raise TypeError(
                    "Value() takes a real number, got a Value; use x.detach() for a new leaf "
                    "with the same data"
                )
            try:
                data = _constant(data)
            except TypeError:
                raise TypeError(
                    f"Value() takes a real number (int or float), got {type(data).__name__} "
                    f"{data!r:.60}; convert it first, e.g. Value(float(s)), or make one Value "
                    "per element of a list"
                ) from None
        self.data = data
        self.grad = 0.0
        self._operands = ()
        self._rule = None
        self.label = label
        if RUNNING and STATE.made:  # made inside a transformation's f: a constant there
            STATE.made[-1].add(id(self))

    # --- names: display text and structure, kept apart -------------------------------------
    @property
    def label(self) -> str:
        """The node's name in pictures and error messages: display text only (renaming a
        node changes no structure; that is ``role``)."""
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        if text.__class__ is not str and not isinstance(text, str):
            raise TypeError(
                f"a Value's label must be a str, got {type(text).__name__} {text!r:.60}; "
                "write it as text, e.g. v.label = str(5) or v.label = f\"x{i}\""
            )
        self._label = text

    @property
    def role(self) -> Role | None:
        """What this node is in a model's structure (``autograd.roles.Role``: unit, layer,
        z/out/w/b), set by the code that built it (``nn``); None for any other node."""
        return getattr(self, "_role", None)

    @role.setter
    def role(self, role: Role | None) -> None:
        if role is None:
            if hasattr(self, "_role"):
                del self._role
            return
        if not isinstance(role, Role):
            raise TypeError(f"a Value's role must be an autograd.roles.Role or None, got "
                            f"{type(role).__name__}")
        self._role = role

    # --- graph structure ------------------------------------------------------------------
    @property
    def op(self) -> str:
        """Name of the op that made this node ('' for a leaf)."""
        return self._rule.name if self._rule is not None else ""

    @property
    def rule(self) -> Op | None:
        """The table entry (``Op``) that made this node, None for a leaf: its forward rule and
        partials, for tools that check or replay a node (user-defined Ops included)."""
        return self._rule

    @property
    def operands(self) -> tuple:
        """The op's operands in order: Values, and float constants kept inside this node."""
        return self._operands

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Value operands in order (a Value used twice appears twice)."""
        return tuple(p for p in self._operands if p.__class__ is not float)

    def is_leaf(self) -> bool:
        return not self._operands

    # --- micrograd's names, so code written for micrograd's Value runs unchanged -----------
    @property
    def _prev(self) -> set[Value]:
        """micrograd's ``_prev``: the set of Value operands (constants are not nodes)."""
        return {p for p in self._operands if p.__class__ is not float}

    @property
    def _op(self) -> str:
        """micrograd's ``_op``: the op's name as a string ('' for a leaf)."""
        return self.op

    def _backward(self) -> None:
        """micrograd's ``_backward``: one chain-rule step, operandᵢ.grad += grad × ∂self/∂operandᵢ.

        Called on every node in reverse topological order after setting the root's grad to 1
        (the lecture's hand-written backward), it gives exactly ``backward()``'s gradients.
        """
        from .sweep import shares

        for p, _d, share in shares(self, self.grad):
            p.grad += share

    # --- arithmetic: each operator is one entry of the table ------------------------------
    def __add__(self, other): return _binary(_ADD, self, other)
    def __radd__(self, other): return _binary(_ADD, other, self)
    def __sub__(self, other): return _binary(_SUB, self, other)
    def __rsub__(self, other): return _binary(_SUB, other, self)
    def __mul__(self, other): return _binary(_MUL, self, other)
    def __rmul__(self, other): return _binary(_MUL, other, self)
    def __truediv__(self, other): return _binary(_DIV, self, other)
    def __rtruediv__(self, other): return _binary(_DIV, other, self)
    def __neg__(self): return _apply(_NEG, (self,))
    def __pos__(self): return self
    def __abs__(self): return _apply(_ABS, (self,))

    def __pow__(self, other):
        return _binary(_POWV if other.__class__ is Value else _POW, self, other)

    def __rpow__(self, other):
        return _binary(_RPOW, other, self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope·x;  derivative 1 or slope."""
        return _binary(OPS["leaky_relu"], self, slope)

    # Unary ops, one table entry each, bound here; their docstrings are the table's math.
    exp = _unary("exp")
    log = _unary("log")
    sqrt = _unary("sqrt")
    tanh = _unary("tanh")
    sigmoid = _unary("sigmoid")
    relu = _unary("relu")
    sin = _unary("sin")
    cos = _unary("cos")
    softplus = _unary("softplus")
    abs = _unary("abs")

    # --- comparisons read data only (they are not differentiable) -------------------------
    def __lt__(self, other): return self.data < _data(other)
    def __le__(self, other): return self.data <= _data(other)
    def __gt__(self, other): return self.data > _data(other)
    def __ge__(self, other): return self.data >= _data(other)
    __hash__ = object.__hash__  # identity: a Value is a node, usable as a dict key

    # --- conversion -----------------------------------------------------------------------
    def __float__(self) -> float:
        return self.data

    def __format__(self, spec: str) -> str:
        """``f"{v:.3f}"`` formats the data (a transformation may return a Value where a
        float was expected); ``f"{v}"`` is the repr."""
        return format(self.data, spec) if spec else str(self)

    def item(self) -> float:
        """The data as a Python float (PyTorch's ``tensor.item()``)."""
        return self.data

    def detach(self) -> Value:
        """A new leaf with the same data, label and role, cut from this graph."""
        leaf = Value(self.data, self.label)
        leaf.role = self.role
        return leaf

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"

    # --- differentiation ------------------------------------------------------------------
    def backward(
        self, gradient: Number = 1.0, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        """Fill ``.grad`` of every node this one depends on with ∂self/∂node (× ``gradient``).

        One reverse sweep in topological order. ``retain_graph`` is accepted for PyTorch
        compatibility: dagrad never frees the graph, so backward can always run again.
        With ``create_graph=True`` the gradients are Values with graphs of their own, for
        higher derivatives (see ``autograd.sweep.backward``).
        """
        from .sweep import backward

        backward(self, gradient, create_graph=create_graph)


def _data(x) -> float:
    return x.data if x.__class__ is Value else _constant(x)


# The data slot under a second name, for the engine's own hot paths below: they read operands'
# numbers as ``x._number``, the same slot at the same speed as ``x.data``. ``recording()``
# (compiled/guards.py) replaces ``Value.data`` while tracing, to see where user code reads a
# number; under this name the engine's reads (up to one per operand of every node built) stay
# plain slot reads, never recorded and never slowed.
Value._number = Value.__dict__["data"]


_new = object.__new__
_FLOAT = frozenset([float])


def _result(data: float, operands: tuple, op: Op) -> Value:
    """The node holding an op's result; a plain leaf under no_grad."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node._label = ""
    # One thread-local read per node when recording without anomaly detection. Measured
    # worth: building a 2e5-node chain takes 1.17-1.23× as long reading grad_enabled and
    # anomaly separately (medians of 15, same process).
    if STATE.plain:
        node._operands = operands
        node._rule = op
        return node
    if STATE.grad_enabled:
        node._operands = operands
        node._rule = op
    else:
        node._operands = ()
        node._rule = None
        if STATE.made:  # a leaf made under no_grad inside a transformation's f
            STATE.made[-1].add(id(node))
    if STATE.anomaly is not None:
        _check_forward(node, op, operands)
    return node


def _check_forward(node: Value, op: Op, operands: tuple) -> None:
    STATE.anomaly.remember(node)
    if math.isfinite(node.data):
        return
    bad = [x for x in operands if not math.isfinite(_data(x))]
    what = (
        f"received the non-finite operand {_describe(bad[0])}" if bad else "produced it"
    )
    raise AnomalyError(
        f"{op.name} gave {node.data} and {what}; operands: "
        f"{', '.join(_describe(x) for x in operands)}; {STATE.anomaly.where(node)}"
    )


def _operand(op: Op, x) -> float:
    try:
        return _constant(x)
    except TypeError as e:
        raise TypeError(f"{op.name}: {e}") from None


def _binary(op: Op, a, b):
    """a op b, where one of a, b is a Value and the other a Value or a number."""
    if a.__class__ is Value:
        av = a._number
    elif a.__class__ is float:
        av = a
    else:
        a = av = _operand(op, a)
    if b.__class__ is Value:
        bv = b._number
    elif b.__class__ is float:
        bv = b
    else:
        b = bv = _operand(op, b)
    try:
        data = op.forward(av, bv)
    except (ArithmeticError, ValueError) as e:
        raise domain_error(op, (a, b), e) from None
    if data.__class__ is not float:  # a NumPy scalar put in a leaf's .data: not passed on
        data = float(data)
    return _result(data, (a, b), op)


def _apply(op: Op, operands: Iterable) -> Value:
    """The general path: any number of operands (unary and n-ary ops)."""
    operands = tuple(operands)
    args = [x._number if x.__class__ is Value else x for x in operands]
    if not _FLOAT.issuperset(map(type, args)):  # a loop in C: is every operand float or Value?
        operands = tuple([x if x.__class__ is Value else _operand(op, x) for x in operands])
        args = [x._number if x.__class__ is Value else x for x in operands]
    for i in op.constants:
        if operands[i].__class__ is Value:
            raise TypeError(f"{op.name}: operand {i} must be a number, not a Value")
    try:
        data = float(op.forward(*args))
    except (ArithmeticError, ValueError) as e:
        raise domain_error(op, operands, e) from None
    return _result(data, operands, op)


# --- n-ary helpers: one node for a whole sum, dot product or log-sum-exp ----------------------
def _sequence(name: str, what: str, values) -> Sequence:
    if values.__class__ is list or values.__class__ is tuple:  # the usual case, checked fast
        return values
    if isinstance(values, (str, bytes, Value)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} takes a list of Values and numbers ({what}), got {type(values).__name__} "
            f"{values!r:.60}"
        )
    return tuple(values)


def sum(values: Iterable) -> Value:  # noqa: A001 - torch.sum's name, on purpose
    """Σᵢ xᵢ as one node (Python's builtin sum would build a chain of n additions)."""
    return _apply(OPS["sum"], _sequence("autograd.sum", "the terms", values))


def dot(weights: Sequence, inputs: Sequence, bias=None) -> Value:
    """Σᵢ wᵢxᵢ (+ bias) as one node: a neuron's pre-activation in a single step.

    The bias, if given, is an extra weight on the constant input 1.0.
    """
    weights = _sequence("dot", "the weights", weights)
    inputs = _sequence("dot", "the inputs", inputs)
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot needs as many weights as inputs, got {len(weights)} and {len(inputs)}"
        )
    if bias is not None:
        return _apply(OPS["dot"], (*weights, bias, *inputs, 1.0))
    return _apply(OPS["dot"], (*weights, *inputs))


def logsumexp(values: Iterable) -> Value:
    """ln Σᵢ e^xᵢ as one node, computed stably (shifted by the maximum)."""
    values = _sequence("logsumexp", "the exponents", values)
    if not values:
        raise ValueError("logsumexp needs at least one value")
    return _apply(OPS["logsumexp"], values)
