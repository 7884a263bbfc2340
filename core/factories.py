"""Tensor factories: zeros, ones, full, empty, arange, linspace, eye, rand, randn, ..."""

from __future__ import annotations

import numpy as np

from core import backend as _backend
from core import dtypes as _dt
from core import random as _random
from core.tensor import Tensor, _make, normalize_device


def _size(size) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    shape = tuple(int(s) for s in size)
    if any(s < 0 for s in shape):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(shape)}")
    return shape


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


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    return _finish(xp.zeros(_size(size), dtype=_dtype(dtype)), dev, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    return _finish(xp.ones(_size(size), dtype=_dtype(dtype)), dev, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    return _finish(xp.empty(_size(size), dtype=_dtype(dtype)), dev, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    xp, dev = _xp(device)
    if dtype is None:
        default = (
            np.bool_
            if isinstance(fill_value, bool)
            else (np.int64 if isinstance(fill_value, int) else np.float32)
        )
    else:
        default = None
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
    is_int = all(isinstance(v, int) for v in (start, end, step))
    default = np.int64 if is_int else np.float32
    # NOTE: count computed in float64 like PyTorch, then cast, to avoid float32 drift
    n = max(int(np.ceil((end - start) / step)), 0)
    arr = (
        (start + step * np.arange(n, dtype=np.float64))
        if not is_int
        else np.arange(start, end, step, dtype=np.int64)
    )
    return _finish(xp.asarray(arr.astype(_dtype(dtype, default))), dev, requires_grad)


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
    return _finish(xp.asarray(values.astype(_dtype(dtype, default))), dev, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _host_random(
        _random.uniform(_size(size), 0.0, 1.0, generator), dtype, device, requires_grad
    )


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    return _host_random(
        _random.normal(_size(size), 0.0, 1.0, generator), dtype, device, requires_grad
    )


def randint(
    low,
    high=None,
    size=None,
    *,
    generator=None,
    dtype=None,
    device=None,
    requires_grad: bool = False,
) -> Tensor:
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        raise TypeError("randint() missing the required argument 'size'")
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    return _host_random(
        _random.integers(low, high, _size((size,)), generator),
        dtype,
        device,
        requires_grad,
        default=np.int64,
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
