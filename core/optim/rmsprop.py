"""RMSprop: gradients scaled by a moving average of their square."""

from __future__ import annotations

from core.optim.adam import _lerp_
from core.optim.optimizer import Optimizer, _check_nonneg, _step_tensor, _xp, _zeros_state
from core.tensor import _bump_version

__all__ = ["RMSprop"]


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

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    def step(self, closure=None):
        """One RMSprop step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            alpha = group["alpha"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            momentum = group["momentum"]
            centered = group["centered"]
            maximize = group["maximize"]
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                xp = _xp(p)
                st = state[p]
                if not st:
                    st["step"] = _step_tensor()
                    st["square_avg"] = _zeros_state(p)
                    if momentum > 0:
                        st["momentum_buffer"] = _zeros_state(p)
                    if centered:
                        st["grad_avg"] = _zeros_state(p)
                sd = st["step"]._data
                sd[()] = float(sd) + 1.0
                d = p._data
                g = gt._data
                if weight_decay != 0 or maximize:
                    g = self._grad_in(xp, p, g, weight_decay, maximize)
                sq = st["square_avg"]._data
                t = self._buf(xp, d)
                xp.multiply(sq, alpha, out=sq)  # v = alpha * v + (1 - alpha) * g * g
                xp.multiply(g, 1 - alpha, out=t)
                xp.multiply(t, g, out=t)
                xp.add(sq, t, out=sq)
                if centered:
                    ga = st["grad_avg"]._data
                    _lerp_(xp, ga, g, 1 - alpha, t)
                    xp.multiply(ga, ga, out=t)
                    xp.subtract(sq, t, out=t)
                    xp.sqrt(t, out=t)
                else:
                    xp.sqrt(sq, out=t)
                xp.add(t, eps, out=t)  # avg
                if momentum > 0:
                    buf = st["momentum_buffer"]._data
                    xp.multiply(buf, momentum, out=buf)
                    xp.divide(g, t, out=t)
                    xp.add(buf, t, out=buf)
                    xp.multiply(buf, -lr, out=t)
                else:
                    xp.divide(g, t, out=t)
                    xp.multiply(t, -lr, out=t)
                xp.add(d, t, out=d)
                _bump_version(p)
        return loss
