"""Shape inference: per-node output shapes, dtypes, parameter/MAC counts and diagnostics.

``infer(document)`` walks the DAG once in topological order. Shapes are per sample (no
batch dimension). Each problem is reported once, at the node where it is: a node whose
input is missing or comes from a broken node gets no shape and no diagnostic of its own
(no cascade of follow-up errors down the graph).

One pass over a 500-node document takes a few milliseconds
(``python benchmarks/bench_inference.py``), so the GUI simply reruns it on every edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.model import catalog
from core.model.catalog import ShapeError, shape_str
from core.model.document import Document

ERROR, WARNING, INFO = "error", "warning", "info"

#: Every diagnostic code :func:`infer` can give, with what it means.
CODES = {
    "missing_input": "an input port of a node is not connected",
    "mismatch": "a merge node's inputs have shapes it cannot combine (Add, Concat, ...)",
    "rank": "a node gets an input with the wrong number of dimensions (Conv2d on 1-D data)",
    "flatten": "a Linear after a multi-dimensional output, with no Flatten in between",
    "dtype": "integer indices where float values are needed, or the other way round",
    "shape": "any other shape a layer refuses (a kernel larger than its input, ...)",
    "empty": "a layer would output a dimension of size 0 or less",
    "internal": "a layer kind's shape inference failed unexpectedly (a bug in that kind)",
    "unused": "a branch whose result reaches no Output (warning, at the branch's end)",
    "no_output": "the model has no Output node",
    "no_input": "the model has no Input node",
}

DTYPE_BYTES = {"float32": 4, "float64": 8, "float16": 2, "int64": 8, "int32": 4, "bool": 1}


@dataclass(frozen=True)
class Diagnostic:
    """A problem found by inference: ``node_id`` (None: the whole model), ``severity``
    ("error", "warning", "info"), ``message``, ``hint`` (what to do) and a stable ``code``
    (a key of :data:`CODES`)."""

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
    """What inference knows about one node: its input shapes (None where unknown), and
    ``shape``/``dtype`` None when they could not be inferred. ``params`` and ``macs`` are
    per sample."""

    id: str
    kind: str
    name: str
    in_shapes: list[tuple[int, ...] | None]
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    params: int = 0
    macs: int = 0

    @property
    def known(self) -> bool:
        """Whether the output shape was inferred."""
        return self.shape is not None


@dataclass
class Inference:
    """The result of :func:`infer`: ``nodes`` by id (topological order) and ``diagnostics``
    (errors in topological order, then model-wide errors, then warnings)."""

    nodes: dict[str, NodeInfo] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: ids of the nodes whose result reaches no Output (the GUI may dim them); the
    #: "unused" warning is given once, at the end of each such dead branch
    unused: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == WARNING]

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed): the model can be built."""
        return not any(d.severity == ERROR for d in self.diagnostics)

    def for_node(self, node_id: str) -> list[Diagnostic]:
        """The diagnostics of one node (for its badge in the GUI)."""
        return [d for d in self.diagnostics if d.node_id == node_id]

    def by_node(self) -> dict[str | None, list[Diagnostic]]:
        """Diagnostics grouped by node id (None: model-wide), in one pass."""
        groups: dict[str | None, list[Diagnostic]] = {}
        for d in self.diagnostics:
            groups.setdefault(d.node_id, []).append(d)
        return groups

    def shape(self, node_id: str) -> tuple[int, ...] | None:
        """A node's per-sample output shape, or None if unknown."""
        info = self.nodes.get(node_id)
        return None if info is None else info.shape

    @property
    def total_params(self) -> int:
        return sum(n.params for n in self.nodes.values())

    @property
    def total_macs(self) -> int:
        """Multiply-accumulates of one sample's forward pass."""
        return sum(n.macs for n in self.nodes.values())


def infer(doc: Document) -> Inference:
    """Infer every node's shape, dtype and counts, and collect diagnostics."""
    result = Inference()
    nodes = doc._nodes  # read-only use of the internals: this runs on every edit
    into = doc._into
    infos = result.nodes
    diag = result.diagnostics.append
    for nid in doc.topological_order():
        node = nodes[nid]
        entry = catalog.get(node.kind)
        ports = entry.input_ports(node.params)
        in_shapes: list[tuple[int, ...] | None] = []
        info = infos[nid] = NodeInfo(nid, node.kind, node.name, in_shapes)
        sources: list[NodeInfo] = []
        broken = False
        for port in ports:
            edge = into.get((nid, port))
            if edge is None:
                in_shapes.append(None)
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
            src = infos[edge.src]
            sources.append(src)
            in_shapes.append(src.shape)
            if src.shape is None:
                broken = True  # reported upstream already
        if broken:
            continue
        problem = _dtype_problem(node, entry, sources)
        if problem is not None:
            diag(problem)
            continue
        try:
            shape = tuple(entry.infer(node.params, in_shapes))
        except ShapeError as e:
            message = f"{node.name!r}: {e.message}{_from(ports, sources)}"
            diag(Diagnostic(nid, ERROR, message, e.hint, e.code or "shape"))
            continue
        except Exception as e:  # a bug in an entry must not take the editor down
            diag(_internal(node, "shape inference", e))
            continue
        if any(d < 1 for d in shape):
            diag(
                Diagnostic(
                    nid,
                    ERROR,
                    f"{node.name!r} ({node.kind}) would output {shape_str(shape)}, "
                    f"which has an empty dimension{_from(ports, sources)}",
                    "use a smaller kernel or stride, more padding, or a larger input",
                    "empty",
                )
            )
            continue
        try:
            n_params, macs = entry.count(node.params, in_shapes, shape)
        except Exception as e:
            diag(_internal(node, "counting parameters", e))
            continue
        info.shape = shape
        info.dtype = _out_dtype(node, entry, sources)
        info.params, info.macs = int(n_params), int(macs)
    _model_checks(doc, result)
    return result


def _dtype_problem(node, entry: catalog.LayerKind, sources: list[NodeInfo]) -> Diagnostic | None:
    """A diagnostic if the inputs' dtypes do not suit the kind ("float" or "index")."""
    if entry.dtype not in ("float", "index"):
        return None
    wants_int = entry.dtype == "index"
    for port_src in sources:
        is_int = port_src.dtype is not None and port_src.dtype.startswith("int")
        if is_int == wants_int:
            continue
        if wants_int:
            msg = (
                f"{node.name!r} ({node.kind}) needs integer indices, but "
                f"{port_src.name!r} gives {port_src.dtype} values"
            )
            hint = "feed it from an Input whose dtype is int64"
        else:
            msg = (
                f"{node.name!r} ({node.kind}) needs float values, but "
                f"{port_src.name!r} gives {port_src.dtype} indices"
            )
            hint = "put an Embedding first, or set the Input's dtype to float32"
        return Diagnostic(node.id, ERROR, msg, hint, "dtype")
    return None


def _out_dtype(node, entry: catalog.LayerKind, sources: list[NodeInfo]) -> str:
    if entry.dtype == "source":
        return node.params.get("dtype", "float32")
    if entry.dtype == "any" and sources:
        return sources[0].dtype or "float32"
    return "float32"


def _from(ports: tuple[str, ...], sources: list[NodeInfo]) -> str:
    """Where a refused node's inputs come from, in the user's names."""
    if not sources:
        return ""
    if len(sources) == 1:
        return f"; its input comes from {sources[0].name!r}"
    parts = [f"{p} from {s.name!r}" for p, s in zip(ports, sources)]
    return "; " + ", ".join(parts)


def _internal(node, what: str, error: Exception) -> Diagnostic:
    return Diagnostic(
        node.id,
        ERROR,
        f"{node.name!r} ({node.kind}): {what} failed: {type(error).__name__}: {error}",
        f"this is a bug in the {node.kind} layer kind; please report it",
        "internal",
    )


def _model_checks(doc: Document, result: Inference) -> None:
    """Model-wide errors (no Input, no Output) and warnings for nodes that feed no Output."""
    nodes = doc._nodes
    diag = result.diagnostics.append
    outputs = []
    has_input = False
    for nid, n in nodes.items():
        entry = catalog.get(n.kind)
        if entry.is_output:
            outputs.append(nid)
        elif entry.is_input:
            has_input = True
    if not has_input:
        diag(
            Diagnostic(
                None,
                ERROR,
                "the model has no Input node",
                "add an Input and set the shape of one sample",
                "no_input",
            )
        )
    if not outputs:
        diag(
            Diagnostic(
                None,
                ERROR,
                "the model has no Output node",
                "add an Output and wire the last layer into it",
                "no_output",
            )
        )
        return  # with no Output, "unused" would flag every node: one error says it all
    pred: dict[str, list[str]] = {}
    has_succ = set()
    for e in doc._edges:
        pred.setdefault(e.dst, []).append(e.src)
        has_succ.add(e.src)
    live, stack = set(outputs), list(outputs)
    while stack:
        for m in pred.get(stack.pop(), ()):
            if m not in live:
                live.add(m)
                stack.append(m)
    dead = result.unused
    dead.update(nid for nid in nodes if nid not in live)
    for nid in result.nodes:  # topological order
        if nid not in dead or nid in has_succ:
            continue  # a dead branch is reported once, at its end
        n = nodes[nid]
        before = _dead_ancestors(nid, pred, dead)
        if not before:
            also = ""
        elif len(before) <= 3:
            also = f"; nor do {', '.join(repr(nodes[b].name) for b in before)} before it"
        else:
            also = f"; nor do the {len(before)} nodes before it"
        diag(
            Diagnostic(
                nid,
                WARNING,
                f"{n.name!r} ({n.kind}) does not lead to any Output{also}",
                "connect it towards an Output, or delete it",
                "unused",
            )
        )


def _dead_ancestors(nid: str, pred: dict[str, list[str]], dead: set[str]) -> list[str]:
    """The dead nodes that feed ``nid`` through dead nodes only, nearest first."""
    found: list[str] = []
    seen, queue = {nid}, [nid]
    for current in queue:  # breadth first: the queue grows while it is walked
        for m in pred.get(current, ()):
            if m in dead and m not in seen:
                seen.add(m)
                found.append(m)
                queue.append(m)
    return found
