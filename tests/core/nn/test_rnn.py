"""Recurrent layers: RNN (tanh/relu), LSTM, GRU and their cells, against PyTorch and by
numerical gradients of the fused per-layer Functions."""

import itertools
import math

import numpy as np
import pytest

import core
from core.autograd import gradcheck
from core.ops.rnn import GRULayer, LSTMLayer, RNNLayer

KINDS = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]


def make(lib, kind, *args, **kwargs):
    """lib.nn.RNN / LSTM / GRU for a kind name (RNN with its nonlinearity)."""
    if kind.startswith("RNN"):
        return lib.nn.RNN(*args, nonlinearity=kind[4:].lower(), **kwargs)
    return getattr(lib.nn, kind)(*args, **kwargs)


def to_core(t, requires_grad=False):
    return core.tensor(t.detach().numpy(), requires_grad=requires_grad)


def copy_weights(torch_module, core_module):
    """torch's state_dict into the core module; their keys must be the same list."""
    sd = torch_module.state_dict()
    assert list(core_module.state_dict()) == list(sd)
    core_module.load_state_dict({k: core.tensor(v.numpy()) for k, v in sd.items()})


def close(core_t, torch_t, tol=1e-10):
    np.testing.assert_allclose(
        core_t.detach().numpy(), torch_t.detach().numpy(), atol=tol, rtol=tol
    )


# -- against PyTorch -------------------------------------------------------------------
CONFIGS = list(itertools.product(KINDS, [1, 2], [False, True], [False, True], [False, True]))


@pytest.mark.parametrize(("kind", "num_layers", "batch_first", "bidirectional", "give_hx"), CONFIGS)
def test_layer_matches_torch_outputs_states_and_all_gradients(
    kind, num_layers, batch_first, bidirectional, give_hx
):
    torch = pytest.importorskip("torch")
    torch.manual_seed(num_layers * 8 + batch_first * 4 + bidirectional * 2 + give_hx)
    opts = dict(num_layers=num_layers, batch_first=batch_first, bidirectional=bidirectional)
    tm = make(torch, kind, 3, 4, **opts).double()
    cm = make(core, kind, 3, 4, **opts).double()
    copy_weights(tm, cm)
    seq, batch = 5, 2
    x = torch.randn(*((batch, seq, 3) if batch_first else (seq, batch, 3)), dtype=torch.float64)
    x.requires_grad_(True)
    states = []
    if give_hx:
        count = 2 if kind == "LSTM" else 1
        states = [
            torch.randn(
                num_layers * (1 + bidirectional), batch, 4, dtype=torch.float64
            ).requires_grad_()
            for _ in range(count)
        ]
    t_hx = (tuple(states) if kind == "LSTM" else states[0]) if give_hx else None
    c_states = [to_core(s, True) for s in states]
    c_hx = (tuple(c_states) if kind == "LSTM" else c_states[0]) if give_hx else None
    cx = to_core(x, True)

    t_out, t_h = tm(x, t_hx)
    c_out, c_h = cm(cx, c_hx)

    close(c_out, t_out)
    t_finals = t_h if kind == "LSTM" else (t_h,)
    c_finals = c_h if kind == "LSTM" else (c_h,)
    for c, t in zip(c_finals, t_finals, strict=True):
        close(c, t)
    # a loss that weighs every output and final state differently
    w_out = torch.randn(t_out.shape, dtype=torch.float64)
    t_loss = (t_out * w_out).sum() + sum((s**2 * (k + 2)).sum() for k, s in enumerate(t_finals))
    c_loss = (c_out * to_core(w_out)).sum() + sum(
        (s**2 * (k + 2)).sum() for k, s in enumerate(c_finals)
    )
    t_loss.backward()
    c_loss.backward()
    close(cx.grad, x.grad)
    for c, t in zip(c_states, states, strict=True):
        close(c.grad, t.grad)
    for (name, cp), (_, tp) in zip(cm.named_parameters(), tm.named_parameters(), strict=True):
        assert cp.grad is not None, name
        close(cp.grad, tp.grad)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("give_hx", [False, True])
def test_unbatched_2d_input_matches_torch(kind, batch_first, give_hx):
    torch = pytest.importorskip("torch")
    torch.manual_seed(3)
    opts = dict(num_layers=2, bidirectional=True, batch_first=batch_first)
    tm = make(torch, kind, 3, 4, **opts).double()
    cm = make(core, kind, 3, 4, **opts).double()
    copy_weights(tm, cm)
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    states = [torch.randn(4, 4, dtype=torch.float64) for _ in range(2 if kind == "LSTM" else 1)]
    t_hx = (tuple(states) if kind == "LSTM" else states[0]) if give_hx else None
    c_hx = None
    if give_hx:
        c_hx = tuple(map(to_core, states)) if kind == "LSTM" else to_core(states[0])
    cx = to_core(x, True)
    t_out, t_h = tm(x, t_hx)
    c_out, c_h = cm(cx, c_hx)
    assert c_out.shape == (6, 8)
    close(c_out, t_out)
    for c, t in zip(
        c_h if kind == "LSTM" else (c_h,), t_h if kind == "LSTM" else (t_h,), strict=True
    ):
        assert c.shape == (4, 4)
        close(c, t)
    (t_out**2).sum().backward()
    (c_out**2).sum().backward()
    close(cx.grad, x.grad)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_without_bias_matches_torch(kind):
    torch = pytest.importorskip("torch")
    torch.manual_seed(5)
    tm = make(torch, kind, 3, 4, bias=False, num_layers=2).double()
    cm = make(core, kind, 3, 4, bias=False, num_layers=2).double()
    copy_weights(tm, cm)
    assert [n for n, _ in cm.named_parameters()] == [
        "weight_ih_l0",
        "weight_hh_l0",
        "weight_ih_l1",
        "weight_hh_l1",
    ]
    x = torch.randn(4, 3, 3, dtype=torch.float64)
    t_out, _ = tm(x)
    c_out, _ = cm(to_core(x))
    close(c_out, t_out)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_between_layers_drops_everything_at_p_1_like_torch(kind):
    # p=1 zeroes the first layer's output in both libraries: a deterministic check that
    # dropout sits between the layers (not after the last) and only in training
    torch = pytest.importorskip("torch")
    torch.manual_seed(9)
    tm = make(torch, kind, 3, 4, num_layers=2, dropout=1.0).double()
    cm = make(core, kind, 3, 4, num_layers=2, dropout=1.0).double()
    copy_weights(tm, cm)
    x = torch.randn(5, 2, 3, dtype=torch.float64)
    t_train, _ = tm(x)
    c_train, _ = cm(to_core(x))
    close(c_train, t_train)
    tm.eval()
    cm.eval()
    t_eval, _ = tm(x)
    c_eval, _ = cm(to_core(x))
    close(c_eval, t_eval)
    assert not np.allclose(c_eval.detach().numpy(), c_train.detach().numpy())


def test_dropout_between_layers_is_seeded_and_scales_kept_values():
    m = core.nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = core.randn(6, 2, 3)
    core.manual_seed(1)
    a, _ = m(x)
    core.manual_seed(1)
    b, _ = m(x)
    core.manual_seed(2)
    c, _ = m(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert not np.allclose(a.detach().numpy(), c.detach().numpy())


@pytest.mark.parametrize(
    ("cell", "kwargs"),
    [
        ("RNNCell", {}),
        ("RNNCell", {"nonlinearity": "relu"}),
        ("RNNCell", {"bias": False}),
        ("LSTMCell", {}),
        ("LSTMCell", {"bias": False}),
        ("GRUCell", {}),
        ("GRUCell", {"bias": False}),
    ],
)
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("give_hx", [True, False])
def test_cells_match_torch(cell, kwargs, batched, give_hx):
    torch = pytest.importorskip("torch")
    torch.manual_seed(11)
    tm = getattr(torch.nn, cell)(3, 4, **kwargs).double()
    cm = getattr(core.nn, cell)(3, 4, **kwargs).double()
    copy_weights(tm, cm)
    lead = (2,) if batched else ()
    x = torch.randn(*lead, 3, dtype=torch.float64, requires_grad=True)
    states = [
        torch.randn(*lead, 4, dtype=torch.float64, requires_grad=True)
        for _ in range(2 if cell == "LSTMCell" else 1)
    ]
    c_states = [to_core(s, True) for s in states]
    t_hx = (tuple(states) if cell == "LSTMCell" else states[0]) if give_hx else None
    c_hx = (tuple(c_states) if cell == "LSTMCell" else c_states[0]) if give_hx else None
    cx = to_core(x, True)
    t_out = tm(x, t_hx)
    c_out = cm(cx, c_hx)
    t_outs = t_out if cell == "LSTMCell" else (t_out,)
    c_outs = c_out if cell == "LSTMCell" else (c_out,)
    for c, t in zip(c_outs, t_outs, strict=True):
        assert c.shape == t.shape
        close(c, t)
    sum(((o**2) * (k + 1)).sum() for k, o in enumerate(t_outs)).backward()
    sum(((o**2) * (k + 1)).sum() for k, o in enumerate(c_outs)).backward()
    close(cx.grad, x.grad)
    if give_hx:
        for c, t in zip(c_states, states, strict=True):
            close(c.grad, t.grad)
    for cp, tp in zip(cm.parameters(), tm.parameters(), strict=True):
        close(cp.grad, tp.grad)


def test_cell_steps_agree_with_the_whole_sequence_layer():
    core.manual_seed(0)
    layer = core.nn.LSTM(3, 4).double()
    cell = core.nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = core.randn(5, 2, 3, dtype=core.float64)
    out, (h_n, c_n) = layer(x)
    h = c = None
    for t in range(5):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[t].detach().numpy(), atol=1e-14)
    np.testing.assert_allclose(c.detach().numpy(), c_n[0].detach().numpy(), atol=1e-14)


# -- module surface: names, repr, init ---------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "kwargs"),
    [
        ("RNN_TANH", {}),
        ("RNN_RELU", {"num_layers": 2}),
        ("LSTM", {"num_layers": 3, "bias": False, "batch_first": True, "dropout": 0.25}),
        ("GRU", {"bidirectional": True, "num_layers": 2}),
    ],
)
def test_repr_and_state_dict_keys_match_torch(kind, kwargs):
    torch = pytest.importorskip("torch")
    tm = make(torch, kind, 5, 7, **kwargs)
    cm = make(core, kind, 5, 7, **kwargs)
    assert repr(cm) == repr(tm)
    assert list(cm.state_dict()) == list(tm.state_dict())
    for name, p in cm.state_dict().items():
        assert tuple(p.shape) == tuple(tm.state_dict()[name].shape)


@pytest.mark.parametrize("cell", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_repr_and_keys_match_torch(cell):
    torch = pytest.importorskip("torch")
    kwargs = {"nonlinearity": "relu"} if cell == "RNNCell" else {}
    for bias in (True, False):
        tm = getattr(torch.nn, cell)(5, 7, bias=bias, **kwargs)
        cm = getattr(core.nn, cell)(5, 7, bias=bias, **kwargs)
        assert repr(cm) == repr(tm)
        assert list(cm.state_dict()) == list(tm.state_dict())


def test_parameter_names_follow_torch_for_a_deep_bidirectional_lstm():
    m = core.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert [n for n, _ in m.named_parameters()] == [
        f"{w}_l{layer}{suffix}"
        for layer in range(2)
        for suffix in ("", "_reverse")
        for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    assert m.weight_ih_l1.shape == (16, 8)  # layer 1 reads both directions
    assert m.weight_hh_l0_reverse.shape == (16, 4)
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse


def test_default_init_is_uniform_within_one_over_sqrt_hidden_and_seeded():
    core.manual_seed(0)
    a = core.nn.GRU(10, 16, num_layers=2)
    core.manual_seed(0)
    b = core.nn.GRU(10, 16, num_layers=2)
    bound = 1 / math.sqrt(16)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        v = p.detach().numpy()
        assert v.min() >= -bound and v.max() <= bound, name
        assert v.std() > bound / 3, name  # spread over the range, not constant
        np.testing.assert_array_equal(v, q.detach().numpy())


def test_float32_in_float32_out_and_no_graph_under_no_grad():
    m = core.nn.LSTM(3, 4, num_layers=2)
    x = core.randn(5, 2, 3)
    out, (h, c) = m(x)
    assert out.dtype == core.float32 and h.dtype == core.float32 and c.dtype == core.float32
    assert out.requires_grad
    with core.no_grad():
        out, (h, c) = m(x)
    assert not out.requires_grad and not h.requires_grad and out.grad_fn is None


def test_float32_forward_agrees_with_float64():
    core.manual_seed(4)
    m = core.nn.GRU(3, 8, num_layers=2, bidirectional=True)
    x = core.randn(20, 4, 3)
    out32, h32 = m(x)
    m.double()
    out64, h64 = m(x.double())
    np.testing.assert_allclose(out32.detach().numpy(), out64.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(h32.detach().numpy(), h64.detach().numpy(), atol=1e-5)


def test_each_layer_direction_is_one_recorded_op_scoped_to_the_module():
    m = core.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    model = core.nn.ModuleDict({"rnn": m})
    with core.graph.record() as g:
        model["rnn"](core.randn(7, 2, 3))
    ops = [n for n in g.ops if n.op == "LSTMLayer"]
    assert len(ops) == 4  # 2 layers x 2 directions, whatever the sequence length
    assert all(n.scope == "rnn" for n in ops)


# -- errors ------------------------------------------------------------------------------
def test_input_must_be_2d_or_3d():
    with pytest.raises(ValueError, match=r"LSTM: Expected input to be 2D or 3D, got 4D instead"):
        core.nn.LSTM(3, 4)(core.randn(1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"RNN: Expected input to be 2D or 3D, got 1D"):
        core.nn.RNN(3, 4)(core.randn(3))


def test_wrong_feature_size_names_both_sizes():
    with pytest.raises(
        RuntimeError, match=r"input.size\(-1\) must be equal to input_size. Expected 3, got 5"
    ):
        core.nn.GRU(3, 4)(core.randn(2, 2, 5))


def test_dtype_mismatch_says_how_to_convert():
    with pytest.raises(
        ValueError, match=r"RNN input dtype .*float64.* does not match weight dtype .*float32"
    ):
        core.nn.LSTM(3, 4)(core.randn(2, 2, 3, dtype=core.float64))


def test_hidden_state_shape_checks_match_torch_messages():
    m = core.nn.GRU(3, 4, num_layers=2)
    x = core.randn(5, 2, 3)
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(2, 2, 4\), got \[1, 2, 4\]"):
        m(x, core.zeros(1, 2, 4))
    with pytest.raises(
        RuntimeError, match="For batched 3-D input, hx should also be 3-D but got 2-D tensor"
    ):
        m(x, core.zeros(2, 4))
    with pytest.raises(
        RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"
    ):
        m(core.randn(5, 3), core.zeros(2, 1, 4))
    lstm = core.nn.LSTM(3, 4)
    with pytest.raises(
        RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got \[1, 3, 4\]"
    ):
        lstm(x, (core.zeros(1, 2, 4), core.zeros(1, 3, 4)))
    with pytest.raises(RuntimeError, match=r"hx and cx should also be 3-D but got \(3-D, 2-D\)"):
        lstm(x, (core.zeros(1, 2, 4), core.zeros(2, 4)))


def test_constructor_checks():
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        core.nn.LSTM(3, 4, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        core.nn.LSTM(3, 4, dropout=0.2)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        core.nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        core.nn.GRU(3, 4, proj_size=2)
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        core.nn.RNN(3, 0)


def test_cell_input_checks():
    with pytest.raises(ValueError, match="LSTMCell: Expected input to be 1D or 2D, got 3D instead"):
        core.nn.LSTMCell(3, 4)(core.randn(1, 2, 3))
    with pytest.raises(RuntimeError, match="Input batch size 2 doesn't match hidden0 batch size 3"):
        core.nn.GRUCell(3, 4)(core.randn(2, 3), core.zeros(3, 4))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 5 expected 3"):
        core.nn.RNNCell(3, 4)(core.randn(2, 5))
    with pytest.raises(
        RuntimeError, match="hidden1 has inconsistent hidden_size: got 5, expected 4"
    ):
        core.nn.LSTMCell(3, 4)(core.randn(2, 3), (core.zeros(2, 4), core.zeros(2, 5)))
    with pytest.raises(
        RuntimeError, match=r"hidden0 must be 1-D \(hidden_size\) for an? unbatched"
    ):
        core.nn.GRUCell(3, 4)(core.randn(3), core.zeros(2, 4))


# -- numerical gradients of the fused Functions -------------------------------------------
def _f64(*shape):
    return core.randn(*shape, dtype=core.float64, requires_grad=True)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_rnn_layer_gradcheck(reverse, relu, bias):
    core.manual_seed(21)
    x, h0, wi, wh = _f64(3, 2, 3), _f64(2, 2), _f64(2, 3), _f64(2, 2)
    bi, bh = (_f64(2), _f64(2)) if bias else (None, None)
    assert gradcheck(
        lambda x, h0, wi, wh, bi, bh: RNNLayer.apply(x, h0, wi, wh, bi, bh, relu, reverse),
        (x, h0, wi, wh, bi, bh),
    )


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_lstm_layer_gradcheck_including_h0_and_c0(reverse, bias):
    core.manual_seed(22)
    x, h0, c0, wi, wh = _f64(3, 2, 3), _f64(2, 2), _f64(2, 2), _f64(8, 3), _f64(8, 2)
    bi, bh = (_f64(8), _f64(8)) if bias else (None, None)
    assert gradcheck(
        lambda x, h0, c0, wi, wh, bi, bh: LSTMLayer.apply(x, h0, c0, wi, wh, bi, bh, reverse),
        (x, h0, c0, wi, wh, bi, bh),
    )


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_gru_layer_gradcheck_including_h0(reverse, bias):
    core.manual_seed(23)
    x, h0, wi, wh = _f64(3, 2, 3), _f64(2, 2), _f64(6, 3), _f64(6, 2)
    bi, bh = (_f64(6), _f64(6)) if bias else (None, None)
    assert gradcheck(
        lambda x, h0, wi, wh, bi, bh: GRULayer.apply(x, h0, wi, wh, bi, bh, reverse),
        (x, h0, wi, wh, bi, bh),
    )


def test_gradcheck_with_zero_initial_states_and_one_output_used():
    core.manual_seed(24)
    x, wi, wh, bi, bh = _f64(4, 2, 2), _f64(8, 2), _f64(8, 2), _f64(8), _f64(8)
    # only h_n reaches the loss (no gradient for the output sequence) ...
    assert gradcheck(
        lambda x, wi, wh: LSTMLayer.apply(x, None, None, wi, wh, bi, bh, False)[1], (x, wi, wh)
    )
    # ... only c_n, and only the output sequence
    assert gradcheck(
        lambda x, wh: LSTMLayer.apply(x, None, None, wi, wh, None, None, True)[2], (x, wh)
    )
    gi, gh = _f64(6, 2), _f64(6, 2)
    assert gradcheck(
        lambda x, gi, gh: GRULayer.apply(x, None, gi, gh, None, None, False)[0], (x, gi, gh)
    )
    ri, rh = _f64(2, 2), _f64(2, 2)
    assert gradcheck(
        lambda x, ri, rh: RNNLayer.apply(x, None, ri, rh, None, None, False, True)[1], (x, ri, rh)
    )


def test_gradcheck_through_a_bidirectional_two_layer_module_with_hx():
    core.manual_seed(25)
    m = core.nn.LSTM(2, 2, num_layers=2, bidirectional=True, batch_first=True).double()
    x = _f64(2, 3, 2)
    h0, c0 = _f64(4, 2, 2), _f64(4, 2, 2)

    def run(x, h0, c0):
        out, (h, c) = m(x, (h0, c0))
        return out, h, c

    assert gradcheck(run, (x, h0, c0))


# -- a GPU -------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_cuda_matches_cpu(kind):
    core.manual_seed(30)
    m = make(core, kind, 3, 5, num_layers=2, bidirectional=True).double()
    x = core.randn(6, 2, 3, dtype=core.float64, requires_grad=True)
    out, _ = m(x)
    (out**2).sum().backward()
    grads = [p.grad.numpy() for p in m.parameters()]
    m.to("cuda")
    xg = x.detach().to("cuda").requires_grad_(True)
    for p in m.parameters():
        p.grad = None
    out_g, _ = m(xg)
    (out_g**2).sum().backward()
    np.testing.assert_allclose(out_g.detach().cpu().numpy(), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xg.grad.cpu().numpy(), x.grad.numpy(), atol=1e-10)
    for p, g in zip(m.parameters(), grads, strict=True):
        np.testing.assert_allclose(p.grad.cpu().numpy(), g, atol=1e-10)
