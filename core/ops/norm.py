"""Normalisation layers and embedding lookup: fused Functions and their nn.functional
entry points (PyTorch's signatures, defaults and errors)."""

from __future__ import annotations

import math
import numbers

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.autograd.grad_mode import no_grad
from core.tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "embedding"]


# NOTE: fresh full-size arrays are the main cost here (page faults on every new
# buffer), so each Function allocates two per pass and reuses them with out=.
def _normalize(xp, x, axes, eps):
    """(x - mean) / sqrt(var + eps) over axes (biased variance).

    Returns (xhat, invstd, mean, var, scratch): statistics with keepdims, and a spare
    array of x's shape for the caller's output.
    """
    mean = x.mean(axis=axes, keepdims=True)
    xhat = x - mean
    scratch = xp.multiply(xhat, xhat)
    var = scratch.mean(axis=axes, keepdims=True)
    invstd = 1 / xp.sqrt(var + eps)
    xhat *= invstd
    return xhat, invstd, mean, var, scratch


def _normalize_grad(xp, gxhat, xhat, invstd, axes, owned, prod=None):
    """d loss / dx through xhat = (x - mean) * invstd, given gxhat = d loss / d xhat:
    invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)).

    owned: gxhat may be overwritten. prod: gxhat * xhat when the caller has it (it is
    overwritten too).
    """
    m1 = gxhat.mean(axis=axes, keepdims=True)
    if prod is None:
        prod = gxhat * xhat
    m2 = prod.mean(axis=axes, keepdims=True)
    tmp = xp.multiply(xhat, m2, out=prod)
    gx = xp.subtract(gxhat, m1, out=gxhat if owned else None)
    gx -= tmp
    gx *= invstd
    return gx


def _affine(xp, xhat, w, b, pshape, out):
    """xhat * w + b (w, b reshaped to pshape; either may be None), written into out."""
    if w is not None:
        xp.multiply(xhat, w.reshape(pshape), out=out)
        if b is not None:
            out += b.reshape(pshape)
    elif b is not None:
        xp.add(xhat, b.reshape(pshape), out=out)
    else:
        out[...] = xhat
    return out


def _check_numel(name: str, what: str, t, c: int) -> None:
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name}: {what} should contain {c} elements not {t.numel()}")


# -- batch norm ----------------------------------------------------------------------
class BatchNorm(_Op):
    """Per-channel normalisation of (N, C, *) over N and *; updates running stats in
    training mode (running_var with the unbiased variance, as PyTorch)."""

    @staticmethod
    def forward(ctx, x, rm, rv, w, b, training, momentum, eps):
        xp = ctx.xp
        c = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        pshape = (1, c) + (1,) * (x.ndim - 2)
        n = x.size // c
        if training:
            xhat, invstd, mean, var, out = _normalize(xp, x, axes, eps)
            if rm is not None:
                rm[...] = (1 - momentum) * rm + momentum * mean.reshape(rm.shape)
            if rv is not None:
                unbiased = var.reshape(rv.shape) * (n / max(n - 1, 1))
                rv[...] = (1 - momentum) * rv + momentum * unbiased
        else:
            invstd = (1 / xp.sqrt(rv.reshape(pshape) + eps)).astype(x.dtype, copy=False)
            xhat = x - rm.reshape(pshape).astype(x.dtype, copy=False)
            xhat *= invstd
            out = xp.empty_like(xhat)
        out = _affine(xp, xhat, w, b, pshape, out)
        nx, nw, nb = ctx.needs_input_grad[0], ctx.needs_input_grad[3], ctx.needs_input_grad[4]
        if nx or nw or nb:
            ctx.training, ctx.axes, ctx.pshape, ctx.n = training, axes, pshape, n
            ctx.xhat = xhat if (training and nx) or nw else None
            ctx.invstd, ctx.w = invstd, w
        return out

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        axes, xhat, c, n = ctx.axes, ctx.xhat, ctx.pshape[1], ctx.n
        nx, nw, nb = ctx.needs_input_grad[0], ctx.needs_input_grad[3], ctx.needs_input_grad[4]
        scale = ctx.invstd if ctx.w is None else ctx.invstd * ctx.w.reshape(ctx.pshape)
        sum_g = g.sum(axis=axes, keepdims=True) if (nb or (nx and ctx.training)) else None
        prod = sum_gx = None
        if xhat is not None:
            prod = g * xhat
            sum_gx = prod.sum(axis=axes, keepdims=True)
        gx = None
        if nx and ctx.training:
            # w * invstd * (g - mean(g) - xhat * mean(g * xhat)), reusing the sums
            gx = xp.multiply(xhat, sum_gx / n, out=prod)
            gx = xp.subtract(g, gx, out=gx)
            gx -= sum_g / n
            gx *= scale
        elif nx:
            gx = g * scale
        gw = sum_gx.reshape(c).astype(ctx.w.dtype, copy=False) if nw else None
        gb = sum_g.reshape(c) if nb else None
        return gx, None, None, gw, gb, None, None, None


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation of (N, C), (N, C, L), (N, C, H, W), ...: batch statistics in
    training mode (updating the running stats in place, without grad), running
    statistics otherwise."""
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected input of shape (N, C) or (N, C, *), got {tuple(input.shape)}"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"batch_norm: expected a floating-point input, got {input.dtype.name}")
    if momentum is None:
        raise TypeError(
            "batch_norm(): argument 'momentum' must be float, not NoneType (a cumulative "
            "average is computed by nn.BatchNorm, which passes the factor as momentum)"
        )
    c = input.shape[1]
    for what, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        _check_numel("batch_norm", what, t, c)
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(
                f"Expected more than 1 value per channel when training, got input size "
                f"{tuple(input.shape)}"
            )
    elif running_mean is None or running_var is None:
        raise RuntimeError(
            "running_mean must be defined in evaluation mode"
            if running_mean is None
            else "running_var must be defined in evaluation mode"
        )
    return BatchNorm.apply(
        input, running_mean, running_var, weight, bias, bool(training), float(momentum), eps
    )


# -- layer norm and group norm -------------------------------------------------------
class LayerNorm(_Op):
    """Normalisation over the last k dims, then an elementwise affine of those dims."""

    @staticmethod
    def forward(ctx, x, w, b, k, eps):
        xp = ctx.xp
        lead = x.ndim - k
        axes = tuple(range(lead, x.ndim))
        xhat, invstd, _, _, out = _normalize(xp, x, axes, eps)
        out = _affine(xp, xhat, w, b, x.shape[lead:], out)
        ctx.xhat, ctx.invstd, ctx.w, ctx.axes, ctx.lead = xhat, invstd, w, axes, tuple(range(lead))
        return out

    @staticmethod
    def backward(ctx, g):
        nx, nw, nb = ctx.needs_input_grad[:3]
        xhat, w = ctx.xhat, ctx.w
        gx = gw = gb = prod = None
        if nw:
            prod = g * xhat
            gw = prod.sum(axis=ctx.lead)
            if nx:
                prod *= w  # now gxhat * xhat
        if nb:
            gb = g.sum(axis=ctx.lead)
        if nx:
            gxhat = g if w is None else g * w
            gx = _normalize_grad(ctx.xp, gxhat, xhat, ctx.invstd, ctx.axes, w is not None, prod)
        return gx, gw, gb, None, None


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing dims given by normalized_shape (a tuple or list of ints;
    an int is a TypeError, as in PyTorch's functional form)."""
    if not isinstance(normalized_shape, tuple | list) or not all(
        isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in normalized_shape
    ):
        raise TypeError(
            "layer_norm(): argument 'normalized_shape' (position 2) must be tuple of ints, "
            f"not {type(normalized_shape).__name__} (use ({normalized_shape!r},) for one dim)"
        )
    shape = tuple(int(n) for n in normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape "
            f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"layer_norm: expected a floating-point input, got {input.dtype.name}")
    for what, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(
                f"Expected {what} to be of same shape as normalized_shape, but got {what} of "
                f"shape {list(t.shape)} and normalized_shape = {list(shape)}"
            )
    return LayerNorm.apply(input, weight, bias, k, eps)


class GroupNorm(_Op):
    """Normalisation of (N, C, *) over each group of C // G channels and *, then a
    per-channel affine."""

    @staticmethod
    def forward(ctx, x, w, b, groups, eps):
        xp = ctx.xp
        n, c = x.shape[:2]
        xg = x.reshape(n, groups, -1)  # (N, G, C/G * prod(*))
        xhat, invstd, _, _, out = _normalize(xp, xg, (2,), eps)
        pshape = (1, c) + (1,) * (x.ndim - 2)
        xhat, out = xhat.reshape(x.shape), out.reshape(x.shape)
        out = _affine(xp, xhat, w, b, pshape, out)
        ctx.xhat, ctx.invstd, ctx.w, ctx.pshape, ctx.groups = xhat, invstd, w, pshape, groups
        return out

    @staticmethod
    def backward(ctx, g):
        nx, nw, nb = ctx.needs_input_grad[:3]
        xhat, w, pshape = ctx.xhat, ctx.w, ctx.pshape
        n = xhat.shape[0]
        gshape = (n, ctx.groups, -1)  # the normalisation layout (N, G, C/G * prod(*))
        other = (0,) + tuple(range(2, xhat.ndim))
        gx = gw = gb = prod = None
        if nw:
            prod = g * xhat
            gw = prod.sum(axis=other)
            if nx:
                prod *= w.reshape(pshape)  # now gxhat * xhat
                prod = prod.reshape(gshape)
        if nb:
            gb = g.sum(axis=other)
        if nx:
            gxhat = (g if w is None else g * w.reshape(pshape)).reshape(gshape)
            gx = _normalize_grad(
                ctx.xp, gxhat, xhat.reshape(gshape), ctx.invstd, (2,), w is not None, prod
            ).reshape(xhat.shape)
        return gx, gw, gb, None, None


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Group normalisation of (N, C, *) with num_groups groups of channels."""
    if input.ndim < 2:
        raise RuntimeError(
            f"Expected at least 2 dimensions for input tensor but received {input.ndim}"
        )
    c = input.shape[1]
    if num_groups <= 0 or c % num_groups:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got "
            f"input of shape {list(input.shape)} and num_groups={num_groups}"
        )
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"group_norm: expected a floating-point input, got {input.dtype.name}")
    _check_numel("group_norm", "weight", weight, c)
    _check_numel("group_norm", "bias", bias, c)
    return GroupNorm.apply(input, weight, bias, int(num_groups), eps)


# -- embedding -----------------------------------------------------------------------
class Embedding(_Op):
    """weight[input]; the gradient scatter-adds rows (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, idx, w, padding_idx, scale_grad_by_freq):
        if ctx.needs_input_grad[1]:
            ctx.idx, ctx.wmeta = idx, (w.shape, w.dtype)
            ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return w[idx]  # (*, D)

    @staticmethod
    def backward(ctx, g):
        xp = ctx.xp
        (v, dim), dtype = ctx.wmeta
        flat = ctx.idx.reshape(-1).astype("int64", copy=False)  # (M,)
        rows = g.reshape(-1, dim)  # (M, D)
        if ctx.scale:
            counts = xp.bincount(flat, minlength=v)
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        gw = xp.zeros((v, dim), dtype=dtype)
        # NOTE: scatter-add on flat element offsets: numpy's add.at is several times
        # faster on a 1-d index than on row indices
        offsets = (flat[:, None] * dim + xp.arange(dim)).reshape(-1)  # (M*D,)
        _backend.get(ctx.device).add_at(gw.reshape(-1), offsets, rows.reshape(-1))
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return None, gw, None, None


def _renorm_rows(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: rows used by idx with a norm above max_norm are
    scaled (in place, without grad) to max_norm."""
    xp = _backend.get(weight._device).xp
    with no_grad():
        used = xp.unique(idx)
        rows = weight._data[used]
        a = xp.abs(rows)
        norms = a.max(axis=1) if math.isinf(norm_type) else (a**norm_type).sum(1) ** (1 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1).astype(rows.dtype)
        weight._data[used] = rows * scale[:, None]


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of weight (V, D) at integer indices input (*) -> (*, D). Rows at padding_idx
    get no gradient; max_norm renormalises the used rows of weight in place."""
    if sparse:
        raise NotImplementedError(
            "embedding(sparse=True): core has no sparse tensors; use sparse=False (dense gradients)"
        )
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got a weight of shape {tuple(weight.shape)}")
    dt = input.dtype
    if dt.is_floating_point or dt.name == "bool":
        raise RuntimeError(
            f"Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got {dt.name} of shape {tuple(input.shape)} instead "
            "(while checking arguments for embedding)"
        )
    v = weight.shape[0]
    if padding_idx is not None:
        if not -v <= padding_idx < v:
            raise ValueError(
                f"Padding_idx must be within num_embeddings: got padding_idx={padding_idx} "
                f"for a weight of shape {tuple(weight.shape)}"
            )
        padding_idx = padding_idx % v
    idx = input._data
    # NOTE: numpy would wrap negative indices silently; the check reads back to the host,
    # so on "cuda" it runs only with core.backend.CHECK_INDICES_ON_DEVICE (a sync a step)
    if idx.size and _backend.checks_values(input._device):
        lo, hi = _backend.get(input._device).xp.stack([idx.min(), idx.max()]).tolist()
        if lo < 0 or hi >= v:
            raise IndexError(
                f"embedding: index out of range in self: indices must be in [0, {v - 1}] for "
                f"a weight of shape {tuple(weight.shape)}, got {lo if lo < 0 else hi} (on cuda "
                "this is checked only when core.backend.CHECK_INDICES_ON_DEVICE is True)"
            )
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(input, weight, padding_idx, bool(scale_grad_by_freq))
