"""The explorer's budgets: page sizes in bytes, and time to interactive in headless Chromium.

* the backward stepper of the 28-node expression: at most 300 KB;
* the training replay of micrograd's demo (MLP(2, [16, 16, 1]), 100 moons points, 100 steps
  recorded): at most 5 MB, interactive in under 1 s.

Time to interactive: from the start of ``page.goto(file://…)`` until the page's script has
set ``data-ready`` on the explorer, the median of ``loads`` loads in one headless Chromium
(the system's ``/usr/bin/chromium``, driven by Playwright; never ``playwright install``),
every non-file request aborted and counted (there must be none).
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
STEPPER_BUDGET = 300_000
REPLAY_BUDGET = 5_000_000
INTERACTIVE_BUDGET = 1.0


def expression_28():
    """A 28-node expression: notebook 2's layered DAG (width 3, depth 4) under a square loss."""
    import autograd
    from autograd import Value

    rng = random.Random(0)
    w = Value(0.5, label="w")
    h = [(w * rng.uniform(-1, 1)).tanh() for _ in range(3)]
    for _ in range(3):
        h = [autograd.dot([rng.uniform(-1, 1) for _ in range(3)], h).tanh() for _ in range(3)]
    s = autograd.sum(h)
    s.label = "s"
    loss = (s - 1.0) ** 2
    loss.label = "loss"
    assert len(autograd.topological_order(loss)) == 28
    return loss


def demo_replay(steps: int = 100):
    """Train micrograd's demo as ``python -m nn`` does, recorded; returns the page."""
    from autograd.draw.explorer import training_page
    from nn import MLP, fit
    from nn import optim as O
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    X, y01 = make_moons(100, noise=0.1, seed=1)
    y = to_pm1(y01)
    model = MLP(2, [16, 16, 1], seed=1)
    opt = O.SGD(model.parameters(), lr=1.0)
    sched = O.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / steps)
    rec = Recorder(model, X, y, max_steps=100)
    fit(model, X, y, optimizer=opt, epochs=steps, scheduler=sched, l2=1e-4, progress=False,
        callback=rec)
    return training_page(rec)


def time_to_interactive(path: str, loads: int) -> tuple[float, list[float], int]:
    """(median seconds, every load's seconds, network requests attempted) for ``path``."""
    from playwright.sync_api import sync_playwright

    attempts = []

    def block(route):
        if not route.request.url.startswith("file:"):
            attempts.append(route.request.url)
            return route.abort()
        return route.continue_()

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.route("**/*", block)
            url = "file://" + os.path.abspath(path)
            for _ in range(loads + 1):  # the first load warms the browser up: not counted
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector(".dgx[data-ready]", state="attached")
                times.append(time.perf_counter() - t0)
                page.goto("about:blank")
        finally:
            browser.close()
    return statistics.median(times[1:]), times[1:], len(attempts)


def bench_explorer(loads: int = 5) -> list[dict]:
    """One row per page: bytes, budget, and time to interactive (None without Chromium)."""
    from autograd.draw.explorer import stepper

    root = expression_28()
    root.backward()
    pages = [("stepper (28-node expression)", stepper(root), STEPPER_BUDGET),
             ("training replay (demo MLP, 100 steps)", demo_replay(), REPLAY_BUDGET)]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, page, budget in pages:
            path = page.save(os.path.join(tmp, "page.html"))
            row = {"bench": "explorer", "engine": "dagrad", "page": name,
                   "bytes": os.path.getsize(path), "budget": budget, "ok": True}
            if os.path.exists(CHROMIUM):
                row["tti"], row["tti_all"], row["requests"] = time_to_interactive(path, loads)
                row["ok"] = row["requests"] == 0
            rows.append(row)
    return rows


def markdown(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    out = ["", "## Explorer pages (autograd.draw.explorer): size and time to interactive in "
           "headless "
           "Chromium (median of the loads after a warm-up)", "",
           "| page | bytes | budget | time to interactive | network requests |",
           "|---|---:|---:|---:|---:|"]
    for r in rows:
        tti = f"{1000 * r['tti']:.0f} ms" if "tti" in r else "– (no /usr/bin/chromium)"
        out.append(f"| {r['page']} | {r['bytes']:,} | {r['budget']:,} | {tti} | "
                   f"{r.get('requests', '–')} |")
    return out


def targets(rows: list[dict]) -> list[str]:
    lines = []
    for r in rows:
        ok = r["bytes"] <= r["budget"]
        lines.append(f"- {r['page']} ≤ {r['budget']:,} bytes: {r['bytes']:,} "
                     f"({'met' if ok else 'NOT met'})")
        if "tti" in r and r["budget"] == REPLAY_BUDGET:
            ok = r["tti"] < INTERACTIVE_BUDGET
            lines.append(f"- {r['page']} interactive in < {INTERACTIVE_BUDGET:g} s: "
                         f"{1000 * r['tti']:.0f} ms ({'met' if ok else 'NOT met'})")
    return lines


def _screenshot(page_path: str, path: str, act, width: int = 1100, height: int = 1400) -> str:
    """``page_path`` opened in headless Chromium (network blocked), ``act(page)`` done, the
    page saved at 75 % as a 48-colour PNG (small enough for the README)."""
    import io

    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                "file:") else r.abort())
            page.goto("file://" + os.path.abspath(page_path))
            page.wait_for_selector(".dgx[data-ready]", state="attached")
            act(page)
            png = page.screenshot(full_page=True)
        finally:
            browser.close()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.LANCZOS)
    out = io.BytesIO()
    image.convert("P", palette=Image.ADAPTIVE, colors=48).save(out, format="PNG", optimize=True)
    with open(path, "wb") as f:
        f.write(out.getvalue())
    return path


def screenshot_training(path: str, step: int = 20, unit: str = "l1u3") -> str:
    """docs/explorer_training.png: the demo's replay at kept step ``step``, tracing the
    recorded point whose loss is largest there (clicked on the boundary panel), with
    ``unit`` clicked (its chain-rule sum beside the graph, its paths to L outlined)."""
    from autograd.draw.explorer.page import unpack

    replay = demo_replay()
    traced = [unpack(t["steps"])[step]["root"] for t in replay.data["net"]["traced"]]
    k = max(range(len(traced)), key=lambda i: float(traced[i].split("= ")[1]
                                                    .replace("−", "-")))

    def act(page):
        page.locator(".dgx-slider").evaluate(
            f"s => {{ s.value = {step}; s.dispatchEvent(new Event('input')); }}")
        page.locator(f".dgx-bwrap circle.dgx-traced[data-k='{k}']").click()
        page.wait_for_function(f"() => document.querySelector('.dgx-bwrap "
                               f"circle.dgx-traced[data-k=\"{k}\"]').classList"
                               ".contains('dgx-on')")
        page.locator(f'.dgx g.node[id$="-{unit}"]').click()
        page.mouse.move(0, 0)

    with tempfile.TemporaryDirectory() as tmp:
        return _screenshot(replay.save(os.path.join(tmp, "explorer.html")), path, act)


def screenshot_stepper(path: str, steps: int = 1) -> str:
    """docs/explorer_stepper.png: notebook 2's e = b·b + sin b, b = tanh(3a), after ``steps``
    presses of → (one node in "k of n shares", the visited one outlined)."""
    from autograd import Value
    from autograd.draw import show_backward

    a = Value(0.3, label="a")
    b = (a * 3.0).tanh()
    b.label = "b"
    c = b * b
    c.label = "c"
    d = b.sin()
    d.label = "d"
    e = c + d
    e.label = "e"
    e.backward()

    def act(page):
        for _ in range(steps):
            page.keyboard.press("ArrowRight")

    with tempfile.TemporaryDirectory() as tmp:
        page_path = show_backward(e).save(os.path.join(tmp, "stepper.html"))
        return _screenshot(page_path, path, act, height=400)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--screenshot"]:
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        print(screenshot_training(os.path.join(here, "docs", "explorer_training.png")))
        print(screenshot_stepper(os.path.join(here, "docs", "explorer_stepper.png")))
    else:
        rows = bench_explorer()
        print("\n".join(markdown(rows) + [""] + targets(rows)))
