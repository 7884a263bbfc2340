"""The model document: a DAG of layer nodes plus the dataset and training settings.

Every change is one method that checks first, then changes, then emits its events and
finally one ``changed`` (see ``Document.EVENTS``). A refused change raises
:class:`DocumentError` and leaves the document as it was, with no event. Nodes and edges
are immutable values; a change replaces them.

Undo/redo: every mutation has an exact inverse made of document methods:

- ``add_node(..., id=, index=)`` re-adds a removed node under its id at its place;
- ``remove_nodes(ids) -> Removal`` and ``restore(removal)`` (nodes, their edges, order);
- ``connect(..., index=)`` re-adds an edge at its place in the edge order;
- ``update_node``/``move_node(s)``/``set_*`` take the old values back;
- ``add_nodes_and_edges`` (paste, all or nothing) is undone by ``remove_nodes``.
"""

from __future__ import annotations

import heapq
import keyword
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from numbers import Real
from typing import Any

from core.events import Event
from core.model import catalog
from core.model.params import ParamError, short_repr

ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_NAME = 200
MAX_COORDINATE = 1e7
SECTIONS = ("dataset", "training", "meta", "ui")
# C0/C1 control characters, lone surrogates, line/paragraph separators
_BAD_NAME_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")


class DocumentError(ValueError):
    """A change the document refuses: the message says what and why."""


class FrozenParams(dict):
    """A node's parameter values: a dict that cannot be changed (and can be hashed).

    It is a real ``dict`` (``json.dumps``, ``dict(p)``, ``{**p}`` work); change a node's
    parameters with :meth:`Document.set_params`.
    """

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any):
        raise TypeError("node parameters cannot be changed in place; use Document.set_params")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(frozenset(self.items()))

    def __reduce__(self):
        return (FrozenParams, (dict(self),))

    def __copy__(self) -> FrozenParams:
        return self

    def __deepcopy__(self, memo: dict) -> FrozenParams:
        return self


@dataclass(frozen=True)
class Node:
    """A layer node: stable ``id`` (an identifier), ``kind`` (a catalog key), the user's
    ``name``, checked ``params`` and canvas ``position`` (x, y)."""

    id: str
    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=FrozenParams)
    position: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if isinstance(self.params, Mapping) and not isinstance(self.params, FrozenParams):
            object.__setattr__(self, "params", FrozenParams(self.params))
        if isinstance(self.position, list):
            object.__setattr__(self, "position", tuple(self.position))

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


@dataclass(frozen=True)
class Removal:
    """What :meth:`Document.remove_nodes` took out, with each item's place in its order
    (ascending), so that :meth:`Document.restore` puts everything back exactly."""

    nodes: tuple[tuple[int, Node], ...]
    edges: tuple[tuple[int, Edge], ...]

    @property
    def ids(self) -> list[str]:
        return [n.id for _, n in self.nodes]


class Document:
    """A model: nodes by id (in insertion order), edges, settings, and change events.

    Events (each an :class:`core.events.Event`):

    - ``node_added(node)``, ``node_removed(node)``;
    - ``node_changed(node, old)``: name or parameters changed;
    - ``node_moved(node, old)``: position changed (no shape can change);
    - ``edge_added(edge)``, ``edge_removed(edge)``;
    - ``settings_changed(section, value, old)``: section is "dataset", "training", "meta"
      or "ui" (free view state kept with the project);
    - ``reset()``: the whole content was replaced (``clear``, ``assign``);
    - ``changed()``: after every change above, once per method call.

    A method that changes several things emits in a fixed order: edges removed, nodes
    removed, nodes added, edges added, then ``changed``; each event sees the document in a
    consistent state. A listener that raises does not stop the change or the other events:
    its exception reaches the caller after ``changed``.
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
        self._succ: dict[str, list[str]] | None = None  # successor ids, built on demand
        self._wiring = 0  # grows with every change of the edges (connection_checker)
        # default ids/names: numbers below the hint are known to be taken (until a removal
        # or a rename), so adding the n-th Linear does not count from 1 again
        self._hints: dict[str, int] = {}
        self._sections: dict[str, dict] = _default_sections()

    # -- reading -----------------------------------------------------------------------
    @property
    def nodes(self) -> dict[str, Node]:
        """Nodes by id, in insertion order (a copy)."""
        return dict(self._nodes)

    @property
    def edges(self) -> list[Edge]:
        """Edges in insertion order (a copy)."""
        return list(self._edges)

    @property
    def dataset(self) -> dict:
        """The dataset settings (a copy; change them with set_dataset/update_settings)."""
        return _copy_section(self._sections["dataset"])

    @property
    def training(self) -> dict:
        """The training settings (a copy; change them with set_training/update_settings)."""
        return _copy_section(self._sections["training"])

    @property
    def meta(self) -> dict:
        """Title, description and goal (a copy; change them with set_meta)."""
        return _copy_section(self._sections["meta"])

    @property
    def ui(self) -> dict:
        """Free view state the GUI keeps with the project (a copy; change it with set_ui)."""
        return _copy_section(self._sections["ui"])

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):
            raise DocumentError(f"there is no node {short_repr(node_id)}") from None

    def __contains__(self, node_id: object) -> bool:
        try:
            return node_id in self._nodes
        except TypeError:
            return False

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(tuple(self._nodes.values()))

    def index_of(self, node_id: str) -> int:
        """The node's place in the document order (for undo: ``add_node(..., index=)``)."""
        self.node(node_id)
        return list(self._nodes).index(node_id)

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        """The edge feeding ``node_id``'s input ``port``, or None."""
        try:
            return self._into.get((node_id, port))
        except TypeError:
            return None

    def edges_of(self, node_id: str) -> list[Edge]:
        """Edges touching ``node_id``, in insertion order."""
        return [e for e in self._edges if e.src == node_id or e.dst == node_id]

    def inputs_of(self, node_id: str) -> list[Edge | None]:
        """For each input port of the node, in port order, its edge or None."""
        node = self.node(node_id)
        return [self._into.get((node_id, p)) for p in node.entry.input_ports(node.params)]

    def successors(self, node_id: str) -> list[str]:
        return [e.dst for e in self._edges if e.src == node_id]

    def predecessors(self, node_id: str) -> list[str]:
        return [e.src for e in self._edges if e.dst == node_id]

    def input_nodes(self) -> list[Node]:
        return [n for n in self._nodes.values() if n.entry.is_input]

    def output_nodes(self) -> list[Node]:
        return [n for n in self._nodes.values() if n.entry.is_output]

    def topological_order(self) -> list[str]:
        """Node ids so that every edge goes forward; ties keep insertion order."""
        return _topological(self._nodes, self._edges)

    def new_id(self, kind: str) -> str:
        """The smallest unused id of the form ``<prefix><n>`` for ``kind`` (e.g. linear3)."""
        return self._fresh_id(kind, self._nodes)

    def new_name(self, kind: str) -> str:
        """A default user-facing name: the display name and the next free number."""
        base = catalog.get(kind).display_name
        taken = {n.name for n in self._nodes.values() if n.name.startswith(base)}
        return self._lowest_free("name " + base, lambda n: f"{base} {n}", taken)

    def connection_problem(self, edge: Edge, *, replace: bool = False) -> str | None:
        """Why ``edge`` cannot be added, or None if it can (for the GUI's live feedback).

        ``replace``: a wire already into ``edge``'s input port is no problem (the GUI
        replaces it); every other reason still counts.
        """
        if not isinstance(edge, Edge):
            return f"expected an Edge, got {short_repr(edge)}"
        # NOTE: the wire into the input port is the only thing _edge_problem reads from
        # ``into``, and dropping it cannot remove a cycle (it ends at edge.dst)
        into = {} if replace else self._into
        reason = _edge_problem(edge, self._nodes, into)
        if reason is None and self._reaches(edge.dst, edge.src):
            reason = self._cycle_reason(edge)
        return reason

    def connection_checker(
        self, *, src: str | None = None, dst: str | None = None, replace: bool = False
    ) -> Callable[[Edge], str | None]:
        """``connection_problem`` for many edges that share one end (a wire drag's
        candidates), walking the graph once instead of once per edge.

        Give the shared end: ``src`` (every edge leaves that node) or ``dst`` (every edge
        enters it). The returned ``problem(edge)`` gives exactly
        ``connection_problem(edge, replace=replace)``: an edge without that end, or any
        edge after the wiring changed, is simply asked the slow way.
        """
        if (src is None) == (dst is None):
            raise DocumentError("connection_checker needs one shared end: src or dst")
        wiring = self._wiring
        # a new edge a -> b closes a cycle exactly when b already reaches a: with src
        # fixed, the dst candidates that do are src's ancestors; with dst fixed, the src
        # candidates that do are dst's descendants
        closing = self.ancestors(src) if src is not None else self.descendants(dst)

        def problem(edge: Edge) -> str | None:
            shared = (
                isinstance(edge, Edge)
                and (edge.src == src if src is not None else edge.dst == dst)
                and self._wiring == wiring
            )
            if not shared:
                return self.connection_problem(edge, replace=replace)
            into = {} if replace else self._into
            reason = _edge_problem(edge, self._nodes, into)
            if reason is None and (edge.dst if src is not None else edge.src) in closing:
                reason = self._cycle_reason(edge)
            return reason

        return problem

    def ancestors(self, node_id: str) -> set[str]:
        """Ids of the nodes with a path of edges into ``node_id`` (not the node itself,
        the graph being acyclic); one walk of the graph."""
        self.node(node_id)
        pred: dict[str, list[str]] = {}
        for e in self._edges:
            pred.setdefault(e.dst, []).append(e.src)
        return _walk(pred, node_id)

    def descendants(self, node_id: str) -> set[str]:
        """Ids of the nodes a path of edges leads to from ``node_id`` (not the node
        itself); one walk of the graph."""
        self.node(node_id)
        if self._succ is None:
            self._succ = _successors(self._edges)
        return _walk(self._succ, node_id)

    # -- node changes ------------------------------------------------------------------
    def add_node(
        self,
        kind: str,
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        position: Iterable[float] = (0.0, 0.0),
        id: str | None = None,  # noqa: A002
        index: int | None = None,
    ) -> Node:
        """Add a node of ``kind`` (parameters not given take their defaults) and return it.

        ``id`` (default: a fresh one) and ``index`` (its place in the document order,
        default: last) let undo put a removed node back exactly.
        """
        node = self._make_node(kind, params, name, position, id, self._nodes)
        if index is None:
            self._nodes[node.id] = node
        else:
            _check_index(index)
            self._nodes = _inserted(self._nodes, [(index, node)])
        emit = _Emitter()
        emit(self.node_added, node)
        emit.finish(self.changed)
        return node

    def add_nodes_and_edges(self, nodes: Iterable[Node], edges: Iterable[Edge] = ()) -> list[Node]:
        """Add whole nodes (with their ids) and edges among them and the document's nodes,
        all or nothing (paste, redo of a paste). Returns the checked nodes."""
        nodes, edges = list(nodes), list(edges)
        return self._insert([(None, n) for n in nodes], [(None, e) for e in edges])[0]

    def remove_node(self, node_id: str) -> Node:
        """Remove a node and its edges (each edge's ``edge_removed`` comes first)."""
        return self.remove_nodes([node_id]).nodes[0][1]

    def remove_nodes(self, node_ids: Iterable[str]) -> Removal:
        """Remove nodes and every edge touching them, all or nothing; returns what went out
        (for :meth:`restore`)."""
        if isinstance(node_ids, str):
            raise DocumentError("remove_nodes takes a list of ids (remove_node takes one)")
        ids = list(node_ids)
        for nid in ids:
            self.node(nid)
        gone = set(ids)
        if not gone:
            return Removal((), ())
        nodes = tuple((i, n) for i, n in enumerate(self._nodes.values()) if n.id in gone)
        edges = tuple((i, e) for i, e in enumerate(self._edges) if e.src in gone or e.dst in gone)
        emit = _Emitter()
        if edges:
            self._edges = [e for e in self._edges if e.src not in gone and e.dst not in gone]
            self._into = {(e.dst, e.dst_port): e for e in self._edges}
            self._succ = None
            self._wiring += 1
            for _, e in edges:
                emit(self.edge_removed, e)
        self._nodes = {k: n for k, n in self._nodes.items() if k not in gone}
        self._hints.clear()
        for _, n in nodes:
            emit(self.node_removed, n)
        emit.finish(self.changed)
        return Removal(nodes, edges)

    def restore(self, removal: Removal) -> None:
        """Put back what :meth:`remove_nodes` removed, at the same places (all or nothing)."""
        if not isinstance(removal, Removal):
            raise DocumentError(f"restore needs a Removal, got {short_repr(removal)}")
        self._insert(list(removal.nodes), list(removal.edges))

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
            new = replace(new, name=_checked(name_problem, name, node_id))
        if params is not None:
            try:
                checked = entry.params.check(params, partial=True, where=f"node {node_id!r}")
            except ParamError as e:
                raise DocumentError(str(e)) from None
            merged = {**old.params, **checked}
            self._check_ports_kept(old, entry.input_ports(merged))
            new = replace(new, params=FrozenParams(merged))
        if new == old:
            return old
        self._nodes[node_id] = new
        if new.name != old.name:
            self._hints.clear()
        emit = _Emitter()
        emit(self.node_changed, new, old)
        emit.finish(self.changed)
        return new

    def move_node(self, node_id: str, position: Iterable[float]) -> Node:
        """Move a node on the canvas."""
        return self.move_nodes({node_id: position}).get(node_id, self.node(node_id))

    def move_nodes(self, positions: Mapping[str, Iterable[float]]) -> dict[str, Node]:
        """Move several nodes at once (one drag of a selection), all or nothing; returns the
        nodes that moved. One ``node_moved`` per moved node, then one ``changed``."""
        if not isinstance(positions, Mapping):
            raise DocumentError("move_nodes needs a mapping of node ids to positions")
        moved: dict[str, tuple[Node, Node]] = {}
        for nid, position in positions.items():
            old = self.node(nid)
            new = replace(old, position=_checked(position_problem, position, nid))
            if new != old:
                moved[nid] = (new, old)
        if not moved:
            return {}
        emit = _Emitter()
        for nid, (new, _) in moved.items():
            self._nodes[nid] = new
        for new, old in moved.values():
            emit(self.node_moved, new, old)
        emit.finish(self.changed)
        return {nid: new for nid, (new, _) in moved.items()}

    # -- edges -------------------------------------------------------------------------
    def connect(
        self,
        src: str,
        dst: str,
        src_port: str = "out",
        dst_port: str = "in",
        *,
        index: int | None = None,
    ) -> Edge:
        """Wire ``src.src_port`` to ``dst.dst_port``; refused with the reason if impossible.

        ``index`` puts the edge at that place in the edge order (undo of a disconnect).
        """
        edge = Edge(src, dst, src_port, dst_port)
        reason = self.connection_problem(edge)
        if reason:
            raise DocumentError(f"cannot connect {_edge_text(edge)}: {reason}")
        if index is not None:
            _check_index(index)
            self._edges.insert(index, edge)
        else:
            self._edges.append(edge)
        self._into[(dst, dst_port)] = edge
        self._wiring += 1
        if self._succ is not None:
            self._succ.setdefault(src, []).append(dst)
        emit = _Emitter()
        emit(self.edge_added, edge)
        emit.finish(self.changed)
        return edge

    def disconnect(self, edge: Edge) -> Edge:
        """Remove an edge."""
        if not isinstance(edge, Edge) or self.edge_into(edge.dst, edge.dst_port) != edge:
            raise DocumentError(f"there is no edge {_edge_text(edge)}")
        self._edges.remove(edge)
        del self._into[(edge.dst, edge.dst_port)]
        self._succ = None
        self._wiring += 1
        emit = _Emitter()
        emit(self.edge_removed, edge)
        emit.finish(self.changed)
        return edge

    # -- settings ----------------------------------------------------------------------
    def set_dataset(self, dataset: Mapping[str, Any]) -> None:
        """Replace the dataset settings (checked; see core.model.settings)."""
        self._set_section("dataset", dataset)

    def set_training(self, training: Mapping[str, Any]) -> None:
        """Replace the training settings (checked; missing ones take their defaults)."""
        self._set_section("training", training)

    def set_meta(self, meta: Mapping[str, Any]) -> None:
        """Replace the free-form metadata (title, description, goal)."""
        self._set_section("meta", meta)

    def set_ui(self, ui: Mapping[str, Any]) -> None:
        """Replace the GUI's view state kept with the project (free JSON data)."""
        self._set_section("ui", ui)

    def update_settings(self, section: str, values: Mapping[str, Any]) -> None:
        """Change some settings of a section ("dataset", "training", "meta", "ui"), keeping
        the others (one ``settings_changed``)."""
        if section not in SECTIONS:
            raise DocumentError(
                f"there is no settings section {short_repr(section)} "
                f"(sections: {', '.join(SECTIONS)})"
            )
        if not isinstance(values, Mapping):
            raise DocumentError(f"{section}: expected a mapping of settings")
        self._set_section(section, {**self._sections[section], **values})

    def _set_section(self, section: str, value: Any) -> None:
        value = _CHECKS[section](value)
        old = self._sections[section]
        if value == old:
            return
        self._sections[section] = value
        emit = _Emitter()
        emit(self.settings_changed, section, _copy_section(value), _copy_section(old))
        emit.finish(self.changed)

    # -- whole document ----------------------------------------------------------------
    def clear(self) -> None:
        """Remove everything (one ``reset`` event)."""
        self._nodes = {}
        self._edges = []
        self._into = {}
        self._succ = None
        self._wiring += 1
        self._hints.clear()
        self._sections = _default_sections()
        emit = _Emitter()
        emit(self.reset)
        emit.finish(self.changed)

    def assign(self, other: Document) -> None:
        """Take ``other``'s content (one ``reset`` event); used by load and paste-all."""
        if not isinstance(other, Document):
            raise DocumentError(f"assign needs a Document, got {short_repr(other)}")
        self._nodes = dict(other._nodes)
        self._edges = list(other._edges)
        self._into = dict(other._into)
        self._succ = None
        self._wiring += 1
        self._hints.clear()
        self._sections = {k: _copy_section(v) for k, v in other._sections.items()}
        emit = _Emitter()
        emit(self.reset)
        emit.finish(self.changed)

    def copy(self) -> Document:
        """An independent document with the same content and no listeners."""
        doc = Document()
        doc._nodes = dict(self._nodes)
        doc._edges = list(self._edges)
        doc._into = dict(self._into)
        doc._sections = {k: _copy_section(v) for k, v in self._sections.items()}
        return doc

    # -- file format and clipboard (core.model.serialize) ------------------------------
    def to_dict(self) -> dict:
        """The document as JSON data (see core.model.serialize for the file format)."""
        from core.model import serialize

        return serialize.to_dict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Document:
        """A document from JSON data; raises serialize.FormatError listing every problem."""
        from core.model import serialize

        return serialize.from_dict(data)

    def save(self, path) -> None:
        """Write the project file atomically (the previous file is kept as ``<path>.bak``)."""
        from core.model import serialize

        serialize.save(self, path)

    @classmethod
    def load(cls, path) -> Document:
        """Read a project file; raises serialize.FormatError (naming the file) or OSError."""
        from core.model import serialize

        return serialize.load(path)

    def subgraph(self, node_ids: Iterable[str]) -> dict:
        """The selected nodes and the edges among them as JSON data (copy to clipboard)."""
        from core.model import serialize

        return serialize.fragment(self, node_ids)

    def paste(self, data: Any, offset: Iterable[float] = (0.0, 0.0)) -> list[str]:
        """Add the nodes and edges of ``subgraph`` data (a dict or its JSON text), moved by
        ``offset``, all or nothing; returns the new ids in the data's order.

        Ids are kept where free, otherwise fresh ones are given; a name the document
        already uses gets the next free number ("Linear 2", "encoder 2").
        """
        from core.model import serialize

        try:
            nodes, edges = serialize.read_fragment(data)
        except serialize.FormatError as e:
            raise DocumentError(f"cannot paste: {e}") from None
        shift, reason = parse_position(offset)
        if reason:
            raise DocumentError(f"cannot paste: the offset is not valid: {reason}")
        dx, dy = shift
        taken_ids = set(self._nodes)
        taken_names = {n.name for n in self._nodes.values()}
        ids: dict[str, str] = {}
        new_nodes = []
        for n in nodes:
            nid = n.id if n.id not in taken_ids else self._fresh_id(n.kind, taken_ids)
            taken_ids.add(nid)
            ids[n.id] = nid
            name = _free_name(n.name, taken_names)
            taken_names.add(name)
            x, y = n.position
            new_nodes.append(replace(n, id=nid, name=name, position=(x + dx, y + dy)))
        new_edges = [replace(e, src=ids[e.src], dst=ids[e.dst]) for e in edges]
        self.add_nodes_and_edges(new_nodes, new_edges)
        return [n.id for n in new_nodes]

    def __repr__(self) -> str:
        return f"<Document: {len(self._nodes)} nodes, {len(self._edges)} edges>"

    # -- internals ---------------------------------------------------------------------
    def _fresh_id(self, kind: str, taken) -> str:
        prefix = catalog.get(kind).id_prefix
        return self._lowest_free(
            "id " + prefix, lambda n: f"{prefix}{n}", taken, lambda c: id_problem(c) is None
        )

    def _lowest_free(self, key: str, make, taken, usable=None) -> str:
        """``make(n)`` for the smallest n that is not in ``taken`` (a superset of the
        document's own) and is ``usable``."""
        n = self._hints.get(key, 1)
        while True:
            candidate = make(n)
            if candidate not in taken and (usable is None or usable(candidate)):
                self._hints[key] = n
                return candidate
            n += 1

    def _make_node(self, kind, params, name, position, node_id, taken) -> Node:
        """A checked, normalised node; DocumentError naming the node otherwise."""
        reason = kind_problem(kind)
        if reason:
            raise DocumentError(reason)
        entry = catalog.get(kind)
        if node_id is None:
            node_id = self._fresh_id(kind, taken)
        else:
            reason = id_problem(node_id)
            if reason:
                raise DocumentError(reason)
            if node_id in taken:
                raise DocumentError(f"there is already a node {node_id!r}")
        try:
            checked = entry.params.check(params, where=f"node {node_id!r} ({kind})")
        except ParamError as e:
            raise DocumentError(str(e)) from None
        name = self.new_name(kind) if name is None else _checked(name_problem, name, node_id)
        pos = _checked(position_problem, position, node_id)
        return Node(node_id, kind, name, FrozenParams(checked), pos)

    def _insert(
        self,
        nodes: list[tuple[int | None, Node]],
        edges: list[tuple[int | None, Edge]],
    ) -> tuple[list[Node], list[Edge]]:
        """Add nodes and edges, each at its index (None: at the end), all or nothing."""
        taken = set(self._nodes)
        checked: list[tuple[int | None, Node]] = []
        for index, n in nodes:
            if not isinstance(n, Node):
                raise DocumentError(f"expected a Node, got {short_repr(n)}")
            if index is not None:
                _check_index(index)
            node = self._make_node(n.kind, n.params, n.name, n.position, n.id, taken)
            taken.add(node.id)
            checked.append((index, node))
        all_nodes = _inserted(self._nodes, checked)
        into = dict(self._into)
        for index, e in edges:
            if not isinstance(e, Edge):
                raise DocumentError(f"expected an Edge, got {short_repr(e)}")
            if index is not None:
                _check_index(index)
            reason = _edge_problem(e, all_nodes, into)
            if reason:
                raise DocumentError(f"cannot connect {_edge_text(e)}: {reason}")
            into[(e.dst, e.dst_port)] = e
        all_edges = _inserted_list(self._edges, edges)
        if edges and len(_topological(all_nodes, all_edges)) < len(all_nodes):
            raise DocumentError(_cycle_message(all_nodes, all_edges, [e for _, e in edges]))
        emit = _Emitter()
        self._nodes = all_nodes
        for _, node in checked:
            emit(self.node_added, node)
        self._edges, self._into, self._succ = all_edges, into, None
        self._wiring += 1
        for _, e in edges:
            emit(self.edge_added, e)
        emit.finish(self.changed)
        return [n for _, n in checked], [e for _, e in edges]

    def _reaches(self, start: str, goal: str) -> bool:
        """Whether a path of edges leads from ``start`` to ``goal``."""
        if self._succ is None:
            self._succ = _successors(self._edges)
        return _search(self._succ, start, goal)

    def _cycle_reason(self, edge: Edge) -> str:
        src, dst = self._nodes[edge.src], self._nodes[edge.dst]
        return f"it would make a cycle ({dst.name!r} already feeds {src.name!r})"

    def _check_ports_kept(self, node: Node, ports: tuple[str, ...]) -> None:
        lost = [e for e in self._edges if e.dst == node.id and e.dst_port not in ports]
        if lost:
            raise DocumentError(
                f"node {node.id!r}: that change removes input {lost[0].dst_port!r}, which is "
                f"connected to {lost[0].src!r}; disconnect it first"
            )


# -- checks shared with the file validator (core.model.serialize) ----------------------
def kind_problem(kind: Any) -> str | None:
    """Why ``kind`` is not a layer kind of the catalog (with close matches), or None."""
    if not isinstance(kind, str):
        return f"a layer kind is a name, got {short_repr(kind)}"
    if kind in catalog.CATALOG:
        return None
    if len(kind) > 64:  # no close-match search through a huge text
        return f"unknown layer kind {short_repr(kind)}"
    try:
        catalog.get(kind)
    except KeyError as e:
        return str(e.args[0])
    return None


def id_problem(node_id: Any) -> str | None:
    """Why ``node_id`` cannot be a node id, or None."""
    if not isinstance(node_id, str) or not ID_PATTERN.fullmatch(node_id):
        return (
            f"node id {short_repr(node_id)} is not valid: use letters, digits and _, "
            "not starting with a digit, at most 64 characters"
        )
    if keyword.iskeyword(node_id) or node_id in _reserved_ids():
        return (
            f"node id {node_id!r} is reserved (a Python keyword or a name the built module "
            "already uses); choose another"
        )
    return None


def name_problem(name: Any) -> str | None:
    """Why ``name`` cannot be a node's name, or None."""
    if not isinstance(name, str):
        return f"a name must be text, got {short_repr(name)}"
    if not name.strip():
        return "a name cannot be empty"
    if len(name) > MAX_NAME:
        return f"a name may have at most {MAX_NAME} characters, got {len(name)}"
    if _BAD_NAME_CHARS.search(name):
        return "a name cannot contain control characters"
    return None


def position_problem(position: Any) -> str | None:
    """Why ``position`` is not a canvas position (two finite numbers), or None."""
    return parse_position(position)[1]


def parse_position(position: Any) -> tuple[tuple[float, float] | None, str | None]:
    """(the position as two floats, None) or (None, why it is not a position)."""
    if isinstance(position, (str, bytes, Mapping)) or not isinstance(position, Iterable):
        return None, f"a position is two numbers (x, y), got {short_repr(position)}"
    try:
        items = tuple(position)
    except Exception:  # noqa: BLE001 - any broken iterable is just not a position
        return None, f"a position is two numbers (x, y), got {short_repr(position)}"
    if len(items) != 2 or not all(isinstance(v, Real) and not isinstance(v, bool) for v in items):
        return None, f"a position is two numbers (x, y), got {short_repr(items)}"
    try:
        x, y = float(items[0]), float(items[1])
    except (OverflowError, ValueError, TypeError):
        x = y = math.inf
    if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_COORDINATE:
        return None, (
            f"position {short_repr(items)} is out of range "
            f"(each coordinate within ±{MAX_COORDINATE:g})"
        )
    return (x, y), None


def _checked(problem: Callable[[Any], str | None], value: Any, node_id: str):
    if problem is position_problem:
        value, reason = parse_position(value)
    else:
        reason = problem(value)
    if reason:
        raise DocumentError(f"node {node_id!r}: {reason}")
    return value


def _edge_problem(edge: Edge, nodes: Mapping[str, Node], into: Mapping) -> str | None:
    """Why ``edge`` cannot join a graph of ``nodes`` with inputs ``into`` (no cycle check)."""
    for part in ("src", "dst", "src_port", "dst_port"):
        value = getattr(edge, part)
        if not isinstance(value, str):
            return f"{part} must be text, got {short_repr(value)}"
    for end in (edge.src, edge.dst):
        if end not in nodes:
            return f"there is no node {end!r}"
    src, dst = nodes[edge.src], nodes[edge.dst]
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
    taken = into.get((edge.dst, edge.dst_port))
    if taken is not None:
        return (
            f"input {edge.dst_port!r} of {dst.name!r} is already fed by "
            f"{nodes[taken.src].name!r}; disconnect it first"
        )
    return None


def _edge_text(edge: Any) -> str:
    if isinstance(edge, Edge) and all(
        isinstance(v, str) for v in (edge.src, edge.dst, edge.src_port, edge.dst_port)
    ):
        return str(edge)
    return short_repr(edge)


def _topological(nodes: Mapping[str, Any], edges: Iterable[Edge]) -> list[str]:
    """Ids of ``nodes`` so that every edge goes forward; ties keep the nodes' order.
    Nodes on or after a cycle are left out."""
    indeg = {nid: 0 for nid in nodes}
    succ: dict[str, list[str]] = {nid: [] for nid in nodes}
    for e in edges:
        indeg[e.dst] += 1
        succ[e.src].append(e.dst)
    rank = {nid: i for i, nid in enumerate(nodes)}
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


def _successors(edges: Iterable[Edge]) -> dict[str, list[str]]:
    succ: dict[str, list[str]] = {}
    for e in edges:
        succ.setdefault(e.src, []).append(e.dst)
    return succ


def _reaches(edges: Iterable[Edge], start: str, goal: str) -> bool:
    return _search(_successors(edges), start, goal)


def _search(succ: Mapping[str, list[str]], start: str, goal: str) -> bool:
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


def _walk(links: Mapping[str, list[str]], start: str) -> set[str]:
    """Ids reached from ``start`` along ``links`` (without ``start`` unless on a cycle)."""
    stack, seen = [start], set()
    while stack:
        for m in links.get(stack.pop(), ()):
            if m not in seen:
                seen.add(m)
                stack.append(m)
    return seen


def _cycle_message(nodes: Mapping[str, Node], edges: list[Edge], added: list[Edge]) -> str:
    for e in added:
        if _reaches(edges, e.dst, e.src):
            src, dst = nodes[e.src], nodes[e.dst]
            return (
                f"cannot connect {e}: it would make a cycle "
                f"({dst.name!r} already feeds {src.name!r})"
            )
    return "those edges would make a cycle"


def _inserted(nodes: dict[str, Node], items: list[tuple[int | None, Node]]) -> dict[str, Node]:
    """``nodes`` with ``items`` put at their indices (ascending; None: appended)."""
    if all(i is None for i, _ in items):
        out = dict(nodes)
        out.update((n.id, n) for _, n in items)
        return out
    return {n.id: n for n in _inserted_list(list(nodes.values()), items)}


def _inserted_list(values: list, items: list[tuple[int | None, Any]]) -> list:
    out = list(values)
    placed = sorted((i, k) for k, (i, _) in enumerate(items) if i is not None)
    for i, k in placed:
        out.insert(i, items[k][1])
    out.extend(v for i, v in items if i is None)
    return out


def _check_index(index: Any) -> None:
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise DocumentError(f"an index is a whole number >= 0, got {short_repr(index)}")


def _free_name(name: str, taken: set[str]) -> str:
    """``name`` if free, else its base with the next free number ("Linear 2")."""
    if name not in taken:
        return name
    match = re.fullmatch(r"(.*\S) (\d+)", name)
    base = match.group(1) if match else name
    n = 2
    while True:
        suffix = f" {n}"
        candidate = base[: MAX_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


class _Emitter:
    """Emits a mutation's events; a listener's error is raised after ``changed``."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: Exception | None = None

    def __call__(self, event: Event, *args: Any) -> None:
        try:
            event.emit(*args)
        except Exception as e:  # noqa: BLE001 - re-raised by finish
            if self.error is None:
                self.error = e

    def finish(self, changed: Event) -> None:
        self(changed)
        if self.error is not None:
            raise self.error


_RESERVED: frozenset[str] = frozenset()


def _reserved_ids() -> frozenset[str]:
    """Names a node id cannot take: attributes of core.nn.Module and of the built model."""
    global _RESERVED
    if not _RESERVED:
        from core.model.build import RESERVED
        from core.nn import Module

        _RESERVED = frozenset(dir(Module())) | RESERVED
    return _RESERVED


def _default_sections() -> dict[str, dict]:
    from core.model import settings

    return {
        "dataset": settings.check_dataset({}),
        "training": settings.check_training({}),
        "meta": settings.check_meta({}),
        "ui": {},
    }


def _copy_section(value: dict) -> dict:
    """A copy of a section deep enough that no caller can change the document's own."""
    from core.model import settings

    return settings._json_copy(value)


def _check_section(section: str) -> Callable[[Any], dict]:
    def check(value: Any) -> dict:
        from core.model import settings

        return getattr(settings, f"check_{section}")(value)

    return check


_CHECKS = {s: _check_section(s) for s in SECTIONS}
