"""Undo commands: every kind is undone and redone (twice) with the document checked after
each step (nodes, parameters, positions, names, edges and their order); merges; macros."""

import pytest
from PySide6.QtGui import QUndoStack

from app.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MacroCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveCommand,
    RenameNodeCommand,
    SetParamsCommand,
    UpdateSettingsCommand,
)
from core.model import Document, DocumentError, Edge


def residual() -> Document:
    """x -> fc1 -> relu -> add.in1; x -> add.in2; add -> y."""
    doc = Document()
    doc.add_node("Input", params={"shape": [8]}, id="x", position=(0, 0))
    doc.add_node("Linear", params={"out_features": 8}, id="fc1", position=(200, 0))
    doc.add_node("ReLU", id="relu", position=(400, 0))
    doc.add_node("Add", id="add", position=(600, 0))
    doc.add_node("Output", id="y", position=(800, 0))
    doc.connect("x", "fc1")
    doc.connect("fc1", "relu")
    doc.connect("relu", "add", dst_port="in1")
    doc.connect("x", "add", dst_port="in2")
    doc.connect("add", "y")
    return doc


def snapshot(doc: Document):
    """Everything an edit can change, in order."""
    nodes = [(n.id, n.kind, n.name, dict(n.params), n.position) for n in doc]
    return nodes, doc.edges, doc.dataset, doc.training, doc.meta, doc.ui


@pytest.fixture
def stack(qapp):
    return QUndoStack()


def round_trip(stack: QUndoStack, doc: Document, command) -> tuple:
    """Push ``command``; undo and redo it twice, checking the document each time."""
    before = snapshot(doc)
    stack.push(command)
    after = snapshot(doc)
    assert after != before
    for _ in range(2):
        stack.undo()
        assert snapshot(doc) == before
        stack.redo()
        assert snapshot(doc) == after
    return before, after


# -- nodes -----------------------------------------------------------------------------
def test_add_node_redo_keeps_the_id_name_and_place(stack):
    doc = residual()
    cmd = AddNodeCommand(doc, "Linear", params={"out_features": 3}, position=(10, 20))
    round_trip(stack, doc, cmd)
    node = doc.node("linear1")
    assert (node.name, node.params["out_features"], node.position) == ("Linear 2", 3, (10, 20))
    assert list(doc.nodes)[-1] == "linear1"
    assert cmd.text() == "Add Linear 2"


def test_add_node_refused_raises_and_changes_nothing(stack):
    doc = residual()
    before = snapshot(doc)
    with pytest.raises(DocumentError, match="out_features"):
        AddNodeCommand(doc, "Linear", params={"out_features": -1}).apply()
    assert snapshot(doc) == before


def test_remove_restores_nodes_wires_and_their_order(stack):
    doc = residual()
    cmd = RemoveCommand(doc, ["fc1"], [Edge("x", "add", "out", "in2")])
    _, after = round_trip(stack, doc, cmd)
    assert "fc1" not in doc
    assert doc.edges == [Edge("relu", "add", "out", "in1"), Edge("add", "y")]
    assert cmd.text() == "Delete Linear 1 and 1 wire"


def test_remove_several_nodes_and_wires_only(stack):
    doc = residual()
    cmd = RemoveCommand(doc, ["relu", "x"])
    round_trip(stack, doc, cmd)
    assert list(doc.nodes) == ["fc1", "add", "y"]
    assert cmd.text() == "Delete 2 nodes"
    wires = RemoveCommand(doc, [], [Edge("add", "y")])
    round_trip(stack, doc, wires)
    assert wires.text() == "Delete wire Add 1 → Output 1"


def test_remove_of_a_missing_wire_is_refused_before_any_change():
    doc = residual()
    before = snapshot(doc)
    with pytest.raises(DocumentError, match="no wire"):
        RemoveCommand(doc, ["fc1"], [Edge("y", "x")]).apply()
    assert snapshot(doc) == before


def test_move_holds_old_and_new_positions_of_every_node(stack):
    doc = residual()
    cmd = MoveNodesCommand(doc, {"x": (5, 5), "fc1": (205, 5), "relu": (405, 5)})
    round_trip(stack, doc, cmd)
    assert [doc.node(i).position for i in ("x", "fc1", "relu")] == [(5, 5), (205, 5), (405, 5)]
    assert cmd.old == {"x": (0, 0), "fc1": (200, 0), "relu": (400, 0)}
    assert cmd.text() == "Move 3 nodes"
    assert MoveNodesCommand(doc, {"x": (1, 1)}).text() == "Move Input 1"


# -- parameters and names --------------------------------------------------------------
def test_set_params_round_trip_and_text(stack):
    doc = residual()
    cmd = SetParamsCommand(doc, "fc1", {"out_features": 16})
    round_trip(stack, doc, cmd)
    assert doc.node("fc1").params["out_features"] == 16
    assert cmd.text() == "Change out_features of Linear 1"


def test_typing_into_one_parameter_is_one_step(stack):
    doc = residual()
    for value in (1, 12, 128):
        stack.push(SetParamsCommand(doc, "fc1", {"out_features": value}))
    assert stack.count() == 1
    assert doc.node("fc1").params["out_features"] == 128
    stack.undo()
    assert doc.node("fc1").params["out_features"] == 8
    stack.redo()
    assert doc.node("fc1").params["out_features"] == 128


def test_typing_back_to_the_old_value_leaves_no_step(stack):
    doc = residual()
    stack.push(SetParamsCommand(doc, "fc1", {"out_features": 80}))
    stack.push(SetParamsCommand(doc, "fc1", {"out_features": 8}))
    assert stack.count() == 0
    assert doc.node("fc1").params["out_features"] == 8


def test_other_parameters_or_nodes_do_not_merge(stack):
    doc = residual()
    stack.push(SetParamsCommand(doc, "fc1", {"out_features": 4}))
    stack.push(SetParamsCommand(doc, "fc1", {"bias": False}))
    stack.push(SetParamsCommand(doc, "fc1", {"bias": True, "out_features": 5}))
    stack.push(RenameNodeCommand(doc, "fc1", "encoder"))
    stack.push(SetParamsCommand(doc, "fc1", {"out_features": 6}))
    assert stack.count() == 5
    for expected in (5, 5, 4, 4, 8):
        stack.undo()
        assert doc.node("fc1").params["out_features"] == expected
    assert doc.node("fc1").params["bias"] is True


def test_rename_merges_and_says_both_names(stack):
    doc = residual()
    for name in ("e", "en", "enc"):
        stack.push(RenameNodeCommand(doc, "fc1", name))
    assert stack.count() == 1
    assert stack.text(0) == "Rename Linear 1 to enc"
    stack.undo()
    assert doc.node("fc1").name == "Linear 1"
    stack.redo()
    assert doc.node("fc1").name == "enc"
    stack.push(RenameNodeCommand(doc, "relu", "act"))
    assert stack.count() == 2


# -- wires -----------------------------------------------------------------------------
def test_connect_round_trip(stack):
    doc = residual()
    doc.disconnect(Edge("add", "y"))
    cmd = ConnectCommand(doc, Edge("relu", "y"))
    round_trip(stack, doc, cmd)
    assert doc.edges[-1] == Edge("relu", "y")
    assert cmd.text() == "Connect ReLU 1 → Output 1"


def test_connect_text_names_the_port_of_a_node_with_several_inputs():
    doc = residual()
    assert ConnectCommand(doc, Edge("x", "add", "out", "in1")).text() == (
        "Connect Input 1 → Add 1 (in1)"
    )


def test_disconnect_puts_the_wire_back_at_its_place(stack):
    doc = residual()
    cmd = DisconnectCommand(doc, Edge("fc1", "relu"))
    round_trip(stack, doc, cmd)
    assert Edge("fc1", "relu") not in doc.edges
    assert cmd.text() == "Disconnect Linear 1 → ReLU 1"


# -- groups ----------------------------------------------------------------------------
def test_paste_redo_adds_the_same_ids_every_time(stack):
    doc = residual()
    data = doc.subgraph(["fc1", "relu"])
    cmd = PasteCommand(doc, data, (40, 40))
    round_trip(stack, doc, cmd)
    assert cmd.ids == ["linear1", "relu1"]
    assert doc.node("linear1").position == (240, 40)
    assert doc.node("relu1").name == "ReLU 2"
    assert Edge("linear1", "relu1") in doc.edges
    assert cmd.text() == "Paste 2 nodes"


def test_update_settings_round_trip_and_merge(stack):
    doc = residual()
    cmd = UpdateSettingsCommand(doc, "training", {"lr": 0.5})
    round_trip(stack, doc, cmd)
    assert doc.training["lr"] == 0.5
    assert cmd.text() == "Change training setting lr"
    stack.push(UpdateSettingsCommand(doc, "training", {"lr": 0.25}))
    assert stack.count() == 1
    stack.push(UpdateSettingsCommand(doc, "meta", {"title": "T"}))
    assert stack.count() == 2
    stack.undo()
    stack.undo()
    assert doc.training["lr"] != 0.25 and doc.meta["title"] != "T"


def test_unknown_settings_section_is_refused():
    doc = residual()
    with pytest.raises(DocumentError, match="no settings section"):
        UpdateSettingsCommand(doc, "nope", {"a": 1}).apply()


# -- macros and applying before the push -----------------------------------------------
def test_macro_replacing_a_wire_is_one_step(stack):
    doc = residual()
    doc.add_node("Input", params={"shape": [8]}, id="x2")
    macro = MacroCommand(
        doc,
        "Connect Input 2 → Linear 1 (replacing Input 1)",
        [DisconnectCommand(doc, Edge("x", "fc1")), ConnectCommand(doc, Edge("x2", "fc1"))],
    )
    round_trip(stack, doc, macro)
    assert stack.count() == 1
    assert doc.edge_into("fc1", "in") == Edge("x2", "fc1")
    stack.undo()
    assert doc.edges[0] == Edge("x", "fc1")


def test_macro_failure_takes_back_what_it_did():
    doc = residual()
    before = snapshot(doc)
    macro = MacroCommand(
        doc,
        "broken",
        [DisconnectCommand(doc, Edge("x", "fc1")), ConnectCommand(doc, Edge("y", "fc1"))],
    )
    with pytest.raises(DocumentError, match="no output"):
        macro.apply()
    assert snapshot(doc) == before


def test_an_applied_command_is_not_done_again_by_the_push(stack):
    doc = residual()
    cmd = AddNodeCommand(doc, "ReLU")
    cmd.apply()
    stack.push(cmd)
    assert [n.kind for n in doc].count("ReLU") == 2
    stack.undo()
    assert [n.kind for n in doc].count("ReLU") == 1
