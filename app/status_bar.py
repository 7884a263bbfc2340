"""The status bar's permanent widgets: layers and wires, parameters, problems, zoom."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QStatusBar, QToolButton

from widgets import icons


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


class StatusInfo:
    """What the status bar always shows about the open project (hidden without one)."""

    def __init__(self, bar: QStatusBar, show_problems: Callable[[], None]) -> None:
        self.counts_label = QLabel()
        self.params_label = QLabel()
        self.problems_button = QToolButton()
        self.problems_button.setAutoRaise(True)
        self.problems_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.problems_button.setToolTip("Show the Problems panel")
        self.problems_button.clicked.connect(show_problems)
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom (Ctrl+0 fits the model in the view, Ctrl+1: 100 %)")
        for label in (self.counts_label, self.params_label, self.zoom_label):
            label.setContentsMargins(8, 0, 8, 0)
        self.widgets = (self.counts_label, self.params_label, self.problems_button, self.zoom_label)
        for widget in self.widgets:
            bar.addPermanentWidget(widget)
        self.problems = (0, 0)
        self.set_counts(0, 0)
        self.set_params(0)
        self.set_problems(0, 0)
        self.set_zoom(1.0)

    def set_visible(self, visible: bool) -> None:
        for widget in self.widgets:
            widget.setVisible(visible)

    def set_counts(self, nodes: int, edges: int) -> None:
        self.counts_label.setText(f"{_plural(nodes, 'layer')} · {_plural(edges, 'wire')}")

    def set_params(self, total: int) -> None:
        self.params_label.setText(_plural(total, "parameter"))

    def set_problems(self, errors: int, warnings: int) -> None:
        self.problems = (errors, warnings)
        button = self.problems_button
        if errors:
            button.setIcon(icons.icon("error"))
            text = _plural(errors, "error")
            button.setText(text + (f", {_plural(warnings, 'warning')}" if warnings else ""))
        elif warnings:
            button.setIcon(icons.icon("warning"))
            button.setText(_plural(warnings, "warning"))
        else:
            button.setIcon(icons.icon("info"))
            button.setText("No problems")

    def set_zoom(self, factor: float) -> None:
        self.zoom_label.setText(f"{round(factor * 100)}%")

    def apply_colors(self) -> None:
        """Take the theme's icons (they are tinted for it)."""
        self.set_problems(*self.problems)
