"""Atomic file writes: readers see the old content or the new, never a mix or nothing.

The data goes to a temporary file in the target's folder (so the rename stays on one file
system), is flushed and fsynced, then renamed over the target; the folder is fsynced so
the rename survives a crash. Used by ``core.save``, project files and exported scripts.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable

__all__ = ["write_atomic"]


def write_atomic(
    path: str | os.PathLike,
    data: str | bytes | Iterable[bytes | memoryview],
    *,
    backup_suffix: str | None = None,
) -> str:
    """Replace the file at ``path`` with ``data`` (text is written as UTF-8; an iterable
    of byte chunks is written in order); returns the path of the file written.

    A symlink is followed: the file it points to is replaced, the link stays. An existing
    file keeps its permission bits. With ``backup_suffix``, the previous content is first
    kept as ``<file><suffix>`` (written the same way). On failure the file and its backup
    are unchanged, no temporary file is left, and the OSError (same errno and subclass)
    names ``path`` and the system's reason.
    """
    name = os.fspath(path)
    target = os.path.realpath(name) if os.path.islink(name) else name
    folder = os.path.dirname(os.path.abspath(target))
    if isinstance(data, str):
        data = data.encode("utf-8")
    chunks = [data] if isinstance(data, bytes | bytearray | memoryview) else data
    temps: list[str] = []
    try:
        mode = os.stat(target).st_mode & 0o7777 if os.path.exists(target) else None
        tmp = _write_temp(folder, target, chunks, mode, temps)
        if backup_suffix and mode is not None:
            with open(target, "rb") as f:
                old = f.read()
            bak = _write_temp(folder, target, [old], mode, temps)
            os.replace(bak, target + backup_suffix)
            temps.remove(bak)
        os.replace(tmp, target)
        temps.remove(tmp)
        _fsync_folder(folder)
    except OSError as e:
        if e.errno is None:
            raise
        raise OSError(e.errno, e.strerror or str(e), name) from e
    finally:
        for t in temps:
            try:
                os.unlink(t)
            except OSError:
                pass
    return target


def _write_temp(folder: str, target: str, chunks: Iterable, mode: int | None, temps: list) -> str:
    """A new temporary file beside ``target`` holding ``chunks``, fsynced (its path is
    added to ``temps`` first, so the caller removes it on failure)."""
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    temps.append(tmp)
    with os.fdopen(fd, "wb") as f:
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    if mode is not None:
        os.chmod(tmp, mode)
    return tmp


def _fsync_folder(folder: str) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
