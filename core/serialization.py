"""``core.save`` / ``core.load``: tensors and nested containers, in the safetensors format.

A file is: an 8-byte little-endian header length, a JSON header mapping each tensor's
name to its dtype, shape and data_offsets (bytes into the data that follows), then the
raw little-endian bytes. The header's ``__metadata__`` holds, under ``"ember"``, the
saved object's structure as a JSON string: dicts (any key types: str, int, float,
bool, None, tuples), lists, tuples, numbers, strings, bools, None, dtypes, devices and
tensors (by name). So a model's state_dict and an optimizer's (int keys, tuples) round
trip, and a flat ``{name: tensor}`` dict is an ordinary safetensors file, readable by
the safetensors library (and files it writes load here as such a dict).

There is no pickle: loading reads JSON and raw numbers only, so a hostile file cannot
run code. Every malformed file raises a ValueError that names the file and the problem.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections import OrderedDict

import numpy as np

from core import backend as _backend
from core import dtypes as _dt
from core._atomic import write_atomic
from core.tensor import Tensor, _make, device, normalize_device

__all__ = ["load", "save"]

FORMAT = "ember"
VERSION = "1"
MAX_HEADER = 100_000_000  # bytes; the safetensors library's own limit

# safetensors dtype codes <-> little-endian numpy dtypes
_CODES = {
    "BOOL": np.dtype("|b1"),
    "U8": np.dtype("|u1"),
    "I8": np.dtype("|i1"),
    "I16": np.dtype("<i2"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
}
# codes other writers use that load widened to a core dtype
_WIDENED = {"U16": np.dtype("<u2"), "U32": np.dtype("<u4"), "BF16": np.dtype("<u2")}
_CODE_OF = {d.newbyteorder("="): code for code, d in _CODES.items()}


# -- save ---------------------------------------------------------------------------------------
class _Writer:
    """Turns an object into (structure JSON, [(name, array)])."""

    def __init__(self) -> None:
        self.arrays: list[tuple[str, np.ndarray]] = []
        self.names: set[str] = {"__metadata__"}
        self.active: set[int] = set()  # ids of containers being encoded: cycle check

    def name(self, path: str) -> str:
        name, k = path or "tensor", 1
        while name in self.names:
            k += 1
            name = f"{path or 'tensor'}#{k}"
        self.names.add(name)
        return name

    def array(self, a: np.ndarray, path: str) -> str:
        if a.dtype.newbyteorder("=") not in _CODE_OF:
            raise TypeError(
                f"core.save: {path or 'the object'} has dtype {a.dtype}, not one of "
                + ", ".join(d.name for d in _dt.ALL)
            )
        a = a.astype(a.dtype.newbyteorder("<"), order="C", copy=False)  # keeps 0-d arrays 0-d
        name = self.name(path)
        self.arrays.append((name, a))
        return name

    def encode(self, obj, path: str):
        if obj is None or isinstance(obj, bool | str):
            return obj
        if isinstance(obj, Tensor):
            out = {"T": self.array(_backend.to_numpy(obj._data), path)}
            if obj._device != "cpu":
                out["dev"] = obj._device
            if obj._requires_grad:
                out["rg"] = True
            return out
        if isinstance(obj, int | np.integer | np.bool_):
            return bool(obj) if isinstance(obj, np.bool_) else int(obj)
        if isinstance(obj, float | np.floating):
            obj = float(obj)
            return obj if math.isfinite(obj) else {"F": repr(obj)}
        if isinstance(obj, np.ndarray):
            return {"A": self.array(obj, path)}
        if isinstance(obj, _dt.dtype):
            return {"dtype": obj.name}
        if isinstance(obj, device):
            return {"device": obj.type}
        if isinstance(obj, list | tuple | dict):
            if id(obj) in self.active:
                raise ValueError(f"core.save: {path or 'the object'} contains itself (a cycle)")
            self.active.add(id(obj))
            try:
                return self.container(obj, path)
            finally:
                self.active.discard(id(obj))
        raise TypeError(
            f"core.save: cannot save {type(obj).__name__} at {path or 'the top level'}: "
            "supported are tensors, numpy arrays, dicts, lists, tuples, numbers, strings, "
            "bools, None, dtypes and devices"
        )

    def container(self, obj, path: str):
        prefix = f"{path}." if path else ""
        if isinstance(obj, list):
            return [self.encode(v, f"{prefix}{i}") for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"tuple": [self.encode(v, f"{prefix}{i}") for i, v in enumerate(obj)]}
        items = [[self.key(k, path), self.encode(v, f"{prefix}{k}")] for k, v in obj.items()]
        return {"odict" if isinstance(obj, OrderedDict) else "dict": items}

    def key(self, k, path: str):
        if isinstance(k, Tensor | np.ndarray) or not isinstance(
            k, str | int | float | bool | tuple | type(None) | np.integer | np.floating
        ):
            raise TypeError(
                f"core.save: dict key {k!r} at {path or 'the top level'} is a "
                f"{type(k).__name__}; keys may be str, int, float, bool, None or tuples of them"
            )
        if isinstance(k, tuple):
            return {"tuple": [self.key(v, path) for v in k]}
        return self.encode(k, path)


def save(obj, f, **kwargs) -> None:
    """Save ``obj`` (a tensor, or dicts/lists/tuples of tensors, numbers, strings, bools,
    None) to ``f``: a path (written atomically, see ``core._atomic``) or a binary file
    object. CUDA tensors are saved from host copies.
    PyTorch's pickle options (pickle_module, ...) are accepted and ignored."""
    writer = _Writer()
    structure = json.dumps(writer.encode(obj, ""), separators=(",", ":"), allow_nan=False)
    header: dict = {"__metadata__": {"format": FORMAT, "ember.version": VERSION, FORMAT: structure}}
    offset = 0
    for name, a in writer.arrays:
        header[name] = {
            "dtype": _CODE_OF[a.dtype.newbyteorder("=")],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + a.nbytes],
        }
        offset += a.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # pad: tensor data starts 8-byte aligned
    chunks = [len(raw).to_bytes(8, "little"), raw]
    chunks += [a.reshape(-1).view(np.uint8).data for _, a in writer.arrays]

    if not isinstance(f, str | os.PathLike):
        for c in chunks:
            f.write(c)
        return
    write_atomic(f, chunks)


# -- load ---------------------------------------------------------------------------------------
def _read(f, n: int, where: str) -> bytes:
    data = f.read(n)
    if not isinstance(data, bytes | bytearray):
        raise TypeError("core.load: the file object must be opened in binary mode")
    if len(data) != n:
        raise ValueError(
            f"{where}: the file is truncated: expected {n} more bytes, found {len(data)}"
        )
    return data


def _fill(fh, buf: np.ndarray) -> int:
    """Read into the uint8 array buf until it is full or the file ends; bytes read."""
    view, done = memoryview(buf), 0
    while done < len(view):
        if hasattr(fh, "readinto"):
            got = fh.readinto(view[done:])
        else:
            chunk = fh.read(len(view) - done)
            got = len(chunk)
            view[done : done + got] = chunk
        if not got:
            break
        done += got
    return done


def _entries(header: dict, data_len: int, where: str) -> list:
    """Validated (name, numpy dtype, code, shape, begin, end), sorted by begin."""
    out = []
    for name, info in header.items():
        what = f"{where}: tensor {name!r}"
        if not isinstance(info, dict):
            raise ValueError(f"{what}: expected an object with dtype, shape and data_offsets")
        code, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if not isinstance(code, str) or (code not in _CODES and code not in _WIDENED):
            raise ValueError(
                f"{what}: dtype {code!r} is not one core can load (expected one of "
                + ", ".join([*_CODES, *_WIDENED])
                + ")"
            )
        if (
            not isinstance(shape, list)
            or len(shape) > 32
            or not all(type(s) is int and 0 <= s < 2**62 for s in shape)
        ):
            raise ValueError(f"{what}: shape {shape!r} is not a list of non-negative ints")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(type(o) is int and o >= 0 for o in offsets)
            or offsets[0] > offsets[1]
        ):
            raise ValueError(
                f"{what}: data_offsets {offsets!r} is not [begin, end] with begin <= end"
            )
        begin, end = offsets
        dtype = _CODES.get(code) or _WIDENED[code]
        nbytes = math.prod(shape) * dtype.itemsize
        if end - begin != nbytes:
            raise ValueError(
                f"{what}: shape {shape} of {code} needs {nbytes} bytes, but data_offsets "
                f"[{begin}, {end}] hold {end - begin}"
            )
        if end > data_len:
            raise ValueError(
                f"{what}: data_offsets [{begin}, {end}] run past the end of the data "
                f"({data_len} bytes after the header)"
            )
        out.append((name, dtype, code, tuple(shape), begin, end))
    out.sort(key=lambda e: (e[4], e[5]))
    for prev, cur in zip(out, out[1:]):
        if cur[4] < prev[5]:
            raise ValueError(
                f"{where}: tensors {prev[0]!r} [{prev[4]}, {prev[5]}] and {cur[0]!r} "
                f"[{cur[4]}, {cur[5]}] overlap"
            )
    return out


def _native(a: np.ndarray, code: str) -> np.ndarray:
    if code == "BF16":  # the top half of a float32
        return (a.astype(np.uint32) << 16).view(np.float32)
    if code in ("U16", "U32"):
        return a.astype(np.int64)
    if code == "BOOL":  # any non-zero byte is True (bool arrays must hold 0 or 1)
        return a.view(np.uint8) != 0
    return a.astype(a.dtype.newbyteorder("="), copy=False)


def _header(f, size: int, where: str) -> tuple[dict, int]:
    if size < 8:
        raise ValueError(
            f"{where}: {size} bytes is too short for a safetensors file (an 8-byte header "
            "length, then a JSON header)"
        )
    base = f.tell()
    head = _read(f, 8, where)
    n = int.from_bytes(head, "little")
    if n < 2 or n > size - 8 or n > MAX_HEADER:
        raise ValueError(
            _foreign(head, f, base, where)
            or f"{where}: header length {n} is impossible for a file of {size} bytes (not a "
            "safetensors file, or truncated)"
        )
    raw = _read(f, n, where)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{where}: the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        raise ValueError(
            f"{where}: the header is a JSON {type(header).__name__}, expected an object"
        )
    return header, size - 8 - n


_TORCH_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"
_CONVERT = (
    "Convert it once, in an environment with PyTorch: `import torch; from safetensors.torch "
    "import save_file; save_file(torch.load(path, weights_only=True), 'model.safetensors')`, "
    "then core.load('model.safetensors') gives that {name: tensor} dict. save_file needs a "
    "flat {name: tensor} dict: for a checkpoint holding more (e.g. {'model': state_dict, "
    "'optimizer': ...}) save the state dict, `save_file(ckpt['model'], ...)`, and clone "
    "tensors that share memory (tied weights) first: `{k: v.clone() for k, v in sd.items()}`"
)


def _foreign(head: bytes, fh, base: int, where: str) -> str | None:
    """What the file is, when its first bytes show a format core.load does not read
    (a PyTorch checkpoint, a pickle, a NumPy file); None when they show nothing known."""
    if head.startswith(b"PK\x03\x04"):
        names = None
        try:
            fh.seek(base)
            with zipfile.ZipFile(fh) as z:
                names = z.namelist()
        except Exception:  # a truncated or odd archive: judge by its first bytes alone
            pass
        if names and all(n.endswith(".npy") for n in names):
            return (
                f"{where} is a NumPy .npz archive, not a safetensors file; read it with "
                "numpy.load (allow_pickle=False) or core.datasets.load_npz"
            )
        if names is not None and not any(
            n.endswith(("data.pkl", "/version", "/byteorder")) for n in names
        ):
            return (
                f"{where} is a zip archive (holding {', '.join(names[:5])}"
                f"{', ...' if len(names) > 5 else ''}), not a safetensors file; core.load "
                "reads only safetensors files"
            )
        return (
            f"{where} is a PyTorch checkpoint (a pickle inside a zip archive); core.load "
            f"reads only safetensors files and never unpickles. {_CONVERT}"
        )
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        if _TORCH_LEGACY_MAGIC.startswith(head):
            what = "a PyTorch checkpoint in the legacy format (a pickle)"
        else:
            what = "a Python pickle (perhaps a PyTorch checkpoint)"
        return (
            f"{where} is {what}; core.load reads only safetensors files and never "
            f"unpickles. {_CONVERT}"
        )
    if head.startswith(b"\x93NUMPY"):
        return f"{where} is a NumPy .npy file, not a safetensors file; read it with numpy.load"
    return None


def _stream(f):
    """(seekable file, bytes left, close?) for a path or a file object."""
    if isinstance(f, str | os.PathLike):
        fh = open(os.fspath(f), "rb")
        return fh, os.fstat(fh.fileno()).st_size, True
    if not hasattr(f, "read"):
        raise TypeError(
            f"core.load: expected a path or a binary file object, got {type(f).__name__}"
        )
    try:
        seekable = f.seekable()
    except (AttributeError, OSError, ValueError):
        seekable = False
    if seekable:
        here = f.tell()
        end = f.seek(0, os.SEEK_END)
        f.seek(here)
        return f, end - here, False
    import io

    data = f.read()  # read once: the size must be known before trusting any offset
    if not isinstance(data, bytes | bytearray):
        raise TypeError("core.load: the file object must be opened in binary mode")
    return io.BytesIO(data), len(data), True


def load(f, map_location=None, *, weights_only: bool = True, mmap=None, **kwargs):
    """Load what :func:`save` wrote (or any safetensors file: a dict of tensors) from a
    path or a binary file object. ``map_location`` moves tensors; by default each returns
    to its saved device. It may be "cpu", "cuda", a core.device, a dict {saved: new}
    (``{"cuda": "cpu"}``), or, as in PyTorch, a callable ``fn(tensor, location)`` called
    for each tensor with the tensor loaded on the CPU and its saved device ("cpu" or
    "cuda"); it returns the tensor to use (``lambda t, loc: t`` keeps everything on the
    CPU, ``lambda t, loc: t.cuda()`` moves it to the GPU) or None for the default.
    Never runs code from the file: ``weights_only`` is accepted and always true. A
    PyTorch checkpoint (pickle) is refused with a ValueError that says how to convert it."""
    where = (
        os.fspath(f) if isinstance(f, str | os.PathLike) else getattr(f, "name", "<file object>")
    )
    where = str(where)
    mapper = _mapper(map_location)
    fh, size, close = _stream(f)
    try:
        base = fh.tell()
        header, data_len = _header(fh, size, where)
        meta = header.pop("__metadata__", None)
        if meta is not None and (
            not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values())
        ):
            raise ValueError(f"{where}: __metadata__ must map names to strings")
        entries = _entries(header, data_len, where)
        start = base + size - data_len
        arrays = {}
        for name, dtype, code, shape, begin, _ in entries:
            try:
                a = np.empty(shape, dtype=dtype)
            except (ValueError, MemoryError) as exc:
                raise ValueError(f"{where}: tensor {name!r}: shape {list(shape)}: {exc}") from None
            fh.seek(start + begin)
            if _fill(fh, a.reshape(-1).view(np.uint8)) != a.nbytes:
                raise ValueError(f"{where}: tensor {name!r}: the file is truncated")
            arrays[name] = _native(a, code)
    finally:
        if close:
            fh.close()
    structure = None if meta is None else meta.get(FORMAT)
    if structure is None:  # a plain safetensors file
        try:
            return {name: mapper(_make(arrays[name], "cpu", False, None), "cpu") for name in header}
        except _MapLocationError as exc:
            raise exc.error from None
    try:
        tree = json.loads(structure)
        return _Reader(arrays, mapper, where).decode(tree)
    except _MapLocationError as exc:  # raised by or about the user's callable: as it was
        raise exc.error from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    except (TypeError, KeyError, AttributeError, IndexError, RecursionError) as exc:
        raise ValueError(
            f"{where}: the saved structure is malformed ({type(exc).__name__}: {exc})"
        ) from None


def _mapper(map_location):
    """fn(cpu tensor, saved device) -> tensor on the device map_location picks."""
    if map_location is None:
        return lambda t, saved: t if saved == "cpu" else t.to(saved)
    if isinstance(map_location, dict):
        table = {normalize_device(k): normalize_device(v) for k, v in map_location.items()}

        def move(t, saved):
            target = table.get(saved, saved)
            return t if target == "cpu" else t.to(target)

        return move
    if isinstance(map_location, str | device):
        target = normalize_device(map_location)
        return lambda t, saved: t if target == "cpu" else t.to(target)
    if callable(map_location):
        return _callable_mapper(map_location, _mapper(None))
    raise TypeError(
        f"map_location must be None, a device (str or core.device), a dict {{saved: new}} or "
        f"a callable fn(tensor, location) -> tensor, got {type(map_location).__name__}"
    )


class _MapLocationError(Exception):
    """Carries an exception from a map_location callable past load's error wrapping."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _callable_mapper(fn, default):
    def move(t, saved):
        try:
            out = fn(t, saved)
        except Exception as exc:
            raise _MapLocationError(exc) from None
        if out is None:
            return default(t, saved)
        if not isinstance(out, Tensor):
            raise _MapLocationError(
                TypeError(
                    f"map_location({type(t).__name__}, {saved!r}) returned "
                    f"{type(out).__name__}; expected a core Tensor (or None for the default)"
                )
            )
        return out

    return move


class _Reader:
    """Rebuilds the saved object from its structure JSON and the loaded arrays."""

    def __init__(self, arrays: dict, mapper, where: str) -> None:
        self.arrays, self.mapper, self.where = arrays, mapper, where

    def array(self, name) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise ValueError(f"the structure names a tensor {name!r} that the file does not hold")
        return self.arrays[name]

    def decode(self, node):
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict) or not node:
            raise ValueError(f"malformed structure node {node!r:.80}")
        tag = next(iter(node))
        value = node[tag]
        if tag == "T":
            saved = node.get("dev", "cpu")
            if saved not in ("cpu", "cuda"):
                raise ValueError(f"unknown device {saved!r} in the structure")
            t = self.mapper(_make(self.array(value), "cpu", False, None), saved)
            if node.get("rg") is True and t.is_floating_point():
                t.requires_grad_(True)
            return t
        if tag == "A":
            return self.array(value)
        if tag == "tuple" and isinstance(value, list):
            return tuple(self.decode(v) for v in value)
        if tag in ("dict", "odict") and isinstance(value, list):
            out = OrderedDict() if tag == "odict" else {}
            for item in value:
                if not isinstance(item, list) or len(item) != 2:
                    raise ValueError(f"malformed dict item {item!r:.80}")
                out[self.decode(item[0])] = self.decode(item[1])
            return out
        if tag == "F" and value in ("nan", "inf", "-inf"):
            return float(value)
        if tag == "dtype" and isinstance(value, str) and value in _dt._BY_NAME:
            return _dt._BY_NAME[value]
        if tag == "device" and value in ("cpu", "cuda"):
            return device(value)
        raise ValueError(f"malformed structure node {node!r:.80}")
