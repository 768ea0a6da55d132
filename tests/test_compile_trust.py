"""Issue 18: compiled replay you can trust. One regression test per item (each failed on the
code before the fix): guarded branches, the engine's errors in the batch, powers at 0, abs at
NaN, a user's Op named like a built-in (tests/test_compile.py), no code from data, empty
batches, memory returned, pickling, and inputs validated as the interpreted path does."""

import gc
import io
import linecache
import math
import pickle
import re
import tokenize
import tracemalloc
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
import nn
from autograd import DomainError, Op, Value
from autograd.compiled import GuardError, compile_graph, grouped, lines
from autograd.compiled.guards import recording

np = pytest.importorskip("numpy")


def engine(f, *xs):
    vs = [Value(x) for x in xs]
    y = f(*vs)
    y.backward()
    return (y.data, vs[0].grad) if len(vs) == 1 else (y.data, tuple(v.grad for v in vs))


# --- 1. branches on data are guarded ------------------------------------------------------------
BRANCHES = {
    "data": lambda x: x * x if x.data > 0 else -3 * x,
    "compare": lambda x: x * x if x > 0 else -3 * x,
    "float": lambda x: x * float(x),
    "max": lambda x: x * max(x.data, 0.5),
    "filter": lambda x: autograd.sum([v for v in (x, x * 2.0, -x) if v.data > 0]),
    "format": lambda x: x * 2.0 if f"{x:.0f}" == "1" else x * 3.0,
}


@pytest.mark.parametrize("kind", sorted(BRANCHES))
def test_a_branch_on_data_is_never_replayed_silently(kind):
    f = BRANCHES[kind]
    fn = autograd.compile(f, 1.0)
    assert fn(1.0) == engine(f, 1.0)
    with pytest.raises(GuardError, match=r"test_compile_trust.py:\d+ `.*"):
        fn(-2.0)  # the traced branch's numbers would be wrong here
    retrace = autograd.compile(f, 1.0, on_guard="retrace")
    for x in (-2.0, 1.0, 0.25, -2.0):
        assert retrace(x) == engine(f, x), (kind, x)
    with pytest.raises(GuardError, match=r"examples 1"):
        fn.batch([1.0, -2.0])


def test_a_comparison_guard_holds_on_the_whole_branch():
    f = BRANCHES["compare"]
    fn = autograd.compile(f, 1.0)
    assert fn(7.0) == engine(f, 7.0)  # the same side of the comparison: no re-trace needed
    assert "guard(" in fn.source
    values, grads = fn.batch([1.0, 2.0, 3.0], reduce=None)
    assert values.tolist() == [1.0, 4.0, 9.0] and grads.tolist() == [2.0, 4.0, 6.0]


def test_reads_by_the_engine_itself_make_no_guard():
    fn = autograd.compile(lambda x: (x * x).relu().tanh() + autograd.logsumexp([x, -x]), 0.3)
    assert "guard(" not in fn.source
    assert fn(-0.8) == engine(lambda x: (x * x).relu().tanh() + autograd.logsumexp([x, -x]),
                              -0.8)


def test_building_nodes_while_recording_reads_no_number_through_the_recorder():
    """Issue 19 (compile cost): the engine reads its operands' numbers through its own name
    for the slot, so tracing a node costs no recorder call per operand; a user's read still
    goes through it and is recorded."""
    xs, ws = [Value(float(i)) for i in range(8)], [Value(0.5 * i) for i in range(8)]
    with recording() as rec:
        recorder = Value.__dict__["data"]
        calls = []
        Value.data = property(lambda v: calls.append(v) or recorder.fget(v), recorder.fset)
        y = autograd.dot(ws, xs).tanh() * xs[0] + 2.0 - autograd.sum(xs) / ws[1]
        Value.data = recorder
        assert calls == [] and rec.guards == []
        assert y.data == y._number  # this line reads the number: a guard
    assert [(gd.node, gd.op, gd.expected) for gd in rec.guards] == [(y, "==", True)]
    assert "test_compile_trust.py" in rec.guards[0].where and "y.data ==" in rec.guards[0].where
    assert rec.created[-1] is y and Value.__dict__["data"] is Value.__dict__["_number"]


def test_a_node_made_but_not_used_still_raises_where_the_function_raised():
    def f(x):
        x.log()  # made from the input, not used by the output: the engine raises here at x < 0
        return x * 2.0

    fn = autograd.compile(f, 1.0)
    assert fn(3.0) == engine(f, 3.0)
    with pytest.raises(DomainError, match="log"):
        engine(f, -1.0)
    with pytest.raises(DomainError, match="log"):
        fn(-1.0)


@pytest.mark.parametrize("enabled", [True, False])
def test_compile_pauses_the_cyclic_gc_only_while_it_runs(enabled):
    """Issue 19: the collector is off during the trace (it would re-walk the growing graph)
    and as it was afterwards, also when the traced function raises."""
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        return x * 2.0

    def bad(x):
        raise RuntimeError("boom")

    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        autograd.compile(f, 1.0)
        assert seen == [False] and gc.isenabled() == enabled
        with pytest.raises(RuntimeError, match="boom"):
            autograd.compile(bad, 1.0)
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if was else gc.disable)()


# --- 2. the batch raises the engine's DomainError -------------------------------------------
def test_batched_domain_errors_name_the_examples_and_the_op():
    def f(x):
        return x.sqrt() ** 0 + x

    fn = autograd.compile(f, 4.0)
    with pytest.raises(DomainError):
        engine(f, -1.0)
    with pytest.raises(DomainError):
        fn(-1.0)
    with pytest.raises(DomainError, match=r"sqrt .*example\(s\) 1, 3\b.*errors=\"nan\""):
        fn.batch([4.0, -1.0, 9.0, -2.0])
    values, grads = fn.batch([4.0, -1.0], reduce=None, errors="nan")
    assert values[0] == 5.0 and math.isnan(values[1])
    assert grads[0] == engine(f, 4.0)[1] and math.isnan(grads[1])
    mean, _ = fn.batch([4.0, -1.0], errors="nan")
    assert math.isnan(mean)


# --- 3, 4. powers at 0 and below, abs at NaN --------------------------------------------------
POWERS = [
    (lambda a, b: a ** b, (0.0, 2.0)),
    (lambda a, b: a ** b, (0.0, 0.0)),
    (lambda a, b: (a - a) ** (b - b), (1.5, 2.0)),
    (lambda a, b: 0.0 ** (a * b), (1.0, 2.0)),
    (lambda a, b: a ** b, (-2.0, 3.0)),
    (lambda a, b: (-2.0) ** (a + b), (1.0, 1.0)),
]


@pytest.mark.parametrize("k", range(len(POWERS)))
def test_powers_at_zero_and_negative_bases_are_the_engines(k):
    f, args = POWERS[k]
    want = engine(f, *args)
    fn = autograd.compile(f, *args, argnums=(0, 1))
    assert repr(fn(*args)) == repr(want)
    value, grads = fn.batch(np.array([args[0]]), args[1], reduce=None)
    assert repr((float(value[0]), float(grads[0][0]))) == repr((want[0], want[1][0]))


def test_abs_at_nan_has_a_nan_gradient():
    fn = autograd.compile(lambda x: abs(x) * 3, 1.0)
    value, grad = fn(math.nan)
    assert math.isnan(value) and math.isnan(grad) and math.isnan(engine(lambda x: abs(x) * 3,
                                                                         math.nan)[1])
    assert math.isnan(fn.batch([math.nan], reduce=None)[1][0])


# --- 6. no code from data ---------------------------------------------------------------------
HOSTILE = ["x\nopen('pwned', 'w').write('1')", "a'b\"c", "# comment", "\r\rnope()",
           "x\u2028y\u2029z", "nul\x00byte", "ok", "σ\nimport os", "\\\n", "g_x", "for",
           "exp", "1abc", "seed", "dom", "guard", "__import__('os')"]


OWN_COMMENTS = ("# forward sweep: ", "# reverse sweep: ", "# a Value f did not take",
                "# forward: each line one group", "# reverse: g_X = ")
SCALAR_COMMENT = r"# [0-9A-Za-z_.\[\]?, ]*"
SAFE = r"[0-9A-Za-z_.\[\]?]*"  # codegen.comment_text's alphabet
# a group's title and op ("# t: 3 op nodes"), a gathered matrix's ("# t: 16×2 from params"),
# an op's name after its line
GROUPED_COMMENT = rf"# {SAFE}: (?:[0-9]+ {SAFE} nodes?|[0-9×]+ from {SAFE})|# {SAFE}"


def _check_source(src: str, fn_name_ok, comment: str = SCALAR_COMMENT) -> None:
    """Every comment is ASCII without quotes, the only string is the docstring, and every
    name is one the compiler made or the code's namespace defines."""
    strings = 0
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.COMMENT and not tok.string.startswith(OWN_COMMENTS):
            assert re.fullmatch(comment, tok.string), tok.string
        elif tok.type == tokenize.STRING:
            strings += 1
        elif tok.type == tokenize.NAME:
            assert tok.string.isascii() and tok.string.isidentifier(), tok.string
    assert strings == 1


def hostile_graph(label: str, op_name: str):
    evil = Op(op_name, lambda a: a * 2.0, lambda a, out: (2.0,))

    def f(x):
        y = x * 3.0
        y.label = label
        z = evil(y)
        z.label = label + ".part"
        w = z.tanh()
        w.label = label
        return w

    f.__name__ = label
    return f


@settings(max_examples=60, deadline=None)
@given(label=st.sampled_from(HOSTILE) | st.text(max_size=12),
       op_name=st.sampled_from(HOSTILE) | st.text(min_size=1, max_size=12))
def test_labels_and_op_names_reach_the_code_only_as_data(label, op_name, tmp_path_factory):
    f = hostile_graph(label, op_name)
    fn = autograd.compile(f, 0.5)
    _check_source(fn.source, None)
    _check_source(fn.batch_source, None)
    assert fn(0.5) == engine(f, 0.5)
    _check_source(fn.grouped_source, None, GROUPED_COMMENT)
    want = [engine(f, v) for v in (0.5, -1.5)]
    for run_long in (False, True):  # compiled whole, and a statement at a time
        fn_g = autograd.compile(f, 0.5)
        with mock.patch.object(grouped, "LONG_PROGRAM", 0 if run_long else grouped.LONG_PROGRAM):
            value, grads = fn_g.batch(np.array([0.5, -1.5]), reduce=None, grouped=True)
        assert isinstance(fn_g._grouped_code((True,)).fn, lines.Program) == run_long
        assert [(v, g) for v, g in zip(value.tolist(), grads.tolist())] == want
    x = Value(0.5, label)
    g = compile_graph(f(x), {label or "x": x}, name=label)
    _check_source(g.source, None)


def test_a_label_that_would_write_a_file_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = hostile_graph(HOSTILE[0], HOSTILE[0])
    autograd.compile(f, 0.5).batch([0.5, 1.0])
    assert list(tmp_path.iterdir()) == []


# --- 7, 8, 9. empty batch, memory, pickling ---------------------------------------------------
def test_an_empty_batch_is_a_clear_error():
    fn = autograd.compile(lambda w, x: w * x, 1.0, 2.0)
    with pytest.raises(ValueError, match="empty batch"):
        fn.batch(1.0, [])
    with pytest.raises(ValueError, match="empty batch"):
        fn.batch(1.0, np.zeros((0,)))


def _big(n):
    def f(xs):
        return autograd.sum([(x * x).tanh() for x in xs])
    return f, [0.1 * i for i in range(n)]


def test_generated_source_is_freed_with_the_compiled_function():
    f, xs = _big(200)
    gc.collect()
    tracemalloc.start()
    try:
        fn = autograd.compile(f, xs)
        fn.batch([xs, xs])
        files = [name for name in linecache.cache if name.startswith("<autograd.compile")]
        gc.collect()
        base = tracemalloc.get_traced_memory()[0]
        for _ in range(5):
            fn = autograd.compile(f, xs)
            fn.batch([xs, xs])
        del fn
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    left = [name for name in linecache.cache if name.startswith("<autograd.compile")]
    assert not set(left) - set(files) or len(left) <= len(files)
    assert after - base < 300_000, after - base  # five more compiles of ~600 nodes: freed


def test_pickling_a_compiled_function_says_what_to_do():
    fn = autograd.compile(lambda x: x * 2.0, 1.0)
    with pytest.raises(TypeError, match="cannot be pickled.*compile again"):
        pickle.dumps(fn)


# --- 10. inputs validated as the interpreted path does --------------------------------------
def _error(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the class and text are what is compared
        return type(e), str(e)
    return None


def test_fit_compiled_refuses_strings_and_complex_with_the_interpreted_message():
    for X in ([["1", "2"], ["3", "4"]], [[1 + 1j, 2.0], [3.0, 4.0]]):
        errors = [_error(lambda c=c, X=X: nn.fit(nn.MLP(2, [3, 1], seed=0), X, [1, -1],
                                            loss="hinge", epochs=1, progress=False, compile=c))
                  for c in (False, True)]
        assert errors[0] is not None and errors[0] == errors[1]


def test_compiled_arguments_are_validated():
    fn = autograd.compile(lambda x: x * 2.0, 1.0)
    with pytest.raises(TypeError, match="complex"):
        fn.batch(np.array([1 + 2j, 3.0]))
    with pytest.raises(TypeError, match="dict"):
        autograd.compile(lambda xs: xs[0] * 2.0, [1.0])({0.5: 1.0})
    with pytest.raises(TypeError) as got:
        autograd.compile(lambda x: x * 2.0, 1.0, argnums=True)
    with pytest.raises(TypeError) as want:
        autograd.value_and_grad(lambda x: x * 2.0, argnums=True)(1.0)
    assert str(got.value).split(": ", 1)[1] == str(want.value).split(": ", 1)[1]
    with pytest.raises(OverflowError):
        autograd.value_and_grad(lambda x: x * 2.0)(10**400)
    with pytest.raises(OverflowError, match="int too large"):
        fn(10**400)
    with pytest.raises(TypeError):
        fn("1.5")
