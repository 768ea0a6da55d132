"""Pictures of the graph: DOT source, rendered SVG, paths, clusters, collapsing, missing dot."""

from __future__ import annotations

import math
import random
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest
from draw_graphs import lecture_nodes
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, dot
from autograd.draw import (
    INSTALL_HINT,
    DotNotFound,
    GraphPicture,
    count_paths,
    draw_dot,
    fmt_count,
    grad_color,
    save,
)
from autograd.draw.layout import Layout
from autograd.draw.options import DrawOptions

HAVE_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
SVG = "{http://www.w3.org/2000/svg}"


# --- helpers ------------------------------------------------------------------------------------
def lecture():
    """micrograd's lecture example L = (a*b + c) * f, before backward: (L, nodes by label)."""
    nodes = lecture_nodes()
    return nodes["L"], nodes


def parse_dot(source: str):
    """Nodes {name: (attrs text, cluster stack)} and edges [(a, b, attrs)] of dot source."""
    nodes, edges, stack = {}, [], []
    for raw in source.splitlines():
        line = raw.strip()
        m = re.match(r"subgraph (\S+) \{$", line)
        if m:
            stack.append(m.group(1).strip('"'))
            continue
        if line == "}":
            if stack:
                stack.pop()
            continue
        m = re.match(r'("?[\w.]+"?) -> ("?[\w.]+"?)(?: \[(.*)\])?$', line)
        if m:
            edges.append((m.group(1).strip('"'), m.group(2).strip('"'), m.group(3) or ""))
            continue
        m = re.match(r"(\w+) \[(.*)\]$", line)
        if m and m.group(1) not in ("node", "edge", "graph"):
            nodes[m.group(1)] = (m.group(2), tuple(stack))
    return nodes, edges


def value_nodes(nodes):
    return {k: v for k, v in nodes.items() if re.fullmatch(r"v\d+", k)}


def label_of(nodes, name):
    return nodes[name][0]


def name_of(nodes, label):
    """Id of the value node whose first cell is the bold ``label``."""
    hits = [k for k, (attrs, _) in nodes.items() if f"<B>{label}</B>" in attrs]
    assert len(hits) == 1, (label, hits)
    return hits[0]


def mlp_graph(nin=2, sizes=(16, 16, 1), seed=0):
    """An MLP built from plain Values with nn's labels (layers.i.neurons.j.w k / b / z / out)."""
    rng = random.Random(seed)
    h = [Value(rng.uniform(-1, 1), f"x{i}") for i in range(nin)]
    for li, n in enumerate(sizes):
        outs = []
        for j in range(n):
            prefix = f"layers.{li}.neurons.{j}"
            ws = [Value(rng.uniform(-1, 1), f"{prefix}.w{k}") for k in range(len(h))]
            b = Value(0.0, f"{prefix}.b")
            z = dot(ws, h, b)
            z.label = f"{prefix}.z"
            out = z.tanh() if li < len(sizes) - 1 else z
            out.label = f"{prefix}.out"
            outs.append(out)
        h = outs
    loss = (h[0] - 1.0) ** 2
    loss.label = "loss"
    return loss


def n_drawn(source: str) -> int:
    nodes, _ = parse_dot(source)
    return len([k for k in nodes if k != "legend"])


# --- DOT source ---------------------------------------------------------------------------------
def test_nodes_ops_and_edges_before_backward():
    L, v = lecture()
    nodes, edges = parse_dot(draw_dot(L).source)
    assert len(value_nodes(nodes)) == 7
    ops = [re.match(r'label="(.)"', label_of(nodes, k)).group(1) for k in nodes if k.endswith("op")]
    assert sorted(ops) == sorted(["×", "+", "×"])
    a, e, L_ = name_of(nodes, "a"), name_of(nodes, "e"), name_of(nodes, "L")
    assert "data 2<" in label_of(nodes, a) and "data -6<" in label_of(nodes, e)
    # no backward yet: every gradient is "–" in grey, never a misleading 0
    for attrs, _ in value_nodes(nodes).values():
        assert "grad –" in attrs and "grad 0" not in attrs
    # operand -> op -> result
    assert (a, f"{e}op", "") in edges
    assert (f"{e}op", e, "") in edges
    assert (f"{L_}op", L_, "") in edges
    assert len(edges) == 3 + 6  # op -> result, and one edge per operand


def test_grads_after_backward_and_modes():
    L, v = lecture()
    assert "grad –" in draw_dot(L, grads="auto").source
    assert "grad 0<" in draw_dot(L, grads=True).source  # forced: the raw .grad
    L.backward()
    nodes, _ = parse_dot(draw_dot(L).source)
    expected = {"a": "6", "b": "-4", "c": "-2", "d": "-2", "e": "-2", "f": "4", "L": "1"}
    for name, g in expected.items():
        assert f"grad {g}<" in label_of(nodes, name_of(nodes, name)), name
    hidden = draw_dot(L, grads=False).source
    assert "grad 6<" not in hidden and hidden.count("grad –") == 7
    with pytest.raises(ValueError):
        draw_dot(L, grads="yes")


def test_tooltip_has_full_precision_and_label_four_digits():
    x = Value(1.0, "x") / 3.0
    x.label = "third"
    src = draw_dot(x).source
    assert repr(1 / 3) in src  # 0.3333333333333333 in the tooltip
    assert "data 0.3333<" in src


def test_ids_are_a_counter_and_stable():
    src1 = draw_dot(lecture()[0], edge_labels="local").source
    src2 = draw_dot(lecture()[0], edge_labels="local").source  # new objects, same graph
    assert src1 == src2
    nodes, edges = parse_dot(src1)
    for name in list(nodes) + [x for e in edges for x in e[:2]]:
        assert re.fullmatch(r"v\d+(op|c\d+)?|s\d+|legend", name), name
    assert sorted(value_nodes(nodes)) == [f"v{i}" for i in range(7)]


def test_ids_follow_topological_order():
    L, _ = lecture()
    order = autograd.topological_order(L)
    nodes, _ = parse_dot(draw_dot(L).source)
    for i, node in enumerate(order):
        assert f"<B>{node.label}</B>" in label_of(nodes, f"v{i}")


def test_edge_labels_local_are_the_op_table_partials():
    L, v = lecture()
    nodes, edges = parse_dot(draw_dot(L, edge_labels="local").source)
    by_edge = {(a, b): attrs for a, b, attrs in edges}
    e, a, b = name_of(nodes, "e"), name_of(nodes, "a"), name_of(nodes, "b")
    assert autograd.local_derivatives(v["e"]) == (-3.0, 2.0)
    assert "label=-3 " in by_edge[(a, f"{e}op")]  # ∂e/∂a = b
    assert "label=2 " in by_edge[(b, f"{e}op")]
    assert "∂e/∂a = -3.0" in by_edge[(a, f"{e}op")]


def test_edge_labels_product_add_up_to_the_gradient():
    x = Value(3.0, "x")
    y = x * x + x  # x used three times: 2x + 1 = 7
    y.label = "y"
    y.backward()
    src = draw_dot(y, edge_labels="product").source
    nodes, edges = parse_dot(src)
    xid = name_of(nodes, "x")
    shares = [float(re.search(r"=([-\d.e+]+)\"", attrs).group(1))
              for a, _, attrs in edges if a == xid]
    assert len(shares) == 3 and sum(shares) == pytest.approx(x.grad) == pytest.approx(7.0)
    assert "1×3\\n=3" in src  # upstream 1 × local 3
    # without a backward, products come from a sweep that leaves .grad alone
    z = Value(2.0, "z") * Value(5.0, "w")
    src = draw_dot(z, edge_labels="product").source
    assert "1×5\\n=5" in src and "grad –" in src and z.grad == 0.0


def test_constants_shown_or_hidden():
    x = Value(2.0, "x")
    y = x * 3.0 + 1.5
    src = draw_dot(y).source
    # constants are written inside their op, not floating nodes of their own
    assert 'v1op [label="× 3"' in src and 'v2op [label="+ 1.5"' in src
    assert "v1c1" not in src
    hidden = draw_dot(y, show_constants=False).source
    assert 'v1op [label="×"' in hidden and "1.5" not in hidden.split("tooltip")[0]


def test_operand_slots_for_sub_div_pow_and_dot():
    a, b = Value(3.0, "a"), Value(5.0, "b")
    nodes, edges = parse_dot(draw_dot(a - b).source)
    slots = {tail: re.search(r"headlabel=(\w+)", attrs).group(1) for tail, _, attrs in edges
             if "headlabel" in attrs}
    assert slots == {name_of(nodes, "a"): "a", name_of(nodes, "b"): "b"}
    swapped = parse_dot(draw_dot(b - a).source)
    slots = {t: re.search(r"headlabel=(\w+)", x).group(1) for t, _, x in swapped[1]
             if "headlabel" in x}
    assert slots == {name_of(swapped[0], "b"): "a", name_of(swapped[0], "a"): "b"}
    assert 'label="1 − b"' in draw_dot(1.0 - a).source  # the constant in slot a, a in b
    assert 'label="a ÷ 2"' in draw_dot(a / 2.0).source
    assert 'label="a^2"' in draw_dot(a ** 2.0).source
    z = dot([a, b], [0.5, -1.0], Value(0.1, "bias"))
    src = draw_dot(z).source
    assert "w·x + b\\nx = (0.5, -1)" in src  # w0 pairs with x0 = 0.5, w1 with x1 = -1
    assert "headlabel=w0" in src and "headlabel=w1" in src and "headlabel=b" in src


def test_bad_options_raise():
    L, _ = lecture()
    with pytest.raises(ValueError):
        draw_dot(L, edge_labels="global")
    with pytest.raises(TypeError):
        draw_dot(3.0)
    with pytest.raises(ValueError):
        draw_dot(L, highlight=Value(1.0))


# --- highlight and path counts ------------------------------------------------------------------
def test_highlight_paths_and_caption():
    x = Value(1.5, "x")
    y = x * 2.0
    z = x.tanh()
    w = (y + z) * x  # three paths from x to w
    w.label = "w"
    w.backward()
    assert count_paths(x, w) == 3
    src = draw_dot(w, highlight=x).source
    assert "3 paths from x to w" in src
    order = autograd.topological_order(w)
    nodes_n = len(order)
    edges_n = sum(len(n.parents) for n in order)
    assert f"{nodes_n} node visits, {edges_n} edge products" in src
    nodes, edges = parse_dot(src)
    lit = [k for k, (attrs, _) in nodes.items() if "#ff7f00" in attrs]
    assert len([k for k in lit if not k.endswith("op")]) == nodes_n  # every node is on a path
    # highlighting y: only y, the sum and w are on its paths
    nodes, edges = parse_dot(draw_dot(w, highlight=y).source)
    lit_values = {k for k in value_nodes(nodes) if "#ff7f00" in nodes[k][0]}
    assert len(lit_values) == 3
    assert "<B>x</B>" not in "".join(nodes[k][0] for k in lit_values)
    lit_ops = {k for k, (attrs, _) in nodes.items() if k.endswith("op") and "#ff7f00" in attrs}
    assert len(lit_ops) == 2  # the sum's and w's; y's own op (x · 2) is not on y's paths
    assert "1 path from v" in draw_dot(w, highlight=y).source  # unlabelled: named by its id
    assert "3 paths from x" in draw_dot(w, highlight="x").source  # by label


def brute_force_paths(source, node):
    if node is source:
        return 1
    return sum(brute_force_paths(source, p) for p in node.parents)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_count_paths_matches_enumeration(data):
    n = data.draw(st.integers(2, 9))
    nodes = [Value(float(i), f"n{i}") for i in range(2)]
    for _ in range(n):
        k = data.draw(st.integers(1, 3))
        ops = data.draw(st.lists(st.integers(0, len(nodes) - 1), min_size=k, max_size=k))
        nodes.append(autograd.sum([nodes[j] for j in ops]))  # repeats allowed: multigraph
    root = nodes[-1]
    for source in nodes:
        assert count_paths(source, root) == brute_force_paths(source, root)


def test_count_paths_is_exact_on_exponential_graphs():
    x = Value(1.0, "x")
    y = x
    for _ in range(300):
        y = y * y  # two edges per step: 2^300 paths, one multiplication each in the sweep
    assert count_paths(x, y) == 2**300
    assert fmt_count(2**300) == "≈10^90"
    assert fmt_count(2**100000).startswith("≈10^30102")  # no int->str limit error
    assert "≈10^90" in draw_dot(y, highlight=x, max_nodes=20).source


# --- clusters -----------------------------------------------------------------------------------
def test_clusters_from_dotted_labels():
    w0, w1 = Value(0.5, "layers.0.neurons.3.w0"), Value(-1.0, "layers.0.neurons.3.w1")
    b = Value(0.1, "layers.0.neurons.3.b")
    x0, x1 = Value(1.0, "x0"), Value(2.0, "x1")
    z = w0 * x0 + w1 * x1 + b  # unlabelled products and sums inside the neuron
    z.label = "layers.0.neurons.3.z"
    out = z.tanh()
    out.label = "layers.0.neurons.3.out"
    v = Value(0.3, "layers.0.neurons.4.w0")
    other = v * x0
    other.label = "layers.0.neurons.4.out"
    loss = out + other
    nodes, _ = parse_dot(draw_dot(loss).source)
    where = {re.search(r"label='([^']*)'", a).group(1) if "label='" in a else k: c
             for k, (a, c) in nodes.items() if re.fullmatch(r"v\d+", k)}
    neuron3 = ("cluster_layers.0", "cluster_layers.0.neurons.3")
    for name in ("layers.0.neurons.3.w0", "layers.0.neurons.3.b", "layers.0.neurons.3.out"):
        assert where[name] == neuron3
    assert where["layers.0.neurons.4.w0"] == ("cluster_layers.0", "cluster_layers.0.neurons.4")
    assert where["x0"] == () and where["x1"] == ()  # labelled inputs stay outside
    # the unlabelled w*x products and partial sums join neuron 3; the root stays outside
    unlabelled = [c for k, c in where.items() if k.startswith("v")]
    assert unlabelled.count(neuron3) == 3 and unlabelled.count(()) == 1  # w0x0, w1x1, their sum
    # op nodes sit with their result
    z_id = name_of(nodes, "z")  # inside its neuron's cluster the prefix is dropped
    assert "label='layers.0.neurons.3.z'" in nodes[z_id][0]  # the full name is in the tooltip
    assert nodes[f"{z_id}op"][1] == neuron3
    assert "cluster" not in draw_dot(loss, clusters=False).source
    # edges are all written at the top level, after the clusters, so that an edge can never
    # pull a node of one cluster into another
    depth = 0
    for line in draw_dot(loss).source.splitlines():
        depth += line.count("{") - line.count("}")
        if "->" in line:
            assert depth == 1, line


def test_clusters_sort_naturally():
    outs = []
    for li in (10, 2, 1):
        w = Value(1.0, f"layers.{li}.neurons.0.w0")
        o = w * 2.0
        o.label = f"layers.{li}.neurons.0.out"
        outs.append(o)
    src = draw_dot(autograd.sum(outs)).source
    starts = [src.index(f'subgraph "cluster_layers.{li}" ') for li in (1, 2, 10)]
    assert starts == sorted(starts)


def test_unlabelled_node_shared_by_two_neurons_goes_up_to_the_layer():
    x = Value(1.0, "x")
    shared = x * 2.0  # unlabelled, used by two neurons of layer 1
    a = shared * Value(1.0, "layers.1.neurons.0.w0")
    a.label = "layers.1.neurons.0.out"
    b = shared * Value(1.0, "layers.1.neurons.1.w0")
    b.label = "layers.1.neurons.1.out"
    nodes, _ = parse_dot(draw_dot(a + b).source)
    assert nodes["v1"][1] == ("cluster_layers.1",)  # v0 = x, v1 = shared


# --- collapsing ---------------------------------------------------------------------------------
def test_mlp_folds_neurons_then_layers():
    loss = mlp_graph()
    loss.backward()
    full = draw_dot(loss, max_nodes=None).source
    assert n_drawn(full) > 450
    # folding to at most 200 nodes folds each neuron into one summary (its full name and size)
    layout = Layout(loss, DrawOptions(color_by_grad=True, max_nodes=200))
    members = {key[1]: len(nodes) for key, nodes in layout.unit_members.items()}
    assert len(members) == 33  # one per neuron
    assert members["layers.1.neurons.7"] == 19 and members["layers.0.neurons.0"] == 5
    # max_nodes is an upper bound: 33 neuron boxes (256 edges between them) are too wide for
    # a notebook column, so draw_dot folds on (to layers) until the picture fits
    readable = draw_dot(loss, max_nodes=200, color_by_grad=True).source
    assert n_drawn(readable) <= 200 and "layers.1<BR/>304 nodes" in readable
    # at 60 nodes the 256 neuron-to-neuron edges would exceed 2 × 60: layers fold instead
    assert "layers.1<BR/>304 nodes" in draw_dot(loss, max_nodes=60).source
    tiny = draw_dot(loss, max_nodes=10).source
    assert n_drawn(tiny) <= 10
    assert "layers.1<BR/>304 nodes" in tiny and "×256" in tiny


def test_chain_of_1e5_nodes_collapses_without_recursion():
    x = Value(0.5, "x")
    y = x
    for i in range(67_000):
        y = y.tanh() if i % 2 else y * 0.999 + 0.001
    y.label = "y"
    n = len(autograd.topological_order(y))
    assert n > 100_000
    y.backward()
    limit = sys.getrecursionlimit()
    depth = len(__import__("inspect").stack(0))
    sys.setrecursionlimit(depth + 120)  # far below the graph's depth
    try:
        g = draw_dot(y, max_nodes=20, highlight=x, color_by_grad=True)
    finally:
        sys.setrecursionlimit(limit)
    src = g.source
    assert n_drawn(src) <= 20
    assert f"… {n - 2} nodes" in src
    assert "1 path from x to y" in src
    if HAVE_DOT:
        root = ET.fromstring(g.pipe(format="svg"))
        assert len(root.findall(f".//{SVG}g[@class='node']")) <= 21


def test_band_fallback_keeps_the_limit():
    x = Value(1.0, "x")
    ws = [Value(0.5, f"w{i}") for i in range(200)]
    y = x
    for w in ws:
        y = y * w  # every node has two Value operands: no chain to fold
    src = draw_dot(y, max_nodes=25).source
    assert n_drawn(src) <= 25


# --- colour by gradient -------------------------------------------------------------------------
def test_color_by_grad_sign_and_legend():
    assert grad_color(1.0) != grad_color(-1.0)
    blue, red = grad_color(100.0), grad_color(-100.0)
    assert int(blue[5:7], 16) > int(blue[1:3], 16)  # more blue than red
    assert int(red[1:3], 16) > int(red[5:7], 16)
    assert grad_color(0.0) == "#f7f7f7" != grad_color(1e-9)  # tiny but nonzero: visible
    L, v = lecture()
    L.backward()
    src = draw_dot(L, color_by_grad=True).source
    nodes, _ = parse_dot(src)
    # the scale is fitted to this picture: |grad| from 1 to 6, shown in the legend
    assert "legend" in nodes and "log |·| from 1 to 6 (this picture)" in nodes["legend"][0]
    scale = (0.0, math.log10(6.0))
    assert f'fillcolor="{grad_color(6.0, scale)}"' in nodes[name_of(nodes, "a")][0]
    assert f'fillcolor="{grad_color(-4.0, scale)}"' in nodes[name_of(nodes, "b")][0]
    assert grad_color(6.0, scale) != grad_color(2.0, scale)  # no longer the same blue
    assert "legend" not in draw_dot(L).source


# --- rendered SVG ---------------------------------------------------------------------------------
@needs_dot
def test_rendered_svg_has_the_nodes_and_labels():
    L, _ = lecture()
    L.backward()
    g = draw_dot(L, edge_labels="local")
    root = ET.fromstring(g.pipe(format="svg"))
    titles = {}
    for node in root.iter(f"{SVG}g"):
        if node.get("class") == "node":
            text = " ".join(t.text or "" for t in node.iter(f"{SVG}text"))
            titles[node.find(f"{SVG}title").text] = text
    assert {f"v{i}" for i in range(7)} <= set(titles)
    assert titles["v0"].split() == ["a", "data", "2", "grad", "6"]
    assert titles["v2op"] == "×"
    edges = [e for e in root.iter(f"{SVG}g") if e.get("class") == "edge"]
    assert len(edges) == 9
    edge_text = {e.find(f"{SVG}title").text: " ".join(t.text for t in e.iter(f"{SVG}text"))
                 for e in edges}
    assert edge_text["v0->v2op"] == "-3"
    # the same graph built again gives byte-identical SVG
    L2, _ = lecture()
    L2.backward()
    assert draw_dot(L2, edge_labels="local").pipe(format="svg") == g.pipe(format="svg")


@needs_dot
def test_display_and_save_with_dot(tmp_path):
    L, _ = lecture()
    g = draw_dot(L)
    assert isinstance(g, GraphPicture) and isinstance(g, graphviz.Digraph)
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    for fmt in ("svg", "png", "pdf"):
        out = save(g, tmp_path / f"g.{fmt}")
        assert (tmp_path / f"g.{fmt}").stat().st_size > 100
        assert out.endswith(fmt)
    assert (tmp_path / "g.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "g.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.pdf", "g.png", "g.svg"]
    rendered = g.render(tmp_path / "r", format="svg")
    assert rendered.endswith("r.svg") and (tmp_path / "r.svg").read_bytes().startswith(b"<?xml")
    assert repr(g) == "<GraphPicture of 7 values, 0 summaries>"  # no address: notebooks diff


# --- without dot ----------------------------------------------------------------------------------
@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """Point the graphviz package at a `dot` that does not exist."""
    monkeypatch.setattr(graphviz.backend.dot_command, "DOT_BINARY", tmp_path / "missing" / "dot")


def test_building_source_never_needs_dot(no_dot):
    L, _ = lecture()
    assert "digraph" in draw_dot(L, edge_labels="local", color_by_grad=True).source


def test_display_without_dot_shows_source_and_install(no_dot):
    L, _ = lecture()
    g = draw_dot(L)
    bundle = g._repr_mimebundle_()  # what Jupyter calls: must not raise
    assert "image/svg+xml" not in bundle
    assert "sudo apt-get install graphviz" in bundle["text/plain"]
    assert "brew install graphviz" in bundle["text/plain"]
    assert "conda install -c conda-forge graphviz" in bundle["text/plain"]
    assert g.source in bundle["text/plain"]
    assert "digraph dagrad" in bundle["text/html"] and "&lt;" in bundle["text/html"]
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(g)  # IPython's own display machinery
    assert "apt-get install graphviz" in data["text/html"]


def test_save_without_dot_raises_executable_not_found_and_writes_nothing(no_dot, tmp_path):
    L, _ = lecture()
    g = draw_dot(L)
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(graphviz.ExecutableNotFound) as err:
            save(g, out / f"g.{fmt}")
        assert isinstance(err.value, DotNotFound)
        assert "sudo apt-get install graphviz" in str(err.value)
    with pytest.raises(DotNotFound, match="brew install graphviz"):
        g.render(out / "g", format="svg")
    with pytest.raises(DotNotFound):
        g.pipe(format="svg")
    assert list(out.iterdir()) == []  # nothing half-done
    assert save(g, out / "g.gv").endswith("g.gv")  # DOT source needs no dot
    assert (out / "g.gv").read_text() == g.source
    assert INSTALL_HINT in str(DotNotFound("dot"))


def test_committed_readme_picture():
    """docs/graph.svg (made by docs/make_pictures.py) shows values, grads and local derivatives."""
    import pathlib

    path = pathlib.Path(__file__).parent.parent / "docs" / "graph.svg"
    root = ET.parse(path).getroot()
    texts = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") in ("node", "edge"):
            texts[g.find(f"{SVG}title").text] = " ".join(t.text for t in g.iter(f"{SVG}text"))
    values = sorted(t for k, t in texts.items() if re.fullmatch(r"v\d+", k))
    assert values == sorted([
        "a data 2 grad 6", "b data -3 grad -4", "e data -6 grad -2", "c data 10 grad -2",
        "d data 4 grad -2", "f data -2 grad 4", "L data -8 grad 1",
    ])
    assert texts["v0->v2op"] == "-3" and texts["v5->v6op"] == "4"
    assert path.stat().st_size < 30_000


def test_values_as_gradients_after_create_graph():
    x = Value(2.0, "x")
    y = x**3
    y.label = "y"
    y.backward(create_graph=True)  # .grad is a Value now
    src = draw_dot(y, edge_labels="product", color_by_grad=True).source
    assert "grad 12<" in src and "1×12\\n=12" in src


def test_dead_relu_edges_are_dashed_and_visible_and_summaries_keep_sign():
    w, x = Value(-2.0, "w"), Value(1.5, "x")
    z = w * x
    z.label = "z"
    a = z.relu()
    a.label = "a"
    out = a + w * 0.5
    out.label = "out"
    out.backward()
    src = draw_dot(out, color_by_grad=True).source
    dashed = [line for line in src.splitlines() if "->" in line and "style=dashed" in line]
    assert dashed and all("grey45" in line for line in dashed)  # the dead path, visible
    assert "#f7f7f7" not in src.split("legend")[0]  # nothing drawn white on white
    L, _ = lecture()
    L.backward()
    folded = draw_dot(L, max_nodes=3, color_by_grad=True).source
    summary = next(line for line in folded.splitlines() if "box3d" in line)
    assert "grad -4 … 6" in summary or "grad -4" in summary  # signed range, not |grad|
