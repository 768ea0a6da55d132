"""The compiled replay of a long program: its code split into parts of bounded size (each
compiled on its own), with the values that cross parts passed in a list, and each kind of
node's code derived once from the op table. The guarantees of a short program still hold
across part boundaries: the engine's floats bit for bit, errors and guards naming the right
node and line, tracebacks showing the generated line. (Speed is measured in benchmarks/.)"""

import linecache
import math
import re
import traceback

import pytest

import autograd
from autograd import DomainError, Op, Value
from autograd.compiled import GuardError, codegen

np = pytest.importorskip("numpy")


def layers(w, x, depth: int):
    """A chain of tanh layers of width len(x), weights reused: a DAG of about 2·width·depth
    nodes, every weight read by many parts."""
    width = len(x)
    h = x
    for k in range(depth):
        base = (k % 3) * width * width
        h = [autograd.dot(w[base + i * width: base + (i + 1) * width], h).tanh()
             for i in range(width)]
    return autograd.sum(h)


def engine(f, *args, argnums=0):
    vs = [Value(v) for v in args[argnums]]
    call = list(args)
    call[argnums] = vs
    out = f(*call)
    out.backward()
    return out.data, [v.grad for v in vs]


def test_a_long_program_is_split_into_parts_and_replays_the_engines_floats():
    """About 20,000 nodes: over CHUNK_LINES lines, so several functions; still bit-equal."""
    width, depth = 4, 2600
    w = [math.sin(i) * 0.4 for i in range(3 * width * width)]
    x = [math.cos(i) for i in range(width)]

    def f(w, x):
        return layers(w, x, depth)

    fn = autograd.compile(f, w, x)
    assert fn.nodes > 20_000
    parts = re.findall(r"^def (op_part\d+)\(", fn.source, re.M)
    assert len(parts) >= 2 and parts[0] == "op_part0"
    assert all(len(block.splitlines()) <= 2 * codegen.CHUNK_LINES  # its lines, then stores
               for block in re.split(r"^def ", fn.source, flags=re.M)[1:])
    for scale in (1.0, -0.7, 3.0):
        ws = [v * scale for v in w]
        assert fn(ws, x) == engine(f, ws, x)
    batch = np.array([x, [v * 0.5 for v in x], [-v for v in x]])
    values, grads = fn.batch(w, batch, reduce=None)
    for k, row in enumerate(batch.tolist()):
        want = engine(f, w, row)
        assert values[k] == want[0] and grads[k].tolist() == want[1]


@pytest.fixture
def small_parts(monkeypatch):
    """Parts of a few lines, so that a small graph crosses many part boundaries."""
    monkeypatch.setattr(codegen, "CHUNK_LINES", 12)


def deep_log(x):
    h = x
    for k in range(30):
        h = (h * 1.01 + 0.1 * k).tanh() + 1.0  # in (0, 2)
    late = (h * x).log()  # undefined where x <= 0: far past the first parts
    late.label = "late"
    return late * 2.0


def test_errors_name_the_node_and_line_in_a_later_part(small_parts):
    fn = autograd.compile(deep_log, 2.0)
    assert fn.source.count("def op_part") > 5
    lines = fn.source.splitlines()
    with pytest.raises(DomainError, match=r"^log\(.*\) is undefined .*line (\d+) of the code, "
                       r"node late") as err:
        fn(-3.0)
    line = int(re.search(r"line (\d+) of the code", str(err.value)).group(1))
    assert lines[line - 1].lstrip().startswith("late = log(")
    with pytest.raises(DomainError):
        engine(lambda v: deep_log(v[0]), [-3.0])  # as the engine does
    blines = fn.batch_source.splitlines()
    with pytest.raises(DomainError, match=r"log \(node late, line (\d+) of the batched code\) .*"
                       r"example\(s\) 1\b"):
        fn.batch(np.array([2.0, -3.0]), reduce=None)
    values, grads = fn.batch(np.array([2.0, -3.0]), reduce=None, errors="nan")
    assert values[0] == fn(2.0)[0] and math.isnan(values[1]) and math.isnan(grads[1])
    checks = [k for k, text in enumerate(blines, 1) if text.strip().startswith("dom(")]
    assert checks and all(text.rstrip().endswith(f", {k})")
                          for k, text in ((k, blines[k - 1]) for k in checks))


def test_a_guard_in_a_later_part_fires(small_parts):
    def f(x):
        h = x
        for _ in range(25):
            h = h.tanh() * 0.3 + h * 0.9  # keeps the sign of x
        if h > 0.5:  # read late: its check lands in a later part
            return h * 3.0
        return h - 1.0

    fn = autograd.compile(f, 1.0)
    lines = fn.source.splitlines()
    guard_line = next(k for k, text in enumerate(lines) if "guard(0)" in text)
    assert sum(1 for text in lines[:guard_line] if text.startswith("def op_part")) > 3
    value, (grad,) = engine(lambda v: f(v[0]), [1.5])
    assert fn(1.5) == (value, grad)
    with pytest.raises(GuardError, match=r"test_compile_scale.py:\d+ `if h > 0.5:"):
        fn(-30.0)
    with pytest.raises(GuardError, match=r"examples 1"):
        fn.batch(np.array([1.0, -30.0]), reduce=None)


def test_user_ops_of_the_same_name_never_share_code(small_parts):
    """The code of a kind of node is kept per Op object: two Ops named alike, used in the same
    way (same operands, same constants), still each call their own functions."""
    double = Op("f", lambda a: 2.0 * a, lambda a, out: (2.0,))
    triple = Op("f", lambda a: 3.0 * a, lambda a, out: (3.0,))
    assert double == Op("f", double.forward, double.partials)  # equal Ops are not the key

    def g(x):
        return double(x) + triple(x) + double(triple(x))

    fn = autograd.compile(g, 0.5)
    assert fn(0.5) == (0.5 * 2 + 0.5 * 3 + 0.5 * 6, 2.0 + 3.0 + 6.0)
    assert len(set(re.findall(r"= (op_\d+)\(", fn.source))) == 2
    values, grads = fn.batch(np.array([0.5, -1.0]), reduce=None)
    assert values.tolist() == [5.5, -11.0] and grads.tolist() == [11.0, 11.0]


def test_a_traceback_shows_the_generated_line_of_a_later_part(small_parts):
    def boom(a):
        if a > 100.0:
            raise ValueError("too big for this op")
        return a

    big = Op("big", boom, lambda a, out: (1.0,))

    def f(x):
        h = x
        for _ in range(20):
            h = (h * 1.1).tanh() * 100.0 + 1.0
        late = big(h * x)
        late.label = "late"
        return late

    fn = autograd.compile(f, 0.5)
    with pytest.raises(DomainError, match=r"node late") as err:
        fn(2.0)
    line = int(re.search(r"line (\d+) of the code", str(err.value)).group(1))
    assert fn.source.splitlines()[line - 1].lstrip().startswith("late = op_")
    # the generated frame in a traceback reads its own line from linecache
    try:
        fn._fn(2.0, guard=None)
    except ValueError as e:
        frames = [fr for fr in traceback.extract_tb(e.__traceback__)
                  if fr.filename.startswith("<autograd.compile")]
        assert frames[-1].lineno == line and frames[-1].line.startswith("late = op_")
        assert frames[0].name == "f_value_and_grad" and frames[-1].name.startswith("op_part")
        assert linecache.getline(frames[-1].filename, line).strip() == frames[-1].line
    else:
        pytest.fail("the replay should raise")
