"""Neural-network building blocks (``core.nn``), PyTorch-shaped."""

from core.nn import functional  # noqa: F401
