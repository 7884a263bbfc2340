"""The backward pass: iterative topological sort, then one sweep in reverse order."""

from __future__ import annotations

from core import backend as _backend
from core._state import state
from core.autograd.function import run_backward
from core.tensor import Tensor, _make


def _topo_order(roots) -> list:
    """Graph nodes reachable from roots, each after every node that feeds it a gradient.

    Iterative (no recursion limit): a 100,000-op chain is fine.
    """
    indegree: dict = {}
    stack = list(roots)
    for r in roots:
        indegree.setdefault(r, 0)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for edge in node.next:
            if type(edge) is tuple:
                child = edge[0]
                indegree[child] = indegree.get(child, 0) + 1
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    order = []
    ready = [r for r in roots if indegree[r] == 0]
    while ready:
        node = ready.pop()
        order.append(node)
        for edge in node.next:
            if type(edge) is tuple:
                child = edge[0]
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
    return order


def _accumulate_leaf(leaf: Tensor, g, owned: dict) -> None:
    hooks = getattr(leaf, "_hooks", None)
    if hooks:
        g = _run_hooks(hooks, leaf, g)
    if g.dtype != leaf._data.dtype:
        g = g.astype(leaf._data.dtype)
    existing = leaf._grad
    if existing is None:
        # NOTE: the same array (or a view of it) can reach several leaves; a leaf keeps
        # its own buffer so that in-place edits of one .grad never touch another.
        if g.base is not None or id(g) in owned:
            g = g.copy()
        owned[id(g)] = g
        leaf._grad = _make(g, leaf._device, False, None)
    elif owned.get(id(existing._data)) is existing._data:
        # the leaf took that array without a copy in this pass, and it may still be
        # pending elsewhere in the graph (add passes one array to both inputs)
        existing._data = existing._data + g
    else:
        existing._data += g


def _run_hooks(hooks, tensor: Tensor, g):
    for hook in list(hooks):
        out = hook(_make(g, tensor._device, False, None))
        if out is not None:
            g = out._data
    return g


def _retain(node, slot: list) -> None:
    """Give non-leaf tensors that asked for it (retain_grad, hooks) their gradient."""
    for i, (ref, keep_grad) in node._retained.items():
        g, tensor = slot[i], ref()
        if g is None or tensor is None:
            continue
        hooks = getattr(tensor, "_hooks", None)
        if hooks:
            g = slot[i] = _run_hooks(hooks, tensor, g)
        if not keep_grad:
            continue
        prev = tensor._grad
        tensor._grad = _make(
            g.copy() if prev is None else prev._data + g, tensor._device, False, None
        )


def backward(
    tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None
) -> None:
    """Accumulate d(tensors)/d(leaf) into each leaf's .grad (PyTorch's semantics)."""
    if create_graph:
        raise NotImplementedError(
            "create_graph=True (higher-order gradients) is not supported by core yet"
        )
    # inputs: only these leaves accumulate a gradient (ids: Tensor.__eq__ is elementwise)
    only = None
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        only = {id(x) for x in inputs}
        for x in inputs:
            if x._grad_fn is not None:
                x.retain_grad()  # a non-leaf input gets its .grad like torch
    retain = bool(retain_graph)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    grads: dict = {}
    roots = []
    owned: dict = {}  # id -> array a leaf took without copying, in this pass
    for k, (t, g) in enumerate(zip(tensors, grad_tensors, strict=True)):
        if not t._requires_grad:
            raise RuntimeError(
                f"element {k} of tensors does not require grad and does not have a grad_fn"
            )
        xp = _backend.get(t._device).xp
        if g is None:
            if t._data.size != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (this tensor "
                    f"has shape {tuple(t.shape)}). Pass backward(gradient=...) with a "
                    "tensor of that shape."
                )
            g = xp.ones(t._data.shape, dtype=t._data.dtype)
        else:
            if not isinstance(g, Tensor):
                g = _make(xp.asarray(g, dtype=t._data.dtype), t._device, False, None)
            if g.shape != t.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output has a shape of {tuple(g.shape)} and "
                    f"output has a shape of {tuple(t.shape)}."
                )
            if g._device != t._device:
                raise _backend.DeviceError(
                    f"gradient is on {g._device!r} but the output is on {t._device!r}"
                )
            g = g._data.astype(t._data.dtype)  # a copy, ours to accumulate into
        fn = t._grad_fn
        if fn is None:
            if only is None or id(t) in only:
                _accumulate_leaf(t, g, owned)
            continue
        slot = grads.setdefault(fn, [None] * fn._nout)
        i = t._out_idx
        slot[i] = g if slot[i] is None else slot[i] + g
        roots.append(fn)
    if not roots:
        return
    rec = state.recorder  # each recording in the chain decides whether it records backward
    hooked: dict = {}  # id -> [leaf, summed grad]: leaf hooks run once, on the total
    for node in _topo_order(list(dict.fromkeys(roots))):
        slot = grads.pop(node, None)
        if slot is None:
            continue
        if node._retained:
            _retain(node, slot)
        if rec is not None:
            rec.begin_backward(node)
        in_grads = run_backward(node, slot)
        if rec is not None:
            rec.end_backward(node)
        for edge, g in zip(node.next, in_grads):
            if edge is None or g is None:
                continue
            if type(edge) is tuple:
                child, i = edge
                cslot = grads.get(child)
                if cslot is None:
                    cslot = grads[child] = [None] * child._nout
                cslot[i] = g if cslot[i] is None else cslot[i] + g
            elif only is None or id(edge) in only:
                if getattr(edge, "_hooks", None):
                    pending = hooked.get(id(edge))
                    hooked[id(edge)] = [edge, g if pending is None else pending[1] + g]
                else:
                    _accumulate_leaf(edge, g, owned)
        if not retain:
            node._release()
    for leaf, g in hooked.values():
        _accumulate_leaf(leaf, g, owned)
