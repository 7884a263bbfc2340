"""Elementwise ops: arithmetic, unary math and activations."""

from __future__ import annotations

from core.autograd.function import RawFunction as _Op
from core.ops._util import (
    broadcast_error,
    broadcast_errors,
    check_int_divisor,
    floating,
    meta,
    promote,
    quietly,
    result_type,
    stable_sigmoid,
    unbroadcast,
)


# -- binary arithmetic ---------------------------------------------------------------
class Add(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.m = (meta(a), meta(b))
        try:
            return promote(a + b, a, b)
        except ValueError as exc:
            raise broadcast_error(exc, a, b) from None

    @staticmethod
    def backward(ctx, g):
        ma, mb = ctx.m
        return unbroadcast(g, ma), unbroadcast(g, mb)


class Sub(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a, b):
        ctx.m = (meta(a), meta(b))
        try:
            return promote(a - b, a, b)
        except ValueError as exc:
            raise broadcast_error(exc, a, b) from None

    @staticmethod
    def backward(ctx, g):
        ma, mb = ctx.m
        na, nb = ctx.needs_input_grad
        return unbroadcast(g, ma) if na else None, unbroadcast(-g, mb) if nb else None


class Mul(_Op):
    _operands = ("a", "b")

    @staticmethod
    def forward(ctx, a, b):
        na, nb = ctx.needs_input_grad
        if na or nb:
            ctx.a, ctx.b = (a if nb else None), (b if na else None)
            ctx.m = (meta(a), meta(b))
        try:
            return promote(a * b, a, b)
        except ValueError as exc:
            raise broadcast_error(exc, a, b) from None

    @staticmethod
    def backward(ctx, g):
        ma, mb = ctx.m
        na, nb = ctx.needs_input_grad
        return (
            unbroadcast(g * ctx.b, ma) if na else None,
            unbroadcast(g * ctx.a, mb) if nb else None,
        )


class Div(_Op):
    _operands = ("a", "b")

    @staticmethod
    @quietly
    @broadcast_errors
    def forward(ctx, a, b):
        out = promote(a / b, a, b)
        na, nb = ctx.needs_input_grad
        if na or nb:
            # NOTE: a, not the output, as PyTorch: an in-place op on the result is fine
            ctx.b, ctx.a = b, (a if nb else None)
            ctx.m = (meta(a), meta(b))
        return out

    @staticmethod
    @quietly
    def backward(ctx, g):
        ma, mb = ctx.m
        na, nb = ctx.needs_input_grad
        gb = g / ctx.b
        return (
            unbroadcast(gb, ma) if na else None,
            unbroadcast(-gb * ctx.a / ctx.b, mb) if nb else None,
        )


class DivRound(_Op):
    """torch.div with rounding_mode "trunc" (toward zero) or "floor": exact for integers
    (no float round trip, so 2**53 + 1 survives), trunc(a / b) or Python's a // b for
    floats, whose gradient is zero (as PyTorch's)."""

    saves_arrays = False

    @staticmethod
    @quietly
    @broadcast_errors
    def forward(ctx, a, b, mode):
        xp = ctx.xp
        ctx.m = (meta(a), meta(b))
        want = result_type(a, b)
        if want.kind == "b":
            raise RuntimeError(f"\"div_{mode}\" not implemented for 'Bool'")
        if want.kind == "f":
            a = a.astype(want, copy=False) if hasattr(a, "shape") else a
            b = b.astype(want, copy=False) if hasattr(b, "shape") else b
            out = xp.trunc(a / b) if mode == "trunc" else xp.floor_divide(a, b)
            return promote(xp.asarray(out), a, b)
        check_int_divisor("division", a, b, ctx.device)
        q = xp.floor_divide(a, b)
        if mode == "trunc":  # floor rounds down: step back up where the signs differ
            q = q + ((xp.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
        return promote(xp.asarray(q), a, b)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        grads = tuple(
            xp.zeros(m[0], m[1]) if m is not None and n else None
            for m, n in zip(ctx.m, ctx.needs_input_grad[:2], strict=True)
        )
        return (*grads, None)


class Pow(_Op):
    """a ** b with either side a tensor or a Python scalar."""

    _operands = ("a", "b")

    @staticmethod
    @quietly
    @broadcast_errors
    def forward(ctx, a, b):
        xp = ctx.xp
        if getattr(b, "ndim", None) == 0 and getattr(a, "ndim", 0) > 0 and a.dtype.kind == "f":
            # a 0-d exponent is weak against a float tensor: cast it on the device (no .item())
            out = a ** b.astype(a.dtype)
        else:
            out = a**b
        if not hasattr(a, "shape") and b.dtype.kind == "f":  # scalar ** float tensor
            out = out.astype(b.dtype, copy=False)
        out = promote(xp.asarray(out), a, b)
        na, nb = ctx.needs_input_grad
        if na or nb:
            ctx.a, ctx.b, ctx.out = a, b, out
            ctx.m = (meta(a), meta(b))
        return out

    @staticmethod
    @quietly
    def backward(ctx, g):
        xp = ctx.xp
        a, b, out = ctx.a, ctx.b, ctx.out
        ma, mb = ctx.m
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            # NOTE: d/da a**b = b * a**(b-1); written without dividing by a so a=0 works,
            # and 0 where b == 0 (as PyTorch), not 0 * 0**-1 = nan
            if not hasattr(b, "shape"):
                ga = g * b * a ** (b - 1) if b != 0 else xp.zeros_like(g)
            else:
                zero = b == 0
                ga = xp.where(zero, 0, g * b * a ** xp.where(zero, 1, b - 1))
            ga = unbroadcast(ga, ma)
        if nb:
            # NOTE: PyTorch defines the gradient as 0 where a == 0 and b >= 0
            loga = xp.log(xp.where(a == 0, 1, a)) if hasattr(a, "shape") else xp.log(a)
            gb = unbroadcast(g * out * loga, mb)
        return ga, gb


class Remainder(_Op):
    """a - floor(a / b) * b: the sign follows the divisor (Python's %, torch.remainder)."""

    @staticmethod
    @quietly
    @broadcast_errors
    def forward(ctx, a, b):
        check_int_divisor("remainder", a, b, ctx.device)
        if any(ctx.needs_input_grad):
            ctx.a, ctx.b = a, b
            ctx.m = (meta(a), meta(b))
        return promote(ctx.xp.asarray(ctx.xp.remainder(a, b)), a, b)

    @staticmethod
    @quietly
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (
            unbroadcast(g, ctx.m[0]) if na else None,
            unbroadcast(-g * ctx.xp.floor(ctx.a / ctx.b), ctx.m[1]) if nb else None,
        )


class Maximum(_Op):
    """Elementwise max of two tensors; ties split the gradient evenly, as in PyTorch."""

    _pick = "maximum"

    @staticmethod
    def _wins(a, b):
        return a > b

    @staticmethod
    def forward(ctx, a, b):
        if any(ctx.needs_input_grad):
            ctx.a, ctx.b = a, b
            ctx.m = (meta(a), meta(b))
        try:
            return promote(getattr(ctx.xp, type(ctx)._pick)(a, b), a, b)
        except ValueError as exc:
            raise broadcast_error(exc, a, b) from None

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.a, ctx.b
        ga = g * (type(ctx)._wins(a, b) + 0.5 * (a == b))
        return unbroadcast(ga, ctx.m[0]), unbroadcast(g - ga, ctx.m[1])


class Minimum(Maximum):
    """Elementwise min of two tensors (see Maximum)."""

    _pick = "minimum"

    @staticmethod
    def _wins(a, b):
        return a < b


class Where(_Op):
    @staticmethod
    def forward(ctx, cond, a, b):
        xp = ctx.xp
        ctx.cond = cond
        ctx.m = (meta(a), meta(b))
        try:
            out = xp.where(cond, a, b)
        except ValueError as exc:
            raise broadcast_error(exc, cond, a, b) from None
        if not hasattr(a, "shape") and not hasattr(b, "shape"):  # two Python scalars:
            return out.astype(result_type(a, b), copy=False)  # 1. -> float32, as PyTorch
        return promote(out, a, b)

    @staticmethod
    def backward(ctx, g):
        zero = g.dtype.type(0)
        c = ctx.cond
        xp = ctx.xp
        return (
            None,
            unbroadcast(xp.where(c, g, zero), ctx.m[0]),
            unbroadcast(xp.where(c, zero, g), ctx.m[1]),
        )


# -- unary math ----------------------------------------------------------------------
class Neg(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(_Op):
    @staticmethod
    @quietly  # overflow gives inf silently, as in PyTorch
    def forward(ctx, a):
        ctx.out = ctx.xp.exp(floating(a))
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.out


class Log(_Op):
    @staticmethod
    @quietly
    def forward(ctx, a):
        ctx.a = a = floating(a)
        return ctx.xp.log(a)

    @staticmethod
    @quietly
    def backward(ctx, g):
        return g / ctx.a


class Sqrt(_Op):
    @staticmethod
    @quietly
    def forward(ctx, a):
        ctx.out = ctx.xp.sqrt(floating(a))
        return ctx.out

    @staticmethod
    @quietly
    def backward(ctx, g):
        return g / (2 * ctx.out)


class Abs(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a
        return ctx.xp.abs(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.xp.sign(ctx.a)


class Sign(_Op):
    @staticmethod
    def forward(ctx, a):
        return ctx.xp.sign(a)

    @staticmethod
    def backward(ctx, g):
        return g * 0


class Sin(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a = floating(a)
        return ctx.xp.sin(a)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.xp.cos(ctx.a)


class Cos(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.a = a = floating(a)
        return ctx.xp.cos(a)

    @staticmethod
    def backward(ctx, g):
        return -g * ctx.xp.sin(ctx.a)


class Tanh(_Op):
    @staticmethod
    def forward(ctx, a):
        ctx.out = ctx.xp.tanh(floating(a))
        return ctx.out

    @staticmethod
    def backward(ctx, g):
        return g * (1 - ctx.out * ctx.out)


class Sigmoid(_Op):
    @staticmethod
    def forward(ctx, a):
        out = stable_sigmoid(ctx.xp, floating(a))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        return g * ctx.out * (1 - ctx.out)


class Relu(_Op):
    @staticmethod
    def forward(ctx, a):
        out = ctx.xp.maximum(a, 0)
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        # NOTE: the gradient at exactly 0 is 0, as in PyTorch
        return g * (ctx.out > 0)


class Clamp(_Op):
    @staticmethod
    def forward(ctx, a, lo=None, hi=None):
        xp = ctx.xp
        ctx.a, ctx.lo, ctx.hi = a, lo, hi
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        # an integer tensor clamped to float bounds becomes float32, as in PyTorch
        dt = a.dtype if a.dtype.kind == "f" else result_type(a, lo, hi)
        return a.copy() if out is a else out.astype(dt, copy=False)

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.a, ctx.lo, ctx.hi
        mask = True
        if lo is not None:
            mask = mask & (a >= lo)
        if hi is not None:
            mask = mask & (a <= hi)
        return g * mask, None, None


class Cast(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.dtype), None


class Copy(_Op):
    """dst.copy_(src) as an op: the value is src (cast to dst's dtype); dst's old value
    gets no gradient."""

    saves_arrays = False

    @staticmethod
    def forward(ctx, dst, src):
        ctx.m = meta(src)
        return src.astype(dst.dtype, copy=True)

    @staticmethod
    def backward(ctx, g):
        # dst's old value gets zeros, not None: PyTorch's x.grad is zeros, not None
        gd = ctx.xp.zeros_like(g) if ctx.needs_input_grad[0] else None
        return gd, unbroadcast(g, ctx.m) if ctx.needs_input_grad[1] else None


class Fill(_Op):
    """dst.fill_(value) as an op; a 0-d tensor value gets the summed gradient."""

    @staticmethod
    def forward(ctx, dst, value):
        ctx.m = meta(value)
        return ctx.xp.full(dst.shape, value, dtype=dst.dtype)

    @staticmethod
    def backward(ctx, g):
        gd = ctx.xp.zeros_like(g) if ctx.needs_input_grad[0] else None  # as Copy
        if ctx.m is None or not ctx.needs_input_grad[1]:
            return gd, None
        return gd, g.sum().reshape(ctx.m[0]).astype(ctx.m[1], copy=False)


class Clone(_Op):
    saves_arrays = False

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g


class ToDevice(_Op):
    @staticmethod
    def forward(ctx, a, device):
        from core import backend

        ctx.src, ctx.device = ctx.device, device
        if device == "cpu":
            return backend.to_numpy(a).copy()
        return backend.get(device).xp.asarray(a)

    @staticmethod
    def backward(ctx, g):
        from core import backend

        if ctx.src == "cpu":
            return backend.to_numpy(g), None
        return backend.get(ctx.src).xp.asarray(g), None


# -- more unary math -----------------------------------------------------------------
class Log1p(_Op):
    @staticmethod
    @quietly
    def forward(ctx, a):
        ctx.a = a = floating(a)
        return ctx.xp.log1p(a)

    @staticmethod
    @quietly
    def backward(ctx, g):
        return g / (1 + ctx.a)


class Expm1(_Op):
    @staticmethod
    @quietly
    def forward(ctx, a):
        out = ctx.xp.expm1(floating(a))
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        return g * (ctx.out + 1)


class Erf(_Op):
    @staticmethod
    def forward(ctx, a):
        from core import backend

        ctx.a = a = floating(a)
        return backend.get(ctx.device).erf(a).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        a = ctx.a
        # d/da erf(a) = 2/sqrt(pi) * exp(-a^2)
        return (g * (1.1283791670955126 * ctx.xp.exp(-a * a))).astype(g.dtype, copy=False)


class Round(_Op):
    """floor, ceil, trunc or round (half to even, at ``decimals``); zero gradient."""

    @staticmethod
    def forward(ctx, a, mode, decimals=0):
        if a.dtype.kind != "f":
            return a.copy()  # integers are already whole, and keep their dtype
        xp = ctx.xp
        if mode == "round":
            return xp.round(a, decimals)
        return getattr(xp, mode)(a)

    @staticmethod
    def backward(ctx, g):
        # NOTE: piecewise constant: PyTorch's gradient is 0 everywhere (not undefined)
        return ctx.xp.zeros_like(g), None, None
