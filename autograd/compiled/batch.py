"""A batch per node: the compiled code replayed on NumPy arrays, one element per example.

Every node holds an array of B values (one per example) where it depends on a batched
argument, and a plain float where it does not (a parameter, a constant): NumPy broadcasts the
two. The output's adjoint is seeded with 1/B for a mean (1 for a sum), so each example's
gradient comes out already weighted; a shared argument's gradient is then summed over the
batch, in one NumPy reduction for all of them. NumPy is imported here only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .function import ArgSpec, CompiledFunction

REDUCTIONS = ("mean", "sum", None)


def _numpy():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is in the 'compile' extra
        raise ImportError("the batched replay needs NumPy: pip install 'dagrad[compile]'") from None
    return np


def _prepare(np, arg, spec: ArgSpec):
    """(what the code takes for this argument, batch size or None when shared)."""
    try:
        arr = np.asarray(arg, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"argument {spec.describe()}, or a batch of them: could not read it as "
                         f"an array of numbers ({e})") from None
    if arr.shape == spec.shape:
        return (float(arr) if not spec.shape else arr.ravel().tolist()), None
    if arr.ndim == len(spec.shape) + 1 and arr.shape[1:] == spec.shape:
        b = arr.shape[0]
        if not spec.shape:
            return arr, b
        return list(np.ascontiguousarray(arr.reshape(b, -1).T)), b
    want = "×".join(map(str, spec.shape)) or "a number"
    raise ValueError(f"argument {spec.name}: expected shape {spec.shape} ({want}, shared by the "
                     f"batch) or (B, {', '.join(map(str, spec.shape))}) (one per example), got "
                     f"an array of shape {arr.shape}")


def _batch_size(specs, sizes: list) -> int:
    batched = {s.name: b for s, b in zip(specs, sizes) if b is not None}
    if not batched:
        raise ValueError("batch() needs at least one argument with a leading batch axis (one "
                         "row per example); with every argument shared, call the function itself")
    if len(set(batched.values())) > 1:
        lengths = ", ".join(f"{n} has {b}" for n, b in batched.items())
        raise ValueError(f"batched arguments have different numbers of examples ({lengths}); "
                         "every batched argument needs the same leading length")
    return next(iter(batched.values()))


def _grad(np, g, spec: ArgSpec, b: int, per_example: bool):
    rows = [g] if not spec.shape else g
    G = np.empty((len(rows), b))
    for i, r in enumerate(rows):
        G[i] = r  # a float (the same for every example) broadcasts along the batch
    if per_example:
        return G.T.reshape((b, *spec.shape))
    total = G.sum(axis=1)
    return float(total[0]) if not spec.shape else total.reshape(spec.shape)


def replay(fn: CompiledFunction, args: tuple, reduce: str | None):
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be 'mean', 'sum' or None, got {reduce!r}")
    np = _numpy()
    fn._check_count(args)
    prepared, sizes = zip(*[_prepare(np, a, s) for a, s in zip(args, fn.args)])
    b = _batch_size(fn.args, list(sizes))
    if fn.check:  # re-trace every example: slow, a debugging aid
        for i in range(b):
            fn._retrace(tuple(np.asarray(a, dtype=float)[i] if n is not None else a
                              for a, n in zip(args, sizes)))
    code, src, filename = fn._batched_fn()
    seed = 1.0 / b if reduce == "mean" else 1.0
    try:
        value, grads, aux = code(*prepared, seed=seed)
    except (ArithmeticError, ValueError) as e:
        raise fn._replay_error(e, src, filename) from None
    values = np.broadcast_to(value, (b,))
    if reduce is not None:
        total = float(values.sum())
        value = total / b if reduce == "mean" else total
    else:
        value = np.array(values)
    out = [_grad(np, g, fn.args[k], b, reduce is None or sizes[k] is not None)
           for g, k in zip(grads, fn._nums)]
    out = out[0] if isinstance(fn.argnums, int) else tuple(out)
    if fn._p.aux:
        return value, out, [np.array(np.broadcast_to(a, (b,))) for a in aux]
    return value, out
