"""Merge nodes: several inputs into one (Add, Subtract, Multiply, Concat)."""

from __future__ import annotations

import functools
import operator

import core
from core.model.catalog import LayerKind, P, ShapeError, register, shape_str
from core.model.kinds._util import batched_axis, check_axis
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


def _elementwise(kind: str, op, symbol: str, doc: str) -> None:
    """Register a merge of ``inputs`` same-shaped tensors folded with ``op`` (``symbol``)."""
    register(
        LayerKind(
            kind=kind,
            display_name=kind,
            category="Merge",
            doc=doc,
            params=params(_INPUTS),
            infer=_elementwise_infer(kind),
            apply=lambda m, xs, p: functools.reduce(op, xs),
            expr=lambda ins, attr, p, lib: f" {symbol} ".join(ins),
            ports=_ports,
            key_params=("inputs",),
        )
    )


_elementwise(
    "Add",
    operator.add,
    "+",
    "Element-wise sum of its inputs (all of one shape): a residual/skip connection.",
)

register(
    LayerKind(
        kind="Subtract",
        display_name="Subtract",
        category="Merge",
        doc="Element-wise difference in1 - in2 (both of one shape).",
        params=params(),
        infer=_elementwise_infer("Subtract"),
        apply=lambda m, xs, p: xs[0] - xs[1],
        expr=lambda ins, attr, p, lib: f"{ins[0]} - {ins[1]}",
        ports=lambda p: ("in1", "in2"),
    )
)

_elementwise(
    "Multiply", operator.mul, "*", "Element-wise product of its inputs (all of one shape): gating."
)


def _concat_infer(p, ins):
    first = tuple(ins[0])
    for i, s in enumerate(ins[1:], start=2):
        if len(s) != len(first):
            raise ShapeError(
                f"Concat needs inputs of one rank: in1 is {shape_str(first)}, in{i} is "
                f"{shape_str(s)}",
                "add a Flatten or Reshape on one branch",
                code="mismatch",
            )
    axis = check_axis("Concat", p["axis"], len(first))
    for i, s in enumerate(ins[1:], start=2):
        other = [j for j in range(len(first)) if j != axis and s[j] != first[j]]
        if other:
            j = other[0]
            raise ShapeError(
                f"Concat along axis {axis} needs the other axes equal: in1 is "
                f"{shape_str(first)}, in{i} is {shape_str(s)} (axis {j} differs)",
                f"make the branches agree on axis {j}, or concatenate along axis {j}",
                code="mismatch",
            )
    return (*first[:axis], sum(s[axis] for s in ins), *first[axis + 1 :])


register(
    LayerKind(
        kind="Concat",
        display_name="Concat",
        category="Merge",
        doc="Joins its inputs along one axis (the others must agree): e.g. channels of feature "
        "maps (axis 0) or features of vectors.",
        params=params(
            _INPUTS,
            P(
                "axis",
                "int",
                0,
                "Per-sample axis to join along (0: channels of (C, H, W), features of (F,); "
                "-1: the last axis)",
                min=-16,
                max=15,
            ),
        ),
        infer=_concat_infer,
        apply=lambda m, xs, p: core.cat(list(xs), dim=batched_axis(p["axis"])),
        expr=lambda ins, attr, p, lib: (
            f"{lib}.cat([{', '.join(ins)}], dim={batched_axis(p['axis'])})"
        ),
        ports=_ports,
        key_params=("inputs", "axis"),
    )
)
