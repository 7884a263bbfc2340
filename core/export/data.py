"""The data-loading section of an exported script, per dataset source and target.

Both targets produce the data ``core.model.data.load_data`` gives the app: the same
samples, the same train/validation split (``round(n * validation_split)`` samples drawn
for validation by a permutation seeded with ``split_seed``) and the same standardization
(training statistics). The core target calls ``core.datasets``; the PyTorch target is
standalone: numpy copies of the generators and loaders (scikit-learn for its bundled
sets, Pillow for image folders) return ``(x, y, classes)`` arrays.
"""

from __future__ import annotations

import ast
import inspect
import os
from dataclasses import dataclass, field

from core.export import fmt
from core.export.names import assign, comment_text, literal, string, width

CLASSIFICATION_SETS = ("spirals", "moons", "circles", "xor", "blobs")
CURVES = ("sine", "polynomial", "step", "absolute")
SKLEARN_SETS = ("digits", "iris", "wine", "breast_cancer")


@dataclass
class DataSection:
    """The imports, top-level definitions and ``load_data`` of a script's data section."""

    imports: set[str] = field(default_factory=set)
    constants: list[str] = field(default_factory=list)  # module-level lines (paths, ...)
    blocks: list[str] = field(default_factory=list)
    task: str | None = None  # known when the source fixes it; None: decided by the data
    sequence: bool = False  # text: targets are one class per position
    description: str = ""


def _builtin_options(name: str, options: dict) -> dict:
    """The options as load_data passes them: a generator taking ``seed`` gets 0 by default."""
    from core import datasets

    options = dict(options)
    fn = datasets.BUILTIN.get(name)
    if fn is not None and "seed" in inspect.signature(fn).parameters:
        options.setdefault("seed", 0)
    return options


MAX_INLINE = 40  # columns of a string literal written inline; longer ones become constants


def _value(out: DataSection, value, name: str) -> str:
    """``value`` as a literal, or (a long string, a long list) as a module constant named
    ``name``; a list's long strings become constants of their own."""
    if isinstance(value, (list, tuple)):
        items = [_value(out, v, f"{name}_{i}") for i, v in enumerate(value)]
        text = "[" + ", ".join(items) + "]"
        if width(text) <= MAX_INLINE:
            return text
        name = _fresh(out, name)
        out.constants += fmt.statement(f"{name} = ", text, 0)
        return name
    if isinstance(value, str) and width(string(value)) > MAX_INLINE:
        name = _fresh(out, name)
        out.constants += assign(name, value)
        return name
    return literal(value)


def _fresh(out: DataSection, name: str) -> str:
    """``name``, or ``name_2``, ... when a constant of that name is already written."""
    taken = {line.split(" = ", 1)[0] for line in out.constants if " = " in line}
    fresh, n = name, 1
    while fresh in taken:
        n += 1
        fresh = f"{name}_{n}"
    return fresh


def _call(out: DataSection, fn: str, args: list[str], options: dict, target="dataset") -> list:
    parts = list(args) + [
        f"{k}={_value(out, v, 'OPTION_' + k.upper())}" for k, v in options.items()
    ]
    return fmt.statement(f"{target} = ", f"{fn}({', '.join(parts)})", 4)


def _path_code(out: DataSection, path: str, root) -> str:
    """DATA_PATH: the dataset path, absolute as given (or resolved against ``root``), else
    relative to the script's folder."""
    out.imports.add("import os")
    full = os.path.expanduser(path)
    if root is not None and not os.path.isabs(full):
        full = os.path.normpath(os.path.join(os.fspath(root), full))
    if os.path.isabs(full):
        out.constants += assign("DATA_PATH", full)
    else:
        out.constants += assign("DATA_FILE", path)
        out.constants.append("DATA_PATH = os.path.join(HERE, DATA_FILE)")
    return "DATA_PATH"


def _target_code(out: DataSection, target: str) -> str:
    if not target:
        return "-1"
    out.constants += assign("TARGET_COLUMN", target)
    return "TARGET_COLUMN"


def _check_corpus(name: str) -> None:
    from core.datasets import text

    if name not in text.CORPORA:
        raise ValueError(
            f"dataset.name: there is no built-in text corpus {name!r}; the corpora: "
            f"{', '.join(text.CORPORA)} (or set dataset.path to a text file)"
        )


def _modules_constant(limit: int = 100) -> str:
    """``MODULES = ("abc argparse ..." ...).split()``: core.datasets.text.MODULES (the one
    list of the corpus's modules) as packed string parts of at most ``limit`` columns."""
    from core.datasets.text import MODULES

    parts, current = [], ""
    for word in MODULES:
        if current and width(f'    "{current}{word} "') > limit:
            parts.append(current)
            current = ""
        current += word + " "
    parts.append(current.rstrip())
    return "\n".join(["MODULES = (", *(f"    {string(p)}" for p in parts), ").split()"])


def section(settings: dict, target: str, *, root=None) -> DataSection:
    """The data section for the dataset ``settings`` and ``target`` ("core" or "pytorch")."""
    from core.model.data import check_dataset

    # names and options as load_data takes them (the data itself may be on another machine)
    problems = check_dataset(settings, files=False)
    if problems:
        raise ValueError(str(problems[0]))
    if settings["source"] == "text" and settings["standardize"]:
        raise ValueError(
            "dataset.standardize: text samples are character ids, which cannot be "
            "standardized; turn standardize off"
        )
    if target == "core":
        return _core(settings, root)
    return _torch(settings, root)


def _describe(s: dict) -> str:
    source = s["source"]
    if source == "builtin":
        what = f"the built-in {comment_text(s['name'])} dataset"
    elif source == "text" and not s["path"]:
        what = f"the built-in {comment_text(s['name'])} text corpus"
    else:
        what = f"the {source} data at {comment_text(s['path'], 50)}"
    return what


def _split_lines(s: dict, target: str) -> list[str]:
    fraction = s["validation_split"]
    lines = []
    if target == "core":
        if fraction > 0:
            lines += [
                f"    n_val = round(len(dataset) * {literal(fraction)})",
                "    train, val = dataset.split([len(dataset) - n_val, n_val], "
                f"seed={s['split_seed']})",
            ]
            if s["standardize"]:
                lines.append("    train, val = core.datasets.standardize(train, val)")
        else:
            lines.append("    train, val = dataset, None")
            if s["standardize"]:
                lines.append("    train = core.datasets.standardize(train)")
        lines.append("    return train, val, dataset.classes")
        return lines
    if fraction > 0:
        lines.append(
            f"    (x, y), (x_val, y_val) = split(x, y, {literal(fraction)}, seed={s['split_seed']})"
        )
        if s["standardize"]:
            lines.append("    x, x_val = standardize(x, x_val)")
        lines.append("    return (x, y), (x_val, y_val), classes")
    else:
        if s["standardize"]:
            lines.append("    (x,) = standardize(x)")
        lines.append("    return (x, y), None, classes")
    return lines


def _load_data_block(s: dict, body: list[str], target: str) -> str:
    what = _describe(s)
    if target == "core":
        ret = "(training set, validation set or None, class names or None)"
    else:
        ret = "((x, y), (x_val, y_val) or None, class names or None) as numpy arrays"
    head = [
        "def load_data():",
        f'    """Load {what}: {ret}."""',
    ]
    if width(head[1]) > 100:
        head[1:] = [f'    """Load {what}.', "", f"    Returns {ret}.", '    """']
    return "\n".join(head + body + _split_lines(s, target))


# -- core ------------------------------------------------------------------------------------
def _core(s: dict, root) -> DataSection:
    out = DataSection(description=_describe(s))
    source, options = s["source"], dict(s["options"])
    task = None if s["task"] == "auto" else s["task"]
    body: list[str] = []
    if source == "builtin":
        name = s["name"]
        from core import datasets

        if name not in datasets.BUILTIN:
            raise ValueError(
                f"dataset.name: there is no built-in dataset {name!r}; the built-in sets: "
                f"{', '.join(datasets.BUILTIN)}"
            )
        out.task = "regression" if name in CURVES else "classification"
        body += _call(out, f"core.datasets.{name}", [], _builtin_options(name, options))
    elif source == "text":
        out.task, out.sequence = "classification", True
        if s["path"]:
            path = _path_code(out, s["path"], root)
            body += _call(out, "core.datasets.load_text", [path, str(s["block"])], options)
        else:
            _check_corpus(s["name"])
            args = [_value(out, s["name"], "CORPUS"), str(s["block"])]
            body += _call(out, "core.datasets.text.corpus", args, options)
    else:
        path = _path_code(out, s["path"], root)
        if source == "csv":
            target = _target_code(out, s["target"])
            args = [path, f"target={target}", f"task={literal(task)}"]
            body += _call(out, "core.datasets.load_csv", args, options)
        elif source == "npz":
            body += _call(out, "core.datasets.load_npz", [path, f"task={literal(task)}"], options)
        elif source == "mnist":
            body += _call(out, "core.datasets.load_mnist", [path], options)
        else:
            body += _call(out, "core.datasets.load_image_folder", [path], options)
        out.task = task
    out.blocks.append(_load_data_block(s, body, "core"))
    return out


# -- PyTorch: standalone numpy code ----------------------------------------------------------
def _torch(s: dict, root) -> DataSection:
    out = DataSection(description=_describe(s))
    out.imports.add("import numpy as np")
    source, options = s["source"], dict(s["options"])
    task = None if s["task"] == "auto" else s["task"]
    body: list[str] = []
    if source == "builtin":
        name = s["name"]
        if name in CLASSIFICATION_SETS:
            out.imports.add("import math")
            out.blocks += [_COUNTS, _SHUFFLED, _GENERATORS[name]]
            out.task = "classification"
        elif name in CURVES:
            if "math." in _GENERATORS[name]:
                out.imports.add("import math")
            out.blocks += [_CURVE, _GENERATORS[name]]
            out.task = "regression"
        elif name in SKLEARN_SETS:
            out.blocks.append(_DIGITS if name == "digits" else _table(name))
            out.task = "classification"
        else:
            raise ValueError(f"dataset.name: there is no built-in dataset {name!r}")
        body += _call(out, name, [], _builtin_options(name, options), target="x, y, classes")
    elif source == "text":
        out.task, out.sequence = "classification", True
        out.blocks.append(_CHAR_SEQUENCES)
        if s["path"]:
            out.blocks.append(_READ_TEXT)
            vocab = options.pop("vocab", None)
            stride = options.pop("stride", None)
            max_chars = options.pop("max_chars", None)
            encoding = _value(out, options.pop("encoding", "utf-8"), "ENCODING")
            path = _path_code(out, s["path"], root)
            body += fmt.statement(
                "text = ", f"read_text({path}, {encoding}, {literal(max_chars)})", 4
            )
            args = f"text, {s['block']}, stride={literal(stride)}"
            if vocab is not None:
                args += f", vocab={_value(out, vocab, 'VOCAB')}"
            body += fmt.statement("x, y, classes = ", f"char_sequences({args})", 4)
        else:
            _check_corpus(s["name"])
            out.imports |= {"import importlib", "import inspect", "import warnings"}
            out.blocks.append(_modules_constant() + "\n\n\n" + _PYTHON_DOCS)
            stride = options.pop("stride", None)
            max_chars = options.pop("max_chars", None)
            body.append(f"    text = python_docs({literal(max_chars)})")
            body += fmt.statement(
                "x, y, classes = ",
                f"char_sequences(text, {s['block']}, stride={literal(stride)})",
                4,
            )
    else:
        path = _path_code(out, s["path"], root)
        out.task = task
        xyc = "x, y, classes"
        if source == "csv":
            out.imports |= {"import csv", "import io"}
            out.blocks.append(_CSV)
            target = _target_code(out, s["target"])
            args = [path, f"target={target}", f"task={literal(task)}"]
            body += _call(out, "load_csv", args, options, target=xyc)
        elif source == "npz":
            out.blocks.append(_NPZ)
            body += _call(out, "load_npz", [path, f"task={literal(task)}"], options, target=xyc)
        elif source == "mnist":
            out.imports |= {"import gzip", "import struct"}
            out.blocks.append(_MNIST)
            body += _call(out, "load_mnist", [path], options, target=xyc)
        else:
            out.blocks.append(_IMAGE_FOLDER)
            body += _call(out, "load_image_folder", [path], options, target=xyc)
    _check_options(out.blocks, body, options)
    if s["validation_split"] > 0:
        out.blocks.append(_SPLIT)
    if s["standardize"]:
        out.blocks.append(_STANDARDIZE)
    out.blocks.append(_load_data_block(s, body, "pytorch"))
    return out


def _check_options(blocks: list[str], body: list[str], options: dict) -> None:
    """A ValueError for an option the emitted loading function does not take."""
    if not options:
        return
    call = next(
        node
        for node in ast.walk(ast.parse("\n".join(line.strip() for line in body)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    )
    fn = call.func.id
    for tree in map(ast.parse, blocks):
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == fn:
                a = node.args
                taken = {p.arg for p in a.args + a.kwonlyargs}
                for key in options:
                    if key not in taken:
                        raise ValueError(
                            f"dataset.options.{key}: the PyTorch export's {fn}() does not "
                            f"take {key!r} (it takes {', '.join(sorted(taken))}); remove "
                            "the option or export for the core library"
                        )


# The numpy templates below are exact copies of what core.datasets computes (a test
# compares them array for array); each is ruff-formatted as it stands.
_COUNTS = '''def _counts(n_samples, parts):
    """n_samples dealt over parts as evenly as possible (the first parts get the rest)."""
    base, rest = divmod(n_samples, parts)
    return [base + (k < rest) for k in range(parts)]'''

_SHUFFLED = '''def _shuffled(x, y, rng):
    """The samples in a random order (classes interleaved), as float32 and int64."""
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order].astype(np.int64)'''

_GENERATORS = {
    "spirals": '''def spirals(n_samples=300, classes=2, arms=1, noise=0.05, turns=1.0, seed=None):
    """Interleaved spiral arms from the origin out to radius 1 (core.datasets.spirals)."""
    rng = np.random.default_rng(seed)
    n_arms = classes * arms
    xs, ys = [], []
    for k, n in enumerate(_counts(n_samples, n_arms)):
        r = rng.uniform(0.05, 1.0, n)
        angle = 2 * math.pi * (k / n_arms + turns * r)
        xs.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
        ys.append(np.full(n, k % classes))
    x = np.concatenate(xs) + rng.normal(0.0, noise, (n_samples, 2))
    x, y = _shuffled(x, np.concatenate(ys), rng)
    return x, y, [f"arm {c}" for c in range(classes)]''',
    "moons": '''def moons(n_samples=200, noise=0.1, seed=None):
    """Two interleaving half circles (core.datasets.moons)."""
    rng = np.random.default_rng(seed)
    n_out, n_in = _counts(n_samples, 2)
    t_out = rng.uniform(0.0, math.pi, n_out)
    t_in = rng.uniform(0.0, math.pi, n_in)
    x = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    x += rng.normal(0.0, noise, x.shape)
    x, y = _shuffled(x, np.repeat([0, 1], [n_out, n_in]), rng)
    return x, y, ["upper", "lower"]''',
    "circles": '''def circles(n_samples=200, noise=0.05, factor=0.5, seed=None):
    """A circle of radius 1 around one of radius factor (core.datasets.circles)."""
    rng = np.random.default_rng(seed)
    n_out, n_in = _counts(n_samples, 2)
    radius = np.repeat([1.0, factor], [n_out, n_in])
    angle = rng.uniform(0.0, 2 * math.pi, n_samples)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, x.shape)
    x, y = _shuffled(x, np.repeat([0, 1], [n_out, n_in]), rng)
    return x, y, ["outer", "inner"]''',
    "xor": '''def xor(n_samples=200, noise=0.05, seed=None):
    """Points in [-1, 1]^2, class 1 where the signs differ (core.datasets.xor)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x += rng.normal(0.0, noise, x.shape)
    x, y = _shuffled(x, y, rng)
    return x, y, ["same sign", "opposite signs"]''',
    "blobs": '''def blobs(n_samples=200, classes=3, noise=0.5, centers=None, seed=None):
    """Gaussian clusters evenly spaced on a circle of radius 2 (core.datasets.blobs)."""
    if centers is None:
        angle = 2 * math.pi * np.arange(classes) / classes
        centers = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    centers = np.asarray(centers, dtype=np.float64)
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(centers)), _counts(n_samples, len(centers)))
    x = centers[y] + rng.normal(0.0, noise, (n_samples, 2))
    x, y = _shuffled(x, y, rng)
    return x, y, [f"blob {c}" for c in range(len(centers))]''',
    "sine": '''def sine(n_samples=200, noise=0.1, x_range=(-math.pi, math.pi), seed=None):
    """y = sin(x) + noise, x in x_range (core.datasets.sine)."""
    return _curve(np.sin, n_samples, noise, x_range, seed)''',
    "polynomial": '''def polynomial(
    n_samples=200, noise=0.1, coefficients=(0.0, -1.0, 0.0, 1.0), x_range=(-1.5, 1.5), seed=None
):
    """y = sum(c_k * x**k) + noise, by default x**3 - x (core.datasets.polynomial)."""
    coefficients = [float(c) for c in coefficients]
    return _curve(
        lambda x: np.polynomial.polynomial.polyval(x, coefficients),
        n_samples,
        noise,
        x_range,
        seed,
    )''',
    "step": '''def step(n_samples=200, noise=0.05, x_range=(-1.0, 1.0), seed=None):
    """y = 1 where x > 0, else 0, plus noise, x in x_range (core.datasets.step)."""
    return _curve(lambda x: (x > 0).astype(np.float64), n_samples, noise, x_range, seed)''',
    "absolute": '''def absolute(n_samples=200, noise=0.05, x_range=(-1.0, 1.0), seed=None):
    """y = |x| + noise, x in x_range (core.datasets.absolute)."""
    return _curve(np.abs, n_samples, noise, x_range, seed)''',
}

_CURVE = '''def _curve(fn, n_samples, noise, x_range, seed):
    """x drawn uniformly from x_range, y = fn(x) + Gaussian noise: (N, 1) float32 each."""
    rng = np.random.default_rng(seed)
    low, high = x_range
    x = rng.uniform(low, high, (n_samples, 1))
    y = fn(x) + rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), y.astype(np.float32), None'''

_DIGITS = '''def digits(flat=False):
    """scikit-learn's 1,797 8x8 digits scaled to [0, 1]: (N, 1, 8, 8), or (N, 64) if flat."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images.astype(np.float32) / 16.0
    x = images.reshape(len(images), -1) if flat else images[:, None]
    classes = [str(int(c)) for c in bunch.target_names]
    return np.ascontiguousarray(x), bunch.target.astype(np.int64), classes'''


def _table(name: str) -> str:
    return f'''def {name}():
    """scikit-learn's {name} table (features unscaled)."""
    from sklearn.datasets import load_{name}

    bunch = load_{name}()
    classes = [str(c) for c in bunch.target_names]
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64), classes'''


_SPLIT = '''def split(x, y, fraction, seed):
    """Training and validation parts: round(n * fraction) samples drawn for validation."""
    n_val = round(len(x) * fraction)
    order = np.random.default_rng(seed).permutation(len(x))
    train, val = order[: len(x) - n_val], order[len(x) - n_val :]
    return (x[train], y[train]), (x[val], y[val])'''

_STANDARDIZE = '''def standardize(x, *others):
    """Features shifted and scaled to mean 0, std 1 with the statistics of x."""
    mean = x.astype(np.float64).mean(axis=0)
    std = x.astype(np.float64).std(axis=0)
    std = np.where(std > 0, std, 1.0)
    mean, std = mean.astype(np.float32), std.astype(np.float32)
    return [(a - mean) / std for a in (x, *others)]'''

_CSV = '''def _sniff(sample, truncated):
    """The delimiter among , ; tab | that splits the first rows into the most fields."""
    best, best_n = ",", 1
    for d in (",", ";", "\\t", "|"):
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows.pop()
        rows = rows[:50]
        if rows and len(rows[0]) > best_n and all(len(r) == len(rows[0]) for r in rows):
            best, best_n = d, len(rows[0])
    return best


def _number_name(v):
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def load_csv(
    path,
    target=-1,
    *,
    delimiter=None,
    categorical="onehot",
    categorical_columns=(),
    numeric_columns=(),
    na_values=("", "NA", "N/A", "NaN", "null", "None", "?"),
    task=None,
    encoding="utf-8-sig",
    categories=None,
    classes=None,
    name=None,
):
    """A table with a header row (as core.datasets.load_csv reads it): text columns become
    one-hot (or label) codes, the target column classes (in the order of classes, when
    given) or regression values."""
    if classes is not None:
        task = "classification"
    with open(path, newline="", encoding=encoding) as f:
        text = f.read()
    if delimiter is None:
        delimiter = _sniff(text[:65536], len(text) >= 65536)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [[cell.strip() for cell in row] for row in reader if row]
    header, rows = rows[0], rows[1:]
    if isinstance(na_values, str):
        na_values = [na_values]
    missing = {str(v).strip().lower() for v in na_values}
    for row in rows:
        for name_, cell in zip(header, row):
            if cell.lower() in missing:
                raise ValueError(f"{path}: missing value {cell!r} in column {name_!r}")
    text_columns, number_columns = (
        {c} if isinstance(c, str) else set(c) for c in (categorical_columns, numeric_columns)
    )
    columns = [list(c) for c in zip(*rows)]
    t = header.index(target) if isinstance(target, str) else target % len(header)

    def numeric(j):
        if header[j] in text_columns:
            return None
        try:
            return np.array(columns[j], dtype=np.float64)
        except ValueError:
            if header[j] in number_columns:
                raise
            return None

    features = []
    for j, col in enumerate(columns):
        if j == t:
            continue
        values = numeric(j)
        if values is not None:
            features.append(values[:, None])
            continue
        cats = sorted(set(col))
        codes = np.array([cats.index(c) for c in col])
        if categorical == "label":
            features.append(codes[:, None].astype(np.float64))
        else:
            features.append(np.eye(len(cats))[codes])
    x = np.concatenate(features, axis=1).astype(np.float32)
    col, values = columns[t], numeric(t)
    if task is None:
        task = "classification"
        if values is not None and not (
            np.array_equal(values, np.round(values)) and len(np.unique(values)) <= 20
        ):
            task = "regression"
    if task == "regression":
        return x, values.astype(np.float32)[:, None], None
    if classes is not None:
        classes = [str(c) for c in classes]
        labels = col if values is None else [_number_name(v) for v in values]
        return x, np.array([classes.index(c) for c in labels], dtype=np.int64), classes
    if values is not None:
        values, y = np.unique(values, return_inverse=True)
        return x, y.astype(np.int64), [_number_name(v) for v in values]
    classes = sorted(set(col))
    return x, np.array([classes.index(c) for c in col], dtype=np.int64), classes'''

_NPZ = '''PAIRS = (
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


def load_npz(path, x=None, y=None, *, task=None, name=None):
    """Features and targets from two arrays of a .npz file (no pickle)."""
    with np.load(path, allow_pickle=False) as npz:
        if x is None and y is None:
            x, y = next((a, b) for a, b in PAIRS if a in npz.files and b in npz.files)
        features, targets = npz[x], npz[y]
    if task is None:
        task = "classification" if targets.dtype.kind in "biu" else "regression"
    features = np.ascontiguousarray(features, dtype=np.float32)
    if task == "regression":
        return features, targets.reshape(len(targets), -1).astype(np.float32), None
    targets = targets.reshape(-1).astype(np.int64)
    return features, targets, [str(c) for c in range(int(targets.max()) + 1)]'''

_MNIST = '''def read_idx(path):
    """The array in an IDX file (plain or gzip)."""
    with open(path, "rb") as f:
        gz = f.read(2) == b"\\x1f\\x8b"
    with gzip.open(path, "rb") if gz else open(path, "rb") as f:
        data = f.read()
    dtype = {8: "u1", 9: "i1", 11: ">i2", 12: ">i4", 13: ">f4", 14: ">f8"}[data[2]]
    shape = struct.unpack(f">{data[3]}I", data[4 : 4 + 4 * data[3]])
    return np.frombuffer(data, dtype=dtype, offset=4 + 4 * data[3]).reshape(shape)


def load_mnist(root, train=True):
    """MNIST-format images (N, 1, H, W) in [0, 1] and labels from a folder of IDX files."""
    prefix = "train" if train else "t10k"
    paths = []
    for kind in ("images-idx3-ubyte", "labels-idx1-ubyte"):
        names = [f"{prefix}-{kind}", f"{prefix}-{kind.replace('-', '.', 1)}"]
        names = [os.path.join(root, n + ext) for n in names for ext in ("", ".gz")]
        paths.append(next(p for p in names if os.path.isfile(p)))
    images, labels = read_idx(paths[0]), read_idx(paths[1])
    x = images[:, None].astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    return x, labels.astype(np.int64), [str(c) for c in range(int(labels.max()) + 1)]'''

_IMAGE_FOLDER = '''IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
IMAGE_EXTENSIONS += (".webp", ".ppm", ".pgm")


def load_image_folder(root, size=None, grayscale=False, *, extensions=IMAGE_EXTENSIONS, name=None):
    """root/<class>/<image> files as (N, C, H, W) float32 in [0, 1] (decoded with Pillow)."""
    from PIL import Image

    extensions = tuple(e.lower() for e in extensions)
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    arrays, labels = [], []
    for k, c in enumerate(classes):
        folder = os.path.join(root, c)
        for entry in sorted(os.scandir(folder), key=lambda e: e.path):
            name = entry.name
            if not entry.is_file() or name.startswith(".") or not name.lower().endswith(extensions):
                continue
            with Image.open(entry.path) as im:
                im = im.convert("L" if grayscale else "RGB")
                if size is not None:
                    h, w = (size, size) if isinstance(size, int) else size
                    im = im.resize((w, h), Image.Resampling.BILINEAR)
                arrays.append(np.asarray(im, dtype=np.uint8))
            labels.append(k)
    x = np.stack(arrays)
    x = x[:, None] if grayscale else x.transpose(0, 3, 1, 2)
    x = x.astype(np.float32) / np.float32(255.0)
    return x, np.array(labels, dtype=np.int64), classes'''

_CHAR_SEQUENCES = '''def char_sequences(text, block, stride=None, vocab=None):
    """Windows of block character ids and the same windows shifted by one character (ids:
    positions in vocab, by default the sorted distinct characters of text)."""
    classes = sorted(set(text)) if vocab is None else list(vocab)
    index = {c: i for i, c in enumerate(classes)}
    ids = np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
    starts = np.arange(0, len(ids) - block, stride or block)
    windows = ids[starts[:, None] + np.arange(block + 1)]
    return windows[:, :-1], windows[:, 1:], classes'''

_READ_TEXT = '''def read_text(path, encoding="utf-8", max_chars=None):
    """A text file's content (at most max_chars characters)."""
    with open(path, encoding=encoding) as f:
        return f.read() if max_chars is None else f.read(max_chars)'''


_PYTHON_DOCS = '''def python_docs(max_chars=None):
    """The python_docs corpus: docstrings of standard-library modules, in a fixed order."""
    docs, seen = [], set()

    def add(obj):
        doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
        if doc and doc not in seen:
            seen.add(doc)
            docs.append(inspect.cleandoc(doc))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in MODULES:
            module = importlib.import_module(name)
            add(module)
            for _, obj in sorted(vars(module).items()):
                if getattr(obj, "__module__", None) != module.__name__:
                    continue
                if inspect.isfunction(obj):
                    add(obj)
                elif inspect.isclass(obj) and not obj.__name__.startswith("_"):
                    add(obj)
                    for attr, member in sorted(vars(obj).items()):
                        if inspect.isfunction(member) and not attr.startswith("_"):
                            add(member)
    if max_chars is not None:
        lengths = np.cumsum([len(d) + 2 for d in docs])
        docs = docs[: max(1, int(np.searchsorted(lengths, max_chars)))]
    return "\\n\\n".join(docs)'''
