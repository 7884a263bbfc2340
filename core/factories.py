"""Tensor factories: zeros, ones, full, empty, arange, linspace, eye, rand, randn, ..."""

from __future__ import annotations

import operator

import numpy as np

from core import backend as _backend
from core import dtypes as _dt
from core import random as _random
from core.tensor import Tensor, _make, normalize_device


def _size(size) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    shape = []
    for k, s in enumerate(size):
        try:  # ints only (2.5 is a TypeError, as in PyTorch); numpy ints, int tensors pass
            shape.append(operator.index(s))
        except TypeError:
            raise TypeError(
                f"argument 'size' must be a tuple of ints, but found element of type "
                f"{type(s).__name__} at pos {k} (size {tuple(size)})"
            ) from None
    shape = tuple(shape)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


def _size_arg(sizes: tuple, size) -> tuple[int, ...]:
    """The shape of zeros(2, 3), zeros((2, 3)) or zeros(size=(2, 3))."""
    if size is not None:
        if sizes:
            raise TypeError("got multiple values for argument 'size'")
        sizes = (size,)
    return _size(sizes)


def _finish(arr, device: str, requires_grad: bool) -> Tensor:
    t = _make(arr, device, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dtype(dtype, default=np.float32):
    return default if dtype is None else _dt.to_numpy_dtype(dtype)


def _xp(device) -> tuple:
    name = normalize_device(device)
    return _backend.get(name).xp, name


def zeros(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    shape = _size_arg(sizes, size)
    return _finish(xp.zeros(shape, dtype=_dtype(dtype)), dev, requires_grad)


def ones(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    shape = _size_arg(sizes, size)
    return _finish(xp.ones(shape, dtype=_dtype(dtype)), dev, requires_grad)


def empty(*sizes, size=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    shape = _size_arg(sizes, size)
    return _finish(xp.empty(shape, dtype=_dtype(dtype)), dev, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    if isinstance(fill_value, bool):
        default = np.bool_
    elif isinstance(fill_value, int | np.integer):
        default = np.int64
    else:
        default = np.float32
    return _finish(
        xp.full(_size((size,)), fill_value, dtype=_dtype(dtype, default)), dev, requires_grad
    )


def _like(fn, input: Tensor, dtype, device, requires_grad):
    return fn(
        input.shape,
        dtype=input.dtype if dtype is None else dtype,
        device=input._device if device is None else device,
        requires_grad=requires_grad,
    )


def zeros_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(empty, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(
        lambda size, **kw: full(size, fill_value, **kw), input, dtype, device, requires_grad
    )


def arange(
    start, end=None, step=1, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    xp, dev = _xp(device)
    is_int = all(isinstance(v, int | np.integer) for v in (start, end, step))  # np.int64 too
    default = np.int64 if is_int else np.float32
    if is_int:
        arr = np.arange(start, end, step, dtype=np.int64)
    else:
        # NOTE: count computed in float64 like PyTorch, then cast, to avoid float32 drift
        n = max(int(np.ceil((end - start) / step)), 0)
        arr = start + step * np.arange(n, dtype=np.float64)
    return _finish(xp.asarray(arr.astype(_dtype(dtype, default), copy=False)), dev, requires_grad)


def linspace(
    start, end, steps: int, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    xp, dev = _xp(device)
    arr = np.linspace(start, end, int(steps), dtype=np.float64).astype(_dtype(dtype))
    return _finish(xp.asarray(arr), dev, requires_grad)


def eye(
    n: int, m: int | None = None, *, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    xp, dev = _xp(device)
    return _finish(xp.eye(n, m, dtype=_dtype(dtype)), dev, requires_grad)


def _host_random(values: np.ndarray, dtype, device, requires_grad, default=np.float32):
    xp, dev = _xp(device)
    # NOTE: values is a fresh host array: no copy when it already has the dtype
    arr = values.astype(_dtype(dtype, default), copy=False)
    return _finish(xp.asarray(arr), dev, requires_grad)


def rand(
    *sizes, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    """Samples uniform in [0, 1)."""
    sample = _random.uniform(_size_arg(sizes, size), 0.0, 1.0, generator, _dtype(dtype))
    return _host_random(sample, dtype, device, requires_grad)


def randn(
    *sizes, size=None, generator=None, dtype=None, device=None, requires_grad: bool = False
) -> Tensor:
    return _host_random(
        _random.normal(_size_arg(sizes, size), 0.0, 1.0, generator), dtype, device, requires_grad
    )


_RANDINT_FORMS = (
    " * (int high, tuple of ints size, *, Generator generator, dtype dtype = None, "
    "device device = None, bool requires_grad = False)\n"
    " * (int low, int high, tuple of ints size, *, Generator generator, dtype dtype = None, "
    "device device = None, bool requires_grad = False)"
)


def _randint_args(args: tuple, kwargs: dict) -> tuple[int, int, tuple[int, ...]]:
    """(low, high, size) from PyTorch's call forms randint(high, size) and
    randint(low, high, size), each argument positional or by keyword."""
    for name in kwargs:
        if name not in ("low", "high", "size"):
            raise TypeError(f"randint() got an unexpected keyword argument '{name}'")
    three = "low" in kwargs or len(args) + len(kwargs) >= 3
    names = ("low", "high", "size") if three else ("high", "size")
    bound = {"low": (0, None)}  # name -> (value, position or None)
    for k, (name, value) in enumerate(zip(names, args)):
        bound[name] = (value, k + 1)
    for name, value in kwargs.items():
        if name in bound and bound[name][1] is not None:
            raise TypeError(f"randint() got multiple values for argument '{name}'")
        bound[name] = (value, None)
    missing = [n for n in names if n not in bound]
    if len(args) > len(names) or (missing and not kwargs):
        got = ", ".join(
            [type(a).__name__ for a in args]
            + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
        )
        raise TypeError(
            f"randint() received an invalid combination of arguments - got ({got}), but "
            f"expected one of:\n{_RANDINT_FORMS}"
        )
    if missing:
        raise TypeError(
            f"randint() missing {len(missing)} required positional argument"
            f"{'s' if len(missing) > 1 else ''}: " + ", ".join(f'"{n}"' for n in missing)
        )

    def at(pos):
        return f" (position {pos})" if pos else ""

    low_high = []
    for name in ("low", "high"):
        value, pos = bound[name]
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(
                f"randint(): argument '{name}'{at(pos)} must be int, not {type(value).__name__}"
            )
        low_high.append(int(value))
    size, pos = bound["size"]
    if not isinstance(size, tuple | list) or not all(
        isinstance(n, int | np.integer) and not isinstance(n, bool) for n in size
    ):
        raise TypeError(
            f"randint(): argument 'size'{at(pos)} must be tuple of ints, not {type(size).__name__}"
        )
    return low_high[0], low_high[1], _size((tuple(size),))


def randint(
    *args, generator=None, dtype=None, device=None, requires_grad: bool = False, **kwargs
) -> Tensor:
    """Integers uniform in [low, high) (low defaults to 0) of the given size:
    ``randint(high, size)`` or ``randint(low, high, size)``; int64 unless dtype says."""
    low, high, size = _randint_args(args, kwargs)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    target = np.dtype(_dtype(dtype, np.int64))
    if target.kind in "biu":  # the range must fit the dtype, as in PyTorch
        lo_ok, hi_ok = (
            (0, 1) if target.kind == "b" else (np.iinfo(target).min, np.iinfo(target).max)
        )
        name = _dt.from_numpy_dtype(target).name
        if low < lo_ok:
            raise RuntimeError(f"from is out of bounds for {name}")
        if high - 1 > hi_ok:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")
    return _host_random(
        _random.integers(low, high, size, generator), dtype, device, requires_grad, np.int64
    )


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    return _host_random(_random.permutation(n, generator), dtype, device, False, default=np.int64)


def rand_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(rand, input, dtype, device, requires_grad)


def randn_like(input: Tensor, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _like(randn, input, dtype, device, requires_grad)


def randint_like(input: Tensor, low, high=None, *, dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return _like(lambda size, **kw: randint(low, high, size, **kw), input, dtype, device, False)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """data as a tensor, without a copy where possible: a Tensor already of this dtype and
    device is returned as is, and a numpy array for the CPU shares its memory."""
    if isinstance(data, Tensor):
        out = data if device is None else data.to(device)
        return out if dtype is None else out.to(dtype)
    if (
        isinstance(data, np.ndarray)
        and (device is None or normalize_device(device) == "cpu")
        and (dtype is None or _dt.to_numpy_dtype(dtype) == data.dtype)
        and data.dtype in _dt._FROM_NP
    ):
        return _make(data, "cpu", False, None)
    from core.tensor import tensor

    return tensor(data, dtype=dtype, device=device)
