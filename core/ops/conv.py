"""Convolutions: conv1d, conv2d and conv_transpose2d, each one fused Function.

All three run on one im2col machinery over a padded, channel-major buffer
(C, n, Hb, Wb):

- ``_im2col`` copies, for each kernel tap (i, j), the input under that tap at every
  output position into one row block of a column matrix (C*kh*kw, n*OH*Wg); the
  convolution is then a single matmul with the (F, C*kh*kw) weight matrix.
- ``_col2im`` is its adjoint: it adds each tap's row block back onto the buffer.
  It gives conv2d's input gradient and conv_transpose2d's forward.

A tap's view is a flat shift of the buffer: with a column stride of 1, output row
``oh`` of tap (i, j) starts at ``(oh*sh + i*dh)*Wb + j*dw`` and runs Wb elements,
so each copy or add moves whole buffer rows. The last (Wb - OW) "garbage" columns of
every grid row are computed and dropped (their upstream gradient is zero), which is
far cheaper than copying OW-element pieces one by one.

The batch runs in chunks whose column matrix stays near ``_CHUNK`` elements, in
per-thread scratch buffers: memory stays bounded and warm, and no multi-megabyte
array is freshly allocated (page-faulted) on every call. Backward recomputes the
column matrix from the saved input rather than keeping it alive between the passes.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from core import backend as _backend
from core.autograd.function import RawFunction as _Op
from core.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose2d"]


# -- geometry -------------------------------------------------------------------------


class _Geom(NamedTuple):
    """Shapes of one convolution, in 2-D terms (conv1d has H = kh = 1)."""

    n: int
    c: int  # input channels
    h: int
    w: int
    f: int  # output channels
    kh: int
    kw: int
    groups: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int  # padding: top, bottom, left, right
    pb: int
    pl: int
    pr: int
    oh: int
    ow: int
    hb: int  # rows and columns of the padded buffer
    wb: int
    wg: int  # grid columns per output row: wb (garbage beyond ow) when sw == 1, else ow
    out_shape: tuple  # the caller's output shape (unbatched / 1-D forms)


def _geom(n, c, h, w, f, kh, kw, groups, stride, dilation, pads, oh, ow, out_shape) -> _Geom:
    sh, sw = stride
    dh, dw = dilation
    pt, pb, pl, pr = pads
    wb = w + pl + pr
    # every tap's run of oh*sh rows must fit in the buffer (see _window)
    hb = max(h + pt + pb, oh * sh + (kh - 1) * dh + 1)
    wg = wb if sw == 1 else ow
    return _Geom(
        n, c, h, w, f, kh, kw, groups, sh, sw, dh, dw, pt, pb, pl, pr, oh, ow, hb, wb, wg, out_shape
    )


_CHUNK = 1 << 20  # column-matrix elements per batch chunk (4 MiB in float32)


def _batches(g: _Geom) -> list:
    """[(n0, n1), ...]: batch ranges whose column matrix is about _CHUNK elements."""
    per_image = g.c * g.kh * g.kw * g.oh * g.wg
    step = max(1, _CHUNK // max(per_image, 1))
    return [(n0, min(n0 + step, g.n)) for n0 in range(0, g.n, step)]


# -- scratch buffers ------------------------------------------------------------------


class _Scratch(threading.local):
    """One reusable buffer per role ("buf", "cols", "grid") and thread, numpy only.

    NOTE: a fresh multi-megabyte numpy array costs a page fault per 4 KiB page on every
    call; reused buffers stay mapped and warm in cache. CuPy pools its memory itself.
    Views handed out are only valid until the next request for the same role.
    """

    def __init__(self) -> None:
        self.buffers: dict = {}

    def get(self, xp, role: str, shape: tuple, dtype):
        if xp is not _backend.CPU.xp:
            return xp.empty(shape, dtype=dtype)
        size = 1
        for s in shape:
            size *= s
        nbytes = size * xp.dtype(dtype).itemsize
        buf = self.buffers.get(role)
        if buf is None or buf.nbytes < nbytes:
            buf = self.buffers[role] = xp.empty(max(nbytes, 64), dtype=xp.uint8)
        return buf[:nbytes].view(dtype).reshape(shape)


_scratch = _Scratch()


# -- im2col / col2im --------------------------------------------------------------------


def _window(buf, g: _Geom, i: int, j: int):
    """(A, B, OH, Wg) view of buf (A, B, Hb, Wb): the element under tap (i, j) for
    every output position. A writable view (plain slicing and reshapes only)."""
    a, b = buf.shape[0], buf.shape[1]
    start = i * g.dh * g.wb + j * g.dw
    run = buf.reshape(a, b, g.hb * g.wb)[:, :, start : start + g.oh * g.sh * g.wb]
    rows = run.reshape(a, b, g.oh, g.sh * g.wb)
    if g.sw == 1:
        return rows[:, :, :, : g.wb]
    return rows[:, :, :, : (g.ow - 1) * g.sw + 1 : g.sw]


def _im2col(xp, x, g: _Geom):
    """(n, C, H, W) -> column matrix (C*kh*kw, n*OH*Wg), in scratch."""
    n = x.shape[0]
    buf = _scratch.get(xp, "buf", (g.c, n, g.hb, g.wb), x.dtype)
    cols = _scratch.get(xp, "cols", (g.c, g.kh, g.kw, n, g.oh, g.wg), x.dtype)
    top, left = g.pt + g.h, g.pl + g.w
    buf[:, :, : g.pt] = 0  # the border only: the interior is overwritten
    buf[:, :, top:] = 0
    buf[:, :, g.pt : top, : g.pl] = 0
    buf[:, :, g.pt : top, left:] = 0
    buf[:, :, g.pt : top, g.pl : left] = x.transpose(1, 0, 2, 3)
    for i in range(g.kh):
        for j in range(g.kw):
            cols[:, i, j] = _window(buf, g, i, j)
    return cols.reshape(g.c * g.kh * g.kw, n * g.oh * g.wg)


def _col2im(xp, cols, g: _Geom, out) -> None:
    """Adjoint of _im2col: (C*kh*kw, n*OH*Wg) -> out (n, C, H, W), overlaps summed."""
    n = out.shape[0]
    cols = cols.reshape(g.c, g.kh, g.kw, n, g.oh, g.wg)
    buf = _scratch.get(xp, "buf", (g.c, n, g.hb, g.wb), cols.dtype)
    buf[...] = 0
    for i in range(g.kh):
        for j in range(g.kw):
            view = _window(buf, g, i, j)
            view += cols[:, i, j]
    out[...] = buf[:, :, g.pt : g.pt + g.h, g.pl : g.pl + g.w].transpose(1, 0, 2, 3)


def _to_grid(xp, y, g: _Geom):
    """(n, F, OH, OW) -> (F, n*OH*Wg) in scratch, garbage columns zero."""
    n, f = y.shape[0], y.shape[1]
    grid = _scratch.get(xp, "grid", (f, n, g.oh, g.wg), y.dtype)
    if g.wg > g.ow:
        grid[:, :, :, g.ow :] = 0
    grid[:, :, :, : g.ow] = y.transpose(1, 0, 2, 3)
    return grid.reshape(f, n * g.oh * g.wg)


def _from_grid(xp, grid, g: _Geom, out) -> None:
    """(F, n*OH*Wg) -> out (n, F, OH, OW)."""
    grid = grid.reshape(grid.shape[0], out.shape[0], g.oh, g.wg)
    out[...] = grid[:, :, :, : g.ow].transpose(1, 0, 2, 3)


# -- grouped products ----------------------------------------------------------------
# weights as matrices: w2 (F, Cg*kh*kw); columns: (C*kh*kw, L) with L = n*OH*Wg


def _w_cols(xp, w2, cols, groups: int):
    """(F, Cg*kh*kw) x (C*kh*kw, L) -> (F, L) in the "grid" scratch, group by group."""
    f, k = w2.shape
    out = _scratch.get(xp, "grid", (f, cols.shape[1]), cols.dtype)
    if groups == 1:
        return xp.matmul(w2, cols, out=out)
    # (G, F/G, Cg*kh*kw) x (G, Cg*kh*kw, L) -> (G, F/G, L)
    fg = f // groups
    xp.matmul(
        w2.reshape(groups, fg, k), cols.reshape(groups, k, -1), out=out.reshape(groups, fg, -1)
    )
    return out


def _wt_grid(xp, w2, grid, groups: int):
    """(F, Cg*kh*kw)^T x (F, L) -> (C*kh*kw, L) in the "cols" scratch, group by group."""
    f, k = w2.shape
    out = _scratch.get(xp, "cols", (groups * k, grid.shape[1]), grid.dtype)
    if groups == 1:
        return xp.matmul(w2.T, grid, out=out)
    # (G, Cg*kh*kw, F/G) x (G, F/G, L) -> (G, Cg*kh*kw, L)
    fg = f // groups
    wt = w2.reshape(groups, fg, k).transpose(0, 2, 1)
    xp.matmul(wt, grid.reshape(groups, fg, -1), out=out.reshape(groups, k, -1))
    return out


def _grid_colst(xp, grid, cols, groups: int):
    """(F, L) x (C*kh*kw, L)^T -> (F, Cg*kh*kw): one chunk's weight gradient."""
    f = grid.shape[0]
    if groups == 1:
        # NOTE: (C*kh*kw, L) x (L, F) then a tiny transpose beats (F, L) x (L, C*kh*kw)
        # in OpenBLAS when L is long
        return (cols @ grid.T).T
    k = cols.shape[0] // groups
    fg = f // groups
    # (G, Cg*kh*kw, L) x (G, L, F/G) -> (G, Cg*kh*kw, F/G)
    gwt = xp.matmul(cols.reshape(groups, k, -1), grid.reshape(groups, fg, -1).transpose(0, 2, 1))
    return gwt.transpose(0, 2, 1).reshape(f, k)


def _reshaped(a, shape):
    """a in the given shape; the array itself when it already has it (a view would make
    the engine copy a gradient it could keep)."""
    return a if a.shape == shape else a.reshape(shape)


# -- Functions ------------------------------------------------------------------------


class Conv2d(_Op):
    """Cross-correlation (PyTorch's conv2d): im2col + one matmul per group."""

    @staticmethod
    def forward(ctx, x, weight, bias, g):
        xp = ctx.xp
        x4 = x.reshape(g.n, g.c, g.h, g.w)
        w2 = weight.reshape(g.f, -1)
        y = xp.empty((g.n, g.f, g.oh, g.ow), dtype=x.dtype)
        for n0, n1 in _batches(g):
            cols = _im2col(xp, x4[n0:n1], g)  # (C*kh*kw, L), L = n*OH*Wg
            out = _w_cols(xp, w2, cols, g.groups)  # (F, Cg*kh*kw) x (C*kh*kw, L) -> (F, L)
            if bias is not None:
                out += bias[:, None]
            _from_grid(xp, out, g, y[n0:n1])
        nx, nw = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.g, ctx.x_shape, ctx.w_shape = g, x.shape, weight.shape
        ctx.x4 = x4 if nw else None
        ctx.w2 = w2 if nx else None
        return _reshaped(y, g.out_shape)

    @staticmethod
    def backward(ctx, gout):
        xp = ctx.xp
        g = ctx.g
        nx, nw, nb = ctx.needs_input_grad[:3]
        g4 = gout.reshape(g.n, g.f, g.oh, g.ow)
        if not (nx or nw):
            return None, None, g4.sum(axis=(0, 2, 3)) if nb else None, None
        gx = xp.empty((g.n, g.c, g.h, g.w), dtype=gout.dtype) if nx else None
        gw = xp.zeros(ctx.w_shape, dtype=gout.dtype).reshape(g.f, -1) if nw else None
        gb = xp.zeros(g.f, dtype=gout.dtype) if nb else None
        for n0, n1 in _batches(g):
            grid = _to_grid(xp, g4[n0:n1], g)  # (F, L)
            if nb:
                gb += grid.sum(axis=1)  # garbage columns are zero
            if nw:
                cols = _im2col(xp, ctx.x4[n0:n1], g)  # (C*kh*kw, L), recomputed
                gw += _grid_colst(xp, grid, cols, g.groups)  # (F, L) x (L, C*kh*kw)
            if nx:
                # (F, Cg*kh*kw)^T x (F, L) -> (C*kh*kw, L), scattered back onto the input
                _col2im(xp, _wt_grid(xp, ctx.w2, grid, g.groups), g, gx[n0:n1])
        if nx:
            gx = _reshaped(gx, ctx.x_shape)
        if nw:
            gw = gw.reshape(ctx.w_shape)
        return gx, gw, gb, None


class Conv1d(Conv2d):
    """conv1d: Conv2d on (N, C, 1, L); recorded under its own name."""


class ConvTranspose2d(_Op):
    """The adjoint of conv2d w.r.t. its input: col2im forward, im2col backward.

    ``g`` describes the adjoint convolution: its input is this op's output
    (N, C_out, H_out, W_out) and its output grid is this op's input (N, C_in, H, W).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, g):
        xp = ctx.xp
        x4 = x.reshape(g.n, g.f, g.oh, g.ow)
        w2 = weight.reshape(g.f, -1)  # (C_in, C_out/G*kh*kw)
        y = xp.empty((g.n, g.c, g.h, g.w), dtype=x.dtype)  # (N, C_out, H_out, W_out)
        for n0, n1 in _batches(g):
            grid = _to_grid(xp, x4[n0:n1], g)  # (C_in, L), L = n*H*Wg
            # (C_in, C_out/G*kh*kw)^T x (C_in, L) -> (C_out*kh*kw, L)
            _col2im(xp, _wt_grid(xp, w2, grid, g.groups), g, y[n0:n1])
        if bias is not None:
            y += bias[:, None, None]
        nx, nw = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.g, ctx.x_shape, ctx.w_shape = g, x.shape, weight.shape
        ctx.x4 = x4 if nw else None
        ctx.w2 = w2 if nx else None
        return _reshaped(y, g.out_shape)

    @staticmethod
    def backward(ctx, gout):
        xp = ctx.xp
        g = ctx.g
        nx, nw, nb = ctx.needs_input_grad[:3]
        g4 = gout.reshape(g.n, g.c, g.h, g.w)
        gb = g4.sum(axis=(0, 2, 3)) if nb else None
        if not (nx or nw):
            return None, None, gb, None
        gx = xp.empty((g.n, g.f, g.oh, g.ow), dtype=gout.dtype) if nx else None
        gw = xp.zeros(ctx.w_shape, dtype=gout.dtype).reshape(g.f, -1) if nw else None
        for n0, n1 in _batches(g):
            cols = _im2col(xp, g4[n0:n1], g)  # (C_out*kh*kw, L)
            if nx:
                # (C_in, C_out/G*kh*kw) x (C_out*kh*kw, L) -> (C_in, L)
                _from_grid(xp, _w_cols(xp, ctx.w2, cols, g.groups), g, gx[n0:n1])
            if nw:
                grid = _to_grid(xp, ctx.x4[n0:n1], g)  # (C_in, L)
                gw += _grid_colst(xp, grid, cols, g.groups)  # (C_in, L) x (L, C_out/G*kh*kw)
        if nx:
            gx = _reshaped(gx, ctx.x_shape)
        if nw:
            gw = gw.reshape(ctx.w_shape)
        return gx, gw, gb, None


# -- argument checks (PyTorch's messages) ---------------------------------------------


def _size(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tuple(value, nd: int, what: str) -> tuple:
    if isinstance(value, int):
        return (value,) * nd
    value = tuple(value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd or not all(isinstance(v, int) for v in value):
        raise RuntimeError(
            f"expected {what} to be a single integer value or a list of {nd} values to "
            f"match the convolution dimensions, but got {what}={list(value)}"
        )
    return value


def _check_tensors(name, nd, input, weight, bias, transposed=False):
    """Ranks, dtypes and bias of a convolution's operands."""
    for what, t in (("input", input), ("weight", weight), ("bias", bias)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(t).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, "
            f"but got input of size: {_size(input.shape)}"
        )
    if weight.ndim != nd + 2:
        layout = (
            "(in_channels, out_channels/groups"
            if transposed
            else "(out_channels, in_channels/groups"
        )
        kernel = ", kL)" if nd == 1 else ", kH, kW)"
        raise RuntimeError(
            f"{name}: expected a {nd + 2}-D weight {layout}{kernel}, but got weight of size "
            f"{_size(weight.shape)}"
        )
    if not input.is_floating_point() or input.dtype != weight.dtype:
        raise RuntimeError(
            f"{name}: input type ({input.dtype}) and weight type ({weight.dtype}) should be "
            "the same floating-point type"
        )
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(
            f"{name}: input type ({input.dtype}) and bias type ({bias.dtype}) should be the same"
        )


def _check_stride_dilation(stride: tuple, dilation: tuple) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("non-positive dilation is not supported")


def _check_groups(groups: int, weight_shape) -> None:
    if not isinstance(groups, int) or groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if weight_shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at "
            f"dimension 0, but got weight of size {_size(weight_shape)} instead"
        )


def _check_bias(bias, weight_shape, n_out: int) -> None:
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != n_out):
        raise RuntimeError(
            f"Given weight of size {_size(weight_shape)}, expected bias to be 1-dimensional "
            f"with {n_out} elements, but got bias of size {_size(bias.shape)} instead"
        )


def _conv_geometry(name, nd, input, weight, bias, stride, padding, dilation, groups) -> _Geom:
    _check_tensors(name, nd, input, weight, bias)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    _check_stride_dilation(stride, dilation)
    _check_groups(groups, weight.shape)
    batched = input.ndim == nd + 2
    x_shape = tuple(input.shape) if batched else (1, *input.shape)
    n, c, *spatial = x_shape
    f, cg, *kernel = weight.shape
    if c != cg * groups:
        shown = _size(x_shape if batched else input.shape)
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_size(weight.shape)}, expected "
            f"input{shown} to have {cg * groups} channels, but got {c} channels instead"
        )
    _check_bias(bias, weight.shape, f)
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            # total d*(k-1); PyTorch puts the odd one on the right/bottom
            totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
            pads = [(t // 2, t - t // 2) for t in totals]
        else:
            raise RuntimeError(f"Invalid padding string: {padding!r}")
    else:
        padding = _tuple(padding, nd, "padding")
        if any(p < 0 for p in padding):
            raise RuntimeError("negative padding is not supported")
        pads = [(p, p) for p in padding]
    padded = [s + lo + hi for s, (lo, hi) in zip(spatial, pads, strict=True)]
    effective = [d * (k - 1) + 1 for d, k in zip(dilation, kernel, strict=True)]
    if any(e > p for e, p in zip(effective, padded, strict=True)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
            f"Kernel size: ({' x '.join(map(str, effective))}). Kernel size can't be greater "
            "than actual input size"
        )
    outs = [(p - e) // s + 1 for p, e, s in zip(padded, effective, stride, strict=True)]
    out_shape = (n, f, *outs) if batched else (f, *outs)
    if nd == 1:  # as 2-D with a unit height
        spatial, kernel, outs = [1, *spatial], [1, *kernel], [1, *outs]
        stride, dilation, pads = (1, *stride), (1, *dilation), [(0, 0), *pads]
    (pt, pb), (pl, pr) = pads
    return _geom(
        n, c, *spatial, f, *kernel, groups, stride, dilation, (pt, pb, pl, pr), *outs, out_shape
    )


# -- nn.functional entry points --------------------------------------------------------


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation over (N, C, H, W) or unbatched (C, H, W) input."""
    g = _conv_geometry("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)
    return Conv2d.apply(input, weight, bias, g)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    dilation=1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over (N, C, L) or unbatched (C, L) input."""
    g = _conv_geometry("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)
    return Conv1d.apply(input, weight, bias, g)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
) -> Tensor:
    """Transposed 2-D convolution (the gradient of conv2d w.r.t. its input)."""
    name = "conv_transpose2d"
    _check_tensors(name, 2, input, weight, bias, transposed=True)
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    sh, sw = stride = _tuple(stride, 2, "stride")
    ph, pw = padding = _tuple(padding, 2, "padding")
    oph, opw = output_padding = _tuple(output_padding, 2, "output_padding")
    dh, dw = dilation = _tuple(dilation, 2, "dilation")
    _check_stride_dilation(stride, dilation)
    if min(padding) < 0 or min(output_padding) < 0:
        raise RuntimeError("negative padding is not supported")
    if not (oph < sh or oph < dh) or not (opw < sw or opw < dw):
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oph} output_padding_width: {opw} stride_height: {sh} "
            f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}"
        )
    _check_groups(groups, weight.shape)
    batched = input.ndim == 4
    n, c_in, h, w = input.shape if batched else (1, *input.shape)
    wc_in, c_out_g, kh, kw = weight.shape
    if c_in != wc_in:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size(weight.shape)}, expected "
            f"input{_size(input.shape)} to have {wc_in} channels, but got {c_in} channels "
            "instead"
        )
    c_out = c_out_g * groups
    _check_bias(bias, weight.shape, c_out)
    h_out = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    w_out = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if h_out <= 0 or w_out <= 0:
        raise RuntimeError(
            f"Given input size per channel: ({h} x {w}). Calculated output size per "
            f"channel: ({h_out} x {w_out}). Output size is too small"
        )
    out_shape = (n, c_out, h_out, w_out) if batched else (c_out, h_out, w_out)
    # the adjoint conv2d: input (N, C_out, H_out, W_out), weight (C_in, C_out/G, kh, kw),
    # output grid (N, C_in, H, W)
    g = _geom(
        n, c_out, h_out, w_out, c_in, kh, kw, groups, stride, dilation, (ph, ph, pw, pw),
        h, w, out_shape,
    )  # fmt: skip
    return ConvTranspose2d.apply(input, weight, bias, g)
