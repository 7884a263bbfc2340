"""In-place ops, views and the version counter, as PyTorch defines them.

An in-place op writes into the tensor's memory, so every view of it sees the new
value; an op that saved a value for backward refuses to run once that value was
changed in place; an in-place op on a view rebases the history of what it views.
"""

import pytest

import core
import core.nn.functional as F


def leaf(values):
    return core.tensor(values, requires_grad=True)


# -- values reach every view -------------------------------------------------------
def test_in_place_op_on_a_slice_of_a_tracked_tensor_changes_the_tensor_and_its_grad():
    a = core.ones(3, requires_grad=True)
    b = a * 2
    c = b[1:]
    c.mul_(3)
    assert b.tolist() == [2.0, 6.0, 6.0]
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 6.0, 6.0]


def test_zeroing_part_of_a_clone_cuts_the_gradient_there():
    a = core.ones(4, requires_grad=True)
    b = a.clone()
    b[:2].zero_()
    b.sum().backward()
    assert a.grad.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_setitem_is_visible_through_an_earlier_view():
    b = core.ones(2, 3, requires_grad=True) * 1
    row = b[0]
    b[0, 1] = 7.0
    assert row.tolist() == [1.0, 7.0, 1.0]


def test_in_place_ops_through_transpose_and_scalar_views_match_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (core, torch):
        x = lib.tensor([[-1.0, 2.0], [3.0, -4.0]], requires_grad=True)
        h = x * 1
        h[0].mul_(10)
        h.t().add_(100)
        h[1, 0].sub_(1)
        F.relu(h[:, 1], inplace=True) if lib is core else torch.relu_(h[:, 1])
        (h * lib.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
        results.append((h.detach().tolist(), x.grad.tolist()))
    assert results[0] == results[1]


def test_chained_views_rebase_every_tensor_up_the_chain():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1
    flat = h.reshape(4)
    flat[1:3].mul_(5)
    assert h.tolist() == [[1.0, 10.0], [15.0, 4.0]]
    h.sum().backward()
    assert x.grad.tolist() == [[1.0, 5.0], [5.0, 1.0]]


def test_copy_into_a_row_of_a_plain_buffer_makes_it_part_of_the_graph():
    w = leaf([1.0, 2.0, 3.0])
    buf = core.zeros(2, 3)
    buf[0].copy_(w * 2)
    assert buf.tolist() == [[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]]
    assert buf.requires_grad
    buf.sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]


def test_a_view_of_a_leaf_that_requires_grad_cannot_be_changed_in_place():
    w = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[:2].add_(1)
    assert w.tolist() == [1.0, 2.0, 3.0]  # nothing was written
    with core.no_grad():
        w[:2].add_(1)  # the optimizer pattern stays allowed
    assert w.tolist() == [2.0, 3.0, 3.0]


def test_an_expanded_view_cannot_be_written_in_place():
    x = core.ones(1, 3).expand(2, 3)
    with pytest.raises(RuntimeError, match="expanded"):
        x.add_(1)


# -- copy_ and fill_ -----------------------------------------------------------------
def test_copy_and_fill_do_not_turn_inf_or_nan_into_nan():
    w = leaf([1.0, 1.0, 1.0])
    buf = core.full((3,), float("inf"))
    buf.copy_(w)
    assert buf.tolist() == [1.0, 1.0, 1.0]
    h = core.tensor([0.0, 1.0, 2.0], requires_grad=True).log()  # -inf at 0
    h.fill_(1.0)
    assert h.tolist() == [1.0, 1.0, 1.0]
    h.zero_()
    assert h.tolist() == [0.0, 0.0, 0.0]


def test_copy_of_a_constant_cuts_the_old_history():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 2
    h.copy_(core.tensor([5.0, 5.0, 5.0]))
    (h * 3).sum().backward()
    assert x.grad is None or x.grad.tolist() == [0.0, 0.0, 0.0]


def test_fill_with_a_0d_tensor_that_requires_grad_passes_the_summed_gradient():
    v = leaf(2.0)
    h = core.zeros(3) * 1
    h.fill_(v)
    (h * core.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert v.grad.item() == 6.0


# -- the version counter -------------------------------------------------------------
def test_modifying_an_op_output_that_its_backward_needs_is_refused():
    x = leaf([0.0, 1.0])
    y = x.exp()  # exp's backward uses its output
    with core.no_grad():
        y.add_(100)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_updating_a_weight_before_backward_is_refused():
    w, x = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = (w * x).sum()
    with core.no_grad():
        w.sub_(1.0)
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        loss.backward()


def test_modifying_an_input_that_no_backward_needs_is_fine():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h + 1  # add saves nothing
    h.add_(5)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_relu_in_place_after_batch_norm_is_fine():
    x = core.randn(4, 3, requires_grad=True)
    rm, rv = core.zeros(3), core.ones(3)
    y = F.batch_norm(x, rm, rv, training=True)
    F.relu(y, inplace=True)
    y.sum().backward()
    assert x.grad is not None


def test_in_place_multiply_by_a_tensor_keeps_its_own_copy_of_the_old_value():
    x = leaf([1.0, 2.0])
    v = leaf([3.0, 4.0])
    h = x * 1
    h.mul_(v)  # v's gradient needs h's old value
    h.sum().backward()
    assert v.grad.tolist() == [1.0, 2.0]
    assert x.grad.tolist() == [3.0, 4.0]


def test_version_counts_in_place_writes_and_is_shared_with_views_and_detach():
    x = core.zeros(3)
    v, d = x[1:], x.detach()
    assert x._version == 0
    x.add_(1)
    v.mul_(2)
    d[0] = 5.0
    assert x._version == v._version == d._version == 3
    assert x.tolist() == [5.0, 2.0, 2.0]


# -- retain_grad, hooks, the recorder ------------------------------------------------
def test_retain_grad_follows_the_tensor_through_an_in_place_op():
    x = leaf([1.0, 2.0])
    y = x * 2
    y.retain_grad()
    y.mul_(3)
    y.sum().backward()
    assert y.grad.tolist() == [1.0, 1.0]


def test_retain_grad_does_not_keep_the_tensor_alive():
    import weakref

    x = leaf([1.0, 2.0])
    h = x.exp()
    h.retain_grad()
    ref = weakref.ref(h)
    out = h.sum()
    del h
    assert ref() is None  # freed at once: no reference cycle through the graph
    assert out.requires_grad


def test_recorded_graph_wires_later_ops_to_the_in_place_op():
    w = leaf([1.0, 2.0])
    with core.graph.record() as g:
        h = w * 2
        h.add_(1)
        h[0] = 5.0
        h.sum()
    ops = {n.op: n for n in g.ops}
    assert ops["Add"].inputs[0] == ops["Mul"].id
    assert ops["SetItem"].inputs[0] == ops["Add"].id
    assert ops["Sum"].inputs == [ops["SetItem"].id]


# -- views taken before an in-place change ------------------------------------------
def _stale_view_cases(lib):
    out = []
    x = lib.ones(2, 3, requires_grad=True)
    b = x * 1
    row = b[0]
    v = lib.tensor(7.0, requires_grad=True)
    b[0, 1] = v
    (row * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    out.append((x.grad.tolist(), v.grad.item()))
    x = lib.ones(3, requires_grad=True)
    b = x * 2
    d, c = b[:2], b[1:]
    c.mul_(3)
    (d * lib.tensor([1.0, 10.0])).sum().backward()
    out.append(x.grad.tolist())
    x = lib.ones(3, requires_grad=True)
    b = x * 2
    d = b[:2]
    b.mul_(3)
    d.sum().backward()
    out.append(x.grad.tolist())
    x = lib.ones(2, 3, requires_grad=True)
    b = x * 1
    col = b.t()[:, 0]  # a view of a view
    b[0, 0] = 5.0
    (col * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
    out.append(x.grad.tolist())
    return out


def test_views_taken_before_an_in_place_change_get_the_new_history():
    assert _stale_view_cases(core) == [
        ([[1.0, 0.0, 3.0], [0.0, 0.0, 0.0]], 2.0),
        [2.0, 60.0, 0.0],
        [6.0, 6.0, 0.0],
        [[0.0, 2.0, 3.0], [0.0, 0.0, 0.0]],
    ]


def test_views_taken_before_an_in_place_change_match_pytorch():
    torch = pytest.importorskip("torch")
    assert _stale_view_cases(core) == _stale_view_cases(torch)


def test_a_tensor_viewed_every_step_keeps_no_growing_list_of_views():
    h = core.zeros(100, 3, requires_grad=True) * 1
    for i in range(100):
        h[i : i + 1].sum()
    assert len(h._views) <= 16
    w = core.zeros(3, requires_grad=True)
    w[:1].sum()
    assert getattr(w, "_views", None) is None  # a leaf's history never changes


# -- view() -------------------------------------------------------------------------
def test_view_of_a_non_contiguous_tensor_is_refused_like_pytorch():
    x = core.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"Use \.reshape"):
        x.t().view(6)
    assert x.t().reshape(6).shape == (6,)


def test_view_shares_memory():
    x = core.zeros(2, 3)
    x.view(6)[4] = 1.0
    assert x[1, 1].item() == 1.0


def test_view_as_another_dtype_reinterprets_the_bits():
    x = core.tensor([1.0])
    assert x.view(core.int32).tolist() == [1065353216]
    with pytest.raises(RuntimeError, match="element sizes"):
        x.view(core.float64)


def test_comparing_with_none_is_a_plain_bool():
    x = core.ones(2)
    assert (x == None) is False  # noqa: E711 - the comparison under test
    assert (x != None) is True  # noqa: E711


def test_a_float64_gradient_for_a_float32_output_is_cast():
    x = core.ones(2, requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.backward(core.ones(2, dtype=core.float64))
    assert y.grad.dtype == core.float32 and x.grad.dtype == core.float32


# -- findings of the final review ----------------------------------------------------
def test_custom_function_that_saves_its_output_sees_later_in_place_changes():
    class Double(core.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out

    x = leaf([1.0, 2.0])
    o = Double.apply(x)
    o.add_(100)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        o.sum().backward()


def test_an_expanded_tensor_shares_the_version_counter():
    x, w = leaf([1.0, 2.0]), leaf([[1.0, 1.0]] * 3)
    h = x * 1
    y = h.expand(3, 2) * w
    h.add_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize(
    "pattern",
    ["matmul_input", "matmul_weight", "div_result", "max_dim", "mixed_dtype_mul"],
)
def test_in_place_changes_pytorch_accepts_are_accepted(pattern):
    x = leaf([[1.0, -2.0], [3.0, 4.0]])
    w_frozen = core.tensor([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1
    if pattern == "matmul_input":
        out = h @ w_frozen
        h.relu_()  # only the frozen weight was saved
    elif pattern == "matmul_weight":
        out = w_frozen @ h
        h.add_(1)  # w_frozen @ h keeps w_frozen, not h
    elif pattern == "div_result":
        out = w_frozen / h
        out.add_(1)  # div keeps its inputs, not its result
    elif pattern == "max_dim":
        out = h.max(dim=1).values
        h.add_(1)  # max over one dim keeps indices only
    else:
        v = core.tensor([[2.0, 2.0], [2.0, 2.0]], dtype=core.float64, requires_grad=True)
        h.mul_(v)
        out = h
    out.sum().backward()
    assert x.grad is not None


def test_norm_with_p_below_one_has_a_zero_gradient_at_zero():
    x = leaf([0.0, 1.0, -2.0])
    x.norm(p=0.5).backward()
    assert x.grad[0].item() == 0.0
    assert all(v == v for v in x.grad.tolist())  # no nan


def test_retain_grad_follows_views_that_are_rebased_or_refreshed():
    x = leaf([1.0, 2.0, 3.0])
    h = x * 1
    v = h[1:]
    v.retain_grad()
    h.mul_(3)
    (v * core.tensor([1.0, 2.0])).sum().backward()
    assert v.grad.tolist() == [1.0, 2.0]
    x = leaf([1.0, 2.0, 3.0])
    h = x * 1
    h.retain_grad()
    h[1:].mul_(3)
    (h * core.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert h.grad.tolist() == [1.0, 2.0, 3.0]


def test_recordings_leave_no_growing_bookkeeping_on_long_lived_tensors():
    w = leaf([1.0, 2.0])
    for _ in range(50):
        with core.graph.record():
            w * 2
    assert len(w._rec) <= 4


def test_writing_a_saved_output_through_a_view_is_refused():
    x = leaf([0.0, 1.0])
    y = x.exp()
    y[0:1].add_(1)  # exp's backward needs y
    with pytest.raises(RuntimeError, match="output of Exp"):
        y.sum().backward()


def test_writing_an_output_nobody_saved_is_fine():
    x = leaf([1.0, 2.0])
    y = x * 3  # mul keeps its inputs, not its output
    y[0] = 0.0
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 3.0]
