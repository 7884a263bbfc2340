"""core.ops._util's shape-dependent reductions (amax, asum, row_max, row_sum) and the
softmax / cross-entropy paths built on them, at sizes too large for the op table's
gradchecks: every strategy (two columns, <= 32 columns, more; BLAS gemv; einsum above
2^18 elements) against numpy's own reductions, and against float64 references."""

from __future__ import annotations

import numpy as np
import pytest

import core
import core.nn.functional as F
from core.ops._util import _GEMV_SUM, _SHORT_MAX, amax, asum, row_max, row_sum
from core.tensor import _make

SHAPES = [(256, 2), (4096, 2), (64, 10), (4096, 10), (7, _SHORT_MAX), (5, _SHORT_MAX + 1)]
SHAPES += [(64, 1000), (3000, 100), (1, 1), (3, 1)]  # (3000, 100): above _GEMV_SUM


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_row_max_and_row_sum_match_numpy(shape, dtype):
    a = np.random.default_rng(0).normal(size=shape).astype(dtype)
    np.testing.assert_array_equal(row_max(np, a), a.max(axis=1))
    s = row_sum(np, a)
    assert s.shape == (shape[0],) and s.dtype == dtype
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(s, a.astype(np.float64).sum(axis=1), rtol=tol, atol=tol)


def test_row_sum_above_the_gemv_limit_uses_einsum_exactly_enough():
    a = np.random.default_rng(1).uniform(size=(3000, 100)).astype(np.float32)
    assert a.size > _GEMV_SUM
    np.testing.assert_allclose(row_sum(np, a), a.astype(np.float64).sum(axis=1), rtol=1e-6)


@pytest.mark.parametrize(
    ("shape", "axis"),
    [((256, 2), 1), ((4, 5, 1), 1), ((2, 3, 4), 2), ((2, 3, 4), 1), ((3, 4), 0), ((5,), 0)],
)
def test_amax_and_asum_keep_dims_for_any_axis(shape, axis):
    a = np.random.default_rng(2).normal(size=shape)
    for x in (a, np.asfortranarray(a), a[..., ::-1]):  # contiguous or not
        m, s = amax(np, x, axis), asum(np, x, axis)
        np.testing.assert_array_equal(m, x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(s, x.sum(axis=axis, keepdims=True), rtol=1e-12)


def test_row_max_propagates_nan_like_numpy():
    a = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(row_max(np, a), a.max(axis=1))
    b = np.ones((3, 5), np.float32)
    b[1, 3] = np.nan
    np.testing.assert_array_equal(row_max(np, b), b.max(axis=1))


def _log_softmax64(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize(("n", "c"), [(4096, 2), (4096, 10), (3000, 100), (64, 1000)])
def test_large_softmax_and_cross_entropy_match_float64(n, c):
    rng = np.random.default_rng(3)
    x = rng.normal(0, 3, size=(n, c)).astype(np.float32)
    t = rng.integers(0, c, size=n)
    ref = _log_softmax64(x.astype(np.float64), 1)
    xt = core.tensor(x, requires_grad=True)
    np.testing.assert_allclose(F.log_softmax(xt, 1).detach().numpy(), ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(F.softmax(xt, 1).detach().numpy(), np.exp(ref), atol=1e-6)
    loss = F.cross_entropy(xt, core.tensor(t))
    nll = -ref[np.arange(n), t]
    np.testing.assert_allclose(loss.item(), nll.mean(), rtol=1e-5)
    loss.backward()
    onehot = np.eye(c)[t]
    np.testing.assert_allclose(xt.grad.numpy(), (np.exp(ref) - onehot) / n, atol=1e-7)


def test_cross_entropy_transposed_logits_and_int32_targets():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(3, 50)).astype(np.float32)  # used as its (50, 3) transpose
    t = rng.integers(0, 3, size=50).astype(np.int32)
    xt = core.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt.t(), core.tensor(t), reduction="sum")
    ref = _log_softmax64(x.T.astype(np.float64), 1)
    np.testing.assert_allclose(loss.item(), -ref[np.arange(50), t].sum(), rtol=1e-5)
    loss.backward()
    grad = (np.exp(ref) - np.eye(3)[t]).T
    np.testing.assert_allclose(xt.grad.numpy(), grad, atol=1e-6)


def test_cross_entropy_out_of_bounds_target_names_it_with_ignored_targets_present():
    x = core.zeros(4, 3)
    with pytest.raises(IndexError, match=r"Target 3 is out of bounds.*\[0, 2\] for 3 classes"):
        F.cross_entropy(x, core.tensor([0, -100, 3, 1]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds"):
        F.cross_entropy(x, core.tensor([0, 1, -1, 1]), ignore_index=1)
    # an ignored target equal to ignore_index is fine in or out of [0, C)
    assert F.cross_entropy(x, core.tensor([0, 7, 7, 1]), ignore_index=7).item() == pytest.approx(
        np.log(3)
    )


class _OtherXP:
    """numpy behind another module object: ops take their non-numpy (CuPy) branches."""

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.fixture
def fake_cuda(monkeypatch):
    xp = _OtherXP()
    fake = core.backend.Backend("cuda", xp, core.backend.CPU.erf, np.add.at, np.random.default_rng)
    monkeypatch.setitem(core.backend._BACKENDS, "cuda", fake)
    monkeypatch.setitem(core.backend.XP, "cuda", xp)
    return lambda arr, grad=False: _make(np.array(arr), "cuda", grad, None)


def _value_and_grad(fn, x):
    out = fn(x)
    out.backward(core.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(out.shape)).to(x.device))
    return np.asarray(out.detach()._data), np.asarray(x.grad._data)


@pytest.mark.parametrize(
    ("target", "kw"),
    [
        ([0, 1, 2, 1, 0], {}),
        ([0, -100, 2, 1, -100], {}),
        ([0, -100, 2, 1, -100], {"reduction": "sum"}),
        ([0, -100, 2, 1, -100], {"reduction": "none"}),
        ([0, 1, 2, 1, 0], {"ignore_index": 1}),
        ([-100] * 5, {}),
    ],
)
def test_cross_entropy_device_branches_match_cpu(fake_cuda, target, kw):
    logits = np.random.default_rng(5).normal(size=(5, 3)).astype(np.float32)
    cpu = _value_and_grad(
        lambda x: F.cross_entropy(x, core.tensor(target), **kw),
        core.tensor(logits, requires_grad=True),
    )
    dev = _value_and_grad(
        lambda x: F.cross_entropy(x, fake_cuda(np.array(target)), **kw),
        fake_cuda(logits, grad=True),
    )
    for a, b in zip(cpu, dev, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize(("shape", "dim"), [((6, 2), 1), ((4, 40), 1), ((3, 4, 1), 1)])
def test_softmax_device_branches_match_cpu(fake_cuda, fn, shape, dim):
    a = np.random.default_rng(6).normal(size=shape).astype(np.float32)
    cpu = _value_and_grad(lambda x: fn(x, dim), core.tensor(a, requires_grad=True))
    dev = _value_and_grad(lambda x: fn(x, dim), fake_cuda(a, grad=True))
    for p, q in zip(cpu, dev, strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-7)
