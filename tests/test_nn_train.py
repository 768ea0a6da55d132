"""fit: reaches 100 % on moons, gradients all computed before any update, validation,
early stopping, progress output; plus data sets and diagnostics."""

import math
import sys

import pytest

import autograd
import nn
from nn import data, diagnostics, losses, optim


def micrograd_recipe(seed, steps=100):
    X, y = data.make_moons(100, noise=0.1, seed=seed)
    y = data.to_pm1(y)
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / steps)
    return X, y, model, opt, sched


def test_reaches_100_percent_on_moons():
    # Speed is measured by benchmarks/ (python -m benchmarks), never asserted in tests.
    X, y, model, opt, sched = micrograd_recipe(seed=1)
    hist = nn.fit(model, X, y, loss="hinge", optimizer=opt, scheduler=sched, epochs=100,
                  l2=1e-4, progress=False)
    assert nn.evaluate(model, X, y, "hinge")[1] == 1.0
    assert hist.epochs == 100 and len(hist.accuracy) == 100 and hist.accuracy[-1] == 1.0
    assert hist.loss[-1] < hist.loss[0] / 10
    assert hist.lr[0] == 1.0 and hist.lr[-1] == pytest.approx(1.0 - 0.9 * 99 / 100)


def full_batch_grads(model, X, y, l2=0.0):
    params = model.parameters()
    out = [model(x) for x in X]
    L = losses.hinge(out, y)
    if l2:
        L = L + l2 * losses.l2_penalty(params)
    return autograd.gradients(L, params)


def test_all_gradients_computed_before_any_update():
    X, y = data.make_moons(30, noise=0.1, seed=0)
    y = data.to_pm1(y)
    model = nn.MLP(2, [4, 4, 1], seed=0)
    params = model.parameters()
    expected = full_batch_grads(model, X, y, l2=1e-3)
    before = [p.data for p in params]

    class Spy(optim.SGD):
        calls = 0

        def step(self):
            # when the optimiser runs, every .grad already holds the full-batch gradient
            # at the weights before this step
            assert [p.data for p in self.params] == before
            assert [p.grad for p in self.params] == pytest.approx(expected, abs=1e-12)
            Spy.calls += 1
            super().step()

    nn.fit(model, X, y, optimizer=Spy(params, lr=0.5), epochs=1, l2=1e-3, progress=False)
    assert Spy.calls == 1
    after = [p.data for p in params]
    assert after == pytest.approx([b - 0.5 * g for b, g in zip(before, expected, strict=True)],
                                  abs=1e-12)


def test_minibatches_validation_and_history():
    X, y = data.make_moons(60, noise=0.1, seed=2)
    model = nn.MLP(2, [8, 1], seed=0)
    steps = []

    class Count(optim.Adam):
        def step(self):
            steps.append(1)
            super().step()

    hist = nn.fit(model, X, y, loss="bce_with_logits", optimizer=Count(model.parameters(), lr=0.05),
                  epochs=4, batch_size=16, val=0.25, progress=False)
    assert len(steps) == 4 * 3  # 45 training examples: batches of 16, 16, 13
    assert len(hist.val_loss) == len(hist.val_accuracy) == 4
    assert all(0 <= a <= 1 for a in hist.accuracy + hist.val_accuracy)
    hist2 = nn.fit(model, X[:40], y[:40], loss="bce_with_logits",
                   optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=2,
                   val=(X[40:], y[40:]), progress=False)
    assert len(hist2.val_loss) == 2 and hist2["loss"] is hist2.loss


def test_early_stopping_restores_best():
    X, y = data.make_moons(40, noise=0.1, seed=3)
    y = data.to_pm1(y)
    model = nn.MLP(2, [6, 1], seed=0)
    snapshots = []

    class Ascent(optim.Optimizer):  # makes the loss worse every step
        def _update(self, i, theta, g):
            return theta + self.lr * g

    hist = nn.fit(model, X, y, optimizer=Ascent(model.parameters(), lr=0.2), epochs=50,
                  val=(X, y), early_stopping=3, progress=False,
                  callback=lambda e, h: snapshots.append(model.state_dict()))
    assert hist.stopped_early and hist.best_epoch == 0
    assert hist.epochs == 4  # the best epoch, then 3 without improvement
    assert all(b > a for a, b in zip(hist.val_loss[:-1], hist.val_loss[1:], strict=True))
    assert model.state_dict() == snapshots[0]  # the weights of the best epoch are back


def test_progress_output(capsys, monkeypatch):
    X, y = data.make_xor(20, seed=0)
    y = data.to_pm1(y)
    model = nn.MLP(2, [4, 1], seed=0)
    nn.fit(model, X, y, epochs=3, progress=False)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    nn.fit(model, X, y, epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "loss=" in err and "acc=" in err  # the tqdm bar
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    nn.fit(model, X, y, epochs=3, progress=True)
    out = capsys.readouterr().out
    assert "epoch    3/3" in out and "loss" in out and "acc" in out


def test_label_checks_and_cross_entropy():
    X, y = data.make_spiral(60, noise=0.05, n_classes=3, seed=0)
    with pytest.raises(ValueError, match="to_pm1"):
        nn.fit(nn.MLP(2, [4, 1], seed=0), X, y, loss="hinge", progress=False)
    model = nn.MLP(2, [16, 3], seed=0)
    hist = nn.fit(model, X, y, loss="cross_entropy",
                  optimizer=optim.Adam(model.parameters(), lr=0.05), epochs=15, progress=False)
    assert hist.loss[-1] < hist.loss[0]
    assert hist.accuracy[-1] > 1 / 3
    preds = nn.predict(model, X[:2])
    assert len(preds) == 2 and len(preds[0]) == 3 and isinstance(preds[0][0], float)
    hist = nn.fit(nn.MLP(2, [4, 1], seed=0), X, [float(v) for v in y], loss="mse", epochs=2,
                  progress=False)
    assert all(math.isnan(a) for a in hist.accuracy)


def test_fit_with_batchnorm_and_dropout():
    X, y = data.make_circles(40, noise=0.05, seed=0)
    model = nn.Sequential(nn.Linear(2, 8, seed=0), nn.BatchNorm(8), nn.ReLU(),
                          nn.Dropout(0.1, seed=0), nn.Linear(8, 1, seed=1))
    hist = nn.fit(model, X, y, loss="bce_with_logits",
                  optimizer=optim.Adam(model.parameters(), lr=0.05), epochs=15,
                  batch_size=20, progress=False)
    assert hist.loss[-1] < hist.loss[0]
    assert model.training
    assert model.layers[1].running_mean != [0.0] * 8
    p = nn.predict(model, X[:3])  # eval mode: single examples work through BatchNorm
    assert len(p) == 3 and all(isinstance(v, float) for v in p)


# --- data ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(data.DATASETS))
def test_datasets(name):
    X, y = data.DATASETS[name](50, noise=0.1, seed=0)
    assert len(X) == len(y) == 50
    assert all(isinstance(x, list) and len(x) == 2 and all(isinstance(v, float) for v in x)
               for x in X)
    assert set(y) == {0, 1} and all(isinstance(v, int) for v in y)
    assert abs(y.count(0) - y.count(1)) <= 1
    assert data.DATASETS[name](50, noise=0.1, seed=0) == (X, y)
    assert data.DATASETS[name](50, noise=0.1, seed=1) != (X, y)


def test_data_helpers():
    X, y = data.make_moons(10, noise=0.0, seed=0)
    for x, c in zip(X, y, strict=True):  # noiseless: on the two half circles
        cx, cy = (0.0, 0.0) if c == 0 else (1.0, 0.5)
        assert math.hypot(x[0] - cx, x[1] - cy) == pytest.approx(1.0)
    assert data.to_pm1([0, 1, 1]) == [-1, 1, 1]
    with pytest.raises(ValueError):
        data.to_pm1([2])
    Xt, yt, Xv, yv = data.train_val_split(X, y, 0.3, seed=0)
    assert len(Xv) == 3 and len(Xt) == 7
    assert sorted(map(tuple, Xt + Xv)) == sorted(map(tuple, X))
    got = list(data.batches(X, y, 4, shuffle=True, seed=0))
    assert [len(b[0]) for b in got] == [4, 4, 2]
    assert sorted(map(tuple, [x for b in got for x in b[0]])) == sorted(map(tuple, X))
    assert list(data.batches(X, y, None, shuffle=False)) == [(X, y)]
    Xs, ys = data.make_spiral(30, n_classes=3, seed=0)
    assert sorted(set(ys)) == [0, 1, 2]
    Xx, yx = data.make_xor(40, noise=0.1, seed=0)
    assert all((a * b < 0) == (c == 1) for (a, b), c in zip(Xx, yx, strict=True))


# --- diagnostics --------------------------------------------------------------------------------
def test_grad_norms_dead_relus_and_activation_stats():
    X, y = data.make_moons(20, noise=0.1, seed=0)
    y = data.to_pm1(y)
    model = nn.MLP(2, [5, 4, 1], seed=0)
    model.zero_grad()
    losses.hinge(model.forward_batch(X), y).backward()
    norms = diagnostics.grad_norms(model)
    assert list(norms) == ["layers.0", "layers.1", "layers.2"]
    want = math.sqrt(sum(p.grad ** 2 for p in model.layers[1].parameters()))
    assert norms["layers.1"] == pytest.approx(want)
    dead = model.layers[0].neurons[2]
    dead.b.data = -100.0  # its pre-activation is negative on every input
    fr = diagnostics.dead_relu_fraction(model, X)
    assert set(fr) == {"layers.0", "layers.1"}  # the linear output layer is not a ReLU layer
    assert fr["layers.0"] >= 0.2
    stats = diagnostics.activation_stats(model, X)
    assert stats["layers.0"]["saturated"] >= 0.2
    zs = [dead([x[0], x[1]]).data for x in X]
    assert zs == [0.0] * len(X)
    assert set(stats["layers.2"]) == {"z_mean", "z_std", "out_mean", "out_std", "saturated"}


def test_early_stopping_without_validation_uses_training_loss():
    X, y = data.make_moons(30, noise=0.1, seed=4)
    y = data.to_pm1(y)
    model = nn.MLP(2, [4, 1], seed=0)
    hist = nn.fit(model, X, y, optimizer=optim.SGD(model.parameters(), lr=0.0), epochs=20,
                  early_stopping=2, progress=False)
    assert hist.stopped_early and hist.epochs == 3 and hist.best_epoch == 0


@pytest.mark.parametrize("compile", [False, True])
def test_fit_inside_no_grad_trains_as_outside(compile):
    """Issue 22 item 1: fit (like grad and jvp) turns recording on for its own steps, so
    inside no_grad() it trains exactly as outside; the caller's no_grad() holds afterwards."""
    if compile:
        pytest.importorskip("numpy")
    runs = []
    for quiet in (False, True):
        X, y, model, opt, sched = micrograd_recipe(seed=2, steps=5)
        if quiet:
            with autograd.no_grad():
                hist = nn.fit(model, X[:30], y[:30], optimizer=opt, scheduler=sched,
                              epochs=5, l2=1e-4, progress=False, compile=compile)
                assert not autograd.is_grad_enabled()
        else:
            hist = nn.fit(model, X[:30], y[:30], optimizer=opt, scheduler=sched, epochs=5,
                          l2=1e-4, progress=False, compile=compile)
        runs.append((hist.loss, model.state_dict()))
    assert runs[1] == runs[0]
    assert runs[1][0][-1] < runs[1][0][0]


def test_train_step_inside_no_grad_trains_as_outside():
    results = []
    for quiet in (False, True):
        X, y, model, opt, _ = micrograd_recipe(seed=3, steps=1)
        if quiet:
            with autograd.no_grad():
                L, _ = nn.train_step(model, X[:10], y[:10], losses.hinge, opt)
        else:
            L, _ = nn.train_step(model, X[:10], y[:10], losses.hinge, opt)
        results.append((L.data, model.state_dict()))
    assert results[1] == results[0]


def test_fit_without_training_examples_says_so():
    """Issue 22 item 12: these used to say "batch_size must be at least 1"."""
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="at least one training example.*empty"):
        nn.fit(model, [], [], progress=False)
    X, y = [[0.0, 1.0]] * 10, [1, -1] * 5
    with pytest.raises(ValueError, match=r"val=0\.999 puts all 10 examples"):
        nn.fit(model, X, y, val=0.999, progress=False)
