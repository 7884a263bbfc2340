"""AppSettings: typed preferences and remembered state in QSettings."""

import pytest
from PySide6.QtCore import QByteArray

from app.app_settings import MAX_RECENT, AppSettings


@pytest.fixture
def settings(qapp):
    return AppSettings()


def project(tmp_path, name):
    path = tmp_path / f"{name}.ember.json"
    path.write_text("{}", encoding="utf-8")
    return path


def test_defaults(settings):
    assert settings.theme == "system"
    assert settings.autosave_interval == 60
    assert settings.open_last_project is False
    assert settings.grid_visible is True
    assert settings.snap_to_grid is True
    assert settings.recent_files() == []
    assert settings.last_project is None
    assert settings.geometry is None and settings.window_state is None


def test_values_survive_a_new_instance(settings, tmp_path):
    settings.theme = "dark"
    settings.autosave_interval = 0
    settings.open_last_project = True
    settings.grid_visible = False
    settings.snap_to_grid = False
    settings.last_project = project(tmp_path, "a")
    settings.geometry = QByteArray(b"geometry")
    settings.sync()
    again = AppSettings()
    assert again.theme == "dark"
    assert again.autosave_interval == 0
    assert again.open_last_project is True
    assert again.grid_visible is False
    assert again.snap_to_grid is False
    assert again.last_project == tmp_path / "a.ember.json"
    assert again.geometry == QByteArray(b"geometry")


def test_unknown_theme_is_refused(settings):
    with pytest.raises(ValueError, match="unknown theme 'blue'"):
        settings.theme = "blue"


def test_recent_files_newest_first_without_repeats(settings, tmp_path):
    a, b = project(tmp_path, "a"), project(tmp_path, "b")
    settings.add_recent(a)
    settings.add_recent(b)
    settings.add_recent(a)
    assert settings.recent_files() == [a, b]


def test_a_single_recent_file_reads_back_as_a_list(settings, tmp_path):
    a = project(tmp_path, "a")
    settings.add_recent(a)
    settings.sync()
    assert AppSettings().recent_files() == [a]


def test_recent_files_keep_ten_existing_files(settings, tmp_path):
    paths = [project(tmp_path, f"p{i}") for i in range(MAX_RECENT + 2)]
    for path in paths:
        settings.add_recent(path)
    assert settings.recent_files() == paths[::-1][:MAX_RECENT]
    paths[-1].unlink()
    assert paths[-1] not in settings.recent_files()
    assert len(settings.recent_files()) == MAX_RECENT - 1


def test_remove_and_clear_recent(settings, tmp_path):
    a, b = project(tmp_path, "a"), project(tmp_path, "b")
    settings.add_recent(a)
    settings.add_recent(b)
    settings.remove_recent(a)
    assert settings.recent_files() == [b]
    settings.clear_recent()
    assert settings.recent_files() == []
