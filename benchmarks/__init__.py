"""dagrad's benchmark suite: dagrad against micrograd and PyTorch, timed in one process.

Run ``python -m benchmarks`` (``--quick`` for a short run, ``--only chain,bytes`` to pick
benchmarks, ``--help`` for the rest). Every timing is the median of several runs after a
warm-up, with the engines interleaved run by run, so that a busy machine slows them all
alike and the ratios stay meaningful. micrograd and torch are optional: without them the
suite reports dagrad alone.
"""
