"""scikit-learn's bundled sets (read from files installed with scikit-learn, no download):
digits, iris, wine, breast_cancer."""

from __future__ import annotations

import numpy as np

from core.datasets.base import LabeledDataset

__all__ = ["breast_cancer", "digits", "iris", "wine"]


def _sklearn():
    try:
        import sklearn.datasets as skd
    except ImportError as exc:  # pragma: no cover - scikit-learn is a declared dependency
        raise ImportError(
            "the bundled datasets come from scikit-learn: pip install scikit-learn"
        ) from exc
    return skd


def digits(flat: bool = False) -> LabeledDataset:
    """1,797 handwritten digits 0-9 as 8x8 images scaled to [0, 1]: data (N, 1, 8, 8),
    or (N, 64) with ``flat=True``."""
    bunch = _sklearn().load_digits()
    images = bunch.images.astype(np.float32) / 16.0  # pixel values are 0..16
    x = images.reshape(len(images), -1) if flat else images[:, None]
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)] if flat else None
    classes = [str(int(c)) for c in bunch.target_names]
    return LabeledDataset(x, bunch.target, name="digits", classes=classes, feature_names=names)


def _table(loader: str, name: str) -> LabeledDataset:
    bunch = getattr(_sklearn(), loader)()
    return LabeledDataset(
        bunch.data,
        bunch.target,
        name=name,
        classes=[str(c) for c in bunch.target_names],
        feature_names=list(bunch.feature_names),
    )


def iris() -> LabeledDataset:
    """150 iris flowers, 4 measurements (cm), 3 species."""
    return _table("load_iris", "iris")


def wine() -> LabeledDataset:
    """178 wines, 13 chemical measurements, 3 cultivars (unscaled: see standardize)."""
    return _table("load_wine", "wine")


def breast_cancer() -> LabeledDataset:
    """569 tumours, 30 features, classes 'malignant' (0) and 'benign' (1) (unscaled)."""
    return _table("load_breast_cancer", "breast_cancer")
