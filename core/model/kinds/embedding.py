"""Embedding: integer indices to learned vectors."""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register
from core.model.params import params


def _infer(p, ins):
    pad = p["padding_idx"]
    if pad is not None and pad >= p["num_embeddings"]:
        raise ShapeError(
            f"Embedding: padding_idx {pad} is not one of the {p['num_embeddings']} indices "
            f"(0..{p['num_embeddings'] - 1})",
            "set padding_idx below num_embeddings, or clear it",
            code="shape",
        )
    return (*ins[0], p["embedding_dim"])


def _spec(p, ins):
    kw = {} if p["padding_idx"] is None else {"padding_idx": p["padding_idx"]}
    return ModuleSpec("Embedding", (p["num_embeddings"], p["embedding_dim"]), kw)


register(
    LayerKind(
        kind="Embedding",
        display_name="Embedding",
        category="Embedding",
        doc="A learned vector per integer index (token, category): (T,) indices -> (T, D).",
        params=params(
            P(
                "num_embeddings",
                "int",
                128,
                "How many indices (vocabulary size): inputs are 0..num_embeddings-1",
                min=1,
                max=1 << 24,
            ),
            P("embedding_dim", "int", 32, "Size of each vector", min=1, max=1 << 16),
            P(
                "padding_idx",
                "int",
                None,
                "An index whose vector stays zero and gets no gradient (for padding), or none",
                min=0,
                max=1 << 24,
                optional=True,
                advanced=True,
            ),
        ),
        infer=_infer,
        module=_spec,
        count=lambda p, ins, out: (p["num_embeddings"] * p["embedding_dim"], 0),
        dtype="index",
        key_params=("num_embeddings", "embedding_dim"),
        id_prefix="embed",
    )
)
