"""Autograd: Function, grad mode, the backward engine and gradcheck."""

from core.autograd.engine import backward
from core.autograd.function import Function
from core.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from core.autograd.gradcheck import GradcheckError, gradcheck


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph=None,
    create_graph: bool = False,
    allow_unused=False,
):
    """Gradients of outputs with respect to inputs, returned (inputs' .grad untouched)."""
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (higher-order gradients) is not supported by core yet"
        )
    outputs = outputs if isinstance(outputs, tuple | list) else (outputs,)
    if grad_outputs is not None and not isinstance(grad_outputs, tuple | list):
        grad_outputs = (grad_outputs,)
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    saved = [x._grad for x in inputs]
    # non-leaf inputs are reached through retain_grad; undo it for those that lacked it
    unretain = [x for x in inputs if x._grad_fn is not None and not _retains(x)]
    for x in inputs:
        x._grad = None
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph, inputs=inputs)
        result = tuple(x._grad for x in inputs)
    finally:
        for x, g in zip(inputs, saved, strict=True):
            x._grad = g
        for x in unretain:
            if x._grad_fn._retained:
                x._grad_fn._retained.pop(x._out_idx, None)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been "
                "used in the graph. Set allow_unused=True if this is the desired behavior."
            )
    return result


def _retains(x) -> bool:
    retained = x._grad_fn._retained
    return bool(retained) and retained.get(x._out_idx, (None, False))[1]


__all__ = [
    "Function",
    "backward",
    "grad",
    "gradcheck",
    "GradcheckError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "is_grad_enabled",
]
