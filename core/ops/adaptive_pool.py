"""Adaptive max pooling (``adaptive_max_pool2d`` / ``adaptive_max_pool1d``) as one
fused Function.

PyTorch's bins: output row i covers input rows [floor(i*H/OH), ceil((i+1)*H/OH)), and
likewise for columns. The max is separable: a max over each column bin of every row,
then over each row bin of those. Every bin is read as one gathered window of K
positions (K the widest bin; shorter bins repeat their last position, which changes
neither the max nor the first argmax), or as a reshape when the bins tile evenly.
Reducing columns first, then rows, gives the first maximum in row-major order within
each window, PyTorch's tie rule; NaN propagates.
"""

from __future__ import annotations

from core.autograd.function import RawFunction as _Op
from core.tensor import Tensor

__all__ = ["adaptive_max_pool1d", "adaptive_max_pool2d"]


def _windows(xp, size: int, n_out: int):
    """(n_out, K) input positions of each bin (the last one repeated in short bins)."""
    i = xp.arange(n_out)
    start = (i * size) // n_out
    end = ((i + 1) * size + n_out - 1) // n_out
    k = -(-size // n_out) + 1  # no bin is wider than ceil(size / n_out) + 1
    return xp.minimum(start[:, None] + xp.arange(k)[None, :], end[:, None] - 1)


def _bin_max(xp, a, axis: int, size: int, n_out: int):
    """Max over adaptive bins along axis (a's axis of length size) -> (values, positions),
    with the bins on ``axis`` and the input positions of each bin's first maximum."""
    a = xp.moveaxis(a, axis, -1)
    if size % n_out == 0:  # even bins: a view
        k = size // n_out
        win = a.reshape(a.shape[:-1] + (n_out, k))
        arg = win.argmax(axis=-1)  # (..., n_out)
        pos = arg + xp.arange(n_out) * k
    else:
        index = _windows(xp, size, n_out)  # (n_out, K)
        win = a[..., index]  # (..., size) -> (..., n_out, K)
        arg = win.argmax(axis=-1)
        pos = index[xp.arange(n_out), arg]  # (n_out,) with (..., n_out) -> (..., n_out)
    values = xp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    return xp.moveaxis(values, -1, axis), xp.moveaxis(pos, -1, axis)


class AdaptiveMaxPool2d(_Op):
    """(N, C, H, W) -> the max of each adaptive bin, and its flat index h * W + w in
    its (H, W) plane (int64, the second output)."""

    @staticmethod
    def forward(ctx, x, shape4, out_shape):
        xp = ctx.xp
        n, c, h, w, oh, ow = shape4
        ctx.x_shape, ctx.hw = x.shape, (h, w)
        if oh == 0 or ow == 0:
            ctx.index = xp.zeros((n, c, oh, ow), dtype="int64")
            return xp.zeros(out_shape, dtype=x.dtype), ctx.index.reshape(out_shape)
        x4 = x.reshape(n, c, h, w)
        # columns first: (N, C, H, W) -> (N, C, H, OW), column of each row's max
        v, col = _bin_max(xp, x4, 3, w, ow)
        # then rows: (N, C, H, OW) -> (N, C, OH, OW), row of each bin's max
        out, row = _bin_max(xp, v, 2, h, oh)
        col = xp.take_along_axis(col, row, axis=2)  # the column at that row
        index = (row * w + col).astype("int64", copy=False)
        ctx.index = index
        return out.reshape(out_shape), index.reshape(out_shape)

    @staticmethod
    def backward(ctx, gout, gidx=None):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        xp = ctx.xp
        h, w = ctx.hw
        index = ctx.index
        planes = index.shape[0] * index.shape[1]
        # each output's gradient lands on its input position (bins may overlap: summed)
        flat = (xp.arange(planes)[:, None] * (h * w) + index.reshape(planes, -1)).reshape(-1)
        gx = xp.bincount(flat, weights=gout.reshape(-1), minlength=planes * h * w)
        return gx.astype(gout.dtype, copy=False).reshape(ctx.x_shape), None, None


def _check_input(name: str, input, dims: tuple) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in dims:
        raise RuntimeError(
            f"{name}(): Expected {dims[0]}D or {dims[1]}D tensor, but got "
            f"[{', '.join(map(str, input.shape))}]"
        )
    if any(s == 0 for s in input.shape[-(dims[0]) :]):
        raise RuntimeError(
            f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes [{', '.join(map(str, input.shape))}]"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating-point input, but got {input.dtype}")


def _adaptive_max(input: Tensor, oh: int, ow: int, return_indices: bool):
    batched = input.ndim == 4
    n, c, h, w = input.shape if batched else (1, *input.shape)
    out_shape = (n, c, oh, ow) if batched else (c, oh, ow)
    out, index = AdaptiveMaxPool2d.apply(input, (n, c, h, w, oh, ow), out_shape)
    return (out, index) if return_indices else out


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, H, W) or (C, H, W) to output_size (an int, a pair, or None
    in a pair to keep that input size); with return_indices, also the flat h * W + w
    index of each max."""
    name = "adaptive_max_pool2d"
    _check_input(name, input, (3, 4))
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be 2")
    h, w = input.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0")
    return _adaptive_max(input, oh, ow, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    """Max pooling of (N, C, L) or (C, L) to output_size along L; with return_indices,
    also the position along L of each max."""
    name = "adaptive_max_pool1d"
    _check_input(name, input, (2, 3))
    if isinstance(output_size, tuple | list):
        if len(output_size) != 1:
            raise RuntimeError(f"{name}(): output_size must be a single int, got {output_size}")
        output_size = output_size[0]
    size = int(output_size)
    if size < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0")
    out = _adaptive_max(input.unsqueeze(-2), 1, size, return_indices)  # (N, C, 1, L) view
    if return_indices:  # H == 1: the flat index is the position along L
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)
