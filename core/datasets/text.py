"""Character-level language-modelling data: a built-in corpus and the user's text files.

``char_sequences(text, block)`` cuts a text into windows of ``block`` character ids and
the same windows shifted by one character (each position's target is the next
character)::

    ds = core.datasets.text.char_sequences(text, 64)   # x, y: (N, 64) int64 each
    train, val = ds.split([0.9, 0.1], seed=0)
    logits = model(x)                                    # (B, 64, ds.num_classes)
    loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())

Built-in corpora (``CORPORA``; nothing is downloaded): ``python_docs``, the docstrings of
a fixed list of standard-library modules, gathered in a fixed order from the running
Python.
"""

from __future__ import annotations

import importlib
import inspect
import os
import warnings
from collections.abc import Sequence

import numpy as np

from core.datasets.base import DatasetError, MetaDataset
from core.tensor import _make

__all__ = [
    "CORPORA",
    "MODULES",
    "SequenceDataset",
    "char_sequences",
    "corpus",
    "load_text",
    "python_docs",
    "read_text",
    "stdlib_docs",
]

# Modules whose documentation makes up the python_docs corpus, in this order.
MODULES = (
    "abc argparse ast base64 bisect calendar collections contextlib copy csv dataclasses "
    "datetime decimal difflib enum fractions functools glob heapq html inspect io itertools "
    "json logging math operator os pathlib pickle pprint queue random re shlex shutil socket "
    "statistics string struct subprocess tempfile textwrap threading time typing unittest "
    "urllib.parse uuid warnings weakref zipfile"
).split()

MAX_TEXT_BYTES = 256 * 1024 * 1024  # a text file larger than this is refused


def stdlib_docs(max_chars: int | None = None) -> list[str]:
    """The docstrings of MODULES and of their public members, in a fixed order (at most
    ``max_chars`` characters in all, counting two separator characters per docstring)."""
    docs, seen = [], set()

    def add(obj) -> None:
        doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
        if doc and doc not in seen:  # own docstrings only, each once
            seen.add(doc)
            docs.append(inspect.cleandoc(doc))

    with warnings.catch_warnings():  # reading typing.io's docstring warns on Python 3.11
        warnings.simplefilter("ignore", DeprecationWarning)
        for name in MODULES:
            module = importlib.import_module(name)
            add(module)
            for _, obj in sorted(vars(module).items()):
                if getattr(obj, "__module__", None) != module.__name__:
                    continue  # imported from elsewhere
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
    return docs


def python_docs(max_chars: int | None = None) -> str:
    """The python_docs corpus as one text: the docstrings joined by blank lines."""
    return "\n\n".join(stdlib_docs(max_chars))


CORPORA = {"python_docs": python_docs}


def read_text(
    path: str | os.PathLike, *, encoding: str = "utf-8", max_chars: int | None = None
) -> str:
    """A text file's content (a DatasetError naming the file if it cannot be used)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise DatasetError(f"{path}: is a folder; a text dataset reads one text file")
    try:
        size = os.path.getsize(path)
        if size > MAX_TEXT_BYTES:
            raise DatasetError(
                f"{path}: {size:,} bytes is more text than fits a character model "
                f"(at most {MAX_TEXT_BYTES:,}); use a part of it"
            )
        with open(path, encoding=encoding, newline=None) as f:
            text = f.read() if max_chars is None else f.read(max_chars)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except UnicodeDecodeError as e:
        raise DatasetError(
            f"{path}: not {encoding} text (byte {e.start} cannot be decoded); save the file "
            "as UTF-8 or pass encoding="
        ) from None
    except OSError as e:
        raise DatasetError(f"{path}: cannot be read ({e.strerror or e})") from None
    if not text:
        raise DatasetError(f"{path}: the file is empty")
    return text


class SequenceDataset(MetaDataset):
    """Windows of token ids and their next-token targets: ``ds[i] == (x[i], y[i])``, both
    int64 of shape (block,), ``y[i, t]`` being the token after ``x[i, t]``.

    Metadata as :class:`core.datasets.LabeledDataset` has it: ``task`` ("classification":
    one class per position), ``classes`` (the vocabulary: ``classes[id]`` is the
    character), ``num_classes``, ``class_to_idx``, ``input_shape`` ((block,)), ``name``;
    ``split``, ``subset``, ``to`` and ``numpy`` keep it. ``encode(text)``/``decode(ids)``
    convert between text and ids.
    """

    task = "classification"

    def __init__(self, data, targets, *, classes: Sequence[str], name: str = "text") -> None:
        x = np.ascontiguousarray(data, dtype=np.int64)
        y = np.ascontiguousarray(targets, dtype=np.int64)
        if x.ndim != 2 or x.shape != y.shape:
            raise ValueError(
                f"SequenceDataset {name!r}: data {x.shape} and targets {y.shape} must both be "
                "(N, block)"
            )
        if x.size and (min(x.min(), y.min()) < 0 or max(x.max(), y.max()) >= len(classes)):
            raise ValueError(f"SequenceDataset {name!r}: ids must lie in [0, {len(classes)})")
        super().__init__(_make(x, "cpu", False, None), _make(y, "cpu", False, None))
        self.classes = list(classes)
        self.name = name

    @property
    def block(self) -> int:
        return int(self.tensors[0].shape[1])

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters (a DatasetError for one outside the vocabulary)."""
        return _encode(text, self.class_to_idx, self.name)

    def decode(self, ids) -> str:
        """The text of character ids."""
        return "".join(self.classes[int(i)] for i in np.asarray(ids).reshape(-1))

    def _like(self, x: np.ndarray, y: np.ndarray) -> SequenceDataset:
        return SequenceDataset(x, y, classes=self.classes, name=self.name)

    def __repr__(self) -> str:
        return (
            f"SequenceDataset(name={self.name!r}, samples={len(self)}, block={self.block}, "
            f"num_classes={self.num_classes})"
        )


def _encode(text: str, stoi: dict[str, int], name: str) -> np.ndarray:
    try:
        return np.fromiter((stoi[c] for c in text), dtype=np.int64, count=len(text))
    except KeyError as e:
        ch = e.args[0]
        pos = text.index(ch)
        raise DatasetError(
            f"{name}: character {ch!r} (at offset {pos}) is not in the vocabulary; build the "
            "vocabulary from all the text (vocab=None) or add the character to it"
        ) from None


def char_sequences(
    text: str,
    block: int,
    *,
    vocab: Sequence[str] | None = None,
    stride: int | None = None,
    name: str = "text",
) -> SequenceDataset:
    """Windows of ``block`` character ids from ``text`` and their next-character targets.

    vocab: the characters, in id order (default: the sorted distinct characters of
    ``text``); pass ``train.classes`` to encode another text the same way.
    stride: characters between window starts (default ``block``: non-overlapping).
    """
    if not isinstance(text, str):
        raise TypeError(f"char_sequences: expected text (str), got {type(text).__name__}")
    if not isinstance(block, int) or isinstance(block, bool) or block < 1:
        raise ValueError(f"char_sequences: block must be an int >= 1, got {block!r}")
    stride = block if stride is None else stride
    if not isinstance(stride, int) or isinstance(stride, bool) or stride < 1:
        raise ValueError(f"char_sequences: stride must be an int >= 1, got {stride!r}")
    if len(text) < block + 1:
        raise DatasetError(
            f"{name}: {len(text):,} characters is too little text for windows of {block} "
            f"characters (each needs {block + 1}, with its next character); use more text or "
            "a smaller block"
        )
    if vocab is None:
        vocab = sorted(set(text))
    else:
        vocab = list(vocab)
        if len(set(vocab)) != len(vocab) or any(
            not isinstance(c, str) or len(c) != 1 for c in vocab
        ):
            raise ValueError("char_sequences: vocab must be distinct single characters")
    ids = _encode(text, {c: i for i, c in enumerate(vocab)}, name)
    starts = np.arange(0, len(ids) - block, stride)
    # (N, block + 1) windows of ids: inputs are the first block, targets the last block
    windows = ids[starts[:, None] + np.arange(block + 1)]
    return SequenceDataset(windows[:, :-1], windows[:, 1:], classes=vocab, name=name)


def corpus(
    name: str, block: int, *, stride: int | None = None, max_chars: int | None = None
) -> SequenceDataset:
    """A built-in corpus (see ``CORPORA``) as a :class:`SequenceDataset`."""
    try:
        make = CORPORA[name]
    except KeyError:
        raise DatasetError(
            f"there is no built-in text corpus {name!r}; the corpora: {', '.join(CORPORA)}"
        ) from None
    return char_sequences(make(max_chars), block, stride=stride, name=name)


def load_text(
    path: str | os.PathLike,
    block: int,
    *,
    stride: int | None = None,
    vocab: Sequence[str] | None = None,
    max_chars: int | None = None,
    encoding: str = "utf-8",
) -> SequenceDataset:
    """A text file as a :class:`SequenceDataset` (named after the file)."""
    text = read_text(path, encoding=encoding, max_chars=max_chars)
    stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return char_sequences(text, block, vocab=vocab, stride=stride, name=stem)
