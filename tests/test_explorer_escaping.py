"""Issue 22 item 7: user text in a page is data, never markup or code.

Hostile labels (``<!--<script>``, ``</script>``, U+2028, event-handler markup, …) are put on
the Values of every page kind (stepper, inspect, the training replay); each page is opened
in headless Chromium (every request that leaves the page aborted and recorded) and must
still work (its script ran, a step changes the caption) while nothing injected ran (no
``window.__pwned``) and the label reads back as text, whole.
"""

import os
import tempfile

import pytest
from requires import chromium, playwright_with_chromium

from autograd import Value
from autograd.draw.explorer import inspect, stepper, training_page
from autograd.draw.explorer.page import to_json

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

PAYLOADS = ["<!--", "<script>", "</script>", "-->", "<!--<script>", "</style>", "<style>",
            "<img src=x onerror=window.__pwned=1>", "<svg onload=window.__pwned=1>",
            "<script>window.__pwned=1</script>", "\u2028", "\u2029", "&amp;", "&lt;", '"',
            "'", "`", "${window.__pwned=1}", "<![CDATA[", "]]>", "\\", "\\u003c", "{{x}}",
            "javascript:window.__pwned=1", "<a href=x>", "</div>", "</svg>", "\x00", "\x1b"]
LABELS = st.lists(st.one_of(st.sampled_from(PAYLOADS),
                            st.text(st.characters(blacklist_categories=("Cs",)), max_size=6)),
                  min_size=1, max_size=5).map("".join)


def test_json_in_a_script_has_no_markup_characters():
    text = to_json({"a": "<!--<script></script>&\u2028\u2029"})
    assert not set(text) & set("<>&\u2028\u2029")
    import json

    assert json.loads(text) == {"a": "<!--<script></script>&\u2028\u2029"}


def two_labels(a: str, b: str):
    """(x·y + x) with x, y labelled as given and the output labelled a + b."""
    x, y = Value(2.0, label=a), Value(-3.0, label=b)
    out = x * y + x
    out.label = a + b
    out.backward()
    return out


def replay_with_labels(a: str, b: str):
    """A two-parameter model whose parameters carry the hostile labels, trained 3 epochs."""
    from nn import Module, fit
    from nn.record import Recorder

    class Affine(Module):
        def __init__(self):
            self.w, self.b = Value(0.3, label=a), Value(0.1, label=b)

        def parameters(self):
            return [self.w, self.b]

        def __call__(self, x):
            return self.w * x[0] + self.b

    X, y = [[0.5, 1.0], [-1.0, 0.2], [0.3, -0.7]], [1.0, -1.0, 1.0]
    model = Affine()
    rec = Recorder(model, X, y, max_steps=5, grid=4)
    fit(model, X, y, epochs=3, progress=False, callback=rec)
    return training_page(rec)


PAGES = {"stepper": lambda a, b: stepper(two_labels(a, b)),
         "inspect": lambda a, b: inspect(two_labels(a, b)),
         "training": replay_with_labels}


@pytest.fixture(scope="module")
def browser():
    with chromium(playwright_with_chromium("the escaping tests")) as b:
        yield b


def check_page(browser, page_obj, labels: list[str]) -> None:
    """The page boots, steps, runs nothing injected, asks for nothing, shows the labels."""
    attempts, errors = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = page_obj.save(os.path.join(tmp, "page.html"))
        ctx = browser.new_context()
        try:
            def block(route):
                if not route.request.url.startswith(("file:", "about:")):
                    attempts.append(route.request.url)
                    return route.abort()
                return route.continue_()

            ctx.route("**/*", block)
            page = ctx.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"file://{path}")
            page.wait_for_selector(".dgx[data-ready]", state="attached", timeout=10_000)
            if page.locator(".dgx-next").count():
                before = page.locator(".dgx-caption").inner_text()
                page.locator(".dgx-next").click()
                assert page.locator(".dgx-caption").inner_text() != before
            tips = []
            for node in page.locator(".dgx g.node").all():
                node.hover()
                tips.append(page.evaluate("() => document.querySelector('.dgx-tip')"
                                          ".textContent"))
            assert page.evaluate("() => window.__pwned") is None
            assert page.evaluate("() => document.querySelectorAll('script').length") == 1
        finally:
            ctx.close()
    assert errors == [] and attempts == []
    for label in labels:  # each label, whole, in the hover text of its box
        assert any(label in tip for tip in tips), (label, tips)


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_hostile_labels_stay_text_in_every_page_kind(browser, kind):
    @hypothesis.settings(max_examples=4, deadline=None, derandomize=True,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(a=LABELS, b=LABELS)
    def run(a, b):
        hypothesis.assume(a.strip() and b.strip())
        check_page(browser, PAGES[kind](a, b), [a, b] if kind != "training" else [])

    run()


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_the_reported_label_no_longer_disables_the_page(browser, kind):
    """The reproduction from the issue: ``<!--<script>`` in a label."""
    check_page(browser, PAGES[kind]("a<!--<script>", "b"),
               ["a<!--<script>"] if kind != "training" else [])
    check_page(browser, PAGES[kind]("<!--<script>", "</script><script>window.__pwned=1//"),
               [] if kind == "training" else ["<!--<script>"])
