"""Light and dark themes: the application palette, a small stylesheet, and the named colours
the canvas and plots paint with.

``apply_theme(app, "system" | "light" | "dark")`` sets Fusion with a full palette for the
chosen scheme ("system" follows the desktop's colour scheme, and keeps following it).
``colors()`` gives the current :class:`Colors`; ``notifier.changed`` fires after each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from core.model.catalog import CATEGORIES

MODES = ("system", "light", "dark")


@dataclass(frozen=True)
class Colors:
    """The colours of one theme, by role."""

    window: QColor
    canvas_bg: QColor
    grid: QColor
    grid_major: QColor
    node_fill: QColor
    node_border: QColor
    node_selected: QColor
    text: QColor
    muted_text: QColor
    accent: QColor
    wire: QColor
    wire_selected: QColor
    port: QColor
    port_ok: QColor
    port_bad: QColor
    error: QColor
    warning: QColor
    info: QColor
    category: dict[str, QColor] = field(default_factory=dict)

    @property
    def dark(self) -> bool:
        return self.window.lightnessF() < 0.5


# One hue per catalog category (in CATEGORIES order), tuned per scheme for contrast.
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
    "#9333ea",  # Attention: purple
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
    "#c084fc",
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
            grid=c("#23262b"),
            grid_major=c("#2c3036"),
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
        grid=c("#eceef1"),
        grid_major=c("#dde1e6"),
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
        error=c("#dc2626"),
        warning=c("#b45309"),
        info=c("#2563eb"),
        category=category,
    )


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    R, G = QPalette.ColorRole, QPalette.ColorGroup
    if dark:
        roles = {
            R.Window: "#1f2227",
            R.WindowText: "#e6e8eb",
            R.Base: "#17191d",
            R.AlternateBase: "#22252a",
            R.ToolTipBase: "#2b2f36",
            R.ToolTipText: "#e6e8eb",
            R.PlaceholderText: "#7d848e",
            R.Text: "#e6e8eb",
            R.Button: "#2a2e34",
            R.ButtonText: "#e6e8eb",
            R.BrightText: "#ffffff",
            R.Light: "#3a3f47",
            R.Midlight: "#31353c",
            R.Mid: "#24272c",
            R.Dark: "#121417",
            R.Shadow: "#000000",
            R.Highlight: "#2f6fd1",
            R.HighlightedText: "#ffffff",
            R.Link: "#6aa9ff",
            R.LinkVisited: "#b69cff",
        }
        disabled = {R.WindowText: "#6b717a", R.Text: "#6b717a", R.ButtonText: "#6b717a"}
    else:
        roles = {
            R.Window: "#f4f5f7",
            R.WindowText: "#1f2328",
            R.Base: "#ffffff",
            R.AlternateBase: "#f6f7f9",
            R.ToolTipBase: "#ffffff",
            R.ToolTipText: "#1f2328",
            R.PlaceholderText: "#6b737e",
            R.Text: "#1f2328",
            R.Button: "#fbfbfc",
            R.ButtonText: "#1f2328",
            R.BrightText: "#ffffff",
            R.Light: "#ffffff",
            R.Midlight: "#eef0f3",
            R.Mid: "#c9ced6",
            R.Dark: "#9aa2ad",
            R.Shadow: "#6b7280",
            R.Highlight: "#2563eb",
            R.HighlightedText: "#ffffff",
            R.Link: "#1d4ed8",
            R.LinkVisited: "#6d28d9",
        }
        disabled = {R.WindowText: "#9aa1aa", R.Text: "#9aa1aa", R.ButtonText: "#9aa1aa"}
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    for role, value in disabled.items():
        p.setColor(G.Disabled, role, QColor(value))
    p.setColor(G.Disabled, R.Highlight, QColor("#8a8f96"))
    return p


def _stylesheet(colors: Colors) -> str:
    # Only what the palette cannot reach: dock titles, tool bar spacing, splitter handles.
    border = colors.node_border.name()
    title_bg = colors.window.darker(106 if not colors.dark else 90).name()
    return f"""
QDockWidget::title {{
    background: {title_bg};
    padding: 5px 8px;
    border-bottom: 1px solid {border};
}}
QToolBar {{ spacing: 2px; padding: 2px 4px; border: none; }}
QToolBar QToolButton {{ padding: 3px; border-radius: 4px; }}
QMainWindow::separator {{ background: {border}; width: 1px; height: 1px; }}
QTabBar::tab {{ padding: 4px 10px; }}
"""


class _Notifier(QObject):
    """Emits ``changed(scheme)`` ("light" or "dark") after a theme is applied."""

    changed = Signal(str)


notifier = _Notifier()
_state = {"mode": "system", "scheme": "light", "colors": None, "hooked": False}


def modes() -> tuple[str, ...]:
    """The theme modes a user can choose."""
    return MODES


def system_scheme() -> str:
    """The desktop's colour scheme, "light" or "dark" (light when it cannot tell)."""
    app = QGuiApplication.instance()
    if app is not None:
        scheme = QGuiApplication.styleHints().colorScheme()
        if scheme == Qt.ColorScheme.Dark:
            return "dark"
        if scheme == Qt.ColorScheme.Light:
            return "light"
    return "light"


def apply_theme(app: QApplication, mode: str = "system") -> str:
    """Apply ``mode`` ("system", "light" or "dark") to ``app``; returns "light" or "dark"."""
    if mode not in MODES:
        raise ValueError(f"unknown theme {mode!r}: choose one of {', '.join(MODES)}")
    scheme = system_scheme() if mode == "system" else mode
    dark = scheme == "dark"
    colors = _colors(dark)
    _state.update(mode=mode, scheme=scheme, colors=colors)
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
    app.setStyleSheet(_stylesheet(colors))
    if not _state["hooked"]:
        QGuiApplication.styleHints().colorSchemeChanged.connect(_on_system_scheme)
        _state["hooked"] = True
    notifier.changed.emit(scheme)
    return scheme


def _on_system_scheme(*_args) -> None:
    app = QApplication.instance()
    if _state["mode"] == "system" and app is not None:
        if system_scheme() != _state["scheme"]:
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
