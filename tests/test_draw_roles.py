"""Structure comes from roles, never from labels: nn tells the pictures what a unit, a layer
and the output are (``Value.role``, ``autograd.roles.Role``); a label is display text only.

Renaming every node of a network's graph (the model's output and the loss included, with
dotted names that look like nn's) changes no structure in any view: the same boxes, clusters
and edges in the values view, the units view, the frames, the stepper page, the training
page and the inspector.
"""

from __future__ import annotations

import re

import pytest
from requires import graphviz_with_dot

from autograd import Value, topological_order
from autograd.roles import Role

graphviz = graphviz_with_dot()

from autograd.draw import backward_frames, draw_dot, inspect, stepper, training_page  # noqa: E402


def network_loss():
    import nn

    model = nn.MLP(2, [3, 1], seed=1)
    out = model([0.5, -1.0])
    loss = (out - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, out, loss


def rename_all(root: Value, tag: str = "renamed") -> None:
    """Give every node a new label, dotted like nn's (``layers.7.neurons.3.z`` would be a
    trap for a label parser): ``renamed.layers.<i>.neurons.0.w``."""
    for i, node in enumerate(topological_order(root)):
        node.label = f"{tag}.layers.{i % 4}.neurons.{i}.w"


_SVG_G = re.compile(r'<g id="[^"]*" class="(node|edge|cluster)">\s*<title>([^<]*)</title>')
_DOT_NODE = re.compile(r"^\t+(\"[^\"]*\"|\w+) \[", re.M)
_DOT_EDGE = re.compile(r"^\t+(\"[^\"]*\"|\w+) -> (\"[^\"]*\"|\w+)", re.M)
_DOT_CLUSTER = re.compile(r"^\t+subgraph (\"[^\"]*\"|\w+) \{", re.M)


def svg_structure(svg: str) -> list:
    """Every node, edge and cluster of an SVG by its DOT name, in order."""
    found = _SVG_G.findall(svg)
    assert found, "the SVG has nodes"
    return found


def dot_structure(source: str) -> tuple:
    """Nodes, edges and clusters of a DOT source (names only, no text)."""
    return (_DOT_NODE.findall(source), _DOT_EDGE.findall(source),
            _DOT_CLUSTER.findall(source))


def pictures(model, out, loss) -> dict:
    """Every view of the same network, reduced to its structure."""
    from nn import fit
    from nn.data import make_moons, to_pm1
    from nn.record import Recorder

    units = draw_dot(loss, view="units")
    views = {
        "values": dot_structure(draw_dot(loss).source),
        "values folded": dot_structure(draw_dot(loss, max_nodes=8).source),
        "units": (svg_structure(units.pipe(format="svg", encoding="utf-8")),
                  units.caption, sorted(units.node_ids.values())),
        "frames": [dot_structure(f.source) for f in backward_frames(loss, pin=False)],
        "stepper": svg_structure(stepper(loss).html()),
        "inspect": svg_structure(inspect(loss).html()),
    }
    X, y01 = make_moons(12, noise=0.1, seed=1)
    rec = Recorder(model, X, to_pm1(y01), max_steps=4, grid=4)
    fit(model, X, to_pm1(y01), epochs=2, progress=False, callback=rec)
    for page in ("training", "training renamed"):
        if page == "training renamed":
            rename_all(rec.out, "recorded")  # the recorder's own graph, renamed too
        g = training_page(rec)
        views[page] = (svg_structure(g.html()), g.data["net"]["ids"], g.data["net"]["titles"])
    return views


def test_renaming_every_node_changes_no_structure_in_any_view():
    before = pictures(*network_loss())
    model, out, loss = network_loss()
    out.label = "out"  # the user's first rename (issue 17: it dropped the output layer)
    rename_all(loss)
    for _, p in model.named_parameters():
        assert p.label.startswith("renamed.")  # the parameters were renamed as well
    after = pictures(model, out, loss)
    assert before["units"][1] == "4 units in 2 layers"
    for view in before:
        assert after[view] == before[view], view
    assert before["training"] == before["training renamed"]  # the recorder's graph renamed


def test_the_output_renamed_keeps_its_layer_in_the_units_view():
    """The report of issue 17: ``out.label = "out"`` made the units view drop the output
    layer ("3 units in 1 layers") without a word."""
    _, out, loss = network_loss()
    out.label = "out"
    g = draw_dot(loss, view="units")
    assert g.caption == "4 units in 2 layers"
    assert "l1u0" in g.source


def test_nn_gives_each_node_its_role():
    model, out, _ = network_loss()
    neuron = model.layers[1].neurons[0]
    assert out.role == Role("z", "layers.1.neurons.0", layer=1, unit=0, parent="layers.1")
    assert neuron.w[2].role == Role("w", "layers.1.neurons.0", 1, 0, index=2, parent="layers.1")
    assert neuron.b.role == Role("b", "layers.1.neurons.0", 1, 0, parent="layers.1")
    hidden = out.operands[4]  # (w₀, w₁, w₂, b, x₀, …): x₀ is unit 0 of layer 0 after ReLU
    assert hidden.role == Role("out", "layers.0.neurons.0", 0, 0, parent="layers.0")
    assert hidden.operands[0].role.kind == "z"
    assert Value(1.0).role is None and (Value(1.0) * 2).role is None
    assert neuron.w[0].detach().role == neuron.w[0].role  # a copy of a parameter is one too


def test_a_hand_built_graph_can_say_its_structure_with_roles():
    """Roles are the interface, not an nn secret: a hand-built neuron drawn as units."""
    w = [Value(0.5, "p"), Value(-1.0, "q")]
    for k, v in enumerate(w):
        v.role = Role("w", "mine", index=k)
    z = w[0] * 2.0 + w[1] * 3.0
    z.role = Role("z", "mine")
    g = draw_dot(z, view="units")
    assert g.caption == "1 units in 1 layers"
    assert 'subgraph cluster_mine {' in draw_dot(z).source


def test_roles_are_checked():
    with pytest.raises(ValueError, match="kind must be one of z, out, w, b"):
        Role("weight")
    with pytest.raises(ValueError, match="needs index="):
        Role("w")
    with pytest.raises(ValueError, match="layer must be a whole number"):
        Role("z", layer=-1)
    with pytest.raises(TypeError, match="role must be an autograd.roles.Role"):
        Value(1.0).role = "z"
