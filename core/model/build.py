"""Build a core.nn.Module from a document: the DAG run in topological order.

Each node with a module becomes a submodule named after the node id, so the scopes in
a recorded graph (``core.graph``) are node ids. Nodes with no module of their own (merges,
reshapes) run inside a small parameterless :class:`NodeOp` so they are scoped too.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import nn
from core.model import catalog
from core.model.document import Document
from core.model.inference import Inference, infer


class BuildError(ValueError):
    """The document cannot be built; ``diagnostics`` lists the errors."""

    def __init__(self, diagnostics: Sequence) -> None:
        self.diagnostics = list(diagnostics)
        lines = "\n".join(f"  {d}" for d in self.diagnostics)
        super().__init__(f"the model has {len(self.diagnostics)} error(s):\n{lines}")


class NodeOp(nn.Module):
    """A parameterless node (merge, reshape, ...) run through its catalog entry's ``apply``."""

    def __init__(self, kind: str, params: dict) -> None:
        super().__init__()
        self.kind = kind
        self.params = dict(params)
        self._entry = catalog.get(kind)

    def forward(self, *inputs):
        return self._entry.apply(None, inputs, self.params)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or self.kind


def module_for(entry: catalog.LayerKind, params: dict, in_shapes) -> nn.Module | None:
    """The core.nn module a node builds to, or None for Input/Output nodes."""
    spec = entry.module(params, in_shapes) if entry.module is not None else None
    if spec is not None:
        return getattr(nn, spec.cls)(*spec.args, **spec.kwargs)
    if entry.is_input or entry.is_output:
        return None
    return NodeOp(entry.kind, params)


class GraphModel(nn.Module):
    """A document's model: ``forward(*inputs)`` takes one tensor per Input node (in document
    order) and returns the Output nodes' values (one tensor, or a tuple for several)."""

    def __init__(self, doc: Document, inference: Inference | None = None) -> None:
        super().__init__()
        inference = infer(doc) if inference is None else inference
        if not inference.ok:
            raise BuildError(inference.errors)
        nodes = doc.nodes
        self._order = [nid for nid in inference.nodes if inference.nodes[nid].shape is not None]
        self._steps = []  # (node id, entry, params, [source ids], has module)
        for nid in self._order:
            node = nodes[nid]
            entry = catalog.get(node.kind)
            module = module_for(entry, node.params, inference.nodes[nid].in_shapes)
            if module is not None:
                self.add_module(nid, module)
            sources = [e.src if e else None for e in doc.inputs_of(nid)]
            self._steps.append((nid, entry, node.params, sources, module is not None))
        self.input_ids = [n.id for n in doc.input_nodes()]
        self.output_ids = [n.id for n in doc.output_nodes()]
        self.input_shapes = {nid: inference.nodes[nid].shape for nid in self.input_ids}

    def forward(self, *inputs):
        if len(inputs) != len(self.input_ids):
            raise TypeError(
                f"the model takes {len(self.input_ids)} input(s) "
                f"({', '.join(self.input_ids)}), got {len(inputs)}"
            )
        values = dict(zip(self.input_ids, inputs))
        for nid, entry, params, sources, has_module in self._steps:
            if entry.is_input:
                continue
            module = self._modules[nid] if has_module else None
            values[nid] = entry.apply(module, [values[s] for s in sources], params)
        outs = tuple(values[o] for o in self.output_ids)
        return outs[0] if len(outs) == 1 else outs


def build(doc: Document, inference: Inference | None = None) -> GraphModel:
    """The document's model as a core.nn.Module (raises BuildError listing the errors)."""
    return GraphModel(doc, inference)
