"""Parameter and multiply-accumulate counts per sample (the catalog module's convention:
weights x activations for linear/conv/recurrent/attention products, 0 for element-wise
layers), checked by hand and against torch.utils.flop_counter (FLOPs / 2)."""

import pytest

from core.model import catalog
from tests.core.model.test_catalog import BATCH, CASE_IDS, CASES, run_expr, sample_arrays

# kind, params, per-sample input shapes, (parameters, MACs) worked out by hand
HAND = [
    # out (4, 6, 6) = 144 positions x 1 in-channel x 3x3 kernel
    ("Conv2d", {"out_channels": 4, "kernel_size": 3}, [(1, 8, 8)], (4 * 9 + 4, 144 * 9)),
    # groups 2: each output sees 4 / 2 in-channels; out (8, 3, 3)
    (
        "Conv2d",
        {"out_channels": 8, "kernel_size": 3, "groups": 2},
        [(4, 5, 5)],
        (8 * 2 * 9 + 8, 72 * 2 * 9),
    ),
    # each of the 3 x 4 x 4 inputs scatters into 2 out-channels x 2x2 kernel
    (
        "ConvTranspose2d",
        {"out_channels": 2, "kernel_size": 2, "stride": 2},
        [(3, 4, 4)],
        (3 * 2 * 4 + 2, 48 * 2 * 4),
    ),
    ("Linear", {"out_features": 7}, [(5,)], (5 * 7 + 7, 35)),
    ("Linear", {"out_features": 3, "bias": False}, [(4, 6)], (18, 4 * 18)),
    ("Bilinear", {"out_features": 4}, [(3,), (5,)], (3 * 5 * 4 + 4, 60)),
    # LSTM: 4 gates x H x (F + H) per step, two bias vectors
    ("LSTM", {"hidden_size": 5}, [(4, 3)], (4 * 5 * 8 + 2 * 20, 4 * 4 * 5 * 8)),
    # bidirectional GRU: 2 directions x 3 gates x 4 x (2 + 4)
    ("GRU", {"hidden_size": 4, "bidirectional": True}, [(3, 2)], (2 * (72 + 24), 2 * 3 * 72)),
    # 2-layer LSTM: layer 2 reads H = 3 features
    (
        "LSTM",
        {"hidden_size": 3, "num_layers": 2, "bias": False},
        [(5, 2)],
        (12 * 5 + 12 * 6, 5 * (12 * 5 + 12 * 6)),
    ),
    # q, k, v, out projections 4 T E^2 and Q K^T, A V 2 T^2 E (T = 5, E = 8)
    ("MultiheadAttention", {"num_heads": 2}, [(5, 8)], (4 * 64 + 32, 4 * 5 * 64 + 2 * 25 * 8)),
    # + feed-forward 2 T E FF and two LayerNorms
    (
        "TransformerEncoderLayer",
        {"nhead": 2, "dim_feedforward": 16},
        [(5, 8)],
        (288 + 2 * 8 * 16 + 16 + 8 + 2 * 16, 1680 + 2 * 5 * 8 * 16),
    ),
    ("Embedding", {"num_embeddings": 10, "embedding_dim": 4}, [(6,)], (40, 0)),
    ("BatchNorm2d", {}, [(3, 4, 4)], (6, 0)),
    ("LayerNorm", {"normalized_dims": 2}, [(3, 4, 5)], (40, 0)),
    ("GroupNorm", {"num_groups": 2, "affine": False}, [(4, 3, 3)], (0, 0)),
    ("MaxPool2d", {}, [(2, 6, 6)], (0, 0)),
    ("Softmax", {}, [(5,)], (0, 0)),
]


@pytest.mark.parametrize(("kind", "params", "in_shapes", "expected"), HAND)
def test_counts_by_hand(kind, params, in_shapes, expected):
    entry = catalog.get(kind)
    checked = entry.params.check(params)
    out = entry.infer(checked, in_shapes)
    assert entry.count(checked, in_shapes, out) == expected


# torch's counter does not see these ops (fused LSTM, bilinear, scaled-dot-product attention)
NOT_COUNTED_BY_TORCH = {"LSTM", "Bilinear", "MultiheadAttention", "TransformerEncoderLayer"}


@pytest.mark.parametrize(
    ("kind", "i"), [(k, i) for k, i in CASE_IDS if k not in NOT_COUNTED_BY_TORCH]
)
def test_macs_match_torch_flop_counter(kind, i):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    entry = catalog.get(kind)
    params, in_shapes, _ = CASES[kind][i]
    params = entry.params.check(params)
    out = entry.infer(params, in_shapes)
    spec = entry.module(params, in_shapes) if entry.module is not None else None
    module = None if spec is None else getattr(torch.nn, spec.cls)(*spec.args, **spec.kwargs)
    arrays = sample_arrays(entry, params, in_shapes)
    names = [f"x{n}" for n in range(len(arrays))]
    source = entry.expr(names, "m", params, "torch")
    namespace = {"torch": torch, "m": module}
    namespace.update((n, torch.from_numpy(a)) for n, a in zip(names, arrays))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        run_expr(source, namespace)
    assert entry.count(params, in_shapes, out)[1] * 2 * BATCH == counter.get_total_flops()


def test_attention_macs_match_torch_when_it_multiplies_explicitly():
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    entry = catalog.get("MultiheadAttention")
    params = entry.params.check({"num_heads": 2})
    module = torch.nn.MultiheadAttention(8, 2, batch_first=True)
    x = torch.randn(BATCH, 5, 8)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        module(x, x, x, need_weights=True)  # the bmm path, which the counter sees
    assert entry.count(params, [(5, 8)], (5, 8))[1] * 2 * BATCH == counter.get_total_flops()
