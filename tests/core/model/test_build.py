"""build(document): a core.nn.Module that runs the DAG, named and scoped by node ids."""

from __future__ import annotations

import numpy as np
import pytest

import core
import core.graph
from core import nn
from core.model import Document, DocumentError
from core.model.build import RESERVED, BuildError, GraphModel, NodeOp, build
from core.model.inference import infer
from tests.core.model.helpers import chain


def residual_mlp() -> Document:
    """x -> fc1 -> act -> fc2 -> add(fc2, act) -> out."""
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [4]}, name="Features")
    chain(
        doc,
        "x",
        ("Linear", {"out_features": 8}, "fc1", "Hidden"),
        ("ReLU", {}, "act"),
        ("Linear", {"out_features": 8}, "fc2"),
        ("Add", {}, "add", "Skip"),
        ("Output", {}, "out"),
    )
    doc.connect("act", "add", dst_port="in2")
    return doc


def small_cnn() -> Document:
    doc = Document()
    doc.add_node("Input", id="img", params={"shape": [1, 8, 8]})
    chain(
        doc,
        "img",
        ("Conv2d", {"out_channels": 4, "padding": 1}, "conv1"),
        ("BatchNorm2d", {}, "bn1"),
        ("ReLU", {}, "relu1"),
        ("MaxPool2d", {}, "pool1"),
        ("Flatten", {}, "flat"),
        ("Dropout", {"p": 0.5}, "drop"),
        ("Linear", {"out_features": 3}, "head"),
        ("Output", {}, "out"),
    )
    return doc


def test_submodules_and_state_dict_keys_are_node_ids():
    model = build(residual_mlp())
    assert isinstance(model, nn.Module)
    assert list(model._modules) == ["fc1", "act", "fc2", "add"]
    assert isinstance(model.fc1, nn.Linear) and isinstance(model.add, NodeOp)
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.input_ids == ["x"] and model.output_ids == ["out"]
    assert model.input_shapes == {"x": (4,)} and model.input_dtypes == {"x": "float32"}
    assert model.node_names["fc1"] == "Hidden"


def test_forward_runs_the_dag_with_the_built_weights():
    model = build(residual_mlp())
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    y = model(core.tensor(x))
    w1, b1 = model.fc1.weight.detach().numpy(), model.fc1.bias.detach().numpy()
    w2, b2 = model.fc2.weight.detach().numpy(), model.fc2.bias.detach().numpy()
    h = np.maximum(x @ w1.T + b1, 0)
    expected = h @ w2.T + b2 + h
    assert y.shape == (5, 8)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_gradients_reach_every_parameter():
    model = build(small_cnn())
    model(core.randn(2, 1, 8, 8)).sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape, name


def test_several_inputs_and_outputs():
    doc = Document()
    doc.add_node("Input", id="a", params={"shape": [4]})
    doc.add_node("Input", id="b", params={"shape": [6]})
    chain(doc, "a", ("Linear", {"out_features": 8}, "fa"))
    chain(doc, "b", ("Linear", {"out_features": 8}, "fb"), ("Output", {}, "side"))
    chain(doc, "fa", ("Add", {}, "join"), ("Output", {}, "main"))
    doc.connect("fb", "join", dst_port="in2")
    # Outputs come in document order: "side" was added before "main"
    model = build(doc)
    assert model.input_ids == ["a", "b"] and model.output_ids == ["side", "main"]
    a, b = core.randn(3, 4), core.randn(3, 6)
    side, main = model(a, b)
    assert side.shape == main.shape == (3, 8)
    fb = model.fb(b)
    np.testing.assert_allclose(side.detach().numpy(), fb.detach().numpy(), rtol=1e-6)
    expected = (model.fa(a) + fb).detach().numpy()
    np.testing.assert_allclose(main.detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    by_id = model(b=b, a=a)
    np.testing.assert_allclose(by_id[1].detach().numpy(), main.detach().numpy())
    with pytest.raises(TypeError, match=r"2 input\(s\) \(a, b\), got 1"):
        model(a)
    with pytest.raises(TypeError, match="no input 'c'"):
        model(a=a, c=b)
    with pytest.raises(TypeError, match="input 'b' was not given"):
        model(a=a)


def test_a_batch_that_does_not_fit_its_input_is_refused_clearly():
    model = build(residual_mlp())
    with pytest.raises(ValueError, match=r"input 'x' \('Features'\).*\(4,\).*\(3, 5\)"):
        model(core.randn(3, 5))
    with pytest.raises(TypeError, match=r"takes float32 values.*\.float\(\)"):
        model(core.zeros(3, 4, dtype=core.int64))
    with pytest.raises(TypeError, match="must be a tensor"):
        model([[1.0, 2.0, 3.0, 4.0]])


def test_an_int64_input_takes_index_tensors():
    doc = Document()
    doc.add_node("Input", id="tokens", params={"shape": [5], "dtype": "int64"})
    chain(
        doc,
        "tokens",
        ("Embedding", {"num_embeddings": 10, "embedding_dim": 6}, "emb"),
        ("Flatten", {}, "flat"),
        ("Linear", {"out_features": 2}, "fc"),
        ("Output", {}, "out"),
    )
    model = build(doc)
    assert model.input_dtypes == {"tokens": "int64"}
    idx = core.tensor(np.arange(10).reshape(2, 5) % 10, dtype=core.int64)
    assert model(idx).shape == (2, 2)
    with pytest.raises(TypeError, match=r"takes int64 indices.*\.long\(\)"):
        model(core.randn(2, 5))


def test_build_refuses_a_document_with_errors_and_lists_them():
    doc = residual_mlp()
    doc.add_node("Linear", id="loose", name="Loose end")
    with pytest.raises(BuildError) as info:
        build(doc)
    (d,) = info.value.diagnostics
    assert (d.node_id, d.code) == ("loose", "missing_input")
    assert "'Loose end'" in str(info.value) and "1 error" in str(info.value)


def test_warnings_do_not_block_the_build():
    doc = residual_mlp()
    chain(doc, "act", ("Linear", {"out_features": 2}, "unused"))
    result = infer(doc)
    assert result.ok and result.warnings
    model = build(doc, result)
    assert "unused" in model._modules
    assert model(core.randn(2, 4)).shape == (2, 8)


def test_every_recorded_op_maps_back_to_its_node():
    model = build(small_cnn())
    with core.graph.record() as g:
        model(core.randn(2, 1, 8, 8))
    mapped = [model.node_of_scope(op.scope) for op in g.ops]
    assert None not in mapped, [(op.op, op.scope) for op in g.ops]
    assert [op.scope for op in g.ops] == mapped  # flat layers: the scope is the node id
    assert set(mapped) == {"conv1", "bn1", "relu1", "pool1", "flat", "drop", "head"}


def test_ops_of_nested_modules_and_custom_applies_map_to_their_node():
    doc = Document()
    doc.add_node("Input", id="tokens", params={"shape": [6], "dtype": "int64"})
    chain(
        doc,
        "tokens",
        ("Embedding", {"num_embeddings": 12, "embedding_dim": 8}, "emb"),
        ("TransformerEncoderLayer", {"nhead": 2, "dim_feedforward": 16, "causal": True}, "enc"),
        ("MultiheadAttention", {"num_heads": 2, "causal": True}, "attn"),
        ("LSTM", {"hidden_size": 5, "returns": "last"}, "lstm"),  # out[:, -1] outside the LSTM
        ("Linear", {"out_features": 3}, "fc"),
        ("Output", {}, "out"),
    )
    model = build(doc)
    idx = core.tensor(np.arange(12).reshape(2, 6), dtype=core.int64)
    with core.graph.record() as g:
        model(idx)
    scopes = {op.scope for op in g.ops}
    assert all(model.node_of_scope(s) is not None for s in scopes), sorted(scopes)
    assert {model.node_of_scope(s) for s in scopes} == {"emb", "enc", "attn", "lstm", "fc"}
    assert any(s.startswith("enc.") for s in scopes)  # nested module paths are kept
    assert not any(s.startswith(("enc.enc", "lstm.lstm", "attn.attn")) for s in scopes)
    assert "lstm" in scopes  # the last-step slice, done by the entry outside the module


def test_node_of_scope():
    model = build(residual_mlp())
    assert model.node_of_scope("fc1") == "fc1"
    assert model.node_of_scope("fc1.inner.0.proj") == "fc1"
    assert model.node_of_scope("net.fc2") == "fc2"  # the model nested in another one
    assert model.node_of_scope("") is None
    assert model.node_of_scope("elsewhere.linear") is None


def test_a_model_nested_in_another_keeps_the_mapping():
    class Wrapper(nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.net = inner

        def forward(self, x):
            return self.net(x) * 2

    inner = build(residual_mlp())
    with core.graph.record() as g:
        Wrapper(inner)(core.randn(2, 4))
    nodes = [inner.node_of_scope(op.scope) for op in g.ops if op.scope.startswith("net")]
    assert nodes and None not in nodes
    assert {op.scope for op in g.ops if inner.node_of_scope(op.scope) == "fc1"} == {"net.fc1"}


def test_train_and_eval_modes_reach_every_node():
    model = build(small_cnn())
    x = core.randn(4, 1, 8, 8)
    model.eval()
    assert not any(m.training for m in model.modules())
    with core.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), model(x).numpy())  # no dropout
    model.train()
    assert all(m.training for m in model.modules())


def test_to_and_repr():
    model = build(residual_mlp())
    assert model.to("cpu") is model and model.fc1.weight.device.type == "cpu"
    text = repr(model)
    assert text.startswith("GraphModel(\n  inputs=[x: (4,) float32], outputs=[out]")
    assert "(fc1): Linear(in_features=4, out_features=8, bias=True)  # Hidden" in text
    assert "(add): Add(inputs=2)  # Skip" in text


def test_the_model_is_a_snapshot_of_the_document():
    doc = residual_mlp()
    model = build(doc)
    doc.set_params("fc1", out_features=16)
    doc.rename_node("fc1", "Renamed")
    assert model.fc1.out_features == 8 and model.node_names["fc1"] == "Hidden"
    assert model(core.randn(1, 4)).shape == (1, 8)


def test_state_dict_round_trips_between_two_builds():
    doc = small_cnn()
    a, b = build(doc), build(doc)
    b.load_state_dict(a.state_dict())
    a.eval()
    b.eval()
    x = core.randn(2, 1, 8, 8)
    with core.no_grad():
        np.testing.assert_allclose(a(x).numpy(), b(x).numpy())


@pytest.mark.parametrize("name", sorted(RESERVED - {"__init__"})[:3] + ["node_names", "_steps"])
def test_node_ids_that_would_clash_with_the_model_are_refused(name):
    doc = Document()
    with pytest.raises(DocumentError, match="reserved"):
        doc.add_node("ReLU", id=name)


def test_every_reserved_name_is_refused_as_an_id():
    doc = Document()
    refused = 0
    for name in sorted(RESERVED):
        if not name.isidentifier() or len(name) > 64:
            continue
        with pytest.raises(DocumentError):
            doc.add_node("ReLU", id=name)
        refused += 1
    assert refused >= len({"forward", "node_of_scope", "input_ids", "node_names"})
    assert isinstance(build(residual_mlp()), GraphModel)
