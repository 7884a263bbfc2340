"""Norm-based functionals: ``normalize``, ``cosine_similarity``, ``pairwise_distance``
(compositions of differentiable ops, with PyTorch's formulas and eps handling)."""

from __future__ import annotations

from core.ops import norm, norm_dim
from core.ops.extra import broadcast_tensors, clamp_min
from core.tensor import Tensor

__all__ = ["cosine_similarity", "normalize", "pairwise_distance"]


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """input / max(||input||_p, eps) along dim: unit vectors (zero vectors stay zero)."""
    if out is not None:
        raise NotImplementedError("normalize(): out= is not supported; assign the result")
    denom = clamp_min(norm(input, p, dim, keepdim=True), eps)
    return input / denom


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along dim (the inputs
    broadcast). Each input is divided by its norm first, as in PyTorch (stable, within
    [-1, 1]); the eps clamp does not enter the gradient (PyTorch clamps under no_grad)."""
    x1, x2 = broadcast_tensors(x1, x2)
    d = norm_dim(dim, x1.ndim)
    n1 = norm(x1, 2, d, keepdim=True)
    n2 = norm(x2, 2, d, keepdim=True)
    # the clamped norm's value, with the unclamped norm's gradient
    n1 = n1 + (clamp_min(n1.detach(), eps) - n1.detach())
    n2 = n2 + (clamp_min(n2.detach(), eps) - n2.detach())
    return ((x1 / n1) * (x2 / n2)).sum(d)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """||x1 - x2 + eps||_p over the last dim (the inputs broadcast)."""
    dim = max(x1.ndim, x2.ndim) - 1
    return norm(x1 - x2 + eps, p, dim, keepdim=keepdim)
