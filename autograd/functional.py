"""Function transformations, JAX/HIPS style: ``grad(f)(x)``, ``value_and_grad``, ``jvp``.

``f`` takes scalars and returns a scalar ``Value`` (or a number). Each transformation wraps
its arguments in fresh nodes of its own, runs ``f`` and differentiates the result.

Whether the result is recorded (a ``Value`` that an outer ``grad`` or ``backward`` can
differentiate again) follows from what the result depends on, not from the arguments'
types: it is recorded when ``f``'s graph reaches a ``Value`` from outside ``f``: an argument
passed as a Value, a Value captured by a closure (a model's weights, the variable of an
enclosing ``grad``). A Value made while ``f`` runs (``Value(3.0)``, a detached copy, a model
built inside ``f``) is a constant of ``f``, not from outside. Otherwise the transformation
returns plain floats. So ``grad(lambda a: a * a + Value(3.0))(2.0)`` is the float 4.0,
``grad(lambda y: grad(lambda x: x * y)(1.0))(3.0)`` is 1.0, as in JAX and torch.func, and a
gradient penalty ``grad(lambda x: (w * x).tanh())(0.5) ** 2`` reaches ``w``. A recorded
result is a ``Value``: ``float(r)``, ``r.item()`` and ``f"{r:.3f}"`` give its number
(``==`` on Values is identity, so compare ``float(r)``).

As torch.func's transforms do, a transformation ignores an enclosing ``no_grad()``: it turns
recording on for its own trace, so ``grad`` inside ``no_grad()`` is the true gradient, never
zeros. Its result is then not recorded (outside, nothing is being differentiated).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from .mode import RUNNING, STATE, enable_grad
from .ops import OPS, Op
from .sweep import forward_tangents, gradients, topological_order
from .value import Value

Argnums = int | Sequence[int]


def _check_f(name: str, f) -> None:
    if not callable(f):
        raise TypeError(
            f"{name}(f) needs a function of scalars returning a scalar, got "
            f"{type(f).__name__} {f!r:.60}"
        )


def _as_tuple(name: str, argnums: Argnums) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else argnums
    try:
        nums = tuple(nums)
    except TypeError:
        nums = (None,)
    if not nums or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums):
        raise TypeError(
            f"{name}: argnums must be an int or a non-empty tuple of ints (argument "
            f"positions), got {argnums!r:.60}"
        )
    if len(set(nums)) != len(nums):
        raise ValueError(f"{name}: argnums {argnums!r} names an argument twice")
    return nums


def _check_positions(name: str, nums: tuple[int, ...], args: tuple) -> None:
    for i in nums:
        if not -len(args) <= i < len(args):
            raise TypeError(
                f"{name}: argnums={i} asks for the derivative with respect to argument {i}, "
                f"but the function was called with {len(args)} argument(s); pass it "
                f"{max(i + 1, -i)} or more, or change argnums"
            )


def _input(name: str, x, where: str):
    """The transformation's own node for one argument: a ``variable`` node for a number, or a
    node that depends on a Value argument (so what the Value depends on stays reachable)."""
    if isinstance(x, Value):
        return x + 0.0
    if isinstance(x, numbers.Real):
        return _VARIABLE(float(x))
    raise TypeError(
        f"{name}: {where} must be a real number or a Value, got {type(x).__name__} {x!r:.60}"
    )


def _output(name: str, out) -> Value | float:
    """f's result: a Value, or a float for a constant (a function of nothing)."""
    if isinstance(out, Value):
        return out
    if isinstance(out, numbers.Real):
        return float(out)
    raise TypeError(
        f"{name}: the function must return a scalar Value or a number, got "
        f"{type(out).__name__} {out!r:.60}; reduce it to one number first (e.g. autograd.sum)"
    )


# A transformation's own input for a number argument: a node holding the number, so that an
# enclosing transformation can tell it from a leaf the user made, and from a constant.
_VARIABLE = Op(
    "variable", lambda c: c, lambda c, out: (0.0,),
    doc="the input variable of grad/jvp/hessian: the number c, differentiated with respect to",
)


def _depends_on_outside(out: Value | float) -> bool:
    """Whether ``out``'s graph reaches a Value from outside: a leaf made before this
    transformation started (not one made while f ran: a constant of f), or the input
    variable of an enclosing transformation that is still running (not this one's, nor
    those of finished inner ones, which are constants now)."""
    if not isinstance(out, Value):
        return False
    enclosing = set().union(*STATE.transforms[:-1])
    made = STATE.made[-1]
    return any(
        (n.is_leaf() and id(n) not in made) or (n._rule is _VARIABLE and id(n) in enclosing)
        for n in topological_order(out)
    )


def _constant_node(r: float) -> Value:
    """A recorded constant: a node of no Value (Σ of the one constant r), not a leaf, so an
    enclosing transformation does not mistake it for a Value captured from outside."""
    return OPS["sum"](r)


def _finish(results: list, recorded: bool, as_values: bool) -> list:
    """Derivatives as returned: recorded ones stay Values; otherwise plain floats (Value
    leaves if asked). Not for f's own value, which may be a leaf of the user's."""
    if recorded:  # a leaf here is a constant gradients() wrapped (a derivative of 0, or 1)
        return [
            r if isinstance(r, Value) and not r.is_leaf() else _constant_node(float(r))
            for r in results
        ]
    plain = [float(r.data) if isinstance(r, Value) else float(r) for r in results]
    return [Value(r) for r in plain] if as_values else plain


def _trace(name: str, f: Callable, args: tuple, nums: Sequence[int]):
    """Run f on the transformation's own inputs with recording on; returns
    (inputs, output (a Value, or a float for a constant), recorded, as_values)."""
    outer = STATE.grad_enabled
    given_values = any(isinstance(a, Value) for a in args)
    with enable_grad():
        args = list(args)
        for i in nums:
            args[i] = _input(name, args[i], f"argument {i}")
        own = [args[i] for i in nums]
        STATE.transforms.append({id(x) for x in own})
        STATE.made.append(set())
        RUNNING.append(1)
        try:
            out = _output(name, f(*args))
            outside = _depends_on_outside(out)
        finally:
            RUNNING.pop()
            STATE.transforms.pop()
            made = STATE.made.pop()
            if STATE.made:  # made inside an enclosing f as well
                STATE.made[-1] |= made
    as_values = outside or given_values
    return own, out, outer and outside, as_values


def value_and_grad(f: Callable, argnums: Argnums = 0, _name: str = "value_and_grad") -> Callable:
    """``(f(*args), ∂f/∂args[argnums])``: one forward pass and one reverse sweep."""
    _check_f(_name, f)
    nums = _as_tuple(_name, argnums)

    def wrapped(*args):
        _check_positions(_name, nums, args)
        nums_ = [i % len(args) for i in nums]
        xs, out, recorded, as_values = _trace(_name, f, args, nums_)
        with enable_grad():
            grads = gradients(out, xs, create_graph=recorded) if isinstance(out, Value) else (
                [0.0] * len(xs)
            )
            grads = _finish(grads, recorded, as_values)
        value = out if recorded else _finish([out], False, as_values)[0]
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return wrapped


def grad(f: Callable, argnums: Argnums = 0) -> Callable:
    """The gradient of ``f`` w.r.t. argument ``argnums`` (a tuple of them for several).

    ``grad(lambda a: a.sin() * a)(0.5)`` is sin 0.5 + 0.5 cos 0.5;
    ``grad(grad(lambda a: a**3))(2.0)`` is 12.0.
    """
    vg = value_and_grad(f, argnums, _name="grad")

    def wrapped(*args):
        return vg(*args)[1]

    return wrapped


def jvp(f: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """Forward mode: ``(f(primals), Σᵢ ∂f/∂xᵢ · tangentsᵢ)`` in one forward tangent pass."""
    _check_f("jvp", f)
    for what, seq in (("primals", primals), ("tangents", tangents)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise TypeError(f"jvp: {what} must be a list of numbers, got {type(seq).__name__}")
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp needs one tangent per primal, got {len(primals)} primals and "
            f"{len(tangents)} tangents"
        )
    seeds = [_tangent(t, i) for i, t in enumerate(tangents)]
    xs, out, recorded, as_values = _trace("jvp", f, tuple(primals), range(len(primals)))
    if not isinstance(out, Value):
        return tuple(_finish([out, 0.0], False, as_values))
    with enable_grad():
        tangent = forward_tangents(out, dict(zip(xs, seeds)), create_graph=recorded).get(out, 0.0)
        (tangent,) = _finish([tangent], recorded, as_values)
    return (out if recorded else _finish([out], False, as_values)[0]), tangent


def _tangent(t, i: int):
    if isinstance(t, Value) or (isinstance(t, numbers.Real)):
        return t if isinstance(t, Value) else float(t)
    raise TypeError(f"jvp: tangents[{i}] must be a number, got {type(t).__name__} {t!r:.60}")


def hessian(f: Callable) -> Callable:
    """The matrix ∂²f/∂xᵢ∂xⱼ of f at its arguments, as a list of rows of floats
    (of Values when the result is recorded, as for ``grad``)."""
    _check_f("hessian", f)

    def wrapped(*args):
        if not args:
            raise TypeError("hessian(f) was called with no arguments; pass the point x₁, x₂, …")
        xs, out, recorded, as_values = _trace("hessian", f, args, range(len(args)))
        n = len(xs)
        if not isinstance(out, Value):  # a constant: every second derivative is 0
            return [_finish([0.0] * n, False, as_values) for _ in range(n)]
        with enable_grad():
            first = gradients(out, xs, create_graph=True)
            rows = []
            for g in first:
                if isinstance(g, Value):
                    rows.append(gradients(g, xs, create_graph=recorded))
                else:
                    rows.append([0.0] * n)
        return [_finish(row, recorded, as_values) for row in rows]

    return wrapped
