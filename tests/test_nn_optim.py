"""Optimisers and schedules: step-for-step against hand-worked references (PyTorch's update
formulas, written as plain-float math) to 1e-12, and against torch.optim when installed."""

import math

import pytest

import autograd
import nn
from autograd import Value
from nn import optim

A = [1.0, 3.0]  # f(θ) = Σ ½ aᵢ (θᵢ − cᵢ)², gradient aᵢ(θᵢ − cᵢ)
C = [2.0, -1.0]
THETA0 = [0.5, 0.25]
STEPS = 6


def quad_loss(params):
    return autograd.sum([0.5 * a * (p - c) ** 2 for p, a, c in zip(params, A, C, strict=True)])


def grad_at(theta):
    return [a * (t - c) for t, a, c in zip(theta, A, C, strict=True)]


def run_ours(make_opt, steps=STEPS):
    params = [Value(t) for t in THETA0]
    opt = make_opt(params)
    seq = []
    for _ in range(steps):
        opt.zero_grad()
        quad_loss(params).backward()
        opt.step()
        seq.append([p.data for p in params])
    return seq


# --- hand-worked references: one per rule, straight from the PyTorch docs' pseudo-code -------
def ref_sgd(lr, momentum=0.0, nesterov=False, wd=0.0):
    th, b, seq = list(THETA0), [None, None], []
    for _ in range(STEPS):
        g = grad_at(th)
        for i in range(2):
            gi = g[i] + wd * th[i]
            if momentum:
                b[i] = gi if b[i] is None else momentum * b[i] + gi
                gi = gi + momentum * b[i] if nesterov else b[i]
            th[i] -= lr * gi
        seq.append(list(th))
    return seq


def ref_adagrad(lr, eps=1e-10):
    th, s, seq = list(THETA0), [0.0, 0.0], []
    for _ in range(STEPS):
        g = grad_at(th)
        for i in range(2):
            s[i] += g[i] ** 2
            th[i] -= lr * g[i] / (math.sqrt(s[i]) + eps)
        seq.append(list(th))
    return seq


def ref_rmsprop(lr, alpha=0.99, eps=1e-8):
    th, v, seq = list(THETA0), [0.0, 0.0], []
    for _ in range(STEPS):
        g = grad_at(th)
        for i in range(2):
            v[i] = alpha * v[i] + (1 - alpha) * g[i] ** 2
            th[i] -= lr * g[i] / (math.sqrt(v[i]) + eps)
        seq.append(list(th))
    return seq


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-8):
    th, m, v, seq = list(THETA0), [0.0, 0.0], [0.0, 0.0], []
    for t in range(1, STEPS + 1):
        g = grad_at(th)
        for i in range(2):
            m[i] = b1 * m[i] + (1 - b1) * g[i]
            v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            th[i] -= lr * (m[i] / (1 - b1**t)) / (math.sqrt(v[i] / (1 - b2**t)) + eps)
        seq.append(list(th))
    return seq


def ref_adadelta(lr=1.0, rho=0.9, eps=1e-6):
    th, v, u, seq = list(THETA0), [0.0, 0.0], [0.0, 0.0], []
    for _ in range(STEPS):
        g = grad_at(th)
        for i in range(2):
            v[i] = rho * v[i] + (1 - rho) * g[i] ** 2
            d = math.sqrt(u[i] + eps) / math.sqrt(v[i] + eps) * g[i]
            u[i] = rho * u[i] + (1 - rho) * d * d
            th[i] -= lr * d
        seq.append(list(th))
    return seq


CASES = {
    "sgd": (lambda p: optim.SGD(p, lr=0.1), lambda: ref_sgd(0.1)),
    "sgd_momentum": (lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
                     lambda: ref_sgd(0.1, 0.9)),
    "sgd_nesterov": (lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                     lambda: ref_sgd(0.1, 0.9, True)),
    "sgd_weight_decay": (lambda p: optim.SGD(p, lr=0.1, momentum=0.5, weight_decay=0.1),
                         lambda: ref_sgd(0.1, 0.5, False, 0.1)),
    "adagrad": (lambda p: optim.Adagrad(p, lr=0.5), lambda: ref_adagrad(0.5)),
    "rmsprop": (lambda p: optim.RMSprop(p, lr=0.01), lambda: ref_rmsprop(0.01)),
    "adam": (lambda p: optim.Adam(p, lr=0.1), lambda: ref_adam(0.1)),
    "adam_betas": (lambda p: optim.Adam(p, lr=0.05, betas=(0.8, 0.99)),
                   lambda: ref_adam(0.05, 0.8, 0.99)),
    "adadelta": (lambda p: optim.Adadelta(p), lambda: ref_adadelta()),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_hand_worked_reference(name):
    make, ref = CASES[name]
    ours, want = run_ours(make), ref()
    for k, (a, b) in enumerate(zip(ours, want, strict=True)):
        assert a == pytest.approx(b, abs=1e-12, rel=0), f"step {k + 1}"
    assert ours[-1] != [pytest.approx(t) for t in THETA0]  # it moved


TORCH_CASES = {
    "sgd": ("SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.1, momentum=0.9)),
    "sgd_nesterov": ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.1)),
    "adagrad": ("Adagrad", dict(lr=0.5, lr_decay=0.01, weight_decay=0.1)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop_centered_momentum": ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9,
                                                  weight_decay=0.05)),
    "adam": ("Adam", dict(lr=0.1)),
    "adam_amsgrad_wd": ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1,
                                     amsgrad=True)),
    "adamw": ("AdamW", dict(lr=0.05)),
    "adadelta": ("Adadelta", dict()),
    "adadelta_wd": ("Adadelta", dict(lr=0.5, rho=0.8, weight_decay=0.1)),
}


@pytest.mark.parametrize("name", list(TORCH_CASES))
def test_matches_torch_optim(name):
    torch = pytest.importorskip("torch")
    cls, kw = TORCH_CASES[name]
    tp = torch.tensor(THETA0, dtype=torch.float64, requires_grad=True)
    topt = getattr(torch.optim, cls)([tp], foreach=False, **kw)
    a = torch.tensor(A, dtype=torch.float64)
    c = torch.tensor(C, dtype=torch.float64)
    want = []
    for _ in range(STEPS):
        topt.zero_grad()
        (0.5 * a * (tp - c) ** 2).sum().backward()
        topt.step()
        want.append(tp.detach().tolist())
    ours = run_ours(lambda p: getattr(optim, cls)(p, **kw))
    for k, (x, y) in enumerate(zip(ours, want, strict=True)):
        assert x == pytest.approx(y, abs=1e-12, rel=0), f"step {k + 1}"


# --- schedules ----------------------------------------------------------------------------------
def lrs(make_sched, n=12, lr=0.5):
    opt = optim.SGD([Value(0.0)], lr=lr)
    sched = make_sched(opt)
    out = [opt.lr]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    return out


SCHEDULES = {
    "StepLR": (dict(step_size=3, gamma=0.5), lambda e: 0.5 * 0.5 ** (e // 3)),
    "ExponentialLR": (dict(gamma=0.8), lambda e: 0.5 * 0.8**e),
    "CosineAnnealingLR": (dict(T_max=10, eta_min=0.01),
                          lambda e: 0.01 + (0.5 - 0.01) * (1 + math.cos(math.pi * e / 10)) / 2),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_reference(name):
    kw, formula = SCHEDULES[name]
    got = lrs(lambda o: getattr(optim, name)(o, **kw), n=10)
    assert got == pytest.approx([formula(e) for e in range(11)], abs=1e-12, rel=0)


def test_lambda_lr_micrograd_decay():
    got = lrs(lambda o: optim.LambdaLR(o, lambda k: 1.0 - 0.9 * k / 100), n=100, lr=1.0)
    assert got[0] == 1.0 and got[50] == pytest.approx(0.55) and got[100] == pytest.approx(0.1)


@pytest.mark.parametrize("name", list(SCHEDULES) + ["LambdaLR"])
def test_schedule_matches_torch(name):
    torch = pytest.importorskip("torch")
    kw = SCHEDULES[name][0] if name in SCHEDULES else dict(lr_lambda=lambda k: 1 - 0.09 * k)
    p = torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([p], lr=0.5)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    want = [topt.param_groups[0]["lr"]]
    for _ in range(10):
        topt.step()
        tsched.step()
        want.append(tsched.get_last_lr()[0])
    got = lrs(lambda o: getattr(optim, name)(o, **kw), n=10)
    assert got == pytest.approx(want, abs=1e-12, rel=0)


def test_step_uses_gradients_only_and_builds_no_graph():
    params = [Value(1.0), Value(2.0)]
    opt = optim.Adam(params, lr=0.1)
    params[0].grad, params[1].grad = 0.5, -0.5
    opt.step()
    assert all(p.is_leaf() for p in params)
    assert params[0].data == pytest.approx(0.9) and params[1].data == pytest.approx(2.1)
    opt.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_errors():
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([Value(0.0)], lr=0.1, nesterov=True)
    with pytest.raises(TypeError):
        optim.SGD([0.5], lr=0.1)
    assert isinstance(nn.optim.SGD(nn.MLP(2, [2, 1], seed=0).parameters(), lr=0.1),
                      optim.Optimizer)


# --- hyper-parameters are checked where they are given -----------------------------------
@pytest.mark.parametrize("make, name", [
    (lambda p: optim.Adam(p, eps=-1), "eps"),
    (lambda p: optim.Adam(p, weight_decay=-1), "weight_decay"),
    (lambda p: optim.Adam(p, betas=(1, 1)), "betas"),
    (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), "betas"),
    (lambda p: optim.Adagrad(p, lr_decay=-1), "lr_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-1), "initial_accumulator_value"),
    (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "alpha"),
    (lambda p: optim.RMSprop(p, momentum=math.nan), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, momentum=-0.9), "momentum"),
    (lambda p: optim.SGD(p, lr=0.1, weight_decay=math.inf), "weight_decay"),
    (lambda p: optim.Adam(p, eps="1e-8"), "eps"),
])
def test_a_bad_hyper_parameter_is_refused_at_construction_naming_it(make, name):
    """The examples of issue 22: each used to pass construction and go wrong at step()
    (gradient ascent, ZeroDivisionError, math domain error)."""
    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        make([Value(1.0)])


def test_amsgrad_nesterov_centered_must_be_bools():
    for make in (lambda p: optim.Adam(p, amsgrad="no"), lambda p: optim.RMSprop(p, centered=1),
                 lambda p: optim.SGD(p, lr=0.1, momentum=0.5, nesterov="yes")):
        with pytest.raises(TypeError, match="True or False"):
            make([Value(1.0)])


@pytest.mark.parametrize("make, name", [
    (lambda o: optim.StepLR(o, step_size=0), "step_size"),
    (lambda o: optim.StepLR(o, step_size=2.5), "step_size"),
    (lambda o: optim.StepLR(o, step_size=3, gamma=-0.5), "gamma"),
    (lambda o: optim.ExponentialLR(o, gamma=math.nan), "gamma"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=0), "T_max"),
    (lambda o: optim.CosineAnnealingLR(o, T_max=10, eta_min=-1), "eta_min"),
    (lambda o: optim.LambdaLR(o, lr_lambda=0.5), "lr_lambda"),
])
def test_a_bad_schedule_is_refused_at_construction_naming_it(make, name):
    with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
        make(optim.SGD([Value(1.0)], lr=0.1))


def test_a_schedule_needs_an_optimiser_and_a_usable_rate():
    with pytest.raises(TypeError, match="is not an nn.optim optimiser"):
        optim.StepLR([Value(1.0)], step_size=1)
    opt = optim.SGD([Value(1.0)], lr=0.1)
    sched = optim.LambdaLR(opt, lambda k: 1 - 0.5 * k)  # negative from epoch 3
    sched.step()
    sched.step()
    with pytest.raises(ValueError, match=r"lr_lambda\(3\).*-0\.5"):
        sched.step()
    assert opt.lr == 0.0  # the last good rate is kept


def test_a_parameter_without_a_gradient_is_skipped_as_in_pytorch():
    """p.grad = None (PyTorch's zero_grad(set_to_none=True)): the step leaves that parameter
    and its state alone and updates the others, as torch.optim does."""
    a, b = Value(1.0), Value(2.0)
    opt = optim.Adam([a, b], lr=0.1, weight_decay=0.1)
    a.grad, b.grad = None, 0.5
    opt.step()
    alone = Value(2.0)
    ref = optim.Adam([alone], lr=0.1, weight_decay=0.1)
    alone.grad = 0.5
    ref.step()
    assert a.data == 1.0 and b.data == alone.data
    a.grad, b.grad = 0.5, 0.5  # a's first step: its bias correction starts at step 1
    opt.step()
    first = Value(1.0)
    ref1 = optim.Adam([first], lr=0.1, weight_decay=0.1)
    first.grad = 0.5
    ref1.step()
    assert a.data == first.data


def _hyper_names(cls) -> list[str]:
    import inspect
    return [n for n in inspect.signature(cls.__init__).parameters if n not in ("self", "params")]


def _values():
    from hypothesis import strategies as st
    return st.one_of(st.sampled_from([0.0, 1.0, -1.0, 0.5, 1e-8, 2.0, math.nan, math.inf,
                                      -math.inf, 1e308, -0.0]),
                     st.floats(allow_nan=True, allow_infinity=True, width=64))


def _arguments(cls):
    from hypothesis import strategies as st
    spec = {}
    for n in _hyper_names(cls):
        if n in ("nesterov", "amsgrad", "centered"):
            spec[n] = st.booleans()
        elif n == "betas":
            spec[n] = st.tuples(_values(), _values())
        else:
            spec[n] = _values()
    return st.fixed_dictionaries({}, optional=spec)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adagrad, optim.RMSprop, optim.Adam,
                                 optim.AdamW, optim.Adadelta])
def test_any_hyper_parameters_are_refused_at_once_or_step_without_error(cls):
    """Property: arguments are either refused at construction with an error naming one of
    them, or the optimiser steps (gradients large, small and 0) without raising. Where torch
    is installed: every set torch refuses is refused too."""
    from hypothesis import given, settings
    torch = None
    try:
        import torch
    except ImportError:
        pass

    @settings(max_examples=100, deadline=None)
    @given(kwargs=_arguments(cls), grads=_grads())
    def check(kwargs, grads):
        p = [Value(0.5), Value(-1.0)]
        try:
            opt = cls(p, **kwargs)
        except (ValueError, TypeError) as e:
            assert any(n in str(e) for n in kwargs), (kwargs, e)
            return
        for g in grads:
            p[0].grad, p[1].grad = g, -g
            opt.step()
        if torch is not None:
            t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
            getattr(torch.optim, cls.__name__)([t], **{"lr": 1e-3, **kwargs})

    check()


def _grads():
    from hypothesis import strategies as st
    return st.lists(st.sampled_from([0.0, 1.0, -3.0, 1e-300, 1e300]), min_size=1, max_size=4)


def test_a_gradient_that_is_not_a_number_is_named():
    w = Value(1.0, label="w")
    opt = optim.SGD([Value(0.0), w], lr=0.1)
    w.grad = "0.5"
    with pytest.raises(TypeError, match=r"parameter 1 \('w'\).*\.grad.*'0\.5'.*None"):
        opt.step()
    assert w.data == 1.0 and opt.steps == 0
