"""SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from core.optim.optimizer import _NUMPY, Optimizer, _check_nonneg, _fused_kernel, _xp
from core.tensor import _bump_version, _make

__all__ = ["SGD"]

# On "cuda" the momentum update is one fused kernel per parameter (the same operations
# in the same order as the ufunc chain of the CPU); ``first``: the buffer starts as g.
_CUDA_SGD_MOMENTUM = """
    T b = first ? g : (dampen ? buf * momentum + g * damp1 : buf * momentum + g);
    buf = b;
    p = p + (nesterov ? g + b * momentum : b) * neg_lr;
"""


def _cuda_sgd_kernel(xp):
    return _fused_kernel(
        xp,
        "sgd_momentum",
        "T g, T momentum, T damp1, bool dampen, bool nesterov, bool first, T neg_lr",
        "T p, T buf",
        _CUDA_SGD_MOMENTUM,
    )


class SGD(Optimizer):
    """PyTorch's SGD: ``g = grad (+ weight_decay * p)``; with momentum,
    ``b = momentum * b + (1 - dampening) * g`` (``b = g`` on the first step) and
    ``g = g + momentum * b`` (Nesterov) or ``g = b``; then ``p -= lr * g``."""

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_nonneg(lr, "learning rate")
        _check_nonneg(momentum, "momentum value")
        _check_nonneg(weight_decay, "weight_decay value")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def step(self, closure=None):
        """One SGD step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        state = self.state
        for group in self.param_groups:
            neg_lr = -group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                xp = _xp(p)
                d = p._data
                g = gt._data
                if weight_decay != 0 or maximize:
                    g = self._grad_in(xp, p, g, weight_decay, maximize)
                kernel = None if momentum == 0 or xp is _NUMPY else _cuda_sgd_kernel(xp)
                if kernel is not None:
                    st = state[p]
                    buf_t = st.get("momentum_buffer")
                    first = buf_t is None
                    if first:
                        buf_t = st["momentum_buffer"] = _make(
                            xp.empty_like(g), p._device, False, None
                        )
                    flags = (dampening != 0, nesterov, first)
                    kernel(g, momentum, 1 - dampening, *flags, neg_lr, d, buf_t._data)
                    _bump_version(p)
                    continue
                tmp = self._buf(xp, d)
                if momentum != 0:
                    st = state[p]
                    buf_t = st.get("momentum_buffer")
                    if buf_t is None:  # first step: the buffer is the gradient itself
                        buf = g.copy()
                        st["momentum_buffer"] = _make(buf, p._device, False, None)
                    else:
                        buf = buf_t._data
                        xp.multiply(buf, momentum, out=buf)
                        if dampening != 0:
                            xp.multiply(g, 1 - dampening, out=tmp)
                            xp.add(buf, tmp, out=buf)
                        else:
                            xp.add(buf, g, out=buf)
                    if nesterov:
                        xp.multiply(buf, momentum, out=tmp)
                        xp.add(g, tmp, out=tmp)
                        g = tmp
                    else:
                        g = buf
                xp.multiply(g, neg_lr, out=tmp)
                xp.add(d, tmp, out=d)
                _bump_version(p)
        return loss
