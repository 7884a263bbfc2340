"""The catalog entries, one module per category; importing this registers them all."""

from core.model.kinds import (  # noqa: F401
    activation,
    attention,
    conv,
    dense,
    embedding,
    io,
    merge,
    normalization,
    pooling,
    recurrent,
    regularization,
    reshape,
)
