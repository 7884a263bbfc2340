"""core.nn.functional semantics beyond the op table (tests/core/cases_functional.py):
running statistics, dropout, error messages, edge values and in-place rules."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import core
import core.nn.functional as F
from core.tensor import _make

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def both(array, dtype="float32", requires_grad=False):
    """The same values as a core tensor and a torch tensor."""
    a = np.asarray(array)
    if a.dtype.kind == "f":
        a = a.astype(dtype)
    c = core.tensor(a, requires_grad=requires_grad)
    t = torch.tensor(a, requires_grad=requires_grad)
    return c, t


def np_(t) -> np.ndarray:
    return t.detach().cpu().numpy() if hasattr(t, "cpu") else np.asarray(t)


# -- batch norm running statistics ---------------------------------------------------
@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_updates_running_stats_like_torch(shape):
    rng = np.random.default_rng(0)
    rm, trm = both(rng.normal(size=3))
    rv, trv = both(rng.uniform(0.5, 2, size=3))
    w, tw = both(rng.normal(size=3), requires_grad=True)
    for step in range(3):
        x, tx = both(rng.normal(2.0, 3.0, size=shape))
        out = F.batch_norm(x, rm, rv, w, None, training=True, momentum=0.2)
        tout = TF.batch_norm(tx, trm, trv, tw, None, training=True, momentum=0.2)
        np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(np_(rm), np_(trm), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
        np.testing.assert_allclose(np_(rv), np_(trv), rtol=1e-5, atol=1e-6, err_msg=f"step {step}")
    assert not rm.requires_grad and rm.grad_fn is None
    assert not rv.requires_grad and rv.grad_fn is None
    # evaluation mode normalises with the running statistics and leaves them alone
    x, tx = both(rng.normal(size=shape))
    before = np_(rm).copy()
    out = F.batch_norm(x, rm, rv, w, None, training=False)
    tout = TF.batch_norm(tx, trm, trv, tw, None, training=False)
    np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(np_(rm), before)


def test_batch_norm_running_var_is_unbiased():
    x = core.tensor([[1.0], [3.0]])  # batch mean 2, biased var 1, unbiased var 2
    rm, rv = core.zeros(1), core.ones(1)
    F.batch_norm(x, rm, rv, training=True, momentum=1.0)
    assert rm.tolist() == [2.0]
    assert rv.tolist() == [2.0]


def test_batch_norm_updates_running_stats_under_no_grad():
    rm, rv = core.zeros(2), core.ones(2)
    with core.no_grad():
        F.batch_norm(core.tensor([[1.0, 2.0], [3.0, 6.0]]), rm, rv, training=True)
    np.testing.assert_allclose(np_(rm), [0.2, 0.4], rtol=1e-6)
    np.testing.assert_allclose(np_(rv), [0.9 + 0.1 * 2.0, 0.9 + 0.1 * 8.0], rtol=1e-6)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"more than 1 value per channel.*\(1, 3\)"):
        F.batch_norm(core.ones(1, 3), core.zeros(3), core.ones(3), training=True)
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        F.batch_norm(core.ones(2, 3), None, None, training=False)
    with pytest.raises(RuntimeError, match="running_mean should contain 3 elements not 4"):
        F.batch_norm(core.ones(2, 3), core.zeros(4), core.ones(4), training=True)
    with pytest.raises(ValueError, match=r"\(N, C\).*\(3,\)"):
        F.batch_norm(core.ones(3), core.zeros(3), core.ones(3))


# -- dropout ---------------------------------------------------------------------------
def test_dropout_is_reproducible_with_manual_seed():
    x = core.ones(50, 40)
    core.manual_seed(123)
    a = F.dropout(x, p=0.4)
    core.manual_seed(123)
    b = F.dropout(x, p=0.4)
    c = F.dropout(x, p=0.4)
    np.testing.assert_array_equal(np_(a), np_(b))
    assert not np.array_equal(np_(b), np_(c))


def test_dropout_scales_kept_values_and_gradients():
    core.manual_seed(0)
    x = core.tensor(np.arange(1, 201, dtype=np.float32).reshape(10, 20), requires_grad=True)
    out = F.dropout(x, p=0.25)
    y = np_(out)
    kept = y != 0
    assert 0 < kept.sum() < y.size
    np.testing.assert_allclose(y[kept], np_(x)[kept] / 0.75, rtol=1e-6)
    assert out.dtype == core.float32
    out.sum().backward()
    np.testing.assert_allclose(np_(x.grad), kept / 0.75, rtol=1e-6)


def test_dropout_preserves_the_mean_statistically():
    core.manual_seed(7)
    y = np_(F.dropout(core.ones(200_000), p=0.3))
    assert abs((y == 0).mean() - 0.3) < 0.005
    assert abs(y.mean() - 1.0) < 0.01


def test_dropout_identity_when_not_training_or_p0():
    x = core.randn(4, 5, requires_grad=True)
    assert F.dropout(x, p=0.5, training=False) is x
    assert F.dropout(x, p=0.0) is x


def test_dropout_p1_zeros_everything():
    x = core.randn(3, 4, requires_grad=True)
    out = F.dropout(x, p=1.0)
    np.testing.assert_array_equal(np_(out), np.zeros((3, 4)))
    out.sum().backward()
    np.testing.assert_array_equal(np_(x.grad), np.zeros((3, 4)))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        F.dropout(core.ones(3), p=p)


def test_dropout_inplace_follows_inplace_rules():
    leaf = core.ones(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.dropout(leaf, 0.5, inplace=True)
    h = leaf * 2
    core.manual_seed(1)
    same = F.dropout(h, 0.5, inplace=True)
    assert same is h
    assert set(np.unique(np_(h)).tolist()) <= {0.0, 4.0}
    h.sum().backward()
    np.testing.assert_array_equal(np_(leaf.grad), (np_(h) != 0) * 4.0)  # d(2x)/dx * 1/(1-p)
    plain = core.ones(6)
    core.manual_seed(1)
    F.dropout(plain, 0.5, inplace=True)
    assert set(np.unique(np_(plain)).tolist()) <= {0.0, 2.0}


# -- activations: in-place and arguments -------------------------------------------------
def test_inplace_activation_returns_input_and_keeps_history():
    x = core.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    h = x * 1.0
    out = F.relu(h, inplace=True)
    assert out is h
    assert h.tolist() == [0.0, 2.0, 0.0, 4.0]
    h.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 1.0]
    with pytest.raises(RuntimeError, match="leaf Variable"):
        F.elu(core.ones(2, requires_grad=True), inplace=True)
    plain = core.tensor([-1.0, 1.0])
    F.leaky_relu(plain, 0.5, inplace=True)
    assert plain.tolist() == [-0.5, 1.0]


def test_activation_argument_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either"):
        F.gelu(core.ones(2), approximate="fast")
    with pytest.raises(RuntimeError, match="floating-point input, got int64"):
        F.softmax(core.tensor([1, 2]), dim=0)


def test_softmax_implicit_dim_warns_and_follows_torch():
    x3 = np.random.default_rng(0).normal(size=(2, 3, 4))
    x2 = x3[0]
    for arr in (x2, x3):
        c, t = both(arr)
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
            out = F.softmax(c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_allclose(np_(out), np_(TF.softmax(t)), rtol=1e-5)


def test_softmax_dtype_argument_casts_first():
    x = core.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = F.softmax(x, 0, dtype=core.float64)
    assert out.dtype == core.float64
    out[0].backward()
    assert x.grad.dtype == core.float32


def test_softmax_is_stable_for_huge_logits():
    arr = np.array([[1e4, 0.0, -1e4], [1e4, 1e4 - 1, 1e4 - 2], [-1e4, -1e4, -1e4]])
    c, t = both(arr, requires_grad=True)
    for name in ("softmax", "log_softmax"):
        out = getattr(F, name)(c, dim=1)
        tout = getattr(TF, name)(t, dim=1)
        assert np.isfinite(np_(out)).all()
        np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-5, atol=1e-6)
    loss = F.cross_entropy(c, core.tensor([2, 0, 1]))
    tloss = TF.cross_entropy(t, torch.tensor([2, 0, 1]))
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    loss.backward()
    tloss.backward()
    assert np.isfinite(np_(c.grad)).all()
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-5, atol=1e-7)


# -- cross entropy and nll ---------------------------------------------------------------
def test_cross_entropy_all_ignored_is_nan_like_torch():
    c, t = both(np.random.default_rng(0).normal(size=(3, 4)), requires_grad=True)
    target = [-100, -100, -100]
    for kw in ({}, {"label_smoothing": 0.1}, {"weight": core.ones(4)}):
        loss = F.cross_entropy(c, core.tensor(target), **kw)
        assert np.isnan(loss.item())
        c.grad = None
        loss.backward()
        np.testing.assert_array_equal(np_(c.grad), np.zeros((3, 4)))  # torch: zeros too
    assert F.cross_entropy(c, core.tensor(target), reduction="sum").item() == 0.0
    assert np.isnan(F.nll_loss(c, core.tensor(target)).item())
    assert np.isnan(TF.cross_entropy(t, torch.tensor(target)).item())


def test_cross_entropy_matches_torch_float32_batch():
    rng = np.random.default_rng(3)
    c, t = both(rng.normal(0, 3, size=(64, 10)), requires_grad=True)
    labels = rng.integers(0, 10, size=64)
    w = rng.uniform(0.5, 2, size=10).astype(np.float32)
    loss = F.cross_entropy(c, core.tensor(labels), weight=core.tensor(w), label_smoothing=0.05)
    tloss = TF.cross_entropy(t, torch.tensor(labels), weight=torch.tensor(w), label_smoothing=0.05)
    assert loss.dtype == core.float32 and loss.shape == ()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    ("input_shape", "target", "error", "pattern"),
    [
        ((3, 4), np.zeros((3, 5), np.float32), RuntimeError, r"integer type.*\(3,\).*\(3, 5\)"),
        ((3, 4), np.zeros(3, np.float32), RuntimeError, r"integer type.*got float32"),
        ((3, 4), np.zeros((3, 4), np.int64), RuntimeError, r"Expected floating point type.*int64"),
        ((3, 4), np.zeros(2, np.int64), ValueError, r"batch_size \(3\).*batch_size \(2\)"),
        (
            (2, 3, 4),
            np.zeros((2, 5), np.int64),
            RuntimeError,
            r"target size \[2, 4\], got \[2, 5\]",
        ),
        ((3, 4), np.array([0, 5, 1]), IndexError, r"Target 5 is out of bounds.*\[0, 3\]"),
        ((3, 4), np.array([0, -3, 1]), IndexError, r"Target -3 is out of bounds"),
        ((), np.array(0), ValueError, r"got a 0-d tensor"),
    ],
)
def test_cross_entropy_target_errors(input_shape, target, error, pattern):
    x = core.zeros(*input_shape)
    with pytest.raises(error, match=pattern):
        F.cross_entropy(x, core.tensor(target))


def test_cross_entropy_argument_errors():
    x, t = core.zeros(3, 4), core.tensor([0, 1, 2])
    with pytest.raises(RuntimeError, match=r"all 4 classes.*shape: \[3\]"):
        F.cross_entropy(x, t, weight=core.ones(3))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(RuntimeError, match="ignore_index is not supported for floating point"):
        F.cross_entropy(x, core.ones(3, 4), ignore_index=1)
    with pytest.raises(RuntimeError, match="floating-point input, got int64"):
        F.cross_entropy(core.tensor([[1, 2]]), core.tensor([0]))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F.cross_entropy(x, t, weight=core.ones(4, requires_grad=True))
    with core.no_grad():  # a weight that requires grad is fine where nothing is recorded
        F.cross_entropy(x, t, weight=core.ones(4, requires_grad=True))


def test_cross_entropy_ignored_targets_are_not_range_checked():
    x = core.zeros(3, 4)
    loss = F.cross_entropy(x, core.tensor([7, 1, 7]), ignore_index=7)
    np.testing.assert_allclose(loss.item(), np.log(4), rtol=1e-6)


def test_cross_entropy_accepts_int32_targets():
    c, t = both(np.random.default_rng(1).normal(size=(4, 3)))
    labels = np.array([0, 2, 1, 2])
    loss = F.cross_entropy(c, core.tensor(labels.astype(np.int32)))
    tloss = TF.cross_entropy(t, torch.tensor(labels))
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)


def test_probability_target_gradient_matches_torch():
    rng = np.random.default_rng(2)
    c, t = both(rng.normal(size=(4, 5)), requires_grad=True)
    cy, ty = both(rng.dirichlet(np.ones(5), size=4), requires_grad=True)
    loss = F.cross_entropy(c, cy, label_smoothing=0.1)
    tloss = TF.cross_entropy(t, ty, label_smoothing=0.1)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(np_(cy.grad), np_(ty.grad), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-5, atol=1e-7)


# -- binary cross entropy ----------------------------------------------------------------
def test_binary_cross_entropy_clamps_log_at_minus_100():
    c, t = both([0.0, 1.0, 0.5, 1e-30], requires_grad=True)
    y = [1.0, 0.0, 1.0, 1.0]
    cy, ty = both(y, requires_grad=True)
    out = F.binary_cross_entropy(c, cy, reduction="none")
    tout = TF.binary_cross_entropy(t, ty, reduction="none")
    np.testing.assert_allclose(np_(out)[:2], [100.0, 100.0])
    np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-6)  # +-1e12 at 0 and 1
    np.testing.assert_array_equal(np_(cy.grad), np_(ty.grad))  # +-inf at 0 and 1, like torch


def test_binary_cross_entropy_errors():
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(core.tensor([1.5]), core.tensor([1.0]))
    with pytest.raises(ValueError, match=r"target size \(\(3,\)\).*input size \(\(3, 1\)\)"):
        F.binary_cross_entropy(core.ones(3, 1) * 0.5, core.ones(3))
    with pytest.raises(ValueError, match=r"Target size \(\(3,\)\) must be the same as input"):
        F.binary_cross_entropy_with_logits(core.ones(3, 1), core.ones(3))
    with pytest.raises(RuntimeError, match="floating-point target, got int64"):
        F.binary_cross_entropy_with_logits(core.ones(3), core.tensor([1, 0, 1]))
    with pytest.raises(RuntimeError, match=r"weight of shape \(2, 3\) must broadcast to .*\(3,\)"):
        F.binary_cross_entropy(core.ones(3) * 0.5, core.ones(3), weight=core.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"pos_weight of shape \(4,\) must broadcast"):
        F.binary_cross_entropy_with_logits(
            core.ones(2, 3), core.ones(2, 3), pos_weight=core.ones(4)
        )


def test_bce_with_logits_is_stable_for_huge_logits():
    c, t = both([-1e4, 1e4, 50.0, -50.0], requires_grad=True)
    y = [1.0, 0.0, 1.0, 0.0]
    out = F.binary_cross_entropy_with_logits(c, core.tensor(y), reduction="none")
    tout = TF.binary_cross_entropy_with_logits(t, torch.tensor(y), reduction="none")
    np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-6, atol=1e-12)


# -- regression losses -----------------------------------------------------------------
def test_regression_loss_warns_on_broadcast_target_like_torch():
    x, tx = both(np.random.default_rng(0).normal(size=(3, 1)), requires_grad=True)
    y, ty = both(np.random.default_rng(1).normal(size=3))
    with pytest.warns(UserWarning, match=r"target size \(\(3,\)\).*input size \(\(3, 1\)\)"):
        loss = F.mse_loss(x, y)
    with pytest.warns(UserWarning):
        tloss = TF.mse_loss(tx, ty)
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-6)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(np_(x.grad), np_(tx.grad), rtol=1e-5)


def test_regression_loss_errors():
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(core.ones(2), core.ones(2), beta=-1.0)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        F.mse_loss(core.ones(2, 3), core.ones(2, 3), weight=core.ones(3))
    with pytest.raises(ValueError, match="sum_all is not a valid value"):
        F.l1_loss(core.ones(2), core.ones(2), reduction="sum_all")


# -- normalisation errors ------------------------------------------------------------------
def test_layer_and_group_norm_errors():
    with pytest.raises(RuntimeError, match=r"normalized_shape=\[4\].*\[\*, 4\].*\[2, 3\]"):
        F.layer_norm(core.ones(2, 3), (4,))
    with pytest.raises(RuntimeError, match=r"weight of shape \[4\] and normalized_shape = \[3\]"):
        F.layer_norm(core.ones(2, 3), (3,), weight=core.ones(4))
    with pytest.raises(RuntimeError, match=r"divisible by num_groups.*\[2, 6, 4\].*=4"):
        F.group_norm(core.ones(2, 6, 4), 4)
    with pytest.raises(TypeError, match="normalized_shape.*must be tuple of ints, not int"):
        F.layer_norm(core.ones(2, 3), 3)  # PyTorch's functional form refuses a bare int


# -- embedding and one_hot ---------------------------------------------------------------
def test_embedding_padding_row_gets_no_gradient():
    rng = np.random.default_rng(0)
    w, tw = both(rng.normal(size=(5, 3)), requires_grad=True)
    idx = np.array([[0, 2, 1], [2, 2, 4]])
    g = rng.normal(size=(2, 3, 3)).astype(np.float32)
    out = F.embedding(core.tensor(idx), w, padding_idx=2)
    tout = TF.embedding(torch.tensor(idx), tw, padding_idx=2)
    np.testing.assert_allclose(np_(out), np_(tout))
    out.backward(core.tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(np_(w.grad), np_(tw.grad), rtol=1e-6)
    np.testing.assert_array_equal(np_(w.grad)[2], np.zeros(3))
    np.testing.assert_allclose(np_(w.grad)[0], g[0, 0])
    np.testing.assert_array_equal(np_(w.grad)[3], np.zeros(3))  # unused row


def test_embedding_scale_grad_by_freq_matches_torch():
    rng = np.random.default_rng(1)
    w, tw = both(rng.normal(size=(4, 2)), requires_grad=True)
    idx = np.array([0, 1, 1, 3, 1, 0])
    g = rng.normal(size=(6, 2)).astype(np.float32)
    F.embedding(core.tensor(idx), w, scale_grad_by_freq=True).backward(core.tensor(g))
    TF.embedding(torch.tensor(idx), tw, scale_grad_by_freq=True).backward(torch.tensor(g))
    np.testing.assert_allclose(np_(w.grad), np_(tw.grad), rtol=1e-6)


def test_embedding_max_norm_renormalises_used_rows_like_torch():
    rng = np.random.default_rng(2)
    w, tw = both(rng.normal(0, 2, size=(5, 3)), requires_grad=True)
    idx = np.array([[0, 1], [1, 3]])
    out = F.embedding(core.tensor(idx), w, max_norm=1.0)
    tout = TF.embedding(torch.tensor(idx), tw, max_norm=1.0)
    np.testing.assert_allclose(np_(out), np_(tout), rtol=1e-5)
    np.testing.assert_allclose(np_(w), np_(tw), rtol=1e-5)  # rows 0, 1, 3 renormalised
    assert np.linalg.norm(np_(w)[[0, 1, 3]], axis=1).max() <= 1.0 + 1e-6


def test_embedding_errors():
    w = core.ones(4, 2)
    with pytest.raises(IndexError, match=r"index out of range in self.*\[0, 3\].*got 7"):
        F.embedding(core.tensor([1, 7]), w)
    with pytest.raises(IndexError, match="got -1"):
        F.embedding(core.tensor([-1]), w)
    with pytest.raises(RuntimeError, match="Long, Int; but got float32"):
        F.embedding(core.tensor([1.0]), w)
    with pytest.raises(ValueError, match="Padding_idx must be within num_embeddings"):
        F.embedding(core.tensor([1]), w, padding_idx=4)
    with pytest.raises(NotImplementedError, match="sparse"):
        F.embedding(core.tensor([1]), w, sparse=True)


def test_one_hot_values_and_errors():
    out = F.one_hot(core.tensor([[0, 2], [1, 2]]))
    assert out.dtype == core.int64 and out.shape == (2, 2, 3) and not out.requires_grad
    assert out.tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 0, 1]]]
    assert F.one_hot(core.tensor(2), 4).tolist() == [0, 0, 1, 0]
    assert F.one_hot(core.tensor(np.zeros(0, np.int64)), 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(core.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match=r"smaller than num_classes \(got 5 with num_classes=3"):
        F.one_hot(core.tensor([5]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(core.tensor([1.0]))
    with pytest.raises(RuntimeError, match="empty tensor"):
        F.one_hot(core.tensor(np.zeros(0, np.int64)))


# -- non-contiguous inputs ---------------------------------------------------------------
def test_cross_entropy_of_a_transposed_view_matches_torch():
    """(N, T, C) logits transposed to (N, C, T): the gradient reaches every logit."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((2, 5, 4)).astype(np.float32)
    target = rng.integers(0, 4, (2, 5))
    target[0, 1] = -100
    for kw in ({}, {"label_smoothing": 0.2, "reduction": "sum"}):
        (c, t), (ct, tt) = both(logits, requires_grad=True), both(target)
        loss = F.cross_entropy(c.transpose(1, 2), ct, **kw)
        expected = TF.cross_entropy(t.transpose(1, 2), tt, **kw)
        loss.backward()
        expected.backward()
        np.testing.assert_allclose(np_(loss), np_(expected), rtol=1e-5)
        np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-5, atol=1e-7)


def test_nll_loss_of_a_transposed_view_matches_torch():
    rng = np.random.default_rng(1)
    logp = rng.standard_normal((4, 3))
    (c, t), (ct, tt) = both(logp, requires_grad=True), both(np.array([0, 2, 1]))
    F.nll_loss(c.t(), ct).backward()
    TF.nll_loss(t.t(), tt).backward()
    np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-6)


# -- a numpy-backed stand-in for "cuda": the device code paths without a GPU --------------
@pytest.fixture
def numpy_cuda(monkeypatch):
    """Make "cuda" a numpy backend, so that ops take their "cuda" branches on the CPU."""
    fake = core.backend.Backend("cuda", np, core.backend.CPU.erf, np.add.at, np.random.default_rng)
    monkeypatch.setitem(core.backend._BACKENDS, "cuda", fake)
    monkeypatch.setitem(core.backend.XP, "cuda", np)

    def on_cuda(arr: np.ndarray) -> core.Tensor:
        return _make(arr, "cuda", False, None)

    return on_cuda


def test_dropout_on_cuda_draws_one_seed_from_the_host_generator(numpy_cuda):
    x = numpy_cuda(np.ones((300, 200), np.float32))
    core.manual_seed(5)
    a = np_(F.dropout(x, p=0.3)._data)
    after = core.default_generator.get_state()
    core.manual_seed(5)
    core.default_generator.numpy.integers(2**63)  # the one host draw: a seed
    assert core.default_generator.get_state() == after
    core.manual_seed(5)
    b = np_(F.dropout(x, p=0.3)._data)
    np.testing.assert_array_equal(a, b)  # manual_seed makes it reproducible
    assert abs((a == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(a[a != 0], 1 / 0.7, rtol=1e-6)


@pytest.mark.gpu
def test_dropout_on_a_gpu_is_reproducible_and_stays_on_the_device():
    x = core.ones(400, 500, device="cuda", requires_grad=True)
    core.manual_seed(11)
    a = F.dropout(x, p=0.25)
    core.manual_seed(11)
    b = F.dropout(x, p=0.25)
    assert a.device == "cuda"
    np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())
    kept = a.detach().cpu().numpy() != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    a.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), kept / 0.75, rtol=1e-6)


def test_range_checks_on_cuda_run_only_with_the_debug_flag(numpy_cuda, monkeypatch):
    """Negative indices would wrap silently; checking them costs a host sync per call."""
    logits = numpy_cuda(np.zeros((3, 4), np.float32))
    target = numpy_cuda(np.array([0, -3, 1]))
    idx = numpy_cuda(np.array([[0, -1]]))
    weight = numpy_cuda(np.ones((4, 2), np.float32))
    probs = numpy_cuda(np.array([0.5, 1.5], np.float32))
    zeros = numpy_cuda(np.zeros(2, np.float32))
    assert core.backend.CHECK_INDICES_ON_DEVICE is False
    F.cross_entropy(logits, target)  # unchecked on the device
    F.nll_loss(logits, target)
    F.embedding(idx, weight)
    F.binary_cross_entropy(probs, zeros)
    monkeypatch.setattr(core.backend, "CHECK_INDICES_ON_DEVICE", True)
    with pytest.raises(IndexError, match="Target -3 is out of bounds.*CHECK_INDICES_ON_DEVICE"):
        F.cross_entropy(logits, target)
    with pytest.raises(IndexError, match="Target -3 is out of bounds"):
        F.nll_loss(logits, target)
    with pytest.raises(IndexError, match="index out of range.*got -1"):
        F.embedding(idx, weight)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(probs, zeros)


def test_range_checks_always_run_on_cpu():
    assert core.backend.CHECK_INDICES_ON_DEVICE is False
    with pytest.raises(IndexError, match="Target -3 is out of bounds"):
        F.cross_entropy(core.zeros(3, 4), core.tensor([0, -3, 1]))
    with pytest.raises(IndexError, match="got -1"):
        F.embedding(core.tensor([0, -1]), core.ones(4, 2))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(core.tensor([0.5, 1.5]), core.zeros(2))


# -- one stable sigmoid ----------------------------------------------------------------
def test_sigmoid_silu_softplus_and_bce_with_logits_are_stable_at_huge_logits():
    values = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow in exp
        for fn, tfn in (
            (F.sigmoid, TF.sigmoid),
            (F.silu, TF.silu),
            (lambda x: F.softplus(x, beta=0.01), lambda x: TF.softplus(x, beta=0.01)),
            (
                lambda x: F.binary_cross_entropy_with_logits(x, core.full((5,), 0.3)),
                lambda x: TF.binary_cross_entropy_with_logits(x, torch.full((5,), 0.3)),
            ),
        ):
            c, t = both(values, requires_grad=True)
            out, expected = fn(c), tfn(t)
            out.sum().backward()
            expected.sum().backward()
            np.testing.assert_allclose(np_(out), np_(expected), rtol=1e-6)
            np.testing.assert_allclose(np_(c.grad), np_(t.grad), rtol=1e-6, atol=1e-30)


def test_nn_is_an_attribute_of_core_after_import_core():
    import subprocess
    import sys

    code = "import core; print(core.nn.functional.relu.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "relu"
