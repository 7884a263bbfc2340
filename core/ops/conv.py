"""Convolutions: conv1d, conv2d and conv_transpose2d, each one fused Function.

All three run on one im2col machinery (conv1d is conv2d on a unit height):

- ``_im2col`` copies the input under each kernel tap at every output position into a
  column matrix (one strided-view copy); the convolution is then a matmul with the
  (F, C*kh*kw) weight matrix, and the weight gradient the product of the same columns
  with the output gradient. The forward keeps its columns for that (in a pooled
  buffer, see ``_Pool``) unless the batch needs several chunks.
- the input gradient (and conv_transpose2d's forward) is the adjoint: the transposed
  weights times the output gradient give each tap's block, added back under the tap.
- conv_transpose2d's backward is conv2d's forward and weight gradient.

NOTE: numpy pays for every contiguous run it walks, not just per element: copying or
adding (N, C, OH, OW) blocks run by run costs about as much per run of OW elements as
for dozens of elements (more than a matmul's flops at LeNet sizes). So the work runs
in one of two layouts, whichever walks fewer runs for its transposes
(``_batch_inner``): batch-major, the arrays' own, or batch-innermost, with runs N times
longer. Batch-major stride-1 input gradients add each tap with one flat shift (see
``_col2im_major``).

Large batches run in chunks of about ``_CHUNK`` column elements, in per-thread scratch
buffers: memory stays bounded, and no multi-megabyte array is freshly allocated (page
faulted) on every call.
"""

from __future__ import annotations

import math
import sys
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
    hp: int  # rows and columns of the padded input
    wp: int
    out_shape: tuple  # the caller's output shape (unbatched / 1-D forms)


def _geom(n, c, h, w, f, kh, kw, groups, stride, dilation, pads, oh, ow, out_shape) -> _Geom:
    sh, sw = stride
    dh, dw = dilation
    pt, pb, pl, pr = pads
    hp, wp = h + pt + pb, w + pl + pr
    return _Geom(
        n, c, h, w, f, kh, kw, groups, sh, sw, dh, dw, pt, pb, pl, pr, oh, ow, hp, wp, out_shape
    )


_CHUNK = 1 << 21  # column elements per batch chunk (8 MiB in float32)


def _chunks(n: int, per_image: int) -> list:
    """[(n0, n1), ...]: even batch ranges of about _CHUNK elements at per_image each."""
    parts = min(n, max(1, -(-n * per_image // _CHUNK)))
    step = -(-n // parts)
    return [(n0, min(n0 + step, n)) for n0 in range(0, n, step)]


def _cols_size(g: _Geom) -> int:
    """Column-matrix elements per image."""
    return g.c * g.kh * g.kw * g.oh * g.ow


def _tap_offsets(g: _Geom) -> list:
    """Flat offset of each tap (row-major over kh, kw) in the padded (Hp, Wp) grid."""
    return [i * g.dh * g.wp + j * g.dw for i in range(g.kh) for j in range(g.kw)]


# -- buffers --------------------------------------------------------------------------

_CPU_XP = _backend.CPU.xp


class _Scratch(threading.local):
    """One reusable buffer per role and thread, numpy only (CuPy pools its memory).

    NOTE: a fresh multi-megabyte numpy array costs a page fault per 4 KiB page on every
    call; reused buffers stay mapped and warm in cache. Views handed out are only
    valid until the next request for the same role.
    """

    def __init__(self) -> None:
        self.buffers: dict = {}

    def get(self, xp, role: str, shape: tuple, dtype):
        if xp is not _CPU_XP:
            return xp.empty(shape, dtype=dtype)
        nbytes = math.prod(shape) * xp.dtype(dtype).itemsize
        buf = self.buffers.get(role)
        if buf is None or buf.nbytes < nbytes:
            buf = self.buffers[role] = xp.empty(max(nbytes, 64), dtype=xp.uint8)
        return buf[:nbytes].view(dtype).reshape(shape)


class _Pool(threading.local):
    """Reusable buffers for arrays that outlive the call (the columns a forward keeps
    for its backward), numpy only.

    A buffer is free again once no view of it is alive (the graph node that kept one
    was released, or collected): its reference count is then back to the pool's own,
    as every numpy view holds a reference to its base. At most _BYTES stay pooled.
    """

    _BYTES = 32 << 20

    def __init__(self) -> None:
        self.buffers: list = []

    def get(self, xp, shape: tuple, dtype):
        if xp is not _CPU_XP:
            return xp.empty(shape, dtype=dtype)
        nbytes = math.prod(shape) * xp.dtype(dtype).itemsize
        free = None
        for k in range(len(self.buffers)):
            buf = self.buffers[k]
            # 3: the list's reference, buf's and getrefcount's argument (NOTE: not
            # `for k, buf in enumerate(...)`: enumerate's reused tuple holds one more)
            if sys.getrefcount(buf) == 3 and (free is None or buf.nbytes >= nbytes):
                free = k
                if buf.nbytes >= nbytes:
                    break
        pooled = sum(b.nbytes for b in self.buffers)
        if free is not None and self.buffers[free].nbytes >= nbytes:
            buf = self.buffers[free]
        elif free is not None and pooled - self.buffers[free].nbytes + nbytes <= self._BYTES:
            buf = self.buffers[free] = xp.empty(nbytes, dtype=xp.uint8)  # a larger one
        elif pooled + nbytes <= self._BYTES:
            buf = xp.empty(nbytes, dtype=xp.uint8)
            self.buffers.append(buf)
        else:
            return xp.empty(shape, dtype=dtype)
        return buf[:nbytes].view(dtype).reshape(shape)


_scratch = _Scratch()
_pool = _Pool()


# -- layouts ----------------------------------------------------------------------------
# - batch-major (n, C, H, W), the arrays' own: no transposes, but im2col copies and the
#   strided col2im adds walk kh*kw*C*OH runs of OW elements per image; the matmuls are
#   batched over the images.
# - batch-innermost (C, H, W, n): the input and the output gradient are transposed in
#   and the results back out, but every run is n times longer; the matmuls are single
#   products over all positions, in column blocks.

_LAYOUT = None  # "nchw" or "chwn" forces one (tests); None picks per convolution
_RUN = 4  # NOTE: measured (numpy 2, x86): a run costs about 4 transposed elements
_BLOCK = 4096  # matmul columns per call: OpenBLAS slows down on longer skinny products


def _batch_inner(g: _Geom, n: int) -> bool:
    """Whether the batch-innermost layout is cheaper for chunks of n images: the runs
    it saves against the elements it transposes (LeNet: its 28x28 first conv stays
    batch-major, the 10x10 second goes batch-innermost)."""
    if _LAYOUT is not None:
        return _LAYOUT == "chwn"
    runs = g.c * g.kh * g.kw * g.oh  # per image, batch-major
    moved = g.c * g.h * g.w + g.f * g.oh * g.ow  # transposed per image, batch-innermost
    return runs * _RUN * (n - 1) > moved * n


def _strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def _column_blocks(q: int) -> list:
    """Even slices of range(q), about _BLOCK long."""
    step = -(-q // -(-q // _BLOCK))  # ceil(q / number of blocks)
    return [slice(q0, q0 + step) for q0 in range(0, q, step)]


def _matmul_blocks(xp, a, b, out) -> None:
    """(..., M, K) x (..., K, Q) -> out (..., M, Q), in column blocks (on the CPU)."""
    if xp is not _CPU_XP:
        xp.matmul(a, b, out=out)
        return
    for q in _column_blocks(b.shape[-1]):
        xp.matmul(a, b[..., q], out=out[..., q])


def _padded(xp, x4, g: _Geom):
    """(n, C, H, W) -> (n, C, Hp, Wp): x4 itself without padding, else a zero-bordered
    copy in scratch."""
    if g.hp == g.h and g.wp == g.w:
        return x4
    buf = _scratch.get(xp, "buf", (x4.shape[0], g.c, g.hp, g.wp), x4.dtype)
    buf[...] = 0
    buf[:, :, g.pt : g.pt + g.h, g.pl : g.pl + g.w] = x4
    return buf


def _to_inner(xp, a4, hp: int, wp: int, top: int, left: int, role: str):
    """(n, C, H, W) -> (C, Hp, Wp, n) in scratch, a at (top, left), zeros around."""
    n, c, h, w = a4.shape
    buf = _scratch.get(xp, role, (c, hp, wp, n), a4.dtype)
    if hp != h or wp != w:
        buf[...] = 0
    buf[:, top : top + h, left : left + w] = a4.transpose(1, 2, 3, 0)
    return buf


def _im2col(xp, x4, g: _Geom, inner: bool, out=None):
    """Columns of (n, C, H, W), in out or in scratch: the input under tap (i, j) at every
    output position, (n, C*kh*kw, OH*OW) batch-major or (C*kh*kw, OH*OW*n) inner."""
    n = x4.shape[0]
    if inner:
        xb = _to_inner(xp, x4, g.hp, g.wp, g.pt, g.pl, "buf")  # (C, Hp, Wp, n)
        s0, s1, s2, s3 = xb.strides
        shape = (g.c, g.kh, g.kw, g.oh, g.ow, n)
        strides = (s0, g.dh * s1, g.dw * s2, g.sh * s1, g.sw * s2, s3)
        flat = (g.c * g.kh * g.kw, -1)
    else:
        xb = _padded(xp, x4, g)  # (n, C, Hp, Wp)
        s0, s1, s2, s3 = xb.strides
        shape = (n, g.c, g.kh, g.kw, g.oh, g.ow)
        strides = (s0, s1, g.dh * s2, g.dw * s3, g.sh * s2, g.sw * s3)
        flat = (n, g.c * g.kh * g.kw, -1)
    cols = _scratch.get(xp, "cols", shape, x4.dtype) if out is None else out.reshape(shape)
    cols[...] = _strided(xp, xb, shape, strides)
    return cols.reshape(flat)


def _tap_windows(g: _Geom):
    """(i, j, row slice, column slice) of the padded input under each tap (i, j)."""
    rows, width = (g.oh - 1) * g.sh + 1, (g.ow - 1) * g.sw + 1
    for i in range(g.kh):
        r = i * g.dh
        for j in range(g.kw):
            c = j * g.dw
            yield i, j, slice(r, r + rows, g.sh), slice(c, c + width, g.sw)


# -- the products, chunk by chunk ---------------------------------------------------------


def _conv(xp, x4, weight, bias, g: _Geom, keep: bool):
    """(N, C, H, W) conv weight (+ bias) -> ((N, F, OH, OW) output, kept columns).

    keep: also return the columns, as (layout, column matrix in a pooled buffer), for
    the weight gradient (when the batch is one chunk; else None)."""
    groups, n_all = g.groups, g.n
    fg = g.f // groups
    wg = weight.reshape(groups, fg, -1)  # (G, F/G, Cg*kh*kw)
    y = xp.empty((n_all, g.f, g.oh, g.ow), dtype=x4.dtype)
    chunks = _chunks(n_all, _cols_size(g))
    inner = _batch_inner(g, chunks[0][1])
    cols = None
    if keep and len(chunks) == 1:
        cols = _pool.get(xp, (g.c * g.kh * g.kw, g.oh * g.ow * n_all), x4.dtype)
    kept = None if cols is None else (inner, cols)
    for n0, n1 in chunks:
        n = n1 - n0
        c = _im2col(xp, x4[n0:n1], g, inner, cols)
        if inner:
            yt = _scratch.get(xp, "yt", (groups, fg, g.oh * g.ow * n), x4.dtype)
            # (G, F/G, Cg*kh*kw) x (G, Cg*kh*kw, OH*OW*n) -> (G, F/G, OH*OW*n)
            _matmul_blocks(xp, wg, c.reshape(groups, -1, g.oh * g.ow * n), yt)
            yt = yt.reshape(g.f, g.oh, g.ow, n).transpose(3, 0, 1, 2)
            if bias is None:
                y[n0:n1] = yt
            else:
                xp.add(yt, bias[:, None, None], out=y[n0:n1])
        else:
            # (G, F/G, Cg*kh*kw) x (n, G, Cg*kh*kw, L) -> (n, G, F/G, L)
            out = y[n0:n1].reshape(n, groups, fg, g.oh * g.ow)
            xp.matmul(wg, c.reshape(n, groups, -1, g.oh * g.ow), out=out)
    if bias is not None and not inner:
        y += bias[:, None, None]
    return y, kept


def _backward(xp, g3, g: _Geom, weight=None, kept=None, x4=None):
    """(N, F, OH*OW) output gradient -> (input gradient (N, C, H, W) when weight is
    given, weight gradient (F, Cg*kh*kw) when the kept columns or x4 are)."""
    groups = g.groups
    fg, cg, kk = g.f // groups, g.c // groups, g.kh * g.kw
    k, L = cg * kk, g.oh * g.ow
    want_w = kept is not None or x4 is not None
    gx = None if weight is None else xp.empty((g.n, g.c, g.h, g.w), dtype=g3.dtype)
    acc = xp.zeros((groups, k, fg), dtype=g3.dtype) if want_w else None
    chunks = _chunks(g.n, _cols_size(g))
    inner, cols = kept if kept is not None else (_batch_inner(g, chunks[0][1]), None)
    for n0, n1 in chunks:
        n = n1 - n0
        g4 = g3[n0:n1].reshape(n, g.f, g.oh, g.ow)
        if inner:
            gt = _to_inner(xp, g4, g.oh, g.ow, 0, 0, "grid").reshape(groups, fg, L * n)
            if want_w:
                c = cols if cols is not None else _im2col(xp, x4[n0:n1], g, True)
                c = c.reshape(groups, k, L * n)
                for q in _column_blocks(L * n):
                    # (G, Cg*kh*kw, q) x (G, q, F/G) -> (G, Cg*kh*kw, F/G)
                    acc += xp.matmul(c[:, :, q], gt[:, :, q].transpose(0, 2, 1))
            if weight is not None:
                _col2im_inner(xp, weight, gt, g, gx[n0:n1])
        else:
            if want_w:
                c = cols if cols is not None else _im2col(xp, x4[n0:n1], g, False)
                part = _scratch.get(xp, "wsum", (n, groups, k, fg), g3.dtype)
                # NOTE: columns x gradient^T beat gradient x columns^T in OpenBLAS here
                # (n, G, Cg*kh*kw, L) x (n, G, L, F/G) -> (n, G, Cg*kh*kw, F/G)
                gt = g4.reshape(n, groups, fg, L).transpose(0, 1, 3, 2)
                xp.matmul(c.reshape(n, groups, k, L), gt, out=part)
                acc += part.sum(axis=0)
            if weight is not None:
                _col2im_major(xp, weight, g4, g, gx[n0:n1])
    gw = None if acc is None else acc.transpose(0, 2, 1).reshape(g.f, k)
    return gx, gw


def _col2im_inner(xp, weight, gt, g: _Geom, out) -> None:
    """(G, F/G, OH*OW*n) gradient -> out (n, C, H, W): each tap's block of the product
    with the weights added back under the tap."""
    groups, n = g.groups, out.shape[0]
    fg, k = g.f // groups, (g.c // groups) * g.kh * g.kw
    wt = weight.reshape(groups, fg, k).transpose(0, 2, 1)  # (G, Cg*kh*kw, F/G)
    d = _scratch.get(xp, "dcols", (groups, k, gt.shape[-1]), gt.dtype)
    # (G, Cg*kh*kw, F/G) x (G, F/G, OH*OW*n) -> (G, Cg*kh*kw, OH*OW*n)
    _matmul_blocks(xp, wt, gt, d)
    d = d.reshape(g.c, g.kh, g.kw, g.oh, g.ow, n)
    buf = _scratch.get(xp, "gbuf", (g.c, g.hp, g.wp, n), gt.dtype)
    buf[...] = 0
    for i, j, rows, width in _tap_windows(g):
        buf[:, rows, width] += d[:, i, j]
    out[...] = buf[:, g.pt : g.pt + g.h, g.pl : g.pl + g.w].transpose(3, 0, 1, 2)


def _col2im_major(xp, weight, g4, g: _Geom, out) -> None:
    """(n, F, OH, OW) gradient -> out (n, C, H, W), batch-major.

    Stride 1: the gradient laid on the padded (Hp, Wp) grid (zeros past OH, OW) puts
    tap (i, j) of every channel of every image ``i*dh*Wp + j*dw`` elements further in
    one flat buffer: one long add per tap instead of C*OH*n short ones, for the price
    of the grid's extra (garbage, zero) positions in the product."""
    groups, n = g.groups, out.shape[0]
    fg, cg, kk = g.f // groups, g.c // groups, g.kh * g.kw
    if g.sh != 1 or g.sw != 1:
        wt = weight.reshape(groups, fg, cg * kk).transpose(0, 2, 1)  # (G, Cg*kh*kw, F/G)
        d = _scratch.get(xp, "dcols", (n, groups, cg * kk, g.oh * g.ow), g4.dtype)
        # (G, Cg*kh*kw, F/G) x (n, G, F/G, L) -> (n, G, Cg*kh*kw, L)
        xp.matmul(wt, g4.reshape(n, groups, fg, -1), out=d)
        d = d.reshape(n, g.c, g.kh, g.kw, g.oh, g.ow)
        buf = _scratch.get(xp, "gbuf", (n, g.c, g.hp, g.wp), g4.dtype)
        buf[...] = 0
        for i, j, rows, width in _tap_windows(g):
            buf[:, :, rows, width] += d[:, :, i, j]
    else:
        p = g.hp * g.wp
        # (F, Cg, kh, kw) -> (G, kh*kw*Cg, F/G): rows tap-major, as the adds read them
        wt = weight.reshape(groups, fg, cg, g.kh, g.kw).transpose(0, 3, 4, 2, 1)
        wt = wt.reshape(groups, kk * cg, fg)
        if g.oh == g.hp and g.ow == g.wp:  # 1x1 kernel, no padding: g4 is the grid
            grid = g4
        else:
            grid = _scratch.get(xp, "grid", (n, g.f, g.hp, g.wp), g4.dtype)
            grid[...] = 0
            grid[:, :, : g.oh, : g.ow] = g4
        d = _scratch.get(xp, "dcols", (n, groups, kk * cg, p), g4.dtype)
        # (G, kh*kw*Cg, F/G) x (n, G, F/G, Hp*Wp) -> (n, G, kh*kw*Cg, Hp*Wp)
        xp.matmul(wt, grid.reshape(n, groups, fg, p), out=d)
        d = d.reshape(n, groups, kk, cg * p)
        offsets = _tap_offsets(g)
        span = n * g.c * p
        # the last taps run past the last image by up to offsets[-1] (garbage only)
        flat = _scratch.get(xp, "gbuf", (span + offsets[-1],), g4.dtype)
        flat[...] = 0
        for t, s in enumerate(offsets):
            view = flat[s : s + span].reshape(n, groups, cg * p)
            view += d[:, :, t]
        buf = flat[:span].reshape(n, g.c, g.hp, g.wp)
    out[...] = buf[:, :, g.pt : g.pt + g.h, g.pl : g.pl + g.w]


# -- Functions ------------------------------------------------------------------------


class Conv2d(_Op):
    """Cross-correlation (PyTorch's conv2d): im2col + matmuls, chunk by chunk."""

    @staticmethod
    def forward(ctx, x, weight, bias, g):
        nx, nw = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        x4 = x.reshape(g.n, g.c, g.h, g.w)
        y, kept = _conv(ctx.xp, x4, weight, bias, g, keep=nw)
        ctx.g, ctx.x_shape, ctx.w_shape = g, x.shape, weight.shape
        ctx.kept = kept  # (layout, columns) for the weight gradient, or None
        ctx.x4 = x4 if nw and kept is None else None
        ctx.weight = weight if nx else None
        return _reshaped(y, g.out_shape)

    @staticmethod
    def backward(ctx, gout):
        g = ctx.g
        nx, nw, nb = ctx.needs_input_grad[:3]
        g3 = gout.reshape(g.n, g.f, g.oh * g.ow)
        gb = g3.sum(axis=(0, 2)) if nb else None
        gx = gw = None
        if nx or nw:
            gx, gw = _backward(ctx.xp, g3, g, ctx.weight, ctx.kept, ctx.x4)
        if gx is not None:
            gx = _reshaped(gx, ctx.x_shape)
        if gw is not None:
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
        x3 = x.reshape(g.n, g.f, g.oh * g.ow)
        # conv2d's input gradient: (N, C_in, H*W) -> (N, C_out, H_out, W_out)
        y, _ = _backward(ctx.xp, x3, g, weight=weight)
        if bias is not None:
            y += bias[:, None, None]
        nx, nw = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        ctx.g, ctx.x_shape, ctx.w_shape = g, x.shape, weight.shape
        ctx.x3 = x3 if nw else None
        ctx.weight = weight if nx else None
        return _reshaped(y, g.out_shape)

    @staticmethod
    def backward(ctx, gout):
        xp = ctx.xp
        g = ctx.g
        nx, nw, nb = ctx.needs_input_grad[:3]
        g4 = gout.reshape(g.n, g.c, g.h, g.w)
        gb = g4.sum(axis=(0, 2, 3)) if nb else None
        gx = gw = kept = None
        if nx:
            # the conv2d of the gradient: (N, C_out, H_out, W_out) -> (N, C_in, H, W)
            gx, kept = _conv(xp, g4, ctx.weight, None, g, keep=nw)
            gx = _reshaped(gx, ctx.x_shape)
        if nw:
            # the gradient's columns x the input: (C_in, C_out/G*kh*kw)
            _, gw = _backward(xp, ctx.x3, g, kept=kept, x4=None if kept is not None else g4)
            gw = gw.reshape(ctx.w_shape)
        return gx, gw, gb, None


def _reshaped(a, shape):
    """a in the given shape; the array itself when it already has it (a view would make
    the engine copy a gradient it could keep)."""
    return a if a.shape == shape else a.reshape(shape)


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
