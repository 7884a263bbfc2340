"""Dense layers: Linear, Bilinear and Identity."""

from __future__ import annotations

import math

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.kinds._util import same_shape
from core.model.params import params


def _flatten_first(kind: str, shape, where: str = "") -> None:
    if len(shape) > 2:
        raise ShapeError(
            f"{kind} after a {len(shape)}-D output {shape_str(shape)}{where}: it would act on "
            f"the last axis only ({shape[-1]} features)",
            "add a Flatten before it to use every feature",
            code="flatten",
        )


def _bias_kw(p) -> dict:
    return {} if p["bias"] else {"bias": False}


def _linear_infer(p, ins):
    (shape,) = ins
    if len(shape) == 0:
        raise ShapeError("Linear needs at least a 1-D input per sample", code="rank")
    _flatten_first("Linear", shape)
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
        module=lambda p, ins: ModuleSpec("Linear", (ins[0][-1], p["out_features"]), _bias_kw(p)),
        count=_linear_count,
        key_params=("out_features",),
    )
)


def _bilinear_infer(p, ins):
    a, b = ins
    _flatten_first("Bilinear", a, " on in1")
    _flatten_first("Bilinear", b, " on in2")
    if a[:-1] != b[:-1]:
        raise ShapeError(
            f"Bilinear needs in1 and in2 with the same leading axes: in1 is {shape_str(a)}, "
            f"in2 is {shape_str(b)}",
            "give both inputs one row per sample (or the same number of rows)",
            code="mismatch",
        )
    return (*a[:-1], p["out_features"])


def _bilinear_count(p, ins, out):
    a, b = ins
    n_out = p["out_features"]
    weights = a[-1] * b[-1] * n_out
    return weights + (n_out if p["bias"] else 0), math.prod(a[:-1]) * weights


register(
    LayerKind(
        kind="Bilinear",
        display_name="Bilinear",
        category="Dense",
        doc="Bilinear layer: y_k = x1^T A_k x2 + b_k, mixing two inputs' features (sizes "
        "inferred).",
        params=params(
            P("out_features", "int", 32, "Output features", min=1, max=1 << 20),
            P("bias", "bool", True, "Learn an additive bias"),
        ),
        infer=_bilinear_infer,
        module=lambda p, ins: ModuleSpec(
            "Bilinear", (ins[0][-1], ins[1][-1], p["out_features"]), _bias_kw(p)
        ),
        count=_bilinear_count,
        ports=lambda p: ("in1", "in2"),
        key_params=("out_features",),
    )
)

register(
    LayerKind(
        kind="Identity",
        display_name="Identity",
        category="Dense",
        doc="Passes its input through unchanged (a placeholder or a named tap point).",
        params=params(),
        infer=same_shape,
        module=lambda p, ins: ModuleSpec("Identity"),
        dtype="any",
    )
)
