"""``compile``: trace a function once on Values, then replay the generated code on floats or on
NumPy arrays (a batch per node), and the ``CompiledFunction`` that does the replaying."""

from __future__ import annotations

import inspect
import math
import numbers
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..ops import OPS, Op
from ..value import DomainError, Value
from . import codegen

Argnums = int | Sequence[int]


class TraceMismatchError(ValueError):
    """``check=True``: the function, traced on new arguments, built a different graph."""


@dataclass(frozen=True)
class ArgSpec:
    """One argument of a compiled function: its name and shape (() for a number)."""

    name: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def describe(self) -> str:
        if not self.shape:
            return f"{self.name}: a number"
        if len(self.shape) == 1:
            return f"{self.name}: a list of {self.shape[0]} numbers"
        return f"{self.name}: nested lists of shape {'×'.join(map(str, self.shape))}"


def _shape_of(x, name: str) -> tuple[int, ...]:
    """The shape of an example argument: a number, or (nested) lists of numbers."""
    if isinstance(x, Value):
        raise TypeError(f"argument {name}: pass numbers (or lists of numbers), not Values; "
                        "compile makes the Values it traces itself")
    if isinstance(x, numbers.Real):
        return ()
    if hasattr(x, "shape") and hasattr(x, "tolist"):  # a NumPy array
        return tuple(int(n) for n in x.shape)
    if isinstance(x, (list, tuple)):
        shapes = {_shape_of(e, name) for e in x}
        if len(shapes) > 1:
            raise ValueError(f"argument {name}: its rows have different shapes {sorted(shapes)}; "
                             "give a number or a list of equally long lists")
        return (len(x), *(shapes.pop() if shapes else ()))
    raise TypeError(f"argument {name}: expected a number or a list of numbers, got "
                    f"{type(x).__name__}")


def _flatten(x, spec: ArgSpec, shape: tuple[int, ...] | None = None) -> list[float]:
    """The numbers of ``x`` in order, checked against the shape (floats, as the engine keeps)."""
    shape = spec.shape if shape is None else shape
    if not shape:
        if not isinstance(x, numbers.Real):
            raise TypeError(f"argument {spec.describe()}, got {type(x).__name__}")
        return [float(x)]
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != shape[0]:
        got = f"length {len(x)}" if hasattr(x, "__len__") else type(x).__name__
        raise ValueError(f"argument {spec.describe()} (shape {shape}), got {got}")
    if len(shape) == 1:
        try:
            return list(map(float, x))
        except TypeError:
            raise TypeError(f"argument {spec.describe()}; it holds a non-number") from None
    return [v for row in x for v in _flatten(row, spec, shape[1:])]


def _nest(flat: list, shape: tuple[int, ...]):
    """Flat values back into (nested) lists of ``shape`` (a single value for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _argnums(argnums: Argnums, n: int) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    bad = [k for k in nums if not isinstance(k, int) or not -n <= k < n]
    if bad:
        raise ValueError(f"argnums {bad} out of range for {n} arguments")
    return tuple(k % n for k in nums)


def _root(out, who: str) -> Value:
    if isinstance(out, Value):
        return out
    what = f"{type(out).__name__} {out!r:.60}"
    hint = ("it computed with .data or float(), so no graph was recorded" if
            isinstance(out, numbers.Real) else "return one scalar Value (sum several outputs, "
            "or compile one function per output)")
    raise TypeError(f"{who} must return a Value (the scalar to differentiate), got {what}: {hint}")


def _op_table(nodes: list[Value], ops: Sequence[Op]) -> dict[str, Op]:
    given = {op.name: op for op in ops}
    table: dict[str, Op] = {}
    for node in nodes:
        name = node.op
        if name and name not in table:
            op = given.get(name) or OPS.get(name)
            if op is None:
                raise TypeError(
                    f"op {name!r} (node {node.label or node.data!r}) is not in autograd.OPS: "
                    f"pass the Op itself, compile(f, ..., ops=[{name}]), or add it to the table, "
                    f"autograd.OPS[{name!r}] = {name}")
            table[name] = op
    return table


class CompiledFunction:
    """Straight-line code for a function's value and gradient, generated from one trace.

    ``fn(*args)`` replays it on floats (standard library only) and returns
    ``(value, grads)`` as ``value_and_grad`` does; ``fn.batch(*args)`` replays it on NumPy
    arrays, one element per example; ``fn.source`` is the code.
    """

    def __init__(self, program: codegen.Program, specs: list[ArgSpec], argnums: Argnums,
                 f: Callable | None = None, check: bool = False, timings: dict | None = None):
        t0 = time.perf_counter()
        self._p = program
        self.args = tuple(specs)
        self.argnums = argnums
        self._nums = program.argnums
        self.nodes = len(program.order)
        self._f, self.check = f, check
        self._structure = codegen.structure(program.order[:program.n_root], program.input_of) \
            if check else None
        self._src = codegen.write_source(program, array=False)
        self.source = self._src.text()
        t1 = time.perf_counter()
        self._fn, self._file = codegen.build(program, self._src, array=False)
        self.timings = {**(timings or {}), "emit": t1 - t0, "compile": time.perf_counter() - t1}
        self._batched = None

    def __repr__(self) -> str:
        args = ", ".join(s.describe() for s in self.args)
        return f"<compiled {self._p.fname}({args}): {self.nodes} nodes>"

    # --- floats -------------------------------------------------------------------------------
    def _check_count(self, args: tuple) -> None:
        if len(args) != len(self.args):
            raise TypeError(f"{self._p.fname} takes {len(self.args)} arguments "
                            f"({'; '.join(s.describe() for s in self.args)}), got {len(args)}")

    def _call_float(self, args: tuple, seed: float = 1.0) -> tuple:
        self._check_count(args)
        if self.check:
            self._retrace(args)
        flat = [_flatten(a, s) for a, s in zip(args, self.args)]
        prepared = [f[0] if not s.shape else f for f, s in zip(flat, self.args)]
        try:
            return self._fn(*prepared, seed=seed)
        except (ArithmeticError, ValueError) as e:
            raise self._replay_error(e, self._src, self._file) from None

    def __call__(self, *args):
        """``(value, grads)``: grads of argument ``argnums`` (a float for a number, lists shaped
        like the argument for lists; a tuple of them when argnums is a tuple)."""
        value, grads, aux = self._call_float(args)
        shaped = [_nest(g, self.args[k].shape) if self.args[k].shape else g
                  for g, k in zip(grads, self._nums)]
        out = shaped[0] if isinstance(self.argnums, int) else tuple(shaped)
        return (value, out, aux) if self._p.aux else (value, out)

    # --- errors and the check mode ------------------------------------------------------------
    def _replay_error(self, e: Exception, src: codegen.Source, filename: str) -> DomainError:
        tb, line = e.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                line = tb.tb_lineno
            tb = tb.tb_next
        if line is None:
            return DomainError(f"compiled replay failed: {type(e).__name__}: {e}")
        node = src.nodes[line - 1]
        op = OPS.get(node.op) if node is not None else None
        needs = f" {op.name} needs {op.domain}." if op is not None and op.domain else ""
        return DomainError(
            f"compiled replay, line {line} `{src.lines[line - 1].strip()}`: "
            f"{type(e).__name__}: {str(e).rstrip('.')}.{needs} The engine raises the same "
            "error on these arguments; autograd.value_and_grad with detect_anomaly() shows "
            "where the value comes from.")

    def _retrace(self, args: tuple) -> None:
        flat = [_flatten(a, s) for a, s in zip(args, self.args)]
        leaves = [[Value(v, f"{s.name}{_index(j, s.shape)}") for j, v in enumerate(f)]
                  for f, s in zip(flat, self.args)]
        root = _root(self._f(*[_nest(lv, s.shape) for lv, s in zip(leaves, self.args)]),
                     "the compiled function")
        order, _ = codegen.order_graph(root, ())
        input_of = {leaf: (k, j) for k, group in enumerate(leaves) for j, leaf in enumerate(group)}
        new = codegen.structure(order, input_of)
        old = self._structure
        if new == old:
            return
        k = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        if k < min(len(old), len(new)):
            what = f"compiled {self._describe(old[k])}, traced now {self._describe(new[k])}"
        else:
            what = f"the compiled graph has {len(old)} nodes, the new trace {len(new)}"
        raise TraceMismatchError(
            f"check=True: on these arguments the function builds a different graph; first "
            f"difference at node {k} ({self._p.names[self._p.order[min(k, len(old) - 1)]]}): "
            f"{what}. A trace records one path through Python-level branches on data (as "
            "jax.jit does): compile one function per path, or write the choice with ops such "
            "as relu, abs or leaky_relu, which stay data-dependent in the compiled code.")

    def _describe(self, sig: tuple) -> str:
        names = self._p.names
        order = self._p.order
        if sig[0] == "input":
            return f"the input {self.args[sig[1]].name}[{sig[2]}]"
        if sig[0] == "constant":
            return f"the constant {sig[1]!r}"
        ops = [repr(r[1]) if isinstance(r, tuple) else names.get(order[r], f"node {r}")
               if r < len(order) else f"node {r}" for r in sig[1]]
        return f"{sig[0]}({', '.join(ops)})"

    # --- a batch per node -----------------------------------------------------------------------
    @property
    def batch_source(self) -> str:
        """The code of the batched replay (NumPy arrays, one element per example)."""
        return self._batched_fn()[1].text()

    def _batched_fn(self):
        if self._batched is None:
            src = codegen.write_source(self._p, array=True)
            fn, filename = codegen.build(self._p, src, array=True)
            self._batched = (fn, src, filename)
        return self._batched

    def batch(self, *args, reduce: str | None = "mean"):
        """Replay on a batch: each argument is either its usual shape (shared by every example,
        e.g. parameters) or that shape with a leading batch axis (one per example).

        Returns ``(value, grads)`` (plus the aux values when there are some): with
        ``reduce="mean"`` (or ``"sum"``) the mean (sum) of the per-example values and its
        gradient, reduced over the batch for shared arguments and one row per example for
        batched ones, as NumPy arrays; with ``reduce=None`` per-example values and gradients.
        """
        from . import batch

        return batch.replay(self, args, reduce)


def _index(j: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    idx = []
    for n in reversed(shape):
        idx.append(j % n if n else 0)
        j = j // n if n else 0
    return "".join(f"[{i}]" for i in reversed(idx))


def _fname(f: Callable) -> str:
    name = re.sub(r"\W+", "_", getattr(f, "__name__", "f")).strip("_") or "f"
    return "f" if name == "lambda" else name


def _arg_names(f: Callable, n: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return [f"arg{k}" for k in range(n)]
    names, star = [], None
    for prm in params:
        if prm.kind in (prm.POSITIONAL_ONLY, prm.POSITIONAL_OR_KEYWORD):
            names.append(prm.name)
        elif prm.kind == prm.VAR_POSITIONAL:
            star = prm.name
    required = sum(1 for prm in params if prm.kind in (prm.POSITIONAL_ONLY,
                   prm.POSITIONAL_OR_KEYWORD) and prm.default is prm.empty)
    if n < required or (n > len(names) and star is None):
        raise TypeError(f"{_fname(f)} takes {len(names)} positional arguments "
                        f"({', '.join(names)}), but {n} example arguments were given")
    return [names[k] if k < len(names) else f"{star}{k}" for k in range(n)]


def compile(f: Callable, *example_args, argnums: Argnums = 0, check: bool = False,  # noqa: A001
            ops: Sequence[Op] = ()) -> CompiledFunction:
    """Trace ``f`` once on ``example_args`` and generate straight-line code for its value and
    gradient: ``fn = compile(f, *example_args)``, then ``value, grads = fn(*args)``.

    * Arguments are numbers or (nested) lists of numbers; each number becomes a leaf Value,
      labelled ``name[i]`` after ``f``'s parameter. ``argnums`` picks the arguments to
      differentiate (as ``value_and_grad``: an int gives its gradient, a tuple a tuple).
    * Values ``f`` uses without receiving them as arguments (a model's own parameters in a
      closure) are constants of the code: their data at trace time is baked in.
    * A trace records one path through Python-level ``if``s on data, as ``jax.jit`` does; ops
      such as relu, abs and leaky_relu stay data-dependent. ``check=True`` re-traces on every
      call (on every example of a batch) and raises ``TraceMismatchError`` naming the first
      node that differs (slow: a debugging aid).
    * ``ops``: user-defined ``Op``s used by ``f`` that are not in ``autograd.OPS``.
    """
    if not callable(f):
        raise TypeError(f"compile needs a function, got {type(f).__name__}")
    names = _arg_names(f, len(example_args))
    specs = [ArgSpec(n, _shape_of(a, n)) for n, a in zip(names, example_args)]
    nums = _argnums(argnums, len(specs)) if specs else ()
    if not specs:
        raise TypeError("compile needs example arguments: compile(f, x0, x1, …)")
    flat = [_flatten(a, s) for a, s in zip(example_args, specs)]
    leaves = [[Value(v, f"{s.name}{_index(j, s.shape)}") for j, v in enumerate(fl)]
              for fl, s in zip(flat, specs)]
    t0 = time.perf_counter()
    root = _root(f(*[_nest(lv, s.shape) for lv, s in zip(leaves, specs)]), _fname(f))
    t1 = time.perf_counter()
    program = _program(root, leaves, specs, nums, (), ops, f"{_fname(f)}_value_and_grad")
    timings = {"trace": t1 - t0, "order": time.perf_counter() - t1}
    return CompiledFunction(program, specs, argnums, f=f, check=check, timings=timings)


def _program(root: Value, leaves: list[list[Value]], specs: list[ArgSpec], nums: tuple,
             aux: Sequence[Value], ops: Sequence[Op], fname: str) -> codegen.Program:
    order, n_root = codegen.order_graph(root, aux)
    p = codegen.Program(root=root, order=order, n_root=n_root, inputs=leaves,
                        scalar=[not s.shape for s in specs], arg_names=[s.name for s in specs],
                        argnums=nums, aux=list(aux), ops=_op_table(order, ops), fname=fname)
    codegen.assign_names(p)
    return p


def compile_graph(output: Value, inputs: dict, argnums: Argnums = 0, aux: Sequence[Value] = (),
                  ops: Sequence[Op] = (), name: str = "graph") -> CompiledFunction:
    """Compile a graph already built: ``inputs`` maps argument names to the leaf Values (one,
    or a list of them) that the replay's arguments stand for; ``aux`` are extra nodes whose
    values the replay returns too (``(value, grads, aux_values)``). What ``nn.fit(...,
    compile=True)`` uses: the model's own parameters are the inputs."""
    output = _root(output, "compile_graph's output")
    specs, leaves = [], []
    for arg, group in inputs.items():
        group = [group] if isinstance(group, Value) else list(group)
        bad = [x for x in group if not isinstance(x, Value) or not x.is_leaf()]
        if bad:
            raise TypeError(f"input {arg!r}: expected leaf Values, got {bad[0]!r:.60}")
        specs.append(ArgSpec(arg, () if isinstance(inputs[arg], Value) else (len(group),)))
        leaves.append(group)
    seen: set = set()
    for arg, group in zip(inputs, leaves):
        if seen & set(group):
            raise ValueError(f"input {arg!r} shares a Value with an earlier input")
        seen |= set(group)
    nums = _argnums(argnums, len(specs))
    program = _program(output, leaves, specs, nums, aux, ops, _fname_text(name))
    return CompiledFunction(program, specs, argnums)


def _fname_text(name: str) -> str:
    return re.sub(r"\W+", "_", name).strip("_") or "graph"
