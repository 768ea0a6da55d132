"""Matplotlib pictures: loss/accuracy curves, decision boundaries, gradient norms.

matplotlib is optional (``pip install "dagrad[plot]"``); it is imported inside each
function, and a clear ``ImportError`` says how to install it. Each function returns a
``matplotlib.figure.Figure`` (made without pyplot, so no window opens and nothing is
shown twice in a notebook) and, given ``path``, also saves it there atomically.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autograd.saving import atomic_path

from .module import Module

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .train import History

__all__ = ["plot_history", "plot_decision_boundary", "plot_grad_norms", "save_figure",
           "class_colours"]

INSTALL_HINT = 'plots need matplotlib: pip install "dagrad[plot]"'


def _figure(**kwargs) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    return Figure(**kwargs)


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> str:
    """Save ``fig`` to ``path`` (format from the extension), never leaving a partial file."""
    ext = os.path.splitext(os.fspath(path))[1].lstrip(".") or "png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=ext, dpi=dpi, bbox_inches="tight")
    return os.fspath(path)


def plot_history(history: History, path: str | os.PathLike | None = None) -> Figure:
    """Loss (left) and accuracy (right) per epoch, with validation curves when present."""
    fig = _figure(figsize=(9, 3.5))
    ax_loss, ax_acc = fig.subplots(1, 2)
    epochs = range(1, len(history.loss) + 1)
    ax_loss.plot(epochs, history.loss, label="train")
    if history.val_loss:
        ax_loss.plot(epochs[: len(history.val_loss)], history.val_loss, label="validation")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, [100 * a for a in history.accuracy], label="train")
    if history.val_accuracy:
        ax_acc.plot(epochs[: len(history.val_accuracy)],
                    [100 * a for a in history.val_accuracy], label="validation")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy", ylim=(0, 102))
    ax_acc.legend()
    if path is not None:
        save_figure(fig, path)
    return fig


def _grid_scores(model: Module, X: Sequence, steps: int):
    from .train import predict

    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    pad_x = 0.1 * (max(xs) - min(xs)) + 0.25
    pad_y = 0.1 * (max(ys) - min(ys)) + 0.25
    x0, x1 = min(xs) - pad_x, max(xs) + pad_x
    y0, y1 = min(ys) - pad_y, max(ys) + pad_y
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    out = predict(model, [[a, b] for b in gy for a in gx])
    return gx, gy, out


def class_colours(n: int) -> list[str]:
    """One colour per class: ``CLASS_COLOURS`` for two classes, matplotlib's tab10 beyond."""
    from autograd.draw.style import CLASS_COLOURS

    if n <= len(CLASS_COLOURS):
        return list(CLASS_COLOURS[:max(n, 2)])
    from matplotlib import colormaps

    return [colormaps["tab10"](k % 10) for k in range(n)]


def plot_decision_boundary(model: Module, X: Sequence, y: Sequence,
                           path: str | os.PathLike | None = None, steps: int = 80,
                           title: str | None = None) -> Figure:
    """The data points over the model's decision regions on a ``steps``×``steps`` grid.

    One output: class by the sign of the score (threshold 0, as for hinge/logistic/logit
    losses; score < 0 is the first class); several outputs: the argmax. Each class has one
    colour (``CLASS_COLOURS`` for two) in its region and its points, named in the legend.
    """
    from matplotlib.colors import ListedColormap

    fig = _figure(figsize=(5, 4.5))
    ax = fig.subplots()
    gx, gy, out = _grid_scores(model, X, steps)
    labels = sorted(set(y))
    if out and isinstance(out[0], list):
        cls = [max(range(len(o)), key=o.__getitem__) for o in out]
        Z = [cls[j * steps:(j + 1) * steps] for j in range(steps)]
        n = max(cls + [len(labels) - 1, 1]) + 1
        levels = [v - 0.5 for v in range(n + 1)]
    else:  # contour the score itself at 0: a smooth boundary
        # a diverged model's NaN scores stay blank; ±∞ are drawn at the ends of the scale
        finite = [v for v in out if math.isfinite(v)]
        lo, hi = min(finite + [-1.0]), max(finite + [1.0])
        out = [min(max(v, lo), hi) for v in out]  # NaN passes through min/max unchanged
        Z = [out[j * steps:(j + 1) * steps] for j in range(steps)]
        n, levels = 2, [lo - 1, 0.0, hi + 1]
    colours = class_colours(max(n, len(labels)))
    ax.contourf(gx, gy, Z, alpha=0.3, cmap=ListedColormap(colours[:n]), levels=levels)
    ax.contour(gx, gy, Z, levels=levels[1:-1], colors="k", linewidths=0.8)
    for k, lab in enumerate(labels):
        pts = [p for p, v in zip(X, y) if v == lab]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], color=colours[k], s=22,
                   edgecolors="k", linewidths=0.5, label=f"class {lab:+g}" if len(labels) == 2
                   and min(labels) < 0 else f"class {lab:g}")
    ax.legend(loc="best", fontsize=8, framealpha=0.8)
    ax.set(xlabel="x₁", ylabel="x₂", title=title or f"decision boundary of {model!r}")
    ax.title.set_fontsize(9)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_grad_norms(norms: dict[str, float] | Sequence[dict[str, float]],
                    path: str | os.PathLike | None = None, log: bool = True) -> Figure:
    """Gradient norm per layer: a bar chart for one ``grad_norms`` dict, or one line per
    layer over training steps for a list of them (vanishing gradients show as the early
    layers' norms sinking far below the late ones')."""
    fig = _figure(figsize=(6, 3.5))
    ax = fig.subplots()
    if isinstance(norms, dict):
        names = list(norms)
        ax.bar(range(len(names)), [norms[n] for n in names])
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set(ylabel="‖∂L/∂θ‖₂", title="gradient norm per layer")
    else:
        names = list(norms[0]) if norms else []
        for n in names:
            ax.plot([d[n] for d in norms], label=n)
        ax.set(xlabel="step", ylabel="‖∂L/∂θ‖₂", title="gradient norm per layer")
        if names:
            ax.legend(fontsize=8)
    if log:
        ax.set_yscale("log")
    if path is not None:
        save_figure(fig, path)
    return fig
