"""``Module``: the base class of every layer and network, with PyTorch's method names.

A module's parameters are the ``Value`` leaves stored in its attributes: a ``Value``
attribute ``b`` is the parameter ``b``; a list of Values ``w`` gives ``w0, w1, …``. Child
modules are attributes holding a ``Module`` or a list of them (``layers.0``, ``neurons.3``).
Names are paths from the root, e.g. ``layers.0.neurons.3.w1`` for weight 1 (0-based, it
multiplies input x₁) of neuron 3 of the first layer of an ``MLP``.

``assign_names()`` (called by the constructors) writes each name into the parameter's
``.label``, so a drawn graph shows which weight is which. A module or parameter used twice
(weight tying) is listed once, under its first name, as in PyTorch. Buffers
(non-learnable state, e.g. BatchNorm's running averages) are lists of floats named in the
class attribute ``_buffers``; they are saved in ``state_dict()`` but are not parameters.

Saving is JSON, never pickle (a pickle can run code when loaded): ``save(path)`` writes a
temporary file next to ``path`` and renames it over ``path`` (atomic: a crash leaves the old
file or the new one, never half a file). ``load_state_dict`` checks everything (names,
lengths, that each entry is a finite number) before changing anything, so a bad file raises
``StateDictError`` and leaves the model as it was.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autograd import Value, no_grad
from autograd.saving import MAX_READ_BYTES, read_limited, write_atomic

FORMAT = "dagrad.nn.state_dict"
VERSION = 1


class StateDictError(ValueError):
    """A state dict or saved file does not fit the model (names, sizes or values)."""


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Module:
    """Base class: parameters, names, train/eval mode and (de)serialisation.

    Subclasses define ``__call__(x)`` for one example. ``forward_batch(X)`` maps a list of
    examples to a list of outputs; the default calls the module once per example, layers that
    need the whole batch at once (``BatchNorm``) override it. ``training`` is True after
    construction and after ``train()``, False after ``eval()``.
    """

    training: bool = True
    name: str = ""  # the path of this module from the root ("" for an unnamed root)
    _buffers: tuple[str, ...] = ()

    # --- structure -----------------------------------------------------------------------
    def _set_name(self, name: str) -> None:
        """Record this module's path; subclasses precompute the labels they derive from it."""
        self.name = name

    def assign_names(self, prefix: str | None = None) -> Module:
        """Name every module by its path from this one and label every parameter with its
        name (``layers.0.neurons.3.w1``), so a drawn graph shows which weight is which.

        The one place names are given: constructors call it (``Sequential`` renames the
        modules it is given), getters never rename. Returns self.
        """
        for path, m in self.named_modules(self.name if prefix is None else prefix):
            m._set_name(path)
        for name, p in self.named_parameters():
            p.label = name
        return self

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(attribute name, child) for each direct child module, lists as ``attr.i``."""
        for attr, v in vars(self).items():
            if isinstance(v, Module):
                yield attr, v
            elif isinstance(v, (list, tuple)) and v and isinstance(v[0], Module):
                for i, m in enumerate(v):
                    yield f"{attr}.{i}", m

    def named_modules(self, prefix: str | None = None) -> Iterator[tuple[str, Module]]:
        """(path, module) for this module and every descendant, depth first; a module used
        twice (``Sequential(lin, Tanh(), lin)``) appears once, under its first path, as in
        PyTorch. Paths start at ``prefix`` (default: this module's own name)."""
        stack = [(self.name if prefix is None else prefix, self)]
        seen: set[int] = set()
        while stack:
            path, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield path, m
            children = [(_join(path, attr), c) for attr, c in m.named_children()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def _parameter_slots(self) -> Iterator[tuple[str, Module, str, int | None, Value]]:
        """The parameter walker, the one statement of what a parameter is: a ``Value``
        attribute ``b`` (slot ``(name, module, "b", None, value)``) or item i of a list of
        Values ``w`` (named ``w{i}``, slot ``(name, module, "w", i, value)``), in every
        module of ``named_modules``."""
        for path, m in self.named_modules():
            for attr, v in vars(m).items():
                if v.__class__ is Value:
                    yield _join(path, attr), m, attr, None, v
                elif isinstance(v, list) and v and v[0].__class__ is Value:
                    for i, p in enumerate(v):
                        yield _join(path, f"{attr}{i}"), m, attr, i, p

    def named_parameters(self) -> Iterator[tuple[str, Value]]:
        """(name, parameter) for every parameter, e.g. ``layers.0.neurons.3.w1``. A shared
        parameter (weight tying) appears once, under its first name, as in PyTorch, so an
        optimiser steps it once and ``state_dict`` saves it once."""
        seen: set[int] = set()
        for name, _, _, _, p in self._parameter_slots():
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def parameters(self) -> list[Value]:
        """Every learnable ``Value`` once, in a fixed order (that of ``named_parameters``)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0 (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # --- modes ---------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, BatchNorm uses batch statistics); returns self."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self) -> Module:
        """Evaluation mode: dropout is the identity, BatchNorm uses its running averages."""
        return self.train(False)

    # --- forward -------------------------------------------------------------------------
    def __call__(self, x):  # pragma: no cover - every concrete module defines it
        raise NotImplementedError(f"{type(self).__name__} does not define __call__")

    def forward_batch(self, X: list) -> list:
        """Outputs for a whole batch (a list of examples): one call per example by default."""
        return [self(x) for x in X]

    # --- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Parameter names → float, buffer names → list of floats (plain JSON-able data)."""
        state: dict[str, Any] = {name: p.data for name, p in self.named_parameters()}
        for path, m in self.named_modules():
            for b in m._buffers:
                state[_join(path, b)] = [float(v) for v in getattr(m, b)]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy values from ``state`` into the model, all or nothing.

        Raises ``StateDictError`` naming the problem (missing or unexpected names, a list of
        the wrong length, an entry that is not a finite number) before anything changes.
        """
        if not isinstance(state, dict):
            raise StateDictError(f"a state dict must be a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        buffers = {
            _join(path, b): (m, b) for path, m in self.named_modules() for b in m._buffers
        }
        expected = set(params) | set(buffers)
        missing = sorted(expected - set(state))
        unexpected = sorted(set(state) - expected)
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} entries ({_few(missing)})")
            if unexpected:
                parts.append(f"unexpected {len(unexpected)} entries ({_few(unexpected)})")
            raise StateDictError(
                f"state dict does not fit this {type(self).__name__} (wrong architecture?): "
                + "; ".join(parts)
            )
        for name in params:
            _check_number(name, state[name])
        for name, (m, b) in buffers.items():
            v = state[name]
            if not isinstance(v, list) or len(v) != len(getattr(m, b)):
                raise StateDictError(
                    f"{name}: expected a list of {len(getattr(m, b))} numbers, got {v!r:.80}"
                )
            for i, x in enumerate(v):
                _check_number(f"{name}[{i}]", x)
        # Everything checked: now change the model.
        for name, p in params.items():
            p.data = float(state[name])
        for name, (m, b) in buffers.items():
            setattr(m, b, [float(x) for x in state[name]])

    def save(self, path: str | os.PathLike) -> None:
        """Write ``state_dict()`` to ``path`` as JSON, atomically (temp file + rename)."""
        doc = {"format": FORMAT, "version": VERSION, "model": repr(self),
               "state": self.state_dict()}
        try:
            text = json.dumps(doc, indent=1, allow_nan=False)
        except ValueError:
            bad = [k for k, v in doc["state"].items() if not _all_finite(v)]
            raise StateDictError(
                f"cannot save non-finite values (NaN or infinity) in {_few(bad)}"
            ) from None
        write_atomic(path, text.encode())

    def load(self, path: str | os.PathLike, max_bytes: int = MAX_READ_BYTES) -> None:
        """Load parameters saved by ``save``; on any problem raise and change nothing.

        Only a regular file of at most ``max_bytes`` (default ``MAX_READ_BYTES``, 64 MiB)
        is read: a device, pipe or folder raises ``OSError``, a larger file ``ValueError``.
        A NaN or ±Infinity in the file is named by its entry (``StateDictError``)."""
        try:
            text = read_limited(path, max_bytes).decode("utf-8")
        except UnicodeDecodeError as e:
            raise StateDictError(f"{path}: not a text (JSON) file: {e}") from None
        try:
            # NaN and ±Infinity are read as floats, for load_state_dict to name their entry
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise StateDictError(
                f"{path}: not valid JSON ({e.msg} at line {e.lineno} column {e.colno}); "
                "the file is truncated or corrupt"
            ) from None
        except ValueError as e:  # an integer longer than Python's str-to-int digit limit
            raise StateDictError(f"{path}: holds a number too long to read ({e})") from None
        except RecursionError:
            raise StateDictError(f"{path}: JSON nested too deeply; "
                                 "not a dagrad nn file") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT or "state" not in doc:
            raise StateDictError(f"{path}: not a dagrad nn file (no {FORMAT!r} header)")
        if doc.get("version") != VERSION:
            raise StateDictError(f"{path}: file version {doc.get('version')!r}, "
                                 f"this dagrad reads version {VERSION}")
        try:
            self.load_state_dict(doc["state"])
        except StateDictError as e:
            saved = doc.get("model", "?")
            raise StateDictError(f"{path}: {e} [file holds {saved}; model is {self!r}]") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@contextmanager
def eval_mode(model: Module) -> Iterator[Module]:
    """``with eval_mode(model):`` evaluation mode (dropout off, BatchNorm's running
    statistics) and no graph building (``no_grad``); the model's previous mode comes back
    afterwards, even on an error. (PyTorch: ``model.eval()`` + ``torch.no_grad()``.)"""
    was = model.training
    model.eval()
    try:
        with no_grad():
            yield model
    finally:
        model.train(was)


def _few(names: list[str], n: int = 4) -> str:
    more = f", … {len(names) - n} more" if len(names) > n else ""
    return ", ".join(names[:n]) + more


def _all_finite(v) -> bool:
    return all(math.isfinite(x) for x in (v if isinstance(v, list) else [v]))


def _check_number(name: str, x) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise StateDictError(f"{name}: expected a number, got {type(x).__name__} {x!r:.60}")
    try:
        finite = math.isfinite(x)
    except OverflowError:  # an int beyond float's range, e.g. 10**400
        finite = False
    if not finite:
        raise StateDictError(f"{name}: expected a finite number, got {str(x)[:40]}")


def functional_call(module: Module, params: dict[str, Value], fn):
    """Run ``fn()`` with some parameters of ``module`` temporarily replaced by other Values.

    ``params`` maps parameter names (as ``named_parameters`` gives them) to Values. Used to
    gradcheck a layer: the check passes fresh Values in place of the weights.
    (PyTorch's ``torch.func.functional_call``, reshaped for a scalar engine.)
    """
    named = dict(module.named_parameters())
    unknown = set(params) - set(named)
    if unknown:
        raise KeyError(f"no parameters named {_few(sorted(unknown))}")
    # A tied parameter is replaced in every slot that holds it.
    slots = [(m, attr, i, p) for _, m, attr, i, p in module._parameter_slots()]
    replace = {id(named[name]): new for name, new in params.items()}
    saved = []
    for m, attr, i, old in slots:
        if id(old) not in replace:
            continue
        new = replace[id(old)]
        saved.append((m, attr, i, old))
        if i is None:
            setattr(m, attr, new)
        else:
            getattr(m, attr)[i] = new
    try:
        return fn()
    finally:
        for m, attr, i, old in reversed(saved):
            if i is None:
                setattr(m, attr, old)
            else:
                getattr(m, attr)[i] = old
