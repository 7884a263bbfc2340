"""Linear layers: Identity, Linear, Bilinear."""

from __future__ import annotations

import math

from core.autograd.function import RawFunction as _Op
from core.factories import empty
from core.nn import functional as F
from core.nn import init
from core.nn.modules.module import Module
from core.nn.parameter import Parameter
from core.tensor import Tensor

__all__ = ["Identity", "Linear", "Bilinear"]


def _register_weight_and_bias(
    module: Module, weight_shape: tuple, bias: bool, device, dtype, bias_size=None
) -> None:
    """weight of weight_shape and bias (bias_size or weight_shape[0],) (or None), then
    module.reset_parameters() initialises them."""
    module.weight = Parameter(empty(weight_shape, device=device, dtype=dtype))
    if bias:
        size = weight_shape[0] if bias_size is None else bias_size
        module.bias = Parameter(empty(size, device=device, dtype=dtype))
    else:
        module.register_parameter("bias", None)
    module.reset_parameters()


def _reset_kaiming_uniform(module: Module) -> None:
    """PyTorch's default for Linear and Conv: kaiming_uniform_ with a=sqrt(5), which is
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same range."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged; takes (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """y = x W^T + b over the last dim: (*, in_features) -> (*, out_features).

    weight (out_features, in_features) and bias (out_features,) start from
    U(-1/sqrt(in_features), 1/sqrt(in_features)), as in PyTorch."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _register_weight_and_bias(self, (out_features, in_features), bias, device, dtype)

    def reset_parameters(self) -> None:
        _reset_kaiming_uniform(self)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


# -- bilinear ------------------------------------------------------------------------
class _BilinearOp(_Op):
    """y[n, o] = sum_ij x1[n, i] W[o, i, j] x2[n, j] + b[o], as two matmuls each way."""

    @staticmethod
    def forward(ctx, x1, x2, w, b):
        o, i, j = w.shape
        lead = x1.shape[:-1]
        a = x1.reshape(-1, i)  # (N, i)
        c = x2.reshape(-1, j)  # (N, j)
        n = a.shape[0]
        # (N, i) x (i, o*j) -> (N, o, j); then a batched dot with x2 over j
        t = (a @ w.transpose(1, 0, 2).reshape(i, o * j)).reshape(n, o, j)
        out = (t @ c[:, :, None]).reshape(n, o)  # (N, o, j) x (N, j, 1) -> (N, o)
        if b is not None:
            out += b
        n1, n2, nw, nb = ctx.needs_input_grad
        if n1 or n2 or nw or nb:
            # each operand is kept only for the gradients of the others
            ctx.a = a if n2 or nw else None
            ctx.c = c if n1 or nw else None
            ctx.w = w if n1 or n2 else None
            ctx.w_shape = w.shape
        return out.reshape(*lead, o)

    @staticmethod
    def backward(ctx, g):
        n1, n2, nw, nb = ctx.needs_input_grad
        a, c, w = ctx.a, ctx.c, ctx.w
        o, i, j = ctx.w_shape
        lead = g.shape[:-1]
        gr = g.reshape(-1, o)  # (N, o)
        gx1 = gx2 = gw = gb = None
        if n1:
            # sum_oj g[n, o] x2[n, j] W[o, i, j]: (N, o*j) x (o*j, i) -> (N, i)
            gc = (gr[:, :, None] * c[:, None, :]).reshape(-1, o * j)
            gx1 = (gc @ w.transpose(0, 2, 1).reshape(o * j, i)).reshape(*lead, i)
        if n2 or nw:
            ga = (gr[:, :, None] * a[:, None, :]).reshape(-1, o * i)  # (N, o*i)
            if n2:
                gx2 = (ga @ w.reshape(o * i, j)).reshape(*lead, j)  # (N, o*i) x (o*i, j)
            if nw:
                gw = (ga.T @ c).reshape(o, i, j)  # (o*i, N) x (N, j) -> (o, i, j)
        if nb:
            gb = gr.sum(axis=0)
        return gx1, gx2, gw, gb


_BilinearOp.__name__ = "Bilinear"  # the op's name in recorded graphs


def _bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """PyTorch's F.bilinear: (*, in1) and (*, in2) with weight (out, in1, in2) -> (*, out)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            "bilinear(): input batch dimensions do not match: got "
            f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D, got shape {list(weight.shape)}")
    o, i, j = weight.shape
    if input1.ndim == 0 or input1.shape[-1] != i:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1:]} "
            f"but expected {i} (input1 {list(input1.shape)}, weight {list(weight.shape)})"
        )
    if input2.shape[-1] != j:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} "
            f"but expected {j} (input2 {list(input2.shape)}, weight {list(weight.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (o,):
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {list(bias.shape)} "
            f"but expected [{o}]"
        )
    for name, t in (("input2", input2), ("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != input1.dtype:
            raise RuntimeError(
                f"bilinear(): expected input1 and {name} to have the same dtype, but got "
                f"{input1.dtype} != {t.dtype}"
            )
    return _BilinearOp.apply(input1, input2, weight, bias)


class Bilinear(Module):
    """y = x1^T A x2 + b: (*, in1_features), (*, in2_features) -> (*, out_features).

    weight (out_features, in1_features, in2_features) and bias (out_features,) start
    from U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in PyTorch."""

    def __init__(
        self,
        in1_features: int,
        in2_features: int,
        out_features: int,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        shape = (out_features, in1_features, in2_features)
        _register_weight_and_bias(self, shape, bias, device, dtype)

    def reset_parameters(self) -> None:
        if self.in1_features <= 0:
            raise ValueError(
                f"in1_features must be > 0, but got (in1_features={self.in1_features})"
            )
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return _bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )
