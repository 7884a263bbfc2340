"""Matrix products: matmul (batch broadcasting, 1-D rules) and the fused linear."""

from __future__ import annotations

from core.autograd.function import Function
from core.ops._util import unbroadcast


class _Op(Function):
    raw = True


class Matmul(_Op):
    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are "
                f"{a.ndim}D and {b.ndim}D"
            )
        try:
            out = ctx.xp.matmul(a, b)
        except ValueError:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a.shape))} "
                f"and {'x'.join(map(str, b.shape))})"
            ) from None
        if any(ctx.needs_input_grad):
            ctx.a, ctx.b = a, b
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.a, ctx.b
        na, nb = ctx.needs_input_grad
        # 1-D operands act as (1, n) and (n, 1); give g the matching unit dims
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        if a.ndim == 1:
            g = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) if b.ndim > 1 else g.reshape(1, 1)
        if b.ndim == 1:
            g = g.reshape(g.shape + (1,))
        ga = gb = None
        if na:
            # (..., m, p) x (..., p, n)^T -> (..., m, n)
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), (a2.shape, a.dtype)).reshape(a.shape)
        if nb:
            # (..., m, n)^T x (..., m, p) -> (..., n, p)
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g, (b2.shape, b.dtype)).reshape(b.shape)
        return ga, gb


class Linear(_Op):
    """y = x W^T + b, fused so a layer is one node forward and backward."""

    @staticmethod
    def forward(ctx, x, weight, bias=None):
        if x.shape[-1] != weight.shape[-1]:
            raise RuntimeError(
                f"linear: input has {x.shape[-1]} features in its last dim "
                f"(shape {tuple(x.shape)}) but the weight expects {weight.shape[-1]} "
                f"(weight shape {tuple(weight.shape)})"
            )
        # (..., in) x (in, out) -> (..., out)
        out = x @ weight.T
        if bias is not None:
            out += bias
        nx, nw, _ = ctx.needs_input_grad
        if nx or nw:
            ctx.x, ctx.w = (x if nw else None), (weight if nx else None)
        return out

    @staticmethod
    def backward(ctx, g):
        nx, nw, nb = ctx.needs_input_grad
        gx = gw = gb = None
        if nx:
            gx = g @ ctx.w  # (..., out) x (out, in) -> (..., in)
        if nw or nb:
            g2 = g.reshape(-1, g.shape[-1])
            if nw:
                x2 = ctx.x.reshape(-1, ctx.x.shape[-1])
                gw = g2.T @ x2  # (out, N) x (N, in) -> (out, in)
            if nb:
                gb = g2.sum(axis=0)
        return gx, gw, gb
