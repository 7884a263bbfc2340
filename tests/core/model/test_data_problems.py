"""core.model.data: what a model must know about loaded data (data_info), where a document's
model does not fit it (data_problems: diagnostics, never an exception) and the Input
parameters that fit it (input_params_for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.model import Document, serialize
from core.model.data import (
    DATA_CODES,
    DataInfo,
    data_info,
    data_problems,
    input_params_for,
    load_data,
)
from core.model.inference import ERROR, WARNING, Diagnostic, infer
from core.train import TrainError, document_trainer
from tests.core.model.helpers import chain

EXAMPLES = sorted((Path(__file__).resolve().parents[3] / "resources/examples").glob("*.ember.json"))
MOONS = {"name": "moons", "options": {"n_samples": 40}}
SINE = {"name": "sine", "options": {"n_samples": 40}}


def mlp(shape=(2,), out: int = 2, dtype: str = "float32", dataset=MOONS, loss="auto") -> Document:
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": list(shape), "dtype": dtype}, name="Point")
    if len(shape) > 1:
        chain(doc, "x", ("Flatten", {}, "flat"))
    chain(
        doc,
        "flat" if len(shape) > 1 else "x",
        ("Linear", {"out_features": 8}, "fc1", "Hidden"),
        ("ReLU", {}, "act"),
        ("Linear", {"out_features": out}, "fc2", "Scores"),
        ("Output", {}, "out", "Class scores"),
    )
    doc.set_dataset(dataset)
    doc.update_settings("training", {"loss": loss, "batch_size": 64})
    return doc


def info_of(doc: Document) -> DataInfo:
    return data_info(load_data(doc.dataset))


def fails_training(doc: Document) -> bool:
    """Whether a real one-epoch run refuses the document (the judge of "error")."""
    try:
        document_trainer(doc).run(epochs=1)
    except TrainError:
        return True
    return False


def test_data_info_holds_the_facts_without_arrays():
    data = load_data({"name": "iris", "validation_split": 0.2})
    info = data_info(data)
    assert info == DataInfo(
        input_shape=(4,),
        input_dtype="float32",
        task="classification",
        num_classes=3,
        classes=("setosa", "versicolor", "virginica"),
        target_shape=(),
        train_samples=120,
        val_samples=30,
        description=data.description,
        name="iris",
    )
    hash(info)  # frozen: usable as a key, safe to hand between threads
    sine = data_info(load_data({**SINE, "validation_split": 0}))
    assert (sine.task, sine.num_classes, sine.classes, sine.target_shape) == (
        "regression",
        None,
        None,
        (1,),
    )
    assert sine.val_samples == 0 and sine.train_samples == 40


def test_a_fitting_model_has_no_problem():
    doc = mlp()
    assert data_problems(doc, info_of(doc)) == []
    assert not fails_training(doc)


def test_input_shape_mismatch_names_the_node_both_shapes_and_the_fix():
    doc = mlp(shape=(3,))
    info = info_of(doc)
    [d] = data_problems(doc, info)
    assert isinstance(d, Diagnostic)
    assert (d.code, d.node_id, d.severity) == ("data_input_shape", "x", ERROR)
    assert "'Point'" in d.message and "[3]" in d.message and "[2]" in d.message
    assert "'moons'" in d.message
    assert d.hint == "set the Input's shape to [2]"
    assert fails_training(doc)  # an error: training would refuse it too
    # the fix the app offers: the Input's parameters from the data
    assert input_params_for(info) == {"shape": [2], "dtype": "float32"}
    doc.set_params("x", **input_params_for(info))
    assert data_problems(doc, info) == []


def test_an_image_set_on_a_flat_input():
    doc = mlp(shape=(64,), out=10, dataset={"name": "digits"})
    info = info_of(doc)
    [d] = data_problems(doc, info)
    assert d.code == "data_input_shape" and "[1, 8, 8]" in d.message and "[64]" in d.message
    assert input_params_for(info) == {"shape": [1, 8, 8], "dtype": "float32"}


def test_input_dtype_mismatch():
    doc = Document()
    doc.add_node("Input", id="ids", params={"shape": [8], "dtype": "float32"}, name="Ids")
    chain(doc, "ids", ("Linear", {"out_features": 2}, "fc"), ("Output", {}, "out"))
    info = DataInfo((8,), "int64", "classification", 2, ("a", "b"), (), 10, 0, "", "text")
    [d] = data_problems(doc, info)
    assert (d.code, d.node_id, d.severity) == ("data_input_dtype", "ids", ERROR)
    assert "float32" in d.message and "int64" in d.message
    assert d.hint == "set the Input's dtype to int64"
    assert input_params_for(info) == {"shape": [8], "dtype": "int64"}


def test_a_wrong_input_hides_the_output_checks_that_follow_from_it():
    doc = mlp(shape=(3,), out=5)
    assert [d.code for d in data_problems(doc, info_of(doc))] == ["data_input_shape"]


def test_classes_mismatch_of_the_output():
    doc = mlp(dataset={"name": "iris"}, shape=(4,), out=2)
    [d] = data_problems(doc, info_of(doc))
    assert (d.code, d.node_id, d.severity) == ("data_classes", "out", ERROR)
    assert "'Class scores'" in d.message and "2 scores" in d.message and "3 classes" in d.message
    assert "out_features=3" in d.hint
    assert fails_training(doc)


def test_two_classes_with_one_output_suggests_bce_too():
    doc = mlp(out=1)
    [d] = data_problems(doc, info_of(doc))
    assert d.code == "data_classes" and "bce_with_logits" in d.hint
    doc.update_settings("training", {"loss": "bce_with_logits"})
    assert data_problems(doc, info_of(doc)) == []
    assert not fails_training(doc)


def test_regression_targets_mismatch():
    doc = mlp(shape=(1,), out=3, dataset=SINE)
    [d] = data_problems(doc, info_of(doc))
    assert (d.code, d.node_id, d.severity) == ("data_targets", "out", ERROR)
    assert "[3]" in d.message and "1 regression target" in d.message
    assert "[1]" in d.hint
    assert fails_training(doc)
    doc.set_params("fc2", out_features=1)
    assert data_problems(doc, info_of(doc)) == []


@pytest.mark.parametrize(
    ("dataset", "shape", "loss", "severity"),
    [
        (SINE, (1,), "cross_entropy", ERROR),  # the trainer refuses it
        ({"name": "iris"}, (4,), "bce_with_logits", ERROR),  # three classes
        (SINE, (1,), "bce_with_logits", WARNING),  # runs, but makes little sense
    ],
)
def test_a_loss_that_does_not_suit_the_task(dataset, shape, loss, severity):
    doc = mlp(shape=shape, out=1, dataset=dataset, loss=loss)
    [d] = data_problems(doc, info_of(doc))
    assert (d.code, d.node_id, d.severity) == ("data_loss", None, severity)
    assert loss in d.message and "training loss" in d.hint
    assert fails_training(doc) == (severity == ERROR)


def test_an_embedding_smaller_than_the_vocabulary():
    doc = Document()
    doc.add_node("Input", id="ids", params={"shape": [8], "dtype": "int64"})
    chain(
        doc,
        "ids",
        ("Embedding", {"num_embeddings": 10, "embedding_dim": 4}, "emb", "Chars"),
        ("Linear", {"out_features": 20}, "fc"),
        ("Output", {}, "out"),
    )
    info = DataInfo((8,), "int64", "classification", 20, None, (8,), 10, 0, "", "text")
    [d] = data_problems(doc, info)
    assert (d.code, d.node_id, d.severity) == ("data_vocab", "emb", ERROR)
    assert "'Chars'" in d.message and "10 rows" in d.message and d.hint.endswith("20")
    doc.set_params("emb", num_embeddings=20)
    assert data_problems(doc, info) == []


def test_unknown_output_shapes_and_several_inputs_give_no_data_diagnostic():
    doc = mlp(dataset={"name": "iris"}, shape=(4,))
    doc.add_node("Linear", id="loose", params={"out_features": 3})  # an unconnected node
    doc.disconnect(doc.edge_into("fc2", "in"))  # the output's shape is now unknown
    info = info_of(doc)
    assert infer(doc).shape("out") is None
    assert data_problems(doc, info) == []
    doc.add_node("Input", id="y", params={"shape": [7]})
    assert data_problems(doc, info) == []  # two inputs: inference and the trainer explain


def test_the_given_inference_is_used():
    doc = mlp(dataset={"name": "iris"}, shape=(4,), out=3)
    inf = infer(doc)
    info = info_of(doc)
    assert data_problems(doc, info, inf) == data_problems(doc, info) == []


def test_every_code_is_documented():
    assert set(DATA_CODES) == {
        "data_input_shape",
        "data_input_dtype",
        "data_classes",
        "data_targets",
        "data_loss",
        "data_vocab",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name.split(".")[0])
def test_every_example_fits_its_own_data(path):
    doc = serialize.load(path)
    info = data_info(load_data(doc.dataset))
    assert data_problems(doc, info) == []
    assert input_params_for(info) == {
        "shape": list(doc.input_nodes()[0].params["shape"]),
        "dtype": doc.input_nodes()[0].params["dtype"],
    }
