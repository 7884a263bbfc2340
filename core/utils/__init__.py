"""``core.utils``: helpers beside the engine (``core.utils.data``: datasets and loaders)."""

from core.utils import data
