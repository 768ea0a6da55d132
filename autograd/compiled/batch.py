"""A batch per node: the compiled code replayed on NumPy arrays, one element per example.

Every node holds an array of B values (one per example) where it depends on a batched
argument, and a plain float where it does not (a parameter, a constant): NumPy broadcasts the
two. The output's adjoint is seeded with 1/B for a mean (1 for a sum), so each example's
gradient comes out already weighted; a shared argument's gradient is then summed over the
batch, in one NumPy reduction for all of them. NumPy is imported here only.

NumPy returns inf or NaN where Python's floats raise; the code checks, after each line that
can, the examples where the engine would have raised (``symbolic.raises``) and reports them
to a ``Domain``: it raises the engine's ``DomainError`` naming those examples and the op, or,
with ``errors="nan"``, makes exactly those examples NaN. A failed guard raises ``GuardError``
naming the examples. This module sees a compiled function only through its ``BatchPlan``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..value import DomainError
from .guards import GuardError

if TYPE_CHECKING:
    from .function import ArgSpec, BatchPlan

REDUCTIONS = ("mean", "sum", None)
ERRORS = ("raise", "nan")


def _numpy():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is in the 'compile' extra
        raise ImportError("the batched replay needs NumPy: pip install 'dagrad[compile]'") from None
    return np


def _prepare(np, arg, spec: ArgSpec):
    """(what the code takes for this argument, batch size or None when shared)."""
    from .function import _flatten

    kind = getattr(getattr(arg, "dtype", None), "kind", None)
    if kind is not None and kind not in "biuf":
        raise TypeError(f"argument {spec.describe()}, or a batch of them: got an array of "
                        f"{arg.dtype}, not real numbers (take .real explicitly if that is meant)")
    if kind is None:  # lists: every number checked as the float replay checks it
        arr = np.asarray(arg, dtype=object)
        rows = arr.reshape(-1).tolist() if arr.ndim else [arg]
        if any(not isinstance(x, (list, tuple)) for x in rows):
            from .function import ArgSpec as Spec
            _flatten(rows, Spec(spec.name, (len(rows),)))
    try:
        arr = np.asarray(arg, dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"argument {spec.describe()}, or a batch of them: could not read it as "
                         f"an array of numbers ({e})") from None
    if arr.shape == spec.shape:
        return (float(arr) if not spec.shape else arr.ravel().tolist()), None
    if arr.ndim == len(spec.shape) + 1 and arr.shape[1:] == spec.shape:
        b = arr.shape[0]
        if b == 0:
            raise ValueError(f"argument {spec.name}: an empty batch (0 examples); give at least "
                             "one row")
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


def _examples(np, mask) -> str:
    idx = np.flatnonzero(mask)
    shown = ", ".join(map(str, idx[:10].tolist()))
    return shown + (f" … ({len(idx)} in all)" if len(idx) > 10 else "")


class Domain:
    """Told, line by line, the examples where the engine would raise: raises, or marks them."""

    def __init__(self, np, b: int, plan: BatchPlan, errors: str) -> None:
        self.np, self.b, self.plan, self.nan = np, b, plan, errors == "nan"
        self.bad = None  # the examples made NaN (errors="nan"), once there are some

    def __call__(self, mask, line: int) -> None:
        m = self.np.broadcast_to(self.np.asarray(mask, dtype=bool), (self.b,))
        if not m.any():
            return
        if self.nan:
            self.bad = m.copy() if self.bad is None else self.bad | m
            return
        raise DomainError(self.plan.domain_message(line, _examples(self.np, m)))

    def guard(self, fail, k: int) -> None:
        m = self.np.broadcast_to(self.np.asarray(fail, dtype=bool), (self.b,))
        if m.any():
            raise GuardError(self.plan.guard_message(k, f" (examples {_examples(self.np, m)})"))


def _grad(np, g, spec: ArgSpec, b: int, per_example: bool, bad):
    rows = [g] if not spec.shape else g
    G = np.empty((len(rows), b))
    for i, r in enumerate(rows):
        G[i] = r  # a float (the same for every example) broadcasts along the batch
    if bad is not None:
        G[:, bad] = np.nan
    if per_example:
        G += 0.0  # the engine's adjoints start at +0.0: never −0.0
        return G.T.reshape((b, *spec.shape))
    total = G.sum(axis=1) + 0.0
    return float(total[0]) if not spec.shape else total.reshape(spec.shape)


def _run(np, plan: BatchPlan, prepared, b: int, seed: float, errors: str):
    dom = Domain(np, b, plan, errors)
    try:
        with np.errstate(all="ignore"):  # where it matters, the checks above report it
            value, grads, aux = plan.code(*prepared, seed=seed, dom=dom, guard=dom.guard)
    except (ArithmeticError, ValueError) as e:
        if isinstance(e, (DomainError, GuardError)):
            raise
        raise plan.replay_error(e) from None
    return value, grads, aux, dom.bad


def check_options(reduce, errors) -> None:
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be 'mean', 'sum' or None, got {reduce!r}")
    if errors not in ERRORS:
        raise ValueError(f"errors must be 'raise' or 'nan', got {errors!r:.60}")


def retrace_each(np, retrace, args: tuple, sizes, b: int) -> None:
    """check=True: re-trace every example (slow, a debugging aid)."""
    for i in range(b):
        retrace(tuple(np.asarray(a, dtype=float)[i] if n is not None else a
                      for a, n in zip(args, sizes)))


def reduced(np, value, b: int, bad, reduce: str | None):
    """The replay's value per example (NaN for the examples made NaN), or their mean or sum."""
    values = value if np.shape(value) == (b,) else np.broadcast_to(value, (b,))
    if bad is not None:
        values = np.where(bad, np.nan, values)
    if reduce is None:
        return np.array(values, dtype=float)
    total = float(values.sum())
    return total / b if reduce == "mean" else total


def replay(plan: BatchPlan, args: tuple, reduce: str | None, errors: str = "raise"):
    check_options(reduce, errors)
    np = _numpy()
    plan.check_count(args)
    prepared, sizes = zip(*[_prepare(np, a, s) for a, s in zip(args, plan.specs)])
    b = _batch_size(plan.specs, list(sizes))
    if plan.retrace is not None:
        retrace_each(np, plan.retrace, args, sizes, b)
    seed = 1.0 / b if reduce == "mean" else 1.0
    value, grads, aux, bad = _run(np, plan, prepared, b, seed, errors)
    value = reduced(np, value, b, bad, reduce)
    out = [_grad(np, g, plan.specs[k], b, reduce is None or sizes[k] is not None, bad)
           for g, k in zip(grads, plan.nums)]
    out = out[0] if plan.single else tuple(out)
    if plan.has_aux:
        return value, out, [np.array(np.broadcast_to(a, (b,))) for a in aux]
    return value, out
