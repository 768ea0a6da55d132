"""From a traced graph to source code: order once, then write both sweeps out, one line per node.

The forward sweep is the graph in topological order, each node an expression of its operands.
The reverse sweep is the dynamic-programming table of backpropagation written out: visiting
the nodes from the output down, the adjoint of a node is the sum over its consumers c of
(adjoint of c) × ∂c/∂node, every consumer having been written before it:

    g_x = g_c1 * ∂c1/∂x + g_c2 * ∂c2/∂x + …

The terms are added in the order in which the engine's own reverse sweep adds them, so a float
replay gives the engine's gradients to the last bit (up to a −0.0 sign).
"""

from __future__ import annotations

import builtins
import keyword
import linecache
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count, filterfalse
from operator import attrgetter

from ..ops import Op
from ..sweep import topological_order
from ..value import Value
from .emit import NodeCode, array_namespace, float_namespace, node_code, vectorized
from .symbolic import Sym, _spine, _text, _wrap, cmp, name, negate, raises, where

CHUNK_LINES = 30_000  # lines per function of a long program (see Writer)
CHUNK = 200  # terms per line: longer sums continue on the next line (CPython's parser
# recurses on the depth of a + b + … and fails near a few thousand terms)
RESERVED = set(keyword.kwlist) | set(float_namespace()) | set(dir(builtins)) | {
    "seed", "dom", "guard", "where", "sign", "abs", "sum", "pow_", "inf", "nan", "np",
    "isinf", "isfinite", "floor", "logical_not", "sigmoid", "softplus", "logsumexp",
    "softmax"}
_files = count()


def literal(x: float) -> str:
    """A float as source text that reads back as the same float."""
    return Sym("const", float(x)).code(False)


@dataclass(frozen=True)
class Guard:
    """A number Python read while tracing: the replay checks it still holds on new inputs.

    ``op`` is a comparison (``<``, ``<=``, ``>``, ``>=``) of ``node`` with ``other`` (a Value
    or a float) whose result was ``expected``, or ``"=="``: the number itself was read
    (``.data``, ``float()``, formatting) and must be ``other`` again. ``where`` is the user's
    source line that read it (data: shown in messages, never written into code)."""

    node: Value
    op: str
    other: Value | float
    expected: bool
    where: str


def guard_fails(gd: Guard, a, other) -> Sym:
    """When the guard fails, as an expression of the node's value ``a`` (and the other)."""
    if gd.op == "==":
        return negate(cmp(a, "!=", a) if other != other else cmp(a, "==", other))
    fail = cmp(a, gd.op, other)
    return negate(fail) if gd.expected else fail


@dataclass
class Program:
    """A traced graph, ordered once, with a name for every node."""

    root: Value
    order: list[Value]  # order[:n_root] is the root's topological order; then aux-only nodes
    n_root: int
    inputs: list[list[Value]]  # the flat leaves of each argument
    scalar: list[bool]  # whether each argument is one number (else a list, maybe nested)
    arg_names: list[str]
    argnums: tuple[int, ...]
    aux: list[Value]
    fname: str
    guards: list[Guard] = field(default_factory=list)
    names: dict[Value, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # parameter names of the generated def
    op_names: dict[int, str] = field(default_factory=dict)  # id(Op) -> its functions' name
    constants: dict[Value, float] = field(default_factory=dict)  # leaves not taken: their data

    @property
    def input_of(self) -> dict[Value, tuple[int, int]]:
        return {leaf: (k, j) for k, leaves in enumerate(self.inputs)
                for j, leaf in enumerate(leaves)}


def order_graph(root: Value, aux: Sequence[Value],
                order: list[Value] | None = None) -> tuple[list[Value], int]:
    """The root's topological order (the engine's own; ``order`` if the caller has found it
    already: it is extended in place), then nodes only the aux outputs need."""
    order = topological_order(root) if order is None else order
    n_root = len(order)
    if aux:
        seen = set(order)
        for node in topological_order(list(aux)):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order, n_root


_NON_WORD = re.compile(r"[^0-9A-Za-z_]+")
_NOT_COMMENT = re.compile(r"[^0-9A-Za-z_.\[\]]+")
_RULE = attrgetter("_rule")


def _clean(text: str) -> str:
    return _NON_WORD.sub("_", text).strip("_")[:60]


def _safe(name: str) -> str:
    """A clean name that is not a digit-led token, a generated prefix or a reserved word."""
    if name[0].isdigit() or name.startswith(("g_", "d_", "op_")) or name in RESERVED:
        return f"n_{name}"
    return name


def _identifier(text: str, fallback: str) -> str:
    """An identifier from user text: ASCII letters, digits and _ only (so no two labels become
    one name under Python's NFKC normalisation, and no user text is code)."""
    return _safe(_clean(text) or _clean(fallback) or "v")


def _op_prefix(op: str) -> tuple[str, bool]:
    """The op's part of an unlabelled node's name ``_identifier(f"{op}{k}", …)``, cleaned once
    per op: that name is ``_safe(f"{prefix}{k}"[:60])``, and, where ``plain``, ``f"{prefix}{k}"``
    itself for every k. Why: the digits of k are word characters, so the runs the regex
    replaces are op's own, and after them there is no _ to strip at the end, only at the
    start. ``_safe`` leaves prefix + digits alone when prefix starts with a letter, not with
    g_, d_ or op_ (a digit is never _), and no reserved word is prefix + digits; a prefix of
    at most 40 characters leaves k's digits under the 60-character cut."""
    prefix = _NON_WORD.sub("_", op).lstrip("_")
    plain = prefix[:1].isalpha() and not prefix.startswith(("g_", "d_", "op_")) and \
        len(prefix) <= 40 and not any(r.startswith(prefix) and r[len(prefix):].isdigit()
                                      for r in RESERVED)
    return prefix, plain


def _inner_bases(nodes: list[Value], start: int) -> list[str]:
    """The name each node of ``nodes`` (inner nodes and constants, at positions start, start+1 …
    of assign_names' list) asks for, before names are made unique."""
    bases, prefixes = [], {}
    for k, node in enumerate(nodes, start):
        if node._label or not node._operands:  # a label, or a constant leaf
            bases.append(_identifier(node._label, f"v{k}" if node._operands else "c")
                         if node._label else "c")
            continue
        op = node._rule.name  # most nodes: op name + index
        known = prefixes.get(op)
        if known is None:
            known = prefixes[op] = _op_prefix(op)
        prefix, plain = known
        bases.append(f"{prefix}{k}" if plain else _safe(f"{prefix}{k}"[:60]))
    return bases


def comment_text(text: str) -> str:
    """User text (a label, an op's name) made safe for a comment: ASCII word characters and
    dots only, so no line break, quote or character of another script reaches the code."""
    return _NOT_COMMENT.sub("?", text)[:60]


def assign_names(p: Program) -> None:
    """Readable, unique names: from labels where there are labels, else op name + index."""
    used: set[str] = set()

    def take(candidate: str, k: int) -> str:
        name = candidate
        while name in used:
            name = f"{candidate}_{k}"
            k += 1
        used.add(name)
        return name

    vector_args = {k for k in range(len(p.inputs)) if not p.scalar[k]}
    params = {k: take(_identifier(p.arg_names[k], f"arg{k}"), 0) for k in sorted(vector_args)}
    input_of = p.input_of
    leaves = [leaf for group in p.inputs for leaf in group]
    names = p.names
    for k, node in enumerate(leaves):
        if node in names:  # a leaf given twice in an argument: one name
            continue
        a, j = input_of[node]
        fallback = p.arg_names[a] if a not in vector_args else f"{p.arg_names[a]}_{j}"
        base = _identifier(node.label, fallback) if node.label else _identifier(fallback, "x")
        names[node] = take(base, k)
    rest = list(filterfalse(input_of.__contains__, p.order))
    bases = _inner_bases(rest, len(leaves))
    if used.isdisjoint(bases) and len(set(bases)) == len(bases):  # the usual case, in C:
        names.update(zip(rest, bases))  # no clash, so take() would return each base as it is
    else:
        for k, (node, base) in enumerate(zip(rest, bases), len(leaves)):
            names[node] = take(base, k)
    p.params = [params[k] if k in vector_args else names[p.inputs[k][0]]
                for k in range(len(p.inputs))]
    rules = dict.fromkeys(map(id, map(_RULE, rest)))  # in order of first use, by identity
    rules.pop(id(None), None)  # (equal Ops stay two); a constant has no rule
    for key in rules:
        if key not in p.op_names:
            p.op_names[key] = f"op_{len(p.op_names)}"  # generated, never user text


def needs_grad(p: Program) -> set[Value]:
    """Nodes of the root's graph that depend on a differentiated argument (the rest need no
    adjoint: nothing flows from them to a gradient asked for)."""
    needs = {leaf for k in p.argnums for leaf in p.inputs[k]}
    for node in p.order[:p.n_root]:
        # a float operand is never in the set (a Value equals only itself): one C loop per node
        if not needs.isdisjoint(node._operands):
            needs.add(node)
    return needs


@dataclass
class Source:
    """Generated text, and which node each line computes (to name it in errors). ``parts``:
    the top-level functions of a long program, as (first line index, end index, name), each
    compiled on its own (empty: the whole text is one function)."""

    lines: list[str] = field(default_factory=list)
    nodes: list[Value | None] = field(default_factory=list)
    backward: list[bool] = field(default_factory=list)  # whether a line is of the reverse sweep
    parts: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, text: str, node: Value | None = None, backward: bool = False) -> None:
        self.lines.append(text)
        self.nodes.append(node)
        self.backward.append(backward)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _is_one(d: Sym, value: float) -> bool:
    return d.kind == "const" and d.args[0] == value and d.args[0].__class__ is float


# --- the code of a kind of node, made once ----------------------------------------------------
# A node's code depends on its Op object, on which operands are constants (and their values)
# and on nothing else: its names only fill slots. So each kind of node is derived once from
# the op table (emit.node_code on placeholder names), printed, and kept as format strings;
# every node of that kind then costs one str.format. Slots: operand i is {i} (a constant
# operand is printed in), the node's own name {n}, its adjoint g_{n}, its partials d_{n},
# and {n+1} the line of its forward code (named in errors of the op's own calls on arrays).
_SLOT = re.compile("(g_|d_)?\x00([0-9]+)\x00")


def _slot(k: int, prefix: str = "") -> Sym:
    return name(f"{prefix}\x00{k}\x00")


def _fmt(text: str) -> tuple[str, tuple]:
    """Printed code with placeholders -> (format string, the names it reads: (prefix, slot))."""
    uses = []

    def sub(m: re.Match) -> str:
        uses.append((m.group(1) or "", int(m.group(2))))
        return f"{m.group(1) or ''}{{{m.group(2)}}}"

    return _SLOT.sub(sub, text.replace("{", "{{").replace("}", "}}")), tuple(dict.fromkeys(uses))


def assign_lines(target: str, expr: Sym, array: bool) -> list[str]:
    """``target = expr``; a long sum continued over lines of CHUNK terms (the same
    left-to-right sum: each line adds to what the previous one computed)."""
    if expr.kind not in ("+", "-"):
        return [f"    {target} = {expr.code(array)}"]
    head, *rest = _spine(expr)
    out = []
    for i in range(0, max(len(rest), 1), CHUNK):
        part = head if i == 0 else name(target)
        for op, t in rest[i:i + CHUNK]:
            part = Sym(op, part, t)
        out.append(f"    {target} = {part.code(array)}")
    return out


@dataclass(frozen=True)
class Term:
    """A consumer's share g_c · ∂c/∂xᵢ on its own (``alone``), as the first term of a sum
    (``head``), as a later one (``tail``, with its sign), and the examples where it raises on
    arrays (``mask``)."""

    alone: str
    head: str
    tail: str
    mask: str | None
    uses: tuple


@dataclass
class Shape:
    """The code of every node of one kind, as format strings over the slots above."""

    forward: list[str]
    forward_uses: tuple
    mask: str | None  # arrays: the examples where the forward raises
    partials: list[str] | None  # the line(s) d_{n} = op_partials(…), for ops whose are called
    partials_uses: tuple
    partials_mask: str | None
    terms: dict[int, Term]


def _mask(expr: Sym, array: bool) -> tuple[str | None, tuple]:
    m = raises(expr) if array else None
    return _fmt(m.code(True)) if m is not None else (None, ())


def _term_sym(op: Op, nc: NodeCode, i: int, args: list, n: int) -> Sym:
    """The share of a consumer for its operand i: g_c · ∂c/∂operandᵢ (see Writer.reverse)."""
    g = _slot(n, "g_")
    if nc.gated is not None:
        return nc.gated(g, *args)
    d = nc.partials[i] if nc.partials is not None else name(f"d_\x00{n}\x00[{i}]")
    product = g if _is_one(d, 1.0) else -g if _is_one(d, -1.0) else g * d
    if op.gate and len(args) == 1:  # a user's gate op: a zero slope passes nothing
        return where(cmp(d, "==", 0.0), 0.0, product)
    return product


def _term(t: Sym, array: bool) -> Term:
    head, uses = _fmt(_wrap(_text(t, array), 4))
    if t.kind == "neg":
        tail, _ = _fmt(f" - {_wrap(_text(t.args[0], array), 5)}")
    else:
        tail, _ = _fmt(f" + {_wrap(_text(t, array), 5)}")
    mask, mask_uses = _mask(t, array)
    return Term(_fmt(t.code(array))[0], head, tail, mask, tuple(dict.fromkeys(uses + mask_uses)))


def derive_shape(op: Op, pattern: tuple, array: bool, fn_name: str) -> Shape:
    """The code of a node of ``op`` whose operands are ``pattern`` (None: a node; a float: that
    constant), derived from the op table once (``emit.node_code``)."""
    n = len(pattern)
    args = [_slot(i) if c is None else c for i, c in enumerate(pattern)]
    nc = node_code(op, args, _slot(n), array, fn_name, 0, line_sym=_slot(n + 1))
    comment = f"  # {comment_text(op.name)}"
    forward = [_fmt(line)[0] for line in assign_lines(f"\x00{n}\x00", nc.forward, array)]
    forward[0] += comment
    _, forward_uses = _fmt(nc.forward.code(array))
    mask, mask_uses = _mask(nc.forward, array)
    partials = partials_uses = partials_mask = None
    if nc.partials is None:
        partials = [_fmt(line)[0] for line in assign_lines(f"d_\x00{n}\x00", nc.partials_call,
                                                            array)]
        _, partials_uses = _fmt(nc.partials_call.code(array))
        partials_mask, pm_uses = _mask(nc.partials_call, array)
        partials_uses = tuple(dict.fromkeys(partials_uses + pm_uses))
    terms = {i: _term(_term_sym(op, nc, i, args, n), array)
             for i, c in enumerate(pattern) if c is None}
    def names(uses: tuple) -> tuple:  # the line's number is not a name the code reads
        return tuple(u for u in dict.fromkeys(uses) if u[1] != n + 1)

    terms = {i: Term(t.alone, t.head, t.tail, t.mask, names(t.uses)) for i, t in terms.items()}
    return Shape(forward, names(forward_uses + mask_uses), mask, partials,
                 names(partials_uses or ()), partials_mask, terms)


def _pattern(node: Value) -> tuple:
    """Which operands are constants, and which constants (their bits: 0.0 is not −0.0)."""
    return tuple(None if x.__class__ is Value else (x, x.hex()) for x in node.operands)


class Writer:
    """Writes one program as Python, for floats or for NumPy arrays: one function, or, past
    ``chunk`` lines, parts of about ``chunk`` lines each (CPython compiles a function of two
    million lines with gigabytes), called in turn by the function. A value one part computes
    and a later part reads crosses in a list: stored at the end of its part, read into a
    local before its first use in another."""

    def __init__(self, p: Program, array: bool, chunk: int | None = None) -> None:
        self.p, self.array = p, array
        self.src = Source()
        self.syms: dict[Value, Sym] = {}  # each node's name as a Sym, made once (guards)
        self.needs = needs_grad(p)
        self.input_of = p.input_of
        self.guards_after = self._place_guards()
        self.shapes: dict[tuple, Shape] = {}  # (id(Op), pattern) -> its code: this program's Ops
        self.kind: dict[Value, tuple[Shape, tuple]] = {}  # node -> (shape, the slots' text)
        chunk = CHUNK_LINES if chunk is None else chunk
        self.chunk = chunk if 2 * len(p.order) > chunk else None
        self.local: set[str] = set()  # names defined (or read) in the current part
        self.defined: list[str] = []  # names defined in the current part, in order
        self.slot_of: dict[str, int] = {}  # name -> its place in the list between parts
        self.always = set(p.params) | {"seed"}
        self.part_start = 0

    def operand(self, x) -> Sym | float:
        if x.__class__ is float:
            return x
        sym = self.syms.get(x)
        if sym is None:
            sym = self.syms[x] = name(self.p.names[x])
        return sym

    def shape(self, node: Value) -> tuple[Shape, tuple]:
        """The node's kind of code, and the text of its slots (names, and its forward line)."""
        got = self.kind.get(node)
        if got is None:
            key = (id(node._rule), _pattern(node))
            sh = self.shapes.get(key)
            if sh is None:
                sh = self.shapes[key] = derive_shape(node._rule, tuple(
                    None if c is None else c[0] for c in key[1]), self.array,
                    self.p.op_names[id(node._rule)])
            names = self.p.names
            got = self.kind[node] = (sh, (*[names[x] if x.__class__ is Value else ""
                                            for x in node.operands], names[node],
                                          str(len(self.src.lines) + 1)))
        return got

    # --- lines, and the parts of a long program --------------------------------------------
    def emit(self, lines: list[str], node: Value | None = None, backward: bool = False,
             define: str | None = None) -> None:
        for text in lines:
            self.src.add(text, node, backward)
        if define is not None and self.chunk is not None and define not in self.always:
            self.local.add(define)
            self.defined.append(define)

    def need(self, uses) -> None:
        """Before a statement: start a new part if this one is full, and read the names it
        uses that an earlier part computed."""
        if self.chunk is None:
            return
        if len(self.src.lines) - self.part_start >= self.chunk:
            self.close_part()
        far = [u for u in dict.fromkeys(uses) if u not in self.local and u not in self.always]
        for k in range(0, len(far), 8):
            group = far[k:k + 8]
            self.src.add(f"    {', '.join(group)}, = "
                         f"{', '.join(f'op_live[{self.slot_of[u]}]' for u in group)},")
            self.local.update(group)

    def part_header(self) -> None:
        k = len(self.src.parts)
        extra = ", dom, guard" if self.array else ", guard"
        self.part_start = len(self.src.lines)
        self.src.add(f"def op_part{k}(op_live, {', '.join(self.p.params)}, seed{extra}):")

    def close_part(self) -> None:
        """Store what this part defined (for later parts), and begin the next part."""
        names = list(dict.fromkeys(self.defined))
        if not names and all(line.startswith("    #") for line in
                             self.src.lines[self.part_start + 1:]):
            self.src.add("    pass")
        for k in range(0, len(names), 8):
            group = names[k:k + 8]
            first = len(self.slot_of)
            for u in group:
                self.slot_of[u] = len(self.slot_of)
            self.src.add(f"    op_live[{first}:{first + len(group)}] = {', '.join(group)},")
        self.src.parts.append((self.part_start, len(self.src.lines),
                               f"op_part{len(self.src.parts)}"))
        self.local, self.defined = set(), []
        self.part_header()

    # --- guards -----------------------------------------------------------------------------
    def _place_guards(self) -> dict:
        """Each guard goes right after the later of its nodes is computed (None: at the top)."""
        pos = {node: k for k, node in enumerate(self.p.order)}
        after: dict = {}
        for k, gd in enumerate(self.p.guards):
            nodes = [x for x in (gd.node, gd.other) if x.__class__ is Value]
            last = max(nodes, key=lambda x: -1 if x in self.input_of else pos[x])
            after.setdefault(None if last in self.input_of else last, []).append(k)
        return after

    def write_guards(self, key) -> None:
        for k in self.guards_after.get(key, ()):
            gd = self.p.guards[k]
            self.need([self.p.names[x] for x in (gd.node, gd.other) if x.__class__ is Value])
            a = self.operand(gd.node)
            other = self.operand(gd.other) if gd.other.__class__ is Value else gd.other
            fail = guard_fails(gd, a, other)
            if self.array:
                self.src.add(f"    guard({fail.code(True)}, {k})")
            else:
                self.src.add(f"    if {fail.code(False)}: guard({k})")

    # --- the forward sweep ------------------------------------------------------------------
    def dom_line(self, mask: str, slots: tuple, owner: Value, backward: bool) -> None:
        self.src.add(f"    dom({mask.format(*slots)}, {len(self.src.lines) + 1})", owner,
                     backward)

    def forward_node(self, node: Value, name_: str) -> None:
        sh, slots = self.shape(node)
        self.need([slots[i] for _, i in sh.forward_uses])
        if self.chunk is not None:  # the line, once the reads are written before it
            slots = (*slots[:-1], str(len(self.src.lines) + 1))
            self.kind[node] = (sh, slots)
        self.emit([line.format(*slots) for line in sh.forward], node, define=name_)
        if sh.mask is not None:
            self.dom_line(sh.mask, slots, node, False)

    def forward(self) -> None:
        section = None
        self.write_guards(None)
        for node in self.p.order:
            if node in self.input_of:
                continue
            name_ = self.p.names[node]
            if node.is_leaf():
                self.need(())
                value = literal(self.p.constants[node])  # its data when traced
                self.emit([f"    {name_} = {value}  # a Value f did not take as an argument: a "
                           "constant of this code"], node, define=name_)
            else:
                label = node.label.rsplit(".", 1)[0] if "." in node.label else None
                if label is not None and label != section:
                    section = label
                    self.src.add(f"    # {comment_text(section)}")
                self.forward_node(node, name_)
            self.write_guards(node)

    # --- the reverse sweep ------------------------------------------------------------------
    def consumers(self) -> dict[Value, list[tuple[Value, int]]]:
        """For each node needing an adjoint: (consumer, operand position), in the order the
        engine's reverse sweep adds their shares."""
        uses: dict[Value, list[tuple[Value, int]]] = {}
        needs = self.needs
        for c in reversed(self.p.order[:self.p.n_root]):
            if c not in needs:
                continue
            for i, x in enumerate(c.operands):
                if x.__class__ is Value and x in needs:
                    uses.setdefault(x, []).append((c, i))
        return uses

    def adjoint(self, node: Value, shares: list) -> None:
        """g_x = Σ over the consumers c of x: g_c · ∂c/∂x, in the engine's order (CHUNK terms
        a line), then on arrays a check of each term where Python's floats would raise."""
        target = "g_" + self.p.names[node]
        kind = self.kind
        terms = [(kind[c][0].terms[i], kind[c][1], c) for c, i in shares]
        if self.chunk is not None:
            self.need([pre + slots[s] for t, slots, _ in terms for pre, s in t.uses])
        comment = f"  # from {', '.join(comment_text(c.op) for c, _ in shares)}" \
            if len(shares) <= 3 else f"  # from {len(shares)} consumers"
        first, *rest = terms
        text = [(first[0].head if rest else first[0].alone).format(*first[1])]
        text += [t.tail.format(*slots) for t, slots, _ in rest[:CHUNK]]
        lines = [f"    {target} = {''.join(text)}{comment}"]
        for k in range(CHUNK, len(rest), CHUNK):
            more = "".join(t.tail.format(*slots) for t, slots, _ in rest[k:k + CHUNK])
            lines.append(f"    {target} = {target}{more}")
        self.emit(lines, node, True, define=target)
        for t, slots, c in terms:
            if t.mask is not None:
                self.dom_line(t.mask, slots, c, True)

    def reverse(self) -> None:
        p, names = self.p, self.p.names
        uses = self.consumers()
        if p.root in self.needs:
            self.need(())
            self.emit([f"    g_{names[p.root]} = seed"], p.root, True,
                      define=f"g_{names[p.root]}")
            self.partials_line(p.root)
        for node in reversed(p.order[:p.n_root - 1]):
            if node not in self.needs:
                continue
            self.adjoint(node, uses[node])
            self.partials_line(node)
        for k in p.argnums:
            for leaf in p.inputs[k]:
                if leaf not in uses and leaf is not p.root:
                    self.need(())
                    self.emit([f"    g_{names[leaf]} = 0.0  # the output does not depend on it"],
                              define=f"g_{names[leaf]}")

    def partials_line(self, node: Value) -> None:
        """For an op whose partials are called: all of them at once, from its own function."""
        if node.is_leaf():
            return
        sh, slots = self.kind[node]
        if sh.partials is None:
            return
        self.need([pre + slots[s] for pre, s in sh.partials_uses])
        self.emit([line.format(*slots) for line in sh.partials], node, True,
                  define=f"d_{slots[-2]}")
        if sh.partials_mask is not None:
            self.dom_line(sh.partials_mask, slots, node, True)

    # --- the whole function -----------------------------------------------------------------
    def head(self) -> list[str]:
        p = self.p
        kind = "NumPy arrays, one element per example" if self.array else "floats"
        extra = ", dom=None, guard=None" if self.array else ", guard=None"
        return [f"def {p.fname}({', '.join(p.params)}, seed=1.0{extra}):",
                f'    """Generated by autograd.compile ({len(p.order)} nodes, on {kind}): '
                'the value and the gradients."""']

    def write(self) -> Source:
        p, names = self.p, self.p.names
        if self.chunk is None:
            for line in self.head():
                self.src.add(line)
        else:
            self.part_header()
        for k, leaves in enumerate(p.inputs):
            if not p.scalar[k] and leaves:
                self.need(())
                self.src.add(f"    {', '.join(names[x] for x in leaves)}, = {p.params[k]}")
                for x in leaves:
                    self.emit([], define=names[x])
        self.src.add("    # forward sweep: each node from its operands, in topological order")
        self.forward()
        if p.argnums:
            self.src.add("    # reverse sweep: g_x = ∂output/∂x = Σ over the consumers c of x: "
                         "g_c · ∂c/∂x")
            self.reverse()
        self.write_return()
        if self.chunk is not None:
            self.write_main()
        return self.src

    def write_return(self) -> None:
        p, names = self.p, self.p.names
        grads, uses = [], [names[p.root], *(names[a] for a in p.aux)]
        plus = "" if self.array else " + 0.0"  # the engine's adjoints start at +0.0, never −0.0
        for k in p.argnums:
            uses += [f"g_{names[x]}" for x in p.inputs[k]]
            gs = [f"g_{names[x]}{plus}" for x in p.inputs[k]]
            grads.append(gs[0] if p.scalar[k] else f"[{', '.join(gs)}]")
        self.need(uses)
        aux = ", ".join(names[a] for a in p.aux)
        self.src.add(f"    return {names[p.root]}, ({''.join(g + ', ' for g in grads)}), [{aux}]")

    def write_main(self) -> None:
        """The function itself: calls the parts in turn, sharing the list between them."""
        if all(line.startswith("    #") for line in self.src.lines[self.part_start + 1:]):
            self.src.add("    pass")
        self.src.parts.append((self.part_start, len(self.src.lines),
                               f"op_part{len(self.src.parts)}"))
        start, n = len(self.src.lines), len(self.src.parts)
        for line in self.head():
            self.src.add(line)
        self.src.add(f"    op_live = [None] * {len(self.slot_of)}  # values that cross parts")
        extra = ", dom, guard" if self.array else ", guard"
        args = f"(op_live, {', '.join(self.p.params)}, seed{extra})"
        for k in range(n - 1):
            self.src.add(f"    op_part{k}{args}")
        self.src.add(f"    return op_part{n - 1}{args}")
        self.src.parts.append((start, len(self.src.lines), self.p.fname))


def write_source(p: Program, array: bool, chunk: int | None = None) -> Source:
    return Writer(p, array, chunk).write()


def namespace(p: Program, array: bool) -> dict:
    """The names the code calls: the rules' functions (floats) or NumPy's, and each op's own
    forward and partials under its generated name (elementwise on arrays)."""
    ns = array_namespace() if array else float_namespace()
    for node in p.order:
        op = node._rule
        if op is None:
            continue
        fn = p.op_names[id(op)]
        if fn in ns:
            continue
        if array:
            ns[fn] = vectorized(op.forward, 1)
            ns[fn + "_partials"] = vectorized(op.partials, len(node.operands), partials=True)
        else:
            ns[fn], ns[fn + "_partials"] = op.forward, op.partials
    return ns


def build(p: Program, src: Source, array: bool, ns: dict | None = None,
          kind: str | None = None, fname: str | None = None):
    """Compile the source into a function; its lines are registered so tracebacks show them
    (until the compiled function is dropped: see ``forget``). A long program's parts are
    compiled one by one (so CPython's compiler holds one part at a time), each told where
    its lines are in the whole text. ``ns``: the names it calls (default: ``namespace``)."""
    text = src.text()
    kind = kind or ("batched" if array else "")
    filename = f"<autograd.compile {p.fname} #{next(_files)}{' ' + kind if kind else ''}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    ns = namespace(p, array) if ns is None else ns
    fname = fname or p.fname
    for start, end, part_name in src.parts or [(0, len(src.lines), fname)]:
        part = text if not src.parts else "\n".join(src.lines[start:end]) + "\n"
        code = builtins.compile(part, filename, "exec")
        exec(code, ns)  # noqa: S102 - our own generated code, from generated names and numbers
        if start:
            fn = ns[part_name]
            fn.__code__ = fn.__code__.replace(co_firstlineno=fn.__code__.co_firstlineno + start)
    return ns[fname], filename


def forget(filename: str) -> None:
    """Drop a generated source from the traceback cache."""
    linecache.cache.pop(filename, None)


def structure(order: list[Value], input_of: dict[Value, tuple[int, int]]) -> list[tuple]:
    """What a trace recorded, node by node: op and operands (node indices or constants)."""
    index = {node: k for k, node in enumerate(order)}
    out = []
    for node in order:
        if node in input_of:
            out.append(("input", *input_of[node]))
        elif node.is_leaf():
            out.append(("constant", node.data))
        else:
            out.append((node.op, tuple(index[x] if x.__class__ is Value else ("c", x)
                                       for x in node.operands)))
    return out
