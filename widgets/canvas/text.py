"""The words a node card shows: key parameters, counts, shapes and tooltips (no Qt here)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from core.model import catalog
from core.model.catalog import shape_str
from widgets.common import sentence

# Short labels for the key parameters that have a well-known abbreviation.
ABBREVIATIONS = {
    "out_channels": "out",
    "out_features": "out",
    "kernel_size": "k",
    "stride": "s",
    "padding": "pad",
    "hidden_size": "hidden",
    "num_heads": "heads",
    "nhead": "heads",
    "dim_feedforward": "ff",
    "num_embeddings": "vocab",
    "embedding_dim": "dim",
    "normalized_dims": "dims",
    "num_groups": "groups",
    "output_size": "out",
}
SEPARATOR = " \u00b7 "  # a middle dot between parameters
ARROW = "\u2192"
UNKNOWN_SHAPE = ARROW + " ?"  # shown until inference gives the node a shape
# codes of the diagnostics that are about the data arriving on a node's input wires
WIRE_CODES = frozenset({"mismatch", "rank", "dtype", "flatten", "shape"})


def value_text(value: Any) -> str:
    """A parameter value, compact: 3 for (3, 3), 3x5 for (3, 5), (1, 28, 28) for a shape."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(value_text(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return str(value)


def _size_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        if value and all(v == value[0] for v in value):
            return str(value[0])
        return "\u00d7".join(str(v) for v in value)
    return str(value)


def key_params_text(kind: str, params: Mapping[str, Any]) -> str:
    """The kind's key parameters as one short line, e.g. ``out=16 · k=3 · s=2``.

    None values are left out, a stride of 1 too (the default of every convolution), and a
    bool shows as its name alone when true ("causal") and not at all when false.
    """
    entry = catalog.get(kind)
    parts = []
    for name in entry.key_params:
        value = params.get(name)
        if value is None:
            continue
        param = entry.params[name]
        if param.type == "bool":
            if value:
                parts.append(name)
            continue
        if name == "stride" and _size_text(value) == "1":
            continue
        label = ABBREVIATIONS.get(name, name)
        text = _size_text(value) if param.type == "size" else value_text(value)
        parts.append(f"{label}={text}")
    return SEPARATOR.join(parts)


def count_text(n: int) -> str:
    """A count with a metric suffix: 950, 12.8k, 1.2M, 3.4G."""
    n = int(n)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            value = n / limit
            text = f"{value:.1f}" if abs(value) < 100 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(n)


def params_text(n: int, *, short: bool = False) -> str:
    """``12.8k params`` (``12.8k`` when short); empty for a layer without parameters."""
    if not n:
        return ""
    return count_text(n) if short else f"{count_text(n)} params"


def shape_text(shape: Iterable[int] | None) -> str:
    """``→ (32, 14, 14)``; empty while the shape is unknown."""
    if shape is None:
        return ""
    return f"{ARROW} {shape_str(tuple(shape))}"


def diagnostics_html(diagnostics: Iterable[Any]) -> str:
    """Rich-text lines for a tooltip: each message in bold colour words, then its hint."""
    lines = []
    for d in diagnostics:
        word = {"error": "Error", "warning": "Warning"}.get(d.severity, "Note")
        line = f"<b>{word}:</b> {escape(d.message)}"
        if d.hint:
            line += f"<br/><i>{escape(sentence(d.hint, full_stop=True))}</i>"
        lines.append(line)
    return "<br/>".join(lines)


def node_tooltip(node: Any, info: Any = None, diagnostics: Iterable[Any] = ()) -> str:
    """A node's tooltip: name, kind, key parameters, shape and counts, then diagnostics."""
    entry = catalog.get(node.kind)
    parts = [f"<b>{escape(node.name)}</b> &nbsp;<span>{escape(entry.display_name)}</span>"]
    keys = key_params_text(node.kind, node.params)
    if keys:
        parts.append(escape(keys))
    if info is not None and info.shape is not None:
        counts = f"output {escape(shape_str(info.shape))}"
        if info.params:
            counts += f", {info.params:,} parameters"
        if info.macs:
            counts += f", {count_text(info.macs)} MACs"
        parts.append(counts)
    body = diagnostics_html(diagnostics)
    if body:
        parts.append(body)
    return "<p>" + "<br/>".join(parts) + "</p>"
