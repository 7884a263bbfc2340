"""Helpers shared by the distributions: broadcasting parameters, probabilities <->
logits (PyTorch's clamping), lazily computed parameters."""

from __future__ import annotations

import numbers

import numpy as np

from core.autograd import enable_grad
from core.ops import log, log1p, sigmoid, softmax
from core.ops.extra import broadcast_tensors
from core.tensor import Tensor, tensor


def broadcast_all(*values) -> tuple:
    """Tensors and numbers as tensors of one broadcast shape: numbers take the dtype and
    device of the first tensor (float32 on "cpu" when there is none)."""
    like = next((v for v in values if isinstance(v, Tensor)), None)
    out = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, numbers.Number):
            if like is None:
                out.append(tensor(float(v)))
            else:
                out.append(tensor(v, dtype=like.dtype, device=like.device))
        else:
            raise ValueError(
                f"Input arguments must all be instances of numbers.Number or Tensor, got "
                f"{type(v).__name__}"
            )
    return broadcast_tensors(*out)


def _eps(t: Tensor) -> float:
    return float(np.finfo(t._data.dtype).eps)


def clamp_probs(probs: Tensor) -> Tensor:
    """probs clamped to [eps, 1 - eps] (eps of its dtype)."""
    eps = _eps(probs)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs: Tensor, is_binary: bool = False) -> Tensor:
    """log(p) (categorical) or log(p) - log(1 - p) (binary), of clamped probabilities."""
    ps = clamp_probs(probs)
    if is_binary:
        return log(ps) - log1p(-ps)
    return log(ps)


def logits_to_probs(logits: Tensor, is_binary: bool = False) -> Tensor:
    """sigmoid (binary) or softmax over the last dim (categorical)."""
    if is_binary:
        return sigmoid(logits)
    return softmax(logits, -1)


class lazy_property:  # noqa: N801 - PyTorch's name
    """A parameter computed on first access (with grad enabled, so it stays in the
    graph of the parameter it derives from) and then cached on the instance."""

    def __init__(self, wrapped) -> None:
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value
