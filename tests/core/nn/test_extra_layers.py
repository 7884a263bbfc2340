"""Layers and utilities added for ported tutorials: AdaptiveMaxPool1d/2d, KLDivLoss,
the 1-D pooling functionals behind MaxPool1d/AvgPool1d/AdaptiveAvgPool1d,
nn.utils.rnn.pad_sequence and Transformer.generate_square_subsequent_mask.

The op table (tests/core/cases_nn_extra.py) runs gradcheck and the PyTorch comparison
of each functional; these tests cover values, modules, edge cases and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import core
import core.nn.functional as F
from core import nn
from core.autograd import gradcheck
from core.nn.utils.rnn import pad_sequence


def t64(a, grad=False):
    return core.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# -- adaptive max pooling ------------------------------------------------------------
def _reference_adaptive_max(x: np.ndarray, oh: int, ow: int):
    """Loop reference: PyTorch's bins, the first max in row-major order."""
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow))
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        h0, h1 = (i * h) // oh, -(-((i + 1) * h) // oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, -(-((j + 1) * w) // ow)
            win = x[:, :, h0:h1, w0:w1].reshape(n, c, -1)
            k = win.argmax(-1)
            out[:, :, i, j] = np.take_along_axis(win, k[..., None], -1)[..., 0]
            idx[:, :, i, j] = (h0 + k // (w1 - w0)) * w + w0 + k % (w1 - w0)
    return out, idx


@pytest.mark.parametrize("out_size", [(1, 1), (2, 3), (3, 2), (5, 7), (7, 9), (4, 4)])
def test_adaptive_max_pool2d_matches_a_loop_reference(out_size):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 7))
    values, indices = F.adaptive_max_pool2d(t64(x), out_size, return_indices=True)
    ref_v, ref_i = _reference_adaptive_max(x, *out_size)
    np.testing.assert_array_equal(values.numpy(), ref_v)
    np.testing.assert_array_equal(indices.numpy(), ref_i)
    assert indices.dtype == core.int64


def test_adaptive_max_pool2d_ties_go_to_the_first_in_row_major_order():
    x = t64([[[1.0, 3.0], [3.0, 1.0]]], grad=True)
    v, i = F.adaptive_max_pool2d(x, 1, return_indices=True)
    assert v.item() == 3.0 and i.item() == 1
    v.sum().backward()
    assert x.grad.tolist() == [[[0.0, 1.0], [0.0, 0.0]]]


def test_adaptive_max_pool2d_gradient_sums_over_overlapping_bins():
    x = t64([[[[1.0, 5.0, 2.0]]]], grad=True)
    out = F.adaptive_max_pool2d(x, (1, 2))  # bins [0, 2) and [1, 3) share the 5
    assert out.tolist() == [[[[5.0, 5.0]]]]
    out.sum().backward()
    assert x.grad.tolist() == [[[[0.0, 2.0, 0.0]]]]
    y = t64(np.random.default_rng(1).standard_normal((2, 2, 5, 4)), grad=True)
    assert gradcheck(lambda a: F.adaptive_max_pool2d(a, (3, 6)), [y])


def test_adaptive_max_pool_nan_propagates_and_empty_output():
    x = core.tensor([[[1.0, float("nan"), 2.0, 0.0]]])
    assert np.isnan(F.adaptive_max_pool1d(x, 2)[0, 0, 0].item())
    assert F.adaptive_max_pool1d(x, 2)[0, 0, 1].item() == 2.0
    assert F.adaptive_max_pool2d(core.ones(1, 2, 3, 3), (0, 2)).shape == (1, 2, 0, 2)


def test_adaptive_max_pool_modules():
    x = core.randn(2, 3, 8, 6)
    m = nn.AdaptiveMaxPool2d((4, None))
    assert m(x).shape == (2, 3, 4, 6) and repr(m) == "AdaptiveMaxPool2d(output_size=(4, None))"
    values, idx = nn.AdaptiveMaxPool2d(2, return_indices=True)(x)
    assert values.shape == idx.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(
        values.numpy(),
        np.take_along_axis(x.numpy().reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), -1).reshape(
            2, 3, 2, 2
        ),
    )
    y = core.randn(3, 10)
    v1, i1 = nn.AdaptiveMaxPool1d(5, return_indices=True)(y)
    assert v1.shape == (3, 5)
    np.testing.assert_array_equal(v1.numpy(), y.numpy().reshape(3, 5, 2).max(-1))
    np.testing.assert_array_equal(
        i1.numpy(), y.numpy().reshape(3, 5, 2).argmax(-1) + 2 * np.arange(5)
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: F.adaptive_max_pool2d(core.ones(4, 4), 2), "Expected 3D or 4D"),
        (lambda: F.adaptive_max_pool2d(core.ones(1, 0, 4, 4), 2), "non-zero size"),
        (lambda: F.adaptive_max_pool2d(core.ones(1, 4, 4).long(), 2), "floating-point"),
        (lambda: F.adaptive_max_pool2d(core.ones(1, 4, 4), (1, 2, 3)), "must be 2"),
        (lambda: F.adaptive_max_pool1d(core.ones(4), 2), "Expected 2D or 3D"),
        (lambda: F.adaptive_max_pool1d(core.ones(1, 4), (2, 2)), "single int"),
    ],
)
def test_adaptive_max_pool_errors(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# -- 1-D pooling functionals and their modules ---------------------------------------
def test_pool1d_functionals_match_their_modules_and_numpy():
    x = core.randn(2, 3, 8)
    a = x.numpy()
    np.testing.assert_array_equal(F.max_pool1d(x, 2).numpy(), a.reshape(2, 3, 4, 2).max(-1))
    np.testing.assert_allclose(
        F.avg_pool1d(x, 4).numpy(), a.reshape(2, 3, 2, 4).mean(-1), rtol=1e-6
    )
    np.testing.assert_allclose(
        F.adaptive_avg_pool1d(x, 2).numpy(), a.reshape(2, 3, 2, 4).mean(-1), rtol=1e-6
    )
    np.testing.assert_array_equal(
        nn.MaxPool1d(3, 2, 1)(x).numpy(), F.max_pool1d(x, 3, 2, 1).numpy()
    )
    np.testing.assert_array_equal(nn.AvgPool1d(3, 1)(x).numpy(), F.avg_pool1d(x, 3, 1).numpy())
    v, i = F.max_pool1d(x, 2, return_indices=True)
    np.testing.assert_array_equal(i.numpy(), a.reshape(2, 3, 4, 2).argmax(-1) + 2 * np.arange(4))
    assert F.max_pool1d(x[0], (2,), stride=[]).shape == (3, 4)  # unbatched, 1-tuples


def test_pool1d_errors():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D"):
        F.max_pool1d(core.ones(1, 1, 1, 4), 2)
    with pytest.raises(RuntimeError, match="single int"):
        F.avg_pool1d(core.ones(1, 4), (2, 2))


# -- normalize, cosine_similarity, pairwise_distance -----------------------------------
def test_normalize_cosine_pairwise_values():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(t64(x), dim=1).numpy(), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(F.normalize(t64(x), p=1, dim=1).numpy(), [[3 / 7, 4 / 7], [0, 0]])
    a, b = np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([[0.0, 2.0], [2.0, 2.0]])
    np.testing.assert_allclose(F.cosine_similarity(t64(a), t64(b)).numpy(), [0.0, 1.0], atol=1e-12)
    assert F.cosine_similarity(t64([0.0, 0.0]), t64([1.0, 1.0]), dim=0).item() == 0.0
    d = F.pairwise_distance(t64(a), t64(b))
    np.testing.assert_allclose(d.numpy(), np.linalg.norm(a - b + 1e-6, axis=1))
    assert F.pairwise_distance(t64([1.0, 2.0]), t64([1.0, 2.0])).shape == ()


# -- kl_div / KLDivLoss ----------------------------------------------------------------
def test_kl_div_reductions():
    rng = np.random.default_rng(2)
    logq = np.log(rng.dirichlet(np.ones(4), size=3))
    p = rng.dirichlet(np.ones(4), size=3)
    p[0, 1] = 0.0  # 0 log 0 counts as 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pointwise = np.where(p > 0, p * np.log(p), 0.0) - p * logq
    kl = lambda r, **kw: F.kl_div(t64(logq), t64(p), reduction=r, **kw).numpy()  # noqa: E731
    np.testing.assert_allclose(kl("none"), pointwise, rtol=1e-12)
    np.testing.assert_allclose(kl("sum"), pointwise.sum(), rtol=1e-12)
    np.testing.assert_allclose(kl("batchmean"), pointwise.sum() / 3, rtol=1e-12)
    with pytest.warns(UserWarning, match="batchmean"):
        np.testing.assert_allclose(kl("mean"), pointwise.mean(), rtol=1e-12)
    logp = np.log(rng.dirichlet(np.ones(4), size=3))
    np.testing.assert_allclose(
        F.kl_div(t64(logq), t64(logp), reduction="sum", log_target=True).numpy(),
        (np.exp(logp) * (logp - logq)).sum(),
        rtol=1e-12,
    )


def test_kl_div_module_and_errors():
    logq = core.log_softmax(core.randn(5, 3), -1)
    p = core.softmax(core.randn(5, 3), -1)
    loss = nn.KLDivLoss(reduction="batchmean")
    assert repr(loss) == "KLDivLoss()"
    assert loss(logq, p).item() == pytest.approx(F.kl_div(logq, p, reduction="sum").item() / 5)
    assert nn.KLDivLoss(reduction="batchmean", log_target=True)(logq, p.log()).item() == (
        pytest.approx(loss(logq, p).item(), rel=1e-5)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.KLDivLoss(reduction="sum")(logq, p)  # only 'mean' warns
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        nn.KLDivLoss(reduction="avg")
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.kl_div(logq, p, reduction="avg")
    with pytest.raises(RuntimeError, match="floating-point"):
        F.kl_div(logq, core.ones(5, 3).long(), reduction="sum")


# -- pad_sequence ----------------------------------------------------------------------
def test_pad_sequence_layouts_and_sides():
    a, b = core.tensor([1.0, 2.0, 3.0]), core.tensor([4.0])
    assert pad_sequence([a, b]).tolist() == [[1.0, 4.0], [2.0, 0.0], [3.0, 0.0]]
    assert pad_sequence([a, b], batch_first=True, padding_value=-1).tolist() == [
        [1.0, 2.0, 3.0],
        [4.0, -1.0, -1.0],
    ]
    assert pad_sequence([a, b], True, padding_side="left").tolist() == [
        [1.0, 2.0, 3.0],
        [0.0, 0.0, 4.0],
    ]
    x = pad_sequence([core.ones(2, 4), core.ones(5, 4)], batch_first=True)
    assert x.shape == (2, 5, 4)
    assert pad_sequence(core.ones(2, 3)).shape == (3, 2)  # a tensor: its rows are the sequences
    assert pad_sequence([core.tensor([1, 2]), core.tensor([3])]).dtype == core.int64


def test_pad_sequence_is_differentiable():
    a, b = t64([1.0, 2.0], grad=True), t64([[3.0]], grad=True).reshape(1)
    out = pad_sequence([a, b], batch_first=True)
    (out * t64([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    assert a.grad.tolist() == [1.0, 2.0]
    assert gradcheck(
        lambda x, y: pad_sequence([x, y], padding_side="left"),
        [t64([1.0, 2.0, 3.0], grad=True), t64([4.0], grad=True)],
    )


def test_pad_sequence_errors():
    with pytest.raises(RuntimeError, match="empty list"):
        pad_sequence([])
    with pytest.raises(RuntimeError, match="trailing shape"):
        pad_sequence([core.ones(2, 3), core.ones(1, 2)])
    with pytest.raises(ValueError, match="padding_side"):
        pad_sequence([core.ones(2)], padding_side="up")


# -- Transformer mask ------------------------------------------------------------------
def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype == core.float32 and m.shape == (3, 3)
    assert m.tolist() == [[0.0, -np.inf, -np.inf], [0.0, 0.0, -np.inf], [0.0, 0.0, 0.0]]
    assert (
        nn.Transformer.generate_square_subsequent_mask(2, dtype=core.float64).dtype == core.float64
    )
    with pytest.raises(NotImplementedError, match="TransformerEncoder"):
        nn.Transformer(d_model=8)


def test_matches_torch_pad_sequence_and_mask():
    torch = pytest.importorskip("torch")
    seqs = [np.arange(6.0).reshape(3, 2), np.ones((1, 2))]
    for kw in ({}, {"batch_first": True, "padding_value": 2.0, "padding_side": "left"}):
        ours = pad_sequence([core.tensor(s) for s in seqs], **kw).numpy()
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kw).numpy()
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(
        nn.Transformer.generate_square_subsequent_mask(4).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(4).numpy(),
    )
