"""Training-health badges on the canvas: pills under a node card, a NaN outlines it red."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem

from core.model import Document
from core.train.health import Issue, NodeHealth
from widgets import theme
from widgets.canvas import CanvasScene, CanvasView
from widgets.canvas.items import TEXT_LOD

DEAD = Issue("warning", "dead_relu", "62% dead", "62% of this activation's units output 0.")
VANISHING = Issue("warning", "vanishing", "\u2207 3e-9", "The gradient has vanished: 3.0e-09.")
NAN = Issue("error", "nan", "NaN", "The forward pass produced NaN first in op Linear <here>.")


@pytest.fixture
def canvas(qtbot):
    """Input -> Linear -> ReLU -> Output in a scene shown by a view."""
    doc = Document()
    ids = [
        doc.add_node(kind, position=(200.0 * i, 0.0)).id
        for i, kind in enumerate(("Input", "Linear", "ReLU", "Output"))
    ]
    for a, b in zip(ids, ids[1:]):
        doc.connect(a, b)
    view = CanvasView()
    scene = CanvasScene(view)
    view.setScene(scene)
    scene.set_document(doc)
    qtbot.addWidget(view)
    view.resize(900, 400)
    view.show()
    qtbot.waitExposed(view)
    yield SimpleNamespace(doc=doc, scene=scene, view=view, ids=ids)
    scene.set_document(None)


def health(**issues) -> dict[str, NodeHealth]:
    return {nid: NodeHealth(nid, 0.1, None, tuple(found)) for nid, found in issues.items()}


def test_set_health_puts_pills_with_the_texts_and_tooltips_under_the_right_card(canvas):
    scene, (_, linear, relu, _) = canvas.scene, canvas.ids
    scene.set_health({**health(**{relu: [DEAD]}), linear: NodeHealth(linear, 0.2, None, ())})
    badge = scene.item_for_node(relu).health_badge
    assert badge.isVisible() and badge.scene() is scene
    assert [i.badge for i in badge.issues] == ["62% dead"]
    assert "62% of this activation" in badge.toolTip() and "62% dead" in badge.toolTip()
    assert not scene.item_for_node(linear).health_badge.isVisible()  # healthy: no badge
    assert scene.item_for_node(linear).health.grad_norm == 0.2
    # under the card's bottom-left corner: clear of the diagnostic badge (top right)
    card = scene.item_for_node(relu)
    pills = badge.sceneBoundingRect()
    assert pills.top() > card.sceneBoundingRect().bottom() - 3.0
    assert pills.left() == pytest.approx(card.scenePos().x() - 1.0)
    assert not pills.intersects(card.badge.sceneBoundingRect())


def test_one_pill_per_issue_and_a_nan_outlines_the_card_red(canvas):
    scene, linear = canvas.scene, canvas.ids[1]
    scene.set_health(health(**{linear: [NAN, VANISHING]}))
    item = scene.item_for_node(linear)
    assert [i.badge for i in item.health_badge.issues] == ["NaN", "\u2207 3e-9"]
    assert item.health_error and item.severity is None  # not a document diagnostic
    assert "&lt;here&gt;" in item.health_badge.toolTip()  # the tooltip is escaped HTML
    rect = item.sceneBoundingRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    scene.render(painter, QRectF(image.rect()), rect)
    painter.end()
    # the card's bottom edge, halfway along: the error colour
    x = int(item.scenePos().x() - rect.left() + item.width / 2)
    edge = image.pixelColor(x, int(item.scenePos().y() - rect.top() + item.height - 1))
    assert _close(edge, scene.look.colors.error)


def test_clearing_removes_every_badge(canvas):
    scene, (_, linear, relu, _) = canvas.scene, canvas.ids
    for empty in (None, {}):
        scene.set_health(health(**{relu: [DEAD], linear: [NAN]}))
        scene.set_health(empty)
        for item in scene.node_items():
            assert not item.health_badge.isVisible() and item.health is None
            assert not item.health_error


def test_new_numbers_with_the_same_issues_leave_the_badge_alone(canvas):
    scene, relu = canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    badge = scene.item_for_node(relu).health_badge
    rect = badge.boundingRect()
    scene.set_health({relu: NodeHealth(relu, None, 0.61, (DEAD,))})
    assert badge.isVisible() and badge.boundingRect() == rect
    assert scene.item_for_node(relu).health.dead_fraction == 0.61


def test_removing_a_node_drops_its_badge_and_later_health_for_it_is_skipped(canvas):
    doc, scene, relu = canvas.doc, canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    badge = scene.item_for_node(relu).health_badge
    doc.remove_node(relu)
    assert scene.item_for_node(relu) is None and badge.scene() is None
    scene.set_health(health(**{relu: [DEAD]}))  # a late delivery: no crash
    canvas.view.grab()


def test_a_new_document_drops_all_badges(canvas):
    doc, scene, relu = canvas.doc, canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    other = Document()
    for nid in canvas.ids:
        other.add_node(doc.node(nid).kind)  # the same ids, another model
    doc.assign(other)
    assert all(not item.health_badge.isVisible() for item in scene.node_items())


def test_badges_survive_a_theme_change_in_the_new_colours(canvas):
    scene, relu = canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    app = QApplication.instance()
    try:
        theme.apply_theme(app, "dark")
        badge = scene.item_for_node(relu).health_badge
        assert badge.isVisible() and [i.badge for i in badge.issues] == ["62% dead"]
        fill, ink = scene.look.health_colors("warning")
        assert fill == theme.colors().warning
        assert ink.lightnessF() < 0.5  # dark text on the dark theme's bright amber
        assert _close(_pixel_in(badge, scale=1.0), fill)
    finally:
        theme.apply_theme(app, "light")
    assert scene.look.health_colors("error")[1] == QColor("white")


def test_the_pills_hide_far_out_where_the_card_drops_its_text(canvas):
    scene, relu = canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    badge = scene.item_for_node(relu).health_badge
    assert _close(_pixel_in(badge, scale=1.0), scene.look.colors.warning)
    assert _pixel_in(badge, scale=TEXT_LOD * 0.9).alpha() == 0


def test_right_clicking_a_pill_means_its_node(canvas):
    scene, relu = canvas.scene, canvas.ids[2]
    scene.set_health(health(**{relu: [DEAD]}))
    badge = scene.item_for_node(relu).health_badge
    inside = badge.mapToScene(QPointF(4.0, badge.boundingRect().center().y()))
    assert scene._node_at(inside) is scene.item_for_node(relu)


# -- helpers ----------------------------------------------------------------------------------
def _pixel_in(badge, scale: float) -> QColor:
    """The colour the badge paints near its first pill's left end, painted at ``scale``."""
    image = QImage(200, 40, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.scale(scale, scale)
    badge.paint(painter, QStyleOptionGraphicsItem())
    painter.end()
    return image.pixelColor(int(5 * scale), int(badge.HEIGHT / 2 * scale))


def _close(a: QColor, b: QColor, tol: int = 24) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))
