"""Convolution, pooling and padding: output shapes, error messages, max-pool indices and a
larger numeric comparison with PyTorch. (Gradients and small-shape values are checked for
every case of tests/core/cases_conv.py by the op-table runner.)"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import core
import core.nn.functional as F


def rand(*shape, seed=0, dtype="float32", grad=False):
    data = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    return core.tensor(data, requires_grad=grad)


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def pool_out(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    out = (math.ceil if ceil_mode else math.floor)(span / s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


# -- output shapes ------------------------------------------------------------------------

CONV_CONFIGS = list(
    itertools.product(
        [(7, 7), (6, 9)],  # input H, W
        [(3, 3), (1, 2), (2, 3)],  # kernel
        [1, 2, (2, 1)],  # stride
        [0, 1, (2, 0)],  # padding
        [1, 2],  # dilation
    )
)


def _pair(v):
    return (v, v) if isinstance(v, int) else v


@pytest.mark.parametrize(("hw", "k", "stride", "padding", "dilation"), CONV_CONFIGS)
def test_conv2d_output_shape_follows_pytorch_formula(hw, k, stride, padding, dilation):
    x, w = rand(2, 4, *hw), rand(6, 2, *k)
    out = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=2)
    expected = tuple(
        conv_out(n, kk, s, p, dilation)
        for n, kk, s, p in zip(hw, k, _pair(stride), _pair(padding), strict=True)
    )
    assert out.shape == (2, 6, *expected)
    assert out.dtype == core.float32
    assert out.numpy().flags.c_contiguous


@pytest.mark.parametrize(("length", "k", "dilation"), [(9, 3, 1), (8, 4, 2), (5, 5, 1), (6, 2, 3)])
def test_same_padding_keeps_the_size(length, k, dilation):
    x2, w2 = rand(1, 2, length, length + 1), rand(3, 2, k, k)
    assert F.conv2d(x2, w2, padding="same", dilation=dilation).shape == (1, 3, length, length + 1)
    x1, w1 = rand(1, 2, length), rand(3, 2, k)
    assert F.conv1d(x1, w1, padding="same", dilation=dilation).shape == (1, 3, length)


@pytest.mark.parametrize(
    ("stride", "padding", "output_padding", "dilation"),
    [(1, 0, 0, 1), (2, 1, 1, 1), ((2, 3), (0, 1), (1, 2), 1), (1, 1, 1, 2), (3, 2, 2, (1, 2))],
)
def test_conv_transpose2d_output_shape(stride, padding, output_padding, dilation):
    x, w = rand(2, 4, 5, 6), rand(4, 3, 3, 2)
    out = F.conv_transpose2d(
        x, w, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation
    )
    expected = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + op + 1
        for n, k, s, p, op, d in zip(
            (5, 6), (3, 2), _pair(stride), _pair(padding), _pair(output_padding), _pair(dilation),
            strict=True,
        )
    )  # fmt: skip
    assert out.shape == (2, 3, *expected)


POOL_CONFIGS = list(
    itertools.product([(5, 5), (6, 7)], [2, 3, (2, 3)], [None, 1, 2], [0, 1], [False, True])
)


@pytest.mark.parametrize(("hw", "k", "stride", "padding", "ceil_mode"), POOL_CONFIGS)
def test_pool_output_shapes_follow_pytorch_formula(hw, k, stride, padding, ceil_mode):
    x = rand(2, 3, *hw)
    kk = _pair(k)
    ss = kk if stride is None else _pair(stride)
    expected = tuple(
        pool_out(n, a, s, padding, 1, ceil_mode) for n, a, s in zip(hw, kk, ss, strict=True)
    )
    assert F.max_pool2d(x, k, stride, padding, ceil_mode=ceil_mode).shape == (2, 3, *expected)
    assert F.avg_pool2d(x, k, stride, padding, ceil_mode=ceil_mode).shape == (2, 3, *expected)
    dilated = tuple(
        pool_out(n, a, s, padding, 2, ceil_mode) for n, a, s in zip(hw, kk, ss, strict=True)
    )
    if min(dilated) > 0:
        out = F.max_pool2d(x, k, stride, padding, dilation=2, ceil_mode=ceil_mode)
        assert out.shape == (2, 3, *dilated)


@pytest.mark.parametrize(
    ("size", "expected"),
    [(3, (3, 3)), ((2, 5), (2, 5)), ((None, 2), (7, 2)), ((4, None), (4, 6)), (1, (1, 1))],
)
def test_adaptive_avg_pool2d_output_shape(size, expected):
    assert F.adaptive_avg_pool2d(rand(2, 3, 7, 6), size).shape == (2, 3, *expected)
    assert F.adaptive_avg_pool2d(rand(3, 7, 6), size).shape == (3, *expected)


def test_adaptive_bins_overlap_like_pytorch():
    # 5 -> 3 bins: [0, 2), [1, 4), [3, 5)
    x = core.tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    out = F.adaptive_avg_pool2d(x, (1, 3))
    np.testing.assert_allclose(out.numpy().ravel(), [0.5, 2.0, 3.5])


def test_pad_shapes_and_values():
    x = core.tensor(np.arange(6.0).reshape(1, 2, 3))
    assert F.pad(x, (1, 2)).shape == (1, 2, 6)
    assert F.pad(x, (1, 2, 0, 1)).shape == (1, 3, 6)
    assert F.pad(x, (0, 0, 0, 0, 2, 0)).shape == (3, 2, 3)
    assert F.pad(x, (-1, -1)).numpy().tolist() == [[[1.0], [4.0]]]
    np.testing.assert_array_equal(
        F.pad(x, (2, 1), mode="reflect").numpy()[0, 0], [2, 1, 0, 1, 2, 1]
    )
    np.testing.assert_array_equal(
        F.pad(x, (2, 1), mode="replicate").numpy()[0, 0], [0, 0, 0, 1, 2, 2]
    )
    np.testing.assert_array_equal(
        F.pad(x, (2, 1), mode="circular").numpy()[0, 0], [1, 2, 0, 1, 2, 0]
    )
    np.testing.assert_array_equal(F.pad(x, (1, 0), value=-7.0).numpy()[0, 1], [-7, 3, 4, 5])


def test_unbatched_input_matches_batched():
    x, w, b = rand(3, 6, 5), rand(4, 3, 3, 3, seed=1), rand(4, seed=2)
    batched = F.conv2d(x.unsqueeze(0), w, b, padding=1)[0]
    np.testing.assert_allclose(F.conv2d(x, w, b, padding=1).numpy(), batched.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2).numpy(), F.max_pool2d(x.unsqueeze(0), 2)[0].numpy()
    )


def test_float64_stays_float64():
    x, w = rand(1, 2, 5, 5, dtype="float64"), rand(3, 2, 3, 3, dtype="float64")
    assert F.conv2d(x, w).dtype == core.float64
    assert F.conv_transpose2d(x, rand(2, 2, 3, 3, dtype="float64")).dtype == core.float64
    assert F.max_pool2d(x, 2).dtype == core.float64
    assert F.adaptive_avg_pool2d(x, 3).dtype == core.float64
    assert F.pad(x, (1, 1, 1, 1), mode="reflect").dtype == core.float64


def test_conv2d_is_one_recorded_op():
    x, w, b = rand(2, 3, 6, 6, grad=True), rand(4, 3, 3, 3, grad=True), rand(4, grad=True)
    with core.graph.record() as g:
        F.conv2d(x, w, b, padding=1, stride=2)
        F.conv1d(rand(2, 3, 6), rand(4, 3, 3))
    assert [n.op for n in g.ops] == ["Conv2d", "Conv1d"]


# -- errors ------------------------------------------------------------------------------


def test_wrong_channel_count_names_the_shapes():
    with pytest.raises(
        RuntimeError,
        match=r"weight of size \[3, 2, 3, 3\], expected input\[2, 4, 5, 5\] to have 2 channels, "
        r"but got 4",
    ):
        F.conv2d(rand(2, 4, 5, 5), rand(3, 2, 3, 3))
    with pytest.raises(RuntimeError, match=r"expected input\[2, 4, 5\] to have 2 channels"):
        F.conv1d(rand(2, 4, 5), rand(3, 2, 3))
    with pytest.raises(RuntimeError, match=r"transposed=1.*to have 3 channels, but got 4"):
        F.conv_transpose2d(rand(2, 4, 5, 5), rand(3, 3, 3, 3))


def test_kernel_bigger_than_input():
    with pytest.raises(
        RuntimeError, match=r"padded input size per channel: \(5 x 5\)\. Kernel size: \(6 x 6\)"
    ):
        F.conv2d(rand(1, 2, 5, 5), rand(3, 2, 6, 6))
    with pytest.raises(RuntimeError, match=r"Kernel size: \(5 x 5\)"):  # dilated 3x3
        F.conv2d(rand(1, 2, 4, 4), rand(3, 2, 3, 3), dilation=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(rand(1, 2, 3, 3), 4)


def test_same_padding_rejects_strides():
    with pytest.raises(RuntimeError, match="padding='same' is not supported for strided"):
        F.conv2d(rand(1, 2, 5, 5), rand(3, 2, 3, 3), stride=2, padding="same")
    with pytest.raises(RuntimeError, match="Invalid padding string: 'full'"):
        F.conv2d(rand(1, 2, 5, 5), rand(3, 2, 3, 3), padding="full")


def test_wrong_ranks():
    with pytest.raises(RuntimeError, match=r"expected a 4-D weight .* size \[3, 2, 3\]"):
        F.conv2d(rand(1, 2, 5, 5), rand(3, 2, 3))
    with pytest.raises(
        RuntimeError,
        match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of "
        r"size: \[2, 5\]",
    ):
        F.conv2d(rand(2, 5), rand(3, 2, 3, 3))
    with pytest.raises(
        RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"
    ):
        F.conv1d(rand(1, 2, 5, 5), rand(3, 2, 3))
    with pytest.raises(RuntimeError, match="3D or 4D"):
        F.max_pool2d(rand(5, 5), 2)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D tensor, but got \[5, 5\]"):
        F.adaptive_avg_pool2d(rand(5, 5), 2)


def test_bad_groups_bias_dtype_and_parameters():
    x = rand(1, 4, 5, 5)
    with pytest.raises(RuntimeError, match="divisible by 3 at dimension 0"):
        F.conv2d(x, rand(4, 2, 3, 3), groups=3)
    with pytest.raises(RuntimeError, match="non-positive groups"):
        F.conv2d(x, rand(4, 4, 3, 3), groups=0)
    with pytest.raises(
        RuntimeError,
        match=r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]",
    ):
        F.conv2d(x, rand(4, 4, 3, 3), rand(3))
    with pytest.raises(
        RuntimeError, match=r"input type \(core.float32\) and weight type \(core.float64\)"
    ):
        F.conv2d(x, rand(4, 4, 3, 3, dtype="float64"))
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(x, rand(4, 4, 3, 3), stride=0)
    with pytest.raises(RuntimeError, match="negative padding"):
        F.conv2d(x, rand(4, 4, 3, 3), padding=-1)
    with pytest.raises(RuntimeError, match="list of 2 values"):
        F.conv2d(x, rand(4, 4, 3, 3), stride=(1, 2, 3))
    with pytest.raises(
        RuntimeError, match="output padding must be smaller than either stride or dilation"
    ):
        F.conv_transpose2d(x, rand(4, 3, 3, 3), stride=2, output_padding=2)


def test_pool_and_pad_errors():
    x = rand(1, 2, 5, 5)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(
        RuntimeError, match="kernel_size must either be a single int, or a tuple of two"
    ):
        F.max_pool2d(x, (2, 2, 2))
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(RuntimeError, match="output_size must be 2"):
        F.adaptive_avg_pool2d(x, (2,))
    with pytest.raises(RuntimeError, match="divisible by 2"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(RuntimeError, match="padding length 10 and input of dimension 4"):
        F.pad(x, (1,) * 10)
    with pytest.raises(
        RuntimeError, match=r"padding \(5, 5\) at dimension 3 of input \[1, 2, 5, 5\]"
    ):
        F.pad(x, (5, 5, 0, 0), mode="reflect")
    with pytest.raises(RuntimeError, match="wrapping around more than once"):
        F.pad(x, (6, 0, 0, 0), mode="circular")
    with pytest.raises(NotImplementedError, match="Unrecognised padding mode wrap"):
        F.pad(x, (1, 1), mode="wrap")
    with pytest.raises(NotImplementedError, match="Padding size 2 is not supported for 1D input"):
        F.pad(rand(5), (1, 1), mode="replicate")
    with pytest.raises(RuntimeError, match="doesn't take in value argument"):
        F.pad(x, (1, 1, 1, 1), mode="reflect", value=1.0)


# -- max pooling: where the gradient goes ------------------------------------------------


def test_max_pool_gradient_goes_to_the_first_max_in_each_window():
    x = core.tensor(np.array([[[[1.0, 3.0, 3.0, 0.0], [3.0, 2.0, 0.0, 0.0]]]]), requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert out.detach().numpy().tolist() == [[[[3.0, 3.0]]]]
    assert idx.numpy().tolist() == [[[[1, 2]]]]
    assert idx.dtype == core.int64 and not idx.requires_grad
    out.sum().backward()
    assert x.grad.numpy().tolist() == [[[[0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0]]]]


def test_max_pool_overlapping_windows_accumulate_gradient():
    x = core.tensor(np.array([[[[0.0, 5.0, 0.0, 1.0, 0.0]]]]), requires_grad=True)
    F.max_pool2d(x, (1, 3), stride=1).sum().backward()  # windows [0,5,0],[5,0,1],[0,1,0]
    assert x.grad.numpy().ravel().tolist() == [0.0, 2.0, 0.0, 1.0, 0.0]


def test_max_pool_propagates_nan():
    x = core.tensor(np.array([[[[1.0, np.nan], [2.0, 0.0]]]]))
    assert np.isnan(F.max_pool2d(x, 2).numpy()).all()


def test_max_pool_nan_windows_match_pytorch():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(5).standard_normal((2, 2, 6, 6)).astype(np.float32)
    data[0, 0, 0, 1] = data[0, 0, 1, 0] = data[1, 1, 4, 4] = np.nan  # two NaNs in one window
    for args in ((2,), (3, 2, 1)):
        out, idx = F.max_pool2d(core.tensor(data), *args, return_indices=True)
        t_out, t_idx = torch.nn.functional.max_pool2d(
            torch.tensor(data), *args, return_indices=True
        )
        np.testing.assert_array_equal(out.numpy(), t_out.numpy())  # NaN == NaN here
        np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())  # PyTorch: the last NaN


@pytest.mark.parametrize(
    "args", [(2,), ((2, 3),), (3, 2, 1)], ids=["tiled", "tiled_2x3", "k3_s2_p1"]
)
def test_max_pool_gradient_in_nan_windows_goes_to_the_last_nan(args):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(5).standard_normal((2, 2, 6, 6))
    data[0, 0, 0, 1] = data[0, 0, 1, 0] = data[1, 1, 4, 4] = np.nan  # two NaNs in one window
    up = np.random.default_rng(6).standard_normal(
        torch.nn.functional.max_pool2d(torch.tensor(data), *args).shape
    )
    x, xt = core.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    F.max_pool2d(x, *args).backward(core.tensor(up))
    torch.nn.functional.max_pool2d(xt, *args).backward(torch.tensor(up))
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


@pytest.mark.parametrize("args", [(2,), (3, 2, 1)], ids=["tiled", "k3_s2_p1"])
def test_max_pool_output_may_be_changed_in_place_before_backward(args):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(8).standard_normal((2, 3, 6, 6))
    x, xt = core.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for lib, t in ((core, x), (torch, xt)):
        out = lib.nn.functional.max_pool2d(t, *args)
        out.mul_(-3.0)  # PyTorch keeps no output here: backward must not need it
        out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


# -- PyTorch parity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kernel", "stride", "padding", "dilation", "ceil_mode"),
    [
        (2, None, 0, 1, False),
        ((2, 3), None, 0, 1, False),  # windows tiling all but the last row and columns
        ((3, 1), (3, 1), 0, 1, True),
        (3, None, 0, 1, False),
        (3, 2, 1, 1, True),
        ((2, 3), (1, 2), (1, 0), (2, 1), False),
        (3, 3, 1, 1, True),
    ],
)
def test_max_pool_indices_match_pytorch(kernel, stride, padding, dilation, ceil_mode):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    # few distinct values: many ties, where PyTorch keeps the first max
    data = rng.integers(0, 4, size=(2, 3, 7, 8)).astype(np.float32)
    args = (kernel, stride, padding, dilation, ceil_mode, True)
    out, idx = F.max_pool2d(core.tensor(data), *args)
    t_out, t_idx = torch.nn.functional.max_pool2d(torch.tensor(data), *args)
    np.testing.assert_array_equal(out.numpy(), t_out.numpy())
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())

    xc = core.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    up = rng.standard_normal(t_out.shape).astype(np.float32)
    F.max_pool2d(xc, *args[:-1]).backward(core.tensor(up))
    torch.nn.functional.max_pool2d(xt, *args[:-1]).backward(torch.tensor(up))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("shape", "wshape", "kwargs"),
    [
        ((8, 16, 14, 14), (32, 16, 3, 3), {"padding": 1}),
        ((4, 12, 17, 15), (24, 4, 5, 3), {"stride": 2, "padding": (2, 1), "groups": 3}),
        ((4, 8, 16, 16), (8, 1, 3, 3), {"padding": "same", "dilation": 2, "groups": 8}),
    ],
)
def test_larger_conv2d_matches_pytorch(shape, wshape, kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape).astype(np.float32)
    w_np = (rng.standard_normal(wshape) * 0.2).astype(np.float32)
    b_np = rng.standard_normal(wshape[0]).astype(np.float32)
    x, w, b = (core.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x_np, w_np, b_np))
    out = F.conv2d(x, w, b, **kwargs)
    t_out = torch.nn.functional.conv2d(xt, wt, bt, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-4)
    up = rng.standard_normal(t_out.shape).astype(np.float32)
    out.backward(core.tensor(up))
    t_out.backward(torch.tensor(up))
    for mine, theirs in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-4, atol=2e-3)


def test_larger_conv_transpose_and_pools_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((4, 8, 9, 11)).astype(np.float32)
    w_np = (rng.standard_normal((8, 6, 4, 4)) * 0.2).astype(np.float32)
    x, w = core.tensor(x_np), core.tensor(w_np)
    xt, wt = torch.tensor(x_np), torch.tensor(w_np)
    tF = torch.nn.functional
    pairs = [
        (
            F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
            tF.conv_transpose2d(xt, wt, stride=2, padding=1, output_padding=1),
        ),
        (F.max_pool2d(x, 3, 2, 1), tF.max_pool2d(xt, 3, 2, 1)),
        (F.avg_pool2d(x, 3, 2, 1, ceil_mode=True), tF.avg_pool2d(xt, 3, 2, 1, ceil_mode=True)),
        (F.adaptive_avg_pool2d(x, (4, 5)), tF.adaptive_avg_pool2d(xt, (4, 5))),
        (F.pad(x, (2, 3, 1, 4), mode="reflect"), tF.pad(xt, (2, 3, 1, 4), mode="reflect")),
    ]
    for mine, theirs in pairs:
        assert mine.shape == tuple(theirs.shape)
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


# -- batch chunks and scratch buffers -------------------------------------------------------


def _conv_grads(fn, *arrays):
    ts = [core.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    up = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(core.tensor(up, dtype=out.dtype))
    return [out.detach().numpy()] + [t.grad.numpy() for t in ts]


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, groups=2),
        lambda x, w, b: F.conv2d(x, w, b, padding=(2, 1), dilation=(1, 2), groups=2),
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, groups=2),
        lambda x, w, b: F.conv_transpose2d(x, w, b, padding=1, dilation=2, groups=2),
    ],
    ids=["conv2d_strided", "conv2d", "conv_transpose2d_strided", "conv_transpose2d"],
)
def test_results_do_not_depend_on_batch_chunking(monkeypatch, fn, layout):
    import core.ops.conv as conv_module

    monkeypatch.setattr(conv_module, "_LAYOUT", layout)
    rng = np.random.default_rng(0)
    arrays = (
        rng.standard_normal((5, 4, 6, 7)),
        rng.standard_normal((4, 2, 3, 3)),
        rng.standard_normal(4),
    )
    whole = _conv_grads(fn, *arrays)  # one chunk: the forward keeps its columns
    monkeypatch.setattr(conv_module, "_CHUNK", 1)  # one image per chunk: recomputed
    chunked = _conv_grads(fn, *arrays)
    for a, b in zip(whole, chunked, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


LAYOUT_CASES = [
    ((3, 4, 9, 8), (6, 4, 3, 3), {"padding": 1}),
    (
        (3, 4, 9, 8),
        (6, 2, 3, 2),
        {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2},
    ),
    ((2, 3, 7, 7), (6, 1, 5, 5), {"padding": "same", "groups": 3}),
    ((4, 2, 6, 5), (5, 2, 2, 4), {"padding": "same", "dilation": (2, 1)}),  # uneven padding
    ((3, 6, 5, 8), (4, 6, 1, 1), {}),  # the output grid is the input's
    ((2, 3, 10, 9), (4, 3, 3, 3), {"stride": 3}),
]


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize(("shape", "wshape", "kwargs"), LAYOUT_CASES)
def test_conv2d_in_either_layout_matches_pytorch(monkeypatch, layout, shape, wshape, kwargs):
    torch = pytest.importorskip("torch")
    import core.ops.conv as conv_module

    monkeypatch.setattr(conv_module, "_LAYOUT", layout)
    rng = np.random.default_rng(2)
    arrays = (
        rng.standard_normal(shape),
        rng.standard_normal(wshape),
        rng.standard_normal(wshape[0]),
    )
    mine = _conv_grads(lambda x, w, b: F.conv2d(x, w, b, **kwargs), *arrays)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = torch.nn.functional.conv2d(*ts, **kwargs)
    out.backward(torch.tensor(np.random.default_rng(7).standard_normal(out.shape)))
    theirs = [out.detach().numpy()] + [t.grad.numpy() for t in ts]
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_conv2d_picks_the_layout_with_fewer_copied_runs():
    from core.ops.conv import _batch_inner, _conv_geometry

    def geometry(shape, wshape):
        return _conv_geometry("conv2d", 2, rand(*shape), rand(*wshape), None, 1, 0, 1, 1)

    # LeNet: 28x28 rows are long enough batch-major; 10x10 ones go batch-innermost
    assert not _batch_inner(geometry((64, 1, 28, 28), (6, 1, 5, 5)), 64)
    assert _batch_inner(geometry((64, 6, 14, 14), (16, 6, 5, 5)), 64)
    assert not _batch_inner(geometry((1, 6, 14, 14), (16, 6, 5, 5)), 1)  # nothing to gain


def test_kept_columns_are_private_to_their_graph():
    """Columns a forward keeps for its weight gradient live in pooled buffers: a buffer
    must not be handed out again while a graph that needs it is alive."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    xs = [rng.standard_normal((4, 3, 6, 6)).astype(np.float32) for _ in range(3)]
    w_np = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    w = core.tensor(w_np, requires_grad=True)
    outs = [F.conv2d(core.tensor(x), w, padding=1) for x in xs[:2]]
    outs[0].sum().backward(retain_graph=True)
    F.conv2d(core.tensor(xs[2]), w, padding=1)  # a third forward while both are alive
    outs[1].sum().backward()
    outs[0].sum().backward()  # the retained graph, again
    wt = torch.tensor(w_np, requires_grad=True)
    for x in (xs[0], xs[1], xs[0]):
        torch.nn.functional.conv2d(torch.tensor(x), wt, padding=1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_outputs_are_not_views_of_reused_scratch():
    x, w = rand(2, 3, 8, 8), rand(4, 3, 3, 3, seed=1)
    first = F.conv2d(x, w, padding=1)
    kept = first.numpy().copy()
    F.conv2d(rand(3, 3, 9, 7, seed=2), w, padding=2)  # same scratch roles, other shapes
    F.conv_transpose2d(rand(2, 4, 5, 5, seed=3), rand(4, 3, 3, 3, seed=4))
    np.testing.assert_array_equal(first.numpy(), kept)
