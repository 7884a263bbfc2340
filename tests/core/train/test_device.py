"""Training on the "cuda" code paths, with the stand-in device of tests/core/fake_cuda.py
(numpy doing the arithmetic): the same history as on the CPU, and few host reads a step."""

from __future__ import annotations

import pytest

from core.train import Callback, train_document
from tests.core.fake_cuda import HOST_READS, fixture_fake_cuda  # noqa: F401 (fixture)

from .conftest import mlp_document


class Reads(Callback):
    """The host reads made by each step (counted between two step reports)."""

    def __init__(self) -> None:
        self.per_step = []
        self.last = 0

    def on_step(self, report):
        total = sum(HOST_READS.values())
        self.per_step.append(total - self.last)
        self.last = total


def test_training_on_the_device_matches_the_cpu_and_reads_back_little(fake_cuda):
    doc = mlp_document(training={"epochs": 2})
    cpu = train_document(doc, device="cpu")
    reads = Reads()
    gpu = train_document(doc, device="cuda", callbacks=[reads])
    assert next(gpu.model.parameters()).device == "cuda"
    assert len(gpu.history) == len(cpu.history)
    for g, c in zip(gpu.history, cpu.history):
        assert g.keys() == c.keys()
        for k in g:
            assert g[k] == pytest.approx(c[k], rel=1e-4, abs=1e-6), k
    # per step: the loss (checked for NaN/Inf, reported) and the gradients' sum; the
    # first step of an epoch also sees the epoch's end (validation) of the one before
    steady = [n for i, n in enumerate(reads.per_step) if i % 6]
    assert len(steady) == 10 and set(steady) == {2}
