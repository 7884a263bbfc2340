"""Opening a project: the whole graph when it fits at a readable zoom, else its start."""

from __future__ import annotations

import pytest

from core.model import Document
from widgets.canvas import CanvasScene, CanvasView
from widgets.canvas.view import READABLE_ZOOM


@pytest.fixture
def view(qtbot):
    view = CanvasView()
    view.setScene(CanvasScene(view))
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def chain_document(n: int) -> Document:
    doc = Document()
    prev = doc.add_node("Input", params={"shape": [4]}, position=(0, 0)).id
    for i in range(1, n):
        nid = doc.add_node("ReLU", position=(i * 240.0, 0)).id
        doc.connect(prev, nid)
        prev = nid
    return doc


def visible(view, node_id) -> bool:
    item = view.scene().item_for_node(node_id)
    area = view.mapToScene(view.viewport().rect()).boundingRect()
    return area.contains(item.sceneBoundingRect())


def test_a_small_graph_is_fitted_whole(view):
    doc = chain_document(3)
    view.scene().set_document(doc)
    view.show_start()
    assert READABLE_ZOOM <= view.zoom() <= 1.0
    assert all(visible(view, nid) for nid in doc.nodes)


def test_a_long_chain_opens_on_its_first_layers_at_a_readable_zoom(view):
    doc = chain_document(30)
    view.scene().set_document(doc)
    view.zoom_fit()
    assert view.zoom() < READABLE_ZOOM  # fitting it all would make the text unreadable
    view.show_start()
    assert view.zoom() == pytest.approx(READABLE_ZOOM)
    ids = list(doc.nodes)
    assert visible(view, ids[0]) and visible(view, ids[1])
    assert not visible(view, ids[-1])
