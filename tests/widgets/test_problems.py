"""The Problems panel lists diagnostics errors first, counts them and reveals their nodes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.model import Document
from core.model.inference import ERROR, INFO, WARNING, Diagnostic, Inference, infer
from widgets import theme
from widgets.problems import DIAGNOSTIC_ROLE, NO_PROBLEMS, ProblemsPanel, counts_text


@pytest.fixture
def panel(qtbot):
    widget = ProblemsPanel()
    qtbot.addWidget(widget)
    widget.resize(600, 260)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def doc() -> Document:
    d = Document()
    d.add_node("Input", params={"shape": [4]}, id="x", name="Features")
    d.add_node("Linear", params={"out_features": 3}, id="fc", name="Classifier")
    d.add_node("Output", id="out")
    d.connect("x", "fc")
    d.connect("fc", "out")
    return d


def inference(*diagnostics: Diagnostic) -> Inference:
    return Inference(diagnostics=list(diagnostics))


def test_counts_text():
    assert counts_text(0, 0) == NO_PROBLEMS
    assert counts_text(2, 1) == "2 errors, 1 warning"
    assert counts_text(1, 0) == "1 error"
    assert counts_text(0, 3, 1) == "3 warnings, 1 note"


def test_a_healthy_model_has_no_problems(panel, doc, qtbot):
    with qtbot.assertNotEmitted(panel.counts_changed):
        panel.set_inference(infer(doc), doc)
    assert panel.header.text() == NO_PROBLEMS
    assert panel.model.rowCount() == 0
    assert panel.stack.currentWidget() is panel.empty


def test_rows_are_sorted_errors_then_warnings_then_notes(panel):
    panel.set_inference(
        inference(
            Diagnostic("b", WARNING, "w1", "hint w1"),
            Diagnostic(None, INFO, "i1"),
            Diagnostic("a", ERROR, "e1", "hint e1"),
            Diagnostic("c", WARNING, "w2"),
            Diagnostic(None, ERROR, "e2"),
        )
    )
    severities = [panel.model.item(r).data(DIAGNOSTIC_ROLE).message for r in range(5)]
    assert severities == ["e1", "e2", "w1", "w2", "i1"]
    assert panel.header.text() == "2 errors, 2 warnings, 1 note"
    assert panel.stack.currentWidget() is panel.view


def test_rows_name_the_node_or_the_model_and_carry_the_hint(panel, doc):
    doc.disconnect(doc.edge_into("fc", "in"))
    doc.remove_node("out")
    panel.set_inference(infer(doc), doc)
    texts = panel.row_texts()
    # the place column names the node, so the message drops its "'Classifier' (Linear): "
    assert texts[0] == "Classifier: Its input is not connected"
    assert any(t.startswith("Model: ") and "no Output" in t for t in texts)
    tip = panel.model.item(0).toolTip()
    assert "Wire an output into it" in tip and "Classifier" in tip


def test_names_come_from_the_document_when_given(panel, doc):
    doc.disconnect(doc.edge_into("fc", "in"))
    inf = infer(doc)
    doc.rename_node("fc", "Head")  # renamed after the inference ran
    panel.set_inference(inf, doc)
    assert panel.row_texts()[0].startswith("Head: ")
    panel.set_inference(inf)
    assert panel.row_texts()[0].startswith("Classifier: ")


def test_names_fall_back_to_the_inference_then_the_id(panel):
    inf = infer(Document())
    panel.set_inference(
        Inference(
            nodes=inf.nodes,
            diagnostics=[Diagnostic("ghost", ERROR, "gone"), Diagnostic(None, ERROR, "no output")],
        )
    )
    assert panel.row_texts() == ["ghost: Gone", "Model: No output"]


def test_counts_changed_is_emitted_only_when_counts_change(panel, doc, qtbot):
    doc.disconnect(doc.edge_into("fc", "in"))
    broken = infer(doc)
    with qtbot.waitSignal(panel.counts_changed) as blocker:
        panel.set_inference(broken, doc)
    assert blocker.args == [len(broken.errors), len(broken.warnings)]
    assert blocker.args[0] >= 1
    with qtbot.assertNotEmitted(panel.counts_changed):
        panel.set_inference(broken, doc)
    doc.connect("x", "fc")
    with qtbot.waitSignal(panel.counts_changed) as blocker:
        panel.set_inference(infer(doc), doc)
    assert blocker.args == [0, 0]
    assert panel.header.text() == NO_PROBLEMS


def test_clicking_a_problem_activates_its_node(panel, qtbot):
    panel.set_inference(
        inference(Diagnostic(None, ERROR, "no output"), Diagnostic("fc", WARNING, "unused"))
    )
    rect = panel.view.visualRect(panel.model.index(1, 0))
    with qtbot.waitSignal(panel.node_activated) as blocker:
        QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == ["fc"]
    rect = panel.view.visualRect(panel.model.index(0, 0))
    with qtbot.assertNotEmitted(panel.node_activated):  # a model-wide problem has no node
        QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_enter_on_a_problem_activates_its_node(panel, qtbot):
    panel.set_inference(inference(Diagnostic("conv", ERROR, "bad"), Diagnostic("fc", ERROR, "x")))
    panel.view.setCurrentIndex(panel.model.index(1, 0))
    with qtbot.waitSignal(panel.node_activated) as blocker:
        QTest.keyClick(panel.view, Qt.Key.Key_Return)
    assert blocker.args == ["fc"]


def test_rows_with_a_hint_are_taller(panel):
    panel.set_inference(
        inference(Diagnostic("a", ERROR, "m", "do this"), Diagnostic("b", ERROR, "m"))
    )
    with_hint = panel.view.sizeHintForIndex(panel.model.index(0, 0)).height()
    without = panel.view.sizeHintForIndex(panel.model.index(1, 0)).height()
    assert with_hint > without


def test_none_clears_the_list(panel, qtbot):
    panel.set_inference(inference(Diagnostic("a", ERROR, "m")))
    with qtbot.waitSignal(panel.counts_changed) as blocker:
        panel.set_inference(None)
    assert blocker.args == [0, 0]
    assert panel.model.rowCount() == 0


def test_rows_paint_in_light_and_dark(panel):
    app = QApplication.instance()
    panel.set_inference(inference(Diagnostic("a", ERROR, "broken", "fix it")))
    light = panel.view.viewport().grab().toImage()
    try:
        theme.apply_theme(app, "dark")
        dark = panel.view.viewport().grab().toImage()
        assert dark.pixelColor(2, 2).lightnessF() < 0.5 < light.pixelColor(2, 2).lightnessF()
        assert not panel.header_icon.pixmap().isNull()
    finally:
        theme.apply_theme(app, "light")


def test_unchanged_diagnostics_keep_the_rows_and_changed_ones_replace_them(panel, doc):
    doc.disconnect(doc.edge_into("fc", "in"))
    panel.set_inference(infer(doc), doc)
    texts = panel.row_texts()
    assert texts and texts[0].startswith("Classifier: ")
    panel.view.setCurrentIndex(panel.model.index(0, 0))
    first = panel.model.item(0)
    panel.set_inference(infer(doc), doc)  # the same problems: nothing is rebuilt
    assert panel.model.item(0) is first and panel.view.currentIndex().row() == 0
    assert panel.row_texts() == texts
    doc.rename_node("fc", "Head")  # the same diagnostic under another name: new rows
    panel.set_inference(infer(doc), doc)
    assert panel.row_texts()[0].startswith("Head: ")
    doc.connect("x", "fc")  # healthy again: the rows go
    panel.set_inference(infer(doc), doc)
    assert panel.model.rowCount() == 0 and panel.stack.currentWidget() is panel.empty
