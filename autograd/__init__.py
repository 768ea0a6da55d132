"""dagrad's autograd: a scalar reverse-mode (and forward-mode) automatic differentiation engine.

Note: HIPS autograd uses the import name ``autograd`` too; install dagrad in its own
virtual environment.
"""

from .check import GradcheckError, gradcheck, gradgradcheck, numeric_grad
from .compiled import compile as compile  # autograd.compile (shadows the builtin in here only)
from .functional import grad, hessian, jvp, value_and_grad
from .mode import (
    AnomalyError,
    count_ops,
    detect_anomaly,
    enable_grad,
    is_grad_enabled,
    no_grad,
)
from .ops import OPS, Op, cos, exp, log, sigmoid, sin
from .sweep import (
    backward,
    backward_steps,
    forward_tangents,
    gradients,
    local_derivatives,
    topological_order,
)
from .value import DomainError, Value, dot, logsumexp
from .value import sum as sum  # autograd.sum: one node for Σ (shadows the builtin on purpose)

__all__ = [
    "Value", "DomainError", "OPS", "Op",
    "backward", "backward_steps", "gradients", "forward_tangents", "local_derivatives",
    "topological_order",
    "grad", "value_and_grad", "jvp", "hessian",
    "gradcheck", "gradgradcheck", "numeric_grad", "GradcheckError",
    "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly", "AnomalyError", "count_ops",
    "dot", "logsumexp", "exp", "log", "sin", "cos", "sigmoid",
]  # `sum` is autograd.sum, left out of __all__ so `import *` keeps the builtin

# Names no longer at the top level (not taught by the README): they keep working, with a
# DeprecationWarning naming where they live now.
# (is_grad_enabled stays: it is torch.is_grad_enabled.)
_MOVED = {"OpCount": "autograd.mode"}


def __getattr__(name: str):
    if name in _MOVED:
        import importlib
        import warnings

        where = _MOVED[name]
        warnings.warn(f"autograd.{name} is deprecated: use {where}.{name}", DeprecationWarning,
                      stacklevel=2)
        return getattr(importlib.import_module(where), name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
