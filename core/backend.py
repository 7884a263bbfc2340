"""Array backends: numpy on "cpu", CuPy on "cuda", behind one small class.

Ops never branch on the device: they use ``ctx.xp`` (the array module) and, for the
few functions numpy lacks, the helpers on :class:`Backend`.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np


class DeviceError(RuntimeError):
    """A device was asked for that cannot be used, or devices were mixed in one op."""


class Backend:
    """One device's array namespace and the extras ops need beside it:

    - ``xp``: the array module (numpy or cupy);
    - ``erf(x)``: the error function, elementwise;
    - ``add_at(target, index, values)``: ``target[index] += values``, accumulating
      repeated indices (scatter-add);
    - ``rng(seed)``: a new random generator on this device (numpy's Generator API).
    """

    __slots__ = ("name", "xp", "erf", "add_at", "rng")

    def __init__(self, name: str, xp: Any, erf: Any, add_at: Any, rng: Any) -> None:
        self.name = name
        self.xp = xp
        self.erf = erf
        self.add_at = add_at
        self.rng = rng

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"


def _scipy_erf():
    try:
        from scipy.special import erf
    except ImportError:  # pragma: no cover - scipy is a declared dependency
        erf = np.vectorize(__import__("math").erf, otypes=[np.float64])
    return erf


CPU = Backend("cpu", np, _scipy_erf(), np.add.at, np.random.default_rng)
_BACKENDS: dict[str, Backend] = {"cpu": CPU}
XP: dict[str, Any] = {"cpu": np}  # device -> array module, for the hot path
ARRAY_TYPES: set = {np.ndarray}  # the array classes of the backends in use
_cuda_lock = threading.Lock()
_cuda_error: str | None = None  # why "cuda" cannot be used, once probed

# Range checks of values that index or must lie in a range (class targets, embedding
# indices, binary_cross_entropy's input) read a result back to the host: a sync per
# call on "cuda", so there they run only while this debug flag is True. On "cpu" they
# always run (cheap). Unchecked out-of-range indices on the GPU give wrong values or a
# device-side error instead of a clear message: set it True to find the culprit.
CHECK_INDICES_ON_DEVICE = False


def checks_values(device: str) -> bool:
    """Whether ops on device run their host-side range checks (see CHECK_INDICES_ON_DEVICE)."""
    return device == "cpu" or CHECK_INDICES_ON_DEVICE


def _probe_cuda() -> Backend | None:
    """Import CuPy and run one tiny op; remember why it failed, once."""
    global _cuda_error
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install
        _cuda_error = (
            f"CuPy is not installed ({type(exc).__name__}: {exc}). "
            'Install the GPU extra: pip install -e ".[gpu]" (cupy-cuda12x), '
            'or use device="cpu".'
        )
        return None
    try:
        int((cupy.arange(2) + 1).sum())  # the first real op is where a missing GPU shows
        import cupyx
        from cupyx.scipy.special import erf
    except Exception as exc:
        _cuda_error = (
            f"CuPy is installed but no usable CUDA GPU was found "
            f"({type(exc).__name__}: {exc}). Check the NVIDIA driver and that the "
            'cupy-cudaXXx package matches your CUDA version, or use device="cpu".'
        )
        return None

    def rng(seed: int):
        # NOTE: Philox is counter-based: seeding a fresh generator is cheap, where
        # XORWOW (CuPy's default) runs a skip-ahead for every GPU thread's state
        return cupy.random.Generator(cupy.random.Philox4x3210(seed))

    # NOTE: cupy.add.at replaces cupyx.scatter_add (deprecated since CuPy 13)
    add_at = getattr(cupy.add, "at", None) or cupyx.scatter_add
    return Backend("cuda", cupy, erf, add_at, rng)


def cuda_backend() -> Backend:
    """The CUDA backend, or a DeviceError that says why it is unavailable."""
    backend = _BACKENDS.get("cuda")
    if backend is not None:
        return backend
    with _cuda_lock:
        if "cuda" not in _BACKENDS and _cuda_error is None:
            probed = _probe_cuda()
            if probed is not None:
                _BACKENDS["cuda"] = probed
                XP["cuda"] = probed.xp
                ARRAY_TYPES.add(probed.xp.ndarray)
    if "cuda" in _BACKENDS:
        return _BACKENDS["cuda"]
    raise DeviceError(f'Device "cuda" is not available: {_cuda_error}')


def cuda_available() -> bool:
    """True when CuPy imports and a GPU answers (probed once)."""
    try:
        cuda_backend()
    except DeviceError:
        return False
    return True


def get(device: str) -> Backend:
    """The backend of a normalised device name ("cpu" or "cuda")."""
    backend = _BACKENDS.get(device)
    if backend is not None:
        return backend
    if device == "cuda":
        return cuda_backend()
    raise DeviceError(f"Unknown device {device!r}: expected 'cpu' or 'cuda'.")


def to_numpy(a) -> np.ndarray:
    """A host copy (or the array itself) as numpy."""
    if isinstance(a, np.ndarray):
        return a
    if isinstance(a, np.generic):
        return np.asarray(a)
    return a.get()
