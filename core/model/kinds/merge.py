"""Merge nodes: several inputs into one (Add, Multiply, Concat)."""

from __future__ import annotations

import functools
import operator

from core.model.catalog import LayerKind, P, ShapeError, register, shape_str
from core.model.params import params


def _ports(p):
    return tuple(f"in{i + 1}" for i in range(p["inputs"]))


def _elementwise_infer(name):
    def infer(p, ins):
        first = tuple(ins[0])
        for i, s in enumerate(ins[1:], start=2):
            if tuple(s) != first:
                raise ShapeError(
                    f"{name} needs inputs of one shape: in1 is {shape_str(first)}, "
                    f"in{i} is {shape_str(s)}",
                    "make the branches produce the same shape (e.g. a Linear or 1x1 Conv2d "
                    "on the skip path)",
                    code="mismatch",
                )
        return first

    return infer


_INPUTS = P("inputs", "int", 2, "Number of inputs", min=2, max=16)

register(
    LayerKind(
        kind="Add",
        display_name="Add",
        category="Merge",
        doc="Element-wise sum of its inputs (all of one shape): a residual/skip connection.",
        params=params(_INPUTS),
        infer=_elementwise_infer("Add"),
        apply=lambda m, xs, p: functools.reduce(operator.add, xs),
        expr=lambda ins, attr, p, lib: " + ".join(ins),
        ports=_ports,
        key_params=("inputs",),
    )
)
