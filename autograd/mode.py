"""Grad modes: no_grad / enable_grad, anomaly detection and operation counting.

The state is per thread (``threading.local``): a ``no_grad()`` block in one thread never
stops another thread from recording its graph.
"""

from __future__ import annotations

import os
import threading
import traceback
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class _State(threading.local):
    def __init__(self) -> None:
        # ids of the input variables of the transformations (grad, jvp …) now running, one
        # set per transformation, outermost first
        self.transforms: list[set[int]] = []
        # ids of the leaves made while each of those runs (Value(...) inside f, a model
        # built there, a detached copy): constants of that f, not Values from outside
        self.made: list[set[int]] = []

    counter: OpCount | None = None
    # What ops read for every node they make, as one flag: recording, with no anomaly
    # detection (the common case). The setters of grad_enabled and anomaly keep it in step.
    plain = True
    _grad_enabled = True
    _anomaly: _Anomaly | None = None

    @property
    def grad_enabled(self) -> bool:
        return self._grad_enabled

    @grad_enabled.setter
    def grad_enabled(self, flag: bool) -> None:
        self._grad_enabled = flag
        self.plain = flag and self._anomaly is None

    @property
    def anomaly(self) -> _Anomaly | None:
        return self._anomaly

    @anomaly.setter
    def anomaly(self, anomaly: _Anomaly | None) -> None:
        self._anomaly = anomaly
        self.plain = self._grad_enabled and anomaly is None


STATE = _State()

# One entry per transformation running in any thread: a cheap global test, so that making a
# leaf outside every transformation (the common case) skips the thread-local read.
RUNNING: list[int] = []


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _in_package(filename: str) -> bool:
    """Whether a stack frame's file is dagrad's engine (not the user's code that called it)."""
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


class AnomalyError(FloatingPointError):
    """A NaN or infinity appeared while ``detect_anomaly()`` was on."""


@dataclass
class _Anomaly:
    # node -> the user's source line, held weakly: a node dropped inside detect_anomaly()
    # is freed as it would be outside it
    created_at: weakref.WeakKeyDictionary = field(default_factory=weakref.WeakKeyDictionary)

    def where(self, node) -> str:
        frame = self.created_at.get(node)
        if frame is None:
            return "created outside detect_anomaly()"
        return f'created at {frame.filename}:{frame.lineno}: "{frame.line}"'

    def remember(self, node) -> None:
        stack = traceback.extract_stack(limit=12)
        inside = [f for f in stack if not _in_package(f.filename)]
        if inside:
            self.created_at[node] = inside[-1]


@dataclass
class OpCount:
    """Work done by derivative passes, counted inside ``count_ops()``.

    ``passes[kind]`` is the number of sweeps of that kind and ``multiply_adds[kind]`` the
    number of chain-rule products ``adjoint × ∂`` (one per graph edge and sweep). Kinds:
    ``"reverse"`` (backward), ``"forward"`` (forward-mode tangent sweeps) and
    ``"numeric"`` (function evaluations made by numeric differentiation).
    """

    passes: dict[str, int] = field(default_factory=dict)
    multiply_adds: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, passes: int, multiply_adds: int) -> None:
        self.passes[kind] = self.passes.get(kind, 0) + passes
        self.multiply_adds[kind] = self.multiply_adds.get(kind, 0) + multiply_adds


def is_grad_enabled() -> bool:
    """True when ops record their graph (the default)."""
    return STATE.grad_enabled


@contextmanager
def _set_grad_enabled(flag: bool) -> Iterator[None]:
    before = STATE.grad_enabled
    STATE.grad_enabled = flag
    try:
        yield
    finally:
        STATE.grad_enabled = before


def no_grad():
    """Context manager: ops inside compute values only and build no graph (results are leaves)."""
    return _set_grad_enabled(False)


def enable_grad():
    """Context manager: record the graph again, even inside ``no_grad()``."""
    return _set_grad_enabled(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op or backward step that yields a NaN or infinity.

    The message names the op, its operands and the source line that built the node. Slow:
    it remembers where each node was created; use it to debug, not to train.
    """
    before = STATE.anomaly
    STATE.anomaly = _Anomaly()
    try:
        yield
    finally:
        STATE.anomaly = before


@contextmanager
def count_ops() -> Iterator[OpCount]:
    """Count the passes and chain-rule products of every derivative computation inside."""
    before = STATE.counter
    STATE.counter = counter = OpCount()
    try:
        yield counter
    finally:
        STATE.counter = before
        if before is not None:
            for kind, n in counter.passes.items():
                before.add(kind, n, counter.multiply_adds.get(kind, 0))
