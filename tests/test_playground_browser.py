"""The playground in a real browser: the site built (downloads cached), served on 127.0.0.1
from a thread, driven in Debian's Chromium through Playwright. One page for the module (Python
starts once); every request the page makes is recorded."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from requires import chromium, playwright_with_chromium

from autograd.playground.build import build, site_size
from autograd.playground.serve import serving

READY_MS = 180_000  # generous: the machine is shared; speed is measured in benchmarks/

sync_api = playwright_with_chromium("the playground's browser tests")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build(tmp_path_factory.mktemp("playground") / "site")


@pytest.fixture(scope="module")
def page(site):
    requests: list[str] = []
    with serving(site) as url, chromium(sync_api) as browser:
        pg = browser.new_page(viewport={"width": 1200, "height": 900})
        pg.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(url)
        pg.wait_for_function("window.dagradReady === true", timeout=READY_MS)
        pg.requests, pg.errors = requests, errors
        yield pg


def run(pg, code: str, selector: str = "#output > *"):
    pg.click("nav button[data-tab=cells]")
    pg.fill("#code", code)
    pg.click("#run")
    pg.wait_for_selector(selector, timeout=60_000)
    return pg.locator("#output")


def test_the_site_is_small_and_holds_no_file_from_outside(site):
    assert site_size(site) <= 30_000_000
    assert (site / "index.html").is_file() and (site / "manifest.json").is_file()


def test_python_is_ready_and_a_cell_prints_the_gradient(page):
    out = run(page, "a = Value(2.0); b = a * a; b.backward(); print(a.grad)", "#output pre")
    assert out.inner_text().strip() == "4.0"


def test_shift_enter_runs_and_errors_show_the_tracebacks_end(page):
    page.click("nav button[data-tab=cells]")
    page.fill("#code", "x = Value(-1.0)\nx.log()")
    page.press("#code", "Shift+Enter")
    page.wait_for_selector("#output pre.out-error", timeout=60_000)
    text = page.inner_text("#output pre.out-error")
    assert "x.log()" in text and "DomainError" in text
    out = run(page, "print('still alive')", "#output pre.out-text")
    assert out.inner_text().strip() == "still alive"


def test_draw_dot_shows_an_svg_laid_out_in_the_browser(page):
    out = run(page, "x = Value(3.0, label='x')\ny = (x * x).tanh(); y.label = 'y'\n"
                    "y.backward()\ndraw_dot(y)", "#output svg")
    svg = out.locator("svg").first
    assert svg.locator("g.node").count() >= 3
    texts = svg.locator("text").all_text_contents()
    assert "y" in texts and "x" in texts


def test_backward_frames_keep_their_positions_in_the_browser(page):
    code = ("from autograd.draw import backward_frames\nfrom autograd.draw.display import "
            "svg_text\nimport re\na = Value(2.0, label='a'); L = (a * -3.0 + 1.0).tanh()\n"
            "shapes = [re.findall(r'<path[^>]* d=\"([^\"]*)\"', svg_text(f)) "
            "for f in backward_frames(L)]\n"
            "print(len(shapes), len(set(map(tuple, shapes))), len(shapes[0]))")
    frames, distinct, boxes = map(int, run(page, code, "#output pre").inner_text().split())
    assert frames >= 3 and boxes >= 2 and distinct == 1  # every box where it was


def test_the_stepper_steps(page):
    run(page, "o = (Value(0.5, label='x') * 2.0).tanh(); o.label = 'o'\no.backward()\n"
              "show_backward(o)", "#output iframe")
    frame = page.frame_locator("#output iframe")
    first = frame.locator(".dgx-caption").inner_text()
    assert first.startswith("step 1 of ")
    frame.locator(".dgx-next").click()
    second = frame.locator(".dgx-caption").inner_text()
    assert second.startswith("step 2 of ") and second != first


def test_training_on_moons_reaches_95_percent(page):
    page.click("nav button[data-tab=train]")
    page.select_option("#t-dataset", "moons")
    page.click("#t-reset")
    page.click("#t-step")
    page.wait_for_function("document.getElementById('t-steps').textContent === '1'")
    page.click("#t-play")
    page.wait_for_function(
        "parseFloat(document.getElementById('t-acc').textContent) >= 95", timeout=180_000)
    page.click("#t-pause")
    acc = float(re.match(r"[\d.]+", page.inner_text("#t-acc"))[0])
    assert acc >= 95
    assert page.locator("#t-network canvas").count() == 2 + 16 + 16 + 1  # a heat map per unit
    assert "compiled float replay" in page.inner_text("#t-engine")


def test_a_chosen_points_backward_pass_on_the_network_and_step_by_step(page):
    page.click("nav button[data-tab=train]")
    page.click("#t-plane", modifiers=["Shift"], position={"x": 160, "y": 160})
    page.wait_for_selector("#t-sweep iframe >> nth=1", timeout=120_000)
    units, stepper = page.frame_locator("#t-sweep iframe >> nth=0"), \
        page.frame_locator("#t-sweep iframe >> nth=1")
    assert stepper.locator(".dgx-caption").inner_text().startswith("step 1 of ")
    assert units.locator("svg g.node").count() >= 2 + 16 + 16 + 1  # a box per unit


def test_a_click_adds_a_point_of_the_chosen_class(page):
    page.click("nav button[data-tab=train]")
    before = page.evaluate("window.dagrad.panel.view()").count("],")
    page.select_option("#t-class", "1")
    page.click("#t-plane", position={"x": 20, "y": 20})
    page.wait_for_function("document.getElementById('t-steps').textContent === '0'")
    view = page.evaluate("JSON.parse(window.dagrad.panel.view())")
    assert view["points"][-1][2] == 1 and view["step"] == 0
    assert page.evaluate("window.dagrad.panel.view()").count("],") > before


def test_lesson_one_runs_cell_by_cell_without_an_error(page):
    page.click("nav button[data-tab=lessons]")
    page.select_option("#lesson", "0")
    runs = page.locator("#lesson-page .lesson-run")
    assert runs.count() >= 10
    page.click("#lesson-run-all")
    last = page.locator("#lesson-page .cell").last.locator("div").last
    page.wait_for_function("(el) => el.children.length && !el.querySelector('.hint')",
                           arg=last.element_handle(), timeout=120_000)
    assert page.locator("#lesson-page .out-error").all_inner_texts() == []
    assert page.locator("#lesson-page svg").count() >= 3  # the lesson's pictures


def test_no_request_left_this_machine_and_no_script_error(page):
    assert page.requests, "no request was recorded"
    outside = [u for u in page.requests
               if not u.startswith(("data:", "about:")) and urlsplit(u).hostname != "127.0.0.1"]
    assert outside == []
    assert page.errors == []
