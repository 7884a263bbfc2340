"""Small helpers shared by op definitions."""

from __future__ import annotations

import numpy as np

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)


def meta(a):
    """(shape, dtype) of an array operand, or None for a Python scalar."""
    return (a.shape, a.dtype) if hasattr(a, "shape") else None


def unbroadcast(g, m):
    """Reduce a broadcast gradient back to an operand's (shape, dtype); None for scalars."""
    if m is None:
        return None
    shape, dtype = m
    if g.shape != shape:
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
        )
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        g = g.reshape(shape)
    if g.dtype != dtype:
        g = g.astype(dtype, copy=False)
    return g


def promote(out, a, b):
    """Keep PyTorch's promotion: float64 only when an operand is float64 (or a Python
    float meets a float64 tensor); integer true division and int-float mixes give
    float32."""
    if (
        out.dtype == _F64
        # NOTE: not getattr(..., None): np.dtype(None) is float64, so None == _F64
        and getattr(a, "dtype", _F32) != _F64
        and getattr(b, "dtype", _F32) != _F64
    ):
        return out.astype(_F32)
    if out.dtype == _F64:
        # a 0-d float64 operand is weak against an n-d float operand, as in PyTorch
        for x, y in ((a, b), (b, a)):
            if getattr(x, "ndim", 1) == 0 and getattr(y, "ndim", 0) > 0 and y.dtype.kind == "f":
                return out.astype(y.dtype)
    return out


def norm_dim(dim: int, ndim: int) -> int:
    """A dimension index in [0, ndim), with PyTorch's error when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim % n


def norm_dims(dim, ndim: int):
    """None -> None (all dims); an int or a sequence -> a sorted tuple of dims."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    dims = tuple(sorted(norm_dim(d, ndim) for d in dim))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {tuple(dim)} appears multiple times in the list of dims")
    return dims if dims and ndim else None  # a 0-d tensor's dim 0 is all of it


def expand_reduced(g, shape, dims, keepdim: bool):
    """Broadcastable form of a reduction's gradient: reinsert the reduced dims."""
    if not keepdim and dims is not None:
        for d in dims:
            g = g.reshape(g.shape[:d] + (1,) + g.shape[d:]) if hasattr(g, "reshape") else g
    elif dims is None and not keepdim:
        g = g.reshape((1,) * len(shape))
    return g
