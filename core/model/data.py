"""The data a document trains on: its dataset section turned into train/validation sets.

    data = load_data(doc.dataset, root=project_folder)
    data.train, data.val          # LabeledDataset / SequenceDataset (val None without a split)
    data.task, data.num_classes, data.input_shape, data.input_dtype, data.description

Sources (``dataset.source``): ``builtin`` (``core.datasets.BUILTIN[name]``), ``csv``,
``npz``, ``mnist`` (a folder of IDX files), ``image_folder`` (one sub-folder per class)
and ``text`` (a text file at ``path``, or the built-in corpus ``name``, cut into windows
of ``block`` characters). ``dataset.options`` are keyword arguments of the loading
function (e.g. ``n_samples``, ``noise`` for spirals; ``delimiter`` for CSV; ``size`` for
image folders; ``stride``, ``max_chars`` for text); a built-in set that takes a ``seed``
gets seed 0 unless the options say otherwise, so a document always sees the same data.
Relative paths resolve against ``root`` (the project file's folder).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from core import datasets
from core.datasets import DatasetError, standardize
from core.datasets import text as _text

__all__ = ["Data", "DatasetError", "load_data"]

_FILE_SOURCES = {"csv": "file", "npz": "file", "mnist": "folder", "image_folder": "folder"}


@dataclass
class Data:
    """Training and validation sets with what a model needs to know about them."""

    train: Any
    val: Any | None
    task: str  # "classification" or "regression"
    num_classes: int | None
    classes: list[str] | None
    input_shape: tuple[int, ...]
    input_dtype: str  # "float32" or "int64"
    target_shape: tuple[int, ...]  # one sample's target: () for a class, (T,) per position
    name: str
    source: str = "builtin"
    settings: dict = field(default_factory=dict)

    @property
    def description(self) -> str:
        """One line for a command line or status bar."""
        n_val = 0 if self.val is None else len(self.val)
        shape = "x".join(map(str, self.input_shape)) or "scalar"
        if self.task == "classification":
            what = f"{self.num_classes} classes"
            if self.target_shape:
                what += " per position"
        else:
            k = 1
            for d in self.target_shape:
                k *= d
            what = f"regression, {k} target{'s' if k != 1 else ''}"
        return (
            f"{self.name} ({self.source}): {len(self.train):,} training + {n_val:,} validation "
            f"samples, input {shape} {self.input_dtype}, {what}"
        )


def load_data(dataset: Mapping[str, Any], *, root: str | os.PathLike | None = None) -> Data:
    """The train/validation data a dataset section describes (DatasetError if it cannot)."""
    from core.model.document import DocumentError
    from core.model.settings import check_dataset

    try:
        s = check_dataset(dataset)
    except DocumentError as e:
        raise DatasetError(str(e)) from None
    source = s["source"]
    options = dict(s["options"])
    if source == "builtin":
        ds = _builtin(s["name"], options)
    elif source == "text":
        ds = _text_data(s, options, root)
    else:
        ds = _file(source, s, options, root)

    task = s["task"]
    if task != "auto" and task != ds.task:
        raise DatasetError(
            f"dataset.task: {ds.name!r} is a {ds.task} dataset, but the task is set to "
            f"{task!r}; set dataset.task to 'auto' or {ds.task!r}"
        )
    train, val = _split(ds, s["validation_split"], s["split_seed"])
    if s["standardize"]:
        if source == "text":
            raise DatasetError(
                "dataset.standardize: text samples are character ids, which cannot be "
                "standardized; turn standardize off"
            )
        if val is None:
            train = standardize(train)
        else:
            train, val = standardize(train, val)  # training statistics only
    x, y = train.tensors
    return Data(
        train=train,
        val=val,
        task=ds.task,
        num_classes=ds.num_classes,
        classes=None if ds.classes is None else list(ds.classes),
        input_shape=tuple(x.shape[1:]),
        input_dtype="float32" if x.is_floating_point() else "int64",
        target_shape=tuple(y.shape[1:]),
        name=ds.name,
        source=source,
        settings=s,
    )


# -- sources ---------------------------------------------------------------------------------
def _builtin(name: str, options: dict):
    fn = datasets.BUILTIN.get(name)
    if fn is None:
        raise DatasetError(
            f"dataset.name: there is no built-in dataset {name!r}; the built-in sets: "
            f"{', '.join(datasets.BUILTIN)}"
        )
    if "seed" in inspect.signature(fn).parameters:
        options.setdefault("seed", 0)  # the same samples every time the document loads
    return _call(fn, options, f"{name}()")


def _text_data(s: dict, options: dict, root):
    block = s["block"]
    if s["path"]:
        path = _resolve(s["path"], root, "file", "text")
        return _call(_text.load_text, {"path": path, "block": block, **options}, "text file")
    name = s["name"]
    if name not in _text.CORPORA:
        raise DatasetError(
            f"dataset.name: there is no built-in text corpus {name!r}; the corpora: "
            f"{', '.join(_text.CORPORA)} (or set dataset.path to a text file)"
        )
    return _call(_text.corpus, {"name": name, "block": block, **options}, f"corpus {name!r}")


def _file(source: str, s: dict, options: dict, root):
    kind = _FILE_SOURCES[source]
    path = _resolve(s["path"], root, kind, source)
    task = None if s["task"] == "auto" else s["task"]
    if source == "csv":
        args = {"path": path, "target": s["target"] or -1, "task": task}
        return _call(datasets.load_csv, {**args, **options}, "CSV file")
    if source == "npz":
        return _call(datasets.load_npz, {"path": path, "task": task, **options}, ".npz file")
    if source == "mnist":
        return _call(datasets.load_mnist, {"root": path, **options}, "MNIST folder")
    return _call(datasets.load_image_folder, {"root": path, **options}, "image folder")


def _resolve(path: str, root, kind: str, source: str) -> str:
    if not path:
        raise DatasetError(
            f"dataset.path: source {source!r} reads a {kind}; set dataset.path to the {kind}"
        )
    full = os.path.expanduser(path)
    if not os.path.isabs(full):
        full = os.path.join(os.fspath(root) if root is not None else os.getcwd(), full)
    full = os.path.normpath(full)
    exists = os.path.isdir(full) if kind == "folder" else os.path.isfile(full)
    if not exists:
        what = "a folder" if os.path.isdir(full) else "a file" if os.path.isfile(full) else ""
        found = f"that is {what}, not a {kind}" if what else "nothing is there"
        raise DatasetError(
            f"dataset.path: {path!r} -> {full}: {found}; source {source!r} needs a {kind} "
            "(relative paths start at the project file's folder)"
        )
    return full


def _call(fn: Callable, kwargs: dict, what: str):
    """fn(**kwargs), with options it does not take and the errors it raises explained."""
    params = inspect.signature(fn).parameters
    accepted = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for key in kwargs:
        if key not in accepted:
            raise DatasetError(
                f"dataset.options.{key}: {what} has no option {key!r}; its options: "
                f"{', '.join(accepted) or 'none'}"
            )
    try:
        return fn(**kwargs)
    except DatasetError as e:
        raise DatasetError(f"dataset ({what}): {e}") from None
    except (ValueError, TypeError) as e:
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k not in ("path", "root"))
        raise DatasetError(
            f"dataset.options: {what} refused {shown or 'its defaults'}: {e}"
        ) from None


def _split(ds, fraction: float, seed: int):
    if fraction <= 0:
        return ds, None
    n = len(ds)
    n_val = int(round(n * fraction))
    if n_val < 1 or n - n_val < 1:
        raise DatasetError(
            f"dataset.validation_split: {fraction} of {n} samples leaves "
            f"{n - n_val} for training and {n_val} for validation; both need at least one "
            "(change the split, or use more data)"
        )
    train, val = ds.split([n - n_val, n_val], seed=seed)
    return train, val
