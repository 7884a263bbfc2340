"""``core.model``: the model document (layer graph, catalog, inference, build, file format).

Headless: no Qt. The GUI mirrors a :class:`Document` through its events.
"""

from core.model import kinds  # noqa: F401  (registers the catalog entries)
from core.model.build import BuildError, GraphModel, build
from core.model.catalog import CATALOG, LayerKind, ModuleSpec, ShapeError
from core.model.document import Document, DocumentError, Edge, Node
from core.model.inference import Diagnostic, Inference, NodeInfo, infer
from core.model.params import Param, ParamError, Schema
from core.model.serialize import FormatError, dumps, load, loads, save
from core.model.summary import summary_rows, summary_text

__all__ = [
    "CATALOG",
    "BuildError",
    "Diagnostic",
    "Document",
    "DocumentError",
    "Edge",
    "FormatError",
    "GraphModel",
    "Inference",
    "LayerKind",
    "ModuleSpec",
    "Node",
    "NodeInfo",
    "Param",
    "ParamError",
    "Schema",
    "ShapeError",
    "build",
    "dumps",
    "infer",
    "load",
    "loads",
    "save",
    "summary_rows",
    "summary_text",
]
