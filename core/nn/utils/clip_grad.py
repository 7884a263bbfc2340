"""Gradient clipping (``core.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``), as
torch/nn/utils/clip_grad.py.

Everything runs on the gradients' backend arrays, in place: one norm per gradient, one
norm of those norms, one multiply per gradient. Nothing reads back to the host except
``error_if_nonfinite=True`` (as in PyTorch), so on "cuda" a step needs no sync.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

from core import backend as _backend
from core.tensor import Tensor, _bump_version, _make

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grads_with_norm_",
    "clip_grad_value_",
    "get_total_norm",
]

_TensorOrTensors = Tensor | Iterable[Tensor]


def _vector_norm(xp, a, p: float):
    """The p-norm of array a viewed as a vector, as a 0-d array (or numpy scalar) of a's
    dtype (torch.linalg.vector_norm; half precision accumulates in float32)."""
    dtype = a.dtype
    if dtype.kind == "f" and dtype.itemsize < 4:
        a = a.astype(xp.float32)
    if a.size == 0:
        return xp.zeros((), dtype=dtype)
    if p == 2.0:
        n = xp.sqrt(xp.vdot(a, a))  # vdot flattens: no reshape
    elif p == 1.0:
        n = xp.abs(a).sum()
    elif p == math.inf:
        n = xp.abs(a).max()
    elif p == -math.inf:
        n = xp.abs(a).min()
    elif p == 0.0:
        n = (a != 0).sum()
    else:
        n = (xp.abs(a) ** p).sum() ** (1.0 / p)
    return n if n.dtype == dtype else n.astype(dtype)


def get_total_norm(
    tensors: _TensorOrTensors,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The p-norm of the tensors as if concatenated into one vector (the norm of their
    norms), as a 0-d tensor on the first tensor's device."""
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    else:
        tensors = list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return _make(_backend.CPU.xp.zeros((), dtype="float32"), "cpu", False, None)
    first = tensors[0]._device
    xp = _backend.get(first).xp
    norms = []
    for t in tensors:
        dev = t._device
        if dev == first:
            norms.append(_vector_norm(xp, t._data, norm_type))
        else:  # mixed devices (rare): each norm is computed where its tensor lives
            n = _vector_norm(_backend.get(dev).xp, t._data, norm_type)
            norms.append(xp.asarray(_backend.to_numpy(n)))
    # both promote mixed dtypes; np.array is 10x faster than np.stack on scalars
    norms = _backend.CPU.xp.array(norms) if first == "cpu" else xp.stack(norms)
    total = xp.asarray(_vector_norm(xp, norms, norm_type))
    if error_if_nonfinite and not bool(xp.isfinite(total)):  # the one host read
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    return _make(total, first, False, None)


def clip_grads_with_norm_(
    parameters: _TensorOrTensors,
    max_norm: float,
    total_norm: Tensor,
    foreach: bool | None = None,
) -> None:
    """Scale the gradients in place by min(max_norm / (total_norm + 1e-6), 1)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p._grad for p in parameters if p._grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    tdev = total_norm._device
    txp = _backend.get(tdev).xp
    # NOTE: multiplying by a coefficient clamped to 1 (rather than testing it on the
    # host) is PyTorch's way to avoid a device sync; it also matches its numerics
    coef = txp.minimum(max_norm / (total_norm._data + 1e-6), 1.0)
    if tdev == "cpu" and coef == 0:  # a host value on "cpu": no sync to test it
        # NOTE: an infinite total norm scales inf grads to nan (inf * 0), as in PyTorch;
        # numpy would warn about it
        with _backend.CPU.xp.errstate(invalid="ignore"):
            _scale(grads, coef, tdev)
    else:
        _scale(grads, coef, tdev)


def _scale(grads: list[Tensor], coef, tdev: str) -> None:
    """Multiply each gradient in place by the 0-d coef (on device tdev)."""
    cast: dict = {}  # (device, dtype) -> coef as a 0-d array there
    for g in grads:
        a, dev = g._data, g._device
        c = cast.get((dev, a.dtype))
        if c is None:
            c = coef if dev == tdev else _backend.XP[dev].asarray(_backend.to_numpy(coef))
            c = cast[dev, a.dtype] = c.astype(a.dtype, copy=False)
        _backend.XP[dev].multiply(a, c, out=a)
        _bump_version(g)


def clip_grad_norm_(
    parameters: _TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients in place so that their total norm is at most max_norm;
    return the total norm before clipping (0-d tensor). Parameters without a gradient
    are skipped; norm_type may be inf."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)  # iterated twice: a generator must not run out
        if is_generator and not parameters:
            warnings.warn(
                "`parameters` is an empty generator, no gradient clipping will occur.",
                stacklevel=2,
            )
    grads = [p._grad for p in parameters if p._grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: _TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated spelling of :func:`clip_grad_norm_`."""
    warnings.warn(
        "`core.nn.utils.clip_grad_norm` is now deprecated in favor of "
        "`core.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(
    parameters: _TensorOrTensors, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient in place to [-clip_value, clip_value]."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = p._grad
        if g is None:
            continue
        a, xp = g._data, _backend.XP[g._device]
        xp.maximum(a, -clip_value, out=a)  # two ufuncs: faster than numpy's clip
        xp.minimum(a, clip_value, out=a)
        _bump_version(g)
