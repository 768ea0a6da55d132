"""The packages' public names are what the README teaches; names moved out keep working,
with a DeprecationWarning that names the spelling to use instead."""

from __future__ import annotations

import importlib
import re
import warnings
from pathlib import Path

import pytest

import autograd
import nn

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")

MOVED = [
    ("autograd", "OpCount", "autograd.mode.OpCount"),
    ("nn", "functional_call", "nn.module.functional_call"),
    ("nn", "BatchNorm1d", "nn.BatchNorm"),
]


@pytest.mark.parametrize(("package", "name", "new"), MOVED)
def test_a_moved_name_still_works_and_says_where_it_went(package, name, new):
    with pytest.warns(DeprecationWarning, match=re.escape(f"use {new}")):
        old = getattr(importlib.import_module(package), name)
    module, _, attr = new.rpartition(".")
    assert old is getattr(importlib.import_module(module), attr)
    assert name not in importlib.import_module(package).__all__


def test_from_import_of_a_moved_name_warns_too():
    with pytest.warns(DeprecationWarning, match="autograd.mode.OpCount"):
        from autograd import OpCount  # noqa: F401


def test_pytorch_spellings_stay_at_the_top_level():
    """torch.is_grad_enabled has a twin here, without a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from autograd import is_grad_enabled, no_grad
    assert is_grad_enabled() and callable(no_grad)


def test_an_unknown_name_is_still_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        autograd.nope  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nn.nope  # noqa: B018


# Public names the README does not spell out but that stay: exceptions its functions raise,
# the entry types a table row is made of, the base class users subclass (Module), and
# the module of activations.
KEPT = {"AnomalyError", "OPS", "local_derivatives", "Activation", "Loss", "History", "Module",
        "predict", "evaluate", "accuracy", "activations"}


@pytest.mark.parametrize("package", [autograd, nn], ids=["autograd", "nn"])
def test_every_public_name_is_taught_by_the_readme(package):
    untaught = [n for n in package.__all__ if n not in KEPT and not re.search(rf"\b{n}\b", README)]
    assert not untaught, f"{package.__name__}.__all__ has names the README never mentions"


def test_the_current_names_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for package in (autograd, nn):
            for name in package.__all__:
                getattr(package, name)


def _moons():
    X, y01 = nn.data.make_moons(20, noise=0.1, seed=0)
    return X, nn.data.to_pm1(y01)


def test_fit_val_fraction_is_now_val_and_the_old_keyword_still_works():
    X, y = _moons()
    runs = []
    for kwargs in ({"val": 0.25}, {"val_fraction": 0.25}):
        model = nn.MLP(2, [4, 1], seed=0)
        if "val_fraction" in kwargs:
            with pytest.warns(DeprecationWarning, match=r"use fit\(val=f\)"):
                h = nn.fit(model, X, y, epochs=3, progress=False, **kwargs)
        else:
            h = nn.fit(model, X, y, epochs=3, progress=False, **kwargs)
        runs.append((h.loss, h.val_loss))
    assert runs[0] == runs[1] and len(runs[0][1]) == 3


def test_fit_rejects_an_unknown_keyword_and_both_spellings():
    X, y = _moons()
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(TypeError, match="unexpected keyword argument 'epoch'"):
        nn.fit(model, X, y, epoch=3)
    with pytest.raises(ValueError, match="not both"), pytest.warns(DeprecationWarning):
        nn.fit(model, X, y, val=0.2, val_fraction=0.2, progress=False)


def test_the_old_activation_tables_are_deprecated_views_of_the_entries():
    with pytest.warns(DeprecationWarning, match="calculate_gain"):
        gains = nn.init.GAINS
    assert gains["relu"](0.01) == nn.ACTIVATIONS["relu"].gain(0.01)
    assert gains["selu"](0.0) == 0.75
    with pytest.warns(DeprecationWarning, match="torch_module"):
        table = nn.torch_bridge.TORCH_ACTIVATIONS
    assert set(table) == {n for n, e in nn.ACTIVATIONS.items() if e.torch}
