"""Function: one differentiable op, forward and backward side by side.

``Function.apply`` is the single place where ops run: it checks devices, honours
grad mode, builds the graph and notifies the recorder.

Built-in ops set ``raw = True``: their forward and backward take and return backend
arrays (numpy or CuPy) and Python scalars, which keeps per-op overhead small.
User subclasses keep PyTorch's contract: forward and backward take and return
Tensors, and forward runs under no_grad.
"""

from __future__ import annotations

from core import backend as _backend
from core._state import state
from core.tensor import Tensor, _make

_XP = _backend.XP


def _no_grad_tuple(n: int, _cache={}) -> tuple:  # noqa: B006 - a deliberate cache
    t = _cache.get(n)
    if t is None:
        t = _cache[n] = (False,) * n
    return t


class Function:
    """Base class of differentiable ops; an instance is both ctx and graph node."""

    __slots__ = ("next", "needs_input_grad", "xp", "device", "__dict__", "__weakref__")
    raw = False  # True for built-in ops that work on backend arrays
    # per-instance state, set only when it differs from these defaults
    _nout = 1
    _freed = False
    _saved = None
    _retained = None
    _non_diff = None
    _in_shapes = None

    # -- the op's two halves; subclasses define these -----------------------------
    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("A Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("A Function subclass must define backward(ctx, *grad_outputs)")

    # -- ctx API (PyTorch names) ---------------------------------------------------
    def save_for_backward(self, *tensors) -> None:
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        if self._freed:
            raise RuntimeError(_FREED_MESSAGE.format(name=type(self).__name__))
        saved = self._saved
        return () if saved is None else saved

    def mark_non_differentiable(self, *outputs) -> None:
        self._non_diff = {id(o) for o in outputs}

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"

    # -- the one place ops are applied --------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on tensors (and plain values); build the graph if needed."""
        ctx = object.__new__(cls)
        datas = []
        needs = []
        edges = []
        device = None
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                if device is None:
                    device = a._device
                elif a._device != device:
                    raise _backend.DeviceError(
                        f"{cls.__name__}: expected all tensors on one device, "
                        f"but found tensors on {device!r} and {a._device!r}. "
                        "Move them with .to(device) first."
                    )
                datas.append(a._data)
                if a._requires_grad:
                    any_grad = True
                    needs.append(True)
                    fn = a._grad_fn
                    edges.append(a if fn is None else (fn, a._out_idx))
                    continue
            else:
                datas.append(a)
            needs.append(False)
            edges.append(None)
        if device is None:
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        st = state
        grad = any_grad and st.grad_enabled
        if grad:
            ctx.needs_input_grad = tuple(needs)
            ctx.next = edges
        else:
            ctx.needs_input_grad = _no_grad_tuple(len(needs))
        ctx.device = device
        ctx.xp = _XP.get(device) or _backend.get(device).xp
        rec = st.recorder
        if rec is not None:
            rec.begin_op()
        node = ctx if grad else None
        if cls.raw:
            out = cls.forward(ctx, *datas, **kwargs)
            if type(out) is tuple:
                # device read after forward: ToDevice moves its output
                # NOTE: only floating outputs join the graph (not max's indices)
                result = tuple(
                    _make(o, ctx.device, True, node, i)
                    if grad and o.dtype.kind in "fc"
                    else _make(o, ctx.device, False, None, i)
                    for i, o in enumerate(out)
                )
                ctx._nout = len(out)
            elif grad and out.dtype.kind not in "fc":  # a cast to an integer type
                result = _make(out, ctx.device, False, None, 0)
            else:
                result = _make(out, ctx.device, grad, node, 0)
        else:
            result = _apply_tensor_mode(cls, ctx, args, kwargs, device, grad)
        if rec is not None:
            rec.record_op(cls.__name__, args, result if type(result) is tuple else (result,), ctx)
        return result

    def _release(self) -> None:
        """Free what backward saved (after a backward without retain_graph)."""
        self.__dict__.clear()
        self._saved = None
        self._freed = True


_FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved tensors "
    "of {name} after they were freed). Saved intermediate values are freed by the "
    "first backward(); call backward(retain_graph=True) the first time if you "
    "need to backward through the graph again."
)


class _Opaque:
    """no_grad, and nothing recorded: a user Function is one op in the recorded graph."""

    __slots__ = ("_prev",)

    def __enter__(self) -> None:
        st = state
        self._prev = (st.grad_enabled, st.recorder)
        st.grad_enabled, st.recorder = False, None

    def __exit__(self, *exc) -> None:
        state.grad_enabled, state.recorder = self._prev


def _apply_tensor_mode(cls, ctx, args, kwargs, device, grad):
    """Run a user Function's forward on detached Tensors under no_grad."""
    detached = tuple(a.detach() if isinstance(a, Tensor) else a for a in args)
    ctx._in_shapes = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
    with _Opaque():
        out = cls.forward(ctx, *detached, **kwargs)
    multi = isinstance(out, tuple)
    outs = out if multi else (out,)
    non_diff = ctx._non_diff or ()
    results = []
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return Tensors, got {type(o).__name__}")
        if o._device != device:
            raise _backend.DeviceError(
                f"{cls.__name__}.forward returned a tensor on {o._device!r} "
                f"for inputs on {device!r}"
            )
        diff = grad and id(o) not in non_diff and o.dtype.is_floating_point
        results.append(_make(o._data, device, diff, ctx if diff else None, i))
    ctx._nout = len(results)
    ctx._out_meta = tuple((o.shape, o._data.dtype) for o in outs)
    return tuple(results) if multi else results[0]


def run_backward(ctx: Function, grads: list) -> tuple:
    """Call ctx's backward with one gradient per output; return a tuple per input."""
    cls = type(ctx)
    if ctx._freed:
        raise RuntimeError(_FREED_MESSAGE.format(name=cls.__name__))
    if cls.raw:
        out = cls.backward(ctx, *grads)
        return out if type(out) is tuple else (out,)
    device, xp = ctx.device, ctx.xp
    # NOTE: outputs that got no gradient get zeros, like PyTorch's materialize_grads
    grads = [xp.zeros(*m) if g is None else g for g, m in zip(grads, ctx._out_meta)]
    with _Opaque():
        out = cls.backward(ctx, *(_make(g, device, False, None, 0) for g in grads))
    out = out if isinstance(out, tuple) else (out,)
    if len(out) != len(ctx.next):
        raise RuntimeError(
            f"function {cls.__name__}Backward returned an incorrect number of gradients "
            f"(expected {len(ctx.next)}, got {len(out)})"
        )
    result = []
    for i, (g, edge) in enumerate(zip(out, ctx.next, strict=True)):
        if g is None or edge is None:
            result.append(None)
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"function {cls.__name__}Backward returned a {type(g).__name__} at index "
                f"{i}; expected a Tensor or None"
            )
        expected = ctx._in_shapes[i]
        data = g._data
        if g.shape != expected:
            lead = g.ndim - len(expected)
            if lead < 0 or any(
                n != 1 and n != m for n, m in zip(expected, g.shape[lead:], strict=True)
            ):
                raise RuntimeError(
                    f"function {cls.__name__}Backward returned an invalid gradient at index "
                    f"{i} - got {list(g.shape)} but expected shape {list(expected)}"
                )
            from core.ops._util import unbroadcast

            data = unbroadcast(data, (expected, data.dtype))  # sum_to, like PyTorch
        result.append(data)
    return tuple(result)
