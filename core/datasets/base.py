"""LabeledDataset (features + targets + metadata) and DatasetError."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np

from core import random as _random
from core.backend import to_numpy
from core.tensor import Tensor, _make, normalize_device
from core.utils.data.dataset import Subset, TensorDataset, _split_indices

__all__ = ["DatasetError", "LabeledDataset", "standardize"]

CLASSIFICATION, REGRESSION = "classification", "regression"


class DatasetError(ValueError):
    """A data file is malformed; the message names the file, the place and what was
    expected there."""


def _host(a) -> np.ndarray:
    return to_numpy(a._data) if isinstance(a, Tensor) else np.asarray(a)


class MetaDataset(TensorDataset):
    """A TensorDataset of ``(data, targets)`` with metadata (``name``, ``classes``) that the
    datasets derived from it keep: torchvision-style access, ``numpy``, ``subset``,
    ``split`` and ``to``. Subclasses say how to remake one from arrays (``_like``)."""

    name: str
    classes: list[str] | None

    def _like(self, x: np.ndarray, y: np.ndarray) -> Self:
        raise NotImplementedError

    # -- torchvision-style access ------------------------------------------------------
    @property
    def data(self) -> Tensor:
        return self.tensors[0]

    @property
    def targets(self) -> Tensor:
        return self.tensors[1]

    @property
    def num_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes or ())}

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.tensors[0].shape[1:])

    def numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """(features, targets) as host numpy arrays."""
        return to_numpy(self.tensors[0]._data), to_numpy(self.tensors[1]._data)

    # -- derived datasets ----------------------------------------------------------------
    def subset(self, indices) -> Self:
        """The rows at ``indices`` (copied), with the same metadata."""
        idx = np.asarray(indices, dtype=np.int64)
        x, y = self.numpy()
        out = self._like(x[idx], y[idx])
        return out.to(self.data.device) if self.data.device != "cpu" else out

    def split(self, lengths, *, seed: int | None = None, generator=None) -> list[Self]:
        """Random disjoint parts of the given lengths (ints, or fractions adding up to 1),
        drawn as ``random_split`` draws them; ``seed`` makes a private generator."""
        if seed is not None:
            if generator is not None:
                raise ValueError("split: pass seed or generator, not both")
            generator = _random.Generator().manual_seed(seed)
        return [self.subset(idx) for idx in _split_indices(len(self), lengths, generator)]

    def to(self, device) -> Self:
        """The same dataset with its tensors on ``device`` (batches then come from there)."""
        name = normalize_device(device)
        if name == self.data._device:
            return self
        out = self._like(*self.numpy())
        out.tensors = tuple(t.to(name) for t in out.tensors)
        return out


class LabeledDataset(MetaDataset):
    """Samples with one target each: ``ds[i] == (ds.data[i], ds.targets[i])``.

    A TensorDataset (so DataLoader, random_split and Subset work as in PyTorch) with
    torchvision's attribute names and the metadata a model needs:

    - ``data``: float32 features, (N, F) for tables or (N, C, H, W) for images;
    - ``targets``: int64 class indices (N,) for classification, float32 (N, K) for
      regression; ``tensors == (data, targets)``;
    - ``task``: "classification" or "regression";
    - ``classes`` (names, index = class id), ``class_to_idx``, ``num_classes``
      (None for regression); ``feature_names`` (None where features are pixels);
      ``categories``: for CSV files, {column: [categories]} of encoded text columns;
    - ``name``; ``input_shape``: one sample's feature shape;
    - ``standardization``: (mean, std) arrays once :func:`standardize` was applied.

    ``ds.split([0.8, 0.2], seed=0)`` splits into LabeledDatasets that keep the metadata;
    ``ds.numpy()`` gives (x, y) arrays.
    """

    def __init__(
        self,
        data,
        targets,
        *,
        name: str = "dataset",
        task: str | None = None,
        classes: Sequence[str] | None = None,
        feature_names: Sequence[str] | None = None,
        categories: dict | None = None,
        standardization: tuple | None = None,
    ) -> None:
        x = _host(data)
        y = _host(targets)
        if task is None:
            task = CLASSIFICATION if y.dtype.kind in "biu" else REGRESSION
        if task not in (CLASSIFICATION, REGRESSION):
            raise ValueError(f"task must be 'classification' or 'regression', got {task!r}")
        if x.ndim == 0 or y.ndim == 0 or len(x) != len(y):
            raise ValueError(
                f"LabeledDataset {name!r}: data {tuple(x.shape)} and targets {tuple(y.shape)} "
                "need one row per sample"
            )
        device = data._device if isinstance(data, Tensor) else "cpu"
        x = np.ascontiguousarray(x, dtype=np.float32)
        if task == CLASSIFICATION:
            y = y.reshape(len(y), -1) if y.ndim > 1 else y
            if y.ndim != 1 and y.shape[1] != 1:
                raise ValueError(
                    f"LabeledDataset {name!r}: class targets must be one index per sample, "
                    f"got shape {tuple(y.shape)}"
                )
            y = y.reshape(-1)
            if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
                raise ValueError(f"LabeledDataset {name!r}: class targets must be integers")
            y = y.astype(np.int64)
            if len(y) and y.min() < 0:
                raise ValueError(f"LabeledDataset {name!r}: class targets must be >= 0")
            if classes is None:
                classes = [str(i) for i in range(int(y.max()) + 1 if len(y) else 0)]
            elif len(y) and y.max() >= len(classes):
                raise ValueError(
                    f"LabeledDataset {name!r}: target {int(y.max())} is out of range for "
                    f"{len(classes)} classes"
                )
        else:
            y = np.ascontiguousarray(y.reshape(len(y), -1), dtype=np.float32)
            classes = None
        super().__init__(_to(x, device), _to(y, device))
        self.name = name
        self.task = task
        self.classes = None if classes is None else [str(c) for c in classes]
        self.feature_names = None if feature_names is None else [str(f) for f in feature_names]
        self.categories = dict(categories) if categories else {}
        self.standardization = standardization

    def _like(self, x, y, **changes) -> LabeledDataset:
        meta = {
            "name": self.name,
            "task": self.task,
            "classes": self.classes,
            "feature_names": self.feature_names,
            "categories": self.categories,
            "standardization": self.standardization,
        }
        meta.update(changes)
        return LabeledDataset(x, y, **meta)

    def __repr__(self) -> str:
        parts = [f"name={self.name!r}", f"samples={len(self)}", f"input_shape={self.input_shape}"]
        if self.task == CLASSIFICATION:
            parts.append(f"num_classes={self.num_classes}")
        else:
            parts.append(f"target_shape={tuple(self.targets.shape[1:])}")
        return f"LabeledDataset({', '.join(parts)})"


def _to(a: np.ndarray, device: str) -> Tensor:
    t = _make(a, "cpu", False, None)
    return t if device == "cpu" else t.to(device)


def _labeled(ds, what: str) -> LabeledDataset:
    """ds itself, or for a Subset (of a Subset ...) of a LabeledDataset, its rows."""
    if isinstance(ds, LabeledDataset):
        return ds
    if isinstance(ds, Subset):
        base = _labeled(ds.dataset, what)
        return base.subset(ds._index_array())
    raise TypeError(
        f"{what}: expected a LabeledDataset (from core.datasets, or its .split()) or a "
        f"Subset of one (from random_split), got {type(ds).__name__}"
    )


def standardize(fit: LabeledDataset, *others: LabeledDataset, eps: float = 0.0):
    """Shift and scale features to zero mean, unit variance using the statistics of
    ``fit`` (per feature, or per pixel for images; constant features are only centred),
    applied to ``fit`` and every one of ``others``. Returns the new dataset, or a tuple
    when ``others`` are given: ``train, test = standardize(train, test)``.

    Each may be a LabeledDataset or a ``Subset`` of one (what ``random_split`` gives):
    ``standardize(*random_split(ds, [0.8, 0.2]))`` works and returns LabeledDatasets
    holding the subsets' rows, in their order, with the metadata."""
    fit = _labeled(fit, "standardize")
    others = tuple(_labeled(ds, "standardize") for ds in others)
    x = fit.numpy()[0].astype(np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std = np.where(std > eps, std, 1.0)
    mean32, std32 = mean.astype(np.float32), std.astype(np.float32)
    out = []
    for ds in (fit, *others):
        xs, ys = ds.numpy()
        if xs.shape[1:] != mean.shape:
            raise ValueError(
                f"standardize: {ds.name!r} has samples of shape {xs.shape[1:]}, but "
                f"{fit.name!r} has {mean.shape}"
            )
        new = ds._like((xs - mean32) / std32, ys, standardization=(mean32, std32))
        out.append(new.to(ds.data.device) if ds.data.device != "cpu" else new)
    return out[0] if not others else tuple(out)
