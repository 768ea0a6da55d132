"""Toy 2-D data sets, generated here (seeded; no download, no scikit-learn), and batching.

Every generator returns ``(X, y)``: X a list of ``[x1, x2]`` float lists, y a list of int
class labels (0/1, or 0…k−1 for ``make_spiral`` with k classes), shuffled. Labels map to
{−1, 1} for the hinge and logistic losses with ``to_pm1``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence

from .init import make_rng

__all__ = ["make_moons", "make_circles", "make_spiral", "make_xor", "to_pm1",
           "train_val_split", "batches", "DATASETS"]


def _linspace(a: float, b: float, n: int) -> list[float]:
    if n == 1:
        return [a]
    return [a + (b - a) * i / (n - 1) for i in range(n)]


def _finish(points: list, labels: list, noise: float, r: random.Random):
    X = [[x1 + r.gauss(0.0, noise), x2 + r.gauss(0.0, noise)] if noise else [x1, x2]
         for x1, x2 in points]
    order = list(range(len(X)))
    r.shuffle(order)
    return [X[i] for i in order], [labels[i] for i in order]


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0, *,
               rng: random.Random | None = None) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles (scikit-learn's construction): class 0 on
    (cos t, sin t), class 1 on (1 − cos t, 1/2 − sin t), t ∈ [0, π]; Gaussian noise of
    std ``noise`` added to each coordinate."""
    r = make_rng(None if rng is not None else seed, rng)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    pts = [(math.cos(t), math.sin(t)) for t in _linspace(0, math.pi, n_out)]
    pts += [(1 - math.cos(t), 0.5 - math.sin(t)) for t in _linspace(0, math.pi, n_in)]
    return _finish(pts, [0] * n_out + [1] * n_in, noise, r)


def make_circles(n_samples: int = 100, noise: float = 0.05, factor: float = 0.5,
                 seed: int | None = 0, *, rng: random.Random | None = None):
    """A large circle (class 0, radius 1) around a small one (class 1, radius ``factor``)."""
    if not 0 < factor < 1:
        raise ValueError("factor must be between 0 and 1")
    r = make_rng(None if rng is not None else seed, rng)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    ts_out = [2 * math.pi * i / n_out for i in range(n_out)]
    ts_in = [2 * math.pi * i / n_in for i in range(n_in)]
    pts = [(math.cos(t), math.sin(t)) for t in ts_out]
    pts += [(factor * math.cos(t), factor * math.sin(t)) for t in ts_in]
    return _finish(pts, [0] * n_out + [1] * n_in, noise, r)


def make_spiral(n_samples: int = 100, noise: float = 0.1, n_classes: int = 2,
                seed: int | None = 0, *, rng: random.Random | None = None):
    """``n_classes`` interleaved spiral arms (the CS231n spiral): for class k, radius
    ρ ∈ [0, 1] and angle 4ρ + 2πk/n_classes (about one turn); labels 0…n_classes−1."""
    r = make_rng(None if rng is not None else seed, rng)
    pts, labels = [], []
    for k in range(n_classes):
        n = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        for rho in _linspace(0.0, 1.0, n):
            t = 4.0 * rho + 2 * math.pi * k / n_classes
            pts.append((rho * math.sin(t), rho * math.cos(t)))
            labels.append(k)
    return _finish(pts, labels, noise, r)


def make_xor(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0, *,
             rng: random.Random | None = None):
    """Points around the four corners (±1, ±1); class 1 where the signs differ (x1·x2 < 0)."""
    r = make_rng(None if rng is not None else seed, rng)
    corners = [(-1.0, -1.0), (-1.0, 1.0), (1.0, 1.0), (1.0, -1.0)]  # classes 0, 1, 0, 1
    pts = [corners[i % 4] for i in range(n_samples)]
    labels = [0 if a * b > 0 else 1 for a, b in pts]
    return _finish(pts, labels, noise, r)


DATASETS = {"moons": make_moons, "circles": make_circles, "spiral": make_spiral,
            "xor": make_xor}


def to_pm1(y: Sequence[int]) -> list[int]:
    """Labels {0, 1} → {−1, 1} (for ``hinge`` and ``logistic``): y ↦ 2y − 1."""
    bad = {v for v in y if v not in (0, 1)}
    if bad:
        raise ValueError(f"to_pm1 maps labels 0/1 to -1/1, got {sorted(bad)[:5]}")
    return [2 * int(v) - 1 for v in y]


def train_val_split(X: Sequence, y: Sequence, val_fraction: float = 0.2,
                    seed: int | None = 0, *, rng: random.Random | None = None):
    """Shuffle and split into ``(X_train, y_train, X_val, y_val)``; the validation part
    has round(val_fraction·n) examples (at least 1 when val_fraction > 0)."""
    if len(X) != len(y):
        raise ValueError(f"{len(X)} examples but {len(y)} labels")
    if not 0 <= val_fraction < 1:
        raise ValueError("val_fraction must be in [0, 1)")
    r = make_rng(None if rng is not None else seed, rng)
    idx = list(range(len(X)))
    r.shuffle(idx)
    n_val = max(1, round(val_fraction * len(X))) if val_fraction > 0 else 0
    val, tr = idx[:n_val], idx[n_val:]
    return [X[i] for i in tr], [y[i] for i in tr], [X[i] for i in val], [y[i] for i in val]


def batches(X: Sequence, y: Sequence, batch_size: int | None = None, shuffle: bool = True,
            seed: int | None = None, *, rng: random.Random | None = None
            ) -> Iterator[tuple[list, list]]:
    """Mini-batches ``(X_batch, y_batch)`` covering the data once (the last may be smaller).
    ``batch_size=None``: one full batch. ``shuffle`` draws a new order from seed/rng."""
    if len(X) != len(y):
        raise ValueError(f"{len(X)} examples but {len(y)} labels")
    n = len(X)
    idx = list(range(n))
    if shuffle:
        make_rng(seed, rng).shuffle(idx)
    bs = n if batch_size is None else int(batch_size)
    if bs < 1:
        raise ValueError("batch_size must be at least 1")
    for start in range(0, n, bs):
        part = idx[start:start + bs]
        yield [X[i] for i in part], [y[i] for i in part]
