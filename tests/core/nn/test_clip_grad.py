"""core.nn.utils: gradient clipping and parameter flattening, as torch.nn.utils
(torch is the oracle where installed; the first tests need none)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import core
from core.nn import Parameter
from core.nn.utils import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(3, 4), (4,), (2, 2, 2), ()]


def _torch():
    return pytest.importorskip("torch")


def _param_with_grad(grad, dtype="float64") -> Parameter:
    g = np.asarray(grad, dtype=dtype)
    p = Parameter(core.zeros(*g.shape, dtype=getattr(core, dtype)))
    p.grad = core.tensor(g)
    return p


# -- without torch: hand-computed values ------------------------------------------------
def test_clip_grad_norm_hand_computed():
    p, q = _param_with_grad([3.0]), _param_with_grad([[4.0]])
    total = clip_grad_norm_([p, q], max_norm=1.0)
    assert isinstance(total, core.Tensor) and total.shape == () and total.item() == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(p.grad.numpy(), [3.0 * coef], rtol=1e-15)
    np.testing.assert_allclose(q.grad.numpy(), [[4.0 * coef]], rtol=1e-15)


@pytest.mark.parametrize(
    ("norm_type", "expected"),
    [(1, 16.0), (2.0, math.sqrt(9 + 16 + 49 + 4)), (math.inf, 7.0), ("inf", 7.0), (0, 2.0)],
)
def test_total_norm_of_each_order(norm_type, expected):
    params = [_param_with_grad([-3.0, 4.0]), _param_with_grad([[-7.0, 0.0, 2.0]])]
    params.append(Parameter(core.zeros(2)))  # no grad: skipped
    # norm 0 is the norm of the per-gradient norms: the count of nonzero gradients
    total = clip_grad_norm_(params, max_norm=100.0, norm_type=norm_type)
    assert total.item() == pytest.approx(expected, rel=1e-12)
    assert params[2].grad is None


def test_clip_grad_norm_scales_in_place_even_when_under_the_limit():
    p = _param_with_grad([0.5, -0.25])
    grad, array = p.grad, p.grad._data
    version = grad._version
    total = clip_grad_norm_(p, max_norm=10.0)  # a single tensor, not a list
    assert total.item() == pytest.approx(math.sqrt(0.3125))
    assert p.grad is grad and p.grad._data is array  # same tensor, same memory
    assert grad._version == version + 1  # multiplied (by 1) in place, no host branch
    np.testing.assert_array_equal(array, [0.5, -0.25])


def test_total_norm_dtype_follows_the_gradients():
    p32 = _param_with_grad([1.0, 2.0], "float32")
    assert clip_grad_norm_([p32], 1.0).dtype == core.float32
    p64 = _param_with_grad([1.0, 2.0], "float64")
    p32 = _param_with_grad([2.0], "float32")
    total = clip_grad_norm_([p32, p64], 1.0)
    assert total.dtype == core.float64 and total.item() == pytest.approx(3.0)
    assert p32.grad.dtype == core.float32
    assert p32.grad.item() == pytest.approx(2.0 / 3.0, rel=1e-6)


def test_clip_grad_norm_without_gradients():
    total = clip_grad_norm_([Parameter(core.zeros(3))], 1.0)
    assert total.item() == 0.0 and total.dtype == core.float32
    assert get_total_norm([]).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        clip_grad_norm_((p for p in []), 1.0)


def test_clip_grad_norm_accepts_a_generator_once():
    params = [_param_with_grad([3.0, 4.0]), _param_with_grad([0.0])]
    total = clip_grad_norm_((p for p in params), 2.5)
    assert total.item() == 5.0
    np.testing.assert_allclose(params[0].grad.numpy(), [1.5, 2.0], rtol=1e-6)


def test_nonfinite_total_norm():
    p = _param_with_grad([1.0, math.inf])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 .* is non-finite"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(p.grad.numpy(), [1.0, math.inf])  # untouched on error
    total = clip_grad_norm_([p], 1.0)  # scaled by the non-finite norm anyway
    assert math.isinf(total.item())
    np.testing.assert_array_equal(p.grad.numpy(), [0.0, math.nan])
    q = _param_with_grad([math.nan])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([q], 1.0, norm_type=math.inf, error_if_nonfinite=True)


def test_clip_grads_with_norm_and_deprecated_spelling():
    p = _param_with_grad([6.0, 8.0])
    clip_grads_with_norm_([p], 5.0, core.tensor(20.0, dtype=core.float64))
    np.testing.assert_allclose(p.grad.numpy(), [6.0 * 5 / (20 + 1e-6), 8.0 * 5 / (20 + 1e-6)])
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        assert clip_grad_norm([p], 100.0).item() == pytest.approx(2.5, rel=1e-6)


def test_clip_grad_value_hand_computed():
    p, q = _param_with_grad([-2.0, 0.1, 3.0]), Parameter(core.zeros(1))
    array = p.grad._data
    assert clip_grad_value_([p, q], 0.5) is None
    np.testing.assert_array_equal(p.grad.numpy(), [-0.5, 0.1, 0.5])
    assert p.grad._data is array and q.grad is None
    clip_grad_value_(p, 0.2)  # a single tensor
    np.testing.assert_allclose(p.grad.numpy(), [-0.2, 0.1, 0.2])


def test_parameters_to_vector_round_trip():
    params = [
        Parameter(core.arange(6, dtype=core.float64).reshape(2, 3)),
        Parameter(core.tensor([6.0, 7.0], dtype=core.float64)),
    ]
    vec = parameters_to_vector(params)
    np.testing.assert_array_equal(vec.detach().numpy(), np.arange(8.0))
    vec.sum().backward()  # differentiable: a concatenation of views
    np.testing.assert_array_equal(params[0].grad.numpy(), np.ones((2, 3)))
    vector_to_parameters(vec.detach() * 2, params)
    assert params[0].shape == (2, 3) and params[1].shape == (2,)
    np.testing.assert_array_equal(params[0].detach().numpy(), [[0, 2, 4], [6, 8, 10]])
    np.testing.assert_array_equal(params[1].detach().numpy(), [12, 14])
    np.testing.assert_array_equal(parameters_to_vector(params).detach().numpy(), np.arange(8.0) * 2)
    with pytest.raises(TypeError, match="expected core.Tensor, but got: list"):
        vector_to_parameters([1.0, 2.0], params)


# -- against torch -------------------------------------------------------------------------
def _grads_pair(torch, dtype, none_at=(), scale=1.0, seed=0):
    """Parameters with the same grads in core and torch (None where asked)."""
    rng = np.random.default_rng(seed)
    cps, tps = [], []
    for i, shape in enumerate(SHAPES):
        cp = Parameter(core.zeros(*shape, dtype=getattr(core, dtype)))
        tp = torch.nn.Parameter(torch.zeros(shape, dtype=getattr(torch, dtype)))
        if i not in none_at:
            g = (rng.normal(size=shape) * scale).astype(dtype)
            cp.grad = core.tensor(g)
            tp.grad = torch.tensor(g)
        cps.append(cp)
        tps.append(tp)
    return cps, tps


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [1, 2, 3, math.inf, 2.5])
@pytest.mark.parametrize("limit", ["below", "above"])
def test_clip_grad_norm_matches_torch(norm_type, limit, dtype):
    torch = _torch()
    cps, tps = _grads_pair(torch, dtype, none_at=(1,))
    with torch.no_grad():
        total = float(
            torch.nn.utils.get_total_norm([p.grad for p in tps if p.grad is not None], norm_type)
        )
    max_norm = total * (0.3 if limit == "below" else 4.0)
    ctotal = clip_grad_norm_(cps, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == "float64" else 2e-6
    assert ctotal.dtype == getattr(core, dtype)
    np.testing.assert_allclose(ctotal.numpy(), ttotal.numpy(), rtol=rtol)
    for cp, tp in zip(cps, tps, strict=True):
        if tp.grad is None:
            assert cp.grad is None
            continue
        np.testing.assert_allclose(cp.grad.numpy(), tp.grad.numpy(), rtol=rtol, atol=1e-30)
    if limit == "below":  # the clipped gradients have (about) the max norm
        after = torch.nn.utils.get_total_norm(
            [torch.tensor(p.grad.numpy()) for p in cps if p.grad is not None], norm_type
        )
        assert float(after) == pytest.approx(max_norm, rel=1e-5)


@pytest.mark.parametrize("norm_type", [2.0, math.inf])
def test_nonfinite_clip_matches_torch(norm_type):
    torch = _torch()
    cps, tps = _grads_pair(torch, "float64")
    cps[0].grad._data[0, 1] = math.inf
    with torch.no_grad():
        tps[0].grad[0, 1] = math.inf
    with pytest.raises(RuntimeError) as cerr:
        clip_grad_norm_(cps, 1.0, norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as terr:
        torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type, error_if_nonfinite=True)
    assert str(cerr.value) == str(terr.value)
    ctotal = clip_grad_norm_(cps, 1.0, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tps, 1.0, norm_type)
    np.testing.assert_array_equal(ctotal.numpy(), ttotal.numpy())
    for cp, tp in zip(cps, tps, strict=True):
        np.testing.assert_array_equal(cp.grad.numpy(), tp.grad.numpy())  # nan where inf


@pytest.mark.parametrize("clip_value", [0.3, 2])
def test_clip_grad_value_matches_torch(clip_value):
    torch = _torch()
    cps, tps = _grads_pair(torch, "float32", none_at=(2,), scale=2.0)
    clip_grad_value_(cps, clip_value)
    torch.nn.utils.clip_grad_value_(tps, clip_value)
    for cp, tp in zip(cps, tps, strict=True):
        if tp.grad is None:
            assert cp.grad is None
        else:
            np.testing.assert_array_equal(cp.grad.numpy(), tp.grad.numpy())


def test_parameters_to_vector_matches_torch():
    torch = _torch()
    rng = np.random.default_rng(3)
    values = [rng.normal(size=s) for s in SHAPES]
    cps = [Parameter(core.tensor(v)) for v in values]
    tps = [torch.nn.Parameter(torch.tensor(v)) for v in values]
    cvec = parameters_to_vector(cps)
    tvec = torch.nn.utils.parameters_to_vector(tps)
    np.testing.assert_array_equal(cvec.detach().numpy(), tvec.detach().numpy())
    new = rng.normal(size=cvec.shape[0])
    vector_to_parameters(core.tensor(new), cps)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tps)
    for cp, tp in zip(cps, tps, strict=True):
        assert tuple(cp.shape) == tuple(tp.shape)
        np.testing.assert_array_equal(cp.detach().numpy(), tp.detach().numpy())


# -- on the GPU ----------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("norm_type", [2.0, math.inf, 1.0])
def test_clip_grad_norm_on_cuda_matches_cpu(norm_type):
    rng = np.random.default_rng(9)
    grads = [rng.normal(size=s).astype("float32") for s in SHAPES]
    cpu = [_param_with_grad(g, "float32") for g in grads]
    gpu = []
    for g in grads:
        p = Parameter(core.zeros(*g.shape, device="cuda"))
        p.grad = core.tensor(g, device="cuda")
        gpu.append(p)
    tc = clip_grad_norm_(cpu, 0.5, norm_type)
    tg = clip_grad_norm_(gpu, 0.5, norm_type)
    assert tg.device.type == "cuda"
    np.testing.assert_allclose(tg.cpu().numpy(), tc.numpy(), rtol=1e-5)
    for pc, pg in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-5, atol=1e-7)
    clip_grad_value_(gpu, 0.01)
    clip_grad_value_(cpu, 0.01)
    for pc, pg in zip(cpu, gpu, strict=True):  # the norm-scaled inputs differ by rounding
        np.testing.assert_allclose(pg.grad.cpu().numpy(), pc.grad.numpy(), rtol=1e-6, atol=1e-9)
