"""Callbacks: how a run reports. Subclass :class:`Callback` and define what you need.

Callbacks run on the training thread, between steps; one that is slow slows training.
A GUI hands reports to its own thread (the reports are frozen records). A callback that
raises stops the run with a TrainError (stage "callback") naming it; the model and the
optimizer are left as the last finished step left them.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable

from core.train.reports import EpochReport, StepReport, TrainError, TrainInfo, TrainResult

EVENTS = (
    "on_start",
    "on_step",
    "on_epoch",
    "on_grad_norms",
    "on_graph",
    "on_done",
    "on_error",
)


class Callback:
    """Base class: every method is optional and does nothing here.

    - ``on_start(info: TrainInfo)``: before the first step;
    - ``on_step(report: StepReport)``: every ``step_every`` steps;
    - ``on_epoch(report: EpochReport)``: after each epoch's validation;
    - ``on_grad_norms(step, norms)``: {parameter name: gradient L2 norm}, every
      ``grad_norm_every`` steps (computed only when some callback defines this);
    - ``on_graph(step, recorder)``: a ``core.graph`` recording of one training step
      (forward and backward, per-op times) when the executed graph changed (recorded
      only when some callback defines this; see Trainer for the policy);
    - ``on_done(result: TrainResult)``: the run ended (finished or stopped);
    - ``on_error(error: TrainError)``: the run failed, or could not start (train_document
      and fit: data, build and setup errors too); ``error.result`` holds what it reached.
    """

    def on_start(self, info: TrainInfo) -> None:
        pass

    def on_step(self, report: StepReport) -> None:
        pass

    def on_epoch(self, report: EpochReport) -> None:
        pass

    def on_grad_norms(self, step: int, norms: dict[str, float]) -> None:
        pass

    def on_graph(self, step: int, recorder) -> None:
        pass

    def on_done(self, result: TrainResult) -> None:
        pass

    def on_error(self, error: TrainError) -> None:
        pass


def _defines(cb, event: str) -> bool:
    """Whether ``cb`` has its own ``event`` method (not the base class's no-op)."""
    method = getattr(type(cb), event, None)
    if method is None:
        return callable(getattr(cb, event, None))  # set on the instance
    return method is not getattr(Callback, event)


class Dispatcher:
    """Calls one event on every callback that defines it; a raise becomes a TrainError."""

    def __init__(self, callbacks: Iterable) -> None:
        self.callbacks = list(callbacks)
        self._by_event = {e: [cb for cb in self.callbacks if _defines(cb, e)] for e in EVENTS}

    def wants(self, event: str) -> bool:
        return bool(self._by_event[event])

    def emit(self, event: str, *args) -> None:
        for cb in self._by_event[event]:
            try:
                getattr(cb, event)(*args)
            except TrainError:  # it already says what went wrong and what to do
                raise
            except Exception as e:
                raise CallbackError(cb, event, e) from e

    def emit_error(self, error: TrainError, skip=None) -> None:
        """``on_error`` on every callback but ``skip``; their own failures become notes."""
        for cb in self._by_event["on_error"]:
            if cb is skip:
                continue
            try:
                cb.on_error(error)
            except Exception as e:  # the run already failed: report, do not mask
                error.add_note(f"{_name(cb)}.on_error also raised {type(e).__name__}: {e}")


class CallbackError(Exception):
    """Internal: a callback raised; the trainer turns it into a TrainError."""

    def __init__(self, callback, event: str, error: Exception) -> None:
        self.callback = callback
        self.event = event
        self.error = error
        super().__init__(
            f"callback {_name(callback)}.{event} raised {type(error).__name__}: {error}"
        )


def _name(cb) -> str:
    return type(cb).__name__


# -- a metrics CSV ---------------------------------------------------------------------------
class CSVLogger(Callback):
    """Writes one row per epoch to ``path``: epoch, the metrics, lr, seconds.

    The header is written with the first row (the metrics known then). A resumed run keeps
    the rows of the epochs before the checkpoint and drops later ones. Each row is flushed,
    so the file can be read while training runs.
    """

    def __init__(self, path) -> None:
        self.path = os.fspath(path)
        self._fields: list[str] | None = None

    def on_start(self, info: TrainInfo) -> None:
        try:
            self._start(info)
        except OSError as e:
            raise self._unwritable(e) from e

    def _start(self, info: TrainInfo) -> None:
        self._fields = None
        keep: list[dict] = []
        if info.start_epoch > 0 and os.path.isfile(self.path):
            with open(self.path, newline="", encoding="utf-8") as f:
                rows = list(csv.DictReader(f))
            keep = [r for r in rows if _int(r.get("epoch")) <= info.start_epoch]
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        with open(self.path, "w", newline="", encoding="utf-8") as f:
            if keep:
                self._fields = list(keep[0].keys())
                writer = csv.DictWriter(f, self._fields, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(keep)

    def on_epoch(self, report: EpochReport) -> None:
        try:
            self._append(report)
        except OSError as e:
            raise self._unwritable(e) from e

    def _unwritable(self, e: OSError) -> TrainError:
        return TrainError(
            f"cannot write the metrics file {self.path}: {e.strerror or e}",
            stage="checkpoint",
            hint="check that the output folder is writable and the disk is not full",
        )

    def _append(self, report: EpochReport) -> None:
        row = {"epoch": report.epoch, **report.metrics, "lr": report.lr}
        row["seconds"] = round(report.seconds, 3)
        new = self._fields is None
        if new:
            self._fields = list(row)
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, self._fields, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow({k: _cell(v) for k, v in row.items()})


def _cell(v):
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)
    return v


def _int(text) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        return 1 << 62
