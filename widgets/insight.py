"""The Insight panel: what the model learned, live while it trains.

Tabs: "Decision boundary" (2-D data: the class regions as in TensorFlow Playground, under the
data points; 1-D regression: the fitted curve over the data), "Confusion matrix"
(classification, the validation set), "Predictions" (images: validation samples with the
predicted class) and "Try it" (run the model on a validation sample or typed values).

    panel.set_data(data)                 # a core.model.data.Data (None: no data)
    panel.show_snapshot(snapshot)        # a core.train.insight.InsightSnapshot
    panel.predict_requested.connect(...) # np.ndarray batch of one sample
    panel.show_prediction(x, output)     # probabilities (1, C) or values (1, K)
    panel.set_model_ready(True)

The panel never runs the model: the application answers ``predict_requested``.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from core.model.data import Data
from core.train.insight import InsightSnapshot, data_kind, dataset_arrays
from widgets import theme

TAB_BOUNDARY = "Decision boundary"
TAB_FIT = "Fitted curve"
TAB_CONFUSION = "Confusion matrix"
TAB_PREDICTIONS = "Predictions"
TAB_TRY = "Try it"
HINT = "Train the model to see what it learned"
NO_DATA = "Choose a dataset to see what the model learns"
TRAIN_FIRST = "Train the model first"
PRESS_PREDICT = "Press Predict to run the model on this sample"

# TensorFlow Playground's two colours, then a palette for more classes
TWO_CLASSES = ("#f59322", "#0877bd")
PALETTE = (
    "#f59322",
    "#0877bd",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
STRENGTH = 0.6  # how far the most confident region goes from the background to its colour
MAX_POINTS = 2000  # data points drawn over the boundary
MAX_CELL = 110.0  # pixels: the largest confusion-matrix cell


def class_colors(n: int) -> list[QColor]:
    """One colour per class: TensorFlow Playground's orange and blue, then a palette."""
    out = [QColor(c) for c in PALETTE[:n]]
    for i in range(len(out), n):  # beyond the palette: evenly spaced hues
        out.append(QColor.fromHsvF((i * 0.618034) % 1.0, 0.65, 0.85))
    return out


def _rgb(c: QColor) -> np.ndarray:
    return np.array([c.red(), c.green(), c.blue()], dtype=np.float32)


def boundary_rgb(probs: np.ndarray, background: QColor) -> np.ndarray:
    """(G, G, 3) uint8 colours of class probabilities (G, G, C): the winning class's
    colour over ``background``, stronger where the model is surer (two classes: 0.5 is
    the background, as in TensorFlow Playground)."""
    c = probs.shape[-1]
    palette = np.stack([_rgb(q) for q in class_colors(max(c, 2))])
    top = probs.argmax(axis=-1)
    pmax = probs.max(axis=-1)
    sure = np.clip((pmax - 1.0 / c) / (1.0 - 1.0 / c), 0.0, 1.0) if c > 1 else pmax
    bg = _rgb(background)
    rgb = bg + (STRENGTH * sure)[..., None] * (palette[top] - bg)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def diverging_rgb(
    values: np.ndarray, lo: float, hi: float, background: QColor, strength: float = STRENGTH
) -> np.ndarray:
    """(..., 3) uint8 colours of regression values: orange below the middle of [lo, hi],
    blue above, the background at the middle."""
    mid, half = (lo + hi) / 2.0, max((hi - lo) / 2.0, 1e-12)
    t = np.clip((values - mid) / half, -1.0, 1.0)
    orange, blue = _rgb(QColor(TWO_CLASSES[0])), _rgb(QColor(TWO_CLASSES[1]))
    bg = _rgb(background)
    target = np.where((t < 0)[..., None], orange, blue)
    rgb = bg + (strength * np.abs(t))[..., None] * (target - bg)
    return np.clip(rgb + 0.5, 0, 255).astype(np.uint8)


def sample_image(x: np.ndarray, lo: float, hi: float) -> QImage:
    """A QImage of one image sample ((C, H, W) or (H, W); 1 or 3 channels, else the
    first), values mapped from [lo, hi] to black..white."""
    a = np.asarray(x, dtype=np.float32)
    if a.ndim == 3:
        a = np.moveaxis(a[:3], 0, -1) if a.shape[0] == 3 else a[0]
    scale = 255.0 / (hi - lo) if hi > lo else 1.0
    u8 = np.ascontiguousarray(np.clip((a - lo) * scale, 0, 255).astype(np.uint8))
    h, w = u8.shape[:2]
    if u8.ndim == 3:
        img = QImage(u8.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        img = QImage(u8.data, w, h, w, QImage.Format.Format_Grayscale8)
    return img.copy()  # owns its pixels


def _hinted(content: QWidget) -> QStackedWidget:
    """``content`` behind a centred hint page (page 0)."""
    stack = QStackedWidget()
    hint = QLabel(HINT)
    hint.setObjectName("insightHint")
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    hint.setWordWrap(True)
    stack.addWidget(hint)
    stack.addWidget(content)
    stack.hint = hint
    return stack


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved by ``t`` (0..1) toward ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


# -- decision boundary / fitted curve ----------------------------------------------------------
class BoundaryView(QWidget):
    """The class regions (or regression values) on the grid under the data points, or a
    1-D regression's fitted curve over the data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.legend = QLabel()
        self.legend.setObjectName("boundaryLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.caption = QLabel()
        self.caption.setObjectName("boundaryCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(False, False)
        self.plot.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.train_points = pg.ScatterPlotItem(size=7, pxMode=True)
        self.val_points = pg.ScatterPlotItem(size=8, pxMode=True)
        self.curve = pg.PlotDataItem()
        self.curve.setZValue(10)
        for item in (self.image, self.train_points, self.val_points, self.curve):
            self.plot.addItem(item)
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self.legend)
        top.addStretch(1)
        top.addWidget(self.caption)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.plot, 1)
        self.mode: str | None = None  # "boundary", "fit" or None
        self.classes: list[str] | None = None
        self._points: tuple | None = None
        self._last = None  # the last Boundary or Fit shown
        self._value_range = (0.0, 1.0)

    def set_points(self, data: Data | None, mode: str | None) -> None:
        """The data's training and validation points; mode "boundary" or "fit"."""
        self.mode = mode
        self._last = None
        self.image.clear()
        self.curve.setData([], [])
        self.caption.setText("")
        self._points = None
        self.classes = None if data is None else data.classes
        if data is not None and mode is not None:
            train = dataset_arrays(data.train)
            val = dataset_arrays(data.val)
            self._points = (train, val, data.task)
            ys = [a[1].reshape(len(a[1]), -1)[:, 0] for a in (train, val) if a is not None]
            if data.task != "classification" and ys:
                y = np.concatenate(ys)
                self._value_range = (float(y.min()), float(y.max())) if len(y) else (0.0, 1.0)
        self.apply_colors()

    def draw(self, boundary=None, fit=None) -> None:
        """Draw a snapshot's Boundary or Fit."""
        item = boundary if boundary is not None else fit
        if item is None:
            return
        self._last = item
        self._draw()

    def _draw(self) -> None:
        item, colors = self._last, theme.colors()
        if item is None:
            return
        if self.mode == "fit":
            self.curve.setData(item.xs, item.prediction)
            return
        xs, ys = item.xs, item.ys
        if item.probs is not None:
            rgb = boundary_rgb(item.probs, colors.canvas_bg)
        else:
            lo, hi = self._value_range
            values = item.values
            lo, hi = min(lo, float(values.min())), max(hi, float(values.max()))
            rgb = diverging_rgb(values, lo, hi, colors.canvas_bg)
        self.image.setImage(rgb, autoLevels=False, levels=(0, 255))
        dx = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
        dy = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
        rect = QRectF(xs[0] - dx / 2, ys[0] - dy / 2, xs[-1] - xs[0] + dx, ys[-1] - ys[0] + dy)
        self.image.setRect(rect)
        self.plot.setRange(rect=rect, padding=0)

    def apply_colors(self) -> None:
        """The theme's colours on the plot, the points and the boundary."""
        colors = theme.colors()
        self.plot.setBackground(colors.canvas_bg)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(colors.node_border))
            axis.setTextPen(pg.mkPen(colors.muted_text))
        muted = colors.muted_text.name()
        self.caption.setStyleSheet(f"color: {muted};")
        self.curve.setPen(pg.mkPen(QColor(TWO_CLASSES[0]), width=2.5))
        self._style_points()
        self._draw()

    def _style_points(self) -> None:
        colors = theme.colors()
        edge = colors.canvas_bg
        ring = QColor("#ffffff") if not colors.dark else _mix(colors.text, colors.canvas_bg, 0.25)
        self.train_points.setData([], [])
        self.val_points.setData([], [])
        if self._points is None:
            self.legend.setText("")
            return
        (train, val, task) = self._points
        fit = self.mode == "fit"
        for arrays, item, filled in (
            (train, self.train_points, True),
            (val, self.val_points, False),
        ):
            if arrays is None:
                continue
            x, y = arrays
            x = x.reshape(len(x), -1)[:MAX_POINTS]
            y = y.reshape(len(y), -1)[:MAX_POINTS, 0]
            if fit:
                px, py = x[:, 0], y
                fill = colors.accent
                brushes = pg.mkBrush(fill) if filled else pg.mkBrush(None)
                pens = pg.mkPen(edge, width=1) if filled else pg.mkPen(fill, width=1.5)
                item.setData(px, py, brush=brushes, pen=pens, symbol="o", size=6 if filled else 7)
                continue
            px, py = x[:, 0], x[:, 1]
            if task == "classification":
                palette = class_colors(max(int(y.max()) + 1 if len(y) else 2, 2))
                cols = [palette[int(k)] for k in y]
            else:
                lo, hi = self._value_range
                rgb = diverging_rgb(y, lo, hi, colors.muted_text, strength=1.0)
                cols = [QColor(int(r), int(g), int(b)) for r, g, b in rgb]
            if filled:
                brushes = [pg.mkBrush(c) for c in cols]
                item.setData(px, py, brush=brushes, pen=pg.mkPen(ring, width=1), symbol="o")
            else:
                pens = [pg.mkPen(c, width=2) for c in cols]
                item.setData(px, py, brush=pg.mkBrush(edge), pen=pens, symbol="o")
        self.legend.setText(self._legend_html(task, fit))

    def _legend_html(self, task: str, fit: bool) -> str:
        colors = theme.colors()
        muted = colors.muted_text.name()
        parts = []
        if task == "classification" and self.classes:
            for name, c in zip(self.classes, class_colors(max(len(self.classes), 2))):
                parts.append(f"<span style='color:{c.name()}'>&#9679;</span> {html.escape(name)}")
        elif fit:
            parts.append(f"<span style='color:{TWO_CLASSES[0]}'>&#9473;</span> model")
        else:
            lo, hi = self._value_range
            parts.append(
                f"<span style='color:{TWO_CLASSES[0]}'>&#9632;</span> {lo:.3g} &#8230; "
                f"<span style='color:{TWO_CLASSES[1]}'>&#9632;</span> {hi:.3g}"
            )
        parts.append(
            f"<span style='color:{muted}'>&#9679; training &nbsp;&#9675; validation</span>"
        )
        return " &nbsp; ".join(parts)


# -- confusion matrix --------------------------------------------------------------------------
class ConfusionMatrix(QWidget):
    """A confusion matrix as a grid of cells: rows are the true classes, columns the
    predicted ones; each cell's colour is its share of the row (the diagonal in the accent
    colour, mistakes in the error colour), its text the count or that share."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix: np.ndarray | None = None
        self.classes: list[str] = []
        self.normalized = False
        self.setMinimumSize(160, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_matrix(self, matrix: np.ndarray | None, classes: list[str] | None) -> None:
        """Show ``matrix`` (C, C) with the class names (default: the indices)."""
        self.matrix = None if matrix is None else np.asarray(matrix)
        n = 0 if self.matrix is None else len(self.matrix)
        names = list(classes or [])
        self.classes = names[:n] + [str(i) for i in range(len(names), n)]
        self.update()

    def set_normalized(self, on: bool) -> None:
        """Cells show the share of their row (True) or counts (False)."""
        self.normalized = bool(on)
        self.update()

    def cell_text(self, row: int, col: int) -> str:
        """What cell (row, col) shows."""
        m = self.matrix
        if self.normalized:
            total = m[row].sum()
            return f"{100.0 * m[row, col] / total:.0f}%" if total else "–"
        return str(int(m[row, col]))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(360, 300)

    def _layout(self) -> tuple[QRectF, float, int, int, bool]:
        """The cell area, the cell size, the row-label width, the column-label height and
        whether column labels stand upright."""
        fm = QFontMetrics(self.font())
        n = len(self.classes)
        line = fm.height()
        label_w = max((fm.horizontalAdvance(c) for c in self.classes), default=0) + 8
        axis = line + 6  # room for an axis title
        avail_w = self.width() - label_w - axis - 12
        widest = max((fm.horizontalAdvance(c) for c in self.classes), default=0)
        upright = False
        col_h = line + 4
        avail_h = self.height() - col_h - axis - 12
        cell = max(4.0, min(avail_w / max(n, 1), avail_h / max(n, 1), MAX_CELL))
        if widest + 4 > cell:  # the column labels do not fit across: stand them upright
            upright = True
            col_h = min(widest, 120) + 6
            avail_h = self.height() - col_h - axis - 12
            cell = max(4.0, min(avail_w / max(n, 1), avail_h / max(n, 1), MAX_CELL))
        grid_w = cell * n
        left = axis + label_w + max(0.0, (avail_w - grid_w) / 2)
        top = max(6.0, (self.height() - cell * n - col_h - axis) / 2)
        return QRectF(left, top, grid_w, cell * n), cell, label_w, col_h, upright

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The (row, col) under a point of the widget, if any."""
        if self.matrix is None or not len(self.matrix):
            return None
        area, cell, *_ = self._layout()
        if not area.contains(pos):
            return None
        n = len(self.matrix)
        row = min(int((pos.y() - area.top()) / cell), n - 1)
        col = min(int((pos.x() - area.left()) / cell), n - 1)
        return row, col

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ToolTip:
            hit = self.cell_at(QPointF(e.pos()))
            if hit is None:
                QToolTip.hideText()
            else:
                r, c = hit
                n, total = int(self.matrix[r, c]), int(self.matrix[r].sum())
                share = f" ({100.0 * n / total:.1f}% of {self.classes[r]!r})" if total else ""
                QToolTip.showText(
                    e.globalPos(),
                    f"True {self.classes[r]}, predicted {self.classes[c]}: "
                    f"{n} sample{'' if n == 1 else 's'}{share}",
                    self,
                )
            return True
        return super().event(e)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.matrix is None or not len(self.matrix):
            return
        colors = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        area, cell, label_w, col_h, upright = self._layout()
        m = self.matrix
        n = len(m)
        fm = QFontMetrics(self.font())
        rows = m.sum(axis=1)
        bg = colors.canvas_bg
        show_text = cell >= fm.height() + 2
        text_font = QFont(self.font())
        if cell < fm.horizontalAdvance("000") + 6:
            text_font.setPointSizeF(max(6.0, text_font.pointSizeF() * 0.8))
        for r in range(n):
            for c in range(n):
                share = m[r, c] / rows[r] if rows[r] else 0.0
                hue = colors.accent if r == c else colors.error
                t = 0.0 if m[r, c] == 0 else 0.12 + 0.88 * float(share)
                fill = _mix(bg, hue, t)
                rect = QRectF(area.left() + c * cell, area.top() + r * cell, cell, cell)
                p.fillRect(rect, fill)
                if show_text:
                    p.setFont(text_font)
                    p.setPen(QColor("#ffffff") if t > 0.55 else colors.text)
                    if m[r, c] == 0 and not self.normalized:
                        p.setPen(colors.muted_text)
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.cell_text(r, c))
        p.setFont(self.font())
        # grid lines
        p.setPen(QPen(colors.window, 1))
        for i in range(n + 1):
            x = area.left() + i * cell
            y = area.top() + i * cell
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        # class names: rows on the left, columns below
        p.setPen(colors.text)
        for i, name in enumerate(self.classes):
            rect = QRectF(area.left() - label_w, area.top() + i * cell, label_w - 6, cell)
            p.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            x = area.left() + i * cell
            if upright:
                p.save()
                p.translate(x + cell / 2 + fm.ascent() / 2 - 1, area.bottom() + 4)
                p.rotate(-90)
                shown = fm.elidedText(name, Qt.TextElideMode.ElideRight, col_h - 6)
                p.drawText(QPointF(-fm.horizontalAdvance(shown), 0), shown)
                p.restore()
            else:
                rect = QRectF(x, area.bottom() + 2, cell, fm.height() + 2)
                p.drawText(rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        # axis titles
        p.setPen(colors.muted_text)
        bottom = area.bottom() + col_h + 2
        p.drawText(
            QRectF(area.left(), bottom, area.width(), fm.height() + 2),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            "Predicted",
        )
        p.save()
        p.translate(area.left() - label_w - 6, area.center().y())
        p.rotate(-90)
        p.drawText(
            QRectF(-60, -fm.height(), 120, fm.height()), Qt.AlignmentFlag.AlignCenter, "True"
        )
        p.restore()
        p.end()


class ConfusionView(QWidget):
    """The confusion matrix with its title (validation accuracy) and a counts/share toggle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("confusionTitle")
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.normalize = QCheckBox("Show shares of each true class")
        self.normalize.setToolTip("Cells show the share of their row instead of counts")
        self.matrix = ConfusionMatrix()
        self.normalize.toggled.connect(self.matrix.set_normalized)
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 6, 0)
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.normalize)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.matrix, 1)

    def draw(self, snapshot: InsightSnapshot) -> None:
        """Draw the snapshot's confusion matrix; the title gives the accuracy."""
        m = snapshot.confusion
        self.matrix.set_matrix(m, snapshot.classes)
        total = int(m.sum())
        acc = snapshot.val_accuracy
        text = f"Validation accuracy {100.0 * acc:.1f}%" if acc is not None else "Validation"
        self.title.setText(
            f"{text} · {total:,} samples · epoch {snapshot.epoch}, step {snapshot.step:,}"
        )

    def clear(self) -> None:
        """No matrix."""
        self.matrix.set_matrix(None, None)
        self.title.setText("")


# -- predictions grid --------------------------------------------------------------------------
class SampleGrid(QWidget):
    """Validation images, each with its predicted class and probability underneath: green
    when right, red (with the true class) when wrong."""

    GAP = 10

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: list[QImage] = []
        self.captions: list[tuple[str, str, bool]] = []  # (prediction, true label, right)
        self.image_px = 64
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def set_samples(self, images: list[QImage], captions: list[tuple[str, str, bool]]) -> None:
        """The images and for each (prediction text, true class, whether right)."""
        self.images = list(images)
        self.captions = list(captions)
        if self.images:
            w = self.images[0].width()
            self.image_px = max(48, min(96, w * max(1, 64 // max(w, 1))))
        self.updateGeometry()
        self.update()

    def _cell(self) -> QSize:
        fm = QFontMetrics(self.font())
        w = max(self.image_px, fm.horizontalAdvance("0000 (0.00)"))
        return QSize(w, self.image_px + 2 * fm.height() + 6)

    def _columns(self, width: int) -> int:
        cell = self._cell()
        return max(1, (width - self.GAP) // (cell.width() + self.GAP))

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt override
        cols = self._columns(width)
        rows = -(-len(self.images) // cols) if self.images else 0
        return self.GAP + rows * (self._cell().height() + self.GAP)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(480, self.heightForWidth(480))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.images:
            return
        colors = theme.colors()
        right_c, wrong_c = colors.port_ok, colors.error
        p = QPainter(self)
        fm = QFontMetrics(self.font())
        cell = self._cell()
        cols = self._columns(self.width())
        used = cols * (cell.width() + self.GAP) - self.GAP
        x0 = max(self.GAP, (self.width() - used) // 2)
        for i, (img, (pred, true, right)) in enumerate(zip(self.images, self.captions)):
            r, c = divmod(i, cols)
            x = x0 + c * (cell.width() + self.GAP)
            y = self.GAP + r * (cell.height() + self.GAP)
            target = QRect(x + (cell.width() - self.image_px) // 2, y, self.image_px, self.image_px)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(target, img)
            p.setPen(QPen(right_c if right else wrong_c, 2))
            p.drawRect(target.adjusted(-1, -1, 0, 0))
            p.setPen(right_c if right else wrong_c)
            line = QRect(x - 4, target.bottom() + 4, cell.width() + 8, fm.height())
            p.drawText(line, Qt.AlignmentFlag.AlignHCenter, pred)
            if not right:
                p.setPen(colors.muted_text)
                p.drawText(line.translated(0, fm.height()), Qt.AlignmentFlag.AlignHCenter, true)
        p.end()


class PredictionsView(QWidget):
    """A scrolling grid of validation samples with the model's predictions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("predictionsTitle")
        self.grid = SampleGrid()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.setContentsMargins(6, 2, 6, 0)
        head.addWidget(self.title)
        layout.addLayout(head)
        layout.addWidget(self.scroll, 1)
        self._images: dict[int, QImage] = {}
        self._val_x: np.ndarray | None = None
        self._range = (0.0, 1.0)
        self.classes: list[str] = []

    def set_data(self, val_x: np.ndarray | None, classes: list[str] | None) -> None:
        """The validation images the snapshots' sample indices point into."""
        self._val_x = val_x
        self._images = {}
        self.classes = list(classes or [])
        if val_x is not None and len(val_x):
            self._range = (float(val_x.min()), float(val_x.max()))
        self.grid.set_samples([], [])
        self.title.setText("")

    def image(self, index: int) -> QImage:
        """The QImage of validation sample ``index`` (made once)."""
        img = self._images.get(index)
        if img is None:
            img = self._images[index] = sample_image(self._val_x[index], *self._range)
        return img

    def _name(self, k: int) -> str:
        return self.classes[k] if 0 <= k < len(self.classes) else str(k)

    def draw(self, snapshot: InsightSnapshot) -> None:
        """Draw the snapshot's samples with their predictions."""
        s = snapshot.samples
        if s is None or self._val_x is None:
            return
        images, captions = [], []
        for i, pred, conf, true in zip(s.indices, s.predictions, s.confidence, s.targets):
            images.append(self.image(int(i)))
            right = int(pred) == int(true)
            captions.append(
                (f"{self._name(int(pred))} ({conf:.2f})", f"true {self._name(int(true))}", right)
            )
        self.grid.set_samples(images, captions)
        wrong = sum(1 for *_, ok in captions if not ok)
        self.title.setText(
            f"{len(captions)} validation samples · {wrong} wrong · epoch {snapshot.epoch}, "
            f"step {snapshot.step:,}"
        )


# -- try it ------------------------------------------------------------------------------------
class ProbabilityBars(QWidget):
    """One bar per class (the probabilities), the most likely one highlighted."""

    MAX_ROWS = 12

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.probs: np.ndarray | None = None
        self.classes: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_probabilities(self, probs: np.ndarray, classes: list[str] | None) -> None:
        """Show ``probs`` (C,) with the class names."""
        self.probs = np.asarray(probs, dtype=np.float64).reshape(-1)
        names = list(classes or [])
        self.classes = names + [str(i) for i in range(len(names), len(self.probs))]
        self.updateGeometry()
        self.update()

    def rows(self) -> list[int]:
        """The classes shown, in class order (the most likely ones when there are many)."""
        if self.probs is None:
            return []
        if len(self.probs) <= self.MAX_ROWS:
            return list(range(len(self.probs)))
        return sorted(np.argsort(-self.probs)[: self.MAX_ROWS].tolist())

    def _row_h(self) -> int:
        return QFontMetrics(self.font()).height() + 8

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(320, max(1, len(self.rows())) * self._row_h() + 4)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(200, max(1, len(self.rows())) * self._row_h() + 4)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.probs is None:
            return
        colors = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        rows = self.rows()
        top = int(np.argmax(self.probs))
        bold = QFont(self.font())
        bold.setBold(True)
        wide = QFontMetrics(bold)
        label_w = min(max(wide.horizontalAdvance(self.classes[k]) for k in rows) + 12, 160)
        value_w = fm.horizontalAdvance("100.0%") + 10
        bar_w = max(20, self.width() - label_w - value_w - 8)
        h = self._row_h()
        for i, k in enumerate(rows):
            y = 2 + i * h
            best = k == top
            p.setFont(bold if best else self.font())
            p.setPen(colors.text if best else colors.muted_text)
            metrics = wide if best else fm
            name = metrics.elidedText(self.classes[k], Qt.TextElideMode.ElideRight, label_w - 8)
            p.drawText(
                QRect(0, y, label_w - 6, h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                name,
            )
            track = QRectF(label_w, y + 4, bar_w, h - 8)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(_mix(colors.window, colors.node_border, 0.5))
            p.drawRoundedRect(track, 3, 3)
            fill = QRectF(track)
            fill.setWidth(max(0.0, bar_w * float(self.probs[k])))
            hue = colors.accent if best else _mix(colors.muted_text, colors.window, 0.3)
            p.setBrush(hue)
            if fill.width() > 0.5:
                p.drawRoundedRect(fill, 3, 3)
            p.setPen(colors.text if best else colors.muted_text)
            p.drawText(
                QRect(label_w + bar_w + 6, y, value_w, h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{100.0 * self.probs[k]:.1f}%",
            )
        p.end()


class ImageBox(QWidget):
    """One sample image, scaled up without smoothing to fill the box."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setMinimumSize(96, 96)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(140, 140)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.image is None:
            return
        p = QPainter(self)
        side = min(self.width(), self.height())
        w, h = self.image.width(), self.image.height()
        scale = side / max(w, h)
        target = QRectF(
            (self.width() - w * scale) / 2, (self.height() - h * scale) / 2, w * scale, h * scale
        )
        p.drawImage(target, self.image)
        p.setPen(QPen(theme.colors().node_border, 1))
        p.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))
        p.end()


class TryItView(QWidget):
    """Pick a validation sample (or type feature values), press Predict, see the answer."""

    predict_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: Data | None = None
        self._val: tuple[np.ndarray, np.ndarray] | None = None
        self._rng = np.random.default_rng()
        self._range = (0.0, 1.0)
        self.sample = QSpinBox()
        self.sample.setObjectName("trySample")
        self.sample.setToolTip("A sample of the validation set")
        self.random = QPushButton("Random sample")
        self.random.setToolTip("Pick a validation sample at random")
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Validation sample"))
        pick.addWidget(self.sample)
        pick.addWidget(self.random)
        pick.addStretch(1)

        self.image_box = ImageBox()
        self.fields: list[QDoubleSpinBox] = []
        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form_scroll = QScrollArea()
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.form_scroll.setWidget(self.form_host)
        self.inputs = QStackedWidget()
        self.inputs.addWidget(self.image_box)
        self.inputs.addWidget(self.form_scroll)
        self.truth = QLabel()
        self.truth.setObjectName("tryTruth")

        self.predict = QPushButton("Predict")
        self.predict.setObjectName("tryPredict")
        self.predict.setDefault(True)

        self.result_title = QLabel()
        self.result_title.setObjectName("tryResultTitle")
        self.bars = ProbabilityBars()
        self.value = QLabel()
        self.value.setObjectName("tryValue")
        big = self.value.font()
        big.setPointSizeF(big.pointSizeF() * 1.6)
        big.setBold(True)
        self.value.setFont(big)
        self.result_hint = QLabel(HINT)
        self.result_hint.setObjectName("insightHint")
        self.result_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_hint.setWordWrap(True)
        self.result = QStackedWidget()
        self.result.addWidget(self.result_hint)
        self.result.addWidget(self.bars)
        self.result.addWidget(self.value)

        left = QVBoxLayout()
        left.addLayout(pick)
        left.addWidget(self.inputs, 1)
        left.addWidget(self.truth)
        row = QHBoxLayout()
        row.addWidget(self.predict)
        row.addStretch(1)
        left.addLayout(row)
        left.addStretch(0)
        self.left = left
        right = QVBoxLayout()
        right.addWidget(self.result_title)
        right.addWidget(self.result, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.sample.valueChanged.connect(self._show_sample)
        self.random.clicked.connect(self._random_sample)
        self.predict.clicked.connect(self._request)
        self.set_model_ready(False)

    # -- data -----------------------------------------------------------------------------
    def set_data(self, data: Data | None) -> None:
        """The data whose validation samples can be picked (or whose features typed)."""
        self.data = data
        kind = data_kind(data) if data is not None else None
        usable = kind is not None and (kind["images"] or kind["vector"])
        self._val = dataset_arrays(data.val) if usable else None
        if self._val is None and usable:
            self._val = dataset_arrays(data.train)  # no validation set: training samples
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields = []
        self.show_prediction_hint()
        n = 0 if self._val is None else len(self._val[0])
        self.sample.blockSignals(True)
        self.sample.setRange(0, max(n - 1, 0))
        self.sample.setValue(0)
        self.sample.blockSignals(False)
        if kind is not None and kind["vector"]:
            names = getattr(data.train, "feature_names", None) or []
            count = int(data.input_shape[0])
            for i in range(count):
                box = QDoubleSpinBox()
                box.setRange(-1e9, 1e9)
                box.setDecimals(4)
                box.setSingleStep(0.1)
                box.setKeyboardTracking(False)
                name = names[i] if i < len(names) else f"x{i + 1}"
                self.form.addRow(name, box)
                self.fields.append(box)
            self.inputs.setCurrentWidget(self.form_scroll)
        else:
            self.inputs.setCurrentWidget(self.image_box)
        # images grow with the room; a few fields keep Predict right under them
        few = bool(self.fields) and len(self.fields) <= 8
        self.left.setStretchFactor(self.inputs, 0 if few else 1)
        self.left.setStretch(self.left.count() - 1, 1 if few else 0)
        if few:
            self.form_scroll.setMaximumHeight(self.form_host.sizeHint().height() + 4)
        else:
            self.form_scroll.setMaximumHeight(16777215)
        if self._val is not None and n:
            x = self._val[0]
            self._range = (float(x.min()), float(x.max()))
            self._show_sample(0)
        else:
            self.image_box.set_image(None)
            self.truth.setText("")

    def _label(self, y: np.ndarray) -> str:
        data = self.data
        flat = np.asarray(y).reshape(-1)
        if data.task == "classification":
            k = int(flat[0])
            classes = data.classes or []
            return classes[k] if 0 <= k < len(classes) else str(k)
        return ", ".join(f"{v:.4g}" for v in flat[:4])

    def _show_sample(self, index: int) -> None:
        if self._val is None or not len(self._val[0]):
            return
        x, y = self._val[0][index], self._val[1][index]
        if self.fields:
            for box, v in zip(self.fields, np.asarray(x).reshape(-1)):
                box.setValue(float(v))
        else:
            self.image_box.set_image(sample_image(x, *self._range))
        what = "class" if self.data.task == "classification" else "target"
        self.truth.setText(f"True {what}: {self._label(y)}")

    def _random_sample(self) -> None:
        if self._val is not None and len(self._val[0]):
            self.sample.setValue(int(self._rng.integers(len(self._val[0]))))

    def current_input(self) -> np.ndarray | None:
        """The batch of one sample the Predict button sends (the model's input shape)."""
        if self.data is None:
            return None
        shape = (1, *tuple(self.data.input_shape))
        if self.fields:
            values = [box.value() for box in self.fields]
            return np.asarray(values, dtype=np.float32).reshape(shape)
        if self._val is None or not len(self._val[0]):
            return None
        x = self._val[0][self.sample.value()]
        return np.ascontiguousarray(x, dtype=np.float32).reshape(shape)

    def _request(self) -> None:
        x = self.current_input()
        if x is not None:
            self.predict_requested.emit(x)

    # -- model and answers --------------------------------------------------------------------
    def set_model_ready(self, ready: bool) -> None:
        """Enable Predict (a model exists) or disable it with the reason."""
        ready = bool(ready) and self.current_input() is not None
        self.predict.setEnabled(ready)
        self.predict.setToolTip("Run the model on this sample" if ready else TRAIN_FIRST)
        self.result_hint.setText(PRESS_PREDICT if ready else HINT)

    def show_prediction_hint(self) -> None:
        self.result.setCurrentWidget(self.result_hint)
        self.result_title.setText("")

    def show_prediction(self, x: np.ndarray, output: np.ndarray) -> None:
        """Show the model's answer for ``x``: bars of class probabilities, or the value."""
        if self.data is None:
            return
        out = np.asarray(output, dtype=np.float64)
        row = out.reshape(out.shape[0], -1)[0] if out.ndim >= 2 else out.reshape(-1)
        if self.data.task == "classification":
            self.bars.set_probabilities(row, self.data.classes)
            self.result.setCurrentWidget(self.bars)
            top = int(np.argmax(row))
            classes = self.data.classes or []
            name = classes[top] if top < len(classes) else str(top)
            self.result_title.setText(
                f"Prediction: <b>{html.escape(name)}</b> ({100 * row[top]:.1f}%)"
            )
        else:
            text = ", ".join(f"{v:.4g}" for v in row[:8])
            self.value.setText(text)
            self.result.setCurrentWidget(self.value)
            self.result_title.setText("Prediction")

    def apply_colors(self) -> None:
        colors = theme.colors()
        self.truth.setStyleSheet(f"color: {colors.muted_text.name()};")
        self.result_hint.setStyleSheet(f"color: {colors.muted_text.name()};")
        self.bars.update()
        self.image_box.update()


def _why_no_confusion(data: Data) -> str:
    if data.task != "classification":
        return "this is a regression dataset"
    if data.val is None:
        return "this data has no validation set (set a validation split)"
    return "this data has a class per position"


# -- the panel ---------------------------------------------------------------------------------
class InsightPanel(QWidget):
    """Decision boundary, confusion matrix, predictions and a try-it tab, updated live."""

    predict_requested = Signal(object)  # np.ndarray: a batch of one sample

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boundary_view = BoundaryView()
        self.confusion_view = ConfusionView()
        self.predictions_view = PredictionsView()
        self.try_view = TryItView()
        self.boundary_page = _hinted(self.boundary_view)
        self.confusion_page = _hinted(self.confusion_view)
        self.predictions_page = _hinted(self.predictions_view)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.boundary_page, TAB_BOUNDARY)
        self.tabs.addTab(self.confusion_page, TAB_CONFUSION)
        self.tabs.addTab(self.predictions_page, TAB_PREDICTIONS)
        self.tabs.addTab(self.try_view, TAB_TRY)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.data: Data | None = None
        self.snapshot: InsightSnapshot | None = None
        self.try_view.predict_requested.connect(self.predict_requested)
        theme.notifier.changed.connect(self.apply_colors)
        self.set_data(None)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(560, 420)

    # -- public API -----------------------------------------------------------------------
    def set_data(self, data: Data | None) -> None:
        """The data the views show (points, classes, sample images); the views reset."""
        fresh = self.data is None
        self.data = data
        self.snapshot = None
        kind = data_kind(data) if data is not None else None
        mode = None
        if kind is not None:
            mode = "boundary" if kind["boundary"] else "fit" if kind["fit"] else None
        self.boundary_view.set_points(data, mode)
        self.confusion_view.clear()
        val = None if data is None else dataset_arrays(data.val)
        images = kind is not None and kind["images"] and data.task == "classification"
        self.predictions_view.set_data(
            val[0] if (val is not None and images) else None, None if data is None else data.classes
        )
        self.try_view.set_data(data)
        for page in (self.boundary_page, self.confusion_page, self.predictions_page):
            page.setCurrentIndex(0)
        self._enable_tabs(kind, mode, first=fresh)
        self.apply_colors()

    def show_snapshot(self, snapshot: InsightSnapshot) -> None:
        """Show what the model does now (boundary, confusion matrix, predictions)."""
        data = self.data
        if data is None or snapshot.task != data.task:
            return  # a late snapshot of an earlier run's data
        if snapshot.classes is not None and data.classes is not None:
            if list(snapshot.classes) != list(data.classes):
                return
        self.snapshot = snapshot
        if snapshot.boundary is not None or snapshot.fit is not None:
            self.boundary_view.draw(snapshot.boundary, snapshot.fit)
            self.boundary_view.caption.setText(f"epoch {snapshot.epoch}, step {snapshot.step:,}")
            self.boundary_page.setCurrentIndex(1)
        if snapshot.confusion is not None:
            self.confusion_view.draw(snapshot)
            self.confusion_page.setCurrentIndex(1)
        if snapshot.samples is not None and self.predictions_view._val_x is not None:
            self.predictions_view.draw(snapshot)
            self.predictions_page.setCurrentIndex(1)

    def show_prediction(self, x: np.ndarray, output: np.ndarray) -> None:
        """Show the model's answer to a try-it request."""
        self.try_view.show_prediction(x, output)

    def set_model_ready(self, ready: bool) -> None:
        """Whether a model exists to answer Predict (otherwise "Train the model first")."""
        self.try_view.set_model_ready(ready)

    # -- tabs ---------------------------------------------------------------------------------
    def _enable_tabs(self, kind: dict | None, mode: str | None, first: bool = False) -> None:
        data = self.data
        i_b, i_c, i_p, i_t = (self.tabs.indexOf(w) for w in self._pages())
        self.tabs.setTabText(i_b, TAB_FIT if mode == "fit" else TAB_BOUNDARY)
        if data is None:
            states = {i: (False, NO_DATA) for i in (i_b, i_c, i_p, i_t)}
        else:
            shape = "x".join(map(str, data.input_shape)) or "scalar"
            states = {
                i_b: (
                    mode is not None,
                    "The model's output over the plane (classes or values) under the data"
                    if mode == "boundary"
                    else "The model's curve over the data"
                    if mode == "fit"
                    else "Drawn for data with two features (or one feature and a regression "
                    f"target); this data has inputs of shape {shape}",
                ),
                i_c: (
                    kind["confusion"],
                    "Validation samples by true and predicted class"
                    if kind["confusion"]
                    else "For classification with a validation set and one class per "
                    f"sample; {_why_no_confusion(data)}",
                ),
                i_p: (
                    kind["images"] and data.task == "classification" and data.val is not None,
                    "Validation images with the model's predictions"
                    if kind["images"]
                    else "For image classification; this data has inputs of shape " + shape,
                ),
                i_t: (
                    kind["images"] or kind["vector"],
                    "Run the model on a sample or on values you type"
                    if kind["images"] or kind["vector"]
                    else "Needs numeric features or images; this data has "
                    f"{data.input_dtype} inputs",
                ),
            }
        for i, (on, tip) in states.items():
            self.tabs.setTabEnabled(i, on)
            self.tabs.setTabToolTip(i, tip)
        if first or not self.tabs.isTabEnabled(self.tabs.currentIndex()):
            for i in range(self.tabs.count()):
                if self.tabs.isTabEnabled(i):
                    self.tabs.setCurrentIndex(i)
                    break

    def _pages(self) -> tuple[QWidget, QWidget, QWidget, QWidget]:
        return self.boundary_page, self.confusion_page, self.predictions_page, self.try_view

    def apply_colors(self) -> None:
        """Take the current theme's colours."""
        colors = theme.colors()
        muted = colors.muted_text.name()
        for page in (self.boundary_page, self.confusion_page, self.predictions_page):
            page.hint.setStyleSheet(f"color: {muted};")
        self.confusion_view.title.setStyleSheet(f"color: {colors.text.name()};")
        self.predictions_view.title.setStyleSheet(f"color: {muted};")
        self.boundary_view.apply_colors()
        self.try_view.apply_colors()
        self.confusion_view.matrix.update()
        self.predictions_view.grid.update()
