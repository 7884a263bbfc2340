"""Graphics items of the node canvas: node cards, their ports and badges, wires.

Items only draw and report; they hold copies of the document's immutable values (a
:class:`core.model.Node`, a :class:`core.model.Edge`) to draw from, never change the
document, and leave every interaction to the scene (see ``scene.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QIcon,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem

from core.model import catalog
from widgets import icons
from widgets.canvas import text
from widgets.canvas.look import (
    CORNER_RADIUS,
    HEADER_HEIGHT,
    ICON_SIZE,
    NODE_MIN_HEIGHT,
    NODE_WIDTH,
    PADDING,
    PORT_RADIUS,
    PORT_SPACING,
    ROW_HEIGHT,
    Look,
)

if TYPE_CHECKING:
    from core.model import Edge, Node
    from core.model.inference import Diagnostic, NodeInfo
    from core.train.health import Issue, NodeHealth

NODE_Z, EDGE_Z, WIRE_Z = 10.0, 0.0, 20.0
TEXT_LOD = 0.3  # below this zoom a node card shows no text

# port highlight states while a wire is dragged
NORMAL, SOURCE, OK, BAD = "normal", "source", "ok", "bad"

_ITEM_CHANGE = QGraphicsItem.GraphicsItemChange


def _look(item: QGraphicsItem) -> Look | None:
    scene = item.scene()
    return getattr(scene, "look", None)


class PortItem(QGraphicsItem):
    """An input (left edge) or output (right edge) port of a node.

    ``state`` is the highlight while a wire is dragged: "normal", "source" (the wire's
    start), "ok" (a compatible end) or "bad" (dimmed: incompatible). The item gives the
    port its hit area, hover and tooltip. Its node paints the plain port into the node's
    cache; the item paints only a highlight over it, so that lighting up every port when a
    wire is dragged leaves the nodes' caches alone.
    """

    HIT_RADIUS = 10.0
    OVERLAY_RADIUS = 13.0
    LABEL_WIDTH = 44.0
    _NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents

    def __init__(self, node_item: NodeItem, name: str, is_input: bool, label: str = "") -> None:
        super().__init__()
        self.node_item = node_item
        self.name = name
        self.is_input = is_input
        self.label = label
        self.state = NORMAL
        self.connected = False
        self.missing = False  # an unconnected input the node needs (an error)
        self.hovered = False
        self.setFlag(self._NO_CONTENTS)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        side = "input" if is_input else "output"
        other = "an output" if is_input else "an input"
        self.setToolTip(f"{side} {name!r}: drag to {other} to connect")
        self.setParentItem(node_item)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    @property
    def plain(self) -> bool:
        """Whether the node's own drawing of the port is all there is to see."""
        return self.state == NORMAL and not self.hovered

    def _set_base(self, attr: str, value) -> None:
        if getattr(self, attr) != value:
            setattr(self, attr, value)
            self.node_item.update()

    def _set_highlight(self, attr: str, value) -> None:
        if getattr(self, attr) == value:
            return
        was_plain = self.plain
        setattr(self, attr, value)
        if was_plain and not self.plain:
            self.setFlag(self._NO_CONTENTS, False)
            self.update()
        elif not was_plain:
            self.update()
            if self.plain:
                self.setFlag(self._NO_CONTENTS, True)

    def set_state(self, state: str) -> None:
        self._set_highlight("state", state)

    def set_hovered(self, hovered: bool) -> None:
        self._set_highlight("hovered", hovered)

    def set_connected(self, connected: bool) -> None:
        self._set_base("connected", connected)

    def set_missing(self, missing: bool) -> None:
        self._set_base("missing", missing)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return _PORT_BOUNDS

    def shape(self) -> QPainterPath:
        return _PORT_SHAPE

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.set_hovered(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.set_hovered(False)
        super().hoverLeaveEvent(event)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        """The highlight (the plain port is part of the node's drawing)."""
        if self.plain or option.levelOfDetailFromTransform(painter.worldTransform()) < TEXT_LOD:
            return  # far out the ports are specks: the dimmed nodes tell what fits
        look = _look(self)
        if look is None:
            return
        c = look.colors
        center = QPointF(0, 0)
        r, width = PORT_RADIUS, 1.5
        if self.state == BAD:  # cover the plain port with a faded one
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.node_fill)
            painter.drawEllipse(center, r + 1.5, r + 1.5)
            painter.setPen(QPen(c.port_bad, width))
            painter.setBrush(c.node_fill)
            painter.drawEllipse(center, r, r)
            return
        ring, fill = c.accent, c.port if self.connected else c.node_fill
        if self.state == OK:
            ring, fill, r, width = c.port_ok, c.port_ok, r + 1.5, 2.0
            halo = QColor(c.port_ok)
            halo.setAlphaF(0.25)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(halo)
            painter.drawEllipse(center, r + 4, r + 4)
        elif self.state == SOURCE:
            ring, fill, r = c.accent, c.accent, r + 1.0
        if self.hovered:
            r += 1.5
        painter.setPen(QPen(ring, width))
        painter.setBrush(fill)
        painter.drawEllipse(center, r, r)

    def draw(self, painter: QPainter, look: Look) -> None:
        """Paint the plain port (and its label) in the node's coordinates."""
        c = look.colors
        center = self.pos()
        ring = c.error if self.missing and not self.connected else c.port
        painter.setPen(QPen(ring, 1.5))
        painter.setBrush(c.port if self.connected else c.node_fill)
        painter.drawEllipse(center, PORT_RADIUS, PORT_RADIUS)
        if self.label:
            # on a backing of the canvas colour, so that a wire passing under stays clear
            painter.setFont(look.port_font)
            width = look.port_metrics.horizontalAdvance(self.label)
            right = center.x() - PORT_RADIUS - 4.0
            rect = QRectF(right - width, center.y() - 13.0, width, 11.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(c.canvas_bg)
            painter.drawRoundedRect(rect.adjusted(-2.0, 0.0, 2.0, 1.0), 2.0, 2.0)
            painter.setPen(c.muted_text)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, align, self.label)


_PORT_BOUNDS = QRectF(
    -PortItem.OVERLAY_RADIUS,
    -PortItem.OVERLAY_RADIUS,
    2 * PortItem.OVERLAY_RADIUS,
    2 * PortItem.OVERLAY_RADIUS,
)
_PORT_SHAPE = QPainterPath()
_PORT_SHAPE.addEllipse(QPointF(0, 0), PortItem.HIT_RADIUS, PortItem.HIT_RADIUS)


class BadgeItem(QGraphicsItem):
    """The diagnostic badge in a node's top-right corner: its tooltip lists the problems;
    its node paints it."""

    RADIUS = 8.0

    def __init__(self, node_item: NodeItem) -> None:
        super().__init__()
        self.severity: str | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)
        self.setVisible(False)
        self.setParentItem(node_item)

    def set_diagnostics(self, severity: str | None, tooltip: str) -> None:
        self.severity = severity
        self.setToolTip(tooltip)
        self.setVisible(severity is not None)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        r = self.RADIUS + 1
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        pass  # drawn by the node: see draw()

    def draw(self, painter: QPainter, look: Look, scale: float = 1.0) -> None:
        """Paint the badge in the node's coordinates, ``scale`` times its size (far out)."""
        if self.severity is None:
            return
        c = look.colors
        scale = max(scale, 1.0)
        r = self.RADIUS * scale
        # a grown badge grows into the card, from its top-right corner
        center = self.pos() + QPointF(self.RADIUS - r, r - self.RADIUS) * 0.8
        painter.setPen(QPen(c.node_fill, 1.5 * scale))
        painter.setBrush(c.error if self.severity == "error" else c.warning)
        painter.drawEllipse(center, r, r)
        painter.setPen(_pen(QColor("white"), 2.0 * scale))
        painter.drawLine(center + QPointF(0, -4.0 * scale), center + QPointF(0, 1.0 * scale))
        painter.drawPoint(center + QPointF(0, 4.2 * scale))


class HealthBadgeItem(QGraphicsItem):
    """Training health under a node card's bottom-left corner: one pill per issue (its
    short text on the severity's colour), the tooltip saying what each means and what to
    try. It paints itself, so that new numbers while training leave the card's cache alone;
    far out, where the card drops its text, it hides."""

    GAP = 5.0  # between the card's bottom edge and the pills
    HEIGHT = 16.0
    SPACING = 4.0  # between pills
    PAD = 6.0  # text to pill edge

    def __init__(self, node_item: NodeItem) -> None:
        super().__init__()
        self.issues: tuple[Issue, ...] = ()
        self._pills: list[tuple[QRectF, Issue]] = []
        self._rect = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setVisible(False)
        self.setParentItem(node_item)

    def set_issues(self, issues: Sequence[Issue]) -> None:
        """Show these issues (none: hidden)."""
        self.issues = tuple(issues)
        self.setToolTip(_health_tooltip(self.issues))
        self.relayout()
        self.setVisible(bool(self.issues))

    def relayout(self) -> None:
        """Size the pills for their texts in the scene's current fonts."""
        look = _look(self)
        metrics = look.health_metrics if look is not None else None
        pills, x = [], 0.0
        for issue in self.issues:
            width = metrics.horizontalAdvance(issue.badge) if metrics else 7.0 * len(issue.badge)
            rect = QRectF(x, 0.0, max(width + 2 * self.PAD, self.HEIGHT), self.HEIGHT)
            pills.append((rect, issue))
            x = rect.right() + self.SPACING
        self.prepareGeometryChange()
        self._pills = pills
        self._rect = QRectF(-1.0, -1.0, max(x - self.SPACING, 0.0) + 2.0, self.HEIGHT + 2.0)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        look = _look(self)
        if look is None or not self._pills:
            return
        if option.levelOfDetailFromTransform(painter.worldTransform()) < TEXT_LOD:
            return  # far out the card is a coloured tile: its outline tells of a NaN
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setFont(look.health_font)
        for rect, issue in self._pills:
            fill, ink = look.health_colors(issue.severity)
            painter.setPen(QPen(look.colors.canvas_bg, 1.0))  # parts it from a wire below
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setPen(ink)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, issue.badge)


def _health_tooltip(issues: Sequence[Issue]) -> str:
    if not issues:
        return ""
    rows = "".join(
        f"<p style='margin:0 0 4px 0'><b>{escape(i.badge)}</b> \u2014 "
        f"{escape(i.tooltip, quote=False)}</p>"
        for i in issues
    )
    return f"<div style='max-width:360px'>{rows}</div>"


class NodeItem(QGraphicsItem):
    """A node card: category-coloured header with icon, name and kind; key parameters;
    output shape and parameter count; input ports left, output ports right."""

    def __init__(self, node: Node) -> None:
        super().__init__()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(NODE_Z)
        self.node_id = node.id
        self.node = node
        self.entry = catalog.get(node.kind)
        self.info: NodeInfo | None = None
        self.diagnostics: tuple[Diagnostic, ...] = ()
        self.severity: str | None = None
        self.inputs: dict[str, PortItem] = {}
        self.outputs: dict[str, PortItem] = {}
        self._height = NODE_MIN_HEIGHT
        self._bounds = QRectF()
        self._hover = False
        self._icon: QIcon | None = None
        self._texts: dict[str, str] = {}
        self.badge = BadgeItem(self)
        self.badge.setPos(NODE_WIDTH - 13.0, 13.0)
        self.health: NodeHealth | None = None
        self.health_badge = HealthBadgeItem(self)
        self._make_ports()
        self.setPos(QPointF(*node.position))
        self._update_tooltip()

    # -- content ---------------------------------------------------------------------
    @property
    def width(self) -> float:
        return NODE_WIDTH

    @property
    def height(self) -> float:
        return self._height

    def set_node(self, node: Node) -> bool:
        """Show a changed node (name, parameters); True if its input ports changed."""
        self.node = node
        ports = self.entry.input_ports(node.params)
        changed = tuple(self.inputs) != tuple(ports)
        if changed:
            self._make_ports()
        self._texts.clear()
        self._update_tooltip()
        self.update()
        return changed

    def set_inference(self, info: NodeInfo | None, diagnostics: Sequence[Diagnostic]) -> bool:
        """Show inferred shape/counts and diagnostics; False (and no repaint) if unchanged."""
        key = _info_key(info)
        diagnostics = tuple(diagnostics)
        if key == _info_key(self.info) and diagnostics == self.diagnostics:
            self.info = info
            return False
        self.info = info
        self.diagnostics = diagnostics
        severities = {d.severity for d in diagnostics}
        self.severity = (
            "error" if "error" in severities else "warning" if "warning" in severities else None
        )
        missing = {d.code for d in diagnostics} & {"missing_input"}
        for port in self.inputs.values():
            port.set_missing(bool(missing))
        self.badge.set_diagnostics(
            self.severity, text.diagnostics_html(d for d in diagnostics if d.severity != "info")
        )
        self._texts.clear()
        self._update_tooltip()
        self.update()
        return True

    def set_health(self, health: NodeHealth | None) -> None:
        """Show training health (None: none): issue pills under the card; a NaN (an error)
        outlines the card red. Repaints only when the issues change."""
        self.health = health
        issues = health.issues if health is not None else ()
        if issues == self.health_badge.issues:
            return  # new numbers, same badges
        had_error = self.health_error
        self.health_badge.set_issues(issues)
        if self.health_error != had_error:
            self.update()

    @property
    def health_error(self) -> bool:
        """Whether training found an error here (a NaN/Inf first appeared in this node)."""
        return any(i.severity == "error" for i in self.health_badge.issues)

    def restyle(self) -> None:
        """Repaint in the current theme (its colours, fonts and icon tint)."""
        self._icon = None
        self._texts.clear()
        self.health_badge.relayout()
        self.update()

    def ports(self) -> list[PortItem]:
        return [*self.inputs.values(), *self.outputs.values()]

    def _make_ports(self) -> None:
        for port in self.ports():
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        names = self.entry.input_ports(self.node.params)
        labelled = len(names) > 1
        self.inputs = {n: PortItem(self, n, True, n if labelled else "") for n in names}
        self.outputs = {n: PortItem(self, n, False) for n in self.entry.outputs}
        most = max(len(self.inputs), len(self.outputs), 1)
        height = max(NODE_MIN_HEIGHT, (most - 1) * PORT_SPACING + 2 * PORT_SPACING)
        if height != self._height:
            self.prepareGeometryChange()
            self._height = height
        self.health_badge.setPos(0.0, height + HealthBadgeItem.GAP)
        for ports, x in ((self.inputs, 0.0), (self.outputs, NODE_WIDTH)):
            top = height / 2 - (len(ports) - 1) * PORT_SPACING / 2
            for i, port in enumerate(ports.values()):
                port.setPos(x, top + i * PORT_SPACING)
        # the ports (with their halo) stick out of the card, labels further left
        out = PORT_RADIUS + 7.0
        left = out + (PortItem.LABEL_WIDTH + 4.0 if labelled else 0.0)
        bounds = QRectF(-left, -3.0, NODE_WIDTH + left + out, height + 6.0)
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds

    def _update_tooltip(self) -> None:
        self.setToolTip(text.node_tooltip(self.node, self.info, self.diagnostics))

    def _layout_texts(self, look: Look) -> dict[str, str]:
        """The elided lines of the card (cached until the content changes)."""
        if self._texts:
            return self._texts
        elide = Qt.TextElideMode.ElideRight
        name_width = NODE_WIDTH - (PADDING + ICON_SIZE + 8.0) - PADDING
        if self.severity:
            name_width -= 2 * BadgeItem.RADIUS
        inner = NODE_WIDTH - 2 * PADDING
        keys = text.key_params_text(self.node.kind, self.node.params)
        shape = text.shape_text(self.info.shape if self.info else None) or text.UNKNOWN_SHAPE
        n_params = self.info.params if self.info else 0
        count = text.params_text(n_params)
        if count and shape:
            room = inner - look.body_metrics.horizontalAdvance(shape) - 8.0
            if look.body_metrics.horizontalAdvance(count) > room:
                count = text.params_text(n_params, short=True)
        count_width = look.body_metrics.horizontalAdvance(count) + 8.0 if count else 0.0
        self._texts = {
            "name": look.name_metrics.elidedText(self.node.name, elide, name_width),
            "kind": look.kind_metrics.elidedText(self.entry.display_name, elide, name_width),
            "keys": look.body_metrics.elidedText(keys, elide, inner),
            "shape": look.body_metrics.elidedText(shape, elide, inner - count_width),
            "count": count,
        }
        return self._texts

    # -- geometry --------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, self._height), CORNER_RADIUS, CORNER_RADIUS)
        return path

    def itemChange(self, change, value):  # noqa: N802 - Qt override
        scene = self.scene()
        if change == _ITEM_CHANGE.ItemPositionChange and scene is not None:
            return scene.snapped_position(self, value)
        if change == _ITEM_CHANGE.ItemPositionHasChanged and scene is not None:
            scene.node_item_moved(self)
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    # -- painting --------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        look = _look(self)
        if look is None:
            return
        c = look.colors
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        w, h, radius = NODE_WIDTH, self._height, CORNER_RADIUS
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        card = QRectF(0, 0, w, h)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(look.shadow)
        painter.drawRoundedRect(card.translated(0, 1.5), radius, radius)
        painter.setBrush(c.node_fill)
        painter.drawRoundedRect(card, radius, radius)

        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        far = lod < TEXT_LOD  # text would be a smudge: colour and icon say what it is
        category = look.category_color(self.entry.category)
        if far:
            painter.fillPath(self.shape(), look.header_color(self.entry.category))
        else:
            painter.fillPath(_header_path(w, h), look.header_color(self.entry.category))
            painter.setPen(QPen(look.divider, 1.0))
            painter.drawLine(QPointF(0.5, HEADER_HEIGHT), QPointF(w - 0.5, HEADER_HEIGHT))
        painter.fillPath(_strip_path(w, h, 3.0 if not far else min(1.5 / lod, 16.0)), category)

        # far out, lines keep at least a pixel or so on screen
        scale = 1.0 if not far else 1.0 / max(lod, 0.05)
        error = self.severity == "error" or self.health_error
        if error:
            border = QPen(c.error, max(2.0 if selected else 1.6, 1.6 * scale))
        elif selected:
            border = QPen(c.node_selected, max(2.0, 2.0 * scale))
        elif self._hover:
            border = QPen(look.wire_hover, 1.2)
        else:
            border = QPen(c.node_border, max(1.0, 0.8 * scale))
        painter.setPen(border)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        inset = border.widthF() / 2
        painter.drawRoundedRect(card.adjusted(inset, inset, -inset, -inset), radius, radius)
        if selected and error:
            painter.setPen(QPen(c.node_selected, 1.0 * scale))
            painter.drawRoundedRect(card.adjusted(-2.5, -2.5, 2.5, 2.5), radius + 2, radius + 2)

        if far:
            side = min(h - 16.0, 56.0)
            self._paint_icon(painter, QRectF((w - side) / 2, (h - side) / 2, side, side))
            for port in self.ports():
                port.draw(painter, look)
            if self.badge.severity is not None:
                self.badge.draw(painter, look, min(scale * 0.6, 4.0))
            return
        top = (HEADER_HEIGHT - ICON_SIZE) / 2
        self._paint_icon(painter, QRectF(PADDING, top, ICON_SIZE, ICON_SIZE))
        texts = self._layout_texts(look)
        x_text = PADDING + ICON_SIZE + 8.0
        painter.setFont(look.name_font)
        painter.setPen(c.text)
        painter.drawText(QPointF(x_text, 17.5), texts["name"])
        painter.setFont(look.kind_font)
        painter.setPen(c.muted_text)
        painter.drawText(QPointF(x_text, 31.0), texts["kind"])

        painter.setFont(look.body_font)
        rows = [r for r in ("keys", "shape") if texts[r] or (r == "shape" and texts["count"])]
        body_top = HEADER_HEIGHT
        body = h - body_top
        first = body_top + (body - len(rows) * ROW_HEIGHT) / 2 + 12.0
        for i, row in enumerate(rows):
            y = first + i * ROW_HEIGHT
            if row == "keys":
                painter.setPen(c.text)
                painter.drawText(QPointF(PADDING, y), texts["keys"])
            else:
                known = self.info is not None and self.info.shape is not None
                painter.setPen(look.shape_color if known else c.muted_text)
                painter.drawText(QPointF(PADDING, y), texts["shape"])
                if texts["count"]:
                    painter.setPen(c.muted_text)
                    count_w = look.body_metrics.horizontalAdvance(texts["count"])
                    painter.drawText(QPointF(w - PADDING - count_w, y), texts["count"])
        for port in self.ports():
            port.draw(painter, look)
        if self.badge.severity is not None:
            self.badge.draw(painter, look)

    def _paint_icon(self, painter: QPainter, rect: QRectF) -> None:
        if self._icon is None:
            try:
                self._icon = icons.kind_icon(self.node.kind)
            except (OSError, ValueError):  # a missing icon file must not break painting
                self._icon = QIcon()
        # the SVG renders through the painter: crisp at every zoom
        self._icon.paint(painter, rect.toRect())


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    return pen


def _info_key(info: NodeInfo | None) -> tuple | None:
    if info is None:
        return None
    return (info.shape, info.dtype, info.params, info.macs)


_PATHS: dict[tuple, QPainterPath] = {}


def _card(w: float, h: float) -> QPainterPath:
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, w, h), CORNER_RADIUS, CORNER_RADIUS)
    return path


def _header_path(w: float, h: float) -> QPainterPath:
    key = ("header", w, h)
    if key not in _PATHS:
        band = QPainterPath()
        band.addRect(QRectF(0, 0, w, HEADER_HEIGHT))
        _PATHS[key] = _card(w, h).intersected(band)
    return _PATHS[key]


def _strip_path(w: float, h: float, thickness: float = 3.0) -> QPainterPath:
    key = ("strip", w, h, round(thickness, 1))
    if key not in _PATHS:
        band = QPainterPath()
        band.addRect(QRectF(0, 0, w, thickness))
        _PATHS[key] = _card(w, h).intersected(band)
    return _PATHS[key]


# -- wires --------------------------------------------------------------------------------
def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A smooth cubic from an output port (``start``) to an input port (``end``)."""
    dx = end.x() - start.x()
    dy = abs(end.y() - start.y())
    if dx >= 0:
        reach = max(dx * 0.5, min(dy * 0.5 + 10.0, 80.0, dx + 20.0))
    else:  # a wire running backwards loops out of the ports before turning
        reach = max(60.0, min(-dx * 0.5 + dy * 0.25, 240.0))
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + reach, start.y()), QPointF(end.x() - reach, end.y()), end)
    return path


class EdgeItem(QGraphicsItem):
    """A wire between two ports; red with the reason in its tooltip when the node it
    feeds refuses the data it brings."""

    HIT_WIDTH = 12.0

    def __init__(self, edge: Edge, source: PortItem, target: PortItem) -> None:
        super().__init__()
        self.edge = edge
        self.source = source
        self.target = target
        self.problem: str | None = None
        self._hover = False
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._rect = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(EDGE_Z)
        self.adjust()

    def adjust(self) -> None:
        """Follow the ports (after either node moved or changed its ports)."""
        path = wire_path(self.source.scenePos(), self.target.scenePos())
        self.prepareGeometryChange()
        self._path = path
        self._shape = None
        self._rect = path.controlPointRect().adjusted(-4, -4, 4, 4)

    def set_problem(self, problem: str | None, tooltip: str) -> None:
        self.problem = problem
        self.setToolTip(tooltip)
        self.update()

    def path(self) -> QPainterPath:
        return self._path

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(self.HIT_WIDTH)
            stroker.setCapStyle(Qt.PenCapStyle.RoundCap)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self._hover = False
        self.update()
        super().hoverLeaveEvent(event)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        look = _look(self)
        if look is None:
            return
        c = look.colors
        selected = self.isSelected()
        color = c.error if self.problem else c.wire
        width = 2.0
        if selected:
            color = c.error if self.problem else c.wire_selected
            width = 3.0
        elif self._hover:
            color = c.error if self.problem else look.wire_hover
            width = 2.5
        if selected:
            glow = QColor(color)
            glow.setAlphaF(0.25)
            painter.setPen(_pen(glow, width + 5.0))
            painter.drawPath(self._path)
        pen = _pen(color, width)
        if option.levelOfDetailFromTransform(painter.worldTransform()) * width < 1.0:
            pen.setWidthF(1.2 if selected or self.problem else 1.0)  # far out: one pixel
            pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)


class WireItem(QGraphicsItem):
    """The live wire that follows the cursor while a connection is dragged."""

    def __init__(self, anchor: QPointF, from_output: bool) -> None:
        super().__init__()
        self.anchor = anchor
        self.from_output = from_output
        self.snapped = False
        self._path = QPainterPath()
        self._rect = QRectF()
        self.setZValue(WIRE_Z)
        self.set_end(anchor)

    def set_end(self, end: QPointF, snapped: bool = False) -> None:
        start, stop = (self.anchor, end) if self.from_output else (end, self.anchor)
        self.prepareGeometryChange()
        self.snapped = snapped
        self._path = wire_path(start, stop)
        self._rect = self._path.controlPointRect().adjusted(-6, -6, 6, 6)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        look = _look(self)
        if look is None:
            return
        c = look.colors
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = c.port_ok if self.snapped else c.accent
        pen = _pen(color, 2.0)
        if not self.snapped:
            pen.setDashPattern([4.0, 3.0])
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        end = self._path.currentPosition() if self.from_output else self._path.pointAtPercent(0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(color))
        painter.drawEllipse(end, 3.5, 3.5)
