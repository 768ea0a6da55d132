"""Every committed lesson shows its pictures where a student opens it, unrun.

A real JupyterLab server (from the test extra) is started on 127.0.0.1 with a fresh root,
token, settings and trust database (so every notebook is untrusted, as a fresh clone is), and
headless Chromium (Debian's, driven by Playwright) opens each committed notebook without
running a cell. For every output that is a picture or a page, it must show a visible image at
least ``MIN_WIDTH`` px wide and no run of raw page text (an edge dump ``v0->v2op``, a "Scripts
are off" line). The same is checked in each notebook's nbconvert HTML export opened with
scripts disabled. Screenshots go to ``$DAGRAD_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from requires import chromium, playwright_with_chromium

from notebooks.build import notebooks

MIN_WIDTH = 200  # px: a picture, not an icon
TOKEN = "dagrad-test-token"
# Raw page text: what a sanitised inline SVG or explorer page leaves behind.
RAW_TEXT = re.compile(r"\w->\w|Scripts are off|dagradBoot|Open the notebook in Jupyter")

sync_api = playwright_with_chromium("the hosts' browser tests")
pytest.importorskip("jupyterlab", reason='JupyterLab is missing: pip install "dagrad[test]"')
nbconvert = pytest.importorskip("nbconvert", reason='nbconvert: pip install "dagrad[test]"')


def picture_outputs(path: Path) -> list[tuple[int, int, str]]:
    """(cell index, output index, what) of every output that is a picture or a page."""
    found = []
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for j, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {})
            html = data.get("text/html", "")
            if any(k.startswith("image/") for k in data) or "<svg" in html or "<img" in html:
                found.append((i, j, data.get("text/plain", "")[:60]))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server over a copy of the committed notebooks: its base URL."""
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("jupyter")
    for path in notebooks():
        (root / path.name).write_bytes(path.read_bytes())
    # every cell in the page at once (JupyterLab 4 otherwise renders only those in view)
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker = tracker / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}', encoding="utf-8")
    port = free_port()
    env = dict(os.environ, JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "run"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
         f"--port={port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
         "--allow-root", "--LabApp.extension_manager=readonly",
         "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start: "
                                       + server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with chromium(sync_api) as b:
        yield b


def shot(element, name: str) -> None:
    """A screenshot of one output, where $DAGRAD_SCREENSHOTS asks for them (to look at)."""
    folder = os.environ.get("DAGRAD_SCREENSHOTS")
    if folder:
        element.screenshot(path=str(Path(folder) / f"{name}.png"))


def check_output(output, where: str) -> list[str]:
    """What is wrong with one picture output as shown (empty: nothing)."""
    output.scroll_into_view_if_needed()
    widths = output.evaluate(
        "el => Array.from(el.querySelectorAll('img, svg')).filter(i => {"
        " const s = getComputedStyle(i); return s.visibility !== 'hidden' && s.display !== 'none'"
        " && (i.complete === undefined || i.complete && i.naturalWidth > 0); })"
        ".map(i => i.getBoundingClientRect().width)")
    problems = []
    if not widths or max(widths) < MIN_WIDTH:
        problems.append(f"{where}: no visible image >= {MIN_WIDTH} px (widths {widths})")
    raw = RAW_TEXT.search(output.inner_text())
    if raw:
        problems.append(f"{where}: raw page text {raw.group(0)!r} is visible")
    return problems


def check_notebook(host: str, path: Path, outputs_of) -> list[str]:
    problems = []
    for cell, out, what in picture_outputs(path):
        output = outputs_of(cell).nth(out)
        problems += check_output(output, f"{path.name} cell {cell} output {out} ({what})")
        shot(output, f"{host}-{path.stem[:2]}-{cell}-{out}")
    return problems


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name[:2])
def test_jupyterlab_untrusted_shows_every_picture(lab, browser, path):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    try:
        # a workspace of its own, reset: only this notebook open
        page.goto(f"{lab}/lab/workspaces/nb{path.name[:2]}/tree/{path.name}?token={TOKEN}&reset")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
        page.wait_for_timeout(1500)  # outputs render after the cells
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
        assert cells.count() == len(nbformat.read(path, as_version=4).cells)
        trusted = page.evaluate("() => document.querySelectorAll('.jp-mod-trusted').length")
        assert trusted == 0, "the notebook opened trusted: the test must see it untrusted"
        problems = check_notebook(
            "lab", path, lambda i: cells.nth(i).locator(".jp-OutputArea-output"))
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name[:2])
def test_nbconvert_html_without_scripts_shows_every_picture(browser, path, tmp_path):
    body, _ = nbconvert.HTMLExporter().from_filename(str(path))
    html_path = tmp_path / f"{path.stem}.html"
    html_path.write_text(body, encoding="utf-8")
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    ctx.route("http*://**", lambda route: route.abort())  # the export's CDN scripts
    page = ctx.new_page()
    try:
        page.goto(html_path.as_uri())
        cells = page.locator(".jp-Cell")
        assert cells.count() == len(nbformat.read(path, as_version=4).cells)
        problems = check_notebook(
            "nbconvert", path, lambda i: cells.nth(i).locator(".jp-OutputArea-output"))
    finally:
        ctx.close()
    assert not problems, "\n".join(problems)


def test_nbconvert_html_with_scripts_swaps_in_the_live_pictures(browser, tmp_path):
    """Where scripts run, the static copies give way: a graph picture becomes inline SVG (with
    dot's tooltips) and notebook 2's stepper becomes the live page (its controls shown)."""
    (path,) = notebooks(["02"])
    body, _ = nbconvert.HTMLExporter().from_filename(str(path))
    html_path = tmp_path / "02.html"
    html_path.write_text(body, encoding="utf-8")
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("http*://**", lambda route: route.abort())
    page = ctx.new_page()
    try:
        page.goto(html_path.as_uri())
        page.wait_for_selector(".dgx-live", timeout=20000)
        assert page.locator(".dagrad-static").count() == 0, "a static copy was not replaced"
        assert page.locator(".jp-OutputArea-output svg title").count() > 0  # tooltips
        live = page.locator(".dgx-stepper")
        assert live.count() == 1 and live.locator("button").first.is_visible()
        assert not live.locator(".dgx-static").is_visible()
        shot(live, "nbconvert-scripts-02-stepper")
    finally:
        ctx.close()
