"""The model summary panel: a torchinfo-like table of layers with totals, updated live.

The rows and totals come from :mod:`core.model.summary` (the same numbers as
``ember-studio summary``); this module only lays them out.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.model import catalog, summary
from core.model.document import Document
from core.model.inference import ERROR, WARNING, Inference
from widgets import icons, theme
from widgets.common import EnterActivates
from widgets.problems import severity_icon

COLUMNS = ("Layer", "Kind", "Output shape", "Params", "MACs")
NUMERIC = {3, 4}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
# the footer: (caption, the key of core.model.summary.summary_totals it shows, format)
TOTALS = (
    ("Total params", "params", lambda n: f"{n:,}"),
    ("Trainable params", "trainable", lambda n: f"{n:,}"),
    ("MACs per sample", "macs", summary.with_human),
    ("Estimated size", "total_bytes", lambda n: f"{n / 1e6:.2f} MB"),
)


class SummaryModel(QAbstractTableModel):
    """The rows of :func:`core.model.summary.summary_rows` as a table."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict] = []
        self.diagnostics: dict[str, list] = {}

    def set_rows(self, rows: list[dict], diagnostics: dict[str, list]) -> bool:
        """Show ``rows`` (their nodes' ``diagnostics`` in the tooltips); False when they are
        what the model shows already. Rows of the same count change in place
        (``dataChanged`` of the rows that differ: the view keeps its selection and scroll
        position); another count resets the model."""
        old_rows, old_diagnostics = self.rows, self.diagnostics
        if len(rows) != len(old_rows):
            self.beginResetModel()
            self.rows = rows
            self.diagnostics = diagnostics
            self.endResetModel()
            return True
        changed = [
            i
            for i, (new, old) in enumerate(zip(rows, old_rows))
            if new != old or diagnostics.get(new["id"]) != old_diagnostics.get(old["id"])
        ]
        self.rows = rows
        self.diagnostics = diagnostics
        if not changed:
            return False
        last = len(COLUMNS) - 1
        self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))
        return True

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = section in NUMERIC
            align = Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft
            return align | Qt.AlignmentFlag.AlignVCenter
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell(row, col)
        if role == ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if col in NUMERIC:
                return Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            return Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            if row["severity"] in (ERROR, WARNING):
                return severity_icon(row["severity"])
            return icons.kind_icon(row["kind"])
        if role == Qt.ItemDataRole.BackgroundRole and row["severity"] in (ERROR, WARNING):
            colors = theme.colors()
            tint = QColor(colors.error if row["severity"] == ERROR else colors.warning)
            tint.setAlpha(48 if colors.window.lightnessF() < 0.5 else 34)
            return tint
        if role == Qt.ItemDataRole.ForegroundRole:
            text = self.cell(row, col)
            if text in (summary.NONE, summary.UNKNOWN):
                return theme.colors().muted_text
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        return None

    def cell(self, row: dict, col: int) -> str:
        if col == 0:
            return row["name"]
        if col == 1:
            try:
                return catalog.get(row["kind"]).display_name
            except KeyError:
                return row["kind"]
        if col == 2:
            return summary.shape_cell(row["shape"])
        return summary.count_cell(row["params"] if col == 3 else row["macs"])

    def _tooltip(self, row: dict) -> str:
        e = html.escape
        parts = [f"<b>{e(row['name'])}</b> <code>{e(row['id'])}</code>"]
        ins = ", ".join(summary.shape_cell(s) for s in row["in_shapes"])
        if ins:
            parts.append(f"in {e(ins)} \u2192 out {e(summary.shape_cell(row['shape']))}")
        for d in self.diagnostics.get(row["id"], ()):
            hint = f"<br/><i>{e(d.hint)}</i>" if d.hint else ""
            parts.append(f"<b>{e(d.severity.capitalize())}:</b> {e(d.message)}{hint}")
        return "<qt>" + "<br/>".join(parts) + "</qt>"


class _Padded(QStyledItemDelegate):
    """Cells with room on both sides, so that columns sized to their contents breathe."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        size = super().sizeHint(option, index)
        return QSize(size.width() + 18, size.height())


class SummaryPanel(QWidget):
    """Layer table (name, kind, output shape, params, MACs) above the model's totals."""

    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[dict] = []
        self.model = SummaryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_Padded(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setFrameShape(QFrame.Shape.NoFrame)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setAccessibleName("Model summary")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            # sized to their contents by _fit_columns: Qt's ResizeToContents would ask the
            # delegate about all 1,200 cells of a 300-layer model after every edit
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Fixed)
        self._text_widths: dict[tuple[int, str], int] = {}  # (column, text) -> cell width
        self._widths_font = ""
        numbers = QFont(self.table.font())
        numbers.setFeature(QFont.Tag("tnum"), 1)  # digits of equal width line up
        self.table.setFont(numbers)
        self.table.setIconSize(QSize(16, 16))
        self.table.clicked.connect(self._activate)
        self._enter = EnterActivates(self.table)
        self._enter.activated.connect(self._activate)

        self.footer = QWidget()
        self.footer.setObjectName("summaryTotals")
        bar = QHBoxLayout(self.footer)
        bar.setContentsMargins(10, 6, 10, 8)
        bar.setSpacing(24)
        self.total_labels: dict[str, QLabel] = {}
        self.caption_labels: list[QLabel] = []
        for caption, key, _ in TOTALS:
            block = QVBoxLayout()
            block.setSpacing(0)
            cap = QLabel(caption)
            small = QFont(cap.font())
            small.setPointSizeF(max(6.0, small.pointSizeF() * 0.85))
            cap.setFont(small)
            value = QLabel("0")
            value.setObjectName(f"total_{key}")
            bold = QFont(numbers)
            bold.setWeight(QFont.Weight.DemiBold)
            value.setFont(bold)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            block.addWidget(cap)
            block.addWidget(value)
            bar.addLayout(block)
            self.total_labels[caption] = value
            self.caption_labels.append(cap)
        bar.addStretch(1)
        self.note = QLabel()
        self.note.setObjectName("unknownNote")
        self.note.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        bar.addWidget(self.note)
        self.rule = QFrame()
        self.rule.setFrameShape(QFrame.Shape.HLine)
        self.rule.setFrameShadow(QFrame.Shadow.Plain)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.rule)
        layout.addWidget(self.footer)
        theme.notifier.changed.connect(self.apply_colors)
        self.apply_colors()
        self._show_totals([])

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(560, 220)

    # -- public API -----------------------------------------------------------------------
    def set_inference(self, inference: Inference | None, doc: Document | None = None) -> None:
        """Show the summary of ``inference`` (rows from core.model.summary.summary_rows)."""
        if inference is None:
            rows: list[dict] = []
            groups: dict = {}
        else:
            rows = summary.summary_rows(doc if doc is not None else Document(), inference)
            groups = inference.by_node()
        self.rows = rows
        keep = self.selected_id()
        if not self.model.set_rows(rows, groups):
            return  # the same rows (a move, a rename of nothing shown...): nothing to do
        self._fit_columns()
        self._show_totals(rows)
        if keep is not None and keep != self.selected_id():
            self.select_id(keep)

    def selected_id(self) -> str | None:
        """The node id of the current row (None when none)."""
        index = self.table.currentIndex()
        return index.data(ID_ROLE) if index.isValid() else None

    def select_id(self, node_id: str | None) -> bool:
        """Make the row of ``node_id`` the current and selected one; False when none shows."""
        for r, row in enumerate(self.model.rows):
            if row["id"] == node_id:
                self.table.selectRow(r)
                return True
        self.table.clearSelection()
        self.table.setCurrentIndex(QModelIndex())
        return False

    def total_text(self, caption: str) -> str:
        """The footer's value under ``caption`` (e.g. "Total params")."""
        return self.total_labels[caption].text()

    # -- internals ------------------------------------------------------------------------
    def _fit_columns(self) -> None:
        """Size the columns right of the name to their contents, as Qt's ResizeToContents
        does (the widest cell's size hint, at least the header's), asking the delegate
        about each distinct text once."""
        option = QStyleOptionViewItem()
        self.table.initViewItemOption(option)
        font = option.font.key()
        if font != self._widths_font or len(self._text_widths) > 8192:
            self._text_widths.clear()
            self._widths_font = font
        header = self.table.horizontalHeader()
        delegate = self.table.itemDelegate()
        model, widths = self.model, self._text_widths
        for col in range(1, len(COLUMNS)):
            best = header.sectionSizeHint(col)
            texts = {model.cell(row, col): r for r, row in enumerate(model.rows)}
            for text, r in texts.items():
                width = widths.get((col, text))
                if width is None:
                    index = model.index(r, col)
                    width = widths[col, text] = delegate.sizeHint(option, index).width()
                best = max(best, width)
            best = min(max(best, header.minimumSectionSize()), header.maximumSectionSize())
            if header.sectionSize(col) != best:
                header.resizeSection(col, best)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._text_widths.clear()
            self._fit_columns()

    def _show_totals(self, rows: list[dict]) -> None:
        values = summary.summary_totals(rows)
        for caption, key, show in TOTALS:
            self.total_labels[caption].setText(show(values[key]))
        unknown = values["unknown"]
        self.note.setText(
            f"{unknown} layer{'' if unknown == 1 else 's'} of unknown shape not counted"
            if unknown
            else ""
        )
        self.note.setVisible(bool(unknown))
        self.footer.layout().activate()  # sizes follow the new texts now (e.g. for a grab)

    def _activate(self, index: QModelIndex) -> None:
        node_id = index.data(ID_ROLE) if index.isValid() else None
        if node_id:
            self.node_activated.emit(node_id)

    def apply_colors(self) -> None:
        """Take the current theme's colours (tints, muted text)."""
        colors = theme.colors()
        for cap in (*self.caption_labels, self.note):
            cap.setStyleSheet(f"color: {colors.muted_text.name()};")
        self.rule.setStyleSheet(f"color: {colors.node_border.name()};")
        self.model.layoutChanged.emit()
        self._text_widths.clear()
        self._fit_columns()
