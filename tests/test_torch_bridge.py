"""nn.to_torch / nn.from_torch: same outputs and parameter gradients as PyTorch to 1e-12."""

import builtins
import random

import pytest

import nn
from autograd import Value

torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'dagrad[torch]')")


def close(a: float, b: float, tol: float = 1e-12) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def as_rows(out) -> list[list[float]]:
    return [[v.data for v in o] if isinstance(o, list) else [o.data] for o in out]


def models():
    rng = random.Random(3)
    return {
        "mlp_relu": nn.MLP(3, [6, 5, 1], rng=rng),
        "mlp_tanh_2out": nn.MLP(3, [5, 2], activation="tanh", output_activation="sigmoid",
                                rng=rng),
        "leaky_kaiming": nn.MLP(3, [4, 4, 2], activation="leaky_relu", negative_slope=0.2,
                                init="kaiming_normal", rng=rng),
        "norms": nn.Sequential(nn.Linear(3, 4, rng=rng), nn.BatchNorm(4), nn.Tanh(),
                               nn.Linear(4, 4, rng=rng), nn.LayerNorm(4), nn.LeakyReLU(0.1),
                               nn.Layer(4, 2, "sigmoid", rng=rng), nn.Identity()),
        "no_bias": nn.Sequential(nn.Layer(3, 3, "relu", bias=False, rng=rng),
                                 nn.Linear(3, 1, rng=rng)),
    }


def grads_in_dagrad_order(model, tmodel) -> list[float]:
    """The torch gradients read back through from_torch, so they line up with
    model.parameters() (same walk order)."""
    g = nn.to_torch(model)
    for pt, pg in zip(tmodel.parameters(), g.parameters(), strict=True):
        pg.data = pt.grad.clone()
    return [p.data for p in nn.from_torch(g).parameters()]


@pytest.mark.parametrize("name", list(models()))
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_outputs_and_gradients_agree_to_1e_12(name, mode):
    model = models()[name]
    # move BatchNorm's running stats off their defaults so eval mode tests them too
    model.forward_batch([[0.3, -1.2, 0.5], [1.0, 0.2, -0.7], [-0.4, 0.9, 1.1]])
    model.train(mode == "train")
    tmodel = nn.to_torch(model)
    assert tmodel.training == model.training
    r = random.Random(7)
    X = [[r.gauss(0, 1.5) for _ in range(3)] for _ in range(8)]
    out = model.forward_batch(X)
    width = len(as_rows(out)[0])
    weights = [[r.uniform(-1, 1) for _ in range(width)] for _ in X]
    loss = Value(0.0)
    for o, w in zip(out, weights, strict=True):
        for v, c in zip(o if isinstance(o, list) else [o], w, strict=True):
            loss = loss + v * c
    model.zero_grad()
    loss.backward()

    Xt = torch.tensor(X, dtype=torch.float64)
    tout = tmodel(Xt)
    (tout * torch.tensor(weights, dtype=torch.float64)).sum().backward()

    for mine, theirs in zip(as_rows(out), tout.tolist(), strict=True):
        assert all(close(a, b) for a, b in zip(mine, theirs, strict=True))
    mine = [p.grad for p in model.parameters()]
    theirs = grads_in_dagrad_order(model, tmodel)
    assert len(mine) == len(theirs) > 0
    assert all(close(a, b) for a, b in zip(mine, theirs, strict=True))


def test_round_trip_keeps_weights_buffers_and_mode():
    model = models()["norms"]
    model.forward_batch([[0.1, 0.2, 0.3], [0.3, -0.2, 0.1]])
    model.eval()
    back = nn.from_torch(nn.to_torch(model))
    assert not back.training
    assert [p.data for p in back.parameters()] == [p.data for p in model.parameters()]
    assert back.state_dict() == model.state_dict()


def test_from_torch_reads_a_torch_model():
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(),
                                 torch.nn.Linear(3, 1)).double()
    model = nn.from_torch(tmodel)
    x = [0.25, -0.5]
    want = tmodel(torch.tensor([x], dtype=torch.float64)).item()
    assert close(model(x).data, want)
    assert len(model.parameters()) == sum(p.numel() for p in tmodel.parameters())


def test_weight_tying_stays_tied():
    lin = nn.Linear(2, 2, seed=0)
    model = nn.Sequential(lin, nn.Tanh(), lin)
    tmodel = nn.to_torch(model)
    assert tmodel[0] is tmodel[2]
    assert len(list(tmodel.parameters())) == 2  # weight and bias, once
    back = nn.from_torch(tmodel)
    assert back.layers[0] is back.layers[2] and len(back.parameters()) == 6


def test_unconvertible_modules_are_named():
    class Mine(nn.Module):
        def __call__(self, x):
            return x

    with pytest.raises(TypeError, match="no PyTorch counterpart for Mine"):
        nn.to_torch(nn.Sequential(nn.Linear(2, 2, seed=0), Mine()))
    with pytest.raises(TypeError, match="no dagrad counterpart for Conv1d"):
        nn.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))


def test_without_torch_the_error_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(ImportError, match=r"dagrad\[torch\]"):
        nn.to_torch(nn.MLP(2, [2, 1], seed=0))
    with pytest.raises(ImportError, match=r"dagrad\[torch\]"):
        nn.from_torch(object())
