"""The app's preferences and remembered state, kept in QSettings.

One small typed wrapper so that keys, defaults and value types live in one place: theme,
autosave interval, "open the last project on start", grid visibility and snapping, the
recent-files list (at most :data:`MAX_RECENT`, existing files only), the last project, and
the main window's geometry and dock state.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10
THEMES = ("system", "light", "dark")
DEFAULT_AUTOSAVE_S = 60


class AppSettings:
    """Typed access to Ember Studio's QSettings (the organization/application names of the
    running QApplication choose where they are stored)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._s = settings if settings is not None else QSettings()

    def sync(self) -> None:
        """Write pending changes to storage now."""
        self._s.sync()

    # -- preferences -------------------------------------------------------------------
    @property
    def theme(self) -> str:
        value = str(self._s.value("appearance/theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, mode: str) -> None:
        if mode not in THEMES:
            raise ValueError(f"unknown theme {mode!r}: use one of {', '.join(THEMES)}")
        self._s.setValue("appearance/theme", mode)

    @property
    def autosave_interval(self) -> int:
        """Seconds between autosaves of unsaved changes; 0 turns autosave off."""
        return max(0, self._int("files/autosave_interval", DEFAULT_AUTOSAVE_S))

    @autosave_interval.setter
    def autosave_interval(self, seconds: int) -> None:
        self._s.setValue("files/autosave_interval", max(0, int(seconds)))

    @property
    def open_last_project(self) -> bool:
        return self._bool("files/open_last_project", False)

    @open_last_project.setter
    def open_last_project(self, on: bool) -> None:
        self._s.setValue("files/open_last_project", bool(on))

    @property
    def grid_visible(self) -> bool:
        return self._bool("canvas/grid_visible", True)

    @grid_visible.setter
    def grid_visible(self, on: bool) -> None:
        self._s.setValue("canvas/grid_visible", bool(on))

    @property
    def snap_to_grid(self) -> bool:
        return self._bool("canvas/snap_to_grid", True)

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self._s.setValue("canvas/snap_to_grid", bool(on))

    # -- files -------------------------------------------------------------------------
    def recent_files(self) -> list[Path]:
        """The recently opened or saved projects, newest first, existing files only."""
        return [p for p in self._stored_recent() if p.is_file()][:MAX_RECENT]

    def add_recent(self, path: str | os.PathLike) -> None:
        """Put ``path`` at the top of the recent files (once; missing files are dropped)."""
        path = _absolute(path)
        paths = [path, *(p for p in self._stored_recent() if p != path)]
        self._set_recent([p for p in paths if p.is_file()][:MAX_RECENT])

    def remove_recent(self, path: str | os.PathLike) -> None:
        path = _absolute(path)
        self._set_recent([p for p in self._stored_recent() if p != path])

    def clear_recent(self) -> None:
        self._set_recent([])

    @property
    def last_project(self) -> Path | None:
        """The project open when the app was last closed (None: none, or it was Untitled)."""
        value = self._s.value("files/last_project", "")
        return Path(str(value)) if value else None

    @last_project.setter
    def last_project(self, path: str | os.PathLike | None) -> None:
        self._s.setValue("files/last_project", str(_absolute(path)) if path else "")

    # -- window ------------------------------------------------------------------------
    @property
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    @geometry.setter
    def geometry(self, data: QByteArray) -> None:
        self._s.setValue("window/geometry", data)

    @property
    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    @window_state.setter
    def window_state(self, data: QByteArray) -> None:
        self._s.setValue("window/state", data)

    # -- helpers -----------------------------------------------------------------------
    def _stored_recent(self) -> list[Path]:
        value = self._s.value("files/recent", [])
        if isinstance(value, str):  # an INI file gives a one-item list back as a string
            value = [value] if value else []
        return [Path(str(v)) for v in value or [] if v]

    def _set_recent(self, paths: list[Path]) -> None:
        self._s.setValue("files/recent", [str(p) for p in paths])

    def _bool(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def _int(self, key: str, default: int) -> int:
        try:
            return int(self._s.value(key, default))
        except (TypeError, ValueError):
            return default

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def _absolute(path: str | os.PathLike) -> Path:
    return Path(os.path.abspath(os.fspath(path)))
