"""``compile``: trace a function once on Values, then replay the generated code on floats or on
NumPy arrays (a batch per node), and the ``CompiledFunction`` that does the replaying."""

from __future__ import annotations

import gc
import inspect
import keyword
import math
import numbers
import re
import time
import weakref
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from ..functional import _as_tuple
from ..ops import Op
from ..sweep import topological_order
from ..value import DomainError, Value, domain_error
from . import codegen
from .guards import GuardError, describe, recording, relevant, unused

Argnums = int | Sequence[int]


class TraceMismatchError(ValueError):
    """``check=True``: the function, traced on new arguments, built a different graph."""


GUARD_MODES = ("raise", "retrace")
MAX_VARIANTS = 8  # traces kept by on_guard="retrace"


class _GuardFailed(Exception):
    """Raised by the generated code when a guard fails (args: the guard's index)."""


def _guard_failed(k: int):
    raise _GuardFailed(k)


def _forget(files: list[str]) -> None:
    for filename in files:
        codegen.forget(filename)


@dataclass(frozen=True)
class BatchPlan:
    """The small interface between a CompiledFunction and its batched replay."""

    specs: tuple
    nums: tuple[int, ...]
    single: bool  # argnums was an int: one gradient, not a tuple
    has_aux: bool
    code: Callable
    check_count: Callable
    retrace: Callable | None  # check=True: re-trace one example
    domain_message: Callable  # (line, examples) -> text
    guard_message: Callable  # (guard index, examples) -> text
    replay_error: Callable  # (exception) -> the DomainError to raise


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
    if hasattr(x, "shape") and hasattr(x, "tolist") and hasattr(x, "dtype"):  # a NumPy array
        if x.dtype.kind not in "biuf":
            raise TypeError(f"argument {name}: expected real numbers, got an array of "
                            f"{x.dtype} (take .real explicitly if that is what you mean)")
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
        return [_number(x, spec)]
    if isinstance(x, dict):
        raise TypeError(f"argument {spec.describe()}, got a dict (its keys are not numbers); "
                        "pass list(d.values()) if the values are meant")
    if isinstance(x, (str, bytes)) or not hasattr(x, "__len__") or len(x) != shape[0]:
        got = f"length {len(x)}" if hasattr(x, "__len__") else type(x).__name__
        raise ValueError(f"argument {spec.describe()} (shape {shape}), got {got}")
    if len(shape) == 1:
        if _FLOAT.issuperset(map(type, x)):  # the usual case, checked in one C loop
            return list(x)
        kind = getattr(getattr(x, "dtype", None), "kind", "")
        if kind and kind in "biuf":  # a NumPy array of real numbers: floats in one C call
            return x.astype(float).tolist()
        return [_number(v, spec) for v in x]
    return [v for row in x for v in _flatten(row, spec, shape[1:])]


_FLOAT = frozenset([float])


def _number(x, spec: ArgSpec) -> float:
    """One number of an argument as the engine keeps it (a float), or the error Value()
    gives for it."""
    if x.__class__ is float:
        return x
    if not isinstance(x, numbers.Real):
        raise TypeError(f"argument {spec.describe()}, got {type(x).__name__} {x!r:.60}")
    try:
        return float(x)
    except OverflowError:  # the class the engine raises (Value(10**400)), with a clearer text
        raise OverflowError(f"argument {spec.describe()}; it holds an int too large to convert "
                            "to float; scale it down") from None


def _nest(flat: list, shape: tuple[int, ...]):
    """Flat values back into (nested) lists of ``shape`` (a single value for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _argnums(argnums: Argnums, n: int) -> tuple[int, ...]:
    nums = _as_tuple("compile", argnums)  # the interpreted path's check and message
    bad = [k for k in nums if not -n <= k < n]
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


class CompiledFunction:
    """Straight-line code for a function's value and gradient, generated from one trace.

    ``fn(*args)`` replays it on floats (standard library only) and returns
    ``(value, grads)`` as ``value_and_grad`` does; ``fn.batch(*args)`` replays it on NumPy
    arrays, one element per example; ``fn.source`` is the code.
    """

    def __init__(self, program: codegen.Program, specs: list[ArgSpec], argnums: Argnums,
                 f: Callable | None = None, check: bool = False, timings: dict | None = None,
                 on_guard: str = "raise"):
        if on_guard not in GUARD_MODES:
            raise ValueError(f"on_guard must be one of {GUARD_MODES}, got {on_guard!r:.60}")
        self._p = program
        self.args = tuple(specs)
        self.argnums = argnums
        self._nums = program.argnums
        self.nodes = len(program.order)
        self._f, self.check, self.on_guard = f, check, on_guard
        self._variants: list[CompiledFunction] = []  # re-traces, for on_guard="retrace"
        self._structure = codegen.structure(program.order[:program.n_root], program.input_of) \
            if check else None
        self.timings = dict(timings or {})
        self._float_code: tuple | None = None  # written on first use: see _float
        self._batched = None
        self._plan: BatchPlan | None = None
        self._groups = None
        self._grouped: dict = {}
        self._last_batched: tuple[bool, ...] | None = None
        # the generated sources leave the traceback cache when this function is dropped
        self._files: list[str] = []
        weakref.finalize(self, _forget, self._files)

    # --- the float code, written when first needed ----------------------------------------
    def _float(self) -> tuple:
        """(function, Source, file name, text) of the float replay: written and compiled on
        first use, so a grouped or batched replay alone never pays for it."""
        if self._float_code is None:
            t0 = time.perf_counter()
            with _cyclic_gc_paused():
                src = codegen.write_source(self._p, array=False)
                text = src.text()
                t1 = time.perf_counter()
                fn, filename = codegen.build(self._p, src, array=False)
            self.timings.update(emit=t1 - t0, compile=time.perf_counter() - t1)
            self._files.append(filename)
            self._float_code = (fn, src, filename, text)
        return self._float_code

    @property
    def source(self) -> str:
        """The float replay's code: one line per node, forward then reverse sweep."""
        return self._float()[3]

    @property
    def _fn(self):
        return self._float()[0]

    @property
    def _src(self) -> codegen.Source:
        return self._float()[1]

    @property
    def _file(self) -> str:
        return self._float()[2]

    def __repr__(self) -> str:
        args = ", ".join(s.describe() for s in self.args)
        return f"<compiled {self._p.fname}({args}): {self.nodes} nodes>"

    def __reduce_ex__(self, protocol):
        raise TypeError(
            "a compiled function cannot be pickled: it holds generated code bound to the traced "
            "graph and to the ops' own functions. Pickle what it was made from (the parameters, "
            "e.g. model.state_dict(), and the example arguments) and call autograd.compile "
            "again after loading.")

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
        fn, src, filename, _ = self._float()
        try:
            return fn(*prepared, seed=seed, guard=_guard_failed)
        except _GuardFailed as g:
            return self._other_branch(args, seed, g.args[0])
        except (ArithmeticError, ValueError) as e:
            raise self._replay_error(e, src, filename) from None

    def _other_branch(self, args: tuple, seed: float, k: int) -> tuple:
        """A guard failed: re-trace (``on_guard="retrace"``, up to MAX_VARIANTS traces kept) or
        raise ``GuardError`` naming the user's line that branched."""
        if self.on_guard == "retrace" and self._f is not None:
            for v in self._variants:
                try:
                    return v._call_float(args, seed)
                except GuardError:
                    continue
            if len(self._variants) < MAX_VARIANTS:
                v = compile(self._f, *args, argnums=self.argnums)
                self._variants.append(v)
                return v._call_float(args, seed)
        raise GuardError(self.guard_message(k, ""))

    def guard_message(self, k: int, examples: str) -> str:
        gd = self._p.guards[k]
        retrace = "" if self._f is None else (
            f" ({MAX_VARIANTS} traces are kept already)" if self.on_guard == "retrace" else
            "; or compile with on_guard=\"retrace\" to trace again on such inputs")
        return (f"the compiled code was traced down one branch of {gd.where}, and these "
                f"inputs{examples} take another: {describe(gd, self._p.names)}. Write the choice "
                "with ops that stay data-dependent in the code (relu, abs, leaky_relu), or use "
                f"the interpreted engine{retrace}.")

    def __call__(self, *args):
        """``(value, grads)``: grads of argument ``argnums`` (a float for a number, lists shaped
        like the argument for lists; a tuple of them when argnums is a tuple)."""
        value, grads, aux = self._call_float(args)
        shaped = [_nest(g, self.args[k].shape) if self.args[k].shape else g
                  for g, k in zip(grads, self._nums)]
        out = shaped[0] if isinstance(self.argnums, int) else tuple(shaped)
        return (value, out, aux) if self._p.aux else (value, out)

    # --- errors and the check mode ------------------------------------------------------------
    def _replay_error(self, e: Exception, src: codegen.Source, filename: str) -> Exception:
        """The engine's DomainError for the op at the failing line, with the operands' values
        of this replay (read from the generated function's frame)."""
        line, frame = getattr(e, "compiled_line", None), None  # lines.Program tells its line
        tb = e.__traceback__ if line is None else None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == filename:
                line, frame = tb.tb_lineno, tb.tb_frame
            tb = tb.tb_next
        node = src.nodes[line - 1] if line is not None else None
        if node is None or node._rule is None:
            return DomainError(f"compiled replay failed: {type(e).__name__}: {e}")
        names = self._p.names
        local = frame.f_locals if frame is not None else {}
        values = [x if x.__class__ is float else local.get(names[x], names[x])
                  for x in node.operands]
        when = "backward: the derivative of " if src.backward[line - 1] else ""
        err = domain_error(node._rule, values, e, when=when)
        return DomainError(f"{err} (compiled replay: line {line} of the code, node "
                           f"{names[node]})")

    def domain_message(self, line: int, src: codegen.Source, examples: str) -> str:
        """The batched replay's error: the op at ``line`` is undefined for these examples."""
        node = src.nodes[line - 1]
        op = node._rule
        step = "the derivative of " if src.backward[line - 1] else ""
        needs = f" {op.name} needs {op.domain}." if op.domain else ""
        return (f"batched replay: {step}{op.name} (node {self._p.names[node]}, line {line} of "
                f"the batched code) is undefined or not a finite float for example(s) "
                f"{examples}, where the engine raises.{needs} Pass errors=\"nan\" to get NaN "
                "for exactly those examples instead.")

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
            self._files.append(filename)
            self._batched = (fn, src, filename)
        return self._batched

    def batch_plan(self) -> BatchPlan:
        """What the batched replay (``batch.py``) needs of this function, and nothing else."""
        if self._plan is None:
            self._plan = self._make_plan()
        return self._plan

    def _make_plan(self) -> BatchPlan:
        code, src, filename = self._batched_fn()
        return self._plan_of(code, src, filename, self._retrace if self.check else None)

    def _plan_of(self, code: Callable, src: codegen.Source, filename: str,
                 retrace: Callable | None) -> BatchPlan:
        return BatchPlan(specs=self.args, nums=self._nums, single=isinstance(self.argnums, int),
                         has_aux=bool(self._p.aux), code=code, check_count=self._check_count,
                         retrace=retrace,
                         domain_message=lambda line, ex: self.domain_message(line, src, ex),
                         guard_message=self.guard_message,
                         replay_error=lambda e: self._replay_error(e, src, filename))

    # --- grouped: the graph's layers as matrices ---------------------------------------------
    def _grouping(self):
        if self._groups is None:
            from . import grouped
            t0 = time.perf_counter()
            with _cyclic_gc_paused():
                self._groups = grouped.group(self._p)
            self.timings["group"] = time.perf_counter() - t0
        return self._groups

    def _grouped_code(self, batched: tuple[bool, ...]):
        code = self._grouped.get(batched)
        if code is None:
            from . import grouped
            gr = self._grouping()
            t0 = time.perf_counter()
            with _cyclic_gc_paused():
                code = self._grouped[batched] = grouped.build(gr, batched)
            # no retrace in the plan: grouped.replay re-traces itself with check=True
            code.plan = self._plan_of(code.fn, code.src, code.filename, None)
            self.timings["grouped emit+compile"] = time.perf_counter() - t0
            self._files.append(code.filename)
            self._last_batched = batched
        return code

    def _default_batching(self) -> tuple[bool, ...]:
        """The differentiated arguments shared (parameters), the others batched (data)."""
        return self._last_batched or tuple(k not in self._nums for k in range(len(self.args)))

    @property
    def grouped_source(self) -> str:
        """The grouped code (``batch(..., grouped=True)``): each line one group of like nodes,
        one array operation. For the batching of the last grouped call, else with the
        differentiated arguments shared and the others batched."""
        return self._grouped_code(self._default_batching()).src.text()

    @property
    def groups(self) -> list[tuple[str, str, int]]:
        """The groups the grouped replay found: (name, op, members), in the code's order."""
        return [(g.title, g.op.name, g.n) for g in self._grouping().groups]

    def batch(self, *args, reduce: str | None = "mean", errors: str = "raise",
              grouped: bool = False):
        """Replay on a batch: each argument is either its usual shape (shared by every example,
        e.g. parameters) or that shape with a leading batch axis (one per example).

        Returns ``(value, grads)`` (plus the aux values when there are some): with
        ``reduce="mean"`` (or ``"sum"``) the mean (sum) of the per-example values and its
        gradient, reduced over the batch for shared arguments and one row per example for
        batched ones, as NumPy arrays; with ``reduce=None`` per-example values and gradients.

        Where the engine would raise ``DomainError`` for some examples, this raises it too,
        naming them and the op; ``errors="nan"`` gives NaN for exactly those examples (their
        values and gradients; a mean or sum over them is then NaN) instead.

        ``grouped=True``: replay the grouped code instead (``grouped_source``): like nodes of
        a level are one array operation (a layer's dot nodes one matrix product), so the
        step costs a few dozen NumPy calls instead of one per node. The same results up to
        summation order (a matrix product adds in its own order).
        """
        if grouped:
            from . import grouped as _grouped
            return _grouped.replay(self, args, reduce, errors)
        from . import batch

        return batch.replay(self.batch_plan(), args, reduce, errors)


def _index(j: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    idx = []
    for n in reversed(shape):
        idx.append(j % n if n else 0)
        j = j // n if n else 0
    return "".join(f"[{i}]" for i in reversed(idx))


def _fname(f: Callable) -> str:
    name = getattr(f, "__name__", "f")
    return _fname_text(name if isinstance(name, str) and name != "<lambda>" else "f")


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
            ops: Sequence[Op] = (), on_guard: str = "raise") -> CompiledFunction:
    """Trace ``f`` once on ``example_args`` and generate straight-line code for its value and
    gradient: ``fn = compile(f, *example_args)``, then ``value, grads = fn(*args)``.

    * Arguments are numbers or (nested) lists of numbers; each number becomes a leaf Value,
      labelled ``name[i]`` after ``f``'s parameter. ``argnums`` picks the arguments to
      differentiate (as ``value_and_grad``: an int gives its gradient, a tuple a tuple).
    * Values ``f`` uses without receiving them as arguments (a model's own parameters in a
      closure) are constants of the code: their data at trace time is baked in.
    * Guards: every place where ``f`` reads a Value's number while tracing (``.data``,
      ``float()``, comparisons, formatting) is checked again on each call's inputs. Where
      Python would choose differently, ``on_guard="raise"`` (the default) raises
      ``GuardError`` naming ``f``'s line; ``on_guard="retrace"`` traces again on those
      inputs (keeping up to 8 traces). Ops such as relu, abs and leaky_relu stay
      data-dependent in the code and need no guard. ``check=True`` re-traces on every call
      and raises ``TraceMismatchError`` naming the first node that differs (a debugging aid).
    * Every node replays its own rule (``node.rule``), user-defined ``Op``s included:
      ``ops`` is accepted for older code and not needed.
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
    with _cyclic_gc_paused():
        t0 = time.perf_counter()
        with recording() as rec:
            root = _root(f(*[_nest(lv, s.shape) for lv, s in zip(leaves, specs)]), _fname(f))
        t1 = time.perf_counter()
        inputs = {x for group in leaves for x in group}
        guards = relevant(rec.guards, inputs)
        order = topological_order(root)  # found once: for unused() and the program's order
        program = _program(root, leaves, specs, nums, (), f"{_fname(f)}_value_and_grad",
                           guards, unused(rec, order, inputs), order)
        timings = {"trace": t1 - t0, "order": time.perf_counter() - t1}
        return CompiledFunction(program, specs, argnums, f=f, check=check, timings=timings,
                                on_guard=on_guard)


@contextmanager
def _cyclic_gc_paused():
    """Python's cyclic garbage collector paused while compile runs (restored after; left off
    if it was off). Tracing and writing the code make millions of objects and drop almost
    none, and a graph of Values has no cycles: each collection would only walk the growing
    graph again. Measured at 1e5 nodes: trace 6.2 -> 3.0 µs/node, emit 76 -> 52 µs/node,
    peak memory the same."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _program(root: Value, leaves: list[list[Value]], specs: list[ArgSpec], nums: tuple,
             aux: Sequence[Value], fname: str, guards: Sequence = (),
             side: Sequence[Value] = (), root_order: list[Value] | None = None
             ) -> codegen.Program:
    extra = [x for gd in guards for x in (gd.node, gd.other) if x.__class__ is Value]
    order, n_root = codegen.order_graph(root, [*aux, *extra, *side], root_order)
    p = codegen.Program(root=root, order=order, n_root=n_root, inputs=leaves,
                        scalar=[not s.shape for s in specs], arg_names=[s.name for s in specs],
                        argnums=nums, aux=list(aux), fname=fname, guards=list(guards))
    codegen.assign_names(p)
    # the Values f used without taking them as arguments are constants of the code, at their
    # trace-time data: read now, since the code may be written later (when first used)
    inputs = {x for group in leaves for x in group}
    p.constants = {x: x.data for x in order if not x._operands and x not in inputs}
    return p


def compile_graph(output: Value, inputs: dict, argnums: Argnums = 0, aux: Sequence[Value] = (),
                  ops: Sequence[Op] = (), name: str = "graph",
                  guards: Sequence = ()) -> CompiledFunction:
    """Compile a graph already built: ``inputs`` maps argument names to the leaf Values (one,
    or a list of them) that the replay's arguments stand for; ``aux`` are extra nodes whose
    values the replay returns too (``(value, grads, aux_values)``). What ``nn.fit(...,
    compile=True)`` uses: the model's own parameters are the inputs. ``guards``: the reads
    recorded while the graph was built (``with autograd.compiled.guards.recording() as
    rec: …``, then ``rec.guards``); a replay whose inputs fail one raises ``GuardError``."""
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
    guards = relevant(list(guards), seen)
    with _cyclic_gc_paused():
        program = _program(output, leaves, specs, nums, aux, _fname_text(name), guards)
        return CompiledFunction(program, specs, argnums)


def _fname_text(name: str) -> str:
    """A function name from user text: ASCII word characters only, never a leading digit."""
    text = re.sub(r"[^0-9A-Za-z_]+", "_", str(name)).strip("_")[:40] or "graph"
    clash = keyword.iskeyword(text) or text in codegen.RESERVED or \
        text.startswith(("g_", "d_", "op_"))
    return f"f_{text}" if text[0].isdigit() or clash else text
