"""What a model has learned, computed while it trains: decision boundary, fitted curve,
confusion matrix and predictions on validation samples; and answers to "try it" requests.

    probe = InsightProbe(data, deliver=queue.append)   # deliver(InsightSnapshot)
    probe.model = trainer.model
    trainer.callbacks.append(probe)

The probe runs on the training thread (it is a :class:`core.train.Callback`): from
``on_step`` at most every ``every_s`` seconds, and always at the end of each epoch and of the
run, it runs the model in eval mode without gradients (the previous mode restored) and
hands a frozen :class:`InsightSnapshot` of numpy arrays to ``deliver``. What it computes
follows the data:

- 2-D features: the model's output on a ``grid`` x ``grid`` lattice spanning the training
  features' range plus a 10 % margin (class probabilities, or values for regression);
- 1-D regression: the fitted curve over that range;
- classification: the confusion matrix over the whole validation set;
- images (classification): predictions for the first ``n_samples`` validation samples.

Cost: a snapshot taken from ``on_step`` keeps the probe under ``duty`` (10 %) of the
training time: the next one waits ``max(every_s, cost / duty)``; the confusion matrix is
recomputed there only while one costs under ``duty / 4`` of ``every_s`` (otherwise at
epoch ends, and the last one is carried).
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import core
from core.train.callbacks import Callback
from core.train.reports import EpochReport, StepReport, TrainResult

__all__ = [
    "Boundary",
    "Fit",
    "InsightProbe",
    "InsightSnapshot",
    "Samples",
    "data_kind",
    "dataset_arrays",
    "predict",
]

CHUNK = 4096  # rows per forward pass
MARGIN = 0.1  # of the features' range, on each side of the grid
FIT_POINTS = 200  # points of a 1-D regression curve


def _ro(a: np.ndarray) -> np.ndarray:
    """``a`` made read-only: snapshots share arrays and cross threads."""
    a.flags.writeable = False
    return a


# -- records -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Boundary:
    """The model's output on a grid: ``probs[iy, ix]`` (classification, rows sum to 1) or
    ``values[iy, ix]`` (regression, the first output) at ``(xs[ix], ys[iy])``."""

    xs: np.ndarray  # (G,) first feature
    ys: np.ndarray  # (G,) second feature
    probs: np.ndarray | None = None  # (G, G, C) float32
    values: np.ndarray | None = None  # (G, G) float32


@dataclass(frozen=True, eq=False)
class Fit:
    """A 1-D regression model's curve: ``prediction[k]`` at ``xs[k]``."""

    xs: np.ndarray  # (K,)
    prediction: np.ndarray  # (K,)


@dataclass(frozen=True, eq=False)
class Samples:
    """Predictions for some validation samples (their indices into the validation set)."""

    indices: np.ndarray  # (K,) int64
    predictions: np.ndarray  # (K,) int64 predicted class
    confidence: np.ndarray  # (K,) float32 probability of the predicted class
    targets: np.ndarray  # (K,) int64 true class


@dataclass(frozen=True, eq=False)
class InsightSnapshot:
    """What the model does at one moment of training (numpy arrays; safe across threads)."""

    step: int
    epoch: int  # the epoch in progress (1-based), or the one just finished
    task: str  # "classification" or "regression"
    classes: list[str] | None
    boundary: Boundary | None = None  # 2-D features
    fit: Fit | None = None  # 1-D regression
    confusion: np.ndarray | None = None  # (C, C) int64, rows = true class; classification
    samples: Samples | None = None  # image classification
    val_accuracy: float | None = None  # from the confusion matrix


def data_kind(data) -> dict[str, bool]:
    """Which views ``data`` (a core.model.data.Data) supports: ``boundary`` (2-D float
    features), ``fit`` (1-D features, one regression target), ``confusion``
    (classification with a validation set, one class per sample), ``images`` (image
    samples), ``vector`` (numeric feature vectors)."""
    shape = tuple(data.input_shape)
    floats = _input_dtype(data) == "float32"
    classify = data.task == "classification"
    one_target = tuple(data.target_shape) in ((), (1,))
    return {
        "boundary": floats and shape == (2,) and one_target,
        "fit": floats and shape == (1,) and not classify and one_target,
        "confusion": classify and data.val is not None and tuple(data.target_shape) == (),
        "images": floats and len(shape) in (2, 3),
        "vector": floats and len(shape) == 1,
    }


def _input_dtype(data) -> str:
    """A Data's input_dtype; for other data (a Trainer's ``data`` namespace) from a sample."""
    dtype = getattr(data, "input_dtype", None)
    if dtype is None:
        x0 = data.train[0][0]
        dtype = "float32" if x0.is_floating_point() else "int64"
    return dtype


def _classes(data) -> list[str] | None:
    classes = getattr(data, "classes", None)
    if classes is None:
        classes = getattr(data.train, "classes", None)
    if classes is None and data.task == "classification" and data.num_classes:
        classes = [str(i) for i in range(data.num_classes)]
    return None if classes is None else [str(c) for c in classes]


# -- one forward pass ----------------------------------------------------------------------------
def _device_of(model) -> str:
    for p in model.parameters():
        return p._device
    for b in model.buffers():
        return b._device
    return "cpu"


class _EvalMode:
    """Eval mode and no gradients inside; every module's previous mode restored after."""

    def __init__(self, model) -> None:
        self.model = model

    def __enter__(self):
        self.modes = [(m, m.training) for m in self.model.modules()]
        self.model.train(False)
        self.grad = core.no_grad()
        self.grad.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.grad.__exit__(*exc)
        for m, mode in self.modes:
            m.__dict__["training"] = mode


def _outputs(model, x, device: str) -> np.ndarray:
    """The model's raw output for a batch (numpy array or core Tensor), in chunks of at
    most CHUNK rows, as a float32 host array (N, ...)."""
    n = len(x)
    parts = []
    for a in range(0, n, CHUNK):
        xb = core.as_tensor(x[a : a + CHUNK], device=device)
        out = model(xb)
        out = out[0] if isinstance(out, tuple) else out
        parts.append(np.asarray(out.cpu().numpy(), dtype=np.float32))
    if not parts:
        return np.zeros((0,), np.float32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _probabilities(out: np.ndarray) -> np.ndarray:
    """Class probabilities (N, C) from logits: softmax, or a sigmoid for one logit."""
    out = out.reshape(len(out), -1) if out.ndim != 2 else out
    if out.shape[1] == 1:  # bce_with_logits: one logit for class 1
        p = 1.0 / (1.0 + np.exp(-out[:, 0].astype(np.float64)))
        return np.stack([1.0 - p, p], axis=1).astype(np.float32)
    z = out - out.max(axis=1, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32, copy=False)


def predict(model, x: np.ndarray, task: str | None = None) -> np.ndarray:
    """The model's output for the batch ``x`` (eval mode, no gradients, modes restored):
    class probabilities (N, C) when ``task == "classification"``, else the raw output."""
    x = np.ascontiguousarray(x)
    if x.dtype == np.float64:
        x = x.astype(np.float32)
    with _EvalMode(model):
        out = _outputs(model, x, _device_of(model))
    return _probabilities(out) if task == "classification" else out


# -- the probe -----------------------------------------------------------------------------------
def dataset_arrays(ds) -> tuple[np.ndarray, np.ndarray] | None:
    """(features, targets) of a dataset as host arrays without iterating its samples: a
    TensorDataset (LabeledDataset) or a Subset of one; None for other datasets."""
    if ds is None:
        return None
    base = getattr(ds, "dataset", None)
    if base is not None and hasattr(ds, "indices"):  # a Subset
        inner = dataset_arrays(base)
        if inner is None:
            return None
        idx = np.asarray(ds.indices, dtype=np.int64).reshape(-1)
        return inner[0][idx], inner[1][idx]
    tensors = getattr(ds, "tensors", None)
    if not tensors or len(tensors) < 2:
        return None
    return tuple(np.asarray(t.detach().cpu().numpy()) for t in tensors[:2])


class InsightProbe(Callback):
    """Computes :class:`InsightSnapshot` s during training and hands them to ``deliver``.

    ``model`` must be set before the run (``probe.model = trainer.model``). ``clock`` (a
    monotonic seconds function) is what the throttle reads; ``duty`` the largest share of
    training time the snapshots taken from ``on_step`` may use. :meth:`request` asks for
    a prediction from any thread, answered at the next step (or epoch end, or run end).
    After an error the probe stops probing (``error`` says why) instead of failing the run.
    """

    def __init__(
        self,
        data,
        deliver: Callable[[InsightSnapshot], None],
        every_s: float = 0.5,
        grid: int = 72,
        n_samples: int = 32,
        *,
        clock: Callable[[], float] = time.monotonic,
        duty: float = 0.1,
    ) -> None:
        self.data = data
        self.deliver = deliver
        self.every_s = float(every_s)
        self.grid = int(grid)
        self.n_samples = int(n_samples)
        self.clock = clock
        self.duty = float(duty)
        self.model: Any = None
        self.error: str | None = None
        self.costs: dict[str, float] = {}  # seconds of the last computation of each part
        self.last: InsightSnapshot | None = None
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self._next = -math.inf
        self._device: str | None = None
        self._on_device: dict[str, Any] = {}
        self._at: dict[str, int | None] = {"live": None, "confusion": None}  # step computed
        self.kind = data_kind(data)
        self._prepare()

    def _prepare(self) -> None:
        data, kind = self.data, self.kind
        self.classify = data.task == "classification"
        self.classes = _classes(data)
        train = dataset_arrays(data.train)
        val = dataset_arrays(data.val)
        self._grid_x: np.ndarray | None = None
        self._xs = self._ys = None
        if (kind["boundary"] or kind["fit"]) and train is not None and len(train[0]):
            x = train[0].reshape(len(train[0]), -1).astype(np.float64)
            lo, hi = x.min(axis=0), x.max(axis=0)
            span = np.where(hi > lo, hi - lo, 1.0)
            lo, hi = lo - MARGIN * span, hi + MARGIN * span
            if kind["boundary"]:
                self._xs = _ro(np.linspace(lo[0], hi[0], self.grid, dtype=np.float32))
                self._ys = _ro(np.linspace(lo[1], hi[1], self.grid, dtype=np.float32))
                gx, gy = np.meshgrid(self._xs, self._ys)  # (G, G): [iy, ix]
                self._grid_x = np.stack([gx.ravel(), gy.ravel()], axis=1)
            else:
                self._xs = _ro(np.linspace(lo[0], hi[0], FIT_POINTS, dtype=np.float32))
                self._grid_x = self._xs.reshape(-1, 1)
        self._val_x = self._val_y = None
        if val is not None and (kind["confusion"] or kind["images"]):
            self._val_x = np.ascontiguousarray(val[0], dtype=np.float32)
            self._val_y = val[1].astype(np.int64).reshape(len(val[1]), -1)[:, 0]
        self.wants_confusion = kind["confusion"] and self._val_x is not None
        self.wants_samples = (
            self.classify and kind["images"] and self._val_x is not None and self.n_samples > 0
        )
        self.active = self._grid_x is not None or self.wants_confusion or self.wants_samples

    # -- requests ------------------------------------------------------------------------------
    def request(self, x: np.ndarray, deliver: Callable[[np.ndarray, np.ndarray], None]) -> None:
        """Ask for the model's output on batch ``x`` (from any thread): ``deliver(x,
        probabilities or values)`` is called on the training thread at the next step (with
        the exception instead of the output when ``x`` cannot be run)."""
        self._requests.put((x, deliver))

    def take_requests(self) -> list[np.ndarray]:
        """Remove and return the batches still waiting for an answer (the run ended: the
        caller answers them on its own thread)."""
        batches = []
        while True:
            try:
                x, _deliver = self._requests.get_nowait()
            except queue.Empty:
                return batches
            batches.append(x)

    def _answer(self) -> None:
        if self.model is None:
            return
        while True:
            try:
                x, deliver = self._requests.get_nowait()
            except queue.Empty:
                return
            try:
                out = predict(self.model, x, self.data.task)
            except Exception as e:  # a bad sample is the asker's problem, not the run's
                out = e
            deliver(x, out)

    # -- callback events -------------------------------------------------------------------------
    def on_start(self, info) -> None:
        self.last = None
        self._next = -math.inf
        self._device = None
        self._on_device = {}
        self._at = {"live": None, "confusion": None}

    def on_step(self, report: StepReport) -> None:
        self._answer()
        if self._due():
            cheap = self.costs.get("confusion", 0.0) <= 0.25 * self.duty * self.every_s
            self._timed(report.step, report.epoch, confusion=cheap)

    def on_epoch(self, report: EpochReport) -> None:
        self._answer()
        if self._due():  # the live views too
            self._timed(report.step, report.epoch, confusion=True)
        else:  # the validation views; the others carried from the last snapshot
            self._probe(report.step, report.epoch, live=False, confusion=True)

    def on_done(self, result: TrainResult) -> None:
        self._answer()
        steps = result.steps  # what the last epoch's snapshot computed is up to date
        live, confusion = self._at["live"] != steps, self._at["confusion"] != steps
        self._probe(steps, result.epochs, live=live, confusion=confusion)

    def _due(self) -> bool:
        if self.error is not None or self.model is None or not self.active:
            return False
        return self.clock() >= self._next

    def _timed(self, step: int, epoch: int, *, confusion: bool) -> None:
        """A live snapshot; the next waits ``max(every_s, cost / duty)``."""
        now = self.clock()
        self._probe(step, epoch, live=True, confusion=confusion)
        cost = self.clock() - now
        self._next = now + max(self.every_s, cost / self.duty if self.duty > 0 else 0.0)

    def _probe(self, step: int, epoch: int, *, live: bool, confusion: bool) -> None:
        if self.error is not None or self.model is None or not self.active:
            return
        try:
            snap = self.snapshot(step, epoch, live=live, confusion=confusion)
        except Exception as e:  # a view must not end the training run
            self.error = f"the insight views stopped at step {step}: {type(e).__name__}: {e}"
            return
        self.deliver(snap)

    # -- computing -------------------------------------------------------------------------------
    def snapshot(
        self, step: int = 0, epoch: int = 0, *, live: bool = True, confusion: bool = True
    ) -> InsightSnapshot:
        """A snapshot of ``model`` now. live: the boundary/fit and the samples recomputed;
        confusion: the confusion matrix (and the samples) recomputed. What is not
        recomputed is carried from the last snapshot."""
        model = self.model
        device = _device_of(model)
        if device != self._device:
            self._device, self._on_device = device, {}
        last = self.last
        boundary = last.boundary if last is not None else None
        fit = last.fit if last is not None else None
        samples = last.samples if last is not None else None
        matrix = last.confusion if last is not None else None
        with _EvalMode(model):
            if self._grid_x is not None and (live or (boundary is None and fit is None)):
                t0 = time.perf_counter()
                out = _outputs(model, self._cached("grid", self._grid_x), device)
                self.costs["boundary"] = time.perf_counter() - t0
                boundary, fit = self._map(out)
            if live:
                self._at["live"] = step
            if self.wants_confusion and (confusion or matrix is None):
                t0 = time.perf_counter()
                probs = _probabilities(_outputs(model, self._cached("val", self._val_x), device))
                matrix = self._confusion_of(probs)
                self.costs["confusion"] = time.perf_counter() - t0
                self._at["confusion"] = step
                if self.wants_samples:
                    samples = self._samples(probs[: self.n_samples])
            elif self.wants_samples and (live or samples is None):
                t0 = time.perf_counter()
                n = min(self.n_samples, len(self._val_x))
                few = self._cached("few", self._val_x[:n])
                samples = self._samples(_probabilities(_outputs(model, few, device)))
                self.costs["samples"] = time.perf_counter() - t0
        accuracy = None
        if matrix is not None and matrix.sum() > 0:
            accuracy = float(np.trace(matrix) / matrix.sum())
        snap = InsightSnapshot(
            step=int(step),
            epoch=int(epoch),
            task=self.data.task,
            classes=None if self.classes is None else list(self.classes),
            boundary=boundary,
            fit=fit,
            confusion=matrix,
            samples=samples,
            val_accuracy=accuracy,
        )
        self.last = snap
        return snap

    def _cached(self, key: str, x: np.ndarray):
        """``x`` as a tensor on the model's device (kept while the device stays)."""
        t = self._on_device.get(key)
        if t is None:
            t = self._on_device[key] = core.as_tensor(x, device=self._device)
        return t

    def _map(self, out: np.ndarray) -> tuple[Boundary | None, Fit | None]:
        if self.kind["fit"]:
            values = out.reshape(len(out), -1)[:, 0]
            return None, Fit(xs=self._xs, prediction=_ro(values.astype(np.float32)))
        g = self.grid
        if self.classify:
            probs = _probabilities(out).reshape(g, g, -1)
            return Boundary(self._xs, self._ys, probs=_ro(probs)), None
        values = out.reshape(len(out), -1)[:, 0].reshape(g, g)
        return Boundary(self._xs, self._ys, values=_ro(values.astype(np.float32))), None

    def _confusion_of(self, probs: np.ndarray) -> np.ndarray:
        c = max(probs.shape[1], int(self.data.num_classes or 0))
        pred = probs.argmax(axis=1)
        flat = np.bincount(self._val_y * c + pred, minlength=c * c)
        return _ro(flat[: c * c].reshape(c, c).astype(np.int64))

    def _samples(self, probs: np.ndarray) -> Samples:
        n = len(probs)
        pred = probs.argmax(axis=1)
        return Samples(
            indices=_ro(np.arange(n, dtype=np.int64)),
            predictions=_ro(pred.astype(np.int64)),
            confidence=_ro(probs[np.arange(n), pred].astype(np.float32)),
            targets=_ro(self._val_y[:n].copy()),
        )
