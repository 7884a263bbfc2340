"""Tensor: attributes, conversions, operators, indexing and in-place rules (PyTorch's)."""

import numpy as np
import pytest

import core

# -- dtype of new tensors ------------------------------------------------------------


def test_python_floats_give_float32():
    assert core.tensor([1.0, 2.0]).dtype is core.float32


def test_python_float_scalar_gives_float32():
    assert core.tensor(2.5).dtype is core.float32


def test_python_ints_give_int64():
    assert core.tensor([1, 2]).dtype is core.int64


def test_python_bools_give_bool():
    assert core.tensor([True, False]).dtype is core.bool


def test_mixed_int_and_float_list_gives_float32():
    t = core.tensor([1, 2.5])
    assert t.dtype is core.float32
    assert t.tolist() == [1.0, 2.5]


def test_float64_numpy_array_keeps_float64():
    assert core.tensor(np.array([1.0, 2.0])).dtype is core.float64


def test_float32_and_int32_numpy_arrays_keep_their_dtype():
    assert core.tensor(np.zeros(2, np.float32)).dtype is core.float32
    assert core.tensor(np.zeros(2, np.int32)).dtype is core.int32


def test_explicit_dtype_overrides_the_inferred_one():
    t = core.tensor([1, 2], dtype=core.float64)
    assert t.dtype is core.float64
    assert t.tolist() == [1.0, 2.0]


def test_tensor_copies_its_numpy_source():
    a = np.array([1.0, 2.0])
    t = core.tensor(a)
    a[0] = 99.0
    assert t.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "data",
    [[1.0, 2.0], 3.5, [1, 2], 7, [True], [1, 2.5], np.array([1.0]), np.array([1], np.int32)],
    ids=["floats", "float", "ints", "int", "bools", "mixed", "np_f64", "np_i32"],
)
def test_inferred_dtype_matches_torch(data):
    torch = pytest.importorskip("torch")
    assert core.tensor(data).dtype.name == str(torch.tensor(data).dtype).removeprefix("torch.")


# -- shape ---------------------------------------------------------------------------


def test_shape_ndim_dim_and_numel():
    t = core.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3
    assert t.dim() == 3
    assert t.numel() == 24


def test_size_without_dim_is_the_shape_and_with_dim_one_extent():
    t = core.zeros(2, 3)
    assert t.size() == (2, 3)
    assert t.size(0) == 2
    assert t.size(-1) == 3


def test_size_of_a_dim_out_of_range_raises_index_error():
    with pytest.raises(IndexError, match="Dimension out of range"):
        core.zeros(2, 3).size(2)


def test_scalar_tensor_has_empty_shape_and_one_element():
    t = core.tensor(3.0)
    assert t.shape == ()
    assert t.ndim == 0
    assert t.numel() == 1


def test_len_is_the_first_extent_and_fails_on_a_scalar():
    assert len(core.zeros(4, 2)) == 4
    with pytest.raises(TypeError, match="0-d"):
        len(core.tensor(1.0))


# -- device and autograd attributes --------------------------------------------------


def test_default_device_is_cpu():
    t = core.zeros(2)
    assert t.device == "cpu"
    assert t.device == core.device("cpu")
    assert t.device.type == "cpu"
    assert not t.is_cuda


def test_new_tensor_is_a_leaf_without_grad():
    t = core.tensor([1.0])
    assert not t.requires_grad
    assert t.grad is None
    assert t.grad_fn is None
    assert t.is_leaf


def test_requires_grad_tensor_is_a_leaf():
    t = core.tensor([1.0], requires_grad=True)
    assert t.requires_grad
    assert t.is_leaf
    assert t.grad_fn is None


def test_op_result_on_a_grad_tensor_has_a_grad_fn_and_is_not_a_leaf():
    x = core.tensor([1.0], requires_grad=True)
    y = x * 2
    assert y.requires_grad
    assert y.grad_fn is not None
    assert not y.is_leaf


def test_op_on_tensors_without_grad_builds_no_graph():
    y = core.tensor([1.0]) * core.tensor([2.0])
    assert not y.requires_grad
    assert y.grad_fn is None
    assert y.is_leaf


def test_requires_grad_on_an_integer_tensor_raises():
    with pytest.raises(RuntimeError, match="floating point"):
        core.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        core.tensor([1, 2], requires_grad=True)


def test_requires_grad_underscore_sets_the_flag_and_returns_self():
    t = core.tensor([1.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad


def test_requires_grad_property_can_be_assigned():
    t = core.tensor([1.0])
    t.requires_grad = True
    assert t.requires_grad


def test_turning_off_requires_grad_of_a_non_leaf_raises():
    y = core.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# -- conversions ---------------------------------------------------------------------


def test_item_returns_a_python_number():
    f = core.tensor([2.5]).item()
    i = core.tensor(3).item()
    assert f == 2.5 and type(f) is float
    assert i == 3 and type(i) is int


def test_item_of_a_multi_element_tensor_raises():
    with pytest.raises(RuntimeError, match="2 elements"):
        core.tensor([1.0, 2.0]).item()


def test_numpy_shares_memory_with_a_cpu_tensor():
    t = core.tensor([1.0, 2.0])
    a = t.numpy()
    a[0] = 7.0
    assert t.tolist() == [7.0, 2.0]
    t.add_(1)
    assert a.tolist() == [8.0, 3.0]


def test_numpy_of_a_tensor_that_requires_grad_raises_and_suggests_detach():
    t = core.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0]


def test_tolist_gives_nested_python_lists():
    assert core.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert core.tensor(5.0).tolist() == 5.0


def test_detach_shares_data_and_has_no_grad():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    d = x.detach()
    assert not d.requires_grad
    assert d.is_leaf
    d[0] = 5.0
    assert x.tolist() == [5.0, 2.0]


def test_clone_copies_the_data():
    t = core.tensor([1.0, 2.0])
    c = t.clone()
    c[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    assert c.tolist() == [5.0, 2.0]


def test_clone_passes_the_gradient_through():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.grad_fn is not None
    (c * core.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_to_dtype_converts_values():
    t = core.tensor([1.7, -1.7])
    assert t.to(core.int64).tolist() == [1, -1]
    assert t.to(core.float64).dtype is core.float64


def test_to_the_same_dtype_or_device_returns_the_tensor_itself():
    t = core.tensor([1.0])
    assert t.to(core.float32) is t
    assert t.to("cpu") is t
    assert t.cpu() is t


def test_to_another_tensor_takes_its_dtype_and_device():
    t = core.tensor([1.5])
    other = core.tensor([1], dtype=core.int32)
    out = t.to(other)
    assert out.dtype is core.int32
    assert out.device == other.device


def test_to_device_and_dtype_together():
    out = core.tensor([1.0]).to("cpu", core.float64)
    assert out.dtype is core.float64
    assert out.device == "cpu"


def test_to_dtype_returns_gradient_in_the_source_dtype():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype is core.float32
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize(
    "method, dtype",
    [
        ("float", "float32"),
        ("double", "float64"),
        ("long", "int64"),
        ("int", "int32"),
        ("bool", "bool"),
    ],
)
def test_dtype_shortcut_methods(method, dtype):
    t = getattr(core.tensor([0.0, 2.0]), method)()
    assert t.dtype.name == dtype
    assert t.tolist() == ([False, True] if dtype == "bool" else [0, 2])


def test_zero_fills_in_place_and_returns_self():
    t = core.tensor([1.0, 2.0])
    assert t.zero_() is t
    assert t.tolist() == [0.0, 0.0]


# -- repr ----------------------------------------------------------------------------


def test_repr_of_whole_floats_reads_like_torch():
    assert repr(core.tensor([1.0, 2.0])) == "tensor([1., 2.])"


def test_repr_of_fractional_floats_uses_four_decimals_like_torch():
    assert repr(core.tensor([0.5, 1.0])) == "tensor([0.5000, 1.0000])"
    assert repr(core.tensor(3.5)) == "tensor(3.5000)"


def test_repr_of_integers_and_bools():
    assert repr(core.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(core.tensor([True, False])) == "tensor([ True, False])"


def test_repr_shows_a_non_default_dtype():
    assert repr(core.tensor([1.0], dtype=core.float64)) == "tensor([1.], dtype=core.float64)"
    assert repr(core.tensor([1], dtype=core.int32)) == "tensor([1], dtype=core.int32)"


def test_repr_shows_requires_grad_on_a_leaf_and_grad_fn_on_a_result():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    r = repr(x * 2)
    assert r.startswith("tensor([2., 4.], grad_fn=<Mul")
    assert "requires_grad" not in r


def test_repr_of_a_matrix_aligns_rows_like_torch():
    assert repr(core.tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"


@pytest.mark.parametrize(
    "data", [[1.0, 2.0], [0.5, 1.0], 3.5, [1, 2], [[1.0, 2.0], [3.0, 4.0]], [-1.25, 2.0]]
)
def test_repr_matches_torch(data):
    torch = pytest.importorskip("torch")
    assert repr(core.tensor(data)) == repr(torch.tensor(data))


# -- arithmetic operators --------------------------------------------------------------


def test_binary_operators_compute_elementwise_values():
    a, b = core.tensor([1.0, 4.0]), core.tensor([2.0, 8.0])
    assert (a + b).tolist() == [3.0, 12.0]
    assert (a - b).tolist() == [-1.0, -4.0]
    assert (a * b).tolist() == [2.0, 32.0]
    assert (a / b).tolist() == [0.5, 0.5]
    assert (a**b).tolist() == [1.0, 65536.0]
    assert (-a).tolist() == [-1.0, -4.0]


def test_matmul_operator():
    m = core.tensor([[1.0, 2.0], [3.0, 4.0]])
    v = core.tensor([1.0, 1.0])
    assert (m @ v).tolist() == [3.0, 7.0]
    assert (m @ m).tolist() == [[7.0, 10.0], [15.0, 22.0]]


def test_reflected_operators_with_python_scalars():
    t = core.tensor([1.0, 2.0])
    assert (1 + t).tolist() == [2.0, 3.0]
    assert (1 - t).tolist() == [0.0, -1.0]
    assert (3 * t).tolist() == [3.0, 6.0]
    assert (2 / t).tolist() == [2.0, 1.0]
    assert (2**t).tolist() == [2.0, 4.0]


def test_reflected_operators_with_numpy_arrays_give_tensors():
    t = core.tensor([1.0, 2.0])
    a = np.array([4.0, 8.0], dtype=np.float32)
    for out, expected in [
        (a + t, [5.0, 10.0]),
        (a - t, [3.0, 6.0]),
        (a * t, [4.0, 16.0]),
        (a / t, [4.0, 4.0]),
    ]:
        assert isinstance(out, core.Tensor)
        assert out.tolist() == expected


def test_numpy_array_on_the_left_keeps_the_graph():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = np.ones(2) * x
    assert isinstance(y, core.Tensor)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_numpy_matrix_at_tensor_gives_a_tensor():
    out = np.eye(2, dtype=np.float32) @ core.tensor([3.0, 4.0])
    assert isinstance(out, core.Tensor)
    assert out.tolist() == [3.0, 4.0]


def test_numpy_scalar_on_the_left_gives_a_float32_tensor():
    out = np.float32(2.0) * core.tensor([1.0, 2.0])
    assert isinstance(out, core.Tensor)
    assert out.dtype is core.float32
    assert out.tolist() == [2.0, 4.0]


def test_comparisons_give_bool_tensors_without_grad():
    x = core.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for out, expected in [
        (x > 2, [False, False, True]),
        (x >= 2, [False, True, True]),
        (x < 2, [True, False, False]),
        (x <= 2, [True, True, False]),
        (x == 2, [False, True, False]),
        (x != 2, [True, False, True]),
    ]:
        assert out.dtype is core.bool
        assert not out.requires_grad
        assert out.grad_fn is None
        assert out.tolist() == expected


def test_comparison_with_a_numpy_array_on_the_left_gives_a_tensor():
    out = np.array([1.0, 5.0]) < core.tensor([2.0, 2.0])
    assert isinstance(out, core.Tensor)
    assert out.tolist() == [True, False]


# -- dtype promotion -------------------------------------------------------------------


def test_int_tensor_divided_by_int_tensor_is_float32():
    out = core.tensor([1, 2]) / core.tensor([2, 2])
    assert out.dtype is core.float32
    assert out.tolist() == [0.5, 1.0]


def test_int_tensor_plus_python_float_is_float32():
    out = core.tensor([1, 2]) + 2.5
    assert out.dtype is core.float32
    assert out.tolist() == [3.5, 4.5]


def test_int_tensor_times_python_int_stays_int64():
    out = core.tensor([1, 2]) * 3
    assert out.dtype is core.int64
    assert out.tolist() == [3, 6]


def test_float32_plus_float64_tensor_is_float64():
    out = core.tensor([1.0]) + core.tensor([2.0], dtype=core.float64)
    assert out.dtype is core.float64


def test_float32_tensor_times_python_float_stays_float32():
    assert (core.tensor([1.0]) * 2.5).dtype is core.float32
    assert (2.5 * core.tensor([1.0])).dtype is core.float32


def test_int_tensor_plus_float32_tensor_is_float32():
    assert (core.tensor([1]) + core.tensor([0.5])).dtype is core.float32


def test_bool_tensor_plus_python_int_is_int64():
    out = core.tensor([True, False]) + 1
    assert out.dtype is core.int64
    assert out.tolist() == [2, 1]


def test_int_tensor_to_a_float_power_is_float32():
    out = core.tensor([1, 4]) ** 0.5
    assert out.dtype is core.float32
    assert out.tolist() == [1.0, 2.0]


def test_python_float_to_an_int_tensor_power_is_float32():
    out = 2.0 ** core.tensor([1, 4])
    assert out.dtype is core.float32
    assert out.tolist() == [2.0, 16.0]


_PROMOTIONS = [
    ("int/int", lambda lib: lib.tensor([1, 2]) / lib.tensor([2, 2])),
    ("int+float", lambda lib: lib.tensor([1, 2]) + 2.5),
    ("float+int", lambda lib: 2.5 + lib.tensor([1, 2])),
    ("int*int", lambda lib: lib.tensor([1, 2]) * 3),
    ("f32+f64", lambda lib: lib.tensor([1.0]) + lib.tensor([2.0], dtype=lib.float64)),
    ("f32*float", lambda lib: lib.tensor([1.0]) * 2.5),
    ("f64*float", lambda lib: lib.tensor([1.0], dtype=lib.float64) * 2.5),
    ("int+f32", lambda lib: lib.tensor([1]) + lib.tensor([0.5])),
    ("bool+int", lambda lib: lib.tensor([True]) + 1),
    ("i32+i64", lambda lib: lib.tensor([1], dtype=lib.int32) + lib.tensor([1])),
    ("i32*int", lambda lib: lib.tensor([1], dtype=lib.int32) * 2),
    ("int**float", lambda lib: lib.tensor([1, 4]) ** 0.5),
    ("float**int_t", lambda lib: 2.0 ** lib.tensor([1, 4])),
    ("int**int", lambda lib: lib.tensor([1, 4]) ** 2),
    ("int-int_t", lambda lib: 5 - lib.tensor([1, 4])),
]


@pytest.mark.parametrize("fn", [f for _, f in _PROMOTIONS], ids=[n for n, _ in _PROMOTIONS])
def test_result_dtype_and_values_match_torch(fn):
    torch = pytest.importorskip("torch")
    ours, theirs = fn(core), fn(torch)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


# -- indexing ------------------------------------------------------------------------


@pytest.fixture
def m():
    """A 3x4 float matrix 0..11."""
    return core.arange(12.0).reshape(3, 4)


def test_integer_index_drops_a_dim(m):
    assert m[1].tolist() == [4.0, 5.0, 6.0, 7.0]
    assert m[1, 2].item() == 6.0
    assert m[-1, -1].item() == 11.0


def test_slice_index(m):
    assert m[1:, ::2].tolist() == [[4.0, 6.0], [8.0, 10.0]]


def test_none_adds_a_dim(m):
    assert m[None].shape == (1, 3, 4)
    assert m[:, None].shape == (3, 1, 4)


def test_ellipsis(m):
    assert m[..., 0].tolist() == [0.0, 4.0, 8.0]
    assert m[...].shape == (3, 4)


def test_boolean_mask_index(m):
    assert m[m > 8].tolist() == [9.0, 10.0, 11.0]
    row_mask = core.tensor([True, False, True])
    assert m[row_mask].shape == (2, 4)


def test_integer_list_and_tensor_index(m):
    assert m[[2, 0]].tolist() == [[8.0, 9.0, 10.0, 11.0], [0.0, 1.0, 2.0, 3.0]]
    assert m[core.tensor([2, 0])].tolist() == m[[2, 0]].tolist()
    assert m[[0, 2], [1, 3]].tolist() == [1.0, 11.0]


def test_zero_dim_integer_tensor_index(m):
    assert m[core.tensor(1)].tolist() == [4.0, 5.0, 6.0, 7.0]


def test_index_out_of_range_raises_index_error_with_the_shape(m):
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        m[5]


def test_gradient_of_an_index_scatters_into_the_source():
    x = core.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    (x[1:3] * core.tensor([5.0, 7.0])).sum().backward()
    assert x.grad.tolist() == [0.0, 5.0, 7.0, 0.0]


def test_repeated_integer_indices_accumulate_gradients():
    x = core.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[[0, 0, 2, 0]] * core.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [7.0, 0.0, 3.0]


def test_repeated_tensor_indices_accumulate_gradients_like_torch():
    torch = pytest.importorskip("torch")
    idx = [[0, 1, 1], [2, 2, 2]]
    w = np.arange(6.0).reshape(2, 3) + 1
    x = core.tensor(np.ones((3, 2)), requires_grad=True)
    tx = torch.tensor(np.ones((3, 2)), requires_grad=True)
    (x[core.tensor(idx)][..., 0] * core.tensor(w)).sum().backward()
    (tx[torch.tensor(idx)][..., 0] * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_boolean_mask_gradient():
    x = core.tensor([1.0, -2.0, 3.0], requires_grad=True)
    x[x > 0].sum().backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]


# -- __setitem__ ---------------------------------------------------------------------


def test_setitem_with_a_scalar():
    t = core.zeros(3)
    t[1] = 5.0
    assert t.tolist() == [0.0, 5.0, 0.0]


def test_setitem_with_a_tensor():
    t = core.zeros(4)
    t[1:3] = core.tensor([7.0, 8.0])
    assert t.tolist() == [0.0, 7.0, 8.0, 0.0]


def test_setitem_broadcasts_the_value():
    t = core.zeros(2, 3)
    t[:] = core.tensor([1.0, 2.0, 3.0])
    t[:, 0] = 9.0
    assert t.tolist() == [[9.0, 2.0, 3.0], [9.0, 2.0, 3.0]]


def test_setitem_with_a_boolean_mask():
    t = core.tensor([1.0, -2.0, 3.0, -4.0])
    t[t < 0] = 0.0
    assert t.tolist() == [1.0, 0.0, 3.0, 0.0]


def test_setitem_writes_in_place():
    a = np.zeros(3, np.float32)
    t = core.from_numpy(a)
    t[0] = 1.0
    assert a.tolist() == [1.0, 0.0, 0.0]


def test_setitem_on_a_leaf_that_requires_grad_raises():
    w = core.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*in-place"):
        w[0] = 1.0


def test_setitem_on_a_leaf_that_requires_grad_is_allowed_under_no_grad():
    w = core.zeros(3, requires_grad=True)
    view = w.detach()
    with core.no_grad():
        w[1] = 4.0
    assert w.tolist() == [0.0, 4.0, 0.0]
    assert view.tolist() == [0.0, 4.0, 0.0]  # written in place, like torch
    assert w.is_leaf and w.requires_grad


def test_setitem_under_no_grad_is_visible_through_a_slice_view():
    w = core.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    row = w[0]
    with core.no_grad():
        w[0, 1] = 9.0
    assert row.tolist() == [1.0, 9.0]


def test_setitem_into_a_graph_gives_gradients_to_target_and_value():
    x = core.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = core.tensor(5.0, requires_grad=True)
    y = x * 2
    y[1] = v * 3
    assert y.tolist() == [2.0, 15.0, 6.0]
    (y * core.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 200.0]
    assert v.grad.item() == 30.0


def test_setitem_with_a_broadcast_value_sums_its_gradient():
    y = core.zeros(2, 3)
    v = core.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y[:] = v
    (y * core.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])).sum().backward()
    assert v.grad.tolist() == [5.0, 7.0, 9.0]


def test_setitem_of_a_grad_value_into_a_plain_tensor_joins_the_graph():
    t = core.zeros(3)
    v = core.tensor([2.0], requires_grad=True)
    t[0:1] = v
    assert t.requires_grad
    (t * 3).sum().backward()
    assert v.grad.tolist() == [3.0]


def test_setitem_gradients_match_torch():
    torch = pytest.importorskip("torch")
    w = np.arange(12.0).reshape(3, 4)
    results = []
    for lib in (core, torch):
        x = lib.tensor(np.ones((3, 4)), requires_grad=True)
        v = lib.tensor(np.full((4,), 2.0), requires_grad=True)
        y = x * 1
        y[y.detach() > 0] = 0.5 * y[y.detach() > 0]
        y[1] = v * v
        (y * lib.tensor(w)).sum().backward()
        results.append((x.grad.numpy().copy(), v.grad.numpy().copy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


# -- in-place ops --------------------------------------------------------------------


@pytest.mark.parametrize(
    "op",
    [
        lambda w: w.add_(1),
        lambda w: w.sub_(1),
        lambda w: w.mul_(2),
        lambda w: w.div_(2),
        lambda w: w.zero_(),
        lambda w: w.fill_(3.0),
        lambda w: w.clamp_(0, 1),
    ],
    ids=["add_", "sub_", "mul_", "div_", "zero_", "fill_", "clamp_"],
)
def test_in_place_op_on_a_leaf_that_requires_grad_raises(op):
    w = core.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*in-place"):
        op(w)


def test_augmented_assignment_on_a_leaf_that_requires_grad_raises():
    w = core.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1


def test_in_place_op_returns_self_and_writes_into_the_buffer():
    a = np.ones(2, np.float32)
    t = core.from_numpy(a)
    assert t.mul_(3) is t
    t.add_(core.tensor([1.0, 2.0]), alpha=2)
    assert a.tolist() == [5.0, 7.0]


def test_in_place_op_on_a_non_leaf_keeps_gradients_correct():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1)
    assert y.tolist() == [3.0, 5.0]
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_chained_in_place_ops_on_a_non_leaf_give_the_chain_rule():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.mul_(y)  # (2x)^2 -> 8x
    y.sub_(x)  # 4x^2 - x -> 8x - 1
    y.sum().backward()
    assert x.grad.tolist() == [7.0, 15.0]


def test_in_place_op_on_a_value_saved_for_backward_is_refused_at_backward():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y = 2x
    y.add_(100)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_in_place_op_with_a_grad_operand_puts_a_plain_tensor_in_the_graph():
    t = core.ones(2)
    v = core.tensor([2.0, 3.0], requires_grad=True)
    t.mul_(v)
    assert t.requires_grad and not t.is_leaf
    t.sum().backward()
    assert v.grad.tolist() == [1.0, 1.0]


def test_in_place_op_whose_result_cannot_be_cast_back_raises():
    t = core.tensor([1, 2])
    with pytest.raises(RuntimeError, match="result type float32 can't be cast.*int64"):
        t.add_(1.5)
    assert t.tolist() == [1, 2]


def test_in_place_op_keeps_the_dtype_of_a_non_leaf():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(core.tensor([1.0, 1.0], dtype=core.float64))
    assert y.dtype is core.float32
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_in_place_op_that_would_broadcast_the_target_raises_with_both_shapes():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"\[2\].*\[3, 2\]"):
        y.add_(core.ones(3, 2))
    with pytest.raises(RuntimeError, match=r"\[2\].*\[3, 2\]"):
        core.zeros(2).mul_(core.ones(3, 2))


def test_copy_casts_and_broadcasts_into_the_target():
    t = core.zeros(2, 2, dtype=core.int64)
    t.copy_(core.tensor([1.7, 2.2]))
    assert t.tolist() == [[1, 2], [1, 2]]


def test_optimizer_update_under_no_grad_keeps_a_leaf_parameter():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    before = w
    with core.no_grad():
        w -= 0.25 * w.grad
    assert w is before
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    assert w.tolist() == [0.5, 1.0]


def test_optimizer_update_through_data_keeps_a_leaf_parameter():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w.data -= 0.25 * w.grad
    assert w.tolist() == [0.5, 1.0]
    assert w.is_leaf and w.requires_grad


def test_data_is_a_detached_view_of_the_tensor():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad
    d.mul_(10)
    assert w.tolist() == [10.0, 20.0]


def test_assigning_data_replaces_the_values_but_keeps_the_leaf():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    w.data = core.tensor([5.0, 6.0])
    assert w.tolist() == [5.0, 6.0]
    assert w.requires_grad and w.is_leaf


def test_a_0d_float64_tensor_does_not_promote_a_float32_tensor():
    x = core.ones(3)
    s = core.tensor(2.0, dtype=core.float64)
    assert (x * s).dtype == core.float32
    assert (s + x).dtype == core.float32
    assert (core.ones(3, dtype=core.float64) * core.tensor(2.0)).dtype == core.float64


# -- reductions: empty tensors, degrees of freedom, dtypes ---------------------------------
@pytest.mark.parametrize(
    "reduce",
    [
        lambda t: t.amax(1),
        lambda t: t.max(1).values,
        lambda t: t.min(dim=1).values,
        lambda t: t.amax((1,), keepdim=True),
    ],
    ids=["amax", "max_dim", "min_dim", "amax_keepdim"],
)
def test_max_min_over_a_non_empty_dim_of_an_empty_tensor(reduce):
    x = core.zeros(0, 3, requires_grad=True)
    out = reduce(x)
    assert out.shape[0] == 0 and out.numel() == 0
    out.sum().backward()
    assert x.grad.shape == (0, 3)


def test_max_indices_over_a_non_empty_dim_of_an_empty_tensor():
    values, indices = core.zeros(0, 3).max(1)
    assert values.shape == (0,) and indices.shape == (0,) and indices.dtype is core.int64


@pytest.mark.parametrize(
    "reduce",
    [lambda t: t.amax(0), lambda t: t.max(0), lambda t: t.min(), lambda t: t.amax((0, 1))],
    ids=["amax0", "max0", "min_all", "amax_all"],
)
def test_max_min_over_an_empty_dim_raises(reduce):
    with pytest.raises(RuntimeError, match=r"dim 0 of size 0.*\(0, 3\)"):
        reduce(core.zeros(0, 3))


@pytest.mark.parametrize(
    "values, correction", [([1.0, 2.0], 3), ([1.0, 2.0], 2), ([1.0, 1.0], 3), ([1.0, 1.0], 2)]
)
def test_var_and_std_without_degrees_of_freedom_match_torch(values, correction):
    torch = pytest.importorskip("torch")
    import warnings

    for name in ("var", "std"):
        x, t = core.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no numpy warning on the way
            out = getattr(x, name)(correction=correction)
            out.backward()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about the degrees of freedom
            expected = getattr(t, name)(correction=correction)
            expected.backward()
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_var_of_an_empty_tensor_is_nan_like_torch():
    assert np.isnan(core.zeros(0).var().item())
    assert np.isnan(core.zeros(0, 3).var(0).numpy()).all()
    assert core.zeros(0, 3).var(1).shape == (0,)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("values", [[1, 2, 4], [True, False]], ids=["int", "bool"])
def test_var_and_std_of_integer_tensors_raise(name, values):
    with pytest.raises(RuntimeError, match="floating point.*got (int64|bool)"):
        getattr(core.tensor(values), name)()


def test_setitem_without_grad_drops_leading_unit_dims_of_the_value_like_pytorch():
    t = core.zeros(2, 3)
    t[0] = core.ones(1, 3)
    t[1, 2] = core.tensor([5.0])
    assert t.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 5.0]]
    with pytest.raises(RuntimeError, match="shape mismatch"):
        t[0] = core.ones(2, 3)
