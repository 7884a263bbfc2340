"""A small synchronous event: the headless counterpart of a Qt signal (no Qt here).

``doc.node_added.connect(fn)`` registers ``fn``; ``doc.node_added.emit(node)`` calls every
connected function in connection order. The GUI connects Qt-side slots to these events;
core code never imports Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Event:
    """A named list of listeners called synchronously, in connection order, by ``emit``."""

    __slots__ = ("name", "_listeners", "_blocked")

    def __init__(self, name: str = "event") -> None:
        self.name = name
        self._listeners: list[Callable[..., Any]] = []
        self._blocked = 0

    def connect(self, listener: Callable[..., Any]) -> Callable[..., Any]:
        """Call ``listener`` on every emit; returns it (usable as a decorator)."""
        if not callable(listener):
            raise TypeError(f"{self.name}: a listener must be callable, got {listener!r}")
        self._listeners.append(listener)
        return listener

    def disconnect(self, listener: Callable[..., Any]) -> None:
        """Stop calling ``listener``; a ValueError if it was not connected."""
        try:
            self._listeners.remove(listener)
        except ValueError:
            raise ValueError(f"{self.name}: {listener!r} is not connected") from None

    def emit(self, *args: Any) -> None:
        """Call every listener with ``args`` (a copy of the list, so listeners may disconnect)."""
        if self._blocked:
            return
        for listener in tuple(self._listeners):
            listener(*args)

    def blocked(self) -> _Blocker:
        """A context manager during which ``emit`` does nothing."""
        return _Blocker(self)

    def __len__(self) -> int:
        return len(self._listeners)

    def __repr__(self) -> str:
        return f"<Event {self.name} ({len(self._listeners)} listeners)>"


class _Blocker:
    __slots__ = ("_event",)

    def __init__(self, event: Event) -> None:
        self._event = event

    def __enter__(self) -> Event:
        self._event._blocked += 1
        return self._event

    def __exit__(self, *exc) -> None:
        self._event._blocked -= 1
