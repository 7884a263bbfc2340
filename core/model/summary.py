"""A model summary like torchinfo's: one row per node, totals and the diagnostics.

``summary_rows`` gives the table as data (for the GUI's summary panel); ``summary_text``
renders it as a fixed-width table for the console (``python -m app summary PROJECT``).
Both are deterministic: the same document always gives the same text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from core.model import catalog
from core.model.document import Document
from core.model.inference import DTYPE_BYTES, ERROR, WARNING, Inference, infer

Shape = tuple[int, ...]
UNKNOWN = "?"
NONE = "--"
_MB = 1e6  # torchinfo's megabyte
_COLUMNS = ("", "Layer", "Id", "Kind", "Input shape", "Output shape", "Params", "MACs")
_RIGHT = {"Params", "MACs"}  # right-aligned numeric columns
_MAX_CELL = 40  # longer names are shortened with "..."


def summary_rows(doc: Document, inference: Inference | None = None) -> list[dict]:
    """One dict per node, in topological order.

    Keys: ``id``, ``name``, ``kind``, ``in_shapes`` / ``shape`` (per sample, None where
    unknown), ``input_shapes`` / ``output_shape`` (the same with the batch dimension as -1,
    as PyTorch prints it), ``dtype``, ``params`` and ``macs`` (per sample; None where the
    shape is unknown), ``trainable`` (whether the node has trainable parameters) and
    ``severity`` (the worst of its diagnostics: "error", "warning" or None).
    """
    inference = infer(doc) if inference is None else inference
    worst: dict[str, str] = {}
    for d in inference.diagnostics:
        if d.node_id is not None and worst.get(d.node_id) != ERROR:
            worst[d.node_id] = d.severity
    rows = []
    for nid, info in inference.nodes.items():
        known = info.shape is not None
        rows.append(
            {
                "id": nid,
                "name": info.name,
                "kind": info.kind,
                "in_shapes": list(info.in_shapes),
                "shape": info.shape,
                "input_shapes": [_batched(s) for s in info.in_shapes],
                "output_shape": _batched(info.shape),
                "dtype": info.dtype,
                "params": info.params if known else None,
                "macs": info.macs if known else None,
                "trainable": known and info.params > 0,
                "severity": worst.get(nid),
            }
        )
    return rows


def summary_text(
    doc: Document, inference: Inference | None = None, batch_size: int | None = None
) -> str:
    """The summary as a fixed-width table, totals and diagnostics (no trailing newline).

    Shapes show the batch dimension as ``N``, or as ``batch_size`` when one is given; the
    totals then also give MACs and memory per batch.
    """
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
        raise ValueError(f"batch_size must be a positive whole number, got {batch_size!r}")
    inference = infer(doc) if inference is None else inference
    rows = summary_rows(doc, inference)
    batch = "N" if batch_size is None else str(int(batch_size))
    marks = {ERROR: "!", WARNING: "*"}

    table = [_COLUMNS]
    for r in rows:
        table.append(
            (
                marks.get(r["severity"], ""),
                _clip(r["name"]),
                r["id"],
                r["kind"],
                ", ".join(shape_cell(s, batch) for s in r["in_shapes"]) or NONE,
                shape_cell(r["shape"], batch),
                count_cell(r["params"]),
                count_cell(r["macs"]),
            )
        )
    marked = any(r["severity"] for r in rows)
    if not marked:  # no marker column
        table = [cells[1:] for cells in table]
    columns = _COLUMNS if marked else _COLUMNS[1:]
    widths = [max(len(row[i]) for row in table) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            c.rjust(w) if name in _RIGHT else c.ljust(w)
            for c, w, name in zip(cells, widths, columns)
        ]
        return "  ".join(parts).rstrip()

    rule_width = max(sum(widths) + 2 * (len(widths) - 1), 60)
    heavy, light = "=" * rule_width, "-" * rule_width
    title = (doc.meta.get("title") or "").strip()
    out = [f"Model summary: {title}" if title else "Model summary", heavy, line(table[0]), heavy]
    out += [line(cells) for cells in table[1:]] or ["(no layers)"]
    out.append(heavy)
    counts, memory = _totals(rows, batch_size)
    out += [*counts, light, *memory, heavy]
    out += _diagnostics(inference)
    if marked:
        out.append("(! marks a layer with an error, * one with a warning)")
    return "\n".join(out)


# -- totals ------------------------------------------------------------------------------
def summary_totals(rows: list[dict], batch_size: int | None = None) -> dict[str, int]:
    """The totals of :func:`summary_rows` as numbers: ``params``, ``trainable``,
    ``non_trainable``, ``macs`` (per sample), ``unknown`` (layers of unknown shape, not
    counted), and the memory estimate in bytes for one sample or ``batch_size`` samples:
    ``input_bytes``, ``activation_bytes`` (forward), ``pass_bytes`` (forward and backward),
    ``param_bytes`` (float32) and ``total_bytes``."""
    known = [r for r in rows if r["shape"] is not None]
    params = sum(r["params"] for r in known)
    trainable = sum(r["params"] for r in known if r["trainable"])
    input_bytes = activation_bytes = 0
    for r in known:
        entry = catalog.get(r["kind"])
        size = math.prod(r["shape"]) * DTYPE_BYTES.get(r["dtype"], 4)
        if entry.is_input:
            input_bytes += size
        elif not entry.is_output:  # an Output is its input, not a new tensor
            activation_bytes += size
    n = 1 if batch_size is None else batch_size
    param_bytes = params * 4  # float32
    return {
        "params": params,
        "trainable": trainable,
        "non_trainable": params - trainable,
        "macs": sum(r["macs"] for r in known),
        "unknown": len(rows) - len(known),
        "input_bytes": input_bytes * n,
        "activation_bytes": activation_bytes * n,
        "pass_bytes": 2 * activation_bytes * n,
        "param_bytes": param_bytes,
        "total_bytes": input_bytes * n + 2 * activation_bytes * n + param_bytes,
    }


def _totals(rows: list[dict], batch_size: int | None) -> tuple[list[str], list[str]]:
    """The count lines (parameters, MACs) and the memory estimate lines."""
    t = summary_totals(rows, batch_size)
    suffix = f" (+ {t['unknown']} layer(s) of unknown shape)" if t["unknown"] else ""
    lines = [
        f"Total params: {t['params']:,}{suffix}",
        f"Trainable params: {t['trainable']:,}",
        f"Non-trainable params: {t['non_trainable']:,}",
        f"MACs per sample: {with_human(t['macs'])}{suffix}",
    ]
    if batch_size is not None:
        lines.append(f"MACs per batch of {batch_size}: {t['macs'] * batch_size:,}")
    per = "per sample" if batch_size is None else f"batch of {batch_size}"
    memory = [
        f"Input size (MB, {per}): {t['input_bytes'] / _MB:.2f}",
        f"Forward activations (MB, {per}): {t['activation_bytes'] / _MB:.2f}",
        f"Forward/backward pass size (MB, {per}): {t['pass_bytes'] / _MB:.2f}",
        f"Params size (MB, float32): {t['param_bytes'] / _MB:.2f}",
        f"Estimated total size (MB, {per}): {t['total_bytes'] / _MB:.2f}",
    ]
    return lines, memory


def _diagnostics(inference: Inference) -> list[str]:
    errors, warnings = len(inference.errors), len(inference.warnings)
    if not inference.diagnostics:
        return ["No problems found."]
    head = f"{errors} error(s), {warnings} warning(s):"
    return [head] + [f"  {d}" for d in inference.diagnostics]


# -- cells -------------------------------------------------------------------------------
def _batched(shape: Shape | None) -> Shape | None:
    return None if shape is None else (-1, *shape)


def shape_cell(shape: Shape | None, batch: str = "N") -> str:
    """``[N, 16, 8, 8]``: a per-sample shape with the batch dimension first; ``?`` when
    unknown."""
    if shape is None:
        return UNKNOWN
    return "[" + ", ".join([batch, *map(str, shape)]) + "]"


def count_cell(n: int | None) -> str:
    """A count with thousands separators; ``--`` for none and ``?`` when unknown."""
    if n is None:
        return UNKNOWN
    return f"{n:,}" if n else NONE


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 3].rstrip() + "..."


def with_human(n: int) -> str:
    """``1,234,567 (1.23 M)``; small numbers alone."""
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n:,} ({n / scale:.2f} {unit})"
    return f"{n:,}"
