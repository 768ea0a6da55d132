"""The explorer's pages in a real browser: headless Chromium from the system's packages,
driven by Playwright, with every network request aborted (and none attempted).

What is asserted is what a person sees: boxes that keep their places across steps, captions
with the right numbers, the three states, the replay's curves, boundary and graph numbers
moving with the slider; and notebook 2 exported to HTML, opened without a kernel, stepping
through every backward frame. One browser serves the whole module.
"""

import os

import pytest
from draw_graphs import lecture
from requires import chromium, graphviz_with_dot, playwright_with_chromium

from autograd import Value
from autograd.draw.explorer import inspect, stepper, training_page

sync_api = playwright_with_chromium("the explorer's browser tests")
graphviz = graphviz_with_dot()


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(page_or_path, js=True) -> a Playwright page, network blocked and watched."""
    contexts, attempts = [], []
    tolerated: tuple = ()

    def block(route):
        if route.request.url.startswith(("file:", "data:", "about:")):
            return route.continue_()
        if not route.request.url.startswith(tolerated):
            attempts.append(route.request.url)
        return route.abort()

    def opener(what, js: bool = True, tolerate: tuple = ()):
        path = what if isinstance(what, str | os.PathLike) else what.save(tmp_path / "page.html")
        nonlocal tolerated
        tolerated = tuple(tolerate)
        ctx = browser.new_context(java_script_enabled=js, viewport={"width": 1000, "height": 700})
        contexts.append(ctx)
        ctx.route("**/*", block)
        page = ctx.new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors
        page.goto(f"file://{os.path.abspath(path)}")
        if js:
            page.wait_for_selector(".dgx[data-ready]", state="attached")
        return page

    yield opener
    for ctx in contexts:
        ctx.close()
    assert attempts == [], f"the page tried the network: {attempts}"


def lesson_graph():
    """L = (a·b + c)·f with a=2, b=−3, c=10, f=−2: the classic first backward."""
    return lecture(backward=False)


def notebook_graph():
    """Notebook 2's example: b is used three times (twice by c = b·b, once by d)."""
    a = Value(0.3, label="a")
    b = (a * 3.0).tanh()
    b.label = "b"
    c = b * b
    c.label = "c"
    d = b.sin()
    d.label = "d"
    e = c + d
    e.label = "e"
    return e


BOXES = """() => Object.fromEntries(Array.from(document.querySelectorAll('.dgx g.node'))
  .map(g => { const svg = g.ownerSVGElement.getBoundingClientRect();
              const shape = g.querySelector('path, polygon, ellipse') || g.querySelector('text');
              const r = shape.getBoundingClientRect();
              return [g.id, [r.x - svg.x, r.y - svg.y, r.width, r.height]]; }))"""
STATES = """() => Object.fromEntries(
  Array.from(document.querySelectorAll('.dgx g.node[data-state]'))
  .map(g => [g.querySelector('text').textContent, g.getAttribute('data-state')]))"""


def same_boxes(a: dict, b: dict) -> bool:
    """The same boxes at the same places (to 0.01 px: scrolling leaves sub-pixel noise)."""
    return a.keys() == b.keys() and all(
        abs(x - y) < 0.01 for k in a for x, y in zip(a[k], b[k]))


def caption(page) -> str:
    return page.locator(".dgx-caption").inner_text()


def grad_text(page, label: str) -> str:
    return page.evaluate("""(label) => {
      for (const g of document.querySelectorAll('.dgx g.node')) {
        const t = g.querySelectorAll('text:not(.dgx-badge)');
        if (t[0] && t[0].textContent === label) return t[t.length - 1].textContent;
      } }""", label)


def test_stepper_keys_captions_states_and_boxes_that_stay_put(open_page):
    L = lesson_graph()
    L.backward()
    page = open_page(stepper(L))
    assert caption(page).startswith("step 1 of 7: visiting L: the seed ∂L/∂L = 1")
    # after step 1, d and f have their only share: complete; a, b, c, e not reached
    states = page.evaluate(STATES)
    assert states == {"L": "complete", "d": "complete", "f": "complete", "e": "unreached",
                      "c": "unreached", "a": "unreached", "b": "unreached"}
    assert grad_text(page, "d") == "grad −2" and grad_text(page, "a") == "grad –"
    boxes = page.evaluate(BOXES)
    page.locator(".dgx-figure").click(position={"x": 2, "y": 2})  # focus, as a person would
    seen = []
    for _ in range(6):
        page.keyboard.press("ArrowRight")
        seen.append(caption(page))
        assert same_boxes(page.evaluate(BOXES), boxes)  # not one box moved
    assert seen[1] == ("step 3 of 7: visiting d: ∂L/∂d = −2; "
                       "pushed −2 × 1 = −2 to e, −2 × 1 = −2 to c")
    assert seen[3].startswith("step 5 of 7: visiting e: ∂L/∂e = −2; pushed −2 × −3 = 6 to a")
    assert grad_text(page, "a") == "grad 6"
    page.keyboard.press("ArrowRight")  # past the end: stays on the last step
    assert caption(page).startswith("step 7 of 7")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    assert caption(page).startswith("step 3 of 7")
    # the visited node is outlined, in pink
    visited = page.locator(".dgx g.node.dgx-visit")
    assert visited.count() == 1 and visited.locator("text").first.text_content() == "d"
    stroke = visited.locator(".dgx-shape").evaluate("s => getComputedStyle(s).stroke")
    assert stroke == "rgb(231, 41, 138)"
    assert page.errors == []


def test_stepper_shows_k_of_n_shares(open_page):
    e = notebook_graph()
    e.backward()
    page = open_page(stepper(e))
    page.locator(".dgx-next").click()  # step 2: d pushes the first of b's three shares
    assert caption(page).startswith("step 2 of 6: visiting d")
    assert page.evaluate(STATES)["b"] == "partial"
    badge = page.locator(".dgx g.node text.dgx-badge")
    assert badge.count() == 1 and badge.text_content() == "1 of 3 shares"
    assert grad_text(page, "b").startswith("grad ~")
    page.locator(".dgx-next").click()  # c = b·b pushes the other two
    assert page.evaluate(STATES)["b"] == "complete" and badge.count() == 0


def test_stepper_slider_buttons_and_play(open_page):
    L = lesson_graph()
    L.backward()
    page = open_page(stepper(L))
    page.locator(".dgx-slider").evaluate(
        "s => { s.value = 4; s.dispatchEvent(new Event('input')); }")
    assert caption(page).startswith("step 5 of 7")
    page.locator(".dgx-back").click()
    assert caption(page).startswith("step 4 of 7")
    page.locator(".dgx-figure").click(position={"x": 2, "y": 2})
    page.keyboard.press(" ")  # space plays …
    page.wait_for_function("() => document.querySelector('.dgx-where').textContent === "
                           "'step 7 / 7'", timeout=10_000)
    assert page.locator(".dgx-play").inner_text() == "▶ play"  # … and stops at the end


def test_stepper_without_backward_says_so(open_page):
    page = open_page(stepper(lesson_graph()))
    assert "No backward pass has run from L yet" in page.locator(".dgx-note").inner_text()
    page.locator(".dgx-next").click()
    assert grad_text(page, "d") == "grad −2"  # the steps still show the sweep


def test_folded_stepper_outlines_the_summary(open_page):
    xs = [Value(float(i + 1), label=f"layer.{i % 2}.x{i}") for i in range(6)]
    out = sum((x * x for x in xs), Value(0.0, label="zero"))
    out.label = "out"
    out.backward()
    s = stepper(out, max_nodes=6)
    assert len(s) < len(s.graph.order)
    page = open_page(s)
    boxes = page.evaluate(BOXES)
    for _ in range(len(s) - 1):
        page.locator(".dgx-next").click()
        if "inside the folded box" in caption(page):
            break
    assert "inside the folded box" in caption(page)
    visited = page.locator(".dgx g.node.dgx-visit")
    summary = visited.get_attribute("id").split("-")[-1]
    assert visited.count() == 1 and summary in s.graph.boxes and summary.startswith("s")
    assert same_boxes(page.evaluate(BOXES), boxes)


def test_inspect_hover_and_click(open_page):
    L = lesson_graph()
    L.backward()
    page = open_page(inspect(L))
    a_box = page.locator(".dgx g.node", has=page.locator("text", has_text="data 2")).first
    a_box.hover()
    tip = page.locator(".dgx-tip")
    assert tip.is_visible() and "data = 2.0" not in tip.inner_text()  # shortest repr, as JS
    assert "a\ndata = 2\n.grad = 6\n∂L/∂a = 6" in tip.inner_text()
    a_box.click()
    info = page.locator(".dgx-info").inner_text()
    assert "∂L/∂a = Σ over its 1 use" in info and "via e: −2 × −3 = 6" in info
    # its paths to the root: a → × → e → + → d → × → L, every box and edge on it lit
    lit = page.evaluate("() => Array.from(document.querySelectorAll('.dgx .dgx-path'))"
                        ".map(x => x.id.split('-').pop())")
    assert {"v2", "v4", "v6"} <= set(lit) and sum(x.startswith("edge") for x in lit) == 6


def test_static_picture_without_scripts(open_page):
    L = lesson_graph()
    L.backward()
    page = open_page(stepper(L), js=False)
    assert page.locator(".dgx-static").is_visible()
    assert "end of the sweep" in page.locator(".dgx-static").inner_text()
    assert page.locator(".dgx-figure svg").is_visible()
    assert page.locator(".dgx-bar button").count() == 0
    assert "grad 6" in page.locator(".dgx-figure").inner_text()


def test_python_m_nn_writes_an_explorer_that_replays(open_page, tmp_path):
    from nn import __main__ as main_mod

    out = tmp_path / "run"
    assert main_mod.main(["--steps", "6", "--samples", "24", "--hidden", "4,4",
                          "--out", str(out), "--quiet"]) == 0
    page = open_page(str(out / "explorer.html"))
    numbers = """() => Array.from(document.querySelectorAll('.dgx-figure text'))
        .map(t => t.textContent).join('|')"""

    def seen():
        return (caption(page), page.locator(".dgx-value").first.text_content(),
                page.locator("canvas.dgx-boundary").evaluate("c => c.toDataURL()"),
                page.evaluate(numbers),
                page.locator(".dgx-norm").first.text_content())

    first = seen()
    assert first[0].startswith("epoch 1 of 6: loss ")
    page.locator(".dgx-slider").evaluate(
        "s => { s.value = 5; s.dispatchEvent(new Event('input')); }")
    last = seen()
    assert last[0].startswith("epoch 6 of 6: loss ")
    for before, after, what in zip(first, last, ["caption", "loss marker", "boundary",
                                                 "graph numbers", "gradient norm"]):
        assert before != after, f"the {what} did not change with the slider"
    assert page.locator(".dgx-curve").count() == 2
    assert page.errors == []


def test_training_page_bounded_record_says_which(open_page):
    from nn import MLP, fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    X, y01 = make_moons(16, seed=2)
    y = to_pm1(y01)
    model = MLP(2, [3, 1], seed=2)
    rec = Recorder(model, X, y, max_steps=3, grid=5)
    fit(model, X, y, epochs=9, progress=False, callback=rec)
    page = open_page(training_page(rec))
    assert "3 of 9 epochs kept" in page.locator(".dgx-note").inner_text()
    page.locator(".dgx-next").click()
    assert page.locator(".dgx-where").inner_text() == "kept step 2 / 3"


def test_notebook_2_exported_without_a_kernel_steps_through_every_frame(open_page, tmp_path,
                                                                       monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    from nbconvert.preprocessors import ExecutePreprocessor

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    nb = nbformat.read(os.path.join(root, "notebooks", "02_backprop_is_dynamic_programming.ipynb"),
                       as_version=4)
    monkeypatch.setenv("PYTHONPATH", root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ExecutePreprocessor(timeout=300, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    path = tmp_path / "notebook2.html"
    path.write_text(body, encoding="utf-8")
    # nbconvert's page template asks a CDN for require.js and MathJax: blocked, tolerated;
    # the stepper itself asks for nothing
    page = open_page(str(path), tolerate=("https://cdnjs.cloudflare.com/ajax/libs/",))
    steppers = page.locator(".dgx-stepper")
    assert steppers.count() == 1
    n = int(page.locator(".dgx-slider").get_attribute("max")) + 1
    boxes = page.evaluate(BOXES)
    for k in range(1, n + 1):
        assert caption(page).startswith(f"step {k} of {n}: ")
        assert same_boxes(page.evaluate(BOXES), boxes)
        page.locator(".dgx-next").click()
    assert page.errors == []


# --- the network view: the replay's graph, and inspecting it by pointing ----------------------
UNIT_TEXTS = """(id) => Array.from(document.querySelectorAll('.dgx g.node'))
  .filter(g => g.id.endsWith('-' + id))[0].querySelectorAll('text')"""


def unit(page, box: str):
    """The unit box ``l{layer}u{j}`` (its <g id> carries the page's prefix)."""
    return page.locator(f'.dgx g.node[id$="-{box}"]')


def unit_texts(page, box: str) -> list[str]:
    return unit(page, box).locator("text").all_text_contents()


def js_full(x: float) -> str:
    """How the page writes a number in full precision (JS String(x), true minus)."""
    text = str(int(x)) if x == int(x) and abs(x) < 1e21 else repr(x)
    return text.replace("-", "−")


def recorded_run(epochs=8):
    from nn import MLP, fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    X, y01 = make_moons(24, noise=0.1, seed=3)
    y = to_pm1(y01)
    model = MLP(2, [4, 4, 1], seed=3)
    rec = Recorder(model, X, y, max_steps=20, grid=6)
    fit(model, X, y, epochs=epochs, progress=False, callback=rec)
    return rec


def test_replay_graph_is_the_network_view_and_its_numbers_follow_the_slider(open_page):
    from autograd.draw.explorer.page import fmt

    rec = recorded_run()
    tp = training_page(rec)
    net, numbers = tp.data["net"], tp.network.numbers
    page = open_page(tp)
    # one column per layer, units top to bottom in index order
    at = {b: unit(page, b).bounding_box() for b in net["ids"]}
    for layer in range(3):
        col = [at[b] for b in net["ids"] if b.startswith(f"l{layer}u")]
        assert len({round(r["x"] + r["width"] / 2) for r in col}) == 1
        assert [r["y"] for r in col] == sorted(r["y"] for r in col)
    assert at["l0u0"]["x"] < at["l1u0"]["x"] < at["l2u0"]["x"]
    first, last = numbers[0], numbers[-1]
    k = max(range(len(net["ids"])), key=lambda i: abs(last["z"][i] - first["z"][i]))
    box = net["ids"][k]
    for j in (0, len(numbers) - 1):
        page.locator(".dgx-slider").evaluate(
            f"s => {{ s.value = {j}; s.dispatchEvent(new Event('input')); }}")
        st = numbers[j]
        texts = unit_texts(page, box)
        assert texts[-2] == f"z {fmt(st['z'][k])}\u2002a {fmt(st['a'][k])}"
        assert texts[-1] == f"∂L/∂z {fmt(st['dz'][k])}"
        dead = [b for i, b in enumerate(net["ids"])
                if tp.network.act[i] == "relu" and st["z"][i] <= 0]
        shown_dead = [b for b in net["ids"] if "dead" in unit_texts(page, b)[0]]
        assert shown_dead == dead
    assert fmt(first["z"][k]) != fmt(last["z"][k])  # the texts above changed with the slider
    # edges: coloured by their share, wider for larger |w|, dashed when the share is 0
    widths = page.evaluate("""() => Array.from(document.querySelectorAll('.dgx g.edge'))
        .filter(e => e.hasAttribute('data-edge'))
        .sort((a, b) => a.getAttribute('data-edge') - b.getAttribute('data-edge'))
        .map(e => [+e.querySelector('path').getAttribute('stroke-width'),
                   e.querySelector('path').getAttribute('stroke-dasharray')])""")
    st = numbers[-1]
    assert len(widths) == len(st["w"])
    by_w = sorted(zip((abs(w) for w in st["w"]), (w for w, _ in widths)))
    assert by_w[0][1] <= by_w[-1][1]
    assert all((dash == "5,2") == (share == 0) for (_, dash), share in zip(widths, st["share"]))
    assert page.errors == []


def test_pointing_at_a_unit_of_the_replay_gives_its_numbers_and_chain_rule(open_page):
    from autograd.draw.explorer.page import fmt

    rec = recorded_run()
    tp = training_page(rec)
    net, names = tp.data["net"], tp.network.names
    page = open_page(tp)
    j = len(tp.network.numbers) - 1
    page.locator(".dgx-slider").evaluate(
        f"s => {{ s.value = {j}; s.dispatchEvent(new Event('input')); }}")
    st = tp.network.numbers[j]
    k = net["ids"].index("l0u1")
    unit(page, "l0u1").hover()
    tip = page.locator(".dgx-tip").inner_text()
    assert "layers.0.neurons.1" in tip and f"z = {js_full(st['z'][k])}" in tip
    assert f"∂L/∂z = {js_full(st['dz'][k])}" in tip
    unit(page, "l0u1").click()
    info = page.locator(".dgx-info").inner_text()
    assert "∂L/∂a of layers.0.neurons.1 = Σ over the next layer's units k" in info
    for e, (t, h, _w) in enumerate(tp.network.net.edges):
        if t == k:
            term = f"via {names[h]}: {fmt(st['dz'][h])} × {fmt(st['w'][e])} = "
            assert term in info
    assert f"(full precision {js_full(st['da'][k])})" in info
    # its paths to the root: its 4 edges out, the next layer's 4 edges, the edge to the root
    lit = page.evaluate("() => Array.from(document.querySelectorAll('.dgx g.edge.dgx-path'))"
                        ".map(e => e.querySelector('path') ? 1 : 0).length")
    assert lit == 4 + 4 + 1
    assert unit(page, "l0u1").get_attribute("class").count("dgx-path") == 1
    assert unit(page, "l0u0").get_attribute("class").count("dgx-path") == 0
    # the sum follows the slider
    page.locator(".dgx-back").click()
    assert page.locator(".dgx-info").inner_text() != info
    assert page.errors == []


def test_inspect_the_network_view_of_a_models_loss(open_page):
    from autograd import topological_order
    from autograd.draw import draw_dot
    from nn import MLP

    model = MLP(2, [3, 2, 1], seed=0)
    out = model([0.5, -1.0])
    out = out[0] if isinstance(out, list) else out
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    page = open_page(inspect(draw_dot(loss, view="units")))
    z_node = next(v for v in topological_order(loss) if v.label == "layers.1.neurons.0.z")
    unit(page, "l1u0").hover()
    tip = page.locator(".dgx-tip").inner_text()
    assert f"z = {js_full(z_node.data)}" in tip and f"∂loss/∂z = {js_full(z_node.grad)}" in tip
    unit(page, "l1u0").click()
    info = page.locator(".dgx-info").inner_text()
    assert "∂loss/∂a of layers.1.neurons.0 = Σ over the next layer's units k" in info
    assert "via layers.2.neurons.0: " in info
    assert page.errors == []


# --- layout: texts inside their boxes, the explanation beside the graph, no inner scroll ------
TEXT_OUTSIDE = """() => {
  const out = [];
  for (const g of document.querySelectorAll('.dgx-figure g.node')) {
    const shape = g.querySelector('path, polygon, ellipse');
    if (!shape) continue;
    const s = shape.getBoundingClientRect();
    for (const t of g.querySelectorAll('text:not(.dgx-badge)')) {
      const r = t.getBoundingClientRect();
      if (r.width && (r.left < s.left - 0.5 || r.right > s.right + 0.5))
        out.push([g.id, t.textContent, r.left - s.left, s.right - r.right]);
      if (t.hasAttribute('textLength')) out.push([g.id, t.textContent, 'squeezed']);
    }
  }
  return out; }"""


def no_inner_scroll(page) -> bool:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.dgx *'))
      .every(e => e.scrollHeight <= e.clientHeight + 1 || getComputedStyle(e).overflowY
                  === 'visible')""")


def beside(page) -> bool:
    """The explanation's column starts beside the figure, within the first screen."""
    f = page.locator(".dgx-figure").bounding_box()
    s = page.locator(".dgx-side").bounding_box()
    assert s["x"] >= f["x"] + f["width"] - 1 and s["y"] < f["y"] + 50, (f, s)
    return True


def test_replay_texts_fit_their_boxes_at_every_kept_step_and_nothing_scrolls_inside(open_page):
    rec = recorded_run()
    tp = training_page(rec)
    page = open_page(tp)
    for j in range(len(tp.epochs)):
        page.locator(".dgx-slider").evaluate(
            f"s => {{ s.value = {j}; s.dispatchEvent(new Event('input')); }}")
        assert page.evaluate(TEXT_OUTSIDE) == [], f"kept step {j}"
    assert no_inner_scroll(page) and beside(page)
    unit(page, "l1u2").click()
    info = page.locator(".dgx-info").bounding_box()
    assert info["y"] < 700  # the explanation is on the first screen, not below the fold


def test_stepper_texts_fit_their_boxes_at_every_step(open_page):
    for root in (notebook_graph(), lesson_graph()):  # after backward, and before it
        if root.label == "e":
            root.backward()
        page = open_page(stepper(root))
        n = int(page.locator(".dgx-slider").get_attribute("max")) + 1
        for _ in range(n):
            assert page.evaluate(TEXT_OUTSIDE) == [], caption(page)
            page.locator(".dgx-next").click()
        assert no_inner_scroll(page) and beside(page)


def test_play_speed_control_sets_the_pace(open_page):
    L = lesson_graph()
    L.backward()
    page = open_page(stepper(L))
    speed = page.locator(".dgx-speed")
    assert speed.locator("option").all_text_contents() == ["slow", "normal", "fast",
                                                            "fastest"]
    speed.select_option(label="fastest")
    page.locator(".dgx-play").click()
    # 6 steps at the fastest pace end well within the default pace's single step (900 ms)
    page.wait_for_function("() => document.querySelector('.dgx-where').textContent === "
                           "'step 7 / 7'", timeout=5_000)
    assert page.locator(".dgx-play").inner_text() == "▶ play"


def test_boundary_panel_has_axes_a_class_legend_and_the_class_colours(open_page):
    from autograd.draw.style import CLASS_COLOURS

    rec = recorded_run()
    page = open_page(training_page(rec))
    axes = page.locator(".dgx-bwrap svg")
    texts = axes.locator("text").all_text_contents()
    assert "label −1" in texts and "label 1" in texts and "x₀" in texts and "x₁" in texts
    assert sum(t.lstrip("−").replace(".", "").isdigit() for t in texts) >= 4  # tick labels
    fills = axes.locator("circle.dgx-point").evaluate_all("cs => cs.map(c => c.getAttribute("
                                                          "'fill'))")
    assert fills == [CLASS_COLOURS[1 if t > 0 else 0] for t in rec.y]
    legend = axes.locator("circle:not(.dgx-point):not(.dgx-traced)").evaluate_all(
        "cs => cs.map(c => c.getAttribute('fill'))")
    assert legend == list(CLASS_COLOURS)
    # the canvas sits inside the axes' frame, and a predicted class shows its colour
    frame = axes.locator("rect.dgx-frame").bounding_box()
    canvas = page.locator("canvas.dgx-boundary").bounding_box()
    assert abs(frame["x"] - canvas["x"]) < 1.5 and abs(frame["y"] - canvas["y"]) < 1.5


# --- exercise mode ------------------------------------------------------------------------
def test_exercise_mode_hides_the_next_gradient_checks_the_answer_and_explains_a_miss(open_page):
    e = notebook_graph()
    e.backward()
    s = stepper(e)
    page = open_page(s)
    b_grad = next(v for v in s.graph.order if v.label == "b").grad
    page.locator(".dgx-exercise").check()
    quiz = page.locator(".dgx-quiz")
    # step 1 visits e; d is visited next: its gradient is hidden and asked for
    assert quiz.is_visible() and "What is ∂e/∂d?" in quiz.inner_text()
    assert grad_text(page, "d") == "grad ?"
    page.locator(".dgx g.node", has=page.locator("text", has_text="grad ?")).first.hover()
    assert page.locator(".dgx-tip").inner_text() == "hidden: exercise mode"
    for _ in range(2):  # to the step before b's visit: b complete, not shown
        page.locator(".dgx-next").click()
    assert "What is ∂e/∂b?" in quiz.inner_text() and grad_text(page, "b") == "grad ?"
    page.locator(".dgx-answer").fill("1")
    page.locator(".dgx-check").click()
    verdict = page.locator(".dgx-verdict").inner_text()
    assert verdict.startswith("Not quite.") and "∂e/∂b = Σ over its 3 uses" in verdict
    assert "via c: 1 × " in verdict and "via d: 1 × " in verdict  # the sum with its numbers
    assert grad_text(page, "b") == "grad ?"
    page.locator(".dgx-answer").fill(f"{b_grad:.4g}".replace("-", "−"))
    page.locator(".dgx-answer").press("Enter")
    assert page.locator(".dgx-verdict").inner_text().startswith("Right: ∂e/∂b = ")
    assert grad_text(page, "b").startswith("grad ") and grad_text(page, "b") != "grad ?"
    page.locator(".dgx-exercise").uncheck()
    assert not quiz.is_visible()
    assert page.errors == []


def test_clicking_a_ringed_point_traces_it(open_page):
    """The replay records several points; clicking one on the boundary panel shows its
    graph's numbers (∂L/∂z of its own loss) and names it in the caption."""
    from autograd.draw.explorer.page import fmt, unpack

    rec = recorded_run()
    tp = training_page(rec)
    traced = tp.data["net"]["traced"]
    assert [t["p"] for t in traced] == rec.traced and len(traced) > 1
    page = open_page(tp)
    last = len(tp.epochs) - 1
    page.locator(".dgx-slider").evaluate(
        f"s => {{ s.value = {last}; s.dispatchEvent(new Event('input')); }}")
    assert f"point #{rec.point} " in caption(page)
    before = page.evaluate("() => Array.from(document.querySelectorAll('.dgx-figure text'))"
                           ".map(t => t.textContent).join('|')")
    k = 2
    page.locator(f".dgx-bwrap circle.dgx-traced[data-k='{k}']").click()
    page.wait_for_function(f"() => document.querySelector('.dgx-caption').textContent"
                           f".includes('point #{rec.traced[k]} ')")
    steps = unpack(traced[k]["steps"])
    assert caption(page) == steps[last]["caption"]  # still the same kept step
    for j, box in enumerate(tp.data["net"]["ids"]):
        assert unit_texts(page, box)[-3:] == steps[last]["t"][j]
    after = page.evaluate("() => Array.from(document.querySelectorAll('.dgx-figure text'))"
                          ".map(t => t.textContent).join('|')")
    assert after != before
    ring = page.locator(".dgx-bwrap circle.dgx-traced.dgx-on")
    assert ring.count() == 1 and ring.get_attribute("data-k") == str(k)
    x = rec.X[rec.traced[k]]  # the inputs are the traced point's
    assert page.locator('.dgx g.node[id$="-x0"] text').text_content() == f"x0 = {fmt(x[0])}"
    for j in range(0, last + 1, 3):
        page.locator(".dgx-slider").evaluate(
            f"s => {{ s.value = {j}; s.dispatchEvent(new Event('input')); }}")
        assert page.evaluate(TEXT_OUTSIDE) == [], f"kept step {j}"
    assert page.errors == []
