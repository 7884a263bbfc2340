"""widgets.insight: the decision boundary, confusion matrix, predictions and try-it tabs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from core.model import Document, load
from core.model.data import load_data
from core.train import document_trainer
from core.train.insight import InsightProbe, InsightSnapshot, predict
from widgets import theme
from widgets.insight import (
    HINT,
    NO_DATA,
    PRESS_PREDICT,
    TAB_BOUNDARY,
    TAB_CONFUSION,
    TAB_FIT,
    TAB_PREDICTIONS,
    TAB_TRY,
    TRAIN_FIRST,
    InsightPanel,
    boundary_rgb,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def mlp_doc(dataset: dict, inputs: int = 2, outputs: int = 2) -> Document:
    doc = Document()
    doc.add_node("Input", params={"shape": [inputs]})
    doc.add_node("Linear", params={"out_features": 16})
    doc.add_node("ReLU")
    doc.add_node("Linear", params={"out_features": outputs})
    doc.add_node("Output")
    ids = list(doc.nodes)
    for a, b in zip(ids, ids[1:]):
        doc.connect(a, b)
    doc.set_dataset(dataset)
    doc.set_training({"epochs": 2, "batch_size": 16, "lr": 0.05})
    return doc


class Case:
    """Data, a briefly trained model and its last snapshot."""

    def __init__(self, doc: Document, epochs: int | None = None, **probe) -> None:
        self.data = load_data(doc.dataset)
        trainer = document_trainer(doc, data=self.data)
        self.snapshots: list[InsightSnapshot] = []
        p = InsightProbe(self.data, self.snapshots.append, **probe)
        p.model = trainer.model
        if epochs:
            trainer.callbacks.append(p)
            trainer.run(epochs)
        else:
            p.snapshot(3, 1)
        self.model = trainer.model
        self.snapshot = p.last


@pytest.fixture(scope="module")
def moons() -> Case:
    return Case(mlp_doc({"name": "moons", "options": {"n_samples": 200}}), epochs=2, grid=48)


@pytest.fixture(scope="module")
def digits() -> Case:
    return Case(load(EXAMPLES / "cnn_digits.ember.json"), n_samples=16)


@pytest.fixture(scope="module")
def sine() -> Case:
    return Case(mlp_doc({"name": "sine", "options": {"n_samples": 100}}, inputs=1, outputs=1))


@pytest.fixture
def panel(qtbot) -> InsightPanel:
    w = InsightPanel()
    qtbot.addWidget(w)
    w.resize(600, 440)
    return w


def tab(panel: InsightPanel, title: str) -> int:
    titles = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    return titles.index(title)


# -- tabs ------------------------------------------------------------------------------------------
def test_without_data_every_tab_is_disabled_and_says_why(panel):
    for i in range(panel.tabs.count()):
        assert not panel.tabs.isTabEnabled(i)
        assert panel.tabs.tabToolTip(i) == NO_DATA


def test_two_dimensional_classes_enable_boundary_confusion_and_try_it(panel, moons):
    panel.set_data(moons.data)
    enabled = {panel.tabs.tabText(i): panel.tabs.isTabEnabled(i) for i in range(4)}
    assert enabled == {
        TAB_BOUNDARY: True,
        TAB_CONFUSION: True,
        TAB_PREDICTIONS: False,
        TAB_TRY: True,
    }
    assert "image" in panel.tabs.tabToolTip(tab(panel, TAB_PREDICTIONS))
    assert panel.tabs.currentIndex() == tab(panel, TAB_BOUNDARY)


def test_images_disable_the_boundary_with_the_reason(panel, digits):
    panel.set_data(digits.data)
    i = tab(panel, TAB_BOUNDARY)
    assert not panel.tabs.isTabEnabled(i)
    assert "two features" in panel.tabs.tabToolTip(i) and "1x8x8" in panel.tabs.tabToolTip(i)
    for title in (TAB_CONFUSION, TAB_PREDICTIONS, TAB_TRY):
        assert panel.tabs.isTabEnabled(tab(panel, title))
    assert panel.tabs.currentIndex() != i


def test_one_dimensional_regression_shows_a_fitted_curve_and_no_confusion(panel, sine):
    panel.set_data(sine.data)
    assert panel.tabs.isTabEnabled(tab(panel, TAB_FIT))
    assert TAB_BOUNDARY not in [panel.tabs.tabText(i) for i in range(4)]
    assert not panel.tabs.isTabEnabled(tab(panel, TAB_CONFUSION))
    assert "regression" in panel.tabs.tabToolTip(tab(panel, TAB_CONFUSION))
    panel.show_snapshot(sine.snapshot)
    xs, ys = panel.boundary_view.curve.getData()
    np.testing.assert_allclose(xs, sine.snapshot.fit.xs)
    np.testing.assert_allclose(ys, sine.snapshot.fit.prediction)
    n_train = len(sine.data.train)
    assert len(panel.boundary_view.train_points.data) == n_train


# -- empty state -----------------------------------------------------------------------------------
def test_each_tab_shows_the_hint_until_the_first_snapshot(panel, moons):
    panel.set_data(moons.data)
    for page in (panel.boundary_page, panel.confusion_page, panel.predictions_page):
        assert page.currentIndex() == 0 and page.hint.text() == HINT
    assert panel.try_view.result.currentWidget() is panel.try_view.result_hint
    assert panel.try_view.result_hint.text() == HINT
    panel.show_snapshot(moons.snapshot)
    assert panel.boundary_page.currentIndex() == 1 and panel.confusion_page.currentIndex() == 1
    panel.set_data(moons.data)  # a new run: back to the hints
    assert panel.boundary_page.currentIndex() == 0 and panel.confusion_page.currentIndex() == 0


# -- decision boundary -----------------------------------------------------------------------------
def test_a_snapshot_fills_the_boundary_image_under_the_data_points(panel, moons):
    panel.set_data(moons.data)
    panel.show_snapshot(moons.snapshot)
    image = panel.boundary_view.image.image
    assert image.shape == (48, 48, 3) and image.dtype == np.uint8
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10  # shades, not one colour
    b = moons.snapshot.boundary
    rect = panel.boundary_view.image.boundingRect()
    assert rect.width() == 48 and rect.height() == 48
    assert len(panel.boundary_view.train_points.data) == len(moons.data.train)
    assert len(panel.boundary_view.val_points.data) == len(moons.data.val)
    # the image spans the grid (half a cell beyond the outer grid points)
    mapped = panel.boundary_view.image.mapRectToParent(rect)
    dx = (b.xs[-1] - b.xs[0]) / 47
    assert mapped.left() == pytest.approx(b.xs[0] - dx / 2, rel=1e-4)
    assert "step" in panel.boundary_view.caption.text()


def test_boundary_colours_follow_the_winning_class_and_fade_where_unsure():
    bg = theme.colors().canvas_bg
    probs = np.array([[[0.99, 0.01], [0.5, 0.5], [0.01, 0.99]]], np.float32)
    rgb = boundary_rgb(probs, bg).astype(int)
    orange, neutral, blue = rgb[0]
    assert orange[0] > orange[2] and blue[2] > blue[0]  # orange, then blue
    assert tuple(neutral) == (bg.red(), bg.green(), bg.blue())


def test_a_theme_change_redraws_the_boundary(qtbot, panel, moons):
    app = QApplication.instance()
    panel.set_data(moons.data)
    panel.show_snapshot(moons.snapshot)
    light = panel.boundary_view.image.image.copy()
    try:
        theme.apply_theme(app, "dark")
        dark = panel.boundary_view.image.image
        assert not np.array_equal(light, dark)
        assert panel.boundary_view.plot.backgroundBrush().color() == theme.colors().canvas_bg
    finally:
        theme.apply_theme(app, "light")


# -- confusion matrix ------------------------------------------------------------------------------
def test_the_confusion_matrix_shows_counts_classes_and_the_accuracy(panel, digits):
    panel.set_data(digits.data)
    panel.show_snapshot(digits.snapshot)
    view = panel.confusion_view
    m = digits.snapshot.confusion
    np.testing.assert_array_equal(view.matrix.matrix, m)
    assert view.matrix.classes == [str(i) for i in range(10)]
    assert view.matrix.cell_text(3, 3) == str(int(m[3, 3]))
    assert f"{100 * digits.snapshot.val_accuracy:.1f}%" in view.title.text()
    assert f"{int(m.sum()):,} samples" in view.title.text()
    view.normalize.setChecked(True)
    share = 100 * m[3, 3] / m[3].sum()
    assert view.matrix.cell_text(3, 3) == f"{share:.0f}%"
    # a point in the cell area maps to its row and column
    view.matrix.resize(400, 400)
    area, cell, *_ = view.matrix._layout()
    hit = view.matrix.cell_at(area.topLeft() + (area.bottomRight() - area.topLeft()) * 0.99)
    assert hit == (9, 9)


def test_the_matrix_uses_the_dataset_class_names(panel, moons):
    panel.set_data(moons.data)
    panel.show_snapshot(moons.snapshot)
    assert panel.confusion_view.matrix.classes == ["upper", "lower"]
    panel.confusion_view.grab()  # paints without error


# -- predictions -----------------------------------------------------------------------------------
def test_the_predictions_grid_shows_each_sample_with_its_prediction(panel, digits):
    panel.set_data(digits.data)
    panel.show_snapshot(digits.snapshot)
    s = digits.snapshot.samples
    grid = panel.predictions_view.grid
    assert len(grid.images) == len(s.indices) == 16
    assert grid.images[0].width() == 8 and grid.images[0].height() == 8
    for (text, true, right), pred, conf, target in zip(
        grid.captions, s.predictions, s.confidence, s.targets
    ):
        assert text == f"{pred} ({conf:.2f})"
        assert right == (pred == target) and true == f"true {target}"
    wrong = int((s.predictions != s.targets).sum())
    assert f"{wrong} wrong" in panel.predictions_view.title.text()
    assert grid.heightForWidth(300) > grid.heightForWidth(1200)
    panel.predictions_view.grab()


# -- try it ----------------------------------------------------------------------------------------
def test_predict_is_disabled_until_a_model_exists(panel, moons):
    panel.set_data(moons.data)
    button = panel.try_view.predict
    assert not button.isEnabled() and button.toolTip() == TRAIN_FIRST
    panel.set_model_ready(True)
    assert button.isEnabled()
    assert panel.try_view.result_hint.text() == PRESS_PREDICT
    panel.set_model_ready(False)
    assert not button.isEnabled() and button.toolTip() == TRAIN_FIRST


def test_try_it_sends_typed_feature_values_and_shows_probability_bars(qtbot, panel, moons):
    panel.set_data(moons.data)
    panel.set_model_ready(True)
    view = panel.try_view
    x_val = moons.data.val.numpy()[0]
    assert [view.form.labelForField(f).text() for f in view.fields] == ["x1", "x2"]
    assert view.fields[0].value() == pytest.approx(x_val[0, 0], abs=1e-4)
    view.sample.setValue(5)
    assert view.fields[1].value() == pytest.approx(x_val[5, 1], abs=1e-4)
    view.fields[0].setValue(0.25)
    with qtbot.waitSignal(panel.predict_requested) as sent:
        qtbot.mouseClick(view.predict, Qt.MouseButton.LeftButton)
    x = sent.args[0]
    assert x.shape == (1, 2) and x.dtype == np.float32
    assert x[0, 0] == pytest.approx(0.25) and x[0, 1] == pytest.approx(x_val[5, 1], abs=1e-4)
    out = predict(moons.model, x, "classification")
    panel.show_prediction(x, out)
    assert view.result.currentWidget() is view.bars
    np.testing.assert_allclose(view.bars.probs, out[0], rtol=1e-6)
    assert view.bars.classes == ["upper", "lower"]
    top = moons.data.classes[int(out[0].argmax())]
    assert top in view.result_title.text()
    view.bars.grab()


def test_try_it_sends_a_validation_image_in_the_model_input_shape(qtbot, panel, digits):
    panel.set_data(digits.data)
    panel.set_model_ready(True)
    view = panel.try_view
    view.sample.setValue(7)
    assert view.image_box.image is not None and view.image_box.image.width() == 8
    target = int(digits.data.val.numpy()[1][7])
    assert view.truth.text() == f"True class: {target}"
    with qtbot.waitSignal(panel.predict_requested) as sent:
        view.predict.click()
    x = sent.args[0]
    assert x.shape == (1, 1, 8, 8)
    np.testing.assert_array_equal(x[0], digits.data.val.numpy()[0][7])
    panel.show_prediction(x, predict(digits.model, x, "classification"))
    assert len(view.bars.rows()) == 10


def test_random_sample_picks_a_validation_sample(panel, moons):
    panel.set_data(moons.data)
    view = panel.try_view
    seen = set()
    for _ in range(20):
        view.random.click()
        seen.add(view.sample.value())
    assert len(seen) > 1 and max(seen) < len(moons.data.val)


def test_a_regression_prediction_shows_the_value(panel, sine):
    panel.set_data(sine.data)
    panel.set_model_ready(True)
    x = panel.try_view.current_input()
    assert x.shape == (1, 1)
    panel.show_prediction(x, np.array([[0.4321]], np.float32))
    assert panel.try_view.result.currentWidget() is panel.try_view.value
    assert panel.try_view.value.text() == "0.4321"
