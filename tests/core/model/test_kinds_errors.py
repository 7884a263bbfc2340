"""Shape inference refuses bad inputs with a clear message, a hint and a stable code."""

import pytest

from core.model import catalog
from core.model.catalog import ShapeError
from core.model.document import Document
from core.model.inference import infer

# (kind, params, per-sample input shapes, code, fragments of the message, fragment of the hint)
ERRORS = [
    # convolution
    (
        "Conv2d",
        {},
        [(64,)],
        "rank",
        ["Conv2d needs a 3-D input per sample (C, H, W), got (64,)"],
        "Reshape to (channels, height, width) before it, e.g. to (1, 8, 8)",
    ),
    ("Conv2d", {}, [(8, 6)], "rank", ["got (8, 6)"], "e.g. to (1, 8, 6) for one channel"),
    ("Conv2d", {}, [(10,)], "rank", ["(C, H, W)"], "add a Reshape"),
    ("Conv1d", {}, [(16,)], "rank", ["Conv1d needs a 2-D input per sample (C, L)"], "(1, 16)"),
    ("Conv1d", {}, [(3, 8, 8)], "rank", ["got (3, 8, 8)"], "use Conv2d"),
    (
        "Conv2d",
        {"kernel_size": 5},
        [(1, 3, 3)],
        "shape",
        ["kernel (5x5 with dilation) is larger than its padded input (3x3)"],
        "smaller kernel",
    ),
    (
        "Conv2d",
        {"kernel_size": 3, "dilation": 2},
        [(1, 4, 8)],
        "shape",
        ["kernel (5x5", "padded input (4x8)"],
        "more padding",
    ),
    (
        "Conv2d",
        {"groups": 2},
        [(3, 8, 8)],
        "shape",
        ["input's 3 channels are not divisible by groups=2"],
        "divisor",
    ),
    (
        "Conv1d",
        {"groups": 2, "out_channels": 5},
        [(4, 8)],
        "shape",
        ["output's 5 channels are not divisible by groups=2"],
        "divisor",
    ),
    (
        "Conv2d",
        {"padding_preset": "same", "stride": 2},
        [(1, 8, 8)],
        "shape",
        ["padding 'same' needs stride 1, got stride 2x2"],
        "stride",
    ),
    (
        "Conv1d",
        {"padding": 3, "padding_mode": "reflect"},
        [(1, 3)],
        "shape",
        ["reflect padding of 3"],
        "less padding",
    ),
    (
        "ConvTranspose2d",
        {"stride": 2, "output_padding": 2},
        [(1, 4, 4)],
        "shape",
        ["output_padding 2x2 must be smaller than the stride (2x2) or the dilation (1x1)"],
        "output_padding",
    ),
    (
        "ConvTranspose1d",
        {"kernel_size": 1, "padding": 1},
        [(2, 1)],
        "shape",
        ["padding 1 removes the whole output"],
        "less padding",
    ),
    ("ConvTranspose2d", {}, [(4, 4)], "rank", ["ConvTranspose2d needs a 3-D input"], "Reshape"),
    # pooling
    (
        "MaxPool2d",
        {"kernel_size": 4},
        [(1, 2, 2)],
        "shape",
        ["window 4x4 is larger than its input 2x2"],
        "smaller kernel_size",
    ),
    (
        "AvgPool1d",
        {"kernel_size": 2, "padding": 2},
        [(1, 8)],
        "shape",
        ["padding 2 is more than half the kernel size 2"],
        "less padding",
    ),
    ("MaxPool1d", {}, [(8,)], "rank", ["MaxPool1d needs a 2-D input per sample (C, L)"], "(1, 8)"),
    ("AdaptiveAvgPool2d", {}, [(4, 4)], "rank", ["(C, H, W), got (4, 4)"], "Reshape"),
    ("GlobalAvgPool", {}, [(8,)], "rank", ["got (8,)"], "spatial"),
    # normalization
    ("BatchNorm2d", {}, [(8,)], "rank", ["BatchNorm2d needs a 3-D input (C, H, W)"], "BatchNorm1d"),
    ("BatchNorm1d", {}, [(3, 4, 4)], "rank", ["(C,) or (C, L)"], "BatchNorm2d"),
    (
        "LayerNorm",
        {"normalized_dims": 3},
        [(4, 5)],
        "rank",
        ["last 3 axes needs at least a 3-D input per sample, got (4, 5)"],
        "normalized_dims to 2",
    ),
    (
        "GroupNorm",
        {"num_groups": 3},
        [(4, 2, 2)],
        "shape",
        ["4 channels", "not divisible by num_groups=3"],
        "divisor of 4",
    ),
    # activation
    ("Softmax", {"dim": 2}, [(4, 5)], "rank", ["dim 2 does not exist in a 2-D input"], "-2"),
    ("LogSoftmax", {"dim": -3}, [(4, 5)], "rank", ["dim -3"], "between -2 and 1"),
    ("Hardtanh", {"min_val": 1.0, "max_val": 0.0}, [(4,)], "shape", ["min_val < max_val"], "max"),
    # merge
    ("Add", {}, [(3,), (4,)], "mismatch", ["in1 is (3,), in2 is (4,)"], "same shape"),
    ("Subtract", {}, [(2, 3), (3, 2)], "mismatch", ["Subtract needs inputs of one shape"], ""),
    ("Multiply", {"inputs": 3}, [(3,), (3,), (2,)], "mismatch", ["in3 is (2,)"], ""),
    (
        "Concat",
        {},
        [(2, 3), (2, 4)],
        "mismatch",
        ["Concat along axis 0 needs the other axes equal", "(axis 1 differs)"],
        "along axis 1",
    ),
    ("Concat", {}, [(2, 3), (6,)], "mismatch", ["inputs of one rank"], "Flatten"),
    ("Concat", {"axis": 2}, [(2, 3), (2, 3)], "rank", ["axis 2 does not exist"], ""),
    # dense
    (
        "Linear",
        {},
        [(3, 4, 4)],
        "flatten",
        ["Linear after a 3-D output (3, 4, 4)", "last axis only (4 features)"],
        "add a Flatten before it",
    ),
    ("Bilinear", {}, [(3, 2, 2), (4,)], "flatten", ["on in1"], "Flatten"),
    ("Bilinear", {}, [(3,), (2, 4)], "mismatch", ["in1 is (3,), in2 is (2, 4)"], ""),
    # reshape
    ("Flatten", {"start_dim": 3}, [(2, 3)], "rank", ["start_dim 3 does not exist"], ""),
    (
        "Reshape",
        {"shape": (5, 5)},
        [(64,)],
        "shape",
        ["Reshape to (5, 5) needs 25 elements per sample, the input (64,) has 64"],
        "product is 64",
    ),
    ("Reshape", {"shape": (-1, 5)}, [(64,)], "shape", ["not a multiple of 5"], "divides 64"),
    ("Reshape", {"shape": (-1, -1)}, [(4,)], "shape", ["except one -1"], "-1"),
    ("Reshape", {"shape": (0, 4)}, [(4,)], "shape", ["must be positive"], ""),
    ("Permute", {"dims": (1, 0)}, [(2, 3, 4)], "rank", ["3-D input (2, 3, 4)"], "0, 1, 2"),
    ("Permute", {"dims": (0, 0)}, [(2, 3)], "shape", ["each axis"], "reordering of 0, 1"),
    # recurrent
    (
        "LSTM",
        {},
        [(8,)],
        "rank",
        ["LSTM needs a 2-D input per sample (T, F) (time steps, features), got (8,)"],
        "Embedding",
    ),
    ("GRU", {}, [(3, 4, 4)], "rank", ["got (3, 4, 4)"], "Reshape to (steps, features)"),
    # attention
    (
        "MultiheadAttention",
        {"num_heads": 3},
        [(5, 8)],
        "shape",
        ["num_heads=3 does not divide the 8 features of (5, 8)"],
        "e.g. 1, 2, 4, 8",
    ),
    ("TransformerEncoderLayer", {"nhead": 5}, [(5, 8)], "shape", ["nhead=5"], "nhead"),
    ("MultiheadAttention", {}, [(8,)], "rank", ["(T, E)", "got (8,)"], "Embedding"),
    # embedding
    (
        "Embedding",
        {"num_embeddings": 10, "padding_idx": 10},
        [(4,)],
        "shape",
        ["padding_idx 10 is not one of the 10 indices (0..9)"],
        "below num_embeddings",
    ),
]


@pytest.mark.parametrize(
    ("kind", "params", "in_shapes", "code", "fragments", "hint"),
    ERRORS,
    ids=[f"{row[0]}-{i}" for i, row in enumerate(ERRORS)],
)
def test_shape_error(kind, params, in_shapes, code, fragments, hint):
    entry = catalog.get(kind)
    checked = entry.params.check(params)
    with pytest.raises(ShapeError) as info:
        entry.infer(checked, in_shapes)
    err = info.value
    assert err.code == code
    for fragment in fragments:
        assert fragment in err.message
    assert err.hint, "every shape error says what to do"
    assert hint in err.hint


def _chain(*nodes, shape, dtype="float32"):
    doc = Document()
    doc.add_node("Input", params={"shape": shape, "dtype": dtype}, id="x")
    prev = "x"
    for nid, kind, params in nodes:
        doc.add_node(kind, params=params, id=nid)
        doc.connect(prev, nid)
        prev = nid
    doc.add_node("Output", id="out")
    doc.connect(prev, "out")
    return doc


def test_inference_reports_a_shape_error_on_its_node():
    doc = _chain(("conv", "Conv2d", {}), shape=(64,))
    result = infer(doc)
    (diag,) = result.errors
    assert (diag.node_id, diag.code) == ("conv", "rank")
    assert "Conv2d needs a 3-D input per sample (C, H, W), got (64,)" in diag.message
    assert "(1, 8, 8)" in diag.hint


def test_linear_after_conv_without_flatten_is_a_flatten_diagnostic():
    doc = _chain(("conv", "Conv2d", {"out_channels": 4}), ("fc", "Linear", {}), shape=(1, 8, 8))
    (diag,) = infer(doc).errors
    assert (diag.node_id, diag.code) == ("fc", "flatten")
    assert "(4, 6, 6)" in diag.message


def test_embedding_needs_integer_indices_and_float_layers_refuse_them():
    (diag,) = infer(_chain(("emb", "Embedding", {}), shape=(8,))).errors
    assert (diag.node_id, diag.code) == ("emb", "dtype")
    (diag,) = infer(_chain(("fc", "Linear", {}), shape=(8,), dtype="int64")).errors
    assert (diag.node_id, diag.code) == ("fc", "dtype")


def test_reshape_kinds_pass_indices_through_to_an_embedding():
    doc = _chain(
        ("flat", "Flatten", {}),
        ("emb", "Embedding", {"num_embeddings": 5, "embedding_dim": 3}),
        shape=(2, 4),
        dtype="int64",
    )
    result = infer(doc)
    assert result.ok, result.diagnostics
    assert result.nodes["flat"].dtype == "int64"
    assert result.nodes["emb"].shape == (8, 3)
