"""Autograd: Function, grad mode, the backward engine and gradcheck."""

from core.autograd.engine import backward
from core.autograd.function import Function
from core.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from core.autograd.gradcheck import GradcheckError, gradcheck


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, allow_unused=False):
    """Gradients of outputs with respect to inputs, returned (inputs' .grad untouched)."""
    outputs = outputs if isinstance(outputs, tuple | list) else (outputs,)
    single = not isinstance(inputs, tuple | list)
    inputs = (inputs,) if single else tuple(inputs)
    saved = [x._grad for x in inputs]
    for x in inputs:
        x._grad = None
    try:
        backward(outputs, grad_outputs, retain_graph=retain_graph)
        result = tuple(x._grad for x in inputs)
    finally:
        for x, g in zip(inputs, saved, strict=True):
            x._grad = g
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"One of the differentiated Tensors (input {i}) appears to not have been "
                "used in the graph. Set allow_unused=True if this is the desired behavior."
            )
    return result


__all__ = [
    "Function",
    "backward",
    "grad",
    "gradcheck",
    "GradcheckError",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
]
