"""Optimisers and learning-rate schedules with ``torch.optim``'s names and update rules.

An optimiser holds the parameters and per-parameter state (plain floats). ``step()`` reads
every parameter's ``.grad`` and then updates ``.data``; it runs after ``loss.backward()``
has finished, so every gradient is computed from the same weights (the course's warning:
never update a weight before all gradients are computed). ``step()`` runs under
``no_grad`` and builds no graph. gₜ below is the gradient (plus weight_decay·θ if given).

A parameter whose ``.grad`` is None (PyTorch's ``zero_grad(set_to_none=True)``, or one the
loss never reached) is skipped by ``step()``, as ``torch.optim`` does: its value and its
state stay as they are, and t counts only its own steps.

Every hyper-parameter is checked when the optimiser or schedule is made, with PyTorch's
ranges (``_Range`` below; the error names the parameter), stricter in two places where
PyTorch's range lets a step divide by zero or take the root of a negative number: ``eps``
must be > 0 (PyTorch allows 0, which gives 0/0 where a gradient is 0) and RMSprop's
``alpha`` at most 1. Numbers must be finite. So a step never raises: a run whose weights
blow up shows NaN or ±∞, as the error policy promises.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from autograd import Value, no_grad

__all__ = [
    "Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
]


@dataclass(frozen=True)
class _Range:
    """The numbers a hyper-parameter may take: finite, from ``low`` to ``high``."""

    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    why: str = ""

    def __str__(self) -> str:
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return (f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.high_open else ']'}")

    def holds(self, x: float) -> bool:
        above = self.low < x if self.low_open else self.low <= x
        below = x < self.high if self.high_open else x <= self.high
        return math.isfinite(x) and above and below

    def check(self, owner: str, name: str, x) -> float:
        """``x`` as a float, or a ``TypeError``/``ValueError`` naming ``owner``'s ``name``."""
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"{owner}: {name} must be a number, got {type(x).__name__} "
                            f"{x!r:.40}")
        if not self.holds(float(x)):
            why = f" ({self.why})" if self.why else ""
            raise ValueError(f"{owner}: {name} must be a finite number {self}{why}, got {x!r}")
        return float(x)


_AT_LEAST_0 = _Range()
_EPS = _Range(low_open=True, why="it keeps the division defined where a gradient is 0")
_FRACTION = _Range(0.0, 1.0)  # a decay rate: how much of the running average is kept
_BETA = _Range(0.0, 1.0, high_open=True, why="the bias correction divides by 1 - beta^t")


def _flag(owner: str, name: str, x) -> bool:
    if not isinstance(x, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {type(x).__name__} "
                        f"{x!r:.40}")
    return x


class Optimizer:
    """Base class: ``params``, ``lr``, ``step()``, ``zero_grad()`` and the step counts.

    ``steps`` counts the calls of ``step()``; ``param_steps[i]`` the steps that updated
    parameter i (t in the formulas), which differ only where a ``.grad`` was None."""

    def __init__(self, params: Iterable[Value], lr: float) -> None:
        # A parameter listed twice (weight tying) is stepped once, as in PyTorch.
        self.params = list({id(p): p for p in params}.values())
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        if not all(isinstance(p, Value) for p in self.params):
            raise TypeError("optimizer params must be Values, e.g. model.parameters()")
        self.lr = self._check("lr", lr)
        self.steps = 0
        self.param_steps = [0] * len(self.params)

    def _check(self, name: str, x, allowed: _Range = _AT_LEAST_0) -> float:
        return allowed.check(type(self).__name__, name, x)

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 before the next backward."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from the gradients already in ``.grad``."""
        # Read all gradients first, as floats: after backward(create_graph=True) a .grad is
        # a Value, and the step uses its number (as PyTorch steps on grad's data).
        grads = [_number(i, p) for i, p in enumerate(self.params)]
        self.steps += 1
        with no_grad():
            for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
                if g is None:  # no gradient: skipped, as torch.optim does
                    continue
                self.param_steps[i] += 1
                p.data = self._update(i, p.data, g)

    def _update(self, i: int, theta: float, g: float) -> float:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"


def _number(i: int, p: Value) -> float | None:
    """Parameter i's gradient as a float (None: no gradient, the step skips it)."""
    g = p.grad
    if g is None or isinstance(g, float):
        return g
    if isinstance(g, Value):
        return g.data
    if isinstance(g, numbers.Real) and not isinstance(g, bool):
        return float(g)
    raise TypeError(f"parameter {i} ({p.label!r}) has .grad = {g!r:.40}; a gradient must be "
                    "a number (or None, to leave the parameter out of the step)")


class SGD(Optimizer):
    """Stochastic gradient descent, with heavy-ball or Nesterov momentum.

    gₜ = ∇θ + λθ;  without momentum θ ← θ − η gₜ. With momentum μ:
    b₁ = g₁, bₜ = μ bₜ₋₁ + gₜ; θ ← θ − η bₜ (heavy ball) or θ ← θ − η (gₜ + μ bₜ) (Nesterov,
    PyTorch's form of v = γv + η∇J(θ − γv)).
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-3, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        momentum, weight_decay = self._check("momentum", momentum), \
            self._check("weight_decay", weight_decay)
        if _flag("SGD", "nesterov", nesterov) and momentum <= 0:
            raise ValueError(f"SGD: nesterov=True (Nesterov momentum) needs momentum > 0, "
                             f"got momentum={momentum!r}")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        self.buf: list[float | None] = [None] * len(self.params)

    def _update(self, i, theta, g):
        if self.weight_decay:
            g = g + self.weight_decay * theta
        if self.momentum:
            b = self.buf[i]
            b = g if b is None else self.momentum * b + g
            self.buf[i] = b
            g = g + self.momentum * b if self.nesterov else b
        return theta - self.lr * g


class Adagrad(Optimizer):
    """Adagrad: sₜ = sₜ₋₁ + gₜ²;  θ ← θ − η̃ gₜ/(√sₜ + eps), η̃ = η/(1 + (t − 1)·lr_decay)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.lr_decay, self.weight_decay = self._check("lr_decay", lr_decay), \
            self._check("weight_decay", weight_decay)
        self.eps = self._check("eps", eps, _EPS)
        initial = self._check("initial_accumulator_value", initial_accumulator_value)
        self.sum = [initial] * len(self.params)

    def _update(self, i, theta, g):
        if self.weight_decay:
            g = g + self.weight_decay * theta
        clr = self.lr / (1 + (self.param_steps[i] - 1) * self.lr_decay)
        self.sum[i] += g * g
        return theta - clr * g / (math.sqrt(self.sum[i]) + self.eps)


class RMSprop(Optimizer):
    """RMSprop: vₜ = α vₜ₋₁ + (1 − α) gₜ²;  θ ← θ − η gₜ/(√vₜ + eps)  (α = 0.99).

    ``centered``: vₜ is replaced by vₜ − ḡₜ² with ḡₜ = α ḡₜ₋₁ + (1 − α) gₜ. With momentum μ:
    bₜ = μ bₜ₋₁ + gₜ/(√vₜ + eps), θ ← θ − η bₜ.
    """

    def __init__(self, params: Iterable[Value], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = self._check("alpha", alpha, _FRACTION)
        self.eps = self._check("eps", eps, _EPS)
        self.weight_decay = self._check("weight_decay", weight_decay)
        self.momentum = self._check("momentum", momentum)
        self.centered = _flag("RMSprop", "centered", centered)
        n = len(self.params)
        self.square_avg, self.grad_avg, self.buf = [0.0] * n, [0.0] * n, [0.0] * n

    def _update(self, i, theta, g):
        if self.weight_decay:
            g = g + self.weight_decay * theta
        a = self.alpha
        self.square_avg[i] = v = a * self.square_avg[i] + (1 - a) * g * g
        if self.centered:
            self.grad_avg[i] = ga = a * self.grad_avg[i] + (1 - a) * g
            v = max(v - ga * ga, 0.0)  # ≥ 0 mathematically; rounding can dip below
        step = g / (math.sqrt(v) + self.eps)
        if self.momentum > 0:
            self.buf[i] = step = self.momentum * self.buf[i] + step
        return theta - self.lr * step


class Adam(Optimizer):
    """Adam: mₜ = β₁mₜ₋₁ + (1 − β₁)gₜ, vₜ = β₂vₜ₋₁ + (1 − β₂)gₜ²,
    m̂ = mₜ/(1 − β₁ᵗ), v̂ = vₜ/(1 − β₂ᵗ);  θ ← θ − η m̂/(√v̂ + eps)  (β = 0.9, 0.999).
    weight_decay adds λθ to the gradient (L2); ``AdamW`` decays the weight directly."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(params, lr)
        self.betas = self._betas(betas)
        self.eps = self._check("eps", eps, _EPS)
        self.weight_decay = self._check("weight_decay", weight_decay)
        self.amsgrad = _flag(type(self).__name__, "amsgrad", amsgrad)
        n = len(self.params)
        self.exp_avg, self.exp_avg_sq, self.max_exp_avg_sq = [0.0] * n, [0.0] * n, [0.0] * n

    def _betas(self, betas) -> tuple[float, float]:
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), "
                            f"e.g. (0.9, 0.999), got {betas!r:.40}") from None
        return self._check("betas[0]", b1, _BETA), self._check("betas[1]", b2, _BETA)

    def _decay(self, theta, g):
        return g + self.weight_decay * theta if self.weight_decay else g

    def _update(self, i, theta, g):
        g = self._decay(theta, g)
        b1, b2 = self.betas
        t = self.param_steps[i]
        self.exp_avg[i] = m = b1 * self.exp_avg[i] + (1 - b1) * g
        self.exp_avg_sq[i] = v = b2 * self.exp_avg_sq[i] + (1 - b2) * g * g
        if self.amsgrad:
            self.max_exp_avg_sq[i] = v = max(self.max_exp_avg_sq[i], v)
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return theta - self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: θ ← θ(1 − ηλ) before the Adam step (λ = 0.01)."""

    def __init__(self, params: Iterable[Value], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

    def _decay(self, theta, g):
        return g

    def _update(self, i, theta, g):
        return super()._update(i, theta * (1 - self.lr * self.weight_decay), g)


class Adadelta(Optimizer):
    """Adadelta: vₜ = ρvₜ₋₁ + (1 − ρ)gₜ², Δₜ = √(uₜ₋₁ + eps)/√(vₜ + eps) · gₜ,
    uₜ = ρuₜ₋₁ + (1 − ρ)Δₜ²;  θ ← θ − η Δₜ  (ρ = 0.9, η = 1)."""

    def __init__(self, params: Iterable[Value], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.rho = self._check("rho", rho, _FRACTION)
        self.eps = self._check("eps", eps, _EPS)
        self.weight_decay = self._check("weight_decay", weight_decay)
        n = len(self.params)
        self.square_avg, self.acc_delta = [0.0] * n, [0.0] * n

    def _update(self, i, theta, g):
        if self.weight_decay:
            g = g + self.weight_decay * theta
        r = self.rho
        self.square_avg[i] = v = r * self.square_avg[i] + (1 - r) * g * g
        delta = math.sqrt(self.acc_delta[i] + self.eps) / math.sqrt(v + self.eps) * g
        self.acc_delta[i] = r * self.acc_delta[i] + (1 - r) * delta * delta
        return theta - self.lr * delta


OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam,
              "adamw": AdamW, "adadelta": Adadelta}


# --- learning-rate schedules ------------------------------------------------------------------
class LRScheduler:
    """Sets ``optimizer.lr`` from the epoch count. Call ``step()`` once per epoch (or step),
    after ``optimizer.step()``, as in PyTorch. ``get_last_lr()`` → [lr].

    A rate that is not a finite number >= 0 (a ``lr_lambda`` gone negative, γᵉ overflowing)
    raises ``ValueError`` naming the epoch, and the optimiser keeps its last rate."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an "
                            "nn.optim optimiser; pass one, e.g. nn.optim.SGD(params, lr=0.1)")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._set(0)

    def get_lr(self, epoch: int) -> float:  # pragma: no cover
        raise NotImplementedError

    def _what(self, epoch: int) -> str:
        """Where a rate came from, for the error message."""
        return f"epoch {epoch}"

    def _set(self, epoch: int) -> None:
        try:
            lr = self.get_lr(epoch)
        except OverflowError:
            lr = math.inf
        if not _AT_LEAST_0.holds(lr):
            raise ValueError(
                f"{type(self).__name__}: {self._what(epoch)} gives the learning rate {lr!r}, "
                "not a finite number >= 0; change the schedule's arguments")
        self.optimizer.lr = lr

    def step(self) -> None:
        self._set(self.last_epoch + 1)
        self.last_epoch += 1

    def get_last_lr(self) -> list[float]:
        return [self.optimizer.lr]


def _whole(owner: str, name: str, n) -> int:
    """A count of epochs: a whole number >= 1."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{owner}: {name} must be a whole number of epochs >= 1, got {n!r:.40}")
    return int(n)


class StepLR(LRScheduler):
    """η_e = η₀ · γ^⌊e / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = _whole("StepLR", "step_size", step_size)
        self.gamma = _AT_LEAST_0.check("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """η_e = η₀ · γ^e."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _AT_LEAST_0.check("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self, epoch):
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """η_e = η_min + (η₀ − η_min)(1 + cos(π e / T_max))/2."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        self.T_max = _whole("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _AT_LEAST_0.check("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def get_lr(self, epoch):
        return self.eta_min + (self.base_lr - self.eta_min) * (
            1 + math.cos(math.pi * epoch / self.T_max)) / 2


class LambdaLR(LRScheduler):
    """η_e = η₀ · f(e). micrograd's demo decay: ``LambdaLR(opt, lambda k: 1 - 0.9*k/100)``."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]) -> None:
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda should be a function of the epoch, e.g. "
                            f"lambda k: 0.95 ** k, got {type(lr_lambda).__name__}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def _what(self, epoch: int) -> str:
        return f"lr_lambda({epoch}) = {self.lr_lambda(epoch)!r}"

    def get_lr(self, epoch):
        factor = self.lr_lambda(epoch)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise TypeError(f"LambdaLR: lr_lambda({epoch}) must return a number, got "
                            f"{type(factor).__name__} {factor!r:.40}")
        return self.base_lr * factor
