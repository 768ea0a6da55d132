"""Backpropagation as dynamic programming over the DAG, and forward mode on the same table.

``topological_order`` lists the nodes a root depends on, each after all of its operands,
with an explicit stack (nothing recurses on the graph's depth). The reverse sweep then visits
them from the root down: when a node is reached, every consumer has already added its share,
so the node's adjoint ∂root/∂node is final; it is cached on the node and pushed to its
operands as ``adjoint × ∂node/∂operand``. One visit per node and one product per edge:
linear in the size of the graph, where summing over every path would be exponential.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence

from .mode import STATE, AnomalyError
from .value import Value, domain_error


def topological_order(roots: Value | Iterable[Value]) -> list[Value]:
    """Every node the roots depend on, operands before the nodes that use them."""
    roots = [roots] if isinstance(roots, Value) else list(roots)
    order: list[Value] = []
    seen: set[Value] = set()
    # Depth-first post-order on an explicit stack of nodes (no iterator or tuple per node).
    # Expanding a node pushes it again under a None marker, then its operands: when the
    # marker comes back up, all of the node's operands are in ``order``, so the node goes next.
    # A node pushed twice is skipped the second time (it is in ``seen``, so already placed).
    # The order is that of a recursive depth-first search, operands left to right.
    stack = roots[::-1]
    push = stack.append
    while stack:
        node = stack.pop()
        if node is None:
            order.append(stack.pop())
        elif node not in seen:
            seen.add(node)
            prev = node._operands
            if prev:
                push(node)
                push(None)
                for p in prev[::-1]:  # so the first operand's subtree is placed first
                    if p.__class__ is not float and p not in seen:
                        push(p)
            else:
                order.append(node)  # a leaf: nothing to wait for
    return order


def local_derivatives(node: Value, create_graph: bool = False) -> tuple:
    """∂node/∂operandᵢ for each operand, from the op table (floats, or Values if create_graph)."""
    prev = node._operands
    if not prev:
        return ()
    try:
        if create_graph:
            return node._rule.partials(*prev, node)
        args = [p if p.__class__ is float else p.data for p in prev]
        return node._rule.partials(*args, node.data)
    except (ArithmeticError, ValueError) as e:
        raise _backward_error(node, e) from None


def _backward_error(node: Value, cause: Exception):
    return domain_error(node._rule, node._operands, cause, when="backward: the derivative of ")


def _count(kind: str, order: list[Value]) -> None:
    """Record one pass of ``kind`` over ``order`` (one product per edge) in count_ops()."""
    if STATE.counter is not None:
        edges = 0
        for node in order:
            for p in node._operands:
                edges += p.__class__ is not float
        STATE.counter.add(kind, 1, edges)


def _finite(x) -> bool:
    return math.isfinite(x.data if x.__class__ is Value else x)


def backward_steps(
    roots: Value | Sequence[Value], adjoints: dict | None = None, create_graph: bool = False
) -> Iterator[tuple[Value, dict]]:
    """The reverse sweep one node at a time: yields ``(node, adjoints)`` after each node.

    ``adjoints`` maps nodes to ∂root/∂node so far (seed it with {root: 1.0}, the default);
    when a node is yielded its own entry is final and its operands' entries include its
    share. Nothing is written to ``.grad``. Pictures draw their frames from this.
    """
    order = topological_order(roots)
    if adjoints is None:
        adjoints = {root: 1.0 for root in ([roots] if isinstance(roots, Value) else roots)}
    _count("reverse", order)
    anomaly = STATE.anomaly
    for node in reversed(order):
        g = adjoints.get(node)
        if g is not None and node._operands:
            for p, d in zip(node._operands, local_derivatives(node, create_graph)):
                if p.__class__ is float:
                    continue
                share = g * d
                if anomaly is not None and not _finite(share):
                    raise AnomalyError(
                        f"backward of {node.op} gave the non-finite gradient {share} for its "
                        f"operand {p.label or p.data!r} (adjoint {g}, local derivative {d}); "
                        f"the node was {anomaly.where(node)}"
                    )
                adjoints[p] = share if p not in adjoints else adjoints[p] + share
        yield node, adjoints


def backward(root: Value, gradient: float = 1.0, create_graph: bool = False) -> None:
    """Set ``.grad`` on every node ``root`` depends on to ∂root/∂node × ``gradient``.

    Leaves accumulate (``+=``) across calls until zeroed; inner nodes are overwritten with
    this call's value, so calling backward twice doubles leaf gradients only, as in PyTorch.
    With ``create_graph=True`` gradients are Values recorded in the graph (differentiable
    again); this makes a reference cycle node → grad → graph → node, freed by Python's
    cyclic garbage collector rather than at once, as PyTorch warns too.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__name__}")
    if create_graph or STATE.anomaly is not None:
        adjoints = {root: gradient}
        for node, _ in backward_steps(root, adjoints, create_graph):
            if node._operands:
                node.grad = adjoints.get(node, 0.0)
            else:
                node.grad += adjoints.get(node, 0.0)
        return

    # The fast path: the same sweep as backward_steps, with the adjoints cached straight on
    # the nodes' .grad (no dict, no generator), because this loop is most of training time.
    order = topological_order(root)
    _count("reverse", order)
    for node in order:  # inner nodes hold this sweep's adjoint only; leaves accumulate
        if node._operands:
            node.grad = 0.0
    root.grad += gradient
    node = root
    try:
        for node in reversed(order):
            prev = node._operands
            if not prev:
                continue
            g = node.grad
            # local_derivatives inlined, and unrolled for two operands (most nodes): the
            # one place where speed bends the code, as this loop is half of training time.
            if len(prev) == 2:
                a, b = prev
                da, db = node._rule.partials(
                    a if a.__class__ is float else a.data,
                    b if b.__class__ is float else b.data,
                    node.data,
                )
                if a.__class__ is not float:
                    a.grad += g * da
                if b.__class__ is not float:
                    b.grad += g * db
                continue
            args = [p if p.__class__ is float else p.data for p in prev]
            for p, d in zip(prev, node._rule.partials(*args, node.data)):
                if p.__class__ is not float:
                    p.grad += g * d
    except (ArithmeticError, ValueError) as e:
        raise _backward_error(node, e) from None


def gradients(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Sequence[float] | None = None,
    create_graph: bool = False,
) -> list:
    """∂(Σ outputsⱼ · grad_outputsⱼ)/∂input for each input, without touching ``.grad``.

    PyTorch's ``torch.autograd.grad``. An input the outputs do not depend on gets 0.0.
    With ``create_graph=True`` the results are Values that can be differentiated again.
    """
    outputs = [outputs] if isinstance(outputs, Value) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Value) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [1.0] * len(outputs)
    adjoints: dict = {}
    for out, seed in zip(outputs, grad_outputs, strict=True):
        if isinstance(out, Value):
            adjoints[out] = adjoints.get(out, 0.0) + seed
    for _ in backward_steps([o for o in outputs if isinstance(o, Value)], adjoints, create_graph):
        pass
    result = [adjoints.get(x, 0.0) for x in inputs]
    if create_graph:
        result = [r if isinstance(r, Value) else Value(r) for r in result]
    return result


def forward_tangents(roots: Value | Sequence[Value], seeds: dict[Value, float]) -> dict:
    """Forward mode: d node / d(seeded inputs) for every node, in one topological pass.

    ``seeds`` maps inputs to their tangents (e.g. {x: 1.0} for ∂/∂x). Each node's tangent is
    Σᵢ ∂node/∂operandᵢ · tangent(operandᵢ), from the same op table as the reverse sweep.
    """
    order = topological_order(roots)
    _count("forward", order)
    tangents = dict(seeds)
    for node in order:
        if node._operands and node not in seeds:
            t = 0.0
            for p, d in zip(node._operands, local_derivatives(node)):
                if p.__class__ is not float:
                    t += d * tangents.get(p, 0.0)
            tangents[node] = t
    return tangents
