"""The per-step cost of core.train.fit over a bare training loop.

    python benchmarks/bench_trainer_overhead.py [--width 64] [--rounds 9]

Both train the same MLP 2-W-W-2 (ReLU) on 4096 spirals points, batch 64, Adam, 5 epochs,
shuffled by the same generator; the bare loop is zero_grad, forward, cross-entropy,
loss.item(), backward, step. ``fit`` adds per step: the NaN/Inf checks (the loss, one sum
per gradient), the training accuracy, bookkeeping, and (in the third column) building a
StepReport for an on_step callback. No validation split, no out_dir. The runs take turns
(the minimum over rounds is kept) so machine noise hits them alike; one BLAS thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from threadpoolctl import threadpool_limits  # noqa: E402

import core  # noqa: E402
import core.nn as nn  # noqa: E402
import core.nn.functional as F  # noqa: E402
from core.datasets import spirals  # noqa: E402
from core.train import Callback, fit  # noqa: E402
from core.utils.data import DataLoader  # noqa: E402

N, BATCH, EPOCHS = 4096, 64, 5


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    ds = spirals(n_samples=N, seed=0)
    w = args.width

    def model():
        core.manual_seed(0)
        return nn.Sequential(
            nn.Linear(2, w), nn.ReLU(), nn.Linear(w, w), nn.ReLU(), nn.Linear(w, 2)
        )

    def bare() -> float:
        m = model()
        opt = core.optim.Adam(m.parameters(), lr=1e-3)
        loader = DataLoader(
            ds, batch_size=BATCH, shuffle=True, generator=core.Generator().manual_seed(0)
        )
        steps, t0 = 0, time.perf_counter()
        for _ in range(EPOCHS):
            for x, y in loader:
                opt.zero_grad()
                loss = F.cross_entropy(m(x), y)
                loss.item()
                loss.backward()
                opt.step()
                steps += 1
        return (time.perf_counter() - t0) / steps

    class OnStep(Callback):
        def on_step(self, report) -> None:
            pass

    def trainer(**kw) -> float:
        m = model()
        t0 = time.perf_counter()
        result = fit(m, ds, {"batch_size": BATCH, "epochs": EPOCHS, "lr": 1e-3}, **kw)
        return (time.perf_counter() - t0) / result.steps

    runs = {
        "bare loop": bare,
        "fit": trainer,
        "fit, no anomaly check": lambda: trainer(detect_anomaly=False),
        "fit + on_step callback": lambda: trainer(callbacks=[OnStep()]),
    }
    best = dict.fromkeys(runs, float("inf"))
    with threadpool_limits(limits=1, user_api="blas"):
        for fn in runs.values():  # warm-up (imports, first allocations)
            fn()
        for _ in range(args.rounds):
            for name, fn in runs.items():
                best[name] = min(best[name], fn())
    base = best["bare loop"]
    print(f"MLP 2-{w}-{w}-2, batch {BATCH}, {N // BATCH * EPOCHS} steps; best of {args.rounds}")
    for name, t in best.items():
        extra = (
            "" if name == "bare loop" else f"  ({(t - base) * 1e6:+.0f} us, {t / base - 1:+.1%})"
        )
        print(f"  {name:<24} {t * 1e6:7.0f} us/step{extra}")


if __name__ == "__main__":
    main()
