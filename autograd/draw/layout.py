"""Layout and folding: path counts, clusters from structure, folding big graphs into summaries.

Everything here is one or a few passes over the topological order (no recursion on the
graph's depth), so it runs on graphs of 1e5 nodes and more.
"""

from __future__ import annotations

from collections import Counter

from .. import topological_order
from ..value import Value
from .options import DrawOptions
from .style import shown_text

__all__ = ["count_paths", "Layout", "resolve"]

# Folding defaults (draw_dot's max_nodes="auto" and an int max_nodes). A graph of at most
# UNFOLDED_NODES DOT nodes (boxes and ops) is drawn whole when it is at most UNFOLDED_COLUMNS
# notebook columns wide with readable text: the notebook scrolls it sideways rather than fold a
# 2-3-1 network. Anything bigger folds, step by step (AUTO_STEPS, each at most that many
# nodes), until it fits one column; an int max_nodes is an upper bound on those steps.
UNFOLDED_NODES = 100
UNFOLDED_COLUMNS = 2
AUTO_STEPS = (80, 50, 30, 16, 8)


class Counts:
    """One pass over the graph: uses of each node, and per node its Value operands and
    constants, and whether it has a leaf operand (where a stale value shows first); and
    what the graph's structure is (``Structure``: from roles, or a hand-built graph's
    labels)."""

    def __init__(self, order: list[Value]):
        self.uses: Counter = Counter()  # edges leaving each node (x * x counts twice)
        self.values: dict[Value, int] = {}
        self.consts: dict[Value, int] = {}
        self.leaf_users: list[Value] = []
        leaves = set()
        for node in order:
            operands = node.operands
            if not operands:
                leaves.add(node)
                continue
            n_values = 0
            has_leaf = False
            for p in operands:
                if p.__class__ is not float:
                    self.uses[p] += 1
                    n_values += 1
                    has_leaf = has_leaf or p in leaves
            self.values[node] = n_values
            self.consts[node] = len(operands) - n_values
            if has_leaf:
                self.leaf_users.append(node)
        self.structure = Structure(order)

    def cost(self, node: Value, show_constants: bool) -> int:
        """DOT nodes drawing ``node``: its box and its op (constants are written in the op)."""
        return 2 if node in self.values else 1




def count_paths(source: Value, root: Value, order: list[Value] | None = None) -> int:
    """Number of distinct paths source → root in the DAG (dynamic programming, exact int).

    Paths are counted on edges: a node used twice by one op (x * x) gives two paths, just as
    the chain rule sums two terms there. One pass in topological order, no enumeration.
    """
    order = topological_order(root) if order is None else order
    paths: dict[Value, int] = {source: 1}
    for node in order:
        if node is source:
            continue
        total = 0
        for p in node.parents:
            total += paths.get(p, 0)
        if total:
            paths[node] = total
    return paths.get(root, 0)


def _reaches(source: Value, order: list[Value]) -> set[Value]:
    """Nodes of ``order`` reachable from ``source``: every one lies on a path to the root."""
    reach = {source}
    for node in order:
        if node not in reach and any(p in reach for p in node.parents):
            reach.add(node)
    return reach


def _copies(order: list[Value], structure: Structure) -> dict[Value, int]:
    """For nodes made several times by one part of the model (a neuron run on many
    examples; ``Structure.key``): each node's copy number 0, 1, … in topological order.
    Nodes made once are left out."""
    keys = {n: k for n in order if (k := structure.key(n)) is not None}
    seen: Counter = Counter(keys.values())
    count: Counter = Counter()
    copy = {}
    for n, k in keys.items():
        if seen[k] > 1:
            copy[n] = count[k]
            count[k] += 1
    return copy


class Structure:
    """What the pictures treat as structure, from roles when the graph has any.

    With roles (``Value.role``, set by ``nn``): a node's module is the module that made it
    (``layers.0.neurons.3``), and a node is *named* (kept as its own box, outside the
    clusters of its users) when it has a role or is a leaf; labels are display text only
    and change nothing here. A graph nobody gave roles (built by hand) has only its labels:
    a dotted label names its module before the last dot (``layers.0.neurons.3.w1``) and a
    labelled node is named.
    """

    def __init__(self, order: list[Value]):
        self.roles = any(n.role is not None for n in order)

    def module(self, node: Value) -> str:
        if self.roles:
            return node.role.module if node.role is not None else ""
        return node.label.rpartition(".")[0]

    def named(self, node: Value) -> bool:
        if self.roles:
            return node.role is not None or not node.operands
        return bool(node.label)

    def key(self, node: Value):
        """What copies of one node share (a neuron run on several examples: its role), or
        None; a node without a role is named by its label alone (the ``[k]`` it is shown
        with)."""
        return node.role if node.role is not None else (node.label or None)


def has_clusters(order: list[Value], structure: Structure) -> bool:
    """Whether ``clusters="auto"`` draws clusters: some node belongs to a named module."""
    return any(structure.module(n) for n in order)


def _cluster_paths(order: list[Value], structure: Structure, root: Value) -> dict:
    """Cluster path of each node from the module that made it (see ``Structure``).

    A node's innermost cluster is its module (``layers.0.neurons.3``); outer clusters are
    the shorter prefixes ending in a number (``layers.0``). A node of no module joins the
    deepest cluster shared by all the nodes that use it (so the constants and products
    inside a neuron join the neuron) unless it is named (``Structure.named``); the root and
    nodes used across clusters stay outside.
    """
    module, named = structure.module, structure.named
    paths: dict[Value, tuple[str, ...]] = {}
    consumers_path: dict[Value, tuple[str, ...] | None] = {}
    for node in reversed(order):
        inner = module(node)
        if inner:
            parts = inner.split(".")
            outer = [".".join(parts[: i + 1]) for i in range(len(parts) - 1) if parts[i].isdigit()]
            path = tuple(outer) + (inner,)
        elif named(node) or node is root:
            path = ()
        else:
            path = consumers_path.get(node) or ()
        paths[node] = path
        for p in node.parents:
            if p in consumers_path:
                shared = consumers_path[p] or ()
                k = 0
                while k < min(len(shared), len(path)) and shared[k] == path[k]:
                    k += 1
                consumers_path[p] = shared[:k]
            else:
                consumers_path[p] = path
    return paths


# --- collapsing big graphs ------------------------------------------------------------------------
def _fold_chains(order, root, counts: Counts, unit) -> None:
    """Fold chains of unnamed nodes with one Value operand and one user (not the root)."""
    uses, values, named = counts.uses, counts.values, counts.structure.named

    def in_chain(n: Value) -> bool:
        return (n is not root and n not in unit and not named(n) and uses.get(n, 0) == 1
                and values.get(n, 0) == 1)

    chain_of: dict[Value, int] = {}
    count = 0
    for node in order:
        if in_chain(node):
            (p,) = [p for p in node.operands if p.__class__ is not float]
            if p in chain_of:
                chain_of[node] = chain_of[p]
            else:
                chain_of[node] = count
                count += 1
    sizes = Counter(chain_of.values())
    for node, c in chain_of.items():
        if sizes[c] >= 2:
            unit[node] = ("chain", c)


def _group_chains(order, unit) -> None:
    """Chains of the same ops that feed the same node (one per example) become one summary."""
    ops: dict[int, list[str]] = {}
    for node in order:
        key = unit.get(node)
        if key is not None and key[0] == "chain":
            ops.setdefault(key[1], []).append(node.op)
    consumer: dict[int, int] = {}
    for i, node in enumerate(order):
        mine = unit.get(node)
        for p in node.operands:
            key = unit.get(p) if p.__class__ is not float else None
            if key is not None and key[0] == "chain" and key != mine:
                consumer[key[1]] = i
    groups = Counter((tuple(ops[c]), consumer[c]) for c in consumer)
    for node in order:
        key = unit.get(node)
        if key is not None and key[0] == "chain" and key[1] in consumer:
            group = (tuple(ops[key[1]]), consumer[key[1]])
            if groups[group] > 1:
                unit[node] = ("chains", *group)


def _edges(order, unit) -> int:
    """How many edges the folded picture draws (parallel summary edges merged)."""
    pairs = set()
    ops = 0
    for node in order:
        mine = unit.get(node)
        if mine is None and node.operands:
            ops += 1  # op -> value
        for p in node.operands:
            if p.__class__ is float:
                continue
            theirs = unit.get(p)
            if theirs is None or theirs != mine:
                pairs.add((theirs if theirs is not None else p,
                           mine if mine is not None else node))
    return len(pairs) + ops


def _stages(order, root, paths, counts: Counts, unit: dict, state: dict):
    """The folding steps in order, each folding more than the one before (so folding is
    monotone: a larger max_nodes stops earlier and never draws a coarser picture)."""
    depth = max((len(p) for p in paths.values()), default=0)

    def clusters(d):
        def step():
            for node in order:
                if node is not root and len(paths[node]) >= d:
                    unit[node] = ("cluster", paths[node][d - 1], d)
        return step

    def hide_constants():
        state["show_constants"] = False

    yield hide_constants if depth == 0 else clusters(depth)
    if depth:
        yield hide_constants
    yield lambda: _fold_chains(order, root, counts, unit)
    yield lambda: _group_chains(order, unit)
    for d in range(depth - 1, 0, -1):
        yield clusters(d)


def _collapse(order, root, paths, counts: Counts, max_nodes, show_constants
              ) -> tuple[dict, bool]:
    """Which nodes fold into which summary, and whether constants stay visible.

    Returns ({node: unit key} for folded nodes only, show_constants). Until the picture has
    at most ``max_nodes`` nodes and 2 × ``max_nodes`` edges: fold the innermost clusters
    (neurons); hide constants; fold chains of unlabelled nodes that each have one Value
    operand and one user into "… N nodes"; merge chains of the same ops feeding the same
    node (one per example); fold the clusters one level up (layers) and so on; as a last
    resort, fold runs of nodes consecutive in the topological order. The root is never
    folded.
    """
    unit: dict[Value, tuple] = {}
    state = {"show_constants": show_constants}

    values = counts.values

    def fits() -> bool:
        # each computed node draws 2 DOT nodes (box, op), a leaf 1, a summary 1
        if unit:
            nodes = (sum(2 if n in values else 1 for n in order if n not in unit)
                     + len(set(unit.values())))
        else:
            nodes = len(order) + len(values)
        return nodes <= max_nodes and _edges(order, unit) <= 2 * max_nodes

    if fits():
        return unit, show_constants
    for step in _stages(order, root, paths, counts, unit, state):
        step()
        if fits():
            return unit, state["show_constants"]
    rest = [n for n in order if n not in unit and n is not root]
    bands = max(1, min(max_nodes // 2, max_nodes - len(set(unit.values())) - 1))
    size = -(-len(rest) // bands)
    for i, node in enumerate(rest):
        unit[node] = ("band", i // size)
    return unit, False


# --- the analysed graph ---------------------------------------------------------------
class Layout:
    """The graph analysed once (order, uses, clusters, folding); frames reuse it."""

    def __init__(self, root: Value, style: DrawOptions):
        if not isinstance(root, Value):
            raise TypeError(f"draw_dot needs a Value (the output to draw), got "
                            f"{type(root).__name__}")
        self.root = root
        self.order = topological_order(root)
        self.index = {node: i for i, node in enumerate(self.order)}
        self.counts = Counts(self.order)
        self.uses = self.counts.uses
        clusters = style.clusters
        if clusters == "auto":
            clusters = has_clusters(self.order, self.counts.structure)
        self.paths = (_cluster_paths(self.order, self.counts.structure, root) if clusters
                      else dict.fromkeys(self.order, ()))
        self.copy = _copies(self.order, self.counts.structure)
        self.style_constants = style.show_constants
        # "auto" folds in the builder, trying sizes until the picture fits
        self.fold(style.max_nodes if isinstance(style.max_nodes, int) else None)

    def full_cost(self) -> int:
        """How many DOT nodes the unfolded picture has (a box per value, an op per result)."""
        return len(self.order) + len(self.counts.values)

    def fold(self, max_nodes: int | None) -> None:
        """Fold nodes into summaries until at most ``max_nodes`` boxes remain (None: none)."""
        self.max_nodes = max_nodes
        self.unit: dict[Value, tuple] = {}
        self.show_constants = self.style_constants
        if max_nodes is not None:
            self.unit, self.show_constants = _collapse(
                self.order, self.root, self.paths, self.counts, max_nodes, self.style_constants)
        # summary ids in order of their first member
        self.unit_id: dict[tuple, str] = {}
        self.unit_members: dict[tuple, list[Value]] = {}
        for node in self.order:
            key = self.unit.get(node)
            if key is not None:
                if key not in self.unit_id:
                    self.unit_id[key] = f"s{len(self.unit_id)}"
                    self.unit_members[key] = []
                self.unit_members[key].append(node)

    def vid(self, node: Value) -> str:
        """The DOT name of the box that draws ``node`` (its summary's, if folded)."""
        key = self.unit.get(node)
        return self.unit_id[key] if key is not None else f"v{self.index[node]}"

    def node_ids(self) -> dict[Value, str]:
        """{every node: the DOT name of the box drawing it} (see ``vid``), in one pass."""
        unit, unit_id = self.unit, self.unit_id
        ids = {}
        for i, node in enumerate(self.order):
            key = unit.get(node)
            ids[node] = f"v{i}" if key is None else unit_id[key]
        return ids

    def name(self, node: Value) -> str:
        """What text calls a node: its label (cut at ``LABEL_CHARS``; ``[k]`` for the k-th
        copy), or its DOT name."""
        if not node.label:
            return f"v{self.index[node]}"
        k = self.copy.get(node)
        label = shown_text(node.label)
        return label if k is None else f"{label}[{k}]"

    def shown_label(self, node: Value) -> str:
        """The label inside its cluster: ``layers.0.neurons.3.w1`` in ``…neurons.3`` is w1."""
        name = self.name(node) if node.label else ""
        path = self.paths[node]
        if path and name.startswith(path[-1] + "."):
            return name[len(path[-1]) + 1:]
        return name


def resolve(node_or_label, order: list[Value], what: str = "highlight") -> Value:
    """A node of the graph, given as a Value or by its label."""
    if isinstance(node_or_label, Value):
        if node_or_label not in set(order):
            raise ValueError(f"{what}: that node is not in the graph of root")
        return node_or_label
    for node in order:
        if node.label == node_or_label:
            return node
    raise ValueError(f"{what}: no node labelled {node_or_label!r} in the graph")
