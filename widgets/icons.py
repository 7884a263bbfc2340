"""SVG icons from resources/icons, drawn in the theme's colours and crisp at any scale.

The files use ``currentColor``; :func:`icon` substitutes the theme's text colour (a category
icon takes its category's colour) and renders the SVG at each requested size and device
pixel ratio. Icons are cached per theme and rebuilt after a theme change.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.model import catalog
from widgets import theme

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
APP_ICON = ICONS / "ember.svg"

_cache: dict[tuple[str, str, str], QIcon] = {}


def names() -> list[str]:
    """Every icon name there is a file for (category icons included)."""
    return sorted(p.stem for p in ICONS.glob("*.svg") if p.stem != "ember")


def category_slug(category: str) -> str:
    """The file-name part for a catalog category: "Input / Output" -> "input-output"."""
    return "-".join(category.lower().replace("/", " ").split())


@cache
def _source(name: str) -> str:
    path = ICONS / f"{name}.svg"
    if not path.is_file():
        known = ", ".join(names())
        raise ValueError(f"no icon named {name!r} in {ICONS} (known: {known})")
    return path.read_text(encoding="utf-8")


class _SvgEngine(QIconEngine):
    """Renders one SVG document at whatever size and device pixel ratio is asked for."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer = QSvgRenderer(QByteArray(svg))

    def paint(self, painter: QPainter, rect: QRect, mode, state) -> None:
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(0.4)
        self._renderer.render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:  # noqa: N802
        w, h = max(1, round(size.width() * scale)), max(1, round(size.height() * scale))
        image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(0, 0, w, h), mode, state)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def clone(self) -> QIconEngine:
        return _SvgEngine(self._svg)

    def isNull(self) -> bool:  # noqa: N802
        return not self._renderer.isValid()


def _tinted(name: str, color: QColor) -> QIcon:
    key = (name, color.name(), theme.current())
    cached = _cache.get(key)
    if cached is None:
        svg = _source(name).replace("currentColor", color.name())
        cached = QIcon(_SvgEngine(svg.encode("utf-8")))
        _cache[key] = cached
    return cached


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon ``name`` (e.g. "save", "zoom-in") in ``color`` (default: the theme's text)."""
    return _tinted(name, color if color is not None else theme.colors().text)


def category_icon(category: str) -> QIcon:
    """The icon of a catalog category, in the category's colour."""
    if category not in catalog.CATEGORIES:
        raise ValueError(f"unknown layer category {category!r}")
    colors = theme.colors()
    return _tinted(f"category-{category_slug(category)}", colors.category[category])


def kind_icon(kind: str) -> QIcon:
    """The icon of a layer kind (its category's icon)."""
    return category_icon(catalog.get(kind).category)


def app_icon() -> QIcon:
    """Ember Studio's application icon."""
    result = QIcon()
    renderer = QSvgRenderer(str(APP_ICON))
    for size in (16, 24, 32, 48, 64, 128, 256):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        result.addPixmap(QPixmap.fromImage(image))
    return result
