"""conv2d forward+backward, input (64, 16, 14, 14), weight (32, 16, 3, 3), padding=1, bias.

    python benchmarks/bench_conv2d.py

Times core against PyTorch on the CPU (each library with its default thread count)
and against a hand-written numpy im2col baseline: the median of repeated runs after
warm-up. Target: core / torch <= 1.5x for forward+backward.

NOTE: the candidates take turns in rounds, each after a pause (see
``benchmarks/_timing.interleaved``): after each matmul, OpenBLAS (numpy) and PyTorch's
OpenMP keep worker threads spinning, and without the pause one library's spinning
threads steal the cores of the next on a machine with few cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core  # noqa: E402
import core.nn.functional as F  # noqa: E402
from benchmarks._timing import interleaved, torch_or_none  # noqa: E402

N, C, H, W = 64, 16, 14, 14
OUT, K, PAD = 32, 3, 1
ROUNDS, REPEATS, PAUSE_S = 5, 20, 0.3


def numpy_baseline(x, w, b, g):
    """Textbook im2col conv2d (stride 1) forward and backward, in plain numpy."""
    n, c, h, wd = x.shape
    f = w.shape[0]
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (K, K), axis=(2, 3))  # (N, C, H, W, K, K)
    cols = win.transpose(1, 4, 5, 0, 2, 3).reshape(c * K * K, n * h * wd)  # (C*K*K, N*H*W)
    y = (w.reshape(f, -1) @ cols).reshape(f, n, h, wd).transpose(1, 0, 2, 3) + b[:, None, None]
    g2 = g.transpose(1, 0, 2, 3).reshape(f, -1)  # (F, N*H*W)
    gw = (g2 @ cols.T).reshape(w.shape)
    gb = g.sum(axis=(0, 2, 3))
    dcols = (w.reshape(f, -1).T @ g2).reshape(c, K, K, n, h, wd)
    gxp = np.zeros_like(xp)
    for i in range(K):
        for j in range(K):
            gxp[:, :, i : i + h, j : j + wd] += dcols[:, i, j].transpose(1, 0, 2, 3)
    return y, gxp[:, :, PAD:-PAD, PAD:-PAD], gw, gb


def main() -> None:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w_np = (rng.standard_normal((OUT, C, K, K)) * 0.1).astype(np.float32)
    b_np = rng.standard_normal(OUT).astype(np.float32)
    g_np = rng.standard_normal((N, OUT, H, W)).astype(np.float32)

    x = core.tensor(x_np, requires_grad=True)
    w = core.tensor(w_np, requires_grad=True)
    b = core.tensor(b_np, requires_grad=True)
    g = core.tensor(g_np)

    def core_step():
        x.grad = w.grad = b.grad = None
        y = F.conv2d(x, w, b, padding=PAD)
        y.backward(g)
        return y

    def core_forward():
        with core.no_grad():
            return F.conv2d(x, w, b, padding=PAD)

    steps = {"core": core_step, "numpy": lambda: numpy_baseline(x_np, w_np, b_np, g_np)}
    forwards = {"core": core_forward}
    torch = torch_or_none()
    if torch is not None:
        xt = torch.tensor(x_np, requires_grad=True)
        wt = torch.tensor(w_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)
        gt = torch.tensor(g_np)

        def torch_step():
            xt.grad = wt.grad = bt.grad = None
            yt = torch.nn.functional.conv2d(xt, wt, bt, padding=PAD)
            yt.backward(gt)
            return yt

        def torch_forward():
            with torch.no_grad():
                return torch.nn.functional.conv2d(xt, wt, bt, padding=PAD)

        steps["torch"] = torch_step
        forwards["torch"] = torch_forward

    # correctness first: core agrees with the numpy baseline
    y_ref, gx_ref, gw_ref, gb_ref = numpy_baseline(x_np, w_np, b_np, g_np)
    y = core_step()
    for name, got, ref in (
        ("y", y.detach().numpy(), y_ref),
        ("dx", x.grad.numpy(), gx_ref),
        ("dW", w.grad.numpy(), gw_ref),
        ("db", b.grad.numpy(), gb_ref),
    ):
        np.testing.assert_allclose(got, ref, rtol=1e-3, atol=1e-3, err_msg=name)

    both = interleaved(steps, rounds=ROUNDS, repeats=REPEATS, pause=PAUSE_S)
    fwd = interleaved(forwards, rounds=ROUNDS, repeats=REPEATS, pause=PAUSE_S)
    print(f"conv2d x ({N},{C},{H},{W}) * W ({OUT},{C},{K},{K}), padding={PAD}, bias, float32")
    print("  forward+backward:")
    for name, t in both.items():
        print(f"    {name:6s} {t * 1e3:8.3f} ms")
    print("  forward only:")
    for name, t in fwd.items():
        print(f"    {name:6s} {t * 1e3:8.3f} ms")
    print(f"  core / numpy baseline (fwd+bwd) = {both['core'] / both['numpy']:.3f}x")
    if "torch" in both:
        print(f"  core / torch (fwd+bwd) = {both['core'] / both['torch']:.3f}x  (target <= 1.5x)")
        print(f"  core / torch (forward) = {fwd['core'] / fwd['torch']:.3f}x")


if __name__ == "__main__":
    main()
