"""The main job: ``python -m nn`` (console script ``dagrad-train``).

Trains micrograd's demo: ``MLP(2, [16, 16, 1])`` on 100 noisy two-moons points with the SVM
max-margin loss mean(relu(1 − y·score)) + 1e-4·Σw², full-batch SGD with micrograd's
learning-rate decay η_k = 1 − 0.9·k/steps over 100 steps, prints progress and the final
training accuracy, then writes to the output folder (default ``out/``):

* ``decision_boundary.png``: the data over the learned decision regions (needs matplotlib);
* ``neuron.svg``: the graph of one first-layer neuron on one example with the gradients
  of its output (needs Graphviz's ``dot``);
* ``model.json``: the trained weights (``model.load(path)`` reads them back);
* ``explorer.html``: the run replayed in any browser, no kernel or network needed: loss and
  accuracy curves, decision boundary, gradient norms and the graph of the first point, one
  slider for all (``nn.record.Recorder`` and ``autograd.draw.explorer.training_page``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Sequence

from . import data as _data
from . import optim as _optim
from .activations import ACTIVATIONS
from .layers import MLP, Neuron
from .losses import LOSSES
from .module import StateDictError
from .record import Recorder
from .train import evaluate, fit

# With micrograd's exact recipe (100 SGD steps, lr 1 → 0.1) seeds 1-11 reach 100 % training
# accuracy on the moons; seed 0 stops at 99 % (one point), so the default is 1.
DEFAULT_SEED = 1


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 16,16, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError("layer sizes must be positive")
    return sizes


class _Defaults(argparse.HelpFormatter):
    """Show "(default: …)" after each option's help, except where the default is None."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, argparse.SUPPRESS, False) and action.option_strings:
            text += " (default: %(default)s)"
        return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m nn",
        description="Train micrograd's demo network MLP(2, [16, 16, 1]) on a 2-D toy data set "
        "with the max-margin (hinge) loss, then write a decision-boundary plot (PNG), the "
        "graph of one neuron with its gradients (SVG), the weights (JSON) and the run "
        "replayed in a page for any browser (explorer.html).",
        formatter_class=_Defaults,
    )
    p.add_argument("--dataset", choices=sorted(_data.DATASETS), default="moons",
                   help="2-D data set, generated with the seed")
    p.add_argument("--samples", type=int, default=100, help="number of points")
    p.add_argument("--noise", type=float, default=0.1, help="std of the Gaussian noise")
    p.add_argument("--hidden", type=_sizes, default="16,16",
                   help="hidden layer sizes, comma separated")
    # Choices come from the tables, so a registered activation or loss is offered here.
    p.add_argument("--activation", choices=[a for a in ACTIVATIONS if a != "linear"],
                   default="relu", help="hidden-layer activation")
    p.add_argument("--loss", choices=[n for n, e in LOSSES.items() if e.classes is not None],
                   default="hinge", help="hinge = micrograd's max-margin loss")
    p.add_argument("--optimizer", choices=sorted(_optim.OPTIMIZERS), default="sgd",
                   help="an nn.optim optimiser")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: 1.0 for sgd, with micrograd's decay "
                   "1 - 0.9*k/steps; 0.05 for adam/adamw/rmsprop/adagrad; 1.0 for adadelta)")
    p.add_argument("--steps", type=int, default=100, help="training steps (epochs)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: "
                   "the full batch, one step per epoch)")
    p.add_argument("--l2", type=float, default=1e-4, help="L2 penalty weight")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help="seed for the data, the initial weights and the batches")
    p.add_argument("--out", default="out", help="output folder")
    p.add_argument("--quiet", action="store_true", help="print only errors and the summary")
    return p


def _check_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Reject nonsense before any training, with argparse's usage line and exit code 2."""
    if args.steps < 1:
        p.error(f"argument --steps: must be >= 1, got {args.steps}")
    if args.samples < 4:
        p.error(f"argument --samples: must be >= 4, got {args.samples}")
    if args.batch_size is not None and args.batch_size < 1:
        p.error(f"argument --batch-size: must be >= 1, got {args.batch_size}")
    for flag, value in (("--lr", args.lr), ("--noise", args.noise), ("--l2", args.l2)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            p.error(f"argument {flag}: must be a finite number >= 0, got {value}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        p.error(f"argument --out: {args.out!r} is an existing file; the output is a folder "
                "(give a new or existing folder)")


def write_neuron_svg(model: MLP, x: Sequence[float], path: str) -> str:
    """Draw one first-layer neuron's graph on input ``x`` after ``backward`` of its output
    (a neuron active on x, so its gradients are not all 0) to the SVG file ``path``
    (written atomically). Returns the neuron's name. The model's ``.grad``s are restored."""
    from autograd.draw import draw_dot, save  # needs the graphviz package and `dot`

    layer = model.layers[0]
    neuron: Neuron = next((n for n in layer.neurons if n.preactivation(x).data > 0),
                          layer.neurons[0])
    params = neuron.parameters()
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    out = neuron(x)
    out.backward()
    try:
        inputs = ", ".join(f"{v:.3f}" for v in x)
        graph = draw_dot(out, edge_labels="local",
                         caption=f"{neuron.name} on x = ({inputs}); grad = ∂out/∂node")
        save(graph, path, fmt="svg")
    finally:
        for p, g in zip(params, saved, strict=True):
            p.grad = g
    return neuron.name


def _first_bad(losses: Sequence[float], final: float) -> str:
    """The first non-finite loss, with its epoch ('nan at epoch 3')."""
    for epoch, v in enumerate(losses):
        if not math.isfinite(v):
            return f"{v} at epoch {epoch + 1}"
    return f"{final} after the last epoch"


def _say(quiet: bool, *args) -> None:
    if not quiet:
        print(*args, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the main job; returns the process exit code (0 on success)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_args(parser, args)
    t_start = time.perf_counter()
    make = _data.DATASETS[args.dataset]
    X, y01 = make(args.samples, noise=args.noise, seed=args.seed)
    if len(set(y01)) > 2:
        print("error: the main job trains a binary classifier", file=sys.stderr)
        return 2
    negative, positive = LOSSES[args.loss].classes  # the labels this loss wants
    y = [positive if c == 1 else negative for c in y01]

    model = MLP(2, [*args.hidden, 1], activation=args.activation, seed=args.seed)
    params = model.parameters()
    opt_cls = _optim.OPTIMIZERS[args.optimizer]
    lr = args.lr
    if lr is None:
        lr = 1.0 if args.optimizer in ("sgd", "adadelta") else 0.05
    optimizer = opt_cls(params, lr=lr)
    steps = args.steps
    scheduler = None
    if args.optimizer == "sgd":  # micrograd's decay: 1.0 → 0.1 over the run
        scheduler = _optim.LambdaLR(optimizer, lambda k: 1.0 - 0.9 * k / steps)
    decay = f" with micrograd's decay lr·(1 - 0.9·k/{steps})" if scheduler else ""
    _say(args.quiet, f"training {model!r} ({len(params)} parameters) on {len(X)} "
         f"{args.dataset} points: {args.loss} loss + {args.l2:g}·L2, {optimizer!r}{decay}, "
         f"{steps} full-batch steps, seed {args.seed}" if args.batch_size is None else
         f"training {model!r} ({len(params)} parameters) on {len(X)} {args.dataset} points: "
         f"{args.loss} loss + {args.l2:g}·L2, {optimizer!r}{decay}, {steps} epochs of "
         f"batches of {args.batch_size}, seed {args.seed}")
    recorder = Recorder(model, X, y, max_steps=100)  # replays fit's loss
    history = fit(model, X, y, loss=args.loss, optimizer=optimizer, epochs=steps,
                  batch_size=args.batch_size, scheduler=scheduler, l2=args.l2,
                  seed=args.seed, progress=not args.quiet, callback=recorder)
    t_train = time.perf_counter() - t_start
    loss, acc = evaluate(model, X, y, args.loss)
    print(f"trained {history.epochs} epochs in {t_train:.1f} s "
          f"({1000 * t_train / history.epochs:.0f} ms per epoch): "
          f"training accuracy {100 * acc:.1f} % (data loss {loss:.4f})", flush=True)
    if not all(math.isfinite(v) for v in (loss, *history.loss)):
        print(f"the training diverged: the loss became {_first_bad(history.loss, loss)}; "
              "the steps were too large for this loss surface (try a smaller --lr or "
              "--l2). The outputs show the diverged model.", flush=True)

    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    problems = []

    path = os.path.join(out_dir, "model.json")
    try:
        model.save(path)
        written.append(path)
    except StateDictError:  # a diverged model: a model file holds finite numbers only
        stale = "; the model.json already there is from an earlier run" \
            if os.path.exists(path) else ""
        problems.append("no model.json: the weights diverged and are not finite numbers "
                        f"(a model file holds finite numbers only){stale}")

    path = os.path.join(out_dir, "decision_boundary.png")
    try:
        from .plot import plot_decision_boundary

        plot_decision_boundary(model, X, y, path=path,
                               title=f"{model!r}, {args.dataset}: "
                               f"{100 * acc:.0f} % training accuracy")
        written.append(path)
    except ImportError as e:
        problems.append(f"no decision-boundary plot: {e}")

    path = os.path.join(out_dir, "neuron.svg")
    try:
        import graphviz

        try:
            name = write_neuron_svg(model, X[0], path)
            written.append(path)
            _say(args.quiet, f"neuron picture: {name} on the first example, with the "
                 "gradients of its output")
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as e:
            problems.append(f"no neuron picture: Graphviz's dot is missing or failed ({e}); "
                            "install it: apt-get install graphviz / brew install graphviz")
    except ImportError as e:
        problems.append(f"no neuron picture: {e} (pip install graphviz)")

    path = os.path.join(out_dir, "explorer.html")
    try:
        import graphviz

        from autograd.draw.explorer import training_page

        try:
            training_page(recorder).save(path)
            written.append(path)
            _say(args.quiet, f"explorer: open {path} in a browser ({recorder.note})")
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as e:
            problems.append(f"no explorer page: Graphviz's dot is missing or failed ({e})")
    except ImportError as e:
        problems.append(f"no explorer page: {e} (pip install graphviz)")

    print(f"wrote to {out_dir}:", flush=True)
    for p in written:
        print(f"  {os.path.basename(p)}", flush=True)
    for msg in problems:
        print(f"warning: {msg}", file=sys.stderr, flush=True)
    _say(args.quiet, f"done in {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
