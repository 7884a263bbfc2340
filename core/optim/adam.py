"""Adam (and, with decoupled weight decay, AdamW's update)."""

from __future__ import annotations

from core.optim.optimizer import (
    _NUMPY,
    Optimizer,
    _check_nonneg,
    _fused_kernel,
    _step_tensor,
    _xp,
    _zeros_state,
)
from core.tensor import _bump_version

__all__ = ["Adam"]


def _lerp_(xp, a, b, weight: float, tmp) -> None:
    """a += weight * (b - a) in place, with PyTorch's two forms of lerp (the second,
    b - (b - a) * (1 - weight), is the more accurate one for weights of 0.5 or more)."""
    xp.subtract(b, a, out=tmp)
    if abs(weight) < 0.5:
        xp.multiply(tmp, weight, out=tmp)
        xp.add(a, tmp, out=a)
    else:
        xp.multiply(tmp, 1 - weight, out=tmp)
        xp.subtract(b, tmp, out=a)


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
            maximum="vmax = max(vmax, v);" if amsgrad else "",
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

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """One Adam step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            beta1, beta2 = group["betas"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            l2 = 0 if decoupled else weight_decay
            w1 = 1 - beta1
            c2 = 1 - beta2
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                xp = _xp(p)
                st = state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["exp_avg"] = _zeros_state(p)
                    st["exp_avg_sq"] = _zeros_state(p)
                    if amsgrad:
                        st["max_exp_avg_sq"] = _zeros_state(p)
                sd = st["step"]._data
                step = float(sd) + 1.0
                sd[()] = step
                d = p._data
                g = gt._data
                if decoupled and weight_decay != 0:
                    xp.multiply(d, 1 - lr * weight_decay, out=d)
                if l2 != 0 or maximize:
                    g = self._grad_in(xp, p, g, l2, maximize)
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                step_size = lr / (1 - beta1**step)
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                vmax = None
                if amsgrad:
                    vmax = st.get("max_exp_avg_sq")
                    if vmax is None:
                        vmax = st["max_exp_avg_sq"] = _zeros_state(p)
                    vmax = vmax._data
                kernel = None if xp is _NUMPY else _cuda_adam_kernel(xp, amsgrad)
                if kernel is not None:
                    small = abs(w1) < 0.5
                    args = (g, w1, 1 - w1, small, beta2, c2, bias_correction2_sqrt, eps)
                    kernel(*args, -step_size, d, m, v, *(() if vmax is None else (vmax,)))
                else:
                    t = self._buf(xp, d)
                    _lerp_(xp, m, g, w1, t)
                    xp.multiply(v, beta2, out=v)  # v = beta2 * v + (1 - beta2) * g * g
                    xp.multiply(g, c2, out=t)
                    xp.multiply(t, g, out=t)
                    xp.add(v, t, out=v)
                    if vmax is not None:
                        xp.maximum(vmax, v, out=vmax)
                    xp.sqrt(v if vmax is None else vmax, out=t)
                    xp.divide(t, bias_correction2_sqrt, out=t)  # denom
                    xp.add(t, eps, out=t)
                    xp.divide(m, t, out=t)
                    xp.multiply(t, -step_size, out=t)
                    xp.add(d, t, out=d)
                _bump_version(p)
        return loss
