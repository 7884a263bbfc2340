"""Live training plots: loss, a metric, the learning rate and per-layer gradient norms.

:class:`MetricsPlots` overlays the runs it is shown (``show_runs``), each in its own colour
(``run_list.run_color``), the current one drawn thicker. Every curve is a persistent
PlotDataItem that ``refresh`` feeds with ``setData`` from the runs' growing buffers; it
skips curves whose data did not change, so a 30 Hz refresh of a long run stays cheap
(peak downsampling and clip-to-view keep drawing proportional to the pixels, not the
points). A tool row switches the x-axis (steps or epochs), the loss smoothing and log
scale, the metric shown, and exports the plots as PNG and the current run as CSV.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGraphicsObject,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from core._atomic import write_atomic
from core.train.history import RunLog, Smoother
from widgets import theme
from widgets.run_list import layer_color, run_color

__all__ = ["DEFAULT_SMOOTHING", "HINTS", "MetricsPlots", "X_AXES"]

X_AXES = ("step", "epoch")
DEFAULT_SMOOTHING = 0.6
MAX_LABELLED_LAYERS = 12
DOWNSAMPLE_FACTOR = 1.5  # bins per pixel of peak downsampling
PANELS = ("loss", "metric", "lr", "grad")
TITLES = {
    "loss": "Loss",
    "metric": "Metric",
    "lr": "Learning rate",
    "grad": "Gradient norms",
}
HINTS = {
    "loss": "Press Train to see the loss here",
    "metric": "Press Train to see the metrics here",
    "lr": "Press Train to see the learning rate here",
    "grad": "Press Train to see the gradient norms here",
}
NO_METRIC = "This run reports no metric besides the loss"
WAIT_METRIC = "The metrics appear when the first epoch ends"
NO_GRADS = "No gradient norms were reported for this run"
WAIT_GRADS = "The gradient norms appear after the first steps"
PICK_RUN = "Select a run in the run list to see its gradient norms"


def _curve(**kw) -> pg.PlotDataItem:
    """A persistent curve set up for long, growing data."""
    item = pg.PlotDataItem(
        autoDownsample=True,
        downsampleMethod="peak",
        clipToView=True,
        connect="finite",
        **kw,
    )
    # peak downsampling keeps each bin's min and max, so 1.5 bins per pixel look the same as
    # every point; pyqtgraph's default (5) draws 3x more segments for nothing
    item.opts["autoDownsampleFactor"] = DOWNSAMPLE_FACTOR
    return item


@dataclass
class _RunCurves:
    """The curves of one run on each panel, and what each was last fed (to skip repeats)."""

    loss_raw: pg.PlotDataItem
    loss_smooth: pg.PlotDataItem
    val_loss: pg.PlotDataItem
    metric_train: pg.PlotDataItem
    metric_val: pg.PlotDataItem
    lr: pg.PlotDataItem
    fed: dict = field(default_factory=dict)  # curve key -> state it was last fed from
    smoothed: tuple | None = None  # (len, weight, array, Smoother): the smoothing cache

    def items(self) -> dict[str, pg.PlotDataItem]:
        return {
            "loss": self.loss_raw,
            "loss_smooth": self.loss_smooth,
            "val_loss": self.val_loss,
            "metric_train": self.metric_train,
            "metric_val": self.metric_val,
            "lr": self.lr,
        }


class MetricsPlots(QWidget):
    """Four live plots (loss, metric, learning rate, gradient norms) of one or more runs."""

    refreshed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.refresh_count = 0
        self._lr_top = 0.0  # the top of the learning-rate axis
        self._x_span: float | None = None  # the fixed length of the x axes
        self._y_ranges: dict[str, tuple[float, float]] = {}  # see _range_y
        self._runs: list[RunLog] = []
        self._current: int | None = None
        self._curves: dict[int, _RunCurves] = {}
        self._grad_curves: dict[str, pg.PlotDataItem] = {}
        self._grad_fed: dict[str, tuple] = {}
        self._x_axis = "step"
        self._smoothing = DEFAULT_SMOOTHING
        self._log_y = False
        self._metric: str | None = None
        self._metric_choices: list[str] = []
        self._names: dict[int, str] = {}  # run id -> the name its legend entries show
        self._titles = dict(TITLES)
        self._hint_state: dict | None = None  # the hint texts shown

        self._build_tools()
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.graphics.ci.setContentsMargins(4, 4, 8, 4)
        self.graphics.ci.setSpacing(6)
        self.plots: dict[str, pg.PlotItem] = {}
        self._grids: dict[str, _Grid] = {}
        # the gradient norms' legend sits beside their plot: a dozen layers would hide it
        self.legends = {"grad": _SideLegend(verSpacing=-4, colCount=1)}
        for i, key in enumerate(PANELS):
            if key == "grad":
                cell = self.graphics.ci.addLayout(row=i // 2, col=i % 2)
                cell.setContentsMargins(0, 0, 0, 0)
                cell.setSpacing(0)
                plot = cell.addPlot(row=0, col=0, axisItems={"left": _Axis("left")})
                cell.addItem(self.legends["grad"], row=0, col=1)
                cell.layout.setAlignment(self.legends["grad"], Qt.AlignmentFlag.AlignTop)
            else:
                plot = self.graphics.addPlot(
                    row=i // 2, col=i % 2, axisItems={"left": _Axis("left")}
                )
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            self._grids[key] = _Grid(plot)
            plot.setMenuEnabled(False)
            plot.getAxis("left").setWidth(48)
            self.plots[key] = plot
        self.plots["grad"].setLogMode(y=True)
        self.plots["grad"].getViewBox().sigResized.connect(self._fit_grad_legend)
        grid = self.graphics.ci.layout
        for i in range(grid.count()):  # equal columns and rows, whatever each cell holds
            grid.itemAt(i).setPreferredSize(300, 200)
        for i in range(2):
            grid.setColumnStretchFactor(i, 1)
            grid.setRowStretchFactor(i, 1)
        self.legends["loss"] = self.plots["loss"].addLegend(offset=(-8, 8), verSpacing=-4)
        self._hints: dict[str, QGraphicsSimpleTextItem] = {}
        for key, plot in self.plots.items():
            hint = QGraphicsSimpleTextItem(HINTS[key])
            hint.setParentItem(plot.getViewBox())
            hint.setZValue(1000)
            self._hints[key] = hint
            plot.getViewBox().sigResized.connect(lambda _vb, k=key: self._place_hint(k))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._tools)
        layout.addWidget(self.graphics, 1)

        theme.notifier.changed.connect(self._apply_theme)
        self._apply_theme()
        self.metric_combo.setVisible(False)
        self.metric_label.setVisible(False)
        self._update_metric_choices()
        self._update_hints()
        self._update_buttons()

    # -- the tool row --------------------------------------------------------------------
    def _build_tools(self) -> None:
        tools = self._tools = QHBoxLayout()
        tools.setContentsMargins(6, 4, 6, 0)
        tools.setSpacing(6)
        self.x_combo = QComboBox()
        self.x_combo.addItem("Steps", "step")
        self.x_combo.addItem("Epochs", "epoch")
        self.x_combo.setToolTip("What the horizontal axis counts")
        self.x_combo.currentIndexChanged.connect(
            lambda _i: self.set_x_axis(self.x_combo.currentData())
        )
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(round(DEFAULT_SMOOTHING * 100))
        self.smoothing_slider.setFixedWidth(110)
        self.smoothing_slider.setToolTip(
            "Smoothing of the training loss (an exponential moving average, as TensorBoard's)"
        )
        self.smoothing_slider.valueChanged.connect(lambda v: self.set_smoothing(v / 100))
        self.smoothing_label = QLabel(f"{DEFAULT_SMOOTHING:.2f}")
        self.smoothing_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.00") + 4)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic scale")
        self.log_check.toggled.connect(self.set_log_y)
        self.metric_label = QLabel("Metric")
        self.metric_combo = QComboBox()
        self.metric_combo.setToolTip("The metric the Metric plot shows")
        self.metric_combo.currentIndexChanged.connect(self._on_metric_chosen)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.setToolTip("Save the plots as a PNG image")
        self.png_button.clicked.connect(self._on_export_png)
        self.csv_button = QPushButton("Export CSV…")
        self.csv_button.setToolTip(
            "Save the current run's metrics per epoch, and its loss per step beside them, as CSV"
        )
        self.csv_button.clicked.connect(self._on_export_csv)

        x_label = QLabel("X axis")
        smooth_label = QLabel("Smoothing")
        for w in (x_label, self.x_combo, smooth_label, self.smoothing_slider):
            tools.addWidget(w)
        tools.addWidget(self.smoothing_label)
        tools.addSpacing(6)
        tools.addWidget(self.log_check)
        tools.addSpacing(6)
        tools.addWidget(self.metric_label)
        tools.addWidget(self.metric_combo)
        tools.addStretch(1)
        tools.addWidget(self.png_button)
        tools.addWidget(self.csv_button)

    # -- what is shown -------------------------------------------------------------------
    def show_runs(self, runs: list[RunLog], current: int | None) -> None:
        """Overlay ``runs`` (RunLogs); ``current`` is the run id drawn thicker, whose gradient
        norms are shown and which CSV export writes."""
        current = current if any(r.run_id == current for r in runs) else None
        if [r.run_id for r in runs] == [r.run_id for r in self._runs] and current == (
            self._current
        ):
            self._runs = list(runs)
            self.refresh()  # the same runs (a run ended, one was renamed): no rebuild
            return
        self._runs = list(runs)
        self._current = current
        self._x_span = None  # measured again for these runs
        self._y_ranges.clear()
        wanted = {r.run_id for r in self._runs}
        for run_id in [i for i in self._curves if i not in wanted]:
            self._remove_run(run_id)
        for run in self._runs:
            if run.run_id not in self._curves:
                self._add_run(run)
        self._restyle_runs()
        self._sync_grad_curves(force=True)
        self._update_metric_choices()
        self._update_hints()
        self._update_buttons()
        self.refresh()

    def runs(self) -> list[RunLog]:
        """The runs shown."""
        return list(self._runs)

    def current_run(self) -> RunLog | None:
        """The current run (None when none is)."""
        return next((r for r in self._runs if r.run_id == self._current), None)

    def curves_of(self, run_id: int) -> dict[str, pg.PlotDataItem]:
        """The curves of a shown run by role: "loss" (raw), "loss_smooth", "val_loss",
        "metric_train", "metric_val", "lr" ({} for a run not shown)."""
        curves = self._curves.get(run_id)
        return curves.items() if curves else {}

    def grad_curves(self) -> dict[str, pg.PlotDataItem]:
        """The gradient-norm curves of the current run, by layer."""
        return dict(self._grad_curves)

    def _add_run(self, run: RunLog) -> None:
        curves = _RunCurves(
            loss_raw=_curve(),
            loss_smooth=_curve(name=run.name),
            val_loss=_curve(symbol="o", symbolSize=6),
            metric_train=_curve(),
            metric_val=_curve(symbol="o", symbolSize=5),
            lr=_curve(),
        )
        self._curves[run.run_id] = curves
        self._names[run.run_id] = run.name
        loss = self.plots["loss"]
        for item in (curves.loss_raw, curves.loss_smooth, curves.val_loss):
            loss.addItem(item)
        self.plots["metric"].addItem(curves.metric_train)
        self.plots["metric"].addItem(curves.metric_val)
        self.plots["lr"].addItem(curves.lr)

    def _remove_run(self, run_id: int) -> None:
        curves = self._curves.pop(run_id)
        self._names.pop(run_id, None)
        for role, item in curves.items().items():
            panel = "loss" if role in ("loss", "loss_smooth", "val_loss") else role
            panel = "metric" if role.startswith("metric") else panel
            self.plots[panel].removeItem(item)

    def _restyle_runs(self) -> None:
        """Pens of every run's curves: its colour; the current run thicker and on top.

        NOTE: a wide pen costs the raster engine about 5 ms per long curve per frame, so
        only the current run's per-step curves are wide; per-epoch curves are short."""
        colors = theme.colors()
        several = len(self._runs) > 1
        for order, run in enumerate(self._runs):
            curves = self._curves[run.run_id]
            color = run_color(run.run_id, colors.dark)
            current = run.run_id == self._current or not several
            long_width = 2 if current else 1  # per-step curves
            short_width = 2.4 if current else 1.4  # per-epoch curves
            z = 10 + order + (100 if current else 0)
            faint = QColor(color)
            faint.setAlpha(50 if current else 25)
            curves.loss_raw.setPen(pg.mkPen(faint, width=1))
            curves.loss_smooth.setPen(pg.mkPen(color, width=long_width))
            curves.lr.setPen(pg.mkPen(color, width=long_width))
            curves.val_loss.setPen(pg.mkPen(color, width=short_width))
            curves.val_loss.setSymbolPen(pg.mkPen(color, width=1.2))
            curves.val_loss.setSymbolBrush(pg.mkBrush(colors.canvas_bg))
            dashed = pg.mkPen(color, width=short_width, style=Qt.PenStyle.DashLine)
            curves.metric_train.setPen(dashed)
            curves.metric_val.setPen(pg.mkPen(color, width=short_width))
            curves.metric_val.setSymbolPen(pg.mkPen(color, width=1))
            curves.metric_val.setSymbolBrush(pg.mkBrush(color))
            for item in curves.items().values():
                item.setZValue(z)
            curves.loss_raw.setZValue(z - 50)
        self._sync_legend_names(force=True)

    def _sync_legend_names(self, force: bool = False) -> None:
        """The loss panel's legend names the runs (only when several are shown; the line
        styles' key is in the title) and follows renamed runs."""
        legend = self.legends["loss"]
        several = len(self._runs) > 1
        for run in self._runs:
            if not force and self._names.get(run.run_id) == run.name:
                continue
            self._names[run.run_id] = run.name
            curves = self._curves[run.run_id]
            legend.removeItem(curves.val_loss)
            legend.removeItem(curves.loss_smooth)
            if several:
                legend.addItem(curves.loss_smooth, run.name)
        self._style_legend(legend)

    # -- gradient norms of the current run -----------------------------------------------
    def _sync_grad_curves(self, force: bool = False) -> None:
        """One curve per gradient-norm key of the current run (created as keys appear)."""
        run = self.current_run()
        names = run.grad_names() if run is not None else []
        if not force and list(self._grad_curves) == names:
            return
        plot = self.plots["grad"]
        legend = self.legends["grad"]
        if force or list(self._grad_curves) != names[: len(self._grad_curves)]:
            for item in self._grad_curves.values():
                plot.removeItem(item)
            legend.clear()
            self._grad_curves.clear()
            self._grad_fed.clear()
        dark = theme.colors().dark
        for name in names[len(self._grad_curves) :]:
            i = len(self._grad_curves)
            labelled = i < MAX_LABELLED_LAYERS
            item = _curve()
            self._grad_curves[name] = item
            plot.addItem(item)
            if labelled:
                legend.addItem(item, name)
            self._style_grad(item, i, dark)
        self._style_legend(legend)
        self._fit_grad_legend()
        self._update_hints()

    def _fit_grad_legend(self, *_args) -> None:
        """As many legend columns as the plot's height needs."""
        legend = self.legends["grad"]
        n = len(legend.items)
        if not n:
            return
        row = max(legend.items[0][1].boundingRect().height() - 4, 12)
        fit = max(int(self.plots["grad"].getViewBox().height() // row), 1)
        columns = -(-n // fit)
        if columns != legend.columnCount:
            legend.setColumnCount(columns)

    def _style_grad(self, item: pg.PlotDataItem, index: int, dark: bool) -> None:
        if index < MAX_LABELLED_LAYERS:
            item.setPen(pg.mkPen(layer_color(index, dark), width=1))
            item.setZValue(10)
        else:
            muted = QColor(theme.colors().muted_text)
            muted.setAlpha(110)
            item.setPen(pg.mkPen(muted, width=1))
            item.setZValue(5)

    # -- controls ------------------------------------------------------------------------
    def x_axis(self) -> str:
        """The unit of the x axis: "step" or "epoch"."""
        return self._x_axis

    def set_x_axis(self, axis: str) -> None:
        """Count the horizontal axis in optimizer steps ("step") or epochs ("epoch")."""
        if axis not in X_AXES:
            raise ValueError(f"unknown x axis {axis!r}: use 'step' or 'epoch'")
        self._set_quietly(self.x_combo, lambda: self.x_combo.setCurrentIndex(X_AXES.index(axis)))
        if axis == self._x_axis:
            return
        self._x_axis = axis
        label = "epoch" if axis == "epoch" else "step"
        for plot in self.plots.values():
            plot.setLabel("bottom", label, **self._label_style())
        self._invalidate()
        self.refresh()
        for plot in self.plots.values():
            plot.enableAutoRange(axis=pg.ViewBox.YAxis)
        self._x_span = None
        self._y_ranges.clear()
        self._range_x()

    def smoothing(self) -> float:
        """The loss smoothing weight (0: none)."""
        return self._smoothing

    def set_smoothing(self, weight: float) -> None:
        """Smooth the training loss with TensorBoard's EMA of ``weight`` (0 to 0.99)."""
        weight = min(max(float(weight), 0.0), 0.99)
        self._set_quietly(
            self.smoothing_slider, lambda: self.smoothing_slider.setValue(round(weight * 100))
        )
        self.smoothing_label.setText(f"{weight:.2f}")
        if weight == self._smoothing:
            return
        self._smoothing = weight
        self.refresh()

    def log_y(self) -> bool:
        """Whether the loss axis is logarithmic."""
        return self._log_y

    def set_log_y(self, on: bool) -> None:
        """Show the loss on a logarithmic (True) or linear axis."""
        on = bool(on)
        self._set_quietly(self.log_check, lambda: self.log_check.setChecked(on))
        if on == self._log_y:
            return
        self._log_y = on
        self.plots["loss"].setLogMode(y=on)
        self._y_ranges.pop("loss", None)
        self.refresh()

    def current_metric(self) -> str | None:
        """The metric the Metric plot shows ("accuracy", "mae", ...), None when none."""
        return self._metric

    def metric_choices(self) -> list[str]:
        """The metrics (besides the loss) the shown runs report, without train_/val_."""
        return list(self._metric_choices)

    def set_metric(self, name: str) -> None:
        """Show metric ``name`` ("accuracy", "r2", ...) in the Metric plot."""
        if name not in self._metric_choices:
            raise ValueError(
                f"no metric {name!r} in the runs shown: choose one of "
                f"{', '.join(self._metric_choices) or '(none yet)'}"
            )
        self._set_quietly(
            self.metric_combo,
            lambda: self.metric_combo.setCurrentIndex(self._metric_choices.index(name)),
        )
        if name == self._metric:
            return
        self._metric = name
        self._title_metric()
        for curves in self._curves.values():
            curves.fed.pop("metric_train", None)
            curves.fed.pop("metric_val", None)
        self.refresh()
        self.plots["metric"].enableAutoRange(axis=pg.ViewBox.YAxis)

    def _on_metric_chosen(self, index: int) -> None:
        if 0 <= index < len(self._metric_choices):
            self.set_metric(self._metric_choices[index])

    @staticmethod
    def _set_quietly(widget: QWidget, change) -> None:
        blocked = widget.blockSignals(True)
        try:
            change()
        finally:
            widget.blockSignals(blocked)

    def _update_metric_choices(self) -> None:
        choices: list[str] = []
        for run in self._runs:
            for name in run.metric_names():
                base = re.sub(r"^(train|val)_", "", name)
                if base != "loss" and not base.endswith("loss") and base not in choices:
                    choices.append(base)
        if choices == self._metric_choices:
            return
        self._metric_choices = choices
        previous = self._metric
        self._metric = previous if previous in choices else (choices[0] if choices else None)

        def fill():
            self.metric_combo.clear()
            self.metric_combo.addItems(choices)
            if self._metric is not None:
                self.metric_combo.setCurrentIndex(choices.index(self._metric))

        self._set_quietly(self.metric_combo, fill)
        several = len(choices) > 1
        self.metric_combo.setVisible(several)
        self.metric_label.setVisible(several)
        self._title_metric()
        if self._metric != previous:
            for curves in self._curves.values():
                curves.fed.pop("metric_train", None)
                curves.fed.pop("metric_val", None)
        self._update_hints()

    def _title_metric(self) -> None:
        name = self._metric
        title = {"r2": "R²", "mae": "Mean absolute error"}.get(name or "", None)
        if title is None:
            title = name.replace("_", " ").capitalize() if name else TITLES["metric"]
        self._titles["metric"] = title
        self._set_title("metric")

    # -- refresh -------------------------------------------------------------------------
    def refresh(self) -> None:
        """Feed every curve whose run has new data (setData from the runs' buffers)."""
        if any(self._names.get(r.run_id) != r.name for r in self._runs):
            self._sync_legend_names()
        self._update_metric_choices()
        run = self.current_run()
        if run is not None and len(run.grad_names()) != len(self._grad_curves):
            self._sync_grad_curves()
        self._update_hints()
        for r in self._runs:
            self._refresh_run(r)
        self._range_lr()
        self._range_x()
        if run is not None:
            for name, item in self._grad_curves.items():
                self._feed(self._grad_fed, name, item, run, run.series("grad/" + name), False)
        self._range_y("loss", [r.series(k) for r in self._runs for k in ("loss", "val_loss")])
        grads = [run.series("grad/" + n) for n in self._grad_curves] if run is not None else []
        self._range_y("grad", grads, log=True)
        self.refresh_count += 1
        self.refreshed.emit()

    def _refresh_run(self, run: RunLog) -> None:
        curves = self._curves[run.run_id]
        fed = curves.fed
        loss = run.series("loss")
        self._feed(fed, "loss", curves.loss_raw, run, loss, False)
        if loss is not None:
            state = (len(loss), self._smoothing, self._x_axis, run.steps_per_epoch)
            if fed.get("loss_smooth") != state:
                fed["loss_smooth"] = state
                curves.loss_smooth.setData(
                    self._x(run, loss.x, False), self._smoothed(curves, loss)
                )
        self._feed(fed, "val_loss", curves.val_loss, run, run.series("val_loss"), True)
        if self._metric is not None:
            train = run.series(f"train_{self._metric}")
            val = run.series(f"val_{self._metric}") or run.series(self._metric)
        else:
            train = val = None
        self._feed(fed, "metric_train", curves.metric_train, run, train, True)
        self._feed(fed, "metric_val", curves.metric_val, run, val, True)
        self._feed(fed, "lr", curves.lr, run, run.series("lr"), False)

    def _range_x(self) -> None:
        """Fix the horizontal axes' span, grown by doublings up to the planned length of the
        longest run shown: an x axis is then redrawn a few times per run rather than at every
        refresh (half the cost of a repaint), and the curves fill at least half the width."""
        total = reached = 0.0
        spe_first = 1  # the first span: one epoch
        for r in self._runs:
            info = r.info
            if info is None:
                continue
            spe = max(1, r.steps_per_epoch)
            spe_first = max(spe_first, spe)
            if self._x_axis == "step":
                total = max(total, info.total_steps)
                reached = max(reached, r.last_step)
            else:
                total = max(total, info.epochs)
                reached = max(reached, r.last_step / spe)
        if total <= 0:
            return
        span = self._x_span
        if span is None or reached > span or span > total:
            span = min(total, max(2 * reached, spe_first if self._x_axis == "step" else 1.0))
        if span != self._x_span:
            self._x_span = span
            for plot in self.plots.values():
                plot.setXRange(0.0, span, padding=0.02)

    def _range_y(self, key: str, series: list, log: bool | None = None) -> None:
        """Keep a plot's vertical range while its data stays inside and fills at least 40 %
        of it; else fit it again with a margin. Auto-range would move the axis (and redraw
        its ticks, the dearest part of a repaint) at every refresh of a falling loss."""
        log = self._log_y if log is None else log
        parts = [s.y for s in series if s is not None and len(s)]
        if not parts:
            return
        y = np.concatenate(parts)
        y = y[np.isfinite(y) & (y > 0)] if log else y[np.isfinite(y)]
        if not y.size:
            return
        lo, hi = float(y.min()), float(y.max())
        if log:
            lo, hi = math.log10(lo), math.log10(hi)
        current = self._y_ranges.get(key)
        if current is not None:
            c_lo, c_hi = current
            if c_lo <= lo and hi <= c_hi and (hi - lo) >= 0.4 * (c_hi - c_lo):
                return
        pad = 0.08 * (hi - lo) if hi > lo else 0.5 if log else max(abs(hi) * 0.1, 1e-6)
        self._y_ranges[key] = (lo - pad, hi + pad)
        self.plots[key].setYRange(lo - pad, hi + pad, padding=0)

    def _range_lr(self) -> None:
        """The learning-rate axis runs from 0 to the largest rate shown (auto-range would
        centre a constant rate on a ±0.5 span and label it 0)."""
        top = 0.0
        for r in self._runs:
            lr = r.series("lr")
            if lr is not None and len(lr):
                finite = lr.y[np.isfinite(lr.y)]
                if finite.size:
                    top = max(top, float(finite.max()))
        if top > 0 and top != self._lr_top:
            self._lr_top = top
            self.plots["lr"].setYRange(0.0, top * 1.08, padding=0)

    def _feed(self, fed: dict, key: str, item, run: RunLog, series, per_epoch: bool) -> None:
        """setData on ``item`` from ``series`` unless it already shows that much of it."""
        n = len(series) if series is not None else 0
        state = (n, self._x_axis, run.steps_per_epoch)
        if fed.get(key) == state:
            return
        fed[key] = state
        if n == 0:
            item.setData([], [])
        else:
            item.setData(self._x(run, series.x, per_epoch), series.y)

    def _x(self, run: RunLog, x: np.ndarray, per_epoch: bool) -> np.ndarray:
        """x in the axis' unit: steps (epoch ends at epoch * steps_per_epoch) or epochs."""
        spe = run.steps_per_epoch
        if not spe:
            return x
        if self._x_axis == "epoch":
            return x if per_epoch else x / spe
        return x * spe if per_epoch else x

    def _smoothed(self, curves: _RunCurves, loss) -> np.ndarray:
        """The smoothed loss; a growing run smooths only its new steps."""
        n, w = len(loss), self._smoothing
        cached = curves.smoothed
        if cached is not None and cached[1] == w and cached[0] <= n:
            done, _w, y, smoother = cached
            if done == n:
                return y
            y = np.concatenate((y, smoother.extend(loss.y[done:n])))
        else:
            smoother = Smoother(w)
            y = smoother.extend(loss.y[:n])
        curves.smoothed = (n, w, y, smoother)
        return y

    def _invalidate(self) -> None:
        for curves in self._curves.values():
            curves.fed.clear()
        self._grad_fed.clear()

    # -- empty state ---------------------------------------------------------------------
    def _hint_texts(self) -> dict[str, str]:
        """What each panel should say over its axes (panels with curves say nothing)."""
        if not self._runs:
            return dict(HINTS)
        texts = {}
        if not self._metric_choices:
            epochs = any(r.last_epoch for r in self._runs)
            texts["metric"] = NO_METRIC if epochs else WAIT_METRIC
        run = self.current_run()
        if run is None:
            texts["grad"] = PICK_RUN
        elif not run.grad_names():
            texts["grad"] = NO_GRADS if run.status not in ("running", "paused") else WAIT_GRADS
        return texts

    def _update_hints(self) -> None:
        texts = self._hint_texts()
        if texts == self._hint_state:
            return
        empty = not self._runs
        if self._hint_state is None or (self._hint_state == HINTS) != empty:
            for plot in self.plots.values():  # no numbers on axes that show nothing yet
                for side in ("left", "bottom"):
                    plot.getAxis(side).setStyle(showValues=not empty)
        self._hint_state = texts
        for key, hint in self._hints.items():
            text = texts.get(key)
            hint.setVisible(text is not None)
            if text is not None:
                hint.setText(text)
                self._place_hint(key)

    def hint_text(self, panel: str) -> str | None:
        """The hint a panel shows over its axes ("loss", "metric", "lr", "grad"), or None."""
        hint = self._hints[panel]
        return hint.text() if hint.isVisible() else None

    def _place_hint(self, key: str) -> None:
        hint = self._hints[key]
        rect = self.plots[key].getViewBox().boundingRect()
        size = hint.boundingRect()
        hint.setPos(
            QPointF(rect.center().x() - size.width() / 2, rect.center().y() - size.height() / 2)
        )

    # -- theme ---------------------------------------------------------------------------
    def _label_style(self) -> dict:
        return {"color": theme.colors().muted_text.name(), "font-size": "9pt"}

    def _set_title(self, key: str) -> None:
        colors = theme.colors()
        title = self._titles[key]
        # the line styles' key, in the title where it never covers a curve
        key_text = {
            "loss": "── train (smoothed)&nbsp;&nbsp;&nbsp;─○─ validation",
            "metric": "╌╌ train&nbsp;&nbsp;&nbsp;── validation" if self._metric else "",
        }.get(key)
        if key_text:
            title += (
                f"<span style='color:{colors.muted_text.name()}; font-size:8pt'>"
                f"&nbsp;&nbsp;&nbsp;{key_text}</span>"
            )
        self.plots[key].setTitle(title, color=colors.text.name(), size="10pt")

    def _style_legend(self, legend: pg.LegendItem) -> None:
        colors = theme.colors()
        bg = QColor(colors.canvas_bg)
        bg.setAlpha(200)
        legend.setBrush(pg.mkBrush(bg))
        border = QColor(colors.node_border)
        legend.setPen(pg.mkPen(border))
        legend.setLabelTextColor(colors.text)
        legend.setLabelTextSize("8pt")
        legend.setVisible(bool(legend.items))

    def _apply_theme(self, *_args) -> None:
        colors = theme.colors()
        self.graphics.setBackground(colors.canvas_bg)
        axis_pen = pg.mkPen(colors.node_border)
        for grid in self._grids.values():
            grid.set_color(colors.grid_major)
        for key, plot in self.plots.items():
            for side in ("left", "bottom", "top", "right"):
                axis = plot.getAxis(side)
                axis.setPen(axis_pen)
                axis.setTextPen(pg.mkPen(colors.muted_text))
            plot.setLabel("bottom", self._x_axis, **self._label_style())
            self._set_title(key)
        for legend in self.legends.values():
            self._style_legend(legend)
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF(), 10.0))
        for key, hint in self._hints.items():
            hint.setBrush(colors.muted_text)
            hint.setFont(font)
            self._place_hint(key)
        if self._curves:
            self._restyle_runs()
        dark = colors.dark
        for i, item in enumerate(self._grad_curves.values()):
            self._style_grad(item, i, dark)

    # -- export --------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        has_run = self.current_run() is not None
        self.csv_button.setEnabled(has_run)
        self.png_button.setEnabled(bool(self._runs))
        if not has_run:
            self.csv_button.setToolTip("Select a run in the run list to export its metrics")
        else:
            self.csv_button.setToolTip(
                "Save the current run's metrics per epoch, and its loss per step beside them, "
                "as CSV"
            )

    def export_png(self, path: str | os.PathLike) -> str:
        """Save the four plots as a PNG image at ``path``; returns the path written."""
        image = self.graphics.grab()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise OSError(f"cannot encode the plots as PNG for {os.fspath(path)}")
        buffer.close()
        return write_atomic(path, bytes(data.data()))

    def export_csv(self, path: str | os.PathLike) -> list[str]:
        """Write the current run's metrics per epoch to ``path`` and its per-step loss and
        learning rate to ``<stem>_steps.csv`` beside it; returns both paths."""
        run = self.current_run()
        if run is None:
            raise ValueError("no current run to export: select a run in the run list first")
        path = os.fspath(path)
        stem, ext = os.path.splitext(path)
        steps = f"{stem}_steps{ext or '.csv'}"
        return [run.to_csv(path), run.steps_to_csv(steps)]

    def ask_png_path(self) -> str:
        """Ask where to save the PNG ("" when cancelled)."""
        run = self.current_run()
        name = _file_stem(run.name if run else "plots")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Plots as PNG", f"{name}.png", "PNG images (*.png)"
        )
        return path

    def ask_csv_path(self) -> str:
        """Ask where to save the CSV ("" when cancelled)."""
        run = self.current_run()
        name = _file_stem(run.name if run else "metrics")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Metrics as CSV", f"{name}.csv", "CSV files (*.csv)"
        )
        return path

    def show_error(self, text: str) -> None:
        """Tell the user an export failed."""
        QMessageBox.warning(self, "Export failed", text)

    def _on_export_png(self) -> None:
        path = self.ask_png_path()
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".png"
        try:
            self.export_png(path)
        except OSError as e:
            self.show_error(_export_error("the plots", path, e))

    def _on_export_csv(self) -> None:
        if self.current_run() is None:
            return
        path = self.ask_csv_path()
        if not path:
            return
        if not os.path.splitext(path)[1]:
            path += ".csv"
        try:
            self.export_csv(path)
        except OSError as e:
            self.show_error(_export_error("the metrics", path, e))


class _Axis(pg.AxisItem):
    """An axis whose log scale labels 1-2-5 steps within a decade, not every one of 1-9."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802, N803
        levels = super().logTickValues(minVal, maxVal, size, stdTicks)
        room = max(int(size // 28), 2)  # labels that fit along the axis
        out = []
        for spacing, values in levels:
            if spacing is None and len(values) > room:
                for keep in ((1, 2, 5), (1,)):
                    values = [v for v in values if round(10 ** (v % 1)) in keep]
                    if len(values) <= room:
                        break
            out.append((spacing, values))
        return out


class _Grid(QGraphicsObject):
    """Grid lines at a plot's labelled ticks, drawn in one call.

    pyqtgraph's own grid (AxisItem.setGrid) repaints several times slower than the curves
    themselves, which a 30 Hz refresh of a growing run cannot afford."""

    def __init__(self, plot: pg.PlotItem) -> None:
        super().__init__()
        self._plot = plot
        self._pen = QPen(QColor("#dfe3e8"))
        self._pen.setCosmetic(True)
        vb = plot.getViewBox()
        self.setParentItem(vb)
        self.setZValue(-100)  # under the curves, over the view's background
        vb.sigRangeChanged.connect(lambda *_a: self.update())
        vb.sigResized.connect(self._resized)

    def set_color(self, color: QColor) -> None:
        self._pen.setColor(color)
        self.update()

    def _resized(self, *_args) -> None:
        self.prepareGeometryChange()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._plot.getViewBox().boundingRect()

    def paint(self, painter: QPainter, *_args) -> None:
        vb = self._plot.getViewBox()
        rect = vb.boundingRect()
        (x0, x1), (y0, y1) = vb.viewRange()
        lines = []
        for side, lo, hi, size in (
            ("bottom", x0, x1, rect.width()),
            ("left", y0, y1, rect.height()),
        ):
            if hi <= lo or size <= 0:
                continue
            for value in self._values(self._plot.getAxis(side), lo, hi, size):
                t = (value - lo) / (hi - lo)
                if side == "bottom":
                    x = rect.left() + t * rect.width()
                    lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                else:
                    y = rect.bottom() - t * rect.height()
                    lines.append(QLineF(rect.left(), y, rect.right(), y))
        if lines:
            painter.setPen(self._pen)
            painter.drawLines(lines)

    @staticmethod
    def _values(axis: pg.AxisItem, lo: float, hi: float, size: float) -> list[float]:
        """Tick values of the finest level that keeps lines 40 px apart or more (the axis'
        own spacing, without its slow de-duplication of levels)."""
        room = size / 40
        if axis.logMode:
            decades = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
            if len(decades) >= 3 or room < 3:
                step = max(1, math.ceil(len(decades) / max(room, 1)))
                return list(decades[::step])
            base = np.arange(math.floor(lo), math.ceil(hi) + 1, dtype=float)
            values = (base[:, None] + np.log10([1, 2, 5])[None, :]).ravel()
            return [v for v in values if lo <= v <= hi]
        try:
            levels = axis.tickSpacing(lo, hi, size)
        except Exception:  # a degenerate range: no grid rather than no plot
            return []
        chosen: np.ndarray | None = None
        for spacing, offset in levels:
            if spacing <= 0:
                continue
            start = math.ceil((lo - offset) / spacing) * spacing + offset
            values = np.arange(start, hi + spacing * 1e-9, spacing)
            if chosen is not None and len(values) > room:
                break
            chosen = values
        return [] if chosen is None else list(chosen)


class _SideLegend(pg.LegendItem):
    """A legend that lives in a layout cell (pyqtgraph's places itself over a view)."""

    def updateSize(self) -> None:  # noqa: N802
        width = height = 0.0
        for row in range(self.layout.rowCount()):
            row_height, row_width = 0.0, 0.0
            for col in range(self.layout.columnCount()):
                item = self.layout.itemAt(row, col)
                if item:
                    row_width += item.width() + 3
                    row_height = max(row_height, item.height())
            width = max(width, row_width)
            height += row_height
        self.setFixedWidth(width + 8 if width else 0)
        self.setMaximumHeight(height + 8 if height else 0)
        self.updateGeometry()


def _export_error(what: str, path: str, e: OSError) -> str:
    reason = e.strerror or str(e)
    return (
        f"Could not save {what} to {path}: {reason}.\n"
        "Choose a folder you can write to, or free some disk space, and try again."
    )


def _file_stem(name: str) -> str:
    """A file name made from a run name."""
    stem = re.sub(r"[^\w\-. ]+", "_", name).strip(" .")
    return stem or "run"
