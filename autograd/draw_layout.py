"""The structure behind the pictures: path counts, clusters from labels, folding big graphs.

Everything here is one or a few passes over the topological order (no recursion on the
graph's depth), so it runs on graphs of 1e5 nodes and more.
"""

from __future__ import annotations

from collections import Counter

from .sweep import topological_order
from .value import Value

__all__ = ["count_paths"]


def _consumers(order: list[Value]) -> dict[Value, int]:
    """How many edges leave each node (a Value used twice by one op counts twice)."""
    uses: Counter = Counter()
    for node in order:
        for p in node.operands:
            if p.__class__ is not float:
                uses[p] += 1
    return uses


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
        for p in node.operands:
            if p.__class__ is not float:
                total += paths.get(p, 0)
        if total:
            paths[node] = total
    return paths.get(root, 0)


def _reaches(source: Value, order: list[Value]) -> set[Value]:
    """Nodes of ``order`` reachable from ``source``: every one lies on a path to the root."""
    reach = {source}
    for node in order:
        if node not in reach and any(p in reach for p in node.operands if p.__class__ is not float):
            reach.add(node)
    return reach


def _cluster_paths(order: list[Value], uses: dict[Value, int], root: Value) -> dict:
    """Cluster path of each node from dotted labels (``layers.0.neurons.3.w1``).

    A labelled node's innermost cluster is its label before the last dot
    (``layers.0.neurons.3``); outer clusters are the shorter prefixes ending in a number
    (``layers.0``). An unlabelled node joins the deepest cluster shared by all the nodes that
    use it (so the constants and products inside a neuron join the neuron); the root and
    nodes used across clusters stay outside.
    """
    paths: dict[Value, tuple[str, ...]] = {}
    consumers_path: dict[Value, tuple[str, ...] | None] = {}
    for node in reversed(order):
        label = node.label
        if label and "." in label:
            parts = label.split(".")
            inner = ".".join(parts[:-1])
            outer = [".".join(parts[: i + 1]) for i in range(len(parts) - 2) if parts[i].isdigit()]
            path = tuple(outer) + (inner,)
        elif label or node is root:
            path = ()
        else:
            path = consumers_path.get(node) or ()
        paths[node] = path
        for p in node.operands:
            if p.__class__ is float:
                continue
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
def _node_cost(node: Value, show_constants: bool) -> int:
    if not node.operands:
        return 1
    consts = sum(p.__class__ is float for p in node.operands) if show_constants else 0
    return 2 + consts


def _collapse(order, root, paths, uses, max_nodes, show_constants) -> tuple[dict, bool]:
    """Which nodes fold into which summary, and whether constants stay visible.

    Returns ({node: unit key} for folded nodes only, show_constants). Until the picture has
    at most ``max_nodes`` nodes: fold the innermost clusters (neurons), then the clusters one
    level up (layers) and so on; then hide constants; then fold chains of unlabelled nodes
    that each have one Value operand and one user into "… N nodes"; as a last resort, fold
    runs of nodes consecutive in the topological order. The root is never folded.
    """
    unit: dict[Value, tuple] = {}
    cost = {node: _node_cost(node, show_constants) for node in order}

    def total() -> int:
        return sum(cost[n] for n in order if n not in unit) + len(set(unit.values()))

    depth = max((len(p) for p in paths.values()), default=0)
    for d in range(depth, 0, -1):
        if total() <= max_nodes:
            return unit, show_constants
        for node in order:
            if node is not root and len(paths[node]) >= d:
                unit[node] = ("cluster", paths[node][d - 1], d)
    if total() <= max_nodes:
        return unit, show_constants
    if show_constants:
        show_constants = False
        cost = {node: _node_cost(node, False) for node in order}
        if total() <= max_nodes:
            return unit, show_constants

    # chains: unlabelled, one Value operand, used once, not the root
    def in_chain(n: Value) -> bool:
        return (n is not root and n not in unit and not n.label and uses.get(n, 0) == 1
                and len([p for p in n.operands if p.__class__ is not float]) == 1)

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
    if total() <= max_nodes:
        return unit, show_constants

    rest = [n for n in order if n not in unit and n is not root]
    bands = max(1, max_nodes - len(set(unit.values())) - cost[root])
    size = -(-len(rest) // bands)
    for i, node in enumerate(rest):
        unit[node] = ("band", i // size)
    return unit, show_constants
