"""The welcome page: start a project, open one, or pick an example or a recent file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from core.model import serialize
from widgets import icons, theme

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"


@dataclass(frozen=True)
class Example:
    """A bundled example project: its file and what its metadata says about it."""

    path: Path
    title: str
    description: str
    layers: int


def load_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """The example projects in ``folder`` (``*.ember.json``) by title; broken files are
    skipped (the welcome page must open whatever lies there)."""
    examples = []
    for path in sorted(folder.glob("*" + serialize.SUFFIX)):
        try:
            doc = serialize.load(path)
        except (OSError, ValueError):
            continue
        meta = doc.meta
        title = str(meta.get("title") or path.name.removesuffix(serialize.SUFFIX))
        description = str(meta.get("description") or "")
        examples.append(Example(path, title, description, len(doc.nodes)))
    return sorted(examples, key=lambda e: e.title.lower())


# -- building blocks ------------------------------------------------------------------
_STYLE = """
QWidget#welcomeContent { background: transparent; }
QFrame[card="true"] {
    background: palette(base);
    border: 1px solid palette(mid);
    border-radius: 8px;
}
QFrame[card="true"]:hover, QFrame[card="true"]:focus {
    border: 1px solid palette(highlight);
}
QPushButton[big="true"] {
    padding: 9px 20px;
    font-weight: 600;
    border-radius: 6px;
    background: palette(button);
    color: palette(button-text);
    border: 1px solid palette(mid);
}
QPushButton[big="true"]:hover { border: 1px solid palette(highlight); }
QPushButton[big="true"][primary="true"] {
    background: palette(highlight);
    color: palette(highlighted-text);
    border: 1px solid palette(highlight);
}
QLabel[muted="true"] { color: palette(placeholder-text); }
QLabel[section="true"] { font-weight: 600; color: palette(placeholder-text); }
"""


class Card(QFrame):
    """A clickable panel with a title, a line of text and an icon; Enter/Space activate it
    when it has the focus."""

    clicked = Signal()

    def __init__(
        self,
        title: str,
        text: str,
        *,
        icon_name: str = "example",
        tooltip: str = "",
        detail: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setProperty("card", True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(tooltip)
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.title = title

        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(12)
        self._icon_name = icon_name
        self._icon = QLabel()
        self._icon.setFixedSize(24, 24)
        self._icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.set_icon()
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)

        column = QVBoxLayout()
        column.setSpacing(4)
        self.title_label = QLabel(title)
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setWeight(QFont.Weight.DemiBold)
        self.title_label.setFont(font)
        column.addWidget(self.title_label)
        if text:
            self.text_label = _muted(text)
            self.text_label.setWordWrap(True)
            column.addWidget(self.text_label)
        column.addStretch(1)
        if detail:
            column.addSpacing(2)
            detail_label = _muted(detail)
            small = detail_label.font()
            small.setPointSizeF(small.pointSizeF() * 0.9)
            detail_label.setFont(small)
            column.addWidget(detail_label)
        layout.addLayout(column, 1)

    def set_icon(self) -> None:
        self._icon.setPixmap(icons.icon(self._icon_name).pixmap(24, 24))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.clicked.emit()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


def _muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("muted", True)
    return label


def _section(text: str) -> QLabel:
    label = QLabel(text.upper())
    label.setProperty("section", True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.85)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    return label


# -- the page -------------------------------------------------------------------------
class WelcomePage(QWidget):
    """Logo and title, New / Open buttons, example cards and the recent projects."""

    new_requested = Signal()
    open_requested = Signal()
    example_requested = Signal(object)  # Path of the example file
    recent_requested = Signal(object)  # Path of the recent project

    def __init__(self, examples: list[Example] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("welcomePage")
        self.setStyleSheet(_STYLE)
        self.examples = load_examples() if examples is None else examples
        self.example_cards: list[Card] = []
        self.recent_cards: list[Card] = []

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        content = QWidget()
        content.setObjectName("welcomeContent")
        scroll.setWidget(content)
        centre = QHBoxLayout(content)
        centre.setContentsMargins(32, 40, 32, 32)
        centre.addStretch(1)
        column_widget = QWidget()
        column_widget.setMaximumWidth(1080)
        column_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        centre.addWidget(column_widget, 100)
        centre.addStretch(1)

        column = QVBoxLayout(column_widget)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addStretch(1)
        column.addLayout(self._header())
        column.addSpacing(28)

        body = QHBoxLayout()
        body.setSpacing(40)
        body.addLayout(self._examples_column(), 3)
        self._recent_layout = QVBoxLayout()
        self._recent_layout.setSpacing(8)
        recent_column = QVBoxLayout()
        recent_column.setSpacing(10)
        recent_column.addWidget(_section("Recent"))
        recent_column.addLayout(self._recent_layout)
        recent_column.addStretch(1)
        body.addLayout(recent_column, 2)
        column.addLayout(body)
        column.addStretch(3)
        self.set_recent([])
        theme.notifier.changed.connect(self.apply_colors)

    def _header(self) -> QHBoxLayout:
        header = QHBoxLayout()
        header.setSpacing(18)
        self._logo = QLabel()
        self._logo.setPixmap(icons.app_icon().pixmap(72, 72))
        header.addWidget(self._logo, 0, Qt.AlignmentFlag.AlignVCenter)

        titles = QVBoxLayout()
        titles.setSpacing(2)
        title = QLabel("Ember Studio")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        titles.addStretch(1)
        titles.addWidget(title)
        titles.addWidget(
            _muted(f"Design, check and export neural networks visually  ·  version {__version__}")
        )
        titles.addStretch(1)
        header.addLayout(titles, 1)

        self.new_button = QPushButton("  New Project")
        self.new_button.setIcon(icons.icon("new"))
        self.new_button.setToolTip("Start an empty project (Ctrl+N)")
        self.open_button = QPushButton("  Open…")
        self.open_button.setIcon(icons.icon("open"))
        self.open_button.setToolTip("Open a project file (Ctrl+O)")
        for button in (self.new_button, self.open_button):
            button.setProperty("big", True)
            button.setMinimumHeight(44)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.new_button.setProperty("primary", True)
        self.new_button.clicked.connect(self.new_requested)
        self.open_button.clicked.connect(self.open_requested)
        return header

    def _examples_column(self) -> QVBoxLayout:
        column = QVBoxLayout()
        column.setSpacing(10)
        column.addWidget(_section("Start from an example"))
        grid = QGridLayout()
        grid.setSpacing(12)
        for i, example in enumerate(self.examples):
            card = Card(
                example.title,
                _shorten(example.description),
                icon_name="example",
                detail=f"{example.layers} layers",
                tooltip=f"{example.description}\n\nOpens as a new, untitled project.",
            )
            card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            card.path = example.path
            card.clicked.connect(lambda p=example.path: self.example_requested.emit(p))
            grid.addWidget(card, i // 2, i % 2)
            self.example_cards.append(card)
        for c in range(2):
            grid.setColumnStretch(c, 1)
        column.addLayout(grid)
        if not self.examples:
            column.addWidget(_muted(f"No example projects found in {EXAMPLES_DIR}."))
        column.addStretch(1)
        return column

    def set_recent(self, paths: list[Path]) -> None:
        """Show these recent projects (newest first); each is a card with its folder."""
        while self._recent_layout.count():
            item = self._recent_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.recent_cards = []
        for path in paths:
            name = path.name.removesuffix(serialize.SUFFIX)
            card = Card(
                name,
                _short_folder(path.parent),
                icon_name="recent",
                tooltip=str(path),
            )
            card.path = path
            card.clicked.connect(lambda p=path: self.recent_requested.emit(p))
            self._recent_layout.addWidget(card)
            self.recent_cards.append(card)
        if not paths:
            empty = _muted("No recent projects yet.\nOpen a project, or start from an example.")
            empty.setWordWrap(True)
            self._recent_layout.addWidget(empty)

    def apply_colors(self, *_args) -> None:
        """Take the current theme's icons (they are tinted for it)."""
        self.new_button.setIcon(icons.icon("new"))
        self.open_button.setIcon(icons.icon("open"))
        for card in [*self.example_cards, *self.recent_cards]:
            card.set_icon()


def _shorten(text: str, limit: int = 150) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters (with an ellipsis)."""
    if len(text) <= limit:
        return text
    sentence = text.split(". ", 1)[0] + "."
    if len(sentence) <= limit:
        return sentence
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _short_folder(folder: Path) -> str:
    """The folder with the home directory written as ~."""
    try:
        return "~/" + folder.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(folder)
