"""The dataset panel: choose the data a model trains on and see it.

It reads the document's ``dataset`` section and never changes it: each user change is a
request, ``dataset_edited(complete new section)``, that the app turns into an undo step;
the document's ``settings_changed`` event then refreshes the panel. Whenever the shown
section changes, the data is loaded off the GUI thread (``core.model.data.load_data``);
the result comes back through a queued signal, results of older requests are dropped, and
``data_loaded(Data)`` hands the new data to the app. A section that cannot be loaded shows
its error inline (``load_failed``), never a dialog.

The preview follows the data: a scatter plot coloured by class for 2-D features, x/y for
1-D regression, an image grid for images, a table for other tabular data, sample windows
for text.
"""

from __future__ import annotations

import html
import inspect
import json
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPaintEvent, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.datasets import BUILTIN
from core.model.data import Data, DataInfo, DatasetError, csv_columns, data_info, load_data
from core.model.document import Document
from widgets import theme
from widgets.common import disconnect_all, section_label
from widgets.insight import class_colors

# -- what can be chosen ----------------------------------------------------------------------
#: the sources the panel offers: (dataset.source, label); "text" is shown, read-only, only
#: while a document uses it
SOURCES = (
    ("builtin", "Built-in set"),
    ("csv", "CSV file"),
    ("npz", "NPZ file"),
    ("mnist", "MNIST IDX folder"),
    ("image_folder", "Image folder"),
)
TEXT_LABEL = "Text (read-only)"
FILE_SOURCES = {"csv": "file", "npz": "file", "mnist": "folder", "image_folder": "folder"}
FILE_FILTERS = {"csv": "CSV files (*.csv *.tsv *.txt)", "npz": "NumPy archives (*.npz)"}
FILE_PROMPTS = {
    "csv": "Choose a CSV file with a header row (Browse…)",
    "npz": "Choose an .npz file with arrays x and y (Browse…)",
    "mnist": "Choose a folder of MNIST IDX files (Browse…)",
    "image_folder": "Choose a folder with one sub-folder of images per class (Browse…)",
}
#: the built-in sets in groups, each with a one-line description
GROUPS = (
    ("2-D classification", ("spirals", "moons", "circles", "xor", "blobs")),
    ("1-D regression", ("sine", "polynomial", "step", "absolute")),
    ("Tabular and images", ("digits", "iris", "wine", "breast_cancer")),
)
DESCRIPTIONS = {
    "spirals": "Interleaved spiral arms",
    "moons": "Two interleaving half circles",
    "circles": "A circle inside a circle",
    "xor": "Quadrants of opposite sign",
    "blobs": "Gaussian clusters",
    "sine": "y = sin(x) + noise",
    "polynomial": "y = x³ − x + noise",
    "step": "y = 1 for x > 0, else 0",
    "absolute": "y = |x| + noise",
    "digits": "8×8 digit images, 10 classes",
    "iris": "Flowers: 4 features, 3 classes",
    "wine": "Wines: 13 features, 3 classes",
    "breast_cancer": "Tumours: 30 features, 2 classes",
}
TASKS = ("auto", "classification", "regression")
PREVIEW_ROWS = 200  # rows of the table preview
GRID_SAMPLES = 32  # images of the image grid
TEXT_WINDOWS = 24  # sample windows of the text preview
MAX_COUNTS = 10  # classes named in the counts line
NAME_ROLE = Qt.ItemDataRole.UserRole + 1

# Class colours that read on both themes (blue and orange first, as TensorFlow Playground).


def class_color(index: int) -> QColor:
    """The colour of class ``index``: the same as in the Insight views (TensorFlow
    Playground's orange and blue first), so a class looks alike in every panel."""
    return class_colors(index + 1)[index]


def _synthetic_options(name: str) -> dict[str, Any]:
    """The defaults of the n_samples/noise options a built-in set takes ({} for none)."""
    fn = BUILTIN.get(name)
    if fn is None:
        return {}
    params = inspect.signature(fn).parameters
    return {k: params[k].default for k in ("n_samples", "noise") if k in params}


def _key(section: dict, root: str | None) -> str:
    return json.dumps([section, root], sort_keys=True, default=str)


# -- loading off the GUI thread ---------------------------------------------------------------
class _Requests:
    """The number of the newest load request: a plain object the loading thread may read."""

    __slots__ = ("latest",)

    def __init__(self) -> None:
        self.latest = 0


class _Relay(QObject):
    """Carries a load's result from the worker thread to the GUI thread (queued)."""

    loaded = Signal(int, object, object)  # request number, Data | None, error text | None


def _load(relay: _Relay, request: int, requests: _Requests, section: dict, root) -> None:
    """Runs on the loading thread: load ``section`` unless a newer request came meanwhile."""
    if request != requests.latest:
        return  # stale before it started: skip the work
    data, error = None, None
    try:
        data = load_data(section, root=root)
    except DatasetError as e:
        error = str(e)
    except Exception as e:  # noqa: BLE001 - any failure is shown inline, never a crash
        error = f"{type(e).__name__}: {e}"
    try:
        relay.loaded.emit(request, data, error)
    except RuntimeError:  # the panel is gone
        pass


# -- previews -------------------------------------------------------------------------------
class SampleTable(QAbstractTableModel):
    """The first rows of a tabular dataset: the target column first (it stays in view in a
    narrow dock), then the features."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers: list[str] = []
        self.x = np.zeros((0, 0), np.float32)
        self.targets: list[str] = []
        self.classes: list[int] | None = None

    def set_rows(
        self,
        headers: list[str],
        x: np.ndarray,
        targets: list[str],
        classes: list[int] | None = None,
    ) -> None:
        """Show ``targets`` and the feature rows ``x`` (N, F) under ``headers`` (the target
        column's name, then F feature names); ``classes``: each row's class index (a
        colour swatch next to its name)."""
        self.beginResetModel()
        self.headers, self.x, self.targets, self.classes = headers, x, targets, classes
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.x)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if section < len(self.headers) else None
        return str(section + 1)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        target = col == 0
        if role == Qt.ItemDataRole.DisplayRole:
            return self.targets[row] if target else f"{float(self.x[row, col - 1]):.4g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignLeft if target else Qt.AlignmentFlag.AlignRight
            return align | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.DecorationRole and target and self.classes is not None:
            return class_color(self.classes[row])
        return None


class ImageGrid(QWidget):
    """Sample images with their labels, laid out to fill the widget."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage] = []
        self.labels: list[str] = []
        self.setMinimumHeight(120)

    def set_samples(self, x: np.ndarray, labels: list[str]) -> None:
        """Show images ``x`` (N, C, H, W): grayscale for one channel, RGB for three (other
        counts: the first channel), each scaled to its own value range."""
        self.images = [_qimage(a) for a in x]
        self.labels = labels
        self.update()

    def count(self) -> int:
        """How many images are shown."""
        return len(self.images)

    def layout_cells(self, width: float, height: float) -> tuple[int, float]:
        """(columns, image side) that fit every image and its label into width x height."""
        n = max(1, len(self.images))
        label_h = self.fontMetrics().height() + 2
        sides = {}
        for cols in range(1, n + 1):
            rows = math.ceil(n / cols)
            sides[cols] = min(width / cols, height / rows - label_h) - 6
        largest = max(sides.values())
        cols = max(c for c, side in sides.items() if side >= largest - 1)  # even rows on ties
        return cols, max(sides[cols], 4.0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        if not self.images:
            return
        colors = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        w, h = self.width() - 8, self.height() - 8
        cols, side = self.layout_cells(w, h)
        label_h = self.fontMetrics().height() + 2
        cell_w = side + 6
        x0 = 4 + (w - cols * cell_w) / 2
        p.setPen(colors.text)
        for i, (img, label) in enumerate(zip(self.images, self.labels)):
            r, c = divmod(i, cols)
            x = x0 + c * cell_w + 3
            y = 4 + r * (side + 6 + label_h) + 3
            scale = side / max(img.width(), img.height())
            iw, ih = img.width() * scale, img.height() * scale
            target = QRectF(x + (side - iw) / 2, y + (side - ih) / 2, iw, ih)
            p.drawImage(target, img)
            p.setPen(colors.node_border)
            p.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
            p.setPen(colors.text)
            text_rect = QRectF(x - 3, y + side + 1, cell_w, label_h)
            elided = self.fontMetrics().elidedText(label, Qt.TextElideMode.ElideRight, int(cell_w))
            p.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, elided)
        p.end()


def _qimage(a: np.ndarray) -> QImage:
    """One (C, H, W) sample as an 8-bit QImage (its own min..max mapped to 0..255)."""
    a = np.asarray(a, dtype=np.float32)
    rgb = a.shape[0] == 3
    a = np.transpose(a, (1, 2, 0)) if rgb else a[0]
    lo, hi = float(a.min()), float(a.max())
    scaled = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    u8 = np.ascontiguousarray((scaled * 255 + 0.5).astype(np.uint8))
    h, w = u8.shape[:2]
    if rgb:
        return QImage(u8.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QImage(u8.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


# -- the panel ------------------------------------------------------------------------------
class DatasetPanel(QWidget):
    """The document's dataset section as controls, its loading state and a preview."""

    dataset_edited = Signal(dict)  # the complete new dataset section
    data_loaded = Signal(object)  # core.model.data.Data of the shown section
    load_failed = Signal(str)  # why the shown section cannot be loaded

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.root: str | None = None
        self._listeners: list[tuple[Any, Callable]] = []
        self._section: dict | None = None  # what the controls show (the document's)
        self._updating = False
        self._requests = _Requests()  # the newest load request; older results are dropped
        self._requested: str | None = None  # key of the section last requested
        self._data: Data | None = None
        self._info: DataInfo | None = None
        self._error: str | None = None
        self._loading = False
        self._columns: tuple[str | None, list[str]] = (None, [])  # (csv path, header)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dataset-load")
        self._relay = _Relay(self)
        self._relay.loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

        self._build()
        theme.notifier.changed.connect(self.apply_colors)
        self.destroyed.connect(lambda *_, ls=self._listeners: disconnect_all(ls))
        self.destroyed.connect(
            lambda *_, ex=self._executor: ex.shutdown(wait=False, cancel_futures=True)
        )
        self.apply_colors()
        self._refresh()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(360, 700)

    # -- public API -----------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Show ``doc``'s dataset section and follow its changes (None: show nothing)."""
        disconnect_all(self._listeners)
        self.document = doc
        if doc is not None:
            for event, fn in (
                (doc.settings_changed, self._on_settings),
                (doc.reset, self._refresh),
            ):
                event.connect(fn)
                self._listeners.append((event, fn))
        self._refresh()

    def set_root(self, path: str | os.PathLike | None) -> None:
        """The project folder that relative dataset paths start from (None: the cwd)."""
        root = None if path is None else os.fspath(path)
        if root != self.root:
            self.root = root
            self._columns = (None, [])
            self._refresh()

    def reload(self) -> None:
        """Load the shown section again (its file may have changed on disk)."""
        self._requested = None
        self._columns = (None, [])
        self._refresh()

    @property
    def data(self) -> Data | None:
        """The loaded data of the shown section (None while loading or after an error)."""
        return self._data

    @property
    def info(self) -> DataInfo | None:
        """What the model needs to know about :attr:`data`."""
        return self._info

    @property
    def error(self) -> str | None:
        """Why the shown section could not be loaded (None: it could, or it is loading)."""
        return self._error

    @property
    def loading(self) -> bool:
        """Whether a load of the shown section is on its way."""
        return self._loading

    def ask_file(self, kind: str) -> str | None:
        """Ask for the file or folder of source ``kind`` (None: cancelled)."""
        start = self.root or ""
        if FILE_SOURCES.get(kind) == "folder":
            title = "Choose the MNIST folder" if kind == "mnist" else "Choose the image folder"
            path = QFileDialog.getExistingDirectory(self, title, start)
        else:
            path, _ = QFileDialog.getOpenFileName(
                self, "Choose the data file", start, f"{FILE_FILTERS[kind]};;All files (*)"
            )
        return path or None

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)

        top = QFormLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.source_combo = QComboBox()
        for value, label in SOURCES:
            self.source_combo.addItem(label, value)
        self.source_combo.currentIndexChanged.connect(self._on_source)
        top.addRow("Source", self.source_combo)
        layout.addLayout(top)

        self.source_stack = QStackedWidget()
        self.source_stack.addWidget(self._build_builtin_page())
        self.source_stack.addWidget(self._build_file_page())
        self.source_stack.addWidget(self._build_text_page())
        self.source_stack.currentChanged.connect(self._fit_stack)
        self._fit_stack(0)
        layout.addWidget(self.source_stack)

        layout.addWidget(self._build_split_row())

        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts = QLabel()
        self.counts.setObjectName("counts")
        self.counts.setWordWrap(True)
        layout.addWidget(self._section_label("Preview"))
        layout.addWidget(self.status)
        layout.addWidget(self.counts)

        self.preview = QStackedWidget()
        self.preview.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.preview.setMinimumHeight(160)
        self.empty_preview = QLabel()
        self.empty_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_preview.setWordWrap(True)
        self.preview.addWidget(self.empty_preview)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(160)
        self.legend = self.plot.addLegend(offset=(6, 6), labelTextSize="8pt")
        self.preview.addWidget(self.plot)
        self.image_grid = ImageGrid()
        self.preview.addWidget(self.image_grid)
        self.table_model = SampleTable(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(72)
        self.preview.addWidget(self.table)
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text_view.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text_view.setFont(mono)
        self.preview.addWidget(self.text_view)
        layout.addWidget(self.preview, 1)
        self._scatter: list[pg.ScatterPlotItem] = []

    def _build_builtin_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        self.builtin_list = QTreeWidget()
        self.builtin_list.setColumnCount(2)
        self.builtin_list.setHeaderHidden(True)
        self.builtin_list.setRootIsDecorated(False)
        self.builtin_list.setIndentation(10)
        self.builtin_list.setUniformRowHeights(True)
        self.builtin_list.setItemsExpandable(False)
        self.builtin_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.builtin_items: dict[str, QTreeWidgetItem] = {}
        bold = QFont(self.font())
        bold.setWeight(QFont.Weight.DemiBold)
        for group, names in GROUPS:
            head = QTreeWidgetItem([group])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            head.setFont(0, bold)
            head.setFirstColumnSpanned(True)
            self.builtin_list.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for name in names:
                item = QTreeWidgetItem([name, DESCRIPTIONS[name]])
                item.setData(0, NAME_ROLE, name)
                item.setToolTip(0, _doc_line(name))
                item.setToolTip(1, _doc_line(name))
                head.addChild(item)
                self.builtin_items[name] = item
            head.setExpanded(True)
        self.builtin_list.header().setStretchLastSection(True)
        self.builtin_list.resizeColumnToContents(0)
        rows = sum(1 + len(n) for _, n in GROUPS)
        row_h = self.builtin_list.sizeHintForRow(0) or self.fontMetrics().height() + 4
        self.builtin_list.setMinimumHeight(min(rows, 8) * row_h)
        self.builtin_list.setMaximumHeight(rows * row_h + 6)
        self.builtin_list.itemSelectionChanged.connect(self._on_builtin)
        box.addWidget(self.builtin_list)

        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        self.samples_label = QLabel("Samples")
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(4, 100_000)
        self.samples_spin.setSingleStep(50)
        self.samples_spin.setKeyboardTracking(False)
        self.samples_spin.valueChanged.connect(lambda v: self._edit_option("n_samples", int(v)))
        self.noise_label = QLabel("Noise")
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 5.0)
        self.noise_spin.setDecimals(3)
        self.noise_spin.setSingleStep(0.01)
        self.noise_spin.setKeyboardTracking(False)
        self.noise_spin.valueChanged.connect(lambda v: self._edit_option("noise", float(v)))
        for w in (self.samples_label, self.samples_spin, self.noise_label, self.noise_spin):
            options.addWidget(w)
        for spin in (self.samples_spin, self.noise_spin):
            spin.setMinimumWidth(64)
        options.setStretch(1, 1)
        options.setStretch(3, 1)
        self.options_row = QWidget()
        self.options_row.setLayout(options)
        box.addWidget(self.options_row)
        return page

    def _build_file_page(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.path_edit = QLineEdit()
        self.path_edit.setClearButtonEnabled(True)
        self.path_edit.editingFinished.connect(self._on_path_edited)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        self.path_label = QLabel("File")
        form.addRow(self.path_label, row)
        self.target_combo = QComboBox()
        self.target_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.target_combo.setMinimumContentsLength(8)
        self.target_combo.activated.connect(self._on_target)
        self.target_label = QLabel("Target")
        form.addRow(self.target_label, self.target_combo)
        self.task_combo = QComboBox()
        for t in TASKS:
            self.task_combo.addItem(t.capitalize() if t != "auto" else "Auto (from the data)", t)
        self.task_combo.activated.connect(self._on_task)
        form.addRow("Task", self.task_combo)
        return page

    def _build_text_page(self) -> QWidget:
        self.text_summary = QLabel()
        self.text_summary.setWordWrap(True)
        self.text_summary.setTextFormat(Qt.TextFormat.RichText)
        self.text_summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        return self.text_summary

    def _build_split_row(self) -> QWidget:
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.split_spin = QDoubleSpinBox()
        self.split_spin.setRange(0.0, 0.9)
        self.split_spin.setDecimals(2)
        self.split_spin.setSingleStep(0.05)
        self.split_spin.setKeyboardTracking(False)
        self.split_spin.setToolTip("Fraction of the samples held out for validation")
        self.split_spin.valueChanged.connect(
            lambda v: self._edit(validation_split=round(float(v), 4))
        )
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("Seed of the train/validation split")
        self.seed_spin.valueChanged.connect(lambda v: self._edit(split_seed=int(v)))
        for spin in (self.split_spin, self.seed_spin):
            spin.setMinimumWidth(64)  # the seed's range would ask for ~130 px
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.split_spin, 1)
        self.seed_label = QLabel("Seed")
        row.addWidget(self.seed_label)
        row.addWidget(self.seed_spin, 1)
        form.addRow("Validation", row)
        self.standardize_check = QCheckBox("Standardize features")
        self.standardize_check.setToolTip(
            "Scale every feature to mean 0, standard deviation 1 (the training set's statistics)"
        )
        self.standardize_check.toggled.connect(lambda on: self._edit(standardize=bool(on)))
        form.addRow("", self.standardize_check)
        return box

    def _fit_stack(self, index: int) -> None:
        """Size the source stack to its current page (not to its largest one)."""
        ignored, preferred = QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred
        for i in range(self.source_stack.count()):
            page = self.source_stack.widget(i)
            policy = preferred if i == index else ignored
            page.setSizePolicy(QSizePolicy.Policy.Preferred, policy)
        self.source_stack.adjustSize()
        self.source_stack.updateGeometry()

    def _section_label(self, text: str) -> QLabel:
        label = section_label(text, self.font())
        return label

    # -- showing the document's section ---------------------------------------------------
    def _on_settings(self, section: str, new: dict, old: dict) -> None:
        if section == "dataset":
            self._refresh()

    def _refresh(self) -> None:
        """Show the document's section in the controls (no edits are sent meanwhile) and
        load its data when it changed."""
        doc = self.document
        self._section = None if doc is None else doc.dataset
        self._updating = True
        try:
            self._show_controls(self._section)
        finally:
            self._updating = False
        self._request_load()

    def _show_controls(self, s: dict | None) -> None:
        self.setEnabled(s is not None)
        if s is None:
            return
        source = s["source"]
        combo = self.source_combo
        text_index = combo.findData("text")
        if source == "text" and text_index < 0:
            combo.addItem(TEXT_LABEL, "text")
        elif source != "text" and text_index >= 0:
            combo.removeItem(text_index)
        combo.setCurrentIndex(combo.findData(source))
        text = source == "text"
        if source == "builtin":
            self.source_stack.setCurrentIndex(0)
            item = self.builtin_items.get(s["name"])
            self.builtin_list.clearSelection()
            if item is not None:
                item.setSelected(True)
                self.builtin_list.setCurrentItem(item)
                self.builtin_list.scrollToItem(item)
            defaults = _synthetic_options(s["name"])
            self.options_row.setVisible(bool(defaults))
            options = s["options"]
            for key, label, spin in (
                ("n_samples", self.samples_label, self.samples_spin),
                ("noise", self.noise_label, self.noise_spin),
            ):
                label.setVisible(key in defaults)
                spin.setVisible(key in defaults)
                if key in defaults:
                    value = options.get(key, defaults[key])
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        spin.setValue(value)
        elif text:
            self.source_stack.setCurrentIndex(2)
            self.text_summary.setText(_text_summary(s))
        else:
            self.source_stack.setCurrentIndex(1)
            folder = FILE_SOURCES[source] == "folder"
            self.path_label.setText("Folder" if folder else "File")
            self.path_edit.setText(s["path"])
            self.path_edit.setPlaceholderText(FILE_PROMPTS[source])
            csv = source == "csv"
            self.target_label.setVisible(csv)
            self.target_combo.setVisible(csv)
            if csv:
                self._fill_targets(s)
            self.task_combo.setCurrentIndex(self.task_combo.findData(s["task"]))
            self.task_combo.setEnabled(source in ("csv", "npz"))
        self.split_spin.setValue(float(s["validation_split"]))
        self.seed_spin.setValue(int(s["split_seed"]))
        self.standardize_check.setChecked(bool(s["standardize"]))
        for w in (self.split_spin, self.seed_spin, self.standardize_check):
            w.setEnabled(not text)

    def _fill_targets(self, s: dict) -> None:
        columns = self._csv_columns(s["path"])
        combo = self.target_combo
        combo.clear()
        for name in columns:
            combo.addItem(name, name)
        target = s["target"]
        if target and target not in columns:
            combo.addItem(f"{target} (not in the file)", target)
        if target:
            combo.setCurrentIndex(combo.findData(target))
        elif columns:
            combo.setCurrentIndex(len(columns) - 1)
        combo.setEnabled(bool(columns) or bool(target))
        combo.setToolTip(
            "The column holding the labels; every other column is a feature"
            if columns
            else "Choose a CSV file to pick its target column"
        )

    def _csv_columns(self, path: str) -> list[str]:
        if not path:
            return []
        if self._columns[0] != path:
            self._columns = (path, csv_columns(path, root=self.root))
        return self._columns[1]

    # -- user edits ---------------------------------------------------------------------------
    def _edit(self, **changes: Any) -> None:
        """Send the document's section with ``changes`` (nothing while refreshing)."""
        if self._updating or self.document is None:
            return
        current = self.document.dataset
        new = {**current, **changes}
        if new != current:
            self.dataset_edited.emit(new)

    def _edit_option(self, key: str, value: Any) -> None:
        if self._updating or self.document is None:
            return
        self._edit(options={**self.document.dataset["options"], key: value})

    def _on_source(self, index: int) -> None:
        if self._updating or self.document is None:
            return
        source = self.source_combo.itemData(index)
        current = self.document.dataset
        if source == current["source"]:
            return
        changes: dict[str, Any] = {"source": source, "options": {}, "task": "auto"}
        changes |= {"path": "", "target": ""}
        if source == "builtin" and current["name"] not in BUILTIN:
            changes["name"] = "spirals"
        self._edit(**changes)

    def _on_builtin(self) -> None:
        items = self.builtin_list.selectedItems()
        if self._updating or not items or self.document is None:
            return
        name = items[0].data(0, NAME_ROLE)
        if name is None:
            return
        current = self.document.dataset
        if current["source"] == "builtin" and current["name"] == name:
            return
        self._edit(source="builtin", name=name, options={}, task="auto", path="", target="")

    def _on_path_edited(self) -> None:
        if self.document is None:
            return
        path = self.path_edit.text().strip()
        if path != self.document.dataset["path"]:
            self._edit(path=path, target="")  # another file: its own columns

    def _on_browse(self) -> None:
        if self.document is None:
            return
        kind = self.document.dataset["source"]
        if kind not in FILE_SOURCES:
            return
        path = self.ask_file(kind)
        if not path:
            return
        if self.root:
            try:
                rel = os.path.relpath(path, self.root)
            except ValueError:  # another drive
                rel = path
            if not rel.startswith(".."):
                path = rel
        self.path_edit.setText(path)
        self._edit(path=path, target="")

    def _on_target(self, index: int) -> None:
        if self.document is None or index < 0:
            return
        name = self.target_combo.itemData(index)
        current = self.document.dataset["target"]
        columns = self._csv_columns(self.document.dataset["path"])
        if not current and columns and name == columns[-1]:
            return  # "" already means the last column
        self._edit(target=name)

    def _on_task(self, index: int) -> None:
        self._edit(task=self.task_combo.itemData(index))

    # -- loading ---------------------------------------------------------------------------
    def _request_load(self) -> None:
        s = self._section
        key = None if s is None else _key(s, self.root)
        if key == self._requested:
            return
        self._requested = key
        self._requests.latest += 1
        self._data = self._info = None
        self._error = None
        self._loading = False
        if s is None:
            self._show_message("")
            return
        if s["source"] in FILE_SOURCES and not s["path"]:
            self._show_message(FILE_PROMPTS[s["source"]])
            return
        self._loading = True
        self._set_status("Loading…", "muted")
        self.counts.clear()
        request = self._requests.latest
        self._executor.submit(_load, self._relay, request, self._requests, dict(s), self.root)

    def _on_loaded(self, request: int, data: Data | None, error: str | None) -> None:
        if request != self._requests.latest:
            return  # an older section's result
        self._loading = False
        if error is not None or data is None:
            self._error = error or "the data could not be loaded"
            self._set_status(f"Cannot load the data: {self._error}", "error")
            self.counts.clear()
            self.preview.setCurrentWidget(self.empty_preview)
            self.empty_preview.setText("No preview")
            self.load_failed.emit(self._error)
            return
        self._data = data
        self._info = data_info(data)
        self._set_status(data.description, "text")
        self.counts.setText(_counts_text(data))
        self._show_preview(data)
        self.data_loaded.emit(data)

    def _show_message(self, text: str) -> None:
        self._set_status(text, "muted")
        self.counts.clear()
        self.empty_preview.setText("")
        self.preview.setCurrentWidget(self.empty_preview)

    def _set_status(self, text: str, role: str) -> None:
        self.status.setText(text)
        self.status.setProperty("role", role)
        self._style_status()

    # -- previews ----------------------------------------------------------------------------
    def _show_preview(self, data: Data) -> None:
        x, y = data.train.numpy()
        shape = data.input_shape
        if data.input_dtype == "int64" and hasattr(data.train, "decode"):
            self._show_text(data, x)
        elif len(shape) == 3:
            n = min(GRID_SAMPLES, len(x))
            self.image_grid.set_samples(x[:n], [_target_text(data, t) for t in y[:n]])
            self.preview.setCurrentWidget(self.image_grid)
        elif shape == (2,) and data.task == "classification":
            self._show_scatter(data)
        elif shape == (1,) and data.task == "regression" and data.target_shape == (1,):
            self._show_scatter(data)
        else:
            self._show_table(data, x, y)

    def _show_scatter(self, data: Data) -> None:
        for item in self._scatter:
            self.plot.removeItem(item)
        self._scatter = []
        self.legend.clear()
        parts = [(data.train.numpy(), True)]
        if data.val is not None:
            parts.append((data.val.numpy(), False))
        plot = self.plot.getPlotItem()
        colors = theme.colors()
        if data.task == "classification":
            plot.setAspectLocked(True)
            plot.setLabel("bottom", "x₁")
            plot.setLabel("left", "x₂")
            for c, name in enumerate(data.classes or []):
                color = class_color(c)
                for (x, y), filled in parts:
                    pts = x[y == c]
                    item = self._scatter_item(pts[:, 0], pts[:, 1], color, filled)
                    if filled:
                        self.legend.addItem(item, name)
        else:
            plot.setAspectLocked(False)
            plot.setLabel("bottom", "x")
            plot.setLabel("left", "y")
            for (x, y), filled in parts:
                item = self._scatter_item(x[:, 0], y[:, 0], colors.accent, filled)
                self.legend.addItem(item, "training" if filled else "validation")
        if data.val is not None and data.task == "classification":
            self.legend.addItem(
                self._scatter_item(np.zeros(0), np.zeros(0), colors.muted_text, False),
                "validation",
            )
        entries = len(self.legend.items)
        columns = min(entries, 3)
        self.legend.setColumnCount(max(columns, 1))
        self._fit_range(parts, math.ceil(entries / max(columns, 1)))
        self.preview.setCurrentWidget(self.plot)

    def _fit_range(self, parts: list, legend_rows: int) -> None:
        """Show every point, with room at the top for the legend's rows."""
        classification = parts[0][0][0].shape[1] == 2
        xs = np.concatenate([x[:, 0] for (x, _), _ in parts])
        ys = np.concatenate([(x[:, 1] if classification else y[:, 0]) for (x, y), _ in parts])
        if not len(xs):
            return
        x0, x1 = float(xs.min()), float(xs.max())
        y0, y1 = float(ys.min()), float(ys.max())
        dx, dy = max(x1 - x0, 1e-6), max(y1 - y0, 1e-6)
        top = y1 + dy * (0.06 + 0.13 * legend_rows)
        self.plot.getPlotItem().setRange(
            xRange=(x0 - 0.04 * dx, x1 + 0.04 * dx), yRange=(y0 - 0.05 * dy, top), padding=0
        )

    def _scatter_item(self, xs, ys, color: QColor, filled: bool) -> pg.ScatterPlotItem:
        edge = QColor(color)
        fill = QColor(color)
        fill.setAlpha(190 if filled else 0)
        item = pg.ScatterPlotItem(
            xs,
            ys,
            size=6 if filled else 7,
            pen=pg.mkPen(edge, width=1.2),
            brush=pg.mkBrush(fill),
        )
        self.plot.addItem(item)
        self._scatter.append(item)
        return item

    def scatter_points(self) -> int:
        """How many samples the scatter plot shows (training and validation)."""
        return sum(len(item.data) for item in self._scatter)

    def _show_table(self, data: Data, x: np.ndarray, y: np.ndarray) -> None:
        n = min(PREVIEW_ROWS, len(x))
        flat = x[:n].reshape(n, -1)
        names = getattr(data.train, "feature_names", None)
        if not names or len(names) != flat.shape[1]:
            names = [f"x{i + 1}" for i in range(flat.shape[1])]
        classes = None
        if data.task == "classification" and not data.target_shape:
            classes = [int(t) for t in y[:n]]
        self.table_model.set_rows(
            [self._target_name(data), *names],
            flat,
            [_target_text(data, t) for t in y[:n]],
            classes,
        )
        self.table.resizeColumnsToContents()
        self.preview.setCurrentWidget(self.table)

    def _target_name(self, data: Data) -> str:
        s = data.settings or {}
        if s.get("source") == "csv":
            columns = self._csv_columns(s.get("path", ""))
            return s.get("target") or (columns[-1] if columns else "target")
        return "class" if data.task == "classification" else "target"

    def _show_text(self, data: Data, x: np.ndarray) -> None:
        lines = []
        for row in x[:TEXT_WINDOWS]:
            text = data.train.decode(row)
            lines.append(text.replace("\n", "↵").replace("\t", "→"))
        self.text_view.setPlainText("\n\n".join(lines))
        self.preview.setCurrentWidget(self.text_view)

    # -- theme ---------------------------------------------------------------------------------
    def apply_colors(self, *_args: Any) -> None:
        """Restyle for the current theme."""
        colors = theme.colors()
        muted = colors.muted_text.name()
        for label in self.findChildren(QLabel, "section"):
            label.setStyleSheet(f"color: {muted}; padding-top: 4px;")
        self.counts.setStyleSheet(f"color: {muted};")
        self.empty_preview.setStyleSheet(f"color: {muted};")
        self.text_summary.setStyleSheet(f"color: {colors.text.name()};")
        self._style_status()
        self.plot.setBackground(colors.canvas_bg)
        plot = self.plot.getPlotItem()
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(colors.node_border))
            axis.setTextPen(pg.mkPen(colors.muted_text))
        plot.showGrid(x=True, y=True, alpha=0.25 if colors.dark else 0.15)
        self.legend.setBrush(pg.mkBrush(_alpha(colors.window, 210)))
        self.legend.setPen(pg.mkPen(colors.node_border))
        self.legend.setLabelTextColor(colors.text)
        if self._data is not None and self.preview.currentWidget() is self.plot:
            self._show_scatter(self._data)  # class colours follow the theme
        self.image_grid.update()

    def _style_status(self) -> None:
        colors = theme.colors()
        role = self.status.property("role") or "muted"
        color = {"error": colors.error, "text": colors.text}.get(role, colors.muted_text)
        self.status.setStyleSheet(f"color: {color.name()};")


# -- text helpers ---------------------------------------------------------------------------
def _alpha(color: QColor, alpha: int) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def _doc_line(name: str) -> str:
    """The first line of a built-in set's docstring (its tooltip)."""
    doc = inspect.getdoc(BUILTIN[name]) or ""
    return " ".join(doc.split("\n\n")[0].split())


def _target_text(data: Data, t: Any) -> str:
    """A sample's target as shown: the class name, or the value(s)."""
    a = np.asarray(t)
    if data.task == "classification" and a.ndim == 0 and data.classes:
        return data.classes[int(a)]
    return ", ".join(f"{float(v):.4g}" for v in a.reshape(-1)[:4]) + ("…" if a.size > 4 else "")


def _counts_text(data: Data) -> str:
    """The class counts of the training set, or a summary of the regression targets."""
    _, y = data.train.numpy()
    if data.task == "classification" and data.classes:
        if data.target_shape:  # one class per position: the next token
            return (
                f"{len(data.classes)} different characters; the target at each of the "
                f"{data.target_shape[0]} positions is the next character"
            )
        counts = np.bincount(y.reshape(-1), minlength=len(data.classes))
        sep = ": " if all(c.lstrip("-").isdigit() for c in data.classes) else " "
        parts = [f"{c}{sep}{int(n):,}" for c, n in zip(data.classes, counts)][:MAX_COUNTS]
        more = len(data.classes) - MAX_COUNTS
        tail = f", … ({more} more)" if more > 0 else ""
        return f"{len(data.classes)} classes: {', '.join(parts)}{tail}"
    y = y.astype(np.float64)
    return f"Targets: mean {y.mean():.3g}, std {y.std():.3g}, range [{y.min():.3g}, {y.max():.3g}]"


def _text_summary(s: dict) -> str:
    e = html.escape
    what = (
        f"the text file <b>{e(s['path'])}</b>" if s["path"] else f"the corpus <b>{e(s['name'])}</b>"
    )
    options = ", ".join(f"{k}={v}" for k, v in s["options"].items())
    extra = f" (options: {e(options)})" if options else ""
    return (
        f"Character sequences from {what}, in windows of {s['block']} characters{extra}, "
        f"{s['validation_split']:g} held out for validation.<br>"
        "Text datasets are shown here but edited in the project file."
    )
