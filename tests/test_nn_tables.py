"""Losses, activations and initialisers are tables: a new one is ONE entry, and fit, MLP,
accuracy, the diagnostics and ``python -m nn``'s choices pick it up."""

import math

import pytest

import nn
from nn import __main__ as main_mod
from nn import data


def squared_hinge(scores, ys, reduction="mean"):
    """max(0, 1 − y·s)² for y ∈ {−1, 1}."""
    terms = [(1 - y * s).relu() ** 2 for s, y in zip(scores, ys, strict=True)]
    total = sum(terms[1:], terms[0])
    return total / len(terms) if reduction == "mean" else total


@pytest.fixture
def registered(monkeypatch):
    """One entry each: a loss, an activation and an initialiser (removed after the test)."""
    monkeypatch.setitem(nn.LOSSES, "squared_hinge", nn.Loss(
        squared_hinge, "labels -1/1", lambda y: y in (-1, 1),
        lambda score, t: (score > 0) == (t > 0), classes=(-1.0, 1.0)))
    monkeypatch.setitem(nn.ACTIVATIONS, "swish", nn.Activation(
        lambda z, s: z * z.sigmoid(), lambda s: 1.7, lambda u: False))
    monkeypatch.setitem(nn.INITS, "halves",
                        lambda w, fan_in, fan_out, gain, rng: nn.init.constant_(w, gain / 2))


def test_a_registered_activation_and_init_build_an_mlp(registered):
    model = nn.MLP(2, [3, 1], activation="swish", init="halves")
    hidden = model.layers[0].neurons[0]
    assert [w.data for w in hidden.w] == [0.85, 0.85]  # gain 1.7 from the activation entry
    z = 0.85 * 1.0 + 0.85 * 2.0
    h = hidden([1.0, 2.0])
    assert h.data == pytest.approx(z / (1 + math.exp(-z)))
    # the Kaiming initialisers read the gain from the same entry
    k = nn.Layer(100, 50, "swish", init="kaiming_normal", seed=0)
    ws = [w.data for w in k.weights()]
    std = math.sqrt(sum(w * w for w in ws) / len(ws))
    assert std == pytest.approx(1.7 / math.sqrt(100), rel=0.05)
    assert nn.diagnostics.activation_stats(model, [[1.0, 2.0]])["layers.0"]["saturated"] == 0


def test_a_registered_loss_works_in_fit_accuracy_and_evaluate(registered):
    X, y01 = data.make_moons(30, noise=0.1, seed=0)
    y = data.to_pm1(y01)
    model = nn.MLP(2, [8, 1], activation="swish", seed=0)
    opt = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, X, y, loss="squared_hinge", optimizer=opt, epochs=15,
                     progress=False)
    assert history.loss[-1] < history.loss[0]
    assert 0.5 < history.accuracy[-1] <= 1.0  # the entry's decision rule
    loss, acc = nn.evaluate(model, X, y, "squared_hinge")
    assert math.isfinite(loss) and acc == nn.accuracy(nn.predict(model, X), y, "squared_hinge")
    with pytest.raises(ValueError, match=r"squared_hinge loss needs labels -1/1"):
        nn.fit(model, X, y01, loss="squared_hinge", optimizer=opt, epochs=1, progress=False)


def test_the_cli_offers_registered_entries(registered, tmp_path, capsys):
    help_text = main_mod.build_parser().format_help()
    assert "squared_hinge" in help_text and "swish" in help_text
    assert main_mod.main(["--loss", "squared_hinge", "--activation", "swish", "--steps", "2",
                          "--samples", "20", "--hidden", "3", "--out", str(tmp_path),
                          "--quiet"]) == 0
    assert "training accuracy" in capsys.readouterr().out


def test_cli_choices_are_the_table_s():
    parser = main_mod.build_parser()
    choices = {a.dest: a.choices for a in parser._actions if a.choices}
    assert set(choices["loss"]) == {"hinge", "logistic", "bce_with_logits"}
    assert set(choices["activation"]) == set(nn.ACTIVATIONS) - {"linear"}


def test_unknown_names_list_the_table():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*relu"):
        nn.MLP(2, [3, 1], activation="swish")
    with pytest.raises(ValueError, match="unknown init 'halves'.*kaiming_normal"):
        nn.Layer(2, 3, init="halves")
    with pytest.raises(ValueError, match="unknown loss 'squared_hinge'.*hinge"):
        nn.fit(nn.MLP(2, [1], seed=0), [[0.0, 0.0]], [1], loss="squared_hinge")
