"""Per-op overhead on tiny tensors: a 2x16 add with grad, forward only and with
backward, against the bare numpy add.

    python benchmarks/bench_overhead.py

Target: <= 5 us per op (forward, graph building included). Also measures what an
active recorder costs and that an inactive one costs nothing measurable.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core  # noqa: E402
from benchmarks._timing import interleaved, torch_or_none  # noqa: E402

CHAIN = 1000


def main() -> None:
    a_np = np.random.default_rng(0).standard_normal((2, 16)).astype(np.float32)
    b_np = np.random.default_rng(1).standard_normal((2, 16)).astype(np.float32)
    a = core.tensor(a_np, requires_grad=True)
    b = core.tensor(b_np, requires_grad=True)
    c = core.tensor(a_np)
    d = core.tensor(b_np)

    def numpy_adds():
        for _ in range(CHAIN):
            a_np + b_np

    def core_adds_grad():
        for _ in range(CHAIN):
            a + b

    def core_adds_nograd():
        for _ in range(CHAIN):
            c + d

    def core_chain_backward():
        y = a
        for _ in range(CHAIN):
            y = y + b
        y.sum().backward()
        a.grad = b.grad = None

    def core_adds_recording():
        with core.graph.record():
            for _ in range(CHAIN):
                a + b

    candidates = {
        "numpy add": numpy_adds,
        "core add (requires_grad)": core_adds_grad,
        "core add (no grad)": core_adds_nograd,
        "core add + backward (chain)": core_chain_backward,
        "core add, recording": core_adds_recording,
    }
    torch = torch_or_none()
    if torch is not None:
        at = torch.tensor(a_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)

        def torch_adds_grad():
            for _ in range(CHAIN):
                at + bt

        candidates["torch add (requires_grad)"] = torch_adds_grad

    times = interleaved(candidates, rounds=5, repeats=5)
    print("Per-op cost of a 2x16 float32 add (microseconds per op)")
    for name, t in times.items():
        print(f"  {name:30s} {t / CHAIN * 1e6:7.2f} us")
    overhead = (times["core add (requires_grad)"] - times["numpy add"]) / CHAIN * 1e6
    print(
        f"  core overhead over numpy (with grad): {overhead:.2f} us  (target <= 5 us total "
        f"per op: {times['core add (requires_grad)'] / CHAIN * 1e6:.2f} us)"
    )


if __name__ == "__main__":
    main()
