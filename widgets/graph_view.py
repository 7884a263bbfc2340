"""The computation graph that the engine executed in one training step (core.graph).

``GraphView.set_graph(recorder, node_of, node_names)`` shows the recorded ops (name and output
shape) in boxes, one per canvas node that produced them (collapsible), laid out left to right
by :func:`widgets.graph_layout.compound_layout`. Ops can be coloured by forward time or by
their node's gradient norm (``set_node_values``), on a log scale with a legend; recolouring
never lays out again. Clicking an op or a box header emits ``nodes_selected([node id])``;
``select_nodes`` highlights (and scrolls to) nodes without emitting.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import (
    QComboBox,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QStyleOptionGraphicsItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.model import catalog
from widgets import theme
from widgets.graph_layout import Layout, compound_layout

LOSS_GROUP = "(loss)"  # ops outside every canvas node: the loss the trainer computes
COLOUR_MODES = {"none": "None", "time": "Forward time", "grad": "Gradient norm"}
EMPTY_HINT = "The graph appears after the first training step"
EXPAND_LIMIT = 250  # a new graph with more ops than this starts with its boxes collapsed

OP_HEIGHT = 24.0
OP_PAD = 8.0
HEADER = 28.0
COLLAPSED_HEIGHT = 40.0
MIN_ZOOM, MAX_ZOOM = 0.03, 4.0
TEXT_LOD = 0.45  # below this zoom, text is not drawn (unreadable anyway, and slow)
READABLE_ZOOM = 0.8  # a new graph is shown whole only if that needs no smaller zoom

# viridis, sampled: perceptually even, readable for colour-blind people, on both themes
_RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def _ramp(t: float) -> QColor:
    """The colour a fraction ``t`` (0..1) along the ramp."""
    t = min(max(t, 0.0), 1.0) * (len(_RAMP) - 1)
    k = min(int(t), len(_RAMP) - 2)
    a, b = QColor(_RAMP[k]), QColor(_RAMP[k + 1])
    f = t - k
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * f,
        a.greenF() + (b.greenF() - a.greenF()) * f,
        a.blueF() + (b.blueF() - a.blueF()) * f,
    )


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )


def _ink(fill: QColor) -> QColor:
    """Black or white text, whichever reads on ``fill``."""
    luma = 0.2126 * fill.redF() + 0.7152 * fill.greenF() + 0.0722 * fill.blueF()
    return QColor("#111111") if luma > 0.5 else QColor("#ffffff")


def shape_text(shape) -> str:
    """``(32, 64)`` -> ``"32×64"``; a scalar -> ``"scalar"``."""
    return "×".join(str(d) for d in shape) if len(shape) else "scalar"


def op_label(node) -> str:
    """The name an op item shows: ``"Linear"``, ``"∇ Linear"`` for its backward op."""
    if node.kind == "backward":
        name = node.op[: -len("Backward")] if node.op.endswith("Backward") else node.op
        return f"∇ {name}"
    if node.kind == "parameter":
        return "param"
    return node.op


def _format_value(value: float, mode: str) -> str:
    if mode == "time":
        ms = value * 1e3
        return f"{ms:.3g} ms"
    return f"{value:.3g}"


def _graph_inputs(recorder) -> set[int]:
    """The input leaves that are batches given to the step (data, targets), told from the
    constants that ops make inside a node (a causal mask) by their first dimension: the
    batch size, which the first input leaf recorded has."""
    if recorder is None:
        return set()
    leaves = [n for n in recorder.nodes if n.kind == "input"]
    if not leaves or not leaves[0].shape:
        return {n.id for n in leaves[:1]}
    batch = leaves[0].shape[0]
    return {n.id for n in leaves if n.shape and n.shape[0] == batch}


class _Style:
    """Colours and fonts of one theme for the items (rebuilt on theme changes)."""

    def __init__(self) -> None:
        c = theme.colors()
        self.colors = c
        self.dark = c.dark
        family = QFont(QGuiApplication.font()).family()
        self.op_font = QFont(family)
        self.op_font.setPixelSize(11)
        self.head_font = QFont(family)
        self.head_font.setPixelSize(12)
        self.head_font.setWeight(QFont.Weight.DemiBold)
        self.small_font = QFont(family)
        self.small_font.setPixelSize(10)
        for font in (self.op_font, self.head_font, self.small_font):
            font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        self.op_metrics = QFontMetricsF(self.op_font)
        self.head_metrics = QFontMetricsF(self.head_font)
        self.small_metrics = QFontMetricsF(self.small_font)
        self.op_fill = c.node_fill
        self.box_fill = _mix(c.canvas_bg, c.node_border, 0.12 if c.dark else 0.08)
        self.border = c.node_border
        self.selected = c.node_selected
        self.wire = c.wire
        self.none_fill = _mix(c.node_fill, c.node_border, 0.35)  # coloured mode, no value

    def category_color(self, kind: str | None) -> QColor:
        try:
            category = catalog.get(kind).category if kind else None
        except (KeyError, ValueError):
            category = None
        return self.colors.category.get(category, self.colors.muted_text)


class OpItem(QGraphicsItem):
    """One op (or leaf, or backward op) of the recording: a rounded box with its name and
    output shape."""

    def __init__(self, node, group, rect: tuple, style: _Style, tooltip: str) -> None:
        super().__init__()
        self.node = node
        self.group = group  # its GroupItem key (canvas node id, LOSS_GROUP or None)
        x, y, w, h = rect
        self.setPos(x, y)
        self._rect = QRectF(0, 0, w, h)
        self.label = op_label(node)
        self.shape_label = shape_text(node.shape)
        self.fill: QColor | None = None  # set by colouring; None: the theme's op fill
        self.tint = style.colors.muted_text
        self.highlighted = False
        self.style = style
        self.setToolTip(tooltip)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self.style
        fill = self.fill or s.op_fill
        backward = self.node.kind == "backward"
        leaf = self.node.kind in ("input", "parameter")
        pen = QPen(s.selected if self.highlighted else (self.tint if not leaf else s.border))
        pen.setWidthF(2.0 if self.highlighted else 1.0)
        if backward:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(fill)
        r = self._rect
        radius = r.height() / 2 if leaf else 4.0
        painter.drawRoundedRect(r, radius, radius)
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < TEXT_LOD:
            return
        painter.setFont(s.op_font)
        ink = _ink(fill) if self.fill is not None else s.colors.text
        muted = ink if self.fill is not None else s.colors.muted_text
        text_rect = r.adjusted(OP_PAD, 0, -OP_PAD, 0)
        painter.setPen(ink)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.label
        )
        painter.setPen(muted)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.shape_label
        )


class GroupItem(QGraphicsItem):
    """The box of one canvas node's ops (header: +/- glyph, name, kind, op count), or, when
    collapsed, a card that stands for all of them."""

    def __init__(
        self,
        key,
        title: str,
        subtitle: str,
        colour: QColor,
        rect: tuple,
        collapsed: bool,
        style: _Style,
        tooltip: str,
    ) -> None:
        super().__init__()
        self.key = key
        self.title = title
        self.subtitle = subtitle
        self.colour = colour
        self.collapsed = collapsed
        self.fill: QColor | None = None
        self.highlighted = False
        self.style = style
        x, y, w, h = rect
        self.setPos(x, y)
        self._rect = QRectF(0, 0, w, h)
        self.setZValue(-1)
        self.setToolTip(tooltip)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-2, -2, 2, 2)

    def header_rect(self) -> QRectF:
        """The part that selects the node (click) and toggles the box (double-click)."""
        return self._rect if self.collapsed else QRectF(0, 0, self._rect.width(), HEADER)

    def glyph_rect(self) -> QRectF:
        """The +/- glyph that toggles the box."""
        return QRectF(10, (min(HEADER, self._rect.height()) - 14) / 2, 14, 14)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        s = self.style
        r = self._rect
        pen = QPen(s.selected if self.highlighted else s.border)
        pen.setWidthF(2.0 if self.highlighted else 1.0)
        painter.setPen(pen)
        if self.collapsed:
            painter.setBrush(self.fill or s.op_fill)
        else:
            painter.setBrush(s.box_fill)
        painter.drawRoundedRect(r, 6, 6)
        # the category colour: a tinted header (a strip on the left of a collapsed card)
        painter.setPen(Qt.PenStyle.NoPen)
        if self.collapsed:
            painter.setBrush(self.colour)
            painter.drawRoundedRect(QRectF(1, 1, 5, r.height() - 2), 2.5, 2.5)
        else:
            painter.setBrush(_mix(s.box_fill, self.colour, 0.22 if s.dark else 0.16))
            path = QPainterPath()
            path.addRoundedRect(r.adjusted(1, 1, -1, -1), 5, 5)
            clip = QPainterPath()
            clip.addRect(QRectF(0, 0, r.width(), HEADER))
            painter.drawPath(path.intersected(clip))
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        if lod < TEXT_LOD:
            return
        filled = self.collapsed and self.fill is not None
        ink = _ink(self.fill) if filled else s.colors.text
        muted = ink if filled else s.colors.muted_text
        g = self.glyph_rect()
        painter.setPen(QPen(muted, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(g, 3, 3)
        mid = g.center()
        painter.drawLine(QPointF(g.left() + 3.5, mid.y()), QPointF(g.right() - 3.5, mid.y()))
        if self.collapsed:
            painter.drawLine(QPointF(mid.x(), g.top() + 3.5), QPointF(mid.x(), g.bottom() - 3.5))
        left = g.right() + 6
        line = QRectF(left, 0, r.width() - left - 8, min(HEADER, r.height()))
        if self.collapsed:
            line = QRectF(left, 3, r.width() - left - 8, r.height() / 2 - 3)
        painter.setFont(s.head_font)
        painter.setPen(ink)
        title = s.head_metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, line.width())
        painter.drawText(line, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        painter.setFont(s.small_font)
        painter.setPen(muted)
        if self.collapsed:
            sub = QRectF(left, r.height() / 2, line.width(), r.height() / 2 - 3)
            align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        else:
            used = s.head_metrics.horizontalAdvance(title) + 10
            sub = QRectF(left + used, 0, max(line.width() - used, 0), HEADER)
            align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        text = s.small_metrics.elidedText(self.subtitle, Qt.TextElideMode.ElideRight, sub.width())
        painter.drawText(sub, align, text)


class _Legend(QWidget):
    """The colour scale (log) in the view's top-right corner."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.title = ""
        self.low = self.high = ""
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setFixedSize(180, 50)
        self.hide()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        c = theme.colors()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        bg = QColor(c.window)
        bg.setAlphaF(0.92)
        p.setPen(c.node_border)
        p.setBrush(bg)
        p.drawRoundedRect(r, 5, 5)
        p.setPen(c.text)
        p.drawText(QRectF(8, 3, r.width() - 16, 16), Qt.AlignmentFlag.AlignLeft, self.title)
        bar = QRectF(8, 21, r.width() - 16, 9)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        for k, hue in enumerate(_RAMP):
            grad.setColorAt(k / (len(_RAMP) - 1), QColor(hue))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(grad))
        p.drawRect(bar)
        p.setPen(c.muted_text)
        small = QFont(self.font())
        small.setPixelSize(10)
        p.setFont(small)
        row = QRectF(8, 31, r.width() - 16, 16)
        p.drawText(row, Qt.AlignmentFlag.AlignLeft, self.low)
        p.drawText(row, Qt.AlignmentFlag.AlignRight, self.high)
        p.end()


class _Canvas(QGraphicsView):
    """Wheel zooms (under the mouse), dragging pans; clicks go to the GraphView."""

    def __init__(self, scene: QGraphicsScene, owner: GraphView) -> None:
        super().__init__(scene)
        self.owner = owner
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.legend = _Legend(self.viewport())

    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if not steps:
            return
        factor = 1.15**steps
        z = self.zoom()
        factor = min(max(z * factor, MIN_ZOOM), MAX_ZOOM) / z
        self.scale(factor, factor)
        event.accept()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            if self.owner._clicked(self.mapToScene(event.position().toPoint()), False):
                event.accept()
                return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.button() == Qt.MouseButton.LeftButton:
            if self.owner._clicked(self.mapToScene(event.position().toPoint()), True):
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._place_legend()

    def _place_legend(self) -> None:
        vp = self.viewport()
        self.legend.move(vp.width() - self.legend.width() - 10, 10)


class GraphView(QWidget):
    """The recorded computation graph: a toolbar (colour mode, backward pass, parameters,
    expand/collapse all, fit) over a zoomable, pannable view."""

    nodes_selected = Signal(object)  # list of canvas node ids, on a user's click

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._recorder = None
        self._node_of: dict[str, str | None] = {}
        self._node_names: dict[str, str] = {}
        self._node_kinds: dict[str, str] = {}
        self._values: dict[str, float] = {}
        self._expanded: dict = {}  # group key -> the user's choice, kept across graphs
        self._default_expanded = True
        self._mode = "none"
        self._selected: list[str] = []
        self._fitted = False
        self._graph_inputs: set[int] = set()
        self._group_times: dict = {}
        self._tints: dict = {}
        self._shown = False
        self.layout_result: Layout | None = None
        self.timings: dict[str, float] = {}  # seconds of the last build: layout, scene
        self.op_items: dict[int, OpItem] = {}
        self.group_items: dict = {}
        self.edge_items: list[QGraphicsPathItem] = []
        self._style = _Style()

        self.colour_box = QComboBox()
        for key, text in COLOUR_MODES.items():
            self.colour_box.addItem(text, key)
        self.colour_box.setToolTip(
            "Colour the ops by their forward time or their node's gradient norm (log scale)"
        )
        self.colour_box.currentIndexChanged.connect(
            lambda _i: self.set_colour_mode(self.colour_box.currentData())
        )
        self.backward_button = self._tool(
            "Backward pass",
            "Show the backward ops, each under the forward op it differentiates",
            True,
        )
        self.params_button = self._tool(
            "Parameters", "Show the parameter tensors each op reads", True
        )
        self.backward_button.toggled.connect(lambda _on: self._rebuild())
        self.params_button.toggled.connect(lambda _on: self._rebuild())
        expand = self._tool("Expand all", "Open every box to show its ops")
        collapse = self._tool("Collapse all", "Close every box to one card per node")
        fit = self._tool("Fit", "Zoom to show the whole graph")
        expand.clicked.connect(lambda: self.set_all_expanded(True))
        collapse.clicked.connect(lambda: self.set_all_expanded(False))
        fit.clicked.connect(self.fit)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 4)
        bar.setSpacing(4)
        bar.addWidget(QLabel("Colour by"))
        bar.addWidget(self.colour_box)
        bar.addSpacing(8)
        for button in (self.backward_button, self.params_button, expand, collapse, fit):
            bar.addWidget(button)
        bar.addStretch(1)
        self.summary = QLabel()
        bar.addWidget(self.summary)

        self.scene = QGraphicsScene(self)
        self.scene.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.view = _Canvas(self.scene, self)
        self.hint = QLabel(EMPTY_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self._stack = QStackedLayout()
        self._stack.addWidget(self.hint)
        self._stack.addWidget(self.view)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(bar)
        outer.addLayout(self._stack)
        self._apply_colors()
        theme.notifier.changed.connect(self._on_theme)

    def _tool(self, text: str, tip: str, checkable: bool = False) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        return button

    # -- public API ------------------------------------------------------------------------
    def set_graph(
        self,
        recorder,
        node_of: Mapping[str, str | None] | None = None,
        node_names: Mapping[str, str] | None = None,
        node_kinds: Mapping[str, str] | None = None,
    ) -> None:
        """Show ``recorder`` (a core.graph.Recorder; None or empty: the hint). node_of maps
        an op's scope to its canvas node id; node_names/node_kinds name the nodes. Boxes
        keep the expanded state the user gave them (by node id)."""
        groups_before = set(self._groups())
        self._recorder = recorder if recorder is not None and len(recorder) else None
        self._node_of = dict(node_of or {})
        self._node_names = dict(node_names or {})
        self._node_kinds = dict(node_kinds or {})
        self._graph_inputs = _graph_inputs(self._recorder)
        if self._recorder is not None:
            self._default_expanded = len(self._recorder.ops) <= EXPAND_LIMIT
            if set(self._groups()) != groups_before:  # another model: show it afresh
                self._fitted = False
        self._rebuild()

    def set_node_values(self, values: Mapping[str, float]) -> None:
        """Gradient norms per canvas node id (for the "Gradient norm" colouring)."""
        self._values = {k: float(v) for k, v in values.items()}
        if self._mode == "grad":
            self._recolour()

    def set_colour_mode(self, mode: str) -> None:
        """Colour by "none", "time" (forward time per op) or "grad" (the node's gradient
        norm)."""
        if mode not in COLOUR_MODES:
            raise ValueError(f"unknown colour mode {mode!r}; use one of {', '.join(COLOUR_MODES)}")
        self._mode = mode
        index = self.colour_box.findData(mode)
        if index != self.colour_box.currentIndex():
            self.colour_box.blockSignals(True)
            self.colour_box.setCurrentIndex(index)
            self.colour_box.blockSignals(False)
        self._recolour()

    def colour_mode(self) -> str:
        return self._mode

    def select_nodes(self, ids: list[str]) -> None:
        """Highlight the boxes and ops of these canvas nodes and scroll to them (no signal)."""
        self._selected = list(ids)
        self._highlight()
        items = [self.group_items[i] for i in self._selected if i in self.group_items]
        if items:
            rect = items[0].sceneBoundingRect()
            for item in items[1:]:
                rect = rect.united(item.sceneBoundingRect())
            self.view.ensureVisible(rect, 40, 40)

    def selected_nodes(self) -> list[str]:
        return list(self._selected)

    def set_expanded(self, key, expanded: bool) -> None:
        """Open or close one box (a canvas node id, or LOSS_GROUP)."""
        self._expanded[key] = expanded
        self._rebuild()

    def set_all_expanded(self, expanded: bool) -> None:
        """Open or close every box."""
        for key in self._groups():
            self._expanded[key] = expanded
        self._default_expanded = expanded
        self._rebuild()

    def is_expanded(self, key) -> bool:
        return self._expanded.get(key, self._default_expanded)

    def set_show_backward(self, show: bool) -> None:
        self.backward_button.setChecked(show)

    def set_show_parameters(self, show: bool) -> None:
        self.params_button.setChecked(show)

    def fit(self) -> None:
        """Zoom to the whole graph (no larger than 1:1)."""
        rect = self.scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        if rect.isEmpty():
            return
        self.view.resetTransform()
        vp = self.view.viewport().rect()
        zoom = min(vp.width() / rect.width(), vp.height() / rect.height(), 1.0)
        zoom = max(zoom, MIN_ZOOM)
        self.view.scale(zoom, zoom)
        self.view.centerOn(rect.center())

    def _first_view(self) -> None:
        """A new graph: the whole of it when that stays readable, else its start at a
        readable zoom (Fit shows all)."""
        rect = self.scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
        vp = self.view.viewport().rect()
        if rect.isEmpty() or vp.width() < 50:
            return
        zoom = min(vp.width() / rect.width(), vp.height() / rect.height(), 1.0)
        if zoom >= READABLE_ZOOM:
            self.fit()
            return
        self.view.resetTransform()
        self.view.scale(READABLE_ZOOM, READABLE_ZOOM)
        first = min(self.op_items.values(), key=lambda i: i.pos().x(), default=None)
        y = first.sceneBoundingRect().center().y() if first is not None else rect.center().y()
        half = vp.width() / READABLE_ZOOM / 2
        self.view.centerOn(QPointF(rect.left() + half, y))

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._recorder is not None and not self._shown:
            self._shown = True
            self._first_view()

    # -- building ----------------------------------------------------------------------------
    def _group_key(self, node):
        """The box an op goes in: its canvas node, LOSS_GROUP, or None (graph inputs)."""
        if node.kind == "input" and node.id in self._graph_inputs:
            return None
        nid = self._node_of.get(node.scope)
        return nid if nid is not None else LOSS_GROUP

    def _groups(self) -> list:
        if self._recorder is None:
            return []
        keys = (self._group_key(n) for n in self._recorder.nodes)
        return [k for k in dict.fromkeys(keys) if k is not None]

    def _visible(self) -> list:
        show_bw = self.backward_button.isChecked()
        show_params = self.params_button.isChecked()
        out = []
        for n in self._recorder.nodes:
            if n.kind == "backward" and not show_bw:
                continue
            if n.kind == "parameter" and not show_params:
                continue
            if n.kind == "input" and n.id not in self._graph_inputs and not show_params:
                continue
            out.append(n)
        return out

    def _rebuild(self) -> None:
        self.scene.clear()
        self.op_items, self.group_items, self.edge_items = {}, {}, []
        self.layout_result = None
        if self._recorder is None:
            self._stack.setCurrentWidget(self.hint)
            self.summary.setText("")
            self.view.legend.hide()
            return
        self._stack.setCurrentWidget(self.view)
        s = self._style
        nodes = self._visible()
        by_id = {n.id: n for n in nodes}
        group_of = {n.id: self._group_key(n) for n in nodes}
        sizes = {}
        widths: dict[str, float] = {}  # few distinct labels: measure each once
        advance = s.op_metrics.horizontalAdvance
        for n in nodes:
            label, shape = op_label(n), shape_text(n.shape)
            a = widths.get(label)
            if a is None:
                a = widths[label] = advance(label)
            b = widths.get(shape)
            if b is None:
                b = widths[shape] = advance(shape)
            sizes[n.id] = (math.ceil(a + b + 2 * OP_PAD + 12), OP_HEIGHT)
        members: dict = {}
        for n in nodes:
            if group_of[n.id] is not None:
                members.setdefault(group_of[n.id], []).append(n)
        groups = list(members)
        titles = {}
        group_sizes = {}
        for key in groups:
            title, sub = self._titles(key, members[key])
            titles[key] = (title, sub)
            w = 40 + s.head_metrics.horizontalAdvance(title) + 12
            w += s.small_metrics.horizontalAdvance(sub) + 10
            wc = 40 + max(
                s.head_metrics.horizontalAdvance(title), s.small_metrics.horizontalAdvance(sub)
            )
            group_sizes[key] = (math.ceil(max(w, wc, 120)), COLLAPSED_HEIGHT)
        collapsed = {k for k in groups if not self.is_expanded(k)}
        # collapsed cards are narrower: the title and subtitle are on two lines
        card_sizes = {
            k: (
                max(
                    120.0,
                    40
                    + max(
                        s.head_metrics.horizontalAdvance(titles[k][0]),
                        s.small_metrics.horizontalAdvance(titles[k][1]),
                    )
                    + 12,
                ),
                COLLAPSED_HEIGHT,
            )
            if k in collapsed
            else v
            for k, v in group_sizes.items()
        }
        self._group_times = {}  # a collapsed box's time: the sum of its ops' times
        for n in nodes:
            if n.kind in ("op", "backward") and n.time is not None:
                key = group_of[n.id]
                self._group_times[key] = self._group_times.get(key, 0.0) + n.time
        edges = [(a, b) for a, b in self._recorder.edges if a in by_id and b in by_id]
        attach = {
            n.id: n.forward_id for n in nodes if n.kind == "backward" and n.forward_id in by_id
        }
        t_layout = time.perf_counter()
        layout = compound_layout(
            [n.id for n in nodes],
            edges,
            group_of,
            sizes,
            collapsed,
            attach=attach,
            group_sizes=card_sizes,
            header=HEADER,
        )
        self.layout_result = layout
        t_scene = time.perf_counter()
        for key, rect in layout.groups.items():
            title, sub = titles[key]
            item = GroupItem(
                key,
                title,
                sub,
                s.category_color(self._node_kinds.get(key)),
                rect,
                key in collapsed,
                s,
                self._group_tooltip(key, members[key]),
            )
            self.scene.addItem(item)
            self.group_items[key] = item
        for op_id, rect in layout.ops.items():
            n = by_id[op_id]
            item = OpItem(n, group_of[op_id], rect, s, self._op_tooltip(n))
            self.scene.addItem(item)
            self.op_items[op_id] = item
        self._add_edges(layout, attach)
        x, y, w, h = layout.bounds()
        self.scene.setSceneRect(QRectF(x - 60, y - 60, w + 120, h + 120))
        n_ops = sum(1 for n in self._recorder.nodes if n.kind == "op")
        self.summary.setText(f"{n_ops} ops · {len(groups)} boxes")
        self._recolour()
        self._highlight()
        done = time.perf_counter()
        self.timings = {"layout": t_scene - t_layout, "scene": done - t_scene}
        if not self._fitted:
            self._fitted = True
            self._first_view()

    def _add_edges(self, layout: Layout, attach: dict) -> None:
        s = self._style
        pen = QPen(s.wire, 1.2)
        pen.setCosmetic(False)
        head = QPainterPath()
        for route in layout.routes:
            pts = route.points
            path = QPainterPath(QPointF(*pts[0]))
            for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
                if abs(y1 - y0) < 0.5:
                    path.lineTo(x1, y1)
                else:
                    mx = (x0 + x1) / 2
                    path.cubicTo(mx, y0, mx, y1, x1, y1)
            x, y = pts[-1]
            head.moveTo(x, y)
            head.lineTo(x - 6, y - 3.5)
            head.lineTo(x - 6, y + 3.5)
            head.closeSubpath()
            item = QGraphicsPathItem(path)
            item.setPen(pen)
            item.setZValue(-0.5)
            self.scene.addItem(item)
            self.edge_items.append(item)
        arrows = QGraphicsPathItem(head)
        arrows.setPen(Qt.PenStyle.NoPen)
        arrows.setBrush(s.wire)
        arrows.setZValue(-0.4)
        self.scene.addItem(arrows)
        self.edge_items.append(arrows)
        links = QPainterPath()
        for op, anchor in attach.items():
            if op in layout.ops and anchor in layout.ops:
                ax, ay, aw, ah = layout.ops[anchor]
                bx, by, bw, bh = layout.ops[op]
                links.moveTo(ax + aw / 2, ay + ah)
                links.lineTo(bx + bw / 2, by)
        if not links.isEmpty():
            dashed = QPen(s.wire, 1.0, Qt.PenStyle.DashLine)
            item = QGraphicsPathItem(links)
            item.setPen(dashed)
            item.setZValue(-0.4)
            self.scene.addItem(item)
            self.edge_items.append(item)

    def _titles(self, key, members: list) -> tuple[str, str]:
        n_ops = sum(1 for n in members if n.kind == "op")
        count = f"{n_ops} op" + ("" if n_ops == 1 else "s")
        if key == LOSS_GROUP:
            return "Loss", f"outside the model · {count}"
        kind = self._node_kinds.get(key)
        name = self._node_names.get(key, str(key))
        return name, f"{kind} · {count}" if kind else count

    def _op_tooltip(self, n) -> str:
        key = self._group_key(n)
        node = (
            self._node_names.get(key, "—")
            if key not in (None, LOSS_GROUP)
            else ("outside the model (loss)" if key == LOSS_GROUP else "graph input")
        )
        outputs = n.outputs or [n.shape]
        lines = [
            f"<b>{n.op}</b> ({n.kind})",
            f"node: {node}" + (f" ({key})" if key not in (None, LOSS_GROUP) else ""),
            f"scope: {n.scope or '—'}",
            "output: " + ", ".join(shape_text(o) for o in outputs),
            f"dtype: {n.dtype or '—'} · device: {n.device}",
        ]
        if n.time is not None:
            lines.append(f"time: {n.time * 1e3:.3f} ms")
        return "<br>".join(lines)

    def _group_tooltip(self, key, members: list) -> str:
        title, sub = self._titles(key, members)
        total = sum(n.time or 0.0 for n in members if n.kind == "op")
        lines = [f"<b>{title}</b>", sub, f"forward time: {total * 1e3:.3f} ms"]
        if key in self._values:
            lines.append(f"gradient norm: {self._values[key]:.3g}")
        lines.append("Click to select the node · double-click to open or close")
        return "<br>".join(lines)

    # -- colours and selection ---------------------------------------------------------------
    def _value_of_op(self, item: OpItem) -> float | None:
        if self._mode == "time":
            return item.node.time if item.node.kind in ("op", "backward") else None
        if self._mode == "grad":
            return self._values.get(item.group)
        return None

    def _value_of_group(self, item: GroupItem) -> float | None:
        if self._mode == "time":
            return self._group_times.get(item.key)
        if self._mode == "grad":
            return self._values.get(item.key)
        return None

    def _recolour(self) -> None:
        """Fill the items by the colour mode (no layout)."""
        s = self._style
        self._tints: dict = {}
        values: list[tuple[QGraphicsItem, float | None]] = []
        for item in self.op_items.values():
            values.append((item, self._value_of_op(item)))
        for item in self.group_items.values():
            if item.collapsed:
                values.append((item, self._value_of_group(item)))
        positive = [v for _, v in values if v is not None and v > 0]
        legend = self.view.legend
        if self._mode == "none" or not positive:
            for item, _ in values:
                item.fill = None
                if isinstance(item, OpItem):
                    item.tint = self._tint(item)
                item.update()
            legend.setVisible(self._mode != "none" and self._recorder is not None)
            if legend.isVisible():
                legend.title = COLOUR_MODES[self._mode]
                legend.low, legend.high = "no values yet", ""
                legend.update()
            return
        lo, hi = math.log(min(positive)), math.log(max(positive))
        span = hi - lo if hi > lo else 1.0
        for item, v in values:
            if v is None or v <= 0:
                item.fill = s.none_fill
            else:
                item.fill = _ramp((math.log(v) - lo) / span if hi > lo else 0.5)
            item.update()
        legend.title = f"{COLOUR_MODES[self._mode]} (log scale)"
        legend.low = _format_value(min(positive), self._mode)
        legend.high = _format_value(max(positive), self._mode)
        legend.show()
        legend.update()
        self.view._place_legend()

    def _tint(self, item: OpItem) -> QColor:
        """An op's outline: its node's category colour, toned down."""
        tint = self._tints.get(item.group)
        if tint is None:
            s = self._style
            kind = self._node_kinds.get(item.group) if item.group is not None else None
            tint = s.border if kind is None else _mix(s.border, s.category_color(kind), 0.7)
            self._tints[item.group] = tint
        return tint

    def _highlight(self) -> None:
        wanted = set(self._selected)
        for item in self.group_items.values():
            on = item.key in wanted
            if on != item.highlighted:
                item.highlighted = on
                item.update()
        for item in self.op_items.values():
            on = item.group in wanted
            if on != item.highlighted:
                item.highlighted = on
                item.update()

    def _clicked(self, pos: QPointF, double: bool) -> bool:
        """A left click (or double-click) at scene ``pos``: True when it hit an op or a
        box header (so the view does not start panning)."""
        for item in self.scene.items(pos):
            if isinstance(item, OpItem):
                if not double:
                    self._user_selects(item.group)
                return True
            if isinstance(item, GroupItem):
                local = item.mapFromScene(pos)
                if item.glyph_rect().contains(local):
                    if not double:
                        self.set_expanded(item.key, item.collapsed)
                    return True
                if item.header_rect().contains(local):
                    if double:
                        self.set_expanded(item.key, item.collapsed)
                    else:
                        self._user_selects(item.key)
                    return True
                return False
        return False

    def _user_selects(self, key) -> None:
        ids = [key] if key is not None and key != LOSS_GROUP else []
        self._selected = ids
        self._highlight()
        self.nodes_selected.emit(ids)

    # -- theme ------------------------------------------------------------------------------
    def _apply_colors(self) -> None:
        c = theme.colors()
        self.view.setBackgroundBrush(c.canvas_bg)
        self.hint.setStyleSheet(f"color: {c.muted_text.name()}; font-size: 14px;")

    def _on_theme(self, *_args) -> None:
        self._style = _Style()
        self._apply_colors()
        for item in list(self.op_items.values()) + list(self.group_items.values()):
            item.style = self._style
        for key, item in self.group_items.items():
            item.colour = self._style.category_color(self._node_kinds.get(key))
        pen = QPen(self._style.wire, 1.2)
        for item in self.edge_items:
            if item.brush().style() != Qt.BrushStyle.NoBrush:
                item.setBrush(self._style.wire)
            elif item.pen().style() == Qt.PenStyle.DashLine:
                item.setPen(QPen(self._style.wire, 1.0, Qt.PenStyle.DashLine))
            else:
                item.setPen(pen)
        self._recolour()
        self.view.legend.update()
