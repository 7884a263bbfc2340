"""Helpers shared by the catalog entries: layouts, axes, sizes and constructor arguments."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.model.catalog import Shape, ShapeError, shape_str

# The per-sample layout each spatial rank expects, for messages: "(C, H, W)".
LAYOUTS = {1: "(C, L)", 2: "(C, H, W)"}
WORDS = {1: "(channels, length)", 2: "(channels, height, width)"}


def same_shape(p: dict, ins: Sequence[Shape]) -> Shape:
    """Shape inference of element-wise layers: the output has the input's shape."""
    return tuple(ins[0])


def ntuple(value: Any, n: int) -> tuple[int, ...]:
    """A "size" parameter (one int, or one per spatial dim) as an n-tuple."""
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def dims_str(values: Sequence[int]) -> str:
    """Spatial sizes as text: ``5`` or ``5x5``."""
    return "x".join(str(v) for v in values)


def need_spatial(kind: str, shape: Shape, n: int) -> None:
    """Raise a "rank" ShapeError unless ``shape`` is (C, L) for n=1 or (C, H, W) for n=2."""
    if len(shape) == n + 1:
        return
    layout = LAYOUTS[n]
    message = f"{kind} needs a {n + 1}-D input per sample {layout}, got {shape_str(shape)}"
    raise ShapeError(message, reshape_hint(kind, shape, n), code="rank")


def reshape_hint(kind: str, shape: Shape, n: int) -> str:
    """What to do when a spatial layer gets the wrong rank, with a concrete shape if one fits."""
    text = f"add a Reshape to {WORDS[n]} before it"
    if len(shape) > n + 1:
        if n == 1 and len(shape) == 3 and kind.endswith("1d"):
            return f"use {kind[:-2]}2d for (C, H, W) images, or {text}"
        return text
    example = None
    if len(shape) == n:
        example = (1, *shape)
    elif n == 2:
        size = math.prod(shape)
        side = math.isqrt(size)
        if side * side == size:
            example = (1, side, side)
    if example is not None:
        text += f", e.g. to {shape_str(example)} for one channel"
    return text


def check_axis(kind: str, axis: int, rank: int, what: str = "axis") -> int:
    """A per-sample axis (may be negative) as 0..rank-1, or a "rank" ShapeError."""
    if -rank <= axis < rank:
        return axis % rank
    raise ShapeError(
        f"{kind}: {what} {axis} does not exist in a {rank}-D input per sample "
        f"(axes 0..{rank - 1}, or -{rank}..-1 from the end)",
        f"set {what} between {-rank} and {rank - 1}",
        code="rank",
    )


def batched_axis(axis: int) -> int:
    """A per-sample axis as an axis of the batched tensor (the batch is axis 0)."""
    return axis + 1 if axis >= 0 else axis


def nondefault(values: dict, defaults: dict) -> dict:
    """The keyword arguments whose values differ from the constructor's defaults."""
    return {k: v for k, v in values.items() if k not in defaults or defaults[k] != v}


def size_arg(value: Any, n: int, default: int) -> bool:
    """Whether a "size" value differs from ``default`` along some dimension."""
    return ntuple(value, n) != (default,) * n
