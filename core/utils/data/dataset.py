"""Map- and iterable-style datasets, and ``random_split`` (PyTorch's torch.utils.data)."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from core import backend as _backend
from core import random as _random
from core.factories import as_tensor
from core.tensor import Tensor, _make

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "StackDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: ``dataset[i]`` is one sample; subclasses define
    ``__getitem__`` and usually ``__len__``. ``a + b`` concatenates two datasets."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (DataLoader batches it in order)."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples are rows of tensors that share their first dimension: ``dataset[i]`` is
    ``(t[i] for t in tensors)`` as a tuple. numpy arrays are accepted and wrapped without
    a copy. A DataLoader over it gathers each batch with one index per tensor."""

    def __init__(self, *tensors: Tensor) -> None:
        tensors = tuple(t if isinstance(t, Tensor) else as_tensor(t) for t in tensors)
        for k, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {k} is 0-d; every tensor needs dim 0")
        sizes = [t.shape[0] for t in tensors]
        if any(s != sizes[0] for s in sizes):
            raise ValueError(
                f"Size mismatch between tensors: their sizes along dim 0 are {sizes}; "
                "every tensor needs one row per sample"
            )
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0] if self.tensors else 0

    def _get_batch(self, index) -> list[Tensor]:
        """The collated batch of an int64 index array or a slice (a new tensor per
        field, as default_collate would give): one gather per tensor."""
        out = []
        for t in self.tensors:
            if t._requires_grad:
                out.append(t[index])  # through GetItem: the batch stays in the graph
                continue
            data = t._data
            if type(index) is slice:
                out.append(_make(data[index].copy(), t._device, False, None))
            elif type(data) is np.ndarray:
                out.append(_make(data.take(index, axis=0), t._device, False, None))
            else:  # cuda: the host index array goes to the device first
                index_d = _backend.XP[t._device].asarray(index)
                out.append(_make(data[index_d], t._device, False, None))
        return out


def _fast_batches(dataset) -> bool:
    """Whether ``dataset._get_batch`` gives what default_collate of its items would."""
    cls = type(dataset)
    if isinstance(dataset, TensorDataset):
        return cls.__getitem__ is TensorDataset.__getitem__
    if isinstance(dataset, Subset):
        return cls.__getitem__ is Subset.__getitem__ and _fast_batches(dataset.dataset)
    return False


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices
        self._cache = (None, None)  # (indices object, its int64 array) for batch gathers

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def _index_array(self) -> np.ndarray:
        # NOTE: cached per indices object (and length): mutate .indices by assignment
        source, arr = self._cache
        if source is not self.indices or len(arr) != len(self.indices):
            arr = np.asarray(self.indices, dtype=np.int64).reshape(-1)
            self._cache = (self.indices, arr)
        return arr

    def _get_batch(self, index) -> list[Tensor]:
        return self.dataset._get_batch(self._index_array()[index])


class ConcatDataset(Dataset):
    """Several map-style datasets one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ValueError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    @staticmethod
    def cumsum(sequence) -> list[int]:
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        if dataset_idx >= len(self.datasets):
            raise IndexError(f"index {idx} is out of range for a dataset of size {len(self)}")
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


class ChainDataset(IterableDataset):
    """Several iterable datasets chained one after another."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


class StackDataset(Dataset):
    """Zips datasets of one length: ``StackDataset(a, b)[i] == (a[i], b[i])``, and
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args: Dataset, **kwargs: Dataset) -> None:
        if args and kwargs:
            raise ValueError(
                "Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                "input/output, but both types are given."
            )
        parts = args or tuple(kwargs.values())
        if not parts:
            raise ValueError("At least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError(f"Size mismatch between datasets: {[len(d) for d in parts]}")
        self.datasets = args or kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self) -> int:
        return self._length


def _split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """PyTorch's rule: fractions summing to 1 get floor(n * f) each, and the remainder is
    dealt one at a time from the first split on; ints must add up to n."""
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(
                    f"Length of split at index {i} is 0. This might result in an empty dataset.",
                    stacklevel=3,
                )
        lengths = sizes
    if any(not isinstance(s, int | np.integer) or s < 0 for s in lengths):
        raise ValueError(
            f"random_split: lengths must be non-negative ints adding up to the dataset's "
            f"length ({n}), or fractions adding up to 1; got {lengths}"
        )
    if sum(lengths) != n:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset! "
            f"(lengths {list(lengths)} add up to {sum(lengths)}, the dataset has {n})"
        )
    return [int(s) for s in lengths]


def _split_indices(n: int, lengths, generator) -> list[np.ndarray]:
    """Shuffled index arrays, one per split (the permutation random_split draws)."""
    sizes = _split_lengths(n, lengths)
    perm = _random.permutation(n, generator)
    bounds = np.cumsum([0, *sizes])
    return [perm[bounds[i] : bounds[i + 1]] for i in range(len(sizes))]


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list:
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths (ints, or
    fractions adding up to 1); ``generator`` (a core.Generator) defaults to the global one."""
    return [
        Subset(dataset, idx.tolist()) for idx in _split_indices(len(dataset), lengths, generator)
    ]
