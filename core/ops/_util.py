"""Small helpers shared by op definitions."""

from __future__ import annotations

import functools

import numpy as np

from core import backend as _backend

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


# PyTorch's type promotion: the result's category is the highest among the operands
# (bool < integer < floating); within it, dimensioned tensors outrank 0-d tensors,
# which outrank Python scalars. Scalars alone give the default dtype of their category.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_SCALAR_DEFAULT = (np.dtype(np.bool_), np.dtype(np.int64), _F32)


def result_type(*operands):
    """The dtype PyTorch gives an op mixing these arrays and Python scalars (None skipped)."""
    best, dtypes = (-1, -1), []
    for x in operands:
        dt = getattr(x, "dtype", None)
        if dt is None:
            if x is None:
                continue
            key = (0 if isinstance(x, bool) else 1 if isinstance(x, int) else 2, 0)
        else:
            key = (_CATEGORY[dt.kind], 2 if x.ndim else 1)
        if key > best:
            best, dtypes = key, [dt]
        elif key == best:
            dtypes.append(dt)
    category, rank = best
    if rank == 0:
        return _SCALAR_DEFAULT[category]
    out = dtypes[0]
    for dt in dtypes[1:]:
        if dt != out:
            out = np.promote_types(out, dt)
    return out


def promote(out, a, b=None):
    """Cast numpy's result of an op on a and b to PyTorch's dtype (:func:`result_type`);
    a floating result of integer operands (true division) is float32."""
    dt = out.dtype
    if getattr(a, "dtype", dt) is dt and getattr(b, "dtype", dt) is dt:
        return out  # every array operand has the result's dtype: numpy and PyTorch agree
    want = result_type(a, b)
    if dt.kind == "f" and want.kind != "f":
        want = _F32
    return out if want == dt else out.astype(want, copy=False)


def check_int_divisor(name: str, a, b, device: str) -> None:
    """PyTorch's RuntimeError for integer division (floor_divide, remainder, div with a
    rounding_mode) by zero, where numpy silently gives 0. Floating results (x / 0 = inf or
    nan) pass silently. A host read, so on "cuda" it runs only with
    core.backend.CHECK_INDICES_ON_DEVICE (as PyTorch, whose cuda kernels don't check)."""
    if result_type(a, b).kind not in "biu" or not _backend.checks_values(device):
        return
    if (b == 0).any() if hasattr(b, "shape") else b == 0:
        shape = tuple(b.shape) if hasattr(b, "shape") else "a Python scalar"
        raise RuntimeError(f"ZeroDivisionError: integer {name} by zero (divisor: {shape})")


def assign(target, index, value) -> None:
    """``target[index] = value`` (backend arrays; value may be a Python scalar) with
    PyTorch's rule that leading size-1 dims of the value the indexed region lacks are
    dropped (numpy refuses a (1,) value for one element; CuPy may refuse more). The
    common case costs one plain assignment; a refused value is refitted and retried, or
    raises PyTorch's RuntimeError naming both shapes."""
    try:
        target[index] = value
        return
    except ValueError as exc:
        if not hasattr(value, "shape"):
            raise
        region = tuple(target[index].shape)
        vshape = tuple(value.shape)
        n = value.ndim - len(region)
        fitted = value.reshape(vshape[n:]) if n > 0 and all(d == 1 for d in vshape[:n]) else value
        try:
            fits = np.broadcast_shapes(tuple(fitted.shape), region) == region
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast "
                f"to indexing result of shape {list(region)}"
            ) from None
        if fitted is value:
            raise exc from None
    target[index] = fitted


def quiet():
    """A context with numpy's floating-point warnings off (see :func:`quietly`)."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


_QUIET = quiet()


def quietly(fn):
    """Decorate an op's forward or backward: numpy's floating-point warnings off while it
    runs (PyTorch is silent on log(0), x/0, exp overflow).

    NOTE: ~1 us a call (numpy's errstate decorator, thread-safe; a ``with`` block costs
    ~2 us), so only ops that can warn use this."""
    return _QUIET(fn)


def broadcast_errors(fn):
    """Decorate a binary op's forward: numpy's ValueError (shapes that don't broadcast,
    integers to negative powers) as PyTorch's RuntimeError (:func:`broadcast_error`)."""

    @functools.wraps(fn)
    def run(ctx, *args):
        try:
            return fn(ctx, *args)
        except ValueError as exc:
            raise broadcast_error(exc, *args) from None

    return run


def broadcast_error(exc: ValueError, *operands) -> RuntimeError:
    """numpy's ValueError from an elementwise op as PyTorch's RuntimeError: which sizes
    clash, at which dim of the broadcast shape."""
    shapes = [tuple(x.shape) for x in operands if hasattr(x, "shape")]
    a = shapes[0] if shapes else ()
    for b in shapes[1:]:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
        for d in range(n - 1, -1, -1):
            if pa[d] != pb[d] and pa[d] != 1 and pb[d] != 1:
                return RuntimeError(
                    f"The size of tensor a ({pa[d]}) must match the size of tensor b "
                    f"({pb[d]}) at non-singleton dimension {d} (shapes {list(a)} and {list(b)})"
                )
        a = tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(pa, pb, strict=True))
    return RuntimeError(str(exc))


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


def stable_sigmoid(xp, a):
    """1 / (1 + exp(-a)) in a's dtype, split by sign so that exp never overflows."""
    e = xp.exp(-xp.abs(a))
    return xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


def stable_softplus(xp, a):
    """log(1 + exp(a)) as log1p(exp(-|a|)) + max(a, 0), so that exp never overflows."""
    return xp.log1p(xp.exp(-xp.abs(a))) + xp.maximum(a, 0)


def floating(a):
    """Integer and bool inputs of float math become float32 (PyTorch's default dtype)."""
    return a if a.dtype.kind == "f" else a.astype(_F32)


# -- reductions along one axis, by shape ----------------------------------------------
# NOTE: numpy reduces a short innermost axis row by row (~60 ns a row: (4096, 10).max(
# axis=1) ~300 us); measured on numpy 2.4 (2 cores), C the axis length, R the rows:
# - max, C <= 32: through a C-contiguous (C, R) copy, reduced over axis 0 (vectorized
#   over R): 4-35x faster; from C ~ 100 on, no faster than numpy's own. C == 2: one
#   np.maximum of the two columns (faster still).
# - sum: a matmul with a vector of ones (BLAS gemv), 3-30x faster at any C; above ~2^18
#   elements OpenBLAS goes multi-threaded, which on a busy 2-core box ran 5-40x slower,
#   so larger arrays use einsum (single-threaded, ~2-5x faster than .sum there).
# CuPy has no such problem: its own reductions are used.
_SHORT_MAX = 32
_GEMV_SUM = 1 << 18
_ONES: dict = {}


def row_max(xp, a):
    """(R, C) -> (R,): the max of each row, fast on numpy for short rows."""
    if xp is np:
        c = a.shape[1]
        if c == 2:
            return np.maximum(a[:, 0], a[:, 1])
        if 0 < c <= _SHORT_MAX:
            return np.maximum.reduce(np.ascontiguousarray(a.T), axis=0)  # (C, R) -> (R,)
    return a.max(axis=1)


def row_sum(xp, a):
    """(R, C) -> (R,): the sum of each row, fast on numpy (float rounding may differ
    from numpy's pairwise sum)."""
    if xp is np and a.dtype.char in "fd":  # BLAS: float32 and float64
        if a.size > _GEMV_SUM:
            return np.einsum("ij->i", a)
        key = (a.shape[1], a.dtype.char)
        ones = _ONES.get(key)
        if ones is None:
            if len(_ONES) > 64:
                _ONES.clear()
            ones = np.ones(key[0], a.dtype)
            ones.flags.writeable = False
            _ONES[key] = ones
        return a.dot(ones)  # (R, C) x (C,) -> (R,); gemv (faster to call than @)
    return a.sum(axis=1)


def _rows(xp, a, axis: int):
    """a as (R, C) rows with axis last (a view), when numpy is the backend and axis is
    effectively a's innermost one (only size-1 dims after it); else None."""
    if xp is not np:
        return None
    shape = a.shape
    if axis == len(shape) - 1:
        if axis == 1:
            return a  # (R, C) as it is, contiguous or not
    elif shape[-1] != 1 or any(s != 1 for s in shape[axis + 1 :]):
        return None
    if not a.size or not a.flags.c_contiguous:
        return None
    return a.reshape(-1, shape[axis])


def amax(xp, a, axis: int):
    """a.max(axis=axis, keepdims=True), fast on numpy for a short innermost axis."""
    rows = _rows(xp, a, axis)
    if rows is None:
        return a.max(axis=axis, keepdims=True)
    return row_max(xp, rows).reshape(a.shape[:axis] + (1,) + a.shape[axis + 1 :])


def asum(xp, a, axis: int):
    """a.sum(axis=axis, keepdims=True), fast on numpy for an innermost axis."""
    rows = _rows(xp, a, axis)
    if rows is None:
        return a.sum(axis=axis, keepdims=True)
    return row_sum(xp, rows).reshape(a.shape[:axis] + (1,) + a.shape[axis + 1 :])
