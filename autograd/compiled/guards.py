"""Guards: while a function is traced, every place where Python reads a Value's number is
recorded, so that the replay can check, on new inputs, that Python would choose the same.

Recorded reads: ``.data`` read outside the engine, ``float(v)``, ``v.item()``, ``format(v,
spec)``, and the comparisons ``<  <=  >  >=`` (``round(v)`` and ``int(v)`` raise TypeError
on a Value, and ``bool(v)`` is always True: neither can branch). A comparison is recorded as
its outcome (``x > 0`` was True); any other read as the number itself (``x.data`` was 1.0).
The engine's own reads (building nodes, sweeping) are not branches and are not recorded.

While recording, ``Value`` is patched (and restored on exit); the replay is not. Building a
node reads its operands through ``Value._number``, the data slot under the engine's own name,
which is not patched: tracing a graph costs about what building it does. Other reads go
through the patched ``data`` and are told apart by the reading frame's module. The recorder
is not thread-safe: trace in one thread at a time.
"""

from __future__ import annotations

import linecache
import numbers
import sys
from contextlib import contextmanager

from ..sweep import topological_order
from ..value import Value
from .codegen import Guard

_ENGINE = ("autograd.value", "autograd.ops", "autograd.sweep", "autograd.mode",
           "autograd.compiled", "autograd.functional", "autograd.check")
_COMPARISONS = {"__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}


class GuardError(ValueError):
    """The compiled code was traced down one branch of the user's code, and these inputs
    take another (a guard failed)."""


def _where(frame) -> str:
    """``file:line `code``` of the frame that read the number (the user's line)."""
    while frame is not None and frame.f_globals.get("__name__", "").startswith(_ENGINE):
        frame = frame.f_back
    if frame is None:
        return "an unknown line"
    code = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} `{code}`"


class Recorder:
    def __init__(self) -> None:
        self.guards: list[Guard] = []
        self.created: list[Value] = []  # every node made while tracing, used or not
        self._seen: set = set()

    def add(self, node: Value, op: str, other, expected: bool, frame) -> None:
        if other.__class__ is not Value:
            other = float(other)
        key = (id(node), op, id(other) if other.__class__ is Value else other, expected)
        if key in self._seen:
            return
        self._seen.add(key)
        self.guards.append(Guard(node, op, other, expected, _where(frame)))


@contextmanager
def recording():
    """Record the reads of Values' numbers while the block runs (yields the Recorder)."""
    rec = Recorder()
    slot = Value.__dict__["data"]
    saved = {name: Value.__dict__[name] for name in
             ("__float__", "item", "__format__", *_COMPARISONS)}

    def get(self):
        v = slot.__get__(self, Value)
        frame = sys._getframe(1)
        if not frame.f_globals.get("__name__", "").startswith(_ENGINE):
            rec.add(self, "==", v, True, frame)
        return v

    def read(method):
        def wrapper(self, *args):
            v = slot.__get__(self, Value)
            if method != "__format__" or (args and args[0]):
                rec.add(self, "==", v, True, sys._getframe(1))
            return saved[method](self, *args)
        return wrapper

    def compare(method, op):
        def wrapper(self, other):
            result = saved[method](self, other)
            if other.__class__ is Value or isinstance(other, numbers.Real):
                rec.add(self, op, other, bool(result), sys._getframe(1))
            return result
        return wrapper

    def set_(self, v):
        slot.__set__(self, v)
        rec.created.append(self)  # the engine sets .data once on each node it makes

    Value.data = property(get, set_)
    for method in ("__float__", "item", "__format__"):
        setattr(Value, method, read(method))
    for method, op in _COMPARISONS.items():
        setattr(Value, method, compare(method, op))
    try:
        yield rec
    finally:
        Value.data = slot
        for method, fn in saved.items():
            setattr(Value, method, fn)


def dependent(nodes: list[Value], inputs: set[Value]) -> set[Value]:
    """The nodes among ``nodes`` (and their operands) that depend on the inputs."""
    depends = set(inputs)
    for node in topological_order(nodes) if nodes else ():
        # a float operand is never in the set (a Value equals only itself): one C loop
        if not depends.isdisjoint(node._operands):
            depends.add(node)
    return depends


def relevant(guards: list[Guard], inputs: set[Value]) -> list[Guard]:
    """The guards on numbers that depend on the inputs (a closure's constant cannot change)."""
    depends = dependent([x for gd in guards for x in (gd.node, gd.other)
                         if x.__class__ is Value], inputs)
    return [gd for gd in guards if any(x.__class__ is Value and x in depends
                                       for x in (gd.node, gd.other))]


def unused(rec: Recorder, used: list[Value], inputs: set[Value]) -> list[Value]:
    """Nodes the traced function made from the inputs that the output does not use (``used``:
    the output's topological order): the replay computes them too, so that it raises where
    the function itself raised."""
    used_set = set(used)
    rest = [n for n in rec.created if n._operands and n not in used_set]
    depends = dependent(rest, inputs)
    return [n for n in rest if n in depends]


def describe(gd: Guard, names: dict) -> str:
    """What a guard checks, in words (names from the code; user text only as quoted data)."""
    node = names.get(gd.node, "a value")
    if gd.op == "==":
        return f"{node} was {gd.other!r} when traced"
    other = names.get(gd.other, "a value") if gd.other.__class__ is Value else repr(gd.other)
    return f"`{node} {gd.op} {other}` was {gd.expected} when traced"
