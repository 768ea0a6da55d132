"""The playground's Python, in CPython: the site's build (pins, hashes, wheel, lessons), the
code cells' runner and the training panel. The browser side: test_playground_browser.py."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from autograd.playground import build as B
from autograd.playground import panel, runner
from autograd.playground.examples import EXAMPLES
from autograd.playground.lessons import LESSONS, NO_PLOTS, lesson_pages


def test_every_download_is_pinned_to_an_exact_version_and_a_hash():
    for item in B.NPM + B.PYPI:
        assert item.version[0].isdigit() and not set(item.version) & set("^~*<>= ")
        algo, _, text = item.digest.partition("-")
        assert algo in ("sha512", "sha256") and text, item
        assert item.url.startswith("https://") and item.version in item.url


def test_fetch_refuses_a_file_whose_hash_differs(tmp_path, monkeypatch):
    bad = b"not the package"
    good = base64.b64encode(hashlib.sha512(b"the package").digest()).decode()
    item = B.Download("x", "1.0", "https://registry.example/x-1.0.tgz", f"sha512-{good}")

    class Reply(io.BytesIO):
        def __enter__(self): return self
        def __exit__(self, *a): return False

    monkeypatch.setattr(B.urllib.request, "urlopen", lambda url, timeout: Reply(bad))
    with pytest.raises(B.BuildError, match="does not match its pinned hash"):
        B.fetch(item, tmp_path)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))  # nothing cached


def test_fetch_uses_an_intact_cached_file_and_replaces_a_damaged_one(tmp_path, monkeypatch):
    data = b"the package"
    item = B.Download("@scope/x", "1.0", "https://registry.example/x-1.0.tgz",
                      "sha256-" + hashlib.sha256(data).hexdigest())
    calls = []

    class Reply(io.BytesIO):
        def __enter__(self): return self
        def __exit__(self, *a): return False

    def urlopen(url, timeout):
        calls.append(url)
        return Reply(data)

    monkeypatch.setattr(B.urllib.request, "urlopen", urlopen)
    assert B.fetch(item, tmp_path) == data and len(calls) == 1
    assert B.fetch(item, tmp_path) == data and len(calls) == 1  # from the cache
    cached = next(p for p in tmp_path.rglob("*") if p.is_file())
    cached.write_bytes(b"damaged")
    assert B.fetch(item, tmp_path) == data and len(calls) == 2  # downloaded again


def test_the_wheel_of_the_checkout_carries_the_packages_and_a_valid_record():
    name, data = B.project_wheel(B.project_root())
    assert name.endswith("-py3-none-any.whl")
    z = zipfile.ZipFile(io.BytesIO(data))
    names = set(z.namelist())
    for must in ("autograd/value.py", "nn/layers.py", "autograd/playground/runner.py",
                 "autograd/draw/explorer/explorer.js", "autograd/playground/site/index.html"):
        assert must in names
    assert not [n for n in names if "__pycache__" in n or n.startswith("tests/")]
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    for line in z.read(record).decode().splitlines():
        path, digest, size = line.split(",")
        if path == record:
            continue
        body = z.read(path)
        want = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        assert digest == f"sha256={want}" and int(size) == len(body), path


def test_build_refuses_a_folder_that_is_not_a_site(tmp_path):
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(B.BuildError, match="not a playground site"):
        B.build(tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "mine"


def test_the_command_builds_a_site_and_says_how_to_serve_it(tmp_path, capsys):
    from autograd.playground.__main__ import main

    assert main(["build", str(tmp_path / "site")]) == 0
    said = capsys.readouterr().out
    assert f"python -m http.server -d {tmp_path / 'site'}" in said
    manifest = json.loads((tmp_path / "site" / "manifest.json").read_text(encoding="utf-8"))
    for wheel in manifest["wheels"]:
        assert (tmp_path / "site" / "wheels" / wheel).is_file()
    for item in B.NPM:
        for _, target in item.files:
            assert (tmp_path / "site" / target).is_file()
    from autograd.draw.style import CLASS_COLOURS, grad_color
    assert manifest["class_colours"] == list(CLASS_COLOURS)
    assert manifest["sign_colours"] == [grad_color(-1e300), grad_color(1e300)]
    assert main(["build", str(tmp_path / "site")]) == 0  # an earlier build is replaced
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    assert main(["build", str(tmp_path / "mine")]) == 1
    assert "not a playground site" in capsys.readouterr().err


def test_lessons_one_to_four_keep_their_code_minus_setup_and_magics():
    pages = lesson_pages(Path(B.project_root()) / "notebooks")
    assert [p["file"][:2] for p in pages] == list(LESSONS)
    for p in pages:
        codes = [c["source"] for c in p["cells"] if c["kind"] == "code"]
        assert codes and not any(c.startswith("# Set-up") for c in codes)
        assert not any(ln.lstrip().startswith("%") for c in codes for ln in c.splitlines())
        for c in codes:  # an import of matplotlib is a comment saying why
            for ln in c.splitlines():
                assert not ln.lstrip().startswith(("import matplotlib", "from matplotlib"))
                if "matplotlib" in ln and ln.lstrip().startswith("#"):
                    assert ln.endswith(NO_PLOTS)


def _run(code: str) -> list[dict]:
    return json.loads(runner.run_cell(code, runner.namespace()))


def test_a_cell_prints_and_shows_its_last_value():
    out = _run("a = Value(2.0); b = a * a; b.backward(); print(a.grad)\na.grad * 10")
    assert out == [{"kind": "text", "text": "4.0\n"}, {"kind": "text", "text": "40.0\n"}]


def test_a_cell_error_is_the_tracebacks_end_not_a_crash():
    out = _run("x = 1\ny = undefined_name + x")
    assert [o["kind"] for o in out] == ["error"]
    text = out[0]["text"]
    assert "y = undefined_name + x" in text and text.endswith(
        "NameError: name 'undefined_name' is not defined\n")
    assert "runner.py" not in text  # the cell's frames, not the runner's
    deep = _run("def f(v):\n    return v.log()\nf(Value(-1.0))")[0]["text"]
    assert "return v.log()" in deep and "value.py" in deep and "DomainError" in deep
    syntax = _run("1 +")
    assert syntax[0]["kind"] == "error" and "SyntaxError" in syntax[0]["text"]


def test_pictures_go_through_the_layout_hook(monkeypatch):
    from autograd.draw import display

    seen = []

    def layout(source, engine, fmt):
        seen.append((engine, fmt))
        return '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><g/></svg>'

    monkeypatch.setattr(display, "layout_hook", None)
    runner.start(layout)
    out = _run("x = Value(1.0, label='x')\ndraw_dot(x * x)")
    assert seen == [("dot", "svg")]
    assert out == [{"kind": "svg",
                    "svg": '<svg xmlns="http://www.w3.org/2000/svg"><g/></svg>'}]
    runner.start(None)
    assert display.layout_hook is None


def test_display_shows_several_things_in_order_and_ipythons_names_stand_in(monkeypatch):
    out = _run("print('a')\ndisplay(1, 'b')\nprint('c')")
    assert out == [{"kind": "text", "text": "a\n"}, {"kind": "text", "text": "1\n"},
                   {"kind": "text", "text": "'b'\n"}, {"kind": "text", "text": "c\n"}]
    import sys
    for name in ("IPython", "IPython.display"):  # absent now, as they were after the test
        monkeypatch.setitem(sys.modules, name, None)  # (setitem records the entry to restore)
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(runner.importlib.util, "find_spec", lambda name: None)
    runner.ipython_stand_in()
    out = _run("from IPython.display import HTML, display\ndisplay(HTML('<b>hi</b>'))")
    assert out == [{"kind": "page", "html": "<b>hi</b>"}]
    with pytest.raises(RuntimeError, match="in a cell"):
        runner.display(1)


def test_pinned_frames_keep_their_positions_through_the_hook(monkeypatch):
    """Frames drawn at given positions (neato -n2) ask the browser's Graphviz for "nop2"."""
    from autograd.draw import GraphPicture, display

    seen = []
    monkeypatch.setattr(display, "layout_hook", lambda src, engine, fmt: seen.append(
        (engine, fmt)) or "<svg/>")
    g = GraphPicture(engine="neato")
    g.no_op = 2
    assert g.pipe(format="svg") == b"<svg/>"
    assert GraphPicture().pipe(format="json", encoding="utf-8") == "<svg/>"
    assert seen == [("nop2", "svg"), ("dot", "json")]


def test_the_warm_up_picture_goes_through_the_hook(monkeypatch):
    from autograd.draw import display

    seen = []
    monkeypatch.setattr(display, "layout_hook", lambda src, engine, fmt: seen.append(fmt) or
                        '<svg xmlns="http://www.w3.org/2000/svg"/>')
    runner.warm_up()
    assert seen == ["svg"]


def test_explorer_pages_are_shown_whole():
    out = _run("o = (Value(0.5, label='x') * 2.0).tanh(); o.backward(); show_backward(o)")
    assert [o["kind"] for o in out] == ["page"]
    assert out[0]["html"].lstrip().lower().startswith("<!doctype html>")


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_the_starter_examples_run(name):
    out = _run(EXAMPLES[name])
    assert out and not [o for o in out if o["kind"] == "error"], out


def test_the_panel_trains_moons_and_the_replay_matches_the_engine():
    s = panel.Settings(dataset="moons", seed=0)
    replayed, interpreted = panel.Trainer(s), panel.Trainer(panel.Settings(compiled=False))
    assert replayed.engine == "compiled float replay" and interpreted.engine == "interpreted"
    a, b = replayed.step(3), interpreted.step(3)
    assert a["loss"] == pytest.approx(b["loss"], rel=1e-12)
    for p, q in zip(replayed.params, interpreted.params):
        assert p.data == pytest.approx(q.data, rel=1e-9, abs=1e-12)
    while replayed.steps < 300 and replayed.step(10)["accuracy"] < 0.95:
        pass
    assert replayed.accuracy() >= 0.95


def test_the_panels_view_holds_every_weight_its_gradient_and_update():
    t = panel.Trainer(panel.Settings(hidden=[3, 2], activations=["tanh", "relu"],
                                     optimizer="sgd", lr=0.1))
    t.step()
    v = t.view()
    assert [len(layer) for layer in v["layers"]] == [3, 2, 1]
    assert [len(u) for u in v["units"]] == [3, 2, 1]
    assert all(len(g) == v["grid"] ** 2 for layer in v["units"] for g in layer)
    n = v["layers"][0][0]
    assert len(n["w"]) == len(n["grad"]) == len(n["update"]) == 3  # w1, w2, b
    for g, d in zip(n["grad"], n["update"]):  # SGD: the update is −lr·grad
        assert d == pytest.approx(-0.1 * g, abs=1e-12)


@pytest.mark.parametrize("bad, match", [
    ({"dataset": "iris"}, "dataset 'iris'"), ({"loss": "cross_entropy"}, "loss"),
    ({"hidden": [4], "activations": []}, "one activation per hidden layer"),
    ({"lr": -1.0}, "learning rate"), ({"n": 0}, "at least 2 points"),
    ({"optimizer": "lbfgs"}, "optimizer")])
def test_the_panel_names_a_bad_setting(bad, match):
    with pytest.raises(ValueError, match=match):
        panel.Trainer(panel.Settings(**bad))


def test_added_points_join_the_data():
    t = panel.Trainer(panel.Settings(n=10, added=[[0.0, 0.0, 1], [2.0, 2.0, 0]]))
    assert len(t.X) == 12 and t.y[-2:] == [1, 0]


def test_a_chosen_points_backward_pass_is_two_pages_and_keeps_the_batch_gradients():
    panel.new(json.dumps({"hidden": [2], "activations": ["tanh"]}))
    t = panel._TRAINER[0]
    t.step()
    grads = [p.grad for p in t.params]
    units, stepper = json.loads(panel.point_pages(0))
    assert "loss at point 0" in stepper and "dgx" in stepper
    assert "dgx" in units and units != stepper
    assert [p.grad for p in t.params] == grads
