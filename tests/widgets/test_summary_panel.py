"""The summary panel shows core.model.summary's rows and totals and reveals a clicked node."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.model import catalog, serialize
from core.model.inference import infer
from core.model.summary import count_cell, shape_cell, summary_rows, summary_text
from widgets import theme
from widgets.summary_panel import COLUMNS, ID_ROLE, SummaryPanel

EXAMPLE = Path(__file__).resolve().parents[2] / "resources/examples/cnn_digits.ember.json"


@pytest.fixture
def panel(qtbot):
    widget = SummaryPanel()
    qtbot.addWidget(widget)
    widget.resize(700, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def doc():
    return serialize.load(EXAMPLE)


def cells(panel: SummaryPanel, row: int) -> list[str]:
    return [panel.model.index(row, c).data() for c in range(len(COLUMNS))]


def test_cells():
    assert shape_cell((16, 8, 8)) == "[N, 16, 8, 8]"
    assert shape_cell(None) == "?"
    assert count_cell(1234567) == "1,234,567"
    assert count_cell(0) == "--" and count_cell(None) == "?"


def test_rows_are_the_summary_rows(panel, doc):
    inf = infer(doc)
    panel.set_inference(inf, doc)
    rows = summary_rows(doc, inf)
    assert panel.model.rowCount() == len(rows) == len(doc)
    for i, r in enumerate(rows):
        assert cells(panel, i) == [
            r["name"],
            catalog.get(r["kind"]).display_name,
            shape_cell(r["shape"]),
            count_cell(r["params"]),
            count_cell(r["macs"]),
        ]
        assert panel.model.index(i, 0).data(ID_ROLE) == r["id"]
    conv = next(i for i, r in enumerate(rows) if r["id"] == "conv1")
    assert cells(panel, conv)[2] == "[N, 16, 8, 8]"
    assert cells(panel, conv)[3] == f"{inf.nodes['conv1'].params:,}"


def test_numbers_are_right_aligned(panel, doc):
    panel.set_inference(infer(doc), doc)
    align = panel.model.index(0, 3).data(Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight
    assert not panel.model.index(0, 0).data(Qt.ItemDataRole.TextAlignmentRole) & (
        Qt.AlignmentFlag.AlignRight
    )


def test_totals_match_the_inference_and_the_cli_summary(panel, doc):
    inf = infer(doc)
    panel.set_inference(inf, doc)
    assert panel.total_text("Total params") == f"{inf.total_params:,}"
    trainable = sum(n.params for n in inf.nodes.values())
    assert panel.total_text("Trainable params") == f"{trainable:,}"
    assert panel.total_text("MACs per sample").startswith(f"{inf.total_macs:,}")
    text = summary_text(doc, inf)
    size = panel.total_text("Estimated size")
    assert size.endswith(" MB")
    assert f"Estimated total size (MB, per sample): {size[:-3]}" in text
    assert not panel.note.isVisible()


def test_rows_with_an_error_are_tinted_and_unknown_layers_noted(panel, doc):
    doc.disconnect(doc.edge_into("conv2", "in"))
    inf = infer(doc)
    panel.set_inference(inf, doc)
    rows = summary_rows(doc, inf)
    background = Qt.ItemDataRole.BackgroundRole
    for i, r in enumerate(rows):
        tinted = panel.model.index(i, 0).data(background) is not None
        assert tinted == (r["severity"] is not None), r["id"]
    broken = next(i for i, r in enumerate(rows) if r["id"] == "conv2")
    assert panel.model.index(broken, 0).data(background).red() > 150
    assert cells(panel, broken)[2:] == ["?", "?", "?"]
    unknown = sum(r["shape"] is None for r in rows)
    assert panel.note.isVisible() and f"{unknown} layers" in panel.note.text()
    assert "(+" not in panel.total_text("Total params")  # the note says it instead


def test_updates_live_with_set_inference(panel, doc):
    panel.set_inference(infer(doc), doc)
    before = panel.total_text("Total params")
    doc.set_params("conv1", out_channels=32)
    inf = infer(doc)
    panel.set_inference(inf, doc)
    assert panel.total_text("Total params") == f"{inf.total_params:,}" != before
    conv = [panel.model.index(r, 0).data(ID_ROLE) for r in range(panel.model.rowCount())]
    assert cells(panel, conv.index("conv1"))[2] == "[N, 32, 8, 8]"
    panel.set_inference(None)
    assert panel.model.rowCount() == 0
    assert panel.total_text("Total params") == "0"


def test_clicking_a_row_activates_its_node(panel, doc, qtbot):
    panel.set_inference(infer(doc), doc)
    index = panel.model.index(2, 1)
    rect = panel.table.visualRect(index)
    with qtbot.waitSignal(panel.node_activated) as blocker:
        QTest.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [index.data(ID_ROLE)]
    panel.table.setCurrentIndex(panel.model.index(0, 0))
    with qtbot.waitSignal(panel.node_activated) as blocker:
        QTest.keyClick(panel.table, Qt.Key.Key_Return)
    assert blocker.args == [panel.model.index(0, 0).data(ID_ROLE)]


def test_row_tooltip_names_the_node_and_its_problem(panel, doc):
    doc.disconnect(doc.edge_into("conv2", "in"))
    panel.set_inference(infer(doc), doc)
    ids = [panel.model.index(r, 0).data(ID_ROLE) for r in range(panel.model.rowCount())]
    tip = panel.model.index(ids.index("conv2"), 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "conv2" in tip and "not connected" in tip


def test_error_tint_follows_the_theme(panel, doc):
    app = QApplication.instance()
    doc.disconnect(doc.edge_into("conv2", "in"))
    panel.set_inference(infer(doc), doc)
    ids = [panel.model.index(r, 0).data(ID_ROLE) for r in range(panel.model.rowCount())]
    index = panel.model.index(ids.index("conv2"), 0)
    light = panel.model.data(index, Qt.ItemDataRole.BackgroundRole)
    try:
        theme.apply_theme(app, "dark")
        dark = panel.model.data(index, Qt.ItemDataRole.BackgroundRole)
        assert dark.rgb() == theme.colors().error.rgb() != light.rgb()
    finally:
        theme.apply_theme(app, "light")


def test_an_unchanged_inference_keeps_the_selection_and_changes_keep_it_by_node(panel, doc):
    panel.set_inference(infer(doc), doc)
    panel.table.selectRow(2)
    chosen = panel.selected_id()
    assert chosen is not None
    panel.set_inference(infer(doc), doc)  # nothing changed: no reset
    assert panel.selected_id() == chosen
    assert panel.table.selectionModel().selectedRows()[0].row() == 2
    doc.set_params("conv1", out_channels=32)  # same rows, other numbers: changed in place
    panel.set_inference(infer(doc), doc)
    assert panel.selected_id() == chosen
    doc.add_node("ReLU", id="extra")  # another row count: reset, the selection follows
    panel.set_inference(infer(doc), doc)
    assert panel.selected_id() == chosen
    assert panel.table.selectionModel().selectedRows()[0].data(ID_ROLE) == chosen


def test_columns_fit_their_contents_as_qt_would_size_them(panel, doc):
    from PySide6.QtWidgets import QHeaderView

    panel.set_inference(infer(doc), doc)
    header = panel.table.horizontalHeader()
    ours = [header.sectionSize(c) for c in range(1, len(COLUMNS))]
    for c in range(1, len(COLUMNS)):
        header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
    header.resizeSections(QHeaderView.ResizeMode.ResizeToContents)
    assert [header.sectionSize(c) for c in range(1, len(COLUMNS))] == ours
