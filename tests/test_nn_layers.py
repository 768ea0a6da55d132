"""Layers: gradcheck through the engine, shapes, names and labels, BatchNorm, Dropout."""

import math
import random

import pytest

import autograd
import nn
from autograd import Value


def gradcheck_module(module, loss_of_outputs, X, wrt_inputs=True):
    """gradcheck ∂loss/∂(every parameter, and every input if wrt_inputs) of module on X."""
    names, params = zip(*module.named_parameters(), strict=True)
    n_in = sum(len(x) for x in X) if wrt_inputs else 0
    flat = [v for x in X for v in x]

    def f(*vals):
        if wrt_inputs:
            it = iter(vals[:n_in])
            batch = [[next(it) for _ in x] for x in X]
        else:
            batch = X
        mapping = dict(zip(names, vals[n_in:], strict=True))
        return nn.module.functional_call(module, mapping,
                                  lambda: loss_of_outputs(module.forward_batch(batch)))

    inputs = (flat if wrt_inputs else []) + [p.data for p in params]
    assert autograd.gradcheck(f, inputs)


def squares(outs):
    """A scalar that depends on every output differently: Σ cᵢ·outᵢ²."""
    flat = [o for out in outs for o in (out if isinstance(out, list) else [out])]
    return autograd.sum([(k + 1) * 0.1 * o * o for k, o in enumerate(flat)])


X3 = [[0.5, -1.2, 0.3], [-0.7, 0.4, 1.1], [1.5, 0.2, -0.6], [0.1, -0.3, 0.8]]


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_gradcheck_neuron(activation):
    gradcheck_module(nn.Neuron(3, activation, seed=1), squares, X3)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_gradcheck_layer(activation):
    gradcheck_module(nn.Layer(3, 4, activation, seed=2), squares, X3)


def test_gradcheck_mlp():
    gradcheck_module(nn.MLP(3, [4, 3, 1], seed=3), squares, X3)
    gradcheck_module(nn.MLP(3, [5, 2], activation="tanh", init="xavier_normal", seed=4),
                     squares, X3)


def test_gradcheck_batchnorm_train_mode():
    model = nn.Sequential(nn.Linear(3, 3, seed=5), nn.BatchNorm(3), nn.Tanh(),
                          nn.Linear(3, 1, seed=6))
    assert model.training
    bn = model.layers[1]
    bn.weight[0].data, bn.bias[2].data = 1.7, -0.4  # not the trivial γ = 1, β = 0
    gradcheck_module(model, squares, X3)


def test_gradcheck_layernorm():
    ln = nn.LayerNorm(3)
    for i, (g, b) in enumerate(zip(ln.weight, ln.bias, strict=True)):
        g.data, b.data = 1.0 + 0.3 * i, 0.2 - 0.1 * i
    gradcheck_module(ln, squares, X3)
    gradcheck_module(nn.Sequential(nn.Linear(3, 4, seed=0), nn.LayerNorm(4), nn.ReLU(),
                                   nn.Linear(4, 1, seed=1)), squares, X3)


def test_gradcheck_dropout_with_fixed_seed():
    # A fresh Dropout with the same seed draws the same mask on every evaluation.
    def f(*xs):
        d = nn.Dropout(0.4, seed=7)
        return squares([d(list(xs))])

    xs = [0.3, -0.2, 1.1, 0.7, -0.9, 0.5, 0.25, -1.3]
    assert autograd.gradcheck(f, xs)
    out = nn.Dropout(0.4, seed=7)([Value(v) for v in xs])
    assert any(o.data == 0 for o in out) and any(o.data != 0 for o in out)
    for o, x in zip(out, xs, strict=True):
        assert o.data == 0 or math.isclose(o.data, x / 0.6)


def test_dropout_eval_is_identity_and_expectation_in_train():
    d = nn.Dropout(0.5, seed=0)
    xs = [Value(float(i)) for i in range(5)]
    d.eval()
    assert d(xs) is xs
    d.train()
    total = 0.0
    for _ in range(4000):
        total += d(Value(1.0)).data
    assert abs(total / 4000 - 1.0) < 0.06  # inverted dropout keeps the mean
    assert nn.Dropout(0.0)(xs) is xs
    assert all(o.data == 0 for o in nn.Dropout(1.0)(xs))


def test_neuron_is_one_dot_node_with_labels():
    n = nn.Neuron(3, seed=0)
    assert n.name == "neuron"
    out = n([1.0, 2.0, 3.0])
    assert out.op == "relu" and out.label == "neuron.out"
    z = out.parents[0]
    assert z.op == "dot" and z.label == "neuron.z"
    assert len(autograd.topological_order(out)) == 2 + 4  # z, out and w0..w2, b
    lin = nn.Neuron(2, "linear", seed=0)([1.0, 2.0])
    assert lin.op == "dot" and lin.label == "neuron.z"


def test_micrograd_default_init_distribution_and_seed():
    ws = [w.data for w in nn.MLP(4, [50, 50, 1], seed=0).parameters() if w.label[-1] != "b"]
    assert all(-1 <= w <= 1 for w in ws)
    mean = sum(ws) / len(ws)
    var = sum((w - mean) ** 2 for w in ws) / len(ws)
    assert abs(mean) < 0.03 and abs(var - 1 / 3) < 0.03  # U(-1, 1): mean 0, variance 1/3
    assert all(p.data == 0 for p in nn.MLP(4, [5, 1], seed=0).parameters()
               if p.label.endswith(".b"))
    a = [p.data for p in nn.MLP(2, [16, 16, 1], seed=42).parameters()]
    b = [p.data for p in nn.MLP(2, [16, 16, 1], rng=random.Random(42)).parameters()]
    c = [p.data for p in nn.MLP(2, [16, 16, 1], seed=43).parameters()]
    assert a == b and a != c


def test_mlp_names_labels_and_micrograd_semantics():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1 == 337
    assert names[:3] == ["layers.0.neurons.0.w0", "layers.0.neurons.0.w1",
                         "layers.0.neurons.0.b"]
    assert "layers.1.neurons.3.w1" in names and names[-1] == "layers.2.neurons.0.b"
    for name, p in model.named_parameters():
        assert p.label == name
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]
    out = model([0.5, -0.5])
    assert isinstance(out, Value)
    assert out.label == "layers.2.neurons.0.z"  # linear output: no .out node
    h = model.layers[0]([Value(0.5), Value(-0.5)])
    assert isinstance(h, list) and len(h) == 16
    assert h[3].label == "layers.0.neurons.3.out"
    assert h[3].parents[0].label == "layers.0.neurons.3.z"
    # standalone layer
    assert nn.Layer(2, 3, seed=0).neurons[1].name == "layer.neurons.1"


def test_module_inside_custom_module_is_renamed():
    class Net(nn.Module):
        def __init__(self):
            self.body = nn.MLP(2, [3, 1], seed=0)
            self.assign_names()  # names are given explicitly, once, never by a getter

        def __call__(self, x):
            return self.body(x)

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names[0] == "body.layers.0.neurons.0.w0"
    assert net.body.layers[0].neurons[0].w[0].label == names[0]
    assert net([1.0, 2.0]).label == "body.layers.1.neurons.0.z"


def test_batchnorm_train_and_eval():
    bn = nn.BatchNorm(2, momentum=0.1)
    X = [[1.0, 10.0], [3.0, 14.0], [5.0, 12.0]]
    out = bn.forward_batch(X)
    col0 = [o[0].data for o in out]
    assert abs(sum(col0)) < 1e-12
    var = 8 / 3  # biased variance of 1, 3, 5
    assert abs(sum(v * v for v in col0) / 3 - var / (var + 1e-5)) < 1e-12
    # running averages: mean 3, 12; unbiased var 4, 4
    assert bn.running_mean == pytest.approx([0.9 * 0 + 0.1 * 3, 0.1 * 12])
    assert bn.running_var == pytest.approx([0.9 + 0.1 * 4, 0.9 + 0.1 * 4])
    with pytest.raises(ValueError, match="batch"):
        bn([1.0, 2.0])  # one example in training mode
    for _ in range(400):  # the running averages converge to the batch statistics
        bn.forward_batch(X)
    bn.eval()
    y = bn([3.0, 12.0])
    assert y[0].data == pytest.approx(0.0, abs=1e-9) and y[1].data == pytest.approx(0.0, abs=1e-9)
    y = bn([5.0, 14.0])
    assert y[0].data == pytest.approx(2 / math.sqrt(4 + 1e-5))
    # eval uses running stats, not the batch: a constant batch is not normalised to 0
    assert bn.forward_batch([[5.0, 14.0], [5.0, 14.0]])[0][0].data == pytest.approx(y[0].data)
    assert "layers" not in dict(bn.state_dict())  # buffers are saved
    assert bn.state_dict()["running_mean"] == pytest.approx([3.0, 12.0])


def test_layernorm_normalises_each_example_same_in_eval():
    ln = nn.LayerNorm(4)
    x = [1.0, 2.0, 3.0, 6.0]
    y = [v.data for v in ln(x)]
    assert sum(y) == pytest.approx(0.0, abs=1e-12)
    assert sum(v * v for v in y) / 4 == pytest.approx(1.0, rel=1e-4)
    ln.eval()
    assert [v.data for v in ln(x)] == y


def test_activation_modules():
    xs = [Value(-1.0), Value(2.0)]
    assert [v.data for v in nn.ReLU()(xs)] == [0.0, 2.0]
    assert [v.data for v in nn.LeakyReLU(0.1)(xs)] == [-0.1, 2.0]
    assert nn.Sigmoid()(Value(0.0)).data == 0.5
    assert nn.Tanh()(Value(0.0)).data == 0.0
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Neuron(2, "swish")
