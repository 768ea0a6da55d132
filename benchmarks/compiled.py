"""Compiled replay (``autograd.compile``): micrograd's demo step through the generated code, and
how tracing, compiling and replaying grow with the graph's size.

Two demo engines, registered in ``runner.demo_engines``:

* ``dagrad compiled (floats)``: the whole demo loss (100 examples, hinge + 1e-4·L2) traced once
  as one graph, replayed on floats with the standard library only: the interpreted step's
  forward + backward as straight-line code.
* ``dagrad compiled (batched)``: the loss of ONE example traced once, replayed on the batch
  with NumPy (an array of 100 per node); the L2 penalty compiled on its own and added.

Both take the parameters as a vector and update it with the demo's SGD schedule, so no Value
is made per step. Their losses are compared with dagrad's at every step, as for every engine.
"""

from __future__ import annotations

import math
import statistics
import time

from .engines import ALPHA, SIZES, learning_rate


def _model(weights: list):
    import nn

    model = nn.MLP(SIZES[0], SIZES[1])
    for layer, wlayer in zip(model.layers, weights, strict=True):
        for neuron, (ws, b) in zip(layer.neurons, wlayer, strict=True):
            for v, w in zip(neuron.w, ws, strict=True):
                v.data = w
            neuron.b.data = b
    return model


class CompiledFloatDemo:
    """The full-batch demo loss compiled once; each step replays it on floats."""

    name = "dagrad compiled (floats)"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import nn
        from autograd import Value
        from autograd.compiled import compile_graph

        model = _model(weights)
        params = model.parameters()
        xs = [[Value(v, f"X[{i}][{j}]") for j, v in enumerate(row)] for i, row in enumerate(X)]
        ys = [Value(float(t), f"y[{i}]") for i, t in enumerate(y)]
        t0 = time.perf_counter()
        loss = (nn.losses.hinge(model.forward_batch(xs), ys)
                + ALPHA * nn.losses.l2_penalty(params))
        self.trace_seconds = time.perf_counter() - t0
        self.fn = compile_graph(loss, {"params": params, "X": [v for r in xs for v in r],
                                       "y": ys}, name="demo_loss")
        self.w = [p.data for p in params]
        self.X = [v for row in X for v in row]
        self.y = [float(t) for t in y]

    def step(self, k: int) -> float:
        value, g = self.fn(self.w, self.X, self.y)
        lr = learning_rate(k)
        self.w = [w - lr * gi for w, gi in zip(self.w, g)]
        return value


class CompiledBatchedDemo:
    """The loss of one example compiled once; each step replays it on the batch (NumPy), an
    array per node; the L2 penalty compiled on its own and replayed on floats."""

    name = "dagrad compiled (batched)"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import numpy as np

        import nn

        model = _model(weights)
        self.loss = nn.compiled.CompiledLoss(model, "hinge", model.parameters(), l2=ALPHA,
                                             grouped=False)
        self.loss.trace(X[0], y[0])
        self.fn, (self.penalty,) = self.loss.fn, self.loss.compiled_penalties
        self.w = np.array([p.data for p in model.parameters()])
        self.X, self.y = np.array(X, dtype=float), np.array(y, dtype=float)

    def step(self, k: int) -> float:
        value, g, _ = self.fn.batch(self.w, self.X, self.y)
        pen, gp = self.penalty(self.w)
        self.w -= learning_rate(k) * (g + gp)
        return value + pen


class CompiledGroupedDemo:
    """What ``fit(compile=True)`` replays: the loss of one example + the L2 penalty traced
    once, grouped (a layer one matrix product), replayed on the batch."""

    name = "dagrad compiled (grouped)"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import numpy as np

        import nn

        model = _model(weights)
        self.loss = nn.compiled.CompiledLoss(model, "hinge", model.parameters(), l2=ALPHA)
        self.loss.trace(X[0], y[0])
        self.fn = self.loss.fn
        self.w = np.array([p.data for p in model.parameters()])
        self.X, self.y = np.array(X, dtype=float), np.array(y, dtype=float)

    def step(self, k: int) -> float:
        value, g, _ = self.fn.batch(self.w, self.X, self.y, grouped=True)
        self.w -= learning_rate(k) * g
        return value


class NumpyDemo:
    """The demo step written by hand in NumPy, backward pass derived on paper: the reference
    for what a grouped replay could reach (no engine, no checks, no graph)."""

    name = "numpy by hand"

    def __init__(self, weights: list, X: list, y: list) -> None:
        import numpy as np

        self.np = np
        self.W = [np.array([ws for ws, _ in layer]) for layer in weights]
        self.b = [np.array([b for _, b in layer]) for layer in weights]
        self.X, self.y = np.array(X, dtype=float), np.array(y, dtype=float)

    def step(self, k: int) -> float:
        np, W, b = self.np, self.W, self.b
        hs, h = [self.X.T], self.X.T  # activations as (units, examples)
        for i in range(len(W)):
            z = W[i] @ h + b[i][:, None]
            h = np.maximum(z, 0.0) if i < len(W) - 1 else z
            hs.append(h)
        margin = 1.0 - self.y * h[0]
        n = len(self.y)
        loss = np.maximum(margin, 0.0).sum() / n + ALPHA * sum((w * w).sum() + (c * c).sum()
                                                               for w, c in zip(W, b))
        g = np.where(margin > 0, -self.y / n, 0.0)[None, :]  # ∂L/∂z of the output layer
        lr = learning_rate(k)
        for i in reversed(range(len(W))):
            gW, gb = g @ hs[i].T + 2 * ALPHA * W[i], g.sum(axis=1) + 2 * ALPHA * b[i]
            if i:
                g = (W[i].T @ g) * (hs[i] > 0)
            W[i] -= lr * gW
            b[i] -= lr * gb
        return float(loss)


def demo_rows() -> list[tuple[str, type, bool]]:
    """(row name, demo class, gc off?) for runner.demo_engines."""
    return [(CompiledFloatDemo.name, CompiledFloatDemo, False),
            (CompiledBatchedDemo.name, CompiledBatchedDemo, False),
            (CompiledGroupedDemo.name, CompiledGroupedDemo, False),
            (NumpyDemo.name, NumpyDemo, False)]


# --- growth with the graph's size -------------------------------------------------------------
def tanh_mlp_graph(nodes: int):
    """A loss of about ``nodes`` nodes: a chain of layers of 8 tanh units over 8 inputs
    (each unit a dot node + tanh), summed at the end. Returns (f, example arguments)."""
    import autograd

    width = 8
    layers = max(1, nodes // (2 * width))

    def f(w, x):
        h = x
        for layer in range(layers):
            base = (layer % 4) * width * width  # 4 weight blocks, reused: a DAG, not a tree
            h = [autograd.dot(w[base + i * width: base + (i + 1) * width], h).tanh()
                 for i in range(width)]
        return autograd.sum(h)

    w = [math.sin(i) * 0.3 for i in range(4 * width * width)]
    x = [math.cos(i) for i in range(width)]
    return f, (w, x)


def growth_child(nodes: int, repeats: int) -> dict:
    """One size, measured in this (fresh) process: trace + compile once, split into its parts,
    the process's peak memory (RSS) right after, then the interpreted step (build + backward)
    against the compiled float replay, interleaved, medians, and their results compared."""

    import autograd

    f, args = tanh_mlp_graph(nodes)
    t0 = time.perf_counter()
    fn = autograd.compile(f, *args)
    _ = fn.source  # the float code is written on first use: here, inside the one-off cost
    setup = time.perf_counter() - t0
    peak = peak_mb()
    interp, comp = [], []
    want = got = None
    for r in range(-1, max(1, repeats)):
        t1 = time.perf_counter()
        w = [autograd.Value(v) for v in args[0]]
        out = f(w, args[1])
        out.backward()
        t2 = time.perf_counter()
        got = fn(*args)
        t3 = time.perf_counter()
        want = (out.data, [v.grad for v in w])
        del out, w
        if r >= 0:
            interp.append(t2 - t1)
            comp.append(t3 - t2)
    ok = got[0] == want[0] and got[1] == want[1]
    return {"bench": "compile", "engine": "dagrad compiled (floats)", "nodes": fn.nodes,
            "setup": setup, **{k: v for k, v in fn.timings.items() if k != "group"},
            "peak_mb": peak, "interpreted": statistics.median(interp),
            "compiled": statistics.median(comp), "source_lines": fn.source.count("\n"),
            "ok": ok, "error": "" if ok else "compiled result differs from the engine's"}


def peak_mb() -> float:
    """This process's peak resident memory in MiB: Linux's VmHWM, which starts afresh at exec
    (ru_maxrss keeps the parent's peak across fork and exec: the benchmark process's, with
    PyTorch loaded, was 1.1 GB), else ru_maxrss."""
    import resource

    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


GROUPED_BATCH = 8  # examples of the grouped growth rows' replay


def grouped_child(nodes: int, repeats: int) -> dict:
    """One size in this (fresh) process, the grouped replay: trace, group, write and compile
    the grouped code (the float code is never written), the peak memory, then one batched
    step (8 examples) against the interpreted engine on each, and its gradient compared."""

    import numpy as np

    import autograd

    f, (w, x) = tanh_mlp_graph(nodes)
    batch = GROUPED_BATCH if nodes < 500_000 else 2  # the interpreted side: minutes at 1e6
    repeats = repeats if nodes < 50_000 else 1
    xs = np.array([[math.cos(i * (k + 1) + 0.1 * k) for i in range(len(x))]
                   for k in range(batch)])
    t0 = time.perf_counter()
    fn = autograd.compile(f, w, x)
    fn._grouped_code((False, True))  # what the first fn.batch(w, xs, grouped=True) does
    setup = time.perf_counter() - t0
    peak = peak_mb()
    interp, comp = [], []
    for r in range(-1, max(1, repeats)):
        t1 = time.perf_counter()
        ws = [autograd.Value(v) for v in w]
        total = autograd.sum([f(ws, row) for row in xs.tolist()])
        total.backward()
        t2 = time.perf_counter()
        value, grads = fn.batch(w, xs, reduce="sum", grouped=True)
        t3 = time.perf_counter()
        want = np.array([v.grad for v in ws])
        if r >= 0:
            interp.append(t2 - t1)
            comp.append(t3 - t2)
    scale = float(np.max(np.abs(want)))  # deep enough, tanh's gradients underflow to 0
    diff = float(np.max(np.abs(grads - want)))
    dev = diff / scale if scale else diff
    t = fn.timings
    return {"bench": "compile grouped", "engine": "dagrad compiled (grouped)",
            "nodes": fn.nodes, "setup": setup, "trace": t["trace"], "order": t["order"],
            "group": t["group"], "emit_compile": t["grouped emit+compile"],
            "groups": len(fn.groups), "peak_mb": peak, "batch": batch,
            "interpreted": statistics.median(interp),
            "compiled": statistics.median(comp), "max_rel_dev": dev, "ok": dev <= 1e-12,
            "error": "" if dev <= 1e-12 else f"gradient differs by {dev:.1e} (relative)"}


def _in_child(nodes: int, repeats: int, timeout: float, child: str = "growth_child") -> dict:
    """``growth_child`` (or ``grouped_child``) in a fresh interpreter, so that its peak memory
    is its own."""
    import json
    import os
    import subprocess
    import sys

    code = (f"import json, sys; from benchmarks.compiled import {child}; "
            f"print(json.dumps({child}({int(nodes)}, {int(repeats)})))")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=root, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"bench": "compile", "engine": "dagrad compiled (floats)", "nodes": nodes,
                "ok": False, "error": f"did not finish in {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ["?"])[-1][:200]
        return {"bench": "compile", "engine": "dagrad compiled (floats)", "nodes": nodes,
                "ok": False, "error": f"failed: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_growth(sizes: list[int], repeats: int, budget: float = 60.0) -> list[dict]:
    """Per size, in a fresh subprocess: the one-off cost by phase, peak memory, and the
    interpreted step against the compiled replay, for the float code (``growth_child``) and
    the grouped code (``grouped_child``)."""
    return (_grow(sizes, repeats, budget, "growth_child", "compile", "dagrad compiled (floats)")
            + _grow(sizes, repeats, budget, "grouped_child", "compile grouped",
                    "dagrad compiled (grouped)"))


def _grow(sizes: list[int], repeats: int, budget: float, child: str, bench: str,
          engine: str) -> list[dict]:
    """``child`` per size; a size is skipped when the previous one suggests it would take
    more than ``budget`` seconds to compile (a result, not a failure of the run)."""
    rows, last = [], None
    for nodes in sizes:
        guess = None if last is None else last["setup"] * nodes / last["nodes"]
        if guess is not None and guess > budget:
            rows.append({"bench": bench, "engine": engine, "nodes": nodes, "ok": True,
                         "skipped": f"skipped: about {guess:.0f} s to compile (over "
                                    f"{budget:.0f} s)"})
            continue
        row = _in_child(nodes, repeats, 10 * budget + 60, child)
        row.update(bench=bench, engine=engine)
        rows.append(row)
        if "setup" in row:
            last = row
    return rows


# --- the report ---------------------------------------------------------------------------------
def markdown(rows: list[dict]) -> list[str]:
    growth = [r for r in rows if r["bench"] == "compile"]
    if not growth:
        return []
    out = ["", "## Compiled replay as the graph grows (a tanh MLP loss; floats)", "",
           "Each size in a fresh process. Trace: f on Values once; order: topological sort and "
           "names; emit: writing the code; compile: CPython compiling it; µs/node: the one-off "
           "total per node; peak MB: the process's peak RSS after compiling (Python, the graph "
           "and the code). Then one step, interpreted (build + backward) against the compiled "
           "replay (same process, interleaved, medians).", "",
           "| nodes | trace s | order s | emit s | compile s | one-off total s | µs/node | "
           "peak MB | interpreted step s | compiled step s | speed-up | break-even steps | "
           "status |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in growth:
        if "setup" not in r:
            why = r.get("skipped") or r.get("error", "?")
            out.append(f"| {r['nodes']:,} |{' – |' * 11} {why} |")
            continue
        speed = r["interpreted"] / r["compiled"]
        even = r["setup"] / max(r["interpreted"] - r["compiled"], 1e-12)
        out.append(f"| {r['nodes']:,} | {r['trace']:.3f} | {r['order']:.3f} | {r['emit']:.3f} | "
                   f"{r['compile']:.3f} | {r['setup']:.3f} | {r['setup'] / r['nodes'] * 1e6:.1f} "
                   f"| {r['peak_mb']:.0f} | {r['interpreted']:.5f} | {r['compiled']:.5f} | "
                   f"{speed:.1f}× | {even:.0f} | {'ok' if r['ok'] else r['error']} |")
    return out


def grouped_markdown(rows: list[dict]) -> list[str]:
    growth = [r for r in rows if r["bench"] == "compile grouped"]
    if not growth:
        return []
    out = ["", "## Grouped replay as the graph grows (the same tanh MLP loss)", "",
           "Each size in a fresh process; the float code is never written. Trace and order as "
           "above; group: finding the groups; emit + compile: writing the grouped code and "
           "CPython compiling it (past 30,000 lines, compiling each shape of statement once: "
           f"``lines.Program``). Then one step on a batch of {GROUPED_BATCH} examples (2 "
           "from 500,000 nodes), interpreted (build + backward of each) against the grouped "
           "replay, medians (one run from 50,000 nodes), and the largest gradient difference "
           "relative to the largest gradient.", "",
           "| nodes | groups | trace s | order s | group s | emit + compile s | one-off total s "
           "| µs/node | peak MB | batch | interpreted step s | grouped step s | speed-up | "
           "gradient deviation | status |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in growth:
        if "setup" not in r:
            why = r.get("skipped") or r.get("error", "?")
            out.append(f"| {r['nodes']:,} |{' – |' * 13} {why} |")
            continue
        out.append(f"| {r['nodes']:,} | {r['groups']:,} | {r['trace']:.3f} | {r['order']:.3f} | "
                   f"{r['group']:.3f} | {r['emit_compile']:.3f} | {r['setup']:.3f} | "
                   f"{r['setup'] / r['nodes'] * 1e6:.1f} | {r['peak_mb']:.0f} | {r['batch']} | "
                   f"{r['interpreted']:.5f} | {r['compiled']:.5f} | "
                   f"{r['interpreted'] / r['compiled']:.0f}× | {r['max_rel_dev']:.1e} | "
                   f"{'ok' if r['ok'] else r['error']} |")
    return out


def _ratios(slow: dict, fast: dict) -> tuple[float, float]:
    """(wall-clock ratio, CPU-time ratio) of two demo rows: the machine is shared, and the CPU
    time is what a busy core does not inflate."""
    return slow["seconds"] / fast["seconds"], slow["cpu_seconds"] / fast["cpu_seconds"]


def targets(rows: list[dict]) -> list[str]:
    """The issue's targets, judged on the less favourable of the wall-clock and CPU ratios."""
    def demo(engine):
        return next((r for r in rows if r["bench"] == "demo" and r["engine"] == engine), None)

    lines = []
    d, fl, ba = demo("dagrad"), demo(CompiledFloatDemo.name), demo(CompiledBatchedDemo.name)
    tb = demo("torch batched")
    if d and fl:
        wall, cpu = _ratios(d, fl)
        lines.append(f"- compiled float step ≥ 5× faster than the interpreted step: {wall:.1f}× "
                     f"wall, {cpu:.1f}× CPU ({'met' if min(wall, cpu) >= 5 else 'NOT met'})")
    if ba and tb:
        wall, cpu = _ratios(ba, tb)
        lines.append(f"- compiled batched step within 3× of batched PyTorch: {wall:.2f}× wall, "
                     f"{cpu:.2f}× CPU ({'met' if max(wall, cpu) <= 3 else 'NOT met'})")
    if d and ba:
        wall, cpu = _ratios(d, ba)
        lines.append(f"- compiled batched step against the interpreted step: {wall:.0f}× faster "
                     f"wall, {cpu:.0f}× CPU")
    return lines + grouped_targets(demo) + growth_targets(rows)


def grouped_targets(demo) -> list[str]:
    """Issue 19's targets for the grouped step: on the rounds (one step between other engines',
    the less favourable of wall and CPU) and warm (blocks of consecutive steps)."""
    gr, tb, hand = demo(CompiledGroupedDemo.name), demo("torch batched"), demo(NumpyDemo.name)
    if gr is None:
        return []
    ms = 1000 * max(gr["seconds"], gr["cpu_seconds"])
    warm = gr.get("warm_seconds")
    lines = [f"- grouped step ≤ 0.3 ms: one step between other engines' {ms:.3f} ms "
             f"({'met' if ms <= 0.3 else 'NOT met'})" +
             (f"; warm {1000 * warm:.3f} ms ({'met' if warm <= 0.0003 else 'NOT met'})"
              if warm else "")]
    for other, what, need, faster in ((tb, "≥ 1.5× faster than batched PyTorch", 1.5, True),
                                      (hand, "within 3× of the NumPy step written by hand", 3,
                                       False)):
        if other is None:
            continue
        slow, fast = (other, gr) if faster else (gr, other)
        wall, cpu = _ratios(slow, fast)
        ok = min(wall, cpu) >= need if faster else max(wall, cpu) <= need
        line = (f"- grouped step {what}: {wall:.2f}× wall, {cpu:.2f}× CPU "
                f"({'met' if ok else 'NOT met'})")
        if warm and other.get("warm_seconds"):
            ratio = slow["warm_seconds"] / fast["warm_seconds"]
            ok = ratio >= need if faster else ratio <= need
            line += f"; warm {ratio:.2f}× ({'met' if ok else 'NOT met'})"
        lines.append(line)
    return lines


def growth_targets(rows: list[dict]) -> list[str]:
    """Issue 19's targets for compiling the grouped replay as the graph grows."""
    by = {r["nodes"] // 1000: r for r in rows if r["bench"] == "compile grouped" and "setup" in r}
    lines = []
    if 1000 in by:  # 1,000,265 nodes
        r = by[1000]
        ok = r["setup"] <= 20 and r["peak_mb"] <= 2048
        lines.append(f"- grouped compile of {r['nodes']:,} nodes ≤ 20 s and ≤ 2 GB peak: "
                     f"{r['setup']:.1f} s, {r['peak_mb'] / 1024:.2f} GB "
                     f"({'met' if ok else 'NOT met'})")
    if 100 in by:  # 100,265 nodes
        r = by[100]
        us = r["setup"] / r["nodes"] * 1e6
        floor = (r["trace"] + r["order"]) / r["nodes"] * 1e6
        lines.append(f"- grouped compile ≤ 5 µs per node at {r['nodes']:,} nodes: {us:.1f} µs "
                     f"({'met' if us <= 5 else 'NOT met'}; tracing and ordering the graph "
                     f"alone: {floor:.1f} µs)")
    return lines

