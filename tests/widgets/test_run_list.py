"""RunList: a row per run with check box, status, key metric, epochs and time; it asks the
app to rename and delete, and never deletes the run that is training."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from core.train.history import RunLog
from tests.core.train.test_history import epoch_report, step_report, train_info
from widgets.run_list import (
    BEST,
    CANNOT_DELETE,
    EPOCHS,
    NAME,
    STATUS,
    TIME,
    RunList,
    metric_text,
    run_color,
)


def make_run(run_id: int, status: str = "finished", epochs: int = 2) -> RunLog:
    """A run of ``epochs`` finished epochs (of 3) from real report records."""
    run = RunLog(run_id, f"run {run_id}")
    run.start(train_info(epochs=3, steps_per_epoch=10))
    for step in range(1, epochs * 10 + 1):
        run.add_step(step_report(step, 1.0 / step))
        if step % 10 == 0:
            run.add_epoch(epoch_report(step // 10))
    if status != "running":
        run.finish(status, error="loss became NaN" if status == "failed" else None)
    return run


@pytest.fixture
def runs():
    return [make_run(1), make_run(2, "stopped", epochs=1), make_run(3, "running")]


@pytest.fixture
def runlist(qtbot, runs):
    widget = RunList()
    qtbot.addWidget(widget)
    widget.resize(600, 200)
    widget.set_runs(runs)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_each_run_has_a_row_with_its_status_metric_epochs_and_time(runlist):
    item = runlist.item_of(1)
    assert item.text(NAME) == "run 1"
    assert item.text(STATUS) == "finished"
    assert item.text(BEST) == "val_accuracy 0.650"
    assert item.text(EPOCHS) == "2/3"
    assert item.text(TIME).count(":") == 1
    assert runlist.item_of(2).text(STATUS) == "stopped"
    assert runlist.item_of(3).text(STATUS) == "running"
    assert not item.icon(STATUS).isNull() and not item.icon(NAME).isNull()
    assert runlist.tree.topLevelItemCount() == 3


def test_metric_text_is_the_best_value_of_the_key_metric():
    run = make_run(1)
    assert metric_text(run) == "val_accuracy 0.650"
    assert metric_text(RunLog(9, "empty")) == ""


def test_run_colours_are_stable_and_distinct():
    assert run_color(1) == run_color(1)
    assert len({run_color(i).name() for i in range(1, 9)}) == 8
    assert run_color(1, dark=True) != run_color(1, dark=False)


def test_a_failed_run_says_why_in_its_tooltip(runlist, runs):
    failed = make_run(4, "failed")
    runlist.set_runs([*runs, failed])
    assert "loss became NaN" in runlist.item_of(4).toolTip(STATUS)


def test_update_run_refreshes_only_its_row(runlist, runs):
    run = runs[2]
    run.add_step(step_report(21, 0.1))
    run.add_epoch(epoch_report(3))
    run.finish("finished")
    runlist.update_run(run)
    item = runlist.item_of(3)
    assert item.text(STATUS) == "finished" and item.text(EPOCHS) == "3/3"
    assert item.text(BEST) == "val_accuracy 0.750"


# -- checks --------------------------------------------------------------------------------
def test_new_runs_come_checked(runlist):
    assert runlist.checked_ids() == {1, 2, 3}


def test_unchecking_a_run_emits_the_checked_ids(runlist, qtbot):
    with qtbot.waitSignal(runlist.visibility_changed) as blocker:
        runlist.item_of(2).setCheckState(NAME, Qt.CheckState.Unchecked)
    assert blocker.args == [{1, 3}]
    with qtbot.waitSignal(runlist.visibility_changed) as blocker:
        runlist.set_checked(2, True)
    assert blocker.args == [{1, 2, 3}]
    assert runlist.checked_ids() == {1, 2, 3}


def test_set_runs_keeps_the_check_state_of_known_runs(runlist, runs):
    runlist.set_checked(1, False)
    runlist.set_runs([*runs, make_run(4)])
    assert runlist.checked_ids() == {2, 3, 4}


def test_show_only_this_and_show_all_emit_once(runlist, qtbot):
    with qtbot.waitSignal(runlist.visibility_changed) as blocker:
        runlist.context_menu(2).actions()[1].trigger()  # Show Only This
    assert blocker.args == [{2}]
    with qtbot.waitSignal(runlist.visibility_changed) as blocker:
        runlist.show_all()
    assert blocker.args == [{1, 2, 3}]


# -- current -------------------------------------------------------------------------------
def test_set_current_emits_current_changed(runlist, qtbot):
    with qtbot.waitSignal(runlist.current_changed) as blocker:
        runlist.set_current(2)
    assert blocker.args == [2] and runlist.current_id() == 2
    with qtbot.waitSignal(runlist.current_changed) as blocker:
        runlist.set_current(None)
    assert blocker.args == [None] and runlist.current_id() is None


def test_set_runs_keeps_the_current_run_quietly(runlist, runs, qtbot):
    runlist.set_current(3)
    with qtbot.assertNotEmitted(runlist.current_changed):
        runlist.set_runs(runs)
    assert runlist.current_id() == 3


def test_removing_the_current_run_says_there_is_none(runlist, runs, qtbot):
    runlist.set_current(3)
    with qtbot.waitSignal(runlist.current_changed) as blocker:
        runlist.set_runs(runs[:2])
    assert blocker.args == [None]


# -- rename --------------------------------------------------------------------------------
def test_renaming_a_row_asks_the_app_to_rename_the_run(runlist, runs, qtbot):
    with qtbot.waitSignal(runlist.renamed) as blocker:
        runlist.item_of(1).setText(NAME, "  baseline ")
    assert blocker.args == [1, "baseline"]
    assert runs[0].name == "run 1"  # the app renames the RunLog, not the list
    runs[0].name = "baseline"
    runlist.update_run(runs[0])
    assert runlist.item_of(1).text(NAME) == "baseline"


def test_f2_edits_the_name_in_place(runlist, qtbot):
    runlist.set_current(2)
    runlist.tree.setFocus()
    qtbot.keyClick(runlist.tree, Qt.Key.Key_F2)
    editor = runlist.tree.findChild(QLineEdit)
    assert editor is not None and editor.text() == "run 2"
    editor.setText("wide net")
    with qtbot.waitSignal(runlist.renamed) as blocker:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert blocker.args == [2, "wide net"]


def test_an_empty_name_is_refused(runlist, qtbot):
    with (
        qtbot.assertNotEmitted(runlist.renamed),
        qtbot.assertNotEmitted(runlist.visibility_changed),
    ):
        runlist.item_of(1).setText(NAME, "   ")
    assert runlist.item_of(1).text(NAME) == "run 1"


def test_a_refused_rename_is_undone_by_update_run(runlist, runs):
    runlist.item_of(1).setText(NAME, "taken")
    runlist.update_run(runs[0])  # the app kept the old name
    assert runlist.item_of(1).text(NAME) == "run 1"


def test_checking_a_renamed_row_does_not_rename_it_again(runlist, qtbot):
    runlist.item_of(1).setText(NAME, "baseline")
    with qtbot.assertNotEmitted(runlist.renamed):
        runlist.set_checked(1, False)


# -- delete --------------------------------------------------------------------------------
def test_the_context_menu_has_rename_show_and_delete(runlist):
    texts = [a.text() for a in runlist.context_menu(1).actions() if not a.isSeparator()]
    assert texts == ["Rename", "Show Only This", "Show All", "Delete Run"]


def test_delete_run_asks_the_app(runlist, qtbot):
    delete = runlist.context_menu(1).actions()[-1]
    assert delete.isEnabled()
    with qtbot.waitSignal(runlist.delete_requested) as blocker:
        delete.trigger()
    assert blocker.args == [[1]]


def test_the_running_run_cannot_be_deleted(runlist, qtbot):
    delete = runlist.context_menu(3).actions()[-1]
    assert delete.text() == "Delete Run"
    assert not delete.isEnabled()
    assert delete.toolTip() == CANNOT_DELETE
    assert not runlist.can_delete(3) and runlist.can_delete(2)


def test_a_paused_run_is_still_training(runlist, runs):
    runs[2].finish("paused")
    runlist.update_run(runs[2])
    assert not runlist.can_delete(3)


def test_the_delete_key_deletes_the_selected_runs_but_the_running_one(runlist, qtbot):
    for run_id in (2, 3):
        runlist.item_of(run_id).setSelected(True)
    runlist.tree.setFocus()
    with qtbot.waitSignal(runlist.delete_requested) as blocker:
        qtbot.keyClick(runlist.tree, Qt.Key.Key_Delete)
    assert blocker.args == [[2]]


def test_the_delete_key_on_the_running_run_does_nothing(runlist, qtbot):
    runlist.tree.clearSelection()
    runlist.item_of(3).setSelected(True)
    with qtbot.assertNotEmitted(runlist.delete_requested):
        qtbot.keyClick(runlist.tree, Qt.Key.Key_Delete)


def test_a_theme_change_repaints_the_icons(runlist):
    from widgets import theme

    app = QApplication.instance()
    before = runlist.item_of(1).icon(NAME).pixmap(12, 12).toImage()
    try:
        theme.apply_theme(app, "dark")
        assert runlist.item_of(1).icon(NAME).pixmap(12, 12).toImage() != before
    finally:
        theme.apply_theme(app, "light")
