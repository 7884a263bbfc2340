"""core.optim: update rules (against PyTorch and by hand), param groups, state dicts,
zero_grad, closures and errors."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import core
from core import optim

SHAPES = [(3, 4), (4,), (2, 3)]
STEPS = 10

# (optimizer, options): every option of each optimizer, alone and combined
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.2, "maximize": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "maximize": True}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3}),  # lerp weight >= 0.5
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "maximize": True, "betas": (0.8, 0.99)}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "eps": 1e-4}),  # lerp weight >= 0.5 (centered)
    ("RMSprop", {"lr": 0.01, "alpha": 0.3, "centered": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "maximize": True, "weight_decay": 0.1}),
    ("Adagrad", {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-4}),
    ("Adagrad", {"lr": 0.1, "weight_decay": 0.1, "maximize": True, "lr_decay": 0.01}),
]
CASE_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}" for name, kw in CASES
]


def _data(dtype, steps=STEPS, seed=0):
    """Initial values and per-step gradients; param 1 gets no gradient on step 3."""
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    grads[3][1] = None
    return init, grads


def _run(lib, name, kw, init, grads, opt=None, params=None):
    params = params or [lib.tensor(a.copy(), requires_grad=True) for a in init]
    opt = opt or getattr(lib.optim, name)(params, **kw)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else lib.tensor(g.copy())
        opt.step()
    return params, opt


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _state(opt):
    """The state dict's per-parameter state as numpy arrays / floats."""
    return {
        i: {k: (float(v) if k == "step" else _np(v)) for k, v in s.items()}
        for i, s in opt.state_dict()["state"].items()
    }


def _assert_same_state(a, b, rtol, atol):
    assert a.keys() == b.keys()
    for i in a:
        assert list(a[i]) == list(b[i]), f"param {i}: state keys differ"
        for k in a[i]:
            np.testing.assert_allclose(a[i][k], b[i][k], rtol=rtol, atol=atol, err_msg=k)


# -- against PyTorch -------------------------------------------------------------------
@pytest.mark.parametrize("dtype, rtol", [(np.float32, 1e-6), (np.float64, 1e-12)])
@pytest.mark.parametrize("name, kw", CASES, ids=CASE_IDS)
def test_matches_torch(name, kw, dtype, rtol):
    torch = pytest.importorskip("torch")
    init, grads = _data(dtype)
    ours, opt = _run(core, name, kw, init, grads)
    theirs, topt = _run(torch, name, kw, init, grads)
    for a, b in zip(ours, theirs):
        assert _np(a).dtype == dtype
        np.testing.assert_allclose(_np(a), _np(b), rtol=rtol, atol=rtol)
    _assert_same_state(_state(opt), _state(topt), rtol, rtol)
    # state layout: the same keys in the same order; the same group options
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert list(sd["param_groups"][0]) == list(tsd["param_groups"][0])
    assert sd["param_groups"] == tsd["param_groups"]


@pytest.mark.parametrize("name, kw", CASES[::3], ids=CASE_IDS[::3])
def test_param_groups_with_their_own_options_match_torch(name, kw):
    torch = pytest.importorskip("torch")
    init, grads = _data(np.float64)

    def run(lib):
        ps = [lib.tensor(a.copy(), requires_grad=True) for a in init]
        lr = kw.get("lr", 1e-2)
        groups = [{"params": ps[:2]}, {"params": ps[2:], "lr": lr * 3, "weight_decay": 0.05}]
        return _run(lib, name, kw, init, grads, getattr(lib.optim, name)(groups, **kw), ps)

    (ours, opt), (theirs, topt) = run(core), run(torch)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)
    assert opt.state_dict()["param_groups"] == topt.state_dict()["param_groups"]


@pytest.mark.parametrize("name, kw", CASES, ids=CASE_IDS)
def test_loads_a_torch_state_dict_and_continues_like_torch(name, kw):
    """The state dict layout is PyTorch's: a torch optimizer's state loads into core."""
    torch = pytest.importorskip("torch")
    init, grads = _data(np.float64)
    theirs, topt = _run(torch, name, kw, init, grads[:5])
    params = [core.tensor(_np(p).copy(), requires_grad=True) for p in theirs]
    opt = getattr(optim, name)(params, **kw)
    opt.load_state_dict(topt.state_dict())
    _run(core, name, kw, None, grads[5:], opt, params)
    _run(torch, name, kw, None, grads[5:], topt, theirs)
    for a, b in zip(params, theirs):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-12, atol=1e-12)


# -- by hand (no torch needed) ---------------------------------------------------------
def test_sgd_momentum_by_hand():
    p = core.tensor([1.0, 2.0], dtype=core.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = core.tensor([0.5, -1.0], dtype=core.float64)
    opt.step()  # buffer = g: p = p - 0.1 g
    np.testing.assert_allclose(p.numpy(force=True), [0.95, 2.1], rtol=1e-15)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].numpy(), [0.5, -1.0])
    p.grad = core.tensor([1.0, 1.0], dtype=core.float64)
    opt.step()  # buffer = 0.9 [0.5, -1] + [1, 1] = [1.45, 0.1]
    np.testing.assert_allclose(p.numpy(force=True), [0.95 - 0.145, 2.1 - 0.01], rtol=1e-15)


def test_sgd_nesterov_dampening_weight_decay_by_hand():
    p = core.tensor([1.0], dtype=core.float64, requires_grad=True)
    opt = optim.SGD([p], lr=0.5, momentum=0.5, weight_decay=0.1, nesterov=True)
    p.grad = core.tensor([2.0], dtype=core.float64)
    opt.step()  # g = 2 + 0.1 = 2.1; b = 2.1; g = 2.1 + 0.5 * 2.1 = 3.15; p = 1 - 1.575
    np.testing.assert_allclose(p.numpy(force=True), [-0.575], rtol=1e-15)
    q = core.tensor([1.0], dtype=core.float64, requires_grad=True)
    opt = optim.SGD([q], lr=1.0, momentum=0.5, dampening=0.5)
    for _ in range(2):
        q.grad = core.tensor([1.0], dtype=core.float64)
        opt.step()  # b = 1 (no dampening on the first step), then 0.5 + 0.5 = 1
    np.testing.assert_allclose(q.numpy(force=True), [-1.0], rtol=1e-15)


def _adam_reference(p, grads, lr, b1, b2, eps):
    """Adam in plain Python floats (one scalar parameter)."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p -= lr / (1 - b1**t) * m / (math.sqrt(v) / math.sqrt(1 - b2**t) + eps)
    return p, m, v


def test_adam_by_hand():
    grads = [0.5, -0.25, 1.0, 0.125]
    p = core.tensor([1.5], dtype=core.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    for g in grads:
        p.grad = core.tensor([g], dtype=core.float64)
        opt.step()
    want_p, want_m, want_v = _adam_reference(1.5, grads, 0.1, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(p.numpy(force=True), [want_p], rtol=1e-14)
    st = opt.state[p]
    assert float(st["step"]) == 4.0
    np.testing.assert_allclose(st["exp_avg"].numpy(), [want_m], rtol=1e-14)
    np.testing.assert_allclose(st["exp_avg_sq"].numpy(), [want_v], rtol=1e-14)
    # the first step moves every element by lr against the gradient's sign
    q = core.tensor([0.0, 0.0], requires_grad=True)
    opt = optim.Adam([q], lr=0.1)
    q.grad = core.tensor([3.0, -0.01])
    opt.step()
    np.testing.assert_allclose(q.numpy(force=True), [-0.1, 0.1], rtol=1e-5)


def test_adamw_decays_the_parameter_before_adam():
    p = core.tensor([2.0], dtype=core.float64, requires_grad=True)
    opt = optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = core.tensor([0.5], dtype=core.float64)
    opt.step()  # p = 2 * (1 - 0.05) - 0.1 (Adam's first step)
    np.testing.assert_allclose(p.numpy(force=True), [1.8], rtol=1e-7)
    assert optim.AdamW([p]).defaults["weight_decay"] == 1e-2


def test_rmsprop_and_adagrad_by_hand():
    p = core.tensor([1.0], dtype=core.float64, requires_grad=True)
    opt = optim.RMSprop([p], lr=0.01, alpha=0.9, eps=0.0)
    p.grad = core.tensor([2.0], dtype=core.float64)
    opt.step()  # v = 0.1 * 4 = 0.4; p = 1 - 0.01 * 2 / sqrt(0.4)
    np.testing.assert_allclose(p.numpy(force=True), [1 - 0.02 / math.sqrt(0.4)], rtol=1e-14)
    q = core.tensor([1.0], dtype=core.float64, requires_grad=True)
    opt = optim.Adagrad([q], lr=0.1, lr_decay=1.0, eps=0.0)
    for g in (3.0, 4.0):
        q.grad = core.tensor([g], dtype=core.float64)
        opt.step()  # sum 9: -0.1 * 3/3; sum 25, clr = 0.1 / 2: -0.05 * 4/5
    np.testing.assert_allclose(q.numpy(force=True), [1 - 0.1 - 0.04], rtol=1e-14)
    np.testing.assert_allclose(opt.state[q]["sum"].numpy(), [25.0])


def test_defaults_match_pytorch():
    p = core.zeros(2, requires_grad=True)
    assert optim.SGD([p]).defaults["lr"] == 1e-3
    adam = optim.Adam([p]).defaults
    assert (adam["lr"], adam["betas"], adam["eps"], adam["weight_decay"]) == (
        1e-3,
        (0.9, 0.999),
        1e-8,
        0,
    )
    rms = optim.RMSprop([p]).defaults
    assert (rms["lr"], rms["alpha"], rms["eps"], rms["momentum"]) == (1e-2, 0.99, 1e-8, 0)
    ada = optim.Adagrad([p]).defaults
    assert (ada["lr"], ada["lr_decay"], ada["eps"], ada["initial_accumulator_value"]) == (
        1e-2,
        0,
        1e-10,
        0,
    )


# -- behaviour ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_step_updates_in_place_without_a_graph(name):
    p = core.randn(3, 2, requires_grad=True)
    q = core.randn(2, requires_grad=True)  # no gradient: left alone
    data, before, q_before = p._data, p.numpy(force=True).copy(), q.numpy(force=True).copy()
    opt = getattr(optim, name)([p, q], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    p.grad = core.ones(3, 2)
    version = p._version
    opt.step()
    assert p._data is data and p.is_leaf and p.requires_grad and p.grad_fn is None
    assert p._version == version + 1
    assert not np.allclose(p.numpy(force=True), before)
    np.testing.assert_array_equal(q.numpy(force=True), q_before)
    if name != "Adagrad":  # Adagrad creates every parameter's state up front (PyTorch)
        assert len(opt.state[q]) == 0


def test_step_invalidates_values_saved_for_backward():
    w = core.randn(3, requires_grad=True)
    x = core.randn(3, requires_grad=True)
    y = (w * x).sum()  # mul saved w for x's gradient
    opt = optim.Adam([w], lr=0.1)
    w.grad = core.ones(3)
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_float64_parameters_keep_float64_state():
    p = core.randn(4, dtype=core.float64, requires_grad=True)
    opt = optim.Adam([p], amsgrad=True)
    p.grad = core.randn(4, dtype=core.float64)
    opt.step()
    assert p.dtype == core.float64
    for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert opt.state[p][key].dtype == core.float64
    assert opt.state[p]["step"].dtype == core.float32 and opt.state[p]["step"].ndim == 0


def test_a_training_loop_reduces_the_loss():
    core.manual_seed(0)
    x = core.randn(64, 3)
    w_true = core.tensor([[1.0], [-2.0], [0.5]])
    y = x @ w_true
    w = core.zeros(3, 1, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    losses = []
    for _ in range(200):
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-4 < losses[0]
    np.testing.assert_allclose(w.numpy(force=True), w_true.numpy(), atol=1e-2)


def test_zero_grad():
    p = core.randn(3, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * 2).sum().backward()
    opt.zero_grad()
    assert p.grad is None
    (p * 2).sum().backward()
    grad = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is grad and not grad.requires_grad
    np.testing.assert_array_equal(grad.numpy(), np.zeros(3, np.float32))
    (p * 3).sum().backward()  # accumulates into the zeroed gradient
    np.testing.assert_array_equal(p.grad.numpy(), np.full(3, 3, np.float32))


def test_step_with_closure_returns_its_loss():
    p = core.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.25)
    calls = []

    def closure():
        calls.append(core.is_grad_enabled())
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with core.no_grad():  # the closure still runs with grad enabled
        loss = opt.step(closure)
    assert calls == [True]
    assert loss.item() == 2.0
    np.testing.assert_allclose(p.numpy(force=True), [0.5, -0.5])
    assert opt.step() is None


def test_param_groups_get_the_defaults_and_their_own_lr():
    a = core.tensor([1.0], requires_grad=True)
    b = core.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.0)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["params"] == [b]  # a lone tensor becomes a list
    assert set(opt.param_groups[0]) == set(opt.defaults) | {"params"}
    a.grad = core.ones(1)
    b.grad = core.ones(1)
    opt.step()
    assert a.item() == pytest.approx(0.9) and b.item() == pytest.approx(0.5)
    c = core.tensor([1.0], requires_grad=True)
    opt.add_param_group({"params": [c], "lr": 1.0})
    c.grad = core.ones(1)
    opt.step()
    assert c.item() == pytest.approx(0.0)


def test_named_parameters_keep_their_names():
    a, b = core.zeros(2, requires_grad=True), core.zeros(3, requires_grad=True)
    opt = optim.Adam([("a", a), ("b", b)])
    assert opt.param_groups[0]["params"] == [a, b]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["a", "b"]


def test_state_dict_layout():
    a, b, c = (core.randn(2, requires_grad=True) for _ in range(3))
    opt = optim.Adam([{"params": [a, b]}, {"params": [c], "lr": 0.5}])
    for p in (a, c):  # b gets no gradient: no state
        p.grad = core.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.5
    assert sorted(sd["state"]) == [0, 2]
    assert list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["state"][0]["exp_avg"] is opt.state[a]["exp_avg"]  # live, as in PyTorch


ROUND_TRIP = [
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
]


@pytest.mark.parametrize("name, kw", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_round_trip_continues_the_run(name, kw):
    init, grads = _data(np.float32)
    straight, _ = _run(core, name, kw, init, grads)
    first, opt = _run(core, name, kw, init, grads[:5])
    saved = copy.deepcopy(opt.state_dict())
    values = [p.numpy(force=True).copy() for p in first]
    _run(core, name, kw, None, [[np.ones(s, np.float32) for s in SHAPES]], opt, first)  # noise
    params = [core.tensor(v, requires_grad=True) for v in values]
    fresh = getattr(optim, name)(params, lr=123.0)  # the loaded groups replace lr too
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kw["lr"] and fresh.param_groups[0]["params"] == params
    _run(core, name, kw, None, grads[5:], fresh, params)
    for a, b in zip(params, straight):
        np.testing.assert_array_equal(a.numpy(force=True), b.numpy(force=True))


def test_load_state_dict_casts_to_the_parameter_and_accepts_float_steps():
    p64 = core.randn(3, dtype=core.float64, requires_grad=True)
    opt = optim.Adam([p64], lr=0.1)
    p64.grad = core.ones(3, dtype=core.float64)
    opt.step()
    sd = copy.deepcopy(opt.state_dict())
    sd["state"][0]["step"] = 1.0  # a plain float step (older checkpoints)
    p = core.tensor(p64.numpy(force=True), dtype=core.float32, requires_grad=True)
    opt32 = optim.Adam([p], lr=0.1)
    opt32.load_state_dict(sd)
    st = opt32.state[p]
    assert st["exp_avg"].dtype == core.float32 and st["exp_avg_sq"].dtype == core.float32
    assert st["step"].dtype == core.float32 and float(st["step"]) == 1.0
    assert st["exp_avg"]._data is not sd["state"][0]["exp_avg"]._data  # a copy
    p.grad = core.ones(3)
    opt32.step()
    assert float(st["step"]) == 2.0
    np.testing.assert_allclose(st["exp_avg"].numpy(), np.full(3, 0.19, np.float32), rtol=1e-6)


def test_load_state_dict_rejects_mismatched_groups():
    a, b = core.zeros(2, requires_grad=True), core.zeros(2, requires_grad=True)
    one_group = optim.SGD([a, b], lr=0.1).state_dict()
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        two_groups.load_state_dict(one_group)
    smaller = optim.SGD([a], lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        smaller.load_state_dict(one_group)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        smaller.load_state_dict({"state": {}})


def test_errors():
    p = core.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid momentum value: -0.5"):
        optim.SGD([p], momentum=-0.5)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero"):
        optim.SGD([p], nesterov=True)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Invalid epsilon value"):
        optim.Adam([p], eps=-1.0)
    with pytest.raises(ValueError, match="Invalid weight_decay value"):
        optim.AdamW([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="Invalid alpha value"):
        optim.RMSprop([p], alpha=-0.1)
    with pytest.raises(ValueError, match="Invalid lr_decay value"):
        optim.Adagrad([p], lr_decay=-0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match=r"can only optimize Tensors.*index 1.*ndarray"):
        optim.SGD([p, np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match=r"same parameter twice.*indices 0 and 1"):
        optim.SGD([p, p], lr=0.1)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [core.zeros(1, requires_grad=True), p]})
    with pytest.raises(NotImplementedError, match="differentiable"):
        optim.Adam([p], differentiable=True)
    with pytest.raises(NotImplementedError, match="does not implement step"):
        optim.Optimizer([p], {"lr": 0.1}).step()
    with pytest.raises(ValueError, match="didn't specify a value of required"):
        optim.Optimizer([p], {"lr": optim.required})
    frozen = core.zeros(2)  # a leaf that needs no grad is accepted (frozen layers)
    optim.SGD([frozen], lr=0.1).step()


def test_repr_lists_the_groups():
    opt = optim.SGD([core.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n") and "    momentum: 0.9" in text


def test_pickle_keeps_groups_and_state():
    import pickle

    p = core.randn(3, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    p.grad = core.ones(3)
    opt.step()
    again = pickle.loads(pickle.dumps(opt))
    assert again.param_groups[0]["lr"] == 0.1
    (q,) = again.param_groups[0]["params"]
    np.testing.assert_array_equal(
        again.state[q]["exp_avg"].numpy(), opt.state[p]["exp_avg"].numpy()
    )


GPU_CASES = [
    *ROUND_TRIP,
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "maximize": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.2, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1}),
]


@pytest.mark.gpu
@pytest.mark.parametrize(
    "name, kw", GPU_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(GPU_CASES)]
)
def test_cuda_matches_cpu(name, kw):
    init, grads = _data(np.float32)
    cpu, _ = _run(core, name, kw, init, grads)
    params = [core.tensor(a.copy(), device="cuda", requires_grad=True) for a in init]
    opt = getattr(optim, name)(params, **kw)
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else core.tensor(g.copy(), device="cuda")
        opt.step()
    for a, b in zip(params, cpu):
        assert a.device.type == "cuda"
        np.testing.assert_allclose(
            a.cpu().numpy(force=True), b.numpy(force=True), rtol=1e-5, atol=1e-6
        )
    assert len(opt.state) == (0 if kw == {"lr": 0.1} else len(SHAPES))
    for st in opt.state.values():
        for k, v in st.items():
            assert v.device.type == ("cpu" if k == "step" else "cuda")


# -- the CPU's fast paths: pieces, packs, worker threads (core.optim._foreach) ----------
FAST_SHAPES = [(50, 40), (7,), (3, 5), (130,), (1,), (2, 4)]


@pytest.fixture
def fast_paths(monkeypatch):
    """Thresholds low enough for small tensors to take every fast path: large ones in
    pieces, small ones packed, batches on worker threads (a pool of 3 of its own, made
    on first use and closed after the test)."""
    from core.optim import _foreach

    monkeypatch.setattr(_foreach, "CHUNK", 256)
    monkeypatch.setattr(_foreach, "PACK_MAX", 16)
    monkeypatch.setattr(_foreach, "PARALLEL_MIN", 512)
    monkeypatch.setattr(_foreach, "_POOL", None)
    monkeypatch.setattr(_foreach, "_threads", lambda: 3)
    monkeypatch.setattr(_foreach._Pool, "_parallel_next", lambda self, times: True)
    yield _foreach
    pool = _foreach._POOL
    if pool:
        pool.close()
        assert not any(t.is_alive() for t in pool.threads)


def _plain(monkeypatch):
    """Every parameter updated whole, one by one, on the calling thread."""
    from core.optim import _foreach

    monkeypatch.setattr(_foreach, "CHUNK", 1 << 40)
    monkeypatch.setattr(_foreach, "PACK_MAX", 0)
    monkeypatch.setattr(_foreach, "PARALLEL_MIN", 1 << 40)


def _fast_run(name, kw, dtype=np.float32, steps=6, params=None, opt=None):
    """Steps with FAST_SHAPES gradients (one parameter without one on step 2), the big
    parameter's gradient transposed (not row-major) on odd steps."""
    rng = np.random.default_rng(3)
    if params is None:
        params = [
            core.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in FAST_SHAPES
        ]
    opt = opt or getattr(optim, name)(params, **kw)
    for k in range(steps):
        for i, p in enumerate(params):
            g = rng.standard_normal(p.shape).astype(dtype)
            if i == 0 and k % 2:
                g = np.ascontiguousarray(g.T).T
            p.grad = None if (k == 2 and i == 2) else core.tensor(g)
            if p.grad is not None:
                p.grad._data = g
        opt.step()
    return params, opt


def _bits(opt_params):
    params, opt = opt_params
    state = {
        i: {k: v.numpy(force=True).copy() for k, v in s.items()}
        for i, s in opt.state_dict()["state"].items()
    }
    return [p.numpy(force=True).copy() for p in params], state


def _assert_bit_identical(a, b):
    def raw(x):
        return np.ascontiguousarray(x).reshape(-1).view(np.uint8)

    (pa, sa), (pb, sb) = a, b
    for x, y in zip(pa, pb):
        np.testing.assert_array_equal(raw(x), raw(y))
    assert sa.keys() == sb.keys()
    for i in sa:
        assert list(sa[i]) == list(sb[i])
        for k in sa[i]:
            np.testing.assert_array_equal(raw(sa[i][k]), raw(sb[i][k]), err_msg=f"{i} {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, kw", CASES, ids=CASE_IDS)
def test_fast_paths_are_bit_identical_to_the_plain_update(name, kw, dtype, fast_paths):
    fast = _bits(_fast_run(name, kw, dtype))
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = _bits(_fast_run(name, kw, dtype))
    _assert_bit_identical(fast, plain)


@pytest.mark.parametrize("name, kw", CASES[::4], ids=CASE_IDS[::4])
def test_fast_paths_match_torch(name, kw, fast_paths):
    torch = pytest.importorskip("torch")
    ours, _ = _fast_run(name, kw)
    rng = np.random.default_rng(3)
    init = [rng.standard_normal(s).astype(np.float32) for s in FAST_SHAPES]
    theirs = [torch.tensor(a, requires_grad=True) for a in init]
    topt = getattr(torch.optim, name)(theirs, **kw)
    for k in range(6):
        for i, p in enumerate(theirs):
            g = torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32))
            p.grad = None if (k == 2 and i == 2) else g
        topt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(force=True), b.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_packed_state_keeps_the_pytorch_layout_and_live_tensors(fast_paths):
    params, opt = _fast_run("Adam", {"amsgrad": True}, steps=3)
    small = [p for p in params if p.numel() <= 16]
    tensors = {id(p): dict(opt.state[p]) for p in small}
    _fast_run("Adam", {"amsgrad": True}, steps=2, params=params, opt=opt)
    for p in small:
        st = opt.state[p]
        assert list(st) == ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        for k, t in st.items():
            assert t is tensors[id(p)][k]  # the same tensors, updated in place
            assert t.shape == (() if k == "step" else p.shape)
    # one pack for the group, its state tensors views into flat arrays; params[2],
    # a step behind since it had no gradient on step 2, is updated on its own
    (pack,) = opt._packs.values()
    assert [id(p) for p in pack.params] == [id(p) for p in small if p is not params[2]]
    assert opt.state[small[0]]["exp_avg"]._data.base is pack.flats[0]
    assert float(opt.state[params[2]]["step"]) == 4.0 and float(opt.state[small[0]]["step"]) == 5.0
    assert opt.state[params[2]]["exp_avg"]._data.base is not pack.flats[0]


def test_replaced_or_reloaded_state_is_used_by_the_next_step(fast_paths, monkeypatch):
    def run(plain):
        with pytest.MonkeyPatch.context() as mp:
            if plain:
                _plain(mp)
            params, opt = _fast_run("Adam", {"lr": 0.1}, steps=3)
            p = params[1]  # a packed one
            opt.state[p]["exp_avg"] = core.full(p.shape, 0.5)
            _fast_run("Adam", {"lr": 0.1}, steps=2, params=params, opt=opt)
            opt.load_state_dict(copy.deepcopy(opt.state_dict()))
            opt.state[p]["exp_avg_sq"].mul_(2.0)
            return _bits(_fast_run("Adam", {"lr": 0.1}, steps=2, params=params, opt=opt))

    _assert_bit_identical(run(False), run(True))


def test_params_of_a_group_added_later_are_packed_in_their_own_group(fast_paths):
    def run():
        params, opt = _fast_run("RMSprop", {"momentum": 0.5}, steps=2)
        extra = [core.ones(5, requires_grad=True), core.ones(3, 2, requires_grad=True)]
        opt.add_param_group({"params": extra, "lr": 0.03})
        return _bits(_fast_run("RMSprop", {}, steps=3, params=params + extra, opt=opt))

    fast = run()
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        plain = run()
    _assert_bit_identical(fast, plain)


def test_worker_threads_share_a_batch_and_pass_errors_back(fast_paths):
    import threading

    pool = fast_paths._pool()
    assert pool is fast_paths._pool() and len(pool.threads) == 2
    assert all(t.daemon for t in pool.threads)
    ran_on, first_taken = [], threading.Event()

    def job(xp, consts, t, u, d):
        ran_on.append(threading.current_thread())
        if not first_taken.is_set():  # hold this thread until another takes a job
            first_taken.set()
            assert consts.wait(timeout=30), "no other thread took a job"
        else:
            consts.set()

    go = threading.Event()
    jobs = [(job, go, 1, (np.zeros(4),)) for _ in range(2)]
    pool.run(jobs, 8)
    assert len(ran_on) == 2 and ran_on[0] is not ran_on[1]

    def fails(xp, consts, t, u, d):
        raise ValueError("bad kernel")

    with pytest.raises(ValueError, match="bad kernel"):
        pool.run([(fails, None, 1, (np.zeros(4),)) for _ in range(5)], 20)
    ran_on.clear()
    pool.run([(lambda xp, c, t, u, d: ran_on.append(1), None, 1, (np.zeros(4),))] * 9, 36)
    assert len(ran_on) == 9  # still working after an error


def test_steps_from_other_threads_at_once_match_the_main_thread(fast_paths):
    import threading

    expected = [_bits(_fast_run(name, {"lr": 0.05})) for name in ("Adam", "SGD")]
    results, barrier = [None, None], threading.Barrier(2)

    def train(i, name):
        barrier.wait(timeout=30)
        results[i] = _bits(_fast_run(name, {"lr": 0.05}))

    threads = [threading.Thread(target=train, args=(i, n)) for i, n in enumerate(("Adam", "SGD"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for got, want in zip(results, expected):
        _assert_bit_identical(got, want)


def test_the_pool_runs_in_parallel_while_that_is_the_faster_way():
    from core.optim._foreach import _Pool

    pool = _Pool(0)  # the choice only: no threads
    kernel = object()  # timings are kept per kind of update
    pool._times[kernel] = ([], [])
    cost = {False: 1.0, True: 2.0}  # seconds per element: serial, parallel

    def picks(n):
        out = []
        for _ in range(n):
            parallel = pool._parallel_next(pool._times[kernel])
            pool._note(kernel, parallel, cost[parallel])
            out.append(parallel)
        return out

    assert picks(4) == [True, True, False, False]  # both ways timed (after a warm-up)
    later = picks(4 * pool.EXPLORE)
    assert later.count(True) == 4  # serial is faster: parallel only to re-check it
    cost[False] = 3.0  # now the parallel way is the faster (other cores got free)
    settled = picks(2 * pool.EXPLORE)
    assert settled[pool.SAMPLES :].count(False) == 2  # serial only to re-check it
    cost[True] = 4.0  # a busy machine: parallel slower than serial was...
    picks(pool.SAMPLES // 2 + 1)  # (enough for the median)
    assert picks(1) == [False]  # ... so serial goes on at once
    cost[False] = 5.0  # ... but serial is slower still: back to parallel
    assert picks(pool.EXPLORE).count(True) >= pool.EXPLORE - 3
