"""Tensor: a backend array plus what autograd needs to know about it."""

from __future__ import annotations

import builtins
import numbers
import weakref

import numpy as np

from core import backend as _backend
from core import dtypes as _dt
from core._state import state

_pybool, _pyfloat, _pyint = builtins.bool, builtins.float, builtins.int


class device:  # noqa: N801 - PyTorch's name
    """A device: ``core.device("cpu")`` or ``core.device("cuda")``; equal to its name."""

    __slots__ = ("type", "index")

    def __new__(cls, spec="cpu", index=None):
        if isinstance(spec, device):
            return spec
        key = normalize_device(spec)
        return _DEVICES[key]

    def __eq__(self, other) -> bool:
        if isinstance(other, device):
            return self.type == other.type
        if isinstance(other, str):
            try:
                return normalize_device(other) == self.type
            except (ValueError, _backend.DeviceError):
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.type)

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type={self.type!r})"

    # NOTE: devices are singletons: unpickling by name, not object.__new__ + slot state
    # (which would turn the shared CPU device into whatever was pickled)
    def __reduce__(self):
        return (device, (self.type,))

    def __copy__(self) -> device:
        return self

    def __deepcopy__(self, memo) -> device:
        return self


def _new_device(name: str) -> device:
    d = object.__new__(device)
    d.type = name
    d.index = 0 if name == "cuda" else None
    return d


_DEVICES = {"cpu": _new_device("cpu"), "cuda": _new_device("cuda")}


def normalize_device(spec) -> str:
    """'cpu', 'cuda', 'cuda:0' or a device -> 'cpu' | 'cuda' (ValueError otherwise)."""
    if isinstance(spec, device):
        return spec.type
    if spec is None:
        return "cpu"
    if isinstance(spec, str):
        name, _, index = spec.strip().lower().partition(":")
        if name == "cpu" and index in ("", "0"):
            return "cpu"
        if name in ("cuda", "gpu") and index in ("", "0"):
            return "cuda"
        if name == "cuda":
            raise _backend.DeviceError(
                f"Device {spec!r}: only one GPU (cuda or cuda:0) is supported."
            )
    raise ValueError(f"Expected a device such as 'cpu' or 'cuda', got {spec!r}")


def _make(data, device_name: str, requires_grad: bool, grad_fn, out_idx: int = 0):
    """Fast internal constructor: wraps an array without checks."""
    t = object.__new__(Tensor)
    t._data = data
    t._device = device_name
    t._requires_grad = requires_grad
    t._grad_fn = grad_fn
    t._out_idx = out_idx
    t._grad = None
    return t


def _owner(a):
    """The array that owns a's memory (views share it)."""
    base = a.base
    return a if base is None else base


def _version_box(t: Tensor) -> list:
    """t's version counter: a one-item list, shared by a tensor and its views."""
    box = getattr(t, "_vbox", None)
    if box is None:
        box = t._vbox = [0]
    return box


def _bump_version(t: Tensor) -> None:
    box = getattr(t, "_vbox", None)
    if box is not None:  # no box yet: nothing saved or viewed this memory
        box[0] += 1


def _same_memory(v, data, owner) -> bool:
    """Whether array v is data, data's owner, or another view of that owner's memory."""
    return v is data or v is owner or v.base is owner


def _saves_memory_of(node, data) -> bool:
    """Whether a graph node keeps (a view of) the memory of array ``data``."""
    owner = _owner(data)
    arrays = _backend.ARRAY_TYPES
    return any(type(v) in arrays and _same_memory(v, data, owner) for v in node.__dict__.values())


def _invalidate_saved_outputs(t: Tensor) -> None:
    """t's memory is about to be written: an op that produced it (or a tensor it views)
    and kept that output for its backward must refuse to run backward now."""
    while t is not None:
        node = t._grad_fn
        if node is not None and node.__dict__ and _saves_memory_of(node, t._data):
            node._dirty = t._data.shape
        view = getattr(t, "_view", None)
        t = view[0] if view is not None else None


def _check_view_of_leaf(t: Tensor, what: str) -> None:
    view = getattr(t, "_view", None)
    while view is not None:
        base = view[0]
        if base._requires_grad and base._grad_fn is None:
            raise RuntimeError(
                f"{what}: a view of a leaf Variable that requires grad is being used in "
                "an in-place operation. Modify the leaf under `with core.no_grad():`, "
                "or clone it first."
            )
        view = getattr(base, "_view", None)


def _keep_private(node, t: Tensor) -> None:
    """The op behind an in-place update may have saved t's old value (x.mul_(y) needs
    it for y's gradient): give the op its own copy before t is overwritten."""
    snap = node._vsnap
    box = getattr(t, "_vbox", None)
    if not snap or box is None or all(entry[0] is not box for entry in snap):
        return
    data = t._data
    owner = _owner(data)
    arrays = _backend.ARRAY_TYPES
    d = node.__dict__
    for key, v in list(d.items()):
        if type(v) in arrays and _same_memory(v, data, owner):
            d[key] = v.copy()
    node._vsnap = [entry for entry in snap if entry[0] is not box]


def _take_history(t: Tensor, src: Tensor) -> None:
    """t (whose memory now holds src's value) takes over src's place in the graph: its
    node, and in a recording, its recorded op; retain_grad and hooks move along."""
    _move_retained(t, src._grad_fn, src._out_idx)
    t._grad_fn, t._out_idx = src._grad_fn, src._out_idx
    t._requires_grad = src._requires_grad
    rec = getattr(src, "_rec", None)
    if rec is not None:
        t._rec = rec


def _move_retained(t: Tensor, node, out_idx: int) -> None:
    """retain_grad and hooks follow the tensor to its new history."""
    old = t._grad_fn
    if old is None or not old._retained:
        return
    entry = old._retained.get(t._out_idx)
    if entry is None or entry[0]() is not t:
        return
    del old._retained[t._out_idx]
    if node._retained is None:
        node._retained = {}
    node._retained[out_idx] = entry


def _rebase_views(t: Tensor) -> None:
    """After a tracked in-place op on a view, the tensors it views changed too: give
    each, up the chain, a history in which the viewed region comes from the op."""
    view = getattr(t, "_view", None)
    while view is not None:
        base, cls, args, idx = view
        _take_history(base, _ops.ViewUpdate.apply(base, t, cls, args, idx))
        t, view = base, getattr(base, "_view", None)
    _refresh_views(t)


def _refresh_views(t: Tensor) -> None:
    """t's history changed in place: every live view of it (and views of those) gets a
    history as a view of t's new value, so gradients through older views are right."""
    stack = [t]
    while stack:
        base = stack.pop()
        views = getattr(base, "_views", None)
        if not views:
            continue
        live = []
        for ref in list(views):  # re-deriving a view registers a temporary one: copy
            v = ref()
            if v is None:
                continue
            live.append(ref)
            _, cls, args, idx = v._view
            fresh = cls.apply(base, *args)
            _take_history(v, fresh[idx] if type(fresh) is tuple else fresh)
            stack.append(v)
        base._views = live


def _float_mode(arr) -> str:
    """PyTorch prints whole floats as ``1.`` and all others with 4 decimals."""
    if arr.dtype.kind != "f":
        return "maxprec"
    # float64: float16 extremes would overflow in the comparisons below (numpy warns)
    finite = np.abs(arr[np.isfinite(arr)].astype(np.float64))
    nonzero = finite[finite != 0]
    if nonzero.size and (nonzero.max() >= 1e8 or nonzero.max() / nonzero.min() > 1000):
        return "fixed"  # scientific notation: numpy and PyTorch switch at the same bounds
    return "maxprec" if np.array_equal(finite, np.round(finite)) else "fixed"


def _default_float(data):
    """Python floats and float64 inputs from lists become float32, as in PyTorch."""
    return data.astype(np.float32) if data.dtype == np.float64 else data


class Tensor:
    """An n-dimensional array with define-by-run autograd (PyTorch semantics)."""

    __slots__ = (
        "_data",
        "_device",
        "_requires_grad",
        "_grad_fn",
        "_out_idx",
        "_grad",
        "_rec",
        "_vbox",
        "_view",
        "_views",
        "_hooks",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __init__(self, *args, dtype=None, device=None, requires_grad=False):
        """PyTorch's legacy constructor: ``Tensor(data)`` copies data as float32 (the
        default dtype) whatever its type; ``Tensor(2, 3)`` is an uninitialized 2x3 float32
        tensor; ``Tensor()`` an empty one. Prefer core.tensor / core.empty."""
        if all(isinstance(a, _pyint) and not isinstance(a, _pybool) for a in args):
            from core.factories import empty  # late: factories import this module

            t = empty(*args or (0,), dtype=dtype or _dt.float32, device=device)
        elif len(args) == 1 and not isinstance(args[0], numbers.Number):
            data = args[0]
            if dtype is None and not isinstance(data, Tensor):
                dtype = _dt.float32
            t = tensor(data, dtype=dtype, device=device)
        else:
            raise TypeError(
                "Tensor(): expected sizes (ints) or one sequence of data, got "
                f"({', '.join(type(a).__name__ for a in args)}). Use core.tensor(data)."
            )
        if requires_grad:
            t.requires_grad_(True)
        self._data = t._data
        self._device = t._device
        self._requires_grad = t._requires_grad
        self._grad_fn = None
        self._out_idx = 0
        self._grad = None

    # -- attributes ------------------------------------------------------------------
    @property
    def data(self) -> Tensor:
        return _make(self._data, self._device, False, None)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def dtype(self) -> _dt.dtype:
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def device(self) -> device:
        return _DEVICES[self._device]

    @property
    def is_cuda(self) -> bool:
        return self._device == "cuda"

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad must be a Tensor or None, got {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(
                    f"assigned grad has shape {tuple(value.shape)}, "
                    f"but the tensor has shape {tuple(self.shape)}"
                )
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"assigned grad has data of a different type: {value.dtype.name}, but "
                    f"the tensor is {self.dtype.name}. Convert it with .to({self.dtype!r})."
                )
            if value._device != self._device:
                raise _backend.DeviceError(
                    f"assigned grad is on {value._device!r}, but the tensor is on {self._device!r}"
                )
        self._grad = value

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None):
        if dim is None:
            return self._data.shape
        return self._data.shape[_ops.norm_dim(dim, self.ndim)]

    def numel(self) -> int:
        return _pyint(self._data.size)

    def dim(self) -> int:
        return self._data.ndim

    def element_size(self) -> int:
        return self._data.itemsize

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self) -> int:
        return id(self)

    # -- conversion --------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to a Python scalar"
            )
        return _backend.to_numpy(self._data).reshape(()).item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad. "
                "Use tensor.detach().numpy() instead."
            )
        if self._device != "cpu":
            if not force:
                raise TypeError("can't convert a cuda tensor to numpy. Use tensor.cpu() first.")
            return _backend.to_numpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = _backend.to_numpy(self._data) if self._device == "cpu" else self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def tolist(self):
        return _backend.to_numpy(self._data).tolist()

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of a Tensor with {self._data.size} elements is ambiguous"
            )
        return _pybool(self.item())

    def __float__(self) -> float:
        return _pyfloat(self.item())

    def __int__(self) -> int:
        return _pyint(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be an index")
        return _pyint(self.item())

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __repr__(self) -> str:
        arr = _backend.to_numpy(self._data)
        body = np.array2string(
            arr,
            separator=", ",
            prefix="tensor(",
            precision=4,
            threshold=1000,
            floatmode=_float_mode(arr),
        )
        extras = []
        if self._device != "cpu":
            extras.append(f"device='{self._device}'")
        if arr.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype!r}")
        if self._grad_fn is not None:
            extras.append(f"grad_fn=<{type(self._grad_fn).__name__}Backward>")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # -- autograd ------------------------------------------------------------------
    def detach(self) -> Tensor:
        t = _make(self._data, self._device, False, None)
        t._vbox = _version_box(self)  # same memory, same version counter (PyTorch)
        return t

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was written in place."""
        return _version_box(self)[0]

    def detach_(self) -> Tensor:
        self._grad_fn = None
        self._requires_grad = False
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want "
                "to use a computed variable in a subgraph that doesn't require "
                "differentiation use var_no_grad = var.detach()."
            )
        if requires_grad and self._data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients "
                f"(this one is {self.dtype.name})"
            )
        if self._grad_fn is None:
            self._requires_grad = _pybool(requires_grad)
        return self

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None:
            self._watch(keep_grad=True)

    def _watch(self, keep_grad: bool) -> None:
        """Have the engine stop at this non-leaf tensor: to run its hooks, and to fill
        its .grad when ``keep_grad`` (retain_grad)."""
        fn = self._grad_fn
        if fn._retained is None:
            fn._retained = {}
        _, kept = fn._retained.get(self._out_idx, (None, False))
        # a weak reference: the node must not keep its output (and its memory) alive
        fn._retained[self._out_idx] = (weakref.ref(self), kept or keep_grad)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a
        replacement gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        try:
            hooks = self._hooks
        except AttributeError:
            hooks = self._hooks = []
        if self._grad_fn is not None:
            self._watch(keep_grad=False)
        hooks.append(hook)
        return _RemovableHook(hooks, hook)

    def backward(
        self,
        gradient=None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs=None,
    ) -> None:
        from core.autograd.engine import backward

        backward(
            (self,),
            None if gradient is None else (gradient,),
            retain_graph=retain_graph,
            create_graph=create_graph,
            inputs=inputs,
        )

    # -- copies and devices ------------------------------------------------------
    def __deepcopy__(self, memo) -> Tensor:
        """copy.deepcopy: an independent leaf with the same values, requires_grad and grad
        (and the same class, so a Parameter stays a Parameter)."""
        if self._grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the "
                "deepcopy protocol at the moment. Use .detach() or .clone() first."
            )
        if id(self) in memo:
            return memo[id(self)]
        t = object.__new__(type(self))
        t._data = self._data.copy()
        t._device = self._device
        t._requires_grad = self._requires_grad
        t._grad_fn = None
        t._out_idx = 0
        t._grad = None
        memo[id(self)] = t
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        return t

    def clone(self, *, memory_format=None) -> Tensor:
        return _ops.Clone.apply(self)

    def contiguous(self, memory_format=None) -> Tensor:
        """self when its memory is already row-major and dense, else a copy that is."""
        if self._data.flags.c_contiguous:
            return self
        return _ops.Clone.apply(self)  # Clone copies in C order

    def is_contiguous(self, memory_format=None) -> bool:
        return _pybool(self._data.flags.c_contiguous)

    def to(self, *args, **kwargs) -> Tensor:
        """to(device), to(dtype), to(device, dtype), to(other) — PyTorch's overloads."""
        dev, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                dev, dt = a._device, a.dtype
            elif isinstance(a, _dt.dtype | np.dtype) or (
                isinstance(a, type) and issubclass(a, np.generic)
            ):
                dt = a
            else:
                dev = a
        out = self
        if dev is not None:
            name = normalize_device(dev)
            if name != out._device:
                out = _ops.ToDevice.apply(out, name)
        if dt is not None:
            np_dt = _dt.to_numpy_dtype(dt)
            if np_dt != out._data.dtype:
                out = _ops.Cast.apply(out, np_dt)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None) -> Tensor:
        if isinstance(device, _pyint):  # PyTorch's index form: t.cuda(0)
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

    def type(self, dtype=None):
        if dtype is None:
            return f"core.{_TYPE_NAMES.get(self.dtype.name, self.dtype.name)}"
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(_dt.float32)

    def double(self) -> Tensor:
        return self.to(_dt.float64)

    def half(self) -> Tensor:
        return self.to(_dt.float16)

    def long(self) -> Tensor:
        return self.to(_dt.int64)

    def int(self) -> Tensor:
        return self.to(_dt.int32)

    def bool(self) -> Tensor:
        return self.to(_dt.bool)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # -- in place ------------------------------------------------------------------
    def _check_inplace(self, what: str) -> None:
        if self._requires_grad and self._grad_fn is None and state.grad_enabled:
            raise RuntimeError(
                f"{what}: a leaf Variable that requires grad is being used in an "
                "in-place operation. Wrap the update in `with core.no_grad():` or "
                "operate on tensor.detach()."
            )

    def _inplace(self, result: Tensor, what: str) -> Tensor:
        """Write ``result``'s value into this tensor's memory (so every view of it sees
        the change) and, when autograd tracked the op, take over its history.

        As in PyTorch, an op that saved this tensor's old value for its backward will
        refuse to run (the version counter), and an in-place op on a view rebases the
        history of the tensor it views.
        """
        self._check_inplace(what)
        if result._data.shape != self._data.shape:
            raise RuntimeError(
                f"{what}: output with shape {list(self._data.shape)} doesn't match the "
                f"broadcast shape {list(result._data.shape)}"
            )
        if result._data.dtype != self._data.dtype and not np.can_cast(
            result._data.dtype, self._data.dtype, "same_kind"
        ):
            raise RuntimeError(
                f"{what}: result type {result.dtype.name} can't be cast to the "
                f"desired output type {self.dtype.name}"
            )
        node = result._grad_fn
        if node is not None:
            _check_view_of_leaf(self, what)
            _keep_private(node, self)  # before a cast puts another node on top
            if result._data.dtype != self._data.dtype:
                result = result.to(self.dtype)
                node = result._grad_fn
        _invalidate_saved_outputs(self)
        try:
            self._data[...] = result._data
        except ValueError as exc:  # numpy: "assignment destination is read-only"
            raise RuntimeError(
                f"{what}: this tensor can't be written in place: it is an expanded "
                "(broadcast) view, where several elements share one memory location. "
                "Call .clone() first."
            ) from exc
        _bump_version(self)
        if node is not None:
            _take_history(self, result)
            _rebase_views(self)
        else:
            rec = getattr(result, "_rec", None)
            if rec is not None:
                self._rec = rec  # recorded graph: later ops read the in-place op's output
        return self

    def add_(self, other, *, alpha=1) -> Tensor:
        return self._inplace(self.add(other, alpha=alpha), "add_")

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._inplace(self.sub(other, alpha=alpha), "sub_")

    def mul_(self, other) -> Tensor:
        return self._inplace(self * other, "mul_")

    def div_(self, other) -> Tensor:
        return self._inplace(self / other, "div_")

    def pow_(self, exponent) -> Tensor:
        return self._inplace(self**exponent, "pow_")

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002
        return self._inplace(self.clamp(min, max), "clamp_")

    def relu_(self) -> Tensor:
        return self._inplace(self.relu(), "relu_")

    def neg_(self) -> Tensor:
        return self._inplace(-self, "neg_")

    def sqrt_(self) -> Tensor:
        return self._inplace(self.sqrt(), "sqrt_")

    def exp_(self) -> Tensor:
        return self._inplace(self.exp(), "exp_")

    def masked_fill_(self, mask, value) -> Tensor:
        return self._inplace(self.masked_fill(mask, value), "masked_fill_")

    def addcmul_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self._inplace(self + value * tensor1 * tensor2, "addcmul_")

    def addcdiv_(self, tensor1, tensor2, *, value=1) -> Tensor:
        return self._inplace(self + value * tensor1 / tensor2, "addcdiv_")

    def lerp_(self, end, weight) -> Tensor:
        return self._inplace(self + weight * (end - self), "lerp_")

    def copy_(self, src) -> Tensor:
        src = _as_tensor(src, self)
        if src._device != self._device:
            src = src.to(self._device)
        if src.shape != self.shape:
            src = src.expand(*self.shape)
        if self._tracks(src):
            # the new value is src: no gradient reaches this tensor's old value
            return self._inplace(_ops.Copy.apply(self, src), "copy_")
        return self._inplace(src.to(self.dtype), "copy_")  # copy_ casts any dtype

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        if self._tracks(value):
            return self._inplace(_ops.Fill.apply(self, value), "fill_")
        return self._write(..., value)

    def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
        from core import random as _random

        sample = _random.uniform(self.shape, a, b, generator, self._data.dtype)
        return self._fill_random(sample, "uniform_")

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
        from core import random as _random

        return self._fill_random(_random.normal(self.shape, mean, std, generator), "normal_")

    def bernoulli_(self, p: float = 0.5, *, generator=None) -> Tensor:
        from core import random as _random

        if isinstance(p, Tensor):  # per-element probabilities, broadcast to self
            p = _backend.to_numpy(p._data)
        sample = _random.uniform(self.shape, 0.0, 1.0, generator) < p
        return self._fill_random(sample, "bernoulli_")

    def _fill_random(self, host: np.ndarray, what: str) -> Tensor:
        self._check_inplace(what)
        xp = _backend.get(self._device).xp
        return self._write(..., xp.asarray(host.astype(self._data.dtype, copy=False)))

    def _tracks(self, value) -> bool:
        """Whether writing ``value`` into this tensor is an op autograd must record."""
        return state.grad_enabled and (
            self._requires_grad or (isinstance(value, Tensor) and value._requires_grad)
        )

    def _write(self, index, value) -> Tensor:
        """An untracked write into this tensor's memory (views see it), counted by the
        version counter; ops that saved this memory's old value will refuse backward."""
        _invalidate_saved_outputs(self)
        _assign(self._data, index, value._data if isinstance(value, Tensor) else value)
        _bump_version(self)
        return self

    def __setitem__(self, index, value) -> None:
        index = _unwrap_index(index)
        if isinstance(value, Tensor) and value._device != self._device:
            raise _backend.DeviceError(
                f"__setitem__: the value is on {value._device!r} but the tensor is on "
                f"{self._device!r}"
            )
        if self._tracks(value):
            self._inplace(_ops.SetItem.apply(self, value, index), "__setitem__")
        else:
            self._write(index, value)

    def __getitem__(self, index) -> Tensor:
        return _ops.GetItem.apply(self, _unwrap_index(index))

    # -- arithmetic --------------------------------------------------------------
    def add(self, other, *, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return _ops.Add.apply(self, _operand(other, self))

    def sub(self, other, *, alpha=1) -> Tensor:
        if alpha != 1:
            other = other * alpha
        return _ops.Sub.apply(self, _operand(other, self))

    def __add__(self, other):
        if not isinstance(other, _FAST_OPERANDS):
            other = _operand(other, self)
        return _ops.Add.apply(self, other)

    def __radd__(self, other):
        return _ops.Add.apply(_operand(other, self), self)

    def __sub__(self, other):
        if not isinstance(other, _FAST_OPERANDS):
            other = _operand(other, self)
        return _ops.Sub.apply(self, other)

    def __rsub__(self, other):
        return _ops.Sub.apply(_operand(other, self), self)

    def __mul__(self, other):
        if not isinstance(other, _FAST_OPERANDS):
            other = _operand(other, self)
        return _ops.Mul.apply(self, other)

    def __rmul__(self, other):
        return _ops.Mul.apply(_operand(other, self), self)

    def __truediv__(self, other):
        if not isinstance(other, _FAST_OPERANDS):
            other = _operand(other, self)
        return _ops.Div.apply(self, other)

    def __rtruediv__(self, other):
        return _ops.Div.apply(_operand(other, self), self)

    def __floordiv__(self, other):
        return _ops.no_grad_binary("floor_divide", self, _operand(other, self))

    def __rfloordiv__(self, other):
        return _ops.no_grad_binary("floor_divide", _operand(other, self), self)

    def __mod__(self, other):
        return _ops.Remainder.apply(self, _operand(other, self))

    def __rmod__(self, other):
        return _ops.Remainder.apply(_operand(other, self), self)

    def __pow__(self, exponent):
        return _ops.pow(self, exponent)

    def __rpow__(self, base):
        return _ops.pow(_operand(base, self), self)

    def __matmul__(self, other):
        return _ops.matmul(self, _as_tensor(other, self))

    def __rmatmul__(self, other):
        return _ops.matmul(_as_tensor(other, self), self)

    def __neg__(self):
        return _ops.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.Abs.apply(self)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # NOTE: floor_divide_, remainder_ and the bitwise in-place methods are bound by core.ops
    def __ipow__(self, other):
        return self.pow_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    # -- comparisons and logic (no grad) --------------------------------------------
    def __eq__(self, other):  # type: ignore[override]
        if other is None:
            return False  # as in PyTorch: `t == None` is a plain False
        return _ops.no_grad_binary("equal", self, _operand(other, self))

    def __ne__(self, other):  # type: ignore[override]
        if other is None:
            return True
        return _ops.no_grad_binary("not_equal", self, _operand(other, self))

    def __lt__(self, other):
        return _ops.no_grad_binary("less", self, _operand(other, self))

    def __le__(self, other):
        return _ops.no_grad_binary("less_equal", self, _operand(other, self))

    def __gt__(self, other):
        return _ops.no_grad_binary("greater", self, _operand(other, self))

    def __ge__(self, other):
        return _ops.no_grad_binary("greater_equal", self, _operand(other, self))

    def __and__(self, other):
        return _ops.no_grad_binary("bitwise_and", self, _operand(other, self))

    def __or__(self, other):
        return _ops.no_grad_binary("bitwise_or", self, _operand(other, self))

    def __xor__(self, other):
        return _ops.no_grad_binary("bitwise_xor", self, _operand(other, self))

    def __invert__(self):
        return _ops.no_grad_unary("invert", self)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def logical_not(self):
        return _ops.no_grad_unary("logical_not", self)

    def isnan(self):
        return _ops.no_grad_unary("isnan", self)

    def isinf(self):
        return _ops.no_grad_unary("isinf", self)

    def isfinite(self):
        return _ops.no_grad_unary("isfinite", self)

    def all(self, dim=None, keepdim=False):
        return _ops.no_grad_reduce("all", self, dim, keepdim)

    def any(self, dim=None, keepdim=False):
        return _ops.no_grad_reduce("any", self, dim, keepdim)

    def equal(self, other) -> bool:
        return self.shape == other.shape and _pybool((self == other).all())

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        xp = _backend.get(self._device).xp
        return _pybool(xp.allclose(self._data, other._data, rtol, atol, equal_nan))


class _RemovableHook:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


_TYPE_NAMES = {
    "float32": "FloatTensor",
    "float64": "DoubleTensor",
    "float16": "HalfTensor",
    "int64": "LongTensor",
    "int32": "IntTensor",
    "int16": "ShortTensor",
    "int8": "CharTensor",
    "uint8": "ByteTensor",
    "bool": "BoolTensor",
}


_FAST_OPERANDS = (Tensor, _pyint, _pyfloat)  # a tuple: isinstance is faster than with a union


def _as_tensor(value, like: Tensor) -> Tensor:
    """A Tensor on ``like``'s device (tensors pass through unchanged)."""
    if isinstance(value, Tensor):
        return value
    return tensor(
        value, device=like._device, dtype=like.dtype if isinstance(value, numbers.Number) else None
    )


def _operand(value, like: Tensor):
    """Operands of arithmetic: Tensors and Python scalars pass; arrays become Tensors."""
    if isinstance(value, Tensor | _pyint | _pyfloat | _pybool):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray | list | tuple) or hasattr(value, "__cuda_array_interface__"):
        return tensor(value, device=like._device)
    raise TypeError(f"unsupported operand type for a Tensor op: {type(value).__name__}")


def _unwrap_index(index):
    """Tensors inside an index become backend arrays (bool masks, integer arrays)."""
    if isinstance(index, Tensor):
        return index._data
    if isinstance(index, tuple):
        return tuple(i._data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


# -- factories -----------------------------------------------------------------------
def tensor(data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor copied from data (nested lists, scalars, arrays, Tensors)."""
    dev = normalize_device(device) if device is not None else None
    if isinstance(data, Tensor):
        arr = data._data
        dev = dev or data._device
        src_dev = data._device
    elif isinstance(data, list | tuple) and any(isinstance(x, Tensor) for x in data):
        arr = np.array([_backend.to_numpy(x._data) if isinstance(x, Tensor) else x for x in data])
        src_dev = "cpu"
        if dtype is None:
            arr = _default_float(arr)
    elif hasattr(data, "__cuda_array_interface__") and not isinstance(data, np.ndarray):
        arr = data
        src_dev = "cuda"
    else:
        arr = np.array(data)
        src_dev = "cpu"
        if dtype is None and not isinstance(data, np.ndarray | np.generic):
            arr = _default_float(arr)
    dev = dev or src_dev
    if dtype is not None:
        arr = arr.astype(_dt.to_numpy_dtype(dtype))
    elif arr.dtype.kind not in "fiub" or arr.dtype == np.uint64:
        _dt.from_numpy_dtype(arr.dtype)  # raises a clear TypeError
    xp = _backend.get(dev).xp
    if src_dev != dev:
        arr = xp.asarray(_backend.to_numpy(arr)) if dev == "cuda" else _backend.to_numpy(arr)
    arr = xp.array(arr, copy=True)
    if arr.dtype == np.uint32 or arr.dtype == np.uint16:
        arr = arr.astype(np.int64)
    t = _make(arr, dev, False, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A CPU tensor sharing memory with a numpy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dt.from_numpy_dtype(array.dtype)
    return _make(array, "cpu", False, None)


from core import ops as _ops  # noqa: E402  (ops need Tensor defined first)
from core.ops._util import assign as _assign  # noqa: E402
