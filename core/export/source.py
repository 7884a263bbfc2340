"""The model class of an exported script: one attribute per layer, forward() in
topological order, shape comments from inference.

Attribute and variable names come from the user's node names through
:func:`core.export.names.identifier`; the constructors are the catalog's ModuleSpecs
rendered as ``nn.<cls>(...)`` (the same names and arguments in core.nn and torch.nn) and
the forward expressions are the catalog's ``expr`` templates.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from core.export import fmt
from core.export.names import (
    ascii_words,
    class_name,
    comment_text,
    identifier,
    literal,
    width,
    wrap,
)
from core.model import catalog
from core.model.build import BuildError
from core.model.document import Document
from core.model.inference import Inference, infer


@dataclass
class ModelPlan:
    """What the rest of the script needs to know about the exported model."""

    class_name: str
    attrs: dict[str, str]  # node id -> attribute name (nodes with a module)
    inputs: list[str]  # Input node ids, in document order (forward's arguments)
    arg_names: list[str]  # forward's argument names, one per input
    input_shapes: list[tuple[int, ...]]
    input_dtypes: list[str]
    outputs: list[str]  # Output node ids, in document order
    output_shapes: list[tuple[int, ...]]
    dropped: list[str] = field(default_factory=list)  # nodes that lead to no output
    total_params: int = 0
    lines: list[str] = field(default_factory=list)  # the class source

    def rename(self, key: str) -> str:
        """A built GraphModel's state_dict key (``<node id>.weight``) in the exported model."""
        head, _, rest = key.partition(".")
        return f"{self.attrs[head]}.{rest}" if rest else self.attrs[head]


class TemplateError(ValueError):
    """A catalog entry gave something that cannot be written as code (a bug in the entry)."""


@contextmanager
def _template_errors(node_id: str, kind: str, what: str):
    try:
        yield
    except (SyntaxError, TypeError, ValueError) as e:
        raise TemplateError(
            f"node {node_id!r}: the {kind} catalog entry's {what} cannot be written as Python "
            f"({e}); this is a bug in core/model/kinds, please report it"
        ) from e


def shape_comment(shape) -> str:
    """``-> (N, 32, 8, 8)``: a batch of per-sample ``shape``."""
    return "-> (" + ", ".join(["N", *map(str, shape)]) + ")"


def _live(doc: Document) -> set[str]:
    """Nodes from which an Output can be reached (the Outputs included)."""
    pred: dict[str, list[str]] = {}
    for e in doc.edges:
        pred.setdefault(e.dst, []).append(e.src)
    live = {n.id for n in doc.output_nodes()}
    stack = list(live)
    while stack:
        for m in pred.get(stack.pop(), ()):
            if m not in live:
                live.add(m)
                stack.append(m)
    return live


def plan_model(doc: Document, lib: str, inference: Inference | None = None) -> ModelPlan:
    """The model class for ``lib`` ("core" or "torch"); BuildError if the model has errors."""
    inference = infer(doc) if inference is None else inference
    if not inference.ok:
        raise BuildError(inference.errors)
    nodes = doc.nodes
    live = _live(doc)
    order = [nid for nid in inference.nodes if nid in live]
    inputs = [n.id for n in doc.input_nodes()]
    outputs = [n.id for n in doc.output_nodes()]
    meta_title = str(doc.meta.get("title", "") or "")

    ident = _identifiers(nodes, [*inputs, *order])
    specs: dict[str, catalog.ModuleSpec] = {}
    for nid in order:
        node = nodes[nid]
        entry = node.entry
        if entry.module is not None and not (entry.is_input or entry.is_output):
            spec = entry.module(node.params, inference.nodes[nid].in_shapes)
            if spec is not None:
                specs[nid] = spec
    attrs = {nid: ident[nid] for nid in order if nid in specs}
    arg_names = ["x"] if len(inputs) == 1 else [ident[i] for i in inputs]

    plan = ModelPlan(
        class_name=class_name(meta_title),
        attrs=attrs,
        inputs=inputs,
        arg_names=arg_names,
        input_shapes=[tuple(inference.nodes[i].shape) for i in inputs],
        input_dtypes=[inference.nodes[i].dtype or "float32" for i in inputs],
        outputs=outputs,
        output_shapes=[tuple(inference.nodes[o].shape) for o in outputs],
        dropped=[nid for nid in inference.nodes if nid not in live and nid not in inputs],
        total_params=sum(inference.nodes[n].params for n in order),
    )

    lines = _class_lines(plan, meta_title) + _init_lines(nodes, order, specs, attrs)
    lines += ["", *fmt.call_lines("def forward", ["self", *arg_names], ":", 4)]
    lines += _forward_body(doc, inference, order, ident, specs, plan, lib)
    plan.lines = lines
    return plan


def _identifiers(nodes, nids: list[str]) -> dict[str, str]:
    """One identifier per node (its attribute and, where needed, its variable), from the
    user's names, unique and never reserved."""
    taken: set[str] = set()
    ident: dict[str, str] = {}
    for nid in nids:
        if nid in ident:
            continue
        node = nodes[nid]
        fallback = "input" if node.entry.is_input else node.entry.id_prefix or "layer"
        ident[nid] = identifier(node.name, fallback, taken=taken)
        taken.add(ident[nid])
    return ident


def _class_lines(plan: ModelPlan, meta_title: str) -> list[str]:
    """The class line and its docstring: inputs, outputs and the parameter count."""
    lines = [f"class {plan.class_name}(nn.Module):"]
    ins = ", ".join(
        f"{plan.arg_names[k]}: {shape_comment(plan.input_shapes[k])[3:]}"
        for k in range(len(plan.inputs))
    )
    outs = ", ".join(shape_comment(s)[3:] for s in plan.output_shapes)
    about = f"The model of {comment_text(meta_title)}" if meta_title.strip() else "The model"
    doc_text = f"{about}: {ins} -> {outs}; {plan.total_params:,} parameters."
    body = wrap(doc_text, "    ", 96)
    if len(body) == 1 and width(body[0]) + 6 <= 100:
        lines.append(f'    """{body[0].strip()}"""')
    else:
        lines.append(f'    """{body[0].strip()}')
        lines += body[1:]
        lines.append('    """')
    return lines


def _init_lines(nodes, order: list[str], specs: dict, attrs: dict[str, str]) -> list[str]:
    """``__init__``: one attribute per layer with parameters or state."""
    lines = ["", "    def __init__(self):", "        super().__init__()"]
    for nid in order:
        if nid not in specs:
            continue
        spec = specs[nid]
        node = nodes[nid]
        with _template_errors(nid, node.kind, "module spec"):
            args = [literal(a) for a in spec.args]
            args += [f"{k}={literal(v)}" for k, v in spec.kwargs.items()]
            note = "" if ascii_words(node.name) == attrs[nid] else comment_text(node.name)
            source = f"nn.{spec.cls}({', '.join(args)})"
            lines += fmt.statement(f"self.{attrs[nid]} = ", source, 8, note)
    if not specs:
        lines.append("        # no layer with parameters or state")
    return lines


def _forward_body(doc, inference, order, ident, specs, plan: ModelPlan, lib: str) -> list[str]:
    """forward()'s statements: each node once, variables reused once their value is dead."""
    nodes = doc.nodes
    sources = {nid: [e.src for e in doc.inputs_of(nid)] for nid in order}
    steps = [nid for nid in order if not nodes[nid].entry.is_input]
    step_of = {nid: i for i, nid in enumerate(steps)}
    end = len(steps)
    last_use: dict[str, int] = {}
    for nid in steps:
        for s in sources[nid]:
            use = end if nodes[nid].entry.is_output else step_of[nid]
            last_use[s] = max(last_use.get(s, -1), use)

    var: dict[str, str] = {}  # node id -> variable holding its value
    holds: dict[str, str] = {}  # variable -> node id whose value it holds
    for nid, name in zip(plan.inputs, plan.arg_names):
        var[nid] = name
        holds[name] = nid

    def free(name: str, i: int) -> bool:
        held = holds.get(name)
        return held is None or last_use.get(held, -1) <= i

    lines: list[str] = []
    for i, nid in enumerate(steps):
        node = nodes[nid]
        entry = node.entry
        if entry.is_output:
            continue
        ins = [var[s] for s in sources[nid]]
        attr = f"self.{plan.attrs[nid]}" if nid in specs else None
        candidates = ["x", *ins[:1]]
        target = next((c for c in candidates if free(c, i)), ident[nid])
        var[nid] = target
        holds[target] = nid
        shape = inference.nodes[nid].shape
        with _template_errors(nid, node.kind, "code template"):
            source = entry.expr(ins, attr, dict(node.params), lib)
            lines += fmt.statement(f"{target} = ", source, 8, shape_comment(shape))
    results = [var[sources[o][0]] for o in plan.outputs]
    lines += fmt.statement("return ", ", ".join(results), 8)
    return lines
