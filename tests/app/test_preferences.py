"""The Preferences dialog edits and stores the app's preferences."""

from app.app_settings import AppSettings
from app.preferences import Preferences, PreferencesDialog


def test_dialog_shows_the_given_values_and_reads_back_edits(qtbot):
    prefs = Preferences(theme="dark", autosave_interval=120, open_last_project=True,
                        grid_visible=False, snap_to_grid=True)  # fmt: skip
    dialog = PreferencesDialog(prefs)
    qtbot.addWidget(dialog)
    assert dialog.values() == prefs
    assert dialog.theme.currentText() == "Dark"
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    dialog.autosave.setValue(0)
    dialog.open_last.setChecked(False)
    dialog.grid_visible.setChecked(True)
    dialog.snap.setChecked(False)
    assert dialog.values() == Preferences("light", 0, False, True, False)
    assert dialog.autosave.text() == "Off"  # 0 turns autosave off, and says so


def test_preferences_round_trip_through_settings(qapp):
    prefs = Preferences("dark", 30, True, False, False)
    prefs.write(AppSettings())
    assert Preferences.read(AppSettings()) == prefs
