"""The node canvas mirrors the document and turns mouse work into request signals."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import (
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QHelpEvent,
    QMouseEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QApplication, QToolTip

from core.model import Document, Edge
from core.model.inference import infer
from widgets import theme
from widgets.canvas import CanvasScene, CanvasView
from widgets.canvas.items import BAD, NORMAL, OK, SOURCE, NodeItem
from widgets.canvas.look import NODE_MIN_HEIGHT, NODE_WIDTH
from widgets.mime import KIND_MIME

LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def canvas(qtbot):
    """An empty document shown in a scene and a 900x600 view."""
    doc = Document()
    view = CanvasView()
    scene = CanvasScene(view)
    view.setScene(scene)
    scene.set_document(doc)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    yield SimpleNamespace(doc=doc, scene=scene, view=view)
    scene.set_document(None)


def chain(doc: Document) -> tuple[str, str, str]:
    """Input(1, 8, 8) -> Conv2d -> Output, laid out left to right."""
    a = doc.add_node("Input", params={"shape": [1, 8, 8]}, position=(0, 0)).id
    b = doc.add_node("Conv2d", params={"out_channels": 4}, position=(240, 0)).id
    c = doc.add_node("Output", position=(480, 0)).id
    doc.connect(a, b)
    doc.connect(b, c)
    return a, b, c


# -- view helpers: real events sent to the viewport ---------------------------------------
def vpos(view: CanvasView, scene_pos: QPointF) -> QPointF:
    return QPointF(view.mapFromScene(scene_pos))


def mouse(view, kind, scene_pos, button=LEFT, buttons=None, modifiers=NO_MOD):
    """Send one mouse event at a scene position to the viewport."""
    types = {
        "press": QEvent.Type.MouseButtonPress,
        "move": QEvent.Type.MouseMove,
        "release": QEvent.Type.MouseButtonRelease,
        "double": QEvent.Type.MouseButtonDblClick,
    }
    local = vpos(view, scene_pos)
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == "release" else button
    if kind == "move":
        button = Qt.MouseButton.NoButton
    glob = QPointF(view.viewport().mapToGlobal(local.toPoint()))
    event = QMouseEvent(types[kind], local, glob, button, buttons, modifiers)
    QApplication.sendEvent(view.viewport(), event)


def drag(view, points, button=LEFT, modifiers=NO_MOD):
    """Press at the first scene point, move through the others, release at the last."""
    mouse(view, "press", points[0], button, modifiers=modifiers)
    for p in points[1:]:
        mouse(view, "move", p, button, buttons=button, modifiers=modifiers)
    mouse(view, "release", points[-1], button, modifiers=modifiers)


def port_pos(scene, node_id, port, is_input):
    item = scene.item_for_node(node_id)
    return (item.inputs if is_input else item.outputs)[port].scenePos()


def show_all(view):
    view.reset_zoom()
    view.centerOn(view.scene().itemsBoundingRect().center())


# -- mirroring the document ---------------------------------------------------------------
def test_items_appear_and_disappear_with_document_events(canvas):
    doc, scene = canvas.doc, canvas.scene
    node = doc.add_node("Linear", params={"out_features": 8}, position=(40, 60))
    item = scene.item_for_node(node.id)
    assert isinstance(item, NodeItem) and item.scene() is scene
    assert (item.pos().x(), item.pos().y()) == (40, 60)
    doc.remove_node(node.id)
    assert scene.item_for_node(node.id) is None
    assert item.scene() is None


def test_rename_and_params_update_the_card(canvas):
    doc, scene = canvas.doc, canvas.scene
    nid = doc.add_node("Conv2d", params={"out_channels": 16, "kernel_size": 3}).id
    item = scene.item_for_node(nid)
    look = scene.look
    assert "out=16" in item._layout_texts(look)["keys"]
    doc.set_params(nid, out_channels=32, stride=2)
    texts = item._layout_texts(look)
    assert texts["keys"] == "out=32 \u00b7 k=3 \u00b7 s=2"
    doc.rename_node(nid, "encoder")
    assert item._layout_texts(look)["name"] == "encoder"
    assert "encoder" in item.toolTip()


def test_more_inputs_add_ports_and_grow_the_node(canvas):
    doc, scene = canvas.doc, canvas.scene
    nid = doc.add_node("Concat").id
    item = scene.item_for_node(nid)
    assert list(item.inputs) == ["in1", "in2"]
    assert item.height == NODE_MIN_HEIGHT
    doc.set_params(nid, inputs=5)
    assert list(item.inputs) == ["in1", "in2", "in3", "in4", "in5"]
    assert item.height > NODE_MIN_HEIGHT
    ys = [p.pos().y() for p in item.inputs.values()]
    assert ys == sorted(ys) and len(set(ys)) == 5
    assert all(0 < y < item.height for y in ys)
    assert all(p.label for p in item.inputs.values())  # several inputs are labelled


def test_wires_follow_connect_disconnect_and_moves(canvas):
    doc, scene = canvas.doc, canvas.scene
    a, b, c = chain(doc)
    edge = Edge(a, b)
    wire = scene.edge_item(edge)
    assert wire is not None and len(scene.edge_items()) == 2
    assert wire.path().pointAtPercent(0) == port_pos(scene, a, "out", False)
    assert scene.item_for_node(b).inputs["in"].connected
    doc.move_node(b, (300, 100))
    assert scene.item_for_node(b).pos() == QPointF(300, 100)
    assert wire.path().pointAtPercent(1) == port_pos(scene, b, "in", True)
    doc.disconnect(edge)
    assert scene.edge_item(edge) is None and wire.scene() is None
    assert not scene.item_for_node(b).inputs["in"].connected
    doc.remove_node(b)  # its other wire goes with it
    assert scene.edge_items() == []


def test_reset_rebuilds_and_set_document_none_clears(canvas):
    doc, scene = canvas.doc, canvas.scene
    chain(doc)
    other = Document()
    x = other.add_node("Input", position=(20, 20)).id
    doc.assign(other)
    assert [i.node_id for i in scene.node_items()] == [x]
    assert scene.edge_items() == []
    scene.set_document(None)
    assert scene.node_items() == [] and scene.document is None
    doc.add_node("Linear")  # no longer followed
    assert scene.node_items() == []


# -- inference ----------------------------------------------------------------------------
def test_inference_shows_shape_count_and_diagnostic_badges(canvas):
    doc, scene = canvas.doc, canvas.scene
    a = doc.add_node("Input", params={"shape": [16]}).id
    b = doc.add_node("Linear", params={"out_features": 128}).id
    out = doc.add_node("Output").id
    doc.connect(a, b)
    item, out_item = scene.item_for_node(b), scene.item_for_node(out)
    assert item._layout_texts(scene.look)["shape"] == "\u2192 ?"
    scene.set_inference(infer(doc))
    texts = item._layout_texts(scene.look)
    assert texts["shape"] == "\u2192 (128,)"
    assert texts["count"] == "2.2k params"  # 16 * 128 + 128
    assert "2,176 parameters" in item.toolTip()
    # the Linear leads to no Output (a warning); the Output's input is missing (an error)
    assert item.severity == "warning" and item.badge.isVisible()
    assert "does not lead to any Output" in item.badge.toolTip()
    assert out_item.severity == "error" and "not connected" in out_item.badge.toolTip()
    assert "Wire an output into it." in out_item.badge.toolTip()  # the hint
    assert out_item.inputs["in"].missing
    doc.connect(b, out)
    scene.set_inference(infer(doc))
    assert item.severity is None and not item.badge.isVisible()
    assert out_item.severity is None and not out_item.inputs["in"].missing


def test_a_shape_mismatch_turns_the_wires_red_until_fixed(canvas):
    doc, scene = canvas.doc, canvas.scene
    x = doc.add_node("Input", params={"shape": [8]}).id
    p = doc.add_node("Linear", params={"out_features": 4}).id
    q = doc.add_node("Linear", params={"out_features": 6}).id
    add = doc.add_node("Add").id
    out = doc.add_node("Output").id
    for src, dst, port in ((x, p, "in"), (x, q, "in"), (p, add, "in1"), (q, add, "in2")):
        doc.connect(src, dst, dst_port=port)
    doc.connect(add, out)
    scene.set_inference(infer(doc))
    node = scene.item_for_node(add)
    assert node.severity == "error" and node.badge.isVisible()
    assert "same shape" in node.badge.toolTip() or "shape" in node.badge.toolTip()
    red = scene.edge_item(Edge(p, add, "out", "in1"))
    assert red.problem and "Shape problem" in red.toolTip()
    assert scene.edge_item(Edge(x, p)).problem is None  # wires elsewhere stay calm
    doc.set_params(q, out_features=4)
    scene.set_inference(infer(doc))
    assert red.problem is None and "Shape problem" not in red.toolTip()
    assert node.severity is None and not node.badge.isVisible()


def test_set_inference_repaints_only_what_changed(canvas, monkeypatch):
    doc, scene = canvas.doc, canvas.scene
    a, b, c = chain(doc)
    scene.set_inference(infer(doc))
    changed = []
    original = NodeItem.set_inference

    def spy(self, info, diagnostics):
        result = original(self, info, diagnostics)
        if result:
            changed.append(self.node_id)
        return result

    monkeypatch.setattr(NodeItem, "set_inference", spy)
    scene.set_inference(infer(doc))
    assert changed == []
    doc.set_params(b, out_channels=8)
    scene.set_inference(infer(doc))
    assert changed == [b, c]  # the Conv2d and the Output it feeds: (8, 6, 6) now


def test_hovering_the_badge_shows_the_problem_and_the_hint(canvas):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    doc.add_node("Input", position=(0, 0))
    b = doc.add_node("Linear", position=(240, 0)).id
    scene.set_inference(infer(doc))
    show_all(view)
    local = view.mapFromScene(scene.item_for_node(b).badge.scenePos())
    event = QHelpEvent(QEvent.Type.ToolTip, local, view.viewport().mapToGlobal(local))
    QApplication.sendEvent(view.viewport(), event)
    assert QToolTip.isVisible()
    assert "its input is not connected" in QToolTip.text()
    assert "Wire an output into it." in QToolTip.text()
    QToolTip.hideText()


# -- drops --------------------------------------------------------------------------------
def _drop(view, mime: QMimeData, at: QPoint) -> tuple[bool, bool]:
    actions = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(at, actions, mime, LEFT, NO_MOD)
    QApplication.sendEvent(view.viewport(), enter)
    move = QDragMoveEvent(at, actions, mime, LEFT, NO_MOD)
    QApplication.sendEvent(view.viewport(), move)
    drop = QDropEvent(QPointF(at), actions, mime, LEFT, NO_MOD)
    QApplication.sendEvent(view.viewport(), drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_kind_reports_the_snapped_scene_position(canvas, qtbot):
    view, scene = canvas.view, canvas.scene
    mime = QMimeData()
    mime.setData(KIND_MIME, b"Conv2d")
    at = QPoint(333, 217)
    expected = view.mapToScene(at)
    with qtbot.waitSignal(scene.kind_dropped) as blocker:
        accepted = _drop(view, mime, at)
    assert accepted == (True, True)
    kind, (x, y) = blocker.args
    assert kind == "Conv2d"
    assert (x, y) == scene.snap(expected.x(), expected.y())
    assert x % scene.grid_size == 0 and y % scene.grid_size == 0
    assert abs(x - expected.x()) <= scene.grid_size / 2
    scene.snap_to_grid = False
    with qtbot.waitSignal(scene.kind_dropped) as blocker:
        _drop(view, mime, at)
    assert blocker.args[1] == (expected.x(), expected.y())


def test_unknown_kinds_are_refused_and_project_files_reported(canvas, qtbot, tmp_path):
    view, scene = canvas.view, canvas.scene
    bad = QMimeData()
    bad.setData(KIND_MIME, b"NoSuchLayer")
    with qtbot.assertNotEmitted(scene.kind_dropped):
        assert _drop(view, bad, QPoint(100, 100)) == (False, False)
    files = QMimeData()
    path = tmp_path / "net.ember.json"
    files.setUrls([QUrl.fromLocalFile(str(path)), QUrl.fromLocalFile(str(tmp_path / "a.txt"))])
    with qtbot.waitSignal(view.files_dropped) as blocker:
        _drop(view, files, QPoint(100, 100))
    assert blocker.args == [[str(path)]]


# -- live wires ---------------------------------------------------------------------------
def test_dragging_an_output_onto_an_input_requests_the_connection(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", params={"shape": [4]}, position=(0, 0)).id
    b = doc.add_node("Linear", position=(240, 0)).id
    c = doc.add_node("Linear", position=(240, 140)).id
    show_all(view)
    start, end = port_pos(scene, a, "out", False), port_pos(scene, b, "in", True)
    mouse(view, "press", start)
    mouse(view, "move", (start + end) / 2, buttons=LEFT)
    assert scene.is_dragging_wire()
    states = {
        (p.node_id, p.name, p.is_input): p.state for i in scene.node_items() for p in i.ports()
    }
    assert states[(a, "out", False)] == SOURCE
    assert states[(b, "in", True)] == OK and states[(c, "in", True)] == OK
    assert states[(b, "out", False)] == BAD  # an output cannot take the wire
    with qtbot.waitSignal(scene.connect_requested) as blocker:
        mouse(view, "move", end + QPointF(6, 5), buttons=LEFT)  # near is close enough
        mouse(view, "release", end + QPointF(6, 5))
    assert blocker.args == [a, "out", b, "in"]
    assert not scene.is_dragging_wire()
    assert all(p.state == NORMAL for i in scene.node_items() for p in i.ports())
    assert doc.edges == []  # the scene only asks


def test_an_impossible_connection_is_refused_with_the_documents_reason(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    d = doc.add_node("Linear", position=(240, 160)).id
    doc.connect(b, d)
    show_all(view)
    # d.out -> b.in would replace the Input's wire but close the loop b -> d -> b
    start, end = port_pos(scene, d, "out", False), port_pos(scene, b, "in", True)
    mouse(view, "press", start)
    mouse(view, "move", end, buttons=LEFT)
    target = scene.item_for_node(b).inputs["in"]
    assert target.state == BAD
    with qtbot.waitSignal(scene.connection_refused) as blocker:
        mouse(view, "release", end)
    reason = blocker.args[0]
    assert "cycle" in reason
    assert target.state == NORMAL


def test_output_to_output_is_refused_and_empty_space_cancels(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", position=(0, 0)).id
    b = doc.add_node("Linear", position=(240, 0)).id
    show_all(view)
    start = port_pos(scene, a, "out", False)
    with qtbot.waitSignal(scene.connection_refused) as blocker:
        drag(view, [start, port_pos(scene, b, "out", False)])
    assert "input" in blocker.args[0]
    with (
        qtbot.assertNotEmitted(scene.connect_requested),
        qtbot.assertNotEmitted(scene.connection_refused),
        qtbot.assertNotEmitted(scene.delete_requested),
    ):
        drag(view, [start, start + QPointF(60, 200)])
    assert not scene.is_dragging_wire()


def test_dragging_back_from_a_free_input_finds_outputs(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", position=(0, 0)).id
    b = doc.add_node("Linear", position=(240, 0)).id
    show_all(view)
    start, end = port_pos(scene, b, "in", True), port_pos(scene, a, "out", False)
    with qtbot.waitSignal(scene.connect_requested) as blocker:
        drag(view, [start, (start + end) / 2, end])
    assert blocker.args == [a, "out", b, "in"]


def test_dragging_a_connected_input_detaches_the_wire(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    show_all(view)
    edge = Edge(b, c)
    start = port_pos(scene, c, "in", True)
    mouse(view, "press", start)
    mouse(view, "move", start + QPointF(-40, 120), buttons=LEFT)
    assert not scene.edge_item(edge).isVisible()  # lifted off its input
    with qtbot.waitSignal(scene.delete_requested) as blocker:
        mouse(view, "release", start + QPointF(-40, 120))
    assert blocker.args == [[], [edge]]
    assert scene.edge_item(edge).isVisible()  # until the app removes it


def reroute_in_the_document(doc: Document):
    """A stand-in for the app: a re-route request moves the wire in the document."""

    def reroute(old, src, src_port, dst, dst_port):
        doc.disconnect(old)
        taken = doc.edge_into(dst, dst_port)
        if taken is not None:
            doc.disconnect(taken)
        doc.connect(src, dst, src_port, dst_port)

    return reroute


def test_dropping_a_detached_wire_on_another_input_requests_one_reroute(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    d = doc.add_node("Output", position=(480, 160)).id
    show_all(view)
    edge = Edge(b, c)
    scene.reroute_requested.connect(reroute_in_the_document(doc))
    start = port_pos(scene, c, "in", True)
    with (
        qtbot.waitSignal(scene.reroute_requested) as blocker,
        qtbot.assertNotEmitted(scene.connect_requested),
        qtbot.assertNotEmitted(scene.delete_requested),
    ):
        drag(view, [start, start + QPointF(-20, 80), port_pos(scene, d, "in", True)])
    assert blocker.args == [edge, b, "out", d, "in"]
    assert doc.edges == [Edge(a, b), Edge(b, d)]
    assert scene.edge_item(edge) is None and scene.edge_item(Edge(b, d)).isVisible()
    assert not scene.is_dragging_wire()


def test_a_detached_wire_dropped_on_a_taken_input_asks_to_reroute_onto_it(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", params={"shape": [4]}, position=(0, 0)).id
    a2 = doc.add_node("Input", params={"shape": [4]}, position=(0, 200)).id
    fc = doc.add_node("Linear", position=(240, 0)).id
    fc2 = doc.add_node("Linear", position=(240, 200)).id
    doc.connect(a, fc)
    doc.connect(a2, fc2)
    show_all(view)
    start = port_pos(scene, fc, "in", True)
    mouse(view, "press", start)
    end = port_pos(scene, fc2, "in", True)
    mouse(view, "move", end, buttons=LEFT)
    assert scene.item_for_node(fc2).inputs["in"].state == OK  # taken, but replaceable
    with (
        qtbot.waitSignal(scene.reroute_requested) as blocker,
        qtbot.assertNotEmitted(scene.connect_requested),
    ):
        mouse(view, "release", end)
    assert blocker.args == [Edge(a, fc), a, "out", fc2, "in"]
    assert doc.edges == [Edge(a, fc), Edge(a2, fc2)]  # the scene only asks
    assert scene.edge_item(Edge(a, fc)).isVisible()


def test_a_detached_wire_dropped_where_it_would_loop_is_refused(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", params={"shape": [4]}, position=(0, 0)).id
    fc = doc.add_node("Linear", position=(240, 0)).id
    relu = doc.add_node("ReLU", position=(480, 0)).id
    tail = doc.add_node("ReLU", position=(720, 0)).id
    for src, dst in ((a, fc), (fc, relu), (relu, tail)):
        doc.connect(src, dst)
    show_all(view)
    # relu -> tail comes off tail; relu's output into Linear (upstream of relu) would loop
    edge = Edge(relu, tail)
    start, end = port_pos(scene, tail, "in", True), port_pos(scene, fc, "in", True)
    with (
        qtbot.waitSignal(scene.connection_refused) as blocker,
        qtbot.assertNotEmitted(scene.reroute_requested),
    ):
        drag(view, [start, start + QPointF(-20, 60), end])
    assert "cycle" in blocker.args[0]
    assert scene.edge_item(edge).isVisible()
    assert doc.edges == [Edge(a, fc), Edge(fc, relu), edge]


def test_starting_a_wire_walks_the_graph_once(canvas, qtbot, monkeypatch):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    src = doc.add_node("Input", params={"shape": [4]}, position=(0, 0)).id
    ids = [src]
    for i in range(12):
        ids.append(doc.add_node("ReLU", position=(200 * (i + 1), 0)).id)
        doc.connect(ids[-2], ids[-1])
    view.zoom_fit()
    calls = {"reaches": 0, "walks": 0}
    reaches, ancestors = Document._reaches, Document.ancestors

    def count(key, method):
        def counted(self, *args):
            calls[key] += 1
            return method(self, *args)

        return counted

    monkeypatch.setattr(Document, "_reaches", count("reaches", reaches))
    monkeypatch.setattr(Document, "ancestors", count("walks", ancestors))
    middle = ids[6]
    start = port_pos(scene, middle, "out", False)
    mouse(view, "press", start)
    mouse(view, "move", start + QPointF(30, 90), buttons=LEFT)
    ports = [p for i in scene.node_items() for p in i.ports() if p.is_input]
    qtbot.waitUntil(lambda: all(p.state != NORMAL for p in ports))  # off-screen ones too
    states = {p.node_id: p.state for p in ports}
    # the nodes before it would close a loop, the ones after it can take the wire
    assert [states[n] for n in ids[1:7]] == [BAD] * 6
    assert [states[n] for n in ids[8:]] == [OK] * 5
    assert calls == {"reaches": 0, "walks": 1}
    mouse(view, "release", start + QPointF(30, 90))


# -- selection and moving -----------------------------------------------------------------
def test_dragging_nodes_requests_one_move_with_snapped_positions(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    show_all(view)
    scene.select_ids([a, b])
    grab = scene.item_for_node(b).pos() + QPointF(NODE_WIDTH / 2, 24)
    moves = []
    scene.move_requested.connect(moves.append)
    mouse(view, "press", grab)
    for step in (QPointF(10, 7), QPointF(25, 17), QPointF(37, 23)):
        mouse(view, "move", grab + step, buttons=LEFT)
    wire = scene.edge_item(Edge(b, c))
    assert scene.item_for_node(b).pos() == QPointF(280, 20)  # on the grid while dragged
    assert wire.path().pointAtPercent(0) == port_pos(scene, b, "out", False)
    assert moves == []  # nothing asked until the button is released
    mouse(view, "release", grab + QPointF(37, 23))
    assert len(moves) == 1
    assert moves[0] == {a: (40.0, 20.0), b: (280.0, 20.0)}
    # the scene only asks: with no app making the move, the nodes go back where they are
    assert doc.node(a).position == (0, 0)
    assert scene.item_for_node(b).pos() == QPointF(240, 0)
    assert wire.path().pointAtPercent(0) == port_pos(scene, b, "out", False)

    scene.move_requested.connect(doc.move_nodes)  # what the app does (one undo step)
    drag(view, [grab, grab + QPointF(20, 15), grab + QPointF(37, 23)])
    assert len(moves) == 2 and doc.node(b).position == (280.0, 20.0)
    assert scene.item_for_node(b).pos() == QPointF(280, 20)
    doc.move_nodes({a: (0, 0), b: (240, 0)})  # its undo moves the items back
    assert scene.item_for_node(b).pos() == QPointF(240, 0)


def test_a_click_without_a_move_requests_nothing(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, _, _ = chain(doc)
    show_all(view)
    with qtbot.assertNotEmitted(scene.move_requested):
        with qtbot.waitSignal(scene.selection_ids_changed) as blocker:
            p = scene.item_for_node(a).pos() + QPointF(40, 50)
            mouse(view, "press", p)
            mouse(view, "release", p)
    assert blocker.args == [[a]]


def test_rubber_band_selects_the_nodes_it_touches(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    show_all(view)
    seen = []
    scene.selection_ids_changed.connect(seen.append)
    start = QPointF(-30, -40)
    drag(view, [start, QPointF(100, 20), QPointF(300, 60)])
    assert seen and seen[-1] == [a, b]
    assert scene.selected_ids() == [a, b]
    assert scene.selected_edges() == [Edge(a, b)]  # wholly inside the band
    assert Edge(b, c) not in scene.selected_edges()


def test_select_ids_and_selected_edges(canvas, qtbot):
    doc, scene = canvas.doc, canvas.scene
    a, b, c = chain(doc)
    with qtbot.waitSignal(scene.selection_ids_changed) as blocker:
        scene.select_ids([c, a, "missing"], ensure_visible=True)
    assert blocker.args == [[a, c]]
    assert scene.selected_ids() == [a, c]
    scene.clearSelection()
    scene.edge_item(Edge(b, c)).setSelected(True)
    assert scene.selected_edges() == [Edge(b, c)] and scene.selected_ids() == []


def test_double_click_activates_a_node(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, _, _ = chain(doc)
    show_all(view)
    with qtbot.waitSignal(scene.node_activated) as blocker:
        mouse(view, "double", scene.item_for_node(a).pos() + QPointF(60, 50))
    assert blocker.args == [a]


def _context_menu(view, scene_pos):
    local = view.mapFromScene(scene_pos)
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, local, view.viewport().mapToGlobal(local), NO_MOD
    )
    QApplication.sendEvent(view.viewport(), event)


def test_context_menus_for_node_edge_and_background(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, c = chain(doc)
    show_all(view)
    scene.select_ids([a])
    with qtbot.waitSignal(scene.context_menu_requested) as blocker:
        _context_menu(view, scene.item_for_node(b).pos() + QPointF(60, 50))
    kind, target, where = blocker.args
    assert (kind, target) == ("node", b) and isinstance(where, QPoint)
    assert scene.selected_ids() == [b]  # the node under the cursor is selected first
    wire = scene.edge_item(Edge(b, c))
    with qtbot.waitSignal(scene.context_menu_requested) as blocker:
        _context_menu(view, wire.path().pointAtPercent(0.5))
    assert blocker.args[:2] == ["edge", Edge(b, c)]
    assert scene.selected_edges() == [Edge(b, c)]
    with qtbot.waitSignal(scene.context_menu_requested) as blocker:
        _context_menu(view, QPointF(200, 400))
    assert blocker.args[:2] == ["background", None]


# -- zoom and pan -------------------------------------------------------------------------
def test_zoom_in_out_reset_and_limits(canvas):
    view = canvas.view
    assert view.zoom() == pytest.approx(1.0)
    view.zoom_in()
    assert view.zoom() == pytest.approx(1.25)
    view.zoom_out()
    view.zoom_out()
    assert view.zoom() == pytest.approx(0.8)
    for _ in range(30):
        view.zoom_in()
    assert view.zoom() == pytest.approx(4.0)
    for _ in range(40):
        view.zoom_out()
    assert view.zoom() == pytest.approx(0.1)
    view.reset_zoom()
    assert view.zoom() == pytest.approx(1.0)


def test_zoom_fit_shows_every_node(canvas):
    doc, view = canvas.doc, canvas.view
    view.zoom_fit()  # empty: back to 100 %
    assert view.zoom() == pytest.approx(1.0)
    for i in range(12):
        doc.add_node("Linear", position=(i * 240, (i % 3) * 140))
    view.set_zoom(3.0)
    view.zoom_fit()
    assert view.zoom() < 1.0
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(view.scene().itemsBoundingRect())


def test_wheel_zooms_around_the_cursor(canvas):
    doc, view = canvas.doc, canvas.view
    chain(doc)
    show_all(view)
    at = QPointF(200, 150)
    fixed = view.mapToScene(at.toPoint())
    for modifiers, direction in ((NO_MOD, 120), (Qt.KeyboardModifier.ControlModifier, -240)):
        before = view.zoom()
        glob = QPointF(view.viewport().mapToGlobal(at.toPoint()))
        event = QWheelEvent(
            at,
            glob,
            QPoint(),
            QPoint(0, direction),
            Qt.MouseButton.NoButton,
            modifiers,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(view.viewport(), event)
        assert (view.zoom() > before) == (direction > 0)
        assert view.zoom() != pytest.approx(before)
        after = view.mapToScene(at.toPoint())
        assert abs(after.x() - fixed.x()) <= 2 / view.zoom() + 1
        assert abs(after.y() - fixed.y()) <= 2 / view.zoom() + 1


def test_middle_button_and_space_drag_pan(canvas, qtbot):
    doc, view = canvas.doc, canvas.view
    chain(doc)
    show_all(view)
    h, v = view.horizontalScrollBar(), view.verticalScrollBar()
    before = (h.value(), v.value())
    p = QPointF(400, 300)
    for kind in ("press", "move", "release"):
        mouse_at = p if kind == "press" else p + QPointF(-50, -30)
        local = QMouseEvent(
            {
                "press": QEvent.Type.MouseButtonPress,
                "move": QEvent.Type.MouseMove,
                "release": QEvent.Type.MouseButtonRelease,
            }[kind],
            mouse_at,
            QPointF(view.viewport().mapToGlobal(mouse_at.toPoint())),
            Qt.MouseButton.NoButton if kind == "move" else Qt.MouseButton.MiddleButton,
            Qt.MouseButton.NoButton if kind == "release" else Qt.MouseButton.MiddleButton,
            NO_MOD,
        )
        QApplication.sendEvent(view.viewport(), local)
    assert (h.value(), v.value()) == (before[0] + 50, before[1] + 30)

    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    start = view.mapToScene(QPoint(300, 300))
    with qtbot.assertNotEmitted(canvas.scene.selection_ids_changed):
        drag(view, [start, start + QPointF(40, 0)])
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert h.value() == before[0] + 50 - 40


# -- look ---------------------------------------------------------------------------------
def test_grid_can_be_hidden(canvas):
    view = canvas.view
    view.reset_zoom()
    view.centerOn(0, 0)
    major = canvas.scene.grid_size * 5
    with_grid = view.grab().toImage()
    view.set_grid_visible(False)
    assert not view.grid_visible()
    without = view.grab().toImage()
    assert with_grid != without
    spot = view.mapFromScene(QPointF(major * 2, major * 2 + 7))
    assert without.pixelColor(spot) == theme.colors().canvas_bg


def test_theme_change_reapplies_colours(canvas):
    scene, view = canvas.scene, canvas.view
    app = QApplication.instance()
    light = theme.colors()
    try:
        theme.apply_theme(app, "dark")
        dark = theme.colors()
        assert dark.canvas_bg != light.canvas_bg
        assert scene.look.colors is dark
        assert scene.backgroundBrush().color() == dark.canvas_bg
        view.set_grid_visible(False)
        corner = view.grab().toImage().pixelColor(5, 5)
        assert corner == dark.canvas_bg
    finally:
        theme.apply_theme(app, "light")
    assert scene.look.colors.canvas_bg == light.canvas_bg


def test_the_whole_card_fits_its_node(canvas):
    doc, scene = canvas.doc, canvas.scene
    nid = doc.add_node("Linear", name="A very long layer name that cannot fit on a card").id
    item = scene.item_for_node(nid)
    texts = item._layout_texts(scene.look)
    assert texts["name"].endswith("\u2026")
    assert scene.look.name_metrics.horizontalAdvance(texts["name"]) < NODE_WIDTH


def test_escape_or_a_drop_back_on_the_own_node_cancels_a_wire(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", position=(0, 0)).id
    b = doc.add_node("Linear", position=(240, 0)).id
    show_all(view)
    start = port_pos(scene, b, "out", False)
    with (
        qtbot.assertNotEmitted(scene.connect_requested),
        qtbot.assertNotEmitted(scene.connection_refused),
    ):
        mouse(view, "press", start)
        mouse(view, "move", start + QPointF(80, 40), buttons=LEFT)
        assert scene.is_dragging_wire()
        view.setFocus()
        qtbot.keyClick(view, Qt.Key.Key_Escape)
        assert not scene.is_dragging_wire()
        assert all(p.state == NORMAL for p in scene.item_for_node(a).ports())
        mouse(view, "release", start + QPointF(80, 40))
        own_card = scene.item_for_node(b).pos() + QPointF(80, 20)
        drag(view, [start, start + QPointF(-40, 10), own_card])
    assert not scene.is_dragging_wire()


def test_the_right_button_neither_selects_nor_draws_a_band(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a, b, _ = chain(doc)
    show_all(view)
    scene.select_ids([a])
    right = Qt.MouseButton.RightButton
    with qtbot.assertNotEmitted(scene.selection_ids_changed):
        drag(view, [QPointF(100, 300), QPointF(300, 100), QPointF(400, -50)], button=right)
    assert scene.selected_ids() == [a]


def test_ports_off_screen_are_judged_right_after_the_press(canvas, qtbot):
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", position=(0, 0)).id
    far = doc.add_node("Linear", position=(6000, 3000)).id
    show_all_but = scene.item_for_node(a).sceneBoundingRect().center()
    view.reset_zoom()
    view.centerOn(show_all_but)
    port = scene.item_for_node(far).inputs["in"]
    start = port_pos(scene, a, "out", False)
    mouse(view, "press", start)
    assert port.state == NORMAL  # not on screen: not judged yet
    qtbot.waitUntil(lambda: port.state == OK)
    mouse(view, "release", start + QPointF(0, 200))
    assert port.state == NORMAL


def test_the_port_under_the_cursor_wins_over_a_compatible_neighbour(canvas, qtbot):
    # Linear's output sits 10 px left of Output's free input: dropping ON the output is
    # refused (wrong side), not turned into a wire into the neighbouring input
    doc, scene, view = canvas.doc, canvas.scene, canvas.view
    a = doc.add_node("Input", position=(0, 200)).id
    b = doc.add_node("Linear", position=(0, 0)).id
    out = doc.add_node("Output", position=(NODE_WIDTH + 10, 0)).id
    show_all(view)
    assert (
        port_pos(scene, out, "in", True) - port_pos(scene, b, "out", False)
    ).manhattanLength() < 22
    with (
        qtbot.assertNotEmitted(scene.connect_requested),
        qtbot.waitSignal(scene.connection_refused) as blocker,
    ):
        drag(view, [port_pos(scene, a, "out", False), port_pos(scene, b, "out", False)])
    assert "input" in blocker.args[0]
