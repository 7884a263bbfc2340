"""Input and Output nodes."""

from __future__ import annotations

from core.model.catalog import LayerKind, P, register
from core.model.params import params


def _input_apply(module, inputs, p):
    return inputs[0]


register(
    LayerKind(
        kind="Input",
        display_name="Input",
        category="Input / Output",
        doc="A model input: one sample's shape (without the batch dimension) and dtype.",
        params=params(
            P("shape", "shape", (2,), "One sample's shape, e.g. [3, 32, 32]", min=1, max=1 << 20),
            P("dtype", "choice", "float32", "Element type", choices=("float32", "int64")),
        ),
        infer=lambda p, ins: tuple(p["shape"]),
        apply=_input_apply,
        expr=lambda ins, attr, p, lib: ins[0],
        ports=lambda p: (),
        dtype="source",
        key_params=("shape",),
        id_prefix="input",
    )
)

register(
    LayerKind(
        kind="Output",
        display_name="Output",
        category="Input / Output",
        doc="A model output: what the model returns (the loss compares it with the targets).",
        params=params(),
        infer=lambda p, ins: tuple(ins[0]),
        apply=_input_apply,
        expr=lambda ins, attr, p, lib: ins[0],
        outputs=(),
        dtype="any",
        id_prefix="output",
    )
)
