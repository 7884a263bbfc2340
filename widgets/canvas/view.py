"""The canvas view: zoom, pan, the grid, rubber-band selection and drops onto the canvas."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QGraphicsView

from widgets import theme
from widgets.canvas.items import EdgeItem
from widgets.canvas.scene import CanvasScene
from widgets.mime import KIND_MIME, kind_from_mime

MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
ZOOM_STEP = 1.25  # zoom_in / zoom_out
FIT_MARGIN = 40.0  # view pixels around the nodes after zoom_fit
FIT_MAX = 1.0  # zoom_fit never enlarges a small graph past 100 %
READABLE_ZOOM = 0.5  # below this the cards' text is too small to read (show_start)
MAJOR_EVERY = 5  # a major grid line every 5 grid cells
MIN_GRID_PIXELS = 7.0  # grid lines closer than this on screen are not drawn
FADE_PIXELS = 60.0  # major grid lines closer than this on screen are drawn fainter


class CanvasView(QGraphicsView):
    """A view of a :class:`CanvasScene` (see the module docstring).

    Wheel (and Ctrl+wheel) zooms around the cursor; the middle button, Space+left drag and
    the scroll bars pan; a left drag on empty canvas draws a rubber band.
    """

    files_dropped = Signal(list)  # paths of project files dropped on the canvas
    zoom_changed = Signal(float)

    def __init__(self, scene: CanvasScene | None = None, parent=None) -> None:
        super().__init__(parent)
        self._grid_visible = True
        self._pan_from: QPointF | None = None
        self._pan_button = Qt.MouseButton.NoButton
        self._space = False
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, False)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.rubberBandChanged.connect(self._on_rubber_band)
        theme.notifier.changed.connect(self.apply_colors)
        if scene is not None:
            self.setScene(scene)

    def canvas(self) -> CanvasScene | None:
        scene = self.scene()
        return scene if isinstance(scene, CanvasScene) else None

    # -- zoom --------------------------------------------------------------------------
    def zoom(self) -> float:
        """The current scale (1.0 = 100 %)."""
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom to ``factor`` (clamped to 0.1..4), keeping the scene point under ``anchor``
        (a viewport position; default: the centre) where it is."""
        factor = min(max(float(factor), MIN_ZOOM), MAX_ZOOM)
        if anchor is None:
            anchor = self.viewport().rect().center()
        fixed = self.mapToScene(anchor)
        self.setTransform(QTransform.fromScale(factor, factor))
        self._keep(fixed, anchor)
        self.zoom_changed.emit(factor)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / ZOOM_STEP)

    def reset_zoom(self) -> None:
        """Back to 100 %, keeping the centre of the view."""
        self.set_zoom(1.0)

    def zoom_fit(self) -> None:
        """Show every node, with a margin; an empty canvas goes back to 100 % at the origin."""
        rect = self._nodes_rect()
        if rect.isEmpty():
            self.setTransform(QTransform())
            self.centerOn(0.0, 0.0)
            self.zoom_changed.emit(1.0)
            return
        view = self.viewport().rect()
        sx = (view.width() - 2 * FIT_MARGIN) / max(rect.width(), 1.0)
        sy = (view.height() - 2 * FIT_MARGIN) / max(rect.height(), 1.0)
        factor = min(max(min(sx, sy, FIT_MAX), MIN_ZOOM), MAX_ZOOM)
        self.setTransform(QTransform.fromScale(factor, factor))
        self.centerOn(rect.center())
        self.zoom_changed.emit(factor)

    def show_start(self, readable: float = READABLE_ZOOM) -> None:
        """Fit every node in view; when that would shrink the cards below ``readable``
        zoom (a long chain of layers), show the graph's beginning (its left end, centred
        vertically) at that zoom instead. Used when a project opens."""
        self.zoom_fit()
        if self.zoom() >= readable:
            return
        rect = self._nodes_rect()
        self.setTransform(QTransform.fromScale(readable, readable))
        view = self.viewport().rect()
        half_width = (view.width() / 2 - FIT_MARGIN) / readable
        self.centerOn(QPointF(rect.left() + half_width, rect.center().y()))
        self.zoom_changed.emit(readable)

    def _nodes_rect(self) -> QRectF:
        rect = QRectF()
        scene = self.scene()
        if scene is not None:
            for item in scene.items():
                if item.parentItem() is None and item.isVisible():
                    rect = rect.united(item.sceneBoundingRect())
        return rect

    def _keep(self, scene_pos: QPointF, view_pos: QPoint) -> None:
        """Scroll so that ``scene_pos`` shows at ``view_pos``."""
        delta = self.mapFromScene(scene_pos) - view_pos
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + delta.x())
        v.setValue(v.value() + delta.y())

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        mods = event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if not ctrl and not event.pixelDelta().isNull():
            super().wheelEvent(event)  # a touchpad's two-finger scroll pans
            return
        if mods & Qt.KeyboardModifier.ShiftModifier and not ctrl:
            super().wheelEvent(event)
            return
        steps = event.angleDelta().y() or event.angleDelta().x()
        if not steps:
            event.ignore()
            return
        self.set_zoom(self.zoom() * math.pow(1.0015, steps), event.position().toPoint())
        event.accept()

    # -- panning -----------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space
        ):
            self._pan_from = event.position()
            self._pan_button = button
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if button != Qt.MouseButton.LeftButton:
            event.accept()  # the right button opens a context menu: no rubber band, no move
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            h, v = self.horizontalScrollBar(), self.verticalScrollBar()
            h.setValue(h.value() - round(delta.x()))
            v.setValue(v.value() - round(delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._pan_from is not None and event.button() == self._pan_button:
            self._pan_from = None
            self._pan_button = Qt.MouseButton.NoButton
            self._restore_cursor()
            event.accept()
            return
        if event.button() != Qt.MouseButton.LeftButton:
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            if self._pan_from is None:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if event.key() == Qt.Key.Key_Space:
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._space = False
                if self._pan_from is None:
                    self._restore_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._space = False
        if self._pan_from is None:
            self._restore_cursor()
        super().focusOutEvent(event)

    def _restore_cursor(self) -> None:
        self.viewport().unsetCursor()

    def _on_rubber_band(self, rect, from_scene: QPointF, to_scene: QPointF) -> None:
        """A rubber band selects nodes it touches, but wires only when it holds all of them
        (so that deleting a boxed selection never cuts an unrelated wire crossing it)."""
        if rect.isNull():
            return
        band = QRectF(from_scene, to_scene).normalized()
        scene = self.scene()
        for item in scene.selectedItems() if scene is not None else ():
            if isinstance(item, EdgeItem) and not band.contains(item.sceneBoundingRect()):
                item.setSelected(False)

    # -- grid --------------------------------------------------------------------------
    def set_grid_visible(self, visible: bool) -> None:
        self._grid_visible = bool(visible)
        self.resetCachedContent()
        self.viewport().update()

    def grid_visible(self) -> bool:
        return self._grid_visible

    def apply_colors(self) -> None:
        """Repaint the background in the current theme's colours."""
        self.resetCachedContent()
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        colors = theme.colors()
        painter.fillRect(rect, colors.canvas_bg)
        scene = self.canvas()
        if not self._grid_visible or scene is None:
            return
        g = float(scene.grid_size)
        scale = self.zoom()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        if g * scale >= MIN_GRID_PIXELS:
            pen = QPen(colors.grid, 1.6 if scale >= 1 else 1.2)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(pen)
            painter.drawPoints(_grid_points(rect, g))
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        major = g * MAJOR_EVERY
        if major * scale >= MIN_GRID_PIXELS:
            # far out the lines crowd together: they fade instead of turning into a mesh
            color = QColor(colors.grid_major)
            fade = min(1.0, (major * scale - MIN_GRID_PIXELS) / (FADE_PIXELS - MIN_GRID_PIXELS))
            color.setAlphaF(color.alphaF() * max(fade, 0.15))
            pen = QPen(color, 1.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawLines(_grid_lines(rect, major))

    # -- drops -------------------------------------------------------------------------
    def _payload(self, mime) -> tuple[str, object] | None:
        if mime is None:
            return None
        if mime.hasFormat(KIND_MIME):
            kind = kind_from_mime(mime)
            return None if kind is None else ("kind", kind)
        if mime.hasUrls():
            paths = [
                url.toLocalFile()
                for url in mime.urls()
                if url.isLocalFile() and url.toLocalFile().lower().endswith(".json")
            ]
            if paths:
                return ("files", paths)
        return None

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._payload(event.mimeData()) is not None:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.dragEnterEvent(event)

    def dragLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        event.accept()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        payload = self._payload(event.mimeData())
        scene = self.canvas()
        if payload is None:
            event.ignore()
            return
        what, value = payload
        if what == "kind" and scene is not None:
            pos = self.mapToScene(event.position().toPoint())
            scene.kind_dropped.emit(value, scene.snap(pos.x(), pos.y()))
        elif what == "files":
            self.files_dropped.emit(value)
        else:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()


def _grid_points(rect: QRectF, step: float) -> list[QPointF]:
    left = math.floor(rect.left() / step) * step
    top = math.floor(rect.top() / step) * step
    xs = _range(left, rect.right(), step)
    ys = _range(top, rect.bottom(), step)
    return [QPointF(x, y) for y in ys for x in xs]


def _grid_lines(rect: QRectF, step: float) -> list[QLineF]:
    left = math.floor(rect.left() / step) * step
    top = math.floor(rect.top() / step) * step
    lines = [QLineF(x, rect.top(), x, rect.bottom()) for x in _range(left, rect.right(), step)]
    lines += [QLineF(rect.left(), y, rect.right(), y) for y in _range(top, rect.bottom(), step)]
    return lines


def _range(start: float, stop: float, step: float) -> list[float]:
    n = int((stop - start) / step) + 1
    return [start + i * step for i in range(max(n, 0))]
