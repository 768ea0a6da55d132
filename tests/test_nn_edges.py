"""nn at the edges (issue 12): each test failed before its fix."""

import copy
import json
import math
import pickle
import sys

import pytest

import nn
from autograd import Value
from nn import __main__ as main_mod
from nn import data

OPTIMIZERS = [nn.optim.SGD, nn.optim.Adagrad, nn.optim.RMSprop, nn.optim.Adam,
              nn.optim.AdamW, nn.optim.Adadelta]


# --- optimisers ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_step_after_create_graph_uses_the_gradient_s_number(cls):
    w = Value(0.5)
    loss = (w * w * w).tanh()
    loss.backward(create_graph=True)
    assert isinstance(w.grad, Value)  # a graph, for second order
    g = w.grad.data
    opt = cls([w], lr=0.1)
    opt.step()
    assert type(w.data) is float
    # the same step from the plain float gradient
    v = Value(0.5)
    v.grad = g
    cls([v], lr=0.1).step()
    assert w.data == v.data
    opt.step()  # and a second step still works
    assert type(w.data) is float


@pytest.mark.parametrize("cls", OPTIMIZERS)
@pytest.mark.parametrize("lr", [math.nan, math.inf, -1.0, "0.1"])
def test_every_optimiser_rejects_a_bad_learning_rate(cls, lr):
    if isinstance(lr, str):  # not a number at all: a TypeError, as for every hyper-parameter
        with pytest.raises(TypeError, match=r"lr must be a number, got str"):
            cls([Value(1.0)], lr=lr)
        return
    with pytest.raises(ValueError, match=r"lr must be a finite number >= 0"):
        cls([Value(1.0)], lr=lr)


def test_centered_rmsprop_under_a_constant_gradient():
    # (v − ḡ²) is ≥ 0 in exact arithmetic but rounds below 0 here at step 17
    w = Value(1.0)
    opt = nn.optim.RMSprop([w], lr=0.01, alpha=0.1, centered=True)
    for _ in range(40):
        w.grad = 1.8648385417907978
        opt.step()
    assert math.isfinite(w.data)


# --- pickling, tied weights ---------------------------------------------------------------
@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid"])
def test_models_pickle_and_deep_copy(activation):
    model = nn.Sequential(nn.MLP(2, [3, 1], activation=activation, seed=0), nn.Dropout(0.0))
    x = [0.3, -0.7]
    want = model(x).data
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert clone(x).data == want
        assert clone.state_dict() == model.state_dict()
        assert clone.parameters()[0] is not model.parameters()[0]
        assert [p.label for p in clone.parameters()] == [p.label for p in model.parameters()]


def tied():
    lin = nn.Linear(2, 2, seed=0)
    return lin, nn.Sequential(lin, nn.Tanh(), lin)


def test_a_module_used_twice_lists_its_parameters_once():
    lin, model = tied()
    assert len(model.parameters()) == 6 == len(lin.parameters())
    assert len(model.state_dict()) == 6
    assert [m for _, m in model.named_modules()].count(lin) == 1
    model.load_state_dict(model.state_dict())  # loads what it saves


def test_a_shared_parameter_is_stepped_once():
    _, model = tied()
    before = [p.data for p in model.parameters()]
    out = model([0.5, -0.5])
    loss = out[0] + out[1]
    model.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    nn.optim.SGD(model.parameters(), lr=1.0).step()
    assert [p.data for p in model.parameters()] == [b - g for b, g in zip(before, grads)]
    # a parameter list with a repeat is de-duplicated by the optimiser, as in PyTorch
    w = Value(1.0)
    w.grad = 1.0
    nn.optim.SGD([w, w], lr=1.0).step()
    assert w.data == 0.0


def test_functional_call_replaces_a_tied_parameter_everywhere():
    lin, model = tied()
    name = next(iter(dict(model.named_parameters())))
    new = Value(0.0)
    x = [1.0, 1.0]
    got = nn.module.functional_call(model, {name: new}, lambda: [v.data for v in model(x)])
    assert lin.neurons[0].w[0] is not new  # restored
    saved = lin.neurons[0].w[0]
    lin.neurons[0].w[0] = new
    assert got == [v.data for v in model(x)]
    lin.neurons[0].w[0] = saved


# --- losses and labels ----------------------------------------------------------------------
@pytest.mark.parametrize("p", [math.nan, -0.1, 1.5, math.inf])
def test_bce_rejects_what_is_not_a_probability(p):
    with pytest.raises(ValueError, match=r"bce needs probabilities in \[0, 1\]"):
        nn.losses.bce([Value(p)], [1])


@pytest.mark.parametrize("p, y", [(0.0, 1), (1.0, 0), (0.0, 0), (1.0, 1), (1e-13, 1),
                                  (1e-50, 1), (1 - 1e-13, 0), (0.3, 0.7), (0.999, 1)])
def test_bce_matches_pytorch_value_and_gradient_at_its_clamps(p, y):
    torch = pytest.importorskip("torch", reason="torch is not installed")
    import torch.nn.functional as F  # noqa: N812

    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    want = F.binary_cross_entropy(pt, torch.tensor(float(y), dtype=torch.float64))
    want.backward()
    v = Value(p)
    got = nn.losses.bce([v], [y])
    got.backward()
    assert got.data == pytest.approx(want.item(), rel=1e-12, abs=1e-300)
    assert v.grad == pytest.approx(pt.grad.item(), rel=1e-12)
    if p in (0.0, 1.0) and p != y:
        assert abs(v.grad) > 1e11  # a saturated wrong prediction is still pushed back


def test_bce_gradient_at_zero_without_torch():
    v = Value(0.0)
    nn.losses.bce([v], [1]).backward()
    assert v.grad == pytest.approx(-1.000000004e12, rel=1e-9)


@pytest.mark.parametrize("label", [0.99, 1.5, -1, math.nan, "1"])
def test_non_integral_class_labels_are_errors(label):
    with pytest.raises(ValueError, match="class"):
        nn.losses.cross_entropy([[0.2, 0.1, 0.3]], [label])
    with pytest.raises(ValueError, match="cross_entropy loss needs class indices"):
        nn.fit(nn.MLP(2, [3], seed=0), [[0.0, 1.0]], [label], loss="cross_entropy",
               epochs=1, progress=False)
    assert nn.losses.cross_entropy([[0.2, 0.1, 0.3]], [2.0]).data > 0  # 2.0 is class 2


def test_dead_relu_fraction_of_no_examples_is_an_error():
    with pytest.raises(ValueError, match="at least one example"):
        nn.diagnostics.dead_relu_fraction(nn.MLP(2, [3, 1], seed=0), [])


def test_a_nan_loss_is_shown_as_nan(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # plain printed progress lines
    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0].b.data = math.nan
    X, y = [[0.0, 1.0], [1.0, 0.0]], [0.5, -0.5]
    history = nn.fit(model, X, y, loss="mse", epochs=1, progress=True)
    assert math.isnan(history.loss[0])
    assert "loss nan" in capsys.readouterr().out
    assert math.isnan(nn.evaluate(model, X, y, "mse")[0])


# --- model files ----------------------------------------------------------------------------
def saved_text(model, state_entry_text: str) -> str:
    name = next(iter(model.state_dict()))
    doc = {"format": "dagrad.nn.state_dict", "version": 1, "model": repr(model),
           "state": {**model.state_dict(), name: 0}}
    return json.dumps(doc).replace(f'"{name}": 0', f'"{name}": {state_entry_text}')


@pytest.mark.parametrize("entry, message", [
    ("1" + "0" * 400, "finite number"),  # 10**400: beyond float
    ("7" * 5000, "number too long"),  # beyond Python's int-parsing digit limit
])
def test_model_files_with_huge_numbers(tmp_path, entry, message):
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    path = tmp_path / "m.json"
    path.write_text(saved_text(model, entry))
    with pytest.raises(nn.StateDictError, match=message):
        model.load(path)
    assert model.state_dict() == before


def test_model_file_nested_100000_deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(nn.StateDictError, match="nested too deeply"):
        nn.MLP(2, [2, 1], seed=0).load(path)


# --- python -m nn validates before training -------------------------------------------------
@pytest.mark.parametrize("argv, message", [
    (["--lr", "-1"], "--lr: must be a finite number >= 0"),
    (["--lr", "nan"], "--lr: must be a finite number >= 0"),
    (["--lr", "inf"], "--lr: must be a finite number >= 0"),
    (["--batch-size", "0"], "--batch-size: must be >= 1"),
    (["--noise", "nan"], "--noise: must be a finite number >= 0"),
    (["--noise", "inf"], "--noise: must be a finite number >= 0"),
    (["--noise", "-0.1"], "--noise: must be a finite number >= 0"),
    (["--l2", "nan"], "--l2: must be a finite number >= 0"),
    (["--l2", "inf"], "--l2: must be a finite number >= 0"),
    (["--l2", "-1"], "--l2: must be a finite number >= 0"),
    (["--steps", "0"], "--steps: must be >= 1"),
])
def test_cli_rejects_bad_numbers_before_training(argv, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main_mod.main([*argv, "--out", str(tmp_path / "o"), "--quiet"])
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and "usage:" in captured.err
    assert "trained" not in captured.out


def test_cli_out_naming_an_existing_file_fails_before_training(tmp_path, capsys):
    f = tmp_path / "a_file"
    f.write_text("keep me")
    with pytest.raises(SystemExit) as e:
        main_mod.main(["--out", str(f), "--quiet"])
    assert e.value.code == 2
    captured = capsys.readouterr()
    assert "--out" in captured.err and "existing file" in captured.err
    assert "trained" not in captured.out and f.read_text() == "keep me"


# --- constructors name the bad argument -----------------------------------------------------
@pytest.mark.parametrize("build, message", [
    (lambda: nn.MLP(2, [3, 0]), r"nouts\[1\]"),
    (lambda: nn.MLP(0, [3, 1]), "nin"),
    (lambda: nn.Layer(2, -1), "nout"),
    (lambda: nn.Layer(0, 2), "nin"),
    (lambda: nn.Neuron(2.5), "nin"),
    (lambda: nn.BatchNorm(0), "num_features"),
    (lambda: nn.LayerNorm(0), "normalized_shape"),
    (lambda: nn.Dropout(math.nan), "dropout probability"),
])
def test_constructors_reject_nonsense(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_sequential_rejects_a_function():
    with pytest.raises(TypeError, match=r"argument 1 is a function, not a Module"):
        nn.Sequential(nn.Linear(2, 2, seed=0), lambda x: x)


def test_fit_rejects_an_optimiser_name():
    X, y = data.make_moons(10, seed=0)
    with pytest.raises(TypeError, match=r"optimizer must be an nn.optim optimiser.*str"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, data.to_pm1(y), optimizer="adam")
    with pytest.raises(ValueError, match="epochs"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, data.to_pm1(y), epochs=-1)
    with pytest.raises(ValueError, match="l2"):
        nn.fit(nn.MLP(2, [3, 1], seed=0), X, data.to_pm1(y), l2=math.nan)
