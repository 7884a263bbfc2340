"""Shape and indexing ops: reshape, permute, expand, repeat, cat, stack, split,
getitem, setitem, flip."""

from __future__ import annotations

import numpy as np

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.ops._util import assign, meta, result_type, unbroadcast


class Reshape(_Op):
    saves_arrays = False
    view_op = True

    @staticmethod
    def view_of(a, shape):
        return a.reshape(shape)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise RuntimeError(
                f"shape {list(shape)} is invalid for input of size {a.size} "
                f"(input shape {list(a.shape)})"
            ) from None

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(_Op):
    saves_arrays = False
    view_op = True

    @staticmethod
    def view_of(a, dims):
        return a.transpose(dims)

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return g.transpose(inverse), None


class Expand(_Op):
    saves_arrays = False
    view_op = True  # shares memory: the version counter is shared (writes are refused)

    @staticmethod
    def view_of(a, shape):
        return _backend.XP["cpu" if isinstance(a, np.ndarray) else "cuda"].broadcast_to(a, shape)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.m = meta(a)
        return ctx.xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.m), None


class Repeat(_Op):
    @staticmethod
    def forward(ctx, a, repeats):
        lead = len(repeats) - a.ndim
        a = a.reshape((1,) * lead + a.shape)
        ctx.shape = a.shape
        ctx.repeats = repeats
        ctx.lead = lead
        return ctx.xp.tile(a, repeats)

    @staticmethod
    def backward(ctx, g):
        # (r0*s0, r1*s1, ...) -> (r0, s0, r1, s1, ...) summed over the r axes
        split = []
        for r, s in zip(ctx.repeats, ctx.shape, strict=True):
            split += [r, s]
        g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.shape[ctx.lead :]), None


class Cat(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        ctx.dtypes = [a.dtype for a in arrays]
        return ctx.xp.concatenate(_promoted(arrays), axis=dim)

    @staticmethod
    def backward(ctx, g):
        grads, start, dim = [None], 0, ctx.dim
        for size, dt in zip(ctx.sizes, ctx.dtypes, strict=True):
            index = (slice(None),) * dim + (slice(start, start + size),)
            grads.append(g[index].astype(dt, copy=False))
            start += size
        return tuple(grads)


class Stack(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.dtypes = [a.dtype for a in arrays]
        return ctx.xp.stack(_promoted(arrays), axis=dim)

    @staticmethod
    def backward(ctx, g):
        index = (slice(None),) * ctx.dim
        return (None,) + tuple(
            g[index + (i,)].astype(dt, copy=False) for i, dt in enumerate(ctx.dtypes)
        )


def _promoted(arrays):
    """Arrays of mixed dtypes cast to PyTorch's common dtype (float32 with int64 is
    float32, not numpy's float64)."""
    dt = arrays[0].dtype
    if all(a.dtype == dt for a in arrays):
        return arrays
    dt = result_type(*arrays)
    return [a.astype(dt, copy=False) for a in arrays]


class Split(_Op):
    """Split along dim into pieces of the given sizes (a multi-output op)."""

    saves_arrays = False
    view_op = True

    @staticmethod
    def view_of(a, sizes, dim):
        out, start = [], 0
        for size in sizes:
            out.append(a[(slice(None),) * dim + (slice(start, start + size),)])
            start += size
        return tuple(out)

    @staticmethod
    def forward(ctx, a, sizes, dim):
        ctx.shape, ctx.sizes, ctx.dim = a.shape, sizes, dim
        return Split.view_of(a, sizes, dim)

    @staticmethod
    def backward(ctx, *grads):
        xp = ctx.xp
        dtype = next(g.dtype for g in grads if g is not None)
        parts = [
            g
            if g is not None
            else xp.zeros(ctx.shape[: ctx.dim] + (size,) + ctx.shape[ctx.dim + 1 :], dtype=dtype)
            for g, size in zip(grads, ctx.sizes, strict=True)
        ]
        return xp.concatenate(parts, axis=ctx.dim), None, None


def _is_advanced(index) -> bool:
    items = index if type(index) is tuple else (index,)
    return any(
        hasattr(i, "shape") and not isinstance(i, int) or isinstance(i, list | bool) for i in items
    )


class GetItem(_Op):
    view_op = True  # for basic indexing; advanced indexing copies (apply checks)

    @staticmethod
    def view_of(a, index):
        out = a[index]
        if isinstance(out, np.generic):
            # every dim indexed by an int: numpy gives a scalar, a[..., ...] a 0-d view
            out = a[(index if type(index) is tuple else (index,)) + (Ellipsis,)]
        return out

    @staticmethod
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        try:
            return GetItem.view_of(a, index)
        except IndexError as exc:
            raise IndexError(f"{exc} (indexing a tensor of shape {tuple(a.shape)})") from None

    @staticmethod
    def backward(ctx, g):
        grad = ctx.xp.zeros(ctx.shape, dtype=g.dtype)
        if _is_advanced(ctx.index):
            # NOTE: repeated indices must accumulate, so scatter-add, not assignment
            _backend.get(ctx.device).add_at(grad, ctx.index, g)
        else:
            grad[ctx.index] = g
        return grad, None


class SetItem(_Op):
    """out = a with out[index] = value (the out-of-place form of ``a[index] = value``)."""

    @staticmethod
    def forward(ctx, a, value, index):
        out = a.copy()
        assign(out, index, value)  # a (1, 3) value fits a (3,) region, as in PyTorch
        ctx.index = index
        ctx.vmeta = (value.shape, value.dtype) if hasattr(value, "shape") else None
        return out

    @staticmethod
    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.index] = 0
        gv = None
        if ctx.vmeta is not None and ctx.needs_input_grad[1]:
            from core.ops._util import unbroadcast

            part = g[ctx.index]
            shape = ctx.vmeta[0]
            if part.ndim < len(shape):  # the value had leading unit dims the region lacks
                part = part.reshape((1,) * (len(shape) - part.ndim) + part.shape)
            # the value was broadcast into the indexed region; fold it back
            if part.ndim > len(shape) or part.shape != shape:
                part = unbroadcast(part, (shape, ctx.vmeta[1]))
            gv = part.astype(ctx.vmeta[1], copy=False)
        return ga, gv, None


class ViewUpdate(_Op):
    """The tensor a view was taken from, after an in-place op on that view: the same
    memory (already written), with a history in which the region comes from the view.

    base: the viewed tensor; value: the view after the op; cls, args, idx: the view op
    that made the view (cls.view_of(array, *args)[idx] re-derives the region).
    """

    saves_arrays = False

    @staticmethod
    def forward(ctx, base, value, cls, args, idx):
        ctx.cls, ctx.args, ctx.idx = cls, args, idx
        return base

    @staticmethod
    def backward(ctx, g):
        gb = g.copy()
        region = ctx.cls.view_of(gb, *ctx.args)
        region = region[ctx.idx] if type(region) is tuple else region
        gv = region.copy()
        region[...] = 0
        return gb, gv, None, None, None


class Flip(_Op):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return ctx.xp.flip(a, dims).copy()  # PyTorch's flip copies (numpy's is a view)

    @staticmethod
    def backward(ctx, g):
        return ctx.xp.flip(g, ctx.dims), None
