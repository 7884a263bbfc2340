"""Qt setup for GUI tests: offscreen rendering, and settings/recovery files kept out of the
user's real folders (QStandardPaths test mode; QSettings under a per-test temporary folder)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Each test starts with empty QSettings and its own app-data folder."""
    QCoreApplication.setOrganizationName("Ember Studio Tests")
    QCoreApplication.setApplicationName("Ember Studio Tests")
    QStandardPaths.setTestModeEnabled(True)
    settings_dir = tmp_path / "settings"
    data_dir = tmp_path / "data"
    settings_dir.mkdir()
    data_dir.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    monkeypatch.setenv("HOME", str(data_dir))
    monkeypatch.setenv("XDG_DATA_HOME", str(data_dir / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(settings_dir))
    yield
    # NOTE: offscreen Qt 6.11 crashes at process exit while the clipboard holds data
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is not None:
        QApplication.clipboard().clear()
