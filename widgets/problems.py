"""The Problems panel: the model's diagnostics, errors first; a click reveals the node."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from core.model.document import Document
from core.model.inference import ERROR, INFO, WARNING, Diagnostic, Inference
from widgets import icons, theme
from widgets.common import EnterActivates, sentence

NODE_ROLE = Qt.ItemDataRole.UserRole + 1  # the diagnostic's node id (None: model-wide)
DIAGNOSTIC_ROLE = Qt.ItemDataRole.UserRole + 2  # the Diagnostic itself
WHERE_ROLE = Qt.ItemDataRole.UserRole + 3  # the node's name, or "Model"
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 4  # the message as the row shows it
ORDER = {ERROR: 0, WARNING: 1, INFO: 2}
MODEL = "Model"
NO_PROBLEMS = "No problems"


def severity_icon(severity: str) -> QIcon:
    """The icon of a diagnostic severity ("error", "warning", "info") in its theme colour."""
    colors = theme.colors()
    color = {ERROR: colors.error, WARNING: colors.warning}.get(severity, colors.info)
    return icons.icon(severity if severity in ORDER else INFO, color)


def counts_text(errors: int, warnings: int, infos: int = 0) -> str:
    """``2 errors, 1 warning`` (``No problems`` when all are zero)."""
    parts = []
    for n, word in ((errors, "error"), (warnings, "warning"), (infos, "note")):
        if n:
            parts.append(f"{n} {word}{'' if n == 1 else 's'}")
    return ", ".join(parts) or NO_PROBLEMS


def sorted_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Errors, then warnings, then notes; each group in inference order."""
    return sorted(diagnostics, key=lambda d: ORDER.get(d.severity, len(ORDER)))


class _Delegate(QStyledItemDelegate):
    """Two lines per problem: icon, bold place and message; the hint below in muted text."""

    PAD = 6
    ICON = 16

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.where_width = 0  # the place column: as wide as the widest name shown

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        metrics = QFontMetrics(option.font)
        lines = 2 if index.data(DIAGNOSTIC_ROLE).hint else 1
        return QSize(200, lines * metrics.height() + (lines - 1) * 2 + 2 * self.PAD)

    def paint(self, painter: QPainter, option, index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = QIcon()  # the severity icon is drawn below
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        d: Diagnostic = index.data(DIAGNOSTIC_ROLE)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_color = pal.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = theme.colors().muted_text if not selected else text_color
        rect = option.rect.adjusted(self.PAD + 2, self.PAD, -self.PAD, -self.PAD)
        metrics = QFontMetrics(option.font)
        line_h = metrics.height()
        painter.save()
        icon_top = rect.top() + (line_h - self.ICON) // 2
        severity_icon(d.severity).paint(painter, QRect(rect.left(), icon_top, self.ICON, self.ICON))
        x = rect.left() + self.ICON + 8
        width = rect.right() - x
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        where = index.data(WHERE_ROLE)
        bold_metrics = QFontMetrics(bold)
        where_w = max(self.where_width, bold_metrics.horizontalAdvance(where) + 2)
        where_w = min(where_w, width * 2 // 5)
        painter.setFont(bold)
        painter.setPen(text_color)
        painter.drawText(
            QRect(x, rect.top(), where_w, line_h),
            Qt.AlignmentFlag.AlignVCenter,
            bold_metrics.elidedText(where, Qt.TextElideMode.ElideRight, where_w),
        )
        painter.setFont(option.font)
        msg_x = x + where_w + 12
        message = metrics.elidedText(
            index.data(MESSAGE_ROLE), Qt.TextElideMode.ElideRight, rect.right() - msg_x
        )
        painter.drawText(
            QRect(msg_x, rect.top(), rect.right() - msg_x, line_h),
            Qt.AlignmentFlag.AlignVCenter,
            message,
        )
        if d.hint:
            painter.setPen(muted)
            hint = metrics.elidedText(
                "\u2192 " + sentence(d.hint), Qt.TextElideMode.ElideRight, width
            )
            painter.drawText(
                QRect(x, rect.top() + line_h + 2, width, line_h),
                Qt.AlignmentFlag.AlignVCenter,
                hint,
            )
        painter.restore()


class ProblemsPanel(QWidget):
    """Diagnostics of the latest inference, errors first, with a count header.

    ``node_activated(node_id)`` on a click or Enter on a problem of a node;
    ``counts_changed(errors, warnings)`` whenever those counts change.
    """

    node_activated = Signal(str)
    counts_changed = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts = (0, 0)
        self.diagnostics: list[Diagnostic] = []
        self._rows: list[tuple[Diagnostic, str, str]] = []  # (diagnostic, place, message)
        self.header_icon = QLabel()
        self.header = QLabel(NO_PROBLEMS)
        self.header.setObjectName("problemsHeader")
        font = QFont(self.header.font())
        font.setWeight(QFont.Weight.DemiBold)
        self.header.setFont(font)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 6)
        top.setSpacing(6)
        top.addWidget(self.header_icon)
        top.addWidget(self.header, 1)

        self.model = QStandardItemModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = _Delegate(self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.view.setUniformItemSizes(False)
        self.view.setFrameShape(QFrame.Shape.NoFrame)
        self.view.setMouseTracking(True)
        self.view.setAccessibleName("Problems")
        self.view.clicked.connect(self._activate)
        self._enter = EnterActivates(self.view)
        self._enter.activated.connect(self._activate)
        self.empty = QLabel("Shape inference found nothing to fix.")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty)
        self.stack.setCurrentWidget(self.empty)  # no problems until an inference says so

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Plain)
        self.rule = line
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(line)
        layout.addWidget(self.stack, 1)
        theme.notifier.changed.connect(self.apply_colors)
        self.apply_colors()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(480, 200)

    # -- public API -----------------------------------------------------------------------
    def set_inference(self, inference: Inference | None, doc: Document | None = None) -> None:
        """Show ``inference``'s diagnostics (names from ``doc`` where given)."""
        diagnostics = [] if inference is None else sorted_diagnostics(inference.diagnostics)
        rows = [
            (d, _where(d.node_id, inference, doc), _short_message(d, inference))
            for d in diagnostics
        ]
        if rows == self._rows:
            return  # the same problems (most edits): the list, its selection and scroll stay
        self._rows = rows
        self.diagnostics = diagnostics
        items = []
        for d, where, message in rows:
            item = QStandardItem(f"{where}: {message}")
            item.setData(d, DIAGNOSTIC_ROLE)
            item.setData(d.node_id, NODE_ROLE)
            item.setData(where, WHERE_ROLE)
            item.setData(message, MESSAGE_ROLE)
            item.setToolTip(_tooltip(d, where))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            items.append(item)
        self.model.clear()
        if items:  # one insertion: the list lays its rows out once
            self.model.invisibleRootItem().appendRows(items)
        bold = QFont(self.view.font())
        bold.setWeight(QFont.Weight.DemiBold)
        metrics = QFontMetrics(bold)
        self.delegate.where_width = max(
            (metrics.horizontalAdvance(where) + 2 for where in {w for _, w, _ in rows}),
            default=0,
        )
        errors = sum(d.severity == ERROR for d in diagnostics)
        warnings = sum(d.severity == WARNING for d in diagnostics)
        infos = len(diagnostics) - errors - warnings
        self.header.setText(counts_text(errors, warnings, infos))
        self._header_icon(errors, warnings, infos)
        self.stack.setCurrentWidget(self.view if diagnostics else self.empty)
        if (errors, warnings) != self.counts:
            self.counts = (errors, warnings)
            self.counts_changed.emit(errors, warnings)

    def row_texts(self) -> list[str]:
        """Each row as ``place: message`` (for tests and accessibility)."""
        return [self.model.item(r).text() for r in range(self.model.rowCount())]

    # -- internals ------------------------------------------------------------------------
    def _activate(self, index: QModelIndex) -> None:
        node_id = index.data(NODE_ROLE) if index.isValid() else None
        if node_id:
            self.node_activated.emit(node_id)

    def _header_icon(self, errors: int, warnings: int, infos: int) -> None:
        name = "error" if errors else "warning" if warnings else "info" if infos else None
        if name is None:
            self.header_icon.hide()
        else:
            self.header_icon.setPixmap(severity_icon(name).pixmap(QSize(16, 16)))
            self.header_icon.show()

    def apply_colors(self) -> None:
        """Take the current theme's colours and icons."""
        colors = theme.colors()
        self.empty.setStyleSheet(f"color: {colors.muted_text.name()};")
        self.rule.setStyleSheet(f"color: {colors.node_border.name()};")
        errors, warnings = self.counts
        infos = len(self.diagnostics) - errors - warnings
        self._header_icon(errors, warnings, infos)
        self.view.viewport().update()


def _short_message(d: Diagnostic, inference: Inference | None) -> str:
    """The message without a leading "'name' (Kind): " that the place column shows already."""
    info = None if inference is None or d.node_id is None else inference.nodes.get(d.node_id)
    if info is None:
        return sentence(d.message)
    for prefix in (f"{info.name!r} ({info.kind}): ", f"{info.name!r}: "):
        if d.message.startswith(prefix) and len(d.message) > len(prefix):
            return sentence(d.message[len(prefix) :])
    return sentence(d.message)


def _where(node_id: str | None, inference: Inference | None, doc: Document | None) -> str:
    if node_id is None:
        return MODEL
    if doc is not None and node_id in doc:
        return doc.node(node_id).name
    info = None if inference is None else inference.nodes.get(node_id)
    return info.name if info is not None else node_id


def _tooltip(d: Diagnostic, where: str) -> str:
    e = html.escape
    word = {ERROR: "Error", WARNING: "Warning"}.get(d.severity, "Note")
    text = f"<qt><b>{word} \u2014 {e(where)}</b><br/>{e(sentence(d.message))}"
    if d.hint:
        text += f"<br/><i>{e(sentence(d.hint))}</i>"
    return text + "</qt>"
