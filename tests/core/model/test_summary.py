"""The model summary: rows as data, a fixed-width text table, totals and diagnostics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.model import Document, serialize
from core.model.build import build
from core.model.inference import infer
from core.model.summary import summary_rows, summary_text
from tests.core.model.helpers import chain

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def cnn() -> Document:
    doc = Document()
    doc.set_meta({"title": "Digits CNN"})
    doc.add_node("Input", id="img", params={"shape": [1, 8, 8]}, name="Image")
    chain(
        doc,
        "img",
        ("Conv2d", {"out_channels": 8, "padding": 1}, "conv1", "First conv"),
        ("BatchNorm2d", {}, "bn1"),
        ("ReLU", {}, "relu1"),
        ("MaxPool2d", {}, "pool1"),
        ("Flatten", {}, "flat"),
        ("Linear", {"out_features": 10}, "head", "Classifier"),
        ("Output", {}, "out"),
    )
    return doc


def sequence_model() -> Document:
    doc = Document()
    doc.add_node("Input", id="tokens", params={"shape": [6], "dtype": "int64"})
    chain(
        doc,
        "tokens",
        ("Embedding", {"num_embeddings": 20, "embedding_dim": 8}, "emb"),
        ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 16}, "enc"),
        ("LayerNorm", {}, "norm"),
        ("GRU", {"hidden_size": 6, "returns": "last"}, "gru"),
        ("Linear", {"out_features": 20}, "fc"),
        ("Output", {}, "out"),
    )
    return doc


def test_rows_in_topological_order_with_shapes_and_counts():
    rows = summary_rows(cnn())
    assert [r["id"] for r in rows] == [
        "img",
        "conv1",
        "bn1",
        "relu1",
        "pool1",
        "flat",
        "head",
        "out",
    ]
    conv = rows[1]
    assert conv["name"] == "First conv" and conv["kind"] == "Conv2d"
    assert conv["in_shapes"] == [(1, 8, 8)] and conv["shape"] == (8, 8, 8)
    assert conv["input_shapes"] == [(-1, 1, 8, 8)] and conv["output_shape"] == (-1, 8, 8, 8)
    assert conv["params"] == 8 * 1 * 9 + 8 and conv["macs"] == 8 * 8 * 8 * 9
    assert conv["trainable"] and conv["severity"] is None and conv["dtype"] == "float32"
    assert rows[0]["input_shapes"] == [] and not rows[3]["trainable"]


@pytest.mark.parametrize("make", [cnn, sequence_model])
def test_total_params_match_the_built_module(make):
    doc = make()
    expected = sum(p.numel() for p in build(doc).parameters())
    assert sum(r["params"] for r in summary_rows(doc)) == expected
    text = summary_text(doc)
    assert f"Total params: {expected:,}\n" in text
    assert f"Trainable params: {expected:,}\n" in text
    assert "Non-trainable params: 0\n" in text
    assert f"Params size (MB, float32): {expected * 4 / 1e6:.2f}" in text


def test_text_table_layout():
    doc = cnn()
    text = summary_text(doc)
    lines = text.split("\n")
    assert lines[0] == "Model summary: Digits CNN"
    assert set(lines[1]) == {"="}
    assert lines[2].split() == ["Layer", "Id", "Kind", "Input", "shape", "Output", "shape"] + [
        "Params",
        "MACs",
    ]
    rows = lines[4 : 4 + len(doc)]
    assert set(lines[4 + len(doc)]) == {"="}  # one line per node, then a rule
    first_conv = next(r for r in rows if " conv1 " in r)
    assert re.search(r"First conv\s+conv1\s+Conv2d\s+\[N, 1, 8, 8\]\s+\[N, 8, 8, 8\]", first_conv)
    assert re.search(r"\s80\s+4,608$", first_conv)
    assert re.search(r"Image\s+img\s+Input\s+--\s+\[N, 1, 8, 8\]\s+--\s+--$", rows[0])
    # numbers are right-aligned: every row ends at the same column as the header
    assert {len(r) for r in rows} == {len(lines[2])}
    macs = infer(doc).total_macs
    assert f"MACs per sample: {macs:,}" in text
    assert text.endswith("No problems found.")


def test_batch_size_shows_in_shapes_and_totals():
    doc = cnn()
    text = summary_text(doc, batch_size=32)
    macs = infer(doc).total_macs
    assert "[32, 8, 8, 8]" in text and "[N," not in text
    assert f"MACs per batch of 32: {macs * 32:,}" in text
    # activations: conv, bn, relu (8*8*8 each), pool (8*4*4), flatten (128), head (10)
    per_sample = (3 * 512 + 128 + 128 + 10) * 4
    assert f"Forward activations (MB, batch of 32): {per_sample * 32 / 1e6:.2f}" in text
    assert f"Input size (MB, batch of 32): {64 * 4 * 32 / 1e6:.2f}" in text
    with pytest.raises(ValueError, match="batch_size"):
        summary_text(doc, batch_size=0)


def test_summary_of_a_broken_document_still_prints():
    doc = cnn()
    doc.disconnect(doc.edge_into("flat", "in"))
    chain(doc, "relu1", ("ReLU", {}, "stray", "Stray"))
    text = summary_text(doc)
    flat_row = next(line for line in text.split("\n") if " flat " in line)
    assert flat_row.startswith("!") and flat_row.count("?") == 4  # shape, output, params, MACs
    head_row = next(line for line in text.split("\n") if " head " in line)
    assert "?" in head_row and not head_row.startswith("!")  # downstream: no own error
    assert "(+ 3 layer(s) of unknown shape)" in text  # flat, head, out
    assert "1 error(s), 2 warning(s):" in text  # flat unconnected; pool1 and stray unused
    assert "  error: flat: 'Flatten 1' (Flatten): its input is not connected" in text
    stray_row = next(line for line in text.split("\n") if " stray " in line)
    assert stray_row.startswith("*") and "[N, 8, 8, 8]  [N, 8, 8, 8]" in stray_row
    assert "warning: pool1: 'MaxPool2d 1' (MaxPool2d) does not lead to any Output; nor do " in text
    assert text.endswith("(! marks a layer with an error, * one with a warning)")


def test_summary_of_an_empty_document():
    text = summary_text(Document())
    assert "(no layers)" in text and "Total params: 0" in text
    assert "no Input node" in text and "no Output node" in text


def test_summary_is_deterministic_and_reuses_a_given_inference():
    a, b = cnn(), cnn()
    result = infer(a)
    assert summary_text(a) == summary_text(b) == summary_text(a, result)
    assert summary_rows(a, result) == summary_rows(b)


def test_long_names_are_shortened():
    doc = cnn()
    doc.rename_node("conv1", "A very long and descriptive name for the first convolution")
    row = next(line for line in summary_text(doc).split("\n") if " conv1 " in line)
    assert "A very long and descriptive name for..." in row


def test_summary_totals_are_the_numbers_behind_the_text():
    from core.model.summary import summary_totals

    doc = serialize.load(EXAMPLES / "cnn_digits.ember.json")
    inf = infer(doc)
    rows = summary_rows(doc, inf)
    one = summary_totals(rows)
    eight = summary_totals(rows, batch_size=8)
    assert one["params"] == inf.total_params == one["trainable"] + one["non_trainable"]
    assert one["macs"] == inf.total_macs and one["unknown"] == 0
    assert eight["activation_bytes"] == 8 * one["activation_bytes"] > 0
    assert eight["param_bytes"] == one["param_bytes"] == 4 * inf.total_params
    assert one["total_bytes"] == (one["input_bytes"] + one["pass_bytes"] + one["param_bytes"])
    text = summary_text(doc, inf)
    assert f"Total params: {one['params']:,}" in text
    assert f"Estimated total size (MB, per sample): {one['total_bytes'] / 1e6:.2f}" in text
