"""PyTorch parity: dtypes of float math and of mixed operands, contiguity, in-place
operators, errors and warnings, constructors, and the smaller API (new_*, as_tensor,
rng state, inference_mode) — each checked against torch where torch is installed."""

import warnings

import numpy as np
import pytest

import core
import core.nn.functional as F

torch = pytest.importorskip("torch")


def both(fn):
    """fn(core) and fn(torch)."""
    return fn(core), fn(torch)


def assert_same(ours, theirs) -> None:
    """Same dtype (by name), shape and values."""
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(
        ours.detach().numpy().astype(np.float64),
        theirs.detach().numpy().astype(np.float64),
        rtol=1e-6,
        atol=1e-7,
    )


def raised(fn):
    """The exception fn raises (None if it returns)."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - comparing what each library raises
        return exc
    return None


# -- 1. float math on integer and bool tensors gives float32 ----------------------------
UNARY_FLOAT = ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid"]
UNARY_FLOAT += ["log1p", "expm1", "erf"]


@pytest.mark.parametrize("name", UNARY_FLOAT)
@pytest.mark.parametrize("data", [[1, 2, 3], [True, False, True]], ids=["int64", "bool"])
def test_float_math_of_integer_and_bool_tensors_is_float32(name, data):
    ours, theirs = both(lambda lib: getattr(lib, name)(lib.tensor(data)))
    assert ours.dtype is core.float32
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_functional_sigmoid_and_tanh_of_integers_are_float32(name):
    ours = getattr(F, name)(core.tensor([1, 2], dtype=core.int32))
    theirs = getattr(torch.nn.functional, name)(torch.tensor([1, 2], dtype=torch.int32))
    assert_same(ours, theirs)


# -- 2. contiguity and copies ----------------------------------------------------------
VIEWS = {
    "plain": lambda x: x,
    "transposed": lambda x: x.t(),
    "strided": lambda x: x[:, ::2],
    "expanded": lambda x: x[:1].expand(3, 4),
    "column": lambda x: x[:, 1:2],
    "permuted_3d": lambda x: x.reshape(3, 2, 2).permute(2, 0, 1),
}


@pytest.mark.parametrize("view", VIEWS.values(), ids=VIEWS.keys())
def test_is_contiguous_matches_torch(view):
    ours, theirs = both(lambda lib: view(lib.arange(12.0).reshape(3, 4)))
    assert ours.is_contiguous() == theirs.is_contiguous()
    assert ours.contiguous().is_contiguous()
    assert_same(ours.contiguous(), theirs.contiguous())


def test_contiguous_returns_self_only_when_already_contiguous():
    x = core.ones(3, 4)
    assert x.contiguous() is x
    t = x.t()
    c = t.contiguous()
    assert c is not t and c.is_contiguous()
    x[0, 0] = 5.0
    assert c[0, 0].item() == 1.0  # a copy, not a view


def test_contiguous_copy_is_differentiable():
    x = core.arange(6.0).reshape(2, 3).requires_grad_()
    (x.t().contiguous() * core.tensor([1.0, 2.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]])


def test_flip_copies():
    x = core.arange(6).reshape(2, 3)
    f = x.flip(0)
    x[0, 0] = 100
    assert f.tolist() == [[3, 4, 5], [0, 1, 2]]
    assert f.is_contiguous()


# -- 3. in-place operators -------------------------------------------------------------
INPLACE = {
    "ifloordiv": (lambda x: x.__ifloordiv__(2), [7, -3, 4]),
    "imod": (lambda x: x.__imod__(3), [7, -3, 4]),
    "ipow": (lambda x: x.__ipow__(2), [7, -3, 4]),
    "iand": (lambda x: x.__iand__(6), [7, -3, 4]),
    "ior": (lambda x: x.__ior__(8), [7, -3, 4]),
    "ixor": (lambda x: x.__ixor__(5), [7, -3, 4]),
    "ifloordiv_float": (lambda x: x.__ifloordiv__(0.5), [1.5, -2.25, 3.0]),
    "imod_float": (lambda x: x.__imod__(0.7), [1.5, -2.25, 3.0]),
    "ipow_float": (lambda x: x.__ipow__(0.5), [1.5, 2.25, 3.0]),
}


@pytest.mark.parametrize("op, data", INPLACE.values(), ids=INPLACE.keys())
def test_augmented_assignment_modifies_the_tensor_in_place(op, data):
    for lib in (core, torch):
        x = lib.tensor(data)
        alias = x
        assert op(x) is alias  # the same object: other references see the change
    ours, theirs = core.tensor(data), torch.tensor(data)
    ours_view, theirs_view = ours[1:], theirs[1:]
    op(ours), op(theirs)
    assert_same(ours, theirs)
    assert_same(ours_view, theirs_view)  # views see the new values too


def test_floor_division_by_a_float_cannot_write_into_an_integer_tensor():
    x = core.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x //= 2.5
    with pytest.raises(RuntimeError):
        t = torch.tensor([1, 2])
        t //= 2.5


def test_imod_keeps_the_autograd_history():
    def run(lib):
        x = lib.tensor([1.5, -2.25, 3.0], requires_grad=True)
        y = x * 2
        y %= 0.7
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return x.grad

    assert_same(*both(run))


def test_new_in_place_methods_match_torch():
    for name, args in [("tanh_", ()), ("sigmoid_", ()), ("abs_", ()), ("round_", ())]:
        ours, theirs = core.tensor([-1.5, 0.25, 2.0]), torch.tensor([-1.5, 0.25, 2.0])
        assert getattr(ours, name)(*args) is ours
        getattr(theirs, name)(*args)
        assert_same(ours, theirs)


def test_scatter_in_place_builds_a_one_hot():
    labels = [2, 0, 1]
    ours, theirs = both(
        lambda lib: lib.zeros(3, 4).scatter_(1, lib.tensor(labels).unsqueeze(1), 1.0)
    )
    assert_same(ours, theirs)


def test_float_in_place_math_on_an_integer_tensor_raises_like_torch():
    with pytest.raises(RuntimeError, match="can't be cast"):
        core.tensor([1, 2]).tanh_()
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.tensor([1, 2]).tanh_()


# -- 4. type promotion -----------------------------------------------------------------
PROMOTION = {
    "cat_f32_i64": lambda lib: lib.cat([lib.ones(2), lib.ones(2, dtype=lib.int64)]),
    "stack_0d": lambda lib: lib.stack([lib.tensor(1.5), lib.tensor(2)]),
    "stack_f16_f32": lambda lib: lib.stack(
        [lib.ones(2, dtype=lib.float16), lib.ones(2, dtype=lib.float32)]
    ),
    "maximum": lambda lib: lib.maximum(lib.ones(2) * 0.5, lib.tensor([0, 3])),
    "minimum": lambda lib: lib.minimum(lib.tensor([0, 3]), lib.ones(2) * 0.5),
    "where": lambda lib: lib.where(lib.tensor([True, False]), lib.ones(2), lib.tensor([4, 5])),
    "where_scalar": lambda lib: lib.where(lib.tensor([True, False]), lib.tensor([4, 5]), 2.5),
    "f16_plus_0d_f32": lambda lib: lib.ones(2, dtype=lib.float16) + lib.tensor(1.5),
    "i32_plus_0d_i64": lambda lib: lib.ones(2, dtype=lib.int32) + lib.tensor(1),
    "i32_plus_0d_f64": lambda lib: (
        lib.ones(2, dtype=lib.int32) + lib.tensor(1.5, dtype=lib.float64)
    ),
    "f32_times_0d_f64": lambda lib: lib.ones(2) * lib.tensor(1.5, dtype=lib.float64),
    "f64_plus_0d_f32": lambda lib: lib.ones(2, dtype=lib.float64) + lib.tensor(1.5),
    "0d_i32_plus_0d_f64": lambda lib: (
        lib.tensor(1, dtype=lib.int32) + lib.tensor(1.5, dtype=lib.float64)
    ),
    "0d_f16_plus_0d_f64": lambda lib: (
        lib.tensor(1.0, dtype=lib.float16) + lib.tensor(1.5, dtype=lib.float64)
    ),
    "0d_f16_plus_float": lambda lib: lib.tensor(1.0, dtype=lib.float16) + 1.5,
    "bool_plus_int": lambda lib: lib.tensor([True, False]) + 1,
    "bool_plus_0d_f64": lambda lib: lib.tensor([True, False]) + lib.tensor(1.5, dtype=lib.float64),
    "i64_plus_float": lambda lib: lib.tensor([1, 2]) + 2.5,
    "u8_plus_i8": lambda lib: (
        lib.tensor([1, 2], dtype=lib.uint8) + lib.tensor([1, 2], dtype=lib.int8)
    ),
    "i64_div_int": lambda lib: lib.tensor([1, 2]) / 2,
    "i32_div_i32": lambda lib: (
        lib.tensor([1, 2], dtype=lib.int32) / lib.tensor([2, 4], dtype=lib.int32)
    ),
    "i64_floordiv_float": lambda lib: lib.tensor([3, 7]) // 2.5,
    "i32_and_0d_i64": lambda lib: lib.tensor([6, 3], dtype=lib.int32) & lib.tensor(3),
    "i64_pow_0d_f32": lambda lib: lib.tensor([2, 3]) ** lib.tensor(0.5),
    "float_pow_i64": lambda lib: 2.0 ** lib.tensor([2, 3]),
    "clamp_int_to_floats": lambda lib: lib.arange(5).clamp(0.5, 3.5),
    "clamp_int_to_ints": lambda lib: lib.arange(5).clamp(1, 3),
    "clamp_f16": lambda lib: lib.arange(5, dtype=lib.float16).clamp(max=2.5),
}


@pytest.mark.parametrize("fn", PROMOTION.values(), ids=PROMOTION.keys())
def test_result_dtype_matches_torch(fn):
    assert_same(*both(fn))


def test_gradients_keep_each_operand_dtype_under_promotion():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        s = lib.tensor(3.0, dtype=lib.float64, requires_grad=True)
        (x * s).sum().backward()
        return x.grad, s.grad

    (gx, gs), (tx, ts) = both(run)
    assert_same(gx, tx)
    assert_same(gs, ts)


# -- 5. matmul and linear refuse mixed dtypes ---------------------------------------------
MIXED_MATMUL = {
    "f32_at_i64": lambda lib: lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.int64),
    "f32_at_f64": lambda lib: lib.ones(2, 3) @ lib.ones(3, 2, dtype=lib.float64),
    "linear_input_f64": lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3, dtype=lib.float64), lib.ones(4, 3)
    ),
    "linear_bias_f64": lambda lib: lib.nn.functional.linear(
        lib.ones(2, 3), lib.ones(4, 3), lib.ones(4, dtype=lib.float64)
    ),
}


@pytest.mark.parametrize("fn", MIXED_MATMUL.values(), ids=MIXED_MATMUL.keys())
def test_mixed_dtype_matmul_and_linear_raise(fn):
    ours, theirs = raised(lambda: fn(core)), raised(lambda: fn(torch))
    assert isinstance(theirs, RuntimeError)
    assert isinstance(ours, RuntimeError)
    assert "same dtype" in str(ours)
    assert "float32" in str(ours) and ("int64" in str(ours) or "float64" in str(ours))


# -- 6. assigned gradients ---------------------------------------------------------------
def test_assigning_a_grad_of_another_dtype_raises():
    for lib in (core, torch):
        x = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError):
            x.grad = lib.ones(2, dtype=lib.float64)
    x = core.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="float64.*float32"):
        x.grad = core.ones(2, dtype=core.float64)
    x.grad = core.full((2,), 3.0)  # the right dtype still works
    assert x.grad.tolist() == [3.0, 3.0]


# -- 7. errors and warnings ----------------------------------------------------------------
BAD_BROADCAST = {
    "add": lambda lib: lib.ones(2, 3) + lib.ones(4),
    "sub": lambda lib: lib.ones(2, 3) - lib.ones(4, 3),
    "mul": lambda lib: lib.ones(3) * lib.ones(2, 4),
    "div": lambda lib: lib.ones(2, 3, 5) / lib.ones(4, 1),
    "pow": lambda lib: lib.ones(2, 3) ** lib.ones(4, 5),
    "remainder": lambda lib: lib.ones(2, 3) % lib.ones(2),
    "maximum": lambda lib: lib.maximum(lib.ones(3), lib.ones(4)),
    "minimum": lambda lib: lib.minimum(lib.ones(3), lib.ones(4)),
    "where": lambda lib: lib.where(lib.ones(2, 3).bool(), lib.ones(2, 3), lib.ones(4)),
    "greater": lambda lib: lib.ones(2, 3) > lib.ones(4),
    "floor_divide": lambda lib: lib.ones(2, 3) // lib.ones(4),
}


@pytest.mark.parametrize("fn", BAD_BROADCAST.values(), ids=BAD_BROADCAST.keys())
def test_broadcast_mismatch_is_torch_runtime_error(fn):
    ours, theirs = raised(lambda: fn(core)), raised(lambda: fn(torch))
    assert type(ours) is RuntimeError, repr(ours)
    assert str(ours).startswith(str(theirs)), (str(ours), str(theirs))


def test_integer_to_negative_power_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="negative integer powers"):
        core.tensor([1, 2]) ** -1


SILENT = {
    "log0": lambda lib: lib.log(lib.tensor([0.0, -1.0, 1.0])),
    "div0": lambda lib: lib.tensor([1.0, 0.0, -1.0]) / 0,
    "floordiv0": lambda lib: lib.tensor([1.0, -1.0]) // 0.0,
    "remainder0": lambda lib: lib.tensor([1.0, -1.0]) % 0.0,
    "sqrt_negative": lambda lib: lib.sqrt(lib.tensor([-1.0, 4.0])),
    "rsqrt0": lambda lib: lib.rsqrt(lib.tensor([0.0, 4.0])),
    "pow0_negative": lambda lib: lib.tensor([0.0, 2.0]) ** -1.0,
    "exp_overflow": lambda lib: lib.exp(lib.tensor([100.0, 1.0])),
    "log1p_minus1": lambda lib: lib.log1p(lib.tensor([-1.0, 1.0])),
}


@pytest.mark.parametrize("fn", SILENT.values(), ids=SILENT.keys())
def test_floating_point_edge_cases_are_silent_like_torch(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = fn(core)
    assert_same(ours, fn(torch))


@pytest.mark.parametrize("name", ["sqrt", "log", "rsqrt"])
def test_gradients_at_zero_are_silent_like_torch(name):
    def run(lib):
        x = lib.tensor([0.0, 1.0], requires_grad=True)
        getattr(lib, name)(x).sum().backward()
        return x.grad

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = run(core)
    assert_same(ours, run(torch))


def test_printing_float16_tensors_is_silent_and_matches_torch():
    for values in ([0.001, 60000.0], [1.0, 2.5], [1e-7, 1.0, 65504.0]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            text = repr(core.tensor(values, dtype=core.float16))
        assert text.replace("core.", "torch.") == repr(torch.tensor(values, dtype=torch.float16))


# -- 8. factories, the legacy constructor and custom Functions --------------------------------
@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_take_size_by_keyword(name):
    assert tuple(getattr(core, name)(size=(2, 3)).shape) == (2, 3)
    assert tuple(getattr(torch, name)(size=(2, 3)).shape) == (2, 3)
    with pytest.raises(TypeError, match="multiple values"):
        getattr(core, name)(2, size=(2, 3))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size", [(2.5,), ((2, 1.0),)], ids=["float", "float_in_tuple"])
def test_factories_reject_non_integer_sizes(name, size):
    for lib in (core, torch):
        with pytest.raises(TypeError):
            getattr(lib, name)(*size)


def test_factories_accept_numpy_and_tensor_integers_as_sizes():
    assert core.zeros(np.int64(2), core.tensor(3)).shape == (2, 3)


LEGACY = {
    "int_list": lambda lib: lib.Tensor([1, 2]),
    "float_list": lambda lib: lib.Tensor([1.5, 2.0]),
    "tuple_is_data": lambda lib: lib.Tensor((2, 3)),
    "int_numpy": lambda lib: lib.Tensor(np.array([1, 2], dtype=np.int32)),
    "empty": lambda lib: lib.Tensor(),
}


@pytest.mark.parametrize("fn", LEGACY.values(), ids=LEGACY.keys())
def test_legacy_constructor_gives_float32_like_torch(fn):
    assert_same(*both(fn))


def test_legacy_constructor_with_sizes_is_uninitialized_float32():
    for lib in (core, torch):
        t = lib.Tensor(2, 3)
        assert tuple(t.shape) == (2, 3)
        assert t.dtype == lib.float32
    assert core.Tensor(4).shape == (4,)


def test_legacy_constructor_rejects_a_float_scalar():
    for lib in (core, torch):
        with pytest.raises(TypeError):
            lib.Tensor(2.5)


def test_custom_backward_may_return_extra_trailing_nones():
    def make(lib):
        class Double(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2, None, None

        x = lib.tensor([1.0, 2.0], requires_grad=True)
        Double.apply(x).sum().backward()
        return x.grad

    assert_same(*both(make))


def test_custom_backward_with_extra_non_none_gradients_still_raises():
    class Bad(core.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    x = core.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        Bad.apply(x).sum().backward()


# -- 9. the smaller API ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bitwise_and", "bitwise_or", "bitwise_xor", "floor_divide"])
def test_bitwise_and_floor_divide_functions(name):
    assert_same(*both(lambda lib: getattr(lib, name)(lib.tensor([6, 3, -7]), lib.tensor([3]))))


def test_bitwise_not():
    assert_same(*both(lambda lib: lib.bitwise_not(lib.tensor([6, 0, -7]))))


@pytest.mark.parametrize("name", ["all", "any"])
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_all_and_any_functions(name, kw):
    data = [[0.0, 1.0, 2.0], [3.0, 0.0, 0.0]]
    assert_same(*both(lambda lib: getattr(lib, name)(lib.tensor(data), **kw)))


NEW = {
    "new_zeros": lambda x: x.new_zeros(2, 3),
    "new_ones_tuple": lambda x: x.new_ones((2,)),
    "new_full": lambda x: x.new_full((2, 2), 7),
    "new_tensor": lambda x: x.new_tensor([1.5, 2.5]),
    "new_zeros_dtype": lambda x: x.new_zeros(3, dtype=x.new_tensor(1).double().dtype),
    "new_empty_shape": lambda x: x.new_empty(2, 4).new_zeros(1),
}


@pytest.mark.parametrize("fn", NEW.values(), ids=NEW.keys())
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_factories_take_the_tensor_dtype(fn, dtype):
    assert_same(*both(lambda lib: fn(lib.ones(1, dtype=getattr(lib, dtype)))))


def test_as_tensor_shares_numpy_memory_and_passes_tensors_through():
    a = np.zeros(3, dtype=np.float32)
    t = core.as_tensor(a)
    a[0] = 5.0
    assert t[0].item() == 5.0
    assert core.as_tensor(t) is t
    assert core.as_tensor(t, dtype=core.float64).dtype is core.float64
    assert_same(*both(lambda lib: lib.as_tensor([1, 2.5])))
    assert_same(*both(lambda lib: lib.as_tensor(np.array([1, 2]), dtype=lib.float32)))


def test_rng_state_round_trips():
    core.manual_seed(7)
    state = core.get_rng_state()
    assert state.dtype is core.uint8
    first = core.randn(5)
    core.randn(3)
    core.set_rng_state(state)
    assert core.randn(5).equal(first)
    with pytest.raises(RuntimeError, match="get_rng_state"):
        core.set_rng_state(core.zeros(3, dtype=core.uint8))


def test_inference_mode_disables_grad_as_context_and_decorator():
    x = core.ones(2, requires_grad=True)
    with core.inference_mode():
        assert not (x * 2).requires_grad
    with core.inference_mode(False):
        assert (x * 2).requires_grad

    @core.inference_mode
    def bare():
        return (x * 2).requires_grad

    @core.inference_mode()
    def called():
        return (x * 2).requires_grad

    assert not bare() and not called()
    assert core.is_grad_enabled()


def test_autograd_grad_with_create_graph_is_not_implemented():
    x = core.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        core.autograd.grad((x * x).sum(), x, create_graph=True)
    (g,) = core.autograd.grad((x * x).sum(), x, create_graph=False)
    assert g.tolist() == [2.0, 2.0]


def test_scatter_add_with_a_larger_src_matches_torch():
    index = [[0, 2, 2, 1], [1, 1, 0, 0]]
    assert_same(
        *both(
            lambda lib: lib.zeros(3, 4).scatter_add(
                0, lib.tensor(index), lib.arange(15.0).reshape(3, 5)
            )
        )
    )


def test_sort_descending_keeps_ties_in_index_order_like_stable_torch():
    data = [3.0, 1.0, 3.0, 2.0, 1.0, float("nan")]
    ours = core.sort(core.tensor(data), descending=True)
    theirs = torch.sort(torch.tensor(data), descending=True, stable=True)
    assert ours.indices.tolist() == theirs.indices.tolist()
    assert_same(ours.values, theirs.values)
    asc = core.sort(core.tensor(data), stable=True)
    assert asc.indices.tolist() == torch.sort(torch.tensor(data), stable=True).indices.tolist()


def test_sort_and_topk_of_integers_keep_the_dtype():
    data = [5, 1, 4, 1, 3]
    ours, theirs = both(lambda lib: lib.topk(lib.tensor(data), 3))
    assert_same(ours.values, theirs.values)
    assert ours.indices.tolist() == theirs.indices.tolist()


@pytest.mark.parametrize(
    "fn, match",
    [
        (lambda: core.topk(core.ones(3), 4), "out of range"),
        (lambda: core.gather(core.ones(3, 4), 1, core.ones(3, 4)), "int64"),
        (lambda: core.gather(core.ones(3, 4), 1, core.zeros(3, dtype=core.int64)), "dimensions"),
        (
            lambda: core.gather(core.ones(2, 4), 1, core.zeros(3, 1, dtype=core.int64)),
            "dimension 0",
        ),
        (lambda: core.gather(core.ones(3, 4), 1, core.full((3, 1), 9)), "out of range"),
        (
            lambda: core.scatter(core.ones(3), 0, core.tensor([0]), core.ones(1, dtype=core.int64)),
            "dtype",
        ),
        (lambda: core.tril(core.ones(3)), "2 dimensions"),
        (lambda: core.einsum("ij,jk->ik", core.ones(2, 3)), "operands"),
        (lambda: core.einsum("ij,jk->ik", core.ones(2, 3), core.ones(4, 2)), "size"),
        (lambda: core.einsum("ijk->i", core.ones(2, 3)), "subscripts"),
        (lambda: core.norm(core.tensor([1, 2])), "floating point"),
    ],
)
def test_new_ops_reject_bad_arguments_clearly(fn, match):
    with pytest.raises(RuntimeError, match=match):
        fn()


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc"])
def test_rounding_integers_keeps_the_dtype(name):
    assert_same(*both(lambda lib: getattr(lib, name)(lib.tensor([1, -2, 3]))))


@pytest.mark.parametrize("equation", ["ij->ji", "ii->i", "ij->ij"])
def test_einsum_never_aliases_its_input(equation):
    x = core.arange(9.0).reshape(3, 3)
    out = core.einsum(equation, x)
    before = out.tolist()
    x[...] = -1.0
    assert out.tolist() == before
    assert_same(
        core.einsum(equation, core.arange(9.0).reshape(3, 3)),
        torch.einsum(equation, torch.arange(9.0).reshape(3, 3)),
    )


# -- parity fixes: linear with a vector weight, rounding division, promotion, setitem ----
@pytest.mark.parametrize(
    "x_shape, bias_shape", [((2, 3), None), ((4, 2, 3), None), ((3,), ()), ((4, 2, 3), ())]
)
def test_linear_with_a_1d_weight_drops_the_last_dim_and_backpropagates(x_shape, bias_shape):
    rng = np.random.default_rng(0)
    xs, ws = rng.standard_normal(x_shape), rng.standard_normal(3)
    bs = None if bias_shape is None else rng.standard_normal(bias_shape)
    grads = []
    for lib in (core, torch):
        x = lib.tensor(xs, dtype=lib.float64, requires_grad=True)
        w = lib.tensor(ws, dtype=lib.float64, requires_grad=True)
        b = None if bs is None else lib.tensor(bs, dtype=lib.float64, requires_grad=True)
        y = lib.nn.functional.linear(x, w, b)
        (y * lib.arange(1.0, y.numel() + 1, dtype=lib.float64).reshape(y.shape)).sum().backward()
        grads.append((y, x.grad, w.grad) + (() if b is None else (b.grad,)))
    for ours, theirs in zip(*grads, strict=True):
        assert_same(ours, theirs)


BIG = 2**53 + 3  # float64 rounds it: only integer arithmetic keeps it exact


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize(
    "a, b",
    [
        ([7, -7, BIG, -BIG, 0, -1], 2),
        ([7, -7, BIG, -BIG, 6, -6], [2, 2, -1, 3, -4, -4]),
        ([7, -7], -2),
    ],
)
def test_div_with_a_rounding_mode_keeps_integers_exact(mode, a, b):
    def run(lib):
        other = lib.tensor(b) if isinstance(b, list) else b
        return lib.div(lib.tensor(a), other, rounding_mode=mode)

    ours, theirs = both(run)
    assert ours.dtype == core.int64 and theirs.dtype == torch.int64
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("mode", ["trunc", "floor"])
@pytest.mark.parametrize(
    "fn",
    [
        lambda lib, mode: lib.div(lib.tensor([7, -7], dtype=lib.int8), 2, rounding_mode=mode),
        lambda lib, mode: lib.div(lib.tensor([7, -7]), 2.5, rounding_mode=mode),
        lambda lib, mode: lib.div(-7, lib.tensor([2, -2]), rounding_mode=mode),
        lambda lib, mode: lib.div(lib.tensor([-7.0, 7.0, 0.0]), 0, rounding_mode=mode),
    ],
)
def test_div_with_a_rounding_mode_on_small_ints_and_mixed_operands_matches_torch(fn, mode):
    assert_same(*both(lambda lib: fn(lib, mode)))


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div_with_a_rounding_mode_on_floats_has_a_zero_gradient(mode):
    out = []
    for lib in (core, torch):
        x = lib.tensor([7.5, -7.5, 2.0], requires_grad=True)
        w = lib.tensor([2.0, 2.0, -3.0], requires_grad=True)
        y = lib.div(x, w, rounding_mode=mode)
        assert y.requires_grad
        y.sum().backward()
        out.append((y, x.grad, w.grad))
    for ours, theirs in zip(*out, strict=True):
        assert_same(ours, theirs)


def test_python_floats_and_numpy_integers_promote_as_in_torch():
    cond = [True, False]
    cases = [
        lambda lib: lib.where(lib.tensor(cond), 1.0, 0.0),
        lambda lib: lib.where(lib.tensor(cond), 1, 0.0),
        lambda lib: lib.where(lib.tensor(cond), 1, 0),
        lambda lib: lib.logsumexp(lib.tensor([1, 2, 3]), 0),
        lambda lib: lib.logsumexp(lib.tensor([[True, False]]), 1),
        lambda lib: lib.arange(np.int64(3)),
        lambda lib: lib.arange(0, np.int32(5), np.int64(2)),
        lambda lib: lib.arange(np.float32(3)),
        lambda lib: lib.full((2,), np.int64(3)),
        lambda lib: lib.full((2,), np.uint8(3)),
        lambda lib: lib.full((2,), np.float64(3)),
        lambda lib: lib.tensor(np.float32(1.5)),
        lambda lib: lib.tensor(np.int32(2)),
    ]
    for fn in cases:
        assert_same(*both(fn))


@pytest.mark.parametrize(
    "index, value_shape",
    [(0, (1, 3)), (0, (1, 1, 3)), ((0, 0), (1,)), ((0, 0), (1, 1)), (slice(None), (1, 1, 3))],
)
def test_setitem_drops_leading_unit_dims_of_the_value(index, value_shape):
    out = []
    for lib in (core, torch):
        v = lib.arange(1.0, 1 + np.prod(value_shape)).reshape(value_shape).requires_grad_()
        w = lib.ones(2, 3, requires_grad=True)
        t = w * 1
        t[index] = v * 2
        (t * lib.arange(6.0).reshape(2, 3)).sum().backward()
        out.append((t, v.grad, w.grad))
    for ours, theirs in zip(*out, strict=True):
        assert_same(ours, theirs)


def test_setitem_with_a_value_that_does_not_fit_names_both_shapes():
    t, v = core.zeros(2, 3), core.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \[1, 2\].*shape \[3\]"):
        t[0] = v


@pytest.mark.parametrize(
    "fn",
    [
        lambda lib: lib.tensor([3]) // 0,
        lambda lib: lib.tensor([3, 4]) // lib.tensor([1, 0]),
        lambda lib: 3 // lib.tensor([1, 0]),
        lambda lib: lib.floor_divide(lib.tensor([3]), 0),
        lambda lib: lib.tensor([3]) % 0,
        lambda lib: lib.remainder(lib.tensor([3, 4]), lib.tensor([0, 1])),
        lambda lib: lib.div(lib.tensor([3]), 0, rounding_mode="trunc"),
        lambda lib: lib.div(lib.tensor([3]), lib.tensor([0]), rounding_mode="floor"),
    ],
)
def test_integer_division_by_zero_raises_like_torch(fn):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(torch)
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(core)


def test_float_division_by_zero_stays_silent():
    for fn in (
        lambda lib: lib.tensor([3.0, -3.0, 0.0]) // 0,
        lambda lib: lib.tensor([3.0]) % 0,
        lambda lib: lib.tensor([3]) // 0.0,
        lambda lib: lib.tensor([3]) % lib.tensor([0.0]),
    ):
        ours, theirs = both(fn)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize(
    "op",
    [
        lambda lib, h: h.copy_(lib.zeros(3)),
        lambda lib, h: h.copy_(lib.zeros(1, dtype=lib.float64)),
        lambda lib, h: h.zero_(),
        lambda lib, h: h.fill_(2.0),
    ],
)
def test_overwriting_a_non_leaf_gives_its_inputs_zero_not_none_gradients(op):
    grads = []
    for lib in (core, torch):
        x = lib.ones(3, requires_grad=True)
        h = x * 2
        op(lib, h)
        h.sum().backward()
        grads.append(x.grad)
    assert grads[0] is not None
    assert_same(*grads)


def test_layer_norm_refuses_an_int_normalized_shape_like_torch():
    for lib in (core, torch):
        with pytest.raises(TypeError, match="normalized_shape.*must be tuple of ints"):
            lib.nn.functional.layer_norm(lib.ones(2, 4), 4)
    assert_same(*both(lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 4), [4])))


@pytest.mark.parametrize(
    "x, y, what",
    [
        ([0.5], [2.0], "target"),
        ([0.5], [-1.0], "target"),
        ([0.5], [float("nan")], "target"),
        ([1.5], [1.0], "input"),
        ([float("nan")], [1.0], "input"),
    ],
)
def test_binary_cross_entropy_refuses_values_outside_0_1_like_torch(x, y, what):
    for lib in (core, torch):
        with pytest.raises(RuntimeError, match=f"all elements of {what} should be between 0"):
            lib.nn.functional.binary_cross_entropy(lib.tensor(x), lib.tensor(y))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_of_a_bool_tensor_raises_like_torch(name):
    for lib in (core, torch):
        x = lib.tensor([[False, True], [True, False]])
        with pytest.raises(RuntimeError, match=f"{name}\\(\\): does not support bool input"):
            getattr(lib, name)(x)
        with pytest.raises(RuntimeError, match="does not support bool input"):
            getattr(x, name)(1)
