"""A long straight-line program run a statement at a time, without compiling it whole.

CPython compiles a generated line in about 15 µs; a grouped program of a million nodes has
half a million lines. But its lines come in few *shapes*: ``dot5 = dot5_0 @ tanh4`` and
``dot7 = dot7_0 @ tanh6`` are both ``A = B @ C``, and ``w[64:128].reshape(8, 8)`` differs
from ``w[0:64].reshape(8, 8)`` only in its integers. So each statement is split into its
shape (the text with every variable and every number taken out) and its holes; each shape is
compiled once, as a small function of a table of live values, and the program is a list of
(shape, holes) run in order.

Variables (the program's names, its parameters and its index arrays) become slots of the
table, ``L[k]``; numbers become arguments (slices, shapes, axes, the line numbers the code
passes to its error checks, the op's constants: an int argument is the same int, a float the
same float); strings, attribute and keyword names and the namespace's functions stay in the
text. The numbers are those of the compiled text (the same operations on the same arrays);
an error raised by a statement carries the line it came from (``compiled_line``), so
messages name the line of the readable program as they do for compiled code.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

# names and numbers (ints, and floats as repr writes them); names inside strings too, so
# a statement's tokens line up with those of another of its shape
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|[0-9][0-9.]*(?:e[+-]?[0-9]+)?")
_STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
_KEYWORD_ARG = re.compile(r"\s*=(?!=)")
_ZEROS = bytes.maketrans(b"0123456789", b"0000000000")
_WORDS = set(keyword.kwlist)


NAME, INT, FLOAT = 0, 1, 2  # what fills a hole: a slot of the table, or the number itself


@dataclass
class Plan:
    """A shape of statement (compiled), and which of a statement's tokens fill its holes."""

    fn: Callable
    index: list[int]  # the tokens that are holes, in order
    kinds: list[int]  # each hole's: NAME, INT or FLOAT
    kept: list[int]  # tokens that stay because they are the namespace's
    names: list[int]  # the holes that are names

    def fits(self, tokens: list[str], keep: set) -> bool:
        """Whether a statement with this plan's key (its text, digits aside) has its names in
        the same roles: the namespace's where kept, variables where holes."""
        return keep.issuperset(map(tokens.__getitem__, self.kept)) and \
            keep.isdisjoint(map(tokens.__getitem__, self.names))


class Program:
    """The statements of a straight-line function, run as compiled shapes over a table."""

    def __init__(self, lines: list[str], first: int, params: dict[str, object], ns: dict,
                 filename: str) -> None:
        """``lines``: the function's text; statements from index ``first`` (after the def and
        docstring) to the closing ``return``; ``params``: its parameters, in order, with
        their defaults; ``ns``: its namespace (functions stay names, arrays become slots)."""
        import numpy as np

        self.slot: dict[str, int] = {p: k for k, p in enumerate(params)}
        self.keep = {k for k, v in ns.items() if not isinstance(v, np.ndarray)} | _WORDS
        self.ns = ns
        self.filename = f"{filename.rstrip('>')}: a statement's shape>"  # tracebacks: not a line
        self.shapes: dict[str, Callable] = {}
        self.plans: dict[str | bytes, Plan] = {}
        self.steps: list[tuple[Callable, tuple]] = []
        self.line_of: list[int] = []  # the line (1-based) of each step
        for number in range(first, len(lines)):
            code = lines[number].split("#", 1)[0].strip()
            if code:
                self.steps.append(self._step(code))
                self.line_of.append(number + 1)
        self.table = [None] * len(self.slot)
        for name, k in self.slot.items():
            if name in params:
                self.table[k] = params[name]
            elif name in ns:
                self.table[k] = ns[name]

    def _step(self, code: str) -> tuple[Callable, tuple]:
        tokens = _TOKEN.findall(code)
        # digits aside (each made 0), the text fixes where the names and numbers are; a string
        # stays in the shape whole (an einsum's letters), so a statement with one is its own key
        key = code if "'" in code or '"' in code else code.encode().translate(_ZEROS)
        plan = self.plans.get(key)
        if plan is None or not plan.fits(tokens, self.keep):
            plan = self._plan(code)
            self.plans.setdefault(key, plan)
        slot = self.slot  # a new name takes the next slot (setdefault's default: len(slot))
        return plan.fn, tuple([slot.setdefault(t, len(slot)) if kind == NAME else
                               int(t) if kind == INT else float(t)
                               for t, kind in zip(map(tokens.__getitem__, plan.index),
                                                  plan.kinds)])

    def _plan(self, code: str) -> Plan:
        """The shape of a statement: the text with its holes taken out, and where they are."""
        strings = [m.span() for m in _STRING.finditer(code)]
        index, kinds, kept, out, pos = [], [], [], [], 0
        for k, m in enumerate(_TOKEN.finditer(code)):
            text, at = m.group(), m.start()
            if any(a <= at < b for a, b in strings):
                continue  # an einsum's letters
            if text[0].isdigit():
                kinds.append(FLOAT if "." in text or "e" in text else INT)
                out += [code[pos:at], f"a{len(index)}"]
            elif text in self.keep:
                kept.append(k)
                continue
            elif code[at - 1:at] == "." or at and _KEYWORD_ARG.match(code, m.end()):
                continue  # .reshape, axis=0
            else:
                kinds.append(NAME)
                out += [code[pos:at], f"L[a{len(index)}]"]
            index.append(k)
            pos = m.end()
        out.append(code[pos:])
        shape = "".join(out)
        fn = self.shapes.get(shape)
        if fn is None:
            fn = self.shapes[shape] = self._compile(shape, len(index))
        return Plan(fn, index, kinds, kept, [k for k, t in zip(index, kinds) if t == NAME])

    def _compile(self, shape: str, n: int) -> Callable:
        args = "".join(f", a{k}" for k in range(n))
        text = f"def shape(L{args}):\n    {shape}\n"
        exec(builtins.compile(text, self.filename, "exec"), self.ns)  # noqa: S102 - our code
        return self.ns.pop("shape")

    def __call__(self, *args, **kwargs):
        table = self.table[:]
        table[:len(args)] = args
        for name, v in kwargs.items():
            table[self.slot[name]] = v
        k = out = None
        try:
            for k, (fn, holes) in enumerate(self.steps):  # noqa: B007 - k: read on error
                out = fn(table, *holes)
        except Exception as e:
            e.compiled_line = self.line_of[k]  # what the traceback of compiled code would say
            raise
        return out
