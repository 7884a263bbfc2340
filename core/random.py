"""Random numbers: one seeded host generator (``core.manual_seed``), shared by devices.

Samples are drawn on the host and moved to the device, so a seed gives the same
numbers on "cpu" and "cuda" (except dropout's mask, drawn on the GPU by a CuPy
generator seeded from this one: reproducible, but not the CPU's mask).
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``core.Generator``); device is
    "cpu" or "cuda" (kept as ``.device``: samples are drawn on the host for both)."""

    def __init__(self, device="cpu") -> None:
        from core.tensor import device as _device  # late: core.tensor may still be loading

        self.device = _device(device)
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed)
        self._rng = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self) -> int:
        """Reseed from fresh OS entropy; returns the new seed."""
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


def uniform(shape, low=0.0, high=1.0, generator=None, dtype=np.float64) -> np.ndarray:
    """Samples in [low, high) as dtype (other than float: float64 samples to cast)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return _rng(generator).uniform(low, high, size=shape)
    # NOTE: float32 is drawn as float32: a float64 draw below 1 can round up to 1.0
    u = _rng(generator).random(shape, dtype=np.float32 if dtype.itemsize <= 4 else np.float64)
    out = (u * (high - low) + low).astype(dtype, copy=False)
    if high > low:  # the scaling can round up to high too
        np.minimum(out, np.nextafter(dtype.type(high), dtype.type(low)), out=out)
    return out


def normal(shape, mean=0.0, std=1.0, generator=None) -> np.ndarray:
    return _rng(generator).normal(mean, std, size=shape)


def integers(low, high, shape, generator=None) -> np.ndarray:
    return _rng(generator).integers(low, high, size=shape, dtype=np.int64)


def permutation(n: int, generator=None) -> np.ndarray:
    return _rng(generator).permutation(n).astype(np.int64)


_STATE_BYTES = (16, 16, 1, 4)  # PCG64: state, increment, has_uint32, uinteger


def get_rng_state():
    """The default generator's state as a uint8 tensor (for :func:`set_rng_state`)."""
    from core.tensor import tensor

    s = default_generator.get_state()
    values = (s["state"]["state"], s["state"]["inc"], s["has_uint32"], s["uinteger"])
    raw = b"".join(int(v).to_bytes(n, "little") for v, n in zip(values, _STATE_BYTES))
    return tensor(np.frombuffer(raw, dtype=np.uint8))


def set_rng_state(new_state) -> None:
    """Restore the default generator to a state from :func:`get_rng_state`."""
    raw = bytes(np.asarray(new_state, dtype=np.uint8).reshape(-1))
    if len(raw) != sum(_STATE_BYTES):
        raise RuntimeError(
            f"set_rng_state: expected a state of {sum(_STATE_BYTES)} bytes (from "
            f"get_rng_state()), got {len(raw)}"
        )
    values, start = [], 0
    for n in _STATE_BYTES:
        values.append(int.from_bytes(raw[start : start + n], "little"))
        start += n
    default_generator.set_state(
        {
            "bit_generator": "PCG64",
            "state": {"state": values[0], "inc": values[1]},
            "has_uint32": values[2],
            "uinteger": values[3],
        }
    )
