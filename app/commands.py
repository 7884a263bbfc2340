"""Undo commands: one per kind of document edit, each calling Document methods only.

A command holds ids and values, never graphics items: the views follow the document's
events. Each command's first ``redo`` may pick ids and normalise values (the document
does that); every later ``redo`` replays exactly what the first one did, so ids, node
and edge order come back as they were.

The :class:`~app.controller.DocumentController` calls :meth:`DocumentCommand.apply`
before it pushes a command: a refused edit raises :class:`DocumentError` there, leaves
the document as it was and never reaches the undo stack (QUndoStack would keep a command
whose ``redo`` failed). The push's own ``redo`` is then skipped once.

Composite edits (add and connect, replace a wire) are a :class:`MacroCommand` of these
commands: one undo step, undone in reverse order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtGui import QUndoCommand

from core.model import catalog
from core.model.document import SECTIONS, Document, DocumentError, Edge, Node, Removal

# ids for QUndoCommand.id(): commands with the same id may merge (mergeWith)
SET_PARAMS_ID = 1001
RENAME_ID = 1002
SETTINGS_ID = 1003

ARROW = "\u2192"


class DocumentCommand(QUndoCommand):
    """A command on a Document: ``do`` makes the change, ``revert`` takes it back."""

    def __init__(self, doc: Document, text: str = "") -> None:
        super().__init__(text)
        self.doc = doc
        self._applied = False

    def apply(self) -> None:
        """Make the change now (before the push); DocumentError when it is refused."""
        self.do()
        self.mark_applied()

    def mark_applied(self) -> None:
        """The change is done already: the next ``redo`` (the push's) does nothing."""
        self._applied = True

    def redo(self) -> None:
        if self._applied:  # apply() already did it: the push must not do it twice
            self._applied = False
            return
        self.do()

    def undo(self) -> None:
        self.revert()

    def is_noop(self) -> bool:
        """Whether the change, once applied, changed nothing (the controller drops it)."""
        return False

    def do(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError


class MacroCommand(DocumentCommand):
    """Several commands as one undo step; ``run`` adds and does one, and a failure takes
    back the ones already done (all or nothing)."""

    def __init__(self, doc: Document, text: str, commands: Iterable[DocumentCommand] = ()) -> None:
        super().__init__(doc, text)
        self.commands: list[DocumentCommand] = []
        self._pending = list(commands)

    def run(self, command: DocumentCommand) -> DocumentCommand:
        """Do ``command`` now and keep it; on DocumentError every command done so far is
        taken back before the error goes on."""
        try:
            command.do()
        except DocumentError:
            self.revert()
            self.commands.clear()
            raise
        except Exception:
            self.commands.append(command)  # it changed the document; a listener failed after
            raise
        self.commands.append(command)
        return command

    def do(self) -> None:
        if self._pending:  # first time: the commands given to the constructor
            pending, self._pending = self._pending, []
            for command in pending:
                self.run(command)
            return
        for command in self.commands:
            command.do()

    def revert(self) -> None:
        for command in reversed(self.commands):
            command.revert()


# -- nodes -----------------------------------------------------------------------------
class AddNodeCommand(DocumentCommand):
    """Add one node; redo puts it back under the same id at the same place."""

    def __init__(
        self,
        doc: Document,
        kind: str,
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        position: Iterable[float] = (0.0, 0.0),
        node_id: str | None = None,
    ) -> None:
        entry = catalog.CATALOG.get(kind) if isinstance(kind, str) else None
        super().__init__(doc, f"Add {name or (entry.display_name if entry else kind)}")
        self.kind = kind
        self.params = dict(params) if params is not None else None
        self.name = name
        self.position = position
        self.node_id = node_id
        self.node: Node | None = None  # the node as added (after the first do)
        self.index: int | None = None

    def do(self) -> None:
        if self.node is None:
            if self.node_id is None and isinstance(self.kind, str) and self.kind in catalog.CATALOG:
                # known before the call, so undo works even if a listener of it fails
                self.node_id = self.doc.new_id(self.kind)
            try:
                self.doc.add_node(
                    self.kind,
                    params=self.params,
                    name=self.name,
                    position=self.position,
                    id=self.node_id,
                )
            finally:
                if self.node_id in self.doc:
                    node = self.doc.node(self.node_id)
                    self.node = node
                    self.index = self.doc.index_of(node.id)
                    self.setText(f"Add {node.name}")
            return
        n = self.node
        self.doc.add_node(
            n.kind, params=n.params, name=n.name, position=n.position, id=n.id, index=self.index
        )

    def revert(self) -> None:
        self.doc.remove_nodes([self.node_id])


class RemoveCommand(DocumentCommand):
    """Delete nodes (with every wire touching them) and other wires, in one step; undo
    puts back every node and wire under its id at its place in the order."""

    def __init__(
        self,
        doc: Document,
        node_ids: Iterable[str],
        edges: Iterable[Edge] = (),
        *,
        verb: str = "Delete",
    ) -> None:
        super().__init__(doc, verb)
        self.node_ids = list(dict.fromkeys(node_ids))
        gone = set(self.node_ids)
        wires = [e for e in dict.fromkeys(edges) if not _touches(e, gone)]
        self.edges = wires
        self.removal: Removal | None = None
        self.wires: list[tuple[int, Edge]] = []  # (place in the edge order, edge) removed
        self.setText(_remove_text(doc, verb, self.node_ids, wires))

    def do(self) -> None:
        doc = self.doc
        for nid in self.node_ids:
            doc.node(nid)  # every check before any change
        order = doc.edges
        for e in self.edges:
            if not isinstance(e, Edge) or doc.edge_into(e.dst, e.dst_port) != e:
                raise DocumentError(f"there is no wire {e}")
        self.wires = sorted((order.index(e), e) for e in self.edges)
        for _, e in self.wires:
            doc.disconnect(e)
        try:
            self.removal = doc.remove_nodes(self.node_ids)
        except DocumentError:
            self._reconnect()
            raise

    def revert(self) -> None:
        if self.removal is not None:
            self.doc.restore(self.removal)
        self._reconnect()

    def _reconnect(self) -> None:
        for index, e in self.wires:  # ascending places: each lands where it was
            self.doc.connect(e.src, e.dst, e.src_port, e.dst_port, index=index)


class MoveNodesCommand(DocumentCommand):
    """Move nodes (one drag of a selection, an auto-layout): old and new positions of
    every moved node."""

    def __init__(
        self,
        doc: Document,
        positions: Mapping[str, Iterable[float]],
        *,
        old: Mapping[str, Iterable[float]] | None = None,
        text: str | None = None,
    ) -> None:
        self.new = {nid: _pair(p) for nid, p in positions.items()}
        if old is None:
            old = {nid: doc.node(nid).position for nid in self.new}
        self.old = {nid: _pair(p) for nid, p in old.items()}
        if text is None:
            text = f"Move {nodes_label(doc, list(self.new))}"
        super().__init__(doc, text)

    def do(self) -> None:
        self.doc.move_nodes(self.new)

    def revert(self) -> None:
        self.doc.move_nodes(self.old)

    def is_noop(self) -> bool:
        return self.new == self.old


class SetParamsCommand(DocumentCommand):
    """Change some parameters of one node. Consecutive changes of the same node and the
    same parameter names merge (typing "1", "12", "128" is one undo step) while they carry
    the same edit ``session`` (the controller starts a new one when focus or selection
    moves, so coming back to a field later is a step of its own)."""

    def __init__(
        self, doc: Document, node_id: str, values: Mapping[str, Any], session: int = 0
    ) -> None:
        node = doc.node(node_id)
        self.session = session
        if not isinstance(values, Mapping):
            raise DocumentError(f"node {node_id!r}: expected a mapping of parameter values")
        self.node_id = node_id
        self.values = dict(values)
        self.old = {k: node.params[k] for k in self.values if k in node.params}
        self.new: dict[str, Any] | None = None
        names = list(self.values)
        what = ", ".join(names[:3]) if len(names) <= 3 else f"{len(names)} parameters"
        super().__init__(doc, f"Change {what} of {node.name}")

    def do(self) -> None:
        if self.new is None:
            node = self.doc.update_node(self.node_id, params=self.values)
            self.new = {k: node.params[k] for k in self.values}
            return
        self.doc.update_node(self.node_id, params=self.new)

    def revert(self) -> None:
        self.doc.update_node(self.node_id, params=self.old)

    def is_noop(self) -> bool:
        return self.new == self.old

    def id(self) -> int:
        return SET_PARAMS_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        if not (
            isinstance(other, SetParamsCommand)
            and other.node_id == self.node_id
            and other.session == self.session
            and set(other.values) == set(self.values)
        ):
            return False
        self.new = dict(other.new)
        self.values = dict(other.values)
        self.setObsolete(self.new == self.old)  # typed back to where it was: no step
        return True


class RenameNodeCommand(DocumentCommand):
    """Rename a node; consecutive renames of the same node in one edit ``session`` merge."""

    def __init__(self, doc: Document, node_id: str, name: str, session: int = 0) -> None:
        self.node_id = node_id
        self.session = session
        self.old = doc.node(node_id).name
        self.name = name
        self.new: str | None = None
        super().__init__(doc, f"Rename {self.old}")

    def do(self) -> None:
        self.new = self.doc.update_node(self.node_id, name=self.new or self.name).name
        self.setText(f"Rename {self.old} to {self.new}")

    def revert(self) -> None:
        self.doc.update_node(self.node_id, name=self.old)

    def is_noop(self) -> bool:
        return self.new == self.old

    def id(self) -> int:
        return RENAME_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        if not (
            isinstance(other, RenameNodeCommand)
            and other.node_id == self.node_id
            and other.session == self.session
        ):
            return False
        self.new = self.name = other.new
        self.setText(f"Rename {self.old} to {self.new}")
        self.setObsolete(self.new == self.old)
        return True


# -- wires -----------------------------------------------------------------------------
class ConnectCommand(DocumentCommand):
    """Add one wire; redo puts it back at the same place in the edge order."""

    def __init__(self, doc: Document, edge: Edge) -> None:
        super().__init__(doc, f"Connect {edge_label(doc, edge)}")
        self.edge = edge
        self.index: int | None = None

    def do(self) -> None:
        e = self.edge
        self.doc.connect(e.src, e.dst, e.src_port, e.dst_port, index=self.index)
        if self.index is None:
            self.index = self.doc.edges.index(e)

    def revert(self) -> None:
        self.doc.disconnect(self.edge)


class DisconnectCommand(DocumentCommand):
    """Remove one wire; undo puts it back at its place in the edge order."""

    def __init__(self, doc: Document, edge: Edge) -> None:
        super().__init__(doc, f"Disconnect {edge_label(doc, edge)}")
        self.edge = edge
        self.index: int | None = None

    def do(self) -> None:
        e = self.edge
        if not isinstance(e, Edge) or self.doc.edge_into(e.dst, e.dst_port) != e:
            raise DocumentError(f"there is no wire {e}")
        self.index = self.doc.edges.index(e)
        self.doc.disconnect(e)

    def revert(self) -> None:
        e = self.edge
        self.doc.connect(e.src, e.dst, e.src_port, e.dst_port, index=self.index)


# -- groups ----------------------------------------------------------------------------
class PasteCommand(DocumentCommand):
    """Add the nodes and wires of clipboard data (``Document.subgraph`` JSON), moved by
    ``offset``. The first do picks free ids and names; redo adds the very same nodes."""

    def __init__(
        self,
        doc: Document,
        data: Any,
        offset: Iterable[float] = (0.0, 0.0),
        *,
        verb: str = "Paste",
        text: str | None = None,
    ) -> None:
        super().__init__(doc, text or verb)
        self.data = data
        self.offset = offset
        self.verb = verb
        self._fixed_text = text is not None
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self._first = True

    @property
    def ids(self) -> list[str]:
        """The pasted nodes' ids, in the data's order."""
        return [n.id for n in self.nodes]

    def do(self) -> None:
        if self._first:
            ids = self.doc.paste(self.data, self.offset)
            self._first = False
            chosen = set(ids)
            self.nodes = [self.doc.node(i) for i in ids]
            self.edges = [e for e in self.doc.edges if e.src in chosen and e.dst in chosen]
            self.data = None  # replayed from the nodes from now on
            if not self._fixed_text:
                self.setText(f"{self.verb} {nodes_label(self.doc, ids)}")
            return
        self.doc.add_nodes_and_edges(self.nodes, self.edges)

    def revert(self) -> None:
        self.doc.remove_nodes(self.ids)


class UpdateSettingsCommand(DocumentCommand):
    """Change some settings of a section ("dataset", "training", "meta", "ui");
    consecutive changes of the same settings in one edit ``session`` merge (typing)."""

    def __init__(
        self, doc: Document, section: str, values: Mapping[str, Any], session: int = 0
    ) -> None:
        self.section = section
        self.session = session
        self.values = dict(values) if isinstance(values, Mapping) else values
        self.old = getattr(doc, section) if section in SECTIONS else None
        self.new: dict | None = None
        self.followups: list[DocumentCommand] = []  # changes that came with it (attach)
        keys = list(self.values) if isinstance(self.values, Mapping) else []
        what = f"{section} setting {keys[0]}" if len(keys) == 1 else f"{section} settings"
        super().__init__(doc, f"Change {what}")

    def attach(self, command: DocumentCommand, text: str | None = None) -> None:
        """Do ``command`` now as part of this (applied, topmost) step: undo takes both back.
        The Input's shape that follows newly chosen data joins the data change this way."""
        command.do()
        self.followups.append(command)
        if text:
            self.setText(text)

    def do(self) -> None:
        if self.new is None:
            self.doc.update_settings(self.section, self.values)
            self.new = getattr(self.doc, self.section)
        else:
            getattr(self.doc, f"set_{self.section}")(self.new)
        for command in self.followups:
            command.do()

    def revert(self) -> None:
        for command in reversed(self.followups):
            command.revert()
        getattr(self.doc, f"set_{self.section}")(self.old)

    def is_noop(self) -> bool:
        return self.new == self.old

    def id(self) -> int:
        return SETTINGS_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt override)
        if self.followups or not (
            isinstance(other, UpdateSettingsCommand)
            and other.section == self.section
            and other.session == self.session
            and set(other.values) == set(self.values)
        ):
            return False
        self.new = other.new
        self.setObsolete(self.new == self.old)
        return True


# -- texts -----------------------------------------------------------------------------
def node_label(doc: Document, node_id: str) -> str:
    """The node's name, or its id when it is not in the document."""
    node = doc.nodes.get(node_id) if isinstance(node_id, str) else None
    return node.name if node is not None else str(node_id)


def nodes_label(doc: Document, ids: list[str]) -> str:
    """ "Linear 1" for one node, "3 nodes" for several (command texts)."""
    if len(ids) == 1:
        return node_label(doc, ids[0])
    return f"{len(ids)} nodes"


def edge_label(doc: Document, edge: Edge) -> str:
    """ "Linear 1 → ReLU 1", with the ports where a node has several."""
    if not isinstance(edge, Edge):
        return str(edge)
    nodes = doc.nodes
    src, dst = nodes.get(edge.src), nodes.get(edge.dst)
    left, right = node_label(doc, edge.src), node_label(doc, edge.dst)
    if src is not None and len(src.entry.outputs) > 1:
        left += f" ({edge.src_port})"
    if dst is not None and len(dst.entry.input_ports(dst.params)) > 1:
        right += f" ({edge.dst_port})"
    return f"{left} {ARROW} {right}"


def _remove_text(doc: Document, verb: str, ids: list[str], wires: list[Edge]) -> str:
    if not ids and len(wires) == 1:
        return f"{verb} wire {edge_label(doc, wires[0])}"
    parts = []
    if ids:
        parts.append(nodes_label(doc, ids))
    if wires:
        parts.append(f"{len(wires)} wire{'s' if len(wires) != 1 else ''}")
    return f"{verb} {' and '.join(parts)}" if parts else verb


def _touches(edge: Any, ids: set[str]) -> bool:
    return isinstance(edge, Edge) and (edge.src in ids or edge.dst in ids)


def _pair(position: Iterable[float]) -> Any:
    """A position as a tuple (values are checked by the document)."""
    try:
        return tuple(position)
    except TypeError:
        return position


__all__ = [
    "AddNodeCommand",
    "ConnectCommand",
    "DisconnectCommand",
    "DocumentCommand",
    "MacroCommand",
    "MoveNodesCommand",
    "PasteCommand",
    "RemoveCommand",
    "RenameNodeCommand",
    "SetParamsCommand",
    "UpdateSettingsCommand",
    "edge_label",
    "node_label",
]
