"""The generic op-table runner: every case of every ``cases_*.py`` must pass all of these.

For each :class:`~tests.core.op_table.OpCase`:

- its gradients match central differences (float64, random non-uniform upstream gradient);
- float32 and float64 forwards agree, and float32 inputs give float32 results;
- no graph is built under ``no_grad`` or when no input requires grad;
- the graph recorder sees the op, with the result's shape;
- values and gradients match PyTorch's (when torch is installed);
- on a CUDA GPU, values and gradients match the CPU's.
"""

from __future__ import annotations

import numpy as np
import pytest

import core
from tests.core.op_table import ALL_CASES, OpCase, outputs, tensors

each_case = pytest.mark.parametrize("case", ALL_CASES, ids=str)


def run(lib, case: OpCase, dtype="float64", device="cpu", grad=True):
    """The case's input tensors and its outputs (as a list) in ``lib``."""
    xs = tensors(lib, case.arrays(), case.args, dtype, device, grad)
    return xs, outputs(case.fn(lib, *xs))


def host(t) -> np.ndarray:
    return t.detach().cpu().numpy()


def floating(outs) -> list:
    return [o for o in outs if o.is_floating_point()]


def backward(lib, xs, outs) -> list:
    """Backpropagate a fixed random upstream gradient; the grads of the inputs (or None)."""
    outs = [o for o in outs if o.requires_grad]
    rng = np.random.default_rng(1)
    ups = [rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape) for o in outs]
    if outs:
        lib.autograd.backward(
            outs, [lib.tensor(u, dtype=o.dtype, device=o.device) for o, u in zip(outs, ups)]
        )
    return [None if x.grad is None else host(x.grad) for x in xs]


def assert_close(actual, expected, tol, what: str) -> None:
    rtol, atol = tol
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_grads_close(actual, expected, args, tol) -> None:
    """Gradients of the differentiable inputs agree (no gradient counts as zeros)."""
    for k, (a, e, spec) in enumerate(zip(actual, expected, args)):
        if spec.differentiable and (a is not None or e is not None):
            a, e = (np.zeros_like(e) if a is None else a), (np.zeros_like(a) if e is None else e)
            assert_close(a, e, tol, f"grad of input {k}")


@each_case
def test_gradcheck(case: OpCase):
    if not case.differentiable or not any(a.differentiable for a in case.args):
        pytest.skip("not differentiable")

    def fn(*xs):  # multi-output ops (max's values, indices): the floating outputs
        return tuple(floating(outputs(case.fn(core, *xs))))

    xs = tensors(core, case.arrays(), case.args)
    assert core.autograd.gradcheck(fn, xs, **case.gradcheck_tol)


@each_case
def test_float32_agrees_with_float64(case: OpCase):
    _, outs32 = run(core, case, "float32", grad=False)
    _, outs64 = run(core, case, "float64", grad=False)
    assert len(outs32) == len(outs64)
    for k, (o32, o64) in enumerate(zip(outs32, outs64)):
        if o64.is_floating_point():
            assert o32.dtype == core.float32, f"output {k}: float32 inputs gave {o32.dtype}"
        assert o32.shape == o64.shape
        assert_close(host(o32), host(o64), case.f32_tol, f"output {k}")


@each_case
def test_no_graph_without_grad(case: OpCase):
    with core.no_grad():
        _, under_no_grad = run(core, case)
    _, no_input_needs_grad = run(core, case, grad=False)
    for o in under_no_grad + no_input_needs_grad:
        assert not o.requires_grad and o.grad_fn is None


@each_case
def test_recorder_sees_the_op(case: OpCase):
    xs = tensors(core, case.arrays(), case.args)
    with core.graph.record() as g:
        outs = outputs(case.fn(core, *xs))
    assert g.ops, "no op was recorded"
    if case.op is not None:
        names = sorted({n.op for n in g.ops})
        shapes = [n.shape for n in g.ops if n.op == case.op]
        assert shapes, f"no {case.op!r} node among {names}"
        assert tuple(outs[0].shape) in shapes


@each_case
def test_matches_pytorch(case: OpCase):
    torch = pytest.importorskip("torch")
    if not case.torch:
        pytest.skip("no PyTorch counterpart")
    xs, outs = run(core, case)
    txs, touts = run(torch, case)
    assert len(outs) == len(touts)
    for k, (o, t) in enumerate(zip(outs, touts)):
        assert tuple(o.shape) == tuple(t.shape), f"output {k} shape"
        assert o.requires_grad == t.requires_grad, f"output {k} requires_grad"
        assert host(o).dtype == host(t).dtype, f"output {k} dtype"
        assert_close(host(o), host(t), case.torch_tol, f"output {k}")
    if case.differentiable:
        assert_grads_close(
            backward(core, xs, outs), backward(torch, txs, touts), case.args, case.torch_tol
        )


@pytest.mark.gpu
@each_case
def test_cuda_matches_cpu(case: OpCase):
    if not core.cuda.is_available():
        pytest.skip(f"no usable GPU: {core.cuda.unavailable_reason()}")
    xs, outs = run(core, case, device="cpu")
    gxs, gouts = run(core, case, device="cuda")
    for k, (o, go) in enumerate(zip(outs, gouts)):
        assert go.device == "cuda"
        assert_close(host(go), host(o), case.torch_tol, f"output {k}")
    if case.differentiable:
        assert_grads_close(
            backward(core, gxs, gouts), backward(core, xs, outs), case.args, case.torch_tol
        )


def _noncontiguous(arr: np.ndarray, layout: str) -> np.ndarray:
    """The same values as arr in a non-contiguous array (0-d arrays stay as they are)."""
    if arr.ndim == 0:
        return arr
    if layout == "transposed" and arr.ndim >= 2:
        return np.asfortranarray(arr)  # strides reversed: a transpose of a C array
    if layout == "reversed":
        return np.flip(np.flip(arr).copy())  # negative strides on every axis
    big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1] + 1,), dtype=arr.dtype)
    big[..., 1::2] = arr
    return big[..., 1::2]  # every other element of a wider array


def _leaves(arrays, args, layout: str) -> list:
    """float64 leaf tensors sharing memory with (possibly non-contiguous) arrays."""
    out = []
    for arr, spec in zip(arrays, args, strict=True):
        if spec.kind == "float":
            arr = arr.astype(np.float64)
        t = core.from_numpy(_noncontiguous(arr, layout) if layout else arr)
        if spec.differentiable:
            t.requires_grad_(True)
        out.append(t)
    return out


def _values_and_grads(case: OpCase, layout: str | None):
    xs = _leaves(case.arrays(), case.args, layout)
    outs = outputs(case.fn(core, *xs))
    values = [host(o).copy() for o in outs]
    needs = [o for o in outs if o.requires_grad]
    rng = np.random.default_rng(1)
    ups = [
        np.asarray(rng.uniform(0.5, 1.5, o.shape) * rng.choice([-1.0, 1.0], o.shape)) for o in needs
    ]
    if needs:  # the upstream gradients are non-contiguous too
        grads = [core.from_numpy(_noncontiguous(u, layout) if layout else u) for u in ups]
        core.autograd.backward(needs, grads)
    return values, [None if x.grad is None else host(x.grad) for x in xs]


@pytest.mark.parametrize("layout", ["transposed", "strided", "reversed"])
@each_case
def test_noncontiguous_inputs_match_contiguous(case: OpCase, layout: str):
    """Views (transposes, strided slices, flips) as inputs and upstream gradients give
    exactly the values and gradients of contiguous arrays."""
    if case.contiguous_only:
        pytest.skip("the op refuses non-contiguous input, as PyTorch's does")
    values, grads = _values_and_grads(case, None)
    nc_values, nc_grads = _values_and_grads(case, layout)
    for k, (v, w) in enumerate(zip(values, nc_values, strict=True)):
        np.testing.assert_allclose(w, v, rtol=1e-12, atol=1e-12, err_msg=f"output {k}")
    for k, (g, h) in enumerate(zip(grads, nc_grads, strict=True)):
        assert (g is None) == (h is None), f"grad of input {k}"
        if g is not None:
            np.testing.assert_allclose(h, g, rtol=1e-12, atol=1e-12, err_msg=f"grad of input {k}")


@each_case
def test_ops_that_declare_no_saved_arrays_save_none(case):
    """``saves_arrays = False`` lets an op skip the version snapshot; it must be true."""
    from core.autograd.function import _holds_array

    xs, outs = run(core, case)
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not type(node).saves_arrays:
            held = [k for k, v in node.__dict__.items() if _holds_array(v)]
            assert not held, f"{type(node).__name__} keeps arrays in {held}"
        stack.extend(e[0] for e in node.next if type(e) is tuple)
