"""The document controller: the one place that changes the open project.

Views and panels express edits as requests (Qt signals); the main window hands them to
:class:`DocumentController`, which turns each into one undo command on its QUndoStack
(see :mod:`app.commands`). A refused edit pushes nothing and says why through
``message``. After every change of the document the controller reruns shape inference
once per event-loop turn and emits ``inferred``. It also owns the project file: path,
modified state, load and (atomic) save, and the clipboard.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QObject, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QUndoStack

from app.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    DocumentCommand,
    MacroCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveCommand,
    RenameNodeCommand,
    SetParamsCommand,
    UpdateSettingsCommand,
    edge_label,
    node_label,
    nodes_label,
)
from core.model import catalog, serialize
from core.model.document import Document, DocumentError, Edge, kind_problem, parse_position
from core.model.inference import Inference, infer

#: the clipboard format of copied layers (Document.subgraph JSON, UTF-8); the same JSON
#: also goes on the clipboard as text, so layers paste into another app instance
SELECTION_MIME = "application/x-ember-studio-selection"
UNTITLED = "Untitled"

PASTE_OFFSET = 40.0  # a paste without a place lands this far right and down of the copied
BESIDE_GAP = 240.0  # "add beside": this far right of the selected node
FREE_STEP = 120.0  # moved down by this until the spot is free
# the room a node takes on the canvas (its width and usual height, with a margin)
NODE_ROOM = (200.0, 100.0)
MAX_CLIPBOARD_CHECK = 5 * 1024 * 1024  # can_paste parses clipboard text up to this size


class DocumentController(QObject):
    """Owns the open project's Document, undo stack, file path and inference."""

    inferred = Signal(object)  # Inference, after each debounced re-inference
    modified_changed = Signal(bool)
    path_changed = Signal(object)  # pathlib.Path | None
    message = Signal(str)  # user-facing text for the status bar (a refusal's reason)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = Document()
        self.undo_stack = QUndoStack(self)
        self.path: Path | None = None
        self._recovered = False  # content loaded from a recovery file, not saved yet
        self._modified = False  # the state modified_changed last reported
        self._revision = 0
        self._inference = infer(self.document)
        self._infer_timer = QTimer(self)
        self._infer_timer.setSingleShot(True)
        self._infer_timer.setInterval(0)
        self._infer_timer.timeout.connect(self.infer_now)
        self._pasted: tuple[str, int] | None = None  # (clipboard text, times pasted)
        self._paste_check: tuple[str, bool] | None = None  # can_paste's last answer
        self._shapes_stale = False  # a change since the last inference can alter shapes
        self._edit_session = 0  # parameter edits merge within one session (see end_edit)
        self._last_settings: UpdateSettingsCommand | None = None  # see follow_settings
        self.document.changed.connect(_weak_listener(self._on_document_changed))
        # a move never changes a shape, nor do settings: only these call for inference
        for name in ("node_added", "node_removed", "node_changed", "edge_added"):
            getattr(self.document, name).connect(_weak_listener(self._on_shapes_stale))
        for name in ("edge_removed", "reset"):
            getattr(self.document, name).connect(_weak_listener(self._on_shapes_stale))
        self.undo_stack.cleanChanged.connect(self._update_modified)

    # -- state -------------------------------------------------------------------------
    def is_modified(self) -> bool:
        """Unsaved changes: the undo stack is not clean, or the content came from a
        recovery file and was not saved since."""
        return self._recovered or not self.undo_stack.isClean()

    @property
    def revision(self) -> int:
        """A number that grows with every change of the document (autosave uses it)."""
        return self._revision

    @property
    def inference(self) -> Inference:
        """The latest inference (``infer_now`` brings it up to date at once)."""
        return self._inference

    def infer_now(self) -> Inference:
        """Infer shapes now (a pending debounced run is dropped) and emit ``inferred``."""
        self._infer_timer.stop()
        self._inference = infer(self.document)
        self.inferred.emit(self._inference)
        return self._inference

    def display_name(self) -> str:
        """The file name; without a file, the model's title (an example opened as a copy),
        else "Untitled"."""
        if self.path is not None:
            return self.path.name
        title = self.document.meta.get("title")
        return title.strip() if isinstance(title, str) and title.strip() else UNTITLED

    def end_edit(self) -> None:
        """Close the current edit session: the next parameter edit or rename is an undo
        step of its own even on the same field (called when focus or selection moves)."""
        self._edit_session += 1

    # -- node edits --------------------------------------------------------------------
    def add_node(
        self,
        kind: str,
        position: Iterable[float] | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        name: str | None = None,
        connect_from: tuple[str, str] | None = None,
    ) -> str | None:
        """Add a node (at a free spot when ``position`` is None); with ``connect_from``
        = (source id, source port) also wire it into the new node's first input, in the
        same undo step. The new id, or None when refused."""
        reason = kind_problem(kind)
        if reason:
            self._refuse(reason)
            return None
        if position is None:
            position = self._free_position(self._default_spot())
        add = AddNodeCommand(self.document, kind, params=params, name=name, position=position)
        if connect_from is None:
            done = self._push(add)
            return add.node_id if done else None

        def build(macro: MacroCommand) -> None:
            node = macro.run(add).node
            ports = node.entry.input_ports(node.params)
            if not ports:
                raise DocumentError(f"{node.name!r} ({node.kind}) takes no input")
            src, src_port = connect_from
            macro.run(ConnectCommand(self.document, Edge(src, node.id, src_port, ports[0])))
            macro.setText(f"Add {node.name}")

        return add.node_id if self._push_macro(add.text(), build) else None

    def add_beside(self, kind: str, selected_ids: Iterable[str]) -> str | None:
        """Add a node right of the one selected node, wired to it when that is
        unambiguous (it has one output, the new kind one input); else at a free spot."""
        reason = kind_problem(kind)
        if reason:
            self._refuse(reason)
            return None
        doc = self.document
        ids = [i for i in dict.fromkeys(selected_ids) if i in doc]
        if len(ids) != 1:
            return self.add_node(kind)
        selected = doc.node(ids[0])
        x, y = selected.position
        position = self._free_position((x + BESIDE_GAP, y))
        entry = catalog.get(kind)
        outputs = selected.entry.outputs
        connect_from = None
        if len(outputs) == 1 and len(entry.input_ports(entry.params.defaults())) == 1:
            connect_from = (selected.id, outputs[0])
        return self.add_node(kind, position, connect_from=connect_from)

    def remove(self, node_ids: Iterable[str], edges: Iterable[Edge] = ()) -> bool:
        """Delete nodes (with their wires) and wires in one step."""
        node_ids, edges = list(node_ids), list(edges)
        if not node_ids and not edges:
            return False
        return self._push_new(lambda: RemoveCommand(self.document, node_ids, edges))

    def move_nodes(self, positions: Mapping[str, Iterable[float]]) -> bool:
        """Move nodes in one step (a drag of a selection); unmoved nodes are left out."""
        if not isinstance(positions, Mapping):
            return self._refuse("move_nodes needs a mapping of node ids to positions")
        moved = {}
        for nid, position in positions.items():
            node = self.document.nodes.get(nid) if isinstance(nid, str) else None
            value, _ = parse_position(position)
            if node is None or value is None or value != node.position:
                moved[nid] = position  # unknown ids and bad positions: the document says why
        if not moved:
            return False
        return self._push_new(lambda: MoveNodesCommand(self.document, moved))

    def set_params(self, node_id: str, values: Mapping[str, Any]) -> bool:
        """Change parameters of a node; typing into one field merges into one step."""
        session = self._edit_session
        return self._push_new(lambda: SetParamsCommand(self.document, node_id, values, session))

    def rename_node(self, node_id: str, name: str) -> bool:
        session = self._edit_session
        return self._push_new(lambda: RenameNodeCommand(self.document, node_id, name, session))

    def update_settings(self, section: str, values: Mapping[str, Any]) -> bool:
        """Change some dataset/training/meta/ui settings in one step."""
        session = self._edit_session
        made: list[UpdateSettingsCommand] = []

        def make() -> UpdateSettingsCommand:
            made.append(UpdateSettingsCommand(self.document, section, values, session))
            return made[-1]

        pushed = self._push_new(make)
        self._last_settings = made[-1] if pushed and made else None
        return pushed

    def follow_settings(self, node_id: str, values: Mapping[str, Any], text: str) -> bool:
        """Change a node's parameters as part of the settings change just made (one undo
        step, named ``text``) while that change is still the last step; else as a step of
        its own. The Input's shape follows newly chosen data this way."""
        top, stack = self._last_settings, self.undo_stack
        if (
            top is not None
            and stack.count() > 0
            and stack.index() == stack.count()
            and stack.command(stack.count() - 1) is top
        ):
            try:
                top.attach(SetParamsCommand(self.document, node_id, values), text)
            except DocumentError as e:
                return self._refuse(str(e))
            return True
        return self.set_params(node_id, values)

    def auto_layout(self, node_ids: Iterable[str] | None = None) -> bool:
        """Lay the model out left to right (only ``node_ids`` move when given); one step."""
        from core.model.layout import layered_layout

        doc = self.document
        ids = None if node_ids is None else [i for i in node_ids if i in doc]
        if ids is not None and not ids:
            return False
        positions = layered_layout(doc, ids)
        moved = {nid: p for nid, p in positions.items() if tuple(p) != doc.node(nid).position}
        if not moved:
            return False
        text = "Auto-layout" if ids is None else f"Auto-layout {nodes_label(doc, ids)}"
        return self._push_new(lambda: MoveNodesCommand(doc, moved, text=text))

    # -- wires -------------------------------------------------------------------------
    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        """Wire an output to an input; a wire already into that input is replaced in the
        same step when that is the only problem."""
        doc = self.document
        edge = Edge(src, dst, src_port, dst_port)
        taken = doc.edge_into(dst, dst_port)
        if taken == edge:
            return True
        reason = doc.connection_problem(edge, replace=taken is not None)
        if reason:
            return self._refuse(f"cannot connect {edge_label(doc, edge)}: {reason}")
        if taken is None:
            return self._push_new(lambda: ConnectCommand(doc, edge))
        text = f"Connect {edge_label(doc, edge)} (replacing {node_label(doc, taken.src)})"

        def build(macro: MacroCommand) -> None:
            macro.run(DisconnectCommand(doc, taken))
            macro.run(ConnectCommand(doc, edge))

        return self._push_macro(text, build)

    def reroute(self, old_edge: Edge, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        """Move a wire: take ``old_edge`` out and wire ``src.src_port`` to
        ``dst.dst_port`` instead, replacing a wire already into that input; one undo step
        (undo puts every wire back at its place). Refused as a whole, with the reason."""
        doc = self.document
        edge = Edge(src, dst, src_port, dst_port)
        there = isinstance(old_edge, Edge) and doc.edge_into(old_edge.dst, old_edge.dst_port)
        if there != old_edge:
            return self._refuse(f"cannot re-route: there is no wire {edge_label(doc, old_edge)}")
        if edge == old_edge:
            return True
        taken = doc.edge_into(dst, dst_port)
        if taken == old_edge:  # the same input, another source: nothing else to replace
            taken = None
        text = f"Re-route {edge_label(doc, old_edge)} to {edge_label(doc, edge)}"
        if taken is not None and taken != edge:
            text += f" (replacing {node_label(doc, taken.src)})"

        def build(macro: MacroCommand) -> None:
            macro.run(DisconnectCommand(doc, old_edge))
            if taken == edge:
                return  # that wire is there already: re-routing just removes the old one
            # asked after the old wire is out: only the wiring as it will be counts
            reason = doc.connection_problem(edge, replace=True)
            if reason:
                raise DocumentError(f"cannot connect {edge_label(doc, edge)}: {reason}")
            if taken is not None:
                macro.run(DisconnectCommand(doc, taken))
            macro.run(ConnectCommand(doc, edge))

        return self._push_macro(text, build)

    def disconnect(self, edge: Edge) -> bool:
        return self._push_new(lambda: DisconnectCommand(self.document, edge))

    # -- clipboard ---------------------------------------------------------------------
    def copy(self, node_ids: Iterable[str]) -> bool:
        """Put the nodes and the wires among them on the clipboard (as JSON and text)."""
        ids = [i for i in dict.fromkeys(node_ids) if i in self.document]
        if not ids:
            return False
        text = serialize.dumps(self.document.subgraph(ids))
        mime = QMimeData()
        mime.setData(SELECTION_MIME, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._pasted = None
        return True

    def cut(self, node_ids: Iterable[str]) -> bool:
        """Copy the nodes, then delete them (one undo step)."""
        ids = [i for i in dict.fromkeys(node_ids) if i in self.document]
        if not self.copy(ids):
            return False
        return self._push_new(lambda: RemoveCommand(self.document, ids, verb="Cut"))

    def paste(self, at: Any = None) -> list[str]:
        """Paste the clipboard's layers: their top-left at scene position ``at``, or
        without one offset from where they were copied (repeated pastes cascade).
        The new ids (selected by the window); [] when there was nothing to paste."""
        text = self._clipboard_text()
        if not text or not text.strip():
            self._refuse("nothing to paste: the clipboard holds no layers")
            return []
        try:
            data = serialize.parse_json(text, source="the clipboard")
            nodes, _ = serialize.read_fragment(data)
        except serialize.FormatError as e:
            self._refuse(
                "cannot paste: the clipboard does not hold Ember Studio layers "
                f"({_first_problem(e)})"
            )
            return []
        if not nodes:
            self._refuse("nothing to paste: the copied selection has no layers")
            return []
        if at is not None:
            x, y = _xy(at)
            offset = (x - min(n.position[0] for n in nodes), y - min(n.position[1] for n in nodes))
        else:
            times = self._pasted[1] + 1 if self._pasted and self._pasted[0] == text else 1
            self._pasted = (text, times)
            offset = (PASTE_OFFSET * times, PASTE_OFFSET * times)
        command = PasteCommand(self.document, data, offset)
        return command.ids if self._push(command) else []

    def duplicate(self, node_ids: Iterable[str]) -> list[str]:
        """Copies of the nodes (and the wires among them) beside them, without touching
        the clipboard; the new ids."""
        ids = [i for i in dict.fromkeys(node_ids) if i in self.document]
        if not ids:
            return []
        doc = self.document
        offset = (PASTE_OFFSET, PASTE_OFFSET)
        text = f"Duplicate {nodes_label(doc, ids)}"
        command = PasteCommand(doc, doc.subgraph(ids), offset, text=text)
        return command.ids if self._push(command) else []

    def can_paste(self) -> bool:
        """Whether the clipboard holds layers (copied here or JSON text of a selection)."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return False
        if mime.hasFormat(SELECTION_MIME):
            return True
        text = mime.text() if mime.hasText() else ""
        if '"ember-studio.' not in text or len(text) > MAX_CLIPBOARD_CHECK:
            return False
        if self._paste_check is None or self._paste_check[0] != text:
            try:
                serialize.read_fragment(serialize.parse_json(text, source="the clipboard"))
                ok = True
            except serialize.FormatError:
                ok = False
            self._paste_check = (text, ok)
        return self._paste_check[1]

    # -- files -------------------------------------------------------------------------
    def new_document(self) -> None:
        """Start an empty Untitled project (the undo history is cleared)."""
        self._take(Document(), None, recovered=False)

    def load(self, path: str | os.PathLike) -> None:
        """Open a project file. Raises FormatError (what is wrong, where), OSError or
        DocumentError and then leaves the open project untouched."""
        path = Path(os.path.abspath(path))
        doc = serialize.load(path)
        self._take(doc, path, recovered=False)

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Write the project atomically to ``path`` (default: its file); it becomes the
        project's file and the project is no longer modified. SaveError/OSError when
        the file cannot be written (the file on disk is then unchanged)."""
        if path is None and self.path is None:
            raise ValueError("this project has no file yet: give a path (Save As)")
        target = Path(os.path.abspath(path)) if path is not None else self.path
        serialize.save(self.document, target)
        self._recovered = False
        self.undo_stack.setClean()
        self._set_path(target)
        self._update_modified()

    def load_document(
        self, doc: Document, path: str | os.PathLike | None = None, modified: bool = False
    ) -> None:
        """Show ``doc`` as the project (a copy of its content) with file ``path``;
        ``modified``: it holds unsaved changes (restored from a recovery file)."""
        if not isinstance(doc, Document):
            raise TypeError(f"load_document needs a Document, got {type(doc).__name__}")
        path = Path(os.path.abspath(path)) if path is not None else None
        self._take(doc, path, recovered=bool(modified))

    # -- internals ---------------------------------------------------------------------
    def _take(self, doc: Document, path: Path | None, *, recovered: bool) -> None:
        """Replace the content, clear the history and set the file and modified state."""
        try:
            self.document.assign(doc)
        finally:
            self._recovered = recovered
            self._pasted = None
            self.undo_stack.clear()
            self._set_path(path)
            self._update_modified()
            self._infer_timer.start()

    def _set_path(self, path: Path | None) -> None:
        if path != self.path:
            self.path = path
            self.path_changed.emit(path)

    def _update_modified(self, *_: Any) -> None:
        modified = self.is_modified()
        if modified != self._modified:
            self._modified = modified
            self.modified_changed.emit(modified)

    def _on_shapes_stale(self, *_: Any) -> None:
        self._shapes_stale = True

    def _on_document_changed(self) -> None:
        self._revision += 1
        if self._shapes_stale:
            self._shapes_stale = False
            self._infer_timer.start()  # restarted: several changes in one turn, one inference

    def _push(self, command: DocumentCommand) -> bool:
        """Apply ``command``, then push it; a refusal emits ``message`` and pushes nothing."""
        try:
            command.apply()
        except DocumentError as e:
            return self._refuse(str(e))
        except Exception:
            # the document changed, then a listener (a view) failed: keep the change
            # undoable and marked unsaved, and let the error be reported
            command.mark_applied()
            self.undo_stack.push(command)
            raise
        if command.is_noop():  # it changed nothing: no undo step
            return True
        self.undo_stack.push(command)
        return True

    def _push_new(self, make: Callable[[], DocumentCommand]) -> bool:
        """Build a command (its constructor may refuse too) and push it."""
        try:
            command = make()
        except DocumentError as e:
            return self._refuse(str(e))
        return self._push(command)

    def _push_macro(self, text: str, build: Callable[[MacroCommand], None]) -> bool:
        """One undo step made of the commands ``build`` runs (all or nothing)."""
        macro = MacroCommand(self.document, text)
        try:
            build(macro)
        except DocumentError as e:
            macro.revert()
            return self._refuse(str(e))
        except Exception:
            if macro.commands:  # done, then a listener failed: keep what was done undoable
                macro.mark_applied()
                self.undo_stack.push(macro)
            raise
        macro.mark_applied()
        self.undo_stack.push(macro)
        return True

    def _refuse(self, reason: str) -> bool:
        """Report a refused edit in the status bar; False (it did not happen)."""
        self.message.emit(reason[:1].upper() + reason[1:])
        return False

    def _default_spot(self) -> tuple[float, float]:
        """Where a node goes with no place given: right of the last node added."""
        nodes = list(self.document)
        if not nodes:
            return (0.0, 0.0)
        x, y = nodes[-1].position
        return (x + BESIDE_GAP, y)

    def _free_position(self, start: tuple[float, float]) -> tuple[float, float]:
        """``start``, moved down until no node is in the way."""
        x, y = float(start[0]), float(start[1])
        width, height = NODE_ROOM
        taken = [n.position for n in self.document]
        while any(abs(px - x) < width and abs(py - y) < height for px, py in taken):
            y += FREE_STEP
        return (x, y)

    def _clipboard_text(self) -> str:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return ""
        if mime.hasFormat(SELECTION_MIME):
            return bytes(mime.data(SELECTION_MIME).data()).decode("utf-8", "replace")
        return mime.text() if mime.hasText() else ""


def _first_problem(error: serialize.FormatError) -> str:
    problems = getattr(error, "problems", None)
    if problems:
        return str(problems[0])
    return str(error).splitlines()[0]


def _xy(at: Any) -> tuple[float, float]:
    """(x, y) of a tuple or a QPointF."""
    if hasattr(at, "x") and callable(at.x):
        return float(at.x()), float(at.y())
    x, y = at
    return float(x), float(y)


def _weak_listener(method: Callable[[], None]) -> Callable[[], None]:
    """A document listener that does not keep the controller alive: no reference cycle
    controller -> document -> controller, so Python's cycle collector never has to pick
    the order in which the controller, its undo stack and the commands go (PySide then
    frees commands the stack still holds)."""
    ref = weakref.WeakMethod(method)

    def listener(*args: Any) -> None:
        target = ref()
        if target is not None:
            target(*args)

    return listener


__all__ = ["DocumentController", "SELECTION_MIME", "UNTITLED"]
