"""Pictures that find mistakes: a wrong derivative rule, and where a NaN or inf began.

``check_rules(root)`` compares, at every node, each local partial the op's rule gives with a
central difference of the op's own forward function at the node's operands:

    ∂out/∂aᵢ ≈ (f(…, aᵢ + h, …) − f(…, aᵢ − h, …)) / 2h,   h = eps · max(1, |aᵢ|)

and lists the nodes where they disagree. ``draw_rule_check`` draws them red. ``draw_anomaly``
marks the first node (in topological order) whose value is NaN or infinite.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import backward_steps, local_derivatives, topological_order
from ..ops import Op
from ..value import Value
from .builder import draw_dot
from .display import GraphPicture
from .style import shown_text

__all__ = ["check_rules", "draw_rule_check", "draw_anomaly", "BadRule", "first_non_finite",
           "first_non_finite_gradient"]


@dataclass
class BadRule:
    node: Value
    operand: int  # which operand's partial is wrong
    rule: float  # what the op's partials gave
    numeric: float  # the central difference of the op's forward


def _numeric(op: Op, args: list, i: int, eps: float) -> float:
    h = eps * max(1.0, abs(args[i]))
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (op.forward(*up) - op.forward(*down)) / (2 * h)


def check_rules(root: Value, eps: float = 1e-6, tol: float = 1e-4) -> list[BadRule]:
    """Nodes whose op's partials disagree with central differences of its forward.

    Each node's own ``Op`` (``Value.rule``, user-defined Ops included) is checked at that
    node's operands: ∂out/∂aᵢ by the rule against (f(…aᵢ+h…) − f(…aᵢ−h…)) / 2h.
    """
    if not isinstance(root, Value):
        raise TypeError(f"check_rules needs a Value, got {type(root).__name__}")
    bad = []
    for node in topological_order(root):
        if node.is_leaf():
            continue
        op = node.rule
        args = [float(p.data) if isinstance(p, Value) else float(p) for p in node.operands]
        rule = local_derivatives(node)
        for i, p in enumerate(node.operands):
            if not isinstance(p, Value):
                continue
            try:
                num = _numeric(op, args, i, eps)
            except (ArithmeticError, ValueError):
                continue  # at the edge of the op's domain: no central difference here
            d = float(rule[i])
            if not math.isclose(d, num, rel_tol=tol, abs_tol=tol):
                bad.append(BadRule(node, i, d, num))
    return bad


def draw_rule_check(root: Value, **draw_options) -> GraphPicture:
    """The graph with every node whose derivative rule is wrong drawn red (caption lists them)."""
    bad = check_rules(root)
    nodes = list(dict.fromkeys(b.node for b in bad))
    if bad:
        lines = [f"wrong rule at {b.node.op} ({shown_text(b.node.label) or 'unlabelled'}): "
                 f"∂/∂operand {b.operand} is {b.rule:.6g} by its rule, {b.numeric:.6g} by central "
                 "differences" for b in bad[:5]]
        caption = "\n".join(lines)
    else:
        caption = "every node's rule agrees with central differences of its forward"
    return draw_dot(root, mark=nodes, caption=caption, **draw_options)


def first_non_finite(root: Value) -> Value | None:
    """The first node in topological order whose value is NaN or infinite (where it began)."""
    for node in topological_order(root):
        if not math.isfinite(node.data):
            return node
    return None


def first_non_finite_gradient(root: Value) -> tuple[Value, Value] | None:
    """Where backward first gives a non-finite share: (the node pushing it, its operand).

    The reverse sweep of ``backward_steps`` on its own dict (``.grad`` is not touched), in
    the order ``backward`` visits nodes, so this is the node ``detect_anomaly`` stops at.
    """
    adjoints = {root: 1.0}
    for node, adj in backward_steps(root, adjoints):
        for p in node.parents:
            if not math.isfinite(adj.get(p, 0.0)):
                return node, p
    return None


def draw_anomaly(root: Value, **draw_options) -> GraphPicture:
    """The graph with the origin of a NaN/inf marked red: the first non-finite value in
    topological order, or else (all values finite, e.g. after ``detect_anomaly()`` stopped
    a backward) the node whose backward share first is non-finite."""
    origin = first_non_finite(root)
    if origin is None:
        found = first_non_finite_gradient(root)
        if found is None:
            return draw_dot(root, caption="every value and gradient is finite", **draw_options)
        node, operand = found
        d = local_derivatives(node)[list(node.operands).index(operand)]
        caption = (f"backward gives a non-finite gradient first at {node.op} "
                   f"({shown_text(node.label) or 'unlabelled'}): local derivative {d!r} for its "
                   f"operand {shown_text(operand.label) or repr(operand.data)}")
        return draw_dot(root, mark=[node], caption=caption, grads=False, **draw_options)
    what = "operands " + ", ".join(
        repr(p.data if isinstance(p, Value) else p) for p in origin.operands)
    caption = (f"the first non-finite value: {origin.op or 'leaf'} "
               f"({shown_text(origin.label) or 'unlabelled'}) = {origin.data!r} from {what}")
    return draw_dot(root, mark=[origin], caption=caption, grads=False, **draw_options)
