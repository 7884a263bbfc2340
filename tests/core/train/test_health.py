"""Layer health: dead ReLUs, vanishing/exploding gradients and the NaN node, per canvas node."""

from __future__ import annotations

import dataclasses

import pytest

import core
import core.nn as nn
from core.train import Anomaly, Callback, TrainError, document_trainer, fit
from core.train.health import HealthMonitor, Issue, NodeHealth, sci

from .conftest import mlp_document


class Deliveries(list):
    """deliver() target: keeps every delivered dict."""

    @property
    def last(self) -> dict[str, NodeHealth]:
        return self[-1]


def started(model, **options) -> tuple[HealthMonitor, Deliveries]:
    """A monitor on ``model`` after on_start, as the trainer leaves it before step 1."""
    got = Deliveries()
    monitor = HealthMonitor(got.append, **options)
    monitor.model = model
    monitor.on_start(None)
    return monitor, got


@pytest.fixture
def model():
    """The MLP document's model: input1 -> linear1 -> relu1 -> linear2 -> output1."""
    return document_trainer(mlp_document()).model


def codes(health: NodeHealth) -> list[str]:
    return [i.code for i in health.issues]


# -- gradients (fake norms through on_grad_norms) ------------------------------------------
def test_grad_norms_are_grouped_per_node_as_the_l2_of_their_parameters(model):
    monitor, got = started(model)
    monitor.on_grad_norms(1, {"linear1.weight": 3.0, "linear1.bias": 4.0, "linear2.weight": 1.0})
    assert len(got) == 1
    assert got.last["linear1"].grad_norm == pytest.approx(5.0)
    assert got.last["linear2"].grad_norm == pytest.approx(1.0)
    assert all(h.issues == () for h in got.last.values())


def test_a_vanishing_gradient_is_an_issue_after_two_measurements_in_a_row(model):
    monitor, got = started(model)
    tiny = {"linear1.weight": 3e-9, "linear1.bias": 0.0, "linear2.weight": 0.2}
    monitor.on_grad_norms(1, tiny)
    assert codes(got.last["linear1"]) == []  # once is not enough
    monitor.on_grad_norms(11, tiny)
    (issue,) = got.last["linear1"].issues
    assert (issue.severity, issue.code, issue.badge) == ("warning", "vanishing", "\u2207 3e-9")
    assert "3.0e-09" in issue.tooltip and "BatchNorm" in issue.tooltip
    assert codes(got.last["linear2"]) == []
    monitor.on_grad_norms(21, {"linear1.weight": 0.1, "linear2.weight": 0.2})
    assert codes(got.last["linear1"]) == []  # it recovered: the badge goes


def test_an_exploding_gradient_is_an_absolute_norm_above_the_threshold(model):
    monitor, got = started(model, exploding=1e3)
    for step in (1, 11):
        monitor.on_grad_norms(step, {"linear2.weight": 4e4, "linear1.weight": 0.5})
    (issue,) = got.last["linear2"].issues
    assert (issue.code, issue.badge) == ("exploding", "\u2207 4e+4")
    assert "grad_clip" in issue.tooltip and "learning rate" in issue.tooltip
    assert codes(got.last["linear1"]) == []


def test_a_gradient_that_grows_100x_over_its_first_measurement_explodes(model):
    monitor, got = started(model)
    monitor.on_grad_norms(1, {"linear1.weight": 0.5, "linear2.weight": 1e-3})
    for step in (11, 21):  # 160x; linear2 grows 500x, but stays below 1: harmless
        monitor.on_grad_norms(step, {"linear1.weight": 80.0, "linear2.weight": 0.5})
    assert codes(got.last["linear1"]) == ["exploding"]
    assert "160x" in got.last["linear1"].issues[0].tooltip
    assert codes(got.last["linear2"]) == []


def test_a_condition_that_does_not_hold_twice_in_a_row_never_shows(model):
    monitor, got = started(model)
    for step in range(1, 100, 10):
        norm = 1e-9 if step % 20 == 1 else 5e4  # vanishing, exploding, vanishing, ...
        monitor.on_grad_norms(step, {"linear1.weight": norm})
        assert codes(got.last["linear1"]) == []


def test_badge_numbers_are_short():
    assert [sci(x) for x in (3e-9, 4.2e4, 0.0, 1.5e-12)] == ["3e-9", "4e+4", "0", "2e-12"]


# -- dead units (real runs) ----------------------------------------------------------------
def run(doc, monitor_options=None, prepare=None, **trainer_options):
    got = Deliveries()
    monitor = HealthMonitor(got.append, **(monitor_options or {}))
    trainer = document_trainer(doc, callbacks=[monitor], **trainer_options)
    monitor.model = trainer.model
    if prepare is not None:
        prepare(trainer.model)
    trainer.run()
    return got, trainer


def test_a_relu_behind_a_large_negative_bias_is_all_dead():
    def kill(model):
        nn.init.constant_(model.linear1.bias, -100.0)  # every pre-activation < 0

    got, _ = run(mlp_document(), {"every": 3}, kill)
    relu = got.last["relu1"]
    assert relu.dead_fraction == 1.0 and relu.grad_norm is None
    (issue,) = relu.issues
    assert (issue.severity, issue.code, issue.badge) == ("warning", "dead_relu", "100% dead")
    assert "LeakyReLU" in issue.tooltip and "learning rate" in issue.tooltip
    # nothing flows back through dead units: the layer before them gets no gradient at all
    assert got.last["linear1"].grad_norm == 0.0
    assert codes(got.last["linear1"]) == ["vanishing"]
    assert got.last["linear1"].issues[0].badge == "\u2207 0"
    assert "relu1" not in {n for n, h in got[0].items() if h.issues}  # the 1st measurement


def test_a_normally_initialised_relu_has_few_dead_units():
    moons = {"name": "moons", "options": {"n_samples": 200}}
    got, _ = run(mlp_document(dataset=moons), {"every": 3})
    relu = got.last["relu1"]
    assert relu.dead_fraction is not None and relu.dead_fraction < 0.5
    assert all(h.issues == () for h in got.last.values())
    assert set(got.last) == {"linear1", "relu1", "linear2"}  # Input/Output: nothing to measure


def test_the_hook_runs_only_in_the_forward_of_measured_training_steps():
    doc = mlp_document(training={"epochs": 3})  # 6 steps per epoch, 18 in all
    seen = []  # (step about to run, training?, health hook present?) per forward of relu1

    class Steps(Callback):
        step = 1

        def on_step(self, report):
            self.step = report.step + 1

    steps = Steps()

    def spy(model):
        relu = model.relu1
        relu.register_forward_pre_hook(
            lambda m, args: seen.append((steps.step, m.training, len(m._forward_hooks) > 0))
        )

    got = Deliveries()
    monitor = HealthMonitor(got.append, every=5)
    trainer = document_trainer(doc, callbacks=[monitor, steps])
    monitor.model = trainer.model
    spy(trainer.model)
    trainer.run()
    hooked = [step for step, training, hook in seen if training and hook]
    assert hooked == [1, 6, 11, 16]
    assert len([s for s, training, _ in seen if training]) == 18
    assert not trainer.model.relu1._forward_hooks  # nothing left behind
    measured = [h["relu1"].dead_fraction for h in got if "relu1" in h]
    assert measured and all(0 <= f <= 1 for f in measured)


def test_a_plain_module_reports_per_top_level_submodule():
    net = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    x = core.randn(64, 2)
    y = (x[:, 0] > 0).long()
    ds = core.utils.data.TensorDataset(x, y)
    got = Deliveries()
    monitor = HealthMonitor(got.append, every=2)
    monitor.model = net
    fit(net, ds, {"batch_size": 16, "epochs": 2}, callbacks=[monitor])
    assert set(got.last) == {"0", "1", "2"}
    assert got.last["1"].dead_fraction is not None and got.last["0"].grad_norm > 0


def test_a_monitor_without_a_model_stops_the_run_saying_what_to_set():
    monitor = HealthMonitor(lambda health: None)
    trainer = document_trainer(mlp_document(), callbacks=[monitor])
    with pytest.raises(TrainError, match="monitor.model = trainer.model"):
        trainer.run()


# -- NaN ------------------------------------------------------------------------------------
def test_a_train_error_with_an_anomaly_marks_its_node_at_once(model):
    monitor, got = started(model)
    monitor.on_grad_norms(1, {"linear1.weight": 0.3, "linear2.weight": 0.2})
    anomaly = Anomaly(where="forward", step=3, epoch=1, op="Linear", node_id="linear2")
    monitor.on_error(TrainError("loss became non-finite", stage="anomaly", anomaly=anomaly))
    assert len(got) == 2
    (issue,) = got.last["linear2"].issues
    assert (issue.severity, issue.code, issue.badge) == ("error", "nan", "NaN")
    assert anomaly.describe()[1:] in issue.tooltip
    assert got.last["linear2"].severity == "error"
    assert got.last["linear1"].grad_norm == pytest.approx(0.3)  # the full health, still


def test_errors_without_a_node_deliver_nothing(model):
    monitor, got = started(model)
    monitor.on_error(TrainError("the training set is empty", stage="data"))
    input_nan = Anomaly(where="input", step=1, epoch=1)
    monitor.on_error(TrainError("non-finite", stage="anomaly", anomaly=input_nan))
    assert got == []


def test_a_real_overflow_marks_the_node_the_anomaly_names():
    got = Deliveries()
    monitor = HealthMonitor(got.append)
    trainer = document_trainer(mlp_document(), callbacks=[monitor])
    monitor.model = trainer.model
    with core.no_grad():  # finite weights whose products overflow float32
        trainer.model.linear1.weight[0] = 3e38
        trainer.model.linear1.bias[0] = 3e38
    with pytest.raises(TrainError):
        trainer.run()
    (issue,) = got.last["linear1"].issues
    assert (issue.code, issue.badge, issue.severity) == ("nan", "Inf", "error")
    assert "node 'linear1'" in issue.tooltip and "Try: lower the learning rate" in issue.tooltip
    assert not trainer.model.relu1._forward_hooks  # the armed hook went with the run


# -- records ---------------------------------------------------------------------------------
def test_records_are_frozen_and_issues_sort_errors_first():
    warn = Issue("warning", "dead_relu", "90% dead", "...")
    err = Issue("error", "nan", "NaN", "...")
    health = NodeHealth("relu1", None, 0.9, (warn,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        health.dead_fraction = 0.1
    assert health.severity == "warning"
    assert NodeHealth("x", 1.0, None).severity is None
    assert NodeHealth("x", 1.0, None, (err, warn)).severity == "error"
