"""The starter examples of the playground's code cell (the page lists them in this order)."""

from __future__ import annotations

__all__ = ["EXAMPLES"]

EXAMPLES: dict[str, str] = {
    "The lecture expression": """\
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
f = Value(-2.0, label="f")
L = d * f; L.label = "L"
L.backward()
print("dL/da =", a.grad, " dL/db =", b.grad)
draw_dot(L)""",
    "A neuron": """\
x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
z = x1 * w1 + x2 * w2 + b; z.label = "z"
o = z.tanh(); o.label = "o"
o.backward()
show_backward(o)   # step through the sweep: the buttons, or the keys <- and ->""",
    "An MLP on moons": """\
X, y = nn.data.make_moons(100, noise=0.1, seed=0)
model = nn.MLP(2, [16, 16, 1], seed=0)
opt = nn.optim.SGD(model.parameters(), lr=0.5)
history = nn.fit(model, X, nn.data.to_pm1(y), loss="hinge", optimizer=opt, epochs=20,
                 progress=False)
print(f"loss {history.loss[-1]:.3f}, accuracy {history.accuracy[-1]:.0%}")""",
}
