"""``core.cuda``: is a CUDA GPU usable through CuPy?"""

from __future__ import annotations

from core import backend as _backend


def is_available() -> bool:
    """True when CuPy is installed and a GPU answers (probed once per process)."""
    return _backend.cuda_available()


def unavailable_reason() -> str | None:
    """Why "cuda" cannot be used, or None when it can."""
    try:
        _backend.cuda_backend()
    except _backend.DeviceError as exc:
        return str(exc)
    return None


def device_count() -> int:
    if not is_available():
        return 0
    return int(_backend.cuda_backend().xp.cuda.runtime.getDeviceCount())


def synchronize() -> None:
    """Wait for all queued GPU work (no-op without a GPU)."""
    if is_available():
        _backend.cuda_backend().xp.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Samples are drawn on the host, so this seeds the one default generator."""
    from core.random import manual_seed as _seed

    _seed(seed)


manual_seed_all = manual_seed
