"""The welcome page: New / Open, the example cards and the recent projects."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.welcome import EXAMPLES_DIR, WelcomePage, load_examples
from core.model import serialize


@pytest.fixture
def page(qtbot):
    w = WelcomePage()
    qtbot.addWidget(w)
    return w


def test_every_bundled_example_has_a_card_with_its_title_and_description(page):
    files = sorted(EXAMPLES_DIR.glob("*.ember.json"))
    assert len(page.example_cards) == len(files) >= 6
    by_path = {card.path: card for card in page.example_cards}
    for path in files:
        meta = serialize.load(path).meta
        card = by_path[path]
        assert card.title_label.text() == meta["title"]
        shown = card.text_label.text()
        assert meta["description"].startswith(shown.removesuffix("…"))
        assert len(shown) <= 150
        assert meta["description"] in card.toolTip()  # the whole text


def test_broken_examples_are_skipped(tmp_path):
    good = tmp_path / "good.ember.json"
    good.write_bytes((EXAMPLES_DIR / "mlp_spirals.ember.json").read_bytes())
    (tmp_path / "broken.ember.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "empty.ember.json").write_text("", encoding="utf-8")
    examples = load_examples(tmp_path)
    assert [e.path for e in examples] == [good]
    assert examples[0].title == "MLP on spirals"
    assert examples[0].layers == 7


def test_clicking_a_card_asks_for_its_example(page, qtbot):
    card = page.example_cards[0]
    with qtbot.waitSignal(page.example_requested) as blocker:
        QTest.mouseClick(card, Qt.MouseButton.LeftButton)
    assert blocker.args == [card.path]


def test_enter_on_a_focused_card_opens_it(page, qtbot):
    card = page.example_cards[1]
    with qtbot.waitSignal(page.example_requested) as blocker:
        QTest.keyClick(card, Qt.Key.Key_Return)
    assert blocker.args == [card.path]


def test_new_and_open_buttons(page, qtbot):
    with qtbot.waitSignal(page.new_requested):
        page.new_button.click()
    with qtbot.waitSignal(page.open_requested):
        page.open_button.click()


def test_recent_cards_show_the_name_and_the_full_path_in_the_tooltip(page, qtbot, tmp_path):
    paths = [tmp_path / "a.ember.json", tmp_path / "b.ember.json"]
    page.set_recent(paths)
    assert [c.title_label.text() for c in page.recent_cards] == ["a", "b"]
    assert [c.toolTip() for c in page.recent_cards] == [str(p) for p in paths]
    with qtbot.waitSignal(page.recent_requested) as blocker:
        QTest.mouseClick(page.recent_cards[1], Qt.MouseButton.LeftButton)
    assert blocker.args == [paths[1]]
    page.set_recent([])
    assert page.recent_cards == []


def test_window_welcome_lists_existing_recent_files_only(window, tmp_path):
    kept = tmp_path / "kept.ember.json"
    gone = tmp_path / "gone.ember.json"
    for path in (kept, gone):
        path.write_bytes((EXAMPLES_DIR / "mlp_spirals.ember.json").read_bytes())
        window.settings.add_recent(path)
    gone.unlink()
    window.show_welcome()
    assert [c.path for c in window.welcome.recent_cards] == [kept]


def test_window_starts_on_the_welcome_page_with_docks_hidden(window):
    assert window.stack.currentWidget() is window.welcome
    assert window.windowTitle() == "Ember Studio"
    assert all(dock.isHidden() for dock in window.docks)
    assert not window.action("save").isEnabled()


def test_example_card_opens_the_example_untitled(window):
    card = next(c for c in window.welcome.example_cards if c.path.name == "cnn_digits.ember.json")
    card.clicked.emit()
    assert window.is_editing()
    assert window.controller.path is None
    assert len(window.controller.document.nodes) == len(serialize.load(card.path).nodes)
    assert all(not dock.isHidden() for dock in window.docks)


def test_new_button_starts_an_untitled_project(window):
    window.welcome.new_button.click()
    assert window.is_editing() and window.controller.display_name() == "Untitled"


def test_open_button_asks_for_a_file(window):
    asked = []
    window.ask_open_path = lambda: asked.append(1)
    window.welcome.open_button.click()
    assert asked == [1]
    assert not window.is_editing()


def test_short_folder_uses_the_tilde(monkeypatch, tmp_path):
    from app.welcome import _short_folder

    monkeypatch.setattr(Path, "home", lambda: tmp_path)
    assert _short_folder(tmp_path / "models") == "~/models"
    assert _short_folder(Path("/elsewhere")) == "/elsewhere"
