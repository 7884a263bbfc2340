"""Callbacks: gradient norms, recorded graphs, the metrics CSV, and callbacks that fail."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import core
import core.nn as nn
from core.train import Callback, CSVLogger, TrainError, document_trainer, fit, train_document

from .conftest import mlp_document


class Norms(Callback):
    def __init__(self) -> None:
        self.calls = []

    def on_grad_norms(self, step, norms):
        self.calls.append((step, norms))


def test_grad_norms_come_every_k_steps_per_parameter_and_match_the_gradients():
    doc = mlp_document(training={"epochs": 2})  # 6 steps per epoch
    norms = Norms()
    trainer = document_trainer(doc, callbacks=[norms], grad_norm_every=4)
    trainer.run()
    assert [s for s, _ in norms.calls] == [1, 5, 9]
    names = [n for n, _ in trainer.model.named_parameters()]
    assert all(list(n) == names for _, n in norms.calls)
    assert all(v > 0 and np.isfinite(v) for _, n in norms.calls for v in n.values())
    # the norms are those of the step's gradients: rerun step 1 by hand
    fresh = document_trainer(doc, grad_norm_every=4)  # same seed: same weights, same batch
    first = norms.calls[0][1]
    model = fresh.model
    gen = core.Generator().manual_seed(doc.training["seed"])
    loader = core.utils.data.DataLoader(
        fresh.data.train, batch_size=16, shuffle=True, generator=gen
    )
    x, y = next(iter(loader))
    core.nn.functional.cross_entropy(model(x), y).backward()
    for name, p in model.named_parameters():
        assert first[name] == pytest.approx(float(np.linalg.norm(p.grad.numpy())), rel=1e-5)


class Graphs(Callback):
    def __init__(self) -> None:
        self.calls = []

    def on_graph(self, step, recorder):
        self.calls.append((step, recorder))


def test_the_graph_is_sent_on_the_first_step_with_times_and_backward_then_only_on_change():
    doc = mlp_document(training={"epochs": 3})  # 96 samples: 6 full batches an epoch
    graphs = Graphs()
    train_document(doc, callbacks=[graphs], graph_every=2)
    assert [s for s, _ in graphs.calls] == [1]  # rechecked every 2 steps; never changed
    rec = graphs.calls[0][1]
    ops = rec.ops
    assert {n.scope for n in ops} >= {"linear1", "relu1", "linear2"}
    assert all(n.time is not None and n.time >= 0 for n in ops)
    assert any(n.kind == "backward" for n in rec.nodes)


class Switch(nn.Module):
    """Takes another path from the fourth call on: the executed graph changes."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        out = self.lin(x)
        return out.tanh() if self.calls > 4 else out


def test_a_changed_graph_is_sent_again_and_a_short_last_batch_is_not_a_change():
    ds = core.datasets.xor(n_samples=70, seed=0)  # 70 = 4 batches of 16 + a batch of 6
    graphs = Graphs()
    fit(Switch(), ds, {"epochs": 2, "batch_size": 16}, callbacks=[graphs], graph_every=1)
    steps = [s for s, _ in graphs.calls]
    # call 1 is the output check before training, so step 4 is the fifth call: tanh
    assert steps == [1, 4]
    assert "Tanh" in {n.op for n in graphs.calls[1][1].ops}
    assert "Tanh" not in {n.op for n in graphs.calls[0][1].ops}


def test_no_graph_is_recorded_when_no_callback_wants_it(monkeypatch):
    import core.train.trainer as trainer_module

    def refuse(*a, **k):
        raise AssertionError("recorded without a listener")

    monkeypatch.setattr(trainer_module, "record", refuse)
    train_document(mlp_document(), callbacks=[Norms()])


def test_csv_logger_writes_one_row_per_epoch_and_out_dir_gets_metrics_csv(tmp_path):
    doc = mlp_document(training={"epochs": 3})
    result = train_document(doc, out_dir=tmp_path / "run")
    with open(tmp_path / "run" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert list(rows[0]) == [
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
    ]
    for row, h in zip(rows, result.history):
        assert float(row["val_loss"]) == h["val_loss"]  # repr: exact round trip
    # a CSVLogger of one's own, anywhere
    train_document(doc, callbacks=[CSVLogger(tmp_path / "mine.csv")], epochs=1)
    assert len((tmp_path / "mine.csv").read_text().splitlines()) == 2


def test_an_unwritable_metrics_file_is_a_clear_error_not_a_callback_bug(tmp_path):
    (tmp_path / "run" / "metrics.csv").mkdir(parents=True)  # a folder where the file goes
    errors = Errors()
    with pytest.raises(TrainError) as info:
        train_document(mlp_document(), callbacks=[errors], out_dir=tmp_path / "run")
    err = info.value
    assert err.stage == "checkpoint"  # the run's output files, not a callback's bug
    assert "cannot write the metrics file" in err.message and "metrics.csv" in err.message
    assert "writable" in err.hint and "callback" not in str(err)
    assert errors.errors == [err]


class Refuses(Callback):
    def on_epoch(self, report):
        raise TrainError("the budget is spent", hint="raise the budget")


def test_a_train_error_from_a_callback_reaches_the_caller_as_it_is():
    with pytest.raises(TrainError) as info:
        train_document(mlp_document(), callbacks=[Refuses()])
    assert (info.value.message, info.value.hint) == ("the budget is spent", "raise the budget")
    assert info.value.result is not None and info.value.result.epochs == 1  # what it reached


class Boom(Callback):
    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_step(self, report):
        if report.step == self.at_step:
            raise ValueError("disk on fire")


class Errors(Callback):
    def __init__(self) -> None:
        self.errors = []

    def on_error(self, error):
        self.errors.append(error)


def test_a_failing_callback_stops_training_cleanly_and_is_named(tmp_path):
    doc = mlp_document(training={"epochs": 3})
    errors = Errors()
    trainer = document_trainer(doc, callbacks=[Boom(8), errors], out_dir=tmp_path)
    with pytest.raises(TrainError) as info:
        trainer.run()
    err = info.value
    assert err.stage == "callback"
    assert "Boom.on_step raised ValueError: disk on fire" in str(err)
    assert isinstance(err.__cause__, ValueError)
    assert errors.errors == [err]  # the other callbacks hear of it
    # the state is that of the last whole step: 8 steps, epoch 1 finished
    assert err.result.steps == 8 and err.result.epochs == 1 and len(err.result.history) == 1
    weights = [p.detach().numpy() for p in trainer.model.parameters()]
    assert all(np.isfinite(w).all() for w in weights)
    # the checkpoint written on the way out resumes (without the broken callback)
    assert err.result.checkpoint is not None
    resumed = train_document(doc, resume=err.result.checkpoint)
    assert resumed.epochs == 3 and resumed.steps == 18


def test_a_callback_may_be_any_object_with_some_of_the_methods():
    seen = []

    class Duck:
        def on_epoch(self, report):
            seen.append(report.epoch)

    train_document(mlp_document(), callbacks=[Duck()])
    assert seen == [1, 2]


class Failures(Callback):
    def __init__(self) -> None:
        self.errors = []
        self.started = False

    def on_start(self, info):
        self.started = True

    def on_error(self, error):
        self.errors.append(error)


@pytest.mark.parametrize(
    "change, stage",
    [
        ({"dataset": {"name": "no_such_set"}}, "data"),
        ({"dataset": {"name": "iris"}}, "setup"),  # 4 features into a 2-feature Input
    ],
)
def test_train_document_reports_a_setup_failure_to_on_error_too(change, stage):
    doc = mlp_document(**change)
    failures = Failures()
    with pytest.raises(TrainError) as info:
        train_document(doc, callbacks=iter([failures]))  # any iterable of callbacks
    assert info.value.stage == stage
    assert failures.errors == [info.value] and not failures.started


def test_a_model_that_cannot_be_built_reaches_on_error():
    doc = mlp_document()
    doc.disconnect(doc.edge_into("output1", "in"))
    failures = Failures()
    with pytest.raises(TrainError) as info:
        train_document(doc, callbacks=[failures])
    assert info.value.stage == "build" and failures.errors == [info.value]


def test_fit_reports_bad_settings_to_on_error_once():
    failures = Failures()
    with pytest.raises(TrainError) as info:
        fit(
            nn.Linear(2, 2),
            core.datasets.xor(n_samples=16),
            {"learning_rate": 0.1},
            callbacks=[failures],
        )
    assert "learning_rate" in str(info.value) and failures.errors == [info.value]
