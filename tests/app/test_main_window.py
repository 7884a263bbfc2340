"""The main window shell: title, menus, About box, and the command-line entry."""

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QMessageBox

import app.__main__ as entry
from app import __version__
from app.main_window import ICON_PATH, MainWindow


@pytest.fixture
def window(qtbot):
    w = MainWindow()
    qtbot.addWidget(w)
    return w


def menu_named(window: MainWindow, title: str) -> QMenu:
    for action in window.menuBar().actions():
        if action.text().replace("&", "") == title:
            return action.menu()
    raise AssertionError(f"no {title!r} menu")


def action_named(menu: QMenu, text: str) -> QAction:
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no {text!r} action in {menu.title()!r}")


def test_window_is_titled_and_sized(window):
    assert window.windowTitle() == "Ember Studio"
    assert (window.width(), window.height()) == (1280, 800)


def test_window_icon_is_the_ember_icon(window):
    assert ICON_PATH.is_file()
    assert not window.windowIcon().isNull()


def test_menu_bar_has_file_and_help(window):
    titles = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert titles == ["File", "Help"]


def test_quit_uses_the_standard_quit_shortcut(window):
    quit_action = action_named(menu_named(window, "File"), "Quit")
    standard = QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
    # The platform's Quit keys where it defines some (offscreen and Windows do not), else Ctrl+Q.
    assert quit_action.shortcuts() == (standard or [QKeySequence("Ctrl+Q")])


def test_quit_closes_the_window(window, qtbot):
    window.show()
    qtbot.waitExposed(window)
    action_named(menu_named(window, "File"), "Quit").trigger()
    assert not window.isVisible()


def test_about_shows_the_version(window, monkeypatch):
    calls = []
    monkeypatch.setattr(QMessageBox, "about", lambda *args: calls.append(args))
    action_named(menu_named(window, "Help"), "About Ember Studio").trigger()
    assert len(calls) == 1
    parent, title, text = calls[0]
    assert parent is window
    assert title == "About Ember Studio"
    assert __version__ in text


def test_empty_state_points_to_the_engine(window):
    texts = [label.text() for label in window.centralWidget().findChildren(QLabel)]
    assert "Ember Studio" in texts
    assert any("import core" in t for t in texts)


def test_status_bar_says_ready(window):
    assert [label.text() for label in window.statusBar().findChildren(QLabel)] == ["Ready"]


def test_version_flag_prints_and_opens_no_window(monkeypatch, capsys):
    def no_gui(*args, **kwargs):
        raise AssertionError("--version must not start the GUI")

    monkeypatch.setattr(entry, "run_gui", no_gui)
    assert entry.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"Ember Studio {__version__}"
