"""Generated toy sets: 2-D classification (spirals, moons, circles, xor, blobs) and 1-D
regression (sine, polynomial, step, absolute).

Every function takes ``n_samples``, ``noise`` and ``seed``: the same seed gives the
same set; ``seed=None`` draws from the global generator, so ``core.manual_seed`` makes
it reproducible too. Classification sets: float32 (N, 2) features, int64 (N,) labels.
Regression sets: float32 (N, 1) x and (N, 1) y.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core import random as _random
from core.datasets.base import LabeledDataset

__all__ = [
    "absolute",
    "blobs",
    "circles",
    "moons",
    "polynomial",
    "sine",
    "spirals",
    "step",
    "xor",
]


def _rng(seed: int | None) -> np.random.Generator:
    if seed is None:
        return _random.default_generator.numpy
    return np.random.default_rng(seed)


def _counts(n_samples: int, parts: int, what: str) -> list[int]:
    """n_samples dealt over parts as evenly as possible (the first parts get the rest)."""
    if not isinstance(n_samples, int) or n_samples < parts:
        raise ValueError(f"{what}: n_samples must be an int >= {parts}, got {n_samples!r}")
    base, rest = divmod(n_samples, parts)
    return [base + (k < rest) for k in range(parts)]


def _check_noise(noise: float, what: str) -> float:
    if not noise >= 0:
        raise ValueError(f"{what}: noise must be >= 0, got {noise!r}")
    return float(noise)


def _classes(x, y, rng, name: str, classes: Sequence[str]) -> LabeledDataset:
    order = rng.permutation(len(y))  # classes interleaved, as a real set would be
    return LabeledDataset(
        x[order], y[order], name=name, classes=classes, feature_names=["x1", "x2"]
    )


# -- classification -----------------------------------------------------------------------
def spirals(
    n_samples: int = 300,
    classes: int = 2,
    arms: int = 1,
    noise: float = 0.05,
    turns: float = 1.0,
    seed: int | None = None,
) -> LabeledDataset:
    """Interleaved spiral arms from the origin out to radius 1: ``classes * arms`` arms
    evenly rotated, arm k belonging to class k % classes; each arm winds ``turns`` times.
    ``noise`` is the std of Gaussian jitter added to the points."""
    noise = _check_noise(noise, "spirals")
    if classes < 2 or arms < 1:
        raise ValueError(f"spirals: need classes >= 2 and arms >= 1, got {classes}, {arms}")
    rng = _rng(seed)
    n_arms = classes * arms
    xs, ys = [], []
    for k, n in enumerate(_counts(n_samples, n_arms, "spirals")):
        r = rng.uniform(0.05, 1.0, n)
        angle = 2 * math.pi * (k / n_arms + turns * r)
        xs.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
        ys.append(np.full(n, k % classes))
    x = np.concatenate(xs) + rng.normal(0.0, noise, (n_samples, 2))
    return _classes(x, np.concatenate(ys), rng, "spirals", [f"arm {c}" for c in range(classes)])


def moons(n_samples: int = 200, noise: float = 0.1, seed: int | None = None) -> LabeledDataset:
    """Two interleaving half circles (scikit-learn's make_moons): class 0 the upper moon,
    class 1 the lower one."""
    noise = _check_noise(noise, "moons")
    rng = _rng(seed)
    n_out, n_in = _counts(n_samples, 2, "moons")
    t_out = rng.uniform(0.0, math.pi, n_out)
    t_in = rng.uniform(0.0, math.pi, n_in)
    x = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat([0, 1], [n_out, n_in])
    return _classes(x, y, rng, "moons", ["upper", "lower"])


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int | None = None
) -> LabeledDataset:
    """A circle of radius 1 (class 0) around one of radius ``factor`` (class 1)."""
    noise = _check_noise(noise, "circles")
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must be in (0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out, n_in = _counts(n_samples, 2, "circles")
    radius = np.repeat([1.0, factor], [n_out, n_in])
    angle = rng.uniform(0.0, 2 * math.pi, n_samples)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, x.shape)
    y = np.repeat([0, 1], [n_out, n_in])
    return _classes(x, y, rng, "circles", ["outer", "inner"])


def xor(n_samples: int = 200, noise: float = 0.05, seed: int | None = None) -> LabeledDataset:
    """Points in [-1, 1]^2, class 1 where x1 and x2 have opposite signs (the XOR of the
    two signs); the label is taken before the jitter is added."""
    noise = _check_noise(noise, "xor")
    _counts(n_samples, 1, "xor")
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    x += rng.normal(0.0, noise, x.shape)
    return _classes(x, y, rng, "xor", ["same sign", "opposite signs"])


def blobs(
    n_samples: int = 200,
    classes: int = 3,
    noise: float = 0.5,
    centers=None,
    seed: int | None = None,
) -> LabeledDataset:
    """Gaussian clusters, one per class: ``centers`` (a (classes, 2) array) or, when None,
    evenly spaced on a circle of radius 2; ``noise`` is each cluster's std."""
    noise = _check_noise(noise, "blobs")
    if centers is None:
        if classes < 1:
            raise ValueError(f"blobs: classes must be >= 1, got {classes}")
        angle = 2 * math.pi * np.arange(classes) / classes
        centers = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    centers = np.asarray(centers, dtype=np.float64)
    if centers.ndim != 2 or centers.shape[1] != 2:
        raise ValueError(f"blobs: centers must have shape (classes, 2), got {centers.shape}")
    counts = _counts(n_samples, len(centers), "blobs")
    rng = _rng(seed)
    y = np.repeat(np.arange(len(centers)), counts)
    x = centers[y] + rng.normal(0.0, noise, (n_samples, 2))
    return _classes(x, y, rng, "blobs", [f"blob {c}" for c in range(len(centers))])


# -- regression -----------------------------------------------------------------------------
def _curve(fn, name: str, n_samples: int, noise: float, x_range, seed) -> LabeledDataset:
    noise = _check_noise(noise, name)
    _counts(n_samples, 1, name)
    rng = _rng(seed)
    low, high = x_range
    x = rng.uniform(low, high, (n_samples, 1))
    y = fn(x) + rng.normal(0.0, noise, x.shape)
    return LabeledDataset(
        x, y.astype(np.float32), name=name, task="regression", feature_names=["x"]
    )


def sine(
    n_samples: int = 200, noise: float = 0.1, x_range=(-math.pi, math.pi), seed: int | None = None
) -> LabeledDataset:
    """y = sin(x) + noise."""
    return _curve(np.sin, "sine", n_samples, noise, x_range, seed)


def polynomial(
    n_samples: int = 200,
    noise: float = 0.1,
    coefficients: Sequence[float] = (0.0, -1.0, 0.0, 1.0),
    x_range=(-1.5, 1.5),
    seed: int | None = None,
) -> LabeledDataset:
    """y = sum(c_k * x**k) + noise; the default coefficients give x**3 - x."""
    coeffs = [float(c) for c in coefficients]
    return _curve(
        lambda x: np.polynomial.polynomial.polyval(x, coeffs),
        "polynomial",
        n_samples,
        noise,
        x_range,
        seed,
    )


def step(
    n_samples: int = 200, noise: float = 0.05, x_range=(-1.0, 1.0), seed: int | None = None
) -> LabeledDataset:
    """y = 1 where x > 0, else 0, plus noise."""
    return _curve(lambda x: (x > 0).astype(np.float64), "step", n_samples, noise, x_range, seed)


def absolute(
    n_samples: int = 200, noise: float = 0.05, x_range=(-1.0, 1.0), seed: int | None = None
) -> LabeledDataset:
    """y = |x| + noise."""
    return _curve(np.abs, "absolute", n_samples, noise, x_range, seed)
