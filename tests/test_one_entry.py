"""Proof of "one entry": a new op, a new activation and a new loss, each registered in ONE
place (below, in ``registered``), then used through every path of dagrad with no other
edit: the interpreted engine, a call, forward mode, gradcheck, every picture kind, compiled
replay (floats and batch), ``fit`` and ``fit(compile=True)``, PyTorch export, the recorder
and the training page.

* the op ``softsign``: u = x/(1 + |x|), du/dx = 1/(1 + |x|)² (one ``OPS`` entry; its
  partial written with arithmetic and ``abs``, so it runs on floats and on Values);
* the activation ``softsign`` (one ``ACTIVATIONS`` entry made from that op: its Value and
  float functions, gain, module class ``Softsign`` and torch module all come from it);
* the loss ``squared_hinge``: (1/n) Σ max(0, 1 − yᵢsᵢ)² for labels ±1 (one ``LOSSES`` entry:
  label domain, decision rule, CLI offer, compile support).
"""

from __future__ import annotations

import math
import pickle
import random

import pytest

import autograd
import nn
from autograd import OPS, Op, Value
from autograd.draw import backward_frames, draw_dot, show_backward, training_page
from nn import __main__ as main_mod
from nn.losses import _is_pm1, _reduce, _sign_right
from nn.record import Recorder


def _softsign_forward(a: float) -> float:
    return a / (1.0 + abs(a))


SOFTSIGN = Op("softsign", _softsign_forward, lambda a, out: (1.0 / (1.0 + abs(a)) ** 2,),
              doc="a / (1 + |a|);  derivative 1/(1 + |a|)²")


def squared_hinge(scores, ys, reduction="mean"):
    """(1/n) Σᵢ max(0, 1 − yᵢ sᵢ)² for y ∈ {−1, 1}."""
    return _reduce([(1 - y * s).relu() ** 2 for s, y in zip(scores, ys, strict=True)],
                   reduction)


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    """THE one place each addition is made (undone after each test)."""
    monkeypatch.setitem(OPS, "softsign", SOFTSIGN)
    monkeypatch.setitem(nn.ACTIVATIONS, "softsign", nn.Activation.of_op(
        "softsign", lambda s: 1.0, lambda u: abs(u) > 0.99, module="Softsign",
        torch="Softsign"))
    monkeypatch.setitem(nn.LOSSES, "squared_hinge", nn.Loss(
        squared_hinge, "labels -1/1", _is_pm1, _sign_right, classes=(-1.0, 1.0),
        compile=True))


def _slope(x: float) -> float:
    return 1.0 / (1.0 + abs(x)) ** 2


def _data(n=24, seed=0):
    X, y01 = nn.data.make_moons(n, noise=0.1, seed=seed)
    return X, nn.data.to_pm1(y01)


def _model(seed=0):
    return nn.MLP(2, [4, 1], activation="softsign", seed=seed)


def _loss_of(model, X, y):
    return nn.LOSSES["squared_hinge"](model.forward_batch(X), y)


# --- the op, through the engine --------------------------------------------------------------
def test_the_op_in_the_interpreted_engine_as_a_call():
    x = Value(-0.5, "x")
    u = OPS["softsign"](x * 2.0)  # an Op is callable: a node of the graph
    assert u.op == "softsign" and u.rule is SOFTSIGN
    assert u.data == pytest.approx(-1.0 / 2.0)
    u.backward()
    assert x.grad == pytest.approx(2.0 * _slope(-1.0))
    # the micrograd-style hand sweep reads the same entry
    order = autograd.topological_order(u)
    for node in order:
        node.grad = 0.0
    u.grad = 1.0
    for node in reversed(order):
        node._backward()
    assert x.grad == pytest.approx(2.0 * _slope(-1.0))


def test_the_op_in_forward_mode_and_higher_order():
    x = Value(0.7)
    u = SOFTSIGN(x)
    assert autograd.forward_tangents(u, {x: 1.0})[u] == pytest.approx(_slope(0.7))
    value, tangent = autograd.jvp(lambda t: SOFTSIGN(t), (0.7,), (1.0,))
    assert value == pytest.approx(_softsign_forward(0.7)) and tangent == pytest.approx(_slope(0.7))
    # second derivative: d/dx (1 + x)^−2 = −2 (1 + x)^−3 for x > 0
    d2 = autograd.grad(autograd.grad(lambda t: SOFTSIGN(t)))(0.7)
    assert d2 == pytest.approx(-2.0 / 1.7**3)


def test_the_op_passes_gradcheck_and_gradgradcheck():
    def f(a, b):
        return SOFTSIGN(a * b) + SOFTSIGN(a - b)

    assert autograd.gradcheck(f, [0.3, -1.2])
    assert autograd.gradgradcheck(f, [0.3, -1.2])


def test_the_op_compiles_for_floats_and_batches():
    def f(a, b):
        return SOFTSIGN(a * b) + SOFTSIGN(a - b)

    fn = autograd.compile(f, 0.3, -1.2, argnums=(0, 1))
    value, (ga, gb) = fn(0.5, 2.0)
    expected = autograd.value_and_grad(f, argnums=(0, 1))(0.5, 2.0)
    assert value == pytest.approx(expected[0])
    assert (ga, gb) == pytest.approx(expected[1])
    np = pytest.importorskip("numpy", reason="batch replay runs on NumPy arrays")
    values, _grads = fn.batch(np.array([0.5, -0.25]), np.array([2.0, 3.0]), reduce=None)
    assert list(values) == pytest.approx([f(0.5, 2.0).data, f(-0.25, 3.0).data])


# --- every picture kind ----------------------------------------------------------------------
def test_every_picture_kind_draws_the_op_and_the_activation():
    pytest.importorskip("graphviz", reason="pictures build DOT with the graphviz package")
    X, y = _data(6)
    model = _model()
    loss = _loss_of(model, X[:2], y[:2])
    loss.backward()
    values = draw_dot(loss, max_nodes=None).source
    assert "softsign" in values
    units = draw_dot(loss, view="units").source
    assert "layers.0" in units or "l0" in units
    page = show_backward(loss, max_nodes=None).html()
    assert "softsign" in page
    unit = nn.Neuron(2, "softsign", seed=0)([0.5, -0.5])  # one unit: a few frames
    frames = backward_frames(unit)
    assert len(frames) > 2 and all("softsign" in f.source for f in frames)


# --- the activation and the loss in nn -------------------------------------------------------
def test_the_activation_builds_modules_with_its_gain_and_class():
    model = _model()
    hidden = model.layers[0].neurons[0]
    out = hidden([0.5, -0.5])
    assert out.op == "softsign"
    z = hidden.preactivation([0.5, -0.5]).data
    assert out.data == pytest.approx(_softsign_forward(z))
    assert nn.init.calculate_gain("softsign") == 1.0
    cls = nn.ACTIVATIONS["softsign"].module_class
    m = cls()
    assert type(m).__name__ == "Softsign" and repr(m) == "Softsign()"
    assert [v.data for v in m([1.0, -3.0])] == pytest.approx([0.5, -0.75])
    assert type(pickle.loads(pickle.dumps(nn.Sequential(m))).layers[0]) is cls
    stats = nn.diagnostics.activation_stats(model, [[0.1, 0.2]])
    assert stats["layers.0"]["saturated"] == 0


def test_fit_and_compiled_fit_agree_with_the_new_activation_and_loss():
    pytest.importorskip("numpy", reason="fit(compile=True) replays on NumPy arrays")
    X, y = _data()
    runs = []
    for compiled in (False, True):
        model = _model()
        opt = nn.optim.SGD(model.parameters(), lr=0.2)
        h = nn.fit(model, X, y, loss="squared_hinge", optimizer=opt, epochs=4,
                   progress=False, compile=compiled)
        runs.append(h)
    assert runs[0].loss[-1] < runs[0].loss[0]
    assert runs[1].loss == pytest.approx(runs[0].loss, rel=1e-9)
    assert runs[1].accuracy == runs[0].accuracy
    assert "squared_hinge" in nn.compiled.SUPPORTED


def test_the_loss_s_label_domain_and_cli():
    X, y = _data(8)
    with pytest.raises(ValueError, match="squared_hinge loss needs labels -1/1"):
        nn.fit(_model(), X, [0 if v < 0 else 1 for v in y], loss="squared_hinge",
               progress=False)
    help_text = main_mod.build_parser().format_help()
    assert "squared_hinge" in help_text and "softsign" in help_text


def test_to_torch_and_back():
    torch = pytest.importorskip("torch", reason="to_torch needs PyTorch (the torch extra)")
    model = nn.Sequential(_model(), nn.ACTIVATIONS["softsign"].module_class())
    exported = nn.to_torch(model)
    assert any(isinstance(m, torch.nn.Softsign) for m in exported)
    x = [0.3, -0.8]
    ours = model(x).data
    theirs = exported(torch.tensor([x], dtype=torch.float64)).item()
    assert theirs == pytest.approx(ours, abs=1e-12)
    back = nn.from_torch(exported)
    assert back(x).data == pytest.approx(ours, abs=1e-12)
    with pytest.raises(ValueError, match="squared_hinge.*no PyTorch counterpart"):
        nn.torch_bridge.torch_loss("squared_hinge")


def test_the_recorder_and_the_training_page():
    pytest.importorskip("graphviz", reason="the training page draws the graph with graphviz")
    X, y = _data(16)
    model = _model(seed=1)
    rec = Recorder(model, X, y, max_steps=5, grid=5)  # the loss: fit's, from its history
    nn.fit(model, X, y, loss="squared_hinge", epochs=3, progress=False, callback=rec)
    # the fast float grid comes from the op's forward: it matches predict exactly
    from nn.record import _float_scores

    points = [[random.Random(i).uniform(-1, 2), 0.3] for i in range(5)]
    fast = _float_scores(model, points)
    assert fast is not None
    assert fast == pytest.approx([s[0] if isinstance(s, list) else s
                                  for s in nn.predict(model, points)], abs=1e-12)
    html = training_page(rec).html()  # the page's data is packed: check the graph it shows
    ops = {v.op for v in autograd.topological_order(rec.point_loss)}
    assert "softsign" in ops and "<svg" in html and all(math.isfinite(v) for v in rec.latest.data)
