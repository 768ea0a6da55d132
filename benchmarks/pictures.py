"""Picture benchmark: building the DOT (``draw_dot``) and rendering it (``dot -Tsvg``).

Graphs: a chain of 1e5 steps (mul, add, tanh: 3e5 nodes), notebook 5's full-batch loss
(MLP(2, [16, 16, 1]) on 80 moons points, hinge + L2, about 5,800 nodes) and the same MLP's
loss on one example, each drawn with the default options (``max_nodes="auto"`` folds until
the picture fits a notebook column). Medians of ``repeats`` runs; the SVG's width at 100 %
and its size in bytes.

Frames: ``backward_frames(loss, max_frames=None)`` of an MLP's loss on one example with
about 500 nodes (``MLP(3, [18, 18, 1])``: 508 nodes, 508 frames of 508 nodes each), pinned
(one ``dot`` layout for all frames) and not; the quick run uses ``MLP(3, [8, 8, 1])``.
"""

from __future__ import annotations

import re
import shutil
import statistics
import time

from autograd import Value


def _chain(n: int) -> Value:
    y = Value(0.1, "x")
    for _ in range(n):
        y = (y * 0.5 + 0.1).tanh()
    y.label = "y"
    return y


def _mlp_loss(points: int) -> Value:
    import nn

    net = nn.MLP(2, [16, 16, 1], seed=0)
    X, y01 = nn.data.make_moons(80, noise=0.1, seed=0)
    y = nn.data.to_pm1(y01)
    scores = net.forward_batch(X[:points])
    loss = nn.losses.hinge(scores, y[:points]) + 1e-4 * nn.losses.l2_penalty(net.parameters())
    loss.label = "loss"
    loss.backward()
    return loss


def graphs(quick: bool) -> dict:
    n = 10_000 if quick else 100_000
    return {
        f"chain of {n:,} × (mul, add, tanh)": lambda: _chain(n),
        "full-batch loss, 80 points (notebook 5)": lambda: _mlp_loss(80),
        "MLP(2, [16, 16, 1]) loss on one example": lambda: _mlp_loss(1),
    }


def _width_px(svg: str) -> float:
    return float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3


def _frames_loss(hidden: int) -> Value:
    import random

    import nn

    model = nn.MLP(3, [hidden, hidden, 1], rng=random.Random(0))
    loss = (model([1.0, -2.0, 0.5]) - 1.0) ** 2
    loss.label = "loss"
    return loss


def bench_frames(repeats: int, quick: bool = False) -> list[dict]:
    """backward_frames of a ~500-node graph (issue 22 item 10): seconds, medians."""
    from autograd import topological_order
    from autograd.draw import backward_frames

    root = _frames_loss(8 if quick else 18)
    rows = []
    for pin in (False, True) if shutil.which("dot") else (False,):
        times = []
        for _ in range(max(1, min(repeats, 3))):
            t0 = time.perf_counter()
            frames = backward_frames(root, max_frames=None, pin=pin)
            times.append(time.perf_counter() - t0)
        rows.append({"bench": "pictures", "engine": "dagrad", "frames": len(frames),
                     "graph": f"backward_frames, pin={pin}",
                     "nodes": len(topological_order(root)), "build_s": statistics.median(times),
                     "ok": True})
    return rows


def bench_pictures(repeats: int, quick: bool = False) -> list[dict]:
    """One row per graph: nodes, build and render seconds (medians), picture width."""
    from autograd import topological_order
    from autograd.draw import draw_dot

    have_dot = shutil.which("dot") is not None
    rows = []
    for name, make in graphs(quick).items():
        root = make()
        builds, renders, svg, g = [], [], "", None
        for _ in range(repeats):
            t0 = time.perf_counter()
            g = draw_dot(root)
            t1 = time.perf_counter()
            if have_dot:
                svg = g.pipe(format="svg", encoding="utf-8")
            builds.append(t1 - t0)
            renders.append(time.perf_counter() - t1)
        rows.append({
            "bench": "pictures", "engine": "dagrad", "graph": name,
            "nodes": len(topological_order(root)), "build_s": statistics.median(builds),
            "render_s": statistics.median(renders) if have_dot else None,
            "width_px": _width_px(svg) if svg else None, "svg_bytes": len(svg.encode()),
            "boxes": g.source.count(" [label="), "ok": True,
        })
    return rows + bench_frames(repeats, quick)


def markdown(rows: list[dict]) -> list[str]:
    frames = [r for r in rows if "frames" in r]
    rows = [r for r in rows if "frames" not in r]
    if not rows:
        return []
    out = ["", "## Pictures (draw_dot with default options: build the DOT, render it with dot)",
           "", "| graph | nodes | build s | render s | total s | width px | SVG KB |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        render = r["render_s"]
        total = r["build_s"] + (render or 0.0)
        out.append(f"| {r['graph']} | {r['nodes']:,} | {r['build_s']:.2f} | "
                   f"{'no dot' if render is None else f'{render:.2f}'} | {total:.2f} | "
                   f"{r['width_px'] or 0:.0f} | {r['svg_bytes'] / 1e3:.0f} |")
    if frames:
        out += ["", "| frames of an MLP's loss | nodes | frames | seconds |",
                "|---|---:|---:|---:|"]
        out += [f"| {r['graph']} | {r['nodes']:,} | {r['frames']:,} | {r['build_s']:.2f} |"
                for r in frames]
    return out
