"""core.optim.lr_scheduler: lr (and momentum) sequences against PyTorch and by hand,
state dicts, warnings and errors."""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pytest

import core
from core import optim
from core.optim import lr_scheduler as sched


def _sgd(lib, lrs=(0.1, 0.05), **kw):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return lib.optim.SGD(groups, lr=0.01, momentum=0.9, **kw)


def _adam(lib, lrs=(0.1, 0.05)):
    groups = [{"params": [lib.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return lib.optim.Adam(groups, betas=(0.9, 0.99))


def _trace(opt, scheduler, steps, metrics=None):
    """After construction and after each step: lrs, momenta / beta1s of every group."""

    def snap():
        groups = opt.param_groups
        lrs = [g["lr"] for g in groups]
        assert scheduler.get_last_lr() == lrs
        mom = [g["betas"][0] if "betas" in g else g["momentum"] for g in groups]
        return lrs, mom

    out = [snap()]
    for i in range(steps):
        opt.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[i])
        out.append(snap())
    return out


# name, kwargs, number of steps
CASES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 30),
    ("StepLR", {"step_size": 1}, 30),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}, 30),
    ("ExponentialLR", {"gamma": 0.9}, 40),
    ("CosineAnnealingLR", {"T_max": 10}, 60),  # back up after T_max
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, 50),
    ("LinearLR", {}, 30),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 8}, 30),
    ("ConstantLR", {"factor": 0.25, "total_iters": 4}, 20),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e}, 30),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 40}, 40),
    (
        "OneCycleLR",
        {
            "max_lr": [0.5, 1.0],
            "epochs": 4,
            "steps_per_epoch": 10,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
            "base_momentum": [0.8, 0.7],
            "max_momentum": 0.9,
        },
        40,
    ),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 30, "cycle_momentum": False}, 30),
]
IDS = [f"{name}-{i}" for i, (name, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("make_opt", [_sgd, _adam], ids=["SGD", "Adam"])
@pytest.mark.parametrize("name, kw, steps", CASES, ids=IDS)
def test_sequences_match_torch(name, kw, steps, make_opt):
    torch = pytest.importorskip("torch")
    opt, topt = make_opt(core), make_opt(torch)
    ours = _trace(opt, getattr(sched, name)(opt, **kw), steps)
    theirs = _trace(topt, getattr(torch.optim.lr_scheduler, name)(topt, **kw), steps)
    assert ours == theirs  # the same float operations: equal to the last bit
    assert [g["initial_lr"] for g in opt.param_groups] == [
        g["initial_lr"] for g in topt.param_groups
    ]


PLATEAU = [
    ({"patience": 2}, [5, 4, 4, 4, 4, 3.9999, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
    (
        {"patience": 1, "cooldown": 2, "factor": 0.5, "min_lr": [0.02, 0.001]},
        [1, 1, 1, 1, 1, 1, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    ),
    (
        {"mode": "max", "threshold_mode": "abs", "threshold": 0.1, "patience": 0},
        [0.1, 0.5, 0.55, 0.65, 0.7, 0.9, 0.95, 1.1, 1.15, 1.0, 1.3, 1.3, 1.3, 1.3, 1.3],
    ),
    ({"mode": "max", "patience": 3, "factor": 0.2}, [1, 2, 3, 3, 3, 3, 3, 3, 3.001, 3, 3, 3, 3]),
    ({"patience": 0, "factor": 0.5, "min_lr": 0.03, "eps": 0.03}, [9, 9, 9, 9, 9, 9, 9, 9]),
    ({"threshold_mode": "abs", "threshold": 0.5, "patience": 1}, [3, 2.6, 2.2, 1.9, 1.0, 0.7, 0.6]),
]


@pytest.mark.parametrize("make_opt", [_sgd, _adam], ids=["SGD", "Adam"])
@pytest.mark.parametrize("kw, metrics", PLATEAU, ids=[f"plateau-{i}" for i in range(len(PLATEAU))])
def test_reduce_on_plateau_matches_torch(kw, metrics, make_opt):
    torch = pytest.importorskip("torch")
    opt, topt = make_opt(core), make_opt(torch)
    ours = _trace(opt, sched.ReduceLROnPlateau(opt, **kw), len(metrics), metrics)
    theirs = _trace(
        topt, torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw), len(metrics), metrics
    )
    assert ours == theirs
    assert ours[-1] != ours[0]  # the script reduces the lr


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_one_cycle_drives_the_optimizer_like_torch(name):
    """OneCycleLR's lr and momentum / beta1 reach the update: parameters match torch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    init = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(20)]

    def run(lib):
        p = lib.tensor(init.copy(), requires_grad=True)
        kw = {"momentum": 0.9} if name == "SGD" else {}
        opt = getattr(lib.optim, name)([p], lr=0.1, **kw)
        s = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=20)
        for g in grads:
            p.grad = lib.tensor(g.copy())
            opt.step()
            s.step()
        return p.detach().numpy()

    np.testing.assert_allclose(run(core), run(torch), rtol=1e-12, atol=1e-12)


# -- by hand (no torch needed) ---------------------------------------------------------
def _lrs(scheduler, opt, steps):
    out = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append(opt.param_groups[0]["lr"])
    return out


def test_step_and_multistep_by_hand():
    opt = _sgd(core, lrs=(1.0,))
    got = _lrs(sched.StepLR(opt, step_size=2, gamma=0.5), opt, 6)
    assert got == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    opt = _sgd(core, lrs=(1.0,))
    got = _lrs(sched.MultiStepLR(opt, milestones=[1, 3, 3], gamma=0.1), opt, 4)
    assert got == pytest.approx([1.0, 0.1, 0.1, 0.001, 0.001], rel=1e-12)


def test_cosine_follows_the_closed_form_within_the_period():
    opt = _sgd(core, lrs=(0.2,))
    got = _lrs(sched.CosineAnnealingLR(opt, T_max=12, eta_min=0.02), opt, 12)
    want = [0.02 + 0.18 * (1 + math.cos(math.pi * t / 12)) / 2 for t in range(13)]
    assert got == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_linear_and_exponential_by_hand():
    opt = _sgd(core, lrs=(0.3,))
    got = _lrs(sched.LinearLR(opt), opt, 7)  # 1/3 -> 1 over 5 steps, then constant
    assert got == pytest.approx([0.3 * (1 / 3 + 2 / 3 * min(t, 5) / 5) for t in range(8)])
    opt = _sgd(core, lrs=(1.0,))
    assert _lrs(sched.ExponentialLR(opt, gamma=0.5), opt, 3) == [1.0, 0.5, 0.25, 0.125]


def test_one_cycle_by_hand():
    opt = _sgd(core, lrs=(0.1,))
    s = sched.OneCycleLR(opt, max_lr=2.0, total_steps=20, pct_start=0.25)
    group = opt.param_groups[0]
    lrs, moms = [group["lr"]], [group["momentum"]]
    for _ in range(20):
        opt.step()
        s.step()
        lrs.append(group["lr"])
        moms.append(group["momentum"])
    initial, low = 2.0 / 25, 2.0 / 25 / 1e4
    # warm-up ends at step 0.25 * 20 - 1 = 4 (cosine from initial to max_lr), then
    # cosine from max_lr to initial / final_div_factor at step 19
    assert lrs[0] == pytest.approx(initial) and moms[0] == 0.95
    assert lrs[2] == pytest.approx((initial + 2.0) / 2) and moms[2] == pytest.approx(0.9)
    assert lrs[4] == pytest.approx(2.0) and moms[4] == pytest.approx(0.85)
    assert lrs[19] == pytest.approx(low) and moms[19] == pytest.approx(0.95)
    assert lrs[:5] == sorted(lrs[:5]) and lrs[4:20] == sorted(lrs[4:20], reverse=True)
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 21 times. The specified number of"):
        s.step()


def test_one_cycle_cycles_adam_beta1():
    p = core.zeros(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1, betas=(0.5, 0.99))
    s = sched.OneCycleLR(opt, max_lr=1.0, epochs=2, steps_per_epoch=5)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)
    for _ in range(2):
        opt.step()
        s.step()
    beta1, beta2 = opt.param_groups[0]["betas"]
    assert beta1 == pytest.approx(0.85) and beta2 == 0.99  # at the peak: step 0.3 * 10 - 1


def test_reduce_on_plateau_by_hand():
    opt = _sgd(core, lrs=(1.0, 0.5))
    s = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1, min_lr=[0.05, 0.2])
    lrs, bad = [], []
    for metric in [3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.0]:
        s.step(core.tensor(metric))  # a 0-d tensor, as a loss is
        lrs.append(s.get_last_lr())
        bad.append(s.num_bad_epochs)
    # two bad epochs (> patience 1) reduce the lr, bounded below by min_lr; the step
    # after a reduction is a cooldown step, whose bad epoch does not count
    want = [[1.0, 0.5], [1.0, 0.5]] + [[0.1, 0.2]] * 3 + [[0.05, 0.2]] * 3
    assert lrs == [pytest.approx(w) for w in want]
    assert bad == [0, 1, 0, 0, 1, 0, 0, 0]
    assert s.best == 2.0


def test_reduce_on_plateau_mode_max_with_abs_threshold():
    opt = _sgd(core, lrs=(1.0,))
    s = sched.ReduceLROnPlateau(opt, mode="max", threshold_mode="abs", threshold=0.5, patience=0)
    s.step(1.0)  # the first value is an improvement on -inf
    s.step(1.4)  # not better than 1.0 + 0.5: one bad epoch > patience 0
    assert s.get_last_lr() == pytest.approx([0.1])
    s.step(2.0)  # better than 1.0 + 0.5
    assert s.best == 2.0 and s.get_last_lr() == pytest.approx([0.1])


def test_base_lrs_initial_lr_and_get_last_lr():
    opt = _sgd(core)
    s = sched.StepLR(opt, step_size=5)
    assert s.base_lrs == [0.1, 0.05] and s.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.05]
    assert s.get_last_lr() == [0.1, 0.05]
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()


# -- state dicts -------------------------------------------------------------------------
ROUND_TRIP = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.001}),
    ("LinearLR", {"start_factor": 0.2, "total_iters": 10}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 20}),
]


@pytest.mark.parametrize("name, kw", ROUND_TRIP, ids=[r[0] for r in ROUND_TRIP])
def test_state_dict_round_trip(name, kw):
    opt = _sgd(core)
    s = getattr(sched, name)(opt, **kw)
    straight = _trace(opt, s, 15)
    opt = _sgd(core)
    s = getattr(sched, name)(opt, **kw)
    _trace(opt, s, 7)
    saved_s, saved_o = copy.deepcopy(s.state_dict()), copy.deepcopy(opt.state_dict())
    assert "optimizer" not in saved_s and saved_s["last_epoch"] == 7
    fresh_opt = _sgd(core, lrs=(9.0, 9.0))
    fresh = getattr(sched, name)(fresh_opt, **kw)
    fresh.load_state_dict(saved_s)
    fresh_opt.load_state_dict(saved_o)  # lr, initial_lr (and momentum) of step 7
    resumed = _trace(fresh_opt, fresh, 8)
    assert resumed == straight[7:]


def test_reduce_on_plateau_state_dict_round_trip():
    metrics = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3]
    opt = _sgd(core)
    straight = _trace(opt, sched.ReduceLROnPlateau(opt, patience=1, cooldown=1), 12, metrics)
    opt = _sgd(core)
    s = sched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    _trace(opt, s, 5, metrics)
    saved_s, saved_o = copy.deepcopy(s.state_dict()), copy.deepcopy(opt.state_dict())
    fresh_opt = _sgd(core)
    fresh = sched.ReduceLROnPlateau(fresh_opt, mode="max")  # the state brings mode back
    fresh.load_state_dict(saved_s)
    fresh_opt.load_state_dict(saved_o)
    assert fresh.mode == "min" and fresh.mode_worse == math.inf
    assert _trace(fresh_opt, fresh, 7, metrics[5:]) == straight[5:]


def test_resuming_with_last_epoch():
    opt = _sgd(core, lrs=(1.0,))
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(opt, step_size=2, last_epoch=3)
    opt.param_groups[0]["initial_lr"] = 1.0
    opt.param_groups[0]["lr"] = 0.25
    s = sched.CosineAnnealingLR(opt, T_max=10, last_epoch=3)
    assert s.last_epoch == 4 and opt.param_groups[0]["lr"] == 0.25  # the loaded lr stays
    opt.step()
    s.step()  # the recursive form, from the current lr
    ratio = (1 + math.cos(math.pi * 5 / 10)) / (1 + math.cos(math.pi * 4 / 10))
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25 * ratio, rel=1e-14)


# -- warnings and errors ----------------------------------------------------------------
def test_warns_when_stepped_before_the_optimizer():
    opt = _sgd(core)
    s = sched.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    opt = _sgd(core)
    s = sched.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        s.step()  # the right order: no warning


def test_errors():
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        sched.StepLR([], step_size=1)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        sched.ReduceLROnPlateau(object())
    opt = _sgd(core)
    with pytest.raises(ValueError, match="either total_steps OR"):
        sched.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="Expected positive integer total_steps"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=0)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        sched.OneCycleLR(opt, max_lr=[1.0], total_steps=10)
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        sched.OneCycleLR(optim.Adagrad([core.zeros(1, requires_grad=True)]), 1.0, 10)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode avg is unknown"):
        sched.ReduceLROnPlateau(opt, mode="avg")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 1"):
        sched.ReduceLROnPlateau(opt, min_lr=[0.1])
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        sched.LinearLR(opt, start_factor=0)
