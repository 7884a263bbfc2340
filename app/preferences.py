"""The Preferences dialog: theme, autosave, start-up and canvas grid settings."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.app_settings import THEMES, AppSettings

THEME_LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}


@dataclass(frozen=True)
class Preferences:
    """The values the dialog edits."""

    theme: str = "system"
    autosave_interval: int = 60
    open_last_project: bool = False
    grid_visible: bool = True
    snap_to_grid: bool = True

    @classmethod
    def read(cls, settings: AppSettings) -> Preferences:
        return cls(
            theme=settings.theme,
            autosave_interval=settings.autosave_interval,
            open_last_project=settings.open_last_project,
            grid_visible=settings.grid_visible,
            snap_to_grid=settings.snap_to_grid,
        )

    def write(self, settings: AppSettings) -> None:
        settings.theme = self.theme
        settings.autosave_interval = self.autosave_interval
        settings.open_last_project = self.open_last_project
        settings.grid_visible = self.grid_visible
        settings.snap_to_grid = self.snap_to_grid
        settings.sync()


class PreferencesDialog(QDialog):
    """Edits a :class:`Preferences`; :meth:`values` reads what the user chose."""

    def __init__(self, prefs: Preferences, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setMinimumWidth(420)

        self.theme = QComboBox()
        for mode in THEMES:
            self.theme.addItem(THEME_LABELS[mode], mode)
        self.theme.setCurrentIndex(THEMES.index(prefs.theme))

        self.autosave = QSpinBox()
        self.autosave.setRange(0, 3600)
        self.autosave.setSingleStep(15)
        self.autosave.setSuffix(" s")
        self.autosave.setSpecialValueText("Off")
        self.autosave.setValue(prefs.autosave_interval)
        self.autosave.setToolTip(
            "How often unsaved changes are written to a recovery file (0: never).\n"
            "After a crash, Ember Studio offers to restore them."
        )

        self.open_last = QCheckBox("Open the last project on start")
        self.open_last.setChecked(prefs.open_last_project)
        self.grid_visible = QCheckBox("Show the grid")
        self.grid_visible.setChecked(prefs.grid_visible)
        self.snap = QCheckBox("Snap nodes to the grid")
        self.snap.setChecked(prefs.snap_to_grid)

        general = QGroupBox("General")
        form = QFormLayout(general)
        form.addRow("Theme:", self.theme)
        form.addRow("Autosave every:", self.autosave)
        form.addRow("", self.open_last)

        canvas = QGroupBox("Canvas")
        canvas_layout = QVBoxLayout(canvas)
        canvas_layout.addWidget(self.grid_visible)
        canvas_layout.addWidget(self.snap)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(general)
        layout.addWidget(canvas)
        layout.addStretch(1)
        layout.addWidget(buttons)

    def values(self) -> Preferences:
        return Preferences(
            theme=self.theme.currentData(),
            autosave_interval=self.autosave.value(),
            open_last_project=self.open_last.isChecked(),
            grid_visible=self.grid_visible.isChecked(),
            snap_to_grid=self.snap.isChecked(),
        )
