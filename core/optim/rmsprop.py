"""RMSprop: gradients scaled by a moving average of their square."""

from __future__ import annotations

from core.optim._foreach import Batch, grad_in, lerp_, lerp_weight
from core.optim.optimizer import (
    Optimizer,
    _check_nonneg,
    _step_tensor,
    _zeros_state,
)

__all__ = ["RMSprop"]


def _rmsprop(xp, c, t, u, d, g, sq, *rest) -> None:
    """One RMSprop update of parameter d in place (its gradient g, square average sq,
    then its momentum buffer and its gradient average where used), with work arrays t
    and u (u: for weight decay or maximize only)."""
    alpha, c2, w, small, eps, momentum, centered, neg_lr, weight_decay, maximize = c
    if u is not None:
        g = grad_in(xp, d, g, weight_decay, maximize, u)
    xp.multiply(sq, alpha, sq)  # v = alpha * v + (1 - alpha) * g * g
    xp.multiply(g, c2, t)
    xp.multiply(t, g, t)
    xp.add(sq, t, sq)
    if centered:
        ga = rest[-1]
        lerp_(xp, ga, g, w, small, t)  # ga = lerp(ga, g, 1 - alpha)
        xp.multiply(ga, ga, t)
        xp.subtract(sq, t, t)
        xp.sqrt(t, t)
    else:
        xp.sqrt(sq, t)
    xp.add(t, eps, t)  # avg
    if momentum is not None:
        buf = rest[0]
        xp.multiply(buf, momentum, buf)
        xp.divide(g, t, t)
        xp.add(buf, t, buf)
        xp.multiply(buf, neg_lr, t)
    else:
        xp.divide(g, t, t)
        xp.multiply(t, neg_lr, t)
    xp.add(d, t, d)


class RMSprop(Optimizer):
    """PyTorch's RMSprop: ``v = alpha * v + (1 - alpha) * g^2``,
    ``avg = sqrt(v - mean(g)^2 if centered else v) + eps``, then
    ``p -= lr * g / avg``, or with momentum ``b = momentum * b + g / avg; p -= lr * b``."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_nonneg(lr, "learning rate")
        _check_nonneg(eps, "epsilon value")
        _check_nonneg(momentum, "momentum value")
        _check_nonneg(weight_decay, "weight_decay value")
        _check_nonneg(alpha, "alpha value")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    _group_defaults = {
        "momentum": 0,
        "centered": False,
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "capturable": False,
    }

    def step(self, closure=None):
        """One RMSprop step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        batch = Batch()
        for index, group in enumerate(self.param_groups):
            alpha = group["alpha"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            wd = weight_decay if weight_decay != 0 else None
            ntmp = 2 if wd is not None or maximize else 1
            w, small_w = lerp_weight(1 - alpha)
            consts = (alpha, 1 - alpha, w, small_w, group["eps"])
            consts += (momentum if momentum > 0 else None, centered, -group["lr"], wd, maximize)
            keys = ("square_avg",)
            keys += ("momentum_buffer",) * (momentum > 0) + ("grad_avg",) * bool(centered)

            def init_state(p, st, momentum=momentum, centered=centered):
                if not st:
                    st["step"] = _step_tensor()
                    st["square_avg"] = _zeros_state(p)
                    if momentum > 0:
                        st["momentum_buffer"] = _zeros_state(p)
                    if centered:
                        st["grad_avg"] = _zeros_state(p)

            self._update_group(
                batch,
                index,
                keys,
                _rmsprop,
                ntmp,
                lambda step, consts=consts: consts,
                init_state,
                wd is not None,
                per_step=False,
            )
        batch.run()
        return loss
