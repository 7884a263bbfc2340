"""Datasets from the user's table and array files: CSV (``load_csv``), NPZ (``load_npz``)
and NPY pairs (``load_npy``). Malformed files raise DatasetError (a ValueError) naming
the file, the line/column or array, and what was expected."""

from __future__ import annotations

import csv
import os
import zipfile

import numpy as np

from core.datasets.base import CLASSIFICATION, REGRESSION, DatasetError, LabeledDataset

__all__ = ["load_csv", "load_npy", "load_npz"]

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
MAX_AUTO_CLASSES = 20  # integer targets with at most this many values count as classes


def _stem(path: str) -> str:
    base = os.path.basename(path)
    for ext in (".gz", ".csv", ".tsv", ".txt", ".npz", ".npy"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
    return base or "dataset"


def _task(task: str | None) -> str | None:
    if task not in (None, CLASSIFICATION, REGRESSION):
        raise ValueError(f"task must be None, 'classification' or 'regression', got {task!r}")
    return task


# -- CSV --------------------------------------------------------------------------------------
def _read_rows(path: str, delimiter: str, encoding: str):
    """(header, rows, line numbers), every row checked to have the header's width."""
    try:
        with open(path, newline="", encoding=encoding) as f:
            reader = csv.reader(f, delimiter=delimiter)
            header = next(reader, None)
            while header == []:
                header = next(reader, None)
            if header is None:
                raise DatasetError(f"{path}: the file is empty; expected a header row")
            header = [h.strip() for h in header]
            rows, lines = [], []
            for row in reader:
                if not row:
                    continue  # a blank line
                if len(row) != len(header):
                    raise DatasetError(
                        f"{path}, line {reader.line_num}: expected {len(header)} fields (as "
                        f"in the header), got {len(row)}"
                    )
                rows.append([cell.strip() for cell in row])
                lines.append(reader.line_num)
    except UnicodeDecodeError as exc:
        raise DatasetError(
            f"{path}: not {encoding} text (byte {exc.start}: {exc.reason}); "
            "save the table as UTF-8 CSV or pass encoding="
        ) from None
    except csv.Error as exc:
        raise DatasetError(f"{path}: not a readable CSV file ({exc})") from None
    for k, name in enumerate(header):
        if not name:
            raise DatasetError(f"{path}, line 1: column {k + 1} has an empty name in the header")
    seen = set()
    for name in header:
        if name in seen:
            raise DatasetError(f"{path}, line 1: column name {name!r} appears twice")
        seen.add(name)
    if not rows:
        raise DatasetError(f"{path}: the header has no data rows below it")
    return header, rows, lines


def _target_index(path: str, header: list[str], target) -> int:
    if isinstance(target, str):
        if target not in header:
            raise DatasetError(
                f"{path}: no column named {target!r}; the columns are {', '.join(header)}"
            )
        return header.index(target)
    if isinstance(target, int) and not isinstance(target, bool):
        if not -len(header) <= target < len(header):
            raise DatasetError(
                f"{path}: target column index {target} is out of range for {len(header)} columns"
            )
        return target % len(header)
    raise TypeError(f"target must be a column name or index, got {type(target).__name__}")


def _as_float(values: list[str]) -> np.ndarray | None:
    """The column as float64, or None when some value is not a number."""
    try:
        return np.array(values, dtype=np.float64)
    except ValueError:
        return None


def load_csv(
    path,
    target: str | int = -1,
    *,
    delimiter: str = ",",
    categorical: str = "onehot",
    task: str | None = None,
    encoding: str = "utf-8-sig",
    name: str | None = None,
) -> LabeledDataset:
    """A table with a header row; ``target`` (a column name or index, default the last)
    holds the labels, every other column is a feature.

    - Numeric feature columns become float32; text columns are encoded with their
      categories sorted: ``categorical="onehot"`` (one 0/1 column per category, named
      ``"column=category"``) or ``"label"`` (the category's index); the categories are
      kept in ``ds.categories[column]``.
    - Task: text targets are classes (``ds.classes`` sorted, labels are their indices);
      numeric targets are classes when all are integers with at most 20 distinct values,
      otherwise regression; pass ``task="classification"`` or ``"regression"`` to choose.
    - Empty cells and NA/N/A/NaN/null/None/? are missing values: DatasetError naming the
      line and column (fill or drop them first). Rows whose field count differs from the
      header's are an error too.
    """
    path = os.fspath(path)
    task = _task(task)
    if categorical not in ("onehot", "label"):
        raise ValueError(f"categorical must be 'onehot' or 'label', got {categorical!r}")
    header, rows, lines = _read_rows(path, delimiter, encoding)
    t = _target_index(path, header, target)
    for row, line in zip(rows, lines):
        for j, cell in enumerate(row):
            if cell.lower() in MISSING:
                raise DatasetError(
                    f"{path}, line {line}, column {header[j]!r}: missing value "
                    f"({cell!r}); fill or drop it before loading"
                )
    columns = list(zip(*rows))

    features, feature_names, categories = [], [], {}
    for j, col in enumerate(columns):
        if j == t:
            continue
        values = _as_float(list(col))
        if values is not None:
            features.append(values[:, None])
            feature_names.append(header[j])
            continue
        cats = sorted(set(col))
        categories[header[j]] = cats
        codes = np.searchsorted(np.array(cats), np.array(col))
        if categorical == "label":
            features.append(codes[:, None].astype(np.float64))
            feature_names.append(header[j])
        else:
            features.append(np.eye(len(cats))[codes])
            feature_names.extend(f"{header[j]}={c}" for c in cats)
    if not features:
        raise DatasetError(f"{path}: only the target column {header[t]!r}; no feature columns")
    x = np.concatenate(features, axis=1)

    col = list(columns[t])
    numeric = _as_float(col)
    if task is None:
        task = CLASSIFICATION
        if numeric is not None and not (
            np.array_equal(numeric, np.round(numeric))
            and len(np.unique(numeric)) <= MAX_AUTO_CLASSES
        ):
            task = REGRESSION
    if task == REGRESSION:
        if numeric is None:
            bad = next(k for k, v in enumerate(col) if _as_float([v]) is None)
            raise DatasetError(
                f"{path}, line {lines[bad]}, column {header[t]!r}: {col[bad]!r} is not a "
                "number, so this column cannot be a regression target"
            )
        return LabeledDataset(
            x,
            numeric,
            name=name or _stem(path),
            task=REGRESSION,
            feature_names=feature_names,
            categories=categories,
        )
    if numeric is not None:  # numeric classes: sort by value, name them as written
        values, y = np.unique(numeric, return_inverse=True)
        classes = [_number_name(v) for v in values]
    else:
        classes = sorted(set(col))
        y = np.searchsorted(np.array(classes), np.array(col))
    return LabeledDataset(
        x,
        y.astype(np.int64),
        name=name or _stem(path),
        task=CLASSIFICATION,
        classes=classes,
        feature_names=feature_names,
        categories=categories,
    )


def _number_name(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


# -- NPZ / NPY -----------------------------------------------------------------------------
_PAIRS = (
    ("x", "y"),
    ("X", "y"),
    ("data", "targets"),
    ("data", "target"),
    ("data", "labels"),
    ("features", "labels"),
    ("features", "targets"),
    ("images", "labels"),
    ("inputs", "targets"),
    ("x_train", "y_train"),
)


def _check_array(path: str, what: str, a: np.ndarray) -> np.ndarray:
    if a.dtype.kind not in "biuf":
        raise DatasetError(f"{path}: array {what!r} has dtype {a.dtype}; expected numbers")
    if a.ndim == 0:
        raise DatasetError(f"{path}: array {what!r} is a scalar; expected one row per sample")
    return a


def _from_arrays(path, x, y, x_name, y_name, task, name) -> LabeledDataset:
    if len(x) != len(y):
        raise DatasetError(
            f"{path}: {x_name!r} has {len(x)} samples (shape {x.shape}) but {y_name!r} has "
            f"{len(y)} (shape {y.shape}); expected one target per sample"
        )
    task = task or (CLASSIFICATION if y.dtype.kind in "biu" else REGRESSION)
    if task == CLASSIFICATION:
        if y.dtype.kind == "f" and not np.array_equal(y, np.round(y)):
            raise DatasetError(
                f"{path}: {y_name!r} holds non-integer values; class labels must be integers "
                "(or pass task='regression')"
            )
        if y.ndim > 1 and y.size != len(y):
            raise DatasetError(
                f"{path}: {y_name!r} has shape {y.shape}; class labels need one per sample"
            )
        if y.size and y.min() < 0:
            raise DatasetError(f"{path}: {y_name!r} holds negative class labels")
    return LabeledDataset(x, y, name=name or _stem(path), task=task)


def load_npz(
    path, x: str | None = None, y: str | None = None, *, task: str | None = None, name=None
) -> LabeledDataset:
    """Features and targets from two arrays of a ``.npz`` file: named by ``x`` and ``y``,
    or found among the usual pairs (x/y, X/y, data/targets, features/labels,
    images/labels, ...). Integer targets are classes, float targets regression, unless
    ``task`` says otherwise. Loaded with allow_pickle=False: object arrays are refused."""
    path = os.fspath(path)
    task = _task(task)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise DatasetError(f"{path}: a single array, not an .npz archive; use load_npy")
            keys = list(npz.files)
            if x is None and y is None:
                pair = next(((a, b) for a, b in _PAIRS if a in keys and b in keys), None)
                if pair is None:
                    raise DatasetError(
                        f"{path}: no known pair of feature/target arrays (such as 'x' and "
                        f"'y'); it holds {keys}: pass x= and y="
                    )
                x, y = pair
            for key, role in ((x, "x"), (y, "y")):
                if key not in keys:
                    raise DatasetError(
                        f"{path}: no array named {key!r} (for {role}); it holds {keys}"
                    )
            xa = _check_array(path, x, npz[x])
            ya = _check_array(path, y, npz[y])
    except (ValueError, EOFError, OSError, zipfile.BadZipFile, KeyError) as exc:
        if isinstance(exc, DatasetError | FileNotFoundError):
            raise
        raise DatasetError(f"{path}: not a readable .npz file ({exc})") from None
    return _from_arrays(path, xa, ya, x, y, task, name)


def _read_npy(path: str) -> np.ndarray:
    try:
        a = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DatasetError(f"{path}: not a readable .npy file ({exc})") from None
    if not isinstance(a, np.ndarray):
        a.close()
        raise DatasetError(f"{path}: an .npz archive, not a single array; use load_npz")
    return _check_array(path, os.path.basename(path), a)


def load_npy(x_path, y_path, *, task: str | None = None, name=None) -> LabeledDataset:
    """Features from one ``.npy`` file and targets from another (allow_pickle=False)."""
    x_path, y_path = os.fspath(x_path), os.fspath(y_path)
    xa, ya = _read_npy(x_path), _read_npy(y_path)
    where = f"{x_path} / {y_path}"
    return _from_arrays(
        where,
        xa,
        ya,
        os.path.basename(x_path),
        os.path.basename(y_path),
        _task(task),
        name or _stem(x_path),
    )
