"""Dense layers: Linear (and, in time, Bilinear)."""

from __future__ import annotations

import math

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.params import params


def _linear_infer(p, ins):
    (shape,) = ins
    if len(shape) == 0:
        raise ShapeError("Linear needs at least a 1-D input per sample", code="rank")
    if len(shape) > 2:
        raise ShapeError(
            f"Linear after a {len(shape)}-D output {shape_str(shape)}: it would act on the "
            f"last axis only ({shape[-1]} features)",
            "add a Flatten before it to use every feature",
            code="flatten",
        )
    return (*shape[:-1], p["out_features"])


def _linear_count(p, ins, out):
    (shape,) = ins
    n_in, n_out = shape[-1], p["out_features"]
    rows = math.prod(shape[:-1])
    return n_in * n_out + (n_out if p["bias"] else 0), rows * n_in * n_out


register(
    LayerKind(
        kind="Linear",
        display_name="Linear",
        category="Dense",
        doc="Fully connected layer: y = x W^T + b over the last axis (input size inferred).",
        params=params(
            P("out_features", "int", 32, "Output features", min=1, max=1 << 24),
            P("bias", "bool", True, "Learn an additive bias"),
        ),
        infer=_linear_infer,
        module=lambda p, ins: ModuleSpec(
            "Linear", (ins[0][-1], p["out_features"]), {"bias": p["bias"]}
        ),
        count=_linear_count,
        key_params=("out_features",),
    )
)
