"""The project file format: versioned JSON, validated on load, never executed.

A project file (``*.ember.json``, UTF-8) holds one JSON object, version 2::

    {
      "format": "ember-studio.model",       required
      "version": 2,                          required
      "meta": {...},                         title, description, goal (settings.META)
      "nodes": [                             required, in document order
        {"id": "linear1", "kind": "Linear", "name": "Linear 1",
         "params": {"bias": true, "out_features": 32}, "position": [200.0, 0.0]}
      ],
      "edges": [                             required, in document order
        {"src": "input1", "src_port": "out", "dst": "linear1", "dst_port": "in"}
      ],
      "dataset": {...},                      settings.DATASET (+ "options")
      "training": {...},                     settings.TRAINING
      "ui": {...}                            free JSON the GUI keeps (view state)
    }

``meta``, ``dataset``, ``training`` and ``ui`` may be left out (defaults), and so may any
setting inside them. In a node only ``id`` and ``kind`` are required (``name``: a default
name, ``params``: the defaults, ``position``: [0, 0]); in an edge ``src`` and ``dst``
(``src_port`` "out", ``dst_port`` "in"). Unknown keys are problems at every level except
inside ``ui`` and ``dataset.options``: a typo must not be dropped silently, and a newer
file is refused by its version anyway. :func:`to_dict` always writes every key.

Version 1 (the first format; read, never written) differed in four places::

    "nodes": {"linear1": {"type": "Linear", "name": "Linear 1", "params": {...},
                          "pos": {"x": 200, "y": 0}}, ...}     an object keyed by id
    "edges": ["input1:out->linear1:in", "linear1->output1"]   ":port" may be left out
    "training": {"learning_rate": 0.001, ...}                  "lr" since version 2
    no "ui"

``MIGRATIONS[v]`` turns a version-v dict into a version v+1 dict (pure: the input is not
changed); :func:`migrate` applies them in turn. A file newer than :data:`VERSION` is
refused with a message to update Ember Studio.

:func:`validate` reports every problem with its JSON path (``nodes[3].params.out_features``,
``edges[1].dst``); :func:`from_dict` raises :class:`FormatError` listing them, or builds the
document through its public methods. :func:`loads`/:func:`load` parse JSON strictly (no
NaN/Infinity, no duplicate keys, size and depth limits). :func:`save` is atomic and keeps
the previous file as ``<path>.bak``. Paths of problems in a migrated file refer to the
current layout (the nodes keep their order).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core._atomic import write_atomic
from core.model import catalog, settings
from core.model.document import (
    Document,
    DocumentError,
    Edge,
    Node,
    id_problem,
    kind_problem,
    name_problem,
    parse_position,
)
from core.model.params import as_json, short_repr

FORMAT = "ember-studio.model"
FRAGMENT_FORMAT = "ember-studio.selection"  # what Document.subgraph puts on the clipboard
VERSION = 2
SUFFIX = ".ember.json"
BACKUP_SUFFIX = ".bak"
MAX_BYTES = 50 * 1024 * 1024  # largest file loads accepts
MAX_DEPTH = 64  # deepest nesting of JSON arrays/objects loads accepts
MAX_PROBLEMS = 1000  # validate stops listing after this many
SHOWN_PROBLEMS = 10  # problems listed in a FormatError's message

TOP_KEYS = ("format", "version", "meta", "nodes", "edges", "dataset", "training", "ui")
FRAGMENT_KEYS = ("format", "version", "nodes", "edges")
NODE_KEYS = ("id", "kind", "name", "params", "position")
EDGE_KEYS = ("src", "src_port", "dst", "dst_port")
SECTIONS = ("meta", "dataset", "training", "ui")


@dataclass(frozen=True)
class Problem:
    """One problem of a file: its JSON ``path`` ("" for the whole file) and ``message``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class FormatError(ValueError):
    """A file or data that is not a valid model; ``problems`` lists every problem found."""

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        source: str | None = None,
        message: str | None = None,
    ) -> None:
        self.problems = list(problems)
        self.source = source
        if message is None:
            n = len(self.problems)
            lines = [f"  {p}" for p in self.problems[:SHOWN_PROBLEMS]]
            if n > SHOWN_PROBLEMS:
                lines.append(f"  ... and {n - SHOWN_PROBLEMS} more")
            message = f"cannot read this model ({n} problem{'s' if n != 1 else ''}):\n"
            message += "\n".join(lines)
        super().__init__(f"{source}: {message}" if source else message)


class SaveError(OSError):
    """Saving failed; the message names the file and the system's reason. The file that
    was on disk before is unchanged."""

    def __init__(self, path: str, error: OSError) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(
            error.errno,
            f"could not save {path}: {reason} (the file on disk was not changed)",
        )
        self.filename = path

    def __str__(self) -> str:
        return str(self.strerror)


# -- migrations ------------------------------------------------------------------------
_EDGE_V1 = re.compile(
    r"\s*([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z0-9_]+))?\s*->"
    r"\s*([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z0-9_]+))?\s*"
)


def _v1_to_v2(data: Mapping[str, Any]) -> dict:
    """Version 1 -> 2: nodes keyed by id with "type"/"pos" become a list with "kind" and
    "position"; "a:out->b:in" edge strings become objects; training "learning_rate" is
    "lr". Raises FormatError (version-1 paths) where the version-1 layout is broken."""
    problems: list[Problem] = []
    out = {k: v for k, v in data.items() if k not in ("nodes", "edges", "training")}
    out["version"] = 2

    nodes = data.get("nodes")
    if isinstance(nodes, Mapping):
        new_nodes = []
        for nid, spec in nodes.items():
            path = _join("nodes", nid)
            if not isinstance(spec, Mapping):
                problems.append(Problem(path, "expected an object with type, name, params, pos"))
                continue
            node: dict[str, Any] = {"id": nid}
            for key, value in spec.items():
                if key == "type":
                    node["kind"] = value
                elif key in ("name", "params"):
                    node[key] = value
                elif key == "pos":
                    if isinstance(value, Mapping) and set(value) == {"x", "y"}:
                        node["position"] = [value["x"], value["y"]]
                    else:
                        problems.append(Problem(_join(path, "pos"), 'expected {"x": .., "y": ..}'))
                else:
                    problems.append(
                        Problem(
                            _join(path, key),
                            "unknown key (a version 1 node has: type, name, params, pos)",
                        )
                    )
            if "type" not in spec:
                problems.append(Problem(_join(path, "type"), "missing: every node needs a type"))
            new_nodes.append(node)
        out["nodes"] = new_nodes
    elif "nodes" in data:
        problems.append(Problem("nodes", "version 1 keeps nodes in an object keyed by id"))

    edges = data.get("edges")
    if isinstance(edges, list):
        new_edges = []
        for i, text in enumerate(edges):
            m = _EDGE_V1.fullmatch(text) if isinstance(text, str) else None
            if m is None:
                problems.append(Problem(f"edges[{i}]", 'expected "source:port->target:port"'))
                continue
            src, src_port, dst, dst_port = m.groups()
            src_port, dst_port = src_port or "out", dst_port or "in"
            new_edges.append({"src": src, "src_port": src_port, "dst": dst, "dst_port": dst_port})
        out["edges"] = new_edges
    elif "edges" in data:
        problems.append(Problem("edges", "version 1 keeps edges in a list of texts"))

    if "training" in data:
        training = data["training"]
        if isinstance(training, Mapping):
            training = {("lr" if k == "learning_rate" else k): v for k, v in training.items()}
            if "learning_rate" in data["training"] and "lr" in data["training"]:
                problems.append(Problem("training.lr", "both learning_rate and lr are given"))
        out["training"] = training
    if problems:
        raise FormatError([Problem(p.path, f"{p.message} (version 1 layout)") for p in problems])
    return out


MIGRATIONS: dict[int, Callable[[Mapping[str, Any]], dict]] = {1: _v1_to_v2}


def migrate(data: Mapping[str, Any]) -> dict:
    """``data`` (a model dict of any version up to VERSION) in the current layout."""
    if not isinstance(data, Mapping):
        raise FormatError([Problem("", f"expected a JSON object, got {_kind_of(data)}")])
    version = data.get("version")
    if not _is_int(version) or not 1 <= version <= VERSION:
        raise FormatError([_version_problem(version)])
    out = dict(data)
    while out["version"] < VERSION:
        out = MIGRATIONS[out["version"]](out)
    return out


# -- validation ------------------------------------------------------------------------
def validate(data: Any) -> list[Problem]:
    """Every problem of ``data`` (parsed JSON) as a model file, each with its JSON path;
    an empty list when ``from_dict`` will accept it."""
    return _read(data, fragment=False)[0]


class _Problems(list):
    """A list of problems that stops growing at MAX_PROBLEMS (and says so); ``total``
    counts every problem added."""

    total = 0

    def add(self, path: str, message: str) -> None:
        self.total += 1
        if len(self) < MAX_PROBLEMS:
            self.append(Problem(path, message))
        elif len(self) == MAX_PROBLEMS:
            self.append(Problem("", f"... more problems (only the first {MAX_PROBLEMS} shown)"))


@dataclass
class _Parsed:
    nodes: list[Node]
    edges: list[Edge]
    sections: dict[str, Any]


def _read(data: Any, *, fragment: bool) -> tuple[list[Problem], _Parsed | None]:
    """Problems of ``data`` and, when there are none, its checked content."""
    what = FRAGMENT_FORMAT if fragment else FORMAT
    if not isinstance(data, Mapping):
        return [Problem("", f"expected a JSON object (an {what} file), got {_kind_of(data)}")], None
    problems = _Problems()
    fmt = data.get("format")
    if "format" not in data:
        problems.add("format", f'missing: the file must say "format": "{what}"')
    elif fragment and fmt not in (FRAGMENT_FORMAT, FORMAT) or not fragment and fmt != FORMAT:
        problems.add("format", f"{short_repr(fmt)} is not an Ember Studio model ({what!r})")
    if problems:
        return list(problems), None
    version = data.get("version")
    if not _is_int(version) or not 1 <= version <= VERSION:
        return [_version_problem(version)], None
    if fmt == FRAGMENT_FORMAT and version != VERSION:
        return [Problem("version", f"a selection must be version {VERSION}")], None
    if version < VERSION:
        try:
            data = migrate(data)
        except FormatError as e:
            return e.problems, None

    keys = FRAGMENT_KEYS if fmt == FRAGMENT_FORMAT else TOP_KEYS
    for key in data:
        if key not in keys:
            problems.add(_join("", key), f"unknown key (known: {', '.join(keys)})")
    for key in ("nodes", "edges"):
        if key not in data:
            problems.add(key, f"missing: the file must have a list of {key} (it may be empty)")

    nodes = _read_nodes(data.get("nodes", []), problems)
    edges = _read_edges(data.get("edges", []), nodes, problems)
    sections: dict[str, Any] = {}
    if fmt == FORMAT:
        for section in SECTIONS:
            if section in data:
                sections[section] = data[section]
                for path, message in settings.problems(section, data[section]):
                    problems.add(_join(section, *path), message)
    if problems:
        return list(problems), None
    return [], _Parsed(list(nodes.values()), edges, sections)


def _read_nodes(items: Any, problems: _Problems) -> dict[str, Node | None]:
    """Nodes by id (None for a node with problems); duplicate ids are problems."""
    out: dict[str, Node | None] = {}
    first: dict[str, int] = {}
    if not isinstance(items, (list, tuple)):
        problems.add("nodes", f"expected a list of nodes, got {_kind_of(items)}")
        return out
    names: list[tuple[int, str]] = []  # nodes with no name get a default one at the end
    for i, item in enumerate(items):
        path = f"nodes[{i}]"
        if not isinstance(item, Mapping):
            problems.add(path, f"expected a node object ({', '.join(NODE_KEYS)})")
            continue
        n_before = problems.total
        for key in item:
            if key not in NODE_KEYS:
                problems.add(_join(path, key), f"unknown key (a node has: {', '.join(NODE_KEYS)})")
        for key in ("id", "kind"):
            if key not in item:
                problems.add(_join(path, key), f"missing: every node needs a {key}")
        nid = item.get("id")
        if "id" in item:
            reason = id_problem(nid)
            if reason:
                problems.add(_join(path, "id"), reason)
            elif nid in first:
                problems.add(_join(path, "id"), f"duplicate id {nid!r} (also nodes[{first[nid]}])")
        kind = item.get("kind")
        entry = None
        if "kind" in item:
            reason = kind_problem(kind)
            if reason:
                problems.add(_join(path, "kind"), reason)
            else:
                entry = catalog.get(kind)
        if "name" in item:
            reason = name_problem(item["name"])
            if reason:
                problems.add(_join(path, "name"), reason)
        params = item.get("params", {})
        if not isinstance(params, Mapping):
            problems.add(_join(path, "params"), f"expected an object, got {_kind_of(params)}")
        elif entry is not None:
            for key, message in entry.params.problems(params):
                problems.add(_join(path, "params", key), message)
        position, reason = parse_position(item.get("position", (0.0, 0.0)))
        if reason:
            problems.add(_join(path, "position"), reason)
        if isinstance(nid, str) and nid not in first:
            first[nid] = i
            out[nid] = None
            if problems.total == n_before:
                node = Node(nid, kind, "", entry.params.check(params), position)
                out[nid] = node
                if "name" in item:
                    out[nid] = Node(nid, kind, item["name"], node.params, node.position)
                else:
                    names.append((i, nid))
    taken = {n.name for n in out.values() if n is not None and n.name}
    for _, nid in names:  # default names, as Document.new_name would give them
        node = out[nid]
        base = catalog.get(node.kind).display_name
        k = 1
        while f"{base} {k}" in taken:
            k += 1
        taken.add(f"{base} {k}")
        out[nid] = Node(nid, node.kind, f"{base} {k}", node.params, node.position)
    return out


def _read_edges(items: Any, nodes: dict[str, Node | None], problems: _Problems) -> list[Edge]:
    """Checked edges; an edge into a taken port, to a missing node or in a cycle is a
    problem (the ports of a node with problems of its own are not checked)."""
    if not isinstance(items, (list, tuple)):
        problems.add("edges", f"expected a list of edges, got {_kind_of(items)}")
        return []
    accepted: list[tuple[int, Edge]] = []
    into: dict[tuple[str, str], int] = {}
    for i, item in enumerate(items):
        path = f"edges[{i}]"
        if not isinstance(item, Mapping):
            problems.add(path, f"expected an edge object ({', '.join(EDGE_KEYS)})")
            continue
        n_before = problems.total
        for key in item:
            if key not in EDGE_KEYS:
                problems.add(_join(path, key), f"unknown key (an edge has: {', '.join(EDGE_KEYS)})")
        ends = {}
        for key, default in (("src", None), ("src_port", "out"), ("dst", None), ("dst_port", "in")):
            if key not in item and default is None:
                problems.add(_join(path, key), f"missing: every edge needs a {key}")
                continue
            value = item.get(key, default)
            if not isinstance(value, str):
                problems.add(_join(path, key), f"expected a text, got {_kind_of(value)}")
            elif key in ("src", "dst") and value not in nodes:
                problems.add(_join(path, key), f"there is no node {short_repr(value)}")
            else:
                ends[key] = value
        if len(ends) < 4 or problems.total > n_before:
            continue
        src, dst = nodes[ends["src"]], nodes[ends["dst"]]
        edge = Edge(ends["src"], ends["dst"], ends["src_port"], ends["dst_port"])
        # a node with problems of its own is not checked further (its ports are unknown)
        if src is not None and edge.src_port not in src.entry.outputs:
            has = ", ".join(src.entry.outputs) or "none"
            problems.add(
                _join(path, "src_port"),
                f"{src.kind} node {src.id!r} has no output port {edge.src_port!r} "
                f"(its outputs: {has})",
            )
            continue
        if dst is not None and edge.dst_port not in dst.entry.input_ports(dst.params):
            has = ", ".join(dst.entry.input_ports(dst.params)) or "none"
            problems.add(
                _join(path, "dst_port"),
                f"{dst.kind} node {dst.id!r} has no input port {edge.dst_port!r} "
                f"(its inputs: {has})",
            )
            continue
        if edge.src == edge.dst:
            problems.add(_join(path, "dst"), f"node {edge.src!r} cannot feed itself")
            continue
        key = (edge.dst, edge.dst_port)
        if key in into:
            where = "dst_port" if "dst_port" in item else "dst"
            problems.add(
                _join(path, where),
                f"input {edge.dst_port!r} of node {edge.dst!r} is already fed by "
                f"edges[{into[key]}] (an input port takes one edge)",
            )
            continue
        into[key] = i
        accepted.append((i, edge))
    for i, message in _cycles(accepted):
        problems.add(f"edges[{i}]", message)
    return [e for _, e in accepted]


def _cycles(edges: list[tuple[int, Edge]]) -> list[tuple[int, str]]:
    """One (edge index, message) per cycle of the graph (per strongly connected set of
    nodes), found by an iterative Tarjan search (no recursion limit)."""
    succ: dict[str, list[str]] = {}
    for _, e in edges:
        succ.setdefault(e.src, []).append(e.dst)
        succ.setdefault(e.dst, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comp: dict[str, int] = {}
    n_comp = 0
    for root in succ:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on_stack.add(v)
            recurse = False
            for j in range(i, len(succ[v])):
                w = succ[v][j]
                if w not in index:
                    work.append((v, j + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp[w] = n_comp
                    if w == v:
                        break
                n_comp += 1
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
    found: dict[int, tuple[int, str]] = {}
    for i, e in edges:
        c = comp[e.src]
        if c != comp[e.dst] or c in found:
            continue
        path = _path_within(succ, comp, c, e.dst, e.src)
        shown = " -> ".join([e.src, *path[:8]]) + (" -> ..." if len(path) > 8 else "")
        found[c] = (i, f"the edges make a cycle: {shown} (a model must not loop back)")
    return sorted(found.values())


def _path_within(succ, comp, c, start: str, goal: str) -> list[str]:
    """The nodes of a shortest path start -> goal inside component ``c``."""
    before = {start: None}
    queue = [start]
    for v in queue:
        if v == goal:
            break
        for w in succ[v]:
            if comp[w] == c and w not in before:
                before[w] = v
                queue.append(w)
    path = [goal]
    while before[path[-1]] is not None:
        path.append(before[path[-1]])
    return path[::-1]


# -- to and from dicts -----------------------------------------------------------------
def to_dict(doc: Document) -> dict:
    """The document as JSON data in the current layout (every key written)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "meta": _sorted(doc.meta),
        "nodes": [_node_dict(n) for n in doc.nodes.values()],
        "edges": [_edge_dict(e) for e in doc.edges],
        "dataset": _sorted(doc.dataset),
        "training": _sorted(doc.training),
        "ui": _sorted(doc.ui),
    }


def from_dict(data: Any, *, source: str | None = None) -> Document:
    """A document from JSON data (any version up to VERSION); FormatError listing every
    problem otherwise. The data is not changed."""
    problems, parsed = _read(data, fragment=False)
    if problems:
        raise FormatError(problems, source=source)
    doc = Document()
    try:
        for section, value in parsed.sections.items():
            getattr(doc, f"set_{section}")(value)
        doc.add_nodes_and_edges(parsed.nodes, parsed.edges)
    except DocumentError as e:  # a check the validator lacks: still a clear FormatError
        raise FormatError([Problem("", str(e))], source=source) from None
    return doc


def fragment(doc: Document, node_ids: Iterable[str]) -> dict:
    """JSON data of some nodes and the edges among them (Document.subgraph)."""
    if isinstance(node_ids, str):
        raise DocumentError("subgraph takes a list of node ids")
    chosen = set()
    for nid in node_ids:
        chosen.add(doc.node(nid).id)
    return {
        "format": FRAGMENT_FORMAT,
        "version": VERSION,
        "nodes": [_node_dict(n) for n in doc.nodes.values() if n.id in chosen],
        "edges": [_edge_dict(e) for e in doc.edges if e.src in chosen and e.dst in chosen],
    }


def read_fragment(data: Any) -> tuple[list[Node], list[Edge]]:
    """The checked nodes and edges of ``subgraph`` data (or of a whole model file), as a
    dict or JSON text; FormatError otherwise."""
    if isinstance(data, (str, bytes, bytearray)):
        data = parse_json(data, source="<clipboard>")
    problems, parsed = _read(data, fragment=True)
    if problems:
        raise FormatError(problems)
    return parsed.nodes, parsed.edges


def _node_dict(node: Node) -> dict:
    return {
        "id": node.id,
        "kind": node.kind,
        "name": node.name,
        "params": {k: as_json(node.params[k]) for k in sorted(node.params)},
        "position": [float(node.position[0]), float(node.position[1])],
    }


def _edge_dict(edge: Edge) -> dict:
    return {"src": edge.src, "src_port": edge.src_port, "dst": edge.dst, "dst_port": edge.dst_port}


def _sorted(value: Any) -> Any:
    """JSON data with object keys sorted, tuples as lists (for deterministic output)."""
    if isinstance(value, Mapping):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


# -- text ------------------------------------------------------------------------------
def dumps(doc: Document | Mapping[str, Any]) -> str:
    """The file text: deterministic JSON, 2-space indent, short containers on one line,
    a trailing newline."""
    data = to_dict(doc) if isinstance(doc, Document) else doc
    return _emit(data, 0, 0) + "\n"


WIDTH = 100


def _emit(value: Any, indent: int, used: int) -> str:
    """``value`` as JSON text at ``indent`` (``used``: columns of its line already taken).

    A container goes on one line when that fits in WIDTH and it holds only scalars or sits
    inside a node (depth 3 and more: params, positions); the rest is one item per line.
    """
    if not isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    if not value:
        return "{}" if isinstance(value, Mapping) else "[]"
    items = list(value.values()) if isinstance(value, Mapping) else value
    flat = all(not isinstance(v, (Mapping, list, tuple)) for v in items)
    if indent > 0 and (flat or indent >= 6):
        one = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
        if used + len(one) <= WIDTH:
            return one
    pad = " " * (indent + 2)
    if isinstance(value, Mapping):
        parts = []
        for k, v in value.items():
            key = json.dumps(k, ensure_ascii=False) + ": "
            parts.append(pad + key + _emit(v, indent + 2, len(pad) + len(key) + 1))
        return "{\n" + ",\n".join(parts) + "\n" + " " * indent + "}"
    parts = [pad + _emit(v, indent + 2, len(pad) + 1) for v in value]
    return "[\n" + ",\n".join(parts) + "\n" + " " * indent + "]"


class _Refused(ValueError):
    """JSON that parses but that a model file must not contain (NaN, duplicate keys)."""


def _object(pairs: list[tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _Refused(f"the key {short_repr(k)} appears twice in one object")
            seen.add(k)
    return out


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a number JSON allows")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"the number {short_repr(text)} is too large")
    return value


def parse_json(text: str | bytes | bytearray, *, source: str = "<string>") -> Any:
    """JSON text (or UTF-8 bytes) as data, strictly: no NaN/Infinity, no duplicate keys,
    at most MAX_BYTES and MAX_DEPTH levels. FormatError with line:column otherwise."""
    if len(text) > MAX_BYTES:
        raise _error(source, f"the file is too large ({len(text):,} bytes; at most {MAX_BYTES:,})")
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise _error(source, f"not UTF-8 text (a bad byte at offset {e.start})") from None
    elif not isinstance(text, str):
        raise TypeError(f"parse_json needs text or bytes, got {type(text).__name__}")
    try:
        data = json.loads(
            text, object_pairs_hook=_object, parse_constant=_constant, parse_float=_float
        )
    except json.JSONDecodeError as e:
        raise _error(source, f"not valid JSON: {e.msg}", e.lineno, e.colno) from None
    except _Refused as e:
        line, col = _locate(text, str(e))
        raise _error(source, f"not valid here: {e}", line, col) from None
    except RecursionError:
        raise _error(source, f"nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise _error(source, f"not valid JSON: {e}") from None
    if _too_deep(data):
        raise _error(source, f"nested more than {MAX_DEPTH} levels deep")
    return data


def loads(text: str | bytes | bytearray, *, source: str = "<string>") -> Document:
    """A document from the file text; FormatError (naming ``source``) otherwise."""
    return from_dict(parse_json(text, source=source), source=source)


# -- files -----------------------------------------------------------------------------
def load(path: str | os.PathLike) -> Document:
    """A document from a project file. FormatError naming the file when its content is
    not a valid model; OSError (naming it) when it cannot be read."""
    name = os.fspath(path)
    with open(name, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_BYTES:
            raise _error(name, f"the file is too large ({size:,} bytes; at most {MAX_BYTES:,})")
        data = f.read(MAX_BYTES + 1)
    return loads(data, source=name)


def backup_path(path: str | os.PathLike) -> str:
    """Where :func:`save` keeps the previous version of ``path``."""
    return os.fspath(path) + BACKUP_SUFFIX


def save(doc: Document, path: str | os.PathLike) -> None:
    """Write ``doc`` to ``path`` atomically, keeping the previous file as ``<path>.bak``.
    On failure (disk full, no permission) the file on disk is unchanged and a SaveError
    names the file and the system's reason."""
    try:
        write_atomic(path, dumps(doc), backup_suffix=BACKUP_SUFFIX)
    except OSError as e:
        raise SaveError(os.fspath(path), e) from e


# -- helpers ---------------------------------------------------------------------------
def _join(path: str, *keys: Any) -> str:
    """A JSON path: ``a.b`` for identifier keys, ``a[3]`` for indices, ``a["x y"]`` else."""
    for key in keys:
        if isinstance(key, int) and not isinstance(key, bool):
            path += f"[{key}]"
        elif isinstance(key, str) and key.isidentifier() and key.isascii():
            path = f"{path}.{key}" if path else key
        else:
            text = json.dumps(key) if isinstance(key, str) else short_repr(key)
            path += f"[{text if len(text) <= 40 else text[:37] + '...'}]"
    return path


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _version_problem(version: Any) -> Problem:
    if version is None:
        return Problem("version", f"missing: the file must say its format version ({VERSION})")
    if _is_int(version) and version > VERSION:
        return Problem(
            "version",
            f"the file was written by a newer Ember Studio (format version {version}; this "
            f"one reads versions 1 to {VERSION}): update Ember Studio to open it",
        )
    return Problem("version", f"{short_repr(version)} is not a format version (1 to {VERSION})")


def _kind_of(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a text", bool: "true/false"}
    if value is None:
        return "null"
    for t, name in names.items():
        if isinstance(value, t):
            return name
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _error(source: str, message: str, line: int | None = None, col: int | None = None):
    where = f"line {line}, column {col}: " if line is not None else ""
    at = f"{source}:{line}:{col}" if line is not None else source
    return FormatError([Problem("", where + message)], source=None, message=f"{at}: {message}")


def _too_deep(data: Any) -> bool:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            if depth > MAX_DEPTH:
                return True
            stack.extend((v, depth + 1) for v in value)
    return False


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def _locate(text: str, message: str) -> tuple[int | None, int | None]:
    """Line and column of the first NaN, Infinity or too large number outside strings
    (best effort: the json module does not say where a hook refused a value)."""
    if "appears twice" in message:
        return None, None
    blank = _STRING.sub(lambda m: '"' + " " * (len(m.group()) - 2) + '"', text)
    for m in re.finditer(r"NaN|-?Infinity|-?\d[\d.]*[eE][+-]?\d+", blank):
        token = m.group()
        if token[-1].isdigit() and abs(float(token)) != float("inf"):
            continue
        line = blank.count("\n", 0, m.start()) + 1
        col = m.start() - (blank.rfind("\n", 0, m.start()) + 1) + 1
        return line, col
    return None, None


__all__ = [
    "BACKUP_SUFFIX",
    "FORMAT",
    "FRAGMENT_FORMAT",
    "FormatError",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MIGRATIONS",
    "Problem",
    "SUFFIX",
    "SaveError",
    "VERSION",
    "backup_path",
    "dumps",
    "fragment",
    "from_dict",
    "load",
    "loads",
    "migrate",
    "parse_json",
    "read_fragment",
    "save",
    "to_dict",
    "validate",
]
