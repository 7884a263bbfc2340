"""The canvas scene: mirrors a core Document as node cards and wires.

The scene listens to the document's events and keeps one :class:`NodeItem` per node and one
:class:`EdgeItem` per edge. It never changes the document: every edit a person makes here
leaves as a request signal (``connect_requested``, ``move_requested``, ...) that the app turns
into an undoable command; the document's events then bring the scene up to date.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from core.model import Document, Edge, Node
from core.model.inference import Inference
from widgets import theme
from widgets.canvas import text
from widgets.canvas.items import (
    BAD,
    NORMAL,
    OK,
    SOURCE,
    BadgeItem,
    EdgeItem,
    HealthBadgeItem,
    NodeItem,
    PortItem,
    WireItem,
)
from widgets.canvas.look import Look
from widgets.common import disconnect_all

if TYPE_CHECKING:
    from core.train.health import NodeHealth

SCENE_MARGIN = 1500.0  # room to pan around the nodes
DIMMED = 0.55  # opacity of a node that cannot take the dragged wire
SNAP_RADIUS = 22.0  # a dragged wire snaps to a compatible port this close to the cursor
PORT_HIT = 8.0  # ...unless the cursor is this close to another port: it means that one


class CanvasScene(QGraphicsScene):
    """A node-graph view of a :class:`core.model.Document` (see the module docstring)."""

    connect_requested = Signal(str, str, str, str)  # src, src_port, dst, dst_port
    # a wire pulled off its input and dropped on another port: (old Edge, src, src_port,
    # dst, dst_port) of the new wire; the app moves it in one undo step
    reroute_requested = Signal(object, str, str, str, str)
    move_requested = Signal(dict)  # {node_id: (x, y)} after a drag ends
    delete_requested = Signal(list, list)  # node ids, [core Edge]
    kind_dropped = Signal(str, object)  # catalog kind, (x, y) scene position (snapped)
    connection_refused = Signal(str)  # reason (for the status bar)
    selection_ids_changed = Signal(list)  # selected node ids
    node_activated = Signal(str)  # double-click on a node
    context_menu_requested = Signal(str, object, object)  # "node"|"edge"|"background",
    # target (node id | Edge | None), QPoint screen position

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.grid_size = 20
        self.snap_to_grid = True
        self.look = Look()
        self.document: Document | None = None
        self.inference: Inference | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._edges: dict[Edge, EdgeItem] = {}
        self._edges_of: dict[str, set[EdgeItem]] = {}
        # node id -> (why it refuses the data on its input wires, diagnostic code)
        self._wire_problems: dict[str, tuple[str, str]] = {}
        self._health: dict[str, NodeHealth] = {}  # training health shown, by node id
        self._hooks: list = []  # [(event, listener)] connected on the document
        self._drag: _WireDrag | None = None
        self._press_positions: dict[str, QPointF] | None = None
        self._moving = False
        self._quiet = False
        self._moved_by_document: set | None = None  # items the document moved, wires pending
        self._selection: list[str] = []
        self._judge_timer = QTimer(self)  # judges off-screen ports while a wire is dragged
        self._judge_timer.setSingleShot(True)
        self._judge_timer.setInterval(0)
        self._judge_timer.timeout.connect(self._judge_more)
        self.setSceneRect(QRectF(-SCENE_MARGIN, -SCENE_MARGIN, 2 * SCENE_MARGIN, 2 * SCENE_MARGIN))
        self.setBackgroundBrush(self.look.colors.canvas_bg)
        self.selectionChanged.connect(self._on_selection_changed)
        theme.notifier.changed.connect(self.apply_colors)
        # a deleted scene must not stay connected to a document that outlives it
        hooks = self._hooks
        self.destroyed.connect(lambda *_: disconnect_all(hooks))

    # -- document ----------------------------------------------------------------------
    def set_document(self, doc: Document | None) -> None:
        """Show ``doc`` (None: nothing) and follow its events from now on."""
        disconnect_all(self._hooks)
        self.document = doc
        if doc is not None:
            for name, listener in (
                ("node_added", self._on_node_added),
                ("node_removed", self._on_node_removed),
                ("node_changed", self._on_node_changed),
                ("node_moved", self._on_node_moved),
                ("edge_added", self._on_edge_added),
                ("edge_removed", self._on_edge_removed),
                ("reset", self._rebuild),
                ("changed", self._flush_moves),
            ):
                event = getattr(doc, name)
                event.connect(listener)
                self._hooks.append((event, listener))
        self._rebuild()

    def set_inference(self, inference: Inference | None) -> None:
        """Show shapes, counts and diagnostics; only the items whose content changed repaint."""
        self.inference = inference
        if inference is None:
            for item in self._nodes.values():
                item.set_inference(None, ())
            self._set_wire_problems({})
            return
        by_node = inference.by_node()
        infos = inference.nodes
        for nid, item in self._nodes.items():
            item.set_inference(infos.get(nid), by_node.get(nid, ()))
        problems = {}
        for nid, diagnostics in by_node.items():
            for d in diagnostics:
                if d.severity == "error" and d.code in text.WIRE_CODES and nid is not None:
                    problems[nid] = (d.message, d.code)
                    break
        self._set_wire_problems(problems)

    def set_health(self, health: dict[str, NodeHealth] | None) -> None:
        """Show training-health badges (None or {}: none); ids of no node are skipped.
        A new document (``reset``) or a removed node drops its badges."""
        self._health = dict(health or {})
        for nid, item in self._nodes.items():
            item.set_health(self._health.get(nid))

    def item_for_node(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def edge_item(self, edge: Edge) -> EdgeItem | None:
        return self._edges.get(edge)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    # -- selection ---------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        """Selected node ids in document order."""
        selected = {nid for nid, item in self._nodes.items() if item.isSelected()}
        if not selected or self.document is None:
            return list(selected)
        return [node.id for node in self.document if node.id in selected]

    def selected_edges(self) -> list[Edge]:
        return [edge for edge, item in self._edges.items() if item.isSelected()]

    def select_ids(self, ids: Iterable[str], *, ensure_visible: bool = False) -> None:
        """Select exactly these nodes (unknown ids are skipped); optionally scroll to them."""
        wanted = [self._nodes[i] for i in dict.fromkeys(ids) if i in self._nodes]
        self._quiet = True  # one selection_ids_changed for the whole change
        try:
            self.clearSelection()
            for item in wanted:
                item.setSelected(True)
        finally:
            self._quiet = False
        self._on_selection_changed()
        if ensure_visible and wanted:
            rect = QRectF()
            for item in wanted:
                rect = rect.united(item.sceneBoundingRect())
            for view in self.views():
                view.ensureVisible(rect, 40, 40)

    # -- theme -------------------------------------------------------------------------
    def apply_colors(self) -> None:
        """Take the current theme's colours (after ``theme.apply_theme``)."""
        self.look = Look()
        self.setBackgroundBrush(self.look.colors.canvas_bg)
        for item in self._nodes.values():
            item.restyle()
        for edge in self._edges.values():
            edge.update()
        for view in self.views():
            apply = getattr(view, "apply_colors", None)
            if apply is not None:
                apply()

    # -- geometry helpers used by the items and the view -------------------------------
    def snap(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) on the grid when snapping is on, else as given."""
        if not self.snap_to_grid:
            return (float(x), float(y))
        g = float(self.grid_size)
        return (round(x / g) * g, round(y / g) * g)

    def snapped_position(self, item: NodeItem, value: QPointF) -> QPointF:
        """Where a node dragged by the user to ``value`` lands (the grid, when snapping)."""
        if not self._moving:
            return value
        return QPointF(*self.snap(value.x(), value.y()))

    def node_item_moved(self, item: NodeItem) -> None:
        """A node item moved (drag, or the document): its wires follow. During a move of
        the document's (auto-layout, undo) each wire is re-routed once, at its end."""
        if self._moved_by_document is not None:
            self._moved_by_document.add(item)
            return
        for edge in self._edges_of.get(item.node_id, ()):
            edge.adjust()
        self._grow(item.sceneBoundingRect())

    def _flush_moves(self) -> None:
        moved, self._moved_by_document = self._moved_by_document, None
        if not moved:
            return
        wires = set()
        rect = QRectF()
        for item in moved:
            wires.update(self._edges_of.get(item.node_id, ()))
            rect = rect.united(item.sceneBoundingRect())
        for wire in wires:
            wire.adjust()
        self._grow(rect)

    # -- document events ---------------------------------------------------------------
    def _rebuild(self) -> None:
        self._cancel_wire_drag()
        self._quiet = True
        try:
            for item in [*self._edges.values(), *self._nodes.values()]:
                self.removeItem(item)
            self._nodes.clear()
            self._edges.clear()
            self._edges_of.clear()
            self._wire_problems.clear()
            self._health = {}
            self.inference = None
            doc = self.document
            if doc is not None:
                for node in doc:
                    self._add_node_item(node)
                for edge in doc.edges:
                    self._add_edge_item(edge)
        finally:
            self._quiet = False
        rect = self.itemsBoundingRect()
        self.setSceneRect(
            rect.united(QRectF(0, 0, 1, 1)).adjusted(
                -SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN
            )
        )
        self._on_selection_changed()

    def _add_node_item(self, node: Node) -> NodeItem:
        item = NodeItem(node)
        self.addItem(item)
        self._nodes[node.id] = item
        self._edges_of.setdefault(node.id, set())
        return item

    def _on_node_added(self, node: Node) -> None:
        item = self._add_node_item(node)
        self._grow(item.sceneBoundingRect())

    def _on_node_removed(self, node: Node) -> None:
        item = self._nodes.pop(node.id, None)
        if item is None:
            return
        for edge in list(self._edges_of.get(node.id, ())):
            self._on_edge_removed(edge.edge)
        self._edges_of.pop(node.id, None)
        self._wire_problems.pop(node.id, None)
        self._health.pop(node.id, None)
        if self._drag is not None:
            self._cancel_wire_drag()
        was_selected = item.isSelected()
        self.removeItem(item)
        if was_selected:
            self._on_selection_changed()

    def _on_node_changed(self, node: Node, old: Node) -> None:
        item = self._nodes.get(node.id)
        if item is None:
            return
        if item.set_node(node):  # new ports: the wires re-attach to them
            if self._drag is not None:
                self._cancel_wire_drag()
            for edge in self._edges_of.get(node.id, ()):
                self._attach(edge)
        if node.name != old.name:
            for edge in self._edges_of.get(node.id, ()):
                self._update_edge_tooltip(edge)

    def _on_node_moved(self, node: Node, old: Node) -> None:
        item = self._nodes.get(node.id)
        if item is not None and (item.pos().x(), item.pos().y()) != node.position:
            if self._moved_by_document is None:  # wires follow on `changed` (_flush_moves)
                self._moved_by_document = set()
            item.setPos(QPointF(*node.position))

    def _add_edge_item(self, edge: Edge) -> EdgeItem | None:
        src, dst = self._nodes.get(edge.src), self._nodes.get(edge.dst)
        if src is None or dst is None:
            return None
        item = EdgeItem(edge, src.outputs[edge.src_port], dst.inputs[edge.dst_port])
        self.addItem(item)
        self._edges[edge] = item
        self._edges_of[edge.src].add(item)
        self._edges_of[edge.dst].add(item)
        item.source.set_connected(True)
        item.target.set_connected(True)
        self._update_edge_tooltip(item)
        return item

    def _on_edge_added(self, edge: Edge) -> None:
        self._add_edge_item(edge)

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self._edges.pop(edge, None)
        if item is None:
            return
        for nid in (edge.src, edge.dst):
            self._edges_of.get(nid, set()).discard(item)
        item.target.set_connected(False)
        item.source.set_connected(
            any(
                e.edge.src == edge.src and e.edge.src_port == edge.src_port
                for e in self._edges_of.get(edge.src, ())
            )
        )
        if self._drag is not None and self._drag.detached == edge:
            self._cancel_wire_drag()
        self.removeItem(item)

    def _attach(self, item: EdgeItem) -> None:
        """Point a wire at its nodes' current port items (after a node rebuilt its ports)."""
        edge = item.edge
        item.source = self._nodes[edge.src].outputs[edge.src_port]
        item.target = self._nodes[edge.dst].inputs[edge.dst_port]
        item.source.set_connected(True)
        item.target.set_connected(True)
        item.adjust()

    def _set_wire_problems(self, problems: dict[str, tuple[str, str]]) -> None:
        old = self._wire_problems
        changed = {n for n in old.keys() | problems.keys() if old.get(n) != problems.get(n)}
        self._wire_problems = problems
        for nid in changed:
            for item in self._edges_of.get(nid, ()):
                if item.edge.dst == nid:
                    self._update_edge_tooltip(item)

    def _update_edge_tooltip(self, item: EdgeItem) -> None:
        edge = item.edge
        src, dst = self._nodes[edge.src].node, self._nodes[edge.dst].node
        ports = len(self._nodes[edge.dst].inputs) > 1
        into = f" ({escape(edge.dst_port)})" if ports else ""
        tip = f"{escape(src.name)} \u2192 {escape(dst.name)}{into}"
        problem, code = self._wire_problems.get(edge.dst, (None, ""))
        if problem:
            what = "Type problem" if code == "dtype" else "Shape problem"
            tip += f"<br/><b>{what}:</b> {escape(problem)}"
        item.set_problem(problem, tip)

    def _grow(self, rect: QRectF) -> None:
        """Widen the scene rect so that there is always room to pan around the nodes."""
        inner = self.sceneRect().adjusted(
            SCENE_MARGIN / 2, SCENE_MARGIN / 2, -SCENE_MARGIN / 2, -SCENE_MARGIN / 2
        )
        if not inner.contains(rect):
            margin = SCENE_MARGIN
            self.setSceneRect(
                self.sceneRect().united(rect.adjusted(-margin, -margin, margin, margin))
            )

    def _on_selection_changed(self) -> None:
        if self._quiet:
            return
        ids = self.selected_ids()
        if ids != self._selection:
            self._selection = ids
            self.selection_ids_changed.emit(ids)

    # -- mouse -------------------------------------------------------------------------
    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
            if isinstance(item, (PortItem, BadgeItem, HealthBadgeItem)):
                return item.parentItem()
        return None

    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
            if isinstance(item, NodeItem):
                return None
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton and self.document is not None:
            port = self._port_at(event.scenePos())
            if port is not None:
                self._start_wire_drag(port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {
                item.node_id: item.pos()
                for item in self.selectedItems()
                if isinstance(item, NodeItem)
            }
            self._moving = True

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            self._drag.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._finish_wire_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._moving = False
            self._report_moves()

    def _report_moves(self) -> None:
        before, self._press_positions = self._press_positions, None
        if not before:
            return
        moved = {}
        for nid, old in before.items():
            item = self._nodes.get(nid)
            if item is not None and item.pos() != old:
                moved[nid] = (item.pos().x(), item.pos().y())
        if not moved:
            return
        self.move_requested.emit(moved)
        # the document has the last word: a move the app did not make is undone here
        doc = self.document
        for nid in moved:
            item = self._nodes.get(nid)
            if item is not None and doc is not None and nid in doc:
                position = doc.node(nid).position
                if (item.pos().x(), item.pos().y()) != position:
                    item.setPos(QPointF(*position))

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            node = self._node_at(event.scenePos())
            if node is not None and self._port_at(event.scenePos()) is None:
                self.node_activated.emit(node.node_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._drag is not None:
            event.accept()
            return
        pos = event.scenePos()
        node = self._node_at(pos)
        if node is not None:
            if not node.isSelected():
                self.select_ids([node.node_id])
            self.context_menu_requested.emit("node", node.node_id, event.screenPos())
        else:
            edge = next((i for i in self.items(pos) if isinstance(i, EdgeItem)), None)
            if edge is not None:
                self.clearSelection()
                edge.setSelected(True)
                self.context_menu_requested.emit("edge", edge.edge, event.screenPos())
            else:
                self.context_menu_requested.emit("background", None, event.screenPos())
        event.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._drag is not None and event.key() == Qt.Key.Key_Escape:
            self._cancel_wire_drag()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- live wire ---------------------------------------------------------------------
    def _start_wire_drag(self, port: PortItem, pos: QPointF) -> None:
        detached = None
        if port.is_input:
            detached = self.document.edge_into(port.node_id, port.name)
        self._drag = _WireDrag(self, port, detached)
        self._drag.move(pos)
        if self._drag.pending:
            self._judge_timer.start()

    def _judge_more(self) -> None:
        if self._drag is not None and self._drag.judge_more():
            self._judge_timer.start()

    def _finish_wire_drag(self, pos: QPointF) -> None:
        drag, self._drag = self._drag, None
        if drag is not None:
            drag.finish(pos)

    def _cancel_wire_drag(self) -> None:
        drag, self._drag = self._drag, None
        if drag is not None:
            drag.cleanup()

    def is_dragging_wire(self) -> bool:
        return self._drag is not None


class _WireDrag:
    """One drag of a wire from a port: highlights, the live wire and what the release does.

    Dragging from an output looks for inputs; from a free input, for outputs; from a
    connected input, the wire comes off that input and its source looks for a new input
    (re-routing: released on empty space, the wire is deleted).
    """

    def __init__(self, scene: CanvasScene, port: PortItem, detached: Edge | None) -> None:
        self.scene = scene
        self.origin = port
        self.detached = detached
        if detached is not None:
            # the wire's far end stays put: it now starts at its source port
            self.anchor = scene._nodes[detached.src].outputs[detached.src_port]
            scene._edges[detached].setVisible(False)
        else:
            self.anchor = port
        self.wants_inputs = not self.anchor.is_input
        # one walk of the graph for the whole drag: every candidate shares the anchor's end
        # (replace=True: a wire already into an input is no problem, the app replaces it)
        end = {"src" if self.wants_inputs else "dst": self.anchor.node_id}
        self.check = scene.document.connection_checker(**end, replace=True)
        self.wire = WireItem(self.anchor.scenePos(), from_output=self.wants_inputs)
        scene.addItem(self.wire)
        self.target: PortItem | None = None
        self.reasons: dict[PortItem, str | None] = {}
        self.origin.set_state(SOURCE)
        self.anchor.set_state(SOURCE)
        # the nodes on screen are judged now, the others a few at a time right after
        shown, self.pending = _split_on_screen(scene, list(scene._nodes.values()))
        for item in shown:
            self._judge(item)
        _repaint_views(scene)

    # candidates ---------------------------------------------------------------------
    def edge_to(self, port: PortItem) -> Edge:
        a = self.anchor
        if self.wants_inputs:
            return Edge(a.node_id, port.node_id, a.name, port.name)
        return Edge(port.node_id, a.node_id, port.name, a.name)

    def problem(self, port: PortItem) -> str | None:
        """Why the dragged wire cannot end at ``port`` (None: it can)."""
        if port.is_input != self.wants_inputs:
            side = "an input (left side)" if self.wants_inputs else "an output (right side)"
            return f"a wire runs from an output to an input: drop it on {side}"
        edge = self.edge_to(port)
        if edge == self.detached:
            return None
        return self.check(edge)

    def reason(self, port: PortItem) -> str | None:
        """``problem(port)``, asked of the document once per drag."""
        if port not in self.reasons:
            self.reasons[port] = self.problem(port)
        return self.reasons[port]

    def is_candidate(self, port: PortItem) -> bool:
        return port is not self.anchor and port is not self.origin

    def _judge(self, item: NodeItem) -> None:
        """Light up the node's ports that can take the wire, dim the others (and the whole
        node when none can)."""
        any_ok = False
        for port in item.ports():
            if self.is_candidate(port):
                ok = self.reason(port) is None
                port.set_state(OK if ok else BAD)
                any_ok = any_ok or ok
        if not any_ok and item is not self.anchor.node_item:
            item.setOpacity(DIMMED)

    def judge_more(self, budget: float = 0.008) -> bool:
        """Judge pending (off-screen) nodes for about ``budget`` seconds; True if some remain."""
        deadline = time.perf_counter() + budget
        while self.pending and time.perf_counter() < deadline:
            item = self.pending.pop()
            if item.scene() is self.scene:
                self._judge(item)
        return bool(self.pending)

    # mouse --------------------------------------------------------------------------
    def find_target(self, pos: QPointF) -> PortItem | None:
        """The port a release at ``pos`` would use: the nearest port within reach, else the
        nearest compatible port of the node under the cursor, else its nearest port."""
        r = SNAP_RADIUS
        near = [
            item
            for item in self.scene.items(QRectF(pos.x() - r, pos.y() - r, 2 * r, 2 * r))
            if isinstance(item, PortItem)
            and self.is_candidate(item)
            and _dist2(item.scenePos(), pos) <= r * r
        ]
        if near:
            closest = min(near, key=lambda p: _dist2(p.scenePos(), pos))
            if _dist2(closest.scenePos(), pos) <= PORT_HIT * PORT_HIT:
                return closest  # right on a port: that one, even if it cannot take the wire
            return min(near, key=lambda p: (self.reason(p) is not None, _dist2(p.scenePos(), pos)))
        node = self.scene._node_at(pos)
        if node is None or node is self.anchor.node_item:
            return None  # empty space, or back on the wire's own node: nothing to do
        side = node.inputs if self.wants_inputs else node.outputs
        ports = [p for p in side.values() if self.is_candidate(p)]
        if not ports:
            return None
        return min(ports, key=lambda p: (self.reason(p) is not None, _dist2(p.scenePos(), pos)))

    def move(self, pos: QPointF) -> None:
        target = self.find_target(pos)
        ok = target is not None and self.reason(target) is None
        if target is not self.target:
            if self.target is not None:
                self.target.set_hovered(False)
            self.target = target
            if target is not None:
                target.set_hovered(True)
        self.wire.set_end(target.scenePos() if ok else pos, snapped=ok)

    def finish(self, pos: QPointF) -> None:
        """Release: connect, refuse with the reason, re-route, or cancel."""
        scene = self.scene
        target = self.find_target(pos)
        detached = self.detached
        self.cleanup()
        if target is None:
            if detached is not None:
                scene.delete_requested.emit([], [detached])
            return
        if target is self.origin or target is self.anchor:
            return
        reason = self.reason(target)
        if reason is not None:
            scene.connection_refused.emit(_refusal(reason))
            return
        edge = self.edge_to(target)
        if edge == detached or edge in scene._edges:
            return  # dropped where it already was
        if detached is not None:  # re-routed: the old wire leaves its input (one step)
            scene.reroute_requested.emit(detached, edge.src, edge.src_port, edge.dst, edge.dst_port)
            return
        scene.connect_requested.emit(edge.src, edge.src_port, edge.dst, edge.dst_port)

    def cleanup(self) -> None:
        scene = self.scene
        self.pending = []
        if self.wire.scene() is not None:
            scene.removeItem(self.wire)
        if self.detached is not None and self.detached in scene._edges:
            scene._edges[self.detached].setVisible(True)
        for item in scene._nodes.values():
            if item.opacity() != 1.0:
                item.setOpacity(1.0)
            for port in item.ports():
                port.set_state(NORMAL)
                port.set_hovered(False)
        _repaint_views(scene)


def _split_on_screen(scene: QGraphicsScene, items: list) -> tuple[list, list]:
    """(items any view shows, the others); all are "shown" when no view shows the scene."""
    areas = [v.mapToScene(v.viewport().rect()).boundingRect() for v in scene.views()]
    if not areas:
        return items, []
    shown, hidden = [], []
    for item in items:
        rect = item.sceneBoundingRect()
        (shown if any(a.intersects(rect) for a in areas) else hidden).append(item)
    return shown, hidden


def _repaint_views(scene: QGraphicsScene) -> None:
    """Repaint the views whole: one plain rectangle paints faster than the hundreds of
    little port areas a wire drag lights up or puts out."""
    for view in scene.views():
        view.viewport().update()


def _dist2(a: QPointF, b: QPointF) -> float:
    d = a - b
    return d.x() * d.x() + d.y() * d.y()


def _refusal(reason: str) -> str:
    return f"Cannot connect: {reason}"
