"""Attention: self-attention (MultiheadAttention) and TransformerEncoderLayer on (T, E).

Both run batch first. With ``causal`` each position attends only to itself and earlier
ones: the mask is ``nn.Transformer.generate_square_subsequent_mask(T)``, built per call.
"""

from __future__ import annotations

from core import nn
from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.params import params

_CAUSAL = P(
    "causal",
    "bool",
    False,
    "Each position attends only to itself and earlier ones "
    "(for sequence models that predict the next step)",
)


def _mask(lib: str, x: str) -> str:
    return f"{lib}.nn.Transformer.generate_square_subsequent_mask({x}.size(1), device={x}.device)"


def _causal_mask(x):
    return nn.Transformer.generate_square_subsequent_mask(x.size(1), device=x.device)


def _sequence_infer(kind: str, heads: str):
    def infer(p, ins):
        (shape,) = ins
        if len(shape) != 2:
            raise ShapeError(
                f"{kind} needs a 2-D input per sample (T, E) (positions, features), got "
                f"{shape_str(shape)}",
                "add an Embedding before it for token indices, or a Reshape to "
                "(positions, features)",
                code="rank",
            )
        e, h = shape[1], p[heads]
        if e % h:
            divisors = [d for d in range(1, min(e, 16) + 1) if e % d == 0]
            raise ShapeError(
                f"{kind}: {heads}={h} does not divide the {e} features of {shape_str(shape)}",
                f"use a {heads} that divides {e} (e.g. {', '.join(map(str, divisors))}), or "
                "change the feature size before it",
                code="shape",
            )
        return tuple(shape)

    return infer


def _attention_macs(t: int, e: int) -> int:
    """q, k, v and out projections (4 T E^2) plus Q K^T and A V (2 T^2 E)."""
    return 4 * t * e * e + 2 * t * t * e


def _attention_params(e: int, bias: bool) -> int:
    return 4 * e * e + (4 * e if bias else 0)


def _mha_spec(p, ins):
    kw = {}
    if p["dropout"]:
        kw["dropout"] = p["dropout"]
    if not p["bias"]:
        kw["bias"] = False
    kw["batch_first"] = True
    return ModuleSpec("MultiheadAttention", (ins[0][-1], p["num_heads"]), kw)


def _mha_apply(module, xs, p):
    x = xs[0]
    mask = _causal_mask(x) if p["causal"] else None
    return module(x, x, x, need_weights=False, attn_mask=mask)[0]


def _mha_expr(ins, attr, p, lib):
    x = ins[0]
    mask = f", attn_mask={_mask(lib, x)}" if p["causal"] else ""
    return f"{attr}({x}, {x}, {x}, need_weights=False{mask})[0]"


register(
    LayerKind(
        kind="MultiheadAttention",
        display_name="Multi-head Attention",
        category="Attention",
        doc="Multi-head self-attention over a (T, E) sequence: every position mixes in the "
        "others, weighted by learned query-key similarity.",
        params=params(
            P(
                "num_heads",
                "int",
                4,
                "Parallel attention heads (must divide the features)",
                min=1,
                max=1024,
            ),
            _CAUSAL,
            P(
                "dropout",
                "float",
                0.0,
                "Dropout on the attention weights",
                min=0,
                max=1,
                advanced=True,
            ),
            P("bias", "bool", True, "Learn biases in the projections", advanced=True),
        ),
        infer=_sequence_infer("MultiheadAttention", "num_heads"),
        module=_mha_spec,
        apply=_mha_apply,
        expr=_mha_expr,
        count=lambda p, ins, out: (
            _attention_params(ins[0][1], p["bias"]),
            _attention_macs(*ins[0]),
        ),
        key_params=("num_heads", "causal"),
        id_prefix="attn",
    )
)


def _encoder_spec(p, ins):
    kw = {"dim_feedforward": p["dim_feedforward"]}
    if p["dropout"] != 0.1:
        kw["dropout"] = p["dropout"]
    if p["activation"] != "relu":
        kw["activation"] = p["activation"]
    if p["layer_norm_eps"] != 1e-5:
        kw["layer_norm_eps"] = p["layer_norm_eps"]
    kw["batch_first"] = True
    if p["norm_first"]:
        kw["norm_first"] = True
    if not p["bias"]:
        kw["bias"] = False
    return ModuleSpec("TransformerEncoderLayer", (ins[0][-1], p["nhead"]), kw)


def _encoder_count(p, ins, out):
    t, e = ins[0]
    ff, bias = p["dim_feedforward"], p["bias"]
    n = _attention_params(e, bias) + 2 * e * ff + ((ff + e) if bias else 0)
    n += 2 * e * (2 if bias else 1)  # two LayerNorms
    return n, _attention_macs(t, e) + 2 * t * e * ff


def _encoder_apply(module, xs, p):
    x = xs[0]
    if p["causal"]:
        return module(x, src_mask=_causal_mask(x), is_causal=True)
    return module(x)


def _encoder_expr(ins, attr, p, lib):
    x = ins[0]
    if p["causal"]:
        return f"{attr}({x}, src_mask={_mask(lib, x)}, is_causal=True)"
    return f"{attr}({x})"


register(
    LayerKind(
        kind="TransformerEncoderLayer",
        display_name="Transformer Encoder Layer",
        category="Attention",
        doc="One transformer encoder block on a (T, E) sequence: self-attention and a "
        "feed-forward network, each with a residual connection and LayerNorm.",
        params=params(
            P("nhead", "int", 4, "Attention heads (must divide the features)", min=1, max=1024),
            P(
                "dim_feedforward",
                "int",
                256,
                "Hidden size of the feed-forward network",
                min=1,
                max=1 << 20,
            ),
            _CAUSAL,
            P(
                "dropout",
                "float",
                0.1,
                "Dropout in the attention and feed-forward blocks",
                min=0,
                max=1,
            ),
            P(
                "activation",
                "choice",
                "relu",
                "Activation of the feed-forward network",
                choices=("relu", "gelu"),
            ),
            P(
                "norm_first",
                "bool",
                False,
                "LayerNorm before each block (pre-norm; often trains more stably) instead of after",
                advanced=True,
            ),
            P(
                "layer_norm_eps",
                "float",
                1e-5,
                "LayerNorm epsilon",
                min=0,
                min_exclusive=True,
                max=1.0,
                advanced=True,
            ),
            P(
                "bias",
                "bool",
                True,
                "Learn biases in the linear layers and LayerNorms",
                advanced=True,
            ),
        ),
        infer=_sequence_infer("TransformerEncoderLayer", "nhead"),
        module=_encoder_spec,
        apply=_encoder_apply,
        expr=_encoder_expr,
        count=_encoder_count,
        key_params=("nhead", "dim_feedforward", "causal"),
        id_prefix="encoder",
    )
)
