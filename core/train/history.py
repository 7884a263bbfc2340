"""What a training run reported, kept for plots and the run list (Qt-free).

A :class:`RunLog` takes the trainer's reports (``start``, ``add_step``, ``add_epoch``,
``add_grad_norms``) and keeps each quantity as a :class:`Series`: growing float64 buffers
of x and y that plots read as numpy views, never copied per frame. ``smooth`` is
TensorBoard's debiased exponential moving average; ``group_by_node`` folds per-parameter
gradient norms into per-node ones; ``progress_of`` says how far a run is and how long it
has left.

Feed a RunLog from one thread only (the GUI thread drains the trainer's reports into it).
"""

from __future__ import annotations

import csv
import io
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from core._atomic import write_atomic
from core.train.reports import EpochReport, StepReport, TrainInfo

__all__ = [
    "STATUSES",
    "ProgressInfo",
    "RunLog",
    "Series",
    "group_by_node",
    "progress_of",
    "smooth",
]

STATUSES = ("running", "paused", "finished", "stopped", "failed")
GRAD_PREFIX = "grad/"
OTHER = "(other)"  # the group of parameters that belong to no node
_RATE_WINDOW_S = 10.0  # steps/s is measured over the step reports of the last 10 s
_RATE_REPORTS = 64  # ... and at most this many of them


# -- a growing buffer ------------------------------------------------------------------------
class Series:
    """A growing pair of float64 buffers, x and y (capacity doubles as it fills)."""

    __slots__ = ("_n", "_x", "_y")

    def __init__(self, capacity: int = 256) -> None:
        capacity = max(int(capacity), 1)
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def _reserve(self, n: int) -> None:
        if n <= len(self._x):
            return
        size = len(self._x)
        while size < n:
            size *= 2
        for name in ("_x", "_y"):
            old = getattr(self, name)
            new = np.empty(size, dtype=np.float64)
            new[: self._n] = old[: self._n]
            setattr(self, name, new)

    def append(self, x: float, y: float) -> None:
        """Add one point."""
        self._reserve(self._n + 1)
        self._x[self._n] = x
        self._y[self._n] = y
        self._n += 1

    def extend(self, xs: Iterable[float], ys: Iterable[float]) -> None:
        """Add many points (xs and ys of the same length)."""
        xs = np.asarray(xs, dtype=np.float64).ravel()
        ys = np.asarray(ys, dtype=np.float64).ravel()
        if len(xs) != len(ys):
            raise ValueError(f"Series.extend: {len(xs)} x values but {len(ys)} y values")
        end = self._n + len(xs)
        self._reserve(end)
        self._x[self._n : end] = xs
        self._y[self._n : end] = ys
        self._n = end

    @property
    def x(self) -> np.ndarray:
        """The x values so far (a view: do not keep it across appends)."""
        return self._x[: self._n]

    @property
    def y(self) -> np.ndarray:
        """The y values so far (a view: do not keep it across appends)."""
        return self._y[: self._n]

    @property
    def last(self) -> tuple[float, float] | None:
        """The last point, or None while empty."""
        if not self._n:
            return None
        return float(self._x[self._n - 1]), float(self._y[self._n - 1])

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"Series({self._n} points)"


# -- one run ---------------------------------------------------------------------------------
class RunLog:
    """Everything one training run reported: per-step, per-epoch and gradient-norm series."""

    def __init__(
        self,
        run_id: int,
        name: str,
        settings: dict | None = None,
        dataset: dict | None = None,
    ) -> None:
        self.run_id = run_id
        self.name = name
        self.settings = dict(settings or {})
        self.dataset = dict(dataset or {})
        self.info: TrainInfo | None = None
        self.status = "running"
        self.error: str | None = None
        self.started = time.time()
        self.ended: float | None = None  # set by finish()
        self.result_metrics: dict = {}
        self._series: dict[str, Series] = {}
        self._metric_names: list[str] = []
        self._grad_names: list[str] = []
        self._epochs: list[dict] = []
        self._epoch_steps: list[int] = []  # the step count at the end of each epoch
        self._last_step = 0
        self._step_epoch = 0  # the epoch of the last step report (1-based)
        self._elapsed = 0.0  # the trainer's elapsed seconds at the last step report
        self._arrived: float | None = None  # time.time() when the last step report came
        self._rate: deque[tuple[float, int]] = deque(maxlen=_RATE_REPORTS)

    def __repr__(self) -> str:
        return f"RunLog({self.run_id}, {self.name!r}, {self.status}, step {self._last_step})"

    # -- feeding -------------------------------------------------------------------------
    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps per epoch (0 before ``start``)."""
        return self.info.steps_per_epoch if self.info is not None else 0

    def start(self, info: TrainInfo) -> None:
        """The run started: keep its info (and the epochs a resumed run already had)."""
        self.info = info
        for i, row in enumerate(info.history):
            epoch = int(row.get("epoch", i + 1))
            metrics = {k: v for k, v in row.items() if k not in ("epoch", "lr")}
            self._add_epoch(epoch, metrics, row.get("lr", math.nan), epoch * info.steps_per_epoch)

    def add_step(self, report: StepReport) -> None:
        """One step report: the series "loss", "lr" and "samples_per_s" (x = step)."""
        step = report.step
        self._get("loss").append(step, report.loss)
        self._get("lr").append(step, report.lr)
        self._get("samples_per_s").append(step, report.samples_per_s)
        self._last_step = max(self._last_step, step)
        self._step_epoch = report.epoch
        self._elapsed = report.elapsed
        self._arrived = time.time()
        self._rate.append((report.elapsed, step))

    def add_epoch(self, report: EpochReport) -> None:
        """An epoch's end: one series per metric (x = epoch number) and "epoch_lr"."""
        self._add_epoch(report.epoch, report.metrics, report.lr, report.step)
        self._last_step = max(self._last_step, report.step)

    def _add_epoch(self, epoch: int, metrics: dict, lr: float, step: int) -> None:
        for name, value in metrics.items():
            if name not in self._metric_names:
                self._metric_names.append(name)
            self._get(name).append(epoch, _float(value))
        self._get("epoch_lr").append(epoch, _float(lr))
        self._epochs.append({"epoch": epoch, **metrics, "lr": lr})
        self._epoch_steps.append(int(step))

    def add_grad_norms(self, step: int, norms: dict[str, float]) -> None:
        """Gradient norms at ``step``: one series "grad/<key>" per key."""
        for key, value in norms.items():
            name = GRAD_PREFIX + key
            if name not in self._series:
                self._grad_names.append(key)
            self._get(name).append(step, _float(value))

    def finish(self, status: str, error: str | None = None, metrics: dict | None = None) -> None:
        """The run ended (or paused/resumed): its status, error text and final metrics."""
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r}: use one of {', '.join(STATUSES)}")
        self.status = status
        if error is not None:
            self.error = error
        if metrics is not None:
            self.result_metrics = dict(metrics)
        if status in ("finished", "stopped", "failed"):
            self.ended = time.time()

    def _get(self, name: str) -> Series:
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = Series()
        return series

    # -- reading -------------------------------------------------------------------------
    def series(self, name: str) -> Series | None:
        """The series called ``name`` ("loss", "lr", "val_loss", "grad/fc1", ...) or None."""
        return self._series.get(name)

    def names(self) -> list[str]:
        """Every series name, in the order they first appeared."""
        return list(self._series)

    def metric_names(self) -> list[str]:
        """The per-epoch metric names (train_loss, val_accuracy, ...), first-seen order."""
        return list(self._metric_names)

    def grad_names(self) -> list[str]:
        """The keys given to ``add_grad_norms``, first-seen order."""
        return list(self._grad_names)

    @property
    def epochs(self) -> list[dict]:
        """One row per finished epoch: {"epoch", metrics..., "lr"}."""
        return [dict(row) for row in self._epochs]

    @property
    def last_step(self) -> int:
        """The last step reported (0 before any)."""
        return self._last_step

    @property
    def last_epoch(self) -> int:
        """The last finished epoch (0 before any)."""
        return int(self._epochs[-1]["epoch"]) if self._epochs else 0

    @property
    def current_epoch(self) -> int:
        """The epoch being trained (1-based; the last finished one when it ended)."""
        return max(self._step_epoch, self.last_epoch)

    def duration(self, now: float | None = None) -> float:
        """Wall seconds from the start to the end (or to ``now`` while it runs)."""
        end = self.ended if self.ended is not None else (time.time() if now is None else now)
        return max(end - self.started, 0.0)

    def key_metric(self) -> tuple[str, float] | None:
        """The metric that says how good the run is, and its best value so far: the
        monitored one (else val_accuracy, val_r2, val_loss, train_loss ...); None before
        the first epoch."""
        names = self._metric_names
        if not names:
            return None
        monitor = self.info.monitor if self.info is not None else ""
        order = [monitor, "val_accuracy", "val_r2", "val_loss", "train_accuracy", "train_loss"]
        name = next((n for n in order if n in names), names[0])
        y = self._series[name].y
        finite = y[np.isfinite(y)]
        if not len(finite):
            return name, float(y[-1])
        return name, float(finite.max() if _higher_is_better(name) else finite.min())

    # -- files ---------------------------------------------------------------------------
    def to_csv(self, path: str | os.PathLike) -> str:
        """Write one row per epoch (epoch, step, metrics..., lr) to ``path``, atomically."""
        fields = ["epoch", "step", *self._metric_names, "lr"]
        rows = []
        for row, step in zip(self._epochs, self._epoch_steps):
            rows.append([row["epoch"], step, *(row.get(m) for m in self._metric_names), row["lr"]])
        return write_atomic(path, _csv_text(fields, rows))

    def steps_to_csv(self, path: str | os.PathLike) -> str:
        """Write one row per step report (step, epoch as a fraction, loss, lr) to ``path``."""
        loss, lr = self.series("loss"), self.series("lr")
        rows = []
        if loss is not None and lr is not None:
            spe = self.steps_per_epoch
            for step, value, rate in zip(loss.x, loss.y, lr.y):
                epoch = step / spe if spe else None
                rows.append([int(step), epoch, value, rate])
        return write_atomic(path, _csv_text(["step", "epoch", "loss", "lr"], rows))


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _higher_is_better(name: str) -> bool:
    return not any(w in name for w in ("loss", "mae", "mse", "error"))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        value = float(value)
        return "nan" if math.isnan(value) else repr(value)
    return str(value)


def _csv_text(fields: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


# -- smoothing and grouping ------------------------------------------------------------------
def smooth(y: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average of ``y`` (weight 0: unchanged);
    NaN/Inf values stay as they are and do not disturb their neighbours."""
    y = np.asarray(y, dtype=np.float64)
    if weight <= 0 or len(y) == 0:
        return y.copy()
    return Smoother(weight).extend(y)


class Smoother:
    """:func:`smooth` a growing series piece by piece: ``extend(new values)`` returns their
    smoothed values, continuing from the ones before (a live plot smooths only what is new).
    """

    def __init__(self, weight: float) -> None:
        if not 0 <= weight < 1:
            raise ValueError(f"smoothing weight must be at least 0 and below 1, got {weight}")
        self.weight = float(weight)
        self.count = 0  # values smoothed so far (finite ones: NaN/Inf are passed through)
        self._last = 0.0  # last_i = w * last_(i-1) + (1 - w) * y_i, from last_0 = 0
        self._power = 1.0  # w^i: the bias to remove, 1 - w^i

    def extend(self, y) -> np.ndarray:
        values = np.asarray(y, dtype=np.float64)
        w = self.weight
        if w == 0:
            return values.copy()
        out = values.copy()
        last, power, count = self._last, self._power, self.count
        finite = np.isfinite(values)
        for i, v in zip(np.flatnonzero(finite).tolist(), values[finite].tolist()):
            last = w * last + (1.0 - w) * v
            power *= w
            out[i] = last / (1.0 - power)
        count += int(finite.sum())
        self._last, self._power, self.count = last, power, count
        return out


def group_by_node(
    norms: dict[str, float], node_of: Callable[[str], str | None]
) -> dict[str, float]:
    """Per-parameter gradient norms folded into per-node ones: sqrt of the sum of squares
    of a node's parameters; the node of "fc1.weight" is ``node_of("fc1")``; parameters of
    no node go to "(other)". Nodes keep the order their first parameter had."""
    squares: dict[str, float] = {}
    for name, norm in norms.items():
        scope = name.rpartition(".")[0]
        node = node_of(scope) or OTHER
        squares[node] = squares.get(node, 0.0) + float(norm) ** 2
    return {node: math.sqrt(total) for node, total in squares.items()}


# -- progress --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProgressInfo:
    """How far a run is: step and epoch of their totals, speed, time left and spent."""

    step: int
    total_steps: int
    epoch: int  # the epoch being trained (1-based)
    epochs: int
    steps_per_s: float  # over the recent step reports (0.0 before two of them)
    eta_s: float | None  # seconds left (None while unknown)
    elapsed_s: float  # wall seconds since the run started

    @property
    def fraction(self) -> float:
        """Done, from 0.0 to 1.0."""
        return min(self.step / self.total_steps, 1.0) if self.total_steps > 0 else 0.0


def progress_of(run: RunLog, now: float) -> ProgressInfo | None:
    """The progress of ``run`` at wall time ``now`` (``time.time()``); None before start."""
    info = run.info
    if info is None:
        return None
    rate = _steps_per_s(run._rate)
    step = run.last_step
    eta = None
    if rate > 0 and run.status in ("running", "paused"):
        eta = max(info.total_steps - step, 0) / rate
        if run.status == "running" and run._arrived is not None:
            eta = max(eta - max(now - run._arrived, 0.0), 0.0)
    elif run.status in ("finished", "stopped", "failed"):
        eta = 0.0 if run.status == "finished" else None
    return ProgressInfo(
        step=step,
        total_steps=info.total_steps,
        epoch=min(max(run.current_epoch, info.start_epoch + 1), max(info.epochs, 1)),
        epochs=info.epochs,
        steps_per_s=rate,
        eta_s=eta,
        elapsed_s=run.duration(now),
    )


def _steps_per_s(reports: deque[tuple[float, int]]) -> float:
    """Steps per second over the recent reports; a gap far longer than the others (a
    pause) is left out."""
    if len(reports) < 2:
        return 0.0
    latest = reports[-1][0]
    recent = [r for r in reports if latest - r[0] <= _RATE_WINDOW_S]
    if len(recent) < 2:
        recent = list(reports)[-2:]
    gaps = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(recent, recent[1:])]
    typical = float(np.median([dt for dt, _ in gaps]))
    limit = max(1.0, 20.0 * typical)
    seconds = sum(dt for dt, ds in gaps if dt <= limit and ds > 0)
    steps = sum(ds for dt, ds in gaps if dt <= limit and ds > 0)
    return steps / seconds if seconds > 0 else 0.0
