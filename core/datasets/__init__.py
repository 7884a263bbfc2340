"""``core.datasets``: ready-made and file datasets, each a :class:`LabeledDataset`.

Every loader returns ONE dataset: a ``core.utils.data.TensorDataset`` of
(features, targets) with torchvision-style attributes (``data``, ``targets``,
``classes``, ``class_to_idx``) and metadata (``num_classes``, ``feature_names``,
``task``, ``name``, ``input_shape``). Split it with its ``split`` method (keeps the
metadata) or with ``random_split`` (PyTorch's Subsets)::

    import core
    from core.utils.data import DataLoader

    ds = core.datasets.moons(n_samples=500, noise=0.1, seed=0)
    train, test = ds.split([0.8, 0.2], seed=0)
    train, test = core.datasets.standardize(train, test)   # optional: train's statistics
    for xb, yb in DataLoader(train, batch_size=32, shuffle=True):
        ...

Built in (generated or bundled with scikit-learn; nothing is downloaded):

- 2-D classification: ``spirals``, ``moons``, ``circles``, ``xor``, ``blobs``
  (``n_samples``, ``noise``, ``seed``; ``classes``/``arms``/``factor`` where they apply);
- 1-D regression: ``sine``, ``polynomial``, ``step``, ``absolute`` (x, y of shape (N, 1));
- scikit-learn's ``digits`` (images (N, 1, 8, 8) in [0, 1], or ``flat=True``), ``iris``,
  ``wine``, ``breast_cancer``.

``standardize`` also takes ``random_split``'s Subsets of a LabeledDataset.

From the user's files (``load_*``; malformed files raise :class:`DatasetError`, a
ValueError naming the file, the line/field and what was expected):

- ``load_csv(path, target=-1)``: header row, delimiter detected (, ; tab |), text
  columns one-hot/label encoded (``categories=train.categories`` and
  ``classes=train.classes`` for a test file), a number column with a typo is an
  error, ``na_values=`` the missing-value markers;
- ``load_npz(path, x=None, y=None)`` and ``load_npy(x_path, y_path)`` (no pickle);
- ``read_idx``, ``load_idx(images, labels)``, ``load_mnist(folder, train=True)``;
- ``load_image_folder(root, size=None, grayscale=False)``: one sub-folder per class.

Text for character-level language models (``core.datasets.text``): ``char_sequences(text,
block)`` gives a :class:`SequenceDataset` of (ids, next ids) windows; ``load_text(path,
block)`` reads a file; ``text.corpus("python_docs", block)`` is a built-in corpus.

``BUILTIN`` maps each built-in set's name to its function.
"""

from core.datasets.base import DatasetError, LabeledDataset, standardize
from core.datasets.bundled import breast_cancer, digits, iris, wine
from core.datasets.idx import load_idx, load_mnist, read_idx
from core.datasets.images import load_image_folder
from core.datasets.synthetic import (
    absolute,
    blobs,
    circles,
    moons,
    polynomial,
    sine,
    spirals,
    step,
    xor,
)
from core.datasets.tabular import load_csv, load_npy, load_npz
from core.datasets.text import SequenceDataset, char_sequences, load_text

BUILTIN = {
    f.__name__: f
    for f in (
        spirals,
        moons,
        circles,
        xor,
        blobs,
        sine,
        polynomial,
        step,
        absolute,
        digits,
        iris,
        wine,
        breast_cancer,
    )
}

__all__ = [
    "BUILTIN",
    "DatasetError",
    "LabeledDataset",
    "SequenceDataset",
    "absolute",
    "blobs",
    "breast_cancer",
    "char_sequences",
    "circles",
    "digits",
    "iris",
    "load_csv",
    "load_idx",
    "load_image_folder",
    "load_mnist",
    "load_npy",
    "load_npz",
    "load_text",
    "moons",
    "polynomial",
    "read_idx",
    "sine",
    "spirals",
    "standardize",
    "step",
    "wine",
    "xor",
]
