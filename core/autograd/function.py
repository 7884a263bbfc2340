"""Function: one differentiable op, forward and backward side by side.

``Function.apply`` is the single place where ops run: it checks devices, honours
grad mode, builds the graph and notifies the recorder.

Built-in ops subclass :class:`RawFunction` (``raw = True``): their forward and
backward take and return backend arrays (numpy or CuPy) and Python scalars, which
keeps per-op overhead small.
User subclasses keep PyTorch's contract: forward and backward take and return
Tensors, and forward runs under no_grad.
"""

from __future__ import annotations

import weakref

from core import backend as _backend
from core._state import state
from core.tensor import Tensor, _make, _owner, _version_box

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
    # ctx attributes holding saved operands: a saved Python number counts as a saved
    # value (PyTorch wraps it as a tensor), so a second backward through the node fails
    _operands: tuple[str, ...] = ()
    _saved = None
    _retained = None
    _non_diff = None
    _in_shapes = None
    _vsnap = None  # [(version box, version, shape)] of the inputs whose memory it saved
    _dirty = None  # the shape of a saved output that was since written in place
    view_op = False  # outputs may be views of input 0 (they share its memory)
    saves_arrays = True  # False: ctx keeps no array (the version snapshot is skipped)

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
        self._vsnap = [
            (box, box[0], t.shape)
            for t in tensors
            if isinstance(t, Tensor) and (box := _version_box(t)) is not None
        ]

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
            if cls.view_op:
                _mark_views(args, result, cls)
            if grad and cls.saves_arrays and ctx.__dict__:
                _snapshot(ctx, args)
        else:
            result = _apply_tensor_mode(cls, ctx, args, kwargs, device, grad)
        if rec is not None:
            rec.record_op(cls.__name__, args, result if type(result) is tuple else (result,), ctx)
        return result

    def _release(self) -> None:
        """Free what backward saved (after a backward without retain_graph).

        A node that saved no array (add, reshape, ...) stays usable, as in PyTorch."""
        d = self.__dict__
        if (
            self._saved is not None
            or any(_holds_array(v) for v in d.values())
            or any(d.get(k) is not None for k in self._operands)
        ):
            d.clear()
            self._freed = True


class RawFunction(Function):
    """Base of the built-in ops: forward and backward take and return backend arrays."""

    raw = True


_ARRAYS = _backend.ARRAY_TYPES


def _holds_array(v) -> bool:
    if type(v) is tuple or type(v) is list:
        return any(type(w) in _ARRAYS for w in v)
    return type(v) in _ARRAYS


def _snapshot(ctx, args) -> None:
    """Note the version of every input whose memory the op saved, so that backward can
    refuse to run on values changed in place since (PyTorch's rule).

    Hot path: only arrays kept directly on ctx count (the array itself, or a view of
    the same memory, such as a reshape). An op's own saved output is covered when the
    write happens instead (see ``Tensor._inplace``), at no cost per op."""
    snap = None
    for v in ctx.__dict__.values():
        if type(v) not in _ARRAYS:
            continue
        vbase = v.base
        for t in args:
            if not isinstance(t, Tensor):
                continue
            data = t._data
            # tensor._same_memory, inlined: this runs for every op that saves an array
            if v is data or (vbase is not None and (vbase is data or vbase is data.base)):
                box = getattr(t, "_vbox", None)
                if box is None:
                    box = t._vbox = [0]
                entry = (box, box[0], data.shape)
                snap = [entry] if snap is None else [*snap, entry]
                break
    if snap is not None:
        ctx._vsnap = snap


def _mark_views(args, result, cls) -> None:
    """Outputs that share input 0's memory are its views: they share its version
    counter and remember how to re-derive themselves (for in-place ops on them)."""
    parent = args[0]
    owner = _owner(parent._data)
    outs = result if type(result) is tuple else (result,)
    # only a tensor with a history can have it rebased by an in-place op; leaves and
    # plain data need no list of views to refresh (NOTE: a plain tensor that later gets
    # a history through setitem leaves its older views without one)
    track = parent._grad_fn is not None
    for i, r in enumerate(outs):
        base = getattr(r._data, "base", None)
        if base is not None and base is owner:
            r._vbox = _version_box(parent)
            r._view = (parent, cls, args[1:], i)
            if track:
                _register_view(parent, r)


def _register_view(parent, view) -> None:
    """Remember (weakly) that ``view`` views ``parent``; dead entries are pruned."""
    views = getattr(parent, "_views", None)
    if views is None:
        parent._views = [weakref.ref(view)]
        return
    if len(views) >= 8 and not len(views) & 7:
        views[:] = [ref for ref in views if ref() is not None]
    views.append(weakref.ref(view))


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
        r = _make(o._data, device, diff, ctx if diff else None, i)
        box = getattr(o, "_vbox", None)
        if box is not None:  # forward saved this output: later in-place edits must count
            r._vbox = box
        results.append(r)
    ctx._nout = len(results)
    ctx._out_meta = tuple((o.shape, o._data.dtype) for o in outs)
    return tuple(results) if multi else results[0]


def run_backward(ctx: Function, grads: list) -> tuple:
    """Call ctx's backward with one gradient per output; return a tuple per input."""
    cls = type(ctx)
    if ctx._freed:
        raise RuntimeError(_FREED_MESSAGE.format(name=cls.__name__))
    if ctx._dirty is not None:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {cls.__name__} (shape {list(ctx._dirty)}), "
            "which its backward needs, was written in place since. Modify a copy "
            "(.clone()) or use the out-of-place op (x = x + 1 rather than x += 1)."
        )
    if ctx._vsnap:
        for box, version, shape in ctx._vsnap:
            if box[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been "
                    f"modified by an inplace operation: a tensor of shape {list(shape)} "
                    f"saved by {cls.__name__} is at version {box[0]}; expected version "
                    f"{version} instead. Modify a copy (.clone()) or use the out-of-place "
                    "op (x = x + 1 rather than x += 1)."
                )
    if cls.raw:
        out = cls.backward(ctx, *grads)
        return out if type(out) is tuple else (out,)
    device, xp = ctx.device, ctx.xp
    # NOTE: outputs that got no gradient get zeros, like PyTorch's materialize_grads
    grads = [xp.zeros(*m) if g is None else g for g, m in zip(grads, ctx._out_meta)]
    with _Opaque():
        out = cls.backward(ctx, *(_make(g, device, False, None, 0) for g in grads))
    out = out if isinstance(out, tuple) else (out,)
    n = len(ctx.next)
    if len(out) > n and all(g is None for g in out[n:]):
        out = out[:n]  # extra trailing Nones are tolerated, as in PyTorch
    if len(out) != n:
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
