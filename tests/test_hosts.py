"""Every stored picture shows in every host, without a browser: the bundles' rules.

JupyterLab 4 (and Notebook 7) render ``text/html`` first, trusted or not. For an untrusted
notebook they sanitise it (packages/apputils sanitizer.ts, on sanitize-html): tags outside an
allow-list are dropped but their text stays, except ``script``/``style``/``textarea``/
``option``/``noscript``, whose content goes too; ``img`` keeps ``src`` whatever its scheme.
``image/svg+xml`` is not a safe mimetype (rendermime factories), so it is never shown
untrusted. ``sanitised_text`` below is that rule; tests/test_hosts_browser.py checks the real
thing in JupyterLab and Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from base64 import b64decode
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from draw_graphs import lecture, point_loss

import nn
from autograd import Value
from autograd.draw import draw_dot, show_backward
from autograd.draw.display import img_style, picture_bundle
from autograd.draw.live import Choice, Live, Slider, live
from autograd.draw.style import CLASS_COLOURS
from notebooks.build import notebooks, png_size

ROOT = Path(__file__).resolve().parent.parent
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is missing")
DROPPED_WITH_TEXT = {"script", "style", "textarea", "option", "noscript"}


class _Sanitised(HTMLParser):
    """The text and images an untrusted notebook's HTML output still shows."""

    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_TEXT:
            self.hidden += 1
        if tag == "img":
            self.images.append(dict(attrs).get("src", ""))

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_TEXT:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden and data.strip():
            self.text.append(data.strip())


def sanitised(html: str) -> _Sanitised:
    parser = _Sanitised()
    parser.feed(html)
    return parser


def lesson():
    L = lecture()
    L.backward()
    return L


@needs_dot
def test_a_picture_shows_untrusted_as_an_image_and_nothing_else():
    bundle = draw_dot(lesson())._repr_mimebundle_()
    seen = sanitised(bundle["text/html"])
    assert seen.text == [], f"raw text would show: {seen.text[:5]}"
    assert len(seen.images) == 1
    assert b64decode(seen.images[0].split(",", 1)[1]).decode() == bundle["image/svg+xml"]
    assert bundle["image/png"] and png_size(bundle["image/png"])[0] <= 1200


@needs_dot
def test_a_page_shows_its_final_picture_and_one_line_saying_how_to_make_it_move():
    page = show_backward(lesson())
    bundle = page._repr_mimebundle_()
    seen = sanitised(bundle["text/html"])
    assert len(seen.images) == 1
    assert b64decode(seen.images[0].split(",", 1)[1]).decode() == page._svg
    assert len(seen.text) == 1, seen.text  # the note, no page text
    note = seen.text[0]
    assert "run this cell or trust the notebook" in note and "step through" in note
    assert "Scripts are off" not in note and "Open the notebook in Jupyter" not in note
    # where scripts run, the script puts the page itself in place of the static copy
    script = bundle["text/html"].split("<script>", 1)[1]
    literal = re.search(r"createContextualFragment\((\".*\")\)\);s\.remove", script).group(1)
    assert json.loads(literal.replace("<\\/", "</")) == page._html


def test_a_picture_wider_than_the_column_scrolls_instead_of_shrinking():
    narrow = '<svg width="600pt" height="100pt"></svg>'
    wide = '<svg width="1800pt" height="100pt"></svg>'
    assert img_style(narrow) == "max-width:100%;height:auto"
    assert img_style(wide) == "max-width:none;width:2400px;height:auto"
    html = picture_bundle(wide, "wide")["text/html"]
    assert "overflow-x:auto" in html and "width:2400px" in html


@needs_dot
def test_png_of_a_big_picture_is_at_most_1200_px_wide():
    g = draw_dot(point_loss((4, 4, 1))[1], max_nodes=None)  # ~3,800 px at 100 %
    assert "scrolls sideways" in g.caption
    assert png_size(g._repr_mimebundle_()["image/png"])[0] <= 1200


# --- the interactive-cell helper ---------------------------------------------------------------

def _draw(a: float, op: str = "mul"):
    x, y = Value(a, label="a"), Value(2.0, label="b")
    out = x * y if op == "mul" else x + y
    out.label = "out"
    out.backward()
    return draw_dot(out)


@needs_dot
def test_live_shows_the_picture_at_the_defaults_and_redraws_on_change():
    widgets = pytest.importorskip("ipywidgets")
    cell = live(_draw, a=Slider(1.5, -4, 4, 0.5), op=Choice("mul", ["mul", "add"]))
    bundle = cell._repr_mimebundle_()
    assert bundle["image/svg+xml"] == _draw(1.5)._repr_mimebundle_()["image/svg+xml"]
    assert "image/png" in bundle and sanitised(bundle["text/html"]).images
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert repr(cell) == "<Live _draw(a=1.5, op='mul')>"
    panel = widgets.Widget.widgets[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]]
    controls, view = panel.children[0].children, panel.children[1]
    before = view.value
    controls[1].value = "add"
    assert view.value != before and view.value == _draw(1.5, "add")._repr_mimebundle_()["text/html"]
    assert isinstance(controls[0], widgets.FloatSlider)
    assert isinstance(Slider(30, 0, 100, 10).widget(widgets, "n"), widgets.IntSlider)
    log = Slider(0.3, 0.01, 10, 0.1, log=True).widget(widgets, "lr")
    assert isinstance(log, widgets.FloatLogSlider) and log.min == -2 and log.max == 1


def test_live_rejects_what_it_cannot_show():
    with pytest.raises(ValueError, match="outside"):
        Slider(5, 0, 4)
    with pytest.raises(ValueError, match="step"):
        Slider(1, 0, 4, 0)
    with pytest.raises(ValueError, match="log Slider needs min > 0"):
        Slider(1, 0, 4, log=True)
    with pytest.raises(ValueError, match="not one of"):
        Choice("elu", ["relu", "tanh"])
    with pytest.raises(TypeError, match="Slider"):
        live(_draw, a=(1.0, 0, 4))
    with pytest.raises(TypeError, match="function"):
        Live("not a function", {})


# --- the committed lessons ------------------------------------------------------------------------

@pytest.mark.parametrize("path", notebooks(), ids=lambda p: p.name[:2])
def test_every_stored_picture_has_a_form_an_untrusted_notebook_shows(path):
    """No output whose only picture is SVG (not shown untrusted); no inline SVG or page text
    in HTML (sanitised to a run of words); every PNG at most 1,200 px wide."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            where = f"{path.name} cell {i}"
            if "image/svg+xml" in data:
                assert "image/png" in data or "<img" in data.get("text/html", ""), \
                    f"{where}: SVG only, which JupyterLab does not show untrusted"
            if "text/html" in data:
                seen = sanitised(data["text/html"])
                raw = [t for t in seen.text if re.search(r"\w->\w|Scripts are off", t)]
                assert not raw, f"{where}: sanitised HTML shows raw text {raw[:3]}"
            if "image/png" in data:
                assert png_size(data["image/png"])[0] <= 1200, f"{where}: PNG too wide"


def test_notebooks_1_and_7_use_the_library_helper_not_a_pasted_class():
    for name in ("01", "07"):
        (path,) = notebooks([name])
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        assert "from autograd.draw.live import" in source and "class Live" not in source


# --- one colour per class -----------------------------------------------------------------------

def test_decision_boundary_draws_each_class_in_its_colour_with_a_legend():
    pytest.importorskip("matplotlib")
    from matplotlib.colors import to_hex

    X, y01 = nn.data.make_moons(20, noise=0.1, seed=0)
    y = nn.data.to_pm1(y01)
    from nn.plot import plot_decision_boundary

    fig = plot_decision_boundary(nn.MLP(2, [4, 1], seed=0), X, y, steps=10)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["class -1", "class +1"]
    points = [c for c in ax.collections if c.get_label() in legend]
    assert [to_hex(c.get_facecolor()[0]) for c in points] == list(CLASS_COLOURS)
    # the region scored < 0 (class -1) is tinted with class -1's colour
    regions = [c for c in ax.collections if hasattr(c, "get_cmap") and c.get_array() is not None]
    assert regions and to_hex(regions[0].get_cmap()(0.0)) == CLASS_COLOURS[0]


# --- README set-up commands -----------------------------------------------------------------------

def _ci_command(name: str) -> str:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    return re.search(rf"^{name}='(.*)'$", text, re.M).group(1)


def test_ci_runs_the_readmes_commands_as_written():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    for name in ("SETUP_CMD", "TEST_CMD"):
        assert _ci_command(name) in lines, f".ci/run's {name} is not a line of the README"
    assert not any(re.match(r"\s*sudo ", line) for line in lines), "a bare sudo fails as root"


@pytest.mark.parametrize("has_sudo", [False, True], ids=["root", "user-with-sudo"])
def test_command_1_runs_apt_get_with_sudo_only_where_there_is_sudo(tmp_path, has_sudo):
    """Command 1 with stand-ins for apt-get, sudo, python3 (they log their calls): as root
    with no sudo installed, apt-get runs directly; as a user with sudo, through sudo."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    names = ["apt-get", "python3"] + (["sudo"] if has_sudo else [])
    for name in names:
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls"\n'
                        + ('exec "$@"\n' if name == "sudo" else ""))
        tool.chmod(0o755)
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    for name in ("pip", "python"):
        (venv / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{tmp_path}/calls"\n')
        (venv / name).chmod(0o755)
    bash = shutil.which("bash")
    subprocess.run([bash, "-c", _ci_command("SETUP_CMD")], cwd=tmp_path, check=True,
                   env={"PATH": f"{bin_dir}:/nonexistent"})
    calls = (tmp_path / "calls").read_text().splitlines()
    prefix = "sudo apt-get" if has_sudo else "apt-get"
    assert calls[0].startswith(prefix + " update"), calls
    assert any(c.startswith(prefix + " install -y graphviz") for c in calls), calls
    assert calls[-1] == "python -m nn"
