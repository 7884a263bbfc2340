"""Flatten parameters into one vector and back (``core.nn.utils.parameters_to_vector`` /
``vector_to_parameters``), as torch/nn/utils/convert_parameters.py."""

from __future__ import annotations

from collections.abc import Iterable

from core.ops import cat
from core.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_device: str | None) -> str:
    """The device of the first parameter; an error if a later one is elsewhere."""
    if old_device is not None and param._device != old_device:
        raise TypeError(
            "Found two parameters on different devices, this is currently not supported "
            f"(one on {old_device!r}, one on {param._device!r})."
        )
    return param._device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one vector (differentiable)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_param_device(param, device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter's data the next slice of vec, reshaped to its shape (the
    parameters then share memory with vec, as in PyTorch)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected core.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_param_device(param, device)
        num_param = param.numel()
        param.data = vec[pointer : pointer + num_param].view_as(param).data
        pointer += num_param
