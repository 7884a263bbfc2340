"""MNIST-format IDX files (plain or gzip): ``read_idx``, ``load_idx``, ``load_mnist``.

An IDX file is: two zero bytes, a type code, the number of dimensions n, then n
big-endian uint32 sizes and the values (big-endian) in row-major order.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib

import numpy as np

from core.datasets.base import DatasetError, LabeledDataset

__all__ = ["load_idx", "load_mnist", "read_idx"]

TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_TYPE_LIST = "0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, 0x0E double"


def _open(path: str):
    with open(path, "rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    return (gzip.open(path, "rb") if gz else open(path, "rb")), gz


def read_idx(path) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` files are decompressed), in native byte
    order; DatasetError when the header or the size is not what an IDX file needs."""
    path = os.fspath(path)
    f, gz = _open(path)
    try:
        with f:
            head = f.read(4)
            if len(head) < 4:
                raise DatasetError(
                    f"{path}: {len(head)} bytes; an IDX file starts with a 4-byte magic number"
                )
            if head[0] != 0 or head[1] != 0:
                raise DatasetError(
                    f"{path}: bad magic number 0x{head.hex()}; an IDX file starts with two zero "
                    "bytes, a type code and the number of dimensions (e.g. 0x00000803)"
                )
            dtype = TYPES.get(head[2])
            if dtype is None:
                raise DatasetError(
                    f"{path}: unknown IDX type code 0x{head[2]:02X}; expected one of {_TYPE_LIST}"
                )
            ndim = head[3]
            if ndim == 0:
                raise DatasetError(f"{path}: the header says 0 dimensions; expected at least 1")
            raw = f.read(4 * ndim)
            if len(raw) < 4 * ndim:
                raise DatasetError(
                    f"{path}: the header is cut short: {ndim} dimension sizes need "
                    f"{4 * ndim} bytes after the magic number, found {len(raw)}"
                )
            shape = struct.unpack(f">{ndim}I", raw)
            nbytes = math.prod(shape) * dtype.itemsize
            expected = 4 + 4 * ndim + nbytes
            if not gz:
                size = os.fstat(f.fileno()).st_size
                if size != expected:
                    raise DatasetError(_size_message(path, shape, dtype, expected, size))
            data = _read_upto(f, nbytes + 1)  # one more: a longer file is an error
            if len(data) != nbytes:
                found = 4 + 4 * ndim + len(data)
                more = "or more " if len(data) > nbytes else ""
                raise DatasetError(
                    _size_message(path, shape, dtype, expected, found, more)
                    + (" (decompressed)" if gz else "")
                )
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DatasetError(f"{path}: cannot read it as an IDX file ({exc})") from None
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_upto(f, n: int, chunk: int = 1 << 22) -> bytes:
    """Up to n bytes, read in chunks: memory follows what the file really holds, not
    what its header claims (a gzip stream could claim anything)."""
    parts, left = [], n
    while left > 0:
        part = f.read(min(chunk, left))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _size_message(path, shape, dtype, expected, found, more="") -> str:
    return (
        f"{path}: the header describes shape {shape} of {dtype.name} values, so the file "
        f"should be {expected} bytes, but it is {more}{found} bytes"
    )


def load_idx(images_path, labels_path, *, name: str | None = None) -> LabeledDataset:
    """Images (N, H, W) and labels (N,) from an IDX pair: data (N, 1, H, W) float32 in
    [0, 1] (ubyte pixels are divided by 255; other types are only converted), targets
    int64; classes "0".."K-1" for K = the largest label + 1."""
    images_path, labels_path = os.fspath(images_path), os.fspath(labels_path)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DatasetError(
            f"{images_path}: expected images of 3 dimensions (N, H, W), found shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DatasetError(
            f"{labels_path}: expected labels as 1 dimension of integers, found shape "
            f"{labels.shape} of {labels.dtype}"
        )
    if len(images) != len(labels):
        raise DatasetError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} "
            "labels; expected one label per image"
        )
    if len(labels) and labels.min() < 0:
        raise DatasetError(f"{labels_path}: negative label {int(labels.min())}")
    x = images[:, None].astype(np.float32)
    if images.dtype == np.uint8:
        x /= 255.0
    stem = os.path.basename(images_path).split("-")[0].split(".")[0]
    return LabeledDataset(x, labels.astype(np.int64), name=name or stem or "idx")


def _find(root: str, names: list[str]) -> str:
    for n in names:
        for candidate in (n, n + ".gz"):
            p = os.path.join(root, candidate)
            if os.path.isfile(p):
                return p
    raise FileNotFoundError(
        f"{root}: none of {', '.join(names)} (plain or .gz) is there; expected the MNIST file names"
    )


def load_mnist(root, train: bool = True) -> LabeledDataset:
    """MNIST (or Fashion-MNIST, KMNIST: same file names) from a folder holding
    train-images-idx3-ubyte / train-labels-idx1-ubyte (``train=True``) or t10k-images-idx3-
    ubyte / t10k-labels-idx1-ubyte, plain or ``.gz``; nothing is downloaded."""
    root = os.fspath(root)
    prefix = "train" if train else "t10k"
    images = _find(root, [f"{prefix}-images-idx3-ubyte", f"{prefix}-images.idx3-ubyte"])
    labels = _find(root, [f"{prefix}-labels-idx1-ubyte", f"{prefix}-labels.idx1-ubyte"])
    return load_idx(images, labels, name=f"mnist-{prefix}")
