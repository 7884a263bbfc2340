"""Widget test setup: the Qt fixtures shared with tests/app (tests/gui_fixtures.py)."""

from tests.gui_fixtures import isolated_settings, no_modal_dialogs  # noqa: F401
