"""The parity check: does an exported script compute what the live model computes?

A fixed batch (the first validation samples, or a seeded random batch of the Input's shape)
goes through the live core model here and through the exported script's model in a
separate process (``_parity_runner.py``, which imports only numpy and the script); the
largest difference between the two outputs is the answer.

    batch = fixed_batch(doc, data)
    live = live_outputs(model, batch)
    write_batch(batch, "batch.npz")
    subprocess.run(parity_command(script, weights, "batch.npz", "out.npz", class_name=...))
    result = compare(live, read_outputs("out.npz"))

``check_parity`` does all of it synchronously; the app runs ``parity_command`` in a
QProcess instead. Arrays travel as .npz files read with ``allow_pickle=False``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.export import ExportError, plan, state_dict_for
from core.model.document import Document

if TYPE_CHECKING:
    from core.model.build import GraphModel
    from core.model.data import Data

__all__ = [
    "RUNNER",
    "ParityError",
    "ParityResult",
    "check_parity",
    "compare",
    "fixed_batch",
    "live_outputs",
    "parity_command",
    "read_outputs",
    "save_weights",
    "stderr_tail",
    "write_batch",
]

RUNNER = Path(__file__).with_name("_parity_runner.py")
#: the largest difference allowed per output dtype, for outputs of magnitude up to 1 (larger
#: outputs allow proportionally more: float rounding grows with the values)
TOLERANCE = {"float16": 1e-2, "float32": 1e-4, "float64": 1e-8}
DEFAULT_INDEX_RANGE = 2  # int64 inputs that reach no Embedding get indices 0..1


class ParityError(RuntimeError):
    """The exported script could not be run on the batch; the message says why."""


@dataclass(frozen=True)
class ParityResult:
    """How far the exported model's outputs are from the live model's on one batch.

    ``max_rel`` is the largest difference relative to the largest magnitude of the live
    output it belongs to; ``tol`` the largest difference ``ok`` allows."""

    max_abs: float
    max_rel: float
    n_samples: int
    shapes_match: bool
    ok: bool
    message: str
    tol: float = TOLERANCE["float32"]


# -- the batch ---------------------------------------------------------------------------
def fixed_batch(
    doc: Document, data: Data | None = None, n: int = 16, seed: int = 0
) -> list[np.ndarray]:
    """One array per Input node: the first ``n`` validation (else training) samples when
    ``data`` fits the input, else a batch drawn with ``seed`` of the Input's shape and
    dtype (int64 inputs get indices below the smallest Embedding size they reach)."""
    from core.model.inference import infer

    inputs = doc.input_nodes()
    if not inputs:
        raise ExportError("cannot check parity: the model has no Input node")
    inference = infer(doc)
    specs = []
    for node in inputs:
        info = inference.nodes.get(node.id)
        if info is None or info.shape is None:
            raise ExportError(
                f"cannot check parity: the shape of the input {node.name!r} is unknown; "
                "fix the model's errors first"
            )
        dtype = info.dtype or str(node.params.get("dtype", "float32"))
        specs.append((node.id, tuple(info.shape), dtype))
    if data is not None and len(specs) == 1:
        x = _samples(data, n)
        _, shape, dtype = specs[0]
        if x is not None and tuple(x.shape[1:]) == shape and str(x.dtype) == dtype:
            return [x]
    rng = np.random.default_rng(seed)
    batch = []
    for node_id, shape, dtype in specs:
        if dtype == "int64":
            high = _index_range(doc, node_id)
            batch.append(rng.integers(0, high, size=(n, *shape), dtype=np.int64))
        else:
            batch.append(rng.standard_normal((n, *shape)).astype(dtype))
    return batch


def _samples(data, n: int) -> np.ndarray | None:
    """The first ``n`` validation (else training) inputs of ``data`` (a Data, or anything
    with ``train``/``val`` datasets of (x, y) samples) as one array; None if there are none."""
    part = getattr(data, "val", None)
    if part is None or not len(part):
        part = getattr(data, "train", None)
    if part is None or not len(part):
        return None
    k = min(n, len(part))
    tensors = getattr(part, "tensors", None)
    if tensors:
        xs = tensors[0][:k]
    else:
        import core

        xs = core.stack([part[i][0] for i in range(k)])
    return np.ascontiguousarray(xs.detach().cpu().numpy())


def _index_range(doc: Document, input_id: str) -> int:
    """The smallest ``num_embeddings`` of the index-taking layers that ``input_id`` feeds."""
    sizes = []
    for nid in doc.descendants(input_id):
        node = doc.nodes[nid]
        if node.entry.dtype == "index" and "num_embeddings" in node.params:
            sizes.append(int(node.params["num_embeddings"]))
    return min(sizes) if sizes else DEFAULT_INDEX_RANGE


def live_outputs(model: GraphModel, batch: list[np.ndarray]) -> list[np.ndarray]:
    """The live core model's outputs on ``batch``, in eval mode without gradients (its
    train/eval mode is restored afterwards)."""
    import core

    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else "cpu"
    was_training = model.training
    model.train(False)  # evaluation mode
    try:
        with core.no_grad():
            out = model(*(core.tensor(x, device=device) for x in batch))
    finally:
        model.train(was_training)
    outs = out if isinstance(out, tuple | list) else (out,)
    return [np.asarray(o.detach().cpu().numpy()) for o in outs]


def write_batch(batch: list[np.ndarray], path: str | os.PathLike) -> None:
    """Save the batch as ``x0``, ``x1``, ... in an .npz file (what the runner reads)."""
    with open(path, "wb") as f:
        np.savez(f, **{f"x{i}": np.ascontiguousarray(x) for i, x in enumerate(batch)})


def read_outputs(path: str | os.PathLike) -> list[np.ndarray]:
    """The runner's outputs ``out0``, ``out1``, ... (never unpickled)."""
    with np.load(path, allow_pickle=False) as npz:
        return [npz[f"out{k}"] for k in range(len(npz.files))]


def save_weights(
    doc: Document, model: GraphModel, path: str | os.PathLike, target: str = "core"
) -> str:
    """Write ``model``'s weights as the exported script names them (safetensors, atomic)."""
    import core

    core.save(state_dict_for(model, plan(doc, target)), os.fspath(path))
    return os.fspath(path)


# -- the process -------------------------------------------------------------------------
def parity_command(
    script: Path,
    weights: Path | None,
    batch: Path,
    out: Path,
    python: str = sys.executable,
    *,
    class_name: str | None = None,
    target: str | None = None,
) -> list[str]:
    """The command line that runs ``script``'s model on ``batch`` into ``out`` (a separate
    process; ``class_name`` is the export plan's, ``target`` "core" or "pytorch": found in
    the script when left out)."""
    cmd = [python, os.fspath(RUNNER), os.fspath(script), os.fspath(batch), os.fspath(out)]
    if weights is not None:
        cmd += ["--weights", os.fspath(weights)]
    if class_name:
        cmd += ["--class-name", class_name]
    if target:
        cmd += ["--target", "pytorch" if target in ("pytorch", "torch") else target]
    return cmd


def stderr_tail(text: str, lines: int = 6) -> str:
    """The last ``lines`` non-empty lines of a process's stderr."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


# -- the comparison ----------------------------------------------------------------------
def _number(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def _shapes(arrays: list[np.ndarray]) -> str:
    return ", ".join(str(tuple(a.shape)) for a in arrays)


def compare(live: list[np.ndarray], exported: list[np.ndarray]) -> ParityResult:
    """The largest absolute and relative differences between the two models' outputs."""
    n = int(live[0].shape[0]) if live and live[0].ndim else 0
    if len(live) != len(exported) or any(a.shape != b.shape for a, b in zip(live, exported)):
        message = (
            f"The exported model gives outputs of shape {_shapes(exported) or 'none'} where "
            f"the live model gives {_shapes(live)}: the exported code does not match"
        )
        return ParityResult(math.inf, math.inf, n, False, False, message)
    max_abs = max_rel = tol = 0.0
    within = True
    nan_mismatch = False
    for a, b in zip(live, exported):
        a64 = np.asarray(a, dtype=np.float64)
        b64 = np.asarray(b, dtype=np.float64)
        same = (a64 == b64) | (np.isnan(a64) & np.isnan(b64))  # equal infinities, NaN at NaN
        diff = np.where(same, 0.0, np.abs(a64 - b64))  # NaN where only one side is NaN
        finite = np.abs(a64[np.isfinite(a64)])
        scale = float(finite.max()) if finite.size else 0.0
        if np.isnan(diff).any():
            nan_mismatch = True
            worst = math.inf
        else:
            worst = float(diff.max()) if diff.size else 0.0
        base = TOLERANCE.get(str(a.dtype), TOLERANCE["float32"]) if a.dtype.kind == "f" else 0.0
        allowed = base * max(1.0, scale)
        within = within and worst <= allowed
        tol = max(tol, allowed)
        max_abs = max(max_abs, worst)
        max_rel = max(max_rel, worst / scale if scale > 0 else (0.0 if worst == 0 else math.inf))
    ok = within and not nan_mismatch
    head = f"Largest difference from the live model: {_number(max_abs)} over {n} samples"
    if ok:
        message = f"{head} — the exported code matches"
    elif nan_mismatch:
        message = (
            f"The exported model gives not-a-number values where the live model does not "
            f"(over {n} samples): the exported code does not match"
        )
    else:
        message = f"{head} — above the tolerance {_number(tol)}: the exported code does not match"
    return ParityResult(max_abs, max_rel, n, True, ok, message, tol)


# -- all at once -------------------------------------------------------------------------
def check_parity(
    doc: Document,
    script: str | os.PathLike,
    weights: str | os.PathLike | None,
    model: GraphModel,
    data: Data | None = None,
    target: str = "core",
    timeout: float = 120,
) -> ParityResult:
    """Run the parity check synchronously: ``script`` (written for ``target``) with
    ``weights`` (None: ``model``'s weights, saved to a temporary file) against ``model``;
    ParityError when the script cannot be run."""
    batch = fixed_batch(doc, data)
    live = live_outputs(model, batch)
    class_name = plan(doc, target).class_name
    script = Path(script)
    with tempfile.TemporaryDirectory(prefix="ember-parity-") as tmp:
        folder = Path(tmp)
        if weights is None:
            weights = save_weights(doc, model, folder / "weights.safetensors", target)
        write_batch(batch, folder / "batch.npz")
        out = folder / "outputs.npz"
        cmd = parity_command(
            script, Path(weights), folder / "batch.npz", out, class_name=class_name, target=target
        )
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=script.parent,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise ParityError(
                f"the exported script did not finish the check within {timeout:g} s and was stopped"
            ) from None
        if proc.returncode != 0:
            reason = stderr_tail(proc.stderr, 1)
            raise ParityError(reason or f"the check process exited with status {proc.returncode}")
        exported = read_outputs(out)
    return compare(live, exported)
