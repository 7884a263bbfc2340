"""The CuPy code paths of the fused ops and the optimizers, run without a GPU.

Under the stand-in "cuda" device of :mod:`tests.core.fake_cuda` (numpy arithmetic, a
module that is not numpy, CuPy-like arrays, host reads counted, the optimizers' C kernel
bodies interpreted), every branch written for CuPy runs here and must agree with the
CPU: convolutions (both layouts, chunked batches), pooling (NaN windows included),
losses, softmax and the short-row reductions, and the optimizers' fused kernels. Their
hot paths must not read device values back to the host (a sync each on a GPU).

What this cannot show: that CuPy compiles the kernels (the stand-in checks their
arguments and interprets their C bodies, no compiler runs), CuPy's own numerics (NaN
handling inside its kernels, FMA contraction), or speed. The ``gpu``-marked tests do,
on a machine with a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import core
import core.nn.functional as F
from core import nn, optim
from core.ops import conv as conv_ops
from tests.core import op_table  # noqa: F401 (imports the case modules in order)
from tests.core.cases_conv import CASES as CONV_CASES
from tests.core.cases_functional import CASES as FUNCTIONAL_CASES
from tests.core.fake_cuda import (
    HOST_READS,
    DeviceArray,
    ElementwiseKernel,
    fixture_fake_cuda,  # noqa: F401 (fixture fake_cuda)
)
from tests.core.test_op_table import assert_close, assert_grads_close, backward, host, run

DEVICE_CASES = CONV_CASES + FUNCTIONAL_CASES


@pytest.mark.parametrize("case", DEVICE_CASES, ids=str)
def test_op_table_case_on_the_device_matches_the_cpu(fake_cuda, case):
    xs, outs = run(core, case, device="cpu")
    HOST_READS.clear()
    gxs, gouts = run(core, case, device="cuda")
    # no host read (a GPU sync) in a forward; one_hot checks its classes (as PyTorch)
    expected = {"tolist": 1} if case.name.startswith("one_hot") else {}
    assert dict(HOST_READS) == expected
    assert len(gouts) == len(outs)
    for k, (o, go) in enumerate(zip(outs, gouts)):
        assert go.device == "cuda" and type(go._data) is DeviceArray, f"output {k}"
        assert_close(host(go), host(o), case.torch_tol, f"output {k}")
    if case.differentiable:
        HOST_READS.clear()
        grads = backward(core, gxs, gouts)
        # none in a backward either: backward() reads each gradient back once at its end
        n = sum(g is not None for g in grads)
        assert dict(HOST_READS) == ({"get": n} if n else {})
        assert_grads_close(grads, backward(core, xs, outs), case.args, case.torch_tol)
        for x in gxs:
            assert x.grad is None or type(x.grad._data) is DeviceArray


# -- convolutions: both layouts, batches in chunks -----------------------------------------
CONVS = [
    ((3, 2, 7, 6), (4, 2, 3, 3), {"padding": 1}),
    ((3, 4, 8, 7), (6, 2, 3, 2), {"stride": 2, "dilation": (2, 1), "groups": 2}),
    ((2, 3, 5, 5), (2, 3, 1, 1), {}),
]


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize("chunk", [1 << 21, 64])
@pytest.mark.parametrize("transposed", [False, True], ids=["conv2d", "conv_transpose2d"])
@pytest.mark.parametrize(("xs", "ws", "kw"), CONVS)
def test_conv_layouts_and_chunks_on_the_device(
    fake_cuda, monkeypatch, layout, chunk, transposed, xs, ws, kw
):
    monkeypatch.setattr(conv_ops, "_LAYOUT", layout)
    monkeypatch.setattr(conv_ops, "_CHUNK", chunk)
    rng = np.random.default_rng(3)
    if transposed:  # weight (C_in, C_out/G, kh, kw); its input has conv2d's output shape
        ws = (xs[1], ws[0] // kw.get("groups", 1), *ws[2:])
        xs = (xs[0], xs[1], 4, 3)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[1] * kw.get("groups", 1) if transposed else ws[0])
    fn = F.conv_transpose2d if transposed else F.conv2d
    results = []
    for device in ("cpu", "cuda"):
        ts = [
            core.tensor(a, dtype=core.float32, device=device, requires_grad=True) for a in (x, w, b)
        ]
        out = fn(*ts, **kw)
        up = np.linspace(-1.0, 1.0, out.numel()).reshape(out.shape)
        out.backward(core.tensor(up, dtype=core.float32, device=device))
        results.append([host(out)] + [host(t.grad) for t in ts])
    for k, (a, e) in enumerate(zip(*results)):
        np.testing.assert_allclose(a, e, rtol=2e-5, atol=2e-5, err_msg=f"result {k}")


# -- max pooling: windows holding NaN, tiled and not, with indices --------------------------
@pytest.mark.parametrize(
    ("kernel", "kw"),
    [(2, {}), (3, {"stride": 2, "padding": 1}), (2, {"return_indices": True}), (3, {"stride": 1})],
)
def test_max_pool_with_nan_windows_on_the_device(fake_cuda, kernel, kw):
    a = np.random.default_rng(4).permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0
    a[0, 0, 0, 1] = a[1, 2, 3, 3] = a[1, 2, 2, 3] = np.nan  # one window with two NaNs
    results = []
    for device in ("cpu", "cuda"):
        x = core.tensor(a, dtype=core.float32, device=device, requires_grad=True)
        out = F.max_pool2d(x, kernel, **kw)
        values = out[0] if kw.get("return_indices") else out
        values.backward(core.ones(values.shape, device=device))
        results.append([host(o) for o in (out if isinstance(out, tuple) else (out,))])
        results[-1].append(host(x.grad))
    for k, (d, c) in enumerate(zip(*results)):
        np.testing.assert_array_equal(d, c, err_msg=f"result {k}")


# -- optimizers: the fused kernels against the CPU's ufunc chains ---------------------------
OPTIMIZERS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.3, 0.9), "eps": 1e-3}),  # the other lerp form
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
]
SHAPES = [(3, 4), (5,), (70, 80)]  # small (packed on the CPU) and large (in pieces)
KERNELS = {"SGD": "ember_sgd_momentum", "Adam": "ember_adam", "AdamW": "ember_adam"}


@pytest.mark.parametrize(("name", "kw"), OPTIMIZERS, ids=[n for n, _ in OPTIMIZERS])
def test_optimizer_step_on_the_device_matches_the_cpu(fake_cuda, name, kw):
    rng = np.random.default_rng(5)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(4)]
    grads[2][1] = None  # a parameter without a gradient for a step
    finals = {}
    for device in ("cpu", "cuda"):
        params = [core.tensor(a, device=device, requires_grad=True) for a in init]
        opt = getattr(optim, name)(params, **kw)
        ElementwiseKernel.calls.clear()
        HOST_READS.clear()
        for step in grads:
            for p, g in zip(params, step):
                p.grad = None if g is None else core.tensor(g, device=device)
            opt.step()
        assert not HOST_READS, dict(HOST_READS)  # no sync in a step
        finals[device] = [host(p) for p in params]
        states = [v for st in opt.state.values() for k, v in st.items() if k != "step"]
        assert all(s.device == device for s in states)
    fused = name in KERNELS and (name != "SGD" or kw.get("momentum"))  # SGD: with momentum
    expected = 3 * len(grads) - 1 if fused else 0  # one call per parameter with a grad
    assert sum(ElementwiseKernel.calls.values()) == expected, dict(ElementwiseKernel.calls)
    # the kernels do the CPU's float32 operations in its order: equal bits here (a GPU
    # may contract a*b+c into one rounding: the gpu tests allow for that)
    for a, b in zip(finals["cuda"], finals["cpu"]):
        np.testing.assert_array_equal(a, b)


def test_amsgrad_running_max_keeps_nan_as_on_the_cpu(fake_cuda):
    """A NaN gradient makes v NaN: the CPU's numpy.maximum (and PyTorch's) keeps NaN as
    the running max; CUDA's max() of floats (fmaxf) would drop it."""
    grads = [np.array([1.0, np.nan, 2.0], np.float32), np.array([0.5, 0.5, 0.5], np.float32)]
    states = {}
    for device in ("cpu", "cuda"):
        p = core.tensor(np.zeros(3, np.float32), device=device, requires_grad=True)
        opt = optim.Adam([p], lr=0.1, amsgrad=True)
        for g in grads:
            p.grad = core.tensor(g, device=device)
            opt.step()
        states[device] = host(opt.state[p]["max_exp_avg_sq"])
    np.testing.assert_array_equal(states["cuda"], states["cpu"])
    assert np.isnan(states["cuda"][1])


# -- a small CNN trained a few steps ---------------------------------------------------------
def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 1 * 1, 3),
    )


@pytest.mark.parametrize(
    ("name", "kw"), [("Adam", {"lr": 0.01}), ("SGD", {"lr": 0.1, "momentum": 0.9})]
)
def test_cnn_training_steps_on_the_device_match_the_cpu(fake_cuda, name, kw):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    core.manual_seed(0)
    cpu_model = _cnn()
    dev_model = _cnn()
    dev_model.load_state_dict(cpu_model.state_dict())
    dev_model.to("cuda")
    losses = {}
    for device, model in (("cpu", cpu_model), ("cuda", dev_model)):
        opt = getattr(optim, name)(model.parameters(), **kw)
        xt, yt = core.tensor(x, device=device), core.tensor(y, device=device)
        HOST_READS.clear()
        kept = []
        for _ in range(4):
            opt.zero_grad()
            loss = F.cross_entropy(model(xt), yt)
            loss.backward()
            opt.step()
            kept.append(loss.detach())
        assert not HOST_READS, dict(HOST_READS)  # a training step never syncs
        losses[device] = [host(v) for v in kept]
    assert all(p.device == "cuda" for p in dev_model.parameters())
    assert losses["cuda"][-1] < losses["cuda"][0]  # it learns
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-5, atol=1e-6)
    for (n, p), q in zip(dev_model.named_parameters(), cpu_model.parameters()):
        np.testing.assert_allclose(host(p), host(q), rtol=1e-4, atol=1e-5, err_msg=n)


# -- the stand-in itself refuses what CuPy refuses ----------------------------------------------
def test_the_stand_in_refuses_what_cupy_refuses(fake_cuda):
    xp = fake_cuda
    d = xp.zeros(3, dtype=np.float32)
    with pytest.raises(TypeError, match="host numpy array"):
        d + np.ones(3, np.float32)  # no host operands
    with pytest.raises(AttributeError):
        xp.errstate  # noqa: B018 - numpy only
    with pytest.raises(TypeError):
        xp.lib.stride_tricks.as_strided(d, (3,), (4,), writeable=False)  # CuPy's signature
    assert xp.asarray(d) is d and type(xp.asarray(np.ones(2))) is DeviceArray
    assert type(d.sum()) is DeviceArray and d.sum().ndim == 0  # 0-d arrays, not scalars
    HOST_READS.clear()
    assert float(d.sum()) == 0.0 and HOST_READS["float"] == 1
    kernel = xp.ElementwiseKernel("T g, T c, bool flag", "T p", "p = flag ? p + c * g : p", "k")
    p, g = xp.ones(3, dtype=np.float32), xp.arange(3, dtype=np.float32)
    kernel(g, 2.0, True, p)
    np.testing.assert_array_equal(host_of(p), [1.0, 3.0, 5.0])
    with pytest.raises(TypeError, match="Wrong number"):
        kernel(g, 2.0, p)
    with pytest.raises(TypeError, match="mismatched"):
        kernel(g.astype(np.float64), 2.0, True, p)
    with pytest.raises(NameError):
        xp.ElementwiseKernel("T g", "T p", "p = q * g", "k")(g, p)
    with pytest.raises(SyntaxError):
        xp.ElementwiseKernel("T g", "T p", "g = p", "k")(g, p)


def host_of(a) -> np.ndarray:
    return a.get()
