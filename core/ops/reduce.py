"""Reductions: sum, mean, var, std, max/min, logsumexp, prod, cumsum."""

from __future__ import annotations

from core.autograd.function import RawFunction as _Op
from core.ops._util import floating


def _keep(g, shape, dims):
    """Reinsert reduced dims (size 1) so g broadcasts against the input shape."""
    if dims is None:
        return g.reshape((1,) * len(shape))
    kept = list(g.shape)
    for d in dims:
        kept.insert(d, 1)
    return g.reshape(kept)


def _int64(out, a):
    """out as int64 where the input a is bool or integer: PyTorch accumulates sums,
    products and cumsums of those as int64."""
    return out.astype("int64", copy=False) if a.dtype.kind in "bui" else out


class Sum(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        ctx.shape, ctx.dims, ctx.keep = a.shape, dims, keepdim
        return ctx.xp.asarray(_int64(a.sum(axis=dims, keepdims=keepdim), a))

    @staticmethod
    def backward(ctx, g):
        if not ctx.keep:
            g = _keep(g, ctx.shape, ctx.dims)
        return ctx.xp.broadcast_to(g, ctx.shape), None, None


class Mean(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a, dims, keepdim):
        if a.dtype.kind not in "fc":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be floating "
                f"point, but got {a.dtype}. Convert with .float() first."
            )
        ctx.shape, ctx.dims, ctx.keep = a.shape, dims, keepdim
        ctx.n = a.size if dims is None else _count(a.shape, dims)
        return ctx.xp.asarray(a.mean(axis=dims, keepdims=keepdim))

    @staticmethod
    def backward(ctx, g):
        if not ctx.keep:
            g = _keep(g, ctx.shape, ctx.dims)
        return ctx.xp.broadcast_to(g / ctx.n, ctx.shape), None, None


def _count(shape, dims) -> int:
    n = 1
    for d in dims:
        n *= shape[d]
    return n


class Var(_Op):
    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        xp = ctx.xp
        if a.dtype.kind not in "fc":
            raise RuntimeError(
                f"std and var only support floating point and complex dtypes (got {a.dtype} "
                f"of shape {tuple(a.shape)}); convert with .float() first"
            )
        n = a.size if dims is None else _count(a.shape, dims)
        diff = a - a.mean(axis=dims, keepdims=True) if n else a  # n == 0: a is empty
        ss = (diff * diff).sum(axis=dims, keepdims=keepdim)
        ctx.diff, ctx.dims, ctx.keep = diff, dims, keepdim
        ctx.scale = 1.0 / (n - correction) if n > correction else None
        if ctx.scale is None:
            # NOTE: no degrees of freedom left (n <= correction): positive / 0 is inf and
            # 0 / 0 nan, as in PyTorch, without numpy's divide warning
            return xp.asarray(xp.where(ss > 0, xp.inf, xp.nan), dtype=a.dtype)
        return xp.asarray(ss * ctx.scale, dtype=a.dtype)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        if not ctx.keep:
            g = _keep(g, ctx.diff.shape, ctx.dims)
        if ctx.scale is None:  # g * (2 / 0) * diff, as PyTorch: +-inf, nan where 0 * inf
            nan = (ctx.diff == 0) | (g == 0) | xp.isnan(g)
            gx = xp.where(nan, xp.nan, xp.copysign(xp.inf, g)).astype(g.dtype, copy=False)
            return gx, None, None, None
        return g * (2 * ctx.scale) * ctx.diff, None, None, None


class MaxMin(_Op):
    """max or min over all elements (dim None), several dims (a tuple: amax) or one dim
    (an int: values and indices); ties share the gradient evenly when reducing all or a
    tuple of dims, and go to the returned index when reducing one dim (PyTorch)."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, is_max):
        xp = ctx.xp
        if a.size == 0:  # an empty reduced dim has no max; other dims may be empty
            reduced = range(a.ndim) if dim is None else dim if type(dim) is tuple else (dim,)
            empty = [d for d in reduced if a.shape[d] == 0]
            if empty or a.ndim == 0:
                raise RuntimeError(
                    f"{'max' if is_max else 'min'}(): cannot reduce over dim "
                    f"{empty[0] if empty else 0} of size 0 (input of shape {tuple(a.shape)}: "
                    "an empty reduction has no identity)"
                )
        ctx.shape, ctx.dim, ctx.keep, ctx.is_max = a.shape, dim, keepdim, is_max
        if dim is None or type(dim) is tuple:
            out = a.max(axis=dim, keepdims=True) if is_max else a.min(axis=dim, keepdims=True)
            ctx.a, ctx.out = a, out  # ties: the gradient is shared, so a is needed
            if not keepdim:
                out = out.reshape(()) if dim is None else out.squeeze(dim)
            return xp.asarray(out)
        idx = a.argmax(axis=dim) if is_max else a.argmin(axis=dim)
        idx = xp.expand_dims(idx, dim)
        out = xp.take_along_axis(a, idx, axis=dim)
        ctx.idx = idx
        if not keepdim:
            out, idx = out.squeeze(dim), idx.squeeze(dim)
        return out, idx.astype("int64")

    @staticmethod
    def backward(ctx, g, g_idx=None):
        xp = ctx.xp
        if ctx.dim is None or type(ctx.dim) is tuple:
            a = ctx.a
            if not ctx.keep:
                g = _keep(g, a.shape, ctx.dim)
            mask = a == ctx.out
            share = mask / mask.sum(axis=ctx.dim, keepdims=True, dtype=g.dtype)
            return g * share, None, None, None
        if not ctx.keep:
            g = xp.expand_dims(g, ctx.dim)
        grad = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(grad, ctx.idx, g, axis=ctx.dim)
        return grad, None, None, None


class Std(_Op):
    """sqrt(var), fused so that a constant input gets a zero gradient, not nan (PyTorch)."""

    @staticmethod
    def forward(ctx, a, dims, correction, keepdim):
        out = ctx.xp.sqrt(Var.forward(ctx, a, dims, correction, keepdim))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        out = ctx.out
        zero = out == 0
        return Var.backward(ctx, g * ~zero / (2 * (out + zero)))


class LogSumExp(_Op):
    @staticmethod
    def forward(ctx, a, dims, keepdim):
        xp = ctx.xp
        a = floating(a)  # integer and bool inputs give float32, as in PyTorch
        m = a.max(axis=dims, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.log(xp.exp(a - m).sum(axis=dims, keepdims=True)) + m
        ctx.a, ctx.s, ctx.dims, ctx.keep = a, s, dims, keepdim
        return s if keepdim else (s.reshape(()) if dims is None else s.squeeze(dims))

    @staticmethod
    def backward(ctx, g):
        if not ctx.keep:
            g = _keep(g, ctx.a.shape, ctx.dims)
        return g * ctx.xp.exp(ctx.a - ctx.s), None, None


class Prod(_Op):
    @staticmethod
    def forward(ctx, a, dim, keepdim):
        ctx.a, ctx.dim, ctx.keep = a, dim, keepdim
        return ctx.xp.asarray(_int64(a.prod(axis=dim, keepdims=keepdim), a))

    @staticmethod
    def backward(ctx, g):
        # NOTE: d prod / d a_i = product of the others = (exclusive cumprod from the left)
        # * (exclusive cumprod from the right); exact with zeros, unlike prod / a_i
        xp, a, d = ctx.xp, ctx.a, ctx.dim
        if not ctx.keep:
            g = xp.expand_dims(g, d)
        n = a.shape[d]
        if n == 0:
            return xp.zeros_like(a), None, None
        head = (slice(None),) * d
        ones = xp.ones_like(a[head + (slice(0, 1),)])
        left = xp.cumprod(xp.concatenate([ones, a[head + (slice(0, n - 1),)]], d), d)
        rev = xp.flip(a, d)
        right = xp.cumprod(xp.concatenate([ones, rev[head + (slice(0, n - 1),)]], d), d)
        return g * left * xp.flip(right, d), None, None


class Cumsum(_Op):
    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return _int64(a.cumsum(axis=dim), a)

    @staticmethod
    def backward(ctx, g):
        xp, d = ctx.xp, ctx.dim
        return xp.flip(xp.flip(g, d).cumsum(axis=d), d), None


__all__ = ["Sum", "Mean", "Var", "Std", "MaxMin", "LogSumExp", "Prod", "Cumsum"]
