"""Recorder of the computation graph that actually ran.

    with core.graph.record() as g:
        loss = model(x).sum()
    g.to_json(); g.to_dot()

Every op applied in this thread while recording becomes an :class:`OpNode`; tensors
that no recorded op produced (inputs, parameters) become leaf nodes. ``scope(name)``
pushes a name that nodes record as their scope path, so nn modules (which push their
attribute names) map each op back to the layer that ran it.
"""

from __future__ import annotations

import itertools
import json
import time
import weakref
from dataclasses import asdict, dataclass, field

from core import backend as _backend
from core._state import state

FORMAT = "ember-graph"
VERSION = 1
_serials = itertools.count(1)


@dataclass
class OpNode:
    """One executed op (or a leaf tensor) in a recorded graph."""

    id: int
    op: str
    kind: str  # "op", "input", "parameter" or "backward"
    inputs: list[int]
    shape: tuple[int, ...]
    dtype: str
    device: str
    scope: str
    time: float | None = None  # seconds, when recorded with timing=True
    outputs: list[tuple[int, ...]] = field(default_factory=list)  # all output shapes
    forward_id: int | None = None  # for backward nodes: the op they differentiate

    def to_dict(self) -> dict:
        d = asdict(self)
        d["shape"] = list(self.shape)
        d["outputs"] = [list(s) for s in self.outputs]
        return d


class scope:  # noqa: N801 - used like a function: `with core.graph.scope("encoder"):`
    """Push ``name`` onto this thread's scope path for the duration of the block."""

    __slots__ = ("name", "_prev")

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __enter__(self) -> scope:
        st = state
        self._prev = st.scope_path
        if self.name:
            st.scope_path = f"{self._prev}.{self.name}" if self._prev else self.name
        return self

    def __exit__(self, *exc) -> None:
        state.scope_path = self._prev


def current_scope() -> str:
    """The dotted scope path of this thread ('' outside any scope)."""
    return state.scope_path


class Recorder:
    """Collects the nodes of one recording; use through :func:`record`."""

    def __init__(self, backward: bool = False, timing: bool = False) -> None:
        self.parent: Recorder | None = None  # the recording this one is nested in
        self.backward = backward
        self.timing = timing
        self.nodes: list[OpNode] = []
        self._serial = next(_serials)
        self._t0: list[float] = []
        self._forward_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    # -- called by Function.apply and the backward engine ------------------------------
    def begin_op(self) -> None:
        if self.timing:
            self._t0.append(time.perf_counter())
        if self.parent is not None:
            self.parent.begin_op()

    def record_op(self, name: str, inputs, outputs, ctx) -> None:
        self._record_op(name, inputs, outputs, ctx)
        if self.parent is not None:  # a recording nested in another: both see the op
            self.parent.record_op(name, inputs, outputs, ctx)

    def _record_op(self, name: str, inputs, outputs, ctx) -> None:
        elapsed = None
        if self.timing:
            if outputs and outputs[0]._device == "cuda":
                _backend.get("cuda").xp.cuda.Device().synchronize()
            elapsed = time.perf_counter() - self._t0.pop()
        input_ids = [self._id_of(t) for t in inputs if hasattr(t, "_data")]
        first = outputs[0]
        node = OpNode(
            id=len(self.nodes),
            op=name,
            kind="op",
            inputs=input_ids,
            shape=tuple(first._data.shape),
            dtype=str(first._data.dtype),
            device=first._device,
            scope=state.scope_path,
            time=elapsed,
            outputs=[tuple(o._data.shape) for o in outputs],
        )
        self.nodes.append(node)
        for o in outputs:
            _mark(o, self._serial, node.id)
        if ctx is not None:
            self._forward_ids[ctx] = node.id

    def begin_backward(self, ctx) -> None:
        if self.backward:
            self._t0.append(time.perf_counter())
        if self.parent is not None:
            self.parent.begin_backward(ctx)

    def end_backward(self, ctx) -> None:
        if self.parent is not None:
            self.parent.end_backward(ctx)
        if not self.backward:
            return
        elapsed = time.perf_counter() - self._t0.pop()
        fid = self._forward_ids.get(ctx)
        fwd = self.nodes[fid] if fid is not None else None
        self.nodes.append(
            OpNode(
                id=len(self.nodes),
                op=f"{type(ctx).__name__}Backward",
                kind="backward",
                inputs=[],
                shape=fwd.shape if fwd else (),
                dtype=fwd.dtype if fwd else "",
                device=ctx.device,
                scope=fwd.scope if fwd else "",
                time=elapsed if self.timing else None,
                forward_id=fid,
            )
        )

    def _id_of(self, t) -> int:
        rec = getattr(t, "_rec", None)
        if rec is not None and self._serial in rec:
            return rec[self._serial]
        # a leaf that requires grad is a parameter; any other outside tensor an input
        kind = "parameter" if t._requires_grad and t._grad_fn is None else "input"
        node = OpNode(
            id=len(self.nodes),
            op=kind,
            kind=kind,
            inputs=[],
            shape=tuple(t._data.shape),
            dtype=str(t._data.dtype),
            device=t._device,
            scope=state.scope_path,
        )
        self.nodes.append(node)
        _mark(t, self._serial, node.id)  # no reference kept: batches can be freed
        return node.id

    # -- results ----------------------------------------------------------------------
    @property
    def ops(self) -> list[OpNode]:
        """The forward op nodes (no leaves, no backward nodes)."""
        return [n for n in self.nodes if n.kind == "op"]

    @property
    def edges(self) -> list[tuple[int, int]]:
        """(producer id, consumer id) for every tensor passed between nodes."""
        return [(src, n.id) for n in self.nodes for src in n.inputs]

    def signature(self) -> tuple:
        """What identifies the graph's structure (ops, wiring, shapes), not its values:
        equal signatures mean the same executed graph."""
        return tuple((n.op, n.kind, tuple(n.inputs), n.shape, n.dtype, n.scope) for n in self.nodes)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [list(e) for e in self.edges],
        }

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_dot(self) -> str:
        """Graphviz DOT source, ops grouped into clusters by scope."""
        lines = ["digraph executed {", "  rankdir=TB;", '  node [shape=box, fontname="Helvetica"];']
        by_scope: dict[str, list[OpNode]] = {}
        for n in self.nodes:
            by_scope.setdefault(n.scope, []).append(n)
        for k, (name, nodes) in enumerate(by_scope.items()):
            indent = "  "
            if name:
                lines.append(f"  subgraph cluster_{k} {{")
                lines.append(f"    label={_dot_str(name)};")
                indent = "    "
            for n in nodes:
                label = f"{n.op}\\n{'x'.join(map(str, n.shape)) or 'scalar'}"
                style = ', style="rounded,filled", fillcolor="#eeeeee"' if n.kind != "op" else ""
                lines.append(f"{indent}n{n.id} [label={_dot_str(label, raw=True)}{style}];")
            if name:
                lines.append("  }")
        for src, dst in self.edges:
            lines.append(f"  n{src} -> n{dst};")
        for n in self.nodes:  # a backward node hangs off the op it differentiates
            if n.forward_id is not None:
                lines.append(f"  n{n.forward_id} -> n{n.id} [style=dashed, arrowhead=none];")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<Recorder {len(self.ops)} ops, {len(self.nodes)} nodes>"


def _mark(t, serial: int, node_id: int) -> None:
    """Note on a tensor which node of each active recording produced it."""
    rec = getattr(t, "_rec", None)
    if rec is None:
        rec = t._rec = {}
    elif len(rec) >= 4:  # long-lived tensors (parameters) must not collect old recordings
        active = set()
        r = state.recorder
        while r is not None:
            active.add(r._serial)
            r = r.parent
        for old in [k for k in rec if k not in active]:
            del rec[old]
    rec[serial] = node_id


def _dot_str(text: str, raw: bool = False) -> str:
    escaped = text.replace("\\", "\\\\") if not raw else text
    return '"' + escaped.replace('"', '\\"') + '"'


class record:  # noqa: N801 - used like a function: `with core.graph.record() as g:`
    """Record every op executed in this thread inside the block.

    backward: also record the backward nodes run by ``.backward()``.
    timing: measure each op's wall time (synchronising CUDA, which slows it down).
    """

    def __init__(self, backward: bool = False, timing: bool = False) -> None:
        self.recorder = Recorder(backward=backward, timing=timing)

    def __enter__(self) -> Recorder:
        self._prev = state.recorder
        self.recorder.parent = self._prev
        state.recorder = self.recorder
        return self.recorder

    def __exit__(self, *exc) -> None:
        state.recorder = self._prev
