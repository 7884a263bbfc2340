"""MetricsPlots draws the runs it is shown: loss, metric, learning rate, gradient norms."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from core.train.history import RunLog, smooth
from tests.core.train.test_history import epoch_report, step_report, train_info
from widgets import theme
from widgets.metrics_plots import (
    DEFAULT_SMOOTHING,
    HINTS,
    MAX_LABELLED_LAYERS,
    NO_GRADS,
    NO_METRIC,
    PICK_RUN,
    WAIT_GRADS,
    WAIT_METRIC,
    MetricsPlots,
)

SPE = 10  # steps per epoch of the runs below


def make_run(
    run_id: int,
    epochs: int = 3,
    *,
    layers: int = 3,
    regression: bool = False,
    name: str | None = None,
) -> RunLog:
    """A run fed with real report records: SPE steps per epoch, grad norms every 5 steps."""
    run = RunLog(run_id, name or f"run {run_id}")
    task = "regression" if regression else "classification"
    run.start(
        train_info(epochs, SPE, task=task, monitor="val_loss" if regression else "val_accuracy")
    )
    rng = np.random.default_rng(run_id)
    for step in range(1, epochs * SPE + 1):
        loss = 1.0 / math.sqrt(step) + 0.1 * rng.random()
        run.add_step(step_report(step, loss, spe=SPE, lr=0.1 / step))
        if step % 5 == 1:
            run.add_grad_norms(step, {f"layer{i}": 10.0**-i * loss for i in range(layers)})
        if step % SPE == 0:
            e = step // SPE
            if regression:
                metrics = {
                    "train_loss": 1 / e,
                    "val_loss": 1.1 / e,
                    "val_mae": 0.5 / e,
                    "val_r2": 1 - 0.5 / e,
                }
                run.add_epoch(epoch_report(e, SPE, **metrics))
            else:
                run.add_epoch(epoch_report(e, SPE))
    return run


@pytest.fixture
def plots(qtbot):
    widget = MetricsPlots()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def data(item):
    """A curve's data as given to setData (before log scaling), empty arrays when none."""
    x, y = item.xData, item.yData
    return np.asarray(x if x is not None else []), np.asarray(y if y is not None else [])


def pen_of(item):
    return item.opts["pen"]


# -- empty state --------------------------------------------------------------------------
def test_without_runs_every_plot_says_how_to_fill_it(plots):
    for panel, text in HINTS.items():
        assert plots.hint_text(panel) == text
    assert plots.hint_text("loss") == "Press Train to see the loss here"
    assert not plots.csv_button.isEnabled() and not plots.png_button.isEnabled()


def test_the_hints_go_once_a_run_is_shown(plots):
    plots.show_runs([make_run(1)], 1)
    assert plots.hint_text("loss") is None and plots.hint_text("grad") is None
    plots.show_runs([], None)
    assert plots.hint_text("loss") == HINTS["loss"]


def test_panels_without_data_yet_say_when_it_comes(plots):
    run = RunLog(1, "fresh")
    run.start(train_info(3, SPE))
    run.add_step(step_report(1, 0.9, spe=SPE))
    plots.show_runs([run], 1)
    assert plots.hint_text("metric") == WAIT_METRIC
    assert plots.hint_text("grad") == WAIT_GRADS
    assert plots.hint_text("loss") is None
    run.add_epoch(epoch_report(1, SPE, train_loss=0.5, val_loss=0.6))
    run.finish("finished")
    plots.refresh()
    assert plots.hint_text("metric") == NO_METRIC
    assert plots.hint_text("grad") == NO_GRADS


def test_without_a_current_run_the_gradient_plot_asks_for_one(plots):
    plots.show_runs([make_run(1), make_run(2)], None)
    assert plots.hint_text("grad") == PICK_RUN


# -- curves --------------------------------------------------------------------------------
def test_curves_get_the_runs_data(plots):
    run = make_run(1)
    plots.show_runs([run], 1)
    curves = plots.curves_of(1)
    x, y = data(curves["loss"])
    np.testing.assert_array_equal(x, np.arange(1, 31))
    np.testing.assert_array_equal(y, run.series("loss").y)
    _, smoothed = data(curves["loss_smooth"])
    np.testing.assert_allclose(smoothed, smooth(run.series("loss").y, DEFAULT_SMOOTHING))
    x, y = data(curves["val_loss"])
    np.testing.assert_array_equal(x, [10, 20, 30])  # epoch ends, in steps
    np.testing.assert_array_equal(y, run.series("val_loss").y)
    np.testing.assert_array_equal(data(curves["lr"])[1], run.series("lr").y)
    assert plots.current_metric() == "accuracy"
    np.testing.assert_array_equal(data(curves["metric_val"])[1], run.series("val_accuracy").y)
    np.testing.assert_array_equal(data(curves["metric_train"])[1], run.series("train_accuracy").y)
    assert pen_of(curves["metric_train"]).style() == Qt.PenStyle.DashLine
    assert pen_of(curves["metric_val"]).style() == Qt.PenStyle.SolidLine


def test_refresh_picks_up_new_steps_and_signals(plots, qtbot):
    run = make_run(1, epochs=1)
    plots.show_runs([run], 1)
    count = plots.refresh_count
    run.add_step(step_report(11, 0.25, spe=SPE))
    with qtbot.waitSignal(plots.refreshed):
        plots.refresh()
    assert plots.refresh_count == count + 1
    x, y = data(plots.curves_of(1)["loss"])
    assert len(x) == 11 and y[-1] == 0.25


def test_curves_are_persistent_items_fed_with_set_data(plots):
    run = make_run(1, epochs=1)
    plots.show_runs([run], 1)
    before = plots.curves_of(1)
    items = list(plots.plots["loss"].items)
    run.add_step(step_report(11, 0.25, spe=SPE))
    plots.refresh()
    assert plots.curves_of(1) == before
    assert list(plots.plots["loss"].items) == items


def test_two_runs_overlay_in_two_colours_the_current_one_thicker(plots):
    plots.show_runs([make_run(1), make_run(2)], 2)
    one, two = plots.curves_of(1)["loss_smooth"], plots.curves_of(2)["loss_smooth"]
    assert one in plots.plots["loss"].items and two in plots.plots["loss"].items
    assert pen_of(one).color() != pen_of(two).color()
    assert pen_of(two).widthF() > pen_of(one).widthF()
    assert two.zValue() > one.zValue()
    labels = [label.text for _sample, label in plots.legends["loss"].items]
    assert labels == ["run 1", "run 2"]


def test_a_runs_colour_stays_when_others_come_and_go(plots):
    plots.show_runs([make_run(1), make_run(2)], 2)
    color = pen_of(plots.curves_of(2)["lr"]).color()
    plots.show_runs([make_run(2)], 2)
    assert pen_of(plots.curves_of(2)["lr"]).color() == color


def test_removing_a_run_removes_its_curves(plots):
    one, two = make_run(1), make_run(2)
    plots.show_runs([one, two], 1)
    items = plots.curves_of(2)
    plots.show_runs([one], 1)
    assert plots.curves_of(2) == {}
    for plot in plots.plots.values():
        assert not any(item in plot.items for item in items.values())
    assert plots.legends["loss"].items == []  # one run: the title's key says it all
    assert not plots.legends["loss"].isVisible()


def test_a_renamed_run_is_renamed_in_the_legend(plots):
    one, two = make_run(1), make_run(2)
    plots.show_runs([one, two], 1)
    one.name = "baseline"
    plots.refresh()
    labels = [label.text for _s, label in plots.legends["loss"].items]
    assert "baseline" in labels and "run 1" not in labels


# -- controls ------------------------------------------------------------------------------
def test_the_epoch_axis_scales_x(plots):
    plots.show_runs([make_run(1)], 1)
    plots.set_x_axis("epoch")
    assert plots.x_combo.currentData() == "epoch"
    x, _ = data(plots.curves_of(1)["loss"])
    np.testing.assert_allclose(x, np.arange(1, 31) / SPE)
    np.testing.assert_array_equal(data(plots.curves_of(1)["val_loss"])[0], [1, 2, 3])
    assert plots.plots["loss"].getAxis("bottom").labelText == "epoch"
    plots.x_combo.setCurrentIndex(0)  # the combo sets it back
    assert plots.x_axis() == "step"
    np.testing.assert_array_equal(data(plots.curves_of(1)["loss"])[0], np.arange(1, 31))
    with pytest.raises(ValueError, match="unknown x axis 'time'"):
        plots.set_x_axis("time")


def test_smoothing_changes_the_smoothed_loss(plots):
    run = make_run(1)
    plots.show_runs([run], 1)
    plots.set_smoothing(0)
    np.testing.assert_array_equal(data(plots.curves_of(1)["loss_smooth"])[1], run.series("loss").y)
    plots.smoothing_slider.setValue(90)
    assert plots.smoothing() == pytest.approx(0.9)
    assert plots.smoothing_label.text() == "0.90"
    np.testing.assert_allclose(
        data(plots.curves_of(1)["loss_smooth"])[1], smooth(run.series("loss").y, 0.9)
    )
    plots.set_smoothing(5)  # clamped
    assert plots.smoothing() == 0.99


def test_log_scale_applies_to_the_loss_plot(plots):
    plots.show_runs([make_run(1)], 1)
    plots.log_check.setChecked(True)
    assert plots.log_y()
    assert plots.curves_of(1)["loss"].opts["logMode"][1]
    plots.set_log_y(False)
    assert not plots.log_check.isChecked()
    assert not plots.curves_of(1)["loss"].opts["logMode"][1]


def test_a_regression_run_offers_its_metrics_in_the_combo(plots):
    run = make_run(1, regression=True)
    plots.show_runs([run], 1)
    assert plots.metric_choices() == ["mae", "r2"]
    assert not plots.metric_combo.isHidden()
    plots.metric_combo.setCurrentIndex(1)
    assert plots.current_metric() == "r2"
    np.testing.assert_array_equal(data(plots.curves_of(1)["metric_val"])[1], run.series("val_r2").y)
    assert len(data(plots.curves_of(1)["metric_train"])[0]) == 0  # no train_r2
    with pytest.raises(ValueError, match="no metric 'accuracy'"):
        plots.set_metric("accuracy")


def test_one_metric_needs_no_combo(plots):
    plots.show_runs([make_run(1)], 1)
    assert plots.metric_choices() == ["accuracy"] and plots.metric_combo.isHidden()


# -- gradient norms ------------------------------------------------------------------------
def test_gradient_norms_of_the_current_run_one_curve_per_layer(plots):
    one, two = make_run(1, layers=2), make_run(2, layers=3)
    plots.show_runs([one, two], 1)
    assert list(plots.grad_curves()) == ["layer0", "layer1"]
    x, y = data(plots.grad_curves()["layer1"])
    np.testing.assert_array_equal(x, one.series("grad/layer1").x)
    np.testing.assert_array_equal(y, one.series("grad/layer1").y)
    assert plots.plots["grad"].getAxis("left").logMode
    plots.show_runs([one, two], 2)
    assert list(plots.grad_curves()) == ["layer0", "layer1", "layer2"]
    plots.show_runs([one, two], None)
    assert plots.grad_curves() == {}


def test_a_layer_that_appears_later_gets_its_curve(plots):
    run = make_run(1, layers=1)
    plots.show_runs([run], 1)
    run.add_grad_norms(31, {"layer0": 0.1, "late": 0.2})
    plots.refresh()
    assert list(plots.grad_curves()) == ["layer0", "late"]
    assert len(data(plots.grad_curves()["late"])[0]) == 1


def test_at_most_a_dozen_layers_are_labelled(plots):
    plots.show_runs([make_run(1, layers=MAX_LABELLED_LAYERS + 3)], 1)
    assert len(plots.grad_curves()) == MAX_LABELLED_LAYERS + 3
    assert len(plots.legends["grad"].items) == MAX_LABELLED_LAYERS
    labelled = plots.grad_curves()["layer0"]
    thin = plots.grad_curves()[f"layer{MAX_LABELLED_LAYERS + 1}"]
    assert pen_of(thin).color().alpha() < pen_of(labelled).color().alpha()


def test_a_nan_loss_is_drawn_as_a_gap(plots):
    run = make_run(1, epochs=1)
    run.add_step(step_report(11, math.nan, spe=SPE))
    run.add_step(step_report(12, 0.5, spe=SPE))
    plots.show_runs([run], 1)
    assert math.isnan(data(plots.curves_of(1)["loss"])[1][10])
    assert plots.curves_of(1)["loss"].opts["connect"] == "finite"


# -- theme ---------------------------------------------------------------------------------
def test_the_theme_colours_follow_a_theme_change(plots):
    app = QApplication.instance()
    plots.show_runs([make_run(1)], 1)
    try:
        theme.apply_theme(app, "dark")
        assert plots.graphics.backgroundBrush().color() == theme.colors().canvas_bg
        dark_pen = pen_of(plots.curves_of(1)["lr"]).color()
        theme.apply_theme(app, "light")
        assert plots.graphics.backgroundBrush().color() == theme.colors().canvas_bg
        assert pen_of(plots.curves_of(1)["lr"]).color() != dark_pen
    finally:
        theme.apply_theme(app, "light")


# -- export --------------------------------------------------------------------------------
def test_export_png_writes_an_image(plots, tmp_path):
    plots.show_runs([make_run(1)], 1)
    path = tmp_path / "plots.png"
    plots.export_png(path)
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 100 and image.height() > 100


def test_export_csv_writes_epochs_and_steps(plots, tmp_path):
    plots.show_runs([make_run(1), make_run(2, epochs=2)], 2)
    path = tmp_path / "metrics.csv"
    written = plots.export_csv(path)
    assert written == [str(path), str(tmp_path / "metrics_steps.csv")]
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
    assert [r[0] for r in rows[1:]] == ["1", "2"]  # the current run: 2 epochs
    with open(tmp_path / "metrics_steps.csv", newline="") as f:
        steps = list(csv.DictReader(f))
    assert len(steps) == 20 and list(steps[0]) == ["step", "epoch", "loss", "lr"]


def test_the_export_buttons_ask_for_a_path_and_write_there(plots, tmp_path, monkeypatch):
    plots.show_runs([make_run(1)], 1)
    monkeypatch.setattr(plots, "ask_png_path", lambda: str(tmp_path / "shot"))
    monkeypatch.setattr(plots, "ask_csv_path", lambda: str(tmp_path / "run.csv"))
    plots.png_button.click()
    plots.csv_button.click()
    assert (tmp_path / "shot.png").stat().st_size > 0
    assert (tmp_path / "run.csv").exists() and (tmp_path / "run_steps.csv").exists()


def test_a_cancelled_export_writes_nothing(plots, tmp_path, monkeypatch):
    plots.show_runs([make_run(1)], 1)
    monkeypatch.setattr(plots, "ask_png_path", lambda: "")
    monkeypatch.setattr(plots, "show_error", lambda text: pytest.fail(text))
    plots.png_button.click()
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_fails_says_where_and_what_to_do(plots, tmp_path, monkeypatch):
    plots.show_runs([make_run(1)], 1)
    target = tmp_path / "missing" / "run.csv"
    errors = []
    monkeypatch.setattr(plots, "ask_csv_path", lambda: str(target))
    monkeypatch.setattr(plots, "show_error", errors.append)
    plots.csv_button.click()
    assert len(errors) == 1
    assert str(target) in errors[0] and "Choose a folder" in errors[0]


def test_csv_export_needs_a_current_run(plots, tmp_path):
    plots.show_runs([make_run(1)], None)
    assert not plots.csv_button.isEnabled() and plots.png_button.isEnabled()
    with pytest.raises(ValueError, match="no current run"):
        plots.export_csv(tmp_path / "x.csv")
