"""GraphView: the computation graph of a real recorded training step, in boxes per canvas
node; clicking maps back to canvas nodes, colours change without a new layout."""

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.graph import Recorder
from core.model import load
from core.train import Callback, TrainControl, document_trainer
from widgets import theme
from widgets.graph_view import EMPTY_HINT, LOSS_GROUP, GraphView, GroupItem

EXAMPLE = "resources/examples/mlp_spirals.ember.json"


class _FirstGraph(Callback):
    """Keeps the first recorded graph and stops the run."""

    def __init__(self, control: TrainControl) -> None:
        self.control = control
        self.recorder = None

    def on_graph(self, step, recorder) -> None:
        self.recorder = recorder
        self.control.stop()


def _document():
    """The spirals MLP with a self-attention node spliced in after its first ReLU (a node
    that runs many ops, next to nodes that run one)."""
    doc = load(EXAMPLE)
    (edge,) = [e for e in doc.edges if e.src == "relu1"]
    doc.disconnect(edge)
    src = "relu1"
    for kind, params in (
        ("Reshape", {"shape": [8, 8]}),
        ("MultiheadAttention", {"num_heads": 2}),
        ("Flatten", {}),
    ):
        nid = doc.add_node(kind, params=params).id
        doc.connect(src, nid)
        src = nid
    doc.connect(src, edge.dst, dst_port=edge.dst_port)
    return doc


@pytest.fixture(scope="module")
def step():
    """One real training step, recorded as the trainer records it (forward, loss,
    backward, times): (recorder, node_of, node names, node kinds)."""
    doc = _document()
    control = TrainControl()
    grab = _FirstGraph(control)
    trainer = document_trainer(doc, callbacks=[grab], control=control)
    trainer.run(epochs=1)
    rec = grab.recorder
    assert rec is not None
    model = trainer.model
    node_of = {n.scope: model.node_of_scope(n.scope) for n in rec.nodes}
    kinds = {nid: n.kind for nid, n in doc.nodes.items()}
    return rec, node_of, model.node_names, kinds


@pytest.fixture
def view(qtbot, step):
    v = GraphView()
    qtbot.addWidget(v)
    v.resize(1000, 500)
    v.show()
    v.set_graph(*step)
    return v


def _attention_id(step) -> str:
    _, _, _, kinds = step
    return next(nid for nid, kind in kinds.items() if kind == "MultiheadAttention")


def _click(v: GraphView, scene_pos: QPointF, double: bool = False) -> None:
    v.view.centerOn(scene_pos)
    pos = v.view.mapFromScene(scene_pos)
    QTest.mouseClick(v.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    if double:
        QTest.mouseDClick(v.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _header_point(item: GroupItem) -> QPointF:
    """A point on the header's title, away from the +/- glyph."""
    return item.mapToScene(QPointF(item.glyph_rect().right() + 20, item.glyph_rect().center().y()))


def test_before_the_first_step_a_hint_is_shown(qtbot):
    v = GraphView()
    qtbot.addWidget(v)
    assert v._stack.currentWidget() is v.hint and v.hint.text() == EMPTY_HINT
    v.set_graph(Recorder(), {}, {})
    assert v._stack.currentWidget() is v.hint
    assert not v.op_items and not v.group_items


def test_every_op_is_shown_in_the_box_of_the_canvas_node_that_ran_it(view, step):
    rec, node_of, names, _ = step
    forward = [n for n in rec.nodes if n.kind == "op"]
    assert {i for i, item in view.op_items.items() if item.node.kind == "op"} == {
        n.id for n in forward
    }
    for n in forward:
        expected = node_of[n.scope] or LOSS_GROUP
        assert view.op_items[n.id].group == expected
    attention = _attention_id(step)
    assert sum(1 for n in forward if node_of[n.scope] == attention) > 5
    # one box per node that ran ops, plus the loss outside the model
    assert set(view.group_items) == {node_of[n.scope] or LOSS_GROUP for n in forward}
    assert view.group_items[attention].title == names[attention]
    assert "MultiheadAttention" in view.group_items[attention].subtitle
    assert view._stack.currentWidget() is view.view


def test_op_items_show_name_and_output_shape_and_tell_more_in_the_tooltip(view, step):
    rec, node_of, names, _ = step
    linear = next(n for n in rec.nodes if n.kind == "op" and n.op == "Linear")
    item = view.op_items[linear.id]
    assert item.label == "Linear"
    assert item.shape_label == "×".join(map(str, linear.shape))
    tip = item.toolTip()
    for text in (linear.op, linear.scope, names[node_of[linear.scope]], linear.dtype, "ms"):
        assert text in tip


def test_backward_ops_and_parameters_are_hidden_until_asked_for(view, step):
    rec = step[0]
    kinds = {item.node.kind for item in view.op_items.values()}
    assert kinds == {"op", "input"}
    view.set_show_backward(True)
    view.set_show_parameters(True)
    kinds = {item.node.kind for item in view.op_items.values()}
    assert kinds == {"op", "input", "parameter", "backward"}
    assert len(view.op_items) == len(rec.nodes)


def test_clicking_an_op_selects_its_canvas_node(view, step, qtbot):
    rec, node_of, _, _ = step
    attention = _attention_id(step)
    op = next(n for n in rec.nodes if n.kind == "op" and node_of[n.scope] == attention)
    item = view.op_items[op.id]
    with qtbot.waitSignal(view.nodes_selected) as blocker:
        _click(view, item.sceneBoundingRect().center())
    assert blocker.args == [[attention]]
    assert item.highlighted and view.group_items[attention].highlighted


def test_clicking_a_box_header_selects_its_node_and_a_double_click_collapses_it(view, step, qtbot):
    attention = _attention_id(step)
    box = view.group_items[attention]
    with qtbot.waitSignal(view.nodes_selected) as blocker:
        _click(view, _header_point(box))
    assert blocker.args == [[attention]]
    _click(view, _header_point(box), double=True)
    assert not view.is_expanded(attention)
    card = view.group_items[attention]
    assert card.collapsed
    assert all(item.group != attention for item in view.op_items.values())
    # the glyph opens it again
    _click(view, card.mapToScene(card.glyph_rect().center()))
    assert view.is_expanded(attention) and not view.group_items[attention].collapsed


def test_select_nodes_highlights_without_emitting(view, step, qtbot):
    attention = _attention_id(step)
    with qtbot.assertNotEmitted(view.nodes_selected):
        view.select_nodes([attention])
    assert view.group_items[attention].highlighted
    assert all(item.highlighted == (item.group == attention) for item in view.op_items.values())
    view.select_nodes([])
    assert not any(item.highlighted for item in view.op_items.values())


def test_expand_and_collapse_all_and_a_new_recording_keeps_what_was_open(view, step):
    attention = _attention_id(step)
    view.set_all_expanded(False)
    assert all(g.collapsed for g in view.group_items.values())
    assert all(item.group is None for item in view.op_items.values())  # graph inputs only
    view.set_expanded(attention, True)
    view.set_graph(*step)  # the same graph recorded again
    assert not view.group_items[attention].collapsed
    assert sum(not g.collapsed for g in view.group_items.values()) == 1


def test_colouring_changes_fills_but_not_the_layout(view, step):
    rec, node_of, _, _ = step
    layout = view.layout_result
    positions = {i: item.pos() for i, item in view.op_items.items()}
    assert all(item.fill is None for item in view.op_items.values())
    view.set_colour_mode("time")
    assert view.colour_box.currentData() == "time"
    ops = [item for item in view.op_items.values() if item.node.kind == "op"]
    assert all(item.fill is not None for item in ops)
    slowest = max(ops, key=lambda i: i.node.time)
    fastest = min(ops, key=lambda i: i.node.time)
    assert slowest.fill != fastest.fill
    assert view.view.legend.isVisible() and "ms" in view.view.legend.high
    attention = _attention_id(step)
    view.set_colour_mode("grad")
    view.set_node_values({attention: 10.0, "hidden1": 0.01})
    fills = {item.group: item.fill for item in view.op_items.values()}
    assert fills[attention] != fills["hidden1"]
    view.set_node_values({attention: 0.01, "hidden1": 10.0})
    assert view.op_items[slowest.node.id].fill is not None
    assert {item.group: item.fill for item in view.op_items.values()}[attention] == fills["hidden1"]
    assert view.layout_result is layout
    assert {i: item.pos() for i, item in view.op_items.items()} == positions
    view.set_colour_mode("none")
    assert all(item.fill is None for item in view.op_items.values())
    assert not view.view.legend.isVisible()


def test_a_collapsed_box_is_coloured_by_the_sum_of_its_op_times(view, step):
    rec, node_of, _, _ = step
    view.set_all_expanded(False)
    view.set_colour_mode("time")
    attention = _attention_id(step)
    total = sum(n.time for n in rec.nodes if n.kind == "op" and node_of[n.scope] == attention)
    assert view._value_of_group(view.group_items[attention]) == pytest.approx(total)
    assert view.group_items[attention].fill is not None


def test_the_view_follows_the_theme(view):
    app = QApplication.instance()
    try:
        theme.apply_theme(app, "dark")
        dark = theme.colors()
        assert view.view.backgroundBrush().color() == dark.canvas_bg
        assert all(item.style.colors is dark for item in view.op_items.values())
        view.grab()  # paints with the dark colours
    finally:
        theme.apply_theme(app, "light")
    assert view.view.backgroundBrush().color() == theme.colors().canvas_bg
