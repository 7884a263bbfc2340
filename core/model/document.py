"""The model document: a DAG of layer nodes plus the dataset and training settings.

Every change is a method that checks first, then changes, then emits an event (see
``Document.EVENTS``). A refused change raises :class:`DocumentError` and leaves the
document as it was. Nodes and edges are immutable values; a change replaces them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.events import Event
from core.model import catalog
from core.model.params import ParamError

ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_NAME = 200


class DocumentError(ValueError):
    """A change the document refuses: the message says what and why."""


@dataclass(frozen=True)
class Node:
    """A layer node: stable ``id`` (an identifier), ``kind`` (a catalog key), the user's
    ``name``, checked ``params`` and canvas ``position`` (x, y)."""

    id: str
    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    position: tuple[float, float] = (0.0, 0.0)

    @property
    def entry(self) -> catalog.LayerKind:
        return catalog.get(self.kind)


@dataclass(frozen=True, order=True)
class Edge:
    """A wire from ``src``'s output port ``src_port`` to ``dst``'s input port ``dst_port``."""

    src: str
    dst: str
    src_port: str = "out"
    dst_port: str = "in"

    def __str__(self) -> str:
        return f"{self.src}.{self.src_port} -> {self.dst}.{self.dst_port}"


class Document:
    """A model: nodes by id (in insertion order), edges, settings, and change events.

    Events (each an :class:`core.events.Event`):

    - ``node_added(node)``, ``node_removed(node)``;
    - ``node_changed(node, old)``: name or parameters changed;
    - ``node_moved(node, old)``: position changed (no shape can change);
    - ``edge_added(edge)``, ``edge_removed(edge)``;
    - ``settings_changed(section, value, old)``: section is "dataset", "training" or "meta";
    - ``reset()``: the whole content was replaced (``clear``, ``assign``);
    - ``changed()``: after every change above, once per method call.
    """

    EVENTS = (
        "node_added",
        "node_removed",
        "node_changed",
        "node_moved",
        "edge_added",
        "edge_removed",
        "settings_changed",
        "reset",
        "changed",
    )

    def __init__(self) -> None:
        for name in self.EVENTS:
            setattr(self, name, Event(name))
        self._nodes: dict[str, Node] = {}
        self._edges: list[Edge] = []
        self._into: dict[tuple[str, str], Edge] = {}  # (dst, dst_port) -> edge
        self.dataset, self.training, self.meta = _default_sections()

    # -- reading -----------------------------------------------------------------------
    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by id, in insertion order (a copy)."""
        return dict(self._nodes)

    @property
    def edges(self) -> list[Edge]:
        """Edges in insertion order (a copy)."""
        return list(self._edges)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):
            raise DocumentError(f"there is no node {node_id!r}") from None

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(tuple(self._nodes.values()))

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        """The edge feeding ``node_id``'s input ``port``, or None."""
        return self._into.get((node_id, port))

    def edges_of(self, node_id: str) -> list[Edge]:
        """Edges touching ``node_id``, in insertion order."""
        return [e for e in self._edges if e.src == node_id or e.dst == node_id]

    def inputs_of(self, node_id: str) -> list[Edge | None]:
        """For each input port of the node, in port order, its edge or None."""
        node = self.node(node_id)
        return [self._into.get((node_id, p)) for p in node.entry.input_ports(node.params)]

    def successors(self, node_id: str) -> list[str]:
        return [e.dst for e in self._edges if e.src == node_id]

    def input_nodes(self) -> list[Node]:
        return [n for n in self._nodes.values() if n.entry.is_input]

    def output_nodes(self) -> list[Node]:
        return [n for n in self._nodes.values() if n.entry.is_output]

    def topological_order(self) -> list[str]:
        """Node ids so that every edge goes forward; ties keep insertion order."""
        indeg = {nid: 0 for nid in self._nodes}
        succ: dict[str, list[str]] = {nid: [] for nid in self._nodes}
        for e in self._edges:
            indeg[e.dst] += 1
            succ[e.src].append(e.dst)
        rank = {nid: i for i, nid in enumerate(self._nodes)}
        import heapq

        ready = [(rank[n], n) for n, d in indeg.items() if d == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, nid = heapq.heappop(ready)
            order.append(nid)
            for m in succ[nid]:
                indeg[m] -= 1
                if indeg[m] == 0:
                    heapq.heappush(ready, (rank[m], m))
        return order

    def new_id(self, kind: str) -> str:
        """The smallest unused id of the form ``<prefix><n>`` for ``kind`` (e.g. linear3)."""
        prefix = catalog.get(kind).id_prefix
        n = 1
        while f"{prefix}{n}" in self._nodes:
            n += 1
        return f"{prefix}{n}"

    def new_name(self, kind: str) -> str:
        """A default user-facing name: the display name and the next free number."""
        base = catalog.get(kind).display_name
        taken = {n.name for n in self._nodes.values()}
        n = 1
        while f"{base} {n}" in taken:
            n += 1
        return f"{base} {n}"

    # -- node changes ------------------------------------------------------------------
    def add_node(
        self,
        kind: str,
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        position: Iterable[float] = (0.0, 0.0),
        id: str | None = None,  # noqa: A002
    ) -> Node:
        """Add a node of ``kind`` (parameters not given take their defaults) and return it."""
        node = self._make_node(kind, params, name, position, id)
        self._nodes[node.id] = node
        self.node_added.emit(node)
        self.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        """Remove a node and its edges (each edge's ``edge_removed`` comes first)."""
        node = self.node(node_id)
        for e in self.edges_of(node_id):
            self._drop_edge(e)
        del self._nodes[node_id]
        self.node_removed.emit(node)
        self.changed.emit()
        return node

    def set_params(self, node_id: str, **values: Any) -> Node:
        """Change some parameters of a node (checked against its kind's schema)."""
        return self.update_node(node_id, params=values)

    def rename_node(self, node_id: str, name: str) -> Node:
        return self.update_node(node_id, name=name)

    def update_node(
        self, node_id: str, *, params: Mapping[str, Any] | None = None, name: str | None = None
    ) -> Node:
        """Change a node's name and/or some of its parameters; one ``node_changed`` event."""
        old = self.node(node_id)
        entry = old.entry
        new = old
        if name is not None:
            new = replace(new, name=_check_name(name, node_id))
        if params:
            try:
                checked = entry.params.check(params, partial=True, where=f"node {node_id!r}")
            except ParamError as e:
                raise DocumentError(str(e)) from None
            merged = {**old.params, **checked}
            self._check_ports_kept(old, entry.input_ports(merged))
            new = replace(new, params=merged)
        if new == old:
            return old
        self._nodes[node_id] = new
        self.node_changed.emit(new, old)
        self.changed.emit()
        return new

    def move_node(self, node_id: str, position: Iterable[float]) -> Node:
        """Move a node on the canvas."""
        old = self.node(node_id)
        new = replace(old, position=_check_position(position, node_id))
        if new == old:
            return old
        self._nodes[node_id] = new
        self.node_moved.emit(new, old)
        self.changed.emit()
        return new

    # -- edges -------------------------------------------------------------------------
    def connect(self, src: str, dst: str, src_port: str = "out", dst_port: str = "in") -> Edge:
        """Wire ``src.src_port`` to ``dst.dst_port``; refused with the reason if impossible."""
        edge = Edge(src, dst, src_port, dst_port)
        reason = self.connection_problem(edge)
        if reason:
            raise DocumentError(f"cannot connect {edge}: {reason}")
        self._edges.append(edge)
        self._into[(dst, dst_port)] = edge
        self.edge_added.emit(edge)
        self.changed.emit()
        return edge

    def connection_problem(self, edge: Edge) -> str | None:
        """Why ``edge`` cannot be added, or None if it can (for the GUI's live feedback)."""
        for end in (edge.src, edge.dst):
            if end not in self._nodes:
                return f"there is no node {end!r}"
        src, dst = self._nodes[edge.src], self._nodes[edge.dst]
        if edge.src_port not in src.entry.outputs:
            if not src.entry.outputs:
                return f"{src.name!r} ({src.kind}) has no output"
            return f"{src.name!r} ({src.kind}) has no output port {edge.src_port!r}"
        ports = dst.entry.input_ports(dst.params)
        if edge.dst_port not in ports:
            if not ports:
                return f"{dst.name!r} ({dst.kind}) takes no input"
            return (
                f"{dst.name!r} ({dst.kind}) has no input port {edge.dst_port!r} "
                f"(its ports: {', '.join(ports)})"
            )
        if edge.src == edge.dst:
            return "a node cannot feed itself"
        taken = self._into.get((edge.dst, edge.dst_port))
        if taken is not None:
            return (
                f"input {edge.dst_port!r} of {dst.name!r} is already fed by "
                f"{self._nodes[taken.src].name!r}; disconnect it first"
            )
        if self._reaches(edge.dst, edge.src):
            return f"it would make a cycle ({dst.name!r} already feeds {src.name!r})"
        return None

    def disconnect(self, edge: Edge) -> Edge:
        """Remove an edge."""
        if edge not in self._into.values() or self._into.get((edge.dst, edge.dst_port)) != edge:
            raise DocumentError(f"there is no edge {edge}")
        self._drop_edge(edge)
        self.changed.emit()
        return edge

    # -- settings ----------------------------------------------------------------------
    def set_dataset(self, dataset: Mapping[str, Any]) -> None:
        """Replace the dataset settings (checked; see core.model.settings)."""
        from core.model import settings

        self._set_section("dataset", settings.check_dataset(dataset))

    def set_training(self, training: Mapping[str, Any]) -> None:
        """Replace the training settings (checked; missing ones take their defaults)."""
        from core.model import settings

        self._set_section("training", settings.check_training(training))

    def set_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the free-form metadata (title, description, goal)."""
        from core.model import settings

        self._set_section("meta", settings.check_meta(meta))

    def _set_section(self, section: str, value: dict) -> None:
        old = getattr(self, section)
        if value == old:
            return
        setattr(self, section, value)
        self.settings_changed.emit(section, value, old)
        self.changed.emit()

    # -- whole document ----------------------------------------------------------------
    def clear(self) -> None:
        """Remove everything (one ``reset`` event)."""
        self._nodes.clear()
        self._edges.clear()
        self._into.clear()
        self.dataset, self.training, self.meta = _default_sections()
        self.reset.emit()
        self.changed.emit()

    def assign(self, other: Document) -> None:
        """Take ``other``'s content (one ``reset`` event); used by load and paste-all."""
        self._nodes = dict(other._nodes)
        self._edges = list(other._edges)
        self._into = dict(other._into)
        self.dataset, self.training, self.meta = (
            dict(other.dataset),
            dict(other.training),
            dict(other.meta),
        )
        self.reset.emit()
        self.changed.emit()

    def copy(self) -> Document:
        """An independent document with the same content and no listeners."""
        doc = Document()
        doc._nodes = dict(self._nodes)
        doc._edges = list(self._edges)
        doc._into = dict(self._into)
        doc.dataset, doc.training, doc.meta = (
            dict(self.dataset),
            dict(self.training),
            dict(self.meta),
        )
        return doc

    def to_dict(self) -> dict:
        """The document as JSON data (see core.model.serialize for the file format)."""
        from core.model import serialize

        return serialize.to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Document:
        """A document from JSON data; raises serialize.FormatError listing every problem."""
        from core.model import serialize

        return serialize.from_dict(data)

    def __repr__(self) -> str:
        return f"<Document: {len(self._nodes)} nodes, {len(self._edges)} edges>"

    # -- internals ---------------------------------------------------------------------
    def _make_node(self, kind, params, name, position, node_id) -> Node:
        try:
            entry = catalog.get(kind)
        except KeyError as e:
            raise DocumentError(e.args[0]) from None
        if node_id is None:
            node_id = self.new_id(kind)
        elif not isinstance(node_id, str) or not ID_PATTERN.match(node_id):
            raise DocumentError(
                f"node id {node_id!r} is not valid: use letters, digits and _, "
                "not starting with a digit, at most 64 characters"
            )
        elif node_id in _reserved_ids():
            raise DocumentError(
                f"node id {node_id!r} is reserved (a name the built module already uses); "
                "choose another"
            )
        elif node_id in self._nodes:
            raise DocumentError(f"there is already a node {node_id!r}")
        try:
            checked = entry.params.check(params, where=f"node {node_id!r} ({kind})")
        except ParamError as e:
            raise DocumentError(str(e)) from None
        name = self.new_name(kind) if name is None else _check_name(name, node_id)
        return Node(node_id, kind, name, checked, _check_position(position, node_id))

    def _drop_edge(self, edge: Edge) -> None:
        self._edges.remove(edge)
        del self._into[(edge.dst, edge.dst_port)]
        self.edge_removed.emit(edge)

    def _reaches(self, start: str, goal: str) -> bool:
        """Whether a path of edges leads from ``start`` to ``goal``."""
        succ: dict[str, list[str]] = {}
        for e in self._edges:
            succ.setdefault(e.src, []).append(e.dst)
        stack, seen = [start], {start}
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            for m in succ.get(n, ()):
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        return False

    def _check_ports_kept(self, node: Node, ports: tuple[str, ...]) -> None:
        lost = [e for e in self._edges if e.dst == node.id and e.dst_port not in ports]
        if lost:
            raise DocumentError(
                f"node {node.id!r}: that change removes input {lost[0].dst_port!r}, which is "
                f"connected to {lost[0].src!r}; disconnect it first"
            )


_RESERVED: frozenset[str] = frozenset()


def _reserved_ids() -> frozenset[str]:
    """Names a node id cannot take: attributes of core.nn.Module and of the built model."""
    global _RESERVED
    if not _RESERVED:
        from core.nn import Module

        _RESERVED = frozenset(dir(Module())) | {"input_ids", "output_ids", "input_shapes"}
    return _RESERVED


def _default_sections() -> tuple[dict, dict, dict]:
    from core.model import settings

    return settings.check_dataset({}), settings.check_training({}), settings.check_meta({})


def _check_name(name: Any, node_id: str) -> str:
    if not isinstance(name, str):
        raise DocumentError(f"node {node_id!r}: a name must be text, got {name!r}")
    if len(name) > MAX_NAME:
        raise DocumentError(f"node {node_id!r}: a name may have at most {MAX_NAME} characters")
    if any(ord(ch) < 32 for ch in name):
        raise DocumentError(f"node {node_id!r}: a name cannot contain control characters")
    return name


def _check_position(position: Any, node_id: str) -> tuple[float, float]:
    try:
        x, y = position
        x, y = float(x), float(y)
    except (TypeError, ValueError):
        raise DocumentError(
            f"node {node_id!r}: a position is two numbers (x, y), got {position!r}"
        ) from None
    if isinstance(position[0], bool) or isinstance(position[1], bool):
        raise DocumentError(f"node {node_id!r}: a position is two numbers (x, y)")
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 1e7:
        raise DocumentError(f"node {node_id!r}: position {position!r} is out of range")
    return (x, y)
