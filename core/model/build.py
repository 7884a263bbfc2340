"""Build a core.nn.Module from a document: the DAG run in topological order.

Each node with a module becomes a submodule named after the node id, so the scopes in
a recorded graph (``core.graph``) are node ids and ``state_dict`` keys read
``<node id>.weight``. Nodes with no module of their own (merges, reshapes) run inside a
small parameterless :class:`NodeOp` so they are scoped too. Input and Output nodes have
no module: the model's arguments and return values are theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from core import nn
from core._state import state
from core.model import catalog
from core.model.catalog import shape_str
from core.model.document import Document
from core.model.inference import Inference, infer


class BuildError(ValueError):
    """The document cannot be built; ``diagnostics`` lists the errors."""

    def __init__(self, diagnostics: Sequence) -> None:
        self.diagnostics = list(diagnostics)
        lines = "\n".join(f"  {d}" for d in self.diagnostics)
        super().__init__(
            f"the model cannot be built: {len(self.diagnostics)} error(s):\n{lines}\n"
            "fix them in the editor, or run `python -m app validate PROJECT` to list them"
        )


class NodeOp(nn.Module):
    """A parameterless node (merge, reshape, ...) run through its catalog entry's ``apply``;
    calling it pushes the node id as the graph scope, like any submodule."""

    def __init__(self, kind: str, params: dict) -> None:
        super().__init__()
        self.kind = kind
        self.params = dict(params)
        self._entry = catalog.get(kind)

    def forward(self, *inputs):
        return self._entry.apply(None, inputs, self.params)

    def _get_name(self) -> str:
        return self.kind

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items())


def module_for(entry: catalog.LayerKind, params: dict, in_shapes) -> nn.Module | None:
    """The core.nn module a node builds to, or None for Input/Output nodes."""
    spec = entry.module(params, in_shapes) if entry.module is not None else None
    if spec is not None:
        return getattr(nn, spec.cls)(*spec.args, **spec.kwargs)
    if entry.is_input or entry.is_output:
        return None
    return NodeOp(entry.kind, params)


class _InNodeScope:
    """The node's module as an entry's custom ``apply`` sees it.

    Such an apply may compute outside the module call (``module(x)[0][:, -1]``, a causal
    mask): ``forward`` runs it in the node's scope, and this proxy calls the module from the
    outer scope, where the module pushes its own name (the node id) as usual. So every op
    is scoped ``<node id>[.<inner module path>]``, never ``<node id>.<node id>``.
    """

    __slots__ = ("_module", "_outer")

    def __init__(self, module: nn.Module, outer: str) -> None:
        self._module = module
        self._outer = outer

    def __call__(self, *args, **kwargs):
        st = state
        inner, st.scope_path = st.scope_path, self._outer
        try:
            return self._module(*args, **kwargs)
        finally:
            st.scope_path = inner

    def __getattr__(self, name: str):
        return getattr(self._module, name)


# How a step runs: its entry's default apply (the module is called with the inputs), a
# custom apply run in the node's scope, its NodeOp called, or apply with no module (Output).
_MODULE, _CUSTOM, _OP, _BARE = 0, 1, 2, 3


class GraphModel(nn.Module):
    """A document's model.

    ``forward(*inputs)`` takes one batch per Input node, in document order (or by keyword,
    ``model(tokens=x)``), and returns the Output nodes' values: one tensor, or a tuple in
    document order for several. ``input_ids``/``output_ids`` name them; ``input_shapes`` and
    ``input_dtypes`` give what each Input takes per sample (an int64 Input takes index
    tensors, e.g. for an Embedding). ``node_names`` maps node ids to the user's names, and
    :meth:`node_of_scope` maps a recorded op's scope back to its node.

    The model is a snapshot: later edits of the document do not change it.
    """

    def __init__(self, doc: Document, inference: Inference | None = None) -> None:
        super().__init__()
        inference = infer(doc) if inference is None else inference
        if not inference.ok:
            raise BuildError(inference.errors)
        nodes = doc.nodes
        steps = []  # (node id, entry, params, [source ids], how)
        for nid, info in inference.nodes.items():
            node = nodes[nid]
            entry = catalog.get(node.kind)
            if entry.is_input:
                continue
            module = module_for(entry, node.params, info.in_shapes)
            if module is not None:
                self.add_module(nid, module)
            if module is None:
                how = _BARE
            elif isinstance(module, NodeOp):
                how = _OP
            else:
                how = _MODULE if entry.apply is catalog._default_apply else _CUSTOM
            sources = [e.src for e in doc.inputs_of(nid)]
            steps.append((nid, entry, dict(node.params), sources, how))
        self._steps = tuple(steps)
        self.input_ids = [n.id for n in doc.input_nodes()]
        self.output_ids = [n.id for n in doc.output_nodes()]
        self.input_shapes = {nid: inference.nodes[nid].shape for nid in self.input_ids}
        self.input_dtypes = {nid: inference.nodes[nid].dtype for nid in self.input_ids}
        self.node_names = {nid: n.name for nid, n in nodes.items()}

    # -- running ---------------------------------------------------------------------
    def forward(self, *inputs, **by_id):
        """Run the nodes in topological order: one batch per Input node (in document
        order, or by node id as a keyword); the Output's value, or a tuple of them."""
        values = self._bind(inputs, by_id)
        modules = self._modules
        for nid, entry, params, sources, how in self._steps:
            xs = [values[s] for s in sources]
            if how == _MODULE:
                values[nid] = entry.apply(modules[nid], xs, params)
            elif how == _CUSTOM:
                st = state
                outer = st.scope_path
                st.scope_path = f"{outer}.{nid}" if outer else nid
                try:
                    values[nid] = entry.apply(_InNodeScope(modules[nid], outer), xs, params)
                finally:
                    st.scope_path = outer
            elif how == _OP:
                values[nid] = modules[nid](*xs)
            else:
                values[nid] = entry.apply(None, xs, params)
        outs = tuple(values[o] for o in self.output_ids)
        return outs[0] if len(outs) == 1 else outs

    def _bind(self, inputs: tuple, by_id: dict) -> dict:
        ids = self.input_ids
        if by_id:
            unknown = sorted(set(by_id) - set(ids))
            if unknown:
                raise TypeError(
                    f"the model has no input {unknown[0]!r}; its inputs are {', '.join(ids)}"
                )
            if inputs:
                raise TypeError("pass the model's inputs either all by position or all by id")
            if len(by_id) != len(ids):
                missing = [i for i in ids if i not in by_id]
                raise TypeError(f"the model's input {missing[0]!r} was not given")
            values = dict(by_id)
        else:
            if len(inputs) != len(ids):
                raise TypeError(
                    f"the model takes {len(ids)} input(s) ({', '.join(ids)}), got {len(inputs)}"
                )
            values = dict(zip(ids, inputs))
        for nid in ids:
            self._check_input(nid, values[nid])
        return values

    def _check_input(self, nid: str, x) -> None:
        """A clear error when a batch does not fit its Input node (shape or dtype)."""
        shape = getattr(x, "shape", None)
        if shape is None:
            raise TypeError(
                f"input {nid!r} ({self.node_names[nid]!r}) must be a tensor, got {type(x).__name__}"
            )
        want = self.input_shapes[nid]
        if tuple(shape[1:]) != want:
            raise ValueError(
                f"input {nid!r} ({self.node_names[nid]!r}) takes a batch of samples shaped "
                f"{shape_str(want)}, i.e. (N, {', '.join(map(str, want))}); got a tensor "
                f"of shape {shape_str(tuple(shape))}. Set the Input's shape to match the "
                "data, or reshape the data"
            )
        is_int = self.input_dtypes[nid].startswith("int")
        floating = getattr(x, "is_floating_point", None)
        if floating is not None and floating() == is_int:
            want_dt = self.input_dtypes[nid]
            fix = ".long()" if is_int else ".float()"
            raise TypeError(
                f"input {nid!r} ({self.node_names[nid]!r}) takes {want_dt} "
                f"{'indices' if is_int else 'values'}, got a {x.dtype} tensor; convert it "
                f"with {fix} or change the Input's dtype"
            )

    # -- mapping back to the document ------------------------------------------------
    def node_of_scope(self, scope: str) -> str | None:
        """The node id that a recorded op's scope belongs to, or None (ops outside any node).

        ``"conv1"`` -> ``"conv1"``; ``"enc1.layers.0.self_attn"`` -> ``"enc1"``; a model
        nested in another is found through its parents' prefix (``"net.conv1"``).
        """
        if not scope:
            return None
        names = self.node_names
        for part in scope.split("."):
            if part in names:
                return part
        return None

    # -- display -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        ins = ", ".join(
            f"{i}: {shape_str(self.input_shapes[i])} {self.input_dtypes[i]}" for i in self.input_ids
        )
        return f"inputs=[{ins}], outputs=[{', '.join(self.output_ids)}]"

    def __repr__(self) -> str:
        lines = [self.extra_repr()]
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {text}  # {self.node_names.get(name, name)}")
        return "GraphModel(\n  " + "\n  ".join(lines) + "\n)"


#: Attribute names of a built GraphModel beyond those of core.nn.Module: a node id cannot
#: take them (its submodule would clash), so the document refuses them.
RESERVED = frozenset(vars(GraphModel)) | {
    "_steps",
    "input_ids",
    "output_ids",
    "input_shapes",
    "input_dtypes",
    "node_names",
}


def build(doc: Document, inference: Inference | None = None) -> GraphModel:
    """The document's model as a core.nn.Module (raises BuildError listing the errors)."""
    return GraphModel(doc, inference)
