"""Light and dark themes: the application palette, font and a small stylesheet, and the named
colours the canvas, icons and plots paint with.

``apply_theme(app, "system" | "light" | "dark")`` sets the Fusion style with a full palette
for the chosen scheme; "system" follows the desktop's colour scheme, and keeps following it
while chosen. ``colors()`` gives the current :class:`Colors`; ``notifier.changed(scheme)``
fires after each application of a theme.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from core.model.catalog import CATEGORIES

MODES = ("system", "light", "dark")
MIN_FONT_POINTS = 10.0  # Linux desktops often default to 9 pt, small on today's screens


@dataclass(frozen=True)
class Colors:
    """The colours of one theme, by role."""

    window: QColor  # panels and dialogs
    canvas_bg: QColor  # the node canvas
    grid: QColor  # minor grid lines
    grid_major: QColor  # every fifth grid line
    node_fill: QColor
    node_border: QColor
    node_selected: QColor  # outline of a selected node
    text: QColor
    muted_text: QColor  # secondary text: kinds, shapes, counts
    accent: QColor
    wire: QColor
    wire_selected: QColor
    port: QColor
    port_ok: QColor  # a port a dragged wire may connect to
    port_bad: QColor  # a port it may not
    error: QColor
    warning: QColor
    info: QColor
    category: dict[str, QColor] = field(default_factory=dict)  # per catalog category

    @property
    def dark(self) -> bool:
        return self.window.lightnessF() < 0.5


# One hue per catalog category (in CATEGORIES order); the dark set is lighter so that both
# read well on their theme's node fill and stay apart from each other.
_CATEGORY_LIGHT = (
    "#64748b",  # Input / Output: slate
    "#2563eb",  # Dense: blue
    "#7c3aed",  # Convolution: violet
    "#0891b2",  # Pooling: cyan
    "#059669",  # Normalization: emerald
    "#d97706",  # Activation: amber
    "#dc2626",  # Regularization: red
    "#db2777",  # Merge: pink
    "#65a30d",  # Reshape: lime
    "#0d9488",  # Recurrent: teal
    "#c026d3",  # Attention: fuchsia
    "#ea580c",  # Embedding: orange
)
_CATEGORY_DARK = (
    "#94a3b8",
    "#60a5fa",
    "#a78bfa",
    "#22d3ee",
    "#34d399",
    "#fbbf24",
    "#f87171",
    "#f472b6",
    "#a3e635",
    "#2dd4bf",
    "#e879f9",
    "#fb923c",
)


def _colors(dark: bool) -> Colors:
    c = QColor
    hues = _CATEGORY_DARK if dark else _CATEGORY_LIGHT
    category = {name: c(hue) for name, hue in zip(CATEGORIES, hues)}
    if dark:
        return Colors(
            window=c("#1f2227"),
            canvas_bg=c("#17191d"),
            grid=c("#1f2226"),
            grid_major=c("#2a2e34"),
            node_fill=c("#262a30"),
            node_border=c("#3b4048"),
            node_selected=c("#4c9aff"),
            text=c("#e6e8eb"),
            muted_text=c("#9aa1ab"),
            accent=c("#4c9aff"),
            wire=c("#7b838e"),
            wire_selected=c("#4c9aff"),
            port=c("#8a929d"),
            port_ok=c("#34d399"),
            port_bad=c("#4a4f57"),
            error=c("#f87171"),
            warning=c("#fbbf24"),
            info=c("#60a5fa"),
            category=category,
        )
    return Colors(
        window=c("#f4f5f7"),
        canvas_bg=c("#fafbfc"),
        grid=c("#eef0f3"),
        grid_major=c("#dfe3e8"),
        node_fill=c("#ffffff"),
        node_border=c("#c9ced6"),
        node_selected=c("#2563eb"),
        text=c("#1f2328"),
        muted_text=c("#5f6873"),
        accent=c("#2563eb"),
        wire=c("#8b95a1"),
        wire_selected=c("#2563eb"),
        port=c("#7b8591"),
        port_ok=c("#059669"),
        port_bad=c("#d5d9de"),
        error=c("#c81e1e"),
        warning=c("#b45309"),
        info=c("#2563eb"),
        category=category,
    )


_R = QPalette.ColorRole
_G = QPalette.ColorGroup

_PALETTE_DARK = {
    _R.Window: "#1f2227",
    _R.WindowText: "#e6e8eb",
    _R.Base: "#17191d",
    _R.AlternateBase: "#202328",
    _R.ToolTipBase: "#2b2f36",
    _R.ToolTipText: "#e6e8eb",
    _R.PlaceholderText: "#8a919b",
    _R.Text: "#e6e8eb",
    _R.Button: "#2a2e34",
    _R.ButtonText: "#e6e8eb",
    _R.BrightText: "#ffffff",
    _R.Light: "#3a3f47",
    _R.Midlight: "#31353c",
    _R.Mid: "#24272c",
    _R.Dark: "#121417",
    _R.Shadow: "#000000",
    _R.Highlight: "#2f6fd1",
    _R.HighlightedText: "#ffffff",
    _R.Link: "#6aa9ff",
    _R.LinkVisited: "#b69cff",
    _R.Accent: "#4c9aff",
}
_DISABLED_DARK = {
    _R.WindowText: "#6b717a",
    _R.Text: "#6b717a",
    _R.ButtonText: "#6b717a",
    _R.PlaceholderText: "#555b63",
    _R.Button: "#25282d",
    _R.Highlight: "#3a3f47",
    _R.HighlightedText: "#9aa1ab",
    _R.Link: "#4d6f99",
    _R.Accent: "#4d6f99",
}
_PALETTE_LIGHT = {
    _R.Window: "#f4f5f7",
    _R.WindowText: "#1f2328",
    _R.Base: "#ffffff",
    _R.AlternateBase: "#f6f7f9",
    _R.ToolTipBase: "#ffffff",
    _R.ToolTipText: "#1f2328",
    _R.PlaceholderText: "#6b737e",
    _R.Text: "#1f2328",
    _R.Button: "#fbfbfc",
    _R.ButtonText: "#1f2328",
    _R.BrightText: "#ffffff",
    _R.Light: "#ffffff",
    _R.Midlight: "#eef0f3",
    _R.Mid: "#c9ced6",
    _R.Dark: "#9aa2ad",
    _R.Shadow: "#6b7280",
    _R.Highlight: "#2563eb",
    _R.HighlightedText: "#ffffff",
    _R.Link: "#1d4ed8",
    _R.LinkVisited: "#6d28d9",
    _R.Accent: "#2563eb",
}
_DISABLED_LIGHT = {
    _R.WindowText: "#9aa1aa",
    _R.Text: "#9aa1aa",
    _R.ButtonText: "#9aa1aa",
    _R.PlaceholderText: "#b4bac2",
    _R.Button: "#f1f2f4",
    _R.Highlight: "#c9ced6",
    _R.HighlightedText: "#5f6873",
    _R.Link: "#93a8d8",
    _R.Accent: "#93a8d8",
}


def palette(scheme: str) -> QPalette:
    """The full palette of ``scheme`` ("light" or "dark"): every role, disabled group too."""
    dark = scheme == "dark"
    p = QPalette()
    for role, value in (_PALETTE_DARK if dark else _PALETTE_LIGHT).items():
        p.setColor(role, QColor(value))  # active, inactive and disabled alike
    for role, value in (_DISABLED_DARK if dark else _DISABLED_LIGHT).items():
        p.setColor(_G.Disabled, role, QColor(value))
    return p


def _stylesheet(colors: Colors) -> str:
    # Only what the palette cannot reach: dock titles, tool bar spacing, splitter handles.
    # Separators stay 5 px wide (easy to grab) but look like a hairline until hovered.
    border = colors.node_border.name()
    window = colors.window.name()
    accent = colors.accent.name()
    title_bg = colors.window.darker(125 if colors.dark else 106).name()
    return f"""
QDockWidget::title {{
    background: {title_bg};
    padding: 5px 8px;
    border-bottom: 1px solid {border};
}}
QToolBar {{ spacing: 2px; padding: 2px 4px; border: none; }}
QToolBar::separator {{ background: {border}; width: 1px; margin: 5px 4px; }}
QMainWindow::separator {{ background: {window}; width: 5px; height: 5px; }}
QMainWindow::separator:hover {{ background: {accent}; }}
QSplitter::handle {{ background: {window}; }}
QSplitter::handle:hover {{ background: {accent}; }}
QSplitter::handle:horizontal {{ width: 5px; }}
QSplitter::handle:vertical {{ height: 5px; }}
"""


def _font() -> QFont:
    """The desktop's UI font, at least MIN_FONT_POINTS on Linux."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.GeneralFont)
    if sys.platform.startswith("linux") and 0 < font.pointSizeF() < MIN_FONT_POINTS:
        font.setPointSizeF(MIN_FONT_POINTS)
    return font


class _Notifier(QObject):
    """Emits ``changed(scheme)`` ("light" or "dark") after a theme is applied."""

    changed = Signal(str)


notifier = _Notifier()
_state: dict = {"mode": "system", "scheme": "light", "colors": None, "hooked": False}


def modes() -> tuple[str, ...]:
    """The theme modes a user can choose."""
    return MODES


def system_scheme() -> str:
    """The desktop's colour scheme, "light" or "dark".

    From the platform's colour scheme (Qt 6.5+); where the platform does not say, from the
    lightness of the palette the application had before a theme was applied."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = QGuiApplication.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return "dark"
    if scheme == Qt.ColorScheme.Light:
        return "light"
    native = _state.get("native_palette") or QGuiApplication.palette()
    return "dark" if native.color(_R.Window).lightnessF() < 0.5 else "light"


def apply_theme(app: QApplication, mode: str = "system") -> str:
    """Apply ``mode`` ("system", "light" or "dark") to ``app``; returns "light" or "dark"."""
    if mode not in MODES:
        raise ValueError(f"unknown theme {mode!r}: choose one of {', '.join(MODES)}")
    if "native_palette" not in _state:  # what the platform gave, before any theme of ours
        _state["native_palette"] = QPalette(app.palette())
    hints = QGuiApplication.styleHints()
    _state["mode"] = mode
    if mode == "system":
        hints.unsetColorScheme()
        scheme = system_scheme()
    else:
        scheme = mode
        # native title bars and dialogs follow where the platform supports it
        hints.setColorScheme(Qt.ColorScheme.Dark if mode == "dark" else Qt.ColorScheme.Light)
    colors = _colors(scheme == "dark")
    _state.update(scheme=scheme, colors=colors)
    if not _state.get("fusion"):  # once: setting a style re-polishes every widget
        app.setStyle("Fusion")
        _state["fusion"] = True
    app.setPalette(palette(scheme))
    app.setFont(_font())
    app.setStyleSheet(_stylesheet(colors))
    if not _state["hooked"]:
        hints.colorSchemeChanged.connect(_on_system_scheme)
        _state["hooked"] = True
    notifier.changed.emit(scheme)
    return scheme


def _on_system_scheme(*_args) -> None:
    app = QApplication.instance()
    if _state["mode"] == "system" and app is not None and system_scheme() != _state["scheme"]:
        apply_theme(app, "system")


def current() -> str:
    """The applied scheme: "light" or "dark"."""
    return _state["scheme"]


def mode() -> str:
    """The chosen mode: "system", "light" or "dark"."""
    return _state["mode"]


def colors() -> Colors:
    """The current theme's colours (light ones until a theme is applied)."""
    if _state["colors"] is None:
        _state["colors"] = _colors(False)
    return _state["colors"]
