"""Shape inference: per-node output shapes, parameter/MAC counts and diagnostics.

``infer(document)`` walks the DAG once in topological order. Shapes are per sample (no
batch dimension). A node whose input is missing or upstream broken gets no shape and no
extra diagnostic (one problem is reported once, where it is).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.model import catalog
from core.model.catalog import ShapeError, shape_str
from core.model.document import Document

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Diagnostic:
    """A problem found by inference: ``node_id`` (None: the whole model), ``severity``
    ("error", "warning", "info"), ``message``, ``hint`` (what to do) and a stable ``code``
    (missing_input, mismatch, rank, flatten, dtype, shape, unused, no_output, no_input)."""

    node_id: str | None
    severity: str
    message: str
    hint: str = ""
    code: str = ""

    def __str__(self) -> str:
        where = f"{self.node_id}: " if self.node_id else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.severity}: {where}{self.message}{hint}"


@dataclass
class NodeInfo:
    """What inference knows about one node (``shape`` None when it could not be inferred)."""

    id: str
    kind: str
    name: str
    in_shapes: list[tuple[int, ...] | None]
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    params: int = 0
    macs: int = 0


@dataclass
class Inference:
    """The result of :func:`infer`: ``nodes`` by id (topological order) and ``diagnostics``."""

    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == WARNING]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): the model can be built."""
        return not self.errors

    def for_node(self, node_id: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.node_id == node_id]

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes.values())

    @property
    def total_macs(self) -> int:
        return sum(n.macs for n in self.nodes.values())


def infer(doc: Document) -> Inference:
    """Infer every node's shape, dtype and counts, and collect diagnostics."""
    result = Inference()
    nodes = doc._nodes  # read-only use of the internals: this runs on every edit
    into = doc._into
    diag = result.diagnostics.append
    for nid in doc.topological_order():
        node = nodes[nid]
        entry = catalog.get(node.kind)
        ports = entry.input_ports(node.params)
        info = NodeInfo(nid, node.kind, node.name, [])
        result.nodes[nid] = info
        in_dtypes = []
        broken = False
        for port in ports:
            edge = into.get((nid, port))
            if edge is None:
                info.in_shapes.append(None)
                broken = True
                label = f"input {port!r}" if len(ports) > 1 else "its input"
                diag(
                    Diagnostic(
                        nid,
                        ERROR,
                        f"{node.name!r} ({node.kind}): {label} is not connected",
                        "wire an output into it",
                        "missing_input",
                    )
                )
                continue
            src = result.nodes[edge.src]
            info.in_shapes.append(src.shape)
            in_dtypes.append(src.dtype)
            if src.shape is None:
                broken = True
        if broken:
            continue
        # dtype rules
        dtype = "float32"
        if entry.dtype == "source":
            dtype = node.params.get("dtype", "float32")
        elif entry.dtype == "any":
            dtype = in_dtypes[0] if in_dtypes else "float32"
        else:
            wants_int = entry.dtype == "index"
            bad = [d for d in in_dtypes if (d == "int64") != wants_int]
            if bad:
                msg = (
                    f"{node.name!r} ({node.kind}) needs integer indices, got {bad[0]} values"
                    if wants_int
                    else f"{node.name!r} ({node.kind}) needs float values, got {bad[0]} indices"
                )
                hint = (
                    "set the Input's dtype to int64"
                    if wants_int
                    else "put an Embedding first, or set the Input's dtype to float32"
                )
                diag(Diagnostic(nid, ERROR, msg, hint, "dtype"))
                continue
        try:
            shape = tuple(entry.infer(node.params, info.in_shapes))
        except ShapeError as e:
            diag(Diagnostic(nid, ERROR, f"{node.name!r}: {e.message}", e.hint, e.code))
            continue
        if any(d < 1 for d in shape):
            diag(
                Diagnostic(
                    nid,
                    ERROR,
                    f"{node.name!r} ({node.kind}) would output {shape_str(shape)}, "
                    "which has an empty dimension",
                    "use a smaller kernel or stride, or more padding",
                    "empty",
                )
            )
            continue
        info.shape, info.dtype = shape, dtype
        info.params, info.macs = entry.count(node.params, info.in_shapes, shape)
    _reachability(doc, result)
    return result


def _reachability(doc: Document, result: Inference) -> None:
    """Diagnostics for a model with no input/output and for nodes that feed no output."""
    nodes = doc._nodes
    outputs = [nid for nid, n in nodes.items() if catalog.get(n.kind).is_output]
    if nodes and not any(catalog.get(n.kind).is_input for n in nodes.values()):
        result.diagnostics.append(
            Diagnostic(None, "error", "the model has no Input node", "add an Input", "no_input")
        )
    if not outputs:
        if nodes:
            result.diagnostics.append(
                Diagnostic(
                    None,
                    "error",
                    "the model has no Output node",
                    "add an Output and wire the last layer into it",
                    "no_output",
                )
            )
        return
    pred: dict[str, list[str]] = {}
    for e in doc._edges:
        pred.setdefault(e.dst, []).append(e.src)
    live, stack = set(outputs), list(outputs)
    while stack:
        for m in pred.get(stack.pop(), ()):
            if m not in live:
                live.add(m)
                stack.append(m)
    for nid, n in nodes.items():
        if nid not in live:
            result.diagnostics.append(
                Diagnostic(
                    nid,
                    WARNING,
                    f"{n.name!r} ({n.kind}) does not lead to any Output",
                    "connect it towards an Output, or delete it",
                    "unused",
                )
            )
