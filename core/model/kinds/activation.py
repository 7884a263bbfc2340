"""Activation layers: element-wise, no parameters, shape unchanged."""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, register
from core.model.params import params


def _same(p, ins):
    return tuple(ins[0])


register(
    LayerKind(
        kind="ReLU",
        display_name="ReLU",
        category="Activation",
        doc="Rectified linear unit: max(x, 0).",
        params=params(),
        infer=_same,
        module=lambda p, ins: ModuleSpec("ReLU"),
    )
)
