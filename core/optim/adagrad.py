"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from __future__ import annotations

from core.optim.optimizer import Optimizer, _check_nonneg, _step_tensor, _xp, _zeros_state
from core.tensor import _bump_version

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """PyTorch's Adagrad: ``s += g^2``, ``p -= clr * g / (sqrt(s) + eps)`` with
    ``clr = lr / (1 + (t - 1) * lr_decay)``."""

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_nonneg(lr, "learning rate")
        _check_nonneg(lr_decay, "lr_decay value")
        _check_nonneg(weight_decay, "weight_decay value")
        _check_nonneg(
            initial_accumulator_value,
            "initial_accumulator_value value",
        )
        _check_nonneg(eps, "epsilon value")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        # as in PyTorch, the state of every parameter exists from the start
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> dict:
        st = self.state[p]
        st["step"] = _step_tensor()
        st["sum"] = _zeros_state(p, group["initial_accumulator_value"])
        return st

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def step(self, closure=None):
        """One Adagrad step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        state = self.state
        for group in self.param_groups:
            lr = group["lr"]
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                xp = _xp(p)
                st = state[p]
                if not st:  # a group added after construction
                    st = self._init_state(p, group)
                sd = st["step"]._data
                step = float(sd) + 1.0
                sd[()] = step
                d = p._data
                g = gt._data
                if weight_decay != 0 or maximize:
                    g = self._grad_in(xp, p, g, weight_decay, maximize)
                clr = lr / (1 + (step - 1) * lr_decay)
                s = st["sum"]._data
                t = self._buf(xp, d)
                xp.multiply(g, g, out=t)  # s += g * g
                xp.add(s, t, out=s)
                xp.sqrt(s, out=t)
                xp.add(t, eps, out=t)  # std
                xp.divide(g, t, out=t)
                xp.multiply(t, -clr, out=t)
                xp.add(d, t, out=d)
                _bump_version(p)
        return loss
