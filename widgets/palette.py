"""The layer palette: catalog kinds grouped by category, with search, tooltips and drag.

Double-click or Enter on a kind emits ``kind_activated(kind)`` (the app adds it beside the
selection); dragging a kind carries :data:`widgets.mime.KIND_MIME` to the canvas.
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPoint,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from core.model import catalog
from core.model.catalog import CATEGORIES, LayerKind
from core.model.params import Param
from widgets import icons, theme
from widgets.common import EnterActivates
from widgets.mime import KIND_MIME, kind_mime_data

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # the catalog kind of a kind row (None: a category)
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 2  # the lower-case text a search looks in
COUNT_ROLE = Qt.ItemDataRole.UserRole + 3  # a category row: how many kinds it holds
NO_MATCH = "No layers match \u201c{}\u201d"
PLACEHOLDER = "Search layers\u2026"
_WORD = re.compile(r"[a-z0-9_]+")


# -- texts --------------------------------------------------------------------------------
def _value(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _range(p: Param) -> str:
    if p.type == "choice":
        return ", ".join(_value(c) for c in p.choices)
    if p.min is None and p.max is None:
        return ""
    le = "\u2264"
    low = "" if p.min is None else f"{_value(p.min)} {'<' if p.min_exclusive else le} "
    high = "" if p.max is None else f" {le} {_value(p.max)}"
    return f"{low}x{high}"


def tooltip_html(entry: LayerKind) -> str:
    """A kind's tooltip: display name, category, doc and its parameters (rich text)."""
    e = html.escape
    parts = [
        f"<p style='white-space:pre'><b>{e(entry.display_name)}</b>"
        f" &nbsp;<span style='color:gray'>{e(entry.category)}</span></p>",
        f"<p>{e(entry.doc)}</p>",
    ]
    if len(entry.params):
        rows = []
        for p in entry.params:
            kind = p.type + (f"[{p.length}]" if p.length and p.type != "size" else "")
            if p.optional:
                kind += "?"
            rows.append(
                "<tr>"
                f"<td><code>{e(p.name)}</code></td>"
                f"<td style='color:gray'>{e(kind)}</td>"
                f"<td>{e(_value(p.default))}</td>"
                f"<td style='color:gray'>{e(_range(p))}</td>"
                "</tr>"
            )
        parts.append(
            "<table cellspacing='0' cellpadding='3'>"
            "<tr><th align='left'>Parameter</th><th align='left'>Type</th>"
            "<th align='left'>Default</th><th align='left'>Range</th></tr>"
            + "".join(rows)
            + "</table>"
        )
    else:
        parts.append("<p style='color:gray'>No parameters.</p>")
    return "<qt>" + "".join(parts) + "</qt>"


def _search_text(entry: LayerKind) -> str:
    return "\n".join((entry.display_name, entry.kind, entry.category)).lower()


def _doc_words(entry: LayerKind) -> frozenset[str]:
    return frozenset(_WORD.findall(entry.doc.lower()))


def matches(entry: LayerKind, query: str) -> bool:
    """Whether every word of ``query`` is in the kind's name, kind or category, or starts a
    word of its doc (case-insensitive)."""
    names = _search_text(entry)
    words = _doc_words(entry)
    for term in query.lower().split():
        if term in names:
            continue
        if not any(w.startswith(term) for w in words):
            return False
    return True


# -- model --------------------------------------------------------------------------------
class PaletteModel(QStandardItemModel):
    """Categories (top level, CATEGORIES order) holding their kinds; kinds drag as KIND_MIME."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.populate()

    def populate(self) -> None:
        """(Re)fill from the catalog with the current theme's icons."""
        self.clear()
        groups = catalog.by_category()
        for category in CATEGORIES:
            entries = groups.get(category)
            if not entries:
                continue
            head = QStandardItem(icons.category_icon(category), category)
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setData(None, KIND_ROLE)
            head.setData(category.lower(), SEARCH_ROLE)
            head.setData(len(entries), COUNT_ROLE)
            for entry in entries:
                item = QStandardItem(icons.kind_icon(entry.kind), entry.display_name)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                item.setData(entry.kind, KIND_ROLE)
                item.setData(_search_text(entry), SEARCH_ROLE)
                item.setToolTip(tooltip_html(entry))
                head.appendRow(item)
            self.appendRow(head)

    def mimeTypes(self) -> list[str]:  # noqa: N802 - Qt override
        return [KIND_MIME]

    def mimeData(self, indexes):  # noqa: N802 - Qt override
        kinds = [i.data(KIND_ROLE) for i in indexes if i.data(KIND_ROLE)]
        return kind_mime_data(kinds[0]) if kinds else None

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 - Qt override
        return Qt.DropAction.CopyAction


class PaletteFilter(QSortFilterProxyModel):
    """Shows the kinds that :func:`matches` the query, and the categories holding any."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.query = ""
        self.setRecursiveFilteringEnabled(True)

    def set_query(self, query: str) -> None:
        self.beginFilterChange()
        self.query = query.strip()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        if not self.query:
            return True
        index = self.sourceModel().index(row, 0, parent)
        kind = index.data(KIND_ROLE)
        if kind is None:
            return False  # a category shows when one of its kinds does (recursive filtering)
        return matches(catalog.get(kind), self.query)


# -- view ---------------------------------------------------------------------------------
class _Delegate(QStyledItemDelegate):
    """Category rows as small-caps section headers with a count; kinds as icon + name."""

    def sizeHint(self, option, index) -> QSize:  # noqa: N802 - Qt override
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 26 if index.parent().isValid() else 28))

    def paint(self, painter: QPainter, option, index) -> None:
        if index.parent().isValid():
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        painter.save()
        rect = opt.rect
        pal = opt.palette
        font = QFont(opt.font)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlphaF(0.55)
        icon_size = 16
        x = rect.left() + 2
        opt.icon.paint(
            painter, QRect(x, rect.center().y() - icon_size // 2 + 1, icon_size, icon_size)
        )
        x += icon_size + 6
        painter.setPen(text)
        name_rect = QRect(x, rect.top(), rect.right() - x, rect.height())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter, opt.text)
        advance = painter.fontMetrics().horizontalAdvance(opt.text)
        count = index.data(COUNT_ROLE)
        if count is not None:
            small = QFont(opt.font)
            small.setPointSizeF(max(6.0, opt.font.pointSizeF() - 1))
            painter.setFont(small)
            painter.setPen(muted)
            count_rect = QRect(x + advance + 6, rect.top(), 60, rect.height())
            painter.drawText(count_rect, Qt.AlignmentFlag.AlignVCenter, str(count))
        painter.restore()


class _Tree(QTreeView):
    """The tree: a drag carries KIND_MIME and an item chip."""

    def startDrag(self, actions: Qt.DropAction) -> None:  # noqa: N802 - Qt override
        index = self.currentIndex()
        kind = index.data(KIND_ROLE)
        if not kind:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData([index]))
        pixmap = drag_pixmap(self, kind)
        drag.setPixmap(pixmap)
        drag.setHotSpot(QPoint(12, int(pixmap.height() / pixmap.devicePixelRatio() / 2)))
        drag.exec(Qt.DropAction.CopyAction)


def drag_pixmap(widget: QWidget, kind: str) -> QPixmap:
    """A chip with the kind's icon and display name, drawn while dragging it."""
    entry = catalog.get(kind)
    font = QFont(widget.font())
    font.setWeight(QFont.Weight.DemiBold)
    metrics = QFontMetrics(font)
    ratio = widget.devicePixelRatioF()
    width = 16 + 8 + metrics.horizontalAdvance(entry.display_name) + 20
    height = max(26, metrics.height() + 10)
    pixmap = QPixmap(int(width * ratio), int(height * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    colors = theme.colors()
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor(colors.node_fill)
    fill.setAlpha(235)
    painter.setBrush(fill)
    painter.setPen(colors.category.get(entry.category, colors.accent))
    painter.drawRoundedRect(0.5, 0.5, width - 1, height - 1, 6, 6)
    icons.kind_icon(kind).paint(painter, QRect(8, (height - 16) // 2, 16, 16))
    painter.setFont(font)
    painter.setPen(colors.text)
    painter.drawText(
        QRect(30, 0, width - 30, height), Qt.AlignmentFlag.AlignVCenter, entry.display_name
    )
    painter.end()
    return pixmap


class PaletteWidget(QWidget):
    """Search box above the catalog tree; emits ``kind_activated`` on double-click/Enter."""

    kind_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText(PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search layers")
        self._search_action = self.search.addAction(
            icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition
        )
        self.model = PaletteModel(self)
        self.proxy = PaletteFilter(self)
        self.proxy.setSourceModel(self.model)
        self.tree = _Tree()
        self.tree.setModel(self.proxy)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setExpandsOnDoubleClick(False)  # a click toggles a category
        self.tree.setIndentation(10)
        self.tree.setUniformRowHeights(False)
        self.tree.setIconSize(QSize(18, 18))
        self.tree.setItemDelegate(_Delegate(self.tree))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setMouseTracking(True)
        self.tree.setFrameShape(QTreeView.Shape.NoFrame)
        self.tree.setAccessibleName("Layer kinds")
        self.tree.expandAll()
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setContentsMargins(8, 16, 8, 8)
        self.empty.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1)

        self.search.textChanged.connect(self.set_filter)
        self.search.returnPressed.connect(self._activate_from_search)
        self.search.installEventFilter(self)
        self.tree.doubleClicked.connect(self._activate)
        self.tree.clicked.connect(self._toggle_category)
        self._enter = EnterActivates(self.tree)
        self._enter.activated.connect(self._activate)
        theme.notifier.changed.connect(self.apply_colors)
        self._style()

    # -- queries --------------------------------------------------------------------------
    def mime_for(self, kind: str):
        """The QMimeData a drag of ``kind`` carries (what the model's mimeData gives)."""
        return self.model.mimeData([self.source_index(kind)])

    def source_index(self, kind: str) -> QModelIndex:
        """The model index of ``kind``'s row (invalid if not in the catalog)."""
        for r in range(self.model.rowCount()):
            head = self.model.index(r, 0)
            for k in range(self.model.rowCount(head)):
                index = self.model.index(k, 0, head)
                if index.data(KIND_ROLE) == kind:
                    return index
        return QModelIndex()

    def index_of(self, kind: str) -> QModelIndex:
        """The view index of ``kind`` (invalid when the search hides it)."""
        return self.proxy.mapFromSource(self.source_index(kind))

    def categories(self) -> list[str]:
        """The categories shown, in order."""
        return [self.proxy.index(r, 0).data() for r in range(self.proxy.rowCount())]

    def visible_kinds(self) -> list[str]:
        """The kinds the search shows, in display order."""
        out = []
        for r in range(self.proxy.rowCount()):
            head = self.proxy.index(r, 0)
            out += [
                self.proxy.index(k, 0, head).data(KIND_ROLE)
                for k in range(self.proxy.rowCount(head))
            ]
        return out

    def kinds_in(self, category: str) -> list[str]:
        """The kinds listed under ``category`` (after the search)."""
        for r in range(self.proxy.rowCount()):
            head = self.proxy.index(r, 0)
            if head.data() == category:
                return [
                    self.proxy.index(k, 0, head).data(KIND_ROLE)
                    for k in range(self.proxy.rowCount(head))
                ]
        return []

    # -- search ---------------------------------------------------------------------------
    def set_filter(self, text: str) -> None:
        """Show the kinds matching ``text``; matching categories expanded."""
        if self.search.text() != text:
            self.search.setText(text)  # comes back here through textChanged
            return
        self.proxy.set_query(text)
        self.tree.expandAll()
        found = self.proxy.rowCount() > 0
        self.tree.setVisible(found)
        self.empty.setVisible(not found)
        if not found:
            self.empty.setText(NO_MATCH.format(text.strip()))
        current = self.tree.currentIndex()
        if text.strip() and (not current.isValid() or not current.data(KIND_ROLE)):
            first = self._first_match()
            if first.isValid():
                self.tree.setCurrentIndex(first)

    def _first_match(self) -> QModelIndex:
        """The best visible kind for the query: a name match first, else the first shown."""
        query = self.proxy.query.lower()
        kinds = self.visible_kinds()
        if not kinds:
            return QModelIndex()
        best = kinds[0]
        for kind in kinds:
            entry = catalog.get(kind)
            if entry.display_name.lower().startswith(query) or kind.lower().startswith(query):
                best = kind
                break
        return self.index_of(best)

    def _activate_from_search(self) -> None:
        current = self.tree.currentIndex()
        if not (current.isValid() and current.data(KIND_ROLE)):
            current = self._first_match()
        self._activate(current)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down and self.tree.isVisible():
                current = self.tree.currentIndex()
                if not (current.isValid() and current.data(KIND_ROLE)):
                    current = self._first_match()
                self.tree.setFocus(Qt.FocusReason.OtherFocusReason)
                if current.isValid():
                    self.tree.setCurrentIndex(current)
                return True
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    def _toggle_category(self, index: QModelIndex) -> None:
        if index.isValid() and not index.parent().isValid():
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    def _activate(self, index: QModelIndex) -> None:
        kind = index.data(KIND_ROLE) if index.isValid() else None
        if kind:
            self.kind_activated.emit(kind)

    # -- theme ----------------------------------------------------------------------------
    def apply_colors(self) -> None:
        """Take the current theme's icons and colours (after ``theme.apply_theme``)."""
        self.model.populate()  # icons are tinted per theme
        self.proxy.set_query(self.search.text())
        self.tree.expandAll()
        self._style()

    def _style(self) -> None:
        self._search_action.setIcon(icons.icon("search", theme.colors().muted_text))
        self.empty.setStyleSheet(f"color: {theme.colors().muted_text.name()};")
        # the list sits on the dock's background, like a sidebar
        # NOTE: from the application's palette, not the tree's own: an explicit palette set
        # earlier would keep the previous theme's colours
        pal = QPalette(QApplication.palette())
        pal.setColor(QPalette.ColorRole.Base, pal.color(QPalette.ColorRole.Window))
        self.tree.setPalette(pal)
        self.tree.viewport().setPalette(pal)  # it kept the first theme's otherwise

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(240, 480)
