"""RunLog keeps what a run reported: growing series, smoothing, CSV files, progress."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from core.train.history import (
    ProgressInfo,
    RunLog,
    Series,
    Smoother,
    group_by_node,
    progress_of,
    smooth,
)
from core.train.reports import EpochReport, StepReport, TrainInfo


def train_info(epochs: int = 3, steps_per_epoch: int = 10, **kw) -> TrainInfo:
    values = dict(
        epochs=epochs,
        start_epoch=0,
        steps_per_epoch=steps_per_epoch,
        total_steps=epochs * steps_per_epoch,
        batch_size=32,
        device="cpu",
        task="classification",
        loss="cross_entropy",
        metrics=("train_loss", "train_accuracy", "val_loss", "val_accuracy"),
        monitor="val_accuracy",
        n_params=100,
        train_samples=320,
        val_samples=80,
        data="moons: 400 samples",
        settings={},
        out_dir=None,
        resumed=None,
    )
    values.update(kw)
    return TrainInfo(**values)


def step_report(step: int, loss: float, *, spe: int = 10, lr: float = 0.1, elapsed=None):
    epoch = (step - 1) // spe + 1
    return StepReport(
        epoch=epoch,
        step=step,
        batch=(step - 1) % spe + 1,
        batches=spe,
        loss=loss,
        lr=lr,
        samples_per_s=1000.0,
        seconds=0.01,
        elapsed=step * 0.01 if elapsed is None else elapsed,
    )


def epoch_report(epoch: int, spe: int = 10, **metrics) -> EpochReport:
    metrics = metrics or {
        "train_loss": 1.0 / epoch,
        "train_accuracy": 0.5 + 0.1 * epoch,
        "val_loss": 1.2 / epoch,
        "val_accuracy": 0.45 + 0.1 * epoch,
    }
    return EpochReport(
        epoch=epoch, metrics=metrics, lr=0.1, seconds=0.2, step=epoch * spe, best=True
    )


def full_run(epochs: int = 3, spe: int = 10) -> RunLog:
    run = RunLog(1, "run 1", settings={"lr": 0.1}, dataset={"name": "moons"})
    run.start(train_info(epochs, spe))
    for step in range(1, epochs * spe + 1):
        run.add_step(step_report(step, 1.0 / step, spe=spe))
        if step % spe == 0:
            run.add_epoch(epoch_report(step // spe, spe))
    return run


# -- Series --------------------------------------------------------------------------------
def test_series_grows_past_its_capacity_and_keeps_every_point():
    s = Series(capacity=4)
    for i in range(10):
        s.append(i, i * i)
    s.extend(np.arange(10, 1000), np.arange(10, 1000) ** 2)
    assert len(s) == 1000
    np.testing.assert_array_equal(s.x, np.arange(1000.0))
    np.testing.assert_array_equal(s.y, np.arange(1000.0) ** 2)
    assert s.last == (999.0, 998001.0)
    assert s.x.dtype == np.float64


def test_an_empty_series_has_no_last_point_and_extend_checks_lengths():
    s = Series()
    assert s.last is None and len(s) == 0 and len(s.x) == 0
    with pytest.raises(ValueError, match="3 x values but 2 y values"):
        s.extend([1, 2, 3], [1, 2])


# -- smooth --------------------------------------------------------------------------------
def reference_smooth(values, weight):
    """TensorBoard's smoothing, written as its loop."""
    last, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return np.array(out)


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.9, 0.99])
def test_smooth_matches_tensorboards_debiased_ema(weight):
    y = np.random.default_rng(0).normal(1.0, 0.5, 3000)
    np.testing.assert_allclose(smooth(y, weight), reference_smooth(y, weight), rtol=1e-9)


def test_smooth_leaves_nan_where_it_is_and_the_rest_unharmed():
    y = np.array([1.0, 2.0, math.nan, 4.0, math.inf, 5.0])
    out = smooth(y, 0.5)
    assert math.isnan(out[2]) and out[4] == math.inf
    np.testing.assert_allclose(out, reference_smooth(y, 0.5))
    assert out[0] == 1.0  # debiased: the first point is the value itself


def test_smooth_of_nothing_is_nothing_and_weight_one_is_refused():
    assert len(smooth(np.array([]), 0.9)) == 0
    with pytest.raises(ValueError, match="below 1"):
        smooth(np.ones(3), 1.0)


# -- group_by_node -------------------------------------------------------------------------
def test_group_by_node_takes_the_l2_of_each_nodes_parameters():
    norms = {"fc1.weight": 3.0, "fc1.bias": 4.0, "fc2.weight": 1.0, "scale": 2.0}
    nodes = {"fc1": "linear1", "fc2": "linear2"}
    grouped = group_by_node(norms, nodes.get)
    assert grouped == {"linear1": 5.0, "linear2": 1.0, "(other)": 2.0}
    assert list(grouped) == ["linear1", "linear2", "(other)"]


def test_group_by_node_uses_the_scope_of_nested_parameters():
    seen = []

    def node_of(scope):
        seen.append(scope)
        return scope.split(".")[0] or None

    grouped = group_by_node({"enc1.layers.0.weight": 1.0, "enc1.norm.bias": 1.0}, node_of)
    assert seen == ["enc1.layers.0", "enc1.norm"]
    assert grouped == {"enc1": pytest.approx(math.sqrt(2))}


# -- RunLog --------------------------------------------------------------------------------
def test_runlog_keeps_steps_epochs_and_grad_norms_as_series():
    run = full_run()
    run.add_grad_norms(1, {"linear1": 0.5, "linear2": 0.25})
    run.add_grad_norms(11, {"linear1": 0.4, "linear2": 0.2, "(other)": 0.1})
    assert run.steps_per_epoch == 10 and run.last_step == 30 and run.last_epoch == 3
    loss = run.series("loss")
    assert len(loss) == 30 and loss.last == (30.0, 1 / 30)
    assert run.series("lr").y[0] == 0.1 and len(run.series("samples_per_s")) == 30
    assert run.metric_names() == ["train_loss", "train_accuracy", "val_loss", "val_accuracy"]
    np.testing.assert_array_equal(run.series("val_loss").x, [1, 2, 3])
    assert len(run.series("epoch_lr")) == 3
    assert run.grad_names() == ["linear1", "linear2", "(other)"]
    np.testing.assert_array_equal(run.series("grad/linear1").x, [1, 11])
    assert run.series("grad/(other)").last == (11.0, 0.1)
    assert run.series("nope") is None
    assert {"loss", "lr", "val_accuracy", "grad/linear2"} <= set(run.names())
    assert run.epochs[0] == {
        "epoch": 1,
        "train_loss": 1.0,
        "train_accuracy": 0.6,
        "val_loss": 1.2,
        "val_accuracy": 0.55,
        "lr": 0.1,
    }


def test_before_start_a_runlog_is_empty():
    run = RunLog(7, "fresh")
    assert run.steps_per_epoch == 0 and run.last_step == 0 and run.last_epoch == 0
    assert run.names() == [] and run.epochs == [] and run.key_metric() is None
    assert run.status == "running" and run.error is None and run.result_metrics == {}


def test_a_nan_loss_is_kept_as_nan():
    run = RunLog(1, "nan")
    run.start(train_info())
    run.add_step(step_report(1, 0.7))
    run.add_step(step_report(2, math.nan))
    assert math.isnan(run.series("loss").y[1])
    assert len(run.series("loss")) == 2


def test_key_metric_is_the_best_of_the_monitored_metric():
    run = full_run()
    assert run.key_metric() == ("val_accuracy", pytest.approx(0.75))
    reg = RunLog(2, "reg")
    reg.start(train_info(monitor="val_loss", task="regression"))
    reg.add_epoch(epoch_report(1, train_loss=0.5, val_loss=0.4))
    reg.add_epoch(epoch_report(2, train_loss=0.3, val_loss=0.45))
    assert reg.key_metric() == ("val_loss", 0.4)


def test_a_resumed_run_starts_with_the_epochs_it_already_had():
    run = RunLog(1, "resumed")
    history = (
        {"epoch": 1, "train_loss": 0.9, "lr": 0.1},
        {"epoch": 2, "train_loss": 0.7, "lr": 0.1},
    )
    run.start(train_info(epochs=4, start_epoch=2, history=history))
    assert run.last_epoch == 2
    np.testing.assert_array_equal(run.series("train_loss").y, [0.9, 0.7])


def test_finish_sets_status_error_and_end_time():
    run = full_run()
    run.finish("failed", error="loss became NaN", metrics={"val_loss": 0.1})
    assert run.status == "failed" and run.error == "loss became NaN"
    assert run.result_metrics == {"val_loss": 0.1} and run.ended is not None
    assert run.duration() == pytest.approx(run.ended - run.started)
    with pytest.raises(ValueError, match="unknown run status 'done'"):
        run.finish("done")


def test_to_csv_writes_one_row_per_epoch(tmp_path):
    run = full_run()
    path = tmp_path / "metrics.csv"
    run.to_csv(path)
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "epoch",
        "step",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
    ]
    assert len(rows) == 4
    assert rows[1][:2] == ["1", "10"] and float(rows[3][4]) == pytest.approx(0.4)
    assert float(rows[2][-1]) == 0.1
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_steps_to_csv_round_trips_the_loss_curve_nan_included(tmp_path):
    run = full_run()
    run.add_step(step_report(31, math.nan))
    path = tmp_path / "steps.csv"
    run.steps_to_csv(path)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "epoch", "loss", "lr"]
    assert len(rows) == 31
    loss = np.array([float(r["loss"]) for r in rows])
    np.testing.assert_array_equal(loss[:30], run.series("loss").y[:30])
    assert math.isnan(loss[30]) and rows[30]["loss"] == "nan"
    assert float(rows[4]["epoch"]) == 0.5 and int(rows[4]["step"]) == 5


def test_csv_of_an_unwritable_place_raises_oserror_naming_it(tmp_path):
    target = tmp_path / "missing" / "m.csv"
    with pytest.raises(OSError) as err:
        full_run().to_csv(target)
    assert str(target) in str(err.value)


# -- progress ------------------------------------------------------------------------------
def test_no_progress_before_start():
    assert progress_of(RunLog(1, "x"), 0.0) is None


def test_progress_measures_steps_per_second_and_eta():
    run = RunLog(1, "p")
    run.start(train_info(epochs=10, steps_per_epoch=100))
    for step in range(1, 201):
        run.add_step(step_report(step, 1.0, spe=100, elapsed=step * 0.02))  # 50 steps/s
    p = progress_of(run, run._arrived)
    assert isinstance(p, ProgressInfo)
    assert (p.step, p.total_steps, p.epoch, p.epochs) == (200, 1000, 2, 10)
    assert p.steps_per_s == pytest.approx(50.0)
    assert p.eta_s == pytest.approx(800 / 50.0)
    assert p.fraction == 0.2
    later = progress_of(run, run._arrived + 3.0)
    assert later.eta_s == pytest.approx(16.0 - 3.0)  # counts down between reports
    assert later.elapsed_s >= p.elapsed_s


def test_a_pause_does_not_slow_the_measured_speed():
    run = RunLog(1, "p")
    run.start(train_info(epochs=10, steps_per_epoch=100))
    for step in range(1, 11):
        run.add_step(step_report(step, 1.0, spe=100, elapsed=step * 0.1))
    for step in range(11, 21):  # resumed after a 5 s pause
        run.add_step(step_report(step, 1.0, spe=100, elapsed=5 + step * 0.1))
    assert progress_of(run, run._arrived).steps_per_s == pytest.approx(10.0)


def test_a_finished_run_has_nothing_left():
    run = full_run()
    run.finish("finished")
    p = progress_of(run, run.ended + 100)
    assert p.eta_s == 0.0 and p.step == p.total_steps == 30 and p.epoch == 3
    assert p.elapsed_s == pytest.approx(run.ended - run.started)


def test_a_series_smoothed_piece_by_piece_equals_it_smoothed_whole():
    rng = np.random.default_rng(0)
    y = rng.random(500)
    y[[3, 250]] = np.nan
    smoother = Smoother(0.8)
    pieces = [smoother.extend(y[a:b]) for a, b in ((0, 1), (1, 120), (120, 500))]
    np.testing.assert_allclose(np.concatenate(pieces), smooth(y, 0.8), equal_nan=True)
    assert smoother.count == 498  # the NaNs pass through uncounted
