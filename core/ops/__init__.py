"""The tensor-level functions (``core.exp``, ``core.sum``, ...) and Tensor methods.

Each function validates its arguments PyTorch's way and applies one Function from
the modules beside this one.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple

from core import backend as _backend
from core._state import state
from core.ops import activation as _activation
from core.ops._util import (
    broadcast_error,
    check_int_divisor,
    norm_dim,
    norm_dims,
    promote,
    quiet,
)
from core.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Copy,
    Cos,
    Div,
    DivRound,
    Erf,
    Exp,
    Expm1,
    Fill,
    Log,
    Log1p,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Remainder,
    Round,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
)
from core.ops.index import Gather, Scatter, Tri
from core.ops.linalg import Einsum, Linear, Matmul, Norm
from core.ops.reduce import Cumsum, LogSumExp, MaxMin, Mean, Prod, Std, Sum, Var
from core.ops.shape import (
    Cat,
    Expand,
    Flip,
    GetItem,
    Permute,
    Repeat,
    Reshape,
    SetItem,
    Split,
    Stack,
    ViewUpdate,
)
from core.tensor import Tensor, _make, _operand, _owner, _version_box

__all__ = [
    "Abs",
    "Add",
    "Cast",
    "Clamp",
    "Clone",
    "Cos",
    "Div",
    "Exp",
    "Log",
    "Maximum",
    "Minimum",
    "Mul",
    "Neg",
    "Pow",
    "Relu",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sqrt",
    "Sub",
    "Tanh",
    "ToDevice",
    "Where",
    "Linear",
    "Matmul",
    "Cumsum",
    "LogSumExp",
    "MaxMin",
    "Mean",
    "Std",
    "Sum",
    "Var",
    "Cat",
    "Expand",
    "Flip",
    "GetItem",
    "Permute",
    "Repeat",
    "Reshape",
    "SetItem",
    "Split",
    "Stack",
]

_pymax, _pymin = builtins.max, builtins.min
return_types_max = namedtuple("max", ["values", "indices"])
return_types_min = namedtuple("min", ["values", "indices"])


# -- ops without gradients ---------------------------------------------------------
def no_grad_binary(name: str, a, b) -> Tensor:
    """An elementwise op that has no gradient (comparisons, bitwise, floor division)."""
    t = a if isinstance(a, Tensor) else b
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._device != b._device:
        raise _backend.DeviceError(
            f"{name}: expected both tensors on one device, got {a._device!r} and {b._device!r}"
        )
    xp = _backend.get(t._device).xp
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    try:
        if name in _ARITHMETIC:  # PyTorch's result dtype; 1.0 // 0 is silently inf
            if name == "floor_divide":
                check_int_divisor("division", x, y, t._device)  # but 1 // 0 raises
            with quiet():
                out = promote(xp.asarray(getattr(xp, name)(x, y)), x, y)
        else:
            out = getattr(xp, name)(x, y)
    except ValueError as exc:
        raise broadcast_error(exc, x, y) from None
    return _recorded(name, (a, b), _make(xp.asarray(out), t._device, False, None))


_ARITHMETIC = frozenset({"floor_divide", "bitwise_and", "bitwise_or", "bitwise_xor"})


def no_grad_unary(name: str, a: Tensor) -> Tensor:
    xp = _backend.get(a._device).xp
    return _recorded(name, (a,), _make(getattr(xp, name)(a._data), a._device, False, None))


def no_grad_reduce(name: str, a: Tensor, dim=None, keepdim=False) -> Tensor:
    dims = norm_dims(dim, a.ndim)
    xp = _backend.get(a._device).xp
    out = getattr(a._data, name)(axis=dims, keepdims=keepdim)
    return _recorded(name, (a,), _make(xp.asarray(out), a._device, False, None))


def _recorded(name: str, inputs, out: Tensor) -> Tensor:
    rec = state.recorder
    if rec is not None:
        rec.begin_op()
        rec.record_op(name, inputs, [out], None)
    return out


# -- elementwise ---------------------------------------------------------------------
def add(input: Tensor, other, *, alpha=1) -> Tensor:
    return input.add(other, alpha=alpha)


def sub(input, other, *, alpha=1) -> Tensor:
    return input.sub(other, alpha=alpha)


def mul(input, other) -> Tensor:
    return input * other


def remainder(input, other) -> Tensor:
    if not isinstance(input, Tensor):
        return other.__rmod__(input)
    return input % other


def div(input, other, *, rounding_mode=None) -> Tensor:
    if rounding_mode is None:
        return input / other
    if rounding_mode in ("floor", "trunc"):
        return DivRound.apply(input, other, rounding_mode)
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def neg(input: Tensor) -> Tensor:
    return Neg.apply(input)


def exp(input: Tensor) -> Tensor:
    return Exp.apply(input)


def log(input: Tensor) -> Tensor:
    return Log.apply(input)


def sqrt(input: Tensor) -> Tensor:
    return Sqrt.apply(input)


def rsqrt(input: Tensor) -> Tensor:
    return 1 / Sqrt.apply(input)


def square(input: Tensor) -> Tensor:
    return Mul.apply(input, input)


def abs(input: Tensor) -> Tensor:  # noqa: A001
    return Abs.apply(input)


def sign(input: Tensor) -> Tensor:
    return Sign.apply(input)


def sin(input: Tensor) -> Tensor:
    return Sin.apply(input)


def cos(input: Tensor) -> Tensor:
    return Cos.apply(input)


def tanh(input: Tensor) -> Tensor:
    return Tanh.apply(input)


def sigmoid(input: Tensor) -> Tensor:
    return Sigmoid.apply(input)


def relu(input: Tensor) -> Tensor:
    return Relu.apply(input)


def clamp(input: Tensor, min=None, max=None) -> Tensor:  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, _as_tensor_of(min, input))
        if max is not None:
            out = minimum(out, _as_tensor_of(max, input))
        return out
    return Clamp.apply(input, min, max)


clip = clamp


def _as_tensor_of(value, like: Tensor) -> Tensor:
    from core.tensor import _as_tensor

    return _as_tensor(value, like)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return Maximum.apply(input, _as_tensor_of(other, input))


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return Minimum.apply(input, _as_tensor_of(other, input))


def where(condition: Tensor, input=None, other=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    like = next(x for x in (input, other, condition) if isinstance(x, Tensor))
    cond = condition._data if isinstance(condition, Tensor) else condition
    if cond.dtype.kind != "b":
        raise RuntimeError(f"where expected condition to be a boolean tensor, got {cond.dtype}")
    cond_t = (
        _make(cond, like._device, False, None) if not isinstance(condition, Tensor) else condition
    )
    return Where.apply(cond_t, _operand(input, like), _operand(other, like))


def nonzero(input: Tensor, *, as_tuple: bool = False):
    xp = _backend.get(input._device).xp
    idx = xp.nonzero(input._data)
    if as_tuple:
        return tuple(_make(i.astype("int64"), input._device, False, None) for i in idx)
    return _make(xp.stack(idx, axis=1).astype("int64"), input._device, False, None)


def pow(input, exponent) -> Tensor:  # noqa: A001
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        exponent = _operand(exponent, input)
    elif not isinstance(input, Tensor):
        input = _operand(input, exponent)
    return Pow.apply(input, exponent)


def masked_fill(input: Tensor, mask: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                "masked_fill only supports a 0-dimensional value tensor, but got tensor "
                f"with {value.ndim} dimension(s)"
            )
        return where(mask, value.to(input.dtype), input)
    return where(
        mask,
        _make(
            _backend.get(input._device).xp.asarray(value, dtype=input._data.dtype),
            input._device,
            False,
            None,
        ),
        input,
    )


# -- reductions ----------------------------------------------------------------------
def sum(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A001
    if dtype is not None:
        input = input.to(dtype)
    return Sum.apply(input, norm_dims(dim, input.ndim), keepdim)


def mean(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    return Mean.apply(input, norm_dims(dim, input.ndim), keepdim)


def var(input: Tensor, dim=None, *, correction=1, keepdim: bool = False, unbiased=None) -> Tensor:
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if isinstance(dim, bool):  # var(x, False): the old positional `unbiased`
        correction, dim = (1 if dim else 0), None
    return Var.apply(input, norm_dims(dim, input.ndim), correction, keepdim)


def std(input: Tensor, dim=None, *, correction=1, keepdim: bool = False, unbiased=None) -> Tensor:
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if isinstance(dim, bool):  # std(x, False): the old positional `unbiased`
        correction, dim = (1 if dim else 0), None
    return Std.apply(input, norm_dims(dim, input.ndim), correction, keepdim)


def _max_min(input: Tensor, dim, keepdim, other, is_max: bool):
    if isinstance(dim, Tensor) and other is None:
        other, dim = dim, None
    if other is not None:
        return maximum(input, other) if is_max else minimum(input, other)
    if dim is None:
        return MaxMin.apply(input, None, False, is_max)
    d = norm_dim(dim, input.ndim)
    if input.ndim == 0:  # dim 0 of a 0-d tensor is the tensor itself
        input, keepdim = input.reshape(1), False
    values, indices = MaxMin.apply(input, d, keepdim, is_max)
    return (return_types_max if is_max else return_types_min)(values, indices)


def max(input: Tensor, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    return _max_min(input, dim, keepdim, other, True)


def min(input: Tensor, dim=None, keepdim: bool = False, *, other=None):  # noqa: A001
    return _max_min(input, dim, keepdim, other, False)


def amax(input: Tensor, dim=(), keepdim: bool = False) -> Tensor:
    # NOTE: unlike max(dim), ties share the gradient evenly (PyTorch)
    return MaxMin.apply(input, norm_dims(dim, input.ndim), keepdim, True)


def _arg(name: str, input: Tensor, dim, keepdim) -> Tensor:
    xp = _backend.get(input._device).xp
    a = input._data
    if a.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input (use .int() or .float())")
    if dim is None:
        out = getattr(a.reshape(-1), name)()
        out = xp.asarray(out).reshape((1,) * a.ndim if keepdim else ())
    else:
        d = norm_dim(dim, a.ndim)
        out = getattr(a, name)(axis=d)
        if keepdim:
            out = xp.expand_dims(out, d)
    return _recorded(name, (input,), _make(out.astype("int64"), input._device, False, None))


def argmax(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmax", input, dim, keepdim)


def argmin(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    return _arg("argmin", input, dim, keepdim)


def logsumexp(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    return LogSumExp.apply(input, norm_dims(dim, input.ndim), keepdim)


def cumsum(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    if dtype is not None:
        input = input.to(dtype)
    d = norm_dim(dim, input.ndim)
    if input.ndim == 0:
        return Cumsum.apply(input.reshape(1), 0).reshape(())
    return Cumsum.apply(input, d)


def prod(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    if dim is None:
        out = Prod.apply(input.reshape(-1), 0, False)
        return out.reshape((1,) * input.ndim) if keepdim else out
    if input.ndim == 0:
        norm_dim(dim, 1)
        return Prod.apply(input.reshape(1), 0, False)
    return Prod.apply(input, norm_dim(dim, input.ndim), keepdim)


# -- shapes --------------------------------------------------------------------------
def _shape_args(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(input: Tensor, shape) -> Tensor:
    shape = _shape_args((shape,) if isinstance(shape, int) else (tuple(shape),))
    if shape == input.shape:
        return input
    return Reshape.apply(input, shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    if input.ndim == 0:
        return reshape(input, (1,))
    s, e = norm_dim(start_dim, input.ndim), norm_dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    n = 1
    for x in shape[s : e + 1]:
        n *= x
    return reshape(input, shape[:s] + (n,) + shape[e + 1 :])


def squeeze(input: Tensor, dim=None) -> Tensor:
    shape = input.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    else:
        dims = norm_dims(dim, input.ndim) or ()
        new = tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1))
    return reshape(input, new)


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    d = norm_dim(dim, input.ndim + 1)
    shape = input.shape
    return Reshape.apply(input, shape[:d] + (1,) + shape[d:])


def permute(input: Tensor, dims) -> Tensor:
    dims = tuple(norm_dim(d, input.ndim) for d in _shape_args(dims))
    if sorted(dims) != list(range(input.ndim)):
        raise RuntimeError(
            f"permute(): dims {list(dims)} must be a permutation of the {input.ndim} dims"
        )
    return Permute.apply(input, dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = norm_dim(dim0, n), norm_dim(dim1, n)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


def t(input: Tensor) -> Tensor:
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


def expand(input: Tensor, *sizes) -> Tensor:
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal "
            f"to the number of dimensions in the tensor ({input.ndim})"
        )
    shape = tuple(
        input.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
    )
    for i, s in enumerate(input.shape):
        if s != 1 and s != shape[lead + i]:
            raise RuntimeError(
                f"The expanded size of the tensor ({shape[lead + i]}) must match the "
                f"existing size ({s}) at non-singleton dimension {lead + i}. "
                f"Target sizes: {list(sizes)}. Tensor sizes: {list(input.shape)}"
            )
    if shape == input.shape:
        return input
    return Expand.apply(input, shape)


def broadcast_to(input: Tensor, shape) -> Tensor:
    return expand(input, *shape)


def repeat(input: Tensor, *repeats) -> Tensor:
    repeats = _shape_args(repeats)
    if len(repeats) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of "
            "dimensions of tensor"
        )
    return Repeat.apply(input, repeats)


def cat(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    d = norm_dim(dim, ref.ndim)
    for i, x in enumerate(tensors):
        if x.ndim != ref.ndim or builtins.any(
            a != b for j, (a, b) in enumerate(zip(x.shape, ref.shape, strict=True)) if j != d
        ):
            raise RuntimeError(
                f"cat(): sizes of tensors must match except in dimension {d}. "
                f"Tensor 0 has shape {list(ref.shape)} but tensor {i} has {list(x.shape)}"
            )
    return Cat.apply(d, *tensors)


concat = concatenate = cat


def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = tensors[0]
    for i, x in enumerate(tensors):
        if x.shape != ref.shape:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref.shape)} at "
                f"entry 0 and {list(x.shape)} at entry {i}"
            )
    return Stack.apply(norm_dim(dim, ref.ndim + 1), *tensors)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0):
    d = norm_dim(dim, tensor.ndim)
    n = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size <= 0:
            raise RuntimeError(f"split expects split_size be positive, but got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
        sizes = sizes or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                f"size at dimension {d}), but got split_sizes={sizes}"
            )
    out = Split.apply(tensor, tuple(sizes), d)
    return out if isinstance(out, tuple) else (out,)


def chunk(input: Tensor, chunks: int, dim: int = 0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.shape[norm_dim(dim, input.ndim)]
    return split(input, _pymax(math.ceil(n / chunks), 1), dim)


def unbind(input: Tensor, dim: int = 0):
    d = norm_dim(dim, input.ndim)
    return tuple(squeeze(p, d) for p in split(input, 1, d))


def select(input: Tensor, dim: int, index: int) -> Tensor:
    d = norm_dim(dim, input.ndim)
    return GetItem.apply(input, (slice(None),) * d + (index,))


def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    d = norm_dim(dim, input.ndim)
    n = input.shape[d]
    s = start + n if start < 0 else start
    if not 0 <= s <= n or length < 0 or s + length > n:
        raise RuntimeError(
            f"narrow(): start ({start}) + length ({length}) exceeds dimension size ({n}) "
            f"of dim {d} of a tensor of shape {tuple(input.shape)}"
        )
    return GetItem.apply(input, (slice(None),) * d + (slice(s, s + length),))


def flip(input: Tensor, dims) -> Tensor:
    dims = tuple(
        norm_dim(d, input.ndim)
        for d in _shape_args((dims,) if isinstance(dims, int) else (tuple(dims),))
    )
    return Flip.apply(input, dims) if input.ndim else Clone.apply(input)


# -- linear algebra ------------------------------------------------------------------
def matmul(input: Tensor, other: Tensor) -> Tensor:
    return Matmul.apply(input, other)


mm = bmm = matmul


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    return Matmul.apply(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


# -- more elementwise math -----------------------------------------------------------
def log1p(input: Tensor) -> Tensor:
    return Log1p.apply(input)


def expm1(input: Tensor) -> Tensor:
    return Expm1.apply(input)


def erf(input: Tensor) -> Tensor:
    return Erf.apply(input)


def floor(input: Tensor) -> Tensor:
    return Round.apply(input, "floor")


def ceil(input: Tensor) -> Tensor:
    return Round.apply(input, "ceil")


def trunc(input: Tensor) -> Tensor:
    return Round.apply(input, "trunc")


fix = trunc


def round(input: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001
    return Round.apply(input, "round", decimals)


def floor_divide(input, other) -> Tensor:
    if not isinstance(input, Tensor):
        return other.__rfloordiv__(input)
    return input // other


def bitwise_and(input: Tensor, other) -> Tensor:
    return input & other


def bitwise_or(input: Tensor, other) -> Tensor:
    return input | other


def bitwise_xor(input: Tensor, other) -> Tensor:
    return input ^ other


def bitwise_not(input: Tensor) -> Tensor:
    return ~input


def all(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return input.all(dim, keepdim)


def any(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001
    return input.any(dim, keepdim)


# -- softmax (the fused Functions of nn.functional) ----------------------------------
def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return _activation.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    return _activation.log_softmax(input, dim, dtype=dtype)


# -- indexing ------------------------------------------------------------------------
def _check_index(name: str, input: Tensor, index: Tensor, d: int) -> None:
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        got = index.dtype.name if isinstance(index, Tensor) else type(index).__name__
        raise RuntimeError(f"{name}(): Expected dtype int64 for index, got {got}")
    if index._device != input._device:
        raise _backend.DeviceError(
            f"{name}(): index is on {index._device!r} but the input is on {input._device!r}"
        )
    if index.ndim != input.ndim:
        raise RuntimeError(
            f"{name}(): Index tensor must have the same number of dimensions as input tensor "
            f"(index shape {list(index.shape)}, input shape {list(input.shape)})"
        )
    for k, (i, n) in enumerate(zip(index.shape, input.shape, strict=True)):
        if k != d and i > n:
            raise RuntimeError(
                f"{name}(): Size does not match at dimension {k} expected index "
                f"{list(index.shape)} to be no larger than self {list(input.shape)} apart "
                f"from dimension {d}"
            )


def _indexed(name: str, fn, input: Tensor, d: int, index: Tensor, *rest):
    """Apply an index-driven Function; out-of-range indices raise PyTorch's error."""
    try:
        return fn.apply(input, d, index, *rest)
    except IndexError as exc:
        raise RuntimeError(
            f"{name}(): index out of range along dim {d} of a tensor of shape "
            f"{list(input.shape)} ({exc})"
        ) from None


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for any dim)."""
    d = norm_dim(dim, input.ndim)
    _check_index("gather", input, index, d)
    return _indexed("gather", Gather, input, d, index)


def _scatter(name: str, input: Tensor, dim: int, index: Tensor, src, add: bool) -> Tensor:
    d = norm_dim(dim, input.ndim)
    _check_index(name, input, index, d)
    if isinstance(src, Tensor):
        if src.dtype != input.dtype:
            raise RuntimeError(
                f"{name}(): Expected self.dtype to be equal to src.dtype "
                f"({input.dtype.name} != {src.dtype.name})"
            )
        if src.ndim != input.ndim or builtins.any(
            i > n for i, n in zip(index.shape, src.shape, strict=True)
        ):
            raise RuntimeError(
                f"{name}(): Expected index {list(index.shape)} to be no larger than src "
                f"{list(src.shape)} in every dimension"
            )
    return _indexed(name, Scatter, input, d, index, src, add)


def scatter(input: Tensor, dim: int, index: Tensor, src=None, *, value=None) -> Tensor:
    """A copy of input with input[index[i][j]][j] = src[i][j] (dim 0); src may be a number."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing the argument 'src' (a tensor) or 'value'")
    return _scatter("scatter", input, dim, index, src, False)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with src[i][j] added at input[index[i][j]][j] (dim 0)."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' must be Tensor, not {type(src).__name__}")
    return _scatter("scatter_add", input, dim, index, src, True)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of input at the positions ``index`` (1-D) along dim."""
    d = norm_dim(dim, input.ndim)
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu" or index.ndim > 1:
        raise RuntimeError("index_select(): Expected a 1-D (or 0-d) int64 index tensor")
    where_ = (slice(None),) * d + (index._data.reshape(-1),)
    if input.ndim == 0:
        where_ = (index._data.reshape(-1),)
        input = reshape(input, (1,))
    try:
        return GetItem.apply(input, where_)
    except IndexError as exc:
        raise RuntimeError(f"index_select(): {exc}") from None


# -- sorting -------------------------------------------------------------------------
return_types_sort = namedtuple("sort", ["values", "indices"])
return_types_topk = namedtuple("topk", ["values", "indices"])


def _argsort(input: Tensor, d: int, descending: bool):
    """Stable sorting indices along d (NaN counts as the largest, as in PyTorch)."""
    xp = _backend.get(input._device).xp
    a = input._data
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    # flip, sort ascending, flip back: descending, with ties still in index order
    n = a.shape[d]
    return (n - 1) - xp.flip(xp.argsort(xp.flip(a, d), axis=d, kind="stable"), d)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    d = norm_dim(dim, input.ndim)
    if input.ndim == 0:
        return _make(_backend.get(input._device).xp.zeros((), "int64"), input._device, False, None)
    out = _argsort(input, d, descending).astype("int64", copy=False)
    return _recorded("argsort", (input,), _make(out, input._device, False, None))


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False):
    """(values, indices) sorted along dim; values carry the gradient (a gather)."""
    d = norm_dim(dim, input.ndim)
    if input.ndim == 0:
        return return_types_sort(Clone.apply(input), argsort(input))
    order = _argsort(input, d, descending).astype("int64", copy=False)
    indices = _make(order, input._device, False, None)
    return return_types_sort(Gather.apply(input, d, indices), indices)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The k largest (or smallest) elements along dim, as (values, indices)."""
    d = norm_dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"topk(): selected index k ({k}) out of range for a dim of size {n}")
    if input.ndim == 0:
        return return_types_topk(Clone.apply(input), argsort(input))
    order = _argsort(input, d, largest)
    indices = order[(slice(None),) * d + (slice(0, k),)].astype("int64", copy=False)
    indices = _make(indices, input._device, False, None)
    return return_types_topk(Gather.apply(input, d, indices), indices)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"tril: input tensor must have at least 2 dimensions, got {input.ndim}")
    return Tri.apply(input, int(diagonal), False)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    if input.ndim < 2:
        raise RuntimeError(f"triu: input tensor must have at least 2 dimensions, got {input.ndim}")
    return Tri.apply(input, int(diagonal), True)


# -- norms and einsum ----------------------------------------------------------------
def norm(input: Tensor, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over dim (all elements when None): p = 'fro' (2), 1, 2, inf,
    -inf, 0 or any number."""
    if dtype is not None:
        input = input.to(dtype)
    if not input.is_floating_point():
        raise RuntimeError(
            f"norm(): Expected a floating point tensor as input. Got {input.dtype.name}"
        )
    if p == "fro" or p is None:
        p = 2
    elif isinstance(p, str):
        raise NotImplementedError(f"norm(): p={p!r} is not supported (use 'fro' or a number)")
    dims = norm_dims(dim, input.ndim) if dim is not None else None
    if dim is not None and not isinstance(dim, int) and len(tuple(dim)) == 0:
        dims = None
    return Norm.apply(input, float(p), dims, keepdim)


def _einsum_spec(equation: str, shapes: list) -> tuple:
    """(subscripts per operand, output subscripts, size per letter), with ellipses
    spelled out as spare letters and the implicit output made explicit."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(shapes):
        raise RuntimeError(
            f"einsum(): the equation {equation!r} has {len(inputs)} operands but "
            f"{len(shapes)} tensors were given"
        )
    letters = [c for c in eq if c.isalpha()]
    spare = [c for c in _LETTERS if c not in letters]
    n_ell = builtins.max(
        [len(s) - (len(sub) - 3) for sub, s in zip(inputs, shapes, strict=True) if "..." in sub]
        or [0]
    )
    ell = "".join(spare[:n_ell])
    subs = []
    for sub, shape in zip(inputs, shapes, strict=True):
        if "..." in sub:
            k = len(shape) - (len(sub) - 3)
            sub = sub.replace("...", ell[n_ell - k :] if k > 0 else "")
        if len(sub) != len(shape) or not sub.isalpha() and sub:
            raise RuntimeError(
                f"einsum(): the subscripts {sub!r} do not match an operand of shape "
                f"{list(shape)} (equation {equation!r})"
            )
        subs.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
    else:  # implicit: the broadcast dims, then the letters seen once, sorted
        once = [c for c in dict.fromkeys(lhs) if c.isalpha() and lhs.count(c) == 1]
        out = ell + "".join(sorted(once))
    sizes: dict = {}
    for sub, shape in zip(subs, shapes, strict=True):
        for c, n in zip(sub, shape, strict=True):
            m = sizes.get(c, 1)
            if n != m and n != 1 and m != 1:
                raise RuntimeError(
                    f"einsum(): subscript {c!r} has size {n} for an operand of shape "
                    f"{list(shape)}, which does not broadcast with size {m} elsewhere "
                    f"(equation {equation!r})"
                )
            sizes[c] = builtins.max(n, m) if n and m else 0
    for c in out:
        if c not in sizes:
            raise RuntimeError(f"einsum(): output subscript {c!r} does not appear in the inputs")
    return tuple(subs), out, sizes


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum("bij,bjk->bik", a, b)``; ellipses broadcast."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    spec = _einsum_spec(equation, [x.shape for x in operands])
    return Einsum.apply(spec, *operands)


# -- Tensor methods ------------------------------------------------------------------
def _view_dtype(t: Tensor, dtype) -> Tensor:
    """The same memory read as another dtype of the same size (bits reinterpreted)."""
    from core import dtypes as _dt

    np_dtype = _dt.to_numpy_dtype(dtype)
    if np_dtype == t._data.dtype:
        return t
    if np_dtype.itemsize != t._data.dtype.itemsize:
        raise RuntimeError(
            f"view(dtype): {t.dtype.name} and {_dt.from_numpy_dtype(np_dtype).name} have "
            "different element sizes; only same-size views are supported"
        )
    out = _make(t._data.view(np_dtype), t._device, False, None)
    out._vbox = _version_box(t)  # same memory: in-place writes count for both
    return out


def _bind_methods() -> None:
    def method_with_varargs_shape(fn):
        def m(self, *shape):
            return fn(self, _shape_args(shape))

        m.__name__ = fn.__name__
        return m

    def permute_m(self, *dims):
        return permute(self, dims)

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], int | tuple | list):
            return _view_dtype(self, shape[0])
        out = reshape(self, _shape_args(shape))
        if out is not self and out._data.size and _owner(out._data) is not _owner(self._data):
            raise RuntimeError(
                f"view size {list(out.shape)} is not compatible with input tensor's size and "
                f"stride {list(self.shape)} (at least one dimension spans across two "
                "contiguous subspaces). Use .reshape(...) instead."
            )
        return out

    def view_as(self, other):
        return reshape(self, other.shape)

    def expand_as(self, other):
        return expand(self, *other.shape)

    def reshape_as(self, other):
        return reshape(self, other.shape)

    plain = {
        "exp": exp,
        "log": log,
        "sqrt": sqrt,
        "rsqrt": rsqrt,
        "abs": abs,
        "sign": sign,
        "sin": sin,
        "cos": cos,
        "tanh": tanh,
        "sigmoid": sigmoid,
        "relu": relu,
        "clamp": clamp,
        "clip": clip,
        "maximum": maximum,
        "minimum": minimum,
        "pow": pow,
        "sum": sum,
        "mean": mean,
        "var": var,
        "std": std,
        "max": max,
        "min": min,
        "amax": amax,
        "argmax": argmax,
        "argmin": argmin,
        "logsumexp": logsumexp,
        "cumsum": cumsum,
        "prod": prod,
        "flatten": flatten,
        "squeeze": squeeze,
        "unsqueeze": unsqueeze,
        "transpose": transpose,
        "t": t,
        "expand": expand,
        "repeat": repeat,
        "split": split,
        "chunk": chunk,
        "unbind": unbind,
        "select": select,
        "narrow": narrow,
        "flip": flip,
        "matmul": matmul,
        "mm": mm,
        "bmm": bmm,
        "dot": dot,
        "outer": outer,
        "masked_fill": masked_fill,
        "remainder": remainder,
        "square": square,
        "neg": neg,
        "mul": mul,
        "div": div,
        "nonzero": nonzero,
        "multiply": mul,
        "divide": div,
        "permute": permute_m,
        "view": view,
        "view_as": view_as,
        "expand_as": expand_as,
        "reshape_as": reshape_as,
        "negative": neg,
        "reshape": method_with_varargs_shape(reshape),
    }
    for name, fn in plain.items():
        setattr(Tensor, name, fn)

    def where_m(self, condition, other):
        return where(condition, self, other)

    Tensor.where = where_m

    more = {
        "log1p": log1p,
        "expm1": expm1,
        "erf": erf,
        "floor": floor,
        "ceil": ceil,
        "trunc": trunc,
        "fix": fix,
        "round": round,
        "floor_divide": floor_divide,
        "bitwise_and": bitwise_and,
        "bitwise_or": bitwise_or,
        "bitwise_xor": bitwise_xor,
        "bitwise_not": bitwise_not,
        "softmax": softmax,
        "log_softmax": log_softmax,
        "gather": gather,
        "scatter": scatter,
        "scatter_add": scatter_add,
        "index_select": index_select,
        "sort": sort,
        "argsort": argsort,
        "topk": topk,
        "tril": tril,
        "triu": triu,
        "norm": norm,
    }
    for name, fn in more.items():
        setattr(Tensor, name, fn)
    _bind_inplace()
    _bind_new()


def _bind_inplace() -> None:
    """x.op_(...) for the ops that lack one in tensor.py: x takes op(x, ...)'s value
    (Tensor._inplace's rules: dtype casts, leaves, versions, views)."""

    def inplace(fn, name):
        def m(self, *args, **kwargs):
            return self._inplace(fn(self, *args, **kwargs), name)

        m.__name__ = m.__qualname__ = name
        return m

    ops = {
        "abs_": abs,
        "sign_": sign,
        "log_": log,
        "sin_": sin,
        "cos_": cos,
        "tanh_": tanh,
        "sigmoid_": sigmoid,
        "rsqrt_": rsqrt,
        "square_": square,
        "clip_": clamp,
        "log1p_": log1p,
        "expm1_": expm1,
        "erf_": erf,
        "floor_": floor,
        "ceil_": ceil,
        "trunc_": trunc,
        "round_": round,
        "remainder_": remainder,
        "floor_divide_": floor_divide,
        "bitwise_and_": bitwise_and,
        "bitwise_or_": bitwise_or,
        "bitwise_xor_": bitwise_xor,
        "tril_": tril,
        "triu_": triu,
        "scatter_": scatter,
        "scatter_add_": scatter_add,
    }
    for name, fn in ops.items():
        if name not in Tensor.__dict__:  # tensor.py's own in-place methods win
            setattr(Tensor, name, inplace(fn, name))


def _bind_new() -> None:
    """x.new_zeros(...) and friends: x's dtype and device unless given."""
    from core import factories

    def like(self, dtype, device) -> dict:
        return {
            "dtype": self.dtype if dtype is None else dtype,
            "device": self._device if device is None else device,
        }

    def sized(factory):
        def m(self, *size, dtype=None, device=None, requires_grad=False):
            return factory(*size, **like(self, dtype, device), requires_grad=requires_grad)

        m.__name__ = "new_" + factory.__name__
        return m

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return factories.full(
            size, fill_value, **like(self, dtype, device), requires_grad=requires_grad
        )

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from core.tensor import tensor

        return tensor(data, **like(self, dtype, device), requires_grad=requires_grad)

    Tensor.new_zeros = sized(factories.zeros)
    Tensor.new_ones = sized(factories.ones)
    Tensor.new_empty = sized(factories.empty)
    Tensor.new_full = new_full
    Tensor.new_tensor = new_tensor


_bind_methods()

# NOTE: last: these modules use the functions above (and bind their Tensor methods)
from core.ops.extra import *  # noqa: E402, F403
from core.ops.sampling import *  # noqa: E402, F403
