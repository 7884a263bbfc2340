"""Small helpers the widgets share: sentence case for messages, Enter in item views, and
disconnecting the document listeners a view has connected."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QLabel

_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


def sentence(text: str, *, full_stop: bool = False) -> str:
    """``text`` stripped, with a capital first letter (and a full stop at the end)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    if full_stop and not text.endswith((".", "!", "?")):
        text += "."
    return text


def disconnect_all(hooks: list) -> None:
    """Disconnect every ``(event, listener)`` in ``hooks`` (core.events Events) and empty
    the list; one already gone is skipped."""
    while hooks:
        event, listener = hooks.pop()
        try:
            event.disconnect(listener)
        except ValueError:
            pass


class EnterActivates(QObject):
    """Return or Enter in ``view`` emits ``activated(current index)`` (and is consumed), as a
    double-click does; the item views' own Enter handling varies by platform."""

    activated = Signal(QModelIndex)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.KeyPress and event.key() in _ENTER:
            self.activated.emit(self._view.currentIndex())
            return True
        return False


def section_label(text: str, base: QFont) -> QLabel:
    """A form's section heading ("SETTINGS"): small, semi-bold capitals from ``base``."""
    label = QLabel(text.upper())
    label.setObjectName("section")
    font = QFont(base)
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.85))
    font.setWeight(QFont.Weight.DemiBold)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
    label.setFont(font)
    return label
