"""Sampling from tensors of probabilities: multinomial and bernoulli (PyTorch's
semantics and errors), drawn on the host from core's generator (``generator=`` or the
default one) and returned on the input's device.
"""

from __future__ import annotations

import numpy as np

from core import backend as _backend
from core import random as _random
from core.ops import _recorded
from core.tensor import Tensor, _make

__all__ = ["bernoulli", "multinomial"]


def multinomial(
    input: Tensor, num_samples: int, replacement: bool = False, *, generator=None
) -> Tensor:
    """int64 indices of categories drawn from each row of input (1-D or 2-D, nonnegative
    weights, unnormalised ok): (num_samples,) or (rows, num_samples). Without
    replacement, each row's indices are distinct (zero-weight categories come last)."""
    if not isinstance(input, Tensor):
        raise TypeError(
            f"multinomial(): argument 'input' must be Tensor, not {type(input).__name__}"
        )
    if input.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim (got shape {list(input.shape)})")
    if not input.is_floating_point():
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {input.dtype.name}"
        )
    n = input.shape[-1]
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n:
        raise RuntimeError(
            f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"(n_sample = {num_samples}, prob_dist.size(-1) = {n})"
        )
    # NOTE: a host copy (on "cuda" a sync, as PyTorch's own checks of the weights are)
    p = _backend.to_numpy(input._data).astype(np.float64).reshape(-1, n)
    if not np.isfinite(p).all() or (p < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if p.shape[0] and (p.sum(axis=1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _random._rng(generator)
    if replacement:
        cdf = np.cumsum(p, axis=1)
        cdf /= cdf[:, -1:]  # the last category with weight ends at exactly 1.0
        u = rng.random((p.shape[0], num_samples))
        # the first category whose cdf exceeds u: zero-weight ones never do
        idx = np.empty(u.shape, dtype=np.int64)
        for r in range(p.shape[0]):
            idx[r] = np.searchsorted(cdf[r], u[r], side="right")
    else:
        # the exponential race (PyTorch's method): the k largest p / Exp(1) are a draw
        # without replacement; zero weights get random negative keys, so they come last
        q = rng.exponential(size=p.shape)
        keys = np.where(p > 0, p / q, -q)
        idx = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = idx.astype(np.int64).reshape(input.shape[:-1] + (num_samples,))
    xp = _backend.get(input._device).xp
    return _recorded("multinomial", (input,), _make(xp.asarray(out), input._device, False, None))


def bernoulli(input: Tensor, p=None, *, generator=None) -> Tensor:
    """0/1 draws, each 1 with probability input (or with the number p), in input's
    dtype and shape."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli(): argument 'input' must be Tensor, not {type(input).__name__}")
    if not input.is_floating_point():
        raise RuntimeError(
            f"bernoulli: expected a floating-point input of probabilities, got "
            f"{input.dtype.name} (convert with .float() first)"
        )
    if p is None:
        probs = _backend.to_numpy(input._data).astype(np.float64)
        if not ((probs >= 0) & (probs <= 1)).all():
            raise RuntimeError(
                f"bernoulli: expected probabilities in [0, 1] (p_in >= 0 && p_in <= 1), "
                f"got values outside it in an input of shape {tuple(input.shape)}"
            )
    else:
        probs = float(p)
        if not 0 <= probs <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={probs}")
    sample = _random.uniform(input.shape, 0.0, 1.0, generator) < probs
    xp = _backend.get(input._device).xp
    out = xp.asarray(sample.astype(input._data.dtype))
    return _recorded("bernoulli", (input,), _make(out, input._device, False, None))


def _bind() -> None:
    def bernoulli_m(self, p=None, *, generator=None):
        return bernoulli(self, p, generator=generator)

    Tensor.multinomial = multinomial
    Tensor.bernoulli = bernoulli_m


_bind()
