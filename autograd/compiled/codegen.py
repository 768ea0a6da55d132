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

from ..ops import OPS, Op
from ..sweep import topological_order
from ..value import Value
from .emit import EMITTERS, Ctx, array_namespace, float_namespace, literal, vectorized

CHUNK = 200  # terms per line: longer sums continue on the next line (CPython's parser
# recurses on the depth of a + b + … and fails near a few thousand terms)
_RESERVED = set(keyword.kwlist) | set(float_namespace()) | {
    "seed", "where", "sign", "abs", "sum", "pow_", "inf", "nan", "np"}
_files = count()


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
    ops: dict[str, Op]  # op name -> the Op that replays it
    fname: str
    names: dict[Value, str] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # parameter names of the generated def

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


def _identifier(text: str, fallback: str) -> str:
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or fallback  # ASCII: no two
    # labels may become one identifier under Python's NFKC normalisation of names
    if name[0].isdigit() or name.startswith(("g_", "d_", "op_")) or name in _RESERVED:
        name = f"n_{name}"
    return name


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


def needs_grad(p: Program) -> set[Value]:
    """Nodes of the root's graph that depend on a differentiated argument (the rest need no
    adjoint: nothing flows from them to a gradient asked for)."""
    needs = {leaf for k in p.argnums for leaf in p.inputs[k]}
    for node in p.order[:p.n_root]:
        if node not in needs and any(x.__class__ is Value and x in needs for x in node.operands):
            needs.add(node)
    return needs


def emitter_of_op(p: Program, name: str):
    """The inline emitter of an op, or None to call the op's own functions (an op without an
    emitter, or a user's Op that is not the table's entry of that name)."""
    return EMITTERS.get(name) if p.ops[name] is OPS.get(name) else None


def fallback_name(op: str) -> str:
    return "op_" + re.sub(r"\W+", "_", op)


@dataclass
class Source:
    """Generated text, and which node each line computes (to name it in errors)."""

    lines: list[str] = field(default_factory=list)
    nodes: list[Value | None] = field(default_factory=list)

    def add(self, text: str, node: Value | None = None) -> None:
        self.lines.append(text)
        self.nodes.append(node)

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


_ATOM = re.compile(r"[A-Za-z_]\w*(\[\d+\])?|[0-9][0-9.e+\-]*|\(-[0-9][0-9.e+\-]*\)|inf|nan")


def _atomic(expr: str) -> bool:
    """A name, a number or a bracketed negative number: safe as a factor without brackets."""
    return _ATOM.fullmatch(expr) is not None


def _assign_sum(src: Source, name: str, terms: list[str], node: Value, comment: str) -> None:
    """name = t0 + t1 + …, continued over lines of CHUNK terms: the same left-to-right sum."""
    first = True
    for i in range(0, len(terms), CHUNK):
        chunk = terms[i:i + CHUNK]
        head = chunk[0] if first else name + _join_term(chunk[0])
        expr = head + "".join(_join_term(t) for t in chunk[1:])
        src.add(f"    {name} = {expr}{comment if first else ''}", node)
        first = False


def _join_term(term: str) -> str:
    return f" - {term[1:]}" if term.startswith("-") else f" + {term}"


class Writer:
    """Writes one program as a Python function, for floats or for NumPy arrays."""

    def __init__(self, p: Program, array: bool) -> None:
        self.p, self.array = p, array
        self.src = Source()
        self.ctx: dict[Value, Ctx] = {}
        self.needs = needs_grad(p)
        self.input_of = p.input_of
        self.emitters = {name: emitter_of_op(p, name) for name in p.ops}

    def operand(self, x) -> str:
        return literal(x) if x.__class__ is float else self.p.names[x]

    def context(self, node: Value) -> Ctx:
        ctx = self.ctx.get(node)
        if ctx is None:
            ops = node.operands
            ctx = Ctx([self.operand(x) for x in ops],
                      [x if x.__class__ is float else None for x in ops],
                      self.p.names[node], self.array)
            self.ctx[node] = ctx
        return ctx

    # --- the forward sweep ------------------------------------------------------------------
    def forward(self) -> None:
        section = None
        for node in self.p.order:
            if node in self.input_of:
                continue
            name = self.p.names[node]
            if node.is_leaf():
                self.src.add(f"    {name} = {literal(node.data)}  # a Value f did not take as an "
                             "argument: a constant of this code", node)
                continue
            if "." in node.label and node.label.rsplit(".", 1)[0] != section:
                section = node.label.rsplit(".", 1)[0]
                self.src.add(f"    # {section}")
            self.forward_line(node, name)

    def forward_line(self, node: Value, name: str) -> None:
        em = self.emitters[node.op]
        comment = f"  # {node.op}"
        if em is None:
            args = ", ".join(self.context(node).a)
            self.src.add(f"    {name} = {fallback_name(node.op)}({args}){comment}", node)
            return
        expr = em.forward(self.context(node))
        if isinstance(expr, list):
            _assign_sum(self.src, name, expr, node, comment)
        else:
            self.src.add(f"    {name} = {expr}{comment}", node)

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

    def term(self, c: Value, i: int) -> str:
        g = "g_" + self.p.names[c]
        em = self.emitters[c.op]
        if em is not None and em.gated is not None:
            return em.gated(g, self.context(c))
        d = em.partial(i, self.context(c)) if em is not None else f"d_{self.p.names[c]}[{i}]"
        if d == "1.0":
            return g
        if d == "-1.0":
            return "-" + g
        product = f"{g} * {d}" if _atomic(d) else f"{g} * ({d})"
        if c.rule is not None and c.rule.gate:  # a user's gate op: a zero slope passes nothing
            zero = f"{d} == 0.0" if _atomic(d) else f"({d}) == 0.0"
            return (f"where({zero}, 0.0, {product})" if self.context(c).array
                    else f"(0.0 if {zero} else {product})")
        return product

    def reverse(self) -> None:
        p, names = self.p, self.p.names
        uses = self.consumers()
        if p.root in self.needs:
            self.src.add(f"    g_{names[p.root]} = seed", p.root)
            self.partials_line(p.root)
        for node in reversed(p.order[:p.n_root - 1]):
            if node not in self.needs:
                continue
            shares = uses[node]
            ops = [c.op for c, _ in shares]
            comment = f"  # from {', '.join(ops)}" if len(ops) <= 3 else \
                f"  # from {len(ops)} consumers"
            terms = [self.term(c, i) for c, i in shares]
            if len(terms) > 1:  # a conditional term (relu's) is bracketed inside a sum
                terms = [f"({t})" if " if " in t else t for t in terms]
            _assign_sum(self.src, "g_" + names[node], terms, node, comment)
            self.partials_line(node)
        for k in p.argnums:
            for leaf in p.inputs[k]:
                if leaf not in uses and leaf is not p.root:
                    self.src.add(f"    g_{names[leaf]} = 0.0  # the output does not depend on it")

    def partials_line(self, node: Value) -> None:
        """For an op without an emitter: all its partials at once, from its own function."""
        if node.is_leaf() or self.emitters[node.op] is not None:
            return
        args = ", ".join([*self.context(node).a, self.p.names[node]])
        self.src.add(f"    d_{self.p.names[node]} = {fallback_name(node.op)}_partials({args})",
                     node)

    # --- the whole function -----------------------------------------------------------------
    def write(self) -> Source:
        p, names = self.p, self.p.names
        kind = "NumPy arrays, one element per example" if self.array else "floats"
        self.src.add(f"def {p.fname}({', '.join(p.params)}, seed=1.0):", None)
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
        for k in p.argnums:
            gs = [f"g_{names[x]}" for x in p.inputs[k]]
            grads.append(gs[0] if p.scalar[k] else f"[{', '.join(gs)}]")
        aux = ", ".join(names[a] for a in p.aux)
        self.src.add(f"    return {names[p.root]}, ({''.join(g + ', ' for g in grads)}), [{aux}]")
        return self.src


def write_source(p: Program, array: bool) -> Source:
    return Writer(p, array).write()


def namespace(p: Program, array: bool) -> dict:
    """The names the code calls: table functions (floats) or NumPy's, and fallback ops."""
    ns = array_namespace() if array else float_namespace()
    for name, op in p.ops.items():
        if op is OPS.get(name) and name in EMITTERS:
            continue
        fwd, partials = op.forward, op.partials
        if array:
            fwd = vectorized(fwd, 1)
            partials = _vectorized_partials(op)
        ns[fallback_name(name)] = fwd
        ns[fallback_name(name) + "_partials"] = partials
    return ns


def _vectorized_partials(op: Op):
    def partials(*args_out):
        n = len(args_out) - 1
        if n == 1:  # np.vectorize wants a bare value for one output, not a 1-tuple
            return (vectorized(lambda *a: op.partials(*a)[0], 1)(*args_out),)
        return vectorized(op.partials, n)(*args_out)

    return partials


def build(p: Program, src: Source, array: bool):
    """Compile the source into a function; its lines are registered so tracebacks show them."""
    text = src.text()
    filename = f"<autograd.compile {p.fname} #{next(_files)}{' batched' if array else ''}>"
    code = builtins.compile(text, filename, "exec")
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    ns = namespace(p, array)
    exec(code, ns)  # noqa: S102 - our own generated code
    return ns[p.fname], filename


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
