"""core.nn activation and loss modules: PyTorch's constructors, defaults, repr text,
state and numerics (torch is the oracle where installed; the first tests need none)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import core
from core import nn


def _torch():
    return pytest.importorskip("torch")


def _np(t) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else t.detach().numpy()


def _public_attrs(module) -> dict:
    """A torch module's settings: its public plain attributes (not tensors, not modes)."""
    return {
        k: v
        for k, v in vars(module).items()
        if not k.startswith("_") and k != "training" and not hasattr(v, "shape")
    }


# -- without torch: hand-computed values ------------------------------------------------
def test_activations_hand_computed():
    x = core.tensor([-3.0, -1.0, 0.0, 2.0, 7.0])
    np.testing.assert_array_equal(nn.ReLU()(x).numpy(), [0, 0, 0, 2, 7])
    np.testing.assert_array_equal(nn.ReLU6()(x).numpy(), [0, 0, 0, 2, 6])
    np.testing.assert_allclose(nn.LeakyReLU(0.1)(x).numpy(), [-0.3, -0.1, 0, 2, 7], rtol=1e-6)
    np.testing.assert_array_equal(nn.Hardtanh(-2.0, 0.5)(x).numpy(), [-2, -1, 0, 0.5, 0.5])
    np.testing.assert_allclose(
        nn.ELU(alpha=2.0)(x).numpy(), [2 * math.expm1(-3), 2 * math.expm1(-1), 0, 2, 7], rtol=1e-6
    )
    # softplus: log(1 + e^(beta x)) / beta below the threshold, x above it
    sp = nn.Softplus(beta=2.0, threshold=3.0)(core.tensor([0.0, 1.0, 2.0])).numpy()
    np.testing.assert_allclose(sp, [math.log(2) / 2, math.log1p(math.e**2) / 2, 2.0], rtol=1e-6)
    p = nn.Softmax(dim=0)(core.tensor([0.0, math.log(3.0)])).numpy()
    np.testing.assert_allclose(p, [0.25, 0.75], rtol=1e-6)
    lp = nn.LogSoftmax(dim=1)(core.tensor([[0.0, 0.0]])).numpy()
    np.testing.assert_allclose(lp, [[-math.log(2), -math.log(2)]], rtol=1e-6)
    np.testing.assert_allclose(nn.Sigmoid()(core.tensor([0.0])).numpy(), [0.5])
    np.testing.assert_allclose(nn.SiLU()(core.tensor([2.0])).numpy(), [2 / (1 + math.exp(-2))])


def test_inplace_activation_writes_into_its_input():
    x = core.tensor([-1.0, 2.0])
    y = nn.LeakyReLU(0.5, inplace=True)(x)
    np.testing.assert_array_equal(x.numpy(), [-0.5, 2.0])
    assert y is x


@pytest.mark.parametrize(
    ("module", "text"),
    [
        (nn.ReLU(), "ReLU()"),
        (nn.ReLU(inplace=True), "ReLU(inplace=True)"),
        (nn.ReLU6(True), "ReLU6(inplace=True)"),
        (nn.LeakyReLU(0.2), "LeakyReLU(negative_slope=0.2)"),
        (nn.LeakyReLU(inplace=True), "LeakyReLU(negative_slope=0.01, inplace=True)"),
        (nn.ELU(), "ELU(alpha=1.0)"),
        (nn.GELU("tanh"), "GELU(approximate='tanh')"),
        (nn.SiLU(), "SiLU()"),
        (nn.Hardtanh(), "Hardtanh(min_val=-1.0, max_val=1.0)"),
        (nn.Softmax(), "Softmax(dim=None)"),
        (nn.LogSoftmax(1), "LogSoftmax(dim=1)"),
        (nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
        (nn.CrossEntropyLoss(weight=core.ones(3)), "CrossEntropyLoss()"),
    ],
)
def test_repr_text(module, text):
    assert repr(module) == text


def test_modules_show_in_a_sequential_repr():
    seq = nn.Sequential(nn.ReLU(), nn.GELU())
    assert repr(seq) == "Sequential(\n  (0): ReLU()\n  (1): GELU(approximate='none')\n)"


def test_softmax_without_dim_warns_and_takes_the_implicit_dim():
    x = core.tensor([[0.0, math.log(3.0)], [0.0, 0.0]])
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax") as rec:
        p = nn.Softmax()(x)
    assert rec[0].filename == __file__  # the warning names the line that called the module
    np.testing.assert_allclose(p.numpy(), [[0.25, 0.75], [0.5, 0.5]], rtol=1e-6)


def test_hardtanh_rejects_an_empty_range():
    with pytest.raises(AssertionError, match=r"max_val \(-1.0\) must be greater than min_val"):
        nn.Hardtanh(0.0, -1.0)


def test_losses_hand_computed():
    x, y = core.tensor([1.0, -2.0]), core.tensor([0.0, 0.0])
    assert nn.MSELoss()(x, y).item() == pytest.approx(2.5)
    assert nn.MSELoss(reduction="sum")(x, y).item() == pytest.approx(5.0)
    np.testing.assert_allclose(nn.MSELoss(reduction="none")(x, y).numpy(), [1.0, 4.0])
    assert nn.L1Loss(reduction="sum")(x, y).item() == pytest.approx(3.0)
    d = core.tensor([3.0, 1.0])
    z = core.zeros(2)
    # huber: delta (|d| - delta / 2) = 2.5 and d^2 / 2 = 0.5
    np.testing.assert_allclose(nn.HuberLoss(reduction="none")(d, z).numpy(), [2.5, 0.5])
    # smooth l1 (beta=2): |d| - beta / 2 = 2 and d^2 / (2 beta) = 0.25
    np.testing.assert_allclose(nn.SmoothL1Loss(reduction="none", beta=2.0)(d, z).numpy(), [2, 0.25])
    logits = core.tensor([[0.0, 0.0], [0.0, math.log(3.0)]])
    ce = nn.CrossEntropyLoss(reduction="none")(logits, core.tensor([1, 1]))
    np.testing.assert_allclose(ce.numpy(), [math.log(2), -math.log(0.75)], rtol=1e-6)
    # every target ignored: a 'mean' of nothing is nan, as in PyTorch
    assert math.isnan(nn.CrossEntropyLoss(ignore_index=1)(logits, core.tensor([1, 1])).item())
    nll = nn.NLLLoss(weight=core.tensor([1.0, 3.0]))(logits, core.tensor([0, 1]))
    assert nll.item() == pytest.approx(-(0.0 + 3 * math.log(3.0)) / 4)
    bce = nn.BCEWithLogitsLoss(pos_weight=core.tensor([2.0]))(core.zeros(1), core.ones(1))
    assert bce.item() == pytest.approx(2 * math.log(2), rel=1e-6)
    assert nn.BCELoss()(core.tensor([0.25]), core.tensor([1.0])).item() == pytest.approx(
        math.log(4), rel=1e-6
    )


def test_loss_rejects_an_unknown_reduction():
    with pytest.raises(ValueError, match="'elementwise_mean'|elementwise_mean is not a valid"):
        nn.MSELoss(reduction="elementwise_mean")
    with pytest.raises(ValueError, match="batchmean is not a valid value for reduction"):
        nn.CrossEntropyLoss(reduction="batchmean")


@pytest.mark.parametrize(
    ("size_average", "reduce", "expected"),
    [
        (None, False, "none"),
        (False, None, "sum"),
        (True, None, "mean"),
        (False, True, "sum"),
        (True, False, "none"),
    ],
)
def test_legacy_size_average_and_reduce(size_average, reduce, expected):
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        loss = nn.NLLLoss(size_average=size_average, reduce=reduce, reduction="mean")
    assert loss.reduction == expected


def test_huber_delta_type_is_checked():
    with pytest.raises(TypeError, match="delta must be a float or int"):
        nn.HuberLoss(delta="1")


def test_weight_buffers_follow_the_module():
    loss = nn.BCEWithLogitsLoss(weight=core.ones(3), pos_weight=core.full((3,), 2.0))
    assert list(loss.state_dict()) == ["weight", "pos_weight"]
    assert [name for name, _ in loss.named_buffers()] == ["weight", "pos_weight"]
    loss.double()
    assert loss.weight.dtype == core.float64 and loss.pos_weight.dtype == core.float64
    assert loss.state_dict()["pos_weight"].dtype == core.float64
    assert list(nn.CrossEntropyLoss().state_dict()) == []  # an absent weight is no entry
    assert list(nn.BCEWithLogitsLoss(pos_weight=core.ones(2)).state_dict()) == ["pos_weight"]


def test_weighted_loss_state_dict_round_trip():
    src = nn.CrossEntropyLoss(weight=core.tensor([1.0, 2.0, 3.0]))
    dst = nn.CrossEntropyLoss(weight=core.zeros(3))
    dst.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(dst.weight.numpy(), [1.0, 2.0, 3.0])


def test_activation_and_loss_ops_are_recorded_under_their_scopes():
    model = nn.Sequential(nn.ReLU(), nn.Tanh())
    with core.graph.record() as g:
        model(core.tensor([1.0, -1.0]))
        nn.MSELoss()(core.tensor([1.0]), core.tensor([0.0]))
    assert [n.scope for n in g.ops] == ["0", "1", ""]


# -- against torch -------------------------------------------------------------------------
ACTIVATIONS = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("ReLU6", (), {}),
    ("ReLU6", (True,), {}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {}),
    ("LeakyReLU", (), {"negative_slope": 0.3, "inplace": True}),
    ("ELU", (), {}),
    ("ELU", (0.5, True), {}),
    ("GELU", (), {}),
    ("GELU", ("tanh",), {}),
    ("GELU", (), {"approximate": "none"}),
    ("SiLU", (), {}),
    ("SiLU", (), {"inplace": True}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-2.0, 0.5), {}),
    ("Hardtanh", (), {"min_val": -0.5, "max_val": 3.0, "inplace": True}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (-1,), {}),
    ("Softmax", (0,), {}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (0,), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.5), {}),
    ("Softplus", (), {"beta": 0.5, "threshold": 4.0}),
]


def _ids(case) -> str:
    name, args, kwargs = case
    return name + "".join(f"-{a}" for a in args) + "".join(f"-{k}={v}" for k, v in kwargs.items())


@pytest.mark.parametrize("case", ACTIVATIONS, ids=[_ids(c) for c in ACTIVATIONS])
def test_activation_matches_torch(case):
    torch = _torch()
    name, args, kwargs = case
    cm, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(cm) == repr(tm)
    assert _public_attrs(tm) == {k: getattr(cm, k) for k in _public_attrs(tm)}
    rng = np.random.default_rng(7)
    a = rng.normal(0.0, 3.0, size=(3, 4, 2))
    g = rng.normal(size=a.shape)
    x, tx = core.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    # x * 1: a non-leaf, so that inplace=True may write into it
    out, tout = cm(x * 1.0), tm(tx * 1.0)
    assert out.dtype == core.float64 and tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(_np(out), _np(tout), rtol=1e-12, atol=1e-14)
    out.backward(core.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(x.grad), _np(tx.grad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "name",
    ["ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardtanh"]
    + ["Softmax", "LogSoftmax", "Softplus"],
)
def test_activation_default_repr_matches_torch(name):
    torch = _torch()
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())


REDUCTIONS = ["none", "mean", "sum"]


def _check_loss(torch, name, kwargs, x, t, *, target_grad=False, rtol=1e-12):
    """The core and torch modules agree on repr, settings, value and grads."""
    ckw = {k: core.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    cm, tm = getattr(nn, name)(**ckw), getattr(torch.nn, name)(**tkw)
    assert repr(cm) == repr(tm)
    assert _public_attrs(tm) == {k: getattr(cm, k) for k in _public_attrs(tm)}
    assert list(cm.state_dict()) == list(tm.state_dict())
    cx, tx = core.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ct = core.tensor(t, requires_grad=target_grad)
    tt = torch.tensor(t, requires_grad=target_grad)
    out, tout = cm(cx, ct), tm(tx, tt)
    assert tuple(out.shape) == tuple(tout.shape)
    np.testing.assert_allclose(_np(out), _np(tout), rtol=rtol, atol=1e-14)
    g = np.random.default_rng(3).normal(size=tuple(tout.shape))
    out.backward(core.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(cx.grad), _np(tx.grad), rtol=1e-10, atol=1e-13)
    if target_grad:
        np.testing.assert_allclose(_np(ct.grad), _np(tt.grad), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("MSELoss", {}),
        ("L1Loss", {}),
        ("SmoothL1Loss", {}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("SmoothL1Loss", {"beta": 0.0}),
        ("HuberLoss", {}),
        ("HuberLoss", {"delta": 0.7}),
    ],
)
def test_regression_loss_matches_torch(name, extra, reduction):
    torch = _torch()
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    _check_loss(torch, name, {"reduction": reduction, **extra}, x, t, target_grad=True)


CE_CASES = {
    "plain": {},
    "weight": {"weight": np.array([0.2, 1.0, 2.5, 0.7])},
    "ignore": {"ignore_index": 2},
    "ignore-weight": {"ignore_index": 0, "weight": np.array([0.2, 1.0, 2.5, 0.7])},
    "smoothing": {"label_smoothing": 0.15},
    "smoothing-weight-ignore": {
        "label_smoothing": 0.3,
        "weight": np.array([0.2, 1.0, 2.5, 0.7]),
        "ignore_index": 1,
    },
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", list(CE_CASES))
def test_cross_entropy_class_indices_match_torch(case, reduction):
    torch = _torch()
    rng = np.random.default_rng(2)
    kwargs = {"reduction": reduction, **CE_CASES[case]}
    x, t = rng.normal(size=(6, 4)), np.array([0, 1, 2, 3, 2, 1])
    _check_loss(torch, "CrossEntropyLoss", kwargs, x, t)
    # (N, C, d): a per-position loss
    x, t = rng.normal(size=(2, 4, 3)), np.array([[0, 2, 1], [3, 2, 2]])
    _check_loss(torch, "CrossEntropyLoss", kwargs, x, t)
    # unbatched (C,) with a 0-d target
    _check_loss(torch, "CrossEntropyLoss", kwargs, rng.normal(size=4), np.array(3))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight", "smoothing", "smoothing-weight"])
def test_cross_entropy_probability_targets_match_torch(case, reduction):
    torch = _torch()
    rng = np.random.default_rng(4)
    kwargs = {"reduction": reduction}
    if "weight" in case:
        kwargs["weight"] = np.array([0.5, 1.5, 1.0])
    if "smoothing" in case:
        kwargs["label_smoothing"] = 0.2
    x = rng.normal(size=(5, 3))
    p = rng.uniform(size=(5, 3))
    p /= p.sum(axis=1, keepdims=True)
    _check_loss(torch, "CrossEntropyLoss", kwargs, x, p, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "extra", [{}, {"weight": np.array([1.0, 0.5, 2.0])}, {"ignore_index": 1}], ids=str
)
def test_nll_loss_matches_torch(extra, reduction):
    torch = _torch()
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 3))
    x -= np.log(np.exp(x).sum(axis=1, keepdims=True))  # log-probabilities
    t = np.array([0, 1, 2, 1, 1])
    _check_loss(torch, "NLLLoss", {"reduction": reduction, **extra}, x, t)
    x4, t4 = rng.normal(size=(2, 3, 2, 2)), rng.integers(0, 3, size=(2, 2, 2))
    _check_loss(torch, "NLLLoss", {"reduction": reduction, **extra}, x4, t4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_loss_matches_torch(weighted, reduction):
    torch = _torch()
    rng = np.random.default_rng(6)
    x = rng.uniform(0.05, 0.95, size=(3, 4))
    t = rng.uniform(size=(3, 4))
    kwargs = {"reduction": reduction}
    if weighted:
        kwargs["weight"] = rng.uniform(0.5, 2.0, size=4)  # broadcast over the batch
    _check_loss(torch, "BCELoss", kwargs, x, t, target_grad=True)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weights", ["none", "weight", "pos_weight", "both"])
def test_bce_with_logits_loss_matches_torch(weights, reduction):
    torch = _torch()
    rng = np.random.default_rng(8)
    x = rng.normal(0.0, 3.0, size=(3, 4))
    t = (rng.uniform(size=(3, 4)) > 0.5).astype(np.float64)
    kwargs = {"reduction": reduction}
    if weights in ("weight", "both"):
        kwargs["weight"] = rng.uniform(0.5, 2.0, size=(3, 4))
    if weights in ("pos_weight", "both"):
        kwargs["pos_weight"] = np.array([1.0, 2.0, 0.5, 3.0])
    _check_loss(torch, "BCEWithLogitsLoss", kwargs, x, t, target_grad=True)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("CrossEntropyLoss", {"weight": np.ones(3)}),
        ("NLLLoss", {"weight": np.ones(3)}),
        ("BCELoss", {"weight": np.ones(3)}),
        ("BCEWithLogitsLoss", {"weight": np.ones(3), "pos_weight": np.ones(3)}),
        ("BCEWithLogitsLoss", {"pos_weight": np.ones(3)}),
        ("CrossEntropyLoss", {}),
        ("MSELoss", {}),
    ],
)
def test_loss_state_dict_keys_and_buffers_match_torch(name, kwargs):
    torch = _torch()
    cm = getattr(nn, name)(**{k: core.tensor(v) for k, v in kwargs.items()})
    tm = getattr(torch.nn, name)(**{k: torch.tensor(v) for k, v in kwargs.items()})
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in cm.named_buffers()] == [n for n, _ in tm.named_buffers()]
    assert list(cm.parameters()) == [] and list(tm.parameters()) == []
    assert repr(cm) == repr(tm)


@pytest.mark.parametrize("size_average", [None, True, False])
@pytest.mark.parametrize("reduce", [None, True, False])
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "CrossEntropyLoss", "BCEWithLogitsLoss"])
def test_legacy_reduction_arguments_match_torch(name, size_average, reduce):
    torch = _torch()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cm = getattr(nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
        tm = getattr(torch.nn, name)(size_average=size_average, reduce=reduce, reduction="sum")
    assert cm.reduction == tm.reduction
