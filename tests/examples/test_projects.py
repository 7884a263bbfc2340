"""The example projects (resources/examples/*.ember.json): valid, buildable, reproducible
from make_projects.py, laid out left to right, and trainable towards their stated goal.

A short run of each must beat the untrained model on the project's goal metric; the
full runs to the goal (``python -m app train PROJECT``) are marked slow, except the
spirals MLP, which takes a few seconds.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import core
import core.nn.functional as F
from app import cli
from core.model import serialize
from core.model.build import build
from core.model.data import load_data
from core.model.inference import infer
from core.train import document_trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
PROJECTS = sorted(EXAMPLES.glob("*.ember.json"))
NAMES = [p.name.removesuffix(".ember.json") for p in PROJECTS]
REQUIRED = {
    "mlp_spirals",
    "cnn_digits",
    "residual_digits",
    "tabular_breast_cancer",
    "char_lm",
    "regression_sine",
}
# Epochs of the short run, and dataset options that make it shorter still.
SHORT = {
    "mlp_spirals": (3, {}),
    "regression_sine": (3, {}),
    "tabular_breast_cancer": (2, {}),
    "cnn_digits": (1, {}),
    "residual_digits": (1, {}),
    "char_lm": (1, {"stride": 256}),  # every 4th window: same vocabulary, 1/4 of the steps
}
FAST_TO_GOAL = {"mlp_spirals"}  # trains to its goal in seconds: not marked slow


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrices gain nothing from more BLAS threads (and contend on a busy machine)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def load_generator():
    spec = importlib.util.spec_from_file_location("make_projects", EXAMPLES / "make_projects.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def project(name: str):
    return serialize.load(EXAMPLES / f"{name}.ember.json")


def test_the_required_examples_exist():
    assert REQUIRED <= set(NAMES)


def test_the_generator_reproduces_the_files_byte_for_byte(tmp_path):
    generator = load_generator()
    assert set(generator.PROJECTS) == set(NAMES)
    written = generator.write_all(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert path.read_bytes() == (EXAMPLES / path.name).read_bytes(), path.name
    assert generator.stale() == []


@pytest.mark.parametrize("name", NAMES)
def test_validates_cleanly(name):
    data = serialize.parse_json((EXAMPLES / f"{name}.ember.json").read_bytes())
    assert serialize.validate(data) == []
    doc = serialize.from_dict(data)
    inference = infer(doc)
    assert inference.diagnostics == []
    assert serialize.dumps(doc) == (EXAMPLES / f"{name}.ember.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_states_its_purpose_and_goal(name):
    doc = project(name)
    meta = doc.meta
    assert meta["title"].strip() and len(meta["description"]) > 40
    data = load_data(doc.dataset, root=EXAMPLES)
    metrics = ["val_loss"] + (
        ["val_accuracy"] if data.task == "classification" else ["val_mae", "val_r2"]
    )
    assert meta["goal_metric"] in metrics
    assert meta["goal_mode"] == ("min" if meta["goal_metric"] in ("val_loss", "val_mae") else "max")


@pytest.mark.parametrize("name", NAMES)
def test_is_laid_out_left_to_right_with_readable_names(name):
    doc = project(name)
    nodes = doc.nodes
    for edge in doc.edges:
        assert nodes[edge.src].position[0] < nodes[edge.dst].position[0], str(edge)
    positions = [n.position for n in nodes.values()]
    assert len(set(positions)) == len(positions)
    names = [n.name for n in nodes.values()]
    assert len(set(names)) == len(names)
    assert all(name.strip() for name in names)


@pytest.mark.parametrize("name", NAMES)
def test_builds_and_takes_its_data(name):
    doc = project(name)
    inference = infer(doc)
    data = load_data(doc.dataset, root=EXAMPLES)
    (node,) = doc.input_nodes()
    assert tuple(node.params["shape"]) == data.input_shape
    assert node.params["dtype"] == data.input_dtype
    model = build(doc, inference)
    model.eval()
    x, _ = data.train[0:4]
    with core.no_grad():
        out = model(x)
    (output,) = doc.output_nodes()
    assert tuple(out.shape) == (4, *inference.nodes[output.id].shape)
    if data.task == "classification":
        assert out.shape[-1] == data.num_classes


def test_residual_digits_has_identity_skips():
    doc = project("residual_digits")
    adds = [n for n in doc if n.kind == "Add"]
    assert len(adds) >= 2
    kinds = {n.kind for n in doc}
    assert {"Conv2d", "BatchNorm2d", "ReLU"} <= kinds
    for add in adds:
        sources = [doc.node(e.src).kind for e in doc.inputs_of(add.id)]
        assert "BatchNorm2d" in sources  # the block's branch
        assert "ReLU" in sources  # the identity: the block's input, unchanged


def test_char_lm_goal_is_below_three_quarters_of_the_unigram_entropy():
    doc = project("char_lm")
    data = load_data(doc.dataset, root=EXAMPLES)
    _, y = data.train.numpy()
    counts = np.bincount(y.ravel(), minlength=data.num_classes)
    p = counts[counts > 0] / counts.sum()
    unigram = float(-(p * np.log(p)).sum())  # nats per character, context ignored
    assert 3.0 < unigram < 3.6
    assert doc.meta["goal"] <= 0.75 * unigram


# -- training ----------------------------------------------------------------------------
def evaluate(model, data, metric: str) -> float:
    """``metric`` (val_accuracy, val_loss, val_r2, val_mae) of ``model`` on the validation set."""
    x, y = data.val[0 : len(data.val)]
    model.eval()
    with core.no_grad():
        out = model(x)
    model.train()
    out, y = out.numpy().astype(np.float64), y.numpy()
    if metric == "val_accuracy":
        return float((out.argmax(-1) == y).mean())
    if metric == "val_loss" and data.task == "classification":
        logits = core.tensor(out.reshape(-1, out.shape[-1]))
        return float(F.cross_entropy(logits, core.tensor(y.reshape(-1))).item())
    y = y.reshape(out.shape).astype(np.float64)
    if metric == "val_r2":
        return float(1 - ((out - y) ** 2).sum() / ((y - y.mean(0)) ** 2).sum())
    if metric == "val_mae":
        return float(np.abs(out - y).mean())
    raise AssertionError(f"no evaluation for {metric}")


@pytest.mark.parametrize("name", NAMES)
def test_a_short_run_beats_the_untrained_model(name):
    doc = project(name)
    epochs, options = SHORT[name]
    if options:
        dataset = dict(doc.dataset)
        dataset["options"] = {**dataset["options"], **options}
        doc.set_dataset(dataset)
    metric, mode = doc.meta["goal_metric"], doc.meta["goal_mode"]
    trainer = document_trainer(doc, root=EXAMPLES)
    before = evaluate(trainer.model, trainer.data, metric)
    result = trainer.run(epochs)
    after = result.metrics[metric]
    assert math.isclose(after, evaluate(result.model, trainer.data, metric), rel_tol=1e-3)
    gain = after - before if mode == "max" else before - after
    scale = abs(before) if metric == "val_loss" else 1.0
    assert gain > 0.1 * scale, (before, after)


def _train_to_goal(name: str, tmp_path, capsys) -> None:
    code = cli.main(["train", str(EXAMPLES / f"{name}.ember.json"), "--out", str(tmp_path), "-q"])
    out = capsys.readouterr().out
    assert code == 0
    goal_line = next(line for line in out.splitlines() if line.startswith("goal "))
    assert ": reached (" in goal_line, out


@pytest.mark.parametrize("name", sorted(FAST_TO_GOAL))
def test_trains_to_its_goal(name, tmp_path, capsys):
    _train_to_goal(name, tmp_path, capsys)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(NAMES) - FAST_TO_GOAL))
def test_trains_to_its_goal_slow(name, tmp_path, capsys):
    _train_to_goal(name, tmp_path, capsys)
