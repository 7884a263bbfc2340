"""The inspector shows the selected node, edits it with fitting editors and validates as you
type: valid edits become ``params_edited``/``name_edited`` requests, invalid ones say why."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
)

from core.model import Document, catalog
from core.model.inference import infer
from widgets import theme
from widgets.inspector import EMPTY_TEXT, InspectorWidget, ParseError, parse_text

EDITOR_TYPES = {
    "bool": (QCheckBox,),
    "choice": (QComboBox,),
    "int": (QSpinBox, QLineEdit),  # a line edit when optional
    "float": (QDoubleSpinBox, QLineEdit),  # a line edit for huge ranges / tiny values
    "str": (QLineEdit,),
    "size": (QLineEdit,),
    "shape": (QLineEdit,),
    "ints": (QLineEdit,),
}


@pytest.fixture
def inspector(qtbot):
    widget = InspectorWidget()
    qtbot.addWidget(widget)
    widget.resize(340, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def doc() -> Document:
    """Input(1, 8, 8) -> Conv2d -> Flatten -> Output."""
    d = Document()
    d.add_node("Input", params={"shape": [1, 8, 8]}, id="image")
    d.add_node("Conv2d", params={"out_channels": 16, "padding": 1}, id="conv")
    d.add_node("Flatten", id="flat")
    d.add_node("Output", id="out")
    d.connect("image", "conv")
    d.connect("conv", "flat")
    d.connect("flat", "out")
    return d


def apply_edits(inspector: InspectorWidget, doc: Document) -> None:
    """Stand in for the app's controller: requests change the document."""
    inspector.params_edited.connect(lambda nid, values: doc.set_params(nid, **values))
    inspector.name_edited.connect(doc.rename_node)


def record(inspector: InspectorWidget) -> list:
    """Every params_edited request, in order."""
    edits: list = []
    inspector.params_edited.connect(lambda nid, values: edits.append((nid, values)))
    return edits


def paste(editor: QLineEdit, text: str) -> None:
    """Replace the whole text at once, as a paste does (one textEdited)."""
    editor.setFocus()
    editor.selectAll()
    editor.insert(text)


def retype(editor: QLineEdit, text: str) -> None:
    """Select all and type ``text`` as a user would (textEdited per key)."""
    editor.setFocus()
    editor.selectAll()
    QTest.keyClick(editor, Qt.Key.Key_Backspace)
    QTest.keyClicks(editor, text)


# -- parsing ------------------------------------------------------------------------------
def test_parse_text_reads_sizes_shapes_and_none():
    conv = catalog.get("Conv2d").params
    assert parse_text(conv["kernel_size"], "3") == 3
    assert parse_text(conv["kernel_size"], "3, 5") == (3, 5)
    assert parse_text(conv["kernel_size"], "(3, 5)") == (3, 5)
    assert parse_text(conv["kernel_size"], "[3 5]") == (3, 5)
    assert parse_text(catalog.get("Input").params["shape"], "784") == (784,)
    stride = catalog.get("MaxPool2d").params["stride"]
    assert parse_text(stride, "") is None and parse_text(stride, " None ") is None
    with pytest.raises(ParseError, match="expected"):
        parse_text(conv["kernel_size"], "3, x")
    with pytest.raises(ParseError, match="a value is needed"):
        parse_text(conv["kernel_size"], "")
    assert parse_text(catalog.get("BatchNorm2d").params["eps"], "1e-3") == 0.001


# -- empty state --------------------------------------------------------------------------
def test_no_node_shows_the_empty_state_with_model_totals(inspector, doc):
    inspector.set_document(doc)
    assert inspector.stack.currentWidget() is inspector.empty_page
    assert inspector.empty_label.text() == EMPTY_TEXT
    assert not inspector.totals.isVisible()
    inf = infer(doc)
    inspector.set_inference(inf)
    assert inspector.totals.isVisible()
    text = inspector.totals.text()
    assert f"{inf.total_params:,}" in text and f"{inf.total_macs:,}" in text
    assert f">{len(doc)}<" in text


def test_unknown_node_shows_the_empty_state(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("nope")
    assert inspector.node_id is None
    assert inspector.stack.currentWidget() is inspector.empty_page


# -- editors for the whole catalog --------------------------------------------------------
def test_every_parameter_of_every_kind_gets_a_fitting_editor(inspector):
    d = Document()
    inspector.set_document(d)
    for kind, entry in catalog.CATALOG.items():
        node = d.add_node(kind)
        inspector.set_node(node.id)
        assert inspector.title.text() == node.name
        assert set(inspector.editors) == set(entry.params.names), kind
        for p in entry.params:
            editor = inspector.editor(p.name)
            assert isinstance(editor, EDITOR_TYPES[p.type]), (kind, p.name, type(editor))
            assert inspector.editors[p.name].value() == p.default or (
                p.type == "size" and inspector.editors[p.name].value() in (p.default,)
            ), (kind, p.name)
            assert inspector.error_text(p.name) == ""
            if isinstance(editor, QSpinBox):
                low = int(p.min) + (1 if p.min_exclusive else 0)
                assert (editor.minimum(), editor.maximum()) == (low, int(p.max)), (kind, p.name)
            if isinstance(editor, QDoubleSpinBox):
                assert editor.minimum() >= p.min and editor.maximum() == p.max
            if isinstance(editor, QComboBox):
                assert [editor.itemText(i) for i in range(editor.count())] == [
                    str(c) for c in p.choices
                ]
            if p.optional and isinstance(editor, QLineEdit):
                assert editor.placeholderText() == "None"


def test_advanced_parameters_are_in_a_collapsible_section(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    body = inspector.advanced_body
    assert body.isAncestorOf(inspector.editor("dilation"))
    assert not body.isAncestorOf(inspector.editor("kernel_size"))
    assert not body.isVisible()
    inspector.advanced_button.click()
    assert body.isVisible()
    inspector.set_node("image")
    inspector.set_node("conv")  # the section stays open from node to node
    assert inspector.advanced_body.isVisible()


# -- valid edits --------------------------------------------------------------------------
def test_typing_a_size_emits_the_parsed_value_on_each_valid_change(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    edits = record(inspector)
    retype(inspector.editor("kernel_size"), "5, 3")
    # "5" and "5, 3" are valid; "5," and "5, " are not (two numbers needed)
    assert edits == [("conv", {"kernel_size": 5}), ("conv", {"kernel_size": (5, 3)})]
    assert isinstance(edits[-1][1]["kernel_size"], tuple)
    assert inspector.error_text("kernel_size") == ""


def test_spin_box_change_emits_int(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.waitSignal(inspector.params_edited) as blocker:
        inspector.editor("out_channels").setValue(64)
    assert blocker.args == ["conv", {"out_channels": 64}]


def test_combo_and_check_box_emit_their_values(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.waitSignal(inspector.params_edited) as blocker:
        inspector.editor("padding_preset").setCurrentText("same")
    assert blocker.args == ["conv", {"padding_preset": "same"}]
    with qtbot.waitSignal(inspector.params_edited) as blocker:
        inspector.editor("bias").click()
    assert blocker.args == ["conv", {"bias": False}]


def test_float_line_edit_accepts_scientific_notation(inspector, qtbot):
    d = Document()
    d.add_node("BatchNorm2d", id="bn")
    inspector.set_document(d)
    inspector.set_node("bn")
    edits = record(inspector)
    retype(inspector.editor("eps"), "1e-3")
    assert edits[-1] == ("bn", {"eps": 0.001})


def test_optional_field_empty_means_none(inspector, qtbot):
    d = Document()
    d.add_node("MaxPool2d", id="pool")
    inspector.set_document(d)
    apply_edits(inspector, d)
    inspector.set_node("pool")
    stride = inspector.editor("stride")
    assert stride.text() == "" and stride.placeholderText() == "None"
    retype(stride, "2")
    assert d.node("pool").params["stride"] == 2
    with qtbot.waitSignal(inspector.params_edited) as blocker:
        retype(stride, "")
    assert blocker.args == ["pool", {"stride": None}]
    assert d.node("pool").params["stride"] is None
    retype(stride, "None")
    assert inspector.error_text("stride") == ""


# -- invalid edits ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text", "why"),
    [
        ("kernel_size", "abc", "expected"),
        ("kernel_size", "0", ">= 1"),
        ("kernel_size", "3, 3, 3", "2 numbers"),
        ("kernel_size", "", "A value is needed"),
        ("stride", "2000", "<= 1024"),
    ],
)
def test_typing_an_invalid_value_shows_why_and_emits_nothing(
    inspector, doc, qtbot, name, text, why
):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.assertNotEmitted(inspector.params_edited):
        paste(inspector.editor(name), text)
    assert why in inspector.error_text(name)
    assert inspector.editors[name].error.isVisible()
    with qtbot.waitSignal(inspector.params_edited):
        paste(inspector.editor(name), "2")
    assert inspector.error_text(name) == ""


def test_an_edit_that_would_drop_a_connected_port_is_refused_inline(inspector, qtbot):
    d = Document()
    for i in range(3):
        d.add_node("Input", id=f"x{i}")
    d.add_node("Add", params={"inputs": 3}, id="add")
    for i in range(3):
        d.connect(f"x{i}", "add", dst_port=f"in{i + 1}")
    inspector.set_document(d)
    inspector.set_node("add")
    with qtbot.assertNotEmitted(inspector.params_edited):
        inspector.editor("inputs").setValue(2)
    assert "in3" in inspector.error_text("inputs")
    assert "disconnect it first" in inspector.error_text("inputs")
    with qtbot.waitSignal(inspector.params_edited) as blocker:
        inspector.editor("inputs").setValue(4)
    assert blocker.args == ["add", {"inputs": 4}]


def test_setting_the_same_value_emits_nothing(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.assertNotEmitted(inspector.params_edited):
        retype(inspector.editor("padding"), "1")


def test_leaving_a_refused_value_shows_the_documents_value_again(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    inspector.activateWindow()
    padding = inspector.editor("padding")
    paste(padding, "-4")
    assert inspector.error_text("padding")
    inspector.name_edit.setFocus()
    assert not padding.hasFocus()
    assert padding.text() == "1" and inspector.error_text("padding") == ""


# -- name ---------------------------------------------------------------------------------
def test_name_is_committed_on_enter(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.waitSignal(inspector.name_edited) as blocker:
        retype(inspector.name_edit, "Features")
        QTest.keyClick(inspector.name_edit, Qt.Key.Key_Return)
    assert blocker.args == ["conv", "Features"]


def test_an_empty_name_shows_the_reason_and_is_not_emitted(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.assertNotEmitted(inspector.name_edited):
        retype(inspector.name_edit, "   ")
        QTest.keyClick(inspector.name_edit, Qt.Key.Key_Return)
    assert "cannot be empty" in inspector.name_error.text()
    assert inspector.name_error.isVisible()


def test_escape_in_the_name_field_gives_up_the_edit(inspector, doc, qtbot):
    inspector.set_document(doc)
    inspector.set_node("conv")
    with qtbot.assertNotEmitted(inspector.name_edited):
        retype(inspector.name_edit, "")
        assert inspector.name_error.isVisible()
        QTest.keyClick(inspector.name_edit, Qt.Key.Key_Escape)
    assert inspector.name_edit.text() == doc.node("conv").name
    assert not inspector.name_error.isVisible()


# -- following the document ---------------------------------------------------------------
def test_node_changed_refreshes_other_editors_but_keeps_the_one_being_typed(inspector, doc, qtbot):
    inspector.set_document(doc)
    apply_edits(inspector, doc)
    inspector.set_node("conv")
    inspector.activateWindow()
    kernel = inspector.editor("kernel_size")
    retype(kernel, "5,  5")
    qtbot.waitUntil(kernel.hasFocus)
    assert doc.node("conv").params["kernel_size"] == (5, 5)
    kernel.setCursorPosition(2)
    doc.set_params("conv", out_channels=8, kernel_size=(5, 5))  # e.g. an undo elsewhere
    assert inspector.editor("out_channels").value() == 8
    assert kernel.text() == "5,  5" and kernel.cursorPosition() == 2 and kernel.hasFocus()
    retype(kernel, "5,")  # mid-typing: not valid yet
    assert inspector.error_text("kernel_size")
    doc.rename_node("conv", "Renamed")
    assert kernel.text() == "5," and inspector.error_text("kernel_size")
    assert inspector.title.text() == "Renamed" and inspector.name_edit.text() == "Renamed"


def test_node_changed_updates_an_unfocused_editor(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    doc.set_params("conv", kernel_size=(3, 5), padding_preset="same", bias=False)
    assert inspector.editor("kernel_size").text() == "3, 5"
    assert inspector.editor("padding_preset").currentText() == "same"
    assert not inspector.editor("bias").isChecked()


def test_removing_the_node_clears_the_inspector(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    doc.remove_node("flat")
    assert inspector.node_id == "conv"
    doc.remove_node("conv")
    assert inspector.node_id is None and inspector.editors == {}
    assert inspector.stack.currentWidget() is inspector.empty_page


def test_reset_rebuilds_or_clears(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    other = doc.copy()
    other.set_params("conv", out_channels=3)
    doc.assign(other)
    assert inspector.node_id == "conv"
    assert inspector.editor("out_channels").value() == 3
    doc.clear()
    assert inspector.node_id is None


def test_set_document_stops_following_the_old_one(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    inspector.set_document(Document())
    assert inspector.node_id is None
    doc.remove_node("conv")  # no listener left on the old document
    assert len(doc.node_removed) == 0


# -- facts ---------------------------------------------------------------------------------
def test_shows_shapes_counts_and_diagnostics_from_the_inference(inspector, doc):
    inspector.set_document(doc)
    inspector.set_node("conv")
    assert "Not inferred" in inspector.facts.text()
    inf = infer(doc)
    inspector.set_inference(inf)
    text = inspector.facts.text()
    assert "(1, 8, 8)" in text and "(16, 8, 8)" in text
    assert f"{inf.nodes['conv'].params:,}" in text and f"{inf.nodes['conv'].macs:,}" in text
    assert not inspector.problems_header.isVisible()

    doc.disconnect(doc.edge_into("conv", "in"))
    inspector.set_inference(infer(doc))
    assert inspector.problems_header.isVisible()
    labels = [w.text() for w in inspector._page.findChildren(type(inspector.title))]
    assert any("not connected" in t and "Wire an output into it" in t for t in labels)


def test_theme_change_rebuilds_in_the_new_colours(inspector, doc):
    app = QApplication.instance()
    inspector.set_document(doc)
    inspector.set_node("conv")
    try:
        theme.apply_theme(app, "dark")
        assert inspector.node_id == "conv" and "kernel_size" in inspector.editors
        paste(inspector.editor("kernel_size"), "x")
        error = inspector.editors["kernel_size"].error
        assert theme.colors().error.name() in error.styleSheet()
    finally:
        theme.apply_theme(app, "light")
    assert theme.colors().error.name() in inspector.editors["kernel_size"].error.styleSheet()
