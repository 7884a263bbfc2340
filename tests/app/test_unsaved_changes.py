"""The unsaved-changes prompt before New, Open, an example, a recent file, Close Project and
closing the window: Save, Discard and Cancel and what each does."""

import pytest

from core.model import serialize

from .helpers import SPIRALS, edit


# -- unsaved-changes prompt ------------------------------------------------------------
def prompt_before(window, action, answer, tmp_path, other):
    """Edit, then run ``action`` answering ``answer``; the prompts asked."""
    asked = []

    def ask():
        asked.append(window.controller.display_name())
        return answer

    window.ask_save_changes = ask
    window.ask_save_path = lambda: tmp_path / "saved.ember.json"
    window.ask_open_path = lambda: other
    {
        "new": lambda: window.action("new").trigger(),
        "open": lambda: window.action("open").trigger(),
        "close_project": lambda: window.action("close_project").trigger(),
        "example": lambda: window.open_example(SPIRALS),
        "recent": lambda: window.open_recent(other),
        "close": window.close,
    }[action]()
    return asked


ACTIONS = ["new", "open", "close_project", "example", "recent", "close"]


@pytest.mark.parametrize("action", ACTIONS)
def test_cancel_keeps_the_unsaved_project(window, tmp_path, project, action):
    window.action("new").trigger()
    node = edit(window)
    asked = prompt_before(window, action, "cancel", tmp_path, project)
    assert asked == ["Untitled"]
    assert window.is_editing() and window.isVisible()
    assert node in window.controller.document
    assert window.controller.path is None and window.isWindowModified()


@pytest.mark.parametrize("action", ACTIONS)
def test_discard_drops_the_changes_and_goes_on(window, tmp_path, project, action):
    window.action("new").trigger()
    node = edit(window)
    asked = prompt_before(window, action, "discard", tmp_path, project)
    assert asked == ["Untitled"]
    assert not (tmp_path / "saved.ember.json").exists()
    if action == "close":
        assert not window.isVisible()
    else:
        assert node not in window.controller.document


@pytest.mark.parametrize("action", ACTIONS)
def test_save_saves_first_and_goes_on(window, tmp_path, project, action):
    window.action("new").trigger()
    node = edit(window)
    asked = prompt_before(window, action, "save", tmp_path, project)
    assert asked == ["Untitled"]
    saved = tmp_path / "saved.ember.json"
    assert node in serialize.load(saved)
    assert node not in window.controller.document or action == "close"


def test_no_prompt_without_changes(window, project):
    window.open_path(project)
    window.ask_save_changes = lambda: pytest.fail("asked without changes")
    window.action("new").trigger()
    window.action("close_project").trigger()
    assert not window.is_editing()


def test_save_cancelled_in_the_prompt_cancels_the_action(window, tmp_path, project):
    window.action("new").trigger()
    edit(window)
    window.ask_save_changes = lambda: "save"
    window.ask_save_path = lambda: None  # the Save As dialog is cancelled
    window.action("close_project").trigger()
    assert window.is_editing() and window.isWindowModified()
