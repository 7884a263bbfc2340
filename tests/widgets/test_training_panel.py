"""The training panel: settings form bound to the training section, run buttons, progress."""

from dataclasses import dataclass

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication

from core.model.settings import TRAINING
from widgets import theme
from widgets import training_panel as tp
from widgets.training_panel import TrainingPanel, format_duration, progress_text


@dataclass(frozen=True)
class Progress:
    """The fields of core.train.history.ProgressInfo (the panel reads them duck-typed)."""

    step: int
    total_steps: int
    epoch: int
    epochs: int
    steps_per_s: float
    eta_s: float | None
    elapsed_s: float


@pytest.fixture(autouse=True)
def no_gpu(monkeypatch):
    """The GPU is unavailable unless a test says otherwise (and the probe is not cached)."""
    monkeypatch.setattr(tp, "gpu_unavailable_reason", lambda: "CuPy is not installed")


@pytest.fixture
def panel(qtbot):
    w = TrainingPanel()
    qtbot.addWidget(w)
    w.resize(360, 620)
    return w


@pytest.fixture
def edits(panel):
    """Every settings_edited emission, in order."""
    got = []
    panel.settings_edited.connect(got.append)
    return got


def type_into(qtbot, widget, text: str) -> None:
    """Replace the text of a line edit (or a spin box's) by typing, then press Enter."""
    line = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    line.selectAll()
    qtbot.keyClicks(line, text)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def lr_edit(panel):
    return panel.editor("lr").edit


# -- settings -------------------------------------------------------------------------------
def test_set_settings_shows_the_values_and_emits_nothing(panel, qtbot):
    values = {
        "loss": "huber",
        "optimizer": "sgd",
        "lr": 0.0003,
        "momentum": 0.95,
        "batch_size": 128,
        "epochs": 25,
        "scheduler": "plateau",
        "step_size": 4,
        "gamma": 0.5,
        "grad_clip": 1.5,
        "seed": 3_000_000_000,
        "weight_decay": 1e-5,
    }
    with qtbot.assertNotEmitted(panel.settings_edited):
        panel.set_settings(values)
    assert panel.editor("loss").currentText() == "Huber"
    assert panel.editor("optimizer").currentText() == "SGD"
    assert lr_edit(panel).text() == "0.0003"
    assert panel.editor("momentum").value() == pytest.approx(0.95)
    assert panel.editor("batch_size").value() == 128
    assert panel.editor("epochs").value() == 25
    assert panel.editor("scheduler").currentText() == "Reduce on plateau"
    assert panel.editor("step_size").value() == 4
    assert panel.editor("gamma").value() == pytest.approx(0.5)
    assert panel.editor("grad_clip").value() == pytest.approx(1.5)
    assert panel.editor("seed").edit.text() == "3000000000"  # beyond what a QSpinBox holds
    assert panel.editor("weight_decay").edit.text() == "1e-5"
    assert panel.values() == TRAINING.check(values)


def test_missing_keys_show_the_defaults_and_clipping_zero_reads_off(panel):
    panel.set_settings({})
    assert panel.values() == TRAINING.defaults()
    assert panel.editor("grad_clip").text() == "Off"
    assert panel.editor("loss").currentText() == "Auto (from the task)"


def test_ranges_and_tooltips_come_from_the_schema(panel):
    epochs = TRAINING["epochs"]
    assert panel.editor("epochs").minimum() == epochs.min
    assert panel.editor("epochs").maximum() == epochs.max
    assert panel.editor("batch_size").maximum() == TRAINING["batch_size"].max
    assert TRAINING["epochs"].doc in panel.editor("epochs").toolTip()
    assert "at most 10" in panel.editor("lr").toolTip()


def test_typing_a_learning_rate_and_enter_emits_it_once(panel, qtbot, edits):
    type_into(qtbot, lr_edit(panel), "3e-4")
    assert edits == [{"lr": 0.0003}]
    assert panel.error_text("lr") == ""


def test_typing_a_decimal_emits_once_not_per_key(panel, qtbot, edits):
    type_into(qtbot, lr_edit(panel), "0.01")
    assert edits == [{"lr": 0.01}]


def test_an_invalid_learning_rate_shows_an_error_and_emits_nothing(panel, qtbot, edits):
    type_into(qtbot, lr_edit(panel), "abc")
    assert "not a number" in panel.error_text("lr")
    type_into(qtbot, lr_edit(panel), "0")
    assert "greater than 0" in panel.error_text("lr")
    type_into(qtbot, lr_edit(panel), "20")
    assert "at most 10" in panel.error_text("lr")
    assert edits == []
    type_into(qtbot, lr_edit(panel), "1E-2")  # fixing it clears the error and sends
    assert panel.error_text("lr") == ""
    assert edits == [{"lr": 0.01}]


def test_escape_gives_up_an_invalid_edit(panel, qtbot, edits):
    type_into(qtbot, lr_edit(panel), "oops")
    qtbot.keyClick(lr_edit(panel), Qt.Key.Key_Escape)
    assert lr_edit(panel).text() == "0.001"
    assert panel.error_text("lr") == ""
    assert edits == []


def test_leaving_an_invalid_value_shows_the_set_one_again(panel, qtbot, edits):
    edit = lr_edit(panel)
    type_into(qtbot, edit, "1e-")
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut))
    assert edit.text() == "0.001"
    assert panel.error_text("lr") == ""
    edit.selectAll()
    qtbot.keyClicks(edit, "5e-4")
    QApplication.sendEvent(edit, QFocusEvent(QEvent.Type.FocusOut))  # leaving a valid one: sent
    assert edits == [{"lr": 0.0005}]


def test_learning_rate_arrows_step_by_about_three(panel, qtbot, edits):
    lr = panel.editor("lr")
    qtbot.mouseClick(lr.up, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(lr.up, Qt.MouseButton.LeftButton)
    qtbot.keyClick(lr.edit, Qt.Key.Key_Down)
    assert edits == [{"lr": 0.003}, {"lr": 0.01}, {"lr": 0.003}]
    assert lr.edit.text() == "0.003"


def test_an_unchanged_value_is_not_sent(panel, qtbot, edits):
    type_into(qtbot, lr_edit(panel), "1e-3")  # the value shown already
    assert edits == []


def test_momentum_is_enabled_only_for_optimizers_that_take_it(panel, qtbot, edits):
    panel.set_settings({"optimizer": "adam"})
    assert not panel.editor("momentum").isEnabled()
    assert "does not use momentum" in panel.editor("momentum").toolTip()
    combo = panel.editor("optimizer")
    combo.setCurrentIndex(combo.findData("sgd"))  # as the user choosing it
    assert edits == [{"optimizer": "sgd"}]
    assert panel.editor("momentum").isEnabled()
    panel.set_settings({"optimizer": "rmsprop"})
    assert panel.editor("momentum").isEnabled()
    panel.set_settings({"optimizer": "adamw"})
    assert not panel.editor("momentum").isEnabled()


@pytest.mark.parametrize(
    "scheduler, shown",
    [
        ("none", {}),
        ("step", {"step_size": "Step size", "gamma": "Gamma"}),
        ("exponential", {"gamma": "Gamma"}),
        ("cosine", {}),
        ("onecycle", {}),
        ("plateau", {"step_size": "Patience", "gamma": "Factor"}),
    ],
)
def test_scheduler_settings_are_shown_only_when_they_apply(panel, scheduler, shown):
    panel.set_settings({"scheduler": scheduler})
    for name in ("step_size", "gamma"):
        assert panel.row_visible(name) == (name in shown)
        if name in shown:
            assert panel.labels[name].text() == shown[name]


def test_choosing_a_scheduler_shows_its_settings(panel, edits):
    combo = panel.editor("scheduler")
    combo.setCurrentIndex(combo.findData("exponential"))
    assert edits == [{"scheduler": "exponential"}]
    assert panel.row_visible("gamma") and not panel.row_visible("step_size")


def test_advanced_section_collapses(panel, qtbot):
    panel.show()
    assert not panel.editor("seed").isVisible()
    qtbot.mouseClick(panel.advanced_button, Qt.MouseButton.LeftButton)
    assert panel.advanced_open and panel.editor("seed").isVisible()


def test_a_spin_box_sends_typed_values_once_on_enter(panel, qtbot, edits):
    type_into(qtbot, panel.editor("epochs"), "40")
    assert edits == [{"epochs": 40}]


def test_spin_box_steps_are_debounced_into_one_emission(panel, qtbot, edits):
    spin = panel.editor("batch_size")
    with qtbot.waitSignal(panel.settings_edited, timeout=2000) as blocker:
        spin.stepUp()
        spin.stepUp()
    assert blocker.args == [{"batch_size": 128}]  # doubled twice from 32
    assert edits == [{"batch_size": 128}]
    spin.stepDown()
    assert spin.value() == 64


def test_clipping_and_seed_edits(panel, qtbot, edits):
    type_into(qtbot, panel.editor("seed").edit, "4000000000")
    type_into(qtbot, panel.editor("seed").edit, "1.5")
    assert "whole number" in panel.error_text("seed")
    type_into(qtbot, panel.editor("grad_clip"), "2.5")
    assert edits == [{"seed": 4_000_000_000}, {"grad_clip": 2.5}]


# -- device ---------------------------------------------------------------------------------
def _gpu_item(panel):
    combo = panel.editor("device")
    return combo.model().item(combo.findData("cuda"))


def test_gpu_entry_is_disabled_with_the_reason_when_unavailable(panel):
    item = _gpu_item(panel)
    assert item.text() == "GPU (CUDA)"
    assert not item.isEnabled()
    assert item.toolTip() == "CuPy is not installed"
    assert panel.device_note.text() == "GPU unavailable: CuPy is not installed."
    assert not panel.device_note.isHidden()


def test_gpu_entry_is_enabled_when_a_gpu_answers(qtbot, monkeypatch):
    monkeypatch.setattr(tp, "gpu_unavailable_reason", lambda: None)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert _gpu_item(panel).isEnabled()
    assert panel.device_note.isHidden()


def test_a_chosen_but_unavailable_gpu_is_said_in_the_error_colour(panel):
    panel.set_settings({"device": "cuda"})
    assert panel.editor("device").currentText() == "GPU (CUDA)"
    assert "choose CPU" in panel.device_note.text()
    assert theme.colors().error.name() in panel.device_note.styleSheet()


def test_the_gpu_probe_is_cached_and_never_raises(monkeypatch):
    monkeypatch.undo()  # the real cached function
    import core.cuda

    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("libcudart.so: cannot open shared object file")

    monkeypatch.setattr(core.cuda, "unavailable_reason", broken)
    tp.gpu_unavailable_reason.cache_clear()
    try:
        reason = tp.gpu_unavailable_reason()
        assert "RuntimeError" in reason and "libcudart" in reason
        assert tp.gpu_unavailable_reason() == reason
        assert len(calls) == 1
    finally:
        tp.gpu_unavailable_reason.cache_clear()


# -- run buttons ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "state, train, pause, stop, pause_text",
    [
        ("idle", True, False, False, "Pause"),
        ("starting", False, False, True, "Pause"),
        ("running", False, True, True, "Pause"),
        ("paused", False, True, True, "Resume"),
        ("stopping", False, False, False, "Pause"),
    ],
)
def test_buttons_follow_the_state(panel, state, train, pause, stop, pause_text):
    panel.set_state(state)
    assert panel.train_button.isEnabled() == train
    assert panel.pause_button.isEnabled() == pause
    assert panel.stop_button.isEnabled() == stop
    assert panel.pause_button.text() == pause_text
    running = state in ("starting", "running", "paused")
    assert panel.note.isVisibleTo(panel) == running
    if running:
        assert panel.note.text() == "Changes apply to the next run"
    assert panel.editor("lr").isEnabled()  # settings stay editable for the next run


def test_stopping_says_so(panel):
    panel.set_state("running")
    panel.set_progress(Progress(10, 100, 1, 5, 50.0, 2.0, 0.2))
    panel.set_state("stopping")
    assert panel.status_text() == "Stopping\u2026"


def test_back_to_idle_shows_the_last_progress_again(panel):
    panel.set_state("starting")
    panel.set_state("running")
    panel.set_progress(Progress(10, 100, 1, 5, 50.0, 2.0, 0.2))
    panel.set_state("paused")
    panel.set_state("stopping")
    panel.set_state("idle")
    assert panel.status_text().startswith("Epoch 1/5")
    assert panel.progress_bar.text() == "10%"


def test_a_start_that_never_ran_leaves_an_empty_bar(panel):
    panel.set_state("starting")
    assert panel.progress_bar.maximum() == 0  # busy
    panel.set_state("idle")
    assert panel.progress_bar.maximum() > 0 and panel.progress_bar.value() == 0
    assert panel.status_text() == ""


def test_an_unknown_state_is_refused(panel):
    with pytest.raises(ValueError, match="unknown training state 'done'"):
        panel.set_state("done")


def test_train_is_refused_with_the_reason(panel):
    panel.set_can_start(False, "Fix 2 problems first")
    assert not panel.train_button.isEnabled()
    assert panel.train_button.toolTip() == "Fix 2 problems first"
    assert panel.note.text() == "Fix 2 problems first"
    panel.set_state("running")
    panel.set_state("idle")
    assert not panel.train_button.isEnabled()
    panel.set_can_start(True, "")
    assert panel.train_button.isEnabled()
    assert panel.note.isHidden()


def test_clicks_emit_the_requests(panel, qtbot):
    click = Qt.MouseButton.LeftButton
    with qtbot.waitSignal(panel.start_requested, timeout=1000):
        qtbot.mouseClick(panel.train_button, click)
    panel.set_state("running")
    with qtbot.waitSignal(panel.pause_requested, timeout=1000):
        qtbot.mouseClick(panel.pause_button, click)
    panel.set_state("paused")
    with qtbot.assertNotEmitted(panel.pause_requested):
        with qtbot.waitSignal(panel.resume_requested, timeout=1000):
            qtbot.mouseClick(panel.pause_button, click)
    with qtbot.waitSignal(panel.stop_requested, timeout=1000):
        qtbot.mouseClick(panel.stop_button, click)


def test_disabled_buttons_emit_nothing(panel, qtbot):
    with qtbot.assertNotEmitted(panel.stop_requested):
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    panel.set_state("running")
    with qtbot.assertNotEmitted(panel.start_requested):
        qtbot.mouseClick(panel.train_button, Qt.MouseButton.LeftButton)


# -- progress -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "seconds, text",
    [
        (0, "0:00"),
        (42, "0:42"),
        (59.6, "1:00"),
        (725, "12:05"),
        (3723, "1:02:03"),
        (None, "\u2013"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


def test_progress_text():
    info = Progress(120, 400, 3, 10, 85.3, 12.4, 20.0)
    assert progress_text(info) == "Epoch 3/10 \u00b7 step 120/400 \u00b7 85 steps/s \u00b7 ETA 0:12"
    slow = Progress(1200, 40000, 1, 10, 2.345, None, 1.0)
    assert progress_text(slow) == "Epoch 1/10 \u00b7 step 1,200/40,000 \u00b7 2.3 steps/s"


def test_progress_fills_the_bar_and_the_status_line(panel):
    panel.set_state("starting")
    assert panel.status_text() == "Starting\u2026"
    panel.set_state("running")
    panel.set_progress(Progress(100, 400, 3, 10, 85.0, 12.0, 20.0))
    bar = panel.progress_bar
    assert bar.value() / bar.maximum() == pytest.approx(0.25)
    assert panel.status_text().startswith("Epoch 3/10")
    panel.set_state("paused")
    assert bar.text().startswith("Paused")
    panel.set_state("running")
    assert bar.text() == "25%"


def test_result_text_and_reset(panel):
    panel.set_result_text("Finished in 0:42 \u2014 val_accuracy 0.962")
    assert panel.result_label.text() == "Finished in 0:42 \u2014 val_accuracy 0.962"
    assert theme.colors().error.name() not in panel.result_label.styleSheet()
    panel.set_result_text("Failed: NaN in the loss at step 12")
    assert theme.colors().error.name() in panel.result_label.styleSheet()
    panel.set_progress(Progress(10, 100, 1, 5, 50.0, 2.0, 0.2))
    panel.reset_progress()
    assert panel.progress_bar.value() == 0
    assert panel.status_text() == "" and panel.result_label.isHidden()


def test_a_new_start_clears_the_last_result(panel):
    panel.set_result_text("Stopped at epoch 3")
    panel.set_state("starting")
    assert panel.result_label.isHidden()


def test_theme_change_retints_icons_and_texts(panel):
    app = QApplication.instance()
    before = panel.pause_button.icon().cacheKey()
    try:
        theme.apply_theme(app, "dark")
        assert panel.pause_button.icon().cacheKey() != before
        assert theme.colors().muted_text.name() in panel.status_label.styleSheet()
    finally:
        theme.apply_theme(app, "light")


def test_the_trainers_progress_record_is_shown(panel):
    history = pytest.importorskip("core.train.history")
    info = history.ProgressInfo(
        step=50, total_steps=200, epoch=2, epochs=8, steps_per_s=0.0, eta_s=None, elapsed_s=1.0
    )
    panel.set_progress(info)
    assert panel.status_text() == "Epoch 2/8 \u00b7 step 50/200"
