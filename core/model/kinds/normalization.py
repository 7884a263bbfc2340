"""Normalization: BatchNorm1d/2d, LayerNorm and GroupNorm (feature sizes inferred)."""

from __future__ import annotations

import math

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.kinds._util import nondefault
from core.model.params import params

_EPS = P(
    "eps",
    "float",
    1e-5,
    "Added to the variance for numerical stability",
    min=0,
    min_exclusive=True,
    max=1.0,
    advanced=True,
)
_AFFINE = P("affine", "bool", True, "Learn a per-channel scale and shift")


def _batchnorm_infer(kind: str, ranks: tuple[int, ...], layout: str, hint: str):
    def infer(p, ins):
        (shape,) = ins
        if len(shape) not in ranks:
            raise ShapeError(
                f"{kind} needs {layout} per sample, got {shape_str(shape)}", hint, code="rank"
            )
        return tuple(shape)

    return infer


def _batchnorm_spec(kind: str):
    def spec(p, ins):
        kw = {
            "eps": p["eps"],
            "momentum": p["momentum"],
            "affine": p["affine"],
            "track_running_stats": p["track_running_stats"],
        }
        defaults = {"eps": 1e-5, "momentum": 0.1, "affine": True, "track_running_stats": True}
        return ModuleSpec(kind, (ins[0][0],), nondefault(kw, defaults))

    return spec


def _channel_count(p, ins, out):
    return (2 * ins[0][0] if p["affine"] else 0), 0


_BN_PARAMS = params(
    _EPS,
    P(
        "momentum",
        "float",
        0.1,
        "Weight of each batch in the running statistics",
        min=0,
        max=1.0,
        advanced=True,
    ),
    _AFFINE,
    P(
        "track_running_stats",
        "bool",
        True,
        "Keep running statistics to use in eval mode (off: batch statistics in eval too)",
        advanced=True,
    ),
)

register(
    LayerKind(
        kind="BatchNorm1d",
        display_name="BatchNorm1d",
        category="Normalization",
        doc="Batch normalization of features (C,) or sequences (C, L): each channel to zero "
        "mean and unit variance over the batch.",
        params=_BN_PARAMS,
        infer=_batchnorm_infer(
            "BatchNorm1d", (1, 2), "(C,) or (C, L)", "use BatchNorm2d for (C, H, W) images"
        ),
        module=_batchnorm_spec("BatchNorm1d"),
        count=_channel_count,
        id_prefix="bn",
    )
)

register(
    LayerKind(
        kind="BatchNorm2d",
        display_name="BatchNorm2d",
        category="Normalization",
        doc="Batch normalization of images (C, H, W): each channel to zero mean and unit "
        "variance over the batch and positions.",
        params=_BN_PARAMS,
        infer=_batchnorm_infer(
            "BatchNorm2d",
            (3,),
            "a 3-D input (C, H, W)",
            "use BatchNorm1d for (C,) features or (C, L) sequences",
        ),
        module=_batchnorm_spec("BatchNorm2d"),
        count=_channel_count,
        id_prefix="bn",
    )
)


def _layernorm_shape(p, shape):
    k = p["normalized_dims"]
    if k > len(shape):
        raise ShapeError(
            f"LayerNorm over the last {k} axes needs at least a {k}-D input per sample, "
            f"got {shape_str(shape)}",
            f"set normalized_dims to {len(shape)} or less",
            code="rank",
        )
    return tuple(shape[-k:])


def _layernorm_infer(p, ins):
    _layernorm_shape(p, ins[0])
    return tuple(ins[0])


def _layernorm_spec(p, ins):
    norm = _layernorm_shape(p, ins[0])
    kw = {"eps": p["eps"], "elementwise_affine": p["elementwise_affine"], "bias": p["bias"]}
    defaults = {"eps": 1e-5, "elementwise_affine": True, "bias": True}
    return ModuleSpec("LayerNorm", (norm[0] if len(norm) == 1 else norm,), nondefault(kw, defaults))


def _layernorm_count(p, ins, out):
    size = math.prod(_layernorm_shape(p, ins[0]))
    if not p["elementwise_affine"]:
        return 0, 0
    return size * (2 if p["bias"] else 1), 0


register(
    LayerKind(
        kind="LayerNorm",
        display_name="LayerNorm",
        category="Normalization",
        doc="Layer normalization: each sample to zero mean and unit variance over its last "
        "axes (sizes inferred), independent of the batch.",
        params=params(
            P(
                "normalized_dims",
                "int",
                1,
                "How many trailing axes to normalize over (1: the features of each position)",
                min=1,
                max=8,
            ),
            _EPS,
            P("elementwise_affine", "bool", True, "Learn a scale (and shift) per element"),
            P("bias", "bool", True, "Learn the shift too (with elementwise_affine)", advanced=True),
        ),
        infer=_layernorm_infer,
        module=_layernorm_spec,
        count=_layernorm_count,
        key_params=("normalized_dims",),
        id_prefix="ln",
    )
)


def _groupnorm_infer(p, ins):
    (shape,) = ins
    g = p["num_groups"]
    if shape[0] % g:
        raise ShapeError(
            f"GroupNorm: the input's {shape[0]} channels (axis 0 of {shape_str(shape)}) are "
            f"not divisible by num_groups={g}",
            f"set num_groups to a divisor of {shape[0]}",
            code="shape",
        )
    return tuple(shape)


def _groupnorm_spec(p, ins):
    kw = nondefault({"eps": p["eps"], "affine": p["affine"]}, {"eps": 1e-5, "affine": True})
    return ModuleSpec("GroupNorm", (p["num_groups"], ins[0][0]), kw)


register(
    LayerKind(
        kind="GroupNorm",
        display_name="GroupNorm",
        category="Normalization",
        doc="Group normalization: channels (axis 0) split into groups, each normalized per "
        "sample over its channels and positions.",
        params=params(
            P(
                "num_groups",
                "int",
                2,
                "Number of channel groups (must divide the channels)",
                min=1,
                max=1 << 16,
            ),
            _EPS,
            _AFFINE,
        ),
        infer=_groupnorm_infer,
        module=_groupnorm_spec,
        count=_channel_count,
        key_params=("num_groups",),
        id_prefix="gn",
    )
)
