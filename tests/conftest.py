"""Shared test setup. Imports no Qt: tests/core must run on a machine without PySide6."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    """Tests marked `gpu` skip cleanly, with the reason, where no CUDA GPU answers."""
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    import core

    reason = core.cuda.unavailable_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"no usable GPU: {reason}")
    for item in gpu_items:
        item.add_marker(skip)
