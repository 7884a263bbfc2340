"""SVG icons from resources/icons, drawn in the theme's colours and crisp at any scale.

The files are 24x24 line drawings that paint with ``currentColor``; :func:`icon` substitutes
a colour (the theme's text colour; red/amber/blue for "error"/"warning"/"info") and renders
the SVG at each requested size and device pixel ratio, so nothing is ever scaled from a
bitmap. A category icon takes its category's colour. Icons are cached per colour; the cache
is dropped after a theme change (``theme.notifier.changed``), so asking again after a change
gives icons in the new theme's colours.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from shiboken6 import Shiboken

from core.model import catalog
from widgets import theme

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
APP_ICON = ICONS / "ember.svg"

# The action icons every part of the app may ask for (each has resources/icons/<name>.svg).
ACTION_NAMES = (
    "new",
    "open",
    "save",
    "save-as",
    "export",
    "undo",
    "redo",
    "cut",
    "copy",
    "paste",
    "duplicate",
    "delete",
    "select-all",
    "zoom-in",
    "zoom-out",
    "zoom-fit",
    "auto-layout",
    "preferences",
    "about",
    "search",
    "error",
    "warning",
    "info",
    "grid",
    "snap",
    "recent",
    "example",
    "close",
)
# icons that mean a severity are drawn in its colour unless a colour is asked for
_SEVERITY = ("error", "warning", "info")

_cache: dict[tuple[str, str], QIcon] = {}
_clones: list[QIconEngine] = []


def names() -> list[str]:
    """Every icon name there is a file for (category icons included, the app icon not)."""
    return sorted(p.stem for p in ICONS.glob("*.svg") if p.stem != APP_ICON.stem)


def category_slug(category: str) -> str:
    """The file-name part for a catalog category: "Input / Output" -> "input-output"."""
    return "-".join(category.lower().replace("/", " ").split())


def category_icon_name(category: str) -> str:
    """The icon name of a catalog category: "Dense" -> "category-dense"."""
    return f"category-{category_slug(category)}"


@cache
def _source(name: str) -> str:
    path = ICONS / f"{name}.svg"
    if not isinstance(name, str) or not name or "/" in name or not path.is_file():
        known = ", ".join(names())
        raise ValueError(f"there is no icon named {name!r} in {ICONS}; known icons: {known}")
    return path.read_text(encoding="utf-8")


class _SvgEngine(QIconEngine):
    """Renders one SVG document at whatever size and device pixel ratio is asked for."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderer = QSvgRenderer(QByteArray(svg))
        self._renderer.setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)

    def paint(self, painter: QPainter, rect: QRect, mode, state) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if mode == QIcon.Mode.Disabled:
            painter.setOpacity(painter.opacity() * 0.4)
        self._renderer.render(painter, QRectF(rect))
        painter.restore()

    def pixmap(self, size: QSize, mode, state) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode, state, scale: float) -> QPixmap:  # noqa: N802
        w = max(1, round(size.width() * scale))
        h = max(1, round(size.height() * scale))
        image = QImage(w, h, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        self.paint(painter, QRect(0, 0, w, h), mode, state)
        painter.end()
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(scale)
        return pixmap

    def actualSize(self, size: QSize, mode, state) -> QSize:  # noqa: N802
        return QSize(size)

    def clone(self) -> QIconEngine:
        # Qt takes the clone (a QIcon detaching), but PySide does not hand it over: keep a
        # reference until Qt deletes it, or Python would free it under Qt's feet.
        _clones[:] = [c for c in _clones if Shiboken.isValid(c)]
        twin = _SvgEngine(self._svg)
        _clones.append(twin)
        return twin

    def key(self) -> str:
        return "ember-svg"

    def isNull(self) -> bool:  # noqa: N802
        return not self._renderer.isValid()


def _tinted(name: str, color: QColor) -> QIcon:
    key = (name, color.name())
    cached = _cache.get(key)
    if cached is None:
        svg = _source(name).replace("currentColor", color.name())
        cached = QIcon(_SvgEngine(svg.encode("utf-8")))
        _cache[key] = cached
    return cached


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon ``name`` (e.g. "save", "zoom-in") in ``color`` (default: the theme's text
    colour, or the severity's colour for "error", "warning" and "info").

    Raises ValueError naming the known icons when there is no such icon.
    """
    if color is None:
        c = theme.colors()
        color = getattr(c, name) if name in _SEVERITY else c.text
    return _tinted(name, QColor(color))


def category_icon(category: str) -> QIcon:
    """The icon of a catalog category, in the category's colour."""
    if category not in catalog.CATEGORIES:
        raise ValueError(
            f"there is no layer category {category!r}; categories: {', '.join(catalog.CATEGORIES)}"
        )
    return _tinted(category_icon_name(category), theme.colors().category[category])


def kind_icon(kind: str) -> QIcon:
    """The icon of a layer kind (its category's icon)."""
    return category_icon(catalog.get(kind).category)


def app_icon() -> QIcon:
    """Ember Studio's application icon (ember.svg rendered at the usual sizes)."""
    result = QIcon()
    renderer = QSvgRenderer(str(APP_ICON))
    for size in (16, 20, 24, 32, 40, 48, 64, 128, 256):
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        result.addPixmap(QPixmap.fromImage(image))
    return result


def _forget(*_args) -> None:
    _cache.clear()


theme.notifier.changed.connect(_forget)
