"""Reshape nodes: Flatten, Reshape, Permute (per-sample shapes; the batch axis stays first)."""

from __future__ import annotations

import math

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.kinds._util import batched_axis, check_axis
from core.model.params import params


def _flatten_infer(p, ins):
    (shape,) = ins
    start = check_axis("Flatten", p["start_dim"], len(shape), "start_dim")
    return (*shape[:start], math.prod(shape[start:]))


def _flatten_spec(p, ins):
    start = check_axis("Flatten", p["start_dim"], len(ins[0]), "start_dim")
    return ModuleSpec("Flatten", (), {"start_dim": start + 1} if start else {})


register(
    LayerKind(
        kind="Flatten",
        display_name="Flatten",
        category="Reshape",
        doc="Flattens each sample into one vector: (C, H, W) -> (C*H*W,) (or only the axes "
        "from start_dim on).",
        params=params(
            P(
                "start_dim",
                "int",
                0,
                "First per-sample axis to flatten (0: all of them; -1: none)",
                min=-16,
                max=15,
                advanced=True,
            )
        ),
        infer=_flatten_infer,
        module=_flatten_spec,
        dtype="any",
    )
)


def _reshape_target(p, shape):
    target = tuple(p["shape"])
    size = math.prod(shape)
    free = [i for i, d in enumerate(target) if d == -1]
    if len(free) > 1 or 0 in target:
        raise ShapeError(
            f"Reshape to {shape_str(target)}: every size must be positive, except one -1",
            "use -1 for at most one axis (its size is worked out from the others)",
            code="shape",
        )
    known = math.prod(d for d in target if d != -1)
    if free:
        if size % known:
            raise ShapeError(
                f"Reshape to {shape_str(target)}: the input {shape_str(shape)} has {size} "
                f"elements per sample, not a multiple of {known}",
                f"pick sizes whose product divides {size}",
                code="shape",
            )
        return tuple(size // known if d == -1 else d for d in target)
    if known != size:
        raise ShapeError(
            f"Reshape to {shape_str(target)} needs {known} elements per sample, the input "
            f"{shape_str(shape)} has {size}",
            f"pick sizes whose product is {size}, or put -1 for one of them",
            code="shape",
        )
    return target


def _dims(values) -> str:
    return ", ".join(str(v) for v in values)


register(
    LayerKind(
        kind="Reshape",
        display_name="Reshape",
        category="Reshape",
        doc="Gives each sample a new shape with the same elements, e.g. (784,) -> (1, 28, 28); "
        "one size may be -1.",
        params=params(
            P(
                "shape",
                "shape",
                (-1,),
                "The per-sample shape, e.g. [1, 28, 28]; one -1 is worked out from the others",
                min=-1,
                max=1 << 24,
            )
        ),
        infer=lambda p, ins: _reshape_target(p, ins[0]),
        apply=lambda m, xs, p: xs[0].reshape(xs[0].shape[0], *p["shape"]),
        expr=lambda ins, attr, p, lib: f"{ins[0]}.reshape({ins[0]}.shape[0], {_dims(p['shape'])})",
        key_params=("shape",),
        dtype="any",
    )
)


def _permute_infer(p, ins):
    (shape,) = ins
    dims = tuple(p["dims"])
    if sorted(dims) != list(range(len(shape))):
        raise ShapeError(
            f"Permute dims {shape_str(dims)} must list each axis of the {len(shape)}-D input "
            f"{shape_str(shape)} once ({_dims(range(len(shape)))} in a new order)",
            f"give a reordering of {_dims(range(len(shape)))}",
            code="rank" if len(dims) != len(shape) else "shape",
        )
    return tuple(shape[d] for d in dims)


register(
    LayerKind(
        kind="Permute",
        display_name="Permute",
        category="Reshape",
        doc="Reorders the axes of each sample, e.g. dims [1, 0] turns (C, L) into (L, C).",
        params=params(
            P("dims", "ints", (1, 0), "The new order of the per-sample axes", min=0, max=15)
        ),
        infer=_permute_infer,
        apply=lambda m, xs, p: xs[0].permute(0, *(batched_axis(d) for d in p["dims"])),
        expr=lambda ins, attr, p, lib: (
            f"{ins[0]}.permute(0, {_dims(batched_axis(d) for d in p['dims'])})"
        ),
        key_params=("dims",),
        dtype="any",
    )
)
