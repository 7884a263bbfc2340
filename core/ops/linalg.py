"""Matrix products: matmul (batch broadcasting, 1-D rules) and the fused linear."""

from __future__ import annotations

import math

from core.autograd.function import RawFunction as _Op
from core.ops._util import meta, quietly, unbroadcast


class Matmul(_Op):
    @staticmethod
    def forward(ctx, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are "
                f"{a.ndim}D and {b.ndim}D"
            )
        if a.dtype != b.dtype:  # no silent promotion, as in PyTorch
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {a.dtype} != {b.dtype} "
                f"(matmul of shapes {list(a.shape)} and {list(b.shape)}). Convert one with "
                ".to(dtype) first."
            )
        try:
            out = ctx.xp.matmul(a, b)
        except ValueError:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({'x'.join(map(str, a.shape))} "
                f"and {'x'.join(map(str, b.shape))})"
            ) from None
        na, nb = ctx.needs_input_grad
        if na or nb:
            # each operand is kept only for the other's gradient (as PyTorch)
            ctx.a, ctx.b = (a if nb else None), (b if na else None)
            ctx.ma, ctx.mb = meta(a), meta(b)
        return out

    @staticmethod
    def backward(ctx, g):
        (ashape, adtype), (bshape, bdtype) = ctx.ma, ctx.mb
        na, nb = ctx.needs_input_grad
        # 1-D operands act as (1, n) and (n, 1); give g the matching unit dims
        a2shape = (1,) + ashape if len(ashape) == 1 else ashape
        b2shape = bshape + (1,) if len(bshape) == 1 else bshape
        if len(ashape) == 1:
            g = (
                g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
                if len(bshape) > 1
                else g.reshape(1, 1)
            )
        if len(bshape) == 1:
            g = g.reshape(g.shape + (1,))
        ga = gb = None
        if na:
            # (..., m, p) x (..., p, n)^T -> (..., m, n)
            b2 = ctx.b.reshape(b2shape)
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), (a2shape, adtype)).reshape(ashape)
        if nb:
            # (..., m, n)^T x (..., m, p) -> (..., n, p)
            a2 = ctx.a.reshape(a2shape)
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g, (b2shape, bdtype)).reshape(bshape)
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
        for name, p in (("weight", weight), ("bias", bias)):
            if p is not None and p.dtype != x.dtype:
                raise RuntimeError(
                    f"linear: expected input and {name} to have the same dtype, but got: "
                    f"{x.dtype} != {p.dtype}. Convert the input (x.to({p.dtype})) or the "
                    "layer (.to(dtype)) first."
                )
        # (..., in) x (in, out) -> (..., out); as one 2-D product: numpy would otherwise
        # run one small product per leading index (3x slower on (32, 64, 128) inputs)
        if x.ndim > 2:
            out = (x.reshape(-1, x.shape[-1]) @ weight.T).reshape(*x.shape[:-1], -1)
        else:
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
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        if nx:
            gx = g2 @ ctx.w  # (N, out) x (out, in) -> (N, in)
            if g.ndim != 2:
                gx = gx.reshape(*g.shape[:-1], -1)
        if nw or nb:
            if nw:
                x2 = ctx.x.reshape(-1, ctx.x.shape[-1])
                gw = g2.T @ x2  # (out, N) x (N, in) -> (out, in)
            if nb:
                gb = g2.sum(axis=0)
        return gx, gw, gb


class Norm(_Op):
    """Vector p-norm over dims (all when None): sum(|a|^p)^(1/p); p may be 2, 1, inf,
    -inf, 0 (the count of nonzeros) or any other number."""

    @staticmethod
    @quietly
    def forward(ctx, a, p, dims, keepdim):
        xp = ctx.xp
        if p == 2:
            out = xp.sqrt((a * a).sum(axis=dims, keepdims=True))
        elif p == 1:
            out = xp.abs(a).sum(axis=dims, keepdims=True)
        elif p == math.inf:
            out = xp.abs(a).max(axis=dims, keepdims=True)
        elif p == -math.inf:
            out = xp.abs(a).min(axis=dims, keepdims=True)
        elif p == 0:
            out = (a != 0).sum(axis=dims, keepdims=True)
        else:
            out = (xp.abs(a) ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        out = xp.asarray(out).astype(a.dtype, copy=False)
        if ctx.needs_input_grad[0]:
            ctx.a, ctx.p, ctx.dims, ctx.out = a, p, dims, out
        if keepdim:
            return out
        return out.reshape(()) if dims is None else out.squeeze(dims)

    @staticmethod
    @quietly
    def backward(ctx, g):
        xp, a, p, out = ctx.xp, ctx.a, ctx.p, ctx.out
        g = g.reshape(out.shape)  # the reduced dims back, as size 1
        # NOTE: where the norm is 0 the gradient is 0 (PyTorch's subgradient)
        if p == 2:
            grad = a * xp.where(out == 0, 0, g / out)
        elif p == 1:
            grad = xp.sign(a) * g
        elif p == math.inf or p == -math.inf:
            # ties share the gradient evenly, as in PyTorch
            hit = xp.abs(a) == out
            grad = xp.sign(a) * hit * (g / hit.sum(axis=ctx.dims, keepdims=True))
        elif p == 0:
            grad = xp.zeros_like(a)
        else:
            scale = xp.where(out == 0, 0, g / out ** (p - 1))
            # NOTE: 0 where a == 0 (|0|**(p-1) is inf for p < 1), as PyTorch
            grad = xp.where(a == 0, 0, xp.sign(a) * xp.abs(a) ** (p - 1) * scale)
        return grad.astype(a.dtype, copy=False), None, None, None


class Einsum(_Op):
    """Einstein summation over explicit subscripts (one letter per dim, ellipses
    already spelled out; see ``core.einsum``).

    Backward of operand i is an einsum too: the output's gradient contracted with
    the other operands, to operand i's letters. Letters only operand i has were
    summed away, so their gradient is a broadcast; a letter repeated in operand i (a
    diagonal) gets the gradient on that diagonal only.
    """

    @staticmethod
    def forward(ctx, spec, *arrays):
        subs, out, sizes = spec
        xp = ctx.xp
        # operands broadcast (size-1 dims) to the letters' sizes, as views
        shapes = [tuple(sizes[c] for c in s) for s in subs]
        full = [
            a if a.shape == shape else xp.broadcast_to(a, shape)
            for a, shape in zip(arrays, shapes, strict=True)
        ]
        if any(ctx.needs_input_grad):
            ctx.spec, ctx.full = spec, full
            ctx.metas = [meta(a) for a in arrays]
        result = xp.einsum(f"{','.join(subs)}->{out}", *full, optimize=True)
        # NOTE: a pure permutation or diagonal is a view of the input in numpy: copy it
        return xp.asarray(result) if getattr(result, "base", None) is None else result.copy()

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        subs, out, sizes = ctx.spec
        grads = [None]
        for i, s in enumerate(subs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(subs) if j != i]
            arrays = [a for j, a in enumerate(ctx.full) if j != i]
            letters = "".join(dict.fromkeys(s))  # s's distinct letters, in order
            seen = set(out).union(*others)
            kept = "".join(c for c in letters if c in seen)
            eq = f"{','.join([out, *others])}->{kept}"
            gi = xp.asarray(xp.einsum(eq, g, *arrays, optimize=True))
            # letters summed in forward that only s has: the gradient is a broadcast
            gi = xp.broadcast_to(
                gi.reshape([sizes[c] if c in kept else 1 for c in letters]),
                [sizes[c] for c in letters],
            )
            if len(letters) != len(s):  # a repeated letter: write the diagonal only
                grid = [
                    xp.arange(sizes[c]).reshape(
                        [sizes[c] if k == letters.index(c) else 1 for k in range(len(letters))]
                    )
                    for c in s
                ]
                diag = xp.zeros([sizes[c] for c in s], dtype=g.dtype)
                diag[tuple(grid)] = gi
                gi = diag
            grads.append(unbroadcast(xp.ascontiguousarray(gi), ctx.metas[i]))
        return tuple(grads)
