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
    ("autograd", "is_grad_enabled", "autograd.mode.is_grad_enabled"),
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
    with pytest.warns(DeprecationWarning, match="autograd.mode.is_grad_enabled"):
        from autograd import is_grad_enabled  # noqa: F401


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
