"""Linear + ReLU forward and backward, (128x784) @ (784x512), against hand-written numpy.

    python benchmarks/bench_linear.py

Target: core within 1.15x of numpy doing the same math. PyTorch (CPU) is shown too
when installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import core  # noqa: E402
import core.nn.functional as F  # noqa: E402
from benchmarks._timing import interleaved, torch_or_none  # noqa: E402

N, IN, OUT = 128, 784, 512


def main() -> None:
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((N, IN)).astype(np.float32)
    w_np = (rng.standard_normal((OUT, IN)) * 0.05).astype(np.float32)
    b_np = (rng.standard_normal(OUT) * 0.05).astype(np.float32)
    g_np = rng.standard_normal((N, OUT)).astype(np.float32)

    def numpy_step():
        # forward: y = relu(x W^T + b)
        z = x_np @ w_np.T
        z += b_np
        y = np.maximum(z, 0)
        # backward of sum(y * g)
        gz = g_np * (y > 0)
        gw = gz.T @ x_np
        gb = gz.sum(axis=0)
        gx = gz @ w_np
        return y, gx, gw, gb

    x = core.tensor(x_np, requires_grad=True)
    w = core.tensor(w_np, requires_grad=True)
    b = core.tensor(b_np, requires_grad=True)
    g = core.tensor(g_np)

    def core_step():
        x.grad = w.grad = b.grad = None
        y = F.relu(F.linear(x, w, b))
        y.backward(g)
        return y

    candidates = {"numpy": numpy_step, "core": core_step}
    torch = torch_or_none()
    if torch is not None:
        xt = torch.tensor(x_np, requires_grad=True)
        wt = torch.tensor(w_np, requires_grad=True)
        bt = torch.tensor(b_np, requires_grad=True)
        gt = torch.tensor(g_np)

        def torch_step():
            xt.grad = wt.grad = bt.grad = None
            yt = torch.relu(torch.nn.functional.linear(xt, wt, bt))
            yt.backward(gt)
            return yt

        candidates["torch"] = torch_step

    # correctness first: core and numpy agree
    y_ref, gx_ref, gw_ref, gb_ref = numpy_step()
    core_step()
    for name, got, ref in (
        ("y", core_step().detach().numpy(), y_ref),
        ("dx", x.grad.numpy(), gx_ref),
        ("dW", w.grad.numpy(), gw_ref),
        ("db", b.grad.numpy(), gb_ref),
    ):
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4, err_msg=name)

    times = interleaved(candidates, rounds=7, repeats=15)
    print(f"Linear+ReLU fwd+bwd, x ({N}x{IN}) @ W^T ({IN}x{OUT}), float32")
    for name, t in times.items():
        print(f"  {name:6s} {t * 1e3:8.3f} ms")
    ratio = times["core"] / times["numpy"]
    print(f"  core / numpy = {ratio:.3f}x  (target <= 1.15x)")
    if "torch" in times:
        print(f"  core / torch = {times['core'] / times['torch']:.3f}x")


if __name__ == "__main__":
    main()
