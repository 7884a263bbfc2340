"""App test fixtures: windows, a project copy, captured error dialogs (the Qt setup shared
with tests/widgets is in tests/gui_fixtures.py)."""

import pytest

from tests.gui_fixtures import isolated_settings, no_modal_dialogs  # noqa: F401


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
