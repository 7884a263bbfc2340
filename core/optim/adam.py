"""Adam (and, with decoupled weight decay, AdamW's update)."""

from __future__ import annotations

from core.optim._foreach import Batch, grad_in, lerp_, lerp_weight
from core.optim.optimizer import (
    Optimizer,
    _check_nonneg,
    _fused_kernel,
    _step_tensor,
    _xp,
    _zeros_state,
)
from core.tensor import _bump_version

__all__ = ["Adam"]

_KEYS = ("exp_avg", "exp_avg_sq")
_KEYS_AMSGRAD = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")


def _adam(xp, c, t, u, d, g, m, v, vmax=None) -> None:
    """One Adam update of parameter d in place (its gradient g, moments m, v and, with
    amsgrad, vmax), with work arrays t and u (u: for L2 decay or maximize only)."""
    w1, small, beta2, c2, bias_correction2_sqrt, eps, neg_step_size, l2, maximize, decay = c
    if decay is not None:  # decoupled weight decay (AdamW)
        xp.multiply(d, decay, d)
    if u is not None:
        g = grad_in(xp, d, g, l2, maximize, u)
    lerp_(xp, m, g, w1, small, t)  # m = lerp(m, g, 1 - beta1)
    xp.multiply(v, beta2, v)  # v = beta2 * v + (1 - beta2) * g * g
    xp.multiply(g, c2, t)
    xp.multiply(t, g, t)
    xp.add(v, t, v)
    if vmax is not None:
        xp.maximum(vmax, v, out=vmax)  # (a positional out is deprecated for maximum)
    xp.sqrt(v if vmax is None else vmax, t)
    xp.divide(t, bias_correction2_sqrt, t)  # denom
    xp.add(t, eps, t)
    xp.divide(m, t, t)
    xp.multiply(t, neg_step_size, t)
    xp.add(d, t, d)


def _consts(lr, beta1, beta2, eps, l2, maximize, decay, step: float) -> tuple:
    """The constants of _adam at a step (the count after this update)."""
    step_size = lr / (1 - beta1**step)
    bias_correction2_sqrt = (1 - beta2**step) ** 0.5
    w1, small = lerp_weight(1 - beta1)
    return (
        w1,
        small,
        beta2,
        1 - beta2,
        bias_correction2_sqrt,
        eps,
        -step_size,
        l2,
        maximize,
        decay,
    )


# On "cuda" one fused kernel per parameter does the whole update (m, v, the denominator
# and p) with the same operations in the same order as the ufunc chain of the CPU.
_CUDA_ADAM = """
    T diff = g - m;
    m = small ? m + w1 * diff : g - diff * one_minus_w1;
    v = v * beta2 + (g * c2) * g;
    {maximum}
    T denom = sqrt({second}) / bc2_sqrt + eps;
    p = p + (m / denom) * neg_step_size;
"""


def _cuda_adam_kernel(xp, amsgrad: bool):
    return _fused_kernel(
        xp,
        "adam_amsgrad" if amsgrad else "adam",
        "T g, T w1, T one_minus_w1, bool small, T beta2, T c2, T bc2_sqrt, T eps, T neg_step_size",
        "T p, T m, T v" + (", T vmax" if amsgrad else ""),
        _CUDA_ADAM.format(
            # NOTE: numpy.maximum's NaN rule (as the CPU and PyTorch), not CUDA's max()
            # of floats (fmaxf), which drops a NaN operand
            maximum="vmax = (v > vmax || v != v) ? v : vmax;" if amsgrad else "",
            second="vmax" if amsgrad else "v",
        ),
    )


def _check_betas(betas) -> tuple[float, float]:
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")
    return float(betas[0]), float(betas[1])


class Adam(Optimizer):
    """PyTorch's Adam: moving averages m, v of the gradient and its square,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``; amsgrad
    normalizes by the running maximum of v. ``weight_decay`` adds ``wd * p`` to the
    gradient (L2), or with ``decoupled_weight_decay`` scales p by ``1 - lr * wd`` first
    (AdamW)."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        _check_nonneg(lr, "learning rate")
        _check_nonneg(eps, "epsilon value")
        betas = _check_betas(betas)
        _check_nonneg(weight_decay, "weight_decay value")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    _group_defaults = {
        "amsgrad": False,
        "maximize": False,
        "foreach": None,
        "capturable": False,
        "differentiable": False,
        "decoupled_weight_decay": False,
        "fused": None,
    }

    def step(self, closure=None):
        """One Adam step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        batch = Batch()
        for index, group in enumerate(self.param_groups):
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            l2 = weight_decay if weight_decay != 0 and not decoupled else None
            decay = 1 - lr * weight_decay if weight_decay != 0 and decoupled else None
            ntmp = 2 if l2 is not None or maximize else 1
            keys = _KEYS_AMSGRAD if amsgrad else _KEYS

            def init_state(p, st, amsgrad=amsgrad):
                if not st:
                    st["step"] = _step_tensor()
                    st["exp_avg"] = _zeros_state(p)
                    st["exp_avg_sq"] = _zeros_state(p)
                if amsgrad and "max_exp_avg_sq" not in st:
                    st["max_exp_avg_sq"] = _zeros_state(p)

            def consts_at(step, group=(lr, beta1, beta2, eps, l2, maximize, decay)):
                return _consts(*group, step)

            self._update_group(
                batch,
                index,
                keys,
                _adam,
                ntmp,
                consts_at,
                init_state,
                reads_param=decay is not None or l2 is not None,
                off_cpu=self._step_off_cpu,
            )
        batch.run()
        return loss

    def _step_off_cpu(self, p, consts, ntmp: int, arrays: tuple) -> None:
        """The update of a parameter off the CPU: one fused kernel (the CPU's ufuncs
        where the array module has no elementwise kernels)."""
        xp = _xp(p)
        kernel = _cuda_adam_kernel(xp, len(arrays) == 5)
        if kernel is None:
            self._update_now(xp, _adam, consts, ntmp, arrays)
        else:
            d, g, *moments = arrays
            w1, small, beta2, c2, bc2_sqrt, eps, neg_step_size, l2, maximize, decay = consts
            if decay is not None:
                xp.multiply(d, decay, d)
            if ntmp > 1:
                g = grad_in(xp, d, g, l2, maximize, self._buf(xp, g, 1))
            # w1 (lerp_weight's) is the weight of the lerp form that `small` selects
            kernel(g, w1, w1, small, beta2, c2, bc2_sqrt, eps, neg_step_size, d, *moments)
        _bump_version(p)
