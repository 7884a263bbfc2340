"""Helpers the core.model tests share."""

from __future__ import annotations

from core.model import Document


def chain(doc: Document, src: str, *layers) -> str:
    """Append ``(kind, params[, id][, name])`` layers after ``src`` (each fed through its
    first input port); the last id."""
    for kind, p, *rest in layers:
        nid = rest[0] if rest else None
        name = rest[1] if len(rest) > 1 else None
        node = doc.add_node(kind, params=p, id=nid, name=name)
        doc.connect(src, node.id, dst_port=node.entry.input_ports(node.params)[0])
        src = node.id
    return src
