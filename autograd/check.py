"""Numeric gradients by central differences, and checks of the engine against them.

∂f/∂xᵢ ≈ (f(x + h eᵢ) − f(x − h eᵢ)) / 2h: error O(h²) from truncation plus O(ε/h) from
round-off, so h ≈ 1e-6 for double precision. Two evaluations per input, so slow, but it
needs no derivative rules at all: the reference every analytic gradient is checked against.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence

from .functional import hessian
from .mode import STATE, enable_grad, no_grad
from .sweep import gradients
from .value import Value


class GradcheckError(AssertionError):
    """Analytic and numeric derivatives disagree; the message has a row per input."""


def _inputs(inputs: Sequence, name: str = "gradcheck") -> tuple[list[float], list[str]]:
    if isinstance(inputs, (str, bytes, Value)) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"{name} needs a list of input numbers (or Values), one per argument of f, got "
            f"{type(inputs).__name__} {inputs!r:.60}"
        )
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, (Value, numbers.Real)):
            raise TypeError(
                f"{name}: inputs[{i}] must be a number or a Value, got {type(x).__name__} "
                f"{x!r:.60}"
            )
    values = [float(x.data) if isinstance(x, Value) else float(x) for x in inputs]
    names = [
        x.label if isinstance(x, Value) and x.label else f"x[{i}]" for i, x in enumerate(inputs)
    ]
    return values, names


def _check_args(name: str, f, eps: float, atol: float = 0.0, rtol: float = 0.0) -> None:
    if not callable(f):
        raise TypeError(f"{name} needs a function f, got {type(f).__name__} {f!r:.60}")
    for what, x in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        ok = isinstance(x, numbers.Real) and math.isfinite(x) and x >= 0
        if not ok or (what == "eps" and x == 0):
            need = "a positive" if what == "eps" else "a non-negative"
            raise ValueError(f"{name}: {what} must be {need} finite number, got {x!r:.60}")


def _scalar(name: str, out) -> float:
    if isinstance(out, Value):
        return out.data
    if isinstance(out, numbers.Real):
        return float(out)
    raise TypeError(
        f"{name}: f must return a scalar Value or a number, got {type(out).__name__} {out!r:.60}"
    )


def _eval(f: Callable, values: Sequence[float]) -> float:
    with no_grad():
        out = f(*[Value(v) for v in values])
    return _scalar("numeric_grad", out)


def numeric_grad(f: Callable, inputs: Sequence, eps: float = 1e-6) -> list[float]:
    """Central-difference estimate of ∂f/∂xᵢ for every input (2 evaluations of f each)."""
    _check_args("numeric_grad", f, eps)
    values, _ = _inputs(inputs, "numeric_grad")
    result = []
    for i, v in enumerate(values):
        values[i] = v + eps
        up = _eval(f, values)
        values[i] = v - eps
        down = _eval(f, values)
        values[i] = v
        result.append((up - down) / (2 * eps))
    if STATE.counter is not None:
        STATE.counter.add("numeric", 2 * len(values), 0)
    return result


def _report(title: str, rows: list[tuple], atol: float, rtol: float) -> tuple[bool, str]:
    lines = [f"{'where':>12} {'analytic':>14} {'numeric':>14} {'abs err':>10} {'rel err':>10}"]
    bad = 0
    for where, a, n in rows:
        err = abs(a - n)
        ok = err <= atol + rtol * abs(n)
        bad += not ok
        rel = err / abs(n) if n else float("inf") if err else 0.0
        mark = "" if ok else "   <-- mismatch"
        lines.append(f"{where:>12} {a:>14.6e} {n:>14.6e} {err:>10.2e} {rel:>10.2e}{mark}")
    head = (
        f"{title}: {bad} of {len(rows)} derivatives disagree "
        f"(tolerance |a - n| <= {atol} + {rtol}·|n|)"
    )
    return bad == 0, "\n".join([head, *lines])


def gradcheck(
    f: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare the engine's ∂f/∂xᵢ with central differences at ``inputs``.

    ``f`` takes one argument per input and returns a scalar Value. Returns True when every
    derivative agrees within ``atol + rtol·|numeric|``; otherwise raises ``GradcheckError``
    with a row per input (or returns False if ``raise_exception=False``).
    Like every transformation it records its own trace even inside ``no_grad()``.
    """
    _check_args("gradcheck", f, eps, atol, rtol)
    values, names = _inputs(inputs)
    xs = [Value(v) for v in values]
    with enable_grad():
        out = f(*xs)
        _scalar("gradcheck", out)
        analytic = gradients(out, xs)
    numeric = numeric_grad(f, values, eps)
    ok, text = _report("gradcheck failed", list(zip(names, analytic, numeric)), atol, rtol)
    if not ok and raise_exception:
        raise GradcheckError(text)
    return ok


def gradgradcheck(
    f: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Second-order check: the analytic Hessian (a backward through the backward sweep)
    against central differences of the analytic gradient."""
    _check_args("gradgradcheck", f, eps, atol, rtol)
    values, names = _inputs(inputs, "gradgradcheck")
    if not values:
        return True
    analytic = hessian(f)(*values)
    rows = []
    for j, v in enumerate(values):
        cols = []
        for shifted in (v + eps, v - eps):
            values[j] = shifted
            xs = [Value(x) for x in values]
            with enable_grad():
                cols.append(gradients(f(*xs), xs))
        values[j] = v
        for i in range(len(values)):
            numeric = (cols[0][i] - cols[1][i]) / (2 * eps)
            rows.append((f"{names[i]},{names[j]}", analytic[i][j], numeric))
    ok, text = _report("gradgradcheck failed", rows, atol, rtol)
    if not ok and raise_exception:
        raise GradcheckError(text)
    return ok
