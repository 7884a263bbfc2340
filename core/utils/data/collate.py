"""``default_collate`` / ``default_convert``: samples -> one batch (PyTorch's rules)."""

from __future__ import annotations

import collections.abc

import numpy as np

from core import backend as _backend
from core import dtypes as _dt
from core.tensor import Tensor, _make, tensor

__all__ = ["default_collate", "default_convert"]

_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _stack(batch: list[Tensor]) -> Tensor:
    """Stack along a new dim 0 on the backend directly (no graph unless one is needed)."""
    first = batch[0]
    if any(t._requires_grad for t in batch):
        from core.ops import stack  # the graph-building op, for samples that need grad

        return stack(batch)
    xp = _backend.XP[first._device]
    try:
        out = xp.stack([t._data for t in batch])
    except (ValueError, TypeError):
        for i, t in enumerate(batch):
            if t._device != first._device:
                raise _backend.DeviceError(
                    f"default_collate: sample 0 is on {first._device!r} but sample {i} is on "
                    f"{t._device!r}"
                ) from None
            if t.shape != first.shape:
                raise RuntimeError(
                    f"stack expects each tensor to be equal size, but got {list(first.shape)} "
                    f"at entry 0 and {list(t.shape)} at entry {i}"
                ) from None
        raise
    return _make(out, first._device, False, None)


def _numeric(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "biuf"


def default_collate(batch):
    """Merge a list of samples into a batch: tensors and numpy arrays are stacked along a
    new dim 0, Python ints/floats/bools become int64/float64/bool tensors, strings stay a
    list, and dicts, tuples and lists are collated field by field (tuples become lists)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if isinstance(elem, np.ndarray | np.generic) and not isinstance(elem, np.str_ | np.bytes_):
        if not _numeric(np.asarray(elem)):
            raise TypeError(_ERR.format(elem.dtype))
        if isinstance(elem, np.generic) or elem.ndim == 0:  # numpy scalars keep their dtype
            return tensor(np.array(batch, dtype=elem.dtype))
        return _stack([_from_array(a) for a in batch])
    if isinstance(elem, bool):
        return tensor(batch, dtype=_dt.bool)
    if isinstance(elem, int):
        return tensor(batch, dtype=_dt.int64)
    if isinstance(elem, float):
        return tensor(batch, dtype=_dt.float64)
    if isinstance(elem, str | bytes):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(collated)
        except TypeError:  # a mapping type that cannot be built from a dict
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))  # tuples: a field of strings stays a tuple (PyTorch)
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]  # PyTorch gives a list here too
        collated = [default_collate(s) for s in transposed]
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    raise TypeError(_ERR.format(type(elem)))


def _from_array(a: np.ndarray) -> Tensor:
    if not _numeric(a):
        raise TypeError(_ERR.format(a.dtype))
    if a.dtype not in _dt._FROM_NP:
        return tensor(a)  # uint16/uint32 widen to int64, as core.tensor does
    return _make(a, "cpu", False, None)


def default_convert(data):
    """Without batching (batch_size=None): numpy arrays and numpy scalars become tensors,
    recursively inside dicts and sequences; everything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return _from_array(data) if _numeric(data) else data
    if isinstance(data, np.generic) and not isinstance(data, np.str_ | np.bytes_):
        return tensor(np.asarray(data))
    if isinstance(data, str | bytes):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # as PyTorch does
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
