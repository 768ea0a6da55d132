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
from itertools import count

from ..sweep import topological_order
from ..value import Value
from .emit import NodeCode, array_namespace, float_namespace, node_code, vectorized
from .symbolic import Sym, _spine, cmp, name, negate, raises, where

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

    @property
    def input_of(self) -> dict[Value, tuple[int, int]]:
        return {leaf: (k, j) for k, leaves in enumerate(self.inputs)
                for j, leaf in enumerate(leaves)}


def order_graph(root: Value, aux: Sequence[Value]) -> tuple[list[Value], int]:
    """The root's topological order (the engine's own), then nodes only the aux outputs need."""
    order = topological_order(root)
    n_root = len(order)
    seen = set(order)
    for node in topological_order(list(aux)) if aux else ():
        if node not in seen:
            seen.add(node)
            order.append(node)
    return order, n_root


def _clean(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")[:60]


def _identifier(text: str, fallback: str) -> str:
    """An identifier from user text: ASCII letters, digits and _ only (so no two labels become
    one name under Python's NFKC normalisation, and no user text is code)."""
    name = _clean(text) or _clean(fallback) or "v"
    if name[0].isdigit() or name.startswith(("g_", "d_", "op_")) or name in RESERVED:
        name = f"n_{name}"
    return name


def comment_text(text: str) -> str:
    """User text (a label, an op's name) made safe for a comment: ASCII word characters and
    dots only, so no line break, quote or character of another script reaches the code."""
    return re.sub(r"[^0-9A-Za-z_.\[\]]+", "?", text)[:60]


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
    for k, node in enumerate([*leaves, *[n for n in p.order if n not in input_of]]):
        if node in p.names:
            continue
        if node in input_of:
            a, j = input_of[node]
            fallback = p.arg_names[a] if a not in vector_args else f"{p.arg_names[a]}_{j}"
            base = _identifier(node.label, fallback) if node.label else _identifier(fallback, "x")
        elif node.is_leaf():
            base = _identifier(node.label, "c") if node.label else "c"
        else:
            base = _identifier(node.label or f"{node.op}{k}", f"v{k}")
        p.names[node] = take(base, k)
    p.params = [params[k] if k in vector_args else p.names[p.inputs[k][0]]
                for k in range(len(p.inputs))]
    for node in p.order:
        if node._rule is not None and id(node._rule) not in p.op_names:
            p.op_names[id(node._rule)] = f"op_{len(p.op_names)}"  # generated, never user text


def needs_grad(p: Program) -> set[Value]:
    """Nodes of the root's graph that depend on a differentiated argument (the rest need no
    adjoint: nothing flows from them to a gradient asked for)."""
    needs = {leaf for k in p.argnums for leaf in p.inputs[k]}
    for node in p.order[:p.n_root]:
        if node not in needs and any(x.__class__ is Value and x in needs for x in node.operands):
            needs.add(node)
    return needs


@dataclass
class Source:
    """Generated text, and which node each line computes (to name it in errors)."""

    lines: list[str] = field(default_factory=list)
    nodes: list[Value | None] = field(default_factory=list)
    backward: list[bool] = field(default_factory=list)  # whether a line is of the reverse sweep

    def add(self, text: str, node: Value | None = None, backward: bool = False) -> None:
        self.lines.append(text)
        self.nodes.append(node)
        self.backward.append(backward)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _is_one(d: Sym, value: float) -> bool:
    return d.kind == "const" and d.args[0] == value and d.args[0].__class__ is float


class Writer:
    """Writes one program as a Python function, for floats or for NumPy arrays."""

    def __init__(self, p: Program, array: bool) -> None:
        self.p, self.array = p, array
        self.src = Source()
        self.code: dict[Value, NodeCode] = {}
        self.syms: dict[Value, Sym] = {}  # each node's name as a Sym, made once
        self.needs = needs_grad(p)
        self.input_of = p.input_of
        self.guards_after = self._place_guards()

    def operand(self, x) -> Sym | float:
        if x.__class__ is float:
            return x
        sym = self.syms.get(x)
        if sym is None:
            sym = self.syms[x] = name(self.p.names[x])
        return sym

    def node_code(self, node: Value) -> NodeCode:
        nc = self.code.get(node)
        if nc is None:
            args = [self.operand(x) for x in node.operands]
            nc = node_code(node._rule, args, self.operand(node), self.array,
                           self.p.op_names[id(node._rule)], len(self.src.lines) + 1)
            self.code[node] = nc
        return nc

    def assign(self, target: str, expr: Sym, node: Value | None, comment: str,
               backward: bool = False, blame: list | None = None) -> None:
        """target = expr; a long sum continued over lines of CHUNK terms (the same left-to-right
        sum); on arrays, then a check of the examples where Python's floats would raise, for
        each (part, node it belongs to) of ``blame`` (default: the whole expression)."""
        if expr.kind in ("+", "-"):
            head, *rest = _spine(expr)
            for i in range(0, max(len(rest), 1), CHUNK):
                part = head if i == 0 else name(target)
                for op, t in rest[i:i + CHUNK]:
                    part = Sym(op, part, t)
                self.src.add(f"    {target} = {part.code(self.array)}{comment if i == 0 else ''}",
                             node, backward)
        else:
            self.src.add(f"    {target} = {expr.code(self.array)}{comment}", node, backward)
        if self.array:
            for part, owner in blame if blame is not None else [(expr, node)]:
                mask = raises(part)
                if mask is not None:  # the check's own line names the op it checks
                    self.src.add(f"    dom({mask.code(True)}, {len(self.src.lines) + 1})", owner,
                                 backward)

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
            a = self.operand(gd.node)
            other = self.operand(gd.other) if gd.other.__class__ is Value else gd.other
            if gd.op == "==":
                same = cmp(a, "!=", a) if other != other else cmp(a, "==", other)
                fail = negate(same)
            else:
                fail = cmp(a, gd.op, other)
                fail = negate(fail) if gd.expected else fail
            if self.array:
                self.src.add(f"    guard({fail.code(True)}, {k})")
            else:
                self.src.add(f"    if {fail.code(False)}: guard({k})")

    # --- the forward sweep ------------------------------------------------------------------
    def forward(self) -> None:
        section = None
        self.write_guards(None)
        for node in self.p.order:
            if node in self.input_of:
                continue
            name_ = self.p.names[node]
            if node.is_leaf():
                self.src.add(f"    {name_} = {literal(node.data)}  # a Value f did not take as an "
                             "argument: a constant of this code", node)
            else:
                label = node.label.rsplit(".", 1)[0] if "." in node.label else None
                if label is not None and label != section:
                    section = label
                    self.src.add(f"    # {comment_text(section)}")
                nc = self.node_code(node)
                self.assign(name_, nc.forward, node, f"  # {comment_text(node.op)}")
            self.write_guards(node)

    # --- the reverse sweep ------------------------------------------------------------------
    def consumers(self) -> dict[Value, list[tuple[Value, int]]]:
        """For each node needing an adjoint: (consumer, operand position), in the order the
        engine's reverse sweep adds their shares."""
        uses: dict[Value, list[tuple[Value, int]]] = {}
        for c in reversed(self.p.order[:self.p.n_root]):
            if c not in self.needs:
                continue
            for i, x in enumerate(c.operands):
                if x.__class__ is Value and x in self.needs:
                    uses.setdefault(x, []).append((c, i))
        return uses

    def term(self, c: Value, i: int) -> Sym:
        """The share of consumer c for its operand i: g_c · ∂c/∂operandᵢ."""
        g = name("g_" + self.p.names[c])
        nc = self.node_code(c)
        if nc.gated is not None:
            return nc.gated(g, *[self.operand(x) for x in c.operands])
        d = nc.partials[i] if nc.partials is not None else name(f"d_{self.p.names[c]}[{i}]")
        if _is_one(d, 1.0):
            product = g
        elif _is_one(d, -1.0):
            product = -g
        else:
            product = g * d
        if c._rule.gate and len(c.operands) == 1:  # a user's gate op: a zero slope passes nothing
            return where(cmp(d, "==", 0.0), 0.0, product)
        return product

    def adjoint(self, terms: list[Sym]) -> Sym:
        total = terms[0]
        for t in terms[1:]:
            total = Sym("-", total, t.args[0]) if t.kind == "neg" else Sym("+", total, t)
        return total

    def reverse(self) -> None:
        p, names = self.p, self.p.names
        uses = self.consumers()
        if p.root in self.needs:
            self.src.add(f"    g_{names[p.root]} = seed", p.root, True)
            self.partials_line(p.root)
        for node in reversed(p.order[:p.n_root - 1]):
            if node not in self.needs:
                continue
            shares = uses[node]
            ops = [comment_text(c.op) for c, _ in shares]
            comment = f"  # from {', '.join(ops)}" if len(ops) <= 3 else \
                f"  # from {len(ops)} consumers"
            terms = [self.term(c, i) for c, i in shares]
            self.assign("g_" + names[node], self.adjoint(terms), node, comment, backward=True,
                        blame=[(t, c) for t, (c, _) in zip(terms, shares)])
            self.partials_line(node)
        for k in p.argnums:
            for leaf in p.inputs[k]:
                if leaf not in uses and leaf is not p.root:
                    self.src.add(f"    g_{names[leaf]} = 0.0  # the output does not depend on it")

    def partials_line(self, node: Value) -> None:
        """For an op whose partials are called: all of them at once, from its own function."""
        if node.is_leaf() or self.node_code(node).partials is not None:
            return
        self.assign(f"d_{self.p.names[node]}", self.node_code(node).partials_call, node, "",
                    backward=True)

    # --- the whole function -----------------------------------------------------------------
    def write(self) -> Source:
        p, names = self.p, self.p.names
        kind = "NumPy arrays, one element per example" if self.array else "floats"
        extra = ", dom=None, guard=None" if self.array else ", guard=None"
        self.src.add(f"def {p.fname}({', '.join(p.params)}, seed=1.0{extra}):", None)
        self.src.add(f'    """Generated by autograd.compile ({len(p.order)} nodes, on {kind}): '
                     'the value and the gradients."""')
        for k, leaves in enumerate(p.inputs):
            if not p.scalar[k] and leaves:
                self.src.add(f"    {', '.join(names[x] for x in leaves)}, = {p.params[k]}")
        self.src.add("    # forward sweep: each node from its operands, in topological order")
        self.forward()
        if p.argnums:
            self.src.add("    # reverse sweep: g_x = ∂output/∂x = Σ over the consumers c of x: "
                         "g_c · ∂c/∂x")
            self.reverse()
        grads = []
        plus = "" if self.array else " + 0.0"  # the engine's adjoints start at +0.0, never −0.0
        for k in p.argnums:
            gs = [f"g_{names[x]}{plus}" for x in p.inputs[k]]
            grads.append(gs[0] if p.scalar[k] else f"[{', '.join(gs)}]")
        aux = ", ".join(names[a] for a in p.aux)
        self.src.add(f"    return {names[p.root]}, ({''.join(g + ', ' for g in grads)}), [{aux}]")
        return self.src


def write_source(p: Program, array: bool) -> Source:
    return Writer(p, array).write()


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
    (until the compiled function is dropped: see ``forget``). ``ns``: the names it calls
    (default: ``namespace``)."""
    text = src.text()
    kind = kind or ("batched" if array else "")
    filename = f"<autograd.compile {p.fname} #{next(_files)}{' ' + kind if kind else ''}>"
    code = builtins.compile(text, filename, "exec")
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    ns = namespace(p, array) if ns is None else ns
    exec(code, ns)  # noqa: S102 - our own generated code, from generated names and numbers
    return ns[fname or p.fname], filename


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
