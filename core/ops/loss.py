"""Losses: fused Functions (one forward, one backward each) and their nn.functional
entry points, with PyTorch's reductions, weighting and error messages.

PyTorch's deprecated ``size_average`` / ``reduce`` arguments are not supported: use
``reduction``.
"""

from __future__ import annotations

import warnings

import numpy as np

from core import backend as _backend
from core._state import state
from core.autograd.function import RawFunction as _Op
from core.ops import _recorded
from core.ops._util import (
    amax,
    asum,
    meta,
    quietly,
    result_type,
    row_max,
    row_sum,
    stable_sigmoid,
    stable_softplus,
    unbroadcast,
)
from core.tensor import Tensor, _make

__all__ = [
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "one_hot",
]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_float_input(name: str, input: Tensor) -> None:
    if not input.dtype.is_floating_point:
        raise RuntimeError(
            f"{name}: expected a floating-point input, got {input.dtype.name} of shape "
            f"{tuple(input.shape)}"
        )


def _no_grad_for(name: str, arg: str, t: Tensor | None) -> None:
    """PyTorch refuses weights that require grad where it has no derivative for them."""
    if t is not None and t.requires_grad and state.grad_enabled:
        raise RuntimeError(
            f"The function '{name}' is not differentiable with respect to argument "
            f"'{arg}'. This input cannot have requires_grad True."
        )


def _reduce(xp, loss, reduction: str, denom=None):
    """Reduce an elementwise loss; 'mean' divides by denom (default: the element count;
    a Python number, or a 0-d array that may be 0)."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return xp.asarray(total)
    if denom is None:
        denom = loss.size
    if isinstance(denom, (int, float)):
        return xp.asarray(total / denom if denom else total * xp.nan)
    # NOTE: 0/0 (every target ignored) is nan, as in PyTorch, without a divide warning
    return xp.asarray(total / xp.where(denom == 0, xp.nan, denom).astype(denom.dtype))


def _upstream(xp, g, reduction: str, denom):
    """The upstream gradient scaled for each loss element (broadcastable)."""
    if reduction != "mean":
        return g
    if isinstance(denom, (int, float)):
        return g / denom if denom else g * 0
    # NOTE: an all-ignored batch gets a zero gradient, not nan, as in PyTorch
    return g / xp.where(denom == 0, 1, denom).astype(denom.dtype)


def _host(ctx, denom):
    """A 0-d denominator as a Python float on "cpu" (cheaper arithmetic; the same
    float32 results, Python floats being weak in numpy's promotion); left on the device
    elsewhere (reading it back would sync)."""
    return float(denom) if ctx.device == "cpu" else denom


def _broadcast_shape(name: str, *shapes) -> tuple:
    """The broadcast of shapes (host tuples), or an error naming them."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"{name}: shapes {', '.join(str(tuple(s)) for s in shapes)} cannot be "
            "broadcast together"
        ) from None


# -- regression losses ---------------------------------------------------------------
class _Pointwise(_Op):
    """loss = reduce(weight * f(input - target)); subclasses define f and f'."""

    weight_mean = True  # weighted 'mean' divides by sum(weight) (mse, l1); else by count

    @staticmethod
    def f(xp, d, param):
        raise NotImplementedError

    @staticmethod
    def df(xp, d, param):
        raise NotImplementedError

    @staticmethod
    def forward(ctx, x, y, w, reduction, param):
        xp = ctx.xp
        cls = type(ctx)
        if y.dtype.kind not in "fc":
            y = y.astype(x.dtype)
        d = x - y
        loss = cls.f(xp, d, param)
        denom = None
        if w is not None:
            lw = loss * w
            if reduction == "mean" and cls.weight_mean:
                denom = w.sum()
        else:
            lw = loss
        out = _reduce(xp, lw, reduction, denom)
        ctx.d, ctx.w, ctx.param, ctx.reduction = d, w, param, reduction
        ctx.m = (meta(x), meta(y), meta(w))
        ctx.denom = denom if denom is not None else lw.size
        ctx.out = out
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        cls = type(ctx)
        nx, ny, nw = ctx.needs_input_grad[:3]
        d, w, reduction = ctx.d, ctx.w, ctx.reduction
        coef = _upstream(xp, g, reduction, ctx.denom)
        gx = gy = gw = None
        if nx or ny:
            gd = coef * cls.df(xp, d, ctx.param)
            if w is not None:
                gd = gd * w
            gx = unbroadcast(gd, ctx.m[0]) if nx else None
            gy = unbroadcast(-gd, ctx.m[1]) if ny else None
        if nw:
            loss = cls.f(xp, d, ctx.param)
            if reduction == "mean" and cls.weight_mean:
                loss = loss - ctx.out  # d/dw of sum(w l) / sum(w)
            gw = unbroadcast(coef * loss, ctx.m[2])
        return gx, gy, gw, None, None


class MseLoss(_Pointwise):
    @staticmethod
    def f(xp, d, param):
        return d * d

    @staticmethod
    def df(xp, d, param):
        return 2 * d


class L1Loss(_Pointwise):
    @staticmethod
    def f(xp, d, param):
        return xp.abs(d)

    @staticmethod
    def df(xp, d, param):
        return xp.sign(d)


class SmoothL1Loss(_Pointwise):
    @staticmethod
    def f(xp, d, beta):
        a = xp.abs(d)
        return xp.where(a < beta, (0.5 / beta) * d * d, a - 0.5 * beta).astype(d.dtype, copy=False)

    @staticmethod
    def df(xp, d, beta):
        return xp.where(xp.abs(d) < beta, d / beta, xp.sign(d)).astype(d.dtype, copy=False)


class HuberLoss(_Pointwise):
    weight_mean = False  # PyTorch's weighted huber 'mean' is mean(weight * loss)

    @staticmethod
    def f(xp, d, delta):
        a = xp.abs(d)
        return xp.where(a <= delta, 0.5 * d * d, delta * (a - 0.5 * delta)).astype(
            d.dtype, copy=False
        )

    @staticmethod
    def df(xp, d, delta):
        return xp.where(xp.abs(d) <= delta, d, delta * xp.sign(d)).astype(d.dtype, copy=False)


def _pointwise(
    name: str, cls, input: Tensor, target: Tensor, reduction: str, weight, param
) -> Tensor:
    _check_reduction(reduction)
    _check_float_input(name, input)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input "
            f"size ({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            UserWarning,
            stacklevel=3,
        )
        _broadcast_shape(name, input.shape, target.shape)
    if weight is not None and weight.shape != input.shape:
        raise ValueError(
            f"Weights and input must have the same size: weight has shape "
            f"{tuple(weight.shape)}, input has shape {tuple(input.shape)}."
        )
    return cls.apply(input, target, weight, reduction, param)


def mse_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None
) -> Tensor:
    """Squared error; a weighted 'mean' is sum(weight * loss) / sum(weight)."""
    return _pointwise("mse_loss", MseLoss, input, target, reduction, weight, None)


def l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", weight: Tensor | None = None
) -> Tensor:
    """Absolute error; a weighted 'mean' is sum(weight * loss) / sum(weight)."""
    return _pointwise("l1_loss", L1Loss, input, target, reduction, weight, None)


def smooth_l1_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (l1_loss for beta=0)."""
    if beta < 0:
        raise RuntimeError(
            f"smooth_l1_loss does not support negative values for beta (got beta={beta})."
        )
    if beta == 0:
        return _pointwise("smooth_l1_loss", L1Loss, input, target, reduction, None, None)
    return _pointwise("smooth_l1_loss", SmoothL1Loss, input, target, reduction, None, float(beta))


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere."""
    if delta <= 0:
        raise RuntimeError(
            f"huber_loss does not support non-positive values for delta, got {delta}"
        )
    return _pointwise("huber_loss", HuberLoss, input, target, reduction, weight, float(delta))


# -- classification: cross entropy and NLL -------------------------------------------
def _class_layout(name: str, input: Tensor, target: Tensor) -> tuple:
    """(N, C, D, out_shape, probs): input viewed as (N, C, D), D the product of the
    extra dims; out_shape is the 'none' result's shape; probs: class-probability target."""
    shape = input.shape
    if input.ndim == 0:
        raise ValueError(
            f"{name}: input must have shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor"
        )
    if input.ndim == 1:  # unbatched (C,)
        n, c, d, out_shape = 1, shape[0], 1, ()
    else:
        n, c = shape[0], shape[1]
        d = 1
        for s in shape[2:]:
            d *= s
        out_shape = (shape[0],) + tuple(shape[2:])
    probs = target.dtype.is_floating_point
    if target.shape == shape and name == "cross_entropy":
        if not probs:
            raise RuntimeError(
                f"Expected floating point type for target with class probabilities, got "
                f"{target.dtype.name} (input and target both have shape {tuple(shape)}; "
                f"class-index targets have shape {out_shape})"
            )
        return n, c, d, out_shape, True
    if probs:
        raise RuntimeError(
            f"{name}: expected target dtype to be an integer type (class indices) of shape "
            f"{out_shape}, but got {target.dtype.name} of shape {tuple(target.shape)}."
            + (
                f" Class-probability targets must have the input's shape {tuple(shape)}."
                if name == "cross_entropy"
                else ""
            )
        )
    if target.dtype.name == "bool":
        raise RuntimeError(f"{name}: expected integer class indices, got a bool target")
    if target.shape != out_shape:
        if input.ndim == 2 and target.ndim == 1:
            raise ValueError(
                f"Expected input batch_size ({shape[0]}) to match target batch_size "
                f"({target.shape[0]}): input has shape {tuple(shape)}, target has shape "
                f"{tuple(target.shape)}."
            )
        raise RuntimeError(
            f"{name}: expected target size {list(out_shape)}, got {list(target.shape)} "
            f"(input has shape {tuple(shape)})"
        )
    return n, c, d, out_shape, False


def _check_weight(name: str, weight, c: int) -> None:
    if weight is not None and weight.shape != (c,):
        raise RuntimeError(
            f"{name}: weight tensor should be defined either for all {c} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )


_OFFSETS: dict = {}


def _offsets(ctx, n: int, c: int, d: int):
    """(N, D) flat offsets of [i, 0, j] in a C-contiguous (N, C, D) array (int64);
    d=0: (N,) offsets of the rows of an (N, C) array. Cached on "cpu" (read-only),
    where the aranges cost more than the rest."""
    key = (n, c, d) if ctx.device == "cpu" else None
    off = _OFFSETS.get(key)
    if off is None:
        xp = ctx.xp
        if d:
            off = xp.arange(n, dtype="int64")[:, None] * (c * d) + xp.arange(d, dtype="int64")
        else:
            off = xp.arange(0, n * c, c, dtype="int64")
        if key is not None:
            if len(_OFFSETS) > 32:
                _OFFSETS.clear()
            off.flags.writeable = False
            _OFFSETS[key] = off
    return off


def _out_of_bounds(ctx, name, t, valid, ignore_index, c):
    """PyTorch's IndexError for a counted target outside [0, C) (t int64, valid: the
    mask of counted targets, or None when all count)."""
    # NOTE: out-of-range indices would wrap silently; the check reads back to the host,
    # so on "cuda" it runs only with core.backend.CHECK_INDICES_ON_DEVICE (a sync a step)
    if not t.size or not _backend.checks_values(ctx.device):
        return
    # one reduction in the common case: negatives are huge as uint64
    if int(t.view("uint64").max()) < c:
        return
    bad = (t < 0) | (t >= c)
    if valid is not None:
        bad &= valid
    if bool(bad.any()):
        value = int(t[bad].reshape(-1)[0])
        raise IndexError(
            f"{name}: Target {value} is out of bounds: class indices must be in "
            f"[0, {c - 1}] for {c} classes (or equal ignore_index={ignore_index}; "
            "on cuda this is checked only when core.backend.CHECK_INDICES_ON_DEVICE "
            "is True)"
        )


def _class_indices(ctx, name, t, ignore_index, n, c, d):
    """Validated targets as (N, D) plus the flat offset of each target in a
    C-contiguous (N, C, D) array and the mask of targets that count."""
    xp = ctx.xp
    t = t.reshape(n, d).astype("int64", copy=False)
    valid = t != ignore_index
    _out_of_bounds(ctx, name, t, valid, ignore_index, c)
    safe = xp.where(valid, t, 0)
    # (N, D) offsets into a C-contiguous (N, C, D) array (faster than a 3-array index)
    flat = _offsets(ctx, n, c, d) + safe * d
    return safe, flat, valid


def _ce_rows_forward(ctx, x, t, ignore_index, reduction):
    """cross_entropy's common case, lean: logits (N, C), class indices (N,), no weight,
    no label smoothing. Reductions along C go through amax/asum (numpy reduces a
    short innermost axis slowly); ignored targets cost extra only where present."""
    xp = ctx.xp
    n, c = x.shape
    t = t.astype("int64", copy=False)
    ignored = None  # None: every target counts
    if not _backend.checks_values(ctx.device):
        ignored = t == ignore_index  # on the device: no host read to learn if any is
    else:
        # one reduction in the common case: negatives are huge as uint64
        in_range = int(t.view("uint64").max()) < c
        if not in_range or 0 <= ignore_index < c:  # maybe ignored targets, or bad ones
            ignored = t == ignore_index
            if not bool(ignored.any()):
                ignored = None
            if not in_range:
                valid = None if ignored is None else ~ignored
                _out_of_bounds(ctx, "cross_entropy", t, valid, ignore_index, c)
    flat = _offsets(ctx, n, c, 0)  # (N,) offsets of the rows in z
    if ignored is None:
        flat = flat + t
        denom = n
        valid = None
    else:
        flat = flat + xp.where(ignored, 0, t)
        valid = ~ignored
        denom = _host(ctx, valid.sum(dtype=x.dtype))
    z = x - row_max(xp, x)[:, None]  # (N, C), <= 0
    if not z.flags.c_contiguous:  # a view input's layout (a transpose): flat needs C order
        z = xp.ascontiguousarray(z)
    picked = z.reshape(-1)[flat]  # (N,) z at the targets
    xp.exp(z, out=z)
    sumexp = row_sum(xp, z)  # (N,)
    loss = xp.log(sumexp)
    loss -= picked  # log sum exp z - z_t
    if valid is not None:
        loss *= valid
    out = _reduce(xp, loss, reduction, denom)
    if ctx.needs_input_grad[0]:
        # NOTE: backward divides by sumexp (softmax = z / sumexp) with the upstream
        # scaling, in the one broadcast multiply it needs anyway
        ctx.rows = (z, sumexp, flat, valid, denom, reduction, x.dtype)
    return out


def _ce_rows_backward(ctx, g):
    """d loss / d x = coef_i * (softmax - onehot(t)), coef_i 0 where t_i is ignored."""
    ez, sumexp, flat, valid, denom, reduction, dtype = ctx.rows
    coef = _upstream(ctx.xp, g, reduction, denom)  # () or (N,) for 'none'
    if valid is not None:
        coef = coef * valid  # (N,)
    gx = ez * (coef / sumexp)[:, None]  # (N, C) coef * softmax
    gx.reshape(-1)[flat] -= coef
    return gx.astype(dtype, copy=False)


class CrossEntropy(_Op):
    """log_softmax + NLL over the class dim, fused: one forward, one backward."""

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction, smoothing, layout):
        xp = ctx.xp
        n, c, d, out_shape, probs = layout
        if w is None and not smoothing and not probs and x.ndim == 2 and n:
            return _ce_rows_forward(ctx, x, t, ignore_index, reduction)
        ctx.rows = None
        x3 = x.reshape(n, c, d)
        wc = None if w is None else w.reshape(1, c, 1)  # (1, C, 1)
        z = x3 - amax(xp, x3, 1)  # (N, C, D), <= 0
        # NOTE: z follows a view input's layout (a transpose); the flat offsets, and the
        # writes through gx.reshape(-1) in backward, need C order (else reshape copies)
        if not z.flags.c_contiguous:
            z = xp.ascontiguousarray(z)
        if probs:
            q = t.reshape(n, c, d)
            if smoothing:
                q = q * (1 - smoothing) + smoothing / c
            if wc is not None:
                q = q * wc
            qz = asum(xp, q * z, 1)[:, 0, :]  # (N, D)
            s_q = asum(xp, q, 1)[:, 0, :]  # (N, D): sum_c q
            denom = n * d
        else:
            safe, flat, valid = _class_indices(ctx, "cross_entropy", t, ignore_index, n, c, d)
            valid = valid.astype(x.dtype)  # (N, D) 0/1
            wt = valid if w is None else w[safe] * valid  # (N, D)
            qz = wt * z.reshape(-1)[flat]
            s_q = wt
            if smoothing:
                # PyTorch's smoothing term: eps / C * sum_c w_c * (-logp_c), zero if ignored
                qz = qz * (1 - smoothing)
                s_q = s_q * (1 - smoothing)
                wz = asum(xp, z if wc is None else z * wc, 1)[:, 0, :]  # (N, D)
                wsum = c if w is None else w.sum()
                qz = qz + (smoothing / c) * valid * wz
                s_q = s_q + (smoothing / c) * wsum * valid
            denom = _host(ctx, wt.sum())
        logz = z.copy() if ctx.needs_input_grad[1] else None  # probs: d loss / d t
        xp.exp(z, out=z)
        sumexp = asum(xp, z, 1)  # (N, 1, D)
        logs = xp.log(sumexp)  # (N, 1, D)
        loss = s_q * logs[:, 0, :] - qz  # -sum_c q_c (z_c - log sum exp z)
        out = _reduce(xp, loss.reshape(out_shape), reduction, denom)
        nx, nt = ctx.needs_input_grad[:2]
        if nx or nt:
            ctx.layout, ctx.reduction, ctx.denom = layout, reduction, denom
            ctx.x_meta, ctx.t_meta = meta(x), meta(t)
            ctx.s_q, ctx.smoothing = s_q, smoothing
            if nx:
                z /= sumexp  # softmax, in place
                ctx.p = z
                if probs:
                    ctx.q = q
                else:
                    ctx.flat, ctx.wt, ctx.valid, ctx.wc = flat, wt, valid, wc
            if nt:  # probability targets: d loss / d t needs log_softmax
                logz -= logs
                ctx.logp = logz
                ctx.wc = wc
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.rows is not None:
            return _ce_rows_backward(ctx, g), None, None, None, None, None, None
        xp = ctx.xp
        n, c, d, out_shape, probs = ctx.layout
        coef = _upstream(xp, g, ctx.reduction, ctx.denom)
        if ctx.reduction == "none":
            coef = coef.reshape(n, 1, d)  # (N, 1, D)
        nx, nt = ctx.needs_input_grad[:2]
        gx = gt = None
        if nx:
            # d loss / d z_c = sum_c(q) * softmax_c - q_c
            gx = ctx.p * (coef * ctx.s_q[:, None, :])
            if probs:
                gx -= coef * ctx.q
            else:
                eps = ctx.smoothing
                if eps:
                    wc = 1 if ctx.wc is None else ctx.wc
                    gx -= (eps / c) * wc * (coef * ctx.valid[:, None, :])
                if not gx.flags.c_contiguous:  # a view of a copy would lose the write
                    gx = xp.ascontiguousarray(gx)
                gw = ctx.wt * (coef[:, 0, :] if coef.ndim else coef)  # (N, D)
                if eps:
                    gw = gw * (1 - eps)
                gx.reshape(-1)[ctx.flat] -= gw
            shape, dtype = ctx.x_meta
            gx = gx.reshape(shape).astype(dtype, copy=False)
        if nt:
            gt = coef * ctx.logp
            gt *= -(1 - ctx.smoothing)
            if ctx.wc is not None:
                gt = gt * ctx.wc
            shape, dtype = ctx.t_meta
            gt = gt.reshape(shape).astype(dtype, copy=False)
        return gx, gt, None, None, None, None, None


class NllLoss(_Op):
    """-weight[t] * input[t] with PyTorch's weighted mean."""

    @staticmethod
    def forward(ctx, x, t, w, ignore_index, reduction, layout):
        xp = ctx.xp
        n, c, d, out_shape, _ = layout
        safe, flat, valid = _class_indices(ctx, "nll_loss", t, ignore_index, n, c, d)
        wt = valid.astype(x.dtype) if w is None else w[safe] * valid  # (N, D)
        loss = -wt * x.reshape(-1)[flat]
        denom = _host(ctx, wt.sum())
        out = _reduce(xp, loss.reshape(out_shape), reduction, denom)
        ctx.layout, ctx.reduction, ctx.denom = layout, reduction, denom
        ctx.flat, ctx.wt, ctx.shape, ctx.dtype = flat, wt, x.shape, x.dtype
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        n, c, d, out_shape, _ = ctx.layout
        coef = _upstream(xp, g, ctx.reduction, ctx.denom)  # () or the 'none' shape
        if ctx.reduction == "none":
            coef = coef.reshape(n, d)
        gx = xp.zeros(ctx.shape, dtype=ctx.dtype)  # C-contiguous: reshape(-1) is a view
        gx.reshape(-1)[ctx.flat] = -ctx.wt * coef
        return gx, None, None, None, None, None


def _class_loss_args(name, input, target, weight, reduction):
    _check_reduction(reduction)
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: target must be a Tensor, got {type(target).__name__}")
    _check_float_input(name, input)
    layout = _class_layout(name, input, target)
    _check_weight(name, weight, layout[1])
    return layout


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits input (C,), (N, C) or (N, C, d1, ...) against class
    indices (integers of shape (), (N,) or (N, d1, ...)) or class probabilities (the
    input's shape). A weighted 'mean' over class indices divides by the summed weights
    of the targets that are not ignored (nan when all are); over probabilities by the
    number of samples."""
    layout = _class_loss_args("cross_entropy", input, target, weight, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if layout[4] and ignore_index >= 0:
        raise RuntimeError(
            f"ignore_index is not supported for floating point target (got ignore_index="
            f"{ignore_index} with a probability target of shape {tuple(target.shape)})"
        )
    _no_grad_for("cross_entropy", "weight", weight)
    return CrossEntropy.apply(
        input, target, weight, int(ignore_index), reduction, float(label_smoothing), layout
    )


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of log-probabilities input (C,), (N, C) or (N, C, d1, ...)
    at integer class targets, with PyTorch's weighted mean."""
    layout = _class_loss_args("nll_loss", input, target, weight, reduction)
    _no_grad_for("nll_loss_forward", "weight", weight)
    return NllLoss.apply(input, target, weight, int(ignore_index), reduction, layout)


# -- binary classification -----------------------------------------------------------
def _log_or(xp, a, fill):
    """log(a) where a > 0, fill elsewhere (no divide-by-zero warning)."""
    pos = a > 0
    return xp.where(pos, xp.log(xp.where(pos, a, 1)), fill).astype(a.dtype, copy=False)


class BinaryCrossEntropy(_Op):
    """-w (y log x + (1 - y) log(1 - x)), each log clamped to >= -100 as in PyTorch."""

    @staticmethod
    def forward(ctx, x, y, w, reduction):
        xp = ctx.xp
        # NOTE: PyTorch's check; it reads back to the host, so on "cuda" it runs only
        # with core.backend.CHECK_INDICES_ON_DEVICE (a sync a step)
        checks = _backend.checks_values(ctx.device)
        if checks and not bool(((x >= 0) & (x <= 1)).all()):  # nan fails too, as in PyTorch
            raise RuntimeError(
                f"all elements of input should be between 0 and 1 (binary_cross_entropy "
                f"input of shape {tuple(x.shape)} has values outside [0, 1]; apply "
                "sigmoid first, or use binary_cross_entropy_with_logits; on cuda this is "
                "checked only when core.backend.CHECK_INDICES_ON_DEVICE is True)"
            )
        if checks and not bool(((y >= 0) & (y <= 1)).all()):
            raise RuntimeError(
                f"all elements of target should be between 0 and 1 (binary_cross_entropy "
                f"target of shape {tuple(y.shape)} has values outside [0, 1])"
            )
        logx = xp.maximum(_log_or(xp, x, -100), -100)
        log1mx = xp.maximum(_log_or(xp, 1 - x, -100), -100)
        loss = -(y * logx + (1 - y) * log1mx)
        if w is not None:
            loss = loss * w
        out = _reduce(xp, loss, reduction)
        ctx.x, ctx.y, ctx.w, ctx.reduction = x, y, w, reduction
        ctx.n, ctx.lshape = loss.size, loss.shape
        ctx.m = (meta(x), meta(y))
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        x, y, w = ctx.x, ctx.y, ctx.w
        coef = _upstream(xp, g, ctx.reduction, ctx.n)
        if w is not None:
            coef = coef * w
        nx, ny = ctx.needs_input_grad[:2]
        gx = gy = None
        if nx:
            # PyTorch's gradient: (x - y) / max(x (1 - x), 1e-12)
            gx = unbroadcast(coef * (x - y) / xp.maximum(x * (1 - x), 1e-12), ctx.m[0])
        if ny:
            # -logit(x), unclamped (+-inf at 0 and 1), as in PyTorch
            glog = _log_or(xp, 1 - x, -xp.inf) - _log_or(xp, x, -xp.inf)
            gy = unbroadcast(xp.broadcast_to(coef * glog, ctx.lshape), ctx.m[1])
        return gx, gy, None, None


class BinaryCrossEntropyWithLogits(_Op):
    """w ((1 - y) x + (1 + (pw - 1) y) softplus(-x)): stable for any logit."""

    @staticmethod
    def forward(ctx, x, y, w, pw, reduction):
        xp = ctx.xp
        sp = stable_softplus(xp, -x)
        lw = 1 if pw is None else 1 + (pw - 1) * y
        loss = (1 - y) * x + lw * sp
        if w is not None:
            loss = loss * w
        out = _reduce(xp, loss, reduction)
        ctx.x, ctx.y, ctx.w, ctx.pw, ctx.sp, ctx.lw = x, y, w, pw, sp, lw
        ctx.reduction, ctx.n, ctx.lshape = reduction, loss.size, loss.shape
        ctx.m = (meta(x), meta(y))
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        x, y, w, pw = ctx.x, ctx.y, ctx.w, ctx.pw
        coef = _upstream(xp, g, ctx.reduction, ctx.n)
        if w is not None:
            coef = coef * w
        nx, ny = ctx.needs_input_grad[:2]
        gx = gy = None
        if nx:
            sig_neg = stable_sigmoid(xp, -x)
            gx = unbroadcast(coef * ((1 - y) - ctx.lw * sig_neg), ctx.m[0])
        if ny:
            gyl = -x if pw is None else (pw - 1) * ctx.sp - x
            gy = unbroadcast(xp.broadcast_to(coef * gyl, ctx.lshape), ctx.m[1])
        return gx, gy, None, None, None


def _binary_args(name: str, input: Tensor, target: Tensor, reduction: str) -> None:
    _check_reduction(reduction)
    if target.shape != input.shape:
        raise ValueError(
            f"Using a target size ({tuple(target.shape)}) that is different to the input "
            f"size ({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
            if name == "binary_cross_entropy"
            else f"Target size ({tuple(target.shape)}) must be the same as input size "
            f"({tuple(input.shape)})"
        )
    for what, t in (("input", input), ("target", target)):
        if not t.dtype.is_floating_point:
            raise RuntimeError(
                f"{name}: expected a floating-point {what}, got {t.dtype.name} of shape "
                f"{tuple(t.shape)}. Convert it with .float() first."
            )


def _broadcasts_to(name: str, arg: str, t: Tensor, input: Tensor) -> None:
    try:
        ok = _broadcast_shape(name, t.shape, input.shape) == tuple(input.shape)
    except RuntimeError:
        ok = False
    if not ok:
        raise RuntimeError(
            f"{name}: {arg} of shape {tuple(t.shape)} must broadcast to the input's shape "
            f"{tuple(input.shape)}"
        )


def binary_cross_entropy(
    input: Tensor, target: Tensor, weight: Tensor | None = None, reduction: str = "mean"
) -> Tensor:
    """Binary cross entropy of probabilities input in [0, 1] (logs clamped at -100)."""
    _binary_args("binary_cross_entropy", input, target, reduction)
    if weight is not None:
        _broadcasts_to("binary_cross_entropy", "weight", weight, input)
    _no_grad_for("binary_cross_entropy", "weight", weight)
    return BinaryCrossEntropy.apply(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """sigmoid + binary cross entropy of logits, fused and stable; pos_weight scales the
    positive term (broadcast over the input, e.g. one per class of the last dim)."""
    name = "binary_cross_entropy_with_logits"
    _binary_args(name, input, target, reduction)
    for arg, t in (("weight", weight), ("pos_weight", pos_weight)):
        if t is not None:
            _broadcasts_to(name, arg, t, input)
            _no_grad_for(name, arg, t)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)


# -- Kullback-Leibler divergence ------------------------------------------------------
class KlDiv(_Op):
    """target * (log(target) - input) (0 where target is 0), or with log_target
    exp(target) * (target - input): input holds log-probabilities. 'batchmean' divides
    the sum by the batch size (input's dim 0)."""

    @staticmethod
    @quietly
    def forward(ctx, x, t, reduction, log_target):
        xp = ctx.xp
        if log_target:
            et = xp.exp(t)
            loss = et * (t - x)
            ctx.et = et
        else:
            loss = xp.where(t == 0, 0, t * xp.log(t)) - t * x  # xlogy(t, t) - t x
        loss = loss.astype(result_type(x, t), copy=False)
        if reduction == "batchmean":
            denom = x.shape[0] if x.ndim else 1
            out = xp.asarray(loss.sum() / denom)
        else:
            denom = loss.size
            out = _reduce(xp, loss, reduction)
        ctx.x, ctx.t, ctx.log_target = x, t, log_target
        ctx.scale = 1 if reduction in ("none", "sum") else denom
        ctx.m, ctx.lshape = (meta(x), meta(t)), loss.shape
        return out

    @staticmethod
    @quietly
    def backward(ctx, g):
        xp = ctx.xp
        x, t = ctx.x, ctx.t
        coef = g / ctx.scale if ctx.scale != 1 else g
        nx, nt = ctx.needs_input_grad[:2]
        gx = gt = None
        if nx:
            w = ctx.et if ctx.log_target else t
            gx = unbroadcast(xp.broadcast_to(-coef * w, ctx.lshape), ctx.m[0])
        if nt:
            if ctx.log_target:
                d = ctx.et * (t - x + 1)
            else:  # PyTorch's xlogy gradient: nan at target 0
                d = xp.where(t == 0, xp.nan, xp.log(t) + 1 - x)
            gt = unbroadcast(xp.broadcast_to(coef * d, ctx.lshape), ctx.m[1])
        return gx, gt, None, None


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise, reduced: input holds log-probabilities,
    target probabilities (log-probabilities with log_target). 'batchmean' (sum / batch
    size) is the true KL divergence; 'mean' divides by every element (PyTorch warns)."""
    if size_average is not None or reduce is not None:
        raise TypeError("kl_div: size_average and reduce are not supported; use reduction=")
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.",
            UserWarning,
            stacklevel=2,
        )
    _check_float_input("kl_div", input)
    _check_float_input("kl_div", target)
    _broadcast_shape("kl_div", input.shape, target.shape)
    return KlDiv.apply(input, target, reduction, bool(log_target))


# -- targets -------------------------------------------------------------------------
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding with a trailing dim of num_classes (-1: max + 1)."""
    if tensor.dtype.name != "int64":
        raise RuntimeError(
            f"one_hot is only applicable to index tensor of type LongTensor (got "
            f"{tensor.dtype.name} of shape {tuple(tensor.shape)})."
        )
    xp = _backend.get(tensor._device).xp
    a = tensor._data
    if a.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        lo, hi = (int(v) for v in xp.stack([a.min(), a.max()]).tolist())
        if lo < 0:
            raise RuntimeError(f"Class values must be non-negative (got {lo}).")
        if num_classes == -1:
            num_classes = hi + 1
        elif hi >= num_classes:
            raise RuntimeError(
                f"Class values must be smaller than num_classes (got {hi} with "
                f"num_classes={num_classes})."
            )
    if num_classes < 0:
        raise RuntimeError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    out = (a[..., None] == xp.arange(num_classes, dtype=a.dtype)).astype("int64")
    return _recorded("one_hot", (tensor,), _make(out, tensor._device, False, None))
