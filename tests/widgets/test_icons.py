"""Icons: one valid SVG per action and category, crisp at any DPI, in the theme's colours."""

import gc
import re

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.model import catalog
from widgets import icons, theme

BRIEFED = (
    "new open save save-as export undo redo cut copy paste duplicate delete select-all zoom-in "
    "zoom-out zoom-fit auto-layout preferences about search error warning info grid snap "
    "recent example close"
).split()


@pytest.fixture
def light(qapp):
    theme.apply_theme(qapp, "light")
    yield
    theme.apply_theme(qapp, "light")


def ink(image: QImage) -> tuple[QColor | None, int]:
    """The colour of the most opaque pixel and how many pixels are painted at all."""
    best, painted = None, 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if c.alpha():
                painted += 1
                if best is None or c.alpha() > best.alpha():
                    best = c
    return best, painted


def close_to(a: QColor, b: QColor, tolerance: int = 12) -> bool:
    return all(abs(p - q) <= tolerance for p, q in zip(a.getRgb()[:3], b.getRgb()[:3]))


def test_the_action_list_is_the_briefed_one():
    assert list(icons.ACTION_NAMES) == BRIEFED


@pytest.mark.parametrize(
    "name", BRIEFED + [icons.category_icon_name(c) for c in catalog.CATEGORIES]
)
def test_every_icon_file_is_a_valid_24px_line_drawing_in_current_color(name):
    path = icons.ICONS / f"{name}.svg"
    assert path.is_file(), f"missing {path}"
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid()
    assert renderer.viewBox().width() == 24 and renderer.viewBox().height() == 24
    text = path.read_text(encoding="utf-8")
    assert "currentColor" in text
    assert not re.search(r"#[0-9a-fA-F]{3,8}\b|rgb\(", text), "colours must come from the theme"
    assert 'stroke-linecap="round"' in text
    width = float(re.search(r'stroke-width="([\d.]+)"', text).group(1))
    assert 1.75 <= width <= 2.0


def test_category_file_names_follow_the_slug():
    assert icons.category_slug("Input / Output") == "input-output"
    assert icons.category_icon_name("Dense") == "category-dense"


@pytest.mark.parametrize("name", BRIEFED)
def test_icons_render_sharp_at_16_and_64_px_on_a_2x_screen(light, name):
    icon = icons.icon(name)
    assert not icon.isNull()
    for size in (16, 64):
        pixmap = icon.pixmap(QSize(size, size), 2.0)
        assert pixmap.devicePixelRatio() == 2.0
        assert (pixmap.width(), pixmap.height()) == (2 * size, 2 * size)
        _, painted = ink(pixmap.toImage()) if size == 16 else (None, 1)
        assert painted > 0
    # drawn at device resolution, not scaled up: 16 px at 2x is exactly 32 px at 1x
    at_2x = icon.pixmap(QSize(16, 16), 2.0).toImage()
    at_1x = icon.pixmap(QSize(32, 32), 1.0).toImage()
    at_2x.setDevicePixelRatio(1.0)
    assert at_2x == at_1x


def test_icons_take_the_theme_text_colour_and_follow_a_theme_change(qapp, light):
    light_image = icons.icon("save").pixmap(48, 48).toImage()
    light_ink, _ = ink(light_image)
    assert close_to(light_ink, theme.colors().text)
    assert light_ink.lightnessF() < 0.3
    theme.apply_theme(qapp, "dark")
    dark_ink, _ = ink(icons.icon("save").pixmap(48, 48).toImage())
    assert close_to(dark_ink, theme.colors().text)
    assert dark_ink.lightnessF() > 0.7


def test_severity_icons_wear_their_severity_colour(light):
    c = theme.colors()
    for name, expected in (("error", c.error), ("warning", c.warning), ("info", c.info)):
        colour, _ = ink(icons.icon(name).pixmap(32, 32).toImage())
        assert close_to(colour, expected), name
    blue = QColor("#0000ff")
    colour, _ = ink(icons.icon("error", blue).pixmap(32, 32).toImage())
    assert close_to(colour, blue)


def test_every_kind_has_its_category_icon_in_the_category_colour(light):
    for category, entries in catalog.by_category().items():
        expected = theme.colors().category[category]
        colour, painted = ink(icons.category_icon(category).pixmap(24, 24).toImage())
        assert painted and close_to(colour, expected), category
        for entry in entries:
            icon = icons.kind_icon(entry.kind)
            assert not icon.isNull()
            assert (
                icon.pixmap(24, 24).toImage()
                == icons.category_icon(category).pixmap(24, 24).toImage()
            )


def test_a_disabled_icon_is_fainter(light):
    icon = icons.icon("save")
    normal, _ = ink(icon.pixmap(QSize(24, 24), QIcon.Mode.Normal).toImage())
    disabled, _ = ink(icon.pixmap(QSize(24, 24), QIcon.Mode.Disabled).toImage())
    assert disabled.alpha() < normal.alpha() * 0.6


def test_unknown_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match=r"'sav'.*known icons: .*\bsave\b"):
        icons.icon("sav")
    with pytest.raises(ValueError, match="Dense"):
        icons.category_icon("Dense layers")
    with pytest.raises(ValueError):
        icons.icon("../icons/save")


def test_icons_are_cached_per_theme(qapp, light):
    first = icons.icon("open")
    assert icons.icon("open").cacheKey() == first.cacheKey()
    theme.apply_theme(qapp, "dark")
    assert icons.icon("open").cacheKey() != first.cacheKey()


def test_a_copied_icon_that_detaches_keeps_rendering(light):
    copies = []
    for _ in range(20):
        copy = QIcon(icons.icon("paste"))
        copy.addPixmap(QPixmap(4, 4))  # detaches: Qt clones the icon engine
        copies.append(copy)
    icons._cache.clear()
    gc.collect()
    for copy in copies:
        _, painted = ink(copy.pixmap(QSize(24, 24), 1.0).toImage())
        assert painted > 0


def test_the_app_icon_comes_in_every_usual_size():
    icon = icons.app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    image = icon.pixmap(32, 32).toImage()
    _, painted = ink(image)
    assert painted > 600  # a tile, not a speck
    ember = [
        c
        for y in range(32)
        for x in range(32)
        if (c := image.pixelColor(x, y)).redF() > 0.85 and c.blueF() < 0.4
    ]
    assert len(ember) > 60  # the orange flame
