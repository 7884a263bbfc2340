"""The data a document trains on: its dataset section turned into train/validation sets.

    data = load_data(doc.dataset, root=project_folder)
    data.train, data.val          # LabeledDataset / SequenceDataset (val None without a split)
    data.task, data.num_classes, data.input_shape, data.input_dtype, data.description

Sources (``dataset.source``): ``builtin`` (``core.datasets.BUILTIN[name]``), ``csv``,
``npz``, ``mnist`` (a folder of IDX files), ``image_folder`` (one sub-folder per class)
and ``text`` (a text file at ``path``, or the built-in corpus ``name``, cut into windows
of ``block`` characters). ``dataset.options`` are keyword arguments of the loading
function, JSON scalars or lists of them (e.g. ``n_samples``, ``noise`` for spirals;
``delimiter``, ``categorical_columns`` for CSV; ``size`` for image folders; ``stride``,
``max_chars`` for text); a built-in set that takes a ``seed`` gets seed 0 unless the
options say otherwise, so a document always sees the same data.
Relative paths resolve against ``root`` (the project file's folder).

``check_dataset(dataset, root=...)`` lists the problems found without reading any data
(unknown names and options, a path that is not there): what ``validate`` reports.

Once the data is loaded, ``data_info(data)`` is what a model needs to know about it (no
arrays), ``data_problems(doc, info)`` the ways the document's model does not fit it (as
inference diagnostics) and ``input_params_for(info)`` the Input node's parameters that fit.
"""

from __future__ import annotations

import csv
import inspect
import io
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core import datasets
from core.datasets import DatasetError, standardize
from core.datasets import text as _text
from core.model import settings
from core.model.params import short_repr

if TYPE_CHECKING:
    from core.model.inference import Diagnostic, Inference
    from core.model.serialize import Problem

__all__ = [
    "DATA_CODES",
    "Data",
    "DataInfo",
    "DatasetError",
    "check_dataset",
    "csv_columns",
    "data_info",
    "data_problems",
    "input_params_for",
    "load_data",
]

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

    try:
        s = settings.check_dataset(dataset)
    except DocumentError as e:
        raise DatasetError(str(e)) from None
    source = s["source"]
    loader = _loader(s)
    found = _option_problems(loader, s["options"])
    if found:
        raise DatasetError(str(found[0]))
    kwargs = dict(loader.fixed)
    if loader.path_arg:
        kwargs[loader.path_arg] = _resolve(s["path"], root, _path_kind(s), source)
    ds = _call(loader, {**kwargs, **s["options"]})

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


def check_dataset(
    dataset: Mapping[str, Any], *, root: str | os.PathLike | None = None, files: bool = True
) -> list[Problem]:
    """Every problem of a dataset section found without reading any data: the section's
    settings, a built-in set's or corpus's name, options the loading function does not
    take (or that repeat a setting), and with ``files`` whether ``dataset.path`` is there
    (relative to ``root``, as :func:`load_data` resolves it) and is a file or a folder as
    the source needs. Each problem's path starts with ``dataset``; [] when none is found
    (the data may still fail to load: a file's content is not read)."""
    from core.model.serialize import Problem, _join

    found = settings.problems("dataset", dataset)
    if found:
        return [Problem(_join("dataset", *path), message) for path, message in found]
    s = settings.check_dataset(dataset)
    out: list[Problem] = []
    try:
        loader = _loader(s)
    except DatasetError as e:
        out.append(_as_problem(e))
    else:
        out += _option_problems(loader, s["options"])
        if files and loader.path_arg:
            try:
                _resolve(s["path"], root, _path_kind(s), s["source"])
            except DatasetError as e:
                out.append(_as_problem(e))
    return out


# -- sources ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Loader:
    """The function a dataset section loads with: ``fixed`` keyword arguments that the
    section's own settings give, ``path_arg`` the argument taking the resolved path (None
    for built-in data), ``what`` its name in messages."""

    fn: Callable
    what: str
    fixed: dict
    path_arg: str | None = None


# keyword arguments the section's settings fill -> the setting (options may not repeat them)
_SETTING_OF = {"path": "path", "root": "path", "target": "target", "task": "task"}
_SETTING_OF |= {"block": "block", "name": "name"}


def _loader(s: dict) -> _Loader:
    """The loading function of a checked section (DatasetError for an unknown name)."""
    source = s["source"]
    if source == "builtin":
        name = s["name"]
        fn = datasets.BUILTIN.get(name)
        if fn is None:
            raise DatasetError(
                f"dataset.name: there is no built-in dataset {name!r}; the built-in sets: "
                f"{', '.join(datasets.BUILTIN)}"
            )
        return _Loader(fn, f"{name}()", {})
    if source == "text":
        if s["path"]:
            return _Loader(_text.load_text, "text file", {"block": s["block"]}, "path")
        name = s["name"]
        if name not in _text.CORPORA:
            raise DatasetError(
                f"dataset.name: there is no built-in text corpus {name!r}; the corpora: "
                f"{', '.join(_text.CORPORA)} (or set dataset.path to a text file)"
            )
        return _Loader(_text.corpus, f"corpus {name!r}", {"name": name, "block": s["block"]})
    task = None if s["task"] == "auto" else s["task"]
    if source == "csv":
        fixed = {"target": s["target"] or -1, "task": task}
        return _Loader(datasets.load_csv, "CSV file", fixed, "path")
    if source == "npz":
        return _Loader(datasets.load_npz, ".npz file", {"task": task}, "path")
    if source == "mnist":
        return _Loader(datasets.load_mnist, "MNIST folder", {}, "root")
    return _Loader(datasets.load_image_folder, "image folder", {}, "root")


def _path_kind(s: dict) -> str:
    return "file" if s["source"] == "text" else _FILE_SOURCES[s["source"]]


def _option_problems(loader: _Loader, options: Mapping[str, Any]) -> list[Problem]:
    """Options the loading function does not take, or that a setting already gives."""
    from core.model.serialize import Problem

    params = inspect.signature(loader.fn).parameters
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    set_by = {*loader.fixed, *([loader.path_arg] if loader.path_arg else [])}
    accepted = [n for n, p in params.items() if p.kind in kinds and n not in set_by]
    out = []
    for key in options:
        where = f"dataset.options.{key}"
        if key in set_by:
            setting = _SETTING_OF.get(key, key)
            out.append(
                Problem(where, f"set by dataset.{setting}; remove the option and use the setting")
            )
        elif key not in accepted:
            out.append(
                Problem(
                    where,
                    f"{loader.what} has no option {key!r}; its options: "
                    f"{', '.join(accepted) or 'none'}",
                )
            )
    return out


def _as_problem(error: DatasetError) -> Problem:
    """A DatasetError whose message is ``"dataset.x: ..."`` as a Problem."""
    from core.model.serialize import Problem

    path, _, message = str(error).partition(": ")
    return Problem(path, message)


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


def _call(loader: _Loader, kwargs: dict):
    """The loader called with ``kwargs``, the errors it raises explained."""
    what = loader.what
    if "seed" in inspect.signature(loader.fn).parameters:
        kwargs.setdefault("seed", 0)  # a built-in set: the same samples every time
    try:
        return loader.fn(**kwargs)
    except DatasetError as e:
        raise DatasetError(f"dataset ({what}): {e}") from None
    except (ValueError, TypeError) as e:
        shown = ", ".join(
            f"{k}={short_repr(v)}"
            for k, v in kwargs.items()
            if k not in ("path", "root") and k not in loader.fixed
        )
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


# -- what a model needs to know about the data, and where a document does not fit it ---------
#: Every diagnostic code :func:`data_problems` can give, with what it means.
DATA_CODES = {
    "data_input_shape": "the Input node's shape is not the shape of the dataset's samples",
    "data_input_dtype": "the Input node's dtype is not the dtype of the dataset's samples",
    "data_classes": "the model's output does not give one score per class of the dataset",
    "data_targets": "the model's output does not have the shape of the regression targets",
    "data_loss": "the training loss does not suit the dataset's task",
    "data_vocab": "an Embedding after the Input has fewer rows than the dataset has ids",
}


@dataclass(frozen=True)
class DataInfo:
    """What a model needs to know about loaded data, without its arrays."""

    input_shape: tuple[int, ...]
    input_dtype: str  # "float32" or "int64"
    task: str  # "classification" or "regression"
    num_classes: int | None
    classes: tuple[str, ...] | None
    target_shape: tuple[int, ...]
    train_samples: int
    val_samples: int
    description: str
    name: str


def data_info(data: Data) -> DataInfo:
    """The facts of ``data`` that the model and the GUI look at."""
    return DataInfo(
        input_shape=tuple(data.input_shape),
        input_dtype=data.input_dtype,
        task=data.task,
        num_classes=data.num_classes,
        classes=None if data.classes is None else tuple(data.classes),
        target_shape=tuple(data.target_shape),
        train_samples=len(data.train),
        val_samples=0 if data.val is None else len(data.val),
        description=data.description,
        name=data.name,
    )


def input_params_for(info: DataInfo) -> dict:
    """The Input node parameters that take the samples of ``info``'s data."""
    return {"shape": list(info.input_shape), "dtype": info.input_dtype}


def data_problems(doc, info: DataInfo, inference: Inference | None = None) -> list[Diagnostic]:
    """Where ``doc``'s model does not fit the data ``info`` describes, as diagnostics (codes
    in :data:`DATA_CODES`): the one Input node's shape and dtype, an Embedding right after
    it that is too small for the ids, and, where ``inference`` (run here when None) knows the
    one Output node's shape, that output against the classes or targets under the training
    loss. "error" where training would fail, "warning" where it would run but make little
    sense. [] when the model has no single Input (inference and the trainer say why)."""
    from core.model.inference import ERROR, Diagnostic, infer

    inputs = doc.input_nodes()
    if len(inputs) != 1:
        return []
    node = inputs[0]
    out: list[Diagnostic] = []
    shape = tuple(node.params.get("shape", ()))
    dtype = node.params.get("dtype", "float32")
    want = tuple(info.input_shape)
    if shape != want:
        out.append(
            Diagnostic(
                node.id,
                ERROR,
                f"Input {node.name!r} takes samples of shape {list(shape)}, but the dataset "
                f"{info.name!r} gives samples of shape {list(want)}",
                f"set the Input's shape to {list(want)}",
                "data_input_shape",
            )
        )
    if dtype != info.input_dtype:
        what = "character/token ids" if info.input_dtype == "int64" else "float features"
        out.append(
            Diagnostic(
                node.id,
                ERROR,
                f"Input {node.name!r} takes {dtype} samples, but the dataset {info.name!r} "
                f"gives {info.input_dtype} ({what})",
                f"set the Input's dtype to {info.input_dtype}",
                "data_input_dtype",
            )
        )
    if out:
        return out  # the shapes after a wrong Input say nothing about the data
    out += _vocab_problems(doc, node.id, info)
    loss = settings.resolve_loss(doc.training.get("loss", "auto"), info.task)
    found = _loss_problem(loss, info)
    if found is not None:
        return out + [Diagnostic(None, found[0], found[1], found[2], "data_loss")]
    outputs = doc.output_nodes()
    if len(outputs) != 1:
        return out
    inference = infer(doc) if inference is None else inference
    got = inference.shape(outputs[0].id)
    if got is not None:
        problem = _output_problem(outputs[0], tuple(got), loss, info)
        if problem is not None:
            out.append(Diagnostic(outputs[0].id, ERROR, *problem))
    return out


def _shape_text(shape: tuple[int, ...]) -> str:
    return str(list(shape))


def _loss_problem(loss: str | None, info: DataInfo) -> tuple[str, str, str] | None:
    """(severity, message, hint) when the training loss does not suit the task (the
    trainer refuses the errors)."""
    name = repr(info.name)
    if info.task == "regression" and loss == "cross_entropy":
        return (
            "error",
            f"the loss cross_entropy needs class targets, but the dataset {name} is a "
            "regression set",
            "set the training loss to 'auto', 'mse', 'l1' or 'huber'",
        )
    if info.task == "regression" and loss == "bce_with_logits":
        return (
            "warning",
            f"the loss bce_with_logits expects targets between 0 and 1, but the dataset {name} "
            "is a regression set",
            "set the training loss to 'auto' (mse) unless the targets are probabilities",
        )
    if loss == "bce_with_logits" and (info.num_classes or 2) > 2:
        return (
            "error",
            f"the loss bce_with_logits is for two classes, but the dataset {name} has "
            f"{info.num_classes}",
            "set the training loss to 'auto' (cross_entropy)",
        )
    return None


def _output_problem(node, got: tuple, loss: str | None, info: DataInfo):
    """(message, hint, code) when the Output's per-sample shape ``got`` does not fit what
    the loss compares it with (as core.train.objective checks it), else None."""
    t = tuple(info.target_shape)
    name, data = node.name, repr(info.name)
    if info.task == "regression":
        if got == t:
            return None
        k = math.prod(t)
        return (
            f"Output {name!r} gives {_shape_text(got)} per sample, but the dataset {data} has "
            f"{k} regression target{'s' if k != 1 else ''} of shape {_shape_text(t)}",
            f"make the layer before the output produce {_shape_text(t)} per sample"
            + (f" (e.g. a Linear with out_features={t[-1]})" if len(t) == 1 else ""),
            "data_targets",
        )
    c = info.num_classes
    if loss == "bce_with_logits":
        if got in (t + (1,), t):
            return None
        return (
            f"Output {name!r} gives {_shape_text(got)} per sample, but bce_with_logits needs "
            f"one logit per sample, {_shape_text(t + (1,))}",
            "make the layer before the output produce 1 feature",
            "data_classes",
        )
    if got == t + (c,):
        return None
    where = " at each position" if t else ""
    if got[:-1] == t:
        message = (
            f"Output {name!r} gives {got[-1]} score{'s' if got[-1] != 1 else ''} per "
            f"sample{where}, but the dataset {data} has {c} classes"
        )
    else:
        message = (
            f"Output {name!r} gives {_shape_text(got)} per sample, but {loss} over the "
            f"dataset {data}'s {c} classes needs {_shape_text(t + (c,))} (one score per "
            f"class{where})"
        )
    hint = f"make the layer before the output produce {c} features (e.g. a Linear with "
    hint += f"out_features={c})"
    if c == 2 and got in (t + (1,), t):
        hint += ", or set the training loss to bce_with_logits"
    return message, hint, "data_classes"


def _vocab_problems(doc, input_id: str, info: DataInfo) -> list[Diagnostic]:
    """Embeddings fed straight from the Input that have fewer rows than the data has ids."""
    from core.model.inference import ERROR, Diagnostic

    if info.input_dtype != "int64" or not info.num_classes:
        return []
    out = []
    for nid in doc.successors(input_id):
        node = doc.node(nid)
        rows = node.params.get("num_embeddings") if node.kind == "Embedding" else None
        if isinstance(rows, int) and rows < info.num_classes:
            out.append(
                Diagnostic(
                    nid,
                    ERROR,
                    f"Embedding {node.name!r} has {rows} rows, but the dataset {info.name!r} "
                    f"has {info.num_classes} different ids (its vocabulary)",
                    f"set num_embeddings to {info.num_classes}",
                    "data_vocab",
                )
            )
    return out


def csv_columns(path: str | os.PathLike, *, root: str | os.PathLike | None = None) -> list[str]:
    """The column names in a CSV file's header row (delimiter detected as load_csv does),
    reading only the start of the file; [] when it cannot be read."""
    from core.datasets import tabular

    full = os.path.expanduser(os.fspath(path))
    if not os.path.isabs(full) and root is not None:
        full = os.path.join(os.fspath(root), full)
    try:
        with open(full, newline="", encoding="utf-8-sig") as f:
            sample = f.read(tabular._SNIFF_CHARS)
    except (OSError, UnicodeDecodeError):
        return []
    delimiter = tabular._sniff(sample, len(sample) == tabular._SNIFF_CHARS)
    try:
        for row in csv.reader(io.StringIO(sample), delimiter=delimiter):
            if row:
                return [cell.strip() for cell in row]
    except csv.Error:
        return []
    return []
