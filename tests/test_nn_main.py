"""The main job (python -m nn) and the matplotlib helpers."""

import os
import re
import subprocess
import sys

import pytest

import nn
from nn import __main__ as main_mod
from nn import data

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_help_runs_as_module():
    r = subprocess.run([sys.executable, "-m", "nn", "--help"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for option in ("--dataset", "--hidden", "--optimizer", "--lr", "--steps", "--seed",
                   "--out", "--quiet"):
        assert option in r.stdout


def test_short_run_writes_png_svg_and_model(tmp_path, capsys):
    out = tmp_path / "run"
    assert main_mod.main(["--steps", "3", "--samples", "30", "--hidden", "4,4",
                          "--out", str(out), "--quiet"]) == 0
    files = sorted(os.listdir(out))
    assert files == ["decision_boundary.png", "explorer.html", "model.json", "neuron.svg"]
    assert (out / "decision_boundary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (out / "neuron.svg").read_text()
    assert "<svg" in svg and "layers.0.neurons." in svg and ".w0" in svg and "grad" in svg
    printed = capsys.readouterr().out
    assert str(out) in printed and "training accuracy" in printed
    model = nn.MLP(2, [4, 4, 1])
    model.load(out / "model.json")  # the weights round-trip


def test_options(tmp_path, capsys):
    assert main_mod.main(["--dataset", "xor", "--optimizer", "adam", "--loss", "logistic",
                          "--steps", "2", "--samples", "20", "--hidden", "3",
                          "--out", str(tmp_path), "--quiet"]) == 0
    assert "training accuracy" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main_mod.main(["--hidden", "a,b"])


def test_main_without_matplotlib_still_finishes(tmp_path, monkeypatch, capsys):
    for mod in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, mod, None)
    assert main_mod.main(["--steps", "2", "--samples", "20", "--hidden", "3",
                          "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["explorer.html", "model.json", "neuron.svg"]
    assert 'pip install "dagrad[plot]"' in capsys.readouterr().err


def test_plots_return_figures_and_save(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from nn import plot

    X, y = data.make_moons(30, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    hist = nn.fit(model, X, y, loss="bce_with_logits", epochs=3, val=(X, y), progress=False)
    for fig in (plot.plot_history(hist, tmp_path / "h.png"),
                plot.plot_decision_boundary(model, X, y, tmp_path / "d.png", steps=20),
                plot.plot_grad_norms({"layers.0": 0.1, "layers.1": 0.3}, tmp_path / "g.svg"),
                plot.plot_grad_norms([{"a": 1.0}, {"a": 0.5}])):
        assert isinstance(fig, Figure)
    assert sorted(os.listdir(tmp_path)) == ["d.png", "g.svg", "h.png"]
    Xs, ys = data.make_spiral(30, n_classes=3, seed=0)
    assert isinstance(plot.plot_decision_boundary(nn.MLP(2, [4, 3], seed=0), Xs, ys,
                                                  steps=10), Figure)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "dagrad\[plot\]"'):
        plot.plot_history(hist)


@pytest.mark.parametrize("flags", [["--lr", "1e6"], ["--lr", "1e300"], ["--l2", "1e308"]])
def test_a_diverged_run_finishes_reports_it_and_writes_its_outputs(tmp_path, capsys, flags):
    """Divergence is a lesson topic: the run ends normally (exit 0), says the loss is not
    finite, and writes the plot, the neuron and the replay page; weights that are not
    finite numbers are not saved, with a warning saying why."""
    out = tmp_path / "run"
    code = main_mod.main([*flags, "--steps", "20", "--samples", "30", "--hidden", "4,4",
                          "--out", str(out), "--quiet"])
    assert code == 0
    captured = capsys.readouterr()
    assert "diverged" in captured.out
    files = set(os.listdir(out))
    assert {"decision_boundary.png", "explorer.html", "neuron.svg"} <= files
    page = (out / "explorer.html").read_text()
    assert re.search(r"loss (nan|inf|-inf)[<,]", page)  # the replay page shows the loss as it is
    if "model.json" not in files:
        assert "model.json" in captured.err and "not finite" in captured.err
