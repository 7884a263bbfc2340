"""core.events.Event, and the events a Document emits for each change (and for none)."""

from __future__ import annotations

import pytest

from core.events import Event
from core.model import Document, DocumentError, Edge


# -- Event -----------------------------------------------------------------------------
def test_listeners_run_in_connection_order_with_the_arguments():
    ev = Event("tick")
    calls = []
    ev.connect(lambda *a: calls.append(("first", a)))
    ev.connect(lambda *a: calls.append(("second", a)))
    ev.emit(1, "x")
    assert calls == [("first", (1, "x")), ("second", (1, "x"))]


def test_connect_returns_the_listener_so_it_works_as_a_decorator():
    ev = Event()
    seen = []

    @ev.connect
    def on(value):
        seen.append(value)

    ev.emit(3)
    assert on is not None and seen == [3]
    assert len(ev) == 1


def test_connect_refuses_what_cannot_be_called():
    with pytest.raises(TypeError, match="callable"):
        Event("e").connect(42)


def test_disconnect_stops_calls_and_refuses_a_stranger():
    ev = Event("e")
    seen = []
    ev.connect(seen.append)
    ev.emit(1)
    ev.disconnect(seen.append)
    ev.emit(2)
    assert seen == [1]
    with pytest.raises(ValueError, match="not connected"):
        ev.disconnect(seen.append)


def test_a_listener_may_disconnect_itself_during_emit():
    ev = Event()
    seen = []

    def once(x):
        seen.append(x)
        ev.disconnect(once)

    ev.connect(once)
    ev.connect(lambda x: seen.append(-x))
    ev.emit(1)
    ev.emit(2)
    assert seen == [1, -1, -2]


def test_blocked_silences_emits_and_nests():
    ev = Event()
    seen = []
    ev.connect(seen.append)
    with ev.blocked():
        with ev.blocked():
            ev.emit(1)
        ev.emit(2)
        assert ev.is_blocked
    ev.emit(3)
    assert seen == [3] and not ev.is_blocked


def test_a_failing_listener_does_not_starve_the_others_and_its_error_reaches_the_emitter():
    ev = Event("e")
    seen = []

    def bad(x):
        raise RuntimeError("view broke")

    ev.connect(bad)
    ev.connect(seen.append)
    with pytest.raises(RuntimeError, match="view broke"):
        ev.emit(1)
    assert seen == [1]


# -- the document's events -------------------------------------------------------------
class Recorder:
    """Records every event of a document as (name, args)."""

    def __init__(self, doc: Document) -> None:
        self.log: list[tuple[str, tuple]] = []
        for name in Document.EVENTS:
            getattr(doc, name).connect(lambda *a, _n=name: self.log.append((_n, a)))

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.log]


def chain() -> Document:
    doc = Document()
    doc.add_node("Input", params={"shape": [4]}, id="x")
    doc.add_node("Linear", params={"out_features": 3}, id="fc")
    doc.add_node("Output", id="y")
    doc.connect("x", "fc")
    doc.connect("fc", "y")
    return doc


def test_add_node_emits_node_added_then_changed():
    doc = Document()
    rec = Recorder(doc)
    node = doc.add_node("Linear")
    assert rec.log == [("node_added", (node,)), ("changed", ())]


def test_remove_node_emits_its_edges_first_then_the_node_then_one_changed():
    doc = chain()
    rec = Recorder(doc)
    seen_nodes = []
    # each edge_removed sees a consistent document: the node is still there
    doc.edge_removed.connect(lambda e: seen_nodes.append("fc" in doc))
    doc.remove_node("fc")
    assert rec.names == ["edge_removed", "edge_removed", "node_removed", "changed"]
    assert seen_nodes == [True, True]


def test_update_and_move_emit_old_and_new():
    doc = chain()
    rec = Recorder(doc)
    old = doc.node("fc")
    new = doc.set_params("fc", out_features=5)
    moved = doc.move_node("fc", (10, 20))
    assert rec.log == [
        ("node_changed", (new, old)),
        ("changed", ()),
        ("node_moved", (moved, new)),
        ("changed", ()),
    ]


def test_settings_changed_names_the_section_and_gives_copies():
    doc = Document()
    rec = Recorder(doc)
    doc.update_settings("training", {"lr": 0.5})
    (name, (section, new, old)), last = rec.log
    assert name == "settings_changed" and section == "training" and last[0] == "changed"
    assert new["lr"] == 0.5 and old["lr"] == 0.001
    new["lr"] = 9.0  # a listener cannot change the document through the event's values
    assert doc.training["lr"] == 0.5


def test_a_change_to_the_same_value_emits_nothing():
    doc = chain()
    rec = Recorder(doc)
    doc.set_params("fc", out_features=3)
    doc.rename_node("fc", doc.node("fc").name)
    doc.move_node("fc", doc.node("fc").position)
    doc.set_training(doc.training)
    doc.update_settings("meta", {})
    doc.move_nodes({})
    assert rec.log == []


def test_batch_changes_emit_each_item_then_one_changed():
    doc = chain()
    rec = Recorder(doc)
    removal = doc.remove_nodes(["x", "y"])
    assert rec.names == ["edge_removed"] * 2 + ["node_removed"] * 2 + ["changed"]
    rec.log.clear()
    doc.restore(removal)
    assert rec.names == ["node_added"] * 2 + ["edge_added"] * 2 + ["changed"]
    rec.log.clear()
    doc.move_nodes({"x": (1, 1), "y": (2, 2)})
    assert rec.names == ["node_moved", "node_moved", "changed"]


def test_clear_and_assign_emit_reset_then_changed():
    doc = chain()
    rec = Recorder(doc)
    doc.clear()
    doc.assign(chain())
    assert rec.names == ["reset", "changed", "reset", "changed"]
    assert len(doc) == 3


def test_a_failing_listener_does_not_stop_the_change_or_changed():
    doc = Document()
    changed = []
    doc.node_added.connect(lambda n: 1 / 0)
    doc.changed.connect(lambda: changed.append(True))
    with pytest.raises(ZeroDivisionError):
        doc.add_node("Linear", id="fc")
    assert "fc" in doc and changed == [True]


# Every refused change: (description, callable on a chain() document).
REFUSED = [
    ("unknown kind", lambda d: d.add_node("Lineer")),
    ("kind not text", lambda d: d.add_node(["Linear"])),
    ("unknown param", lambda d: d.add_node("Linear", params={"units": 3})),
    ("param out of range", lambda d: d.add_node("Linear", params={"out_features": 0})),
    ("duplicate id", lambda d: d.add_node("Linear", id="fc")),
    ("bad id", lambda d: d.add_node("Linear", id="1fc")),
    ("keyword id", lambda d: d.add_node("Linear", id="class")),
    ("reserved id", lambda d: d.add_node("Linear", id="forward")),
    ("id with newline", lambda d: d.add_node("Linear", id="fc2\n")),
    ("empty name", lambda d: d.add_node("Linear", name="  ")),
    ("name with control char", lambda d: d.add_node("Linear", name="a\x07")),
    ("bad position", lambda d: d.add_node("Linear", position="12")),
    ("nan position", lambda d: d.add_node("Linear", position=(float("nan"), 0))),
    ("huge position", lambda d: d.add_node("Linear", position=(10**400, 0))),
    ("negative index", lambda d: d.add_node("Linear", index=-1)),
    ("remove unknown", lambda d: d.remove_node("nope")),
    ("remove some unknown", lambda d: d.remove_nodes(["x", "nope"])),
    ("remove_nodes given one id", lambda d: d.remove_nodes("fc")),
    ("set bad param", lambda d: d.set_params("fc", out_features=-1)),
    ("set unknown param", lambda d: d.set_params("fc", units=2)),
    ("rename to non-text", lambda d: d.rename_node("fc", 5)),
    ("update unknown node", lambda d: d.update_node("nope", name="a")),
    ("name ok, params bad", lambda d: d.update_node("fc", name="ok", params={"bias": 1})),
    ("move to junk", lambda d: d.move_node("fc", (1, 2, 3))),
    ("move many, one bad", lambda d: d.move_nodes({"x": (5, 5), "fc": ("a", 1)})),
    ("move unknown", lambda d: d.move_nodes({"x": (5, 5), "nope": (1, 1)})),
    ("connect second edge into port", lambda d: d.connect("x", "y")),
    ("connect cycle", lambda d: d.connect("fc", "fc")),
    ("connect missing node", lambda d: d.connect("x", "nope")),
    ("connect bad port", lambda d: d.connect("x", "fc", dst_port="in2")),
    ("connect from output", lambda d: d.connect("y", "fc")),
    ("connect non-text", lambda d: d.connect(["x"], "fc")),
    ("disconnect missing edge", lambda d: d.disconnect(Edge("x", "y"))),
    ("disconnect non-edge", lambda d: d.disconnect(("x", "fc"))),
    ("bad training", lambda d: d.set_training({"lr": -1})),
    ("bad dataset option", lambda d: d.set_dataset({"options": {"n": [[1]]}})),
    ("unknown section", lambda d: d.update_settings("colors", {})),
    ("bad meta type", lambda d: d.set_meta(["title"])),
    ("ui not json", lambda d: d.set_ui({"f": object()})),
    ("assign non-document", lambda d: d.assign({"nodes": []})),
    ("restore non-removal", lambda d: d.restore(["x"])),
    ("paste junk", lambda d: d.paste({"format": "nope"})),
    ("paste bad offset", lambda d: d.paste(d.subgraph(["fc"]), ("a", 0))),
]


@pytest.mark.parametrize("what, change", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_change_raises_document_error_changes_nothing_and_emits_nothing(what, change):
    doc = chain()
    before = doc.to_dict()
    rec = Recorder(doc)
    with pytest.raises(DocumentError) as info:
        change(doc)
    assert str(info.value)  # says what and why
    assert rec.log == []
    assert doc.to_dict() == before


def test_a_refused_batch_adds_nothing_even_when_its_first_items_were_fine():
    doc = chain()
    before = doc.to_dict()
    rec = Recorder(doc)
    data = doc.subgraph(["x", "fc", "y"])
    data["edges"].append({"src": "y", "dst": "fc"})  # Output has no output port
    with pytest.raises(DocumentError):
        doc.paste(data)
    removal = doc.remove_nodes(["fc"])
    rec.log.clear()
    doc.add_node("Linear", id="fc")  # the id is taken again: restoring must fail whole
    rec.log.clear()
    with pytest.raises(DocumentError, match="already a node 'fc'"):
        doc.restore(removal)
    assert rec.log == []
    doc.remove_node("fc")
    doc.restore(removal)
    assert doc.to_dict() == before
