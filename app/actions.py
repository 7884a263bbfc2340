"""Action helpers: platform shortcuts with fallbacks, and the Keyboard Shortcuts dialog."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

StandardKey = QKeySequence.StandardKey


def key_sequences(
    standard: StandardKey | None = None,
    fallback: Sequence[str | QKeySequence] = (),
    extra: Sequence[str | QKeySequence] = (),
) -> list[QKeySequence]:
    """The platform's bindings for ``standard`` (or ``fallback`` where the platform has none,
    as offscreen and Windows have none for Quit and Preferences), then ``extra``; no repeats.
    """
    keys = QKeySequence.keyBindings(standard) if standard is not None else []
    if not keys:
        keys = [QKeySequence(k) for k in fallback]
    out: list[QKeySequence] = []
    for key in [*keys, *(QKeySequence(k) for k in extra)]:
        if not key.isEmpty() and key not in out:
            out.append(key)
    return out


# Keys from here on are dedicated keyboard keys (New, Save, Undo, Zoom In...), not worth
# listing next to the key combinations a person types.
_FIRST_SPECIAL_KEY = Qt.Key.Key_Back.value


def typed_keys(action: QAction) -> list[QKeySequence]:
    """The action's shortcuts that are typed combinations (no dedicated media keys)."""
    return [k for k in action.shortcuts() if k.count() and k[0].key().value < _FIRST_SPECIAL_KEY]


def shortcut_text(action: QAction) -> str:
    """The action's typed shortcuts as the platform writes them (``Ctrl+Z``, ``⌘Z``)."""
    return ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in typed_keys(action))


def plain_text(action: QAction) -> str:
    """The action's text without mnemonics and the ellipsis."""
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…")


# What the mouse and keys do on the canvas, for the shortcuts dialog.
GESTURES = (
    ("Add a layer", "Drag it from the Layers palette, or double-click it / press Enter there"),
    ("Connect layers", "Drag from an output port to an input port"),
    ("Select several", "Drag a rectangle on the background, or Ctrl+click"),
    ("Zoom", "Ctrl+mouse wheel, or the mouse wheel"),
    ("Pan", "Middle-button drag, Space+drag, or the scroll bars"),
    ("Context menu", "Right-click a layer, a wire or the background"),
)


class ShortcutsDialog(QDialog):
    """A table of every action with a shortcut, grouped by menu, and the canvas gestures.

    ``groups``: (menu title, [(action name as the menu shows it, action)])."""

    def __init__(
        self,
        groups: Iterable[tuple[str, Iterable[tuple[str, QAction]]]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(520, 640)
        rows: list[tuple[str, str, bool]] = []  # text, keys, is heading
        for title, actions in groups:
            entries = [(text, shortcut_text(a)) for text, a in actions if typed_keys(a)]
            if entries:
                rows.append((title, "", True))
                rows.extend((text, keys, False) for text, keys in entries)
        rows.append(("Canvas", "", True))
        rows.extend((what, how, False) for what, how in GESTURES)

        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, (text, keys, heading) in enumerate(rows):
            first, second = QTableWidgetItem(text), QTableWidgetItem(keys)
            if heading:
                font = first.font()
                font.setBold(True)
                first.setFont(font)
            self.table.setItem(row, 0, first)
            self.table.setItem(row, 1, second)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Shortcuts follow your platform's conventions."))
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        """The table's rows as (action, shortcut) texts."""
        return [
            (self.table.item(r, 0).text(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        ]
