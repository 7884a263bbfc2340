"""Checkpoints: everything a run needs to continue exactly, in core's safe file format.

A checkpoint is one ``core.save`` file (safetensors layout, no pickle, written
atomically) holding a dict: ``format``/``version``, ``model`` (state_dict), ``optimizer``
and ``scheduler`` state, the position (``epoch`` finished epochs, ``batch`` batches of the
current one, ``step``), both random states (the default generator's and the data
order's at the start of the current epoch), the partial epoch's sums, ``history`` and the
best value so far. The trainer writes ``last.ckpt`` after every epoch (and when stopped or
when a callback fails) and ``best.ckpt`` when the monitored metric improves.
"""

from __future__ import annotations

import os

import core
from core.train.reports import TrainError

FORMAT = "ember-checkpoint"
VERSION = 1
LAST, BEST = "last.ckpt", "best.ckpt"


def save_checkpoint(path, state: dict) -> str:
    """Write ``state`` (see the module doc) to ``path`` atomically; returns the path."""
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:
        core.save({"format": FORMAT, "version": VERSION, **state}, path)
    except OSError as e:
        raise TrainError(
            f"cannot write the checkpoint {path}: {e.strerror or e}",
            stage="checkpoint",
            hint="check that the output folder is writable and the disk is not full",
        ) from e
    return path


def load_checkpoint(path) -> dict:
    """A checkpoint's dict (TrainError naming the file if it is not one)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise TrainError(f"there is no checkpoint file {path}", stage="checkpoint")
    try:
        state = core.load(path)
    except (ValueError, OSError) as e:
        raise TrainError(f"{path} is not a readable checkpoint: {e}", stage="checkpoint") from e
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise TrainError(
            f"{path} is not an Ember training checkpoint (a weights file? its content has no "
            f"format {FORMAT!r})",
            stage="checkpoint",
        )
    if state.get("version") != VERSION:
        raise TrainError(
            f"{path}: checkpoint version {state.get('version')!r} is not supported "
            f"(this version reads {VERSION})",
            stage="checkpoint",
        )
    missing = [k for k in ("model", "optimizer", "epoch", "batch", "step") if k not in state]
    if missing:
        raise TrainError(f"{path}: the checkpoint lacks {', '.join(missing)}", stage="checkpoint")
    return state


def load_weights(model, path) -> None:
    """Load a checkpoint's model weights (or a plain state_dict file) into ``model``."""
    path = os.fspath(path)
    try:
        state = core.load(path)
    except (ValueError, OSError) as e:
        raise TrainError(f"{path} cannot be read: {e}", stage="checkpoint") from e
    if isinstance(state, dict) and state.get("format") == FORMAT:
        state = state["model"]
    try:
        model.load_state_dict(state)
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise TrainError(
            f"{path}: the weights do not fit this model: {e}", stage="checkpoint"
        ) from e
