"""Numerical gradient checks (PyTorch's defaults: eps=1e-6, atol=1e-5, rtol=1e-3)."""

from __future__ import annotations

import numpy as np

from core import backend as _backend
from core.autograd.grad_mode import no_grad
from core.tensor import Tensor, _make


class GradcheckError(RuntimeError):
    """Analytical and numerical gradients disagree."""


def _outputs(fn, inputs) -> tuple:
    out = fn(*inputs)
    return out if isinstance(out, tuple | list) else (out,)


def _checked(outs) -> list[int]:
    """Positions of the outputs that are checked: floating tensors that require grad."""
    return [
        k
        for k, o in enumerate(outs)
        if isinstance(o, Tensor) and o.dtype.is_floating_point and o.requires_grad
    ]


def gradcheck(
    fn,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    grad_outputs=None,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Compare backward() with central differences for every float64 input that
    requires grad, over the floating outputs that require grad. ``grad_outputs`` are
    their upstream gradients (random, non-uniform when not given, so that wrong
    reductions and broadcasts cannot hide). The inputs' ``.grad`` are left as they were."""
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    for x in diff_inputs:
        if x._data.dtype != np.float64:
            raise ValueError(
                f"gradcheck expects float64 inputs that require grad, got {x.dtype} "
                "(float32 differences are too coarse for eps=1e-6)"
            )
    first = _outputs(fn, inputs)
    checked = _checked(first)  # the same outputs on the analytical and numerical sides
    outs = [first[k] for k in checked]
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [
            rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape) for o in outs
        ]
    grad_outputs = [g._data if isinstance(g, Tensor) else g for g in grad_outputs]
    if not outs:
        raise ValueError("gradcheck: the function returned no output that requires grad")

    # analytical: d(sum_k <g_k, out_k>) / d x, through autograd.grad (x.grad untouched)
    from core.autograd import grad

    grads = grad(
        outs,
        diff_inputs,
        [
            _make(
                _backend.get(o._device).xp.asarray(g, dtype=o._data.dtype), o._device, False, None
            )
            for o, g in zip(outs, grad_outputs, strict=True)
        ],
        allow_unused=True,
    )
    analytical = [
        _backend.to_numpy(g._data) if g is not None else np.zeros(x.shape)
        for x, g in zip(diff_inputs, grads, strict=True)
    ]

    # numerical: perturb each element of each input
    def objective() -> float:
        with no_grad():
            res = _outputs(fn, inputs)
        return float(
            sum(
                np.sum(_backend.to_numpy(res[k]._data) * _backend.to_numpy(g))
                for k, g in zip(checked, grad_outputs, strict=True)
            )
        )

    for k, (x, ana) in enumerate(zip(diff_inputs, analytical, strict=True)):
        data = x._data  # perturbed in place, element by element, whatever its strides
        num = np.zeros(x.shape)
        for i in np.ndindex(*x.shape):
            orig = float(data[i])
            data[i] = orig + eps
            plus = objective()
            data[i] = orig - eps
            minus = objective()
            data[i] = orig
            num[i] = (plus - minus) / (2 * eps)
        if not np.allclose(ana, num, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(ana - num)), num.shape) if num.size else ()
            msg = (
                f"Jacobian mismatch for input {k} of shape {tuple(x.shape)}: largest "
                f"difference at index {tuple(int(i) for i in worst)}: analytical "
                f"{ana[worst]!r} vs numerical {num[worst]!r}\nanalytical:\n{ana}\n"
                f"numerical:\n{num}"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
