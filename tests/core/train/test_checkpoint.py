"""Checkpoints: written each epoch and on stop, best by the monitored metric, and a
resumed run continues exactly as the uninterrupted one."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.train import (
    Callback,
    TrainControl,
    TrainError,
    load_checkpoint,
    load_weights,
    train_document,
)

from .conftest import mlp_document


def weights(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k]), k


class StopAt(Callback):
    """Stops the run at an epoch's end or after a step."""

    def __init__(self, control, *, epoch=None, step=None) -> None:
        self.control, self.epoch, self.step = control, epoch, step

    def on_epoch(self, report):
        if report.epoch == self.epoch:
            self.control.stop()

    def on_step(self, report):
        if report.step == self.step:
            self.control.stop()


# dropout would make a mistake in the random state visible; the scheduler and Adam's state
# make a mistake in the optimizer state visible
SETTINGS = {"epochs": 4, "scheduler": "step", "step_size": 1, "gamma": 0.7, "seed": 3}


def straight():
    doc = mlp_document(training=SETTINGS, dropout=0.3)
    return doc, train_document(doc)


def test_stop_after_two_epochs_then_resume_equals_four_straight(tmp_path):
    doc, full = straight()
    control = TrainControl()
    part = train_document(
        doc, out_dir=tmp_path, control=control, callbacks=[StopAt(control, epoch=2)]
    )
    assert part.stopped and part.epochs == 2 and part.checkpoint == str(tmp_path / "last.ckpt")
    rest = train_document(doc, out_dir=tmp_path, resume=part.checkpoint)
    assert rest.history == full.history  # losses, accuracies and lrs, bit for bit
    assert rest.steps == full.steps and not rest.stopped
    assert_same(weights(rest.model), weights(full.model))
    # the CSV holds each epoch once
    lines = (tmp_path / "metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch", "1", "2", "3", "4"]


def test_a_stop_in_the_middle_of_an_epoch_resumes_exactly(tmp_path):
    doc, full = straight()
    control = TrainControl()
    part = train_document(
        doc, out_dir=tmp_path, control=control, callbacks=[StopAt(control, step=9)]
    )
    assert part.stopped and part.steps == 9 and part.epochs == 1
    state = load_checkpoint(part.checkpoint)
    assert state["batch"] == 3 and state["epoch"] == 1 and state["step"] == 9
    rest = train_document(doc, resume=part.checkpoint)
    assert rest.history == full.history
    assert_same(weights(rest.model), weights(full.model))


def test_best_checkpoint_follows_the_monitored_metric(tmp_path):
    doc = mlp_document(training={"epochs": 5, "lr": 0.03})
    doc.set_meta({"goal_metric": "val_loss", "goal_mode": "min"})
    result = train_document(doc, out_dir=tmp_path)
    losses = [h["val_loss"] for h in result.history]
    assert result.monitor == "val_loss"
    assert result.best == min(losses) and result.best_epoch == 1 + losses.index(min(losses))
    best = load_checkpoint(result.best_checkpoint)
    assert best["epoch"] == result.best_epoch
    # weights load into a fresh model built from the document
    from core.model.build import build

    model = build(doc)
    load_weights(model, result.best_checkpoint)
    assert_same(weights(model), {k: v.numpy() for k, v in best["model"].items()})


def test_resume_refuses_what_cannot_continue(tmp_path):
    doc, _ = straight()
    result = train_document(doc, out_dir=tmp_path)
    with pytest.raises(TrainError, match="(?s)4 epochs done.*more than 4"):
        train_document(doc, resume=result.checkpoint)
    wider = mlp_document(hidden=8, training=SETTINGS, dropout=0.3)
    with pytest.raises(TrainError, match="do not fit this model") as info:
        train_document(wider, resume=result.checkpoint, epochs=6)
    assert info.value.stage == "checkpoint"
    other = mlp_document(training={**SETTINGS, "batch_size": 8}, dropout=0.3)
    with pytest.raises(TrainError, match="batch_size=16"):
        train_document(other, resume=result.checkpoint, epochs=6)
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(TrainError, match="junk.ckpt"):
        train_document(doc, resume=tmp_path / "junk.ckpt", epochs=6)
    core.save({"w": core.zeros(2)}, tmp_path / "weights.safetensors")
    with pytest.raises(TrainError, match="not an Ember training checkpoint"):
        load_checkpoint(tmp_path / "weights.safetensors")
    with pytest.raises(TrainError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_more_epochs_after_a_finished_run_continue_from_it(tmp_path):
    doc = mlp_document(training={"epochs": 2})
    first = train_document(doc, out_dir=tmp_path)
    more = train_document(doc, resume=first.checkpoint, epochs=3)
    assert [h["epoch"] for h in more.history] == [1, 2, 3]
    assert more.history[:2] == first.history


def test_resume_refusal_counts_one_epoch_in_the_singular(tmp_path):
    doc = mlp_document(training=SETTINGS, dropout=0.3)
    result = train_document(doc, out_dir=tmp_path, epochs=1)
    with pytest.raises(TrainError, match="has 1 epoch done, and the run is set to end after 1"):
        train_document(doc, resume=result.checkpoint, epochs=1)
