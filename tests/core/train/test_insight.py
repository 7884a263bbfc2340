"""core.train.insight: what the model learned, computed on the training thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import core
from core.model import Document, load
from core.model.data import load_data
from core.train import EpochReport, StepReport, TrainResult, document_trainer
from core.train.insight import InsightProbe, InsightSnapshot, data_kind, predict

from .conftest import mlp_document

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"
MOONS = {"source": "builtin", "name": "moons", "options": {"n_samples": 200}}


def moons_doc(**kw) -> Document:
    return mlp_document(dataset=MOONS, **kw)


def step(n: int, epoch: int = 1) -> StepReport:
    return StepReport(
        epoch=epoch,
        step=n,
        batch=n,
        batches=100,
        loss=1.0,
        lr=0.01,
        samples_per_s=1.0,
        seconds=0.01,
        elapsed=0.01 * n,
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def probe_for(doc: Document, **kw) -> tuple[InsightProbe, list[InsightSnapshot]]:
    trainer = document_trainer(doc)
    got: list[InsightSnapshot] = []
    probe = InsightProbe(trainer.data, got.append, **kw)
    probe.model = trainer.model
    return probe, got


# -- throttling ------------------------------------------------------------------------------------
def test_on_step_delivers_at_most_once_per_every_s_and_epochs_always():
    clock = Clock()
    probe, got = probe_for(moons_doc(), every_s=0.5, clock=clock)
    probe.on_start(None)
    delivered = []
    for n, t in enumerate([0.0, 0.1, 0.49, 0.5, 0.7, 0.99, 1.0, 1.01], start=1):
        clock.t = t
        probe.on_step(step(n))
        delivered.append(len(got))
    assert delivered == [1, 1, 1, 2, 2, 2, 3, 3]
    assert [s.step for s in got] == [1, 4, 7]
    # an epoch end always delivers, even right after a step's snapshot
    probe.on_epoch(EpochReport(1, {}, 0.01, 0.1, 8, False))
    assert len(got) == 4 and got[-1].epoch == 1 and got[-1].step == 8
    assert got[-1].confusion is not None
    # the live view was not due: carried from the last snapshot
    assert got[-1].boundary is got[-2].boundary


def test_a_slow_snapshot_stretches_the_interval_to_keep_the_duty_cycle():
    clock = Clock()
    probe, got = probe_for(moons_doc(), every_s=0.5, clock=clock, duty=0.1)
    probe.on_start(None)
    real = probe.snapshot

    def slow(*a, **kw):
        clock.t += 0.2  # a snapshot that takes 0.2 s may run every 2 s at a 10 % duty
        return real(*a, **kw)

    probe.snapshot = slow
    probe.on_step(step(1))
    clock.t = 1.9
    probe.on_step(step(2))
    assert len(got) == 1
    clock.t = 2.0
    probe.on_step(step(3))
    assert len(got) == 2


# -- contents --------------------------------------------------------------------------------------
def test_moons_snapshots_hold_the_boundary_the_confusion_and_the_accuracy():
    doc = moons_doc(training={"epochs": 3, "lr": 0.05})
    trainer = document_trainer(doc)
    got: list[InsightSnapshot] = []
    probe = InsightProbe(trainer.data, got.append, grid=40)
    probe.model = trainer.model
    trainer.callbacks.append(probe)
    result = trainer.run()

    assert got and probe.error is None
    epochs = [s for s in got if s.confusion is not None]
    last = got[-1]
    assert last.task == "classification" and last.classes == ["upper", "lower"]
    assert last.step == result.steps and last.epoch == 3
    b = last.boundary
    assert b.xs.shape == (40,) and b.ys.shape == (40,) and b.probs.shape == (40, 40, 2)
    assert b.values is None and last.fit is None and last.samples is None
    np.testing.assert_allclose(b.probs.sum(axis=2), 1.0, rtol=1e-5)
    # the grid spans the training features' range plus 10 % on each side
    x = trainer.data.train.numpy()[0]
    lo, hi = x.min(axis=0), x.max(axis=0)
    margin = 0.1 * (hi - lo)
    np.testing.assert_allclose([b.xs[0], b.xs[-1]], [lo[0] - margin[0], hi[0] + margin[0]], 1e-5)
    np.testing.assert_allclose([b.ys[0], b.ys[-1]], [lo[1] - margin[1], hi[1] + margin[1]], 1e-5)
    # the confusion matrix covers the whole validation set, rows the true classes
    n_val = len(trainer.data.val)
    assert last.confusion.shape == (2, 2) and last.confusion.dtype == np.int64
    assert last.confusion.sum() == n_val
    y_val = trainer.data.val.numpy()[1]
    assert list(last.confusion.sum(axis=1)) == [int((y_val == c).sum()) for c in (0, 1)]
    # the same model in the same mode as the trainer's validation: the same accuracy
    assert last.val_accuracy == pytest.approx(result.metrics["val_accuracy"])
    assert len(epochs) == len(got)
    # the arrays are shared between snapshots and threads: read-only
    with pytest.raises(ValueError):
        b.probs[0, 0, 0] = 1.0


def test_probabilities_on_the_grid_follow_the_trained_model():
    doc = moons_doc(training={"epochs": 20, "lr": 0.05}, hidden=32)
    trainer = document_trainer(doc)
    result = trainer.run()
    probe = InsightProbe(trainer.data, lambda s: None, grid=30)
    probe.model = result.model
    snap = probe.snapshot()
    gx, gy = np.meshgrid(snap.boundary.xs, snap.boundary.ys)
    points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    want = predict(result.model, points, "classification").reshape(30, 30, 2)
    np.testing.assert_allclose(snap.boundary.probs, want, rtol=1e-5, atol=1e-6)
    assert snap.val_accuracy > 0.8


def test_one_dimensional_regression_gives_the_fitted_curve():
    doc = mlp_document(
        inputs=1,
        outputs=1,
        dataset={"name": "sine", "options": {"n_samples": 100}},
    )
    probe, got = probe_for(doc)
    snap = probe.snapshot(5, 1)
    assert snap.task == "regression" and snap.classes is None
    assert snap.boundary is None and snap.confusion is None and snap.val_accuracy is None
    assert snap.fit.xs.shape == snap.fit.prediction.shape == (200,)
    assert np.all(np.diff(snap.fit.xs) > 0)
    want = predict(probe.model, snap.fit.xs.reshape(-1, 1))[:, 0]
    np.testing.assert_allclose(snap.fit.prediction, want, rtol=1e-5)


def test_two_dimensional_regression_gives_a_value_map():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (60, 2)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:]).astype(np.float32)
    from core.datasets import LabeledDataset
    from core.model.data import Data

    full = LabeledDataset(x, y, name="saddle")
    train, val = full.split([48, 12], seed=0)
    data = Data(train, val, "regression", None, None, (2,), "float32", (1,), "saddle")
    model = core.nn.Sequential(core.nn.Linear(2, 8), core.nn.Tanh(), core.nn.Linear(8, 1))
    probe = InsightProbe(data, lambda s: None, grid=16)
    probe.model = model
    snap = probe.snapshot()
    assert snap.boundary.values.shape == (16, 16) and snap.boundary.probs is None
    assert snap.confusion is None and snap.fit is None


def test_digits_snapshot_has_the_confusion_matrix_and_sample_predictions():
    doc = load(EXAMPLES / "cnn_digits.ember.json")
    probe, got = probe_for(doc, n_samples=12)
    assert data_kind(probe.data)["images"] and not data_kind(probe.data)["boundary"]
    snap = probe.snapshot(1, 1)
    n_val = len(probe.data.val)
    assert snap.boundary is None and snap.fit is None
    assert snap.confusion.shape == (10, 10) and snap.confusion.sum() == n_val
    s = snap.samples
    assert s.indices.tolist() == list(range(12))
    assert s.predictions.shape == s.confidence.shape == s.targets.shape == (12,)
    assert np.all((s.confidence >= 0.1 - 1e-6) & (s.confidence <= 1.0))  # the top of 10
    assert s.targets.tolist() == probe.data.val.numpy()[1][:12].tolist()
    probs = predict(probe.model, probe.data.val.numpy()[0][:12], "classification")
    assert s.predictions.tolist() == probs.argmax(axis=1).tolist()
    # a step snapshot without the confusion matrix still updates the samples
    again = probe.snapshot(2, 1, live=True, confusion=False)
    assert again.confusion is snap.confusion and again.samples is not snap.samples


# -- eval mode ---------------------------------------------------------------------------------
def bn_dropout_doc() -> Document:
    doc = Document()
    ids = [
        doc.add_node("Input", params={"shape": [2]}).id,
        doc.add_node("Linear", params={"out_features": 16}).id,
        doc.add_node("BatchNorm1d").id,
        doc.add_node("ReLU").id,
        doc.add_node("Dropout", params={"p": 0.5}).id,
        doc.add_node("Linear", params={"out_features": 2}).id,
        doc.add_node("Output").id,
    ]
    for a, b in zip(ids, ids[1:]):
        doc.connect(a, b)
    doc.set_dataset(MOONS)
    doc.set_training({"epochs": 1, "batch_size": 16})
    return doc


@pytest.mark.parametrize("training", [True, False])
def test_probing_runs_in_eval_mode_and_restores_the_previous_mode(training):
    probe, got = probe_for(bn_dropout_doc())
    model = probe.model
    model.train(training)
    stats = [b.numpy().copy() for b in model.buffers()]
    first = probe.snapshot()
    second = probe.snapshot()
    assert all(m.training is training for m in model.modules())
    # eval mode: no dropout (the same output twice), BatchNorm's running statistics unchanged
    np.testing.assert_array_equal(first.boundary.probs, second.boundary.probs)
    for before, after in zip(stats, model.buffers()):
        np.testing.assert_array_equal(before, after.numpy())
    x = np.zeros((3, 2), np.float32)
    predict(model, x, "classification")
    assert all(m.training is training for m in model.modules())


def test_a_probe_that_fails_stops_probing_but_not_the_run():
    probe, got = probe_for(moons_doc())
    probe.model = core.nn.Linear(3, 2)  # does not take the 2 features
    probe.on_step(step(1))
    assert got == [] and "insight views stopped at step 1" in probe.error
    probe.on_step(step(2))
    assert got == []


def test_a_probe_runs_inside_a_real_training_run():
    doc = moons_doc(training={"epochs": 2})
    got: list[InsightSnapshot] = []
    data = load_data(doc.dataset)
    probe = InsightProbe(data, got.append)

    trainer = document_trainer(doc, data=data, callbacks=[probe])
    probe.model = trainer.model
    result = trainer.run()
    assert result.epochs == 2 and probe.error is None
    assert got[-1].step == result.steps and got[-1].confusion.sum() == len(data.val)


# -- try it ----------------------------------------------------------------------------------------
def test_a_request_is_answered_at_the_next_step_even_when_no_snapshot_is_due():
    clock = Clock()
    probe, got = probe_for(moons_doc(), clock=clock)
    probe.on_step(step(1))  # a snapshot; the next is not due before 0.5 s
    answers = []
    x = np.array([[0.5, 0.25]], np.float32)
    probe.request(x, lambda x_, out: answers.append((x_, out)))
    assert answers == []
    probe.on_step(step(2))
    assert len(got) == 1 and len(answers) == 1
    x_, out = answers[0]
    assert x_ is x and out.shape == (1, 2)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(out, predict(probe.model, x, "classification"))


def test_a_request_made_in_the_last_epoch_is_answered_at_the_end():
    probe, got = probe_for(moons_doc())
    answers = []
    probe.request(np.zeros((2, 2), np.float32), lambda x, out: answers.append(out))
    probe.on_done(TrainResult(probe.model, [], {}, False, 1, 10, 0.1))
    assert len(answers) == 1 and answers[0].shape == (2, 2)


def test_predict_gives_probabilities_for_classification_and_values_for_regression():
    model = core.nn.Sequential(core.nn.Linear(3, 4))
    x = np.random.default_rng(1).normal(size=(5, 3))  # float64 input is taken as float32
    raw = predict(model, x)
    assert raw.shape == (5, 4) and raw.dtype == np.float32
    with core.no_grad():
        want = model(core.tensor(x.astype(np.float32))).numpy()
    np.testing.assert_allclose(raw, want, rtol=1e-6)
    probs = predict(model, x, "classification")
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert (probs.argmax(axis=1) == raw.argmax(axis=1)).all()


def test_predict_turns_one_logit_into_two_class_probabilities():
    model = core.nn.Linear(2, 1)
    x = np.array([[0.0, 0.0], [1.0, -1.0]], np.float32)
    probs = predict(model, x, "classification")
    logit = predict(model, x)[:, 0]
    assert probs.shape == (2, 2)
    np.testing.assert_allclose(probs[:, 1], 1 / (1 + np.exp(-logit)), rtol=1e-5)
