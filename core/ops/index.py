"""Index-driven ops: gather, scatter, scatter_add, and the triangular masks tril/triu."""

from __future__ import annotations

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.ops._util import meta


def _grid(xp, index, dim: int) -> tuple:
    """The full advanced index of gather/scatter: ``index`` along dim, and each other
    dim's own positions (broadcast aranges), so ``a[grid]`` has index's shape."""
    n = index.ndim
    grid = []
    for d in range(n):
        if d == dim:
            grid.append(index)
        else:
            shape = [1] * n
            shape[d] = index.shape[d]
            grid.append(xp.arange(index.shape[d]).reshape(shape))
    return tuple(grid)


def _leading(shape) -> tuple:
    """The slices that cut a larger operand down to ``shape`` (src of scatter)."""
    return tuple(slice(0, n) for n in shape)


class Gather(_Op):
    """out[i][j] = a[index[i][j]][j] (dim 0), for any dim; index's shape is out's."""

    @staticmethod
    def forward(ctx, a, dim, index):
        grid = _grid(ctx.xp, index, dim)
        ctx.shape, ctx.grid = a.shape, grid
        return a[grid]

    @staticmethod
    def backward(ctx, g):
        grad = ctx.xp.zeros(ctx.shape, dtype=g.dtype)
        # NOTE: an index may repeat: scatter-add, not assignment
        _backend.get(ctx.device).add_at(grad, ctx.grid, g)
        return grad, None, None


class Scatter(_Op):
    """out = a, then out[index[i][j]][j] = src[i][j] (dim 0) — or += with ``add``.

    src is a tensor (read over index's shape) or a Python scalar."""

    @staticmethod
    def forward(ctx, a, dim, index, src, add):
        grid = _grid(ctx.xp, index, dim)
        is_array = hasattr(src, "shape")
        part = src[_leading(index.shape)] if is_array else src
        out = a.copy()
        if add:
            _backend.get(ctx.device).add_at(out, grid, part.astype(a.dtype, copy=False))
        else:
            out[grid] = part
        ctx.grid, ctx.add, ctx.ishape = grid, add, index.shape
        ctx.src_meta = meta(src)
        return out

    @staticmethod
    def backward(ctx, g):
        na, _, _, ns, _ = ctx.needs_input_grad
        ga = gs = None
        if na:
            if ctx.add:
                ga = g
            else:  # overwritten elements got no gradient through a
                ga = g.copy()
                ga[ctx.grid] = 0
        if ns and ctx.src_meta is not None:
            shape, dtype = ctx.src_meta
            gs = ctx.xp.zeros(shape, dtype=dtype)
            gs[_leading(ctx.ishape)] = g[ctx.grid]
        return ga, None, None, gs, None


class Tri(_Op):
    """The lower (tril) or upper (triu) triangle of the last two dims; zeros elsewhere."""

    @staticmethod
    def forward(ctx, a, diagonal, upper):
        ctx.diagonal, ctx.upper = diagonal, upper
        xp = ctx.xp
        return (xp.triu if upper else xp.tril)(a, diagonal)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        return (xp.triu if ctx.upper else xp.tril)(g, ctx.diagonal), None, None
