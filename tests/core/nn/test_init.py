"""core.nn.init: bounds and statistics of every initialiser, PyTorch's gains, fans and
errors, in-place semantics (no graph, version counter) and the generator argument."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import core
import core.nn as nn
from core.nn import init


def big(*shape, dtype=core.float32):
    return core.empty(*shape, dtype=dtype)


def values(t):
    return t.detach().numpy()


# -- calculate_gain and fans --------------------------------------------------------------

NONLINEARITIES = [
    ("linear", None),
    ("conv1d", None),
    ("conv2d", None),
    ("conv3d", None),
    ("conv_transpose1d", None),
    ("conv_transpose2d", None),
    ("conv_transpose3d", None),
    ("sigmoid", None),
    ("tanh", None),
    ("relu", None),
    ("leaky_relu", None),
    ("leaky_relu", 0.2),
    ("leaky_relu", 3),
    ("leaky_relu", math.sqrt(5)),
    ("selu", None),
]


@pytest.mark.parametrize(("nonlinearity", "param"), NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity, param):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


def test_calculate_gain_known_values():
    assert init.calculate_gain("linear") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="negative_slope 0.1 not a valid number"):
        init.calculate_gain("leaky_relu", "0.1")


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (6, 4, 3, 2), (2, 3, 1, 1, 4)])
def test_fan_in_and_fan_out_match_torch(shape):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(core.empty(*shape)) == expected


def test_fan_needs_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(core.empty(5))
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(core.empty(5))


# -- simple fills ---------------------------------------------------------------------------


def test_uniform_bounds_and_mean():
    core.manual_seed(0)
    w = values(init.uniform_(big(300, 300), -2.0, 3.0))
    assert w.min() >= -2.0 and w.max() < 3.0
    assert w.min() < -1.99 and w.max() > 2.99
    assert abs(w.mean() - 0.5) < 0.02


def test_normal_statistics():
    core.manual_seed(0)
    w = values(init.normal_(big(300, 300, dtype=core.float64), 1.5, 0.5))
    assert abs(w.mean() - 1.5) < 0.005
    assert abs(w.std() - 0.5) < 0.005


def test_constant_ones_zeros():
    t = big(3, 4)
    np.testing.assert_array_equal(values(init.constant_(t, 0.25)), np.full((3, 4), 0.25))
    np.testing.assert_array_equal(values(init.ones_(t)), np.ones((3, 4)))
    np.testing.assert_array_equal(values(init.zeros_(t)), np.zeros((3, 4)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye(shape):
    np.testing.assert_array_equal(values(init.eye_(big(*shape))), np.eye(*shape))


def test_eye_needs_two_dims():
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(big(2, 2, 2))


@pytest.mark.parametrize(
    ("shape", "groups"), [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 2), 2)]
)
def test_dirac_matches_torch(shape, groups):
    torch = pytest.importorskip("torch")
    expected = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    np.testing.assert_array_equal(values(init.dirac_(core.empty(*shape), groups)), expected)


def test_dirac_errors():
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(big(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(big(3, 2, 3), groups=2)


def test_dirac_conv_passes_input_through():
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = core.randn(2, 3, 5, 5)
    np.testing.assert_allclose(values(conv(x)), x.numpy(), atol=1e-6)


# -- Xavier and Kaiming -------------------------------------------------------------------


def test_xavier_uniform_bound():
    core.manual_seed(0)
    w = values(init.xavier_uniform_(big(200, 100, 3), gain=2.0))
    fan_in, fan_out = 300, 600
    bound = 2.0 * math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_xavier_normal_std():
    core.manual_seed(0)
    w = values(init.xavier_normal_(big(400, 300), gain=init.calculate_gain("tanh")))
    expected = 5 / 3 * math.sqrt(2 / 700)
    assert abs(w.std() - expected) < 0.01 * expected
    assert abs(w.mean()) < 0.01 * expected


@pytest.mark.parametrize(
    ("a", "mode", "nonlinearity", "fan"),
    [
        (0, "fan_in", "leaky_relu", 300),
        (math.sqrt(5), "fan_in", "leaky_relu", 300),
        (0, "fan_out", "relu", 400),
        (0, "FAN_OUT", "tanh", 400),
        (0.3, "fan_in", "linear", 300),
    ],
)
def test_kaiming_uniform_bound(a, mode, nonlinearity, fan):
    core.manual_seed(0)
    w = values(init.kaiming_uniform_(big(400, 300), a=a, mode=mode, nonlinearity=nonlinearity))
    bound = math.sqrt(3) * init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


@pytest.mark.parametrize(
    ("a", "mode", "nonlinearity", "fan"),
    [
        (0, "fan_in", "relu", 4 * 9),
        (0, "fan_out", "relu", 200 * 9),
        (0.1, "fan_in", "leaky_relu", 36),
    ],
)
def test_kaiming_normal_variance_matches_theory(a, mode, nonlinearity, fan):
    core.manual_seed(0)
    w = values(init.kaiming_normal_(big(200, 4, 3, 3), a, mode, nonlinearity))
    expected_var = init.calculate_gain(nonlinearity, a) ** 2 / fan
    assert abs(w.var() - expected_var) < 0.03 * expected_var
    assert abs(w.mean()) < 0.03 * math.sqrt(expected_var)


def test_kaiming_rejects_unknown_mode():
    with pytest.raises(
        ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"
    ):
        init.kaiming_uniform_(big(3, 4), mode="fan_avg")


def test_kaiming_on_empty_tensor_warns_and_does_nothing():
    t = big(0, 4)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert init.kaiming_normal_(t) is t
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_uniform_(t) is t


# -- truncated normal ---------------------------------------------------------------------


def _truncnorm_moments(mean, std, a, b):
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / z
    var = std**2 * (
        1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - ((pdf(alpha) - pdf(beta)) / z) ** 2
    )
    return m, math.sqrt(var)


@pytest.mark.parametrize(
    ("mean", "std", "a", "b"),
    [(0.0, 1.0, -2.0, 2.0), (0.5, 0.02, 0.46, 0.54), (0.0, 1.0, 1.0, 3.0), (0.0, 1.0, -0.1, 0.2)],
)
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    core.manual_seed(0)
    w = values(init.trunc_normal_(big(300, 300, dtype=core.float64), mean, std, a, b))
    assert w.min() >= a and w.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(w.mean() - m) < 0.01 * s
    assert abs(w.std() - s) < 0.01 * s


def test_trunc_normal_warns_when_mean_is_far_from_the_interval():
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(big(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


# -- orthogonal ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (8, 3), (4, 2, 3, 3), (10, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    core.manual_seed(0)
    w = values(init.orthogonal_(big(*shape, dtype=core.float64))).reshape(shape[0], -1)
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, np.eye(rows), atol=1e-12)
    else:
        np.testing.assert_allclose(w.T @ w, np.eye(cols), atol=1e-12)


def test_orthogonal_gain_and_sign_fix():
    core.manual_seed(0)
    w = values(init.orthogonal_(big(6, 6, dtype=core.float64), gain=2.0))
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(6), atol=1e-12)
    # the sign fix makes R's diagonal positive: Q equals the QR factor of a sample with
    # the same generator state, columns multiplied by sign(diag(R))
    core.manual_seed(0)
    sample = core.random.default_generator.numpy.normal(0.0, 1.0, size=(6, 6))
    q, r = np.linalg.qr(sample)
    np.testing.assert_allclose(w, 2 * q * np.sign(np.diag(r)), atol=1e-12)


def test_orthogonal_errors_and_empty():
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(big(4))
    t = big(0, 3)
    assert init.orthogonal_(t) is t


def test_sparse_zeros_per_column():
    core.manual_seed(0)
    w = values(init.sparse_(big(10, 6), sparsity=0.3, std=0.5))
    assert ((w == 0).sum(axis=0) == 3).all()
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(big(2, 2, 2), 0.1)


# -- in-place semantics, dtype, generator --------------------------------------------------

ALL_INITS = [
    lambda t: init.uniform_(t, -1, 1),
    lambda t: init.normal_(t),
    lambda t: init.trunc_normal_(t),
    lambda t: init.constant_(t, 0.3),
    init.ones_,
    init.zeros_,
    init.eye_,
    init.xavier_uniform_,
    init.xavier_normal_,
    init.kaiming_uniform_,
    init.kaiming_normal_,
    init.orthogonal_,
    lambda t: init.sparse_(t, 0.5),
]


@pytest.mark.parametrize("fn", ALL_INITS)
@pytest.mark.parametrize("dtype", [core.float32, core.float64])
def test_init_is_in_place_without_graph_and_bumps_version(fn, dtype):
    p = nn.Parameter(core.zeros(4, 6, dtype=dtype))
    before = p._version
    data = p._data
    out = fn(p)  # grad mode on: the initialisers run under no_grad themselves
    assert out is p
    assert p._data is data  # written in place
    assert p.dtype == dtype
    assert p.is_leaf and p.grad_fn is None and p.requires_grad
    assert p._version > before


def test_init_writes_through_a_view():
    t = core.zeros(4, 6)
    init.ones_(t[1])
    np.testing.assert_array_equal(t.numpy()[1], np.ones(6))
    assert t.numpy().sum() == 6


@pytest.mark.parametrize(
    "fn",
    [
        lambda t, g: init.uniform_(t, generator=g),
        lambda t, g: init.normal_(t, generator=g),
        lambda t, g: init.trunc_normal_(t, generator=g),
        lambda t, g: init.xavier_uniform_(t, generator=g),
        lambda t, g: init.xavier_normal_(t, generator=g),
        lambda t, g: init.kaiming_uniform_(t, generator=g),
        lambda t, g: init.kaiming_normal_(t, generator=g),
        lambda t, g: init.orthogonal_(t, generator=g),
        lambda t, g: init.sparse_(t, 0.5, generator=g),
    ],
)
def test_generator_makes_draws_reproducible_and_leaves_default_alone(fn):
    core.manual_seed(123)
    state = core.get_rng_state().numpy().copy()
    a = values(fn(big(5, 4), core.Generator().manual_seed(9))).copy()
    b = values(fn(big(5, 4), core.Generator().manual_seed(9)))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(core.get_rng_state().numpy(), state)
    c = values(fn(big(5, 4), core.Generator().manual_seed(10)))
    assert not np.array_equal(a, c)


def test_default_generator_follows_manual_seed():
    core.manual_seed(5)
    a = values(init.kaiming_normal_(big(3, 4))).copy()
    core.manual_seed(5)
    np.testing.assert_array_equal(values(init.kaiming_normal_(big(3, 4))), a)


def test_deprecated_aliases_warn_and_work():
    t = big(2, 3)
    with pytest.warns(
        FutureWarning, match=r"`nn.init.constant` is now deprecated in favor of `nn.init.constant_`"
    ):
        init.constant(t, 2.0)
    np.testing.assert_array_equal(values(t), np.full((2, 3), 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.constant_(t, 1.0)  # the real one does not warn


def test_public_names_match_torch():
    torch = pytest.importorskip("torch")
    assert set(init.__all__) == set(torch.nn.init.__all__)


@pytest.mark.gpu
def test_init_on_cuda_tensors():
    core.manual_seed(0)
    for fn in ALL_INITS:
        t = core.zeros(4, 6, device="cuda")
        out = fn(t)
        assert out is t and t.device == core.device("cuda")
    w = values(init.orthogonal_(core.zeros(3, 5, device="cuda", dtype=core.float64)).cpu())
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-12)
    core.manual_seed(1)
    on_gpu = init.kaiming_uniform_(core.zeros(3, 4, device="cuda")).cpu().numpy()
    core.manual_seed(1)
    on_cpu = init.kaiming_uniform_(core.zeros(3, 4)).numpy()
    np.testing.assert_array_equal(on_gpu, on_cpu)
