"""Attention: scaled dot-product attention as one fused Function, and PyTorch's
functional multi-head attention built on it.

The fused op computes softmax(q k^T * scale + mask) (dropped out) @ v and keeps the
attention weights for a backward that is four matmuls and a softmax derivative.
"""

from __future__ import annotations

import math
import warnings

from core import backend as _backend
from core import random as _random
from core.autograd.function import RawFunction as _Op
from core.ops._util import meta, quietly, unbroadcast
from core.ops.linalg import Linear as _Linear
from core.tensor import Tensor, _make

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_NEG_INF = float("-inf")


def _keep_mask(ctx, shape, p: float):
    """A dropout keep-mask (True with probability 1 - p), from core's seeded generator
    (as core.nn.functional.dropout draws its masks)."""
    host_rng = _random.default_generator.numpy
    if ctx.device == "cpu":
        u = host_rng.random(shape, dtype="float32")
    else:
        seed = int(host_rng.integers(2**63))
        u = _backend.get(ctx.device).rng(seed).random(shape, dtype=ctx.xp.float32)
    return u >= p


def _grouped_meta(a, groups: int):
    """The meta of k or v before their heads were repeated for groups of query heads."""
    if groups == 1:
        return meta(a)
    shape = list(a.shape)
    shape[-3] //= groups
    return (tuple(shape), a.dtype)


class ScaledDotProductAttention(_Op):
    """out = dropout(softmax(q k^T * scale + mask)) @ v over the last two dims, leading
    (batch, head) dims broadcast.

    forward(q (..., L, E), k (..., S, E), v (..., S, Ev), mask (..., L, S) | None (bool:
    True takes part; float: added), dropout_p, causal, scale, safe, groups,
    with_weights) -> out (..., L, Ev), or (out, weights (..., L, S)) with_weights.

    safe: rows that every position is masked out of give zeros (PyTorch's
    scaled_dot_product_attention) rather than NaN (its explicit MultiheadAttention
    path). groups > 1: k and v have that many times fewer heads (dim -3) than q,
    each shared by consecutive query heads (grouped-query attention)."""

    @staticmethod
    @quietly
    def forward(ctx, q, k, v, mask, dropout_p, causal, scale, safe, groups, with_weights):
        xp = ctx.xp
        if groups > 1:
            k, v = xp.repeat(k, groups, axis=-3), xp.repeat(v, groups, axis=-3)
        s = q @ k.swapaxes(-1, -2)  # (..., L, E) x (..., E, S) -> (..., L, S)
        s *= scale
        if mask is not None:
            s = xp.where(mask, s, _NEG_INF) if mask.dtype == bool else s + mask
        if causal:
            n_l, n_s = s.shape[-2:]
            s = xp.where(xp.tril(xp.ones((n_l, n_s), dtype=bool)), s, _NEG_INF)
        s = s.astype(q.dtype, copy=False)
        top = s.max(axis=-1, keepdims=True)
        if safe:
            top[xp.isneginf(top)] = 0  # a fully masked row: exp gives zeros, not NaN
        s -= top
        p = xp.exp(s, out=s)  # the attention weights, in place of the scores
        den = p.sum(axis=-1, keepdims=True)
        if safe:
            den[den == 0] = 1
        p /= den
        keep = None
        if dropout_p > 0:
            if dropout_p >= 1:
                pd = xp.zeros_like(p)
            else:
                keep = _keep_mask(ctx, p.shape, dropout_p)
                pd = p * keep
                pd *= 1.0 / (1.0 - dropout_p)
        else:
            pd = p
        out = pd @ v  # (..., L, S) x (..., S, Ev) -> (..., L, Ev)
        if any(ctx.needs_input_grad):
            ctx.q, ctx.k, ctx.v, ctx.p, ctx.pd, ctx.keep = q, k, v, p, pd, keep
            ctx.scale, ctx.dropout_p, ctx.groups = scale, dropout_p, groups
            ctx.metas = (meta(q), _grouped_meta(k, groups), _grouped_meta(v, groups), meta(mask))
        return (out, pd) if with_weights else out

    @staticmethod
    @quietly
    def backward(ctx, g_out, g_w=None):
        xp = ctx.xp
        nq, nk, nv, nm = ctx.needs_input_grad[:4]
        q, k, v, p, pd = ctx.q, ctx.k, ctx.v, ctx.p, ctx.pd
        gq = gk = gv = gm = None
        if g_out is None:
            g_pd = g_w
        else:
            g_pd = g_out @ v.swapaxes(-1, -2)  # (..., L, Ev) x (..., Ev, S) -> (..., L, S)
            if g_w is not None:
                g_pd = g_pd + g_w
            if nv:
                gv = pd.swapaxes(-1, -2) @ g_out  # (..., S, L) x (..., L, Ev) -> (..., S, Ev)
        if ctx.dropout_p >= 1:
            g_p = xp.zeros_like(p)
        elif ctx.keep is not None:
            g_p = g_pd * ctx.keep
            g_p *= 1.0 / (1.0 - ctx.dropout_p)
        else:
            g_p = g_pd
        # softmax: ds = p * (dp - <dp, p>) along the last dim
        g_s = g_p * p
        g_s -= p * g_s.sum(axis=-1, keepdims=True)
        if nm:
            gm = unbroadcast(g_s, ctx.metas[3])
            g_s = g_s * ctx.scale  # NOTE: not in place: gm may be g_s itself
        else:
            g_s *= ctx.scale
        if nq:
            gq = g_s @ k  # (..., L, S) x (..., S, E) -> (..., L, E)
        if nk:
            gk = g_s.swapaxes(-1, -2) @ q  # (..., S, L) x (..., L, E) -> (..., S, E)
        groups = ctx.groups

        def fold(g, m):
            if g is None:
                return None
            if groups > 1:  # heads that shared one k/v head: their gradients add up
                g = g.reshape(*g.shape[:-3], g.shape[-3] // groups, groups, *g.shape[-2:])
                g = g.sum(axis=-3)
            return unbroadcast(g, m)

        return (
            unbroadcast(gq, ctx.metas[0]) if gq is not None else None,
            fold(gk, ctx.metas[1]),
            fold(gv, ctx.metas[2]),
            gm,
            *(None,) * 6,
        )


def _attention(q, k, v, mask, dropout_p, causal, scale, safe, groups, with_weights):
    return ScaledDotProductAttention.apply(
        q, k, v, mask, dropout_p, causal, scale, safe, groups, with_weights
    )


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query key^T * scale + mask) @ value, fused (PyTorch's signature).

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev). A bool
    attn_mask marks the positions that take part (True); a float one is added to the
    scores. is_causal masks out the positions above the diagonal (no attn_mask then).
    scale defaults to 1 / sqrt(E). Rows that no position takes part in give zeros.
    dropout_p applies dropout to the attention weights (always; pass 0.0 in eval)."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if t.ndim < 2:
            raise RuntimeError(
                f"scaled_dot_product_attention: {name} must be at least 2-D (..., L, E), "
                f"got shape {list(t.shape)}"
            )
    if not query.dtype.is_floating_point:
        raise RuntimeError(
            f"scaled_dot_product_attention: expected floating-point query, got {query.dtype}"
        )
    if key.dtype != query.dtype or value.dtype != query.dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead."
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"scaled_dot_product_attention: query's last dim ({query.shape[-1]}) must match "
            f"key's ({key.shape[-1]}); shapes {list(query.shape)} and {list(key.shape)}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"scaled_dot_product_attention: key and value must have the same sequence length "
            f"(dim -2), got shapes {list(key.shape)} and {list(value.shape)}"
        )
    if is_causal and attn_mask is not None:
        raise RuntimeError(
            "_scaled_dot_product_attention: Explicit attn_mask should not be set when "
            "is_causal=True"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    groups = 1
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise RuntimeError(
                f"scaled_dot_product_attention: with enable_gqa, query heads ({hq}) must be "
                f"a multiple of key/value heads ({hk}, {value.shape[-3]})"
            )
        groups = hq // hk
    if attn_mask is not None:
        if attn_mask.dtype.name != "bool" and not attn_mask.dtype.is_floating_point:
            raise RuntimeError(
                f"Expected attn_mask dtype to be bool or float or to match query dtype, but "
                f"got attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype}"
            )
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    return _attention(
        query, key, value, attn_mask, float(dropout_p), is_causal, scale, True, groups, False
    )


# -- multi-head attention ----------------------------------------------------------------
def _float_mask(mask: Tensor | None, name: str, other: Tensor | None, other_name: str, dtype):
    """PyTorch's canonical mask: a bool mask (True: masked out) as a float one with -inf
    there; a float mask as it is."""
    if mask is None:
        return None
    if mask.dtype.name != "bool" and not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if other is not None and other.dtype != mask.dtype:
        warnings.warn(
            f"Support for mismatched {name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if mask.dtype.name == "bool":
        xp = _backend.get(mask._device).xp
        data = xp.where(mask._data, _NEG_INF, 0.0).astype(dtype, copy=False)
        return _make(data, mask._device, False, None)
    return mask


def _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads) -> bool:
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D"
                f" but found {key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D"
                f" but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                f" but found {attn_mask.ndim}-D tensor instead"
            )
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D"
                f" but found {key.ndim}-D and {value.ndim}-D tensors respectively"
            )
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D"
                f" but found {key_padding_mask.ndim}-D tensor instead"
            )
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D"
                    f" but found {attn_mask.ndim}-D tensor instead"
                )
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(
                    f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}"
                )
        return False
    raise AssertionError(
        "query should be unbatched 2D or batched 3D tensor but received "
        f"{query.ndim}-D query tensor"
    )


def _linear(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    return _Linear.apply(x, w, b)


def _in_projection(query, key, value, embed_dim, w, b, w_q, w_k, w_v):
    """q, k, v = the three input projections; one matmul for self-attention."""
    e = embed_dim
    if w_q is None:  # packed in_proj_weight (3E, E)
        if query is key and key is value:
            proj = _linear(query, w, b)  # (L, N, E) x (E, 3E) -> (L, N, 3E)
            return proj[..., :e], proj[..., e : 2 * e], proj[..., 2 * e :]
        if key is value:
            q = _linear(query, w[:e], None if b is None else b[:e])
            kv = _linear(key, w[e:], None if b is None else b[e:])
            return q, kv[..., :e], kv[..., e:]
        w_q, w_k, w_v = w[:e], w[e : 2 * e], w[2 * e :]
    bq = bk = bv = None
    if b is not None:
        bq, bk, bv = b[:e], b[e : 2 * e], b[2 * e :]
    return _linear(query, w_q, bq), _linear(key, w_k, bk), _linear(value, w_v, bv)


def _pad_last(mask: Tensor | None) -> Tensor | None:
    """One more (zero: not masked) column at the end of a float mask."""
    if mask is None:
        return None
    from core.ops import cat

    return cat([mask, mask.new_zeros(*mask.shape[:-1], 1)], -1)


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's functional multi-head attention on sequence-first inputs: query
    (L, N, E) or (L, E), key and value (S, N, E_k/E_v); returns (output (L, N, E), the
    attention weights (N, L, S) averaged over heads, (N, heads, L, S), or None)."""
    from core.ops import cat

    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:  # (L, E) -> (L, 1, E), keeping self-attention's one projection
        same_qk, same_kv = query is key, key is value
        query = query.unsqueeze(1)
        key = query if same_qk else key.unsqueeze(1)
        value = key if same_kv else value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    dtype = query._data.dtype
    key_padding_mask = _float_mask(
        key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", dtype
    )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer "
            "module method `generate_square_subsequent_mask` to create this mask."
        )
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the hint stands for the mask: a causal attention without it
    else:
        attn_mask = _float_mask(attn_mask, "attn_mask", None, "", dtype)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(
                f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                f"{tuple(value.shape[:2])}"
            )
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(
                    f"use_separate_proj_weight is True but {name}_proj_weight is None"
                )
        q, k, v = _in_projection(
            query,
            key,
            value,
            embed_dim,
            None,
            in_proj_bias,
            q_proj_weight,
            k_proj_weight,
            v_proj_weight,
        )
    else:
        if key.shape != value.shape:
            raise AssertionError(
                f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
            )
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection(
            query, key, value, embed_dim, in_proj_weight, in_proj_bias, None, None, None
        )
    src_len = key.shape[0]
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{(tgt_len, src_len)}."
                )
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            want = (bsz * num_heads, tgt_len, src_len)
            if tuple(attn_mask.shape) != want:
                raise RuntimeError(
                    f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                    f"{want}."
                )
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(
            "bias_k is set but bias_v is None"
            if bias_k is not None
            else "bias_v is set but bias_k is None"
        )
    # heads: (L, N, E) -> (L, N*heads, head_dim) -> (N*heads, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    if static_k is None:
        k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static("static_k", static_k, bsz * num_heads, head_dim)
        k = static_k
    if static_v is None:
        v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    else:
        _check_static("static_v", static_v, bsz * num_heads, head_dim)
        v = static_v
    if add_zero_attn:
        k = cat([k, k.new_zeros(bsz * num_heads, 1, head_dim)], 1)
        v = cat([v, v.new_zeros(bsz * num_heads, 1, head_dim)], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(
                f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                f"{key_padding_mask.shape[0]}"
            )
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(
                f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                f"{key_padding_mask.shape[1]}"
            )
        # (N, S) -> (N*heads, 1, S): every head of a sequence skips its padding
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    scale = 1.0 / math.sqrt(head_dim)
    result = _attention(
        q, k, v, attn_mask, float(dropout_p), is_causal, scale, not need_weights, 1, need_weights
    )
    out, weights = result if need_weights else (result, None)
    # (N*heads, L, head_dim) -> (L, N*heads, head_dim) -> (L*N, E)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = _linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        if weights is not None:
            weights = weights.squeeze(0)
    return out, weights


def _check_static(name: str, t: Tensor, heads: int, head_dim: int) -> None:
    if t.shape[0] != heads:
        raise AssertionError(f"expecting {name}.size(0) of {heads}, but got {t.shape[0]}")
    if t.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got {t.shape[2]}")
