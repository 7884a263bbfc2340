"""The tensor ops added for ported tutorials (core/ops/extra.py) and core.Size:
values against numpy, PyTorch's edge cases and errors, gradients (the op table runs
gradcheck and the PyTorch comparison for each op)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import core
from core.autograd import gradcheck


def t64(a, grad=False):
    return core.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# -- values --------------------------------------------------------------------------
def test_masked_select_picks_in_row_major_order():
    x = core.arange(6.0).reshape(2, 3)
    assert core.masked_select(x, x > 2.5).tolist() == [3.0, 4.0, 5.0]
    assert x.masked_select(core.tensor([True, False, True])).tolist() == [0.0, 2.0, 3.0, 5.0]
    assert core.masked_select(core.tensor(2.0), core.tensor(True)).tolist() == [2.0]


def test_masked_select_gradient_accumulates_over_a_broadcast_input():
    x = t64([1.0, 2.0, 3.0], grad=True)
    out = core.masked_select(x, core.tensor([[True, False, True], [True, True, False]]))
    out.sum().backward()
    assert x.grad.tolist() == [2.0, 1.0, 1.0]


def test_repeat_interleave_forms():
    x = core.tensor([[1, 2], [3, 4]])
    assert core.repeat_interleave(x, 2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert x.repeat_interleave(core.tensor([1, 2]), dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    assert x.repeat_interleave(core.tensor(3), dim=1).shape == (2, 6)
    assert core.repeat_interleave(core.tensor([2, 0, 1])).tolist() == [0, 0, 2]
    assert core.repeat_interleave(core.tensor(5.0), 2).tolist() == [5.0, 5.0]


def test_repeat_interleave_gradient_sums_the_copies():
    x = t64([1.0, 2.0], grad=True)
    (core.repeat_interleave(x, 3) * t64([1, 2, 3, 4, 5, 6])).sum().backward()
    assert x.grad.tolist() == [6.0, 15.0]


def test_tile_pads_dims_with_ones():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(core.tile(core.tensor(x), (2,)).numpy(), np.tile(x, (1, 2)))
    np.testing.assert_array_equal(core.tensor(x).tile(2, 1, 2).numpy(), np.tile(x, (2, 1, 2)))


def test_roll_matches_numpy():
    x = np.arange(24.0).reshape(2, 3, 4)
    c = core.tensor(x)
    np.testing.assert_array_equal(core.roll(c, 5).numpy(), np.roll(x, 5))
    np.testing.assert_array_equal(c.roll((1, -3), (0, -1)).numpy(), np.roll(x, (1, -3), (0, 2)))
    assert core.roll(core.tensor(3.0), 1).item() == 3.0


def test_diag_both_directions_and_offsets():
    v = core.tensor([1.0, 2.0])
    assert core.diag(v, 1).tolist() == [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
    m = core.arange(12.0).reshape(3, 4)
    assert core.diag(m).tolist() == [0.0, 5.0, 10.0]
    assert m.diag(-1).tolist() == [4.0, 9.0]
    assert m.diag(9).shape == (0,)
    d = core.diag(m)
    d[0] = 100.0  # a copy, as in PyTorch
    assert m[0, 0].item() == 0.0


def test_cumprod_values_ints_and_gradient_through_zeros():
    assert core.cumprod(core.tensor([1, 2, 3]), 0).tolist() == [1, 2, 6]
    assert core.cumprod(core.tensor([1, 2, 3]), 0).dtype == core.int64
    x = t64([[2.0, 0.0, 3.0, 0.0, 4.0]], grad=True)
    assert gradcheck(lambda a: core.cumprod(a, 1), [x])
    (core.cumprod(x, 1) * t64([[1, 2, 3, 4, 5]])).sum().backward()
    # d/dx1 of the products that contain x1 (x0 * x1, x0 x1 x2, ...), the rest through 0
    assert x.grad.tolist() == [[1.0, 2 * 2 + 3 * 2 * 3, 0.0, 0.0, 0.0]]


def test_log2_log10_and_their_in_place_forms():
    x = core.tensor([1.0, 8.0, 1000.0])
    np.testing.assert_allclose(core.log2(x).numpy(), [0.0, 3.0, np.log2(1000)], rtol=1e-6)
    np.testing.assert_allclose(x.log10().numpy(), [0.0, np.log10(8), 3.0], rtol=1e-6)
    assert core.log2(core.tensor([4])).dtype == core.float32
    y = core.tensor([100.0])
    y.log10_()
    assert y.tolist() == [2.0]


def test_clamp_min_max_and_in_place():
    x = core.tensor([-1.0, 0.5, 2.0])
    assert core.clamp_min(x, 0.0).tolist() == [0.0, 0.5, 2.0]
    assert x.clamp_max(1.0).tolist() == [-1.0, 0.5, 1.0]
    x.clamp_min_(0.0)
    assert x.tolist() == [0.0, 0.5, 2.0]


def test_isclose_and_logical_ops():
    a = core.tensor([1.0, 2.0, float("nan"), float("inf")])
    b = core.tensor([1.0 + 1e-7, 2.1, float("nan"), float("inf")])
    assert core.isclose(a, b).tolist() == [True, False, False, True]
    assert a.isclose(b, equal_nan=True).tolist() == [True, False, True, True]
    x, y = core.tensor([1.0, 0.0, 2.0]), core.tensor([1, 1, 0])
    assert core.logical_and(x, y).tolist() == [True, False, False]
    assert core.logical_or(x, y).tolist() == [True, True, True]
    assert x.logical_xor(y).tolist() == [False, True, True]
    assert core.logical_not(x).tolist() == [False, True, False]


def test_broadcast_tensors_and_shapes():
    a, b = core.broadcast_tensors(core.ones(3, 1), core.zeros(4))
    assert a.shape == b.shape == (3, 4)
    assert core.broadcast_shapes((2, 1), (3,), 1) == (2, 3)
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        core.broadcast_shapes((2,), (3,))


def test_gradients_of_roll_tile_diag_logs():
    x = t64(np.random.default_rng(0).uniform(0.5, 2.0, (3, 4)), grad=True)
    assert gradcheck(lambda a: core.roll(a, (1, 2), (0, 1)), [x])
    assert gradcheck(lambda a: core.tile(a, (2, 1, 2)), [x])
    assert gradcheck(lambda a: core.diag(a, 1), [x])
    assert gradcheck(lambda a: core.diag(a[0], -2), [x])
    assert gradcheck(lambda a: core.log2(a) + core.log10(a), [x])


# -- errors --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: core.masked_select(core.ones(3), core.tensor([1, 0, 1])), RuntimeError, "Bool"),
        (lambda: core.masked_select(core.ones(3), core.ones(2) > 0), RuntimeError, "broadcast"),
        (lambda: core.repeat_interleave(core.ones(2), -1), RuntimeError, "non-negative"),
        (
            lambda: core.repeat_interleave(core.ones(2, 3), core.tensor([1, 2]), dim=1),
            RuntimeError,
            "same size as input along dim",
        ),
        (
            lambda: core.repeat_interleave(core.ones(2), core.tensor([[1, 2]])),
            RuntimeError,
            "0-dim or 1-dim",
        ),
        (lambda: core.roll(core.ones(2, 2), (1, 2), 0), RuntimeError, "shifts and dimensions"),
        (lambda: core.roll(core.ones(2, 2), 1, 2), IndexError, "Dimension out of range"),
        (lambda: core.diag(core.ones(2, 2, 2)), RuntimeError, "Got 3D"),
        (lambda: core.diag(core.tensor(1.0)), RuntimeError, "Got 0D"),
        (lambda: core.isclose(core.ones(2), core.ones(2).long()), RuntimeError, "did not match"),
        (lambda: core.isclose(core.ones(2), 1.0), TypeError, "must be Tensor"),
        (lambda: core.logical_and(core.ones(2), 1), TypeError, "must be Tensor"),
    ],
)
def test_errors_like_pytorch(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


# -- core.Size -----------------------------------------------------------------------
def test_size_is_a_tuple_with_pytorch_repr():
    s = core.Size([2, 3])
    assert isinstance(s, tuple) and s == (2, 3) and hash(s) == hash((2, 3))
    assert repr(s) == "core.Size([2, 3])" and str(s) == "core.Size([2, 3])"
    assert repr(core.Size()) == "core.Size([])"
    assert s.numel() == 6 and core.Size().numel() == 1


def test_size_operations_give_sizes():
    s = core.Size([2, 3, 4])
    assert isinstance(s[1:], core.Size) and s[1:] == (3, 4)
    assert isinstance(s[0], int)
    assert isinstance(s + (5,), core.Size) and s + (5,) == (2, 3, 4, 5)
    assert isinstance((1,) + s, core.Size) and (1,) + s == (1, 2, 3, 4)
    assert isinstance(s * 2, core.Size) and len(2 * s) == 6
    assert pickle.loads(pickle.dumps(s)) == s and isinstance(
        pickle.loads(pickle.dumps(s)), core.Size
    )


def test_size_accepts_ints_and_refuses_others():
    assert core.Size([np.int64(3), core.tensor(2)]) == (3, 2)
    with pytest.raises(TypeError, match=r"item 0 is 'float'"):
        core.Size([2.0])
    with pytest.raises(TypeError, match=r"item 1 is 'Tensor'"):
        core.Size([1, core.tensor([1, 2])])


def test_size_works_as_a_shape():
    assert core.zeros(core.Size([2, 2])).shape == (2, 2)
    assert core.ones(6).reshape(core.Size([3, 2])).shape == (3, 2)
    out = core.nn.Unflatten(1, core.Size([2, 2]))(core.ones(3, 4))
    assert out.shape == (3, 2, 2)
    assert type(core.ones(2).shape) is tuple  # .shape itself stays a plain tuple
