"""Typing into one parameter is one undo step; selecting another layer ends the step."""

from core.model import Edge


def test_selection_change_between_edits_of_one_field_makes_two_steps(window, qtbot):
    window.action("new").trigger()
    c = window.controller
    x = window.add_from_palette("Input")
    fc = window.add_from_palette("Linear")
    assert c.document.edges == [Edge(x, fc)]
    count = c.undo_stack.count()
    window.inspector.params_edited.emit(fc, {"out_features": 1})
    window.inspector.params_edited.emit(fc, {"out_features": 12})  # typing "12"
    assert c.undo_stack.count() == count + 1
    window.scene.select_ids([x])
    window.scene.select_ids([fc])
    window.inspector.params_edited.emit(fc, {"out_features": 128})
    assert c.undo_stack.count() == count + 2
    window.action("undo").trigger()
    assert c.document.node(fc).params["out_features"] == 12
