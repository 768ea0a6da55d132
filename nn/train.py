"""The training loop: ``fit`` with mini-batches, validation, early stopping and a history.

One step, ``train_step``, is the body of micrograd's demo loop: forward the batch
(``model.forward_batch``), compute the loss (+ penalties), ``zero_grad()``,
``loss.backward()`` (every gradient, one reverse sweep), then ``optimizer.step()`` (every
update). The step never starts before the sweep has finished, so no weight changes while
gradients are still being computed. ``fit`` is epochs of such steps (``_train_epoch``),
with validation and ``_EarlyStopping``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from autograd import Value, enable_grad

from . import compiled as _compiled
from . import losses as _losses
from .data import batches, train_val_split
from .init import make_rng
from .module import Module, eval_mode
from .optim import SGD, LRScheduler, Optimizer

__all__ = ["History", "fit", "train_step", "predict", "accuracy", "evaluate"]


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
    # the data loss fit minimises (penalties aside): callbacks that replay a point's loss
    # (nn.record.Recorder) read it here rather than being told it a second time
    loss_fn: Callable | None = field(default=None, repr=False, compare=False)

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __getitem__(self, key: str) -> list[float]:
        return getattr(self, key)


def _score(o) -> float:
    return o.data if isinstance(o, Value) else float(o)


def _loss_entry(loss) -> _losses.Loss | None:
    """The ``LOSSES`` entry for a loss name (or entry); None for a plain callable."""
    if isinstance(loss, _losses.Loss):
        return loss
    if isinstance(loss, str):
        try:
            return _losses.LOSSES[loss]
        except KeyError:
            raise ValueError(f"unknown loss {loss!r}; choose one of "
                             f"{', '.join(_losses.LOSSES)} or a callable") from None
    if callable(loss):
        return None
    raise TypeError(f"loss must be a name from nn.losses.LOSSES or a callable "
                    f"loss(outputs, targets), got {type(loss).__name__}")


def _loss_fn(loss) -> Callable:
    entry = _loss_entry(loss)
    return loss if entry is None else entry


def accuracy(outputs: Sequence, targets: Sequence, loss: str | Callable = "hinge") -> float:
    """Fraction of examples classified right, by the decision rule of ``loss``'s table
    entry: sign of the score (hinge, logistic, bce_with_logits), p > 0.5 (bce), argmax
    (cross_entropy). NaN for regression losses and plain callables."""
    entry = _loss_entry(loss)
    if entry is None or entry.correct is None or not targets:
        return math.nan
    right = entry.correct  # it sees outputs as floats (lists of floats for several)
    return sum(bool(right(_floats(o), t))
               for o, t in zip(outputs, targets, strict=True)) / len(targets)


def _floats(o):
    if isinstance(o, Value):
        return o.data
    return [_score(v) for v in o] if isinstance(o, list) else float(o)


def predict(model: Module, X: Sequence) -> list:
    """Model outputs as floats (lists of floats for several outputs), in eval mode and
    without building a graph. Restores the model's previous mode."""
    with eval_mode(model):
        out = model.forward_batch(list(X))
    return [_floats(o) for o in out]


def _check_labels(loss, y) -> None:
    entry = _loss_entry(loss)
    if entry is not None:
        entry.check_labels(loss if isinstance(loss, str) else "given", y)


def evaluate(model: Module, X: Sequence, y: Sequence, loss: str | Callable = "hinge"
             ) -> tuple[float, float]:
    """(loss, accuracy) on a data set, in eval mode without building a graph. A diverged
    model gives a NaN loss, shown as NaN."""
    fn = _loss_fn(loss)
    with eval_mode(model):
        out = model.forward_batch(list(X))
        value = fn(out, list(y)).data
    return value, accuracy(out, y, loss)


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
        # NaN is shown, never hidden: a diverged run must look diverged.
        shown = {k: f"{v:.4f}" if "loss" in k else f"{100 * v:.1f}%"
                 for k, v in stats.items()}
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


def train_step(model: Module, X: Sequence, y: Sequence, loss_fn: Callable,
               optimizer: Optimizer, penalty: Callable[[], Value] | None = None
               ) -> tuple[Value, list]:
    """One step of gradient descent on the batch (X, y), the body of micrograd's demo loop:
    forward, zero_grad, backward, step. ``penalty()`` (e.g. λ·Σw²) is added to the loss.
    Returns (the loss node, the outputs).

    It records its own graph even inside ``no_grad()`` (as ``grad`` and ``jvp`` do): a
    training step is asked for explicitly, so it trains, never silently does nothing."""
    with enable_grad():
        out = model.forward_batch(X)
        L = loss_fn(out, y) if penalty is None else loss_fn(out, y) + penalty()
    optimizer.zero_grad()
    L.backward()  # 1. every gradient, in one reverse sweep …
    optimizer.step()  # 2. … then every update
    return L, out


def _penalty(params: list[Value], l1: float, l2: float) -> Callable[[], Value] | None:
    """λ₂·Σw² + λ₁·Σ|w| over ``params`` as a function building the node, or None."""
    if not l1 and not l2:
        return None

    def penalty() -> Value:
        terms = []
        if l2:
            terms.append(l2 * _losses.l2_penalty(params))
        if l1:
            terms.append(l1 * _losses.l1_penalty(params))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]

    return penalty


def _step_fn(model, loss_fn, optimizer, penalty, compiled) -> Callable:
    """What each batch does: ``train_step`` on the graph, or with ``compiled`` (a
    ``nn.compiled.CompiledLoss``) one batched replay of traced code for forward and backward,
    then the same optimiser step. Either returns (the loss as a float, the outputs)."""
    if compiled is None:
        def step(Xb, yb):
            L, out = train_step(model, Xb, yb, loss_fn, optimizer, penalty)
            return L.data, out
    else:
        def step(Xb, yb):
            with enable_grad():  # a trace made inside no_grad() must still record
                L, out = compiled.step(Xb, yb)  # sets every parameter's .grad
            optimizer.step()
            return float(L), out
    return step


def _train_epoch(model, loader, step: Callable, loss) -> tuple[float, float]:
    """Every batch of one epoch through ``step``; (mean loss, mean accuracy)."""
    model.train()
    total, correct_w, seen = 0.0, 0.0, 0
    for Xb, yb in loader:
        L, out = step(Xb, yb)
        total += L * len(Xb)
        correct_w += accuracy(out, yb, loss) * len(Xb)
        seen += len(Xb)
    return total / seen, correct_w / seen


class _EarlyStopping:
    """Stop after ``patience`` epochs without a lower monitored loss; remember the best
    epoch's weights (``restore_best``) to put back at the end."""

    def __init__(self, patience: int, restore_best: bool) -> None:
        self.patience, self.restore_best = patience, restore_best
        self.best, self.best_state, self.waited = math.inf, None, 0

    def should_stop(self, epoch: int, monitored: float, model: Module, history: History) -> bool:
        if monitored < self.best:
            self.best, self.waited, history.best_epoch = monitored, 0, epoch
            self.best_state = model.state_dict() if self.restore_best else None
            return False
        self.waited += 1
        history.stopped_early = self.waited >= self.patience
        return history.stopped_early

    def restore(self, model: Module, history: History) -> None:
        if history.stopped_early and self.best_state is not None:
            model.load_state_dict(self.best_state)


def _renamed_args(renamed: dict, val):
    """The value of ``val`` given the keywords fit no longer has (``val_fraction``)."""
    fraction = renamed.pop("val_fraction", None)
    if renamed:
        raise TypeError(f"fit() got an unexpected keyword argument {next(iter(renamed))!r}")
    if fraction is None:
        return val
    import warnings

    warnings.warn("fit(val_fraction=f) is deprecated: use fit(val=f)", DeprecationWarning,
                  stacklevel=3)
    if val is not None:
        raise ValueError("give val (a pair or a fraction) or val_fraction, not both")
    return fraction


def _check_fit_args(model, optimizer, epochs, batch_size, l1, l2) -> None:
    if not isinstance(model, Module):
        raise TypeError(f"fit trains an nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an nn.optim optimiser built on the model's parameters, e.g. "
            f"nn.optim.Adam(model.parameters(), lr=0.01), got {type(optimizer).__name__} "
            f"{optimizer!r:.40}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a whole number >= 0, got {epochs!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or
                                   not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a whole number >= 1 or None, got {batch_size!r}")
    for name, lam in (("l1", l1), ("l2", l2)):
        if not (math.isfinite(lam) and lam >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {lam!r}")


def fit(
    model: Module,
    X: Sequence,
    y: Sequence,
    loss: str | Callable = "hinge",
    optimizer: Optimizer | None = None,
    *,
    # how long, in what batches
    epochs: int = 100,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | None = 0,
    # what the loss adds, how the learning rate moves
    l2: float = 0.0,
    l1: float = 0.0,
    scheduler: LRScheduler | None = None,
    # validation and early stopping
    val: tuple[Sequence, Sequence] | float | None = None,
    early_stopping: int | None = None,
    restore_best: bool = True,
    # what you see after each epoch, and how the step runs
    progress: bool = True,
    callback: Callable[[int, History], Any] | None = None,
    compile: bool = False,  # noqa: A002 - the name the issue asks for
    **renamed: Any,
) -> History:
    """Train ``model`` on (X, y) and return the ``History``.

    Arguments after ``optimizer`` are keywords, in groups: how long (``epochs``,
    ``batch_size``, ``shuffle``, ``seed``), the loss's additions (``l2``, ``l1``,
    ``scheduler``), validation (``val``, ``early_stopping``, ``restore_best``), what is
    shown (``progress``, ``callback``) and how the step runs (``compile``).

    * ``loss``: a name from ``nn.losses`` (``"hinge"``, ``"logistic"`` need labels −1/1,
      see ``nn.data.to_pm1``; ``"bce_with_logits"``, ``"bce"`` labels 0/1;
      ``"cross_entropy"`` class indices; ``"mse"``, ``"mae"`` numbers) or a callable
      ``loss(outputs, targets) -> Value``. ``l2``/``l1`` add λ·Σw² / λ·Σ|w| over all
      parameters (micrograd's demo: ``l2=1e-4``); the recorded loss includes them.
    * ``optimizer``: default ``SGD(model.parameters(), lr=0.1)``; ``scheduler`` is stepped
      once per epoch.
    * ``batch_size=None``: full-batch gradient descent, one step per epoch; otherwise
      mini-batches, reshuffled each epoch from ``seed``.
    * ``val=(X_val, y_val)``, or a fraction such as ``val=0.2`` of the training data split
      off (Keras's ``validation_split``), adds ``val_loss``/``val_accuracy``.
      ``early_stopping=patience`` stops after ``patience`` epochs without a better
      validation loss (without a validation set: the training data loss, evaluated after
      the epoch) and, with ``restore_best``, puts back the weights of the best epoch.
    * ``progress``: a tqdm bar with loss and accuracy (plain lines without tqdm); False
      for silence. ``callback(epoch, history)`` runs after each epoch; returning True stops.
    * ``compile=True``: each step's loss and gradients come from code traced once and replayed
      on the whole batch with NumPy (``nn/compiled.py``); same results as the interpreted path.

    Renamed: ``val_fraction=f`` is ``val=f`` (a DeprecationWarning says so).

    Inside ``no_grad()`` fit trains all the same (each step records its own graph, as
    ``grad`` does); the caller's ``no_grad()`` holds again when it returns.
    """
    val = _renamed_args(renamed, val)
    _check_fit_args(model, optimizer, epochs, batch_size, l1, l2)
    loss_fn = _loss_fn(loss)
    X, y = list(X), list(y)
    if len(X) != len(y):
        raise ValueError(f"{len(X)} examples but {len(y)} labels")
    if isinstance(val, (int, float)) and not isinstance(val, bool):
        fraction = val
        X, y, Xv, yv = train_val_split(X, y, fraction, seed=seed)
        val = (Xv, yv) if fraction else None
        if not X and Xv:
            raise ValueError(f"val={fraction} puts all {len(Xv)} examples in the "
                             "validation set and leaves none to train on; use a smaller "
                             "fraction (e.g. val=0.2)")
    if not X:
        raise ValueError("fit needs at least one training example; X and y are empty")
    _check_labels(loss, y)
    if val is not None:
        val = (list(val[0]), list(val[1]))
        _check_labels(loss, val[1])
    params = model.parameters()
    if optimizer is None:
        optimizer = SGD(params, lr=0.1)
    penalty = _penalty(params, l1, l2)
    entry = _loss_entry(loss)
    has_accuracy = entry is not None and entry.correct is not None
    rng = make_rng(seed)
    history = History(loss_fn=loss_fn)
    stopper = _EarlyStopping(early_stopping, restore_best) if early_stopping is not None else None
    bar = _Progress(epochs, progress)
    with enable_grad():  # fit trains inside no_grad() too (see train_step)
        step = _step_fn(model, loss_fn, optimizer, penalty,
                        _compiled.CompiledLoss(model, loss, params, l2, l1) if compile else None)
    try:
        for epoch in range(epochs):
            history.lr.append(optimizer.lr)
            loader = batches(X, y, batch_size, shuffle=shuffle and batch_size is not None,
                             rng=rng)
            ep_loss, ep_acc = _train_epoch(model, loader, step, loss)
            history.loss.append(ep_loss)
            history.accuracy.append(ep_acc)
            stats = {"loss": ep_loss, "acc": ep_acc}
            if val is not None:
                vl, va = evaluate(model, val[0], val[1], loss)
                history.val_loss.append(vl)
                history.val_accuracy.append(va)
                stats.update(val_loss=vl, val_acc=va)
            if scheduler is not None:
                scheduler.step()
            bar.update(epoch, stats if has_accuracy else
                       {k: v for k, v in stats.items() if "acc" not in k})
            if callback is not None and callback(epoch, history):
                break
            if stopper is not None:
                # without a validation set: the training loss at the weights the epoch ended with
                monitored = history.val_loss[-1] if val is not None else \
                    evaluate(model, X, y, loss)[0]
                if stopper.should_stop(epoch, monitored, model, history):
                    break
    finally:
        bar.close()
    if stopper is not None:
        stopper.restore(model, history)
    return history
