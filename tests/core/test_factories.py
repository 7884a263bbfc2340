"""Factories: from_numpy, zeros/ones/full/empty, arange, linspace, eye, random tensors
and the *_like forms, with PyTorch's dtypes and defaults."""

import numpy as np
import pytest

import core

# -- from_numpy ----------------------------------------------------------------------


def test_from_numpy_shares_memory_both_ways():
    a = np.array([1.0, 2.0])
    t = core.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [5.0, 2.0]
    t.mul_(2)
    assert a.tolist() == [10.0, 4.0]


def test_from_numpy_keeps_the_array_dtype():
    assert core.from_numpy(np.zeros(2)).dtype is core.float64
    assert core.from_numpy(np.zeros(2, np.int32)).dtype is core.int32


def test_from_numpy_rejects_non_arrays():
    with pytest.raises(TypeError, match="np.ndarray"):
        core.from_numpy([1.0, 2.0])


def test_from_numpy_rejects_unsupported_dtypes():
    with pytest.raises(TypeError, match="Unsupported dtype"):
        core.from_numpy(np.array(["a"]))


# -- zeros, ones, full, empty --------------------------------------------------------


@pytest.mark.parametrize("make", [core.zeros, core.ones, core.empty])
def test_constant_factories_take_varargs_or_a_tuple_and_default_to_float32(make):
    a, b = make(2, 3), make((2, 3))
    assert a.shape == b.shape == (2, 3)
    assert a.dtype is b.dtype is core.float32
    assert make([4]).shape == (4,)


def test_zeros_and_ones_values_and_dtype_argument():
    assert core.zeros(2).tolist() == [0.0, 0.0]
    assert core.ones(2, dtype=core.int64).tolist() == [1, 1]
    assert core.ones(2, dtype=core.int64).dtype is core.int64


def test_zero_sized_and_scalar_shapes():
    assert core.zeros(0).shape == (0,)
    assert core.zeros(3, 0).numel() == 0
    assert core.ones(()).shape == ()


@pytest.mark.parametrize(
    "fill, dtype", [(1.5, core.float32), (2, core.int64), (True, core.bool)], ids=str
)
def test_full_infers_its_dtype_from_the_fill_value(fill, dtype):
    t = core.full((2,), fill)
    assert t.dtype is dtype
    assert t.tolist() == [fill, fill]


def test_full_with_an_explicit_dtype():
    assert core.full((2, 2), 3, dtype=core.float64).tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize(
    "make",
    [
        lambda: core.zeros(2, -1),
        lambda: core.ones(-3),
        lambda: core.empty(-1),
        lambda: core.full((-1, 2), 1.0),
        lambda: core.rand(2, -2),
        lambda: core.randn(-1),
    ],
    ids=["zeros", "ones", "empty", "full", "rand", "randn"],
)
def test_negative_sizes_raise_with_the_size(make):
    with pytest.raises(RuntimeError, match="negative dimension"):
        make()


# -- arange --------------------------------------------------------------------------


def test_arange_of_ints_is_int64():
    t = core.arange(5)
    assert t.dtype is core.int64
    assert t.tolist() == [0, 1, 2, 3, 4]


def test_arange_with_any_float_argument_is_float32():
    assert core.arange(5.0).dtype is core.float32
    assert core.arange(0, 2, 0.5).tolist() == [0.0, 0.5, 1.0, 1.5]


def test_arange_with_a_negative_step():
    assert core.arange(5, 0, -2).tolist() == [5, 3, 1]
    np.testing.assert_allclose(core.arange(1, 0, -0.3).numpy(), [1.0, 0.7, 0.4, 0.1], rtol=1e-6)


def test_arange_with_float_steps_counts_like_torch():
    assert core.arange(0, 1, 0.1).numel() == 10
    assert core.arange(1, 2.5, 0.5).tolist() == [1.0, 1.5, 2.0]


def test_arange_with_an_empty_range_is_empty():
    assert core.arange(3, 1).numel() == 0


def test_arange_with_a_zero_step_raises():
    with pytest.raises(RuntimeError, match="step"):
        core.arange(0, 1, 0)


def test_arange_with_a_dtype_and_requires_grad():
    t = core.arange(3, dtype=core.float64, requires_grad=True)
    assert t.dtype is core.float64
    assert t.requires_grad and t.is_leaf


@pytest.mark.parametrize(
    "args",
    [(5,), (2.5,), (1, 7, 2), (0, 1, 0.1), (1, 0, -0.3), (-2.0, 2.0, 0.4), (0, 10, 3), (10, 0, -3)],
    ids=str,
)
def test_arange_matches_torch(args):
    torch = pytest.importorskip("torch")
    ours, theirs = core.arange(*args), torch.arange(*args)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


# -- linspace and eye ----------------------------------------------------------------


def test_linspace_includes_both_ends_and_is_float32():
    t = core.linspace(0, 1, 5)
    assert t.dtype is core.float32
    assert t.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_linspace_with_one_step_is_the_start():
    assert core.linspace(2, 5, 1).tolist() == [2.0]


def test_linspace_descending_matches_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(
        core.linspace(3, -1, 7).numpy(), torch.linspace(3, -1, 7).numpy(), rtol=1e-6
    )


def test_eye_is_an_identity_matrix():
    assert core.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert core.eye(2).dtype is core.float32


def test_eye_with_a_column_count():
    assert core.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


# -- random tensors ------------------------------------------------------------------


def test_rand_is_float32_in_the_unit_interval():
    t = core.rand(1000)
    assert t.dtype is core.float32
    a = t.numpy()
    assert a.min() >= 0.0 and a.max() < 1.0
    assert 0.4 < a.mean() < 0.6


def test_randn_is_float32_and_standard_normal():
    a = core.randn(100, 100).numpy()
    assert a.dtype == np.float32
    assert abs(a.mean()) < 0.05
    assert 0.95 < a.std() < 1.05


def test_rand_and_randn_take_a_tuple_or_varargs():
    assert core.rand((2, 3)).shape == core.rand(2, 3).shape == (2, 3)
    assert core.randn((4,)).shape == (4,)


def test_randint_is_int64_within_low_and_high_exclusive():
    t = core.randint(3, 6, (500,))
    assert t.dtype is core.int64
    assert set(t.tolist()) == {3, 4, 5}


def test_randint_with_only_high_starts_at_zero():
    t = core.randint(2, (200,))
    assert set(t.tolist()) == {0, 1}


def test_randint_with_low_not_below_high_raises():
    with pytest.raises(RuntimeError, match="from=5 >= to=5"):
        core.randint(5, 5, (2,))


def test_randperm_is_a_permutation():
    t = core.randperm(10)
    assert t.dtype is core.int64
    assert sorted(t.tolist()) == list(range(10))


def test_random_factories_honour_dtype():
    assert core.rand(2, dtype=core.float64).dtype is core.float64
    assert core.randn(2, dtype=core.float64).dtype is core.float64
    assert core.randint(0, 5, (2,), dtype=core.int32).dtype is core.int32


@pytest.mark.parametrize(
    "draw",
    [
        lambda: core.rand(5),
        lambda: core.randn(2, 3),
        lambda: core.randint(0, 100, (6,)),
        lambda: core.randperm(8),
        lambda: core.empty(4).uniform_(-1, 1),
        lambda: core.empty(4).normal_(),
    ],
    ids=["rand", "randn", "randint", "randperm", "uniform_", "normal_"],
)
def test_manual_seed_makes_random_draws_repeat(draw):
    core.manual_seed(0)
    first = draw().tolist()
    core.manual_seed(0)
    assert draw().tolist() == first


def test_different_seeds_give_different_draws():
    core.manual_seed(0)
    a = core.randn(8).tolist()
    core.manual_seed(1)
    assert core.randn(8).tolist() != a


def test_a_seeded_generator_is_independent_of_the_global_seed():
    g = core.Generator().manual_seed(3)
    first = core.randn(4, generator=g).tolist()
    core.manual_seed(99)
    core.randn(10)
    g.manual_seed(3)
    assert core.randn(4, generator=g).tolist() == first


def test_initial_seed_reports_the_manual_seed():
    core.manual_seed(1234)
    assert core.initial_seed() == 1234


# -- *_like --------------------------------------------------------------------------


def test_like_factories_copy_shape_dtype_and_device():
    src = core.ones(2, 3, dtype=core.float64)
    for t in (
        core.zeros_like(src),
        core.ones_like(src),
        core.empty_like(src),
        core.full_like(src, 7),
        core.rand_like(src),
        core.randn_like(src),
    ):
        assert t.shape == (2, 3)
        assert t.dtype is core.float64
        assert t.device == src.device
    assert core.zeros_like(src).tolist() == [[0.0] * 3] * 2
    assert core.full_like(src, 7).tolist() == [[7.0] * 3] * 2


def test_like_factories_do_not_inherit_requires_grad():
    src = core.ones(2, requires_grad=True)
    assert not core.zeros_like(src).requires_grad
    assert core.ones_like(src, requires_grad=True).requires_grad


def test_like_factories_accept_a_dtype_override():
    assert core.zeros_like(core.ones(2), dtype=core.int64).dtype is core.int64


def test_randint_like_keeps_the_input_dtype_like_torch():
    t = core.randint_like(core.zeros(50), 3)
    assert t.dtype is core.float32
    assert set(t.tolist()) <= {0.0, 1.0, 2.0}


# -- requires_grad -------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: core.zeros(2, requires_grad=True),
        lambda: core.ones(2, requires_grad=True),
        lambda: core.full((2,), 1.0, requires_grad=True),
        lambda: core.rand(2, requires_grad=True),
        lambda: core.randn(2, requires_grad=True),
        lambda: core.linspace(0, 1, 2, requires_grad=True),
        lambda: core.eye(2, requires_grad=True),
        lambda: core.tensor([1.0], requires_grad=True),
    ],
    ids=["zeros", "ones", "full", "rand", "randn", "linspace", "eye", "tensor"],
)
def test_factories_make_leaves_that_require_grad(make):
    t = make()
    assert t.requires_grad
    assert t.is_leaf


def test_integer_factories_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        core.arange(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        core.zeros(2, dtype=core.int64, requires_grad=True)


# -- uniform samples stay below high -----------------------------------------------------
class _TopBits:
    """A stand-in bit source whose every draw is the largest value below 1."""

    def random(self, size=None, dtype=np.float64):
        return np.full(size, np.nextafter(np.dtype(dtype).type(1), 0), dtype=dtype)

    def uniform(self, low=0.0, high=1.0, size=None):
        return low + (high - low) * self.random(size)


@pytest.fixture
def top_generator(monkeypatch):
    g = core.Generator()
    monkeypatch.setattr(g, "_rng", _TopBits())
    return g


@pytest.mark.parametrize("dtype", [core.float16, core.float32, core.float64])
def test_rand_never_returns_one(top_generator, dtype):
    """A float64 draw just below 1 rounds to 1.0 in float32: float32 is drawn as float32."""
    t = core.rand(4, generator=top_generator, dtype=dtype)
    assert t.dtype is dtype
    assert (t.numpy() < 1).all() and (t.numpy() > 0.99).all()


@pytest.mark.parametrize("dtype", [core.float16, core.float32, core.float64])
def test_uniform_stays_in_low_high(top_generator, dtype):
    t = core.empty(5, dtype=dtype).uniform_(-2.0, 3.0, generator=top_generator)
    assert (t.numpy() < 3.0).all() and (t.numpy() > 2.9).all()


def test_uniform_on_a_narrow_float32_interval_never_reaches_high():
    high = float(np.nextafter(np.float32(1), np.float32(2)))  # the next float32 after 1
    t = core.empty(10_000).uniform_(1.0, high)
    assert (t.numpy() == 1.0).all()  # scaled draws round up to high half of the time


def test_float64_rand_keeps_double_precision():
    t = core.rand(1000, dtype=core.float64).numpy()
    assert (t.astype(np.float32).astype(np.float64) != t).any()
    assert ((t >= 0) & (t < 1)).all()


# -- Generator -----------------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:0", core.device("cuda")])
def test_generator_keeps_its_device(spec):
    g = core.Generator(spec)
    assert g.device == core.device(spec) and isinstance(g.device, core.device)


def test_generator_rejects_an_unknown_device():
    with pytest.raises(ValueError, match="tpu"):
        core.Generator("tpu")


def test_generator_device_defaults_to_cpu():
    assert core.Generator().device == "cpu"
    assert core.default_generator.device == "cpu"


# -- randint call forms (PyTorch's) ------------------------------------------------------
@pytest.mark.parametrize(
    "call, low, high",
    [
        (lambda: core.randint(5, (300,)), 0, 5),
        (lambda: core.randint(2, 5, (300,)), 2, 5),
        (lambda: core.randint(5, size=(300,)), 0, 5),
        (lambda: core.randint(high=5, size=(300,)), 0, 5),
        (lambda: core.randint(low=2, high=5, size=(300,)), 2, 5),
        (lambda: core.randint(2, high=5, size=[300]), 2, 5),
        (lambda: core.randint(-3, 0, size=(300,)), -3, 0),
    ],
    ids=["high_size", "low_high_size", "size_kw", "high_size_kw", "all_kw", "mixed", "negative"],
)
def test_randint_call_forms(call, low, high):
    t = call()
    assert t.shape == (300,) and t.dtype is core.int64
    assert set(t.tolist()) == set(range(low, high))


def test_randint_forms_draw_the_same_numbers():
    core.manual_seed(3)
    a = core.randint(5, (20,)).tolist()
    core.manual_seed(3)
    assert core.randint(low=0, high=5, size=(20,)).tolist() == a
    core.manual_seed(3)
    assert core.randint(0, 5, size=(20,)).tolist() == a


def test_randint_with_an_empty_size_is_0d():
    t = core.randint(low=1, high=3, size=())
    assert t.shape == () and t.item() in (1, 2)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: core.randint(5), TypeError, r"invalid combination of arguments - got \(int\)"),
        (lambda: core.randint(1, 2, 3, 4), TypeError, r"got \(int, int, int, int\)"),
        (
            lambda: core.randint(2, 5),
            TypeError,
            r"argument 'size' \(position 2\) must be tuple of ints, not int",
        ),
        (lambda: core.randint(5, size=3), TypeError, "argument 'size' must be tuple of ints"),
        (
            lambda: core.randint(2.5, (3,)),
            TypeError,
            r"argument 'high' \(position 1\) must be int, not float",
        ),
        (lambda: core.randint(low=2, size=(3,)), TypeError, 'missing 1 required.*"high"'),
        (lambda: core.randint(5, (3,), seed=1), TypeError, "unexpected keyword argument 'seed'"),
        (lambda: core.randint(2, low=1, size=(3,)), TypeError, "multiple values for argument"),
        (
            lambda: core.randint(5, 2, (3,)),
            RuntimeError,
            "random_ expects 'from' to be less than 'to', but got from=5 >= to=2",
        ),
        (lambda: core.randint(-1, (3,)), RuntimeError, "but got from=0 >= to=-1"),
        (lambda: core.randint(5, (3,), dtype=core.bool), RuntimeError, "to - 1 is out of bounds"),
        (
            lambda: core.randint(-3, 5, (3,), dtype=core.uint8),
            RuntimeError,
            "from is out of bounds for uint8",
        ),
    ],
)
def test_randint_errors_follow_torch(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_randint_can_fill_the_whole_range_of_its_dtype():
    core.manual_seed(0)
    t = core.randint(0, 256, (2000,), dtype=core.uint8)
    assert t.dtype is core.uint8 and t.numpy().max() == 255
