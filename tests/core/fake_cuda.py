"""A stand-in "cuda" device for tests on machines without a GPU.

Ops choose their CuPy code paths by the array module (``xp is not numpy``), by the
device name and by the array type. The fixture ``fake_cuda`` (:func:`fixture_fake_cuda`:
import it into a test module) registers, for one test, a "cuda" backend that takes all
of those paths with numpy doing the arithmetic:

- its ``xp`` is :class:`FakeCupy`, a module object that is not numpy: it forwards to
  numpy, except for names CuPy lacks (``errstate``, ...), its ``lib.stride_tricks``
  (CuPy's two functions, with their signatures) and ``ElementwiseKernel`` (a small
  interpreter of the C bodies the optimizers compile, :class:`ElementwiseKernel`);
- its arrays are :class:`DeviceArray`, an ndarray subclass standing in for
  ``cupy.ndarray``: ``type(a) is numpy.ndarray`` is False on them, as on CuPy arrays;
  full reductions and scalar indexing give 0-d arrays, not numpy scalars (as CuPy);
  mixing them with host numpy arrays in one operation raises TypeError (CuPy
  refuses host arrays; only ``xp.asarray``/``xp.array`` copy host data over);
- every read of a device value on the host (``float(a)``, ``bool(a)``, ``a.item()``,
  ``a.get()``, ...) is counted in :data:`HOST_READS`: on a GPU each one waits for
  the device (a sync), so tests can assert that hot paths make none.

It cannot catch everything CuPy does differently: numpy's semantics decide corner
cases (NaN and rounding inside CuPy's own kernels, FMA contraction on the GPU), no CUDA
compiler sees the kernel bodies, ``numpy.asarray`` of a device array passes here (CuPy
refuses it) without being counted as a host read, and CuPy's internal syncs (nonzero,
boolean masks) are not counted.
"""

from __future__ import annotations

import collections
import re
import types

import numpy as np
import pytest

import core
from core import backend as _backend
from core.optim import optimizer as _optimizer

HOST_READS: collections.Counter = collections.Counter()  # what -> count, see DeviceArray

# numpy functions CuPy does not provide (as cupy.<name> or through __array_function__)
NUMPY_ONLY = frozenset(
    {
        "errstate",
        "seterr",
        "geterr",
        "seterrcall",
        "nditer",
        "ndenumerate",
        "frompyfunc",
        "fromiter",
        "frombuffer",
        "einsum_path",
        "memmap",
        "matrix",
        "asmatrix",
        "ma",
        "rec",
        "char",
        "ctypeslib",
        "lib",  # replaced by FakeCupy.lib
    }
)
_TRANSFERS = frozenset({"array", "asarray", "asanyarray"})  # may take host arrays


class DeviceArray(np.ndarray):
    """numpy memory standing in for a ``cupy.ndarray`` (see the module docstring).

    Device arrays own their memory or view another device array's (``base`` is that
    owner, as for CuPy arrays, whose views core's in-place rules track by ``base``)."""

    # -- arithmetic: numpy's, on plain views; host operands refused as CuPy does ----
    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        _refuse_host(inputs, f"{ufunc.__name__}.{method}")
        args = [_plain(x) for x in inputs]
        if out is not None:
            _refuse_host(out, f"{ufunc.__name__}(out=)")
            kwargs["out"] = tuple(_plain(o) for o in out)
        result = getattr(ufunc, method)(*args, **kwargs)
        if method == "at":
            return None
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _device(result)

    def __array_function__(self, func, types_, args, kwargs):
        name = func.__name__
        if name in NUMPY_ONLY:
            raise TypeError(f"numpy.{name} has no CuPy counterpart for device arrays")
        _refuse_host([*args, *kwargs.values()], f"numpy.{name}")
        out = kwargs.get("out")
        result = func(*_plain_nested(args), **{k: _plain_nested(v) for k, v in kwargs.items()})
        if isinstance(out, DeviceArray):
            return out
        return _device(result, _owners([*args, *kwargs.values()]))

    # -- CuPy's 0-d results -----------------------------------------------------------
    def __getitem__(self, index):
        r = super().__getitem__(_plain_nested(index))
        return _owned(np.asarray(r)) if isinstance(r, np.generic) else r

    def __setitem__(self, index, value):
        if type(value) is np.ndarray and value.ndim:
            raise TypeError(
                f"assigning a host numpy array of shape {value.shape} to a device array "
                "(CuPy needs xp.asarray(value) first)"
            )
        super().__setitem__(_plain_nested(index), _plain(value))

    # -- host reads (a device sync each on a GPU) ---------------------------------------
    def _host_read(self, what: str):
        HOST_READS[what] += 1
        return self.view(np.ndarray)

    def __bool__(self):
        return bool(self._host_read("bool"))

    def __int__(self):
        return int(self._host_read("int"))

    def __float__(self):
        return float(self._host_read("float"))

    def __index__(self):
        return self._host_read("index").__index__()

    def __complex__(self):
        return complex(self._host_read("complex"))

    def item(self, *args):
        return self._host_read("item").item(*args)

    def tolist(self):
        return self._host_read("tolist").tolist()

    def get(self, stream=None, order="C", out=None, blocking=True):
        """CuPy's device-to-host copy."""
        host = np.array(self._host_read("get"), order=order)
        if out is None:
            return host
        out[...] = host
        return out


def _plain(x):
    return x.view(np.ndarray) if isinstance(x, DeviceArray) else x


def _plain_nested(x):
    if isinstance(x, DeviceArray):
        return x.view(np.ndarray)
    if type(x) is tuple or type(x) is list:
        return type(x)(_plain_nested(v) for v in x)
    return x


def _owner(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _owners(values) -> list:
    """The owning device arrays of the device arrays among values (nested one level)."""
    out = []
    for v in values:
        if isinstance(v, DeviceArray):
            out.append(_owner(v))
        elif type(v) is tuple or type(v) is list:
            out.extend(_owner(w) for w in v if isinstance(w, DeviceArray))
    return out


def _owned(a: np.ndarray) -> DeviceArray:
    """A new device array owning a C-ordered copy of a (CuPy's results are C-ordered)."""
    d = np.ndarray.__new__(DeviceArray, a.shape, a.dtype)
    np.copyto(d.view(np.ndarray), a)
    return d


def _view(owner: DeviceArray, v: np.ndarray) -> DeviceArray:
    """v, a plain view into owner's memory, as a device array whose base is owner."""
    offset = v.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return np.ndarray.__new__(
        DeviceArray, v.shape, v.dtype, buffer=owner, offset=offset, strides=v.strides
    )


def _device(r, sources=()):
    """numpy results as device arrays: views of the device arrays in sources stay views
    of them; new arrays (and numpy scalars, as 0-d arrays: CuPy's results) are owned."""
    if type(r) is np.ndarray:
        if r.base is not None and r.size:
            for owner in sources:
                if np.may_share_memory(r, owner.view(np.ndarray)):
                    return _view(owner, r)
        return _owned(r)
    if isinstance(r, np.generic):
        return _owned(np.asarray(r))
    if type(r) is tuple or type(r) is list:
        return type(r)(_device(v, sources) for v in r)
    return r


def _refuse_host(values, what: str) -> None:
    for v in values:
        if type(v) is np.ndarray:
            raise TypeError(
                f"{what}: a host numpy array (shape {v.shape}) mixed with device arrays "
                "(CuPy raises TypeError: Unsupported type <class 'numpy.ndarray'>)"
            )
        if type(v) is tuple or type(v) is list:
            _refuse_host(v, what)


# -- the module ----------------------------------------------------------------------------
class _Function:
    """A numpy function as xp.<name>: host arrays refused (except by the transfer
    functions, which copy them), results as device arrays."""

    def __init__(self, fn, name: str) -> None:
        self._fn, self.__name__ = fn, name

    def __call__(self, *args, **kwargs):
        if self.__name__ in _TRANSFERS and args:
            src, dtype = args[0], kwargs.get("dtype", args[1] if len(args) > 1 else None)
            same = dtype is None or np.dtype(dtype) == getattr(src, "dtype", None)
            copies = self.__name__ == "array" and kwargs.get("copy", True) is not False
            if isinstance(src, DeviceArray) and same and not copies:
                return src  # CuPy's asarray of a device array of that dtype: itself
            if type(src) is np.ndarray:  # host -> device: always a copy
                rest = {k: v for k, v in kwargs.items() if k != "copy"}
                return _owned(np.array(src, *args[1:], **rest))
        else:
            _refuse_host([*args, *kwargs.values()], f"xp.{self.__name__}")
        return _device(self._fn(*args, **kwargs))


class _Ufunc(_Function):
    """A numpy ufunc as xp.<name>: called as a function; its methods forwarded."""

    def __getattr__(self, name):
        return getattr(self._fn, name)


def _as_strided(x, shape=None, strides=None):
    """cupy.lib.stride_tricks.as_strided: exactly CuPy's signature."""
    _refuse_host([x], "as_strided")
    view = np.lib.stride_tricks.as_strided(_plain(x), shape=shape, strides=strides)
    return _view(_owner(x), view)


def _sliding_window_view(x, window_shape, axis=None, *, subok=False, writeable=False):
    _refuse_host([x], "sliding_window_view")
    view = np.lib.stride_tricks.sliding_window_view(_plain(x), window_shape, axis)
    return _view(_owner(x), view)


class _Device:
    def __init__(self, index: int = 0) -> None:
        self.id = index

    def synchronize(self) -> None:
        pass


_CUDA = types.SimpleNamespace(
    Device=_Device, runtime=types.SimpleNamespace(getDeviceCount=lambda: 1)
)


class FakeCupy(types.ModuleType):
    """numpy behind CuPy's names (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__("fake_cupy")
        self.ndarray = DeviceArray
        self.lib = types.SimpleNamespace(
            stride_tricks=types.SimpleNamespace(
                as_strided=_as_strided, sliding_window_view=_sliding_window_view
            )
        )
        self.ElementwiseKernel = ElementwiseKernel
        self.cuda = _CUDA

    def __getattr__(self, name: str):
        if name.startswith("__") or name in NUMPY_ONLY:
            raise AttributeError(f"module 'cupy' has no attribute {name!r}")
        attr = getattr(np, name)
        if isinstance(attr, np.ufunc):
            attr = _Ufunc(attr, name)
        elif callable(attr) and not isinstance(attr, type):
            attr = _Function(attr, name)
        setattr(self, name, attr)  # cached
        return attr


class _Rng:
    """A numpy Generator whose draws land on the fake device."""

    def __init__(self, seed) -> None:
        self._g = np.random.default_rng(seed)

    def __getattr__(self, name):
        fn = getattr(self._g, name)
        return lambda *a, **k: _device(fn(*a, **k))


def _to_numpy(a) -> np.ndarray:
    """core.backend.to_numpy, with device arrays copied to the host as CuPy's .get()."""
    if isinstance(a, DeviceArray):
        return a.get()
    return _ORIGINAL_TO_NUMPY(a)


_ORIGINAL_TO_NUMPY = _backend.to_numpy


def _add_at(target, index, values) -> None:
    np.add.at(_plain(target), _plain_nested(index), _plain(values))


# -- ElementwiseKernel: the C bodies evaluated with numpy, one statement at a time ---------
_TOKEN = re.compile(
    r"\s*(?:(\d+\.\d*(?:[eE][-+]?\d+)?f?|\d+(?:[eE][-+]?\d+)f?|\d+)|([A-Za-z_]\w*)"
    r"|(&&|\|\||==|!=|<=|>=|[-+*/<>!?:(),=]))"
)
_C_TYPES = {"float": np.float32, "double": np.float64, "bool": np.bool_, "int": np.int32}
_FUNCS = {
    "sqrt": np.sqrt,
    "exp": np.exp,
    "log": np.log,
    "abs": np.abs,
    "fabs": np.abs,
    "max": np.fmax,  # CUDA's float max/min are fmaxf/fminf: a NaN operand loses
    "min": np.fmin,
    "isnan": np.isnan,
}


def _tokens(src: str) -> list:
    out, pos, src = [], 0, src.strip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if m is None or m.end() == pos:
            raise SyntaxError(f"ElementwiseKernel: cannot read {src[pos : pos + 20]!r}")
        out.append(m.group(m.lastindex))
        pos = m.end()
    return out


class _Expr:
    """A recursive-descent evaluator of C expressions over numpy values (C's
    precedence; ternaries as numpy.where, evaluating both sides)."""

    def __init__(self, tokens: list, env: dict) -> None:
        self.t, self.i, self.env = tokens, 0, env

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self, want=None):
        tok = self.peek()
        if want is not None and tok != want:
            raise SyntaxError(f"ElementwiseKernel: expected {want!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self):
        value = self.ternary()
        if self.peek() is not None:
            raise SyntaxError(f"ElementwiseKernel: unexpected {self.peek()!r}")
        return value

    def ternary(self):
        cond = self.binary(0)
        if self.peek() != "?":
            return cond
        self.take("?")
        a = self.ternary()
        self.take(":")
        b = self.ternary()
        return np.where(cond, a, b)

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/"))
    _OPS = {
        "||": np.logical_or,
        "&&": np.logical_and,
        "==": np.equal,
        "!=": np.not_equal,
        "<": np.less,
        ">": np.greater,
        "<=": np.less_equal,
        ">=": np.greater_equal,
        "+": np.add,
        "-": np.subtract,
        "*": np.multiply,
        "/": np.divide,
    }

    def binary(self, level: int):
        if level == len(self._LEVELS):
            return self.unary()
        value = self.binary(level + 1)
        while self.peek() in self._LEVELS[level]:
            op = self._OPS[self.take()]
            value = op(value, self.binary(level + 1))
        return value

    def unary(self):
        tok = self.peek()
        if tok == "-":
            self.take()
            return np.negative(self.unary())
        if tok == "!":
            self.take()
            return np.logical_not(self.unary())
        if tok == "+":
            self.take()
            return self.unary()
        return self.primary()

    def primary(self):
        tok = self.take()
        if tok == "(":
            value = self.ternary()
            self.take(")")
            return value
        if tok is None:
            raise SyntaxError("ElementwiseKernel: unexpected end of expression")
        if tok[0].isdigit():
            if tok.endswith("f"):
                return np.float32(tok[:-1])
            # C: a literal with a point or exponent is a double, else an int
            return np.float64(tok) if ("." in tok or "e" in tok.lower()) else int(tok)
        if self.peek() == "(":  # a function call
            if tok not in _FUNCS:
                raise NameError(f"ElementwiseKernel: unknown function {tok!r}")
            self.take("(")
            args = [self.ternary()]
            while self.peek() == ",":
                self.take(",")
                args.append(self.ternary())
            self.take(")")
            return _FUNCS[tok](*args)
        if tok not in self.env:
            raise NameError(f"ElementwiseKernel: {tok!r} is not a parameter or local")
        return self.env[tok]


def _params(spec: str) -> list:
    """[(type, name)] of CuPy's 'T x, float32 y, bool z' parameter lists."""
    out = []
    for part in spec.split(","):
        words = part.split()
        if not words:
            continue
        if len(words) != 2 or words[0] == "raw":
            raise NotImplementedError(f"ElementwiseKernel stand-in: parameter {part!r}")
        out.append((words[0], words[1]))
    return out


class ElementwiseKernel:
    """cupy.ElementwiseKernel, interpreted: the argument checks CuPy makes (count,
    device arrays for outputs, one dtype per type placeholder, outputs shaped like the
    broadcast, no writes to inputs), then the body statement by statement in numpy.
    Supports what the optimizers' kernels use: declarations ``T x = ...;``,
    assignments, arithmetic, comparisons, ``&&``/``||``/``!``, ternaries, sqrt/max/min."""

    calls: collections.Counter = collections.Counter()  # kernel name -> calls

    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs) -> None:
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f'Invalid kernel name: "{name}"')
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        names = [n for _, n in self.in_params + self.out_params]
        if "i" in names or len(set(names)) != len(names):
            raise ValueError(f"ElementwiseKernel {name}: bad parameter names {names}")
        self.operation, self.name = operation, name
        self.statements = [s.strip() for s in operation.split(";") if s.strip()]
        for s in self.statements:
            if "{" in s or "}" in s or s.startswith(("if", "for", "while")):
                raise NotImplementedError(f"ElementwiseKernel stand-in: statement {s!r}")

    def _dtype(self, ctype: str, types_: dict):
        return types_[ctype] if len(ctype) == 1 else np.dtype(ctype)

    def __call__(self, *args):
        nin, nout = len(self.in_params), len(self.out_params)
        if len(args) != nin + nout:
            raise TypeError(
                f"Wrong number of arguments for {self.name!r}. It must be either {nin} or "
                f"{nin + nout} (with outputs), but given {len(args)}."
            )
        _refuse_host(args, self.name)
        ins, outs = args[:nin], args[nin:]
        types_: dict = {}
        # CuPy binds type placeholders from the output arrays first, then the input arrays
        for (ctype, pname), a in [*zip(self.out_params, outs), *zip(self.in_params, ins)]:
            is_array = isinstance(a, DeviceArray)
            if not is_array and (ctype, pname) in self.out_params:
                raise TypeError("Output arguments must be cupy.ndarray")
            if not is_array:
                continue
            if len(ctype) == 1:
                if types_.setdefault(ctype, a.dtype) != a.dtype:
                    raise TypeError(f"Type is mismatched. {pname} {a.dtype} {types_[ctype]}")
            elif a.dtype != np.dtype(ctype):
                raise TypeError(f"Type is mismatched. {pname} {a.dtype} {ctype}")
        shape = np.broadcast_shapes(*(a.shape for a in args if isinstance(a, DeviceArray)))
        for (_, pname), a in zip(self.out_params, outs):
            if a.shape != shape:
                raise ValueError(f"Out shape is mismatched ({pname}: {a.shape} vs {shape})")
        env = {}
        for (ctype, pname), a in zip(self.in_params, ins):
            dtype = self._dtype(ctype, types_)
            env[pname] = _plain(a) if isinstance(a, DeviceArray) else dtype.type(a)
        for (_, pname), a in zip(self.out_params, outs):
            env[pname] = _plain(a)
        writable = {n: self._dtype(t, types_) for t, n in self.out_params}
        inputs = {n for _, n in self.in_params}
        ElementwiseKernel.calls[self.name] += 1
        with np.errstate(all="ignore"):  # both sides of every ternary are evaluated
            for statement in self.statements:
                self._run(statement, env, writable, inputs, types_)
        return outs[0] if nout == 1 else tuple(outs)

    def _run(self, statement: str, env: dict, writable: dict, inputs: set, types_: dict):
        tokens = _tokens(statement)
        ctype = None
        if len(tokens) > 2 and tokens[2] == "=" and tokens[1].isidentifier():
            ctype, tokens = tokens[0], tokens[1:]  # a declaration
        if len(tokens) < 3 or tokens[1] != "=" or not tokens[0].isidentifier():
            raise NotImplementedError(f"ElementwiseKernel stand-in: statement {statement!r}")
        target = tokens[0]
        value = _Expr(tokens[2:], env).parse()
        if ctype is not None:
            if target in env:
                raise SyntaxError(f"ElementwiseKernel: redeclaration of {target!r}")
            dtype = types_[ctype] if ctype in types_ else np.dtype(_C_TYPES[ctype])
            env[target] = np.asarray(value).astype(dtype)
        elif target in inputs:
            raise SyntaxError(f"ElementwiseKernel: assignment to input (const) {target!r}")
        elif target in writable:
            env[target][...] = np.asarray(value).astype(writable[target])
        elif target in env:
            env[target] = np.asarray(value).astype(np.asarray(env[target]).dtype)
        else:
            raise NameError(f"ElementwiseKernel: {target!r} is not declared")


# -- the fixture -------------------------------------------------------------------------
@pytest.fixture(name="fake_cuda")
def fixture_fake_cuda(monkeypatch):
    """Register the stand-in "cuda" backend for one test; returns its FakeCupy module.
    Host reads and kernel calls are counted from zero."""
    xp = FakeCupy()
    backend = _backend.Backend("cuda", xp, _backend.CPU.erf, _add_at, _Rng)
    monkeypatch.setitem(_backend._BACKENDS, "cuda", backend)
    monkeypatch.setitem(_backend.XP, "cuda", xp)
    monkeypatch.setattr(_backend, "to_numpy", _to_numpy)
    monkeypatch.setattr(_optimizer, "_kernels", {})  # kernels made for this xp only
    added = DeviceArray not in _backend.ARRAY_TYPES
    _backend.ARRAY_TYPES.add(DeviceArray)  # in place: modules hold the set itself
    HOST_READS.clear()
    ElementwiseKernel.calls.clear()
    assert core.cuda.is_available()
    try:
        yield xp
    finally:
        if added:
            _backend.ARRAY_TYPES.discard(DeviceArray)
