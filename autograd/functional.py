"""Function transformations, JAX/HIPS style: ``grad(f)(x)``, ``value_and_grad``, ``jvp``.

``f`` takes scalars and returns a scalar ``Value`` (or a number). Called with plain numbers,
the transformed function returns plain floats. Called with Values, as happens when
transformations are nested (``grad(grad(f))``), it returns Values recorded in the graph,
so the outer transformation can differentiate them again, to any order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .sweep import forward_tangents, gradients
from .value import Value

Argnums = int | Sequence[int]


def _as_tuple(argnums: Argnums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _plain(x):
    return x.data if isinstance(x, Value) else float(x)


def value_and_grad(f: Callable, argnums: Argnums = 0) -> Callable:
    """``(f(*args), ∂f/∂args[argnums])``: one forward pass and one reverse sweep."""
    nums = _as_tuple(argnums)

    def wrapped(*args):
        nested = any(isinstance(args[i], Value) for i in nums)
        args = list(args)
        for i in nums:
            if not isinstance(args[i], Value):
                args[i] = Value(args[i])
        out = f(*args)
        if not isinstance(out, Value):
            out = Value(out)  # a constant: its derivative is zero
        grads = gradients(out, [args[i] for i in nums], create_graph=nested)
        if not nested:
            out = out.data
        return out, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return wrapped


def grad(f: Callable, argnums: Argnums = 0) -> Callable:
    """The gradient of ``f`` w.r.t. argument ``argnums`` (a tuple of them for several).

    ``grad(lambda a: a.sin() * a)(0.5)`` is sin 0.5 + 0.5 cos 0.5;
    ``grad(grad(lambda a: a**3))(2.0)`` is 12.0.
    """
    vg = value_and_grad(f, argnums)

    def wrapped(*args):
        return vg(*args)[1]

    return wrapped


def jvp(f: Callable, primals: Sequence[float], tangents: Sequence[float]) -> tuple[float, float]:
    """Forward mode: ``(f(primals), Σᵢ ∂f/∂xᵢ · tangentsᵢ)`` in one forward tangent pass."""
    xs = [Value(_plain(x)) for x in primals]
    out = f(*xs)
    if not isinstance(out, Value):
        return float(out), 0.0
    seeds = {x: float(t) for x, t in zip(xs, tangents, strict=True)}
    return out.data, forward_tangents(out, seeds).get(out, 0.0)


def hessian(f: Callable) -> Callable:
    """The matrix ∂²f/∂xᵢ∂xⱼ of f at its arguments, as a list of rows of floats."""

    def wrapped(*args):
        xs = [Value(_plain(x)) for x in args]
        first = gradients(f(*xs), xs, create_graph=True)
        return [gradients(g, xs) for g in first]

    return wrapped
