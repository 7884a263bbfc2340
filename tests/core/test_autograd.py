"""Backward: what .backward(), hooks, retain_grad and core.autograd.grad do (PyTorch's
semantics), independent of any one op's derivative."""

import gc
import time
import weakref

import numpy as np
import pytest

import core


def leaf(values, dtype=None):
    return core.tensor(values, dtype=dtype, requires_grad=True)


# -- basic backward ------------------------------------------------------------------


def test_backward_of_a_scalar_fills_leaf_grads():
    x = leaf([1.0, 2.0, 3.0])
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0, 6.0]


def test_leaf_grad_has_the_leaf_dtype_shape_and_device():
    x = leaf(np.ones((2, 3)))
    (x * 2).sum().backward()
    assert x.grad.dtype is core.float64
    assert x.grad.shape == (2, 3)
    assert x.grad.device == x.device


def test_leaf_grad_does_not_require_grad():
    x = leaf([1.0])
    (x * 2).sum().backward()
    assert not x.grad.requires_grad
    assert x.grad.grad_fn is None


def test_backward_of_a_tensor_that_does_not_require_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        core.tensor([1.0]).sum().backward()


def test_gradients_accumulate_over_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_accumulation_keeps_the_grad_tensor_object():
    x = leaf([1.0])
    (x * 3).sum().backward()
    g = x.grad
    (x * 3).sum().backward()
    assert x.grad is g
    assert g.tolist() == [6.0]


def test_setting_grad_to_none_restarts_accumulation():
    x = leaf([1.0])
    (x * 3).sum().backward()
    x.grad = None
    (x * 5).sum().backward()
    assert x.grad.tolist() == [5.0]


def test_broadcast_operands_get_gradients_of_their_own_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.ones(4))
    w = core.tensor(np.arange(12.0).reshape(3, 4))
    ((a + b) * w).sum().backward()
    assert a.grad.shape == (3, 1)
    assert b.grad.shape == (4,)
    assert a.grad.numpy().ravel().tolist() == [6.0, 22.0, 38.0]  # row sums of w
    assert b.grad.tolist() == [12.0, 15.0, 18.0, 21.0]  # column sums of w


def test_scalar_operand_broadcast_against_a_matrix_sums_its_gradient():
    s = leaf(2.0)
    m = core.tensor([[1.0, 2.0], [3.0, 4.0]])
    (s * m).sum().backward()
    assert s.grad.shape == ()
    assert s.grad.item() == 10.0


def test_diamond_graph_accumulates_both_paths():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = y * y + y * 3  # dz/dx = (2y + 3) * 2
    z.sum().backward()
    assert x.grad.tolist() == [14.0, 22.0]


def test_input_used_by_several_ops_sums_their_gradients():
    x = leaf([2.0])
    (x * x * x + x.exp() * 0 + 4 * x).sum().backward()
    assert x.grad.tolist() == [16.0]  # 3x^2 + 4


def test_backward_stops_at_detach():
    x = leaf([1.0, 2.0])
    y = x.detach() * x
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_graph_matches_torch_on_a_small_network():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xs, ws, bs = rng.normal(size=(4, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    grads = []
    for lib in (core, torch):
        x = lib.tensor(xs)
        w = lib.tensor(ws, requires_grad=True)
        b = lib.tensor(bs, requires_grad=True)
        h = (x @ w + b).tanh()
        loss = (h * h).mean() + (h.sum(0) * b).sum()
        loss.backward()
        grads.append((w.grad.numpy().copy(), b.grad.numpy().copy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-10)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10)


# -- retain_graph --------------------------------------------------------------------


def test_retain_graph_allows_a_second_backward():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_second_backward_without_retain_graph_raises_and_names_the_fix():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


@pytest.mark.parametrize("op", [lambda x: x * 2, lambda x: 2 / x, lambda x: x**3])
def test_a_saved_python_number_also_frees_its_node_as_in_pytorch(op):
    x = leaf([1.0, 2.0])
    y = op(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_nodes_that_saved_nothing_can_run_backward_again_as_in_pytorch():
    x = leaf([1.0, 2.0])
    y = (x + 1).reshape(2, 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_backward_through_a_shared_subgraph_freed_by_an_earlier_backward_raises():
    x = leaf([1.0])
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 2).sum().backward()


# -- the gradient argument -----------------------------------------------------------


def test_non_scalar_backward_without_a_gradient_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        (x * 2).backward()


def test_backward_with_an_explicit_gradient_weights_the_outputs():
    x = leaf([1.0, 2.0])
    (x * x).backward(core.tensor([1.0, 10.0]))
    assert x.grad.tolist() == [2.0, 40.0]


def test_backward_gradient_keyword():
    x = leaf([1.0, 2.0])
    (x * 3).backward(gradient=core.tensor([2.0, 1.0]))
    assert x.grad.tolist() == [6.0, 3.0]


def test_backward_gradient_of_the_wrong_shape_raises_with_both_shapes():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(3,\).*\(2,\)"):
        (x * 2).backward(core.ones(3))


def test_backward_does_not_keep_a_reference_to_the_gradient_argument():
    x = leaf([1.0, 2.0])
    g = core.tensor([1.0, 1.0])
    (x + 0).backward(g)
    x.grad.zero_()
    assert g.tolist() == [1.0, 1.0]


def test_backward_on_a_leaf_fills_its_own_grad_with_a_copy():
    x = leaf([1.0, 2.0])
    g = core.tensor([3.0, 4.0])
    x.backward(g)
    assert x.grad.tolist() == [3.0, 4.0]
    x.grad.zero_()
    assert g.tolist() == [3.0, 4.0]


# -- independence of .grad buffers ---------------------------------------------------


def test_two_leaves_of_one_sum_get_independent_grad_buffers():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert a.grad is not b.grad
    a.grad.zero_()
    assert b.grad.tolist() == [1.0, 1.0]


def test_a_leaf_and_a_retained_non_leaf_get_independent_grad_buffers():
    a = leaf([1.0, 2.0])
    y = a + 0
    y.retain_grad()
    y.sum().backward()
    a.grad.mul_(5)
    assert y.grad.tolist() == [1.0, 1.0]


def test_in_place_edit_of_one_grad_after_accumulation_leaves_the_other_alone():
    a, b = leaf([1.0]), leaf([1.0])
    (a + b).sum().backward()
    (a + b).sum().backward()
    a.grad.add_(100)
    assert b.grad.tolist() == [2.0]


# -- long graphs -----------------------------------------------------------------------


def test_backward_through_a_100k_op_chain_has_no_recursion_limit():
    x = leaf([1.0, 2.0])
    start = time.perf_counter()
    y = x
    for _ in range(50_000):
        y = y + 1e-6
        y = y * 1.0
    y.sum().backward()
    elapsed = time.perf_counter() - start
    assert x.grad.tolist() == [1.0, 1.0]
    assert elapsed < 30, f"100k-op forward+backward took {elapsed:.1f}s"


def test_dropping_a_100k_op_graph_without_backward_does_not_crash():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


# -- retain_grad and hooks -----------------------------------------------------------


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0])
    y = x * 2
    (y * y).sum().backward()
    assert y.grad is None


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [4.0, 8.0]
    assert x.grad.tolist() == [8.0, 16.0]


def test_retained_non_leaf_grad_accumulates_over_backward_calls():
    x = leaf([1.0])
    y = x * 2
    y.retain_grad()
    (y * 3).sum().backward(retain_graph=True)
    (y * 3).sum().backward()
    assert y.grad.tolist() == [6.0]


def test_retain_grad_on_a_leaf_is_harmless():
    x = leaf([1.0])
    x.retain_grad()
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.0]


def test_hook_on_a_leaf_sees_and_replaces_its_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert x.grad.tolist() == [30.0, 30.0]


def test_hook_on_a_non_leaf_changes_what_flows_upstream():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.register_hook(lambda g: g * core.tensor([1.0, 0.0]))
    (y * 5).sum().backward()
    assert x.grad.tolist() == [10.0, 0.0]


def test_hook_on_a_non_leaf_leaves_its_grad_unset_unless_retained():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    (y * y).sum().backward(retain_graph=True)
    assert seen == [[6.0, 12.0]]
    assert y.grad is None  # as in PyTorch: a hook does not retain the gradient
    y.retain_grad()
    (y * y).sum().backward()
    assert y.grad.tolist() == [6.0, 12.0]
    assert len(seen) == 2


def test_hook_on_a_non_leaf_is_called_once_with_the_summed_gradient():
    x = leaf([1.0])
    y = x * 2
    calls = []
    y.register_hook(lambda g: calls.append(g.item()))
    (y * 3 + y * 4).sum().backward()
    assert calls == [7.0]
    assert x.grad.tolist() == [14.0]


def test_hook_on_a_leaf_used_twice_is_called_once_with_the_total():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 3 + x * 4).sum().backward()
    assert calls == [7.0]
    assert x.grad.tolist() == [7.0]


def test_removed_hook_is_not_called():
    x = leaf([1.0])
    handle = x.register_hook(lambda g: g * 100)
    handle.remove()
    (x * 2).sum().backward()
    assert x.grad.tolist() == [2.0]


def test_hook_on_a_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="doesn't require"):
        core.tensor([1.0]).register_hook(lambda g: g)


# -- core.autograd.grad --------------------------------------------------------------


def test_autograd_grad_returns_gradients_without_touching_dot_grad():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    (gx,) = core.autograd.grad(y, x)
    assert gx.tolist() == [2.0, 4.0]
    assert x.grad is None


def test_autograd_grad_with_several_inputs_keeps_existing_grads():
    a, b = leaf([1.0]), leaf([3.0])
    a.grad = core.tensor([100.0])
    ga, gb = core.autograd.grad((a * b).sum(), [a, b])
    assert (ga.item(), gb.item()) == (3.0, 1.0)
    assert a.grad.tolist() == [100.0]
    assert b.grad is None


def test_autograd_grad_with_grad_outputs():
    x = leaf([1.0, 2.0])
    (gx,) = core.autograd.grad(x * 3, x, grad_outputs=core.tensor([1.0, 2.0]))
    assert gx.tolist() == [3.0, 6.0]


def test_autograd_grad_of_an_unused_input_raises_unless_allowed():
    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        core.autograd.grad((a * 2).sum(), [a, b], retain_graph=True)
    ga, gb = core.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.tolist() == [2.0]
    assert gb is None


def test_autograd_grad_of_non_leaves():
    x = leaf([1.0, 2.0])
    h = x * 2
    (gh,) = core.autograd.grad((h * h).sum(), h)
    assert gh.tolist() == [4.0, 8.0]
    assert x.grad is None
    assert h.grad is None


def test_autograd_grad_matches_torch():
    torch = pytest.importorskip("torch")
    vals = [0.5, -1.0, 2.0]
    x, tx = leaf(vals, core.float64), torch.tensor(vals, dtype=torch.float64, requires_grad=True)
    (g,) = core.autograd.grad((x.sin() ** 2).sum(), x)
    (tg,) = torch.autograd.grad((tx.sin() ** 2).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_autograd_grad_leaves_other_leaves_grad_untouched():
    a, b = leaf([1.0]), leaf([3.0])
    (ga,) = core.autograd.grad((a * b).sum(), a)
    assert ga.tolist() == [3.0]
    assert b.grad is None


def test_autograd_grad_of_a_non_leaf_does_not_make_it_retain_later_grads():
    x = leaf([1.0])
    h = x * 2
    core.autograd.grad((h * h).sum(), h, retain_graph=True)
    (h * 3).sum().backward()
    assert h.grad is None
    assert x.grad.tolist() == [6.0]


def test_backward_with_inputs_accumulates_only_into_those():
    a, b = leaf([1.0]), leaf([3.0])
    (a * b).sum().backward(inputs=[b])
    assert a.grad is None
    assert b.grad.tolist() == [1.0]


# -- pow at zero -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "exponent",
    [0, 0.0, lambda lib: lib.tensor([0.0, 0.0]), lambda lib: lib.tensor(0.0, dtype=lib.float64)],
    ids=["int", "float", "tensor", "0d_float64"],
)
def test_pow_with_exponent_zero_has_zero_gradient_at_zero(exponent):
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (core, torch):
        x = lib.tensor([0.0, 2.0], requires_grad=True)
        b = exponent(lib) if callable(exponent) else exponent
        (x**b).sum().backward()
        grads.append(x.grad.tolist())
    assert grads[0] == grads[1] == [0.0, 0.0]


def test_pow_gradient_is_exact_where_the_exponent_is_zero_and_not_elsewhere():
    x = core.tensor([[0.0, 0.0, 3.0]], requires_grad=True)
    b = core.tensor([[0.0], [2.0]], requires_grad=True)  # broadcast against x
    (x**b).sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 6.0]]  # b=0 row: 0; b=2 row: 2x
    assert not np.isnan(b.grad.numpy()).any()


def test_pow_with_a_0d_exponent_tensor_follows_torch_dtypes():
    torch = pytest.importorskip("torch")
    for base, exp in (
        ([1.0, 2.0], (2.0, "float64")),
        ([1, 2], (0.5, "float64")),
        ([1, 2], (0.5, "float32")),
        ([1.0, 2.0], (2, "int64")),
    ):
        got = core.tensor(base) ** core.tensor(exp[0], dtype=getattr(core, exp[1]))
        want = torch.tensor(base) ** torch.tensor(exp[0], dtype=getattr(torch, exp[1]))
        assert got.dtype.name == str(want.dtype).removeprefix("torch.")
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_pow_gives_a_0d_exponent_its_own_dtype_gradient():
    x = core.tensor([1.0, 2.0], requires_grad=True)
    b = core.tensor(3.0, dtype=core.float64, requires_grad=True)
    (x**b).sum().backward()
    assert b.grad.dtype == core.float64 and b.grad.shape == ()
    np.testing.assert_allclose(b.grad.item(), 8 * np.log(2), rtol=1e-6)
    assert x.grad.dtype == core.float32 and x.grad.tolist() == [3.0, 12.0]


# -- gradcheck -------------------------------------------------------------------------
def f64(values, requires_grad=True):
    return core.tensor(values, dtype=core.float64, requires_grad=requires_grad)


def test_gradcheck_checks_the_same_outputs_on_both_sides():
    x = f64([0.5, -1.0, 2.0])
    assert core.autograd.gradcheck(lambda x: (x.detach() * 2, x * 3), [x])
    assert core.autograd.gradcheck(lambda x: (x.argmax(), x.exp(), x.detach()), [x])


def test_gradcheck_still_catches_a_wrong_gradient_beside_a_detached_output():
    class Wrong(core.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = f64([0.5, -1.0])
    with pytest.raises(core.autograd.GradcheckError, match="Jacobian mismatch"):
        core.autograd.gradcheck(lambda x: (x.detach() * 5, Wrong.apply(x)), [x])


def test_gradcheck_leaves_the_inputs_grad_alone():
    x = f64([0.5, -1.0, 2.0])
    x.grad = core.ones(3, dtype=core.float64)
    assert core.autograd.gradcheck(lambda x: x * 3, [x])
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    y = f64([1.0, 2.0])
    assert core.autograd.gradcheck(lambda y: y.exp(), [y])
    assert y.grad is None


def test_gradcheck_of_a_non_contiguous_input_keeps_its_memory():
    base = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    x = core.from_numpy(base.T).requires_grad_(True)  # a transposed (F-order) array
    data = x._data
    assert core.autograd.gradcheck(lambda x: (x * x).sum(0), [x])
    assert x._data is data
    np.testing.assert_array_equal(base, np.arange(12).reshape(3, 4) / 7)  # restored


def test_backward_names_the_output_that_does_not_require_grad():
    ok = (core.ones(2, requires_grad=True) * 2).sum()
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        core.autograd.backward([ok, core.ones(1)])
