"""The node canvas: a QGraphicsScene that mirrors a core Document, and its view.

``CanvasScene`` shows the document's nodes and edges and reports what a person does as
request signals; ``CanvasView`` adds zoom, pan, the grid and drops from the palette.
"""

from widgets.canvas.items import EdgeItem, NodeItem, PortItem
from widgets.canvas.scene import CanvasScene
from widgets.canvas.view import CanvasView

__all__ = ["CanvasScene", "CanvasView", "EdgeItem", "NodeItem", "PortItem"]
