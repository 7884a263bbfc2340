"""The run list: every training run of the session, which are shown, which is current.

A row per :class:`~core.train.history.RunLog`: a check box (overlay it on the plots), its
colour and name (double-click or F2 renames), status, the best value of its key metric,
epochs and duration. The widget only asks: ``renamed`` and ``delete_requested`` go to the
app, which changes the runs and calls ``update_run`` / ``set_runs``. The run that is
still training cannot be deleted.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QIcon,
    QKeyEvent,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.train.history import RunLog
from widgets import icons, theme

__all__ = ["COLUMNS", "RunList", "layer_color", "metric_text", "run_color"]

COLUMNS = ("Run", "Status", "Best", "Epochs", "Time")
NAME, STATUS, BEST, EPOCHS, TIME = range(5)
RUN_ID = Qt.ItemDataRole.UserRole + 1
LIVE = ("running", "paused")  # a run in these states is still training
CANNOT_DELETE = "This run is still training: stop it before deleting it"

# Run colours, by run id: saturated for light backgrounds, lighter for dark ones.
_LIGHT = (
    "#2563eb",  # blue
    "#ea580c",  # orange
    "#059669",  # green
    "#dc2626",  # red
    "#7c3aed",  # violet
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#65a30d",  # lime
    "#a16207",  # ochre
    "#475569",  # slate
    "#0d9488",  # teal
    "#c026d3",  # fuchsia
)
_DARK = (
    "#60a5fa",
    "#fb923c",
    "#34d399",
    "#f87171",
    "#a78bfa",
    "#22d3ee",
    "#f472b6",
    "#a3e635",
    "#facc15",
    "#94a3b8",
    "#2dd4bf",
    "#e879f9",
)


def _dark(dark: bool | None) -> bool:
    return theme.colors().dark if dark is None else dark


def run_color(run_id: int, dark: bool | None = None) -> QColor:
    """The colour of a run's curves (stable per run id; the current theme unless given)."""
    hues = _DARK if _dark(dark) else _LIGHT
    return QColor(hues[(run_id - 1) % len(hues)])


def layer_color(index: int, dark: bool | None = None) -> QColor:
    """The colour of the ``index``-th layer's gradient-norm curve."""
    hues = _DARK if _dark(dark) else _LIGHT
    return QColor(hues[index % len(hues)])


def metric_text(run: RunLog) -> str:
    """The run's key metric at its best: "val_accuracy 0.962" ("" before an epoch)."""
    key = run.key_metric()
    if key is None:
        return ""
    name, value = key
    return f"{name} {_number(value)}"


def _number(value: float) -> str:
    if value != value:  # NaN
        return "nan"
    if value == 0 or 0.01 <= abs(value) < 1000:
        return f"{value:.3f}"
    return f"{value:.3g}"


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _swatch(color: QColor, size: int = 12) -> QIcon:
    """A rounded square of a run's colour, for its row."""
    ratio = 2.0
    pix = QPixmap(int(size * ratio), int(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawRoundedRect(QRectF(1, 3, size - 2, size - 6), 2, 2)
    p.end()
    return QIcon(pix)


def _check_icon(color: QColor, size: int = 16) -> QIcon:
    """A check mark: the icon of a finished run."""
    ratio = 2.0
    pix = QPixmap(int(size * ratio), int(size * ratio))
    pix.setDevicePixelRatio(ratio)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(color, 2.0)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    path = QPainterPath()
    path.moveTo(size * 0.2, size * 0.52)
    path.lineTo(size * 0.42, size * 0.74)
    path.lineTo(size * 0.8, size * 0.28)
    p.drawPath(path)
    p.end()
    return QIcon(pix)


def status_icon(status: str) -> QIcon:
    """The icon of a run status in the theme's colours (and the highlight's text colour
    on a selected row, where a coloured glyph would vanish)."""
    c = theme.colors()
    name, color = {
        "running": ("play", c.port_ok),
        "paused": ("pause", c.warning),
        "stopped": ("stop", c.muted_text),
        "failed": ("error", c.error),
    }.get(status, ("finished", c.muted_text))
    selected = QApplication.palette().color(QPalette.ColorRole.HighlightedText)
    result = QIcon()
    for mode, tint in ((QIcon.Mode.Normal, color), (QIcon.Mode.Selected, selected)):
        source = _check_icon(tint) if name == "finished" else icons.icon(name, tint)
        result.addPixmap(source.pixmap(QSize(16, 16), 2.0), mode)
    return result


class _Tree(QTreeWidget):
    """The rows; Delete asks to delete the selected runs."""

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (
            self.state() != QAbstractItemView.State.EditingState
        ):
            self.delete_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class RunList(QWidget):
    """The runs of the session, with check boxes to overlay them on the plots."""

    visibility_changed = Signal(object)  # set of checked run ids
    renamed = Signal(int, str)  # run id, new name (the app renames the RunLog)
    delete_requested = Signal(object)  # list of run ids
    current_changed = Signal(object)  # run id or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: dict[int, RunLog] = {}
        self._items: dict[int, QTreeWidgetItem] = {}
        self._shown: dict[int, tuple] = {}  # run id -> the texts its row shows
        self._quiet = 0
        tree = self.tree = _Tree()
        tree.setColumnCount(len(COLUMNS))
        tree.setHeaderLabels(list(COLUMNS))
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setAlternatingRowColors(True)
        tree.setAllColumnsShowFocus(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        tree.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = tree.header()
        # every column as wide as its text (the list scrolls sideways when narrow): a
        # stretched name column was squeezed to nothing by the others in a narrow dock
        header.setStretchLastSection(True)
        for col in (NAME, STATUS, BEST, EPOCHS, TIME):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(48)
        tree.headerItem().setToolTip(BEST, "The best value of the run's key metric so far")
        tree.headerItem().setToolTip(TIME, "How long the run trained")
        tree.itemChanged.connect(self._on_item_changed)
        tree.currentItemChanged.connect(self._on_current_changed)
        tree.customContextMenuRequested.connect(self._on_context_menu)
        tree.delete_pressed.connect(self._on_delete_pressed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tree)
        theme.notifier.changed.connect(self._apply_theme)

    # -- the runs ------------------------------------------------------------------------
    def set_runs(self, runs: list[RunLog]) -> None:
        """Show these runs (in this order); rows of runs already shown keep their check
        state and the current row; new runs come checked."""
        checked = self.checked_ids()
        known = set(self._items)
        current = self.current_id()
        self._quiet += 1
        try:
            self.tree.clear()
            self._items.clear()
            self._shown.clear()
            self._runs = {r.run_id: r for r in runs}
            for run in runs:
                item = QTreeWidgetItem()
                item.setData(NAME, RUN_ID, run.run_id)
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsEditable
                )
                on = run.run_id in checked or run.run_id not in known
                item.setCheckState(NAME, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                for col in (EPOCHS, TIME):
                    item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight)
                self._items[run.run_id] = item
                self.tree.addTopLevelItem(item)
                self._fill(item, run)
            if current in self._items:
                self.tree.setCurrentItem(self._items[current])
        finally:
            self._quiet -= 1
        if self.current_id() != current:
            self.current_changed.emit(self.current_id())

    def update_run(self, run: RunLog) -> None:
        """Refresh one run's row (its name, status, metric, epochs, time); cheap."""
        item = self._items.get(run.run_id)
        if item is None:
            return
        self._runs[run.run_id] = run
        self._quiet += 1
        try:
            self._fill(item, run)
        finally:
            self._quiet -= 1

    def _fill(self, item: QTreeWidgetItem, run: RunLog) -> None:
        epochs = f"{run.last_epoch}/{run.info.epochs}" if run.info is not None else "–"
        texts = (run.name, run.status, metric_text(run), epochs, _duration(run.duration()))
        old = self._shown.get(run.run_id)
        if old == texts:
            return
        self._shown[run.run_id] = texts
        for col, text in enumerate(texts):
            if old is None or old[col] != text:
                item.setText(col, text)
        if old is None or old[STATUS] != texts[STATUS]:
            item.setIcon(STATUS, status_icon(run.status))
            tip = run.status.capitalize()
            if run.error:
                tip += f": {run.error}"
            item.setToolTip(STATUS, tip)
        if old is None:
            item.setIcon(NAME, _swatch(run_color(run.run_id)))
            item.setToolTip(NAME, "Double-click or press F2 to rename; the check box shows it")
        if old is None or old[NAME] != texts[NAME]:
            item.setToolTip(NAME, f"{run.name}: double-click or press F2 to rename")
        if old is None or old[BEST] != texts[BEST]:
            item.setToolTip(BEST, self._best_tip(run))

    @staticmethod
    def _best_tip(run: RunLog) -> str:
        key = run.key_metric()
        if key is None:
            return "No epoch finished yet"
        name = key[0]
        series = run.series(name)
        last = series.last[1] if series is not None and series.last else float("nan")
        return f"Best {name} over {run.last_epoch} epochs; last epoch: {_number(last)}"

    # -- checks and current --------------------------------------------------------------
    def checked_ids(self) -> set[int]:
        """The ids of the runs whose check box is on (shown on the plots)."""
        return {
            run_id
            for run_id, item in self._items.items()
            if item.checkState(NAME) == Qt.CheckState.Checked
        }

    def set_checked(self, run_id: int, on: bool) -> None:
        """Check or uncheck one run (emits visibility_changed when that changes it)."""
        item = self._items.get(run_id)
        if item is not None:
            item.setCheckState(NAME, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def current_id(self) -> int | None:
        """The run id of the current row, or None."""
        item = self.tree.currentItem()
        return item.data(NAME, RUN_ID) if item is not None else None

    def set_current(self, run_id: int | None) -> None:
        """Make a run's row current (None: no row); emits current_changed on a change."""
        item = self._items.get(run_id) if run_id is not None else None
        self.tree.setCurrentItem(item)
        if item is not None:
            self.tree.scrollToItem(item)

    def item_of(self, run_id: int) -> QTreeWidgetItem | None:
        """The row of a run (for tests and views)."""
        return self._items.get(run_id)

    def can_delete(self, run_id: int) -> bool:
        """Whether a run may be deleted (not while it trains)."""
        run = self._runs.get(run_id)
        return run is not None and run.status not in LIVE

    # -- reactions -----------------------------------------------------------------------
    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._quiet or column != NAME:
            return
        run_id = item.data(NAME, RUN_ID)
        shown = self._shown.get(run_id)
        if shown is None:
            return
        name = item.text(NAME).strip()
        if item.text(NAME) == shown[NAME]:  # the check box changed, not the name
            self.visibility_changed.emit(self.checked_ids())
            return
        self._quiet += 1
        try:
            # an empty name is not a name: the old one comes back
            item.setText(NAME, name or shown[NAME])
        finally:
            self._quiet -= 1
        if name and name != shown[NAME]:
            self._shown[run_id] = (name, *shown[1:])
            self.renamed.emit(run_id, name)

    def _on_current_changed(self, current, _previous) -> None:
        if self._quiet:
            return
        self.current_changed.emit(current.data(NAME, RUN_ID) if current is not None else None)

    def _selected_ids(self) -> list[int]:
        return [item.data(NAME, RUN_ID) for item in self.tree.selectedItems()]

    def _on_delete_pressed(self) -> None:
        ids = [i for i in self._selected_ids() if self.can_delete(i)]
        if ids:
            self.delete_requested.emit(ids)

    def context_menu(self, run_id: int) -> QMenu:
        """The menu of a run's row: Rename, Show Only This, Show All, Delete Run."""
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        item = self._items[run_id]
        rename = menu.addAction("Rename")
        rename.setShortcut(Qt.Key.Key_F2)
        rename.triggered.connect(lambda: self.tree.editItem(item, NAME))
        only = menu.addAction("Show Only This")
        only.triggered.connect(lambda: self.show_only(run_id))
        show_all = menu.addAction("Show All")
        show_all.triggered.connect(self.show_all)
        menu.addSeparator()
        delete = menu.addAction(icons.icon("delete"), "Delete Run")
        delete.setShortcut(Qt.Key.Key_Delete)
        ids = self._selected_ids() if run_id in self._selected_ids() else [run_id]
        ids = [i for i in ids if self.can_delete(i)]
        delete.setEnabled(bool(ids))
        if not self.can_delete(run_id):
            delete.setToolTip(CANNOT_DELETE)
        delete.triggered.connect(lambda: self.delete_requested.emit(ids))
        return menu

    def _on_context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        menu = self.context_menu(item.data(NAME, RUN_ID))
        menu.exec(self.tree.viewport().mapToGlobal(pos))
        menu.deleteLater()

    def show_only(self, run_id: int) -> None:
        """Check only this run (one visibility_changed)."""
        self._set_checks({run_id})

    def show_all(self) -> None:
        """Check every run (one visibility_changed)."""
        self._set_checks(set(self._items))

    def _set_checks(self, ids: set[int]) -> None:
        before = self.checked_ids()
        self._quiet += 1
        try:
            for run_id, item in self._items.items():
                state = Qt.CheckState.Checked if run_id in ids else Qt.CheckState.Unchecked
                item.setCheckState(NAME, state)
        finally:
            self._quiet -= 1
        if self.checked_ids() != before:
            self.visibility_changed.emit(self.checked_ids())

    def _apply_theme(self, *_args) -> None:
        for run_id, item in self._items.items():
            run = self._runs[run_id]
            item.setIcon(NAME, _swatch(run_color(run_id)))
            item.setIcon(STATUS, status_icon(run.status))
