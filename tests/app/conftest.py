"""Qt setup for GUI tests: offscreen rendering, and settings/recovery files kept out of the
user's real folders (QStandardPaths test mode; QSettings under a per-test temporary folder)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory, monkeypatch):
    """Each test starts with empty QSettings and its own app-data folder (outside the
    test's tmp_path, which stays empty for the test)."""
    QCoreApplication.setOrganizationName("Ember Studio Tests")
    QCoreApplication.setApplicationName("Ember Studio Tests")
    QStandardPaths.setTestModeEnabled(True)
    base = tmp_path_factory.mktemp("qt")
    settings_dir = base / "settings"
    data_dir = base / "data"
    settings_dir.mkdir()
    data_dir.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    monkeypatch.setenv("HOME", str(data_dir))
    monkeypatch.setenv("XDG_DATA_HOME", str(data_dir / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(settings_dir))
    yield
    # qtbot has closed the test's widgets and called deleteLater: delete them now, so that
    # windows of earlier tests do not pile up (each would follow every later theme change)
    if QCoreApplication.instance() is not None:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """A dialog that a test did not expect fails it instead of waiting for input forever;
    a test that expects one patches the ``ask_*`` method or the static call itself."""
    from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

    def refuse(*args, **kwargs):
        raise AssertionError(f"an unexpected modal dialog opened: {args[1:3]!r}")

    for name in ("critical", "warning", "information", "question", "about"):
        monkeypatch.setattr(QMessageBox, name, refuse)
    for name in ("getOpenFileName", "getSaveFileName", "getExistingDirectory"):
        monkeypatch.setattr(QFileDialog, name, refuse)
    monkeypatch.setattr(QInputDialog, "getText", refuse)
    monkeypatch.setattr(QMessageBox, "exec", refuse)
    monkeypatch.setattr(QDialog, "exec", refuse)


def _close_quietly(window) -> None:
    """Closing at the end of a test discards unsaved changes instead of asking."""
    window.ask_save_changes = lambda: "discard"


@pytest.fixture
def make_window(qtbot):
    """A factory of MainWindows that qtbot closes (without prompts) after the test."""
    from app.main_window import MainWindow

    def make(**kwargs):
        w = MainWindow(**kwargs)
        qtbot.addWidget(w, before_close_func=_close_quietly)
        return w

    return make


@pytest.fixture
def window(make_window, qtbot):
    """A shown MainWindow on its welcome page."""
    w = make_window()
    w.show()
    qtbot.waitExposed(w)
    return w


@pytest.fixture
def project(tmp_path):
    """A copy of the spirals example in the test's folder."""
    from .helpers import SPIRALS

    path = tmp_path / "spirals.ember.json"
    path.write_bytes(SPIRALS.read_bytes())
    return path


@pytest.fixture
def errors(monkeypatch) -> list[str]:
    """The texts of the error dialogs (QMessageBox.critical) shown."""
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append(text))
    return shown
