"""Activations, softmax and dropout: fused Functions and their nn.functional entry points.

relu, sigmoid and tanh reuse the Relu, Sigmoid and Tanh Functions of elementwise.py.
``inplace=True`` follows core's in-place rules (Tensor._inplace): an error on a leaf
that requires grad, history rebinding on tracked tensors.
"""

from __future__ import annotations

import math
import warnings

from core import backend as _backend
from core import random as _random
from core.autograd.function import RawFunction as _Op
from core.ops._util import amax, asum, norm_dim, stable_sigmoid, stable_softplus
from core.ops.elementwise import Relu, Sigmoid, Tanh
from core.tensor import Tensor

__all__ = [
    "relu",
    "relu6",
    "hardtanh",
    "leaky_relu",
    "elu",
    "gelu",
    "silu",
    "softplus",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "dropout",
]


def _check_float(name: str, input: Tensor) -> None:
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"{name}: expected a floating-point input, got {input.dtype.name} of shape "
            f"{tuple(input.shape)}. Convert it with .float() first."
        )


def _finish(input: Tensor, out: Tensor, inplace: bool, what: str) -> Tensor:
    return input._inplace(out, what) if inplace else out


# -- piecewise-linear ----------------------------------------------------------------
class LeakyRelu(_Op):
    @staticmethod
    def forward(ctx, a, slope):
        pos = a > 0
        ctx.pos, ctx.slope = pos, slope
        return ctx.xp.where(pos, a, a * slope).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        # NOTE: at exactly 0 the slope applies, as in PyTorch
        return ctx.xp.where(ctx.pos, g, g * ctx.slope), None


class Hardtanh(_Op):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.inside = (a > lo) & (a < hi)
        return ctx.xp.clip(a, lo, hi).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        # NOTE: strict inequalities: zero gradient at the edges (unlike clamp)
        return g * ctx.inside, None, None


class Elu(_Op):
    @staticmethod
    def forward(ctx, a, alpha):
        xp = ctx.xp
        pos = a > 0
        out = xp.where(pos, a, alpha * xp.expm1(xp.minimum(a, 0))).astype(a.dtype, copy=False)
        ctx.pos, ctx.out, ctx.alpha = pos, out, alpha
        return out

    @staticmethod
    def backward(ctx, g):
        # d/da alpha*(exp(a)-1) = out + alpha; at 0 this branch applies, as in PyTorch
        return ctx.xp.where(ctx.pos, g, g * (ctx.out + ctx.alpha)), None


# -- smooth ------------------------------------------------------------------------
_SQRT1_2 = 1 / math.sqrt(2.0)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_K = math.sqrt(2 / math.pi)
_TANH_C = 0.044715


class Gelu(_Op):
    @staticmethod
    def forward(ctx, a, approximate):
        xp = ctx.xp
        ctx.a, ctx.approx = a, approximate
        if approximate == "tanh":
            t = xp.tanh(_TANH_K * (a + _TANH_C * a * a * a))
            ctx.t = t
            return (0.5 * a * (1 + t)).astype(a.dtype, copy=False)
        cdf = 0.5 * (1 + _backend.get(ctx.device).erf(a * _SQRT1_2))
        ctx.cdf = cdf
        return (a * cdf).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        xp, a = ctx.xp, ctx.a
        if ctx.approx == "tanh":
            t = ctx.t
            inner = _TANH_K * (1 + 3 * _TANH_C * a * a)
            d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * inner
        else:
            d = ctx.cdf + a * (_INV_SQRT_2PI * xp.exp(-0.5 * a * a))
        return (g * d).astype(g.dtype, copy=False), None


class Silu(_Op):
    @staticmethod
    def forward(ctx, a):
        s = stable_sigmoid(ctx.xp, a)
        ctx.a, ctx.s = a, s
        return a * s

    @staticmethod
    def backward(ctx, g):
        s = ctx.s
        return g * (s * (1 + ctx.a * (1 - s)))


class Softplus(_Op):
    @staticmethod
    def forward(ctx, a, beta, threshold):
        xp = ctx.xp
        ba = a * beta
        soft = stable_softplus(xp, ba) / beta
        linear = ba > threshold  # PyTorch reverts to the identity above the threshold
        ctx.ba, ctx.linear = ba, linear
        return xp.where(linear, a, soft).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.where(ctx.linear, g, g * stable_sigmoid(ctx.xp, ctx.ba)), None, None


# -- softmax -------------------------------------------------------------------------
class Softmax(_Op):
    @staticmethod
    def forward(ctx, a, dim):
        xp = ctx.xp
        ctx.dim = dim
        if a.ndim == 0 or a.shape[dim] == 0:
            out = xp.ones_like(a)
        else:
            out = a - amax(xp, a, dim)  # shift: exp never overflows
            xp.exp(out, out=out)
            out /= asum(xp, out, dim)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        y = ctx.out
        if y.ndim == 0:
            return g * 0, None
        # J^T g = y * (g - <g, y>) along dim
        gx = g * y
        gx = g - asum(ctx.xp, gx, ctx.dim)
        gx *= y
        return gx, None


class LogSoftmax(_Op):
    @staticmethod
    def forward(ctx, a, dim):
        xp = ctx.xp
        ctx.dim = dim
        if a.ndim == 0 or a.shape[dim] == 0:
            out = xp.zeros_like(a)
        else:
            out = a - amax(xp, a, dim)
            e = xp.exp(out)
            out -= xp.log(asum(xp, e, dim))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        if g.ndim == 0:
            return g * 0, None
        xp = ctx.xp
        gx = xp.exp(ctx.out)
        gx *= asum(xp, g, ctx.dim)
        return xp.subtract(g, gx, out=gx), None


# -- dropout -------------------------------------------------------------------------
class Dropout(_Op):
    @staticmethod
    def forward(ctx, a, p):
        xp = ctx.xp
        if p == 1:
            ctx.mask, ctx.scale = None, 0.0
            return a * 0
        # NOTE: core.manual_seed makes the mask reproducible: on "cpu" it is drawn from
        # core.random's host generator; on "cuda" on the device, by a generator seeded
        # with one draw of the host generator (no host work or copy per element)
        host_rng = _random.default_generator.numpy
        if ctx.device == "cpu":
            u = host_rng.random(a.shape, dtype="float32")
        else:
            seed = int(host_rng.integers(2**63))
            u = _backend.get(ctx.device).rng(seed).random(a.shape, dtype=xp.float32)
        mask = u >= p  # keep with probability 1 - p
        scale = 1.0 / (1.0 - p)
        ctx.mask, ctx.scale = mask, scale
        out = a * mask
        out *= scale
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.mask is None:
            return g * 0, None
        gx = g * ctx.mask
        gx *= ctx.scale
        return gx, None


# -- entry points ----------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0) elementwise."""
    return _finish(input, Relu.apply(input), inplace, "relu_")


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """input clipped to [min_val, max_val]; zero gradient outside the open interval."""
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    _check_float("hardtanh", input)
    return _finish(input, Hardtanh.apply(input, min_val, max_val), inplace, "hardtanh_")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(input, 0), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where positive, negative_slope * input elsewhere."""
    _check_float("leaky_relu", input)
    return _finish(input, LeakyRelu.apply(input, negative_slope), inplace, "leaky_relu_")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where positive, alpha * (exp(input) - 1) elsewhere."""
    _check_float("elu", input)
    return _finish(input, Elu.apply(input, alpha), inplace, "elu_")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (exact, with erf) or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(
            f"gelu: approximate argument must be either 'none' or 'tanh', got {approximate!r}"
        )
    _check_float("gelu", input)
    return Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x)."""
    _check_float("silu", input)
    return _finish(input, Silu.apply(input), inplace, "silu_")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta; the identity where beta * x > threshold."""
    _check_float("softplus", input)
    return Softplus.apply(input, beta, threshold)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return Sigmoid.apply(input)


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(input)


def _softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    """PyTorch's legacy implicit dim (0 for 0-, 1- and 3-d inputs, else 1), with its
    deprecation warning."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        UserWarning,
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(name: str, input: Tensor, dim, stacklevel: int, dtype) -> tuple:
    if dtype is not None:
        input = input.to(dtype)
    _check_float(name, input)
    if dim is None:
        dim = _softmax_dim(name, input.ndim, stacklevel + 1)
    return input, norm_dim(dim, input.ndim)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """exp(x) / sum(exp(x)) along dim, fused and shifted by the max for stability.

    dim=None follows PyTorch's legacy implicit choice (with its deprecation warning);
    dtype casts the input first.
    """
    input, d = _softmax_input("softmax", input, dim, _stacklevel, dtype)
    return Softmax.apply(input, d)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """x - logsumexp(x) along dim, fused and numerically stable."""
    input, d = _softmax_input("log_softmax", input, dim, _stacklevel, dtype)
    return LogSoftmax.apply(input, d)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p).

    Returns ``input`` itself when not training or when p == 0, as PyTorch does.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    _check_float("dropout", input)
    return _finish(input, Dropout.apply(input, float(p)), inplace, "dropout_")
