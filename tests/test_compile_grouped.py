"""The grouped replay (``fn.batch(..., grouped=True)``): like nodes of a level as one array
operation, a layer's dot nodes one matrix product. The engine's numbers up to summation
order (1e-12 relative on the benchmark graphs), its errors, code that reads as matrices.
Random graphs of every op at edge points: tests/test_compile_properties.py."""

import io
import math
import re
import tokenize

import pytest

import autograd
import nn
from autograd import DomainError, Value
from autograd.compiled import GuardError, compile_graph, grouped, lines
from autograd.roles import Role
from benchmarks.compiled import tanh_mlp_graph
from benchmarks.engines import ALPHA, moons

np = pytest.importorskip("numpy")


@pytest.fixture(autouse=True, params=["compiled", "by statement"])
def program_kind(request, monkeypatch):
    """Every test twice: the grouped code compiled whole, and run a statement at a time (as a
    program past grouped.LONG_PROGRAM lines is)."""
    if request.param == "by statement":
        monkeypatch.setattr(grouped, "LONG_PROGRAM", 0)
    return request.param


def rel(a, b) -> float:
    """Normwise relative difference, max |a − b| / max |b|: summed in another order, an
    entry that nearly cancels has few correct digits of its own, the vector all of them."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def demo():
    X, y = moons(100)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return model, np.array(X, dtype=float), np.array(y, dtype=float)


def engine_demo(model, X, y):
    """The demo objective, interpreted: mean hinge + 1e-4 · L2, and its gradient."""
    params = model.parameters()
    for p in params:
        p.grad = 0.0
    loss = nn.losses.hinge(model.forward_batch(X.tolist()), y.tolist()) + \
        ALPHA * nn.losses.l2_penalty(params)
    loss.backward()
    return loss.data, [p.grad for p in params]


def test_demo_step_grouped_equals_the_engine():
    model, X, y = demo()
    cl = nn.compiled.CompiledLoss(model, "hinge", model.parameters(), l2=ALPHA)
    cl.trace(X[0], y[0])
    w = np.array([p.data for p in model.parameters()])
    value, grads, (out,) = cl.fn.batch(w, X, y, grouped=True)
    want, want_grads = engine_demo(model, X, y)
    assert rel(value, want) < 1e-12
    assert rel(grads, want_grads) < 1e-12
    scores = [s.data for s in model.forward_batch(X.tolist())]
    assert rel(out, scores) < 1e-12


def test_demo_is_three_matrices_and_the_delta_recursion():
    """The issue's picture: 337 scalar weights are three weight matrices and three bias
    vectors, and the reverse sweep is δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾ᵀ δ⁽ˡ⁺¹⁾) ⊙ φ′(z⁽ˡ⁾)."""
    model, X, y = demo()
    cl = nn.compiled.CompiledLoss(model, "hinge", model.parameters())
    cl.trace(X[0], y[0])
    fn = cl.fn
    groups = fn.groups
    assert groups[:5] == [("layers.0.z", "dot", 16), ("layers.0.a", "relu", 16),
                          ("layers.1.z", "dot", 16), ("layers.1.a", "relu", 16),
                          ("layers.2.z", "dot", 1)]
    src = fn.grouped_source
    for line in ("layers_0_W = params[", "layers_0_z = layers_0_W @ x + layers_0_b[:, None]",
                 "layers_1_z = layers_1_W @ layers_0_a + layers_1_b[:, None]",
                 "g_layers_0_a = layers_1_W.T @ g_layers_1_z",
                 "g_layers_1_a = layers_2_W.T @ g_layers_2_z",
                 "+= g_layers_1_z @ layers_0_a.T", "+= g_layers_0_z @ x.T"):
        assert line in src, (line, src)
    assert "16×2 from params" in src and "16×16 from params" in src
    body = [ln for ln in src.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert len(body) < 50  # a few dozen array operations, not one line per node (409 nodes)


@pytest.mark.parametrize("nodes", [300, 2000])
def test_tanh_mlp_graph_grouped_equals_the_engine(nodes):
    f, (w, x) = tanh_mlp_graph(nodes)
    fn = autograd.compile(f, w, x)
    xs = np.array([[math.cos(i * k + 0.3) for i in range(len(x))] for k in range(5)])
    value, grads = fn.batch(w, xs, reduce="sum", grouped=True)
    want_value, want_grads = 0.0, np.zeros(len(w))
    for row in xs:
        ws = [Value(v) for v in w]
        out = f(ws, row.tolist())
        out.backward()
        want_value += out.data
        want_grads += np.array([v.grad for v in ws])
    assert rel(value, want_value) < 1e-12
    assert rel(grads, want_grads) < 1e-12
    assert "@" in fn.grouped_source  # the layers found as matrix products
    # its layers cycle through 4 weight blocks (as an unrolled RNN reuses its W): each block
    # is gathered once, every later layer reads that matrix by name
    gathers = re.findall(r"^    (\w+) = w\[", fn.grouped_source, flags=re.M)
    assert len(gathers) == 4
    layers = nodes // 16  # 8 dots + 8 tanhs each; block 0 at layers 0, 4, 8 … (0 reads x)
    assert len(re.findall(rf"= {gathers[0]} @ tanh", fn.grouped_source)) == (layers - 1) // 4


@pytest.mark.parametrize("activation", list(nn.ACTIVATIONS))
@pytest.mark.parametrize("loss", list(nn.compiled.SUPPORTED))
def test_every_activation_and_loss_through_fit_compiled(activation, loss):
    """fit(compile=True) replays the grouped code: the same run as the interpreted one."""
    X, y = moons(24)
    if loss == "bce_with_logits":
        y = [(t + 1) / 2 for t in y]
    runs = []
    for compiled in (False, True):
        model = nn.MLP(2, [5, 4, 1], activation=activation, seed=3)
        hist = nn.fit(model, X, y, loss=loss, optimizer=nn.optim.SGD(model.parameters(),
                      lr=0.05), epochs=3, batch_size=8, l2=1e-3, compile=compiled,
                      progress=False, seed=1)
        runs.append((hist.loss, [p.data for p in model.parameters()]))
    assert rel(runs[0][0], runs[1][0]) < 1e-10
    assert rel(runs[0][1], runs[1][1]) < 1e-10


def test_reductions_and_per_example_gradients_agree_with_the_batch_per_node():
    f, (w, x) = tanh_mlp_graph(200)
    fn = autograd.compile(f, w, x, argnums=(0, 1))
    xs = np.array([[math.sin(i + k) for i in range(len(x))] for k in range(4)])
    for reduce in ("mean", "sum", None):
        v1, g1 = fn.batch(w, xs, reduce=reduce)
        v2, g2 = fn.batch(w, xs, reduce=reduce, grouped=True)
        assert rel(v1, v2) < 1e-12
        assert all(rel(a, b) < 1e-12 and np.shape(a) == np.shape(b) for a, b in zip(g1, g2))


def test_repeated_reads_are_added_not_overwritten():
    """Members reading one parameter twice (w₀·w₀ + w₀·x): the scatter adds every share."""
    def f(w, x):
        return autograd.sum([autograd.dot([w[0], w[0], w[i]], [w[0], x[i], x[0]])
                             for i in range(3)])

    fn = autograd.compile(f, [0.5, -1.0, 2.0], [1.0, 2.0, 3.0])
    xs = np.array([[1.0, 2.0, 3.0], [0.5, -0.5, 4.0]])
    v, g = fn.batch([0.5, -1.0, 2.0], xs, reduce="sum", grouped=True)
    v2, g2 = fn.batch([0.5, -1.0, 2.0], xs, reduce="sum")
    assert rel(v, v2) < 1e-12 and rel(g, g2) < 1e-12


def test_a_domain_error_in_a_group_names_the_examples():
    def f(w, x):
        return autograd.sum([(w[i] * x[i]).log() for i in range(4)])

    fn = autograd.compile(f, [1.0] * 4, [1.0] * 4)
    xs = np.ones((5, 4))
    xs[3, 2] = -1.0
    with pytest.raises(DomainError, match=r"log .*example\(s\) 3\b"):
        fn.batch([1.0] * 4, xs, grouped=True)
    v, g = fn.batch([1.0] * 4, xs, reduce=None, errors="nan", grouped=True)
    assert np.isnan(v[3]) and not np.isnan(v[[0, 1, 2, 4]]).any()
    assert np.isnan(g[3]).all() and not np.isnan(g[0]).any()


def test_a_guard_fails_in_the_grouped_replay_with_the_examples():
    def f(w, x):
        h = w[0] * x[0]
        return h * 2 if h.data > 0 else h * 3

    fn = autograd.compile(f, [1.0], [1.0])
    with pytest.raises(GuardError, match=r"examples 1"):
        fn.batch([1.0], np.array([[1.0], [-1.0]]), grouped=True)


def test_role_and_label_text_never_becomes_code():
    """Names come from roles (told by nn) and labels: only sanitised identifiers and comments
    reach the code, whatever the text."""
    evil = 'x\n"); __import__("os").system("echo pwned") #\u2028'
    w = [Value(0.1 * k, label=evil) for k in range(6)]
    for k, v in enumerate(w):
        v.role = Role("w", evil, 0, k // 2, k % 2, parent=evil)
    xs = [Value(1.0, label=evil), Value(2.0, label=evil)]
    zs = [autograd.dot(w[2 * j:2 * j + 2], xs) for j in range(3)]
    for z in zs:
        z.label = evil
        z.role = Role("z", evil, 0, 0, parent=evil)
    loss = autograd.sum([z.tanh() for z in zs])
    fn = compile_graph(loss, {"w": w, "x": xs})
    v, g = fn.batch([0.1 * k for k in range(6)], np.ones((2, 2)), grouped=True)
    src = fn.grouped_source
    assert "\u2028" not in src and '"' not in src.split('"""')[2]  # no quote past the docstring
    tokens = list(tokenize.generate_tokens(io.StringIO(src).readline))
    names = {t.string for t in tokens if t.type == tokenize.NAME}
    assert not names & {"os", "system", "__import__", "echo", "pwned"}  # parts of names only
    strings = [t.string for t in tokens if t.type == tokenize.STRING]
    assert all("pwned" not in s for s in strings)
    assert rel(v, math.tanh(0.1) + math.tanh(0.2 + 0.3) + math.tanh(0.4 + 0.5)) < 1e-12


def test_no_batched_argument_is_refused_as_by_batch():
    fn = autograd.compile(lambda w, x: w[0] * x[0], [1.0], [2.0])
    with pytest.raises(ValueError, match="leading batch axis"):
        fn.batch([1.0], [2.0], grouped=True)
    with pytest.raises(ValueError, match="empty batch"):
        fn.batch([1.0], np.zeros((0, 1)), grouped=True)


def test_a_long_grouped_program_runs_by_statement_with_the_same_numbers_and_errors(
        monkeypatch):
    """Past grouped.LONG_PROGRAM lines the grouped code is not compiled whole but run a
    statement at a time (lines.Program), each shape of statement compiled once: bit for bit
    the compiled result, and an error late in the program names its examples and its line."""
    f, (w, x) = tanh_mlp_graph(1500)

    def g(w, x):
        return f(w, x) + (x[1] + 0.0 * f(w, x)).log()  # a late node: log of cos(k), < 0 at times

    xs = np.array([[math.cos(i * k) for i in range(len(x))] for k in range(1, 7)])
    whole = autograd.compile(g, w, x)
    want = whole.batch(w, xs, reduce=None, errors="nan", grouped=True)
    monkeypatch.setattr(grouped, "LONG_PROGRAM", 120)
    long = autograd.compile(g, w, x)
    got = long.batch(w, xs, reduce=None, errors="nan", grouped=True)
    assert np.array_equal(want[0], got[0], equal_nan=True)
    assert np.array_equal(want[1], got[1], equal_nan=True)
    bad = np.flatnonzero(np.isnan(got[0]))
    assert 0 < len(bad) < len(xs)  # some examples take the log of a number ≤ 0
    with pytest.raises(DomainError, match=r"log \(node .*, line (\d+) of the batched code\)") \
            as err:
        long.batch(w, xs, grouped=True)
    assert f"example(s) {', '.join(map(str, bad))}" in str(err.value)
    line = int(re.search(r"line (\d+)", str(err.value)).group(1))
    text = long.grouped_source.splitlines()
    assert len(text) > 3 * 120 and text[line - 1].lstrip().startswith("dom(")
    run = long._grouped_code((False, True)).fn
    assert isinstance(run, lines.Program)  # it did run by statement
    assert len(run.steps) > 200 and len(run.shapes) < 25  # 190 layers: a few shapes


def test_a_statement_keeps_its_names_and_numbers_and_a_failing_one_names_its_line():
    """lines.Program on a small hand-written function: variables and numbers become holes;
    strings, attributes, keyword names and the namespace's functions stay; a statement that
    raises tells the line it was on."""
    text = ["def f(a, b, seed=1.0):", '    """doc"""', "    # a comment line",
            "    c = a[1:3].reshape(2, 1) * 2.5  # trailing comment: a 4 and b",
            "    d = einsum('ki,i->k', c, b[0:1]) + seed",
            "    e = d.sum(axis=0) + empty.size",
            "    c2 = bad(d)",
            "    return e, d"]

    def bad(d):
        raise ValueError("no")

    ns = {"einsum": np.einsum, "empty": np.zeros(3), "bad": bad}
    prog = lines.Program(text, 2, {"a": None, "b": None, "seed": 1.0}, ns, "<test>")
    assert list(prog.shapes)[:2] == ["L[a0] = L[a1][a2:a3].reshape(a4, a5) * a6",
                                     "L[a0] = einsum('ki,i->k', L[a1], L[a2][a3:a4]) + L[a5]"]
    assert "L[a0] = L[a1].sum(axis=a2) + L[a3].size" in prog.shapes
    with pytest.raises(ValueError, match="no") as err:
        prog(np.arange(4.0), np.ones(1), seed=2.0)
    assert err.value.compiled_line == 7
    ns["bad"] = lambda d: d
    prog = lines.Program(text, 2, {"a": None, "b": None, "seed": 1.0}, ns, "<test>")
    e, d = prog(np.arange(4.0), np.ones(1))
    c = np.arange(4.0)[1:3].reshape(2, 1) * 2.5
    assert np.array_equal(d, c @ np.ones(1) + 1.0) and e == d.sum() + 3


def test_statements_of_one_shape_share_code_but_not_their_strings_or_names():
    """Two statements alike but for their digits share one compiled shape; a string is part of
    the shape (so 'a1' and 'a2' are not confused), and a name that is the namespace's in one
    statement and a variable in another is not either."""
    text = ["def f(x, seed=1.0):", '    """doc"""',
            "    t1 = tag('a1', x)", "    t2 = tag('a2', x)",
            "    u1 = x * 2", "    u22 = x * 3",
            "    tag1 = tag(u1, 1)", "    tag2 = tag1(u1, 2)",
            "    return t1, t2, u1, u22, tag1, tag2"]
    ns = {"tag": lambda s, x: (s, x)}
    with pytest.raises(TypeError) as err:  # tag1 is a variable (a tuple): line 8 calls it
        lines.Program(text, 2, {"x": None, "seed": 1.0}, ns, "<test>")(5)
    assert err.value.compiled_line == 8
    text[7] = "    tag2 = tag(tag1, 2)"
    prog = lines.Program(text, 2, {"x": None, "seed": 1.0}, ns, "<test>")
    assert prog(5) == (("a1", 5), ("a2", 5), 10, 15, (10, 1), ((10, 1), 2))
    assert "L[a0] = L[a1] * a2" in prog.shapes and len(prog.shapes) == 5


def test_constants_keep_their_trace_time_data_whenever_the_code_is_written():
    """The float and grouped code are written when first used; a Value f used without taking
    it as an argument is still the constant it was when traced (notebook 9, section 3)."""
    k = Value(2.0, "k")
    fn = autograd.compile(lambda x: x * k, 1.0)
    k.data = 5.0
    assert fn(1.0)[0] == 2.0
    values, _ = fn.batch(np.array([1.0, 3.0]), reduce=None, grouped=True)
    assert values.tolist() == [2.0, 6.0]


UNARY = ["tanh", "relu", "sigmoid", "abs", "sin", "softplus", "exp", "log", "sqrt",
         "leaky_relu"]


def random_network(rng):
    """f(w, x): layers of units, each a dot of the previous layer (with or without a bias)
    or one of its units plus w · (their sum), then a unary op of the table, all units of a
    layer alike (so they group); at the end a sum or a logsumexp. Returns (f, number of weights, the
    number of groups it has: one per op of each layer, one for the end)."""
    widths = [rng.randint(1, 4) for _ in range(rng.randint(1, 4))]
    plan, n_w, prev = [], 0, 3
    for width in widths:
        kind = rng.choice(["dot", "dot_bias", "pair"])
        act = rng.choice(UNARY)
        offsets = []
        for _ in range(width):
            offsets.append(n_w)
            n_w += prev + (kind == "dot_bias")
        plan.append((kind, act, offsets, width))
        prev = width
    last = rng.choice(["sum", "logsumexp"])

    def f(w, x):
        h = list(x)
        for kind, act, offsets, _width in plan:
            units = []
            total = autograd.sum(h) if kind == "pair" else None  # every unit below used
            for j, o in enumerate(offsets):
                if kind == "pair":
                    z = h[j % len(h)] + total * w[o]
                else:
                    z = autograd.dot(w[o:o + len(h)], h,
                                     w[o + len(h)] if kind == "dot_bias" else None)
                units.append(getattr(z, act)())
            h = units
        return autograd.sum(h) if last == "sum" else autograd.logsumexp(h)

    return f, n_w, sum(4 if kind == "pair" else 2 for kind, *_ in plan) + 1


def engine_row(f, w, row):
    ws = [Value(v) for v in w]
    try:
        out = f(ws, list(row))
        out.backward()
    except DomainError:
        return None
    return out.data, [v.grad for v in ws]


def close(a, b) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)


@pytest.mark.parametrize("seed", range(40))
def test_random_layered_networks_group_and_agree_with_the_engine(seed):
    """Networks whose layers group (dots as matrix products, activations of every kind), at
    ordinary and edge inputs: each example's value and gradient as the engine's (up to
    summation order), and NaN with errors="nan" exactly where the engine raises."""
    import random

    rng = random.Random(seed)
    while True:  # a network that is defined at the trace point (log, sqrt may not be)
        f, n_w, layers_groups = random_network(rng)
        w = [rng.uniform(-1, 1) for _ in range(n_w)]
        if engine_row(f, w, [0.5, 0.25, 0.75]) is not None:
            break
    xs = np.array([[rng.choice([rng.uniform(-2, 2), 0.0, -0.0, 1e308, math.nan, 710.0])
                    if k % 3 == 2 else rng.uniform(-2, 2) for _ in range(3)] for k in range(9)])
    fn = autograd.compile(f, w, [0.5, 0.25, 0.75])
    values, grads = fn.batch(w, xs, reduce=None, errors="nan", grouped=True)
    assert len(fn.groups) == layers_groups  # each layer's units one group per op
    for k, row in enumerate(xs):
        want = engine_row(f, w, row)
        if want is None:
            assert math.isnan(values[k]) and np.isnan(grads[k]).all(), (seed, row)
            continue
        assert close(values[k], want[0]), (seed, row, values[k], want[0], fn.grouped_source)
        scale = max([abs(g) for g in want[1] if math.isfinite(g)] + [1e-300])
        for g, e in zip(grads[k], want[1]):
            assert g == e or (math.isnan(g) and math.isnan(e)) or abs(g - e) <= 1e-12 * scale, \
                (seed, row, g, e, fn.grouped_source)
