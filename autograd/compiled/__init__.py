"""Trace once, replay fast: backpropagation compiled to readable, straight-line Python.

``fn = autograd.compile(f, *example_args)`` runs ``f`` once on Values (the trace), orders
the graph once, and writes the forward and reverse sweeps out as Python source, one line per
node, from the op table (``fn.source``). The reverse sweep is the dynamic-programming table of
backpropagation written out: each node's adjoint is the sum over its consumers of
(consumer's adjoint) × (local derivative). Then

* ``fn(*args)`` replays that code on floats, with the standard library only, and returns
  ``(value, grads)`` as ``autograd.value_and_grad`` does, without creating a Value: the
  same operations in the same order as the engine, so the same floats;
* ``fn.batch(*args)`` replays it on NumPy arrays, one element per example ("a batch per
  node"): parameters shared, the loss over a batch and its gradient reduced over the batch
  from one replay. NumPy (the ``compile`` extra) is imported for this mode only.

Honest about control flow, as ``jax.jit`` is: a trace records the path that Python-level
``if``s on data took for the example arguments. Ops whose result depends on data (relu, abs,
leaky_relu) stay data-dependent in the code (a conditional on floats, ``np.where`` on
arrays), but a branch in ``f`` itself is frozen; ``compile(..., check=True)`` re-traces on
each call's arguments and raises ``TraceMismatchError`` naming the first node that differs.

The one-off cost grows about linearly with the graph (tracing, ordering, writing the source,
then CPython compiling it: about a second per 10,000 nodes on the 2-core machine of
``benchmarks/RESULTS.md``), and so does CPython's memory while it compiles (a peak of 1.9 GB
at 100,000 nodes; a 1,000,000-node graph passed 15 GB and was stopped). Keep compiled graphs
below ~10⁵ nodes; for a big batch, trace ONE example and replay it batched rather than tracing
the whole batch.

First order only: the code computes floats (or arrays), not Values, so it cannot be
differentiated again; for second order use ``autograd.hessian`` or ``create_graph=True``.
"""

from .function import ArgSpec, CompiledFunction, TraceMismatchError, compile, compile_graph
from .guards import GuardError

__all__ = ["compile", "compile_graph", "CompiledFunction", "TraceMismatchError", "GuardError",
           "ArgSpec"]
