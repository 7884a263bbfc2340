"""Adding layers from the palette one after another builds a chain, each one selected."""

from core.model import Edge


def test_activating_kinds_in_a_row_builds_a_chain(window, qtbot):
    window.action("new").trigger()
    qtbot.waitUntil(lambda: window.is_editing())
    ids = [window.add_from_palette(kind) for kind in ("Input", "Linear", "ReLU", "Output")]
    doc = window.controller.document
    assert all(ids) and len(doc) == 4
    assert window.scene.selected_ids() == [ids[-1]]
    assert doc.edges == [Edge(a, b) for a, b in zip(ids, ids[1:])]
    # one undo step each: undo takes the last layer and its wire away
    window.action("undo").trigger()
    assert list(doc.nodes) == ids[:3] and len(doc.edges) == 2


def test_the_palette_signal_adds_beside_the_selection(window, qtbot):
    window.action("new").trigger()
    qtbot.waitUntil(lambda: window.is_editing())
    first = window.add_from_palette("Input")
    window.palette.kind_activated.emit("Flatten")
    doc = window.controller.document
    (second,) = [n for n in doc.nodes if n != first]
    assert doc.edges == [Edge(first, second)]
    assert doc.node(second).position[0] > doc.node(first).position[0]
    assert window.scene.selected_ids() == [second]
