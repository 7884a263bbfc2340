"""Autosave and crash recovery.

An :class:`Autosaver` writes the open project, when it has changes not yet autosaved, to
a recovery file of its own in ``<AppDataLocation>/recovery`` every ``interval_s``
seconds. The file goes away when the project is saved, when another project replaces it
unmodified (new, open) and on a clean close (:meth:`Autosaver.discard`). After a crash
the file stays, and the next start finds it with :func:`pending_recoveries`.

A recovery file is one JSON object, written atomically::

    {"format": "ember-studio.recovery", "version": 1,
     "original": "/path/project.ember.json" | null, "saved_at": "2025-05-01T12:00:00+02:00",
     "document": {...the project file's content...}}

While a session runs it holds a lock file beside its recovery file (QLockFile: the
process id, so a crash leaves a stale lock); :func:`pending_recoveries` skips files whose
session is still running, this one's included.
"""

from __future__ import annotations

import os
import secrets
import weakref
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile, QObject, QStandardPaths, QTimer, Signal

from core._atomic import write_atomic
from core.model import serialize
from core.model.document import Document

RECOVERY_FORMAT = "ember-studio.recovery"
RECOVERY_VERSION = 1
SUFFIX = ".ember-recovery.json"
LOCK_SUFFIX = ".lock"
FOLDER_NAME = "recovery"


def recovery_folder() -> Path:
    """Where recovery files live: ``<AppDataLocation>/recovery``."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / FOLDER_NAME


@dataclass(frozen=True)
class Recovery:
    """A recovery file a crashed session left: the project it was made from
    (``original``, None for an untitled one) and when it was written. ``problem`` says
    why the file cannot be read (``load`` then raises); it can still be discarded."""

    path: Path
    original: Path | None
    saved_at: datetime | None
    problem: str | None = None

    @property
    def display_name(self) -> str:
        """The original file's name, or "Untitled"."""
        return self.original.name if self.original is not None else "Untitled"

    def load(self) -> Document:
        """The recovered document; FormatError (what is wrong in the file) or OSError."""
        return _read(self.path)[1]

    def discard(self) -> None:
        """Delete the recovery file (and its stale lock)."""
        for path in (self.path, _lock_path(self.path)):
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def pending_recoveries(
    folder: str | os.PathLike | None = None, *, include_own: bool = False
) -> list[Recovery]:
    """Recovery files left by sessions that are no longer running, newest first. Files of
    running sessions (this one's too, unless ``include_own``) are left out. A file that
    cannot be read is listed with its ``problem``."""
    folder = Path(folder) if folder is not None else recovery_folder()
    try:
        paths = sorted(folder.glob("*" + SUFFIX))
    except OSError:
        return []
    own = {os.path.abspath(a.path) for a in Autosaver.live()}
    out = []
    for path in paths:
        if os.path.abspath(path) in own:
            if not include_own:
                continue
        elif _session_running(path):
            continue
        try:
            header, _ = _read(path, header_only=True)
            out.append(Recovery(path, header["original"], header["saved_at"]))
        except (OSError, ValueError) as e:
            out.append(Recovery(path, None, _mtime(path), problem=str(e)))
    out.sort(key=lambda r: r.saved_at.timestamp() if r.saved_at else 0.0, reverse=True)
    return out


class Autosaver(QObject):
    """Writes the controller's project to this session's recovery file every
    ``interval_s`` seconds (0: never on its own) when it changed since the last write."""

    saved = Signal(object)  # Path of the recovery file written

    _instances: weakref.WeakSet[Autosaver] = weakref.WeakSet()

    def __init__(
        self,
        controller,
        interval_s: float = 60,
        folder: str | os.PathLike | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.folder = Path(folder) if folder is not None else recovery_folder()
        name = f"session-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        self.path = self.folder / name
        self._lock: QLockFile | None = None
        self._saved_revision: int | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.save_now)
        self.set_interval(interval_s)
        controller.modified_changed.connect(self._on_modified_changed)
        Autosaver._instances.add(self)

    @classmethod
    def live(cls) -> list[Autosaver]:
        """The autosavers of this process that still hold their recovery file."""
        return [a for a in list(cls._instances) if a._lock is not None]

    @property
    def interval_s(self) -> float:
        return self._timer.interval() / 1000 if self._timer.isActive() else 0

    def set_interval(self, seconds: float) -> None:
        """Autosave every ``seconds`` (0 or less: only when ``save_now`` is called)."""
        if seconds and seconds > 0:
            self._timer.start(int(seconds * 1000))
        else:
            self._timer.stop()

    def save_now(self) -> bool:
        """Write the recovery file if the project has changes not autosaved yet; True
        when written. A failure is reported through the controller's ``message``."""
        c = self.controller
        if not shiboken6.isValid(c):  # the project's window is gone
            self._timer.stop()
            return False
        if not c.is_modified():
            return False
        if self._saved_revision == c.revision and self.path.exists():
            return False
        data = {
            "format": RECOVERY_FORMAT,
            "version": RECOVERY_VERSION,
            "original": str(c.path) if c.path is not None else None,
            "saved_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "pid": os.getpid(),
            "document": serialize.to_dict(c.document),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._hold_lock()
            write_atomic(self.path, serialize.dumps(data))
        except OSError as e:
            c.message.emit(
                f"Autosave failed: {e.strerror or e} ({self.path}); save the project to keep "
                "your changes"
            )
            return False
        self._saved_revision = c.revision
        self.saved.emit(self.path)
        return True

    def discard(self) -> None:
        """Delete this session's recovery file (clean close, project saved)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            return  # left behind: the next start offers it, nothing is lost
        self._saved_revision = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _hold_lock(self) -> None:
        if self._lock is None:
            lock = QLockFile(str(_lock_path(self.path)))
            lock.setStaleLockTime(0)  # stale only when the owner is gone, never by age
            if lock.tryLock(0):  # else tried again at the next save
                self._lock = lock

    def _on_modified_changed(self, modified: bool) -> None:
        if not modified:  # saved, or back to the saved state, or another project opened
            self.discard()


# -- reading ---------------------------------------------------------------------------
def _read(path: Path, *, header_only: bool = False) -> tuple[dict, Document | None]:
    """The header (original, saved_at) and the document of a recovery file."""
    source = str(path)
    data = serialize.parse_json(path.read_bytes(), source=source)
    problems = []
    if not isinstance(data, dict) or data.get("format") != RECOVERY_FORMAT:
        raise _format_error(source, "not an Ember Studio recovery file")
    if data.get("version") != RECOVERY_VERSION:
        raise _format_error(
            source,
            f"recovery format version {data.get('version')!r} is not {RECOVERY_VERSION}",
        )
    original = data.get("original")
    if original is not None and not isinstance(original, str):
        problems.append("original: expected the project's path or null")
    try:
        saved_at = datetime.fromisoformat(data.get("saved_at"))
    except (TypeError, ValueError):
        saved_at = _mtime(path)
    if problems:
        raise _format_error(source, "; ".join(problems))
    header = {"original": Path(original) if original else None, "saved_at": saved_at}
    if header_only:
        return header, None
    if "document" not in data:
        raise _format_error(source, "the recovered project is missing")
    return header, serialize.from_dict(data["document"], source=source)


def _format_error(source: str, message: str) -> serialize.FormatError:
    return serialize.FormatError([serialize.Problem("", message)], source=source)


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).astimezone()
    except OSError:
        return None


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + LOCK_SUFFIX)


def _session_running(path: Path) -> bool:
    """Whether the session that writes ``path`` still runs (it holds the lock)."""
    lock_path = _lock_path(path)
    if not lock_path.exists():
        return False
    lock = QLockFile(str(lock_path))
    lock.setStaleLockTime(0)
    if lock.tryLock(0):  # free or stale: its session is gone
        lock.unlock()
        return False
    return lock.error() == QLockFile.LockError.LockFailedError


__all__ = [
    "Autosaver",
    "RECOVERY_FORMAT",
    "Recovery",
    "pending_recoveries",
    "recovery_folder",
]
