"""Fixtures every GUI test (tests/app, tests/widgets) uses; their conftests import them.

Kept out of tests/conftest.py, which must not import Qt: tests/core runs without PySide6.
"""

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
    app = QCoreApplication.instance()
    if app is None:
        return
    # qtbot has closed the test's widgets and called deleteLater: delete them now, so that
    # widgets of earlier tests do not pile up (each would follow every later theme change)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # NOTE: offscreen Qt 6.11 crashes at process exit while the clipboard holds data
    from PySide6.QtWidgets import QApplication

    if isinstance(app, QApplication):
        QApplication.clipboard().clear()


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
