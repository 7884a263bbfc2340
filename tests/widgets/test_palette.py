"""The palette lists the catalog by category, searches it, activates kinds and drags them."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QDrag, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.model import catalog
from core.model.catalog import CATEGORIES
from widgets import theme
from widgets.mime import KIND_MIME, kind_from_mime, kind_mime_data
from widgets.palette import KIND_ROLE, PLACEHOLDER, PaletteWidget, drag_pixmap, tooltip_html

CONVS = {"Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"}


def double_click(view, pos) -> None:
    """A real double click: Qt 6's mouseDClick alone sends no press before it."""
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


@pytest.fixture
def palette(qtbot):
    widget = PaletteWidget()
    qtbot.addWidget(widget)
    widget.resize(260, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# -- listing ------------------------------------------------------------------------------
def test_every_catalog_kind_is_listed_under_its_category_in_catalog_order(palette):
    groups = catalog.by_category()
    assert palette.categories() == [c for c in CATEGORIES if c in groups]
    for category, entries in groups.items():
        assert palette.kinds_in(category) == [e.kind for e in entries]
    assert sorted(palette.visible_kinds()) == sorted(catalog.CATALOG)


def test_categories_start_expanded_and_kinds_show_display_names(palette):
    for row in range(palette.proxy.rowCount()):
        assert palette.tree.isExpanded(palette.proxy.index(row, 0))
    index = palette.index_of("MultiheadAttention")
    assert index.data() == "Multi-head Attention"
    assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()


def test_clicking_a_category_collapses_and_expands_it(palette):
    head = palette.proxy.index(1, 0)
    center = palette.tree.visualRect(head).center()
    QTest.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert not palette.tree.isExpanded(head)
    QTest.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert palette.tree.isExpanded(head)


def test_search_box_has_placeholder_and_clear_button(palette):
    assert palette.search.placeholderText() == PLACEHOLDER
    assert palette.search.isClearButtonEnabled()


def test_tooltip_has_name_category_doc_and_parameters():
    entry = catalog.get("Conv2d")
    tip = tooltip_html(entry)
    assert entry.display_name in tip and entry.category in tip
    assert entry.doc.split(":")[0] in tip
    for p in entry.params:
        assert p.name in tip
    assert "1024" in tip  # kernel_size's upper bound
    assert "No parameters" in tooltip_html(catalog.get("ReLU"))


def test_item_tooltip_is_the_kinds_tooltip(palette):
    index = palette.index_of("Dropout")
    assert index.data(Qt.ItemDataRole.ToolTipRole) == tooltip_html(catalog.get("Dropout"))


# -- search -------------------------------------------------------------------------------
def test_search_conv_shows_the_convolutions_only(palette):
    palette.set_filter("conv")
    shown = set(palette.visible_kinds())
    assert CONVS <= shown
    assert "Linear" not in shown and "MaxPool2d" not in shown
    assert palette.search.text() == "conv"


def test_search_is_case_insensitive_and_expands_matching_categories(palette):
    palette.tree.collapseAll()
    palette.set_filter("POOL")
    shown = palette.visible_kinds()
    assert set(palette.kinds_in("Pooling")) == {e.kind for e in catalog.by_category()["Pooling"]}
    assert all(catalog.get(k).category == "Pooling" for k in shown)
    assert palette.categories() == ["Pooling"]
    assert palette.tree.isExpanded(palette.proxy.index(0, 0))


def test_search_matches_doc_words_and_category_names(palette):
    palette.set_filter("residual")
    assert "Add" in palette.visible_kinds()
    palette.set_filter("normalization")
    assert {"BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm"} <= set(palette.visible_kinds())
    palette.set_filter("multi head")  # every word must match
    assert palette.visible_kinds() == ["MultiheadAttention"]


def test_search_with_no_match_hides_everything_and_says_so(palette):
    palette.set_filter("zzqx nothing")
    assert palette.visible_kinds() == []
    assert palette.categories() == []
    assert palette.empty.isVisible() and not palette.tree.isVisible()
    assert "zzqx nothing" in palette.empty.text()
    palette.set_filter("")
    assert len(palette.visible_kinds()) == len(catalog.CATALOG)
    assert palette.tree.isVisible() and not palette.empty.isVisible()


def test_escape_clears_the_search(palette):
    QTest.keyClicks(palette.search, "lstm")
    assert "LSTM" in palette.visible_kinds() and "Linear" not in palette.visible_kinds()
    QTest.keyClick(palette.search, Qt.Key.Key_Escape)
    assert palette.search.text() == ""
    assert len(palette.visible_kinds()) == len(catalog.CATALOG)


# -- activation ---------------------------------------------------------------------------
def test_double_click_on_a_kind_emits_kind_activated(palette, qtbot):
    index = palette.index_of("Linear")
    palette.tree.scrollTo(index)
    center = palette.tree.visualRect(index).center()
    with qtbot.waitSignal(palette.kind_activated) as blocker:
        double_click(palette.tree, center)
    assert blocker.args == ["Linear"]


def test_double_click_on_a_category_emits_nothing(palette, qtbot):
    index = palette.proxy.index(0, 0)
    center = palette.tree.visualRect(index).center()
    with qtbot.assertNotEmitted(palette.kind_activated):
        double_click(palette.tree, center)


def test_enter_on_the_current_kind_emits_kind_activated(palette, qtbot):
    palette.tree.setCurrentIndex(palette.index_of("Dropout"))
    with qtbot.waitSignal(palette.kind_activated) as blocker:
        QTest.keyClick(palette.tree, Qt.Key.Key_Return)
    assert blocker.args == ["Dropout"]


def test_enter_in_the_search_box_activates_the_best_match(palette, qtbot):
    QTest.keyClicks(palette.search, "relu6")
    with qtbot.waitSignal(palette.kind_activated) as blocker:
        QTest.keyClick(palette.search, Qt.Key.Key_Return)
    assert blocker.args == ["ReLU6"]


def test_enter_prefers_a_name_match_over_a_doc_match(palette, qtbot):
    palette.set_filter("linear")  # "Linear" by name; others mention "linear" in their doc
    assert len(palette.visible_kinds()) > 1
    with qtbot.waitSignal(palette.kind_activated) as blocker:
        QTest.keyClick(palette.search, Qt.Key.Key_Enter)
    assert blocker.args == ["Linear"]


def test_down_arrow_moves_from_the_search_box_into_the_list(palette, qtbot):
    palette.activateWindow()
    palette.search.setFocus()
    QTest.keyClicks(palette.search, "gru")
    QTest.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.tree.currentIndex().data(KIND_ROLE) == "GRU"
    qtbot.waitUntil(palette.tree.hasFocus)
    with qtbot.waitSignal(palette.kind_activated) as blocker:
        QTest.keyClick(palette.tree, Qt.Key.Key_Return)
    assert blocker.args == ["GRU"]


def test_enter_with_no_match_emits_nothing(palette, qtbot):
    QTest.keyClicks(palette.search, "qqqq")
    with qtbot.assertNotEmitted(palette.kind_activated):
        QTest.keyClick(palette.search, Qt.Key.Key_Return)


# -- drag ---------------------------------------------------------------------------------
def test_mime_data_round_trip():
    mime = kind_mime_data("Conv2d")
    assert mime.hasFormat(KIND_MIME)
    assert bytes(mime.data(KIND_MIME).data()) == b"Conv2d"
    assert kind_from_mime(mime) == "Conv2d"


def test_kind_from_mime_refuses_unknown_or_missing_kinds():
    assert kind_from_mime(None) is None
    other = QMimeData()
    other.setText("Conv2d")
    assert kind_from_mime(other) is None
    unknown = QMimeData()
    unknown.setData(KIND_MIME, b"NoSuchLayer")
    assert kind_from_mime(unknown) is None
    broken = QMimeData()
    broken.setData(KIND_MIME, b"\xff\xfe")
    assert kind_from_mime(broken) is None


def test_a_drag_of_a_kind_carries_its_mime(palette):
    assert palette.model.mimeTypes() == [KIND_MIME]
    mime = palette.mime_for("GRU")
    assert kind_from_mime(mime) == "GRU"
    view_mime = palette.proxy.mimeData([palette.index_of("LayerNorm")])
    assert kind_from_mime(view_mime) == "LayerNorm"
    assert palette.model.flags(palette.source_index("GRU")) & Qt.ItemFlag.ItemIsDragEnabled
    category = palette.model.index(0, 0)
    assert not palette.model.flags(category) & Qt.ItemFlag.ItemIsDragEnabled
    assert palette.model.mimeData([category]) is None


def test_drag_pixmap_shows_the_kind(palette):
    pixmap = drag_pixmap(palette, "TransformerEncoderLayer")
    short = drag_pixmap(palette, "ReLU")
    assert not pixmap.isNull()
    assert pixmap.width() > short.width()  # sized to the display name


def test_starting_a_drag_carries_the_kind_and_a_pixmap(palette, monkeypatch):
    started = []

    def fake_exec(drag, *args):
        started.append((kind_from_mime(drag.mimeData()), drag.pixmap().isNull(), args))
        return Qt.DropAction.CopyAction

    monkeypatch.setattr(QDrag, "exec", fake_exec)
    palette.tree.setCurrentIndex(palette.index_of("Conv2d"))
    palette.tree.startDrag(Qt.DropAction.CopyAction)
    assert started == [("Conv2d", False, (Qt.DropAction.CopyAction,))]
    palette.tree.setCurrentIndex(palette.proxy.index(0, 0))  # a category: no drag
    palette.tree.startDrag(Qt.DropAction.CopyAction)
    assert len(started) == 1


def test_theme_change_keeps_the_search_and_follows_the_colours(palette):
    app = QApplication.instance()
    palette.set_filter("pool")
    try:
        theme.apply_theme(app, "dark")
        assert palette.search.text() == "pool"
        assert palette.categories() == ["Pooling"]
        base = palette.tree.palette().color(QPalette.ColorRole.Base)
        assert base == app.palette().color(QPalette.ColorRole.Window)
        assert base.lightnessF() < 0.5
        text = palette.tree.palette().color(QPalette.ColorRole.Text)
        assert text.lightnessF() > 0.5  # light text on the dark list, not the old palette's
    finally:
        theme.apply_theme(app, "light")
    assert palette.tree.palette().color(QPalette.ColorRole.Base).lightnessF() > 0.5
    assert palette.tree.palette().color(QPalette.ColorRole.Text).lightnessF() < 0.5
