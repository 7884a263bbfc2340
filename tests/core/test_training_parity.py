"""Training parity with PyTorch: the same weights, data and optimizer give the same losses.

20 steps of SGD with momentum and of Adam, on an MLP and on a small CNN with BatchNorm,
must agree within 1e-4 relative in float32 and 1e-9 in float64.
"""

import numpy as np
import pytest

import core

torch = pytest.importorskip("torch")

STEPS = 20


def _mlp(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3)
    )


def _cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, bias=False),  # BatchNorm follows: a bias would get
        # a zero true gradient, and Adam would turn its rounding noise into full steps
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, bias=False),
        nn.BatchNorm2d(6),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 3),
    )


def _data(kind: str, rng):
    x = rng.standard_normal((32, 8)) if kind == "mlp" else rng.standard_normal((16, 1, 8, 8))
    y = rng.integers(0, 3, size=len(x))
    return x, y


def _optimizer(lib, name, params):
    if name == "sgd":
        return lib.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=1e-3)
    return lib.optim.Adam(params, lr=1e-2)


def _losses(lib, model, opt, x, y) -> list[float]:
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
@pytest.mark.parametrize(("dtype", "rtol"), [("float32", 1e-4), ("float64", 1e-9)])
def test_twenty_steps_match_pytorch(kind, opt_name, dtype, rtol):
    rng = np.random.default_rng(0)
    build = _mlp if kind == "mlp" else _cnn
    torch.manual_seed(0)
    t_model = build(torch).to(getattr(torch, dtype))
    c_model = build(core).to(getattr(core, dtype))
    c_model.load_state_dict({k: core.tensor(v.numpy()) for k, v in t_model.state_dict().items()})
    x, y = _data(kind, rng)
    t_losses = _losses(
        torch,
        t_model,
        _optimizer(torch, opt_name, t_model.parameters()),
        torch.tensor(x, dtype=getattr(torch, dtype)),
        torch.tensor(y),
    )
    c_losses = _losses(
        core,
        c_model,
        _optimizer(core, opt_name, c_model.parameters()),
        core.tensor(x, dtype=getattr(core, dtype)),
        core.tensor(y),
    )
    assert t_losses[-1] < t_losses[0]  # it trains at all
    np.testing.assert_allclose(c_losses, t_losses, rtol=rtol, atol=0)
    for name, t_value in t_model.state_dict().items():  # weights and BatchNorm statistics
        c_value = c_model.state_dict()[name].numpy()
        tol = 1e-3 if dtype == "float32" else 1e-8
        np.testing.assert_allclose(c_value, t_value.numpy(), rtol=tol, atol=tol, err_msg=name)
