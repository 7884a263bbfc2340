"""``core.model``: the model document (layer graph, catalog, inference, build, file format).

Headless: no Qt. The GUI mirrors a :class:`Document` through its events.
"""

from core.model import kinds  # noqa: F401  (registers the catalog entries)
from core.model.catalog import CATALOG, LayerKind, ModuleSpec, ShapeError
from core.model.document import Document, DocumentError, Edge, Node
from core.model.params import Param, ParamError, Schema

__all__ = [
    "CATALOG",
    "Document",
    "DocumentError",
    "Edge",
    "LayerKind",
    "ModuleSpec",
    "Node",
    "Param",
    "ParamError",
    "Schema",
    "ShapeError",
]
