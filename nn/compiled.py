"""Training through compiled code: ``fit(..., compile=True)``.

The model's loss on ONE example (plus the L2/L1 penalties fit adds) is traced once
(``autograd.compiled.compile_graph``, with the model's parameters, the example's inputs and its
target as the arguments), then every step replays that code on the whole batch at once: the
grouped replay (``batch(..., grouped=True)``), where a layer's units are one matrix product
and its activations one array operation, so a step is a few dozen NumPy calls. One replay
gives the batch's mean objective and its gradient with respect to every parameter, reduced
over the batch (the penalties read only parameters: computed once). ``grouped=False`` replays
a NumPy array per node instead, the penalties compiled on their own. The gradients land in
``p.grad``, so the optimiser's step is the interpreted path's, unchanged.

This needs a per-example graph that is the same for every example: ``Dropout`` and
``BatchNorm`` in training mode, and losses whose graph depends on the target (``bce`` clamps
log p, ``cross_entropy`` picks a logit by class index), are refused with a clear error.
ReLU and the other data-dependent ops stay data-dependent in the compiled code; a model or loss
that reads a Value's number while tracing gets a guard, and a batch whose examples would take
another branch raises ``GuardError`` (use compile=False for such a model). Inputs the
interpreted path refuses (strings, complex numbers) are refused with its own error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from autograd import Value, no_grad
from autograd.compiled import compile_graph
from autograd.compiled.guards import recording

from . import losses as _losses
from .layers import BatchNorm, Dropout
from .module import Module

SUPPORTED = _losses.COMPILABLE  # the LOSSES entries with compile=True, read live


def check_model(model: Module) -> None:
    for name, m in model.named_modules():
        if isinstance(m, BatchNorm) or isinstance(m, Dropout) and m.p > 0:
            raise ValueError(
                f"compile=True traces the loss of one example and replays it on the batch, but "
                f"{type(m).__name__} ({name or 'the model'}) treats examples differently in "
                "training mode; use compile=False for this model")


class CompiledLoss:
    """The mean loss of a batch (+ penalties) and its parameter gradients, from one replay.

    ``step(X, y)`` writes each parameter's gradient into ``p.grad`` and returns
    ``(loss, outputs)``: the loss as a float and the model's outputs (floats) for accuracy.
    """

    def __init__(self, model: Module, loss: str | Callable, params: Sequence[Value],
                 l2: float = 0.0, l1: float = 0.0, grouped: bool = True) -> None:
        if loss not in SUPPORTED:
            raise ValueError(
                f"compile=True supports the losses {', '.join(SUPPORTED)}, got {loss!r}: its "
                "graph must be the same for every example (use bce_with_logits for bce; "
                "compile=False for cross_entropy or a callable loss)")
        check_model(model)
        self.model, self.loss_fn = model, _losses.LOSSES[loss]
        self.params = list(params)
        self.fn = None
        self.grouped = grouped
        self.penalties = []  # (weight, penalty): in the traced graph when grouped
        self.compiled_penalties = []  # else each compiled on its own, replayed on floats
        for weight, penalty in ((l2, _losses.l2_penalty), (l1, _losses.l1_penalty)):
            if weight:
                self.penalties.append((weight, penalty))
                if not grouped:
                    term = weight * penalty(self.params)
                    self.compiled_penalties.append(compile_graph(term, {"params": self.params},
                                                                 name="penalty"))

    def trace(self, x0: Sequence[float], y0: float) -> None:
        """Trace the loss of one example: parameters, inputs and target are the arguments."""
        xs = [Value(float(v), f"x[{j}]") for j, v in enumerate(x0)]
        y = Value(float(y0), "y")
        with recording() as rec:  # the model's or loss's reads of numbers become guards
            out = self.model(xs)
            if not isinstance(out, Value):
                raise ValueError("compile=True supports models with one output (a Value per "
                                 "example) for these losses")
            term = self.loss_fn([out], [y], reduction="sum")
            if self.grouped:  # the batch's mean of (loss + penalties) is fit's objective;
                # the penalties read only parameters, so the code computes them once
                for weight, penalty in self.penalties:
                    term = term + weight * penalty(self.params)
        self.fn = compile_graph(term, {"params": self.params, "x": xs, "y": y},
                                aux=[out], name="example_loss", guards=rec.guards)

    def _check_inputs(self, X) -> None:
        """Inputs the interpreted path refuses (strings, complex numbers …) are refused with
        its own error: the model is run, interpreted, on the first such example."""
        import numpy as np

        try:
            if np.asarray(X).dtype.kind in "biuf":  # the usual case: one check
                return
        except ValueError:  # ragged rows: checked one by one below
            pass
        arr = np.asarray(X, dtype=object)
        for row in arr.reshape(len(arr), -1).tolist():
            if not all(isinstance(v, (int, float)) or type(v).__module__ == "numpy" and
                       np.isrealobj(v) for v in row):
                with no_grad():
                    self.model(list(row))  # raises the interpreted path's error
                raise TypeError(f"compile=True needs real numbers as features, got {row!r:.80}")

    def step(self, X: Sequence, y: Sequence) -> tuple[float, list[float]]:
        import numpy as np

        self._check_inputs(X)
        X = np.asarray(X, dtype=float)
        if self.fn is None:
            self.trace(X[0], y[0])
        w = np.array([p.data for p in self.params])
        loss, grads, (out,) = self.fn.batch(w, X, np.asarray(y, dtype=float),
                                            grouped=self.grouped)
        for pen in self.compiled_penalties:
            value, g = pen(w)
            loss = loss + value
            grads = grads + np.asarray(g)
        for p, g in zip(self.params, grads.tolist(), strict=True):
            p.grad = g
        return loss, out.tolist()


__all__ = ["CompiledLoss", "SUPPORTED", "check_model"]
