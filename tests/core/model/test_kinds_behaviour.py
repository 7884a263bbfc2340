"""What particular kinds do beyond shapes: causal attention, the recurrent `returns` choice,
per-sample axes, Dropout in training, and constructor arguments kept to the non-defaults."""

import numpy as np
import pytest

import core
from core.model import catalog
from core.model.build import module_for


def node(kind: str, in_shapes, **params):
    """(entry, checked params, built module or None) for a node on these input shapes."""
    entry = catalog.get(kind)
    checked = entry.params.check(params)
    entry.infer(checked, in_shapes)
    spec = entry.module(checked, in_shapes) if entry.module is not None else None
    module = module_for(entry, checked, in_shapes) if spec is not None else None
    return entry, checked, module


def run(entry, params, module, *xs):
    with core.no_grad():
        return entry.apply(module, [core.tensor(x) for x in xs], params).numpy()


@pytest.mark.parametrize(
    ("kind", "heads"), [("MultiheadAttention", "num_heads"), ("TransformerEncoderLayer", "nhead")]
)
def test_causal_attention_does_not_look_ahead(kind, heads):
    core.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 6, 8)).astype(np.float32)
    later = x.copy()
    later[:, 4:] += 1.0  # change only positions 4 and 5
    for causal in (True, False):
        entry, params, module = node(kind, [(6, 8)], **{heads: 2, "causal": causal})
        module.eval()
        a, b = run(entry, params, module, x), run(entry, params, module, later)
        early_same = np.allclose(a[:, :4], b[:, :4], atol=1e-6)
        assert early_same == causal
        assert not np.allclose(a[:, 4:], b[:, 4:])


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_last_is_the_last_step_of_the_sequence(kind):
    core.manual_seed(1)
    entry, seq_params, module = node(kind, [(5, 3)], hidden_size=4, bidirectional=True)
    last_params = {**seq_params, "returns": "last"}
    assert entry.infer(last_params, [(5, 3)]) == (8,)
    x = np.random.default_rng(1).standard_normal((2, 5, 3)).astype(np.float32)
    sequence = run(entry, seq_params, module, x)
    assert sequence.shape == (2, 5, 8)
    np.testing.assert_array_equal(run(entry, last_params, module, x), sequence[:, -1])


def test_recurrent_layers_run_batch_first_and_drop_dropout_for_one_layer():
    entry, params, _ = node("LSTM", [(7, 3)], hidden_size=4, dropout=0.5)
    spec = entry.module(params, [(7, 3)])
    assert spec.args == (3, 4) and spec.kwargs == {"batch_first": True}
    stacked = entry.params.check({"hidden_size": 4, "dropout": 0.5, "num_layers": 2})
    assert entry.module(stacked, [(7, 3)]).kwargs["dropout"] == 0.5


def test_softmax_dim_is_a_per_sample_axis():
    x = np.random.default_rng(2).standard_normal((3, 4, 5)).astype(np.float32)
    for dim, axis in ((0, 1), (1, 2), (-1, 2), (-2, 1)):
        entry, params, module = node("Softmax", [(4, 5)], dim=dim)
        np.testing.assert_allclose(run(entry, params, module, x).sum(axis=axis), 1.0, rtol=1e-5)


def test_concat_joins_in_port_order_along_a_per_sample_axis():
    a = np.zeros((2, 3, 2), np.float32)
    b = np.ones((2, 3, 1), np.float32)
    entry, params, _ = node("Concat", [(3, 2), (3, 1)], axis=-1)
    out = run(entry, params, None, a, b)
    assert out.shape == (2, 3, 3)
    assert (out[..., :2] == 0).all() and (out[..., 2] == 1).all()


def test_reshape_and_permute_keep_the_batch_axis_first():
    x = np.arange(2 * 12, dtype=np.float32).reshape(2, 12)
    entry, params, _ = node("Reshape", [(12,)], shape=(3, -1))
    np.testing.assert_array_equal(run(entry, params, None, x), x.reshape(2, 3, 4))
    y = x.reshape(2, 3, 4)
    entry, params, _ = node("Permute", [(3, 4)], dims=(1, 0))
    np.testing.assert_array_equal(run(entry, params, None, y), y.transpose(0, 2, 1))


def test_dropout_zeroes_in_training_and_passes_through_in_eval():
    core.manual_seed(3)
    entry, params, module = node("Dropout", [(1000,)], p=0.5)
    x = np.ones((2, 1000), np.float32)
    trained = run(entry, params, module.train(), x)
    assert 0.3 < (trained == 0).mean() < 0.7
    assert set(np.unique(trained)) == {0.0, 2.0}
    np.testing.assert_array_equal(run(entry, params, module.eval(), x), x)


@pytest.mark.parametrize(
    ("kind", "params", "in_shapes", "args", "kwargs"),
    [
        ("Linear", {}, [(5,)], (5, 32), {}),
        ("Bilinear", {"bias": False}, [(5,), (2,)], (5, 2, 32), {"bias": False}),
        ("Conv2d", {}, [(3, 8, 8)], (3, 16, 3), {}),
        ("Conv2d", {"padding_preset": "same"}, [(3, 8, 8)], (3, 16, 3), {"padding": "same"}),
        (
            "Conv1d",
            {"padding_preset": "valid", "padding": 2},
            [(2, 8)],
            (2, 16, 3),
            {"padding": "valid"},
        ),
        (
            "Conv2d",
            {"padding": (1, 1), "stride": (1, 1)},
            [(3, 8, 8)],
            (3, 16, 3),
            {"padding": (1, 1)},
        ),
        (
            "ConvTranspose2d",
            {"stride": 2, "bias": False},
            [(4, 5, 5)],
            (4, 16, 3),
            {"stride": 2, "bias": False},
        ),
        ("MaxPool2d", {}, [(3, 8, 8)], (2,), {}),
        (
            "AvgPool1d",
            {"stride": 1, "count_include_pad": False},
            [(3, 8)],
            (2,),
            {"stride": 1, "count_include_pad": False},
        ),
        ("BatchNorm1d", {"momentum": 0.01}, [(6,)], (6,), {"momentum": 0.01}),
        ("LayerNorm", {}, [(5, 6)], (6,), {}),
        ("LayerNorm", {"normalized_dims": 2}, [(5, 6)], ((5, 6),), {}),
        ("GroupNorm", {}, [(4, 3)], (2, 4), {}),
        ("Softmax", {}, [(5,)], (), {"dim": -1}),
        ("Softmax", {"dim": 0}, [(5,)], (), {"dim": 1}),
        ("LeakyReLU", {}, [(5,)], (), {}),
        ("LeakyReLU", {"negative_slope": 0.2}, [(5,)], (), {"negative_slope": 0.2}),
        ("Flatten", {}, [(2, 3)], (), {}),
        ("Flatten", {"start_dim": -1}, [(2, 3)], (), {"start_dim": 2}),
        ("MultiheadAttention", {}, [(5, 8)], (8, 4), {"batch_first": True}),
        (
            "TransformerEncoderLayer",
            {},
            [(5, 8)],
            (8, 4),
            {"dim_feedforward": 256, "batch_first": True},
        ),
        ("Embedding", {"padding_idx": 0}, [(5,)], (128, 32), {"padding_idx": 0}),
    ],
)
def test_module_specs_pass_only_what_differs_from_the_defaults(
    kind, params, in_shapes, args, kwargs
):
    entry = catalog.get(kind)
    spec = entry.module(entry.params.check(params), in_shapes)
    assert (spec.cls, spec.args, spec.kwargs) == (kind, args, kwargs)


def test_same_padding_keeps_the_size_for_even_kernels_too():
    entry = catalog.get("Conv2d")
    params = entry.params.check({"kernel_size": (2, 4), "padding_preset": "same"})
    assert entry.infer(params, [(1, 5, 7)]) == (16, 5, 7)
    module = module_for(entry, params, [(1, 5, 7)])
    out = run(entry, params, module, np.zeros((2, 1, 5, 7), np.float32))
    assert out.shape == (2, 16, 5, 7)
