"""The catalog entries, one module per category; importing this registers them all."""

from core.model.kinds import activation, dense, io, merge  # noqa: F401
