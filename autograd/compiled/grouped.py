"""The grouped replay: the traced scalar graph seen as layers, each group of like nodes one
array operation.

Grouping (``group``). Each node gets a level, 1 + the highest level of its operands (inputs
and constants are level 0). Nodes of one level that apply the same ``Op`` to operands taken
from the same arrays, slot by slot (the same constants where a slot is a constant), form a
group: one array, a row per member. A layer's 16 ``dot`` nodes all read their weights from
the parameter vector and their inputs from one array (the inputs, or the previous layer's
group), so they are one group; their 16 relus the next. Levels keep the groups in a
topological order of their own: a group reads only groups of lower levels.

Code (``GroupedWriter``), from the op table as for single nodes:

* **contractions**: where an op's own ``forward``, run on symbols, is a sum of products of
  its operands whose terms repeat slot by slot (``dot``: Σᵢ wᵢxᵢ + b·1, ``sum``: Σᵢ xᵢ), the
  slots that repeat become matrices gathered once (``layers_0_W = params[ix_0]``) and the
  sum is a matrix product (``layers_0_W @ x + layers_0_b``). The op's own ``partials`` give
  each matrix's share of the adjoint, contracted the same way (∂/∂wᵢ = xᵢ: ``g @ x.T``;
  ∂/∂xᵢ = wᵢ: ``W.T @ g``): the δ recursion of a course, found in the scalar graph;
* **elementwise**: every other group runs the node's code of the scalar replay
  (``emit.node_code``: derived rules, templates, the op's own functions) on the stacked
  operands, a row per member; its adjoint is its members' adjoints stacked.

A program past ``LONG_PROGRAM`` lines is run a statement at a time (``lines.Program``): a
deep network's layers repeat a dozen shapes of statement, each compiled once, where CPython
would compile every line (~15 µs each: half a minute at 10⁶ nodes).

Arrays carry the batch on a trailing axis where they depend on a batched argument, and none
where they do not (parameters, constants): ``(rows, B)`` or ``(rows,)``. A share flowing into
a shared array is summed over the batch. Numbers are the engine's up to summation order (a
matrix product adds in its own order; NumPy's ``tanh`` may differ in the last bit); errors
and guards are the batched replay's: the examples where the engine raises are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import chain, count, repeat
from operator import attrgetter

from ..ops import Op
from ..value import DomainError, Value
from . import codegen
from .batch import Domain, _batch_size, _numpy, check_options, reduced, retrace_each
from .batch import _prepare as check_argument
from .emit import array_namespace, vectorized
from .guards import GuardError
from .symbolic import Branches, Sym, name, raises, sym

LETTER = {"w": "W", "b": "b", "z": "z", "out": "a"}  # a role's kind as a matrix's name
OPTIONS = {"seed": 1.0, "dom": None, "guard": None}  # the code's parameters after the arrays
# Past this many lines, CPython's compiler (~15 µs a line) costs more than running the program
# a statement at a time (lines.py: ~0.5 µs more per statement and call, a few µs once each)
LONG_PROGRAM = 30_000


@dataclass(eq=False)
class Array:
    """An array of the grouped code: an argument's numbers, the constants, or a group."""

    index: int
    name: str  # identifier in the code
    title: str  # for comments and summaries (sanitised before it reaches the code)
    kind: str  # "input", "const" or "group"
    n: int = 0  # rows
    arg: int = -1
    op: Op | None = None
    level: int = 0
    root: bool = True  # in the root's graph (else only an aux output needs it)
    members: list = field(default_factory=list)
    slots: list = field(default_factory=list)  # per operand: a float, or (Array, rows)
    same: list = field(default_factory=list)  # per operand: every member reads one row
    rows: object = None  # (members, operands): the row each member reads, slot by slot
    leaves: list = field(default_factory=list)  # an input's or the constants' nodes
    titles: tuple | None = None  # (a title id per row, or None: one for all; the titles)
    desc: tuple = ()  # per operand: the index of the array it reads, or its float's bits

    def __repr__(self) -> str:
        return f"<{self.kind} {self.title}: {self.n} rows>"


@dataclass
class Grouping:
    """The groups of a program, in an order of their own (level by level)."""

    p: codegen.Program
    arrays: list[Array]  # inputs, the constants, then the groups in order
    array_of: dict  # node -> the index of its Array
    row_of: dict  # node -> its row there
    by_index: list[Array]  # the arrays by their index
    consts: list[float]
    used: set = field(default_factory=set)  # identifiers taken by the arrays
    plans: dict = field(default_factory=dict)  # kind of group -> its contraction plan

    @property
    def groups(self) -> list[Array]:
        return [a for a in self.arrays if a.kind == "group"]

    def where(self, node: Value) -> tuple[Array, int]:
        """The array a node is in, and its row."""
        return self.by_index[self.array_of[node]], self.row_of[node]


def group(p: codegen.Program) -> Grouping:
    """Group the program's nodes: same level, same Op, operands from the same arrays. (A
    network's nodes have many operands: each is looked up by C-level ``map`` passes.)"""
    arrays: list[Array] = []
    array_of: dict = {}
    row_of: dict = {}
    for k, leaves in enumerate(p.inputs):
        a = Array(len(arrays), p.params[k], p.arg_names[k], "input", len(leaves), arg=k,
                  leaves=leaves)
        arrays.append(a)
        array_of.update(dict.fromkeys(leaves, a.index))
        row_of.update(zip(leaves, range(len(leaves))))
    const = Array(len(arrays), "consts", "constants", "const")
    arrays.append(const)
    consts: list[float] = []
    open_: dict = {}  # key -> (array index, members): Arrays are made after the loop
    n_root, get, made = p.n_root, array_of.get, len(arrays)
    for i, node in enumerate(p.order):
        ops = node._operands
        if not ops:  # a leaf: an input's, or a constant
            if node in array_of:
                continue
            array_of[node], row_of[node] = const.index, len(consts)
            consts.append(p.constants[node])  # its data when traced
            const.leaves.append(node)
            continue
        desc = tuple(map(get, ops))  # a float operand: None (Values are by identity)
        if None in desc:
            desc = tuple(x.hex() if x.__class__ is float else array_of[x] for x in ops)
        key = (id(node._rule), i < n_root, desc)  # floats by their bits: −0.0 apart
        g = open_.get(key)
        if g is None:
            g = open_[key] = (made, [])
            made += 1
        members = g[1]
        array_of[node] = g[0]
        row_of[node] = len(members)
        members.append(node)
    level = [0] * len(arrays)  # by array index; the arrays read fix a group's level
    for (_, root, desc), (index, members) in open_.items():  # in order of creation
        top = 1 + max([level[d] for d in desc if d.__class__ is int], default=0)
        level.append(top)
        arrays.append(Array(index, "", "", "group", op=members[0]._rule, level=top,
                            root=root, desc=desc, members=members))
    const.n = len(consts)
    groups = sorted((a for a in arrays if a.kind == "group"), key=lambda a: (a.level, a.index))
    _slots(groups, arrays, row_of)
    gr = Grouping(p, [a for a in arrays if a.kind != "group"] + groups, array_of, row_of,
                  arrays, consts)
    name_groups(gr, Names(()))
    return gr


def _slots(groups: list[Array], arrays: list, row_of: dict) -> None:
    """Each group's ``slots`` (per operand: its float, or (the array it reads, the row of each
    member)), ``same`` (whether every member reads one row there) and ``rows`` (a (members,
    slots) matrix). Groups of one size and arity are done together: one array of rows, one
    comparison (10⁵ groups of a deep network cost a few NumPy calls, not a few each)."""
    import numpy as np

    alike: dict = {}
    for g in groups:
        g.n = len(g.members)
        if any(d.__class__ is str for d in g.desc):  # a float operand (members have it alike)
            rows = np.array([[row_of[x] if x.__class__ is not float else 0
                              for x in node._operands] for node in g.members], dtype=np.intp)
            _set_slots([g], rows[None], arrays)
        else:
            alike.setdefault((g.n, len(g.desc)), []).append(g)
    for (n, m), gs in alike.items():
        members = chain.from_iterable(map(attrgetter("members"), gs))
        operands = chain.from_iterable(map(attrgetter("_operands"), members))
        rows = np.fromiter(map(row_of.__getitem__, operands), np.intp, len(gs) * n * m)
        _set_slots(gs, rows.reshape(len(gs), n, m), arrays)


def _set_slots(gs: list[Array], rows, arrays: list) -> None:
    """``_slots`` for groups of one shape, ``rows[k]`` the rows of ``gs[k]``."""
    same = (rows == rows[:, :1, :]).all(axis=1).tolist()
    for g, r, columns, s in zip(gs, rows, rows.transpose(0, 2, 1), same):
        g.rows, g.same = r, s
        g.slots = [x if d.__class__ is str else (arrays[d], column)
                   for x, d, column in zip(g.members[0]._operands, g.desc, columns)]


# --- names -----------------------------------------------------------------------------------
def _role_title(role) -> str | None:
    """``layers.0.W`` for a weight of layer 0, ``layers.0.z`` for a pre-activation …: from
    the node's role (told by nn), never from its label."""
    if role is None or not role.parent:
        return None
    return f"{role.parent}.{LETTER[role.kind]}"


def role_titles(a: Array) -> tuple:
    """(a title id per row of ``a``, the titles): rows of one title can be named by it."""
    if a.titles is None:
        import numpy as np

        ids: dict = {}
        nodes = a.members if a.kind == "group" else a.leaves
        # the slot, not the property: Roles are shared by a unit's nodes, so few distinct
        roles = list(map(getattr, nodes, repeat("_role"), repeat(None)))
        per = {r: ids.setdefault(_role_title(r), len(ids)) for r in set(roles)}
        a.titles = (None if len(ids) == 1 else  # one title (or none) for every row
                    np.array(list(map(per.__getitem__, roles)), dtype=np.intp), list(ids))
    return a.titles


def title_of(a: Array, rows) -> str | None:
    """The title every one of ``rows`` of ``a`` has, if they have one."""
    ids, titles = role_titles(a)
    if ids is None:
        return titles[0]
    picked = ids[rows]
    first = picked.flat[0]
    return titles[first] if (picked == first).all() else None


class Names:
    """Unique identifiers for the grouped code, from titles (user text made safe)."""

    def __init__(self, taken) -> None:
        self.used = set(taken) | codegen.RESERVED

    def take(self, title: str, fallback: str) -> str:
        base = codegen._identifier(title, fallback)
        name_, k = base, 1
        while name_ in self.used:
            name_, k = f"{base}_{k}", k + 1
        self.used.add(name_)
        return name_


def name_groups(gr: Grouping, names: Names) -> None:
    for a in gr.arrays:
        if a.kind != "group":
            names.used.add(a.name)
    for g in gr.groups:
        title = title_of(g, slice(None))
        if title is None:
            title = gr.p.names[g.members[0]] if g.n == 1 else f"{g.op.name}{g.index}"
        g.title = title
        g.name = names.take(title, f"{g.op.name}{g.index}")
    gr.used = set(names.used)


# --- contractions: an op's forward as a sum of products, slot by slot ------------------------
@dataclass
class Family:
    """Slots ``start … start+L−1`` of a group's operands, read from one array: a matrix."""

    source: Array
    start: int
    length: int
    rows: object  # (members, L) row numbers into source
    invariant: bool  # every member reads the same rows (a shared input: x, h)
    expr: str = ""  # its text in the code
    letters: str = ""

    @property
    def reads_whole(self) -> bool:
        """Every member reads all of its array, in order (``layers_0_a`` itself, ``x``)."""
        return self.invariant and self.length > 1 and _whole(self.rows[0], self.source.n)


@dataclass
class Segment:
    """Terms ``Σᵢ c · Π families[·][i]`` of a forward sum."""

    families: list[int]
    const: float


@dataclass
class Contraction:
    families: list[Family]
    segments: list[Segment]
    shares: dict[int, tuple[list[int], float]]  # family -> (partial's families, constant)


def _product(t: Sym, slot_of: dict) -> list | None:
    """A product of slot symbols and constants as [("s", j) | ("c", x)], or None."""
    out, stack = [], [t]
    while stack:
        s = stack.pop()
        if s.kind == "*":
            stack += [s.args[1], s.args[0]]
        elif s.kind == "neg":
            out.append(("c", -1.0))
            stack.append(s.args[0])
        elif s.kind == "name" and s.args[0] in slot_of:
            out.append(("s", slot_of[s.args[0]]))
        elif s.kind == "const":
            out.append(("c", s.args[0]))
        else:
            return None
    return out


def _terms(forward: Sym, slot_of: dict) -> list | None:
    """The forward's terms as products, or None if it is not a sum of products."""
    head, *rest = codegen._spine(forward) if forward.kind in ("+", "-") else [forward]
    terms = [] if head.kind == "const" and head.args[0] == 0.0 else [_product(head, slot_of)]
    for op, t in rest:
        f = _product(t, slot_of)
        terms.append(f + [("c", -1.0)] if op == "-" and f is not None else f)
    return None if any(t is None for t in terms) else terms


def _continues(prev: list, term: list, desc: list) -> bool:
    if len(prev) != len(term):
        return False
    for (ka, a), (kb, b) in zip(prev, term):
        if ka != kb or (ka == "c" and a != b) or (ka == "s" and (b != a + 1 or desc[a] != desc[b])):
            return False
    return True


def _segments(terms: list, desc: list) -> list[tuple[list, int]]:
    """Runs of terms that repeat slot by slot: (first term, length)."""
    runs: list[list] = []
    for t in terms:
        t = sorted(t, key=lambda f: (f[0] == "c", f[1]))  # slots first, in slot order
        if runs and _continues(runs[-1][1], t, desc):
            runs[-1][1] = t
            runs[-1][2] += 1
        else:
            runs.append([t, t, 1])
    return [(first, n) for first, _, n in runs]


def _const(factors: list) -> float:
    c = 1.0
    for kind, x in factors:
        if kind == "c":
            c *= x
    return c


def contraction(g: Array, cache: dict) -> Contraction | None:
    """The group as matrix products, from its op's own forward and partials; None if the
    rules are not sums of products that repeat slot by slot. Derived once per kind of group
    (``cache``): the layers of a deep network share one plan."""
    if len(g.slots) < 3 or g.op.constants:  # two slots make no matrix worth the analysis
        return None
    key = _plan_key(g)
    if key not in cache:
        cache[key] = _derive(g)
    plan = cache[key]
    if plan is None:
        return None
    families = [Family(g.slots[start][0], start, length, _rows(g, start, length), invariant)
                for start, length, invariant in plan[0]]
    return Contraction(families, plan[1], plan[2])


def _plan_key(g: Array) -> tuple:
    """What a plan depends on: the op, the constants, which slots read one array (numbered by
    first appearance) and whether every member reads one row; for a group of one, the rows."""
    if g.n == 1:
        return (id(g.op), True, tuple(x.hex() if x.__class__ is float else
                                      (x[0].index, int(x[1][0]), x[0].n) for x in g.slots))
    first = {}
    for d in g.desc:  # arrays numbered by first appearance; floats are themselves
        if d.__class__ is int and d not in first:
            first[d] = len(first)
    return (id(g.op), False, tuple(map(first.get, g.desc, g.desc)), tuple(g.same))


def _rows(g: Array, start: int, length: int):
    return g.rows[:, start:start + length]


def _derive(g: Array):
    syms = [x if x.__class__ is float else name(f"_s{j}") for j, x in enumerate(g.slots)]
    slot_of = {f"_s{j}": j for j, x in enumerate(g.slots) if x.__class__ is not float}
    desc = [None if x.__class__ is float else (x[0].index, _shared_row(g, j))
            for j, x in enumerate(g.slots)]
    try:
        terms = _terms(sym(g.op.forward(*syms)), slot_of)
        partials = [sym(d) for d in g.op.partials(*syms, name("_out"))]
    except (Branches, TypeError, ArithmeticError, ValueError):
        return None
    if terms is None or len(partials) != len(syms):
        return None
    return _plan(g, terms, partials, desc, slot_of)


def _whole(rows, n: int) -> bool:
    """Whether ``rows`` are all n rows of an array, in order: the array itself, no gather."""
    return rows.ndim == 1 and len(rows) == n and rows.tobytes() == _counting(n)


@lru_cache(maxsize=64)
def _counting(n: int) -> bytes:
    import numpy as np
    return np.arange(n, dtype=np.intp).tobytes()


def _shared_row(g: Array, j: int) -> bool:
    """Whether every member reads this slot's operand from the same row (a shared input x or
    h); never for a group of one (whether its family reads a whole array, so that a 1-unit
    layer reads ``W @ h`` and not a gathered copy, is decided per family in ``_plan``)."""
    return g.n > 1 and g.same[j]


def _plan(g: Array, terms: list, partials: list, desc: list, slot_of: dict):

    families: list[Family] = []
    family_of: dict[int, tuple[int, int]] = {}  # slot -> (family, offset)
    segments = []
    for first, n in _segments(terms, desc):
        fam = []
        for kind, j in first:
            if kind != "s":
                continue
            if any(s in family_of for s in range(j, j + n)):
                return None  # a slot used twice: not a plain contraction
            source, _ = g.slots[j]
            rows = _rows(g, j, n)
            whole = g.n == 1 and _whole(rows[0], source.n)
            families.append(Family(source, j, n, rows, desc[j][1] or whole))
            for i in range(n):
                family_of[j + i] = (len(families) - 1, i)
            fam.append(len(families) - 1)
        segments.append(Segment(fam, _const(first)))
    if set(family_of) != set(slot_of.values()):
        return None
    return _check_plan(g, families, family_of, segments, partials, slot_of)


def _check_plan(g: Array, families: list, family_of: dict, segments: list, partials: list,
                slot_of: dict):
    varying = any(not families[f].invariant for s in segments for f in s.families)
    if (g.n > 1 and not varying) or \
            all(families[s.families[0]].length == 1 for s in segments if s.families):
        return None  # no matrix in it: elementwise code is as good
    shares = {}
    for f, fam in enumerate(families):
        pattern = None
        for i in range(fam.length):
            d = _product(partials[fam.start + i], slot_of)
            if d is None:
                return None
            sig = []
            for kind, x in d:
                if kind == "s":
                    other, off = family_of[x]
                    if off != i or families[other].length != fam.length:
                        return None
                    sig.append(other)
            sig = (tuple(sorted(sig)), _const(d))
            if pattern is not None and sig != pattern:
                return None
            pattern = sig
        shares[f] = (list(pattern[0]), pattern[1])
    return [(f.start, f.length, f.invariant) for f in families], segments, shares


_CONTRACTIONS: dict = {}  # (letters, out, which inputs are plain names) -> format string


def _contract(inputs: list[tuple[str, str]], out: str) -> str:
    """Σ over the letters not in ``out`` of the product of the inputs (text, letters), as a
    matrix product where it is one, else ``einsum``. Worked out once per kind of input (its
    letters, and whether its text needs parentheses): a deep network repeats a few kinds."""
    plain = tuple(_paren(a) == a for a, _ in inputs)
    key = (tuple(la for _, la in inputs), out, plain)
    form = _CONTRACTIONS.get(key)
    if form is None:
        marks = [f"QZ{k}QZ" if p else f"QZ{k}QZ+" for k, p in enumerate(plain)]
        form = _contraction([(m, la) for m, (_, la) in zip(marks, inputs)], out)
        for k in sorted(range(len(marks)), key=lambda k: -len(marks[k])):
            form = form.replace(marks[k], f"{{{k}}}")
        _CONTRACTIONS[key] = form
    return form.format(*[a for a, _ in inputs])


def _contraction(inputs: list[tuple[str, str]], out: str) -> str:
    if len(inputs) == 1:
        (a, la), = inputs
        if la == out:
            return a
        gone = [c for c in la if c not in out]
        if len(gone) == 1 and [c for c in la if c in out] == list(out):
            return f"{_paren(a)}.sum(axis={la.index(gone[0])})"
    if len(inputs) == 2:
        text = _matmul(*inputs, out) or _scaled(*inputs, out)
        if text is not None:
            return text
    spec = ",".join(la for _, la in inputs) + "->" + out
    return f"einsum('{spec}', {', '.join(a for a, _ in inputs)})"


def _scaled(x: tuple[str, str], y: tuple[str, str], out: str) -> str | None:
    """a.sum() * b where every letter of a is summed and b is the result (``k,i->i``: the
    one member of a group reading a whole array, as the L2 penalty's w·w)."""
    for (a, la), (b, lb) in ((x, y), (y, x)):
        if lb == out and not set(la) & set(lb + out):
            return f"{_paren(a)}.sum() * {_paren(b)}"
    return None


def _paren(a: str) -> str:
    return a if a.replace("_", "").isalnum() else f"({a})"


def _matmul(x: tuple[str, str], y: tuple[str, str], out: str) -> str | None:
    """A @ B (with .T where needed) for one summed letter and each side's other letter free."""
    (a, la), (b, lb) = x, y
    summed = [c for c in la if c in lb and c not in out]
    if len(summed) != 1 or len(la) > 2 or len(lb) > 2:
        return None
    c = summed[0]
    fa, fb = la.replace(c, ""), lb.replace(c, "")
    if set(fa) & set(fb) or out not in (fa + fb, fb + fa):
        return None
    if fa + fb != out:
        (a, la, fa), (b, lb, fb) = (b, lb, fb), (a, la, fa)
    left = a if la == fa + c else f"{_paren(a)}.T"
    right = b if lb == c + fb else f"{_paren(b)}.T"
    return f"{left} @ {right}"


# --- the writer --------------------------------------------------------------------------------
class GroupedWriter:
    """Writes the grouped program for one batching of the arguments (which are batched)."""

    def __init__(self, gr: Grouping, batched: tuple[bool, ...], fname: str) -> None:
        self.gr, self.p, self.fname = gr, gr.p, fname
        self.src = codegen.Source()
        self.ns: dict = {}
        self.batched: dict[Array, bool] = {}
        for a in gr.arrays:
            if a.kind == "input":
                self.batched[a] = batched[a.arg]
            elif a.kind == "const":
                self.batched[a] = False
            else:
                self.batched[a] = any(self.batched[s[0]] for s in a.slots
                                      if s.__class__ is not float)
        self.needs = self._needs()
        self.shares: dict[Array, list] = {}  # array -> contributions to its adjoint
        self.plans: dict[Array, Contraction | None] = {}
        self.codes: dict = {}
        self.shapes: dict = {}  # (id(Op), constants) -> codegen.Shape
        self.views: dict = {}  # rows of a shared array -> the view that selects them
        self.gathered: dict = {}  # (array, rows) -> the name of the matrix gathered from them
        self.index_names = count()
        self.names = Names(gr.used)
        self.guards_after = self._place_guards()

    def _needs(self) -> set:
        needs = {a for a in self.gr.arrays if a.kind == "input" and a.arg in self.p.argnums}
        for g in self.gr.groups:
            if g.root and any(s.__class__ is not float and s[0] in needs for s in g.slots):
                needs.add(g)
        return needs

    # --- small pieces of text ---------------------------------------------------------------
    def rows_of(self, array: Array, rows) -> str:
        """``array[rows]``: as a view where the rows are evenly spaced in a shared array (a
        layer's weights in the parameter vector: ``params[0:48].reshape(16, 3)[:, :2]``),
        else gathered through an index array."""
        view = None
        if not self.batched[array]:
            key = (rows.shape, rows.tobytes(), array.n)  # layers repeat: so do their views
            view = self.views[key] if key in self.views else \
                self.views.setdefault(key, _view(rows, array.n))
        return f"{array.name}{view}" if view else f"{array.name}[{self.index(rows)}]"

    def index(self, rows) -> str:
        """A named constant of the code: an index array."""
        name_ = f"ix_{next(self.index_names)}"
        self.ns[name_] = rows
        return name_

    def line(self, text: str, node: Value | None = None, backward: bool = False) -> None:
        self.src.add(f"    {text}", node, backward)

    def check(self, expr: Sym, node: Value, backward: bool = False) -> None:
        mask = raises(expr)
        if mask is not None:
            self.line(f"dom({mask.code(True)}, {len(self.src.lines) + 1})", node, backward)

    def operand(self, g: Array, j: int):
        """Slot j of group g as an array with a row per member (or one row for all)."""
        x = g.slots[j]
        if x.__class__ is float:
            return x
        source, rows = x
        if g.n > 1 and _whole(rows, source.n):
            text = source.name
        elif g.n == 1 or g.same[j]:
            r = int(rows[0])
            text = source.name if source.n == 1 else f"{source.name}[{r}:{r + 1}]"
        else:
            text = self.rows_of(source, rows)
        if self.batched[g] and not self.batched[source]:
            text = f"{text}[:, None]"
        return text

    # --- forward ------------------------------------------------------------------------------
    def forward(self) -> None:
        import numpy as np

        self.ns["consts"] = np.array(self.gr.consts, dtype=float)
        self.write_guards(None)
        for g in self.gr.groups:
            plan = contraction(g, self.gr.plans)
            self.plans[g] = plan
            what = f"{g.n} {codegen.comment_text(g.op.name)} node{'s' if g.n > 1 else ''}"
            self.src.add(f"    # {codegen.comment_text(g.title)}: {what}")
            if plan is not None:
                self.forward_contraction(g, plan)
            else:
                self.forward_elementwise(g)
            self.write_guards(g)

    def kind(self, g: Array) -> tuple:
        """The group's code as a node's (``codegen.derive_shape``: the op table's rules run once
        per kind of node and kept as format strings), and the text of its slots."""
        key = (id(g.op), tuple(None if x.__class__ is not float else (x, x.hex())
                               for x in g.slots))
        sh = self.shapes.get(key)
        if sh is None:
            sh = self.shapes[key] = codegen.derive_shape(
                g.op, tuple(None if c is None else c[0] for c in key[1]), True,
                self.p.op_names[id(g.op)])
        texts = (*["" if x.__class__ is float else self.operand(g, j)
                   for j, x in enumerate(g.slots)], g.name, str(len(self.src.lines) + 1))
        return sh, texts

    def forward_elementwise(self, g: Array) -> None:
        sh, texts = self.kind(g)
        self.codes[g] = (sh, texts)
        for line in sh.forward:
            self.src.add(line.format(*texts), g.members[0])
        if sh.mask is not None:
            self.line(f"dom({sh.mask.format(*texts)}, {len(self.src.lines) + 1})", g.members[0])
        varying = any(g.n > 1 and not g.same[j] for j, x in enumerate(g.slots)
                      if x.__class__ is not float)
        if g.n > 1 and not varying:  # every member reads the same rows: one row, repeated
            self.line(f"{g.name} = repeat({g.name}, {g.n}, axis=0)", g.members[0])

    def letters(self, fam: Family) -> str:
        return ("" if fam.invariant else "k") + ("i" if fam.length > 1 else "") + \
            ("b" if self.batched[fam.source] else "")

    def gather(self, g: Array, f: int, fam: Family) -> None:
        fam.letters = self.letters(fam)
        src = fam.source
        rows = fam.rows[0] if fam.invariant else fam.rows
        if fam.length == 1:
            rows = rows[..., 0]
        if fam.reads_whole:
            fam.expr = src.name
            return
        if fam.invariant and fam.length == 1:
            fam.expr = f"{src.name}[{int(rows)}]"
            return
        key = (src.index, rows.shape, rows.tobytes())
        if key in self.gathered:  # the same rows again (weights shared by layers: an RNN's)
            fam.expr = self.gathered[key]
            return
        title = title_of(src, rows) or f"{g.title}.{f}"
        fam.expr = self.gathered[key] = self.names.take(title, f"{g.name}_{f}")
        shape = "×".join(map(str, rows.shape))
        self.line(f"{fam.expr} = {self.rows_of(src, rows)}  # {codegen.comment_text(title)}: "
                  f"{shape} from {codegen.comment_text(src.title)}", g.members[0])

    def forward_contraction(self, g: Array, plan: Contraction) -> None:
        for f, fam in enumerate(plan.families):
            self.gather(g, f, fam)
        out = "k" + ("b" if self.batched[g] else "")
        parts = []
        for seg in plan.segments:
            fams = [plan.families[f] for f in seg.families]
            if not fams:  # a term of constants only (a constant bias)
                parts.append(codegen.literal(seg.const))
                continue
            have = "".join(c for c in out if any(c in f.letters for f in fams))
            text = _contract([(f.expr, f.letters) for f in fams], have)
            if seg.const != 1.0:
                text = f"{codegen.literal(seg.const)} * {_paren(text)}"
            if have == "k" and out == "kb":
                text = f"{_paren(text)}[:, None]"
            elif "k" not in have and g.n == 1:  # a group of one reading whole arrays
                text = f"{_paren(text)}[None]"
            parts.append(text)
        self.line(f"{g.name} = {' + '.join(parts)}", g.members[0])

    # --- guards -------------------------------------------------------------------------------
    def _place_guards(self) -> dict:
        """Each guard goes right after the group of the later of its nodes (None: the top)."""
        pos = {a: k for k, a in enumerate(self.gr.arrays)}
        after: dict = {}
        for k, gd in enumerate(self.p.guards):
            arrays = [self.gr.where(x)[0] for x in (gd.node, gd.other) if x.__class__ is Value]
            last = max(arrays, key=pos.__getitem__)
            after.setdefault(last if last.kind == "group" else None, []).append(k)
        return after

    def write_guards(self, after: Array | None) -> None:
        for k in self.guards_after.get(after, ()):
            gd = self.p.guards[k]
            a = self.value_of(gd.node)
            other = self.value_of(gd.other) if gd.other.__class__ is Value else gd.other
            self.line(f"guard({codegen.guard_fails(gd, a, other).code(True)}, {k})")

    def value_of(self, node: Value) -> Sym:
        a, r = self.gr.where(node)
        return name(f"{a.name}[{r}]")

    # --- reverse ------------------------------------------------------------------------------
    def reverse(self) -> None:
        root, r = self.gr.where(self.p.root)
        for g in reversed(self.gr.groups):
            if g not in self.needs:
                continue
            if g is root:
                self.line(f"g_{g.name} = seed + zeros({g.name}.shape)", g.members[0], True)
            else:
                self.assemble(g)
            plan = self.plans[g]
            if plan is not None:
                self.shares_contraction(g, plan)
            else:
                self.shares_elementwise(g)
        for a in self.gr.arrays:
            if a.kind == "input" and a in self.needs:
                self.assemble(a)

    def add_share(self, source: Array, text: str, rows, node: Value) -> None:
        """A contribution to ``source``'s adjoint: rows ``rows`` of it (an index array, or one
        row number), or all of it (None)."""
        self.shares.setdefault(source, []).append((text, rows))

    def assemble(self, a: Array) -> None:
        """g_a = the sum of the shares its consumers passed back (scattered into its rows)."""
        shares = self.shares.get(a, [])
        target = f"g_{a.name}"
        node = a.members[0] if a.members else None
        if shares and all(rows is None for _, rows in shares):
            self.line(f"{target} = {' + '.join(t for t, _ in shares)}", node, True)
            return
        self.line(f"{target} = zeros({a.name}.shape)", node, True)
        for text, rows in shares:
            if rows is None:
                self.line(f"{target} += {text}", node, True)
            elif isinstance(rows, int):
                self.line(f"{target}[{rows}] += {text}", node, True)
            elif len(set(rows.ravel().tolist())) == rows.size:
                self.line(f"{self.rows_of(a, rows).replace(a.name, target, 1)} += {text}",
                          node, True)
            else:
                self.line(f"add_at({target}, {self.index(rows)}, {text})", node, True)

    def shares_elementwise(self, g: Array) -> None:
        sh, texts = self.codes[g]
        node = g.members[0]
        for line in sh.partials or ():
            self.src.add(line.format(*texts), node, True)
        if sh.partials_mask is not None:
            self.line(f"dom({sh.partials_mask.format(*texts)}, {len(self.src.lines) + 1})", node,
                      True)
        for j, x in enumerate(g.slots):
            if x.__class__ is float or x[0] not in self.needs:
                continue
            term = sh.terms[j]  # g_g · ∂g/∂operandⱼ, member by member
            if term.mask is not None:
                self.line(f"dom({term.mask.format(*texts)}, {len(self.src.lines) + 1})", node,
                          True)
            self.route(g, j, term.alone.format(*texts))

    def route(self, g: Array, j: int, text: str) -> None:
        """Send a share (a row per member) to the rows of the array slot j reads."""
        source, rows = g.slots[j]
        if self.batched[g] and not self.batched[source]:
            text = f"{_paren(text)}.sum(axis=-1)"
        node = g.members[0]
        if g.n > 1 and _whole(rows, source.n):
            self.add_share(source, text, None, node)
        elif g.n > 1 and not g.same[j]:
            self.add_share(source, text, rows, node)
        elif source.n == 1:  # one row read by every member: (1, …) stays whole
            self.add_share(source, text if g.n == 1 else
                           f"{_paren(text)}.sum(axis=0, keepdims=True)", None, node)
        else:
            text = f"{_paren(text)}[0]" if g.n == 1 else f"{_paren(text)}.sum(axis=0)"
            self.add_share(source, text, int(rows[0]), node)

    def shares_contraction(self, g: Array, plan: Contraction) -> None:
        gl = "k" + ("b" if self.batched[g] else "")
        for f, fam in enumerate(plan.families):
            if fam.source not in self.needs:
                continue
            others, c = plan.shares[f]
            inputs = [(f"g_{g.name}", gl)] + [(plan.families[o].expr, plan.families[o].letters)
                                              for o in others]
            want = fam.letters
            have = "".join(ch for ch in want if any(ch in la for _, la in inputs))
            text = _contract(inputs, have)
            if c != 1.0:
                text = f"{codegen.literal(c)} * {_paren(text)}"
            if have != want:  # a constant partial: the share is the same along i
                axis = int(want.startswith("k"))
                text = f"repeat({_paren(text)}[{':, ' * axis}None], {fam.length}, axis={axis})"
            self.route_family(g, fam, text)

    def route_family(self, g: Array, fam: Family, text: str) -> None:
        rows = fam.rows[0] if fam.invariant else fam.rows
        if fam.length == 1:
            rows = int(rows[0]) if fam.invariant else rows[..., 0]
        src = fam.source
        if fam.reads_whole:
            self.add_share(src, text, None, g.members[0])
        else:
            self.add_share(src, text, rows, g.members[0])

    # --- the whole function -------------------------------------------------------------------
    def write(self) -> codegen.Source:
        p = self.p
        params = [a.name for a in self.gr.arrays if a.kind == "input"]
        options = ", ".join(f"{k}={v!r}" for k, v in OPTIONS.items())
        self.src.add(f"def {self.fname}({', '.join(params)}, {options}):")
        self.src.add(f'    """Generated by autograd.compile, grouped ({len(p.order)} nodes in '
                     f'{len(self.gr.groups)} groups): the value and the gradients."""')
        self.src.add("    # forward: each line one group of like nodes, one array operation")
        self.forward()
        if p.argnums:
            self.src.add("    # reverse: g_X = ∂output/∂X, a group's adjoint its members' stacked")
            self.reverse()
        grads = [f"g_{self.gr.arrays[k].name}" for k in p.argnums]
        aux = ", ".join(self.value_of(x).code(True) for x in p.aux)
        root = self.value_of(p.root).code(True)
        self.src.add(f"    return {root}, ({''.join(g + ', ' for g in grads)}), [{aux}]")
        return self.src


def _view(rows, n: int) -> str | None:
    """A slice (and reshape) selecting ``rows`` of a 1-D array of n, when there is one."""
    import numpy as np

    if rows.size == 1 or rows.ndim == 2 and rows.shape[0] == 1:  # one row, or one unit's
        flat = rows.ravel()
        r0 = int(flat[0])
        if (flat == r0 + np.arange(flat.size)).all():
            return f"[{r0}:{r0 + flat.size}]" + ("" if rows.ndim == 1 else "[None]")
    if rows.ndim == 1 and len(rows) > 1:
        step = int(rows[1] - rows[0])
        if step > 0 and (np.diff(rows) == step).all():
            r0 = int(rows[0])
            end = r0 + step * (len(rows) - 1) + 1
            return f"[{r0}:{end}]" if step == 1 else f"[{r0}:{end}:{step}]"
    if rows.ndim == 2 and rows.shape[1] > 1 and rows.shape[0] > 1:
        k, width = rows.shape
        r0, stride = int(rows[0, 0]), int(rows[1, 0] - rows[0, 0])
        want = r0 + stride * np.arange(k)[:, None] + np.arange(width)[None, :]
        if stride >= width and r0 + stride * k <= n and (rows == want).all():
            # ends in a subscript even when nothing is cut: the target of a +=
            return f"[{r0}:{r0 + stride * k}].reshape({k}, {stride})[:, :{width}]"
    return None


def namespace(p: codegen.Program) -> dict:
    """The batched replay's functions (elementwise, the engine's to the last bit: math's
    tanh, not NumPy's, whose last bit differs and 1 − tanh² magnifies), matrix products and
    scatters for the groups, and each op's own functions."""
    import numpy as np

    ns = array_namespace()
    ns.update(einsum=np.einsum, zeros=np.zeros, repeat=np.repeat,
              add_at=np.add.at, empty=np.zeros(0))
    for node in p.order:
        op = node._rule
        if op is None:
            continue
        fn = p.op_names[id(op)]
        if fn not in ns:
            ns[fn] = vectorized(op.forward, 1)
            ns[fn + "_partials"] = vectorized(op.partials, len(node.operands), partials=True)
    return ns


# --- building and replaying ------------------------------------------------------------------
@dataclass
class GroupedCode:
    """The grouped code for one batching of the arguments."""

    fn: object
    src: codegen.Source
    filename: str
    plan: object = None  # the BatchPlan its replay reports errors through


def build(gr: Grouping, batched: tuple[bool, ...]) -> GroupedCode:
    """Write and compile the grouped code. A program longer than ``LONG_PROGRAM`` lines is
    not compiled whole but run a statement at a time, each shape of statement compiled once
    (``lines.Program``: a deep network's layers repeat a dozen shapes)."""
    fname = f"{gr.p.fname}_grouped"
    w = GroupedWriter(gr, batched, fname)
    src = w.write()
    ns = namespace(gr.p)
    ns.update(w.ns)
    if len(src.lines) <= LONG_PROGRAM:
        fn, filename = codegen.build(gr.p, src, True, ns=ns, kind="grouped", fname=fname)
    else:
        fn, filename = _statements(gr, src, ns)
    return GroupedCode(fn, src, filename)


def _statements(gr: Grouping, src: codegen.Source, ns: dict):
    """The long program as ``lines.Program``, its statements run in order (an error carries
    its line of ``grouped_source``; tracebacks show the shape of statement that raised)."""
    from .lines import Program

    filename = f"<autograd.compile {gr.p.fname} #{next(codegen._files)} grouped>"
    params = {a.name: None for a in gr.arrays if a.kind == "input"} | OPTIONS
    return Program(src.lines, 2, params, ns, filename), filename  # 2: after def, docstring


def _prepare(np, arg, spec):
    """(the argument as rows: (n,) shared or (n, B) batched, B or None)."""
    if arg.__class__ is not np.ndarray or arg.dtype.kind not in "biuf":
        check_argument(np, arg, spec)  # lists, odd arrays: the batched replay's checks
    arr = np.asarray(arg, dtype=float)
    shape = arr.shape
    if shape == spec.shape:
        return arr.reshape(-1), None
    if len(shape) == len(spec.shape) + 1 and shape[1:] == spec.shape and shape[0]:
        return arr.reshape(shape[0], -1).T, shape[0]
    check_argument(np, arr, spec)  # raises: a wrong shape, or an empty batch
    raise AssertionError("unreachable")  # pragma: no cover


class _Domain:
    """The batched replay's Domain, told masks of a group: a row per member (and a batch
    axis), reduced to the examples."""

    def __init__(self, dom) -> None:
        self.dom = dom

    def __call__(self, mask, line: int) -> None:
        m = self.dom.np.asarray(mask)
        self.dom(m.any(axis=0) if m.ndim == 2 else m.any() if m.ndim == 1 else m, line)


def replay(fn, args: tuple, reduce: str | None, errors: str):
    """``fn.batch(*args, grouped=True)``: the batched replay's arguments and results."""
    check_options(reduce, errors)
    np = _numpy()
    fn._check_count(args)
    prepared, sizes = zip(*[_prepare(np, a, s) for a, s in zip(args, fn.args)])
    b = _batch_size(fn.args, sizes)
    if fn.check:
        retrace_each(np, fn._retrace, args, sizes, b)
    if reduce is None:  # a gradient per example for every argument: all of them batched
        prepared = [x if n is not None else np.broadcast_to(x[:, None], (len(x), b))
                    for x, n in zip(prepared, sizes)]
        sizes = [b] * len(sizes)
    code = fn._grouped_code(tuple(n is not None for n in sizes))
    dom = Domain(np, b, code.plan, errors)
    try:
        with np.errstate(all="ignore"):  # where it matters, the code's checks report it
            value, grads, aux = code.fn(*prepared, seed=1.0 / b if reduce == "mean" else 1.0,
                                        dom=_Domain(dom), guard=dom.guard)
    except (ArithmeticError, ValueError) as e:
        if isinstance(e, DomainError | GuardError):
            raise
        raise code.plan.replay_error(e) from None
    return _results(np, fn, value, grads, aux, sizes, b, reduce, dom.bad)


def _results(np, fn, value, grads, aux, sizes, b: int, reduce, bad):
    value = reduced(np, value, b, bad, reduce)
    out = [_grad(np, g, fn.args[k], sizes[k], b, bad) for g, k in zip(grads, fn._nums)]
    out = out[0] if isinstance(fn.argnums, int) else tuple(out)
    if fn._p.aux:
        return value, out, [a.copy() if np.shape(a) == (b,) else np.array(np.broadcast_to(a, (b,)))
                            for a in aux]
    return value, out


def _grad(np, g, spec, size, b: int, bad):
    if size is None:  # shared: already summed over the batch
        g = g + 0.0  # the engine's adjoints start at +0.0: never −0.0
        if bad is not None:
            g = np.full_like(g, np.nan)
        return float(g[0]) if not spec.shape else g.reshape(spec.shape)
    g = g.T + 0.0
    if bad is not None:
        g[bad] = np.nan
    return g.reshape((b, *spec.shape))
