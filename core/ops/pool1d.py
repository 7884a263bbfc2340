"""1-D pooling: ``max_pool1d``, ``avg_pool1d``, ``adaptive_avg_pool1d``.

Each runs the fused 2-D op on a unit-height view: (N, C, L) -> (N, C, 1, L).
"""

from __future__ import annotations

from core.ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from core.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "avg_pool1d", "max_pool1d"]


def _one(value, name: str, what: str) -> int:
    """The single int of a 1-D pooling argument (an int or a 1-tuple)."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise RuntimeError(f"{name}: {what} must be a single int, got {tuple(value)}")
        value = value[0]
    return value


def _check_1d(name: str, input) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got {list(input.shape)}")


def _stride(stride, kernel_size):
    if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0):
        return kernel_size
    return stride


def max_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode: bool = False,
    return_indices: bool = False,
):
    """1-D max pooling over (N, C, L) or (C, L); padding counts as -inf. With
    return_indices, also the argmax positions along L."""
    name = "max_pool1d"
    _check_1d(name, input)
    k = _one(kernel_size, name, "kernel_size")
    out = max_pool2d(
        input.unsqueeze(-2),
        (1, k),
        (1, _one(_stride(stride, k), name, "stride")),
        (0, _one(padding, name, "padding")),
        (1, _one(dilation, name, "dilation")),
        ceil_mode=ceil_mode,
        return_indices=return_indices,
    )
    if return_indices:
        values, indices = out
        return values.squeeze(-2), indices.squeeze(-2)  # H == 1: the index is along L
    return out.squeeze(-2)


def avg_pool1d(
    input: Tensor,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling over (N, C, L) or (C, L); stride defaults to kernel_size."""
    name = "avg_pool1d"
    _check_1d(name, input)
    k = _one(kernel_size, name, "kernel_size")
    out = avg_pool2d(
        input.unsqueeze(-2),
        (1, k),
        (1, _one(_stride(stride, k), name, "stride")),
        (0, _one(padding, name, "padding")),
        ceil_mode,
        count_include_pad,
    )
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    """Average pooling of (N, C, L) or (C, L) to output_size along L."""
    name = "adaptive_avg_pool1d"
    _check_1d(name, input)
    size = _one(output_size, name, "output_size")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)
