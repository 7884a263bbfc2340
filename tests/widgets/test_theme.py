"""Themes: palettes, named colours, contrast, following the system, and the change signal."""

import dataclasses
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from core.model.catalog import CATEGORIES
from widgets import theme

R, G = QPalette.ColorRole, QPalette.ColorGroup


def luminance(color: QColor) -> float:
    """WCAG relative luminance."""

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(x) for x in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio (1..21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(color: QColor) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour."""

    def linear(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(x) for x in (color.redF(), color.greenF(), color.blueF()))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def delta_e(a: QColor, b: QColor) -> float:
    return sum((p - q) ** 2 for p, q in zip(lab(a), lab(b))) ** 0.5


@pytest.fixture
def restore_light(qapp):
    yield
    theme.apply_theme(qapp, "light")


def test_contrast_helper_matches_the_wcag_reference_values():
    assert contrast(QColor("black"), QColor("white")) == pytest.approx(21.0)
    assert contrast(QColor("#777777"), QColor("white")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_apply_theme_sets_a_palette_of_that_lightness(qapp, qtbot, scheme, restore_light):
    with qtbot.waitSignal(theme.notifier.changed) as blocker:
        assert theme.apply_theme(qapp, scheme) == scheme
    assert blocker.args == [scheme]
    window = qapp.palette().color(R.Window)
    assert (window.lightnessF() < 0.5) == (scheme == "dark")
    assert (qapp.palette().color(R.WindowText).lightnessF() > 0.5) == (scheme == "dark")
    assert theme.current() == scheme
    assert theme.mode() == scheme
    assert theme.colors().dark == (scheme == "dark")
    assert qapp.style().metaObject().className() in ("QFusionStyle", "QStyleSheetStyle")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_readable_on_every_background(qapp, scheme, restore_light):
    theme.apply_theme(qapp, scheme)
    c = theme.colors()
    for bg in (c.window, c.canvas_bg, c.node_fill):
        assert contrast(c.text, bg) >= 4.5
        assert contrast(c.muted_text, bg) >= 4.5
        assert contrast(c.error, bg) >= 4.5
        assert contrast(c.warning, bg) >= 4.5
    palette = qapp.palette()
    for fg, bg in [
        (R.WindowText, R.Window),
        (R.Text, R.Base),
        (R.Text, R.AlternateBase),
        (R.HighlightedText, R.Highlight),
        (R.ButtonText, R.Button),
        (R.ToolTipText, R.ToolTipBase),
        (R.Link, R.Base),
        (R.PlaceholderText, R.Base),
    ]:
        assert contrast(palette.color(fg), palette.color(bg)) >= 4.5, (fg, bg)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_palette_sets_every_role_and_greys_out_disabled_text(qapp, scheme, restore_light):
    theme.apply_theme(qapp, scheme)
    palette = qapp.palette()
    reference = theme.palette(scheme)
    for role in R:
        if role in (R.NoRole, R.NColorRoles):
            continue
        assert palette.color(G.Active, role) == reference.color(G.Active, role), role
        assert palette.color(G.Inactive, role) == palette.color(G.Active, role), role
    for role in (R.Text, R.WindowText, R.ButtonText, R.PlaceholderText):
        active, disabled = palette.color(G.Active, role), palette.color(G.Disabled, role)
        assert contrast(disabled, palette.color(R.Base)) < contrast(active, palette.color(R.Base))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_category_has_a_distinct_visible_colour(qapp, scheme, restore_light):
    theme.apply_theme(qapp, scheme)
    c = theme.colors()
    assert list(c.category) == list(CATEGORIES)
    assert len({col.name() for col in c.category.values()}) == len(CATEGORIES)
    for col in c.category.values():
        assert contrast(col, c.node_fill) >= 3.0
    # any two are told apart at a glance: CIE76 colour difference well above 10
    cols = list(c.category.values())
    for i, a in enumerate(cols):
        for b in cols[i + 1 :]:
            assert delta_e(a, b) >= 15.0, (a.name(), b.name())


def test_colors_are_frozen_and_name_every_briefed_role(qapp):
    c = theme.colors()
    names = {f.name for f in dataclasses.fields(c)}
    assert {"window", "canvas_bg", "grid", "grid_major", "node_fill", "node_border"} <= names
    assert {"node_selected", "text", "muted_text", "accent", "wire", "wire_selected"} <= names
    assert {"port", "port_ok", "port_bad", "error", "warning", "info", "category"} <= names
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.text = QColor("red")


def test_system_mode_follows_the_desktop_scheme_and_its_changes(
    qapp, qtbot, monkeypatch, restore_light
):
    assert theme.apply_theme(qapp, "system") == theme.system_scheme()
    assert theme.mode() == "system"
    other = "dark" if theme.current() == "light" else "light"
    monkeypatch.setattr(theme, "system_scheme", lambda: other)
    hints = QGuiApplication.styleHints()
    with qtbot.waitSignal(theme.notifier.changed) as blocker:
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert blocker.args == [other]
    assert theme.current() == other
    assert theme.mode() == "system"


def test_a_chosen_scheme_ignores_the_desktop(qapp, qtbot, monkeypatch, restore_light):
    theme.apply_theme(qapp, "light")
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    with qtbot.assertNotEmitted(theme.notifier.changed):
        QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert theme.current() == "light"


def test_without_a_platform_scheme_the_native_palette_decides(qapp, monkeypatch):
    assert QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Unknown  # offscreen
    monkeypatch.setitem(theme._state, "native_palette", theme.palette("dark"))
    assert theme.system_scheme() == "dark"
    monkeypatch.setitem(theme._state, "native_palette", theme.palette("light"))
    assert theme.system_scheme() == "light"


def test_the_ui_font_is_readable(qapp, restore_light):
    theme.apply_theme(qapp, "light")
    font = qapp.font()
    assert font.pointSizeF() >= (theme.MIN_FONT_POINTS if sys.platform == "linux" else 8.0)


def test_unknown_mode_is_refused_with_the_choices(qapp):
    with pytest.raises(ValueError, match="system, light, dark"):
        theme.apply_theme(qapp, "solarized")
    assert theme.modes() == ("system", "light", "dark")
