"""Timing helpers shared by the benchmark scripts (median of repeats after warm-up)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(
    fn: Callable[[], object], repeats: int = 30, warmup: int = 5, inner: int = 1
) -> float:
    """Median wall time of one call of ``fn``, in seconds."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    return statistics.median(samples)


def interleaved(
    fns: dict[str, Callable[[], object]],
    rounds: int = 7,
    repeats: int = 10,
    warmup: int = 3,
    inner: int = 1,
    pause: float = 0.0,
) -> dict[str, float]:
    """Median times of several candidates measured in alternation, so that machine
    noise (frequency changes, other processes) hits them alike.

    pause: seconds of rest before each candidate's turn. NOTE: after a matmul, OpenBLAS
    (numpy) and PyTorch's OpenMP keep worker threads spinning for a while; on a machine
    with few cores, one library's spinning threads then slow the next one's first runs."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            if pause:
                time.sleep(pause)
                median_time(fn, repeats=1, warmup=warmup, inner=inner)
            samples[name].append(median_time(fn, repeats=repeats, warmup=0, inner=inner))
    return {k: statistics.median(v) for k, v in samples.items()}


def torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch
