"""TransformerEncoderLayer and TransformerEncoder, PyTorch's submodules and forward
(post-norm or pre-norm, relu/gelu or any callable activation, masks)."""

from __future__ import annotations

import copy
from collections.abc import Callable

from core.factories import full
from core.nn import functional as F
from core.nn.modules.attention import MultiheadAttention
from core.nn.modules.container import ModuleList
from core.nn.modules.dropout import Dropout
from core.nn.modules.linear import Linear
from core.nn.modules.module import Module
from core.nn.modules.normalization import LayerNorm
from core.ops import triu
from core.ops.attention import _float_mask
from core.tensor import Tensor

__all__ = ["Transformer", "TransformerEncoderLayer", "TransformerEncoder"]


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """The (sz, sz) causal mask: -inf above the diagonal, 0 elsewhere."""
    return triu(full((sz, sz), float("-inf"), dtype=dtype, device=device), diagonal=1)


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None, size: int | None) -> bool:
    """is_causal when given; else whether mask is exactly the causal mask of size."""
    if is_causal is not None or mask is None:
        return is_causal is True
    sz = size if size is not None else mask.shape[-2]
    causal = _generate_square_subsequent_mask(sz, device=mask.device, dtype=mask.dtype)
    return tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward block (linear1, activation, dropout, linear2),
    each with a residual connection and a LayerNorm: after the residual by default,
    before the block with norm_first=True."""

    __constants__ = ["norm_first"]

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: str | Callable[[Tensor], Tensor] = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **factory
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        name = type(activation).__name__
        if activation is F.relu or name == "ReLU":
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or name == "GELU":
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation  # a Module activation registers as a submodule

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """src (S, N, E) (batch_first: (N, S, E)) or (S, E) -> the same shape."""
        dtype = src._data.dtype
        src_key_padding_mask = _float_mask(
            src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", dtype
        )
        src_mask = _float_mask(src_mask, "src_mask", None, "", dtype)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """num_layers deep copies of encoder_layer (layers.0, layers.1, ...) applied in
    turn, then norm if given."""

    __constants__ = ["norm"]

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        # NOTE: core has no nested tensors; kept so PyTorch scripts construct unchanged
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False
        self.mask_check = mask_check

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """src (S, N, E) (batch_first: (N, S, E)) or (S, E) -> the same shape. is_causal
        None: detected from mask (True when mask is exactly the causal mask)."""
        dtype = src._data.dtype
        src_key_padding_mask = _float_mask(
            src_key_padding_mask, "src_key_padding_mask", mask, "mask", dtype
        )
        mask = _float_mask(mask, "mask", None, "", dtype)
        output = src
        if src.ndim == 2:
            seq_len = src.shape[0]
        else:
            batch_first = self.layers[0].self_attn.batch_first if len(self.layers) else False
            seq_len = src.shape[1 if batch_first else 0]
        is_causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        for mod in self.layers:
            output = mod(
                output,
                src_mask=mask,
                is_causal=is_causal,
                src_key_padding_mask=src_key_padding_mask,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """Not implemented (no decoder yet): only PyTorch's static helper
    ``Transformer.generate_square_subsequent_mask(sz)`` is available here, for scripts
    that build their model from TransformerEncoder."""

    def __init__(self, *args, **kwargs) -> None:
        raise NotImplementedError(
            "core.nn.Transformer (the encoder-decoder model) is not implemented; build the "
            "model from core.nn.TransformerEncoder / TransformerEncoderLayer. The static "
            "core.nn.Transformer.generate_square_subsequent_mask(sz) is available."
        )

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """The (sz, sz) causal mask: -inf above the diagonal, 0.0 elsewhere."""
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)
