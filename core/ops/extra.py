"""Tensor ops that ported PyTorch code reaches for: masked_select, repeat_interleave,
tile, roll, diag, cumprod, log2/log10, clamp_min/clamp_max, isclose, logical_*, and
broadcast_tensors/broadcast_shapes (with their Tensor methods).
"""

from __future__ import annotations

import builtins
import math

import numpy as np  # host shape arithmetic only (broadcast_shapes)

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.ops import (
    GetItem,
    _recorded,
    _shape_args,
    clamp,
    expand,
    flatten,
    no_grad_binary,
    norm_dim,
    repeat,
)
from core.ops._util import floating, quietly
from core.tensor import Tensor, _make

__all__ = [
    "broadcast_shapes",
    "broadcast_tensors",
    "clamp_max",
    "clamp_min",
    "cumprod",
    "diag",
    "isclose",
    "log10",
    "log2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "masked_select",
    "repeat_interleave",
    "roll",
    "tile",
]


# -- Functions -----------------------------------------------------------------------
class LogBase(_Op):
    """log2 or log10, elementwise; d/dx log_b(x) = 1 / (x ln b)."""

    @staticmethod
    @quietly
    def forward(ctx, a, base):
        ctx.a = a = floating(a)
        ctx.ln_base = math.log(base)
        # NOTE: numpy's float32 log10/log2 are off by an ulp for many inputs (log10(100)
        # is not 2); through float64 they round correctly, as PyTorch's do
        wide = a if a.dtype.itemsize >= 8 else a.astype("float64")
        out = ctx.xp.log2(wide) if base == 2 else ctx.xp.log10(wide)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    @quietly
    def backward(ctx, g):
        return g / (ctx.a * ctx.ln_base), None


class Roll(_Op):
    """Elements shifted along dims, wrapping around (a copy)."""

    saves_arrays = False

    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return ctx.xp.roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.roll(g, tuple(-s for s in ctx.shifts), ctx.dims), None, None


class RepeatInterleave(_Op):
    """Each slice along dim repeated ``repeats`` times in place (an int count)."""

    saves_arrays = False

    @staticmethod
    def forward(ctx, a, repeats, dim):
        ctx.shape, ctx.repeats, ctx.dim = a.shape, repeats, dim
        return ctx.xp.repeat(a, repeats, axis=dim)

    @staticmethod
    def backward(ctx, g):
        s, d = ctx.shape, ctx.dim
        # (..., n * r, ...) -> (..., n, r, ...) summed over r
        return g.reshape(s[:d] + (s[d], ctx.repeats) + s[d + 1 :]).sum(axis=d + 1), None, None


class Diag(_Op):
    """1-D -> the 2-D matrix with it on a diagonal; 2-D -> that diagonal (a copy)."""

    saves_arrays = False

    @staticmethod
    def forward(ctx, a, diagonal):
        ctx.shape, ctx.diagonal = a.shape, diagonal
        out = ctx.xp.diag(a, diagonal)
        return out.copy() if a.ndim == 2 else out  # numpy's diagonal is a read-only view

    @staticmethod
    def backward(ctx, g):
        xp, k = ctx.xp, ctx.diagonal
        if len(ctx.shape) == 1:
            return xp.diagonal(g, k).copy(), None
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        n = xp.arange(g.shape[0])
        gx[n + builtins.max(-k, 0), n + builtins.max(k, 0)] = g
        return gx, None


class Cumprod(_Op):
    """Cumulative product along dim. Its gradient holds where inputs are zero: for the
    inputs a_0..a_n-1 along dim, grad_k = P_k S_k, with P_k = a_0 ... a_k-1 and
    S_k = g_k + a_k+1 S_k+1 (no division by a_k)."""

    @staticmethod
    def forward(ctx, a, dim):
        ctx.a, ctx.dim = a, dim
        out = a.cumprod(axis=dim)
        return out.astype("int64", copy=False) if a.dtype.kind in "bui" else out

    @staticmethod
    def backward(ctx, g):
        xp, d = ctx.xp, ctx.dim
        a = xp.moveaxis(ctx.a, d, -1)
        g = xp.moveaxis(g, d, -1)
        n = a.shape[-1]
        if n == 0 or a.size == 0:
            return xp.zeros(ctx.a.shape, dtype=g.dtype), None
        prefix = xp.ones_like(g)  # exclusive products: prefix[..., k] = a_0 ... a_k-1
        prefix[..., 1:] = xp.cumprod(a[..., :-1], axis=-1)
        s = xp.empty_like(g)
        s[..., -1] = g[..., -1]
        # NOTE: a Python loop over dim's length (vectorized over the other dims)
        for k in range(n - 2, -1, -1):
            s[..., k] = g[..., k] + a[..., k + 1] * s[..., k + 1]
        return xp.moveaxis(prefix * s, -1, d), None


# -- elementwise math ----------------------------------------------------------------
def log2(input: Tensor) -> Tensor:
    return LogBase.apply(input, 2)


def log10(input: Tensor) -> Tensor:
    return LogBase.apply(input, 10)


def clamp_min(input: Tensor, min) -> Tensor:  # noqa: A002
    return clamp(input, min=min)


def clamp_max(input: Tensor, max) -> Tensor:  # noqa: A002
    return clamp(input, max=max)


# -- comparisons and logic (no gradient) ---------------------------------------------
def _tensor_arg(name: str, other) -> None:
    if not isinstance(other, Tensor):
        raise TypeError(
            f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}"
        )


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan=False
) -> Tensor:
    """|input - other| <= atol + rtol * |other|, elementwise (bool); infinities of one
    sign are close; NaNs are close to each other only with equal_nan."""
    _tensor_arg("isclose", other)
    if input.dtype != other.dtype:
        raise RuntimeError(
            f"isclose(): {input.dtype.name} did not match {other.dtype.name} (input of shape "
            f"{tuple(input.shape)}, other of shape {tuple(other.shape)}); convert one first"
        )
    if input._device != other._device:
        raise _backend.DeviceError(
            f"isclose(): expected both tensors on one device, got {input._device!r} and "
            f"{other._device!r}"
        )
    xp = _backend.get(input._device).xp
    a, b = input._data, other._data
    try:
        if a.dtype.kind == "b":
            out = xp.equal(a, b)
        else:
            out = xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    except ValueError:
        raise RuntimeError(
            f"isclose(): shapes {list(input.shape)} and {list(other.shape)} do not broadcast"
        ) from None
    return _recorded("isclose", (input, other), _make(xp.asarray(out), input._device, False, None))


def logical_and(input: Tensor, other: Tensor) -> Tensor:
    _tensor_arg("logical_and", other)
    return no_grad_binary("logical_and", input, other)


def logical_or(input: Tensor, other: Tensor) -> Tensor:
    _tensor_arg("logical_or", other)
    return no_grad_binary("logical_or", input, other)


def logical_xor(input: Tensor, other: Tensor) -> Tensor:
    _tensor_arg("logical_xor", other)
    return no_grad_binary("logical_xor", input, other)


def logical_not(input: Tensor) -> Tensor:
    return input.logical_not()


# -- broadcasting --------------------------------------------------------------------
def broadcast_shapes(*shapes) -> tuple:
    """The shape that tensors of these shapes broadcast to (PyTorch's error if none)."""
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(
            f"Shape mismatch: objects cannot be broadcast to a single shape (shapes "
            f"{', '.join(str(list(s)) for s in shapes)})"
        ) from None


def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape (views, as in PyTorch)."""
    if len(tensors) == 1 and isinstance(tensors[0], list | tuple):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else expand(t, *shape) for t in tensors)


# -- selection and arrangement -------------------------------------------------------
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The elements of input where the (broadcast) bool mask is True, as a 1-D tensor."""
    if not isinstance(mask, Tensor) or mask._data.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    if mask._device != input._device:
        raise _backend.DeviceError(
            f"masked_select(): the mask is on {mask._device!r} but the input is on "
            f"{input._device!r}"
        )
    shape = broadcast_shapes(input.shape, mask.shape)
    x = input if input.shape == shape else expand(input, *shape)
    xp = _backend.get(input._device).xp
    m = xp.broadcast_to(mask._data, shape)
    if not shape:  # a 0-d pair: one element at most
        x, m = x.reshape(1), m.reshape(1)
    return GetItem.apply(x, xp.nonzero(m))


def repeat_interleave(input: Tensor, repeats=None, dim=None, *, output_size=None) -> Tensor:
    """Each element (or slice along dim) repeated in place: repeat_interleave(x, 2) of
    [1, 2] is [1, 1, 2, 2]. repeats: an int, or one count per slice (a tensor).
    repeat_interleave(counts) alone gives the indices [0]*counts[0] + [1]*counts[1] ..."""
    if repeats is None:
        counts = _repeat_counts(input, 1 if input.ndim == 0 else input.shape[0], "input")
        out = _backend.get(input._device).xp.asarray(_repeated_positions(counts))
        return _recorded("repeat_interleave", (input,), _make(out, input._device, False, None))
    if dim is None or input.ndim == 0:
        if dim is not None:
            norm_dim(dim, 0)
        input, d = flatten(input), 0
    else:
        d = norm_dim(dim, input.ndim)
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.numel() != 1:
            counts = _repeat_counts(repeats, input.shape[d], f"input.size({d})")
            index = _backend.get(input._device).xp.asarray(_repeated_positions(counts))
            return GetItem.apply(input, (slice(None),) * d + (index,))
        repeats = int(repeats.item())
    repeats = int(repeats)
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    return RepeatInterleave.apply(input, repeats, d)


def _repeated_positions(counts: np.ndarray) -> np.ndarray:
    """[0] * counts[0] + [1] * counts[1] + ... (int64, on the host)."""
    return np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)


def _repeat_counts(repeats: Tensor, n: int, what: str) -> np.ndarray:
    """The per-slice counts as a host array (the output's size depends on them: on
    "cuda" a sync, as in PyTorch without output_size), checked PyTorch's way."""
    if repeats._data.dtype.kind not in "iu":
        raise RuntimeError(
            f"repeat_interleave: repeats has to be Long or Int tensor, got {repeats.dtype.name}"
        )
    if repeats.ndim > 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    counts = _backend.to_numpy(repeats._data).reshape(-1)
    if counts.shape[0] != n:
        raise RuntimeError(
            f"repeats must have the same size as input along dim, but got "
            f"repeats.size(0) = {counts.shape[0]} and {what} = {n}"
        )
    if (counts < 0).any():
        raise RuntimeError("Repeats must be non-negative")
    return counts


def tile(input: Tensor, dims) -> Tensor:
    """input repeated dims[i] times along each dim; missing leading dims count as 1."""
    dims = _shape_args((dims,) if isinstance(dims, int) else (tuple(dims),))
    if len(dims) < input.ndim:
        dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, *dims)


def roll(input: Tensor, shifts, dims=None) -> Tensor:
    """Elements shifted by shifts along dims, wrapping around; without dims, over the
    flattened tensor (then restored to input's shape)."""
    shifts = (int(shifts),) if isinstance(shifts, int) else tuple(int(s) for s in shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
        return Roll.apply(flatten(input), shifts, (0,)).reshape(input.shape)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    if input.ndim == 0:
        return Roll.apply(flatten(input), shifts, tuple(norm_dim(d, 1) for d in dims)).reshape(())
    return Roll.apply(input, shifts, tuple(norm_dim(d, input.ndim) for d in dims))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A 1-D input as the diagonal of a square matrix (diagonal > 0: above the main one,
    < 0: below); a 2-D input's diagonal as a 1-D tensor."""
    if input.ndim not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")
    return Diag.apply(input, int(diagonal))


def cumprod(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """Cumulative product along dim (integer inputs give int64, as in PyTorch)."""
    if dtype is not None:
        input = input.to(dtype)
    if input.ndim == 0:
        norm_dim(dim, 0)
        return Cumprod.apply(input.reshape(1), 0).reshape(())
    return Cumprod.apply(input, norm_dim(dim, input.ndim))


# -- Tensor methods ------------------------------------------------------------------
def _bind() -> None:
    def tile_m(self, *dims):
        return tile(self, _shape_args(dims))

    def inplace(fn, name):
        def m(self, *args, **kwargs):
            return self._inplace(fn(self, *args, **kwargs), name)

        m.__name__ = m.__qualname__ = name
        return m

    methods = {
        "masked_select": masked_select,
        "repeat_interleave": repeat_interleave,
        "tile": tile_m,
        "roll": roll,
        "diag": diag,
        "cumprod": cumprod,
        "log2": log2,
        "log10": log10,
        "clamp_min": clamp_min,
        "clamp_max": clamp_max,
        "isclose": isclose,
        "logical_and": logical_and,
        "logical_or": logical_or,
        "logical_xor": logical_xor,
        "log2_": inplace(log2, "log2_"),
        "log10_": inplace(log10, "log10_"),
        "clamp_min_": inplace(clamp_min, "clamp_min_"),
        "clamp_max_": inplace(clamp_max, "clamp_max_"),
        "cumprod_": inplace(cumprod, "cumprod_"),
    }
    for name, fn in methods.items():
        if name not in Tensor.__dict__:  # tensor.py's own methods win
            setattr(Tensor, name, fn)


_bind()
