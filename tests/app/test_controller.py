"""The document controller: every request is one undo step (or a refusal with its reason
and no step), debounced inference, the clipboard, the modified state and files."""

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QTimer
from PySide6.QtWidgets import QApplication

from app.controller import SELECTION_MIME, DocumentController
from core.model import Document, Edge, serialize

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SPIRALS = EXAMPLES / "mlp_spirals.ember.json"


@pytest.fixture
def c(qtbot):
    controller = DocumentController()
    controller.messages = []
    controller.message.connect(controller.messages.append)
    yield controller
    QApplication.clipboard().clear()  # offscreen Qt crashes at exit on a set clipboard


def chain(c: DocumentController) -> tuple[str, str, str]:
    """Input -> Linear -> ReLU, built through the controller (3 steps)."""
    x = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    fc = c.add_node("Linear", (240.0, 0.0), params={"out_features": 3}, connect_from=(x, "out"))
    relu = c.add_node("ReLU", (480.0, 0.0), connect_from=(fc, "out"))
    return x, fc, relu


def snapshot(doc: Document):
    nodes = [(n.id, n.kind, n.name, dict(n.params), n.position) for n in doc]
    return nodes, doc.edges, doc.dataset, doc.training, doc.meta


def texts(c: DocumentController) -> list[str]:
    return [c.undo_stack.text(i) for i in range(c.undo_stack.count())]


def undo_redo(c: DocumentController, before, after) -> None:
    """The last step undoes to ``before`` and redoes to ``after``."""
    doc = c.document
    assert snapshot(doc) == after
    c.undo_stack.undo()
    assert snapshot(doc) == before
    c.undo_stack.redo()
    assert snapshot(doc) == after


# -- node edits ------------------------------------------------------------------------
def test_add_node_is_one_step_with_a_human_text(c):
    before = snapshot(c.document)
    nid = c.add_node("Linear", (10.0, 20.0), params={"out_features": 5})
    assert nid == "linear1"
    assert c.document.node(nid).position == (10.0, 20.0)
    assert texts(c) == ["Add Linear 1"]
    undo_redo(c, before, snapshot(c.document))


def test_add_node_and_connect_is_one_step(c):
    x, fc, relu = chain(c)
    assert texts(c) == ["Add Input 1", "Add Linear 1", "Add ReLU 1"]
    assert c.document.edges == [Edge(x, fc), Edge(fc, relu)]
    c.undo_stack.undo()
    assert relu not in c.document and c.document.edges == [Edge(x, fc)]
    c.undo_stack.redo()
    assert c.document.edges == [Edge(x, fc), Edge(fc, relu)]


def test_refused_edits_push_nothing_and_say_why(c):
    x, fc, _ = chain(c)
    before, count = snapshot(c.document), c.undo_stack.count()
    assert c.add_node("Nope") is None
    assert c.add_node("Linear", params={"out_features": 0}) is None
    assert c.add_node("Input", connect_from=(fc, "out")) is None  # Input takes no input
    assert c.set_params(fc, {"out_features": -3}) is False
    assert c.rename_node(fc, "") is False
    assert c.connect(fc, "out", x, "in") is False
    assert c.move_nodes({"ghost": (0, 0)}) is False
    assert c.update_settings("nope", {}) is False
    assert c.disconnect(Edge(x, "ghost")) is False
    assert snapshot(c.document) == before and c.undo_stack.count() == count
    assert len(c.messages) == 9
    assert "unknown layer kind" in c.messages[0].lower()
    assert "out_features" in c.messages[1]
    assert "takes no input" in c.messages[2]
    assert "Cannot connect Linear 1 → Input 1" in c.messages[5]  # names, not ids
    assert not any(m[:1].islower() for m in c.messages)


def test_add_beside_places_right_and_connects_when_unambiguous(c):
    x = c.add_node("Input", (100.0, 50.0), params={"shape": [4]})
    fc = c.add_beside("Linear", [x])
    assert c.document.node(fc).position == (340.0, 50.0)
    assert c.document.edges == [Edge(x, fc)]
    assert texts(c)[-1] == "Add Linear 1"
    c.undo_stack.undo()
    assert fc not in c.document and c.document.edges == []


def test_add_beside_steps_down_to_a_free_spot(c):
    x = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    c.add_node("ReLU", (240.0, 0.0))
    c.add_node("ReLU", (250.0, 110.0))
    fc = c.add_beside("Linear", [x])
    assert c.document.node(fc).position == (240.0, 240.0)


@pytest.mark.parametrize("case", ["two selected", "two inputs", "no output", "nothing"])
def test_add_beside_does_not_guess(c, case):
    x = c.add_node("Input", (0.0, 0.0), params={"shape": [4]})
    y = c.add_node("Output", (0.0, 300.0))
    kind, selected = {
        "two selected": ("ReLU", [x, y]),
        "two inputs": ("Add", [x]),
        "no output": ("ReLU", [y]),
        "nothing": ("ReLU", []),
    }[case]
    nid = c.add_beside(kind, selected)
    assert nid in c.document
    assert c.document.edges == []
    assert c.undo_stack.count() == 3


def test_add_without_a_position_goes_right_of_the_last_node(c):
    first = c.add_node("Input", params={"shape": [4]})
    second = c.add_node("Linear")
    assert c.document.node(first).position == (0.0, 0.0)
    assert c.document.node(second).position == (240.0, 0.0)


def test_remove_nodes_and_wires_in_one_step(c):
    x, fc, relu = chain(c)
    y = c.add_node("Output", (720.0, 0.0), connect_from=(relu, "out"))
    before = snapshot(c.document)
    assert c.remove([fc], [Edge(relu, y)])
    assert list(c.document.nodes) == [x, relu, y] and c.document.edges == []
    assert texts(c)[-1] == "Delete Linear 1 and 1 wire"
    undo_redo(c, before, snapshot(c.document))
    assert c.remove([], []) is False


def test_move_nodes_is_one_step_and_skips_unmoved_nodes(c):
    x, fc, relu = chain(c)
    before = snapshot(c.document)
    assert c.move_nodes({x: (0.0, 0.0), fc: (250.0, 10.0), relu: (490.0, 10.0)})
    assert texts(c)[-1] == "Move 2 nodes"
    undo_redo(c, before, snapshot(c.document))
    count = c.undo_stack.count()
    assert c.move_nodes({x: (0.0, 0.0)}) is False
    assert c.undo_stack.count() == count


def test_set_params_typing_merges_and_a_no_op_pushes_nothing(c):
    _, fc, _ = chain(c)
    before = snapshot(c.document)
    for value in (1, 12, 128):
        assert c.set_params(fc, {"out_features": value})
    assert texts(c)[-1] == "Change out_features of Linear 1"
    assert c.undo_stack.count() == 4
    undo_redo(c, before, snapshot(c.document))
    assert c.set_params(fc, {"out_features": 128})
    assert c.undo_stack.count() == 4


def test_rename_and_settings(c):
    _, fc, _ = chain(c)
    before = snapshot(c.document)
    c.rename_node(fc, "enc")
    c.rename_node(fc, "encoder")
    assert texts(c)[-1] == "Rename Linear 1 to encoder"
    undo_redo(c, before, snapshot(c.document))
    before = snapshot(c.document)
    assert c.update_settings("training", {"epochs": 7})
    assert c.document.training["epochs"] == 7
    undo_redo(c, before, snapshot(c.document))


# -- wires -----------------------------------------------------------------------------
def test_connect_and_disconnect(c):
    x, fc, relu = chain(c)
    y = c.add_node("Output", (720.0, 0.0))
    before = snapshot(c.document)
    assert c.connect(relu, "out", y, "in")
    assert texts(c)[-1] == "Connect ReLU 1 → Output 1"
    undo_redo(c, before, snapshot(c.document))
    before = snapshot(c.document)
    assert c.disconnect(Edge(fc, relu))
    assert texts(c)[-1] == "Disconnect Linear 1 → ReLU 1"
    undo_redo(c, before, snapshot(c.document))


def test_connect_to_a_taken_input_replaces_its_wire_in_one_step(c):
    x, fc, relu = chain(c)
    x2 = c.add_node("Input", (0.0, 200.0), params={"shape": [4]})
    before = snapshot(c.document)
    count = c.undo_stack.count()
    assert c.connect(x2, "out", fc, "in")
    assert c.undo_stack.count() == count + 1
    assert c.document.edge_into(fc, "in") == Edge(x2, fc)
    assert texts(c)[-1] == "Connect Input 2 → Linear 1 (replacing Input 1)"
    undo_redo(c, before, snapshot(c.document))
    assert c.connect(x2, "out", fc, "in")  # already so: nothing to do
    assert c.undo_stack.count() == count + 1


def test_replacing_still_refuses_a_cycle(c):
    x, fc, relu = chain(c)
    before = snapshot(c.document)
    assert c.connect(relu, "out", fc, "in") is False
    assert "cycle" in c.messages[-1]
    assert snapshot(c.document) == before


def two_outputs(c: DocumentController) -> tuple[str, str, str, str, str]:
    """Input -> Linear -> ReLU -> Output 1, and a free Output 2; wires added in that order."""
    x, fc, relu = chain(c)
    out1 = c.add_node("Output", (720.0, 0.0), connect_from=(relu, "out"))
    out2 = c.add_node("Output", (720.0, 200.0))
    return x, fc, relu, out1, out2


def test_reroute_is_one_step_and_undo_puts_the_old_wire_back_at_its_place(c):
    x, fc, relu, out1, out2 = two_outputs(c)
    old = Edge(fc, relu)  # the middle wire: its place in the edge order matters
    before = snapshot(c.document)
    count = c.undo_stack.count()
    assert c.reroute(old, fc, "out", out2, "in")
    assert c.undo_stack.count() == count + 1
    assert c.document.edges == [Edge(x, fc), Edge(relu, out1), Edge(fc, out2)]
    assert texts(c)[-1] == "Re-route Linear 1 → ReLU 1 to Linear 1 → Output 2"
    after = snapshot(c.document)
    c.undo_stack.undo()
    assert c.document.edges == [Edge(x, fc), Edge(fc, relu), Edge(relu, out1)]
    assert snapshot(c.document) == before
    c.undo_stack.redo()
    assert snapshot(c.document) == after
    assert c.messages == []


def test_reroute_onto_a_taken_input_replaces_its_wire_in_the_same_step(c):
    x, fc, relu, out1, out2 = two_outputs(c)
    before = snapshot(c.document)
    count = c.undo_stack.count()
    # Linear -> ReLU moves onto Output 1's input: ReLU -> Output 1 goes in the same step
    assert c.reroute(Edge(fc, relu), fc, "out", out1, "in")
    assert c.undo_stack.count() == count + 1
    assert c.document.edges == [Edge(x, fc), Edge(fc, out1)]
    assert texts(c)[-1].endswith("(replacing ReLU 1)")
    undo_redo(c, before, snapshot(c.document))


def test_reroute_to_the_same_input_from_another_source_and_onto_its_own_copy(c):
    x, fc, relu, out1, out2 = two_outputs(c)
    before = snapshot(c.document)
    assert c.reroute(Edge(relu, out1), fc, "out", out1, "in")  # the same input, new source
    assert c.document.edge_into(out1, "in") == Edge(fc, out1)
    undo_redo(c, before, snapshot(c.document))
    c.undo_stack.undo()
    assert c.connect(relu, "out", out2, "in")
    before = snapshot(c.document)
    # re-routing onto a wire that is there already just takes the old one out
    assert c.reroute(Edge(relu, out1), relu, "out", out2, "in")
    assert Edge(relu, out1) not in c.document.edges
    assert c.document.edge_into(out2, "in") == Edge(relu, out2)
    undo_redo(c, before, snapshot(c.document))
    count = c.undo_stack.count()
    assert c.reroute(Edge(relu, out2), relu, "out", out2, "in")  # where it is: nothing
    assert c.undo_stack.count() == count


def test_reroute_counts_the_wiring_without_the_old_wire(c):
    x, fc, relu, out1, out2 = two_outputs(c)
    # ReLU -> Linear closes a loop while Linear -> ReLU is there; moving that very wire
    # opens it (ReLU's input is then free), replacing the Input's wire into Linear
    assert c.connect(relu, "out", fc, "in") is False
    before = snapshot(c.document)
    assert c.reroute(Edge(fc, relu), relu, "out", fc, "in")
    assert c.document.edges == [Edge(relu, out1), Edge(relu, fc)]
    undo_redo(c, before, snapshot(c.document))


def test_a_refused_reroute_changes_nothing_and_says_why(c):
    x, fc, relu, out1, out2 = two_outputs(c)
    before = snapshot(c.document)
    count = c.undo_stack.count()
    # Linear -> ReLU moved to feed the Input, which takes no input
    assert c.reroute(Edge(fc, relu), fc, "out", x, "in") is False
    assert "takes no input" in c.messages[-1]
    assert c.messages[-1].startswith("Cannot connect Linear 1")
    # a wire that is not there (any more)
    assert c.reroute(Edge(x, relu), x, "out", out2, "in") is False
    assert c.messages[-1] == "Cannot re-route: there is no wire Input 1 → ReLU 1"
    assert c.reroute("nonsense", x, "out", out2, "in") is False
    assert snapshot(c.document) == before
    assert c.undo_stack.count() == count


def test_the_window_hands_a_canvas_reroute_to_the_controller(window, qtbot):
    c = window.controller
    x, fc, relu, out1, out2 = two_outputs(c)
    count = c.undo_stack.count()
    window.scene.reroute_requested.emit(Edge(relu, out1), relu, "out", out2, "in")
    assert c.document.edges == [Edge(x, fc), Edge(fc, relu), Edge(relu, out2)]
    assert c.undo_stack.count() == count + 1
    c.undo_stack.undo()
    assert c.document.edges[-1] == Edge(relu, out1)


# -- layout ----------------------------------------------------------------------------
def test_auto_layout_is_one_step(c):
    x, fc, relu = chain(c)
    c.move_nodes({x: (500.0, 500.0), fc: (-300.0, 20.0), relu: (0.0, -400.0)})
    before = snapshot(c.document)
    assert c.auto_layout()
    xs = [c.document.node(i).position[0] for i in (x, fc, relu)]
    assert xs == sorted(xs) and len(set(xs)) == 3  # left to right
    assert texts(c)[-1] == "Auto-layout"
    undo_redo(c, before, snapshot(c.document))


def test_auto_layout_of_a_selection_moves_only_it(c):
    x, fc, relu = chain(c)
    c.move_nodes({fc: (300.0, 400.0), relu: (100.0, 700.0)})  # relu left of its input
    assert c.auto_layout([fc, relu])
    (fx, fy), (rx, ry) = c.document.node(fc).position, c.document.node(relu).position
    assert fx < rx and (fx, min(fy, ry)) == (100.0, 400.0)  # laid out from their top-left
    assert c.document.node(x).position == (0.0, 0.0)
    assert texts(c)[-1] == "Auto-layout 2 nodes"
    assert c.auto_layout([]) is False


# -- inference -------------------------------------------------------------------------
def test_inference_is_debounced_to_one_run_per_turn(c, qtbot):
    got = []
    c.inferred.connect(got.append)
    with qtbot.waitSignal(c.inferred):
        x, fc, relu = chain(c)  # 3 edits, 5 document changes, one turn
    with qtbot.waitSignal(_next_turn(c)):
        pass
    assert len(got) == 1
    assert got[0] is c.inference
    assert got[0].nodes[relu].shape == (3,)


def test_infer_now_is_synchronous(c):
    x = c.add_node("Input", params={"shape": [6]})
    inf = c.infer_now()
    assert inf.nodes[x].shape == (6,) and c.inference is inf


def test_inference_runs_again_after_load_and_new(c, qtbot):
    with qtbot.waitSignal(c.inferred) as blocker:
        c.load(SPIRALS)
    assert len(blocker.args[0].nodes) == len(c.document)
    with qtbot.waitSignal(c.inferred) as blocker:
        c.new_document()
    assert blocker.args[0].nodes == {}


def _next_turn(c: DocumentController):
    """A signal that fires once the event loop has gone round once more."""
    from PySide6.QtCore import QObject, Signal

    class Tick(QObject):
        fired = Signal()

    tick = Tick(c)
    QTimer.singleShot(0, tick.fired.emit)
    return tick.fired


# -- clipboard -------------------------------------------------------------------------
def test_copy_puts_json_with_the_mime_type_and_as_text(c):
    x, fc, relu = chain(c)
    assert c.copy([fc, relu])
    mime = QApplication.clipboard().mimeData()
    data = json.loads(bytes(mime.data(SELECTION_MIME).data()))
    assert data["format"] == serialize.FRAGMENT_FORMAT
    assert [n["id"] for n in data["nodes"]] == [fc, relu]
    assert json.loads(mime.text()) == data
    assert c.can_paste()


def test_paste_cascades_and_undoes(c):
    x, fc, relu = chain(c)
    c.copy([fc, relu])
    before = snapshot(c.document)
    first = c.paste()
    assert c.document.node(first[0]).position == (280.0, 40.0)
    assert Edge(first[0], first[1]) in c.document.edges
    assert texts(c)[-1] == "Paste 2 nodes"
    undo_redo(c, before, snapshot(c.document))
    second = c.paste()
    assert c.document.node(second[0]).position == (320.0, 80.0)
    assert len(c.document) == 7


def test_paste_at_puts_the_top_left_there(c):
    x, fc, relu = chain(c)
    c.move_nodes({relu: (480.0, -60.0)})
    c.copy([fc, relu])
    new = c.paste((1000.0, 500.0))
    assert c.document.node(new[0]).position == (1000.0, 560.0)
    assert c.document.node(new[1]).position == (1240.0, 500.0)
    more = c.paste(QPointF(0.0, 0.0))
    assert c.document.node(more[1]).position == (240.0, 0.0)


def test_paste_between_two_projects(c, qtbot):
    x, fc, relu = chain(c)
    c.copy([x, fc, relu])
    other = DocumentController()
    other.add_node("Linear", (0.0, 0.0))  # its own linear1 / "Linear 1"
    new = other.paste()
    assert len(new) == 3 and new[1] != "linear1"
    assert other.document.node(new[1]).name == "Linear 2"
    assert other.document.edges == [Edge(new[0], new[1]), Edge(new[1], new[2])]
    assert other.undo_stack.count() == 2


def test_paste_accepts_selection_json_as_plain_text(c):
    source = Document()
    source.add_node("Linear", id="fc", params={"out_features": 9})
    QApplication.clipboard().setText(json.dumps(source.subgraph(["fc"])))
    assert c.can_paste()
    (new,) = c.paste((0.0, 0.0))
    assert c.document.node(new).params["out_features"] == 9


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello", "not valid JSON"),
        (
            '{"format": "ember-studio.selection", "version": 2, "nodes": [{"id": "a"}], '
            '"edges": []}',
            "kind",
        ),  # fmt: skip
        ("", "nothing to paste"),
    ],
)
def test_pasting_something_else_changes_nothing_and_says_why(c, text, reason):
    chain(c)
    before, count = snapshot(c.document), c.undo_stack.count()
    QApplication.clipboard().setText(text)
    assert c.paste() == []
    assert snapshot(c.document) == before and c.undo_stack.count() == count
    assert reason.lower() in c.messages[-1].lower()
    assert not c.can_paste()


def test_cut_is_one_step_and_fills_the_clipboard(c):
    x, fc, relu = chain(c)
    before = snapshot(c.document)
    assert c.cut([fc])
    assert fc not in c.document and texts(c)[-1] == "Cut Linear 1"
    undo_redo(c, before, snapshot(c.document))
    assert c.can_paste()


def test_duplicate_leaves_the_clipboard_alone(c):
    x, fc, relu = chain(c)
    mime = QMimeData()
    mime.setText("keep me")
    QApplication.clipboard().setMimeData(mime)
    before = snapshot(c.document)
    new = c.duplicate([fc, relu])
    assert QApplication.clipboard().text() == "keep me"
    assert c.document.node(new[0]).position == (280.0, 40.0)
    assert Edge(new[0], new[1]) in c.document.edges
    assert texts(c)[-1] == "Duplicate 2 nodes"
    undo_redo(c, before, snapshot(c.document))
    assert c.duplicate([]) == []


# -- modified state and files ----------------------------------------------------------
def test_modified_follows_the_undo_stack(c, qtbot):
    states = []
    c.modified_changed.connect(states.append)
    assert not c.is_modified()
    c.add_node("ReLU")
    c.add_node("ReLU")
    assert c.is_modified()
    c.undo_stack.undo()
    c.undo_stack.undo()
    assert not c.is_modified()
    assert states == [True, False]


def test_save_marks_clean_sets_the_path_and_writes_atomically(c, tmp_path):
    paths = []
    c.path_changed.connect(paths.append)
    chain(c)
    tmp_path = tmp_path / "files"
    tmp_path.mkdir()
    target = tmp_path / "model.ember.json"
    c.save(target)
    assert not c.is_modified() and c.path == target and paths == [target]
    assert c.display_name() == "model.ember.json"
    assert serialize.load(target).nodes == c.document.nodes
    c.add_node("Output")
    c.save()
    assert (tmp_path / "model.ember.json.bak").exists()  # the previous version is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model.ember.json",
        "model.ember.json.bak",
    ]


def test_a_failed_save_leaves_the_file_and_the_modified_mark(c, tmp_path, monkeypatch):
    chain(c)
    tmp_path = tmp_path / "files"
    tmp_path.mkdir()
    target = tmp_path / "model.ember.json"
    c.save(target)
    saved = target.read_bytes()
    c.add_node("Output")

    def full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(OSError, match="No space left"):
        c.save()
    monkeypatch.undo()
    assert target.read_bytes() == saved
    assert c.is_modified()
    assert [p.name for p in tmp_path.iterdir()] == ["model.ember.json"]  # no temporary left


def test_save_without_a_path_asks_for_one(c):
    with pytest.raises(ValueError, match="Save As"):
        c.save()


def test_load_clears_the_history_and_marks_clean(c, qtbot):
    chain(c)
    with qtbot.waitSignal(c.path_changed):
        c.load(SPIRALS)
    assert c.undo_stack.count() == 0 and not c.is_modified()
    assert c.path == SPIRALS and c.display_name() == SPIRALS.name
    assert c.document.nodes == serialize.load(SPIRALS).nodes


def broken_files(tmp_path: Path) -> list[tuple[Path, type]]:
    malformed = tmp_path / "malformed.ember.json"
    malformed.write_text('{"format": "ember-studio.model", "version": 2, "nodes": [')
    unknown = tmp_path / "unknown.ember.json"
    data = json.loads(SPIRALS.read_text())
    data["nodes"][1]["kind"] = "Lineer"
    unknown.write_text(json.dumps(data))
    return [
        (malformed, serialize.FormatError),
        (unknown, serialize.FormatError),
        (tmp_path / "missing.ember.json", FileNotFoundError),
    ]


def test_a_failed_load_leaves_the_open_project_untouched(c, tmp_path, qtbot):
    chain(c)
    c.save(tmp_path / "mine.ember.json")
    c.add_node("Output")
    before, count, path = snapshot(c.document), c.undo_stack.count(), c.path
    for broken, error in broken_files(tmp_path):
        with pytest.raises(error) as info:
            c.load(broken)
        assert broken.name in str(info.value)
        assert "Lineer" in str(info.value) or "unknown" not in broken.name
        assert snapshot(c.document) == before
        assert c.undo_stack.count() == count and c.path == path and c.is_modified()


def test_load_document_for_recovery_is_modified(c, tmp_path):
    doc = serialize.load(SPIRALS)
    states = []
    c.modified_changed.connect(states.append)
    c.load_document(doc, tmp_path / "spirals.ember.json", modified=True)
    assert c.is_modified() and states == [True]
    assert c.display_name() == "spirals.ember.json"
    assert c.document.nodes == doc.nodes and c.document is not doc
    c.add_node("ReLU")
    c.undo_stack.undo()
    assert c.is_modified()  # still the recovered, unsaved content
    c.save()
    assert not c.is_modified() and states == [True, False]


def test_new_document_is_empty_untitled_and_clean(c):
    chain(c)
    c.new_document()
    assert len(c.document) == 0 and c.path is None and c.display_name() == "Untitled"
    assert c.undo_stack.count() == 0 and not c.is_modified()


# -- what triggers inference, and failing listeners ------------------------------------
def test_moves_keep_the_inference_but_shape_changes_rerun_it(c, qtbot):
    a, b, _ = chain(c)
    c.infer_now()
    with qtbot.assertNotEmitted(c.inferred, wait=50):
        c.move_nodes({a: (400.0, 400.0), b: (600.0, 400.0)})
    with qtbot.waitSignal(c.inferred, timeout=2000) as blocker:
        c.set_params(b, {"out_features": 7})
    assert blocker.args[0].shape(b) == (7,)


def test_an_edit_whose_listener_fails_stays_undoable_and_unsaved(c):
    def broken_view(node):
        raise RuntimeError("a view failed")

    c.document.node_added.connect(broken_view)
    with pytest.raises(RuntimeError, match="a view failed"):
        c.add_node("ReLU", (0.0, 0.0))
    c.document.node_added.disconnect(broken_view)
    assert len(c.document) == 1 and c.undo_stack.count() == 1 and c.is_modified()
    c.undo_stack.undo()
    assert len(c.document) == 0
    c.undo_stack.redo()
    assert len(c.document) == 1


def test_a_macro_whose_listener_fails_keeps_what_it_did_undoable(c):
    a, b, _ = chain(c)
    before = snapshot(c.document)

    def broken_view(edge):
        raise RuntimeError("a view failed")

    c.document.edge_added.connect(broken_view)
    with pytest.raises(RuntimeError):
        c.add_node("ReLU", (0.0, 300.0), connect_from=(b, "out"))
    c.document.edge_added.disconnect(broken_view)
    assert c.undo_stack.count() >= 1
    while c.undo_stack.canUndo():
        c.undo_stack.undo()
    assert len(c.document) == 0
    assert before[0]  # the chain existed before the failing edit


def test_an_edit_session_ends_the_merging_of_parameter_edits_and_renames(c):
    _, fc, _ = chain(c)
    start = c.undo_stack.count()
    c.set_params(fc, {"out_features": 8})
    c.set_params(fc, {"out_features": 16})  # still typing: merged
    c.end_edit()  # focus went elsewhere and came back
    c.set_params(fc, {"out_features": 32})
    assert c.undo_stack.count() == start + 2
    c.undo_stack.undo()
    assert c.document.node(fc).params["out_features"] == 16
    c.rename_node(fc, "A")
    c.end_edit()
    c.rename_node(fc, "B")
    assert texts(c)[-2:] == ["Rename Linear 1 to A", "Rename A to B"]
