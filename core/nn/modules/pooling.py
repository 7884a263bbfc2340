"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, AdaptiveAvgPool1d/2d.

The 1-D layers run the 2-D ops on a unit-height view: (N, C, L) -> (N, C, 1, L).
"""

from __future__ import annotations

from core.nn import functional as F
from core.nn.modules.module import Module
from core.tensor import Tensor

__all__ = [
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
]


def _single(value) -> tuple:
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _one(value, name: str, what: str) -> int:
    """The single int of a 1-D pooling argument (an int or a 1-tuple)."""
    if isinstance(value, tuple | list):
        if len(value) != 1:
            raise RuntimeError(f"{name}: {what} must be a single int, got {tuple(value)}")
        value = value[0]
    return value


def _check_1d(name: str, input: Tensor) -> None:
    if input.ndim not in (2, 3):
        raise RuntimeError(f"{name}() Expected 2D or 3D input tensor, but got {list(input.shape)}")


class _MaxPoolNd(Module):
    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    """1-D max pooling over (N, C, L) or (C, L); padding counts as -inf. With
    return_indices, also the argmax positions along L."""

    def forward(self, input: Tensor):
        name = "max_pool1d"
        _check_1d(name, input)
        out = F.max_pool2d(
            input.unsqueeze(-2),
            (1, _one(self.kernel_size, name, "kernel_size")),
            (1, _one(self.stride, name, "stride")),
            (0, _one(self.padding, name, "padding")),
            (1, _one(self.dilation, name, "dilation")),
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )
        if self.return_indices:
            values, indices = out
            return values.squeeze(-2), indices.squeeze(-2)  # H == 1: the index is along L
        return out.squeeze(-2)


class MaxPool2d(_MaxPoolNd):
    """2-D max pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""

    def forward(self, input: Tensor):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )


class _AvgPoolNd(Module):
    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    """1-D average pooling over (N, C, L) or (C, L); stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        self.kernel_size = _single(kernel_size)
        self.stride = _single(stride if stride is not None else kernel_size)
        self.padding = _single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        name = "avg_pool1d"
        _check_1d(name, input)
        out = F.avg_pool2d(
            input.unsqueeze(-2),
            (1, _one(self.kernel_size, name, "kernel_size")),
            (1, _one(self.stride, name, "stride")),
            (0, _one(self.padding, name, "padding")),
            self.ceil_mode,
            self.count_include_pad,
        )
        return out.squeeze(-2)


class AvgPool2d(_AvgPoolNd):
    """2-D average pooling over (N, C, H, W) or (C, H, W); stride defaults to kernel_size."""

    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )


class _AdaptiveAvgPoolNd(Module):
    def __init__(self, output_size) -> None:
        super().__init__()
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, L) or (C, L) to output_size along L."""

    def forward(self, input: Tensor) -> Tensor:
        _check_1d("adaptive_avg_pool1d", input)
        size = _one(self.output_size, "adaptive_avg_pool1d", "output_size")
        return F.adaptive_avg_pool2d(input.unsqueeze(-2), (1, size)).squeeze(-2)


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average pooling of (N, C, H, W) or (C, H, W) to output_size (an int, a pair, or
    None in a pair to keep that input size)."""

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)
