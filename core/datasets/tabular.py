"""Datasets from the user's table and array files: CSV (``load_csv``), NPZ (``load_npz``)
and NPY pairs (``load_npy``). Malformed files raise DatasetError (a ValueError) naming
the file, the line/column or array, and what was expected."""

from __future__ import annotations

import csv
import io
import os
import zipfile

import numpy as np

from core.datasets.base import CLASSIFICATION, REGRESSION, DatasetError, LabeledDataset

__all__ = ["load_csv", "load_npy", "load_npz"]

# Cells that count as missing by default (compared ignoring case): load_csv(na_values=)
NA_VALUES = ("", "NA", "N/A", "NaN", "null", "None", "?")
MISSING = frozenset(v.lower() for v in NA_VALUES)
DELIMITERS = (",", ";", "\t", "|")  # what delimiter=None chooses among
MAX_AUTO_CLASSES = 20  # integer targets with at most this many values count as classes
# a column whose cells are numbers except a few (at most MAX_TYPOS cells, or at most
# 10%, and fewer than the numbers) is numeric with typos: an error, not a text column
MAX_TYPOS = 3
TYPO_SHARE = 0.1
_SNIFF_CHARS = 65536
_SNIFF_ROWS = 50


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
def _sniff(sample: str, truncated: bool) -> str:
    """The delimiter among DELIMITERS that splits the first rows into the most fields, the
    same number in every row (ties: the earlier in DELIMITERS); ',' when none splits."""
    best, best_n = ",", 1
    for d in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows.pop()  # cut by the sample's end
        rows = rows[:_SNIFF_ROWS]
        if rows and len(rows[0]) > best_n and all(len(r) == len(rows[0]) for r in rows):
            best, best_n = d, len(rows[0])
    return best


def _read_rows(path: str, delimiter: str | None, encoding: str):
    """(header, rows, line numbers, delimiter), every row checked to have the header's
    width; delimiter None is detected from the first rows."""
    try:
        with open(path, newline="", encoding=encoding) as f:
            if delimiter is None:
                sample = f.read(_SNIFF_CHARS)
                delimiter = _sniff(sample, len(sample) == _SNIFF_CHARS)
                f.seek(0)
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
                        f"in the header, separated by {delimiter!r}), got {len(row)}"
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
    return header, rows, lines, delimiter


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


def _names(arg, what: str) -> set[str]:
    """A set of column names from None, one name, or an iterable of names."""
    if arg is None:
        return set()
    if isinstance(arg, str):
        return {arg}
    names = list(arg)
    for n in names:
        if not isinstance(n, str):
            raise TypeError(f"{what} must hold column names (str), got {n!r}")
    return set(names)


def _check_columns(path: str, header: list[str], names, what: str) -> None:
    unknown = [n for n in names if n not in header]
    if unknown:
        raise DatasetError(
            f"{path}: {what} names {', '.join(map(repr, sorted(unknown)))}, which the file "
            f"does not have; its columns are {', '.join(header)}"
        )


def _parse(values: list[str]) -> tuple[np.ndarray, list[int]]:
    """(float64 values, NaN where a cell is not a number; indices of those cells)."""
    try:
        return np.array(values, dtype=np.float64), []
    except ValueError:
        pass
    out, bad = np.empty(len(values)), []
    for k, v in enumerate(values):
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = np.nan
            bad.append(k)
    return out, bad


def _looks_numeric(n_numbers: int, n_bad: int) -> bool:
    """Mostly numbers: the non-numbers are likely typos, not categories."""
    return n_numbers > n_bad and (n_bad <= MAX_TYPOS or n_bad <= TYPO_SHARE * (n_numbers + n_bad))


def _not_a_number(path, name, col, lines, bad, n_numbers, why) -> DatasetError:
    k = bad[0]
    more = f" ({len(bad) - 1} more such cells below)" if len(bad) > 1 else ""
    return DatasetError(
        f"{path}, line {lines[k]}, column {name!r}: {col[k]!r} is not a number; expected a "
        f"number, like the other {n_numbers} values in column {name!r}{more}. {why}"
    )


def _codes(path, name, col, lines, cats, given: bool) -> np.ndarray:
    """Each cell's index in cats; a cell not in cats is an error."""
    index = {c: i for i, c in enumerate(cats)}
    try:
        return np.array([index[c] for c in col], dtype=np.int64)
    except KeyError:
        pass
    k = next(k for k, c in enumerate(col) if c not in index)
    shown = ", ".join(map(repr, cats[:10])) + (", ..." if len(cats) > 10 else "")
    source = "given for it (categories=/classes=)" if given else "known"
    raise DatasetError(
        f"{path}, line {lines[k]}, column {name!r}: {col[k]!r} is not one of the {len(cats)} "
        f"categories {source}: {shown}"
    )


def load_csv(
    path,
    target: str | int = -1,
    *,
    delimiter: str | None = None,
    categorical: str = "onehot",
    categorical_columns=None,
    numeric_columns=None,
    categories: dict | None = None,
    classes=None,
    na_values=NA_VALUES,
    task: str | None = None,
    encoding: str = "utf-8-sig",
    name: str | None = None,
) -> LabeledDataset:
    """A table with a header row; ``target`` (a column name or index, default the last)
    holds the labels, every other column is a feature.

    - ``delimiter``: None (default) picks among ``,`` ``;`` tab ``|`` the one that splits
      the header and the first rows into the same number (> 1) of fields (``,`` if none
      does); pass it to choose.
    - Column kinds: a column whose cells are all numbers is numeric (float32 features);
      one mostly of text is categorical. A column of numbers with a few cells that are
      not (at most 3, or at most 10% of them) is an error naming the line, column and
      value: a typo such as ``61.2x`` would otherwise turn it into categories. Force a
      kind with ``categorical_columns=[names]`` (e.g. numeric codes, or to accept the
      odd values as categories) or ``numeric_columns=[names]`` (every cell must then be
      a number).
    - Categorical features are encoded with their categories sorted:
      ``categorical="onehot"`` (one 0/1 column per category, named ``"column=category"``)
      or ``"label"`` (the category's index); they are kept in ``ds.categories[column]``.
    - Train and test files: ``load_csv(test, categories=train.categories,
      classes=train.classes)`` encodes with the train file's categories and classes (in
      their order), so the feature columns and class indices line up. A value not among
      the given ones is a DatasetError naming the line, column and value (there is no
      "ignore": add the category to the list to allow it).
    - Task: text targets are classes (``ds.classes`` sorted, labels are their indices);
      numeric targets are classes when all are integers with at most 20 distinct values,
      otherwise regression; pass ``task="classification"`` or ``"regression"`` to choose
      (``classes=`` implies classification).
    - ``na_values``: the cells that mean "missing", compared ignoring case; by default
      ``"", "NA", "N/A", "NaN", "null", "None", "?"``. A missing value is a DatasetError
      naming the line and column (fill or drop it first). Pass e.g. ``na_values=[""]``
      to read ``NA`` as a category (a country code), or ``()`` to treat no cell as
      missing. Rows whose field count differs from the header's are an error too.
    """
    path = os.fspath(path)
    task = _task(task)
    if categorical not in ("onehot", "label"):
        raise ValueError(f"categorical must be 'onehot' or 'label', got {categorical!r}")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"delimiter must be None or one character, got {delimiter!r}")
    if isinstance(na_values, str):
        na_values = (na_values,)
    missing = frozenset(str(v).strip().lower() for v in na_values)
    forced_text = _names(categorical_columns, "categorical_columns")
    forced_num = _names(numeric_columns, "numeric_columns")
    if forced_text & forced_num:
        raise ValueError(
            f"columns {sorted(forced_text & forced_num)} are in both categorical_columns and "
            "numeric_columns"
        )
    if categories is not None and not isinstance(categories, dict):
        raise TypeError(
            f"categories must be a dict {{column: [categories]}} (such as train.categories), "
            f"got {type(categories).__name__}"
        )
    given = {str(k): [str(c) for c in v] for k, v in (categories or {}).items()}
    if classes is not None:
        if task == REGRESSION:
            raise ValueError("classes= is for classification, but task='regression'")
        classes = [str(c) for c in classes]
        task = CLASSIFICATION

    header, rows, lines, delimiter = _read_rows(path, delimiter, encoding)
    t = _target_index(path, header, target)
    _check_columns(path, header, forced_text, "categorical_columns")
    _check_columns(path, header, forced_num, "numeric_columns")
    _check_columns(path, header, given, "categories")
    if header[t] in given:
        raise ValueError(
            f"categories names the target column {header[t]!r}; pass its classes as classes="
        )
    if given.keys() & forced_num:
        raise ValueError(
            f"columns {sorted(given.keys() & forced_num)} are in both categories and "
            "numeric_columns"
        )
    if missing:
        for row, line in zip(rows, lines):
            for j, cell in enumerate(row):
                if cell.lower() in missing:
                    raise DatasetError(
                        f"{path}, line {line}, column {header[j]!r}: missing value "
                        f"({cell!r}); fill or drop it before loading (or change na_values=)"
                    )
    columns = [list(c) for c in zip(*rows)]

    def numeric(j: int) -> np.ndarray | None:
        """Column j as float64, or None when it is categorical."""
        col, name = columns[j], header[j]
        if name in forced_text or name in given:
            return None
        values, bad = _parse(col)
        n_numbers = len(col) - len(bad)
        if bad and name in forced_num:
            raise _not_a_number(
                path, name, col, lines, bad, n_numbers, "(The column is in numeric_columns.)"
            )
        if bad and not _looks_numeric(n_numbers, len(bad)):
            return None
        if bad:
            raise _not_a_number(
                path,
                name,
                col,
                lines,
                bad,
                n_numbers,
                f"Fix the cell, or pass categorical_columns=[{name!r}] if the column holds "
                "categories.",
            )
        nan = np.flatnonzero(np.isnan(values))
        if len(nan):
            raise DatasetError(
                f"{path}, line {lines[nan[0]]}, column {name!r}: missing value "
                f"({col[nan[0]]!r}); fill or drop it before loading"
            )
        return values

    features, feature_names, cats_out = [], [], {}
    for j, col in enumerate(columns):
        if j == t:
            continue
        values = numeric(j)
        if values is not None:
            features.append(values[:, None])
            feature_names.append(header[j])
            continue
        cats = given.get(header[j]) or sorted(set(col))
        cats_out[header[j]] = cats
        codes = _codes(path, header[j], col, lines, cats, header[j] in given)
        if categorical == "label":
            features.append(codes[:, None].astype(np.float64))
            feature_names.append(header[j])
        else:
            features.append(np.eye(len(cats))[codes])
            feature_names.extend(f"{header[j]}={c}" for c in cats)
    if not features:
        hint = ""
        if len(header) == 1:
            seps = [d for d in DELIMITERS if d != delimiter and d in header[0]]
            if seps:
                hint = (
                    f"; the header {header[0]!r} contains {seps[0]!r}: if that separates the "
                    f"columns, pass delimiter={seps[0]!r}"
                )
        raise DatasetError(
            f"{path}: only the target column {header[t]!r}; no feature columns (read with "
            f"delimiter={delimiter!r}){hint}"
        )
    x = np.concatenate(features, axis=1)

    col = columns[t]
    target_values = numeric(t)
    if task is None:
        task = CLASSIFICATION
        if target_values is not None and not (
            np.array_equal(target_values, np.round(target_values))
            and len(np.unique(target_values)) <= MAX_AUTO_CLASSES
        ):
            task = REGRESSION
    if task == REGRESSION:
        if target_values is None:
            values, bad = _parse(col)
            if not bad:
                bad = [0]  # in categorical_columns: all numbers, but not to be read as such
            raise DatasetError(
                f"{path}, line {lines[bad[0]]}, column {header[t]!r}: {col[bad[0]]!r} is not "
                "a number, so this column cannot be a regression target"
            )
        return LabeledDataset(
            x,
            target_values,
            name=name or _stem(path),
            task=REGRESSION,
            feature_names=feature_names,
            categories=cats_out,
        )
    if classes is not None:  # numeric labels by their name (3.0 -> "3"), text as written
        labels = col if target_values is None else [_number_name(v) for v in target_values]
        y = _codes(path, header[t], labels, lines, classes, True)
    elif target_values is not None:  # numeric classes: sort by value, name them as written
        values, y = np.unique(target_values, return_inverse=True)
        classes = [_number_name(v) for v in values]
    else:
        classes = sorted(set(col))
        y = _codes(path, header[t], col, lines, classes, False)
    return LabeledDataset(
        x,
        y.astype(np.int64),
        name=name or _stem(path),
        task=CLASSIFICATION,
        classes=classes,
        feature_names=feature_names,
        categories=cats_out,
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
