"""SGD: stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from core.optim._foreach import Batch, grad_in
from core.optim.optimizer import Optimizer, _check_nonneg, _fused_kernel, _xp
from core.tensor import _bump_version, _make

__all__ = ["SGD"]


def _sgd(xp, c, t, u, d, g, buf=None) -> None:
    """One SGD update of parameter d in place (its gradient g, with momentum its
    buffer buf), with work arrays t and u (u: for weight decay or maximize only)."""
    momentum, damp1, nesterov, neg_lr, weight_decay, maximize, first = c
    if u is not None:
        g = grad_in(xp, d, g, weight_decay, maximize, u)
    if buf is not None:
        if first:  # the buffer starts as the gradient
            xp.copyto(buf, g)
        else:  # buf = momentum * buf + (1 - dampening) * g
            xp.multiply(buf, momentum, buf)
            if damp1 is not None:
                xp.multiply(g, damp1, t)
                xp.add(buf, t, buf)
            else:
                xp.add(buf, g, buf)
        if nesterov:
            xp.multiply(buf, momentum, t)
            xp.add(g, t, t)
            g = t
        else:
            g = buf
    xp.multiply(g, neg_lr, t)
    xp.add(d, t, d)


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

    _group_defaults = {
        "nesterov": False,
        "maximize": False,
        "foreach": None,
        "differentiable": False,
        "fused": False,
    }

    def step(self, closure=None):
        """One SGD step on every parameter that has a gradient."""
        loss = None if closure is None else self._loss(closure)
        state = self.state
        batch = Batch()
        for group in self.param_groups:
            lr = group["lr"]
            momentum = group["momentum"]
            dampening = group["dampening"]
            weight_decay = group["weight_decay"]
            maximize = group["maximize"]
            wd = weight_decay if weight_decay != 0 else None
            ntmp = 2 if wd is not None or maximize else 1
            damp1 = 1 - dampening if dampening != 0 else None
            consts = (momentum, damp1, group["nesterov"], -lr, wd, maximize)
            later, first = consts + (False,), consts + (True,)
            for p in group["params"]:
                gt = p._grad
                if gt is None:
                    continue
                d = p._data
                g = gt._data
                c, arrays = later, (d, g)
                if momentum != 0:
                    st = state[p]
                    buf_t = st.get("momentum_buffer")
                    if buf_t is None:  # the update fills it with the gradient
                        c = first
                        buf_t = st["momentum_buffer"] = _make(
                            _xp(p).empty(g.shape, dtype=g.dtype), p._device, False, None
                        )
                    arrays = (d, g, buf_t._data)
                if p._device == "cpu":
                    batch.add(p, _sgd, c, ntmp, arrays)
                else:
                    self._step_off_cpu(p, c, ntmp, arrays)
        batch.run()
        return loss

    def _step_off_cpu(self, p, consts, ntmp: int, arrays: tuple) -> None:
        """The update of a parameter off the CPU: with momentum one fused kernel, else
        (or where the array module has no elementwise kernels) the CPU's ufuncs."""
        xp = _xp(p)
        kernel = _cuda_sgd_kernel(xp) if len(arrays) == 3 else None
        if kernel is None:
            self._update_now(xp, _sgd, consts, ntmp, arrays)
        else:
            d, g, buf = arrays
            momentum, damp1, nesterov, neg_lr, weight_decay, maximize, first = consts
            if ntmp > 1:
                g = grad_in(xp, d, g, weight_decay, maximize, self._buf(xp, g, 1))
            dampen = damp1 is not None
            kernel(
                g, momentum, 1 if damp1 is None else damp1, dampen, nesterov, first, neg_lr, d, buf
            )
        _bump_version(p)
