"""What some tests need from the machine, checked in one place: Graphviz's ``dot`` and
Debian's Chromium driven by Playwright (never ``playwright install``: it downloads a browser).
A module that lacks one is skipped, saying what to install."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


def graphviz_with_dot():
    """The graphviz package, or skip the calling module when it or ``dot`` is missing."""
    graphviz = pytest.importorskip("graphviz")
    try:
        graphviz.version()
    except graphviz.ExecutableNotFound:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)",
                    allow_module_level=True)
    return graphviz


def playwright_with_chromium(what: str):
    """playwright.sync_api, or skip the calling module (``what`` its tests) without them."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser at {CHROMIUM}: install Debian's chromium (apt-get install "
                    f"chromium) to run {what}", allow_module_level=True)
    return pytest.importorskip("playwright.sync_api",
                               reason='Playwright is missing: pip install "dagrad[test]"')


@contextmanager
def chromium(sync_api) -> Iterator:
    """Debian's Chromium, headless, launched by Playwright and closed afterwards."""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
