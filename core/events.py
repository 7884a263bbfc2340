"""A small synchronous event: the headless counterpart of a Qt signal (no Qt here).

``doc.node_added.connect(fn)`` registers ``fn``; ``doc.node_added.emit(node)`` calls every
connected function in connection order. The GUI connects Qt-side slots to these events;
core code never imports Qt.

A listener that raises does not stop the others: every listener is called, then the first
exception is raised again to the emitter (later ones are attached to it as notes), so one
broken view cannot leave the other views out of step.
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
        """Stop calling ``listener`` (one connection of it); a ValueError if not connected."""
        try:
            self._listeners.remove(listener)
        except ValueError:
            raise ValueError(f"{self.name}: {listener!r} is not connected") from None

    def emit(self, *args: Any) -> None:
        """Call every listener with ``args``; the first listener error is raised after all ran.

        Listeners connected or disconnected during an emit take effect from the next one.
        """
        if self._blocked:
            return
        first: BaseException | None = None
        for listener in tuple(self._listeners):
            try:
                listener(*args)
            except Exception as e:  # noqa: BLE001 - re-raised below, after the others ran
                if first is None:
                    first = e
                else:
                    first.add_note(f"{self.name}: another listener also failed: {e!r}")
        if first is not None:
            raise first

    def blocked(self) -> _Blocker:
        """A context manager during which ``emit`` does nothing (nestable)."""
        return _Blocker(self)

    @property
    def is_blocked(self) -> bool:
        return self._blocked > 0

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
