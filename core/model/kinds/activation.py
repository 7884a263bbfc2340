"""Activation layers: element-wise (or along one axis for Softmax), no parameters."""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register
from core.model.kinds._util import batched_axis, check_axis, nondefault, same_shape
from core.model.params import params


def _activation(kind, doc, schema=(), spec=None, infer=same_shape, key_params=(), name=None):
    """Register an activation whose module is ``nn.<kind>(**non-default params)``."""
    defaults = {p.name: p.default for p in schema}

    def default_spec(p, ins):
        return ModuleSpec(kind, (), nondefault({k: p[k] for k in defaults}, defaults))

    register(
        LayerKind(
            kind=kind,
            display_name=name or kind,
            category="Activation",
            doc=doc,
            params=params(*schema),
            infer=infer,
            module=spec or default_spec,
            key_params=key_params,
        )
    )


_activation("ReLU", "Rectified linear unit: max(x, 0).")
_activation("ReLU6", "ReLU capped at 6: min(max(x, 0), 6).")
_activation(
    "LeakyReLU",
    "Leaky ReLU: x for x > 0, negative_slope * x otherwise.",
    (P("negative_slope", "float", 0.01, "Slope for negative inputs", min=0, max=1e3),),
)
_activation(
    "ELU",
    "Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) otherwise.",
    (P("alpha", "float", 1.0, "Scale of the negative part", min=0, max=1e3),),
)
_activation(
    "GELU",
    "Gaussian error linear unit: x * Phi(x) (the transformers' activation).",
    (
        P(
            "approximate",
            "choice",
            "none",
            "'none': the exact erf form; 'tanh': the tanh approximation",
            choices=("none", "tanh"),
        ),
    ),
)
_activation("SiLU", "Sigmoid linear unit (swish): x * sigmoid(x).")
_activation("Sigmoid", "Logistic sigmoid: 1 / (1 + exp(-x)), into (0, 1).")
_activation("Tanh", "Hyperbolic tangent, into (-1, 1).")
_activation(
    "Softplus",
    "Softplus: log(1 + exp(beta * x)) / beta, a smooth ReLU.",
    (
        P("beta", "float", 1.0, "Sharpness", min=0, min_exclusive=True, max=1e3),
        P(
            "threshold",
            "float",
            20.0,
            "Above beta * x > threshold the output is x",
            min=0,
            max=1e3,
            advanced=True,
        ),
    ),
)


def _hardtanh_infer(p, ins):
    if p["min_val"] >= p["max_val"]:
        raise ShapeError(
            f"Hardtanh needs min_val < max_val, got {p['min_val']} and {p['max_val']}",
            "set max_val above min_val",
            code="shape",
        )
    return tuple(ins[0])


_activation(
    "Hardtanh",
    "Hard tanh: x clipped to [min_val, max_val].",
    (
        P("min_val", "float", -1.0, "Lower bound", min=-1e6, max=1e6),
        P("max_val", "float", 1.0, "Upper bound", min=-1e6, max=1e6),
    ),
    infer=_hardtanh_infer,
)


def _softmax(kind: str, doc: str) -> None:
    def infer(p, ins):
        check_axis(kind, p["dim"], len(ins[0]), "dim")
        return tuple(ins[0])

    def spec(p, ins):
        return ModuleSpec(kind, (), {"dim": batched_axis(p["dim"])})

    _activation(
        kind,
        doc,
        (
            P(
                "dim",
                "int",
                -1,
                "Axis of one sample to normalize along (0: its first axis; -1: the last)",
                min=-16,
                max=15,
            ),
        ),
        spec=spec,
        infer=infer,
        key_params=("dim",),
    )


_softmax("Softmax", "Softmax along one axis: exp(x) / sum(exp(x)), a distribution that sums to 1.")
_softmax(
    "LogSoftmax",
    "Log of the softmax along one axis (pairs with NLLLoss; CrossEntropyLoss needs raw logits).",
)
