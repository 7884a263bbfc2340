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
from core.ops._util import broadcast_error, norm_dim, norm_dims, promote, quiet
from core.ops.elementwise import (
    Abs,
    Add,
    Cast,
    Clamp,
    Clone,
    Copy,
    Fill,
    Cos,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    Relu,
    Remainder,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Sub,
    Tanh,
    ToDevice,
    Where,
)
from core.ops.linalg import Linear, Matmul
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
    ViewUpdate,
    Stack,
)
from core.tensor import Tensor, _make, _operand

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
    if rounding_mode == "floor":
        return input // other
    if rounding_mode == "trunc":
        return no_grad_unary("trunc", input / other)
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
        if x.ndim != ref.ndim or any(
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


# -- Tensor methods ------------------------------------------------------------------
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
            return self.to(shape[0])  # view(dtype)
        return reshape(self, _shape_args(shape))

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


_bind_methods()
