"""Regularization: Dropout."""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, P, register
from core.model.kinds._util import same_shape
from core.model.params import params

register(
    LayerKind(
        kind="Dropout",
        display_name="Dropout",
        category="Regularization",
        doc="In training, zeroes each element with probability p and scales the rest by "
        "1 / (1 - p); the identity in evaluation.",
        params=params(P("p", "float", 0.5, "Probability of zeroing an element", min=0, max=1)),
        infer=same_shape,
        module=lambda p, ins: ModuleSpec("Dropout", (p["p"],)),
        key_params=("p",),
    )
)
