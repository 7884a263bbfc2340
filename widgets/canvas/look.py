"""What the canvas items paint with: the theme's colours plus fonts, pens and metrics.

One :class:`Look` per scene, rebuilt by ``CanvasScene.apply_colors`` when the theme changes;
items read it from their scene instead of each asking the theme while painting.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication

from widgets import theme

# Geometry of a node card (scene units = pixels at zoom 1). The width keeps a gap for the
# wires between nodes laid out 200 apart (the example projects) and is a grid multiple.
NODE_WIDTH = 160.0
HEADER_HEIGHT = 38.0
ROW_HEIGHT = 17.0
NODE_MIN_HEIGHT = 80.0
PORT_SPACING = 20.0
PORT_RADIUS = 4.5
CORNER_RADIUS = 7.0
PADDING = 10.0
ICON_SIZE = 18.0


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
        1.0,
    )


class Look:
    """Colours (``theme.colors()``), fonts and their metrics for one scene."""

    def __init__(self) -> None:
        self.colors = theme.colors()
        c = self.colors
        base = QFont(QGuiApplication.font())
        family = base.family()
        self.name_font = QFont(family)
        self.name_font.setPixelSize(12)
        self.name_font.setWeight(QFont.Weight.DemiBold)
        self.kind_font = QFont(family)
        self.kind_font.setPixelSize(10)
        self.body_font = QFont(family)
        self.body_font.setPixelSize(11)
        self.port_font = QFont(family)
        self.port_font.setPixelSize(9)
        self.badge_font = QFont(family)
        self.badge_font.setPixelSize(11)
        self.badge_font.setWeight(QFont.Weight.Bold)
        self.health_font = QFont(family)  # the training-health pills under a card
        self.health_font.setPixelSize(10)
        self.health_font.setWeight(QFont.Weight.Bold)
        for font in (
            self.name_font,
            self.kind_font,
            self.body_font,
            self.port_font,
            self.health_font,
        ):
            font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
        self.name_metrics = QFontMetricsF(self.name_font)
        self.kind_metrics = QFontMetricsF(self.kind_font)
        self.body_metrics = QFontMetricsF(self.body_font)
        self.port_metrics = QFontMetricsF(self.port_font)
        self.health_metrics = QFontMetricsF(self.health_font)
        dark = c.node_fill.lightnessF() < 0.5
        self.dark = dark
        # the header is the node's fill tinted with its category colour
        self.header_tint = 0.2 if dark else 0.16
        self.divider = _mix(c.node_fill, c.node_border, 0.6)
        self.shadow = QColor(0, 0, 0, 90 if dark else 38)
        self.shape_color = c.accent
        self.wire_hover = _mix(c.wire, c.wire_selected, 0.5)

    def health_colors(self, severity: str) -> tuple[QColor, QColor]:
        """(fill, text) of a training-health pill: the severity's colour, with text that
        reads on it (white on the light theme's deep tones, dark on the dark theme's)."""
        c = self.colors
        fill = c.error if severity == "error" else c.warning
        return fill, (c.canvas_bg if self.dark else QColor("white"))

    def category_color(self, category: str) -> QColor:
        return self.colors.category.get(category, self.colors.accent)

    def header_color(self, category: str) -> QColor:
        return _mix(self.colors.node_fill, self.category_color(category), self.header_tint)
