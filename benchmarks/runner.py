"""The runner: times every benchmark, engines interleaved, and prints Markdown tables.

Timing discipline, since the machine may be shared: every number is the median of
``--repeats`` runs after a warm-up run, and the engines take turns run by run (the order
rotating each round) so that load from elsewhere slows all of them alike. Ratios are taken
within one run of this process; ``--isolate`` runs each engine in a subprocess of its own
instead (the ratios then compare runs made at different moments).
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

from . import compiled as C
from . import engines as E
from . import explorer as X
from . import graphs as G
from . import pictures as P

BENCHMARKS = ("demo", "chain", "wide", "bytes", "hessian", "compile", "pictures", "explorer")
ENGINES = ("dagrad", "micrograd", "torch")


# --- timing -----------------------------------------------------------------------------------
class GCTimer:
    """Time spent in Python's cyclic garbage collector, from ``gc.callbacks``."""

    def __init__(self) -> None:
        self.total, self._start = 0.0, 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start

    def __enter__(self) -> GCTimer:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self)


class Timing(NamedTuple):
    wall: float  # seconds of wall-clock time (what the ratios use)
    cpu: float  # seconds of this process's CPU time: less sensitive to other load
    gc: float  # seconds of the wall time spent in the cyclic garbage collector
    result: object


def timed(fn: Callable, *args, gc_off: bool = False) -> Timing:
    """One call ``fn(*args)``, timed.

    With ``gc_off`` the collector is disabled for the call (the caller frees any cycles
    left, outside the timing, so they do not land on the next engine's run).
    """
    if gc_off:
        gc.disable()
    try:
        with GCTimer() as gct:
            c0, t0 = time.process_time(), time.perf_counter()
            result = fn(*args)
            t1, c1 = time.perf_counter(), time.process_time()
    finally:
        if gc_off:
            gc.enable()
    return Timing(t1 - t0, c1 - c0, gct.total, result)


def speed_check(n: int = 200_000) -> float:
    """ns per iteration of a fixed pure-Python loop (best of 5): a gauge of how busy the
    machine is right now, printed at the start and the end of a run."""
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        x = 0.0
        for _ in range(n):
            x += 1.0
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e9


def rounds(names: list[str], repeats: int, warmup: int = 1):
    """(round, name) pairs: warm-up rounds first (round < 0), engines rotating each round."""
    if not names:
        return
    for r in range(-warmup, repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            yield r, name


# --- benchmarks -------------------------------------------------------------------------------
def demo_engines(names: list[str]) -> list[tuple[str, type, bool]]:
    """(row name, demo class, gc off?) for the installed engines among ``names``."""
    rows = [("dagrad", E.DagradDemo, False), ("dagrad (gc off)", E.DagradDemo, True)]
    if E.optional("numpy") is not None:
        rows += C.demo_rows()  # autograd.compile: the float replay and the batched one
    if "micrograd" in names and E.optional("micrograd") is not None:
        rows += [("micrograd (gc on)", E.MicrogradDemo, False),
                 ("micrograd (gc off)", E.MicrogradDemo, True)]
    if "torch" in names and E.optional("torch") is not None:
        rows += [("torch 0-d", E.TorchScalarDemo, False),
                 ("torch batched", E.TorchBatchedDemo, False)]
    return [r for r in rows if r[0].split()[0] in (*names, "numpy")]  # numpy: the reference


def bench_demo(names: list[str], repeats: int, n_points: int = 100) -> list[dict]:
    """micrograd's demo step, one full step per timed run, all engines on the same steps; the
    sub-5-ms engines also timed warm (``WarmTwin``), a block right after their step."""
    X, y = E.moons(n_points)
    weights = E.initial_weights()
    engines = demo_engines(names)
    models = {name: (cls(weights, X, y), off) for name, cls, off in engines}
    classes = {name: cls for name, cls, _ in engines}
    times: dict = {n: [] for n in models}
    gcs: dict = {n: [] for n in models}
    cpus: dict = {n: [] for n in models}
    losses: dict = {n: [] for n in models}
    twins: dict = {}
    warm: dict = {n: [] for n in models}
    step = dict.fromkeys(models, 0)
    for r, name in rounds(list(models), repeats):
        model, off = models[name]
        k = step[name]
        t = timed(model.step, k, gc_off=off)
        if off:
            _free_cycles(name)
        step[name] += 1
        losses[name].append(t.result)
        if r >= 0:
            times[name].append(t.wall)
            cpus[name].append(t.cpu)
            gcs[name].append(t.gc)
            if not off and statistics.median(times[name]) < WARM_BELOW:
                if name not in twins:
                    twins[name] = WarmTwin(classes[name], weights, X, y)
                warm[name].append(twins[name].block())
    return [{"bench": "demo", "engine": n, "seconds": statistics.median(times[n]),
             "cpu_seconds": statistics.median(cpus[n]),
             "warm_seconds": statistics.median(warm[n]) if warm[n] else None,
             "gc_share": sum(gcs[n]) / sum(times[n]), "losses": losses[n], "ok": True,
             "torch_threads": _torch_threads() if n.startswith("torch") else None}
            for n in models]


WARM_BELOW = 0.005  # s: engines whose single step is under this are also timed warm
WARM_BLOCK = 0.02  # s of consecutive steps per warm timed run


class WarmTwin:
    """A second instance of a fast demo engine, timed as a training loop runs it: a block of
    consecutive steps (about 20 ms), each round right after the engine's single step, so its
    blocks are spread over the run as the single steps are. A single step timed between
    other engines' starts with cold caches (micrograd's step before it walks a million
    objects); the blocks' steps after the first do not. Its own instance, so the steps the
    rounds compare loss by loss are not disturbed; its learning rates cycle through the
    schedule's first 100 (past step 111 the schedule turns negative)."""

    def __init__(self, cls, weights: list, X: list, y: list) -> None:
        self.model, self.k = cls(weights, X, y), 0
        t0 = time.perf_counter()
        self.run(5)
        self.size = max(5, int(WARM_BLOCK / max((time.perf_counter() - t0) / 5, 1e-9)))

    def run(self, n: int) -> None:
        for _ in range(n):
            self.model.step(self.k % 100)
            self.k += 1

    def block(self) -> float:
        """Seconds per step of one block."""
        t0 = time.perf_counter()
        self.run(self.size)
        return (time.perf_counter() - t0) / self.size


def _torch_threads():
    torch = E.optional("torch")
    return torch.get_num_threads() if torch is not None else None


def _graph_adapters(names: list[str]) -> list[G.Adapter]:
    micrograd = E.optional("micrograd") if "micrograd" in names else None
    torch = E.optional("torch") if "torch" in names else None
    return [a for a in G.adapters(micrograd, torch) if a.name.split()[0] in names]


def _free_cycles(engine: str) -> None:
    """micrograd's graphs are reference cycles: collect them outside the timing. The others
    are freed by reference counting; a full collection there would only evict the caches
    (it made dagrad's next 1,000-node backward ~1.7x slower)."""
    if engine.startswith("micrograd"):
        gc.collect()


def bench_chain(names: list[str], repeats: int, sizes: list[int], torch_max: int) -> list[dict]:
    """Build and backward of x = x * 1.0001 + 0.0, per node, for each depth."""
    rows = []
    adapters = _graph_adapters(names)
    failed: dict = {}
    for nodes in sizes:
        live = {}
        for a in adapters:
            if a.name in failed:
                rows.append({"bench": "chain", "engine": a.name, "nodes": nodes, "ok": False,
                             "error": f"not run: failed at {failed[a.name]:,} nodes"})
            elif a.name.startswith("torch") and nodes > torch_max:
                rows.append({"bench": "chain", "engine": a.name, "nodes": nodes, "ok": False,
                             "error": f"skipped (above --torch-max {torch_max:,})"})
            else:
                live[a.name] = a
        build: dict = {n: [] for n in live}
        back: dict = {n: [] for n in live}
        grads: dict = {}
        # Small graphs take a millisecond: run them more often (up to 50 times, ~2e5 nodes in
        # all) so that their median spans seconds of the machine's load, not one moment of it.
        runs = max(repeats, min(50, 200_000 // nodes))
        for r, name in rounds(list(live), runs):
            if name in failed:
                continue
            a = live[name]
            t_build = timed(G.chain, a, nodes)
            x0, x = t_build.result
            try:
                t_back = timed(a.backward, x)
                grads[name] = a.grad_of(x0)
            except RecursionError as e:
                failed[name] = nodes
                rows.append({"bench": "chain", "engine": name, "nodes": nodes, "ok": False,
                             "error": f"RecursionError ({e})"[:80]})
                continue
            finally:
                del x0, x
                _free_cycles(name)
            if r >= 0:
                build[name].append((t_build.wall / nodes, t_build.cpu / nodes))
                back[name].append((t_back.wall / nodes, t_back.cpu / nodes))
        expected = 1.0001 ** (nodes // 2)
        for name in live:
            if name in failed and failed[name] == nodes:
                continue
            rows.append({"bench": "chain", "engine": name, "nodes": nodes,
                         **_medians("build", build[name]), **_medians("backward", back[name]),
                         "backward_best": min(w for w, _ in back[name]),
                         "ok": math.isclose(grads[name], expected, rel_tol=1e-9),
                         "error": "" if math.isclose(grads[name], expected, rel_tol=1e-9)
                         else f"wrong gradient {grads[name]} (expected {expected})"})
    return rows


def _medians(key: str, pairs: list[tuple[float, float]]) -> dict:
    """{key: median wall time, key_cpu: median CPU time} of (wall, cpu) pairs."""
    return {key: statistics.median(w for w, _ in pairs),
            f"{key}_cpu": statistics.median(c for _, c in pairs)}


def bench_wide(names: list[str], repeats: int, n: int) -> list[dict]:
    """Build and backward of Σᵢ wᵢ·xᵢ over n terms, per term."""
    adapters = _graph_adapters(names)
    leaves = {a.name: G.wide_products(a, n) for a in adapters}
    build: dict = {a.name: [] for a in adapters}
    back: dict = {a.name: [] for a in adapters}
    errors: dict = {}
    by_name = {a.name: a for a in adapters}
    for r, name in rounds(list(by_name), repeats):
        if name in errors:
            continue
        a, (ws, xs) = by_name[name], leaves[name]
        for w in ws:  # leaves accumulate: start every run from zero
            w.grad = None if name.startswith("torch") else 0.0
        t_build = timed(G.wide_sum, a, ws, xs)
        s = t_build.result
        try:
            t_back = timed(a.backward, s)
        except RecursionError as e:
            errors[name] = f"RecursionError ({e})"[:80]
            continue
        finally:
            del s
            _free_cycles(name)
        if r >= 0:
            build[name].append((t_build.wall / n, t_build.cpu / n))
            back[name].append((t_back.wall / n, t_back.cpu / n))
        if not math.isclose(a.grad_of(ws[n // 3]), xs[n // 3].data if name != "torch 0-d"
                            else xs[n // 3].item(), rel_tol=1e-12):
            errors[name] = "wrong gradient"
    rows = []
    for name in by_name:
        if name in errors:
            rows.append({"bench": "wide", "engine": name, "terms": n, "ok": False,
                         "error": errors[name]})
        else:
            rows.append({"bench": "wide", "engine": name, "terms": n, "ok": True,
                         **_medians("build", build[name]), **_medians("backward", back[name])})
    return rows


def bench_bytes(names: list[str], nodes: int) -> list[dict]:
    """tracemalloc's bytes per node of a chain (torch's C++ memory is invisible to it)."""
    rows = []
    for a in _graph_adapters(names):
        if a.name.startswith("torch"):
            continue
        rows.append({"bench": "bytes", "engine": a.name, "nodes": nodes,
                     "bytes_per_node": G.bytes_per_node(a, nodes), "ok": True})
    if rows and rows[0]["engine"] == "dagrad":
        rows[0]["anatomy"] = G.dagrad_node_anatomy()
    return rows


def bench_hessian(names: list[str], repeats: int, n_points: int, k: int) -> list[dict]:
    """A k×k Hessian of a small MLP's loss; every engine's matrix checked against dagrad's."""
    problem = G.hessian_problem(n_points, k)
    torch = E.optional("torch") if "torch" in names else None
    fns = {}
    if "dagrad" in names:
        fns["dagrad"] = lambda: G.hessian_dagrad(problem)
    if torch is not None:
        fns["torch 0-d (double backward)"] = lambda: G.hessian_torch_scalar(problem, torch)
        fns["torch batched (functional.hessian)"] = lambda: G.hessian_torch_batched(problem, torch)
    times: dict = {n: [] for n in fns}
    results = {}
    for r, name in rounds(list(fns), repeats):
        t = timed(fns[name])
        results[name] = t.result
        if r >= 0:
            times[name].append(t.wall)
    rows = [{"bench": "hessian", "engine": name, "k": k, "points": n_points,
             "seconds": statistics.median(times[name]), "matrix": results[name], "ok": True}
            for name in fns]
    if "micrograd" in names and E.optional("micrograd") is not None:
        rows.append({"bench": "hessian", "engine": "micrograd", "ok": False,
                     "error": "no higher-order derivatives"})
    return rows


# --- the report -------------------------------------------------------------------------------
def machine(engines: list[str]) -> dict:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    except OSError:
        cpu = platform.processor() or cpu
    versions = {}
    for mod in ("micrograd", "torch"):
        m = E.optional(mod) if mod in engines else None
        if m is not None:
            versions[mod] = getattr(m, "__version__", "0.1.0" if mod == "micrograd" else "?")
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(), "cpu": cpu, "cores": os.cpu_count(),
        "load": os.getloadavg()[0] if hasattr(os, "getloadavg") else None, **versions,
    }


def _ratio(row: dict, ref: dict | None, key: Callable[[dict], float]) -> str:
    if ref is None or not row.get("ok", True) or not ref.get("ok", True) or row.get("error"):
        return "–"
    r = key(row) / key(ref)
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def _us(x: float) -> str:
    return f"{x * 1e6:.3f}" if x < 1e-5 else f"{x * 1e6:.2f}"


def _wc(row: dict, key: str) -> str:
    """Wall-clock µs (CPU µs in brackets)."""
    return f"{_us(row[key])} ({_us(row[key + '_cpu'])})"


def _status(row: dict) -> str:
    return "ok" if row.get("ok") else f"failed: {row.get('error', '?')}"


def check_losses(rows: list[dict], tol: float = 1e-12) -> None:
    """Mark each demo row ok only if its losses match dagrad's at every step (to ``tol``)."""
    demo = [r for r in rows if r["bench"] == "demo"]
    ref = next((r for r in demo if r["engine"] == "dagrad"), None)
    for r in demo:
        dev = (max(abs(a - b) for a, b in zip(r["losses"], ref["losses"], strict=True))
               if ref is not None else 0.0)
        r["max_dev"] = dev
        r["ok"] = dev <= tol
        r["error"] = "" if r["ok"] else f"losses differ from dagrad's by {dev:.1e}"


def check_hessians(rows: list[dict], tol: float = 1e-10) -> None:
    """Mark each Hessian row ok only if its matrix matches dagrad's entry by entry."""
    hess = [r for r in rows if r["bench"] == "hessian" and "matrix" in r]
    ref = next((r["matrix"] for r in hess if r["engine"] == "dagrad"), None)
    for r in hess:
        r["max_dev"] = 0.0 if ref is None else max(
            abs(a - b) for ra, rb in zip(r["matrix"], ref, strict=True)
            for a, b in zip(ra, rb, strict=True))
        r["ok"] = r["max_dev"] <= tol
        r["error"] = "" if r["ok"] else f"differs from dagrad's Hessian by {r['max_dev']:.1e}"


def _header(info: dict, isolate: bool) -> list[str]:
    out = ["# dagrad benchmarks", ""]
    ref_versions = ", ".join(f"{m} {info[m]}" for m in ("micrograd", "torch") if m in info)
    how = "one subprocess per engine" if isolate else "engines interleaved in one process"
    out.append(f"{info['date']} · Python {info['python']} · {info['cpu']} · {info['cores']} cores"
               f" · load average {info['load']:.2f} at start"
               f" · {ref_versions or 'no reference engines installed'} · {how}"
               f" · {info.get('frozen', 0):,} import-time objects frozen out of the cyclic GC")
    if "speed" in info:
        gauge = ", ".join(f"{name} {ns:.1f}" for name, ns in info["speed"])
        out.append(f"\nMachine load gauge, ns per iteration of a fixed Python loop (best of 5) "
                   f"before each benchmark: {gauge}. Per-node times of the same code rise with "
                   "it when other work shares the cores.")
    return out


def _ms(seconds: float) -> str:
    """Milliseconds to three significant figures (0.214, 3.05, 77.3, 873)."""
    ms = 1000 * seconds
    return f"{ms:.3g}" if ms < 100 else f"{ms:.0f}"


def _demo_section(by: dict) -> list[str]:
    out: list[str] = []
    if by["demo"]:
        ref = next((r for r in by["demo"] if r["engine"] == "dagrad"), None)
        out += ["", "## micrograd's demo step (MLP(2, [16, 16, 1]), 100 moons points, "
                "forward + zero_grad + backward + SGD)", "",
                "| engine | ms/step | time ÷ dagrad's | CPU ms/step | in cyclic GC | warm "
                "ms/step | max loss deviation from dagrad | status |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in by["demo"]:
            n = r.get("torch_threads")
            threads = f" ({n} thread{'s' if n > 1 else ''})" if n else ""
            warm = _ms(r["warm_seconds"]) if r.get("warm_seconds") else "–"
            out.append(f"| {r['engine']}{threads} | {_ms(r['seconds'])} | "
                       f"{_ratio(r, ref, lambda x: x['seconds'])} | {_ms(r['cpu_seconds'])} | "
                       f"{r['gc_share']:.0%} | {warm} | "
                       f"{r['max_dev']:.1e} | {_status(r)} |")
        steps = len(ref["losses"]) if ref else 0
        out.append(f"\nms/step: one step per engine per round, the engines taking turns (so "
                   "each step starts after another engine's, caches cold); medians. Warm: the "
                   f"engines under {WARM_BELOW * 1000:.0f} ms also timed in blocks of "
                   f"consecutive steps (about {WARM_BLOCK * 1000:.0f} ms each, a second "
                   "instance of the engine), as a training loop runs them, a block right after "
                   "each of the engine's steps of the rounds; the median per step. "
                   f"Losses compared at each of the {steps} steps of the rounds (warm-up "
                   "included).")
    return out


def _chain_section(by: dict) -> list[str]:
    out: list[str] = []
    if by["chain"]:
        out += ["", "## Deep chain x = x * 1.0001 + 0.0 (build and backward, per node)", "",
                "Times are wall clock, with this process's CPU time in brackets.", "",
                "| engine | nodes | build µs/node | backward µs/node | time ÷ dagrad's | status |",
                "|---|---:|---:|---:|---:|---|"]
        for r in by["chain"]:
            ref = next((q for q in by["chain"] if q["engine"] == "dagrad"
                        and q["nodes"] == r["nodes"]), None)
            if r.get("ok"):
                out.append(f"| {r['engine']} | {r['nodes']:,} | {_wc(r, 'build')} | "
                           f"{_wc(r, 'backward')} | "
                           f"{_ratio(r, ref, lambda x: x['build'] + x['backward'])} | ok |")
            else:
                out.append(f"| {r['engine']} | {r['nodes']:,} | – | – | – | {_status(r)} |")
    return out


def _wide_section(by: dict) -> list[str]:
    out: list[str] = []
    if by["wide"]:
        ref = next((r for r in by["wide"] if r["engine"] == "dagrad"), None)
        out += ["", f"## Wide sum Σ wᵢ·xᵢ of {by['wide'][0]['terms']:,} products "
                "(dagrad: autograd.sum, one node; others: Python's sum, a chain of additions)", "",
                "Times per term: wall clock, with this process's CPU time in brackets.", "",
                "| engine | build µs/term | backward µs/term | time ÷ dagrad's | status |",
                "|---|---:|---:|---:|---|"]
        for r in by["wide"]:
            if r.get("ok"):
                out.append(f"| {r['engine']} | {_wc(r, 'build')} | {_wc(r, 'backward')} | "
                           f"{_ratio(r, ref, lambda x: x['build'] + x['backward'])} | ok |")
            else:
                out.append(f"| {r['engine']} | – | – | – | {_status(r)} |")
    return out


def _bytes_section(by: dict) -> list[str]:
    out: list[str] = []
    if by["bytes"]:
        ref = next((r for r in by["bytes"] if r["engine"] == "dagrad"), None)
        out += ["", f"## Memory: bytes per node of a {by['bytes'][0]['nodes']:,}-node chain "
                "(tracemalloc)", "", "| engine | bytes/node | ÷ dagrad's |", "|---|---:|---:|"]
        for r in by["bytes"]:
            out.append(f"| {r['engine']} | {r['bytes_per_node']:.1f} | "
                       f"{_ratio(r, ref, lambda x: x['bytes_per_node'])} |")
        if ref is not None and "anatomy" in ref:
            out.append("\ndagrad's node: " + ", ".join(f"{k} {v} B"
                                                       for k, v in ref["anatomy"].items()))
    return out


def _hessian_section(by: dict) -> list[str]:
    out: list[str] = []
    if any("k" in r for r in by["hessian"]):
        ref = next((r for r in by["hessian"] if r["engine"] == "dagrad"), None)
        h = next(r for r in by["hessian"] if "k" in r)
        out += ["", f"## Second order: {h['k']}×{h['k']} Hessian of a tanh MLP(2, [4, 4, 1]) "
                f"max-margin loss on {h['points']} points", "",
                "| engine | s/Hessian | time ÷ dagrad's | max abs deviation from dagrad | status |",
                "|---|---:|---:|---:|---|"]
        for r in by["hessian"]:
            if "seconds" in r:
                out.append(f"| {r['engine']} | {r['seconds']:.4f} | "
                           f"{_ratio(r, ref, lambda x: x['seconds'])} | {r['max_dev']:.1e} | "
                           f"{_status(r)} |")
            else:
                out.append(f"| {r['engine']} | – | – | – | {_status(r)} |")
    return out


def markdown(info: dict, rows: list[dict], isolate: bool) -> str:
    out = _header(info, isolate)
    by = {b: [r for r in rows if r["bench"] == b] for b in BENCHMARKS}
    for section in (_demo_section, _chain_section, _wide_section, _bytes_section,
                    _hessian_section):
        out += section(by)
    out += C.markdown(rows) + C.grouped_markdown(rows)
    out += X.markdown(by["explorer"])
    out += ["", "## Targets", ""] + targets(rows) + C.targets(rows) + X.targets(by["explorer"])
    out += P.markdown(by["pictures"])
    return "\n".join(out)


def targets(rows: list[dict]) -> list[str]:
    def find(bench, engine, **kw):
        return next((r for r in rows if r["bench"] == bench and r["engine"] == engine
                     and all(r.get(k) == v for k, v in kw.items())), None)

    lines = []
    d = find("demo", "dagrad")
    for engine, goal in (("micrograd (gc on)", 10), ("micrograd (gc off)", 1.5), ("torch 0-d", 4)):
        r = find("demo", engine)
        if d and r:
            ratio = r["seconds"] / d["seconds"]
            lines.append(f"- demo step ≥ {goal}× faster than {engine}: {ratio:.1f}× "
                         f"({'met' if ratio >= goal else 'NOT met'})")
    b = find("bytes", "dagrad")
    if b:
        v = b["bytes_per_node"]
        lines.append(f"- ≤ 150 bytes/node: {v:.1f} ({'met' if v <= 150 else 'NOT met'})")
    chains = [r for r in rows if r["bench"] == "chain" and r["engine"] == "dagrad"]
    for r in chains:
        if r.get("ok"):
            v, b = r["backward"] * 1e6, r["backward_best"] * 1e6
            lines.append(f"- chain backward < 1 µs/node at {r['nodes']:,} nodes: median "
                         f"{v:.3f} µs ({'met' if v < 1 else 'NOT met'}), best run {b:.3f} µs")
        else:
            lines.append(f"- chain at {r['nodes']:,} nodes: FAILED ({r.get('error')})")
    return lines


# --- command line -----------------------------------------------------------------------------
def run(args, gauges: list) -> list[dict]:
    names = args.engines
    rows: list[dict] = []
    for bench in args.only:
        gauges.append((bench, speed_check()))
        t0 = time.perf_counter()
        if bench == "demo":
            rows += bench_demo(names, args.repeats, args.points)
        elif bench == "chain":
            rows += bench_chain(names, args.repeats, args.chain, args.torch_max)
        elif bench == "wide":
            rows += bench_wide(names, args.repeats, args.wide)
        elif bench == "bytes":
            rows += bench_bytes(names, args.bytes_nodes)
        elif bench == "hessian":
            rows += bench_hessian(names, args.repeats, args.hessian_points, args.hessian_k)
        elif bench == "compile" and "dagrad" in names:
            rows += C.bench_growth(args.compile_sizes, args.repeats)
        elif bench == "pictures":
            rows += P.bench_pictures(args.repeats, args.quick)
        elif bench == "explorer":
            rows += X.bench_explorer(args.repeats)
        print(f"[{bench}: {time.perf_counter() - t0:.1f} s]", file=sys.stderr, flush=True)
    return rows


def run_isolated(args, argv: list[str]) -> list[dict]:
    """Each engine in a subprocess of its own; their rows merged."""
    rows = []
    for engine in args.engines:
        cmd = [sys.executable, "-m", "benchmarks", *argv, "--engines", engine, "--json", "-"]
        cmd = [c for c in cmd if c != "--isolate"]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows += [r for r in json.loads(proc.stdout)
                 if engine == "dagrad" or r["engine"] != "dagrad"
                 and not r["engine"].startswith("dagrad (")]
    return rows


def parser() -> argparse.ArgumentParser:
    def ints(s):
        return [int(float(x)) for x in s.split(",")]

    def names(choices):
        def parse(s):
            got = [x.strip() for x in s.split(",") if x.strip()]
            bad = [x for x in got if x not in choices]
            if bad:
                raise argparse.ArgumentTypeError(f"unknown {bad}; choose from {choices}")
            return got
        return parse

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smaller graphs and 3 repeats: a smoke run of ~20 s (the full run: ~2 min)")
    p.add_argument("--only", type=names(BENCHMARKS), default=list(BENCHMARKS),
                   help=f"comma-separated benchmarks from {','.join(BENCHMARKS)}")
    p.add_argument("--engines", type=names(ENGINES), default=list(ENGINES),
                   help="comma-separated engines (dagrad is the reference of every ratio); "
                        "ones not installed are skipped")
    p.add_argument("--repeats", type=int, help="timed runs per measurement (default 5)")
    p.add_argument("--points", type=int, default=100, help="moons points of the demo step")
    p.add_argument("--chain", type=ints, help="chain sizes in nodes (default 1e3,1e4,1e5,1e6)")
    p.add_argument("--torch-max", type=int, default=100_000,
                   help="largest chain run on torch 0-d tensors (default 1e5: ~10 s per run above)")
    p.add_argument("--wide", type=int, help="terms of the wide sum (default 1e5)")
    p.add_argument("--bytes-nodes", type=int, help="nodes of the memory graph (default 1e5)")
    p.add_argument("--hessian-points", type=int, default=20, help="moons points of the Hessian")
    p.add_argument("--hessian-k", type=int, default=6, help="parameters of the Hessian")
    p.add_argument("--compile-sizes", type=ints,
                   help="graph sizes of the compile benchmark (default 1e3,1e4,1e5,1e6; sizes "
                        "whose compiling would take over a minute are skipped)")
    p.add_argument("--torch-threads", type=int, default=1,
                   help="torch intra-op threads (default 1: dagrad and micrograd use one core, "
                        "and on a shared machine a second torch thread waits for a core)")
    p.add_argument("--no-freeze", action="store_true",
                   help="leave the objects of imported modules (torch's) to the cyclic GC")
    p.add_argument("--isolate", action="store_true",
                   help="run each engine in its own subprocess instead of interleaving")
    p.add_argument("--json", metavar="FILE", help="also write the raw rows as JSON ('-': stdout)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parser().parse_args(argv)
    quick = args.quick
    args.repeats = args.repeats or (3 if quick else 5)
    args.chain = args.chain or ([1000, 10_000] if quick else [1000, 10_000, 100_000, 1_000_000])
    args.wide = args.wide or (10_000 if quick else 100_000)
    args.bytes_nodes = args.bytes_nodes or (10_000 if quick else 100_000)
    args.compile_sizes = args.compile_sizes or ([1000, 10_000] if quick else
                                                [1000, 10_000, 100_000, 1_000_000])
    torch = E.optional("torch") if "torch" in args.engines else None
    if torch is not None:
        torch.set_num_threads(args.torch_threads)
    info = machine(args.engines)
    if not args.no_freeze:
        # Move the objects alive now (mostly the modules of torch, if imported: ~150k) out of
        # the collector's sight, so that each engine's collections walk its own objects, as in
        # a process of its own, rather than torch's too.
        for name in args.engines:
            E.optional(name if name != "dagrad" else "nn")
        gc.collect()
        gc.freeze()
    info["frozen"] = gc.get_freeze_count()
    gauges: list[tuple[str, float]] = []
    rows = run_isolated(args, argv) if args.isolate else run(args, gauges)
    gauges.append(("end", speed_check()))
    info["speed"] = gauges
    check_losses(rows)
    check_hessians(rows)
    if args.json == "-":
        print(json.dumps(rows))
        return 0
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "rows": rows}, f, indent=1)
    print(markdown(info, rows, args.isolate))
    # Failing: any dagrad row, or engines disagreeing. A reference engine that cannot run a
    # benchmark (micrograd's RecursionError) is a result, not a failure.
    failed = [r for r in rows if not r.get("ok", True)
              and (r["engine"].startswith("dagrad") or "max_dev" in r)]
    return 1 if failed else 0
