"""User-defined autograd Functions: PyTorch's tensor-mode contract (ctx, forward and
backward on Tensors, save_for_backward, needs_input_grad, mark_non_differentiable)."""

import numpy as np
import pytest

import core
from core.autograd import Function


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y


class ScaleBy(Function):
    """x * factor with a non-tensor argument."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.factor, None


class MulRecordingNeeds(Function):
    needs = []

    @staticmethod
    def forward(ctx, a, b):
        MulRecordingNeeds.needs.append(ctx.needs_input_grad)
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = grad * b if ctx.needs_input_grad[0] else None
        gb = grad * a if ctx.needs_input_grad[1] else None
        return ga, gb


class SortWithIndices(Function):
    """Two outputs: sorted values (differentiable) and the int64 permutation."""

    @staticmethod
    def forward(ctx, x):
        order = np.argsort(x.numpy(), kind="stable")
        idx = core.tensor(order)
        ctx.save_for_backward(idx)
        ctx.mark_non_differentiable(idx)
        return x[idx], idx

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        (idx,) = ctx.saved_tensors
        out = core.zeros_like(grad_values)
        out[idx] = grad_values
        return out


class Halves(Function):
    """Two float outputs: x * 2 and x * 3."""

    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, g2, g3):
        return g2 * 2 + g3 * 3


def f64(values):
    return core.tensor(values, dtype=core.float64, requires_grad=True)


# -- forward and backward ------------------------------------------------------------


def test_custom_function_computes_forward_values():
    y = Exp.apply(core.tensor([0.0, 1.0]))
    np.testing.assert_allclose(y.numpy(), [1.0, np.e], rtol=1e-6)


def test_custom_function_output_joins_the_graph():
    x = f64([0.0, 1.0])
    y = Exp.apply(x)
    assert y.requires_grad
    assert y.grad_fn is not None
    assert not y.is_leaf


def test_custom_function_backward_uses_saved_tensors():
    x = f64([0.0, 1.0])
    (Exp.apply(x) * core.tensor([1.0, 2.0], dtype=core.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 2 * np.e])


def test_custom_function_passes_gradcheck():
    assert core.autograd.gradcheck(Exp.apply, (f64([-0.5, 0.3, 1.2]),))


def test_custom_function_composes_with_builtin_ops_in_gradcheck():
    assert core.autograd.gradcheck(
        lambda a, b: Exp.apply(a * b).sum() + MulRecordingNeeds.apply(a, b).tanh(),
        (f64([[0.1, -0.2], [0.3, 0.4]]), f64([0.5, -0.6])),
    )


def test_custom_function_gradient_matches_torch():
    torch = pytest.importorskip("torch")

    class TorchExp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, grad):
            (y,) = ctx.saved_tensors
            return grad * y

    vals, w = [0.1, -0.7, 2.0], [1.0, -2.0, 0.5]
    x = f64(vals)
    tx = torch.tensor(vals, dtype=torch.float64, requires_grad=True)
    (Exp.apply(x) * core.tensor(w, dtype=core.float64)).sum().backward()
    (TorchExp.apply(tx) * torch.tensor(w, dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_forward_runs_without_grad_on_detached_inputs():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen.append((core.is_grad_enabled(), x.requires_grad))
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    Probe.apply(f64([1.0]))
    assert seen == [(False, False)]


def test_backward_runs_without_grad_and_gets_tensors():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            seen.append((core.is_grad_enabled(), isinstance(grad, core.Tensor)))
            return grad * 2

    Probe.apply(f64([1.0])).sum().backward()
    assert seen == [(False, True)]


def test_custom_function_on_inputs_without_grad_builds_no_graph():
    y = Exp.apply(core.tensor([1.0]))
    assert not y.requires_grad
    assert y.grad_fn is None


def test_custom_function_under_no_grad_builds_no_graph():
    with core.no_grad():
        y = Exp.apply(f64([1.0]))
    assert not y.requires_grad


# -- arguments, needs_input_grad -------------------------------------------------------


def test_non_tensor_arguments_are_passed_through_and_get_no_gradient():
    x = f64([1.0, 2.0])
    y = ScaleBy.apply(x, 3.0)
    assert y.tolist() == [3.0, 6.0]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_needs_input_grad_tells_which_inputs_require_grad():
    MulRecordingNeeds.needs.clear()
    a, b = f64([2.0]), core.tensor([5.0], dtype=core.float64)
    MulRecordingNeeds.apply(a, b).sum().backward()
    MulRecordingNeeds.apply(b, a)
    assert MulRecordingNeeds.needs == [(True, False), (False, True)]
    assert a.grad.tolist() == [5.0]


def test_needs_input_grad_is_false_for_non_tensor_arguments():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, k):
            seen.append(ctx.needs_input_grad)
            return x * k

        @staticmethod
        def backward(ctx, grad):
            return grad, None

    Probe.apply(f64([1.0]), 2)
    assert seen == [(True, False)]


def test_context_keeps_arbitrary_attributes_for_backward():
    x = f64([1.0])
    ScaleBy.apply(x, 7.0).sum().backward()
    assert x.grad.tolist() == [7.0]


# -- several outputs -----------------------------------------------------------------


def test_mark_non_differentiable_output_does_not_require_grad():
    x = f64([3.0, 1.0, 2.0])
    values, idx = SortWithIndices.apply(x)
    assert values.tolist() == [1.0, 2.0, 3.0]
    assert idx.tolist() == [1, 2, 0]
    assert values.requires_grad
    assert not idx.requires_grad
    (values * core.tensor([1.0, 10.0, 100.0], dtype=core.float64)).sum().backward()
    assert x.grad.tolist() == [100.0, 1.0, 10.0]


def test_integer_outputs_never_require_grad():
    class Floor(Function):
        @staticmethod
        def forward(ctx, x):
            return x.long()

        @staticmethod
        def backward(ctx, grad):
            return grad * 0

    assert not Floor.apply(f64([1.5])).requires_grad


def test_multi_output_function_sums_both_gradients():
    x = f64([1.0])
    a, b = Halves.apply(x)
    (a + b).sum().backward()
    assert x.grad.tolist() == [5.0]


def test_unused_output_gets_a_zero_gradient_in_backward():
    x = f64([1.0, 2.0])
    a, _ = Halves.apply(x)
    a.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


# -- errors --------------------------------------------------------------------------


def test_backward_returning_too_many_gradients_raises():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    y = TooMany.apply(f64([1.0]))
    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 1, got 2\)"):
        y.sum().backward()


def test_backward_returning_too_few_gradients_raises():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, factor):
            return x * factor

        @staticmethod
        def backward(ctx, grad):
            return grad

    y = TooFew.apply(f64([1.0]), 2.0)
    with pytest.raises(RuntimeError, match=r"expected 2, got 1"):
        y.sum().backward()


def test_backward_returning_a_gradient_of_the_wrong_shape_raises_with_both_shapes():
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, grad):
            return grad  # should be expanded to x's shape

    y = WrongShape.apply(f64([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"WrongShape.*got \[\] but expected shape \[2\]"):
        y.backward()


def test_backward_returning_a_broadcast_gradient_is_summed_to_the_input_shape():
    class Scale(Function):
        @staticmethod
        def forward(ctx, x, s):
            return x * s

        @staticmethod
        def backward(ctx, grad):
            return grad, grad  # grad has x's shape (2, 2); s has shape (2,)

    x = f64([[1.0, 2.0], [3.0, 4.0]])
    s = f64([1.0, 1.0])
    Scale.apply(x, s).sum().backward()
    assert s.grad.tolist() == [2.0, 2.0]


def test_backward_returning_a_non_tensor_raises_type_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return 1.0

    with pytest.raises(TypeError, match="Tensor or None"):
        Bad.apply(f64([1.0])).sum().backward()


def test_forward_returning_a_non_tensor_raises_type_error():
    class Bad(Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy()

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="must return Tensors"):
        Bad.apply(f64([1.0]))


def test_function_without_backward_raises_when_differentiated():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    y = NoBackward.apply(f64([1.0]))
    with pytest.raises(NotImplementedError, match="backward"):
        y.sum().backward()


def test_saved_tensors_are_freed_after_backward():
    x = f64([1.0])
    y = Exp.apply(x)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.sum().backward()


def test_retain_graph_keeps_saved_tensors_for_a_second_backward():
    x = f64([0.0])
    y = Exp.apply(x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [2.0]
