"""Switching the theme while a project is open recolours every panel."""

from pathlib import Path

from PySide6.QtGui import QPalette

EXAMPLE = Path(__file__).resolve().parents[2] / "resources" / "examples" / "mlp_spirals.ember.json"


def test_the_layer_list_turns_dark_and_back(window, qtbot):
    window.open_path(EXAMPLE, ask=False, remember=False)
    qtbot.waitUntil(lambda: window.palette.isVisible())
    viewport = window.palette.tree.viewport()
    try:
        window.set_theme("dark")
        base = viewport.palette().color(QPalette.ColorRole.Base)
        text = window.palette.tree.palette().color(QPalette.ColorRole.Text)
        assert base.lightnessF() < 0.5 < text.lightnessF()
    finally:
        window.set_theme("light")
    assert viewport.palette().color(QPalette.ColorRole.Base).lightnessF() > 0.5
