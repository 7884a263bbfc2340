"""Themes: palettes, named colours, contrast, and the change notification."""

import pytest
from PySide6.QtGui import QPalette

from core.model.catalog import CATEGORIES
from widgets import theme


def luminance(color) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(x) for x in (color.redF(), color.greenF(), color.blueF()))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture
def restore_light(qapp):
    yield
    theme.apply_theme(qapp, "light")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_apply_theme_sets_a_palette_of_that_lightness(qapp, qtbot, scheme, restore_light):
    with qtbot.waitSignal(theme.notifier.changed) as blocker:
        assert theme.apply_theme(qapp, scheme) == scheme
    assert blocker.args == [scheme]
    window = qapp.palette().color(QPalette.ColorRole.Window)
    assert (window.lightnessF() < 0.5) == (scheme == "dark")
    assert theme.current() == scheme
    assert theme.colors().dark == (scheme == "dark")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_readable_on_every_background(qapp, scheme, restore_light):
    theme.apply_theme(qapp, scheme)
    c = theme.colors()
    for bg in (c.window, c.canvas_bg, c.node_fill):
        assert contrast(c.text, bg) >= 4.5
        assert contrast(c.muted_text, bg) >= 3.0
    palette = qapp.palette()
    for fg, bg in [
        (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
        (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
        (QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight),
        (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
    ]:
        assert contrast(palette.color(fg), palette.color(bg)) >= 4.5


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_category_has_a_distinct_visible_colour(qapp, scheme, restore_light):
    theme.apply_theme(qapp, scheme)
    c = theme.colors()
    assert set(c.category) == set(CATEGORIES)
    assert len({col.name() for col in c.category.values()}) == len(CATEGORIES)
    for col in c.category.values():
        assert contrast(col, c.node_fill) >= 2.0


def test_system_mode_follows_the_desktop_scheme(qapp, restore_light):
    assert theme.apply_theme(qapp, "system") == theme.system_scheme()
    assert theme.mode() == "system"


def test_unknown_mode_is_refused_with_the_choices(qapp):
    with pytest.raises(ValueError, match="system, light, dark"):
        theme.apply_theme(qapp, "solarized")
    assert theme.modes() == ("system", "light", "dark")
