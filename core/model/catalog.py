"""The catalog: one :class:`LayerKind` entry per layer kind a document can hold.

An entry is everything the rest of the system knows about a kind: how it is shown
(display name, category, doc, key parameters), what it accepts (parameter schema,
input ports), what it produces (shape inference, parameter and MAC counts), how it runs
(``module``: the core.nn class and arguments to build; ``apply``: how the built node is
called) and how it is written out (``expr``: the forward expression in exported code;
the constructor is rendered from the same ``module`` spec for both export targets,
because core.nn and torch.nn share names and signatures).

Adding a layer kind is adding one entry in ``core/model/kinds/`` (``register(LayerKind(...))``);
the document, inference, build, export, CLI and GUI all read the catalog.

Shapes here are per sample (no batch dimension): ``(3, 32, 32)`` for an image. Axis
parameters (Softmax ``dim``, Concat ``axis``, Flatten ``start_dim``, Permute ``dims``) are
per-sample axes too; negative ones count from the end.

Counts (``count``) are per sample, as torchinfo/ptflops report them. Parameters are exact (the
built module's ``sum(p.numel())``). Multiply-accumulates count the products with learned
weights and between activations, biases and element-wise work excluded:

- Linear: in * out per row; Bilinear: in1 * in2 * out per row;
- Conv: output elements * (in_channels / groups) * prod(kernel); ConvTranspose: input
  elements * (out_channels / groups) * prod(kernel);
- RNN / LSTM / GRU: per time step, layer and direction, gates * hidden * (input + hidden)
  (gates 1, 4, 3);
- attention: the q, k, v and output projections (4 T E^2) plus Q K^T and A V (2 T^2 E);
  TransformerEncoderLayer adds its feed-forward network (2 T E dim_feedforward);
- normalization, activations, pooling, dropout, merges, reshapes, Embedding: 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.model.params import Param, Schema

Shape = tuple[int, ...]

CATEGORIES = (
    "Input / Output",
    "Dense",
    "Convolution",
    "Pooling",
    "Normalization",
    "Activation",
    "Regularization",
    "Merge",
    "Reshape",
    "Recurrent",
    "Attention",
    "Embedding",
)


class ShapeError(ValueError):
    """Shape inference refuses a node's inputs: ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "", code: str = "shape") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


@dataclass(frozen=True)
class ModuleSpec:
    """A core.nn / torch.nn module to construct: ``nn.<cls>(*args, **kwargs)``.

    Arguments are plain Python literals (ints, floats, bools, strings, tuples), so the same
    spec builds the module and renders the constructor in exported code.
    """

    cls: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def _default_apply(module, inputs: Sequence, params: dict):
    return module(*inputs)


def _default_expr(inputs: Sequence[str], attr: str | None, params: dict, lib: str) -> str:
    return f"{attr}({', '.join(inputs)})"


def _no_counts(params: dict, in_shapes: Sequence[Shape], out: Shape) -> tuple[int, int]:
    return 0, 0


@dataclass(frozen=True)
class LayerKind:
    """One layer kind. See the module docstring for what each part is for.

    - ``infer(params, in_shapes) -> out_shape`` raises :class:`ShapeError` on bad inputs.
    - ``module(params, in_shapes) -> ModuleSpec | None``: None for kinds with no module
      (Input, Output, merges, reshapes): those run through ``apply`` alone.
    - ``apply(module, inputs, params) -> Tensor``: runs the node on core tensors (the module
      is None where ``module`` gives None).
    - ``expr(inputs, attr, params, lib) -> str``: the same computation as Python source,
      where ``inputs`` are the input variables, ``attr`` the module attribute
      (``self.fc1``) or None, and ``lib`` "core" or "torch".
    - ``count(params, in_shapes, out_shape) -> (parameters, multiply-accumulates)`` per
      sample.
    - ``ports(params) -> input port names``; ``dtype``: "float" (float in, float out),
      "index" (integer in, float out: Embedding), "any" (output dtype = input dtype), or
      "source" (Input: the dtype parameter).
    """

    kind: str
    display_name: str
    category: str
    doc: str
    params: Schema
    infer: Callable[[dict, Sequence[Shape]], Shape]
    module: Callable[[dict, Sequence[Shape]], ModuleSpec | None] | None = None
    apply: Callable[[Any, Sequence, dict], Any] = _default_apply
    expr: Callable[[Sequence[str], str | None, dict, str], str] = _default_expr
    count: Callable[[dict, Sequence[Shape], Shape], tuple[int, int]] = _no_counts
    ports: Callable[[dict], tuple[str, ...]] | None = None
    outputs: tuple[str, ...] = ("out",)
    dtype: str = "float"
    key_params: tuple[str, ...] = ()
    id_prefix: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"{self.kind}: unknown category {self.category!r}")
        if self.dtype not in ("float", "index", "any", "source"):
            raise ValueError(f"{self.kind}: unknown dtype rule {self.dtype!r}")
        for name in self.key_params:
            if name not in self.params:
                raise ValueError(f"{self.kind}: key parameter {name!r} is not a parameter")
        if not self.id_prefix:
            object.__setattr__(self, "id_prefix", _prefix(self.kind))

    def input_ports(self, params: dict) -> tuple[str, ...]:
        """The input port names for these parameter values."""
        return ("in",) if self.ports is None else self.ports(params)

    @property
    def is_input(self) -> bool:
        return self.dtype == "source"

    @property
    def is_output(self) -> bool:
        return not self.outputs


CATALOG: dict[str, LayerKind] = {}


def register(entry: LayerKind) -> LayerKind:
    """Add ``entry`` to the catalog (a second entry of the same kind is an error)."""
    if entry.kind in CATALOG:
        raise ValueError(f"layer kind {entry.kind!r} is already in the catalog")
    CATALOG[entry.kind] = entry
    return entry


def get(kind: str) -> LayerKind:
    """The entry of ``kind``; a KeyError naming the close matches otherwise."""
    try:
        return CATALOG[kind]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(str(kind), CATALOG, n=3)
        extra = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown layer kind {kind!r}{extra}") from None


def by_category() -> dict[str, list[LayerKind]]:
    """Entries grouped by category, categories in CATEGORIES order, kinds by display name."""
    groups: dict[str, list[LayerKind]] = {c: [] for c in CATEGORIES}
    for entry in CATALOG.values():
        groups[entry.category].append(entry)
    return {c: sorted(v, key=lambda e: e.display_name) for c, v in groups.items() if v}


def _prefix(kind: str) -> str:
    return "".join(ch for ch in kind.lower() if ch.isalnum()) or "node"


# -- helpers shared by the entries ------------------------------------------------------
def shape_str(shape: Sequence[int]) -> str:
    """A per-sample shape as text, e.g. ``(3, 32, 32)``."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def P(name: str, type: str, default: Any, doc: str = "", **kw: Any) -> Param:  # noqa: N802
    """Shorthand for :class:`Param` in catalog entries."""
    return Param(name, type, default, doc, **kw)
