"""The standard layers of core.nn against PyTorch: forward values and gradients with
copied weights, repr text, state_dict keys, train/eval behaviour, default initialisation
and constructor errors. (Module mechanics are covered in test_module.py.)"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

import core
import core.nn as nn
import core.nn.functional as F
from core.autograd import gradcheck


@dataclass
class LayerCase:
    """make(lib.nn) builds the same layer in core and torch; inputs are shapes of float
    inputs, or ("int", shape, high) for index tensors."""

    id: str
    make: object
    inputs: list
    train: bool = True  # False: compare in eval mode (random running stats)
    kwargs: dict = field(default_factory=dict)


CASES = [
    LayerCase("identity", lambda nn: nn.Identity(3, unused=True), [(2, 3)]),
    LayerCase("linear", lambda nn: nn.Linear(3, 4), [(5, 3)]),
    LayerCase("linear-nobias-3d", lambda nn: nn.Linear(3, 2, bias=False), [(2, 4, 3)]),
    LayerCase("bilinear", lambda nn: nn.Bilinear(3, 4, 2), [(5, 3), (5, 4)]),
    LayerCase("bilinear-nobias-3d", lambda nn: nn.Bilinear(2, 3, 4, False), [(2, 3, 2), (2, 3, 3)]),
    LayerCase("conv1d", lambda nn: nn.Conv1d(3, 4, 3), [(2, 3, 7)]),
    LayerCase(
        "conv1d-strided-grouped",
        lambda nn: nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2),
        [(2, 2, 9)],
    ),
    LayerCase("conv1d-same", lambda nn: nn.Conv1d(2, 3, 4, padding="same"), [(2, 2, 6)]),
    LayerCase(
        "conv1d-circular",
        lambda nn: nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular"),
        [(2, 2, 5)],
    ),
    LayerCase("conv1d-unbatched", lambda nn: nn.Conv1d(2, 3, 2, bias=False), [(2, 5)]),
    LayerCase("conv2d", lambda nn: nn.Conv2d(3, 4, 3, padding=1), [(2, 3, 5, 5)]),
    LayerCase(
        "conv2d-full",
        lambda nn: nn.Conv2d(
            4, 6, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2, bias=False
        ),
        [(2, 4, 6, 5)],
    ),
    LayerCase(
        "conv2d-same", lambda nn: nn.Conv2d(2, 3, 4, padding="same", dilation=2), [(1, 2, 7, 7)]
    ),
    LayerCase("conv2d-valid", lambda nn: nn.Conv2d(2, 3, 3, padding="valid"), [(2, 2, 4, 5)]),
    LayerCase(
        "conv2d-reflect",
        lambda nn: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"),
        [(2, 2, 5, 6)],
    ),
    LayerCase(
        "conv2d-replicate",
        lambda nn: nn.Conv2d(2, 2, 3, stride=2, padding=1, padding_mode="replicate"),
        [(1, 2, 5, 5)],
    ),
    LayerCase("conv2d-unbatched", lambda nn: nn.Conv2d(2, 3, 2), [(2, 4, 4)]),
    LayerCase(
        "convt1d",
        lambda nn: nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1),
        [(2, 3, 5)],
    ),
    LayerCase("convt2d", lambda nn: nn.ConvTranspose2d(3, 4, 3), [(2, 3, 4, 4)]),
    LayerCase(
        "convt2d-full",
        lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
        [(2, 4, 3, 3)],
    ),
    LayerCase(
        "convt2d-dilated",
        lambda nn: nn.ConvTranspose2d(2, 3, (2, 3), stride=(2, 1), dilation=(1, 2), bias=False),
        [(1, 2, 3, 4)],
    ),
    LayerCase("maxpool1d", lambda nn: nn.MaxPool1d(3, stride=2, padding=1), [(2, 3, 7)]),
    LayerCase(
        "maxpool1d-dilated-ceil", lambda nn: nn.MaxPool1d(2, 2, 0, 2, ceil_mode=True), [(3, 8)]
    ),
    LayerCase("maxpool2d", lambda nn: nn.MaxPool2d(2), [(2, 3, 4, 6)]),
    LayerCase(
        "maxpool2d-full",
        lambda nn: nn.MaxPool2d((3, 2), stride=(2, 1), padding=1, dilation=(1, 2), ceil_mode=True),
        [(2, 2, 7, 6)],
    ),
    LayerCase("avgpool1d", lambda nn: nn.AvgPool1d(3, 2, 1, count_include_pad=False), [(2, 3, 7)]),
    LayerCase("avgpool1d-ceil", lambda nn: nn.AvgPool1d(2, ceil_mode=True), [(3, 7)]),
    LayerCase("avgpool2d", lambda nn: nn.AvgPool2d(2), [(2, 3, 4, 4)]),
    LayerCase(
        "avgpool2d-full",
        lambda nn: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [(2, 2, 6, 7)],
    ),
    LayerCase("avgpool2d-divisor", lambda nn: nn.AvgPool2d(2, divisor_override=3), [(1, 2, 4, 4)]),
    LayerCase("adaptiveavgpool1d", lambda nn: nn.AdaptiveAvgPool1d(3), [(2, 3, 7)]),
    LayerCase("adaptiveavgpool2d", lambda nn: nn.AdaptiveAvgPool2d((3, 2)), [(2, 3, 7, 5)]),
    LayerCase("adaptiveavgpool2d-none", lambda nn: nn.AdaptiveAvgPool2d((None, 3)), [(3, 4, 7)]),
    LayerCase("adaptiveavgpool2d-1", lambda nn: nn.AdaptiveAvgPool2d(1), [(2, 3, 4, 5)]),
    LayerCase("batchnorm1d-2d", lambda nn: nn.BatchNorm1d(3), [(6, 3)]),
    LayerCase(
        "batchnorm1d-3d", lambda nn: nn.BatchNorm1d(3, momentum=0.3, bias=False), [(4, 3, 5)]
    ),
    LayerCase("batchnorm1d-eval", lambda nn: nn.BatchNorm1d(3, eps=1e-3), [(4, 3, 5)], train=False),
    LayerCase("batchnorm2d", lambda nn: nn.BatchNorm2d(3), [(4, 3, 2, 3)]),
    LayerCase("batchnorm2d-noaffine", lambda nn: nn.BatchNorm2d(3, affine=False), [(4, 3, 2, 2)]),
    LayerCase(
        "batchnorm2d-cumulative", lambda nn: nn.BatchNorm2d(2, momentum=None), [(3, 2, 2, 2)]
    ),
    LayerCase(
        "batchnorm2d-untracked",
        lambda nn: nn.BatchNorm2d(2, track_running_stats=False),
        [(3, 2, 2, 2)],
    ),
    LayerCase(
        "batchnorm2d-untracked-eval",
        lambda nn: nn.BatchNorm2d(2, track_running_stats=False),
        [(3, 2, 2, 2)],
        train=False,
    ),
    LayerCase("batchnorm2d-eval", lambda nn: nn.BatchNorm2d(3), [(2, 3, 3, 2)], train=False),
    LayerCase("batchnorm3d", lambda nn: nn.BatchNorm3d(2), [(2, 2, 2, 2, 3)]),
    LayerCase("layernorm", lambda nn: nn.LayerNorm(4), [(3, 4)]),
    LayerCase("layernorm-2d", lambda nn: nn.LayerNorm((3, 4), eps=1e-3), [(2, 3, 4)]),
    LayerCase("layernorm-list-nobias", lambda nn: nn.LayerNorm([4], bias=False), [(2, 3, 4)]),
    LayerCase("layernorm-noaffine", lambda nn: nn.LayerNorm(4, elementwise_affine=False), [(2, 4)]),
    LayerCase("groupnorm", lambda nn: nn.GroupNorm(2, 4), [(2, 4, 3)]),
    LayerCase("groupnorm-noaffine", lambda nn: nn.GroupNorm(1, 4, affine=False), [(2, 4, 2, 2)]),
    LayerCase("groupnorm-nobias", lambda nn: nn.GroupNorm(4, 4, eps=1e-3, bias=False), [(3, 4, 5)]),
    LayerCase("embedding", lambda nn: nn.Embedding(10, 3), [("int", (4, 5), 10)]),
    LayerCase(
        "embedding-padding", lambda nn: nn.Embedding(6, 3, padding_idx=2), [("int", (12,), 6)]
    ),
    LayerCase(
        "embedding-padding-neg", lambda nn: nn.Embedding(6, 3, padding_idx=-1), [("int", (12,), 6)]
    ),
    LayerCase(
        "embedding-freq",
        lambda nn: nn.Embedding(5, 2, scale_grad_by_freq=True, norm_type=1.0),
        [("int", (3, 6), 5)],
    ),
    LayerCase(
        "embedding-maxnorm", lambda nn: nn.Embedding(5, 3, max_norm=1.0), [("int", (2, 4), 5)]
    ),
    LayerCase("flatten", lambda nn: nn.Flatten(), [(2, 3, 2, 2)]),
    LayerCase("flatten-range", lambda nn: nn.Flatten(0, 1), [(2, 4, 3)]),
    LayerCase("unflatten", lambda nn: nn.Unflatten(1, (2, 3)), [(4, 6)]),
    LayerCase("unflatten-infer", lambda nn: nn.Unflatten(-1, (2, -1)), [(2, 4, 6)]),
    LayerCase("dropout-eval", lambda nn: nn.Dropout(0.3), [(4, 5)], train=False),
]

REPR_ONLY = [
    lambda nn: nn.Dropout(),
    lambda nn: nn.Dropout(0.2, inplace=True),
    lambda nn: nn.MaxPool2d(3, 2, return_indices=True),
    lambda nn: nn.Conv2d(3, 8, 3, padding_mode="circular", padding=1, groups=1),
    lambda nn: nn.Conv1d(3, 6, 5, padding="valid", groups=3),
    lambda nn: nn.BatchNorm1d(7, affine=False, track_running_stats=False),
    lambda nn: nn.Embedding(
        7, 2, padding_idx=0, max_norm=2.0, norm_type=1.5, scale_grad_by_freq=True
    ),
    lambda nn: nn.Embedding(7, 2, sparse=True),
    lambda nn: nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4, 2)),
]

CASE_IDS = [c.id for c in CASES]


def torch_or_skip():
    return pytest.importorskip("torch")


def build(case: LayerCase, dtype: str):
    """The torch layer (parameters and float buffers randomised) and the core layer with
    its state loaded from torch's, both in dtype, both in the case's mode."""
    torch = torch_or_skip()
    torch.manual_seed(0)
    t_layer = case.make(torch.nn).to(getattr(torch, dtype))
    c_layer = case.make(nn).to(getattr(core, dtype))
    with torch.no_grad():
        for p in t_layer.parameters():
            p.copy_(torch.randn_like(p))
        for name, b in t_layer.named_buffers():
            if b.is_floating_point():
                b.copy_(torch.rand_like(b) + 0.5 if "var" in name else torch.randn_like(b))
    state = {k: core.tensor(v.detach().numpy()) for k, v in t_layer.state_dict().items()}
    c_layer.load_state_dict(state)
    t_layer.train(case.train)
    c_layer.train(case.train)
    return t_layer, c_layer


def make_inputs(case: LayerCase, dtype: str, seed: int = 1):
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    t_in, c_in = [], []
    for spec in case.inputs:
        if spec[0] == "int":
            a = rng.integers(0, spec[2], size=spec[1])
            t_in.append(torch.tensor(a))
            c_in.append(core.tensor(a))
        else:
            a = rng.standard_normal(spec).astype(dtype)
            t_in.append(torch.tensor(a, requires_grad=True))
            c_in.append(core.tensor(a, requires_grad=True))
    return t_in, c_in


def close(actual, expected, dtype: str, what: str) -> None:
    tol = 1e-10 if dtype == "float64" else 2e-5
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(expected, dtype=np.float64),
        rtol=tol,
        atol=tol,
        err_msg=what,
    )


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_forward_and_gradients_match_torch(case, dtype):
    torch = torch_or_skip()
    t_layer, c_layer = build(case, dtype)
    t_in, c_in = make_inputs(case, dtype)
    t_out, c_out = t_layer(*t_in), c_layer(*c_in)
    assert tuple(c_out.shape) == tuple(t_out.shape)
    assert c_out.dtype == getattr(core, dtype)
    close(c_out.detach().numpy(), t_out.detach().numpy(), dtype, "forward")

    upstream = np.random.default_rng(2).standard_normal(tuple(t_out.shape)).astype(dtype)
    if t_out.requires_grad:
        (t_out * torch.tensor(upstream)).sum().backward()
        (c_out * core.tensor(upstream)).sum().backward()
    for k, (t, c) in enumerate(zip(t_in, c_in, strict=True)):
        if t.requires_grad and t.grad is not None:
            close(c.grad.numpy(), t.grad.numpy(), dtype, f"grad of input {k}")
    t_params = dict(t_layer.named_parameters())
    c_params = dict(c_layer.named_parameters())
    assert list(c_params) == list(t_params)
    for name, tp in t_params.items():
        cp = c_params[name]
        if tp.grad is None:
            assert cp.grad is None, name
        else:
            close(cp.grad.numpy(), tp.grad.numpy(), dtype, f"grad of {name}")
    # buffers (running statistics, batch count) evolve as torch's
    t_buffers = dict(t_layer.named_buffers())
    for name, cb in c_layer.named_buffers():
        close(cb.numpy(), t_buffers[name].numpy(), dtype, f"buffer {name}")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_state_dict_keys_and_repr_match_torch(case):
    torch = torch_or_skip()
    t_layer, c_layer = case.make(torch.nn), case.make(nn)
    assert list(c_layer.state_dict()) == list(t_layer.state_dict())
    assert [n for n, _ in c_layer.named_parameters()] == [n for n, _ in t_layer.named_parameters()]
    assert repr(c_layer) == repr(t_layer)


@pytest.mark.parametrize("make", REPR_ONLY)
def test_repr_matches_torch_for_more_settings(make):
    torch = torch_or_skip()
    assert repr(make(nn)) == repr(make(torch.nn))


def test_repr_examples():
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"
    assert (
        repr(nn.Conv2d(3, 8, 3, padding=1))
        == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    )
    assert repr(nn.BatchNorm1d(4)) == (
        "BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_state_dict_round_trip_through_torch():
    """A core layer's state loads into torch (same keys, shapes, dtypes) and back."""
    torch = torch_or_skip()
    c_layer = nn.BatchNorm2d(3)
    c_layer(core.randn(4, 3, 2, 2))
    t_layer = torch.nn.BatchNorm2d(3)
    t_layer.load_state_dict({k: torch.tensor(v.numpy()) for k, v in c_layer.state_dict().items()})
    assert int(t_layer.num_batches_tracked) == 1
    np.testing.assert_array_equal(t_layer.running_mean.numpy(), c_layer.running_mean.numpy())
    assert t_layer.num_batches_tracked.dtype == torch.int64


# -- BatchNorm ---------------------------------------------------------------------------


@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batchnorm_running_stats_follow_torch_over_several_steps(momentum):
    torch = torch_or_skip()
    t_layer = torch.nn.BatchNorm2d(3, momentum=momentum).double()
    c_layer = nn.BatchNorm2d(3, momentum=momentum).double()
    rng = np.random.default_rng(0)
    for step in range(5):
        x = rng.standard_normal((4, 3, 2, 3)) * (step + 1) + step
        t_layer(torch.tensor(x))
        c_layer(core.tensor(x))
    assert int(c_layer.num_batches_tracked) == int(t_layer.num_batches_tracked) == 5
    close(c_layer.running_mean.numpy(), t_layer.running_mean.numpy(), "float64", "running_mean")
    close(c_layer.running_var.numpy(), t_layer.running_var.numpy(), "float64", "running_var")
    t_layer.eval()
    c_layer.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    c_out, t_out = c_layer(core.tensor(x)), t_layer(torch.tensor(x))
    close(c_out.detach().numpy(), t_out.detach().numpy(), "float64", "eval")


def test_batchnorm_running_var_uses_unbiased_variance():
    layer = nn.BatchNorm1d(1, momentum=1.0)
    x = np.array([[1.0], [2.0], [4.0]], dtype=np.float32)
    layer(core.tensor(x))
    assert layer.running_mean.item() == pytest.approx(7 / 3)
    assert layer.running_var.item() == pytest.approx(np.var(x, ddof=1), rel=1e-6)


def test_batchnorm_eval_uses_running_stats_and_leaves_them_alone():
    layer = nn.BatchNorm1d(2).eval()
    with core.no_grad():
        layer.running_mean.copy_(core.tensor([1.0, -1.0]))
        layer.running_var.copy_(core.tensor([4.0, 0.25]))
    x = core.tensor([[3.0, 0.0], [1.0, -1.0]])
    out = layer(x)
    expected = (x.numpy() - [1.0, -1.0]) / np.sqrt(np.array([4.0, 0.25]) + 1e-5)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    assert int(layer.num_batches_tracked) == 0
    np.testing.assert_array_equal(layer.running_mean.numpy(), [1.0, -1.0])


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    layer = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert layer.running_mean is None and layer.num_batches_tracked is None
    x = core.tensor([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(layer(x).numpy(), [[-1, -1], [1, 1]], atol=1e-4)


@pytest.mark.parametrize(
    ("cls", "shape", "message"),
    [
        (nn.BatchNorm1d, (2, 3, 4, 5), "expected 2D or 3D input (got 4D input)"),
        (nn.BatchNorm1d, (3,), "expected 2D or 3D input (got 1D input)"),
        (nn.BatchNorm2d, (2, 3, 4), "expected 4D input (got 3D input)"),
        (nn.BatchNorm3d, (2, 3, 4, 4), "expected 5D input (got 4D input)"),
    ],
)
def test_batchnorm_checks_input_rank(cls, shape, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cls(3)(core.zeros(*shape))


def test_batchnorm_needs_more_than_one_value_per_channel_in_training():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(core.zeros(1, 3))


def test_batchnorm_loads_old_state_dict_without_num_batches_tracked():
    layer = nn.BatchNorm2d(2)
    layer(core.randn(3, 2, 2, 2))
    state = {k: v.clone() for k, v in layer.state_dict().items()}
    del state["num_batches_tracked"]
    state["running_mean"] = core.tensor([0.5, -0.5])
    fresh = nn.BatchNorm2d(2)
    result = fresh.load_state_dict(state)  # strict: no "missing key" error
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(fresh.running_mean.numpy(), [0.5, -0.5])
    assert int(fresh.num_batches_tracked) == 0
    assert "num_batches_tracked" not in state  # the caller's dict is left as it was


def test_batchnorm_defaults_and_buffers():
    layer = nn.BatchNorm2d(4, dtype=core.float64)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), np.ones(4))
    np.testing.assert_array_equal(layer.bias.detach().numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_mean.numpy(), np.zeros(4))
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(4))
    assert layer.running_var.dtype == core.float64
    assert layer.num_batches_tracked.dtype == core.int64
    assert layer.num_batches_tracked.shape == ()
    assert [n for n, _ in layer.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert (layer.eps, layer.momentum, layer.affine) == (1e-5, 0.1, True)
    layer(core.randn(2, 4, 2, 2, dtype=core.float64))
    layer.reset_running_stats()
    assert int(layer.num_batches_tracked) == 0
    np.testing.assert_array_equal(layer.running_var.numpy(), np.ones(4))


# -- Dropout ------------------------------------------------------------------------------


def test_dropout_is_identity_in_eval_mode():
    layer = nn.Dropout(0.7).eval()
    x = core.randn(50, 40)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_dropout_in_training_zeroes_about_p_and_scales_the_rest():
    core.manual_seed(0)
    layer = nn.Dropout(0.25)
    x = core.ones(200, 200, requires_grad=True)
    out = layer(x)
    kept = out.detach().numpy() != 0
    assert abs(1 - kept.mean() - 0.25) < 0.01
    np.testing.assert_allclose(out.detach().numpy()[kept], 1 / 0.75, rtol=1e-6)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), kept / 0.75, rtol=1e-6)


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_bad_probability(p):
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout(p)


# -- Embedding ----------------------------------------------------------------------------


def test_embedding_padding_row_is_zero_and_gets_no_gradient():
    layer = nn.Embedding(5, 3, padding_idx=1)
    np.testing.assert_array_equal(layer.weight.detach().numpy()[1], np.zeros(3))
    idx = core.tensor([[1, 2, 1], [0, 1, 4]])
    layer(idx).sum().backward()
    grad = layer.weight.grad.numpy()
    np.testing.assert_array_equal(grad[1], np.zeros(3))
    np.testing.assert_array_equal(grad[[0, 2, 4]], np.ones((3, 3)))
    np.testing.assert_array_equal(grad[3], np.zeros(3))


def test_embedding_negative_padding_idx_is_normalised():
    layer = nn.Embedding(5, 3, padding_idx=-2)
    assert layer.padding_idx == 3
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(5, 3, padding_idx=5)


def test_embedding_from_pretrained_shares_and_freezes():
    weights = core.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    layer = nn.Embedding.from_pretrained(weights)
    assert not layer.weight.requires_grad
    np.testing.assert_allclose(layer(core.tensor([1])).numpy(), [[4.0, 5.1, 6.3]], rtol=1e-6)
    trainable = nn.Embedding.from_pretrained(weights, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    np.testing.assert_allclose(trainable.weight.detach().numpy()[0], [1.0, 2.3, 3.0], rtol=1e-6)
    with pytest.raises(AssertionError, match="2-dimensional"):
        nn.Embedding.from_pretrained(core.zeros(3))


def test_embedding_default_init_is_standard_normal():
    core.manual_seed(0)
    w = nn.Embedding(1000, 100).weight.detach().numpy()
    assert abs(w.mean()) < 0.01
    assert abs(w.std() - 1) < 0.01


# -- default initialisation ----------------------------------------------------------------


def _bound_check(w: np.ndarray, bound: float) -> None:
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.99 * bound  # a large sample reaches close to the bound
    assert abs(w.var() - bound**2 / 3) < 0.05 * bound**2 / 3


def test_linear_default_init_bounds():
    core.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    _bound_check(layer.weight.detach().numpy(), bound)
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.95 * bound
    assert layer.weight.shape == (300, 400) and layer.weight.dtype == core.float32


def test_conv_default_init_bounds_use_fan_in():
    core.manual_seed(0)
    conv = nn.Conv2d(32, 64, 3, groups=2)
    _bound_check(conv.weight.detach().numpy(), 1 / math.sqrt(16 * 9))
    assert np.abs(conv.bias.detach().numpy()).max() <= 1 / math.sqrt(16 * 9)
    convt = nn.ConvTranspose2d(64, 48, 3, groups=4)  # weight (64, 12, 3, 3): fan_in 12*9
    assert convt.weight.shape == (64, 12, 3, 3)
    _bound_check(convt.weight.detach().numpy(), 1 / math.sqrt(12 * 9))
    conv1 = nn.Conv1d(50, 80, 5)
    _bound_check(conv1.weight.detach().numpy(), 1 / math.sqrt(250))


def test_bilinear_default_init_bound_uses_in1_features():
    core.manual_seed(0)
    layer = nn.Bilinear(25, 40, 100)
    _bound_check(layer.weight.detach().numpy(), 1 / math.sqrt(25))
    assert np.abs(layer.bias.detach().numpy()).max() <= 1 / math.sqrt(25)


def test_norm_layers_start_as_identity_affine():
    for layer in (nn.LayerNorm((2, 3)), nn.GroupNorm(2, 6)):
        np.testing.assert_array_equal(layer.weight.detach().numpy(), 1)
        np.testing.assert_array_equal(layer.bias.detach().numpy(), 0)
    assert nn.LayerNorm(4).normalized_shape == (4,)
    assert nn.LayerNorm([2, 3]).normalized_shape == (2, 3)
    assert nn.LayerNorm(4, elementwise_affine=False).weight is None


def test_init_is_reproducible_from_the_seed():
    core.manual_seed(7)
    a = nn.Linear(5, 4).weight.detach().numpy().copy()
    core.manual_seed(7)
    b = nn.Linear(5, 4).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_constructors_take_device_and_dtype():
    for layer in (
        nn.Linear(3, 4, dtype=core.float64, device="cpu"),
        nn.Bilinear(2, 3, 4, dtype=core.float64),
        nn.Conv2d(2, 3, 3, dtype=core.float64),
        nn.ConvTranspose2d(2, 3, 3, dtype=core.float64),
        nn.BatchNorm1d(3, dtype=core.float64),
        nn.LayerNorm(3, dtype=core.float64),
        nn.GroupNorm(1, 3, dtype=core.float64),
        nn.Embedding(4, 3, dtype=core.float64),
    ):
        for name, p in layer.named_parameters():
            assert p.dtype == core.float64, (type(layer).__name__, name)
            assert p.device == core.device("cpu")
            assert p.requires_grad and p.is_leaf


# -- layer-specific behaviour -------------------------------------------------------------


def test_linear_forward_is_one_fused_op():
    layer = nn.Linear(3, 2)
    x = core.randn(4, 3)
    with core.graph.record() as g:
        layer(x)
    assert [n.op for n in g.ops] == ["Linear"]


def test_bilinear_gradcheck():
    layer = nn.Bilinear(3, 2, 2).double()
    x1 = core.randn(2, 2, 3, dtype=core.float64, requires_grad=True)
    x2 = core.randn(2, 2, 2, dtype=core.float64, requires_grad=True)
    assert gradcheck(
        lambda a, b, w, bias: nn.modules.linear._bilinear(a, b, w, bias),
        (x1, x2, layer.weight, layer.bias),
    )
    assert gradcheck(
        lambda a, b, w: nn.modules.linear._bilinear(a, b, w, None), (x1, x2, layer.weight)
    )


@pytest.mark.parametrize("wanted", ["input1", "input2", "weight", "bias"])
def test_bilinear_gradient_of_one_operand_alone(wanted):
    """Each operand's gradient is right when it is the only one that needs it (the op
    keeps only what that gradient uses)."""
    ops = {
        "input1": core.randn(4, 3, dtype=core.float64),
        "input2": core.randn(4, 2, dtype=core.float64),
        "weight": core.randn(5, 3, 2, dtype=core.float64),
        "bias": core.randn(5, dtype=core.float64),
    }
    target = ops[wanted].requires_grad_()
    order = ["input1", "input2", "weight", "bias"]

    def fn(t):
        args = [t if name == wanted else ops[name] for name in order]
        return nn.modules.linear._bilinear(*args)

    assert gradcheck(fn, (target,))


def test_bilinear_checks_shapes():
    layer = nn.Bilinear(3, 2, 4)
    with pytest.raises(RuntimeError, match="input batch dimensions do not match"):
        layer(core.zeros(5, 3), core.zeros(4, 2))
    with pytest.raises(RuntimeError, match="input2 size does not match"):
        layer(core.zeros(5, 3), core.zeros(5, 3))


def test_bilinear_records_as_bilinear_op():
    layer = nn.Bilinear(3, 2, 4)
    with core.graph.record() as g:
        layer(core.zeros(5, 3), core.zeros(5, 2))
    assert [n.op for n in g.ops] == ["Bilinear"]


def test_conv_transpose_output_size_picks_output_padding():
    torch = torch_or_skip()
    t_layer = torch.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    c_layer = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    c_layer.load_state_dict(
        {k: core.tensor(v.detach().numpy()) for k, v in t_layer.state_dict().items()}
    )
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4)).astype("float32")
    for size in ([8, 8], [1, 3, 7, 8]):
        t_out = t_layer(torch.tensor(x), output_size=size)
        c_out = c_layer(core.tensor(x), output_size=size)
        assert c_out.shape == tuple(t_out.shape)
        close(c_out.detach().numpy(), t_out.detach().numpy(), "float32", "output_size")
    with pytest.raises(ValueError, match="requested an output size of"):
        c_layer(core.tensor(x), output_size=[10, 10])


def test_conv_transpose1d_output_size():
    layer = nn.ConvTranspose1d(2, 3, 3, stride=3)
    assert layer(core.zeros(1, 2, 4), output_size=[12]).shape == (1, 3, 12)
    assert layer(core.zeros(2, 4)).shape == (3, 12)


@pytest.mark.parametrize("return_indices_layer", ["1d", "2d"])
def test_max_pool_return_indices_match_torch(return_indices_layer):
    torch = torch_or_skip()
    if return_indices_layer == "1d":
        make, shape = (lambda nn: nn.MaxPool1d(3, 2, 1, return_indices=True)), (2, 3, 9)
    else:
        make, shape = (lambda nn: nn.MaxPool2d(3, 2, 1, return_indices=True)), (2, 3, 6, 5)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    t_vals, t_idx = make(torch.nn)(torch.tensor(x))
    c_vals, c_idx = make(nn)(core.tensor(x))
    np.testing.assert_array_equal(c_vals.numpy(), t_vals.numpy())
    np.testing.assert_array_equal(c_idx.numpy(), t_idx.numpy())


def test_pool_1d_rejects_wrong_rank():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        nn.MaxPool1d(2)(core.zeros(1, 2, 3, 4))
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        nn.AvgPool1d(2)(core.zeros(4))


def test_pool_attributes_follow_torch():
    assert nn.MaxPool2d(3).stride == 3
    assert nn.AvgPool2d(3, 1).stride == 1
    assert nn.AvgPool1d(3).kernel_size == (3,) and nn.AvgPool1d(3).stride == (3,)


def test_flatten_and_unflatten_are_inverse():
    x = core.randn(2, 3, 4)
    flat = nn.Flatten()(x)
    assert flat.shape == (2, 12)
    back = nn.Unflatten(1, (3, 4))(flat)
    np.testing.assert_array_equal(back.numpy(), x.numpy())


def test_unflatten_errors():
    with pytest.raises(TypeError, match="unflattened_size must be tuple of ints"):
        nn.Unflatten(1, (2, 2.0))
    with pytest.raises(TypeError, match="unflattened_size must be a tuple of ints"):
        nn.Unflatten(1, 4)
    with pytest.raises(RuntimeError, match="don't multiply up to the size of dim 1"):
        nn.Unflatten(1, (2, 4))(core.zeros(2, 6))


def test_layernorm_and_groupnorm_errors():
    with pytest.raises(
        ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"
    ):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        nn.LayerNorm(4)(core.zeros(2, 3))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: nn.Conv2d(3, 4, 3, groups=2),
            ValueError,
            "in_channels must be divisible by groups",
        ),
        (
            lambda: nn.Conv2d(4, 3, 3, groups=2),
            ValueError,
            "out_channels must be divisible by groups",
        ),
        (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be a positive integer"),
        (
            lambda: nn.Conv2d(2, 2, 3, stride=2, padding="same"),
            ValueError,
            "padding='same' is not supported",
        ),
        (lambda: nn.Conv1d(2, 2, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
        (
            lambda: nn.Conv2d(2, 2, 3, padding_mode="mirror"),
            ValueError,
            "padding_mode must be one of",
        ),
        (
            lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
            ValueError,
            'Only "zeros" padding mode',
        ),
        (lambda: nn.Bilinear(0, 2, 3), ValueError, "in1_features must be > 0"),
    ],
)
def test_constructor_errors(make, error, message):
    torch_free_message = message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(error, match=torch_free_message):
        make()


def test_layers_work_inside_a_model_and_train_one_step():
    core.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(16, 3),
    )
    x = core.randn(5, 1, 4, 4)
    loss = F.cross_entropy(model(x), core.tensor([0, 1, 2, 0, 1]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name
    assert int(model[1].num_batches_tracked) == 1
    model.eval()
    out = model(x)
    np.testing.assert_array_equal(out.detach().numpy(), model(x).detach().numpy())


GPU_CASES = [c for c in CASES if not c.id.startswith(("embedding-maxnorm", "dropout"))]


@pytest.mark.gpu
@pytest.mark.parametrize("case", GPU_CASES, ids=[c.id for c in GPU_CASES])
def test_layers_on_cuda_match_cpu(case):
    """The same layer and inputs on "cuda" give the CPU's outputs, gradients and buffers."""
    core.manual_seed(0)
    cpu = case.make(nn).double()
    gpu = case.make(nn).double()
    gpu.load_state_dict(cpu.state_dict())
    gpu.to("cuda")
    cpu.train(case.train)
    gpu.train(case.train)
    rng = np.random.default_rng(1)
    c_in, g_in = [], []
    for spec in case.inputs:
        if spec[0] == "int":
            a = rng.integers(0, spec[2], size=spec[1])
            c_in.append(core.tensor(a))
            g_in.append(core.tensor(a, device="cuda"))
        else:
            a = rng.standard_normal(spec)
            c_in.append(core.tensor(a, requires_grad=True))
            g_in.append(core.tensor(a, device="cuda", requires_grad=True))
    c_out, g_out = cpu(*c_in), gpu(*g_in)
    assert g_out.device == core.device("cuda")
    close(g_out.detach().cpu().numpy(), c_out.detach().numpy(), "float64", "forward")
    if c_out.requires_grad:
        up = rng.standard_normal(tuple(c_out.shape))
        (c_out * core.tensor(up)).sum().backward()
        (g_out * core.tensor(up, device="cuda")).sum().backward()
        for c, g in zip(c_in, g_in, strict=True):
            if c.grad is not None:
                close(g.grad.cpu().numpy(), c.grad.numpy(), "float64", "input grad")
        for (name, cp), (_, gp) in zip(cpu.named_parameters(), gpu.named_parameters(), strict=True):
            close(gp.grad.cpu().numpy(), cp.grad.numpy(), "float64", f"grad of {name}")
    for (name, cb), (_, gb) in zip(cpu.named_buffers(), gpu.named_buffers(), strict=True):
        assert gb.device == core.device("cuda")
        close(gb.cpu().numpy(), cb.numpy(), "float64", f"buffer {name}")


@pytest.mark.gpu
def test_constructors_build_on_cuda():
    for layer in (
        nn.Linear(3, 4, device="cuda"),
        nn.Conv2d(2, 3, 3, device="cuda"),
        nn.BatchNorm2d(3, device="cuda"),
        nn.LayerNorm(3, device="cuda"),
        nn.Embedding(5, 2, padding_idx=0, device="cuda"),
    ):
        for name, t in list(layer.named_parameters()) + list(layer.named_buffers()):
            assert t.device == core.device("cuda"), (type(layer).__name__, name)
