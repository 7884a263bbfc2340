"""The drag-and-drop format of a layer kind, shared by the palette (drag) and canvas (drop)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

from core.model import catalog

#: MIME type of a palette drag; the payload is the catalog kind name, UTF-8 encoded.
KIND_MIME = "application/x-ember-kind"


def kind_mime_data(kind: str) -> QMimeData:
    """Mime data carrying ``kind`` (also as plain text, for drops on text fields)."""
    mime = QMimeData()
    mime.setData(KIND_MIME, kind.encode("utf-8"))
    mime.setText(kind)
    return mime


def kind_from_mime(mime: QMimeData | None) -> str | None:
    """The catalog kind carried by ``mime``, or None when it carries no known kind."""
    if mime is None or not mime.hasFormat(KIND_MIME):
        return None
    try:
        kind = bytes(mime.data(KIND_MIME).data()).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return kind if kind in catalog.CATALOG else None
