"""Trace once, replay fast: backpropagation compiled to readable, straight-line Python.

``fn = autograd.compile(f, *example_args)`` runs ``f`` once on Values (the trace), orders
the graph once, and writes the forward and reverse sweeps out as Python source, one line per
node (``fn.source``). Each line is the node's own rule from the op table, run on a symbolic
type (``symbolic.py``, ``emit.py``); templates only where a rule branches. The reverse sweep
is the dynamic-programming table of backpropagation written out: each node's adjoint is the
sum over its consumers of (consumer's adjoint) × (local derivative). Then

* ``fn(*args)`` replays that code on floats, with the standard library only, and returns
  ``(value, grads)`` as ``autograd.value_and_grad`` does, without creating a Value: the
  same operations in the same order as the engine, so the same floats and the same errors;
* ``fn.batch(*args)`` replays it on NumPy arrays, one element per example ("a batch per
  node"): parameters shared, the loss over a batch and its gradient reduced over the batch
  from one replay; an example where the engine would raise is named in a ``DomainError``
  (or made NaN with ``errors="nan"``). NumPy (the ``compile`` extra) is imported here only;
* ``fn.batch(*args, grouped=True)`` replays the grouped code (``grouped.py``,
  ``fn.grouped_source``): nodes of one level applying one op to operands from the same
  arrays are one array operation, a layer's dot nodes a matrix product derived from the
  ``dot`` entry's own forward and partials. What ``nn.fit(..., compile=True)`` runs.

The float code is written and compiled when first used (``fn(*args)``, ``fn.source``), so a
batched or grouped replay alone never pays for it.

Guards (``guards.py``): every read of a Value's number while tracing (``.data``, ``float()``,
comparisons, formatting) is checked again by the code on new inputs; where Python would take
another branch, ``GuardError`` names the user's line (or ``on_guard="retrace"`` traces
again). Ops such as relu, abs, leaky_relu stay data-dependent in the code without guards.
``compile(..., check=True)`` re-traces on each call and raises ``TraceMismatchError`` naming
the first node that differs.

The one-off cost: each kind of node (its Op object, and which operands are constants) has
its code derived from the table once per program and kept as format strings, so writing the
source costs a string format per node; a program longer than ``codegen.CHUNK_LINES`` (30,000)
lines is written as parts compiled one by one (values crossing parts pass in a list), so
CPython's compiler holds one part at a time. What remains grows with the amount of code,
i.e. with the graph's edges: on the dense tanh MLP of ``benchmarks/RESULTS.md`` (each node a
dot of 8 weights and 8 inputs, or its tanh) about 120–250 µs per node all told, half of it
CPython compiling the text, and about 1.1 GB peak at 100,000 nodes. A 1,000,000-node graph
would take minutes and more memory than the text itself (some 400 MB): keep compiled graphs
to a few times 10⁵ nodes; for a big batch, trace ONE example and replay it batched rather
than tracing the whole batch. A program split into parts replays about 20% slower per node
than one function (the reverse sweep reads the forward values back from the list). The
grouped code is a few lines per group, not per node (a 1,000,000-node tanh MLP of 8-wide
layers: 125,000 groups), and past ``grouped.LONG_PROGRAM`` (30,000) lines it is not compiled
whole at all: ``lines.Program`` runs it a statement at a time, each *shape* of statement
(its text with the names and numbers taken out: a deep network repeats a dozen) compiled
once. So it compiles at any size, linear in the graph, in the graph's own memory (about
1.1 GB and 18–24 s at 10⁶ nodes on a 2-core machine, by its load; ``benchmarks/RESULTS.md``).

First order only: the code computes floats (or arrays), not Values, so it cannot be
differentiated again; for second order use ``autograd.hessian`` or ``create_graph=True``.
"""

from .function import ArgSpec, CompiledFunction, TraceMismatchError, compile, compile_graph
from .guards import GuardError

__all__ = ["compile", "compile_graph", "CompiledFunction", "TraceMismatchError", "GuardError",
           "ArgSpec"]
