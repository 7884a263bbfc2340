"""Training steps per second: core against hand-written numpy and PyTorch.

    python benchmarks/bench_train.py                 # CPU: models (a), (b), (c)
    python benchmarks/bench_train.py --models c      # a subset
    python benchmarks/bench_train.py --device cuda   # GPU: model (d), core vs torch
    python benchmarks/bench_train.py --phases        # per-phase times, core vs torch

One step = zero_grad, forward, softmax cross-entropy, backward, Adam step (lr 1e-3),
float32, every version starting from the same weights and data:
  (a) MLP 784-512-256-10 (ReLU), batch 128.   Targets: core <= 1.15x numpy, <= 1.0x torch.
  (b) LeNet-like CNN on 1x28x28, batch 64.    Target:  core <= 1.5x torch.
  (c) tiny MLP 2-16-16-2 (ReLU), batch 256.   Target:  core <= 0.7x torch (per-op overhead).
  (d) --device cuda: MLP 4096-4096-4096-10, batch 1024, core (CuPy) vs torch on the GPU
      (exits with status 2 and says why when core has no usable GPU).
Ratios are of step times (lower is better for core). The numpy version is the same step
written by hand (benchmarks/_numpy_nets.py); PyTorch runs with its default thread count
and default Adam. Before timing, the losses of the first 4 steps (the 4th after 3
updates) must agree to 1e-4 relative, or the script stops.

NOTE: the candidates take turns in rounds (``benchmarks._timing.interleaved``) so that
machine noise hits them alike, each turn after a pause and a few warm-up steps: after a
matmul, OpenBLAS (numpy, core) and PyTorch's OpenMP keep their worker threads spinning,
and on 2 cores torch measured right after numpy ran 2.5x slower (MLP (a), no pause).
The whole CPU run takes well under a minute on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core  # noqa: E402
from benchmarks import _numpy_nets  # noqa: E402
from benchmarks._timing import interleaved, torch_or_none  # noqa: E402

LR = 1e-3
CHECK_STEPS, CHECK_RTOL = 4, 1e-4
PAUSE_S = 0.3  # rest before each CPU candidate's turn (see the NOTE above)


# -- models: one builder for core and torch (same names), weights from numpy --------------


def mlp_params(rng, sizes: list[int]) -> list[np.ndarray]:
    """[W1, b1, ...] drawn like torch.nn.Linear's default, U(-1/sqrt(in), 1/sqrt(in))."""
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def lenet_params(rng) -> list[np.ndarray]:
    params = []
    for shape in ((6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (10, 84)):
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        params.append(rng.uniform(-bound, bound, shape).astype(np.float32))
        params.append(rng.uniform(-bound, bound, shape[0]).astype(np.float32))
    return params


def build_mlp(lib, sizes: list[int]):
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [lib.nn.Linear(fan_in, fan_out), lib.nn.ReLU()]
    return lib.nn.Sequential(*layers[:-1])


def build_lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def lib_setup(lib, model, params, x_np, y_np, device="cpu"):
    """(model, x, y, optimizer, loss function) with `params` copied into `model`."""
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict({k: lib.tensor(p) for k, p in zip(names, params)})
    model.to(device)
    x = lib.tensor(x_np, device=device)
    y = lib.tensor(y_np, device=device)
    return model, x, y, lib.optim.Adam(model.parameters(), lr=LR), lib.nn.functional.cross_entropy


def lib_step(lib, model, params, x_np, y_np, device="cpu", sync=None) -> Callable:
    """A training step of `model` (core or torch) loaded with copies of `params`."""
    model, x, y, opt, cross_entropy = lib_setup(lib, model, params, x_np, y_np, device)

    def step():
        opt.zero_grad()
        loss = cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if sync is None:
        return step

    def synced_step():
        loss = step()
        sync()
        return loss

    return synced_step


PHASES = ("zero_grad", "forward", "loss", "backward", "step")


def phase_times(lib, model, params, x_np, y_np, device="cpu", sync=None, seconds=1.0):
    """Median seconds of each phase of a training step (PHASES), over `seconds` of steps."""
    model, x, y, opt, cross_entropy = lib_setup(lib, model, params, x_np, y_np, device)
    sync = sync or (lambda: None)
    clock = time.perf_counter
    samples = {k: [] for k in PHASES}
    if device == "cpu":
        time.sleep(PAUSE_S)  # let the last library's spinning worker threads settle
    start, i = clock(), 0
    while i < 30 or clock() - start < seconds:
        t0 = clock()
        opt.zero_grad()
        sync()
        t1 = clock()
        out = model(x)
        sync()
        t2 = clock()
        loss = cross_entropy(out, y)
        sync()
        t3 = clock()
        loss.backward()
        sync()
        t4 = clock()
        opt.step()
        sync()
        t5 = clock()
        if i >= 10:  # warm-up
            for k, a, b in zip(PHASES, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
                samples[k].append(b - a)
        i += 1
    return {k: statistics.median(v) for k, v in samples.items()}


def numpy_step(net_cls, params, x_np, y_np) -> Callable:
    net = net_cls([p.copy() for p in params])
    return lambda: net.step(x_np, y_np)


# -- the benchmark --------------------------------------------------------------------


MODELS = {
    "a": dict(
        title="(a) MLP 784-512-256-10, batch 128",
        data=lambda rng: (rng.standard_normal((128, 784)), rng.integers(0, 10, 128)),
        params=lambda rng: mlp_params(rng, [784, 512, 256, 10]),
        build=lambda lib: build_mlp(lib, [784, 512, 256, 10]),
        numpy=_numpy_nets.MLP,
        targets={"numpy": 1.15, "torch": 1.0},
        timing=dict(rounds=7, repeats=10, warmup=8, pause=PAUSE_S),
    ),
    "b": dict(
        title="(b) LeNet-like CNN 1x28x28, batch 64",
        data=lambda rng: (rng.standard_normal((64, 1, 28, 28)), rng.integers(0, 10, 64)),
        params=lenet_params,
        build=build_lenet,
        numpy=_numpy_nets.LeNet,
        targets={"torch": 1.5},
        timing=dict(rounds=5, repeats=6, warmup=4, pause=PAUSE_S),
    ),
    "c": dict(
        title="(c) tiny MLP 2-16-16-2, batch 256",
        data=lambda rng: _xor_data(rng, 256),
        params=lambda rng: mlp_params(rng, [2, 16, 16, 2]),
        build=lambda lib: build_mlp(lib, [2, 16, 16, 2]),
        numpy=_numpy_nets.MLP,
        targets={"torch": 0.7},
        timing=dict(rounds=7, repeats=10, inner=10, warmup=30, pause=PAUSE_S),
    ),
}

GPU_SIZES, GPU_BATCH = [4096, 4096, 4096, 10], 1024
GPU_MODEL = dict(
    title=f"(d) MLP {'-'.join(map(str, GPU_SIZES))}, batch {GPU_BATCH}",
    data=lambda rng: (
        rng.standard_normal((GPU_BATCH, GPU_SIZES[0])),
        rng.integers(0, GPU_SIZES[-1], GPU_BATCH),
    ),
    params=lambda rng: mlp_params(rng, GPU_SIZES),
    build=lambda lib: build_mlp(lib, GPU_SIZES),
    numpy=_numpy_nets.MLP,
    targets={"torch": 1.0},
    timing=dict(rounds=5, repeats=10, inner=1),
)


def _xor_data(rng, n):
    x = rng.standard_normal((n, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(np.int64)


def _item(t) -> float:
    return t.item()


def check_losses(steps: dict[str, Callable], loss_of: dict[str, Callable]) -> None:
    """Run CHECK_STEPS steps of each version; stop unless their losses agree."""
    losses = {k: [loss_of[k](fn()) for _ in range(CHECK_STEPS)] for k, fn in steps.items()}
    ref = np.array(next(iter(losses.values())))
    worst = 0.0
    for name, got in losses.items():
        rel = float(np.max(np.abs(np.array(got) - ref) / np.abs(ref)))
        worst = max(worst, rel)
        print(f"    {name:6s} losses " + " ".join(f"{v:.7f}" for v in got))
    print(f"    max relative difference: {worst:.1e} (allowed {CHECK_RTOL:.0e})")
    if not worst <= CHECK_RTOL:
        sys.exit(
            f"bench_train: the versions disagree after {CHECK_STEPS - 1} steps from the same "
            f"weights (max relative loss difference {worst:.1e} > {CHECK_RTOL:.0e}); "
            "not timing a wrong computation."
        )


def _core_has_nn() -> bool:
    missing = [
        f"core.{mod}.{name}"
        for mod, names in (
            ("nn", ("Linear", "Conv2d", "MaxPool2d", "Flatten")),
            ("optim", ("Adam",)),
        )
        for name in names
        if not hasattr(getattr(core, mod), name)
    ]
    if missing:
        print(f"    (core skipped: no {', '.join(missing)} yet)")
    return not missing


def run(spec: dict, torch, device: str, phases: bool):
    """Check, then time one model: a report row, or None after printing phase times."""
    rng = np.random.default_rng(0)
    x_np, y_np = spec["data"](rng)
    x_np, y_np = x_np.astype(np.float32), y_np.astype(np.int64)
    params = spec["params"](rng)
    print(spec["title"] + ("" if device == "cpu" else f", {device}"))
    cuda = device == "cuda"
    steps, loss_of, libs = {}, {}, {}
    if not cuda:
        steps["numpy"], loss_of["numpy"] = numpy_step(spec["numpy"], params, x_np, y_np), float
    if _core_has_nn():
        libs["core"] = (core, core.cuda.synchronize if cuda else None)
    if torch is not None and (not cuda or torch.cuda.is_available()):
        libs["torch"] = (torch, torch.cuda.synchronize if cuda else None)
    elif cuda:
        print("    (no torch with CUDA: core is checked against numpy on the CPU, timed alone)")
        steps["numpy"], loss_of["numpy"] = numpy_step(spec["numpy"], params, x_np, y_np), float
    for name, (lib, sync) in libs.items():
        model = spec["build"](lib)
        steps[name] = lib_step(lib, model, params, x_np, y_np, device, sync)
        loss_of[name] = _item
    check_losses(steps, loss_of)
    if cuda:
        steps.pop("numpy", None)
    if phases:
        for _ in range(2):  # the first round warms up both
            res = {
                name: phase_times(lib, spec["build"](lib), params, x_np, y_np, device, sync)
                for name, (lib, sync) in libs.items()
            }
        print_phases(res)
        return None
    return spec["title"], interleaved(steps, **spec["timing"]), spec["targets"]


def print_phases(res: dict[str, dict[str, float]]) -> None:
    names = list(res)
    print("    phase (median us) " + "".join(f"{n:>10s}" for n in names), end="")
    print("  core/torch" if {"core", "torch"} <= set(res) else "")
    for k in (*PHASES, "total"):
        vals = {n: (sum(r.values()) if k == "total" else r[k]) for n, r in res.items()}
        line = f"    {k:18s}" + "".join(f"{vals[n] * 1e6:10.1f}" for n in names)
        if {"core", "torch"} <= set(res):
            line += f"  {vals['core'] / vals['torch']:9.2f}x"
        print(line)


def report(rows, device: str, torch, load: float) -> None:
    threads = f", torch threads {torch.get_num_threads()}" if torch is not None else ""
    print(f"\nTraining steps/s, float32, {device}{threads} (median of interleaved runs)")
    cpus = os.cpu_count() or 1
    if load > 0.5 * cpus:
        print(f"  NOTE: load average {load:.1f} on {cpus} CPUs at the start: other processes")
        print("  compete for the cores, and multi-threaded BLAS/OpenMP timings suffer most.")
    names = ["numpy", "core", "torch"]
    head = "".join(f"{n:>9s}" for n in names)
    print(f"  {'model':38s}{head}  core/numpy core/torch  targets (time ratios)")
    for title, times, targets in rows:
        cells = "".join(f"{1 / times[n]:9.1f}" if n in times else f"{'-':>9s}" for n in names)
        ratios = {
            n: times["core"] / times[n] for n in ("numpy", "torch") if {"core", n} <= set(times)
        }
        rcells = "".join(
            f"{ratios[n]:10.3f}x" if n in ratios else f"{'-':>11s}" for n in ("numpy", "torch")
        )
        verdicts = []
        for n, limit in targets.items():
            verdict = "n/a" if n not in ratios else "ok" if ratios[n] <= limit else "MISSED"
            verdicts.append(f"core/{n} <= {limit:g}x {verdict}")
        print(f"  {title:38s}{cells} {rcells}  " + ", ".join(verdicts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--models", default="abc", help="CPU models to run, e.g. 'ac'")
    ap.add_argument(
        "--phases",
        action="store_true",
        help="print the median time of each phase (zero_grad, forward, loss, backward, "
        "optimizer step) of core and torch instead of the steps/s table",
    )
    args = ap.parse_args()
    load = os.getloadavg()[0]
    torch = torch_or_none()
    if args.device == "cuda":
        reason = core.cuda.unavailable_reason()
        if reason is not None:
            print(f"bench_train --device cuda: no usable GPU for core: {reason}", file=sys.stderr)
            print("Run without --device for the CPU benchmark.", file=sys.stderr)
            sys.exit(2)
        specs = [GPU_MODEL]
    else:
        specs = [MODELS[k] for k in args.models if k in MODELS]
    rows = [run(spec, torch, args.device, args.phases) for spec in specs]
    if not args.phases:
        report(rows, args.device, torch, load)


if __name__ == "__main__":
    main()
