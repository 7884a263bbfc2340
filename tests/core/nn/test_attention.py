"""Attention: scaled_dot_product_attention, MultiheadAttention, TransformerEncoderLayer
and TransformerEncoder, against PyTorch and by numerical gradients."""

import math

import numpy as np
import pytest

import core
import core.nn.functional as F
from core.autograd import gradcheck


def to_core(t, requires_grad=False):
    return core.tensor(t.detach().numpy(), requires_grad=requires_grad)


def copy_weights(torch_module, core_module):
    sd = torch_module.state_dict()
    assert list(core_module.state_dict()) == list(sd)
    core_module.load_state_dict({k: core.tensor(v.numpy()) for k, v in sd.items()})


def close(core_t, torch_t, tol=1e-10):
    np.testing.assert_allclose(
        core_t.detach().numpy(), torch_t.detach().numpy(), atol=tol, rtol=tol, equal_nan=True
    )


# -- scaled_dot_product_attention ----------------------------------------------------------
def _mask(torch, kind, shape):
    if kind is None:
        return None
    g = torch.Generator().manual_seed(7)
    if kind == "bool":
        m = torch.rand(shape, generator=g) > 0.4
        m[..., 0] = True  # every row keeps a position
        return m
    return torch.randn(shape, generator=g, dtype=torch.float64)


@pytest.mark.parametrize(
    ("mask_kind", "mask_shape"),
    [
        (None, None),
        ("bool", (4, 5)),
        ("float", (4, 5)),
        ("bool", (2, 1, 4, 5)),
        ("float", (2, 3, 4, 5)),
    ],
)
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch_with_masks(mask_kind, mask_shape, scale):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    q = torch.randn(2, 3, 4, 6, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 3, 5, 6, dtype=torch.float64, requires_grad=True)
    v = torch.randn(2, 3, 5, 7, dtype=torch.float64, requires_grad=True)
    mask = _mask(torch, mask_kind, mask_shape)
    if mask is not None and mask.is_floating_point():
        mask.requires_grad_(True)
    t_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)
    cq, ck, cv = (to_core(t, True) for t in (q, k, v))
    cm = None if mask is None else to_core(mask, mask.is_floating_point())
    c_out = F.scaled_dot_product_attention(cq, ck, cv, attn_mask=cm, scale=scale)
    assert c_out.shape == (2, 3, 4, 7)
    close(c_out, t_out)
    w = torch.randn(t_out.shape, dtype=torch.float64)
    (t_out * w).sum().backward()
    (c_out * to_core(w)).sum().backward()
    for c, t in ((cq, q), (ck, k), (cv, v)):
        close(c.grad, t.grad)
    if cm is not None and cm.requires_grad:
        close(cm.grad, mask.grad)


@pytest.mark.parametrize(("L", "S"), [(4, 4), (3, 5), (5, 3)])
def test_sdpa_is_causal_matches_torch(L, S):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    q = torch.randn(2, L, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, S, 4, dtype=torch.float64, requires_grad=True)
    v = torch.randn(2, S, 3, dtype=torch.float64, requires_grad=True)
    t_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    cq, ck, cv = (to_core(t, True) for t in (q, k, v))
    c_out = F.scaled_dot_product_attention(cq, ck, cv, is_causal=True)
    close(c_out, t_out)
    (t_out**2).sum().backward()
    (c_out**2).sum().backward()
    for c, t in ((cq, q), (ck, k), (cv, v)):
        close(c.grad, t.grad)


def test_sdpa_rows_with_no_allowed_position_give_zeros_like_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(2)
    q = torch.randn(1, 3, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(1, 5, 4, dtype=torch.float64)
    v = torch.randn(1, 5, 4, dtype=torch.float64)
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[1] = False
    t_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    cq = to_core(q, True)
    c_out = F.scaled_dot_product_attention(cq, to_core(k), to_core(v), attn_mask=to_core(mask))
    assert np.all(c_out.detach().numpy()[0, 1] == 0)
    close(c_out, t_out)
    t_out.sum().backward()
    c_out.sum().backward()
    close(cq.grad, q.grad)


def test_sdpa_grouped_query_attention_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    q = torch.randn(2, 4, 3, 5, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, 2, 6, 5, dtype=torch.float64, requires_grad=True)
    v = torch.randn(2, 2, 6, 3, dtype=torch.float64, requires_grad=True)
    t_out = torch.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    cq, ck, cv = (to_core(t, True) for t in (q, k, v))
    c_out = F.scaled_dot_product_attention(cq, ck, cv, enable_gqa=True)
    close(c_out, t_out)
    (t_out**3).sum().backward()
    (c_out**3).sum().backward()
    for c, t in ((cq, q), (ck, k), (cv, v)):
        close(c.grad, t.grad)


def _small(*shape):
    return core.randn(*shape, dtype=core.float64, requires_grad=True)


def test_sdpa_gradcheck_plain_bool_mask_float_mask_and_causal():
    core.manual_seed(4)
    q, k, v = _small(2, 3, 4), _small(2, 5, 4), _small(2, 5, 3)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v), (q, k, v))
    keep = core.tensor(np.random.default_rng(0).random((3, 5)) > 0.3)
    keep[:, 0] = True
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=keep), (q, k, v)
    )
    bias = _small(2, 3, 5)  # a float mask is differentiable too
    assert gradcheck(
        lambda q, k, v, b: F.scaled_dot_product_attention(q, k, v, attn_mask=b, scale=0.7),
        (q, k, v, bias),
    )
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), (q, k, v)
    )


def test_sdpa_gradcheck_grouped_query_attention():
    core.manual_seed(5)
    q, k, v = _small(1, 4, 2, 3), _small(1, 2, 3, 3), _small(1, 2, 3, 2)
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True), (q, k, v)
    )


def test_sdpa_dropout_is_seeded_and_drops_all_at_p_1():
    q, k, v = core.randn(2, 8, 4), core.randn(2, 8, 4), core.randn(2, 8, 4)
    core.manual_seed(0)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    core.manual_seed(0)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    plain = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), plain.numpy())
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


def test_sdpa_dropout_gradcheck_with_a_reseeded_mask():
    # reseeding before every call makes the dropout mask the same on each evaluation,
    # so the numerical gradient sees the function that backward differentiates
    core.manual_seed(6)
    q, k, v = _small(2, 3, 4), _small(2, 4, 4), _small(2, 4, 2)

    def run(q, k, v):
        core.manual_seed(123)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    assert gradcheck(run, (q, k, v))


def test_sdpa_errors():
    q = core.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match="attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(
            q, q, q, attn_mask=core.ones(3, 3, dtype=core.bool), is_causal=True
        )
    with pytest.raises(RuntimeError, match="same dtype"):
        F.scaled_dot_product_attention(q, q.double(), q)
    with pytest.raises(RuntimeError, match=r"query's last dim \(4\) must match key's \(5\)"):
        F.scaled_dot_product_attention(q, core.randn(2, 3, 5), q)


# -- MultiheadAttention ---------------------------------------------------------------------
MHA_CONFIGS = [
    {},
    {"batch_first": True},
    {"kdim": 3, "vdim": 5},
    {"kdim": 3, "vdim": 5, "batch_first": True},
    {"bias": False},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
]


@pytest.mark.parametrize("kwargs", MHA_CONFIGS)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("masks", ["none", "bool", "float"])
def test_mha_matches_torch(kwargs, need_weights, average, masks):
    torch = pytest.importorskip("torch")
    torch.manual_seed(10)
    tm = torch.nn.MultiheadAttention(6, 2, **kwargs).double()
    cm = core.nn.MultiheadAttention(6, 2, **kwargs).double()
    copy_weights(tm, cm)
    bf = kwargs.get("batch_first", False)
    n, tgt, src = 3, 4, 5

    def seq(length, dim):
        shape = (n, length, dim) if bf else (length, n, dim)
        return torch.randn(shape, dtype=torch.float64, requires_grad=True)

    q, k, v = seq(tgt, 6), seq(src, kwargs.get("kdim", 6)), seq(src, kwargs.get("vdim", 6))
    kpm = am = None
    if masks != "none":
        kpm = torch.zeros(n, src, dtype=torch.bool)
        kpm[0, -2:] = True
        kpm[2, 0] = True
        am = torch.rand(tgt, src, generator=torch.Generator().manual_seed(1)) > 0.7
        am[:, 1] = False
        if masks == "float":
            kpm = torch.zeros(n, src, dtype=torch.float64).masked_fill(kpm, -1e9)
            am = torch.randn(tgt, src, dtype=torch.float64)
    opts = dict(need_weights=need_weights, average_attn_weights=average)
    t_out, t_w = tm(q, k, v, key_padding_mask=kpm, attn_mask=am, **opts)
    cq, ck, cv = (to_core(t, True) for t in (q, k, v))
    c_kpm = None if kpm is None else to_core(kpm)
    c_am = None if am is None else to_core(am)
    c_out, c_w = cm(cq, ck, cv, key_padding_mask=c_kpm, attn_mask=c_am, **opts)
    close(c_out, t_out)
    if need_weights:
        assert c_w.shape == t_w.shape
        close(c_w, t_w)
    else:
        assert c_w is None
    w = torch.randn(t_out.shape, dtype=torch.float64)
    t_loss = (t_out * w).sum() + ((t_w**2).sum() if need_weights else 0)
    c_loss = (c_out * to_core(w)).sum() + ((c_w**2).sum() if need_weights else 0)
    t_loss.backward()
    c_loss.backward()
    for c, t in ((cq, q), (ck, k), (cv, v)):
        close(c.grad, t.grad)
    for (name, cp), (_, tp) in zip(cm.named_parameters(), tm.named_parameters(), strict=True):
        assert cp.grad is not None, name
        close(cp.grad, tp.grad)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_with_causal_hint_and_3d_mask(need_weights, batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(12)
    tm = torch.nn.MultiheadAttention(6, 3, batch_first=batch_first).double()
    cm = core.nn.MultiheadAttention(6, 3, batch_first=batch_first).double()
    copy_weights(tm, cm)
    shape = (2, 5, 6) if batch_first else (5, 2, 6)  # 2 sequences of 5
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    cx = to_core(x, True)
    t_out, _ = tm(x, x, x, attn_mask=causal, is_causal=True, need_weights=need_weights)
    c_out, _ = cm(cx, cx, cx, attn_mask=to_core(causal), is_causal=True, need_weights=need_weights)
    close(c_out, t_out)
    (t_out**2).sum().backward()
    (c_out**2).sum().backward()
    close(cx.grad, x.grad)
    # a per-(batch, head) 3-D float mask
    mask3 = torch.randn(2 * 3, 5, 5, dtype=torch.float64)  # (N * heads, L, S)
    t_out, t_w = tm(x, x, x, attn_mask=mask3, need_weights=need_weights, average_attn_weights=False)
    c_out, c_w = cm(
        cx, cx, cx, attn_mask=to_core(mask3), need_weights=need_weights, average_attn_weights=False
    )
    close(c_out, t_out)
    if need_weights:
        close(c_w, t_w)


def test_mha_unbatched_input_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(13)
    tm = torch.nn.MultiheadAttention(4, 2, kdim=3, vdim=3).double()
    cm = core.nn.MultiheadAttention(4, 2, kdim=3, vdim=3).double()
    copy_weights(tm, cm)
    q = torch.randn(5, 4, dtype=torch.float64)
    kv = torch.randn(6, 3, dtype=torch.float64)
    kpm = torch.tensor([False, False, True, False, False, True])
    t_out, t_w = tm(q, kv, kv, key_padding_mask=kpm)
    c_out, c_w = cm(to_core(q), to_core(kv), to_core(kv), key_padding_mask=to_core(kpm))
    assert c_out.shape == (5, 4) and c_w.shape == (5, 6)
    close(c_out, t_out)
    close(c_w, t_w)


def test_mha_fully_padded_sequence_nan_with_weights_zero_without_like_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(14)
    tm = torch.nn.MultiheadAttention(4, 2).double()
    cm = core.nn.MultiheadAttention(4, 2).double()
    copy_weights(tm, cm)
    x = torch.randn(3, 2, 4, dtype=torch.float64)
    kpm = torch.tensor([[False, False, False], [True, True, True]])
    cx = to_core(x)
    for need in (True, False):
        t_out, _ = tm(x, x, x, key_padding_mask=kpm, need_weights=need)
        c_out, _ = cm(cx, cx, cx, key_padding_mask=to_core(kpm), need_weights=need)
        assert np.isnan(c_out.detach().numpy()[:, 1]).all() == need
        close(c_out, t_out)


def test_mha_repr_keys_and_init():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"kdim": 3, "vdim": 2, "bias": False}, {"add_bias_kv": True}):
        tm = torch.nn.MultiheadAttention(8, 2, **kwargs)
        cm = core.nn.MultiheadAttention(8, 2, **kwargs)
        assert repr(cm) == repr(tm)
        assert list(cm.state_dict()) == list(tm.state_dict())
    cm = core.nn.MultiheadAttention(8, 2)
    assert isinstance(cm.out_proj, core.nn.Linear)
    assert np.all(cm.in_proj_bias.detach().numpy() == 0)
    assert np.all(cm.out_proj.bias.detach().numpy() == 0)
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ of (3E, E)
    w = cm.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() > bound / 3
    assert cm.q_proj_weight is None and cm.bias_k is None


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        core.nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        core.nn.MultiheadAttention(0, 1)
    m = core.nn.MultiheadAttention(4, 2)
    x = core.randn(3, 2, 4)
    with pytest.raises(
        RuntimeError, match=r"The shape of the 2D attn_mask is \(3, 4\), but should be \(3, 3\)"
    ):
        m(x, x, x, attn_mask=core.zeros(3, 4))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="key shape .* does not match value shape"):
        m(x, x, core.randn(4, 2, 4))
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D"):
        m(core.randn(4), core.randn(4), core.randn(4))
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4, but got 5"):
        m(core.randn(3, 2, 5), x, x)


# -- TransformerEncoderLayer / TransformerEncoder --------------------------------------------
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", [False, True])
def test_encoder_layer_matches_torch_in_eval(norm_first, activation, batch_first, masks):
    torch = pytest.importorskip("torch")
    torch.manual_seed(20)
    opts = dict(
        dim_feedforward=16, activation=activation, norm_first=norm_first, batch_first=batch_first
    )
    tl = torch.nn.TransformerEncoderLayer(8, 2, **opts).double().eval()
    cl = core.nn.TransformerEncoderLayer(8, 2, **opts).double().eval()
    assert repr(cl) == repr(tl)
    copy_weights(tl, cl)
    n, s = 3, 5
    x = torch.randn(
        *((n, s, 8) if batch_first else (s, n, 8)), dtype=torch.float64, requires_grad=True
    )
    kw = {}
    if masks:
        kpm = torch.zeros(n, s, dtype=torch.bool)
        kpm[1, -2:] = True
        kw = dict(
            src_mask=torch.nn.Transformer.generate_square_subsequent_mask(s, dtype=torch.float64),
            src_key_padding_mask=torch.zeros(n, s, dtype=torch.float64).masked_fill(kpm, -math.inf),
        )
    cx = to_core(x, True)
    t_out = tl(x, **kw)
    c_out = cl(cx, **{key: to_core(val) for key, val in kw.items()})
    close(c_out, t_out)
    w = torch.randn(t_out.shape, dtype=torch.float64)
    (t_out * w).sum().backward()
    (c_out * to_core(w)).sum().backward()
    close(cx.grad, x.grad)
    for cp, tp in zip(cl.parameters(), tl.parameters(), strict=True):
        close(cp.grad, tp.grad)


def test_encoder_layer_with_callable_activation_bias_false_and_unbatched_input():
    torch = pytest.importorskip("torch")
    torch.manual_seed(21)
    tl = torch.nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, activation=torch.nn.functional.silu, bias=False
    ).double()
    cl = core.nn.TransformerEncoderLayer(
        4, 2, 8, dropout=0.0, activation=F.silu, bias=False
    ).double()
    copy_weights(tl, cl)
    x = torch.randn(5, 4, dtype=torch.float64)
    close(cl(to_core(x)), tl(x))  # training mode: dropout 0 keeps it deterministic
    assert cl.activation_relu_or_gelu == 0


def test_encoder_layer_module_activation_registers_as_a_submodule_like_torch():
    torch = pytest.importorskip("torch")
    tl = torch.nn.TransformerEncoderLayer(4, 2, 8, activation=torch.nn.GELU())
    cl = core.nn.TransformerEncoderLayer(4, 2, 8, activation=core.nn.GELU())
    assert repr(cl) == repr(tl)
    assert [n for n, _ in cl.named_children()] == [n for n, _ in tl.named_children()]
    assert cl.activation_relu_or_gelu == 2


@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_deep_copies_layers_and_matches_torch(batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(22)
    tl = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first).double()
    cl = core.nn.TransformerEncoderLayer(8, 2, 16, batch_first=batch_first).double()
    te = torch.nn.TransformerEncoder(
        tl, 3, norm=torch.nn.LayerNorm(8).double(), enable_nested_tensor=False
    ).eval()
    ce = core.nn.TransformerEncoder(cl, 3, norm=core.nn.LayerNorm(8).double()).eval()
    assert list(ce.state_dict()) == list(te.state_dict())
    assert list(ce.state_dict())[0] == "layers.0.self_attn.in_proj_weight"
    # copies: equal values, separate parameters
    a, b = ce.layers[0].linear1.weight, ce.layers[1].linear1.weight
    assert a is not b and np.array_equal(a.detach().numpy(), b.detach().numpy())
    assert a is not cl.linear1.weight
    copy_weights(te, ce)
    s, n = 5, 2
    x = torch.randn(
        *((n, s, 8) if batch_first else (s, n, 8)), dtype=torch.float64, requires_grad=True
    )
    causal_bool = torch.triu(torch.ones(s, s, dtype=torch.bool), diagonal=1)
    kpm = torch.tensor([[False] * 5, [False, False, False, True, True]])  # bool like the mask
    cx = to_core(x, True)
    for kw in (
        {},
        {"mask": causal_bool},
        {"src_key_padding_mask": kpm},
        {"mask": causal_bool, "src_key_padding_mask": kpm},
    ):
        x.grad = None
        cx.grad = None
        t_out = te(x, **kw)
        c_out = ce(cx, **{key: to_core(val) for key, val in kw.items()})
        close(c_out, t_out)
        (t_out**2).sum().backward()
        (c_out**2).sum().backward()
        close(cx.grad, x.grad)


def test_encoder_detects_the_causal_mask():
    from core.nn.modules.transformer import _detect_is_causal_mask, _generate_square_subsequent_mask

    causal = _generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(causal, None, 4)
    assert not _detect_is_causal_mask(causal, False, 4)
    assert not _detect_is_causal_mask(core.zeros(4, 4), None, 4)
    assert not _detect_is_causal_mask(causal, None, 5)
    assert _detect_is_causal_mask(None, True, 4)


def test_mismatched_mask_types_warn_like_torch():
    m = core.nn.MultiheadAttention(4, 2)
    x = core.randn(3, 2, 4)
    kpm = core.zeros(2, 3, dtype=core.bool)
    with pytest.warns(UserWarning, match="mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=kpm, attn_mask=core.zeros(3, 3))
    layer = core.nn.TransformerEncoderLayer(4, 2, 8)
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask"):
        layer(x, src_mask=core.zeros(3, 3), src_key_padding_mask=kpm)


# -- a GPU -------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("need_weights", [True, False])
def test_cuda_encoder_layer_and_attention_weights_match_cpu(need_weights):
    core.manual_seed(40)
    layer = core.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, norm_first=True).double()
    x = core.randn(5, 3, 8, dtype=core.float64, requires_grad=True)
    kpm = core.tensor([[False] * 5, [False, False, False, True, True], [True] + [False] * 4])
    causal = core.triu(core.full((5, 5), float("-inf"), dtype=core.float64), diagonal=1)
    out = layer(x, src_mask=causal, src_key_padding_mask=kpm)
    _, w = layer.self_attn(x, x, x, key_padding_mask=kpm, need_weights=need_weights)
    (out**2).sum().backward()
    grads = [p.grad.numpy() for p in layer.parameters()]
    layer.to("cuda")
    for p in layer.parameters():
        p.grad = None
    xg = x.detach().to("cuda").requires_grad_(True)
    out_g = layer(xg, src_mask=causal.to("cuda"), src_key_padding_mask=kpm.to("cuda"))
    kpm_g = kpm.to("cuda")
    _, w_g = layer.self_attn(xg, xg, xg, key_padding_mask=kpm_g, need_weights=need_weights)
    (out_g**2).sum().backward()
    np.testing.assert_allclose(out_g.detach().cpu().numpy(), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xg.grad.cpu().numpy(), x.grad.numpy(), atol=1e-10)
    if need_weights:
        np.testing.assert_allclose(w_g.detach().cpu().numpy(), w.detach().numpy(), atol=1e-12)
    for p, g in zip(layer.parameters(), grads, strict=True):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g, atol=1e-10)


def test_encoder_repr_folds_its_identical_layers_like_torch():
    torch = pytest.importorskip("torch")
    tl = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(8, 2, 16), 3, enable_nested_tensor=False
    )
    cl = core.nn.TransformerEncoder(
        core.nn.TransformerEncoderLayer(8, 2, 16), 3, enable_nested_tensor=False
    )
    assert "(0-2): 3 x TransformerEncoderLayer(" in repr(cl)
    assert repr(cl) == repr(tl)
