"""Start-up: a project from the command line, the last project, and the offer to restore
the unsaved changes a crash left."""

import gc

import pytest
from PySide6.QtWidgets import QMessageBox

import app.__main__ as entry
from app.autosave import Autosaver, pending_recoveries
from app.controller import DocumentController

from .helpers import broken_project, edit, edit_controller


# -- start-up: command line, last project, recovery ------------------------------------
def test_start_opens_the_project_given(window, project):
    window.start(project)
    assert window.controller.path == project


def test_start_with_a_broken_project_shows_the_error_and_the_welcome_page(window, tmp_path, errors):
    window.start(broken_project(tmp_path))
    assert len(errors) == 1 and "broken.ember.json" in errors[0]
    assert not window.is_editing()


def test_start_opens_the_last_project_when_the_preference_is_on(
    window, project, qtbot, make_window
):
    window.open_path(project)
    window.close()
    on = make_window()
    on.settings.open_last_project = True
    on.start()
    assert on.controller.path == project
    off = make_window()
    off.settings.open_last_project = False
    off.start()
    assert not off.is_editing()


def test_command_line_project_reaches_the_gui(monkeypatch, project):
    started = []
    monkeypatch.setattr(entry, "run_gui", lambda *args: started.append(args) or 0)
    assert entry.main([str(project)]) == 0
    assert entry.main(["-platform", "offscreen", str(project)]) == 0
    assert started == [
        ([], str(project), None),
        (["-platform", "offscreen"], str(project), None),
    ]


def crash_with_changes(project) -> str:
    """Another session edits a project and autosaves, then ends without a clean close:
    its autosaver is gone, its recovery file stays. The id of the node it added."""
    controller = DocumentController()
    controller.load(project)
    node = edit_controller(controller)
    saver = Autosaver(controller, 0)
    assert saver.save_now()
    del saver
    gc.collect()
    return node


def test_recovery_is_offered_on_start_and_restores_with_the_modified_mark(
    qtbot, project, make_window
):
    node = crash_with_changes(project)
    assert len(pending_recoveries()) == 1
    window = make_window()
    offered = []
    window.ask_restore = lambda rec: offered.append(rec) or "restore"
    window.start()
    assert [r.original for r in offered] == [project]
    assert node in window.controller.document
    assert window.controller.path == project
    assert window.isWindowModified()
    assert window.windowTitle() == "spirals.ember.json[*] — Ember Studio"
    assert pending_recoveries() == []
    window.ask_save_changes = lambda: "discard"


@pytest.mark.parametrize(("answer", "left"), [("discard", 0), ("later", 1)])
def test_recovery_discard_or_later(qtbot, project, answer, left, make_window):
    crash_with_changes(project)
    window = make_window()
    window.ask_restore = lambda rec: answer
    window.start()
    assert not window.is_editing()
    assert len(pending_recoveries()) == left


def test_restore_prompt_text_names_the_file_and_time(window, qtbot, project, monkeypatch):
    crash_with_changes(project)
    (recovery,) = pending_recoveries()
    shown = []

    def fake_exec(box):
        shown.append(box.text())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    assert window.ask_restore(recovery) == "later"
    assert "spirals.ember.json" in shown[0]
    assert recovery.saved_at.strftime("%H:%M") in shown[0]


def test_clean_close_leaves_no_recovery(qtbot, project, make_window):
    window = make_window()
    window.open_path(project)
    edit(window)
    assert window.autosaver.save_now()
    assert window.autosaver.path.is_file()
    window.ask_save_changes = lambda: "discard"
    window.close()
    assert not window.autosaver.path.exists()
    assert pending_recoveries(include_own=True) == []
