"""A small symbolic expression type: run an op's own ``forward``/``partials`` on it, and the
expression it records prints itself as Python float code or as NumPy code.

``Sym`` records arithmetic (``+ − × ÷ **``, unary minus, ``abs``) and the calls the op table's
polymorphic functions make (``exp``, ``log``, ``sin``, ``cos``, ``sigmoid`` …). Anything that
would make a rule *choose* — a comparison, ``bool``, ``float``, reading ``.data`` — raises
``Branches``: such an op needs a hand-written template (``emit.py``), and a comparison
never silently picks one branch. Templates build their branches explicitly with ``where``
and ``cmp``, which print as ``x if c else y`` on floats and ``where(c, x, y)`` on arrays.

A third reading of an expression is ``raises``: the examples where *Python's float
arithmetic* would raise while evaluating it (``x / 0``, ``log`` of a number ≤ 0, ``exp``
overflow, ``0 ** negative`` …), as NumPy masks. NumPy itself returns inf/NaN there, so the
batched code checks these masks to raise the engine's ``DomainError`` (``FLOAT_RAISES`` holds
those facts of Python floats, not of any op; ``tests/test_compile_emit.py`` checks them
against Python at edge points).
"""

from __future__ import annotations

import math


class Branches(Exception):
    """A rule read a number to decide something: it cannot be written out symbolically."""


class Sym:
    """An expression node: ``kind`` is 'name', 'const', a binary operator, 'neg', 'call',
    'cmp', 'and', 'or' or 'where'; ``args`` its operands (Syms, or text for names/ops)."""

    __slots__ = ("kind", "args")
    _rule = None  # looks like a Value to ops._lift, which then calls x.exp(), x.log() …

    def __init__(self, kind: str, *args) -> None:
        self.kind, self.args = kind, args

    # --- arithmetic is recorded ---------------------------------------------------------------
    def __add__(self, o): return Sym("+", self, sym(o))
    def __radd__(self, o): return Sym("+", sym(o), self)
    def __sub__(self, o): return Sym("-", self, sym(o))
    def __rsub__(self, o): return Sym("-", sym(o), self)
    def __mul__(self, o): return Sym("*", self, sym(o))
    def __rmul__(self, o): return Sym("*", sym(o), self)
    def __truediv__(self, o): return Sym("/", self, sym(o))
    def __rtruediv__(self, o): return Sym("/", sym(o), self)
    def __pow__(self, o): return Sym("**", self, sym(o))
    def __rpow__(self, o): return Sym("**", sym(o), self)
    def __neg__(self): return Sym("neg", self)
    def __abs__(self): return call("abs", self)
    def exp(self): return call("exp", self)
    def log(self): return call("log", self)
    def sin(self): return call("sin", self)
    def cos(self): return call("cos", self)
    def tanh(self): return call("tanh", self)
    def sqrt(self): return call("sqrt", self)
    def sigmoid(self): return call("sigmoid", self)

    # --- choosing is refused ------------------------------------------------------------------
    def _branch(self, *_):
        raise Branches("the rule reads a number to choose")

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _branch
    __bool__ = __float__ = __int__ = __index__ = __round__ = __format__ = _branch
    __hash__ = object.__hash__

    @property
    def data(self):
        self._branch()

    # --- printing -----------------------------------------------------------------------------
    def code(self, array: bool) -> str:
        """The expression as Python source: for floats, or for NumPy arrays."""
        return _text(self, array)[0]

    def __repr__(self) -> str:
        return f"Sym({self.code(False)})"


def sym(x) -> Sym:
    """A Sym, or a number as a constant Sym."""
    if isinstance(x, Sym):
        return x
    if x.__class__ is float:
        return Sym("const", x)
    if x.__class__ is int and abs(x) < 2**53:  # Python adds an int to a float as that float
        return Sym("const", float(x))
    raise Branches(f"a rule used {type(x).__name__}")


def name(text: str) -> Sym:
    return Sym("name", text)


def call(fn: str, *args) -> Sym:
    return Sym("call", fn, *map(sym, args))


def cmp(a, op: str, b) -> Sym:
    """A comparison, for templates only (``a > b`` on a Sym raises ``Branches``)."""
    return Sym("cmp", op, sym(a), sym(b))


def both(a: Sym, b: Sym) -> Sym:
    return Sym("and", a, b)


def negate(cond: Sym) -> Sym:
    """``not cond`` (floats), ``logical_not(cond)`` (arrays)."""
    return Sym("not", cond)


def where(cond: Sym, yes, no) -> Sym:
    """``yes if cond else no`` (floats), ``where(cond, yes, no)`` (arrays)."""
    return Sym("where", cond, sym(yes), sym(no))


def _const(x) -> tuple[str, int]:
    if x.__class__ is int:
        return (str(x), 8) if x >= 0 else (f"({x})", 8)
    if math.isnan(x):
        return "nan", 8
    if math.isinf(x):
        return ("inf", 8) if x > 0 else ("-inf", 6)
    text = repr(x)
    return text, (6 if text.startswith("-") else 8)


def _wrap(part: tuple[str, int], need: int) -> str:
    return part[0] if part[1] >= need else f"({part[0]})"


def _spine(s: Sym) -> list:
    """A left-nested chain ((a + b) − c) + … as [a, ('+', b), ('-', c), …], without recursion."""
    out = []
    while s.kind in ("+", "-"):
        out.append((s.kind, s.args[1]))
        s = s.args[0]
    out.append(s)
    return out[::-1]


def _text(s: Sym, array: bool) -> tuple[str, int]:
    """(source text, precedence) of an expression."""
    k, a = s.kind, s.args
    if k == "name":
        return a[0], 8
    if k == "const":
        return _const(a[0])
    if k in ("+", "-"):
        head, *rest = _spine(s)
        parts = [_wrap(_text(head, array), 4)]
        parts += [f" {op} {_wrap(_text(t, array), 5)}" for op, t in rest]
        return "".join(parts), 4
    if k in ("*", "/"):
        return f"{_wrap(_text(a[0], array), 5)} {k} {_wrap(_text(a[1], array), 6)}", 5
    if k == "**" and array:  # NumPy's ** differs from Python's at x ** 0.5: the table's pow_
        return f"pow_({_text(a[0], array)[0]}, {_text(a[1], array)[0]})", 8
    if k == "**":
        return f"{_wrap(_text(a[0], array), 8)} ** {_wrap(_text(a[1], array), 6)}", 7
    if k == "neg":
        return f"-{_wrap(_text(a[0], array), 6)}", 6
    if k == "call":
        return f"{a[0]}({', '.join(_text(x, array)[0] for x in a[1:])})", 8
    return _logic(s, array)


def _logic(s: Sym, array: bool) -> tuple[str, int]:
    """Comparisons, and/or/not and where: Python's words on floats, NumPy's on arrays."""
    k, a = s.kind, s.args
    if k == "cmp":
        return f"{_wrap(_text(a[1], array), 4)} {a[0]} {_wrap(_text(a[2], array), 4)}", 3
    if k == "and":
        if array:
            return f"({_text(a[0], array)[0]}) & ({_text(a[1], array)[0]})", 5
        return f"{_wrap(_text(a[0], array), 3)} and {_wrap(_text(a[1], array), 3)}", 2
    if k == "not":
        if array:
            return f"logical_not({_text(a[0], array)[0]})", 8
        return f"not {_wrap(_text(a[0], array), 3)}", 1
    if k == "or":
        return f"({_text(a[0], array)[0]}) | ({_text(a[1], array)[0]})", 5
    cond, yes, no = (_text(x, array) for x in a)
    if array:
        return f"where({cond[0]}, {yes[0]}, {no[0]})", 8
    return f"{_wrap(yes, 1)} if {_wrap(cond, 1)} else {_wrap(no, 0)}", 0


# --- where Python's float arithmetic raises (as NumPy masks over the examples) ---------------
def _any(masks: list[Sym]) -> Sym | None:
    out = None
    for m in masks:
        out = m if out is None else Sym("or", out, m)
    return out


def _pow_raises(x: Sym, y: Sym) -> list[Sym]:
    # 0 ** negative finite: ZeroDivisionError; negative finite ** non-integer finite: a
    # complex number, which the table's pow refuses; a finite result too large: OverflowError.
    fin = both(call("isfinite", x), call("isfinite", y))
    return [both(cmp(x, "==", 0.0), both(cmp(y, "<", 0.0), call("isfinite", y))),
            both(both(cmp(x, "<", 0.0), fin), cmp(y, "!=", call("floor", y))),
            both(call("isinf", Sym("**", x, y)), fin)]


FLOAT_RAISES = {
    "/": lambda x, y: [cmp(y, "==", 0.0)],
    "**": _pow_raises,
    "pow_": _pow_raises,  # the table's pow: a ** b, refusing a complex result
    "exp": lambda x: [both(call("isinf", call("exp", x)), call("isfinite", x))],
    "log": lambda x: [cmp(x, "<=", 0.0)],
    "log1p": lambda x: [cmp(x, "<=", -1.0)],
    "sqrt": lambda x: [cmp(x, "<", 0.0)],
    "sin": lambda x: [call("isinf", x)],
    "cos": lambda x: [call("isinf", x)],
}
"""Python float operations that raise (ZeroDivisionError, ValueError, OverflowError), and
where: every other operation of a Sym (+, −, ×, tanh, abs, sigmoid …) never raises."""


def raises(s: Sym) -> Sym | None:
    """A NumPy mask of the examples where evaluating ``s`` on floats would raise, or None."""
    k, a = s.kind, s.args
    if k in ("name", "const"):
        return None
    if k in ("+", "-"):
        head, *rest = _spine(s)
        return _any([m for m in [raises(head), *(raises(t) for _, t in rest)] if m is not None])
    if k == "where":
        cond, yes, no = a
        parts = [raises(cond)]
        ry, rn = raises(yes), raises(no)
        parts += [both(cond, ry) if ry is not None else None,
                  both(call("logical_not", cond), rn) if rn is not None else None]
        return _any([m for m in parts if m is not None])
    operands = [x for x in (a[1:] if k in ("call", "cmp") else a) if isinstance(x, Sym)]
    own = [m for m in map(raises, operands) if m is not None]
    fact = FLOAT_RAISES.get(a[0] if k == "call" else k)
    if fact is not None:
        own += fact(*operands)
    return _any(own)
