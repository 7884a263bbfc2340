"""Files through the window: open, save, save as, export, recent files, examples, errors
and drops."""

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.model import serialize

from .helpers import SPIRALS, broken_project, edit


# -- open / save -----------------------------------------------------------------------
def test_open_shows_the_project_and_names_it_in_the_title(window, project, qtbot):
    window.ask_open_path = lambda: project
    window.action("open").trigger()
    assert window.is_editing()
    assert window.controller.path == project
    assert window.windowTitle() == "spirals.ember.json[*] — Ember Studio"
    assert not window.isWindowModified()
    assert set(window.controller.document.nodes) == set(serialize.load(SPIRALS).nodes)
    qtbot.waitUntil(lambda: window.inference_shown is not None)


def test_title_marks_unsaved_changes_and_save_clears_the_mark(window, project):
    window.open_path(project)
    edit(window)
    assert window.isWindowModified()
    assert "[*]" in window.windowTitle()
    window.action("save").trigger()
    assert not window.isWindowModified()
    assert len(serialize.load(project).nodes) == len(window.controller.document.nodes)


def test_new_project_is_untitled(window):
    window.action("new").trigger()
    assert window.is_editing()
    assert window.windowTitle() == "Untitled[*] — Ember Studio"
    assert window.controller.document.nodes == {}


def test_save_untitled_asks_for_a_path_and_adds_the_suffix(window, tmp_path):
    window.action("new").trigger()
    edit(window)
    window.ask_save_path = lambda: tmp_path / "mine"
    window.action("save").trigger()
    saved = tmp_path / "mine.ember.json"
    assert window.controller.path == saved
    assert saved.is_file()
    assert window.windowTitle() == "mine.ember.json[*] — Ember Studio"
    assert not window.isWindowModified()


def test_save_as_cancelled_saves_nothing(window, tmp_path):
    window.action("new").trigger()
    edit(window)
    window.ask_save_path = lambda: None
    window.action("save_as").trigger()
    assert window.controller.path is None
    assert window.isWindowModified()
    assert list(tmp_path.iterdir()) == []


def test_save_load_round_trip_through_the_window(window, tmp_path, qtbot):
    window.action("new").trigger()
    c = window.controller
    a = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    b = c.add_node("Linear", (240.0, 0.0), params={"out_features": 3})
    assert c.connect(a, "out", b, "in")
    c.rename_node(b, "head")
    saved_data = serialize.to_dict(c.document)
    path = tmp_path / "round.ember.json"
    window.ask_save_path = lambda: path
    window.action("save_as").trigger()
    window.action("close_project").trigger()
    assert not window.is_editing()
    assert window.open_path(path)
    assert serialize.to_dict(window.controller.document) == saved_data


def test_save_error_is_shown_and_keeps_the_changes(window, tmp_path, errors):
    window.action("new").trigger()
    edit(window)
    window.ask_save_path = lambda: tmp_path / "missing-folder" / "x.ember.json"
    window.action("save").trigger()
    assert len(errors) == 1
    assert "missing-folder" in errors[0] and "could not be saved" in errors[0]
    assert window.controller.path is None
    assert window.isWindowModified()


def test_open_error_names_the_file_and_each_problem_and_keeps_the_project(
    window, project, tmp_path, errors
):
    window.open_path(project)
    node = edit(window)
    before = serialize.to_dict(window.controller.document)
    bad = broken_project(tmp_path)
    window.ask_save_changes = lambda: "discard"
    assert not window.open_path(bad)
    assert len(errors) == 1
    text = errors[0]
    assert "broken.ember.json" in text
    assert "nodes[1].params.out_features" in text
    assert "edges[0].dst" in text
    assert "unchanged" in text
    assert serialize.to_dict(window.controller.document) == before
    assert node in window.controller.document
    assert window.controller.path == project


def test_open_malformed_json_says_where(window, tmp_path, errors):
    bad = tmp_path / "bad.ember.json"
    bad.write_text('{"format": "ember-studio.model",\n "version": 2,,}', encoding="utf-8")
    assert not window.open_path(bad)
    assert "bad.ember.json" in errors[0] and "line 2" in errors[0]
    assert not window.is_editing()


def test_open_a_missing_file_says_so_and_prunes_it_from_recent(window, project, errors):
    window.open_path(project)
    assert project in window.settings.recent_files()
    window.action("close_project").trigger()
    project.unlink()
    assert not window.open_path(project)
    assert "does not exist" in errors[0]
    assert window.settings.recent_files() == []


# -- recent files and examples ---------------------------------------------------------
def test_recent_files_follow_open_and_save_and_persist(
    window, project, tmp_path, qtbot, make_window
):
    window.open_path(project)
    copy = tmp_path / "copy.ember.json"
    window.ask_save_path = lambda: copy
    window.action("save_as").trigger()
    assert window.settings.recent_files() == [copy, project]
    window.recent_menu.aboutToShow.emit()
    texts = [a.text() for a in window.recent_menu.actions() if not a.isSeparator()]
    assert texts == ["copy.ember.json", "spirals.ember.json", "&Clear Menu"]
    assert window.recent_menu.actions()[0].toolTip() == str(copy)

    other = make_window()
    assert other.settings.recent_files() == [copy, project]
    assert [c.path for c in other.welcome.recent_cards] == [copy, project]


def test_recent_menu_opens_a_file_and_clear_empties_it(window, project):
    window.open_path(project)
    window.action("close_project").trigger()
    window.recent_menu.aboutToShow.emit()
    window.recent_menu.actions()[0].trigger()
    assert window.controller.path == project
    window.action("clear_recent").trigger()
    assert window.settings.recent_files() == []
    assert window.welcome.recent_cards == []


def test_examples_open_untitled_and_save_asks_for_a_new_path(window, tmp_path):
    before = SPIRALS.read_bytes()
    titles = [a.text() for a in window.examples_menu.actions()]
    assert "MLP on spirals" in titles
    window.examples_menu.actions()[titles.index("MLP on spirals")].trigger()
    assert window.is_editing()
    assert window.controller.path is None
    assert not window.isWindowModified()
    assert window.windowTitle() == "MLP on spirals[*] — Ember Studio"  # its title, no file
    assert len(window.controller.document.nodes) == len(serialize.load(SPIRALS).nodes)
    edit(window)
    asked = []
    window.ask_save_path = lambda: asked.append(1) or tmp_path / "spirals-copy.ember.json"
    window.action("save").trigger()
    assert asked == [1]
    assert SPIRALS.read_bytes() == before
    assert window.settings.recent_files() == [tmp_path / "spirals-copy.ember.json"]


# -- export ----------------------------------------------------------------------------
@pytest.mark.parametrize(("target", "lib"), [("core", "import core"), ("pytorch", "import torch")])
def test_export_writes_the_script_and_says_where(window, project, tmp_path, target, lib):
    window.open_path(project)
    out = tmp_path / f"model_{target}.py"
    window.ask_export_path = lambda t: out if t == target else None
    window.action(f"export_{target}").trigger()
    assert lib in out.read_text(encoding="utf-8")
    assert str(out) in window.statusBar().currentMessage()


def test_export_of_a_broken_model_lists_its_errors_before_asking_where(window, errors):
    window.action("new").trigger()
    window.controller.add_node("Linear", (0.0, 0.0))  # no input: not a model yet
    window.ask_export_path = lambda target: pytest.fail("asked for a path")
    window.action("export_core").trigger()
    assert len(errors) == 1
    assert "error" in errors[0] and "to fix before it can be exported" in errors[0]
    assert "not connected" in errors[0] and "Problems panel" in errors[0]
    assert "python -m app" not in errors[0]
    assert window.problems_dock.isVisible()


def test_export_write_error_is_shown(window, project, errors, tmp_path):
    window.open_path(project, ask=False, remember=False)
    out = tmp_path / "missing" / "x.py"
    window.ask_export_path = lambda target: out
    window.action("export_core").trigger()
    assert len(errors) == 1 and "x.py" in errors[0] and "does not exist" in errors[0]
    assert not out.exists()


# -- drops -----------------------------------------------------------------------------
def drop_urls(widget, urls) -> QDropEvent:
    mime = QMimeData()
    mime.setUrls(urls)
    pos = QPointF(widget.rect().center())
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(pos, actions, mime, buttons, mods)
    if enter.isAccepted():
        QApplication.sendEvent(widget, drop)
    drop.mime = mime  # keep the data alive as long as the event
    return enter


def test_dropping_a_project_file_on_the_window_opens_it(window, project, qtbot):
    enter = drop_urls(window, [QUrl.fromLocalFile(str(project))])
    assert enter.isAccepted()
    qtbot.waitUntil(lambda: window.controller.path == project)
    assert window.is_editing()


def test_dropping_a_project_on_the_canvas_asks_about_unsaved_changes(window, project, qtbot):
    window.action("new").trigger()
    edit(window)
    asked = []
    window.ask_save_changes = lambda: asked.append(1) or "discard"
    drop_urls(window.view.viewport(), [QUrl.fromLocalFile(str(project))])
    qtbot.waitUntil(lambda: window.controller.path == project)
    assert asked == [1]


def test_other_files_are_not_accepted(window, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("x", encoding="utf-8")
    assert not drop_urls(window, [QUrl.fromLocalFile(str(text))]).isAccepted()


def test_untitled_projects_suggest_file_names_from_their_title(window, monkeypatch):
    from app import dialogs

    window.action("new").trigger()
    window.controller.update_settings("meta", {"title": "../My net: v2/final"})
    assert window.controller.display_name() == "../My net: v2/final"
    seen = []
    monkeypatch.setattr(dialogs, "ask_save_path", lambda parent, path: seen.append(path))
    monkeypatch.setattr(dialogs, "ask_export_path", lambda parent, t, path: seen.append(path))
    window.ask_save_path()
    window.ask_export_path("pytorch")
    assert [p.name for p in seen] == ["My_net_v2_final.ember.json", "My_net_v2_final_torch.py"]
    assert seen[0].parent == seen[1].parent
