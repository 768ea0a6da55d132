"""Initialisers: He keeps Var[z] ≈ 1 through deep ReLU nets, bad scales shrink or blow up,
zero/constant init makes every unit the same (herd effect), Xavier variances, seeds."""

import math
import random

import pytest

import nn
from autograd import Value
from nn import init
from nn.diagnostics import activation_stats

K, DEPTH = 64, 20


def relu_inputs(n=20, seed=0):
    # inputs distributed like ReLU outputs of unit-variance z: then Var[z] = 1 at every layer
    r = random.Random(seed)
    return [[max(0.0, r.gauss(0, 1)) for _ in range(K)] for _ in range(n)]


def z_vars(model):
    stats = activation_stats(model, relu_inputs())
    return [s["z_std"] ** 2 for s in stats.values()]


@pytest.mark.parametrize("scheme", ["kaiming_normal", "kaiming_uniform"])
def test_he_keeps_variance_through_deep_relu(scheme):
    # He init keeps E[z²] = 1 in expectation over the weights. One finite-width network
    # drifts like a log-normal (Var[log ‖z‖²] ≈ 5·depth/width, Hanin 2018): so every layer
    # of every net stays within a factor 30 of 1, and the mean over nets and layers near 1,
    # while the badly scaled nets below end 15-20 orders of magnitude away.
    nets = [z_vars(nn.MLP(K, [K] * DEPTH, init=scheme, output_activation="relu", seed=s))
            for s in range(4)]
    assert all(len(v) == DEPTH for v in nets)
    assert all(1 / 30 < x < 30 for v in nets for x in v), nets
    mean = sum(x for v in nets for x in v) / (4 * DEPTH)
    assert 0.5 < mean < 2.0, mean


def test_bad_scales_shrink_or_blow_up():
    def with_std(std):
        return nn.MLP(K, [K] * DEPTH, output_activation="relu",
                      init=lambda w, fan_in, fan_out, rng: init.normal_(w, 0.0, std, rng=rng),
                      seed=0)

    small = z_vars(with_std(1 / K))
    big = z_vars(with_std(4 / math.sqrt(K)))
    assert small[-1] < 1e-20 < small[0]
    assert big[-1] > 1e15 * big[0]


def test_zero_and_constant_init_herd_effect():
    X, y = nn.data.make_moons(40, noise=0.1, seed=0)
    for model in (nn.MLP(2, [4, 1], activation="tanh", init="zeros", seed=0),
                  nn.MLP(2, [4, 1], activation="tanh", seed=0)):
        if model.layers[0].neurons[0].w[0].data != 0.0:
            init.constant_(model.parameters(), 0.3)
        nn.fit(model, X, nn.data.to_pm1(y), optimizer=nn.optim.SGD(model.parameters(), lr=0.1),
               epochs=5, progress=False)
        units = [[p.data for p in n.parameters()] for n in model.layers[0].neurons]
        assert all(u == units[0] for u in units[1:])  # every hidden unit learned the same
        assert model.layers[1].neurons[0].b.data != 0.3  # yet training did change weights
    # random init breaks the symmetry
    units = [[p.data for p in n.parameters()] for n in nn.MLP(2, [4, 1], seed=0).layers[0].neurons]
    assert units[0] != units[1]


def sample_var(vs):
    xs = [v.data for v in vs]
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / len(xs)


def test_xavier_and_kaiming_variances():
    vs = [Value(0.0) for _ in range(20000)]
    init.xavier_normal_(vs, fan_in=100, fan_out=50, seed=0)
    assert sample_var(vs) == pytest.approx(2 / 150, rel=0.05)
    init.xavier_uniform_(vs, fan_in=100, fan_out=50, seed=0)
    bound = math.sqrt(6 / 150)
    assert all(-bound <= v.data <= bound for v in vs)
    assert sample_var(vs) == pytest.approx(2 / 150, rel=0.05)
    init.xavier_normal_(vs, gain=init.calculate_gain("tanh"), fan_in=100, fan_out=50, seed=0)
    assert sample_var(vs) == pytest.approx((5 / 3) ** 2 * 2 / 150, rel=0.05)
    init.kaiming_normal_(vs, fan_in=100, seed=1)
    assert sample_var(vs) == pytest.approx(2 / 100, rel=0.05)
    init.kaiming_uniform_(vs, mode="fan_out", nonlinearity="relu", fan_out=50, seed=1)
    assert sample_var(vs) == pytest.approx(2 / 50, rel=0.05)
    assert max(v.data for v in vs) <= math.sqrt(6 / 50)
    # fans read from a layer
    layer = nn.Layer(100, 50, "tanh", seed=0)
    init.xavier_normal_(layer, seed=0)
    assert sample_var(layer.weights()) == pytest.approx(2 / 150, rel=0.05)
    assert all(n.b.data == 0 for n in layer.neurons)


def test_gains():
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))


def test_reproducible_with_seed_or_rng():
    def draw(**kw):
        vs = [Value(0.0) for _ in range(10)]
        init.kaiming_normal_(vs, fan_in=10, **kw)
        return [v.data for v in vs]

    assert draw(seed=3) == draw(seed=3) == draw(rng=random.Random(3))
    assert draw(seed=3) != draw(seed=4)
    with pytest.raises(ValueError, match="seed or rng"):
        draw(seed=1, rng=random.Random(1))
    with pytest.raises(ValueError, match="fan_in"):
        init.xavier_normal_([Value(0.0)], seed=0)
    for scheme in nn.layers.INITS:
        a = [p.data for p in nn.MLP(3, [4, 2], init=scheme, seed=5).parameters()]
        b = [p.data for p in nn.MLP(3, [4, 2], init=scheme, seed=5).parameters()]
        assert a == b
