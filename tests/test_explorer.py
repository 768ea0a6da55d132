"""autograd.draw.explorer and nn.record without a browser: the numbers the pages carry, the
bounds, the bad-input messages, and that a page asks for nothing over the network.
(What a person sees in a browser: tests/test_explorer_browser.py.)"""

import re

import pytest
from draw_graphs import affine_recording, lecture
from requires import graphviz_with_dot

from autograd import Value
from autograd.draw.explorer import inspect, show_backward, stepper, training_page
from autograd.draw.explorer.page import fmt, full, unpack

graphviz = graphviz_with_dot()


def lesson_graph():
    """L = (a·b + c)·f with a=2, b=−3, c=10, f=−2: the classic first backward."""
    return lecture(backward=False)


def test_fmt_is_the_pictures_format_with_a_true_minus():
    from autograd.draw.style import fmt_number

    xs = (0.0, -2.0, 0.88137, 123456.0, -1e-7, float("inf"), float("nan"))
    assert [fmt(x) for x in xs] == ["0", "−2", "0.8814", "1.235e+05", "−1e−07", "inf", "nan"]
    assert [fmt(x) for x in xs] == [fmt_number(x).replace("-", "−") for x in xs]
    assert fmt(None) == "nan"  # a NaN that travelled as JSON null
    assert [full(x) for x in (6.0, -0.1 - 0.2, 1e-7, None)] == \
        ["6", "−0.30000000000000004", "1e−07", "nan"]


JS_RULES = {  # what explorer.js must not contain: Python computes all of it
    "number formatting": r"toFixed|toPrecision|toExponential|toLocaleString|NumberFormat|"
                         r"Math\.log|Math\.round|Math\.abs|String\(\s*[a-z]",
    "a colour rule": r"#[0-9a-fA-F]{3,6}\b|rgb\(|hsl\(",
    "gradient arithmetic": r"\+=\s*[a-z][\w.\[\]]*\s*\*|adj|local|\bshare\b|Float64Array",
    "markup from text": r"innerHTML|outerHTML|insertAdjacentHTML|document\.write",
    "an end of the script element": r"</script|<!--",
}


@pytest.mark.parametrize("what", sorted(JS_RULES))
def test_the_page_script_holds_no_rule_of_its_own(what):
    """explorer.js is fed, not taught: no number format, colour, gradient rule of its own."""
    from autograd.draw.explorer.page import asset

    code = re.sub(r"/\*.*?\*/|//[^\n]*", "", asset("explorer.js"), flags=re.S)  # not comments
    found = re.findall(JS_RULES[what], code)
    assert found == [], f"explorer.js has {what}: {found}"


def test_captions_carry_the_numbers_and_names_never_ids():
    L = lesson_graph()
    L.backward()
    s = stepper(L)
    assert len(s) == 7
    assert s.captions[0] == ("step 1 of 7: visiting L: the seed ∂L/∂L = 1; "
                             "pushed 1 × −2 = −2 to d, 1 × 4 = 4 to f")
    assert s.captions[2] == ("step 3 of 7: visiting d: ∂L/∂d = −2; "
                             "pushed −2 × 1 = −2 to e, −2 × 1 = −2 to c")
    assert "∂L/∂a = 6; a leaf" in s.captions[6]
    assert not any(re.search(r"\bv\d+", c) for c in s.captions)


def test_unlabelled_nodes_are_named_by_op_and_data():
    x = Value(3.0, label="x")
    y = (x * 2.0).tanh()
    y.backward()
    caps = stepper(y).captions
    assert "visiting the tanh node (data 1)" in caps[0]
    assert "to the mul node (data 6)" in caps[0]


def test_a_root_without_backward_gives_a_stepper_that_says_so():
    L = lesson_graph()
    s = stepper(L)
    assert "No backward pass has run from L yet" in s.note
    assert "L.backward()" in s._repr_html_()
    assert L.grad == 0 and all(v.grad == 0 for v in s.graph.order)  # nothing was touched
    L.backward()
    assert stepper(L).note == ""


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="needs a Value"):
        stepper(3.0)
    with pytest.raises(TypeError, match="unexpected options"):
        stepper(lesson_graph(), colour=True)
    with pytest.raises(TypeError, match="draw_dot"):
        inspect("not a picture")


def test_show_backward_is_a_drop_in_with_the_old_arguments():
    L = lesson_graph()
    L.backward()
    s = show_backward(L, widget=True, max_frames=10, edge_labels="product")
    assert len(s) == 7


def test_folded_graph_steps_at_the_drawn_granularity():
    xs = [Value(float(i), label=f"layer.{i % 3}.x{i}") for i in range(12)]
    out = sum((x * x for x in xs), Value(0.0, label="zero"))
    out.label = "out"
    out.backward()
    full_steps = len(stepper(out, max_nodes=None))  # every node drawn
    folded = stepper(out, max_nodes=8)
    assert len(folded) < full_steps
    assert any("inside the folded box layer." in c for c in folded.captions)
    assert not any(re.search(r"\b[vs]\d+\b", c) for c in folded.captions)  # no DOT ids


def test_mimebundle_has_html_svg_and_text_and_nothing_from_the_network():
    L = lesson_graph()
    L.backward()
    bundle = stepper(L)._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/svg+xml"}
    page = bundle["text/html"]
    assert "<svg" in page and "<script>" in page
    # no resource is loaded: no src/href to anything, no fetch, no import
    assert not re.search(r"""\b(src|href)\s*=\s*["'](https?:)?//""", page)
    assert "fetch(" not in page and "XMLHttpRequest" not in page and "import(" not in page
    assert "</script" not in page[page.index("<script>") + 8: page.rindex("</script>")]


def test_inspect_carries_each_boxs_texts_written_in_python():
    L = lesson_graph()
    L.backward()
    insp = inspect(L)
    g = insp.graph
    a = next(b for b, i in enumerate(g.representative()) if g.order[i].label == "a")
    data = insp.graph.data()
    assert data["sums"][a] == ("∂L/∂a = Σ over its 1 use of ∂L/∂consumer × ∂consumer/∂a:\n"
                               "  via e: −2 × −3 = 6\n  ∂L/∂a = 6 = 6  (full precision 6)")
    assert "a\ndata = 2\n.grad = 6\n∂L/∂a = 6" in g.inspect_tips()[a]


def test_inspect_wraps_a_picture_through_node_ids():
    from autograd.draw import draw_dot

    L = lesson_graph()
    L.backward()
    insp = inspect(draw_dot(L, max_nodes=4))
    assert insp.graph.root is L
    assert len(insp.graph.boxes) < len(insp.graph.order)


def test_the_28_node_stepper_is_within_its_budget():
    from benchmarks.explorer import expression_28

    root = expression_28()
    root.backward()
    assert len(stepper(root).html().encode()) <= 300_000


# --- nn.record ---------------------------------------------------------------------------
def small_run(epochs, max_steps, **kw):
    from nn import MLP, fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    X, y01 = make_moons(20, noise=0.1, seed=1)
    y = to_pm1(y01)
    model = MLP(2, [3, 1], seed=1)
    rec = Recorder(model, X, y, max_steps=max_steps, grid=6, **kw)
    fit(model, X, y, epochs=epochs, progress=False, callback=rec)
    return model, rec


def test_recorder_keeps_every_epoch_within_the_bound():
    _, rec = small_run(5, 10)
    assert [s.epoch for s in rec.kept()] == [0, 1, 2, 3, 4]
    assert rec.note == "all 5 epochs recorded"


def test_recorder_over_the_bound_keeps_evenly_spaced_epochs_and_the_last_and_says_which():
    _, rec = small_run(11, 4)
    epochs = [s.epoch for s in rec.kept()]
    assert len(epochs) <= 4 and epochs[-1] == 10
    gaps = {b - a for a, b in zip(epochs[:-2], epochs[1:-1])}
    assert len(gaps) == 1 and epochs[0] == 0
    assert f"{len(epochs)} of 11 epochs kept" in rec.note and "the last (11)" in rec.note


def test_recorder_does_not_touch_the_models_grads():
    model, rec = small_run(2, 5)
    before = [p.grad for p in model.parameters()]
    training_page(rec)
    assert [p.grad for p in model.parameters()] == before


def test_recorder_bad_input():
    from nn import MLP
    from nn.record import Recorder

    with pytest.raises(ValueError, match="max_steps"):
        Recorder(MLP(2, [1]), [[0, 0]], [1], max_steps=1)
    with pytest.raises(ValueError, match="point must index X"):
        Recorder(MLP(2, [1]), [[0, 0]], [1], point=3)
    with pytest.raises(ValueError, match="train first"):
        training_page(Recorder(MLP(2, [1]), [[0, 0]], [1]))


def test_training_page_data():
    _, rec = small_run(3, 10)
    page = training_page(rec)
    assert page.epochs == [0, 1, 2]
    html = page.html()
    assert html.count('class="dgx dgx-training"') == 1 and "<svg" in html


def test_training_page_replays_the_network_view_with_each_epochs_numbers():
    """The point's graph is the units view; its per-epoch numbers are the recorded ones, and
    ∂L/∂a_j is the sum over the next layer of ∂L/∂z_k × w_kj at every epoch."""
    import math

    _, rec = small_run(4, 10)
    page = training_page(rec)
    assert page.view == "units" and 'id="' in page.html() and "l0u2" in page.html()
    net, numbers = page.data["net"], page.network.numbers
    steps = unpack(net["traced"][0]["steps"])
    assert net["ids"] == ["l0u0", "l0u1", "l0u2", "l1u0"]
    assert len(steps) == len(numbers) == len(rec.kept()) == 4
    for step, nums in zip(steps, numbers):
        assert step["t"][0] == ["n0" + (" dead" if nums["dead"][0] else ""),
                                f"z {fmt(nums['z'][0])}\u2002a {fmt(nums['a'][0])}",
                                f"∂L/∂z {fmt(nums['dz'][0])}"]
        assert f"z = {full(nums['z'][1])}" in step["tips"][1]
        for j in range(3):  # layer 0: its one consumer is the output unit
            terms = [nums["dz"][h] * nums["w"][e]
                     for e, (t, h, _w) in enumerate(page.network.net.edges) if t == j]
            assert math.isclose(sum(terms), nums["da"][j], rel_tol=1e-12, abs_tol=1e-15)
            assert math.isclose(nums["da"][j] * nums["gp"][j], nums["dz"][j], abs_tol=1e-12)
            assert f"(full precision {full(nums['dz'][j])})" in step["sums"][j]
    assert numbers[0]["z"] != numbers[-1]["z"]  # the numbers move with training
    assert len(net["palette"]) > 1 and all(p[0].startswith("#") for p in net["palette"])


def point_losses(model, X, y):
    """Each point's hinge loss max(0, 1 − y·score) under the model as it is."""
    from nn import predict

    return [max(0.0, 1 - t * s) for s, t in zip(predict(model, X), y)]


@pytest.mark.parametrize("which", ["label −1, hinge loss > 0", "hinge loss 0"])
def test_replay_boxes_show_dL_dz_of_the_points_loss_as_loss_backward_gives(which):
    """Issue 20 item 3: the boxes say ∂L/∂z and show it: the gradient loss.backward() gives
    for the traced point's own loss (sign included for a label −1 point; 0 where its hinge
    loss is 0), at the last recorded epoch (the model as fit left it)."""
    from autograd import topological_order
    from nn.losses import hinge

    model, rec = small_run(6, 10)
    losses = point_losses(model, rec.X, rec.y)
    if which == "hinge loss 0":
        p = next(i for i, v in enumerate(losses) if v == 0)
    else:
        p = next(i for i, (v, t) in enumerate(zip(losses, rec.y)) if v > 0 and t == -1)
    model, rec = small_run(6, 10, point=p)
    out = model(rec.X[p])
    out = out[0] if isinstance(out, list) else out
    loss = hinge([out], [rec.y[p]])
    loss.backward()
    zs = {v.label: v for v in topological_order(loss) if v.label and v.label.endswith(".z")}
    page = training_page(rec)
    last = unpack(page.data["net"]["traced"][0]["steps"])[-1]
    nums = page.network.numbers[-1]
    for k, name in enumerate(page.network.names):
        z = zs[name + ".z"]
        assert nums["dz"][k] == z.grad
        assert last["t"][k][2] == f"∂L/∂z {fmt(z.grad)}"
        assert f"∂L/∂z = {full(z.grad)}" in last["tips"][k]
    if which == "hinge loss 0":
        assert all(x == 0 for x in nums["dz"]) and f"L = {fmt(0.0)}" == last["root"]
    else:
        assert any(x != 0 for x in nums["dz"])
    # one vocabulary: the header, the boxes and the tips say L, never "score"
    assert "score" not in page._svg and "∂L/∂z per unit" in page._svg
    assert not any("score" in t for t in last["tips"] + last["sums"])


def test_training_page_of_a_model_that_is_no_network_falls_back_to_the_value_graph():
    page = training_page(affine_recording())  # no roles: not a network view
    assert page.view == "values" and page.data["net"] is None and page.data["graph"]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu"])
def test_recorder_grid_on_floats_matches_predict(activation):
    from nn import MLP, Dropout, Sequential, predict
    from nn.record import _float_scores

    model = MLP(2, [5, 4, 1], activation=activation, seed=3)
    points = [[i / 3 - 1, j / 2 - 1] for i in range(7) for j in range(5)]
    fast = _float_scores(model, points)
    assert max(abs(a - b) for a, b in zip(fast, predict(model, points))) < 1e-12
    # anything but plain layers goes through predict
    assert _float_scores(Sequential(model.layers[0], Dropout(0.5)), points) is None


def test_pictures_name_every_values_box_in_node_ids_and_svg_ids():
    """The contract the explorer builds on: node_ids, and SVG ids equal to DOT names."""
    from autograd.draw import draw_dot

    L = lesson_graph()
    L.backward()
    for picture in (draw_dot(L), draw_dot(L, max_nodes=4)):
        svg = picture.pipe(format="svg", encoding="utf-8")
        ids = set(re.findall(r'<g id="([^"]+)" class="node"', svg))
        names = set(picture.node_ids.values())
        assert names <= ids and len(picture.node_ids) == 7
    # in a value box the grad is the last text and the data the one before it
    box = svg_box(draw_dot(L), "v0")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", box)
    assert texts[-2:] == ["data 2", "grad 6"]


def svg_box(picture, name: str) -> str:
    svg = picture.pipe(format="svg", encoding="utf-8")
    start = svg.index(f'<g id="{name}" class="node">')
    return svg[start: svg.index("</g>\n</g>", start)]


def test_benchmark_report_lines():
    from benchmarks import explorer as bx

    rows = [{"page": "stepper", "bytes": 1000, "budget": bx.STEPPER_BUDGET, "tti": 0.1,
             "requests": 0},
            {"page": "replay", "bytes": 6_000_000, "budget": bx.REPLAY_BUDGET, "tti": 1.5,
             "requests": 0}]
    table = "\n".join(bx.markdown(rows))
    assert "| stepper | 1,000 | 300,000 | 100 ms | 0 |" in table
    assert bx.targets(rows) == [
        "- stepper ≤ 300,000 bytes: 1,000 (met)",
        "- replay ≤ 5,000,000 bytes: 6,000,000 (NOT met)",
        "- replay interactive in < 1 s: 1500 ms (NOT met)",
    ]


def test_element_ids_are_unique_on_a_page_and_the_same_on_every_run():
    """Two pages of one kernel never share an id; the same code gives the same ids in a new
    process (so a notebook's stored output does not change from run to run)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    def prefix(page) -> str:
        return re.search(r'id="(dgx\d+x\d+-)', page._repr_html_()).group(1)

    first, second = stepper(lecture()), stepper(lecture())
    assert prefix(first) != prefix(second)
    code = ("from draw_graphs import lecture\nfrom autograd.draw import show_backward\n"
            "import re\nhtml = show_backward(lecture())._repr_html_()\n"
            "print(re.search(r'id=\"(dgx\\d+x\\d+-)', html).group(1))")
    tests = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tests), str(tests.parent)])}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and runs[0].startswith("dgx")


def test_the_recorder_replays_the_loss_fit_trains_with_without_being_told():
    """The loss lives in one place, fit's argument: a Recorder given no loss= replays the
    point's logistic loss when fit trains with "logistic" (it used to assume hinge), and
    one called outside fit, with no loss to read, says what to do."""
    from nn import MLP, History, fit
    from nn.data import make_moons, to_pm1
    from nn.losses import logistic
    from nn.record import Recorder

    X, y01 = make_moons(20, noise=0.1, seed=1)
    y = to_pm1(y01)
    model = MLP(2, [3, 1], seed=1)
    rec = Recorder(model, X, y, max_steps=4, grid=4)
    fit(model, X, y, loss="logistic", epochs=2, progress=False, callback=rec)
    out = model(X[0])
    out = out[0] if isinstance(out, list) else out
    assert rec.point_loss.data == logistic([out], [y[0]]).data
    assert "logistic loss" in training_page(rec)._svg
    with pytest.raises(ValueError, match="does not know the loss.*loss="):
        Recorder(model, X, y)(0, History())
