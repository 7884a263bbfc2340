"""Random numbers: one seeded host generator (``core.manual_seed``), shared by devices.

Samples are drawn on the host and moved to the device, so a seed gives the same
numbers on "cpu" and "cuda".
"""

from __future__ import annotations

import threading

import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``core.Generator``)."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self._lock = threading.Lock()
        self.manual_seed(np.random.SeedSequence().entropy % (2**63))

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        self.manual_seed(np.random.SeedSequence().entropy % (2**63))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        return self._rng.bit_generator.state

    def set_state(self, new_state: dict) -> None:
        self._rng.bit_generator.state = new_state

    @property
    def numpy(self) -> np.random.Generator:
        return self._rng


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator).numpy


def uniform(shape, low=0.0, high=1.0, generator=None) -> np.ndarray:
    return _rng(generator).uniform(low, high, size=shape)


def normal(shape, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    return _rng(generator).normal(mean, std, size=shape)


def integers(low, high, shape, generator=None) -> np.ndarray:
    return _rng(generator).integers(low, high, size=shape, dtype=np.int64)


def permutation(n: int, generator=None) -> np.ndarray:
    return _rng(generator).permutation(n).astype(np.int64)
