"""The main window: menus, status bar and (for now) an empty-state central view."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QVBoxLayout, QWidget

from app import __version__

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
ICON_PATH = RESOURCES / "icons" / "ember.svg"


class MainWindow(QMainWindow):
    """Top-level Ember Studio window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ember Studio")
        self.resize(1280, 800)
        if ICON_PATH.is_file():
            self.setWindowIcon(QIcon(str(ICON_PATH)))
        self.setCentralWidget(_EmptyState(self.windowIcon(), self))
        self._build_menus()
        ready = QLabel("Ready")
        ready.setContentsMargins(6, 0, 0, 0)
        self.statusBar().addWidget(ready)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self)
        # NOTE: StandardKey.Quit is empty on Windows and offscreen; Ctrl+Q is the fallback.
        quit_action.setShortcuts(
            QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")]
        )
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        help_menu = self.menuBar().addMenu("&Help")
        about_action = QAction("&About Ember Studio", self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self.show_about)
        help_menu.addAction(about_action)

    def show_about(self) -> None:
        """Show the About box with the version."""
        QMessageBox.about(
            self,
            "About Ember Studio",
            f"<h3>Ember Studio {__version__}</h3>"
            "<p>A visual neural-network builder with its own deep-learning engine.</p>",
        )


class _EmptyState(QWidget):
    """Centred icon, title and a muted line that says what is (and is not yet) here."""

    def __init__(self, icon: QIcon, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        if not icon.isNull():
            logo = QLabel()
            logo.setPixmap(icon.pixmap(96, 96))
            logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(logo)
            layout.addSpacing(12)

        title = QLabel("Ember Studio")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 2.4)
        font.setWeight(font.Weight.DemiBold)
        title.setFont(font)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)

        subtitle = QLabel(
            '<p style="line-height: 140%">The model canvas arrives in a later release.<br>'
            "The engine is available now: <code>import core</code></p>"
        )
        subtitle.setTextFormat(Qt.TextFormat.RichText)
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        palette = subtitle.palette()
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        palette.setColor(QPalette.ColorRole.WindowText, muted)
        subtitle.setPalette(palette)

        layout.addWidget(title)
        layout.addSpacing(8)
        layout.addWidget(subtitle)
        layout.addStretch(1)
