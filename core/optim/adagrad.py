"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from __future__ import annotations

from core.optim._foreach import Batch, grad_in
from core.optim.optimizer import (
    Optimizer,
    _check_nonneg,
    _step_tensor,
    _zeros_state,
)

__all__ = ["Adagrad"]

_KEYS = ("sum",)


def _clr(lr: float, lr_decay: float, step: float) -> float:
    """The learning rate at a step (the count after this update)."""
    return lr / (1 + (step - 1) * lr_decay)


def _adagrad(xp, c, t, u, d, g, s) -> None:
    """One Adagrad update of parameter d in place (its gradient g, running sum s of
    squares), with work arrays t and u (u: for weight decay or maximize only)."""
    eps, neg_clr, weight_decay, maximize = c
    if u is not None:
        g = grad_in(xp, d, g, weight_decay, maximize, u)
    xp.multiply(g, g, t)  # s += g * g
    xp.add(s, t, s)
    xp.sqrt(s, t)
    xp.add(t, eps, t)  # std
    xp.divide(g, t, t)
    xp.multiply(t, neg_clr, t)
    xp.add(d, t, d)


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

    _group_defaults = {
        "foreach": None,
        "maximize": False,
        "differentiable": False,
        "fused": None,
    }

    def step(self, closure=None):
        """One Adagrad step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        batch = Batch()
        for index, group in enumerate(self.param_groups):
            lr = group["lr"]
            lr_decay = group["lr_decay"]
            eps = group["eps"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            wd = weight_decay if weight_decay != 0 else None
            ntmp = 2 if wd is not None or maximize else 1

            def init_state(p, st, group=group):
                if not st:  # a group added after construction
                    self._init_state(p, group)

            def consts_at(step, lr=lr, lr_decay=lr_decay, eps=eps, wd=wd, maximize=maximize):
                return (eps, -_clr(lr, lr_decay, step), wd, maximize)

            self._update_group(
                batch, index, _KEYS, _adagrad, ntmp, consts_at, init_state, wd is not None
            )
        batch.run()
        return loss
