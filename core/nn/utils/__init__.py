"""Utilities of ``core.nn`` (as torch.nn.utils): gradient clipping, parameter
flattening, and padding of variable-length sequences (``rnn``)."""

from core.nn.utils import rnn  # noqa: F401 - core.nn.utils.rnn as an attribute, as in torch
from core.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value_,
    clip_grads_with_norm_,
    get_total_norm,
)
from core.nn.utils.convert_parameters import parameters_to_vector, vector_to_parameters

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value_",
    "clip_grads_with_norm_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]
