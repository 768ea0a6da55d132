"""Module: parameters, zero_grad, modes, state_dict and JSON save/load with corrupt files."""

import json
import os

import pytest

import nn
from nn import StateDictError


def snapshot(model):
    return [p.data for p in model.parameters()]


def test_parameters_zero_grad_and_modes():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Dropout(0.5), nn.Linear(3, 1, seed=1))
    ps = model.parameters()
    assert len(ps) == 3 * 3 + 4
    for p in ps:
        p.grad = 1.5
    model.zero_grad()
    assert all(p.grad == 0.0 for p in ps)
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not any(m.training for m in model.modules())
    model.train()
    assert model.layers[1].training


def test_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.BatchNorm(3), nn.ReLU(),
                          nn.Linear(3, 1, seed=1))
    model.forward_batch([[0.1, 0.2], [0.5, -1.0], [2.0, 0.3]])  # move the running averages
    path = tmp_path / "model.json"
    model.save(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "dagrad.nn.state_dict" and doc["version"] == 1
    assert doc["state"]["layers.0.neurons.2.w1"] == model.layers[0].neurons[2].w[1].data
    other = nn.Sequential(nn.Linear(2, 3, seed=5), nn.BatchNorm(3), nn.ReLU(),
                          nn.Linear(3, 1, seed=6))
    assert snapshot(other) != snapshot(model)
    other.load(path)
    assert snapshot(other) == snapshot(model)
    assert other.layers[1].running_mean == model.layers[1].running_mean
    assert other.layers[1].running_var == model.layers[1].running_var
    x = [0.3, -0.4]
    model.eval(), other.eval()
    assert other(x).data == model(x).data
    # no temporary files left behind
    assert os.listdir(tmp_path) == ["model.json"]


def test_save_replaces_atomically(tmp_path, monkeypatch):
    model = nn.MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    before = path.read_text()
    # a crash while writing leaves the old file intact and no temporary file
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    model.layers[0].neurons[0].w[0].data = 123.0
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["m.json"]


@pytest.fixture
def saved(tmp_path):
    model = nn.MLP(2, [4, 1], seed=0)
    path = tmp_path / "model.json"
    model.save(path)
    return path


def check_unchanged_after_error(path, match):
    model = nn.MLP(2, [4, 1], seed=1)
    before = snapshot(model)
    with pytest.raises(StateDictError, match=match):
        model.load(path)
    assert snapshot(model) == before


def test_wrong_architecture(saved, tmp_path):
    bigger = nn.MLP(2, [5, 1], seed=1)
    before = snapshot(bigger)
    with pytest.raises(StateDictError, match=r"wrong architecture.*missing 4 entries.*"
                       r"file holds MLP\(2, \[4, 1\]"):
        bigger.load(saved)
    assert snapshot(bigger) == before
    smaller = nn.MLP(2, [3, 1], seed=1)
    before = snapshot(smaller)
    with pytest.raises(StateDictError, match="unexpected 4 entries"):
        smaller.load(saved)
    assert snapshot(smaller) == before


def test_truncated_file(saved):
    text = saved.read_text()
    saved.write_text(text[: len(text) // 2])
    check_unchanged_after_error(saved, "not valid JSON.*truncated or corrupt")


@pytest.mark.parametrize("bad", ['"0.5"', "null", "true", "[1.0]", "NaN", "Infinity"])
def test_non_number(saved, bad):
    doc = json.loads(saved.read_text())
    doc["state"]["layers.0.neurons.2.w1"] = "PLACEHOLDER"
    saved.write_text(json.dumps(doc).replace('"PLACEHOLDER"', bad))
    check_unchanged_after_error(saved, "layers.0.neurons.2.w1|not a finite number")


def test_non_number_last_entry_changes_nothing(saved):
    # the bad entry comes after many good ones: still nothing may change
    doc = json.loads(saved.read_text())
    doc["state"]["layers.1.neurons.0.b"] = "x"
    saved.write_text(json.dumps(doc))
    check_unchanged_after_error(saved, "layers.1.neurons.0.b: expected a number")


def test_not_a_dagrad_file(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"hello": 1}')
    check_unchanged_after_error(p, "not a dagrad nn file")
    p.write_bytes(b"\xff\xfe\x00garbage")
    check_unchanged_after_error(p, "not a text")


def test_load_state_dict_errors_change_nothing():
    model = nn.MLP(2, [2, 1], seed=0)
    state = model.state_dict()
    state["layers.0.neurons.0.w0"] = 7.0
    state["layers.1.neurons.0.b"] = float("nan")
    before = snapshot(model)
    with pytest.raises(StateDictError, match="finite"):
        model.load_state_dict(state)
    assert snapshot(model) == before
    bn = nn.BatchNorm(2)
    s = bn.state_dict()
    s["running_var"] = [1.0]
    with pytest.raises(StateDictError, match="list of 2 numbers"):
        bn.load_state_dict(s)
    assert bn.running_var == [1.0, 1.0]


def test_cannot_save_nan(tmp_path):
    model = nn.MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(StateDictError, match="non-finite.*layers.0.neurons.0.b"):
        model.save(tmp_path / "m.json")
    assert not os.listdir(tmp_path)


def test_functional_call_restores():
    from autograd import Value

    n = nn.Neuron(2, "linear", seed=0)
    w0 = n.w[0]
    out = nn.module.functional_call(n, {"neuron.w0": Value(10.0), "neuron.b": Value(1.0)},
                             lambda: n([1.0, 0.0]))
    assert out.data == 11.0 and n.w[0] is w0
    with pytest.raises(KeyError):
        nn.module.functional_call(n, {"nope": Value(1.0)}, lambda: None)


def test_eval_mode_is_eval_plus_no_grad_and_restores_the_mode():
    model = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Dropout(0.5, seed=0))
    assert model.training
    with nn.eval_mode(model) as m:
        assert m is model and not model.training and not model.layers[1].training
        out = model([1.0, 2.0])
        assert all(v.is_leaf() for v in out)  # no graph recorded
    assert model.training
    with pytest.raises(RuntimeError), nn.eval_mode(model):
        raise RuntimeError("boom")
    assert model.training
    model.eval()
    with nn.eval_mode(model):
        pass
    assert not model.training


def test_getters_never_rename():
    lin = nn.Linear(2, 1, seed=0)
    first = nn.Sequential(lin, name="first")
    names = [p.label for p in lin.parameters()]
    assert names[0] == "first.layers.0.neurons.0.w0"
    list(lin.named_parameters())  # walking it, or from another prefix …
    list(lin.named_modules(prefix="elsewhere"))
    assert [p.label for p in lin.parameters()] == names and lin.name == "first.layers.0"
    nn.Sequential(nn.Tanh(), lin)  # … only a constructor (assign_names) renames
    assert lin.name == "layers.1" and lin.parameters()[0].label == "layers.1.neurons.0.w0"
    assert first.layers[0] is lin


@pytest.mark.parametrize("bad, shown", [("NaN", "nan"), ("Infinity", "inf"), ("-Infinity", "-inf")])
def test_a_non_finite_entry_is_named_plainly(saved, bad, shown):
    """Issue 22 item 12: a NaN in a model file used to give a garbled message ("holds a
    number too long to read (…: holds NaN, not a finite number)")."""
    doc = json.loads(saved.read_text())
    doc["state"]["layers.0.neurons.2.w1"] = "PLACEHOLDER"
    saved.write_text(json.dumps(doc).replace('"PLACEHOLDER"', bad))
    model = nn.MLP(2, [4, 1], seed=1)
    with pytest.raises(StateDictError) as err:
        model.load(saved)
    text = str(err.value)
    assert text.startswith(f"{saved}: layers.0.neurons.2.w1: expected a finite number, "
                           f"got {shown}")
    assert "too long" not in text and text.count(str(saved)) == 1


def test_load_refuses_devices_and_files_over_the_limit(saved, tmp_path):
    """Issue 22 item 6: loading /dev/zero used to read until memory ran out."""
    from autograd.saving import MAX_READ_BYTES
    model = nn.MLP(2, [4, 1], seed=1)
    before = snapshot(model)
    if os.path.exists("/dev/zero"):
        with pytest.raises(OSError, match="character device.*regular file"):
            model.load("/dev/zero")
    size = os.path.getsize(saved)
    with pytest.raises(ValueError, match=rf"{size} bytes.*limit of {size - 1} bytes.*max_bytes"):
        model.load(saved, max_bytes=size - 1)
    assert snapshot(model) == before
    model.load(saved, max_bytes=size)
    assert MAX_READ_BYTES >= 2**20
