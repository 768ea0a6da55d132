"""The training loop: ``fit`` with mini-batches, validation, early stopping and a history.

One step: forward the batch (``model.forward_batch``), compute the loss (+ penalties),
``zero_grad()``, ``loss.backward()`` (every gradient, one reverse sweep), then
``optimizer.step()`` (every update). The step never starts before the sweep has finished,
so no weight changes while gradients are still being computed.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, no_grad

from . import compiled as _compiled
from . import losses as _losses
from .data import batches, train_val_split
from .init import make_rng
from .module import Module
from .optim import SGD, LRScheduler, Optimizer

__all__ = ["History", "fit", "predict", "accuracy", "evaluate"]


@dataclass
class History:
    """Per-epoch records of a ``fit`` run (lists of floats, one entry per epoch).

    ``accuracy``/``val_accuracy`` hold NaN where accuracy has no meaning (regression
    losses); ``val_*`` are empty without a validation set. ``stopped_early`` tells whether
    early stopping ended the run, ``best_epoch`` the (0-based) epoch whose weights the model
    holds when early stopping restored them.
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    stopped_early: bool = False
    best_epoch: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __getitem__(self, key: str) -> list[float]:
        return getattr(self, key)


def _score(o) -> float:
    return o.data if isinstance(o, Value) else float(o)


def _accuracy_fn(loss: str | Callable) -> Callable | None:
    """How to turn outputs and targets into "correct?" for the given loss."""
    if loss in ("hinge", "logistic"):
        return lambda o, t: (_score(o) > 0) == (t > 0)
    if loss == "bce_with_logits":
        return lambda o, t: (_score(o) > 0) == (t > 0.5)
    if loss == "bce":
        return lambda o, t: (_score(o) > 0.5) == (t > 0.5)
    if loss == "cross_entropy":
        return lambda o, t: max(range(len(o)), key=lambda k: _score(o[k])) == int(t)
    return None


def accuracy(outputs: Sequence, targets: Sequence, loss: str = "hinge") -> float:
    """Fraction of examples classified right, reading outputs the way ``loss`` does:
    sign of the score (hinge, logistic, bce_with_logits), p > 0.5 (bce), argmax
    (cross_entropy). NaN for regression losses."""
    f = _accuracy_fn(loss)
    if f is None or not targets:
        return math.nan
    return sum(bool(f(o, t)) for o, t in zip(outputs, targets, strict=True)) / len(targets)


def predict(model: Module, X: Sequence) -> list:
    """Model outputs as floats (lists of floats for several outputs), in eval mode and
    without building a graph. Restores the model's previous mode."""
    was = model.training
    model.eval()
    try:
        with no_grad():
            out = model.forward_batch(list(X))
    finally:
        model.train(was)
    return [o.data if isinstance(o, Value) else [_score(v) for v in o] if isinstance(o, list)
            else float(o) for o in out]


def _loss_fn(loss):
    if callable(loss):
        return loss
    try:
        return _losses.LOSSES[loss]
    except KeyError:
        raise ValueError(
            f"unknown loss {loss!r}; choose one of {', '.join(_losses.LOSSES)} or a callable"
        ) from None


def _check_labels(loss, y):
    if loss in ("hinge", "logistic"):
        bad = {v for v in y if v not in (-1, 1)}
        if bad:
            raise ValueError(
                f"the {loss} loss needs labels -1/1, got {sorted(bad)[:4]}: convert 0/1 "
                "labels with nn.data.to_pm1(y)"
            )


def evaluate(model: Module, X: Sequence, y: Sequence, loss: str | Callable = "hinge"
             ) -> tuple[float, float]:
    """(loss, accuracy) on a data set, in eval mode without building a graph."""
    fn = _loss_fn(loss)
    was = model.training
    model.eval()
    try:
        with no_grad():
            out = model.forward_batch(list(X))
            value = fn(out, list(y)).data
    finally:
        model.train(was)
    return value, accuracy(out, y, loss) if isinstance(loss, str) else math.nan


class _Progress:
    """A tqdm bar when tqdm is installed, plain printed lines otherwise; silent if off."""

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.enabled, self.epochs, self.bar = enabled, epochs, None
        if enabled:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=epochs, desc="training", unit="epoch", leave=True)

    def update(self, epoch: int, stats: dict[str, float]) -> None:
        if not self.enabled:
            return
        shown = {k: f"{v:.4f}" if "loss" in k else f"{100 * v:.1f}%"
                 for k, v in stats.items() if not math.isnan(v)}
        if self.bar is not None:
            self.bar.set_postfix(shown, refresh=False)
            self.bar.update(1)
        else:
            every = max(1, self.epochs // 10)
            if epoch % every == 0 or epoch == self.epochs - 1:
                text = "  ".join(f"{k} {v}" for k, v in shown.items())
                print(f"epoch {epoch + 1:>4}/{self.epochs}  {text}", file=sys.stdout, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def fit(
    model: Module,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "hinge",
    optimizer: Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    val: tuple[Sequence, Sequence] | None = None,
    val_fraction: float | None = None,
    early_stopping: int | None = None,
    restore_best: bool = True,
    scheduler: LRScheduler | None = None,
    l2: float = 0.0,
    l1: float = 0.0,
    shuffle: bool = True,
    seed: int | None = 0,
    progress: bool = True,
    callback: Callable[[int, History], Any] | None = None,
    compile: bool = False,  # noqa: A002 - the name the issue asks for
) -> History:
    """Train ``model`` on (X, y) and return the ``History``.

    * ``loss``: a name from ``nn.losses`` (``"hinge"``, ``"logistic"`` need labels −1/1,
      see ``nn.data.to_pm1``; ``"bce_with_logits"``, ``"bce"`` labels 0/1;
      ``"cross_entropy"`` class indices; ``"mse"``, ``"mae"`` numbers) or a callable
      ``loss(outputs, targets) -> Value``. ``l2``/``l1`` add λ·Σw² / λ·Σ|w| over all
      parameters (micrograd's demo: ``l2=1e-4``); the recorded loss includes them.
    * ``optimizer``: default ``SGD(model.parameters(), lr=0.1)``; ``scheduler`` is stepped
      once per epoch.
    * ``batch_size=None``: full-batch gradient descent, one step per epoch; otherwise
      mini-batches, reshuffled each epoch from ``seed``.
    * ``val=(X_val, y_val)`` or ``val_fraction`` (split off the training data) adds
      ``val_loss``/``val_accuracy``. ``early_stopping=patience`` stops after ``patience``
      epochs without a better validation loss (without a validation set: the training data
      loss, evaluated after the epoch) and, with ``restore_best``, puts back the weights of
      the best epoch.
    * ``progress``: a tqdm bar with loss and accuracy (plain lines without tqdm); False
      for silence. ``callback(epoch, history)`` runs after each epoch; returning True stops.
    * ``compile=True``: each step's loss and gradients come from code traced once and replayed
      on the whole batch with NumPy (``nn/compiled.py``); same results as the interpreted path.
    """
    loss_fn = _loss_fn(loss)
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"{len(X)} examples but {len(y)} labels")
    if val is not None and val_fraction is not None:
        raise ValueError("give val or val_fraction, not both")
    if val_fraction:
        X, y, Xv, yv = train_val_split(X, y, val_fraction, seed=seed)
        val = (Xv, yv)
    _check_labels(loss, y)
    if val is not None:
        val = (list(val[0]), list(val[1]))
        _check_labels(loss, val[1])
    params = model.parameters()
    if optimizer is None:
        optimizer = SGD(params, lr=0.1)
    acc_name = loss if isinstance(loss, str) else ""
    rng = make_rng(seed)
    history = History()
    best, best_state, waited = math.inf, None, 0
    bar = _Progress(epochs, progress)
    compiled = _compiled.CompiledLoss(model, loss, params, l2, l1) if compile else None
    try:
        for epoch in range(epochs):
            model.train()
            total, correct_w, seen = 0.0, 0.0, 0
            history.lr.append(optimizer.lr)
            for Xb, yb in batches(X, y, batch_size, shuffle=shuffle and batch_size is not None,
                                  rng=rng):
                if compiled is not None:  # forward + backward: one batched replay
                    L, out = compiled.step(Xb, yb)
                    optimizer.step()
                    total, seen = total + L * len(Xb), seen + len(Xb)
                    correct_w += accuracy(out, yb, acc_name) * len(Xb)
                    continue
                out = model.forward_batch(Xb)
                L = loss_fn(out, yb)
                if l2:
                    L = L + l2 * _losses.l2_penalty(params)
                if l1:
                    L = L + l1 * _losses.l1_penalty(params)
                optimizer.zero_grad()
                L.backward()  # 1. every gradient, in one reverse sweep …
                optimizer.step()  # 2. … then every update
                total += L.data * len(Xb)
                correct_w += accuracy(out, yb, acc_name) * len(Xb)
                seen += len(Xb)
            history.loss.append(total / seen)
            history.accuracy.append(correct_w / seen)
            stats = {"loss": history.loss[-1], "acc": history.accuracy[-1]}
            if val is not None:
                vl, va = evaluate(model, val[0], val[1], loss)
                history.val_loss.append(vl)
                history.val_accuracy.append(va)
                stats.update(val_loss=vl, val_acc=va)
            if scheduler is not None:
                scheduler.step()
            bar.update(epoch, stats)
            if callback is not None and callback(epoch, history):
                break
            if early_stopping is not None:
                if val is not None:
                    monitored = history.val_loss[-1]
                else:  # the training loss at the weights this epoch ended with
                    monitored = evaluate(model, X, y, loss)[0]
                if monitored < best:
                    best, waited, history.best_epoch = monitored, 0, epoch
                    best_state = model.state_dict() if restore_best else None
                else:
                    waited += 1
                    if waited >= early_stopping:
                        history.stopped_early = True
                        break
    finally:
        bar.close()
    if history.stopped_early and best_state is not None:
        model.load_state_dict(best_state)
    return history
