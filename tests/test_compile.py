"""autograd.compile: generated code against the engine (floats: the same bits; a batch per
node: the same as a loop over examples), the emitters against the op table, bad input."""

import math
import re
import subprocess
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import OPS, DomainError, Op, Value
from autograd.compiled import GuardError, TraceMismatchError, compile_graph

np = pytest.importorskip("numpy")


def close(a, b, rel=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=rel * 1e-3) or (math.isnan(a) and math.isnan(b))


def all_close(xs, ys, rel=1e-12):
    xs, ys = np.ravel(np.asarray(xs, float)), np.ravel(np.asarray(ys, float))
    assert xs.shape == ys.shape
    scale = max(1.0, float(np.max(np.abs(ys)))) if ys.size else 1.0
    assert np.allclose(xs, ys, rtol=rel, atol=rel * scale), (xs, ys)


def test_every_op_of_the_table_has_a_random_dag_step():
    assert set(STEP) >= set(OPS)


# --- random DAGs over every op ----------------------------------------------------------------
def _pos(a):
    return a * a + 0.5  # a positive operand for log, sqrt, powv


# each step: (a, b, c, i, j) -> a new node from earlier nodes a, b, c (picked by index: a DAG)
STEP = {
    "add": lambda a, b, c, i, j: a + b, "sub": lambda a, b, c, i, j: a - b,
    "mul": lambda a, b, c, i, j: a * b, "div": lambda a, b, c, i, j: a / (1.5 + b.sigmoid()),
    "neg": lambda a, b, c, i, j: -a,
    "pow": lambda a, b, c, i, j: a ** (2.0 if i % 2 else 3.0) if j % 3 else _pos(a) ** -0.5,
    "rpow": lambda a, b, c, i, j: 1.5 ** a, "powv": lambda a, b, c, i, j: _pos(a) ** b.tanh(),
    "abs": lambda a, b, c, i, j: abs(a), "exp": lambda a, b, c, i, j: a.tanh().exp(),
    "log": lambda a, b, c, i, j: _pos(a).log(), "sqrt": lambda a, b, c, i, j: _pos(a).sqrt(),
    "tanh": lambda a, b, c, i, j: a.tanh(), "sigmoid": lambda a, b, c, i, j: a.sigmoid(),
    "relu": lambda a, b, c, i, j: a.relu(), "leaky_relu": lambda a, b, c, i, j: a.leaky_relu(0.1),
    "sin": lambda a, b, c, i, j: a.sin(), "cos": lambda a, b, c, i, j: a.cos(),
    "softplus": lambda a, b, c, i, j: a.softplus(),
    "sum": lambda a, b, c, i, j: autograd.sum([a, b, c]),
    "dot": lambda a, b, c, i, j: autograd.dot([a, b], [c, a], bias=0.5),
    "logsumexp": lambda a, b, c, i, j: autograd.logsumexp([a, b, c]),
    "const": lambda a, b, c, i, j: a * Value(0.75, "k"),  # a Value f does not take: a constant
}


def build(program, xs):
    """Every op of the table, on earlier nodes picked by index (reuse makes a DAG)."""
    nodes = list(xs)
    for name, i, j, k in program:
        a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        nodes.append(STEP[name](a, b, c, i, j))
    return nodes[-1]


programs = st.lists(st.tuples(st.sampled_from(sorted(STEP)), st.integers(0, 10**6),
                              st.integers(0, 10**6), st.integers(0, 10**6)),
                    min_size=1, max_size=16)
points = st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4)


def usable(program, xs):
    try:
        y = build(program, [Value(x) for x in xs])
    except (DomainError, OverflowError):
        return False
    return all(math.isfinite(n.data) and abs(n.data) < 1e6
               for n in autograd.topological_order(y))


@settings(max_examples=300, deadline=None)
@given(program=programs, xs=points, again=points)
def test_random_dags_compiled_equals_the_engine(program, xs, again):
    assume(usable(program, xs))
    f = lambda v: build(program, v)  # noqa: E731
    fn = autograd.compile(f, xs)
    for point in (xs, (again * 4)[:len(xs)]):  # the trace's point and a new one
        if not usable(program, point):
            continue
        vs = [Value(x) for x in point]
        y = f(vs)
        want_grads = autograd.gradients(y, vs)  # what value_and_grad computes
        value, grads = fn(point)
        assert close(value, y.data)
        assert all(close(g, w) for g, w in zip(grads, want_grads)), (grads, want_grads)


@settings(max_examples=200, deadline=None)
@given(program=programs, xs=points, batch=st.lists(points, min_size=1, max_size=5))
def test_random_dags_batched_equals_a_loop(program, xs, batch):
    assume(usable(program, xs))
    rows = [(b * 4)[:len(xs)] for b in batch]
    assume(all(usable(program, r) for r in rows))
    fn = autograd.compile(lambda v: build(program, v), xs)
    values, grads = fn.batch(np.array(rows), reduce=None)
    loop = [fn(r) for r in rows]
    all_close(values, [v for v, _ in loop])
    all_close(grads, [g for _, g in loop])


@settings(max_examples=100, deadline=None)
@given(program=programs, xs=points, batch=st.lists(points, min_size=2, max_size=5))
def test_shared_parameters_reduce_over_the_batch(program, xs, batch):
    """Parameters shared, examples batched: the mean loss and its parameter gradient."""
    p = xs[:2]
    rows = [(b * 4)[:2] for b in batch]
    f = lambda w, x: build(program, [*w, *x])  # noqa: E731
    assume(usable(program, p + rows[0]) and all(usable(program, p + r) for r in rows))
    fn = autograd.compile(f, p, rows[0])
    value, grad = fn.batch(p, np.array(rows))
    loop = [fn(p, r) for r in rows]
    all_close(value, sum(v for v, _ in loop) / len(rows))
    all_close(grad, np.mean([g for _, g in loop], axis=0))
    total, grad_sum = fn.batch(p, rows, reduce="sum")
    all_close(total, sum(v for v, _ in loop))
    all_close(grad_sum, np.sum([g for _, g in loop], axis=0))


# --- what it returns, and the code it shows -----------------------------------------------------
def neuron_loss(w, x, y):
    z = autograd.dot(w, x)
    z.label = "z"
    out = z.tanh()
    out.label = "out"
    return (out - y) ** 2


def test_value_and_grad_structure_and_argnums():
    fn = autograd.compile(neuron_loss, [0.5, -0.3], [1.0, 2.0], 0.25)
    value, g = fn([0.5, -0.3], [1.0, 2.0], 0.25)
    w = [Value(0.5), Value(-0.3)]
    loss = neuron_loss(w, [1.0, 2.0], 0.25)
    loss.backward()
    assert value == loss.data and g == [w[0].grad, w[1].grad]  # the same bits
    assert type(value) is float and all(type(x) is float for x in g)
    both = autograd.compile(neuron_loss, [0.5, -0.3], [1.0, 2.0], 0.25, argnums=(0, 2))
    value2, (gw, gy) = both([0.5, -0.3], [1.0, 2.0], 0.25)
    assert value2 == value and gw == g and isinstance(gy, float)
    nested = autograd.compile(lambda X: autograd.sum([a * b for a, b in X]), [[1.0, 2.0],
                                                                             [3.0, 4.0]])
    assert nested([[1.0, 2.0], [3.0, 4.0]]) == (14.0, [[2.0, 1.0], [4.0, 3.0]])


def test_source_reads_as_the_chain_rule():
    fn = autograd.compile(neuron_loss, [0.5, -0.3], [1.0, 2.0], 0.25)
    src = fn.source
    assert "z = 0.0 + w_0 * x_0 + w_1 * x_1  # dot" in src  # the table's sum() starts at 0
    assert "out = tanh(z)  # tanh" in src
    assert "g_z = g_out * (1.0 - out * out)  # from tanh" in src
    assert "g_w_0 = g_z * x_0  # from dot" in src
    assert "Value" not in src and "numpy" not in src
    assert fn.nodes == 9 and set(fn.timings) == {"trace", "order", "emit", "compile"}
    relu = autograd.compile(lambda a: (a * 2.0).relu(), 1.0)
    assert "if" in relu.source and "where(" in relu.batch_source  # data-dependent in both


def test_float_replay_imports_no_numpy():
    code = ("import sys, autograd\n"
            "fn = autograd.compile(lambda a, b: (a * b).tanh().relu(), 0.5, 2.0, argnums=(0, 1))\n"
            "print(fn(0.3, 1.5))\n"
            "assert 'numpy' not in sys.modules, 'numpy imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_node_used_twice_and_unused_inputs():
    fn = autograd.compile(lambda a, b, c: a * a + a, 3.0, 1.0, 2.0, argnums=(0, 1))
    assert fn(3.0, 1.0, 2.0) == (12.0, (7.0, 0.0))
    ident = autograd.compile(lambda a: a, 2.0)
    assert ident(5.0) == (5.0, 1.0)


def test_long_sums_are_split_over_lines_and_stay_exact():
    xs = [math.sin(i) for i in range(5000)]
    fn = autograd.compile(lambda v: autograd.dot(v, v), xs)
    value, g = fn(xs)
    w = [Value(x) for x in xs]
    y = autograd.dot(w, w)
    y.backward()
    assert value == y.data and g == [x.grad for x in w]


# --- user-defined ops -------------------------------------------------------------------------
square = Op("square", lambda a: a * a, lambda a, out: (2 * a,))


def test_user_defined_op_replays_its_own_functions():
    fn = autograd.compile(lambda a: square(a.tanh()) + a, 0.3)  # no ops=: node.rule is used
    assert re.search(r"= op_\d+\(tanh\d+\)  # square", fn.source)
    assert re.search(r"= op_\d+_partials\(tanh\d+, square\d+\)", fn.source)
    for x in (0.3, -1.2):
        v = Value(x)
        y = square(v.tanh()) + v
        y.backward()
        assert fn(x) == (y.data, v.grad)
    values, grads = fn.batch([0.3, -1.2], reduce=None)
    all_close(values, [fn(0.3)[0], fn(-1.2)[0]])
    all_close(grads, [fn(0.3)[1], fn(-1.2)[1]])


def test_a_user_op_named_like_a_builtin_replays_its_own_rule():
    """Issue 18 item 5: an Op called "tanh" that is not the table's tanh is replayed by its
    own functions (node.rule), not by the table's entry of that name."""
    fake = Op("tanh", lambda a: 2 * a, lambda a, out: (2.0,))
    fn = autograd.compile(lambda x: fake(x), 0.7)
    assert fn(0.7) == (1.4, 2.0)
    values, grads = fn.batch([0.7, 1.0], reduce=None)
    assert values.tolist() == [1.4, 2.0] and grads.tolist() == [2.0, 2.0]


# --- control flow -----------------------------------------------------------------------------
def branchy(x):
    if x > 0:  # a Python branch on data: the trace records one side, and a guard
        return x.tanh() * 2.0
    return x.sigmoid() * 2.0


def test_check_mode_names_the_first_node_that_differs():
    fn = autograd.compile(branchy, 0.5, check=True)
    assert fn(0.7)[0] == math.tanh(0.7) * 2.0
    with pytest.raises(TraceMismatchError, match=r"first difference at node 1 .*compiled "
                       r"tanh\(x\), traced now sigmoid\(x\)"):
        fn(-0.7)
    unchecked = autograd.compile(branchy, 0.5)
    with pytest.raises(GuardError, match=r"test_compile.py:\d+ `if x > 0:"):
        unchecked(-0.7)  # the guard names the user's line, never the traced branch's numbers
    relu = autograd.compile(lambda x: x.relu() * 2.0, 0.5, check=True)
    assert relu(-0.7) == (0.0, 0.0)  # relu stays data-dependent: no mismatch


def test_check_mode_checks_every_example_of_a_batch():
    fn = autograd.compile(branchy, 0.5, check=True)
    assert fn.batch([0.1, 0.2])[0] == pytest.approx(math.tanh(0.1) + math.tanh(0.2))
    with pytest.raises(TraceMismatchError, match="sigmoid"):
        fn.batch([0.1, -0.2])
    with pytest.raises(GuardError, match=r"examples 1, 3"):
        autograd.compile(branchy, 0.5).batch([0.1, -0.2, 0.3, -0.4])


def test_check_mode_catches_a_changed_constant():
    fn = autograd.compile(lambda x: x * (2.0 if x.data > 0 else 3.0), 1.0, check=True)
    with pytest.raises(TraceMismatchError,
                       match=r"compiled mul\(x, 2.0\), traced now mul\(x, 3.0\)"):
        fn(-1.0)


# --- bad input ----------------------------------------------------------------------------------
def test_a_function_returning_no_value():
    with pytest.raises(TypeError, match=r"f must return a Value .*got float 2.0.*\.data"):
        autograd.compile(lambda a: a.data * 2.0, 1.0)
    with pytest.raises(TypeError, match="return one scalar Value"):
        autograd.compile(lambda a: [a, a], 1.0)


def test_wrong_arguments_on_replay():
    fn = autograd.compile(neuron_loss, [0.5, -0.3], [1.0, 2.0], 0.25)
    with pytest.raises(TypeError, match=r"takes 3 arguments \(w: a list of 2 numbers; x: a "
                       r"list of 2 numbers; y: a number\), got 2"):
        fn([0.5, -0.3], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"x: a list of 2 numbers .*got length 3"):
        fn([0.5, -0.3], [1.0, 2.0, 3.0], 0.25)
    with pytest.raises(TypeError, match="y: a number, got list"):
        fn([0.5, -0.3], [1.0, 2.0], [0.25])
    with pytest.raises(TypeError, match="takes 1 positional"):
        autograd.compile(lambda a: a, 1.0, 2.0)
    with pytest.raises(TypeError, match="not Values"):
        autograd.compile(lambda a: a, Value(1.0))


def test_bad_batches():
    fn = autograd.compile(neuron_loss, [0.5, -0.3], [1.0, 2.0], 0.25)
    with pytest.raises(ValueError, match=r"different numbers of examples \(x has 3, y has 2\)"):
        fn.batch([0.5, -0.3], np.ones((3, 2)), np.ones(2))
    with pytest.raises(ValueError, match=r"argument x: expected shape \(2,\) .* got an array of "
                       r"shape \(3, 4\)"):
        fn.batch([0.5, -0.3], np.ones((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="at least one argument with a leading batch axis"):
        fn.batch([0.5, -0.3], [1.0, 2.0], 0.25)
    with pytest.raises(ValueError, match="reduce must be"):
        fn.batch([0.5, -0.3], np.ones((3, 2)), np.ones(3), reduce="max")


def test_domain_errors_on_replay_name_the_line():
    fn = autograd.compile(lambda a: (a * 2.0).log(), 1.0)
    with pytest.raises(DomainError, match=r"^log\(-2.0\) is undefined .*log needs a > 0.*"
                       r"compiled replay: line \d+ of the code, node log\d"):
        fn(-1.0)  # the engine's message, with this replay's operand
    with pytest.raises(DomainError):
        autograd.value_and_grad(lambda a: (a * 2.0).log())(-1.0)  # as the engine does


def test_compile_graph_with_aux_outputs():
    w, x = [Value(0.5), Value(-1.0)], [Value(2.0), Value(1.0)]
    z = autograd.dot(w, x)
    loss = (z - 1.0) ** 2
    fn = compile_graph(loss, {"w": w, "x": x}, aux=[z])
    value, g, (zv,) = fn([0.5, -1.0], [2.0, 1.0])
    loss.backward()
    assert (value, g, zv) == (loss.data, [w[0].grad, w[1].grad], z.data)
    with pytest.raises(TypeError, match="expected leaf Values"):
        compile_graph(loss, {"z": [z]})


# --- nn.fit(compile=True) ---------------------------------------------------------------------
@pytest.mark.parametrize("loss,l2,l1,batch_size", [
    ("hinge", 1e-4, 0.0, None), ("logistic", 0.0, 1e-3, 16), ("mse", 1e-3, 1e-3, 8),
    ("bce_with_logits", 0.0, 0.0, None), ("mae", 0.0, 0.0, 16)])
def test_fit_compiled_equals_interpreted(loss, l2, l1, batch_size):
    import nn

    X, y = nn.data.make_moons(40, noise=0.1, seed=1)
    if loss in ("hinge", "logistic"):
        y = nn.data.to_pm1(y)
    runs = []
    for compiled in (False, True):
        model = nn.MLP(2, [8, 8, 1], seed=3)
        opt = nn.optim.Adam(model.parameters(), lr=0.02)
        h = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=12, batch_size=batch_size,
                   l2=l2, l1=l1, progress=False, compile=compiled, seed=5)
        runs.append((h, [p.data for p in model.parameters()]))
    (h0, w0), (h1, w1) = runs
    all_close(h1.loss, h0.loss)  # the same losses, epoch by epoch, to 1e-12
    assert str(h1.accuracy) == str(h0.accuracy)  # (NaN for regression losses)
    all_close(w1, w0, rel=1e-10)  # the same final weights


def test_fit_compiled_refuses_what_it_cannot_replay():
    import nn

    X, y = [[0.0, 1.0], [1.0, 0.0]], [0, 1]
    drop = nn.Sequential(nn.Linear(2, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"Dropout .*treats examples differently.*compile=False"):
        nn.fit(drop, X, y, loss="mse", epochs=1, progress=False, compile=True)
    model = nn.MLP(2, [3, 2])
    with pytest.raises(ValueError, match=r"supports the losses .*got 'cross_entropy'"):
        nn.fit(model, X, y, loss="cross_entropy", epochs=1, progress=False, compile=True)


def test_benchmark_rows_of_the_compiled_engines(capsys, tmp_path):
    """The harness on tiny sizes: compiled demo rows reach dagrad's losses at every step, and
    the growth table has its rows (no timing asserted)."""
    import json

    from benchmarks import runner

    out = tmp_path / "rows.json"
    code = runner.main(["--quick", "--repeats", "1", "--points", "6", "--only", "demo,compile",
                        "--compile-sizes", "200,1000", "--engines", "dagrad", "--json", str(out)])
    table = capsys.readouterr().out
    rows = json.loads(out.read_text())["rows"]
    assert code == 0, table
    demo = {r["engine"]: r for r in rows if r["bench"] == "demo"}
    assert demo["dagrad compiled (floats)"]["max_dev"] == 0.0  # the engine's own bits
    assert demo["dagrad compiled (batched)"]["max_dev"] <= 1e-12
    growth = [r for r in rows if r["bench"] == "compile"]
    assert len(growth) == 2 and all(r["ok"] for r in growth)
    assert "Compiled replay as the graph grows" in table and "compiled float step" in table


def test_labels_become_unique_identifiers():
    def f(a, b):
        u = a * b
        u.label = "σ(u)"
        v = a + b
        v.label = "u"  # sanitises to the same name as the first: made unique
        w = u.tanh() * v
        w.label = "g_trap"  # adjoint names start with g_: no clash
        x = w.exp()
        x.label = "for"  # a keyword
        return x

    fn = autograd.compile(f, 0.3, 0.4, argnums=(0, 1))
    a, b = Value(0.3), Value(0.4)
    y = f(a, b)
    y.backward()
    assert fn(0.3, 0.4) == (y.data, (a.grad, b.grad))
    assert "n_g_trap" in fn.source and "n_for" in fn.source


@pytest.mark.parametrize("op", ["tanh", "-", "σ", "a-b", "_x", "x" * 70, "g_", "op_", "for",
                                "5", "__", "d_", "-g_", "print", "a b", "abs", "ß_", "-5"])
def test_an_unlabelled_node_is_named_as_its_op_and_index_say(op):
    """Issue 19: op names are cleaned once per op, not once per node; the names are those
    the label rules give ``f"{op}{k}"`` (the source keeps every name it had)."""
    from autograd.compiled.codegen import _identifier, _op_prefix, _safe

    prefix, plain = _op_prefix(op)
    for k in (0, 7, 10**5):
        assert _safe(f"{prefix}{k}"[:60]) == _identifier(f"{op}{k}", f"v{k}"), (op, k)
        assert not plain or f"{prefix}{k}" == _identifier(f"{op}{k}", f"v{k}"), (op, k)
    assert plain == (op in ("tanh", "a-b", "_x", "for", "print", "a b", "abs"))


def test_an_op_added_to_the_table_needs_no_ops_argument(monkeypatch):
    monkeypatch.setitem(OPS, "square", square)
    fn = autograd.compile(lambda a: square(a) * 3.0, 0.5)
    assert fn(0.5) == (0.75, 3.0) and "square1 = a * a  # square" in fn.source  # derived


def test_compensated_sum_python_path(monkeypatch):
    """On a Python whose sum() of floats is compensated (3.12+), n-ary sums call sum() as the
    table does; forced here, the code still equals the engine."""
    from autograd.compiled import emit

    monkeypatch.setattr(emit, "PLAIN_SUM", False)
    xs = [0.1, 0.2, 0.3, 1e16, -1e16]
    fn = autograd.compile(lambda v: autograd.sum(v) + autograd.dot(v, v), xs)
    assert re.search(r"= op_\d+\(v_0, v_1", fn.source)  # the table's own sum() is called
    w = [Value(x) for x in xs]
    y = autograd.sum(w) + autograd.dot(w, w)
    y.backward()
    assert fn(xs) == (y.data, [x.grad for x in w])


def test_relu_matches_the_engine_at_nan_and_under_an_infinite_adjoint():
    # relu is a gate in the table: a zero slope passes nothing back, even an infinite
    # adjoint (inf · 0 would be NaN), and relu(NaN) is NaN; the compiled code agrees.
    import math

    def f(x, y):
        return (x.relu() * y).exp()

    fn = autograd.compile(f, -1.0, 1000.0, argnums=(0, 1))
    for args in [(-1.0, 1000.0), (math.nan, 1.0), (2.0, 1.0)]:
        x, y = Value(args[0]), Value(args[1])
        out = f(x, y)
        out.backward()
        value, grads = fn(*args)
        assert repr((value, grads)) == repr((out.data, (x.grad, y.grad)))
