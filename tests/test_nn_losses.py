"""Losses: gradcheck, reference values, stability at logits of ±1e3, reductions."""

import math

import pytest

import autograd
from autograd import Value
from nn import losses

PREDS = [0.3, -1.2, 2.5, 0.05]


def check(loss_fn, preds, targets, **kw):
    assert autograd.gradcheck(lambda *ps: loss_fn(list(ps), targets, **kw), preds)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradcheck_regression_losses(reduction):
    check(losses.mse, PREDS, [0.0, -1.0, 2.0, 1.0], reduction=reduction)
    check(losses.mae, PREDS, [0.0, -1.0, 2.0, 1.0], reduction=reduction)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_gradcheck_classification_losses(reduction):
    check(losses.hinge, PREDS, [1, 1, -1, -1], reduction=reduction)
    check(losses.logistic, PREDS, [1, -1, -1, 1], reduction=reduction)
    check(losses.bce_with_logits, PREDS, [1, 0, 0, 1], reduction=reduction)
    check(losses.bce, [0.2, 0.7, 0.9, 0.4], [1, 0, 1, 0], reduction=reduction)
    check(losses.bce, [0.2, 0.7], [0.3, 0.8], reduction=reduction)  # soft targets
    logits = [0.3, -1.2, 2.5, 0.05, 1.0, -0.5]

    def ce(*z):
        return losses.cross_entropy([list(z[:3]), list(z[3:])], [2, 0], reduction=reduction)

    assert autograd.gradcheck(ce, logits)


def test_gradcheck_penalties():
    ws = [0.3, -1.2, 2.5, -0.05]
    assert autograd.gradcheck(lambda *p: losses.l2_penalty(p), ws)
    assert autograd.gradcheck(lambda *p: losses.l1_penalty(p), ws)
    ps = [Value(w) for w in ws]
    assert losses.l2_penalty(ps).data == pytest.approx(sum(w * w for w in ws))
    assert losses.l1_penalty(ps).data == pytest.approx(sum(abs(w) for w in ws))
    pen = losses.l2_penalty(ps)
    pen.backward()
    assert [p.grad for p in ps] == pytest.approx([2 * w for w in ws])


def test_reference_values():
    s, y = [0.5, -2.0, 3.0], [1, 1, -1]
    assert losses.hinge(s, y).data == pytest.approx((0.5 + 3.0 + 4.0) / 3)
    assert losses.hinge(s, y, reduction="sum").data == pytest.approx(7.5)
    assert losses.logistic(s, y).data == pytest.approx(
        sum(math.log1p(math.exp(-t * v)) for v, t in zip(s, y, strict=True)) / 3)
    z, t = [0.5, -2.0], [1, 0]
    sig = [1 / (1 + math.exp(-v)) for v in z]
    want = -(math.log(sig[0]) + math.log(1 - sig[1])) / 2
    assert losses.bce_with_logits(z, t).data == pytest.approx(want)
    assert losses.bce(sig, t).data == pytest.approx(want)
    lg = [[1.0, 2.0, 3.0]]
    assert losses.cross_entropy(lg, [0]).data == pytest.approx(
        -math.log(math.exp(1) / sum(math.exp(v) for v in lg[0])))
    assert losses.mse([1.0, 2.0], [0.0, 0.0]).data == 2.5
    assert losses.mae([1.0, -2.0], [0.0, 0.0]).data == 1.5
    # δ_out = z − y for L = ½(y − z)²: mse's gradient on one example is 2(z − y)
    zv = Value(0.7)
    losses.mse([zv], [0.2]).backward()
    assert zv.grad == pytest.approx(2 * (0.7 - 0.2))


@pytest.mark.parametrize("big", [1e3, -1e3])
def test_finite_at_huge_logits(big):
    cases = [
        (losses.bce_with_logits, [big], [0]),
        (losses.bce_with_logits, [big], [1]),
        (losses.logistic, [big], [1]),
        (losses.logistic, [big], [-1]),
        (losses.hinge, [big], [-1]),
        (losses.mse, [big], [0.0]),
    ]
    for fn, z, t in cases:
        zs = [Value(v) for v in z]
        out = fn(zs, t)
        out.backward()
        assert math.isfinite(out.data) and math.isfinite(zs[0].grad), fn.__name__
    zs = [Value(big), Value(-big), Value(0.0)]
    for c in range(3):
        for z in zs:
            z.grad = 0.0
        out = losses.cross_entropy([zs], [c])
        out.backward()
        assert math.isfinite(out.data) and all(math.isfinite(z.grad) for z in zs)
    # the stable forms give the exact limits
    assert losses.bce_with_logits([Value(1e3)], [0]).data == pytest.approx(1e3)
    assert losses.bce_with_logits([Value(1e3)], [1]).data == pytest.approx(0.0, abs=1e-300)
    # bce on saturated probabilities is clamped like PyTorch (log ≥ −100), not infinite
    p = Value(0.0)
    out = losses.bce([p], [1])
    assert out.data == pytest.approx(100.0)


def test_errors():
    with pytest.raises(ValueError, match="2 predictions but 1 targets"):
        losses.mse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="reduction"):
        losses.mse([1.0], [1.0], reduction="max")
    with pytest.raises(ValueError, match="out of range"):
        losses.cross_entropy([[1.0, 2.0]], [2])
