"""Pooling (max_pool2d, avg_pool2d, adaptive_avg_pool2d) and pad, as fused Functions.

Pooling walks the kh*kw kernel taps: each tap is one strided slice of the padded
input covering every output position at once, so a 3x3 pool costs a few whole-array
ops per tap, whatever the image size. Max pooling over windows that tile the input
(kernel = stride, the common case) scans a window's columns, then its rows, instead:
each pass reads its input once. Padding fills one output array: the input in the
middle, then the borders copied from it.
"""

from __future__ import annotations

from typing import NamedTuple

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.tensor import Tensor

_CPU_XP = _backend.CPU.xp

__all__ = ["adaptive_avg_pool2d", "avg_pool2d", "max_pool2d", "pad"]


# -- geometry -------------------------------------------------------------------------


class _PoolGeom(NamedTuple):
    n: int
    c: int
    h: int
    w: int
    kh: int
    kw: int
    sh: int
    sw: int
    ph: int
    pw: int
    dh: int
    dw: int
    oh: int
    ow: int
    hb: int  # rows and columns of the padded buffer (ceil_mode may reach past the padding)
    wb: int
    out_shape: tuple


def _pair(value, name: str, what: str, allow_empty: bool = False) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) == 1 and isinstance(value[0], int):
        return value * 2
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        omitted = "either be omitted, " if allow_empty else "either be "
        raise RuntimeError(
            f"{name}: {what} must {omitted}a single int, or a tuple of two ints, "
            f"but got {what}={value}"
        )
    return value


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's pooling_output_shape."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    # the last window must start inside the input or the left padding
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool_input(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (3, 4) or any(s == 0 for s in input.shape[-3:]):
        raise RuntimeError(
            f"{name}: non-empty 3D or 4D (batch mode) tensor expected for input, but got "
            f"input of size [{', '.join(map(str, input.shape))}]"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating-point input, but got {input.dtype}")


def _pool_geometry(name, input, kernel_size, stride, padding, dilation, ceil_mode) -> _PoolGeom:
    _check_pool_input(name, input)
    kh, kw = _pair(kernel_size, name, "kernel_size")
    if stride is None or (not isinstance(stride, int) and len(stride) == 0):
        sh, sw = kh, kw
    else:
        sh, sw = _pair(stride, name, "stride", allow_empty=True)
    ph, pw = _pair(padding, name, "padding")
    dh, dw = _pair(dilation, name, "dilation")
    if kh <= 0 or kw <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {kh} kW: {kw}")
    if sh <= 0 or sw <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {sh} dW: {sw}")
    if dh <= 0 or dw <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dh} dilationW: {dw}"
        )
    for p, k, d in ((ph, kh, dh), (pw, kw, dw)):
        if p < 0 or p > (d * (k - 1) + 1) // 2:
            raise RuntimeError(
                "pad should be at most half of effective kernel size, but got "
                f"pad={p}, kernel_size={k} and dilation={d}"
            )
    batched = input.ndim == 4
    n, c, h, w = input.shape if batched else (1, *input.shape)
    oh = _out_size(h, kh, sh, ph, dh, ceil_mode)
    ow = _out_size(w, kw, sw, pw, dw, ceil_mode)
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). "
            "Output size is too small"
        )
    hb = max(h + 2 * ph, (oh - 1) * sh + (kh - 1) * dh + 1)
    wb = max(w + 2 * pw, (ow - 1) * sw + (kw - 1) * dw + 1)
    out_shape = (n, c, oh, ow) if batched else (c, oh, ow)
    return _PoolGeom(n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, hb, wb, out_shape)


def _padded(xp, x, g: _PoolGeom, fill: float):
    """(N, C, H, W) -> (N, C, Hb, Wb), the border filled with ``fill``."""
    if g.hb == g.h and g.wb == g.w:
        return x
    buf = xp.full((g.n, g.c, g.hb, g.wb), fill, dtype=x.dtype)
    buf[:, :, g.ph : g.ph + g.h, g.pw : g.pw + g.w] = x
    return buf


def _tap(buf, g: _PoolGeom, i: int, j: int):
    """(N, C, OH, OW) view of the element under kernel tap (i, j) of every window."""
    r, c = i * g.dh, j * g.dw
    return buf[:, :, r : r + (g.oh - 1) * g.sh + 1 : g.sh, c : c + (g.ow - 1) * g.sw + 1 : g.sw]


def _unpadded(xp, buf, g: _PoolGeom, shape):
    """Crop a (N, C, Hb, Wb) gradient buffer back to the input's shape."""
    if g.hb == g.h and g.wb == g.w:
        return buf.reshape(shape)
    inner = buf[:, :, g.ph : g.ph + g.h, g.pw : g.pw + g.w]
    return xp.ascontiguousarray(inner).reshape(shape)


def _taps(g: _PoolGeom):
    return [(i, j) for i in range(g.kh) for j in range(g.kw)]


# -- max pooling ------------------------------------------------------------------------


def _index_dtype(xp, n: int):
    return xp.int8 if n < 2**7 else xp.int16 if n < 2**15 else xp.int32


def _overlapping(g: _PoolGeom) -> bool:
    """Whether an input element can sit in more than one window."""
    return g.sh < (g.kh - 1) * g.dh + 1 or g.sw < (g.kw - 1) * g.dw + 1


def _tiled(g: _PoolGeom) -> bool:
    """Whether the windows tile the input: stride = kernel, no padding, no dilation, and
    none reaching past the input (ceil_mode)."""
    return (
        g.sh == g.kh
        and g.sw == g.kw
        and g.dh == g.dw == 1
        and g.ph == g.pw == 0
        and g.oh * g.kh <= g.h
        and g.ow * g.kw <= g.w
    )


def _scan_max(xp, taps: list, want_idx: bool, nan: bool):
    """Running max over equal-shape views (the taps along one axis) and, if wanted,
    the int8 index of each position's first max (nan: or of its last NaN, PyTorch's
    pick; a NaN compares below nothing, so without nan a NaN max gets index 0)."""
    if len(taps) == 1:
        return taps[0].copy(), xp.zeros(taps[0].shape, dtype=xp.int8) if want_idx else None
    out = idx = None
    for j in range(1, len(taps)):
        prev = taps[0] if j == 1 else out
        if want_idx:
            up = xp.greater(taps[j], prev)
            if nan:
                up |= xp.isnan(taps[j])
            if idx is None:  # after tap 1: 1 where it took over
                idx = up.view(xp.int8) if len(taps) == 2 else up.astype(xp.int8)
            else:  # idx = j where tap j took over
                step = xp.subtract(j, idx, dtype=xp.int8)
                step *= up
                idx += step
        out = xp.maximum(prev, taps[j]) if j == 1 else xp.maximum(out, taps[j], out=out)
    return out, idx


def _tiled_max(xp, x4, g: _PoolGeom, want_idx: bool):
    """(N, C, OH, OW) maxima of tiling windows, with the int8 tap indices
    ((N, C, OH*kh, OW) column in each window row, (N, C, OH, OW) winning row) if wanted.

    Two scans, over each window row's columns and then over its rows: each reads
    its input once, where one pass per tap of the window would read all of it per tap.
    """
    hh = g.oh * g.kh
    x5 = x4[:, :, :hh, : g.ow * g.kw].reshape(g.n, g.c, hh, g.ow, g.kw)
    # NOTE: on CuPy, NaN-aware always (checking for NaN would sync with the host)
    nan = xp is not _CPU_XP
    while True:
        m, cols = _scan_max(xp, [x5[..., j] for j in range(g.kw)], want_idx, nan)
        m5 = m.reshape(g.n, g.c, g.oh, g.kh, g.ow)
        out, rows = _scan_max(xp, [m5[:, :, :, i] for i in range(g.kh)], want_idx, nan)
        if not want_idx or nan or not xp.isnan(out).any():
            return out, (cols, rows)
        nan = True  # a window holds NaN: again, the last NaN winning


def _tiled_grad(xp, idx, gout, g: _PoolGeom):
    """(N, C, H, W) gradient of tiling windows: gout at each window's winning tap."""
    cols, rows = idx
    hh, ww = g.oh * g.kh, g.ow * g.kw
    gm = xp.empty((g.n, g.c, g.oh, g.kh, g.ow), dtype=gout.dtype)  # to each window row
    mask = xp.empty(rows.shape, dtype=bool)
    # NOTE: gout * mask rather than where(mask, gout, 0) (slow on random masks); an
    # infinite upstream gradient turns the window's other taps into NaN
    for i in range(g.kh):
        xp.equal(rows, i, out=mask)
        xp.multiply(gout, mask, out=gm[:, :, :, i])
    gm = gm.reshape(g.n, g.c, hh, g.ow)
    gt = xp.empty((g.n, g.c, hh, ww), dtype=gout.dtype)
    g5 = gt.reshape(g.n, g.c, hh, g.ow, g.kw)
    mask = xp.empty(cols.shape, dtype=bool)
    for j in range(g.kw):
        xp.equal(cols, j, out=mask)
        xp.multiply(gm, mask, out=g5[..., j])
    if hh == g.h and ww == g.w:
        return gt
    gx = xp.zeros((g.n, g.c, g.h, g.w), dtype=gout.dtype)
    gx[:, :, :hh, :ww] = gt
    return gx


class MaxPool2d(_Op):
    """Max over each window; the gradient goes to the window's (first) maximum.

    Tiling windows (the common kernel = stride case) keep the winning tap of each
    window as two small int8 index arrays (``_tiled_max``). Other windows keep the
    input and a copy of the output, and backward finds each window's first maximum
    again (``_first_max_grad``), so that a forward under autograd costs what one under
    no_grad does; windows holding NaN (their gradient goes to the last NaN, as in
    PyTorch), CuPy (where checking for NaN would sync with the host) and
    return_indices take the tap index (``_argmax``) instead.
    """

    @staticmethod
    def forward(ctx, x, g, return_indices):
        xp = ctx.xp
        grad = ctx.needs_input_grad[0]
        x4 = x.reshape(g.n, g.c, g.h, g.w)
        if grad:
            ctx.g, ctx.x_shape, ctx.arg, ctx.tiled = g, x.shape, None, None
        if _tiled(g) and not return_indices:
            out, idx = _tiled_max(xp, x4, g, grad)
            if grad:
                ctx.tiled = idx
            return out.reshape(g.out_shape)
        buf = _padded(xp, x4, g, float("-inf"))
        taps = _taps(g)
        out = _tap(buf, g, 0, 0).copy()
        for i, j in taps[1:]:
            xp.maximum(out, _tap(buf, g, i, j), out=out)  # NaN propagates, as in PyTorch
        arg = _argmax(xp, buf, out, g) if return_indices else None
        if grad:
            ctx.arg = arg
            if arg is None:
                # NOTE: a copy: PyTorch keeps no output here, so it may be written in place
                ctx.buf, ctx.out = buf, out.copy()
        out = out.reshape(g.out_shape)
        if not return_indices:
            return out
        # flat index into each input plane: (row * W + col) of the winning tap
        wide = arg.astype(xp.int64)
        rows = (xp.arange(g.oh) * g.sh - g.ph)[:, None] + (wide // g.kw) * g.dh
        cols = (xp.arange(g.ow) * g.sw - g.pw)[None, :] + (wide % g.kw) * g.dw
        return out, (rows * g.w + cols).reshape(g.out_shape)

    @staticmethod
    def backward(ctx, gout, gidx=None):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        xp = ctx.xp
        g, arg = ctx.g, ctx.arg
        gout = gout.reshape(g.n, g.c, g.oh, g.ow)
        if ctx.tiled is not None:
            return _tiled_grad(xp, ctx.tiled, gout, g).reshape(ctx.x_shape), None, None
        if arg is None and (xp is not _CPU_XP or xp.isnan(ctx.out).any()):
            arg = _argmax(xp, ctx.buf, ctx.out, g)
        if arg is None:
            gx = _first_max_grad(xp, ctx.buf, ctx.out, gout, g)
        else:
            gx = _arg_grad(xp, arg, gout, g)
        return _unpadded(xp, gx, g, ctx.x_shape), None, None


def _argmax(xp, buf, out, g: _PoolGeom):
    """(N, C, OH, OW) tap index of each window's maximum: the first one, or the last
    NaN in a window holding NaN (PyTorch's choice)."""
    taps = _taps(g)
    # NOTE: masked assignments (copyto/where) are slow on random masks; this is all
    # arithmetic on booleans instead. The first max sits after the run of taps
    # strictly below it.
    arg = xp.zeros(out.shape, dtype=_index_dtype(xp, len(taps)))
    below = xp.ones(out.shape, dtype=bool)
    less = xp.empty(out.shape, dtype=bool)
    for i, j in taps[:-1]:
        xp.less(_tap(buf, g, i, j), out, out=less)
        below &= less
        arg += below
    # a window holding NaN compares below nowhere (arg 0 so far); PyTorch picks its
    # last NaN: the largest k * isnan(tap k), which is 0 in NaN-free windows
    nan = xp.isnan(buf)
    last = xp.zeros(out.shape, dtype=arg.dtype)
    tap_k = xp.empty(out.shape, dtype=arg.dtype)
    for k, (i, j) in enumerate(taps[1:], start=1):
        xp.multiply(_tap(nan, g, i, j), arg.dtype.type(k), out=tap_k)
        xp.maximum(last, tap_k, out=last)
    arg += last
    return arg


def _grad_buffer(xp, g: _PoolGeom, dtype):
    """(N, C, Hb, Wb) gradient buffer: zeroed unless the windows tile it exactly."""
    tiled = (
        not _overlapping(g)
        and g.hb == g.h == g.oh * g.kh
        and g.wb == g.w == g.ow * g.kw
        and g.dh == g.dw == 1
    )
    shape = (g.n, g.c, g.hb, g.wb)
    return xp.empty(shape, dtype=dtype) if tiled else xp.zeros(shape, dtype=dtype)


def _first_max_grad(xp, buf, out, gout, g: _PoolGeom):
    """The (N, C, Hb, Wb) gradient: gout at each window's first tap equal to its max
    (NaN-free windows only: NaN equals nothing)."""
    gx = _grad_buffer(xp, g, gout.dtype)
    hit = xp.empty(out.shape, dtype=bool)
    taken = xp.empty(out.shape, dtype=bool)  # windows whose max an earlier tap held
    overlap = _overlapping(g)
    part = xp.empty(out.shape, dtype=gout.dtype) if overlap else None
    taps = _taps(g)
    # NOTE: gout * hit rather than where(hit, gout, 0) (slow on random masks); an
    # infinite upstream gradient turns the window's other taps into NaN
    for k, (i, j) in enumerate(taps):
        mask = taken if k == 0 else hit
        xp.equal(_tap(buf, g, i, j), out, out=mask)
        if k:
            xp.greater(hit, taken, out=hit)  # and no earlier tap: the first max only
            if k < len(taps) - 1:
                taken |= hit
        view = _tap(gx, g, i, j)
        if overlap:
            xp.multiply(gout, mask, out=part)
            view += part
        else:
            xp.multiply(gout, mask, out=view)
    return gx


def _arg_grad(xp, arg, gout, g: _PoolGeom):
    """The (N, C, Hb, Wb) gradient: gout at each window's tap ``arg``."""
    gx = _grad_buffer(xp, g, gout.dtype)
    hit = xp.empty(arg.shape, dtype=bool)
    overlap = _overlapping(g)
    part = xp.empty(arg.shape, dtype=gout.dtype) if overlap else None
    for k, (i, j) in enumerate(_taps(g)):
        xp.equal(arg, k, out=hit)
        view = _tap(gx, g, i, j)
        if overlap:
            xp.multiply(gout, hit, out=part)
            view += part
        else:
            xp.multiply(gout, hit, out=view)
    return gx


# -- average pooling --------------------------------------------------------------------


def _divisor_1d(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> list:
    """Per-output window sizes along one axis (PyTorch's avg_pool2d rule)."""
    out = []
    for o in range(n_out):
        start = o * s - p
        end = min(start + k, size + p)
        if include_pad:
            out.append(end - start)
        else:
            out.append(min(end, size) - max(start, 0))
    return out


class AvgPool2d(_Op):
    @staticmethod
    def forward(ctx, x, g, count_include_pad, divisor_override):
        xp = ctx.xp
        buf = _padded(xp, x.reshape(g.n, g.c, g.h, g.w), g, 0.0)
        taps = _taps(g)
        out = _tap(buf, g, 0, 0).copy()
        for i, j in taps[1:]:
            out += _tap(buf, g, i, j)
        if divisor_override:
            div = divisor_override
        else:
            rows = _divisor_1d(g.h, g.kh, g.sh, g.ph, g.oh, count_include_pad)
            cols = _divisor_1d(g.w, g.kw, g.sw, g.pw, g.ow, count_include_pad)
            if len(set(rows)) == 1 and len(set(cols)) == 1:
                div = rows[0] * cols[0]
            else:  # (OH, 1) x (1, OW) window sizes
                div = xp.asarray(rows, dtype=x.dtype)[:, None] * xp.asarray(cols, dtype=x.dtype)
        out /= div
        ctx.g, ctx.div, ctx.x_shape = g, div, x.shape
        return out.reshape(g.out_shape)

    @staticmethod
    def backward(ctx, gout):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        xp = ctx.xp
        g = ctx.g
        share = gout.reshape(g.n, g.c, g.oh, g.ow) / ctx.div
        buf = xp.zeros((g.n, g.c, g.hb, g.wb), dtype=gout.dtype)
        overlap = _overlapping(g)
        for i, j in _taps(g):
            view = _tap(buf, g, i, j)
            if overlap:
                view += share
            else:
                view[...] = share
        return _unpadded(xp, buf, g, ctx.x_shape), None, None, None


# -- adaptive average pooling -----------------------------------------------------------


def _bins(xp, size: int, n_out: int, dtype):
    """(n_out, size) averaging matrix: row i averages [floor(i*size/n), ceil((i+1)*size/n))."""
    i = xp.arange(n_out)[:, None]
    start = (i * size) // n_out
    end = ((i + 1) * size + n_out - 1) // n_out
    j = xp.arange(size)[None, :]
    inside = (j >= start) & (j < end)
    return (inside / (end - start)).astype(dtype)


class AdaptiveAvgPool2d(_Op):
    """Mean over PyTorch's adaptive bins: a reshape-mean when they tile the input
    evenly, otherwise two small averaging matmuls (rows, then columns)."""

    @staticmethod
    def forward(ctx, x, shape4, out_shape):
        xp = ctx.xp
        n, c, h, w, oh, ow = shape4
        x4 = x.reshape(n, c, h, w)
        ctx.shape4, ctx.x_shape = shape4, x.shape
        if oh and ow and h % oh == 0 and w % ow == 0:
            if oh == ow == 1:
                out = x4.mean(axis=(2, 3), keepdims=True)
            else:
                out = x4.reshape(n, c, oh, h // oh, ow, w // ow).mean(axis=(3, 5))
            ctx.a = None
        else:
            ah, aw = _bins(xp, h, oh, x.dtype), _bins(xp, w, ow, x.dtype)
            # (N, C, H, W) x (W, OW) -> (N, C, H, OW); (OH, H) x (N, C, H, OW) -> (N, C, OH, OW)
            out = xp.matmul(ah, xp.matmul(x4, aw.T))
            ctx.a = (ah, aw)
        return out.reshape(out_shape)

    @staticmethod
    def backward(ctx, gout):
        if not ctx.needs_input_grad[0]:
            return None, None, None
        xp = ctx.xp
        n, c, h, w, oh, ow = ctx.shape4
        g4 = gout.reshape(n, c, oh, ow)
        if ctx.a is None:
            kh, kw = h // oh, w // ow
            gx = xp.empty((n, c, oh, kh, ow, kw), dtype=gout.dtype)
            gx[...] = (g4 * (1.0 / (kh * kw)))[:, :, :, None, :, None]
        else:
            ah, aw = ctx.a
            # (H, OH) x (N, C, OH, OW) x (OW, W) -> (N, C, H, W)
            gx = xp.matmul(ah.T, xp.matmul(g4, aw))
        return gx.reshape(ctx.x_shape), None, None


# -- padding -----------------------------------------------------------------------------


def _runs(index: list) -> list:
    """Split an output->source index map into runs (o0, o1, s0, step), step in -1, 0, 1,
    so that each run is one slice of the source."""
    runs = []
    o = 0
    while o < len(index):
        end = o + 1
        step = index[end] - index[o] if end < len(index) else 1
        if step not in (-1, 0, 1):
            step = 1
        else:
            while end < len(index) and index[end] - index[end - 1] == step:
                end += 1
        runs.append((o, end, index[o], step))
        o = end
    return runs


def _source(s0: int, length: int, step: int) -> slice:
    if step == 1:
        return slice(s0, s0 + length)
    if step == 0:
        return slice(s0, s0 + 1)
    stop = s0 - length
    return slice(s0, stop if stop >= 0 else None, -1)


def _index_map(n: int, lo: int, hi: int, mode: str) -> list:
    """Source index of each output position along one padded axis."""
    if mode == "circular":  # crop first, then wrap around what is left (PyTorch)
        base = max(-lo, 0)
        kept = n - base - max(-hi, 0)
        return [base + (o - max(lo, 0)) % kept for o in range(n + lo + hi)]
    out = []
    for o in range(n + lo + hi):
        s = o - lo
        if s < 0:
            s = -s if mode == "reflect" else 0
        elif s >= n:
            s = 2 * (n - 1) - s if mode == "reflect" else n - 1
        out.append(s)
    return out


def _border_runs(n: int, lo: int, hi: int, mode: str) -> list:
    """The runs of the lo and hi border outputs only (non-negative pads)."""
    index = _index_map(n, lo, hi, mode)
    right = [(o0 + lo + n, o1 + lo + n, s0, st) for o0, o1, s0, st in _runs(index[lo + n :])]
    return _runs(index[:lo]) + right


class Pad(_Op):
    """F.pad: constant (with cropping for negative pads), reflect, replicate, circular."""

    @staticmethod
    def forward(ctx, x, pads, mode, value):
        # pads: ((axis, lo, hi), ...) for the padded axes, the last axis first
        xp = ctx.xp
        ctx.x_shape, ctx.pads, ctx.mode = x.shape, pads, mode
        shape = list(x.shape)
        dst = [slice(None)] * x.ndim
        src = [slice(None)] * x.ndim
        for axis, lo, hi in pads:
            n = x.shape[axis]
            shape[axis] = n + lo + hi
            dst[axis] = slice(max(lo, 0), max(lo, 0) + n - max(-lo, 0) - max(-hi, 0))
            src[axis] = slice(max(-lo, 0), n - max(-hi, 0))
        ctx.slices = (tuple(dst), tuple(src))
        ctx.cropped = any(lo < 0 or hi < 0 for _, lo, hi in pads)
        if mode == "constant":
            out = xp.full(shape, value, dtype=x.dtype)
            out[tuple(dst)] = x[tuple(src)]
            return out
        if ctx.cropped:
            return Pad._forward_by_axis(ctx, x)
        # one output: the input in the middle, then each axis' borders copied from
        # what is already filled (axes done so far at full length, the rest centred)
        out = xp.empty(shape, dtype=x.dtype)
        out[tuple(dst)] = x
        region = list(dst)
        plan = []
        for axis, lo, hi in pads:
            n = x.shape[axis]
            border = _border_runs(n, lo, hi, mode)
            for o0, o1, s0, step in border:
                to, frm = list(region), list(region)
                to[axis] = slice(o0, o1)
                frm[axis] = _source(s0 + lo, o1 - o0, step)
                out[tuple(to)] = out[tuple(frm)]
            region[axis] = slice(None)
            plan.append((axis, n, lo, border))
        ctx.plan = plan
        return out

    @staticmethod
    def _forward_by_axis(ctx, x):
        """Any pads, negative included: one axis at a time through its index map."""
        xp = ctx.xp
        plan = []
        for axis, lo, hi in ctx.pads:
            n = x.shape[axis]
            runs = _runs(_index_map(n, lo, hi, ctx.mode))
            out = xp.empty(x.shape[:axis] + (n + lo + hi,) + x.shape[axis + 1 :], dtype=x.dtype)
            lead = (slice(None),) * axis
            for o0, o1, s0, step in runs:
                out[lead + (slice(o0, o1),)] = x[lead + (_source(s0, o1 - o0, step),)]
            plan.append((axis, n, runs))
            x = out
        ctx.plan = plan
        return x

    @staticmethod
    def backward(ctx, gout):
        if not ctx.needs_input_grad[0]:
            return None, None, None, None
        xp = ctx.xp
        dst, src = ctx.slices
        if ctx.mode == "constant":
            if not ctx.cropped:
                return xp.ascontiguousarray(gout[dst]), None, None, None
            gx = xp.zeros(ctx.x_shape, dtype=gout.dtype)
            gx[src] = gout[dst]
            return gx, None, None, None
        g = gout
        if not ctx.cropped:
            # undo the axes in reverse: keep the centre, add each border onto its source
            for axis, n, lo, border in reversed(ctx.plan):
                lead = (slice(None),) * axis
                centre = xp.ascontiguousarray(g[lead + (slice(lo, lo + n),)])
                for o0, o1, s0, step in border:
                    part = g[lead + (slice(o0, o1),)]
                    if step == 0 and o1 - o0 > 1:
                        part = part.sum(axis=axis, keepdims=True)
                    centre[lead + (_source(s0, o1 - o0, step),)] += part
                g = centre
            return g, None, None, None
        for axis, n, runs in reversed(ctx.plan):
            gx = xp.zeros(g.shape[:axis] + (n,) + g.shape[axis + 1 :], dtype=g.dtype)
            lead = (slice(None),) * axis
            for o0, o1, s0, step in runs:
                part = g[lead + (slice(o0, o1),)]
                if step == 0 and o1 - o0 > 1:
                    part = part.sum(axis=axis, keepdims=True)
                gx[lead + (_source(s0, o1 - o0, step),)] += part
            g = gx
        return g, None, None, None


# -- nn.functional entry points -----------------------------------------------------------


def max_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """2-D max pooling over (N, C, H, W) or (C, H, W); padding counts as -inf."""
    g = _pool_geometry("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode)
    return MaxPool2d.apply(input, g, bool(return_indices))


def avg_pool2d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """2-D average pooling over (N, C, H, W) or (C, H, W)."""
    g = _pool_geometry("avg_pool2d", input, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    return AvgPool2d.apply(input, g, bool(count_include_pad), divisor_override)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """Average pooling to a fixed output size (None keeps that input dimension)."""
    name = "adaptive_avg_pool2d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (3, 4):
        raise RuntimeError(
            f"{name}(): Expected 3D or 4D tensor, but got [{', '.join(map(str, input.shape))}]"
        )
    if any(s == 0 for s in input.shape[-3:]):
        raise RuntimeError(
            f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
            f"input has sizes [{', '.join(map(str, input.shape))}]"
        )
    if not input.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating-point input, but got {input.dtype}")
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    output_size = tuple(output_size)
    if len(output_size) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    batched = input.ndim == 4
    n, c, h, w = input.shape if batched else (1, *input.shape)
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if oh < 0 or ow < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0")
    out_shape = (n, c, oh, ow) if batched else (c, oh, ow)
    return AdaptiveAvgPool2d.apply(input, (n, c, h, w, oh, ow), out_shape)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input: Tensor, pad, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or, with negative sizes, crop) the last len(pad)//2 dims; pad lists the last
    dim first: (left, right, top, bottom, ...)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"pad(): argument 'input' must be Tensor, not {type(input).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > input.ndim:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension "
            f"but got padding length {len(pad)} and input of dimension {input.ndim}"
        )
    if mode not in _PAD_MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    shape = tuple(input.shape)
    pads = tuple((input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]) for i in range(k))
    if mode == "constant":
        for axis, lo, hi in pads:
            if shape[axis] + lo + hi < 0:
                raise RuntimeError(
                    f"pad: padding ({lo}, {hi}) leaves dimension {axis} of input "
                    f"{list(shape)} with a negative size"
                )
        return Pad.apply(input, pads, mode, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or input.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor."
        )
    for axis, lo, hi in pads:
        n = shape[axis]
        if n == 0:
            raise RuntimeError(
                f"pad: {mode} padding needs a non-empty dimension {axis}, but input has "
                f"size {list(shape)}"
            )
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(
                "Argument #4: Padding size should be less than the corresponding input "
                f"dimension, but got: padding ({lo}, {hi}) at dimension {axis} of input "
                f"{list(shape)}"
            )
        if mode == "circular":
            kept = n - max(-lo, 0) - max(-hi, 0)
            if lo > kept or hi > kept or kept <= 0:
                raise RuntimeError("Padding value causes wrapping around more than once.")
        if n + lo + hi < 0:
            raise RuntimeError(
                f"pad: padding ({lo}, {hi}) leaves dimension {axis} of input "
                f"{list(shape)} with a negative size"
            )
    return Pad.apply(input, pads, mode, None)
