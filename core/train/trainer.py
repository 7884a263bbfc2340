"""The training loop: any core.nn.Module on a dataset, with callbacks, control,
anomaly detection and exact checkpoints.

    result = fit(model, data, {"lr": 1e-2, "epochs": 20}, callbacks=[printer])

``data`` is a :class:`core.model.data.Data`, a (train, val) pair, or one dataset (no
validation). Each batch is ``(x, y)``; ``model(x)`` returns the output (a tuple: its first
element). Settings are the document's training section (``core.model.settings.TRAINING``:
loss, optimizer, lr, momentum, weight_decay, batch_size, epochs, scheduler, step_size,
gamma, grad_clip, seed, device); missing ones take their defaults.

Per step the loop costs one host read (the loss, checked for NaN/Inf) and a sum per
gradient (checked likewise). Everything else a callback may want is computed only when
some callback defines the method that receives it:

- gradient norms every ``grad_norm_every`` steps;
- the recorded graph: a step is recorded (forward + backward, per-op times) on the first
  step and then every ``graph_every`` steps (a short last batch is skipped: the next full
  one is recorded instead, so batch-size changes do not count as new graphs);
  ``on_graph`` receives the recording when its ``signature()`` differs from the last
  one sent, which is the first recording and then only when the executed graph changed.

Reproducibility: ``seed`` seeds ``core.manual_seed`` (initialisation done after it,
dropout) and a private generator for the data order; two runs with one seed give the same
losses. Checkpoints hold both random states, so a resumed run continues exactly as the
uninterrupted one would have.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np

import core
from core import backend as _backend
from core import random as _random
from core.graph import record
from core.nn.utils import clip_grad_norm_
from core.train import checkpoint as _ckpt
from core.train.anomaly import diagnose
from core.train.callbacks import CallbackError, CSVLogger, Dispatcher
from core.train.control import TrainControl
from core.train.objective import (
    CLASSIFICATION,
    Objective,
    RegressionStats,
    make_optimizer,
    make_scheduler,
)
from core.train.reports import EpochReport, StepReport, TrainError, TrainInfo, TrainResult
from core.utils.data import DataLoader

METRICS_CSV = "metrics.csv"
_MAX_MODE = ("accuracy", "r2")  # metrics where larger is better


_ANOMALY_HINTS = {
    "input": "remove or fill in the missing (NaN) or infinite values of the dataset's "
    "features; the model and the settings are not the cause",
    "target": "remove or fill in the missing (NaN) or infinite targets of the dataset; the "
    "model and the settings are not the cause",
    "loss": "the model's outputs grew too large for the loss (or left its valid range): lower "
    "the learning rate, set grad_clip, or standardize the inputs",
    "forward": "lower the learning rate, set grad_clip, standardize the inputs, or check the "
    "named layer's inputs (e.g. a log or division of values <= 0)",
}


class Trainer:
    """Trains ``model`` on ``data`` with ``settings``; :meth:`run` does it.

    data: a dataset of (x, y) samples (e.g. a ``core.datasets`` LabeledDataset; no
    validation), a ``(train, val)`` pair, or a :class:`core.model.data.Data`. The task and
    the number of classes come from the dataset's ``task``/``num_classes`` where it has
    them (otherwise from the targets: floats mean regression).
    settings: training settings as in a document (core.model.settings.TRAINING); missing
    ones take their defaults.
    callbacks: objects with any of the :class:`core.train.Callback` methods.
    control: a :class:`TrainControl` (pause/resume/stop from another thread).
    device: overrides ``settings["device"]``.
    out_dir: where ``last.ckpt``, ``best.ckpt`` and ``metrics.csv`` go (None: nowhere).
    step_every / grad_norm_every / graph_every: how often ``on_step``, ``on_grad_norms``
    and the graph check happen (in steps).
    monitor: the metric that picks the best epoch (default: val_accuracy for
    classification, val_loss for regression, train_loss without validation);
    monitor_mode "max" or "min" (default: from the name).
    detect_anomaly: stop with a diagnosis at the first NaN/Inf loss or gradient.
    """

    def __init__(
        self,
        model,
        data,
        settings: Mapping[str, Any] | None = None,
        *,
        callbacks: Iterable = (),
        control: TrainControl | None = None,
        device: str | None = None,
        out_dir=None,
        step_every: int = 1,
        grad_norm_every: int = 10,
        graph_every: int = 200,
        monitor: str | None = None,
        monitor_mode: str | None = None,
        detect_anomaly: bool = True,
    ) -> None:
        from core.model.document import DocumentError
        from core.model.settings import check_training

        try:
            self.settings = check_training(dict(settings or {}))
        except DocumentError as e:
            raise TrainError(str(e), stage="setup") from None
        if device is not None:
            if device not in ("cpu", "cuda"):
                raise TrainError(f"device: expected 'cpu' or 'cuda', got {device!r}")
            self.settings["device"] = device
        for name, value in (
            ("step_every", step_every),
            ("grad_norm_every", grad_norm_every),
            ("graph_every", graph_every),
        ):
            if not isinstance(value, int) or value < 1:
                raise TrainError(f"{name}: expected an int >= 1, got {value!r}")
        self.model = model
        self.data = _as_data(data)
        self.callbacks = list(callbacks)
        self.control = control if control is not None else TrainControl()
        self.out_dir = None if out_dir is None else os.fspath(out_dir)
        self.step_every = step_every
        self.grad_norm_every = grad_norm_every
        self.graph_every = graph_every
        self.monitor = monitor
        self.monitor_mode = monitor_mode
        self.detect_anomaly = detect_anomaly

    def run(self, epochs: int | None = None, *, resume=None) -> TrainResult:
        """Train until ``epochs`` (a total: a resumed run counts the epochs already done;
        default: the settings') or a stop; returns the result, raises TrainError."""
        return _Run(self, epochs, resume).execute()


def fit(
    model,
    data,
    settings: Mapping[str, Any] | None = None,
    *,
    epochs: int | None = None,
    callbacks: Iterable = (),
    control: TrainControl | None = None,
    device: str | None = None,
    out_dir=None,
    resume=None,
    **options,
) -> TrainResult:
    """Train any core.nn.Module: ``Trainer(model, data, settings, ...).run(epochs)``.

    ``fit(net, (train, val), {"lr": 0.01, "batch_size": 64}, epochs=5)``; see
    :class:`Trainer` for what ``data`` and ``settings`` may be. A setup error also
    reaches the callbacks' ``on_error``, as the run's own errors do.
    """
    return run_trainer(
        lambda cbs: Trainer(
            model,
            data,
            settings,
            callbacks=cbs,
            control=control,
            device=device,
            out_dir=out_dir,
            **options,
        ),
        callbacks,
        epochs,
        resume,
    )


def run_trainer(make, callbacks: Iterable, epochs: int | None, resume) -> TrainResult:
    """``make(callbacks).run(epochs, resume=resume)``; a TrainError while making the
    trainer (data, model, settings) reaches the callbacks' ``on_error`` before it is raised."""
    callbacks = list(callbacks)
    try:
        trainer = make(callbacks)
    except TrainError as e:
        Dispatcher(callbacks).emit_error(e)
        raise
    return trainer.run(epochs, resume=resume)


# -- data --------------------------------------------------------------------------------------
def _as_data(data):
    """A namespace with train, val, task, num_classes, target_shape, description."""
    if isinstance(data, tuple) and len(data) == 2:
        train, val = data
        src = train
    elif hasattr(data, "train") and hasattr(data, "val"):
        train, val, src = data.train, data.val, data
    else:
        train, val, src = data, None, data
    if train is None or len(train) == 0:
        raise TrainError("the training set is empty", stage="data")
    x0, y0 = train[0]
    task = getattr(src, "task", None) or getattr(train, "task", None)
    if task is None:
        task = "regression" if y0.is_floating_point() else CLASSIFICATION
    num_classes = getattr(src, "num_classes", None) or getattr(train, "num_classes", None)
    if task == CLASSIFICATION and num_classes is None:
        tensors = getattr(train, "tensors", None)
        if tensors is None:
            raise TrainError(
                "the number of classes is unknown: give a dataset with num_classes "
                "(core.datasets) or a TensorDataset",
                stage="data",
            )
        num_classes = int(tensors[1].max().item()) + 1
    description = getattr(src, "description", None)
    if not isinstance(description, str):
        description = f"{getattr(train, 'name', type(train).__name__)}: {len(train):,} samples"
    return SimpleNamespace(
        train=train,
        val=val if val is not None and len(val) else None,
        task=task,
        num_classes=num_classes,
        input_shape=tuple(x0.shape),
        target_shape=tuple(y0.shape),
        description=description,
    )


def _lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


# -- one run -------------------------------------------------------------------------------------
class _Run:
    """The state of one ``Trainer.run``: set up, loop, report."""

    def __init__(self, trainer: Trainer, epochs: int | None, resume) -> None:
        self.t = trainer
        self.s = dict(trainer.settings)
        if epochs is not None:
            if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
                raise TrainError(f"epochs: expected an int >= 1, got {epochs!r}")
            self.s["epochs"] = epochs
        self.epochs = self.s["epochs"]
        self.resume = None if resume is None else os.fspath(resume)
        callbacks = list(trainer.callbacks)
        if trainer.out_dir is not None:
            callbacks.append(CSVLogger(os.path.join(trainer.out_dir, METRICS_CSV)))
        self.cb = Dispatcher(callbacks)
        self.model = trainer.model
        self.data = trainer.data
        self.control = trainer.control
        self.history: list[dict] = []
        self.epoch = 0  # finished epochs
        self.batch = 0  # batches done in the current epoch
        self.step = 0
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.last_ckpt: str | None = None
        self.best_ckpt: str | None = None
        self.started = False
        self.t0 = time.perf_counter()
        self._reset_sums()

    # -- setup -------------------------------------------------------------------------------
    def _setup(self) -> None:
        s, data, model = self.s, self.data, self.model
        device = s["device"]
        if device == "cuda":
            reason = core.cuda.unavailable_reason()
            if reason is not None:
                raise TrainError(
                    f"device 'cuda' was asked for, but no CUDA GPU can be used: {reason}",
                    hint="train on the CPU (device 'cpu'), or install CuPy for your CUDA "
                    "version on a machine with an NVIDIA GPU",
                )
        self.device = device
        _check_single_io(model)
        model.to(device)
        self.train_set = _to_device(data.train, device)
        self.val_set = None if data.val is None else _to_device(data.val, device)
        self.objective = Objective(s["loss"], data.task, data.num_classes)
        self._check_output()

        core.manual_seed(s["seed"])
        self.gen = _random.Generator().manual_seed(s["seed"])
        bs = s["batch_size"]
        self.batch_size = bs
        self.loader = DataLoader(self.train_set, batch_size=bs, shuffle=True, generator=self.gen)
        self.steps_per_epoch = len(self.loader)
        self.params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not self.params:
            raise TrainError("the model has no trainable parameters: there is nothing to train")
        self.optimizer = make_optimizer(s, [p for _, p in self.params])
        try:
            self.scheduler, self.sched_when = make_scheduler(
                s, self.optimizer, self.epochs, self.steps_per_epoch
            )
        except ValueError as e:
            raise TrainError(f"training.scheduler {s['scheduler']!r}: {e}") from None
        self.eval_batch = max(bs, 256)
        self.monitor, self.mode = self._monitor()
        self.graph_wanted = self.graph_pending = self.cb.wants("on_graph")
        self.last_signature = None
        self.norms_wanted = self.cb.wants("on_grad_norms")
        self.steps_wanted = self.cb.wants("on_step")
        self.classify = self.data.task == CLASSIFICATION
        self.clip = self.s["grad_clip"]
        self.epoch_gen_state = self.gen.get_state()
        if self.resume is not None:
            self._restore(_ckpt.load_checkpoint(self.resume))
        if self.epoch >= self.epochs:
            raise TrainError(
                f"the checkpoint has {self.epoch} epoch{'' if self.epoch == 1 else 's'} done, "
                f"and the run is set to end after {self.epochs}",
                hint=f"ask for more epochs (more than {self.epoch}) to continue training",
            )

    def _monitor(self) -> tuple[str, str]:
        has_val = self.val_set is not None
        names = self._metric_names()
        name, mode = self.t.monitor, self.t.monitor_mode
        if name is None or name not in names:  # the default (a metric this run reports)
            mode = None
            if not has_val:
                name = "train_loss"
            else:
                name = "val_accuracy" if self.data.task == CLASSIFICATION else "val_loss"
        if mode not in ("max", "min"):
            mode = "max" if any(name.endswith(m) for m in _MAX_MODE) else "min"
        return name, mode

    def _metric_names(self) -> tuple[str, ...]:
        cls = self.data.task == CLASSIFICATION
        names = ["train_loss"] + (["train_accuracy"] if cls else [])
        if self.data.val is not None:
            names += ["val_loss"] + (["val_accuracy"] if cls else ["val_mae", "val_r2"])
        return tuple(names)

    def _check_output(self) -> None:
        """Run two samples through the model (eval mode, no grad) and check the output
        against the loss; an error here names the fix instead of failing in the loss."""
        x, y = self.train_set[0:2] if hasattr(self.train_set, "tensors") else _first(self.train_set)
        self.model.train(False)
        try:
            with core.no_grad():
                out = self._forward(x.to(self.device))
        except (ValueError, TypeError, RuntimeError) as e:
            raise TrainError(
                f"the model cannot take the data ({self.data.description}): {e}",
                hint="make the model's input fit the dataset's samples",
            ) from e
        finally:
            self.model.train()
        out_ids = getattr(self.model, "output_ids", None)
        name = f"the output node {out_ids[0]!r}" if out_ids else "the model's output"
        self.objective.check(tuple(out.shape[1:]), tuple(y.shape[1:]), name)

    def _forward(self, x):
        out = self.model(x)
        return out[0] if isinstance(out, tuple) else out

    # -- checkpoints -------------------------------------------------------------------------
    def _state(self) -> dict:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if self.scheduler is None else self.scheduler.state_dict(),
            "epoch": self.epoch,
            "batch": self.batch,
            "step": self.step,
            "epochs": self.epochs,
            "settings": dict(self.s),
            "history": [dict(h) for h in self.history],
            "monitor": self.monitor,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "rng": core.get_rng_state(),
            "loader_rng": self.epoch_gen_state,
            "sums": {
                "loss": self.loss_sum,
                "samples": self.samples,
                "correct": int(self.correct),
                "count": self.count,
            },
        }

    def _save(self, best: bool = False) -> None:
        if self.t.out_dir is None:
            return
        state = self._state()
        self.last_ckpt = _ckpt.save_checkpoint(os.path.join(self.t.out_dir, _ckpt.LAST), state)
        if best:
            path = os.path.join(self.t.out_dir, _ckpt.BEST)
            self.best_ckpt = _ckpt.save_checkpoint(path, state)

    def _restore(self, st: dict) -> None:
        where = self.resume
        try:
            self.model.load_state_dict(st["model"])
        except (KeyError, RuntimeError, ValueError, TypeError) as e:
            raise TrainError(
                f"{where}: the checkpoint's weights do not fit this model: {e}",
                stage="checkpoint",
                hint="resume with the model the checkpoint was trained with",
            ) from e
        planned = st.get("epochs")
        if (
            self.s["scheduler"] in ("cosine", "onecycle")
            and planned is not None
            and planned != self.epochs
        ):
            raise TrainError(
                f"{where}: the {self.s['scheduler']} schedule was planned for {planned} epochs; "
                f"this run asks for {self.epochs}",
                stage="checkpoint",
                hint=f"resume with epochs={planned}, or start a new run",
            )
        saved = st.get("settings") or {}
        for key in ("batch_size", "optimizer", "scheduler", "loss"):
            if key in saved and saved[key] != self.s[key]:
                raise TrainError(
                    f"{where}: the checkpoint was trained with {key}={saved[key]!r}, this run "
                    f"has {key}={self.s[key]!r}",
                    stage="checkpoint",
                    hint=f"set {key} back to {saved[key]!r} to resume, or start a new run",
                )
        try:
            self.optimizer.load_state_dict(st["optimizer"])
            if self.scheduler is not None and st.get("scheduler") is not None:
                self.scheduler.load_state_dict(st["scheduler"])
        except (KeyError, ValueError, TypeError) as e:
            raise TrainError(
                f"{where}: the optimizer state does not fit: {e}", stage="checkpoint"
            ) from e
        self.epoch, self.batch, self.step = int(st["epoch"]), int(st["batch"]), int(st["step"])
        self.history = [dict(h) for h in st.get("history", [])]
        self.best, self.best_epoch = st.get("best"), st.get("best_epoch")
        core.set_rng_state(st["rng"])
        self.gen.set_state(st["loader_rng"])
        self.epoch_gen_state = st["loader_rng"]
        sums = st.get("sums") or {}
        self.loss_sum = float(sums.get("loss", 0.0))
        self.samples = int(sums.get("samples", 0))
        self.correct = int(sums.get("correct", 0))
        self.count = int(sums.get("count", 0))

    # -- the loop ----------------------------------------------------------------------------
    def execute(self) -> TrainResult:
        try:
            self._setup()
            self._start()
            # NaN/Inf are caught and explained by the anomaly check: numpy's warnings
            # about them would only repeat it
            quiet = {"over": "ignore", "invalid": "ignore", "divide": "ignore"}
            with np.errstate(**(quiet if self.t.detect_anomaly else {})):
                stopped = self._loop()
            result = self._result(stopped)
            self.cb.emit("on_done", result)
            return result
        except CallbackError as e:
            self._save_quietly()
            err = TrainError(
                str(e),
                stage="callback",
                result=self._result(True),
                hint="fix the callback; the model and the last checkpoint are intact",
            )
            err.__cause__ = e.error
            self.cb.emit_error(err, skip=e.callback)
            raise err from e.error
        except TrainError as e:
            if e.result is None and self.started:
                e.result = self._result(True)
            self.cb.emit_error(e)
            raise
        except Exception as e:
            where = f"step {self.step + 1} (epoch {self.epoch + 1})" if self.started else "setup"
            err = TrainError(
                f"{where} failed: {type(e).__name__}: {e}",
                stage="step" if self.started else "setup",
                result=self._result(True) if self.started else None,
            )
            self.cb.emit_error(err)
            raise err from e

    def _start(self) -> None:
        n_params = sum(p.numel() for _, p in self.params)
        info = TrainInfo(
            epochs=self.epochs,
            start_epoch=self.epoch,
            steps_per_epoch=self.steps_per_epoch,
            total_steps=self.epochs * self.steps_per_epoch,
            batch_size=self.batch_size,
            device=self.device,
            task=self.data.task,
            loss=self.objective.loss,
            metrics=self._metric_names(),
            monitor=self.monitor,
            n_params=n_params,
            train_samples=len(self.train_set),
            val_samples=0 if self.val_set is None else len(self.val_set),
            data=self.data.description,
            settings=dict(self.s),
            out_dir=self.t.out_dir,
            resumed=self.resume,
            history=tuple(dict(h) for h in self.history),
        )
        self.started = True
        self.t0 = time.perf_counter()
        self.cb.emit("on_start", info)

    def _loop(self) -> bool:
        """Run the epochs; True if stopped early."""
        control = self.control
        model = self.model
        model.train()
        self.report_t = time.perf_counter()
        self.report_loss = 0.0
        self.report_steps = 0
        self.report_samples = 0
        while self.epoch < self.epochs:
            e_t0 = time.perf_counter()
            skip = self.batch
            if skip == 0:
                self.epoch_gen_state = self.gen.get_state()
            else:  # resumed within an epoch: draw the same order, skip what was done
                self.gen.set_state(self.epoch_gen_state)
            if control.checkpoint():
                return self._stop()
            for i, (x, y) in enumerate(self.loader):
                if i < skip:
                    continue
                self._step(x, y)
                if control.checkpoint():
                    return self._stop()
            self._end_epoch(time.perf_counter() - e_t0)
        return False

    def _stop(self) -> bool:
        self._save()
        return True

    def _save_quietly(self) -> None:
        try:
            if self.started:
                self._save()
        except TrainError:
            pass

    def _reset_sums(self) -> None:
        self.loss_sum = 0.0
        self.samples = 0
        self.correct = 0
        self.count = 0

    def _step(self, x, y) -> None:
        t_step = time.perf_counter()
        if x._device != self.device:
            x, y = x.to(self.device), y.to(self.device)
        rng = _random.default_generator.get_state() if self.t.detect_anomaly else None
        n = len(x)
        rec = None
        if self.graph_pending and (n == self.batch_size or len(self.train_set) < self.batch_size):
            rec_ctx = record(backward=True, timing=True)
            rec = rec_ctx.__enter__()
        try:
            self.optimizer.zero_grad()
            out = self._forward(x)
            loss = self.objective(out, y)
            value = loss.item()
            if not math.isfinite(value) and self.t.detect_anomaly:
                self._anomaly(x, y, rng, "loss")
            loss.backward()
        finally:
            if rec is not None:
                rec_ctx.__exit__(None, None, None)
        grads = [(name, p._grad) for name, p in self.params if p._grad is not None]
        if self.t.detect_anomaly and not self._grads_finite(grads):
            self._anomaly(x, y, rng, "gradient")
        step = self.step + 1
        norms = None
        if self.norms_wanted and (step - 1) % self.t.grad_norm_every == 0:
            norms = {name: _norm(g) for name, g in grads}
        if self.clip > 0:
            clip_grad_norm_([p for _, p in self.params], self.clip)
        lr = _lr(self.optimizer)
        self.optimizer.step()
        if self.sched_when == "step":
            self.scheduler.step()
        # bookkeeping: all state is updated before any callback runs
        self.step = step
        self.batch += 1
        self.loss_sum += value * n
        self.samples += n
        if self.classify:
            right, total = self.objective.correct(out, y)
            self.correct += right
            self.count += total
        self.report_loss += value
        self.report_steps += 1
        self.report_samples += n
        if rec is not None:
            self.graph_pending = False
            sig = rec.signature()
            if sig != self.last_signature:
                self.last_signature = sig
                self.cb.emit("on_graph", step, rec)
        if self.graph_wanted and not self.graph_pending:
            if step % self.t.graph_every == 0:
                self.graph_pending = True
        if norms is not None:
            self.cb.emit("on_grad_norms", step, norms)
        if self.steps_wanted and (
            step % self.t.step_every == 0 or self.batch == self.steps_per_epoch
        ):
            now = time.perf_counter()
            span = now - self.report_t
            report = StepReport(
                epoch=self.epoch + 1,
                step=step,
                batch=self.batch,
                batches=self.steps_per_epoch,
                loss=self.report_loss / self.report_steps,
                lr=lr,
                samples_per_s=self.report_samples / span if span > 0 else math.inf,
                seconds=now - t_step,
                elapsed=now - self.t0,
            )
            self.report_t = now
            self.report_loss = 0.0
            self.report_steps = self.report_samples = 0
            self.cb.emit("on_step", report)

    def _grads_finite(self, grads) -> bool:
        """Whether every gradient is finite: a sum per gradient (NaN/Inf anywhere makes it
        non-finite) and one host read; a sum that overflowed is checked element-wise."""
        if not grads:
            return True
        if self.device == "cpu":
            total = 0.0
            for _, g in grads:
                total += float(_add_reduce(g._data, None))
        else:  # on the device, then one read
            acc = 0.0
            for _, g in grads:
                acc = acc + g._data.sum()
            total = float(acc)
        if math.isfinite(total):
            return True
        xp = _backend.get(self.device).xp
        return all(bool(xp.isfinite(g._data).all()) for _, g in grads)

    def _anomaly(self, x, y, rng, what: str) -> None:
        anomaly = diagnose(
            self.model,
            self._forward,
            self.objective,
            x,
            y,
            step=self.step + 1,
            epoch=self.epoch + 1,
            rng_state=rng,
        )
        for p in self.model.parameters():
            p.grad = None
        found = "loss" if what == "loss" else "a gradient"
        raise TrainError(
            f"{found} became non-finite at step {self.step + 1} (epoch {self.epoch + 1}): "
            f"{anomaly.describe()}",
            stage="anomaly",
            anomaly=anomaly,
            hint=_ANOMALY_HINTS.get(
                "loss" if anomaly.in_loss else anomaly.where, _ANOMALY_HINTS["forward"]
            ),
        )

    def _end_epoch(self, seconds: float) -> None:
        metrics = {"train_loss": self.loss_sum / max(self.samples, 1)}
        if self.data.task == CLASSIFICATION:
            metrics["train_accuracy"] = int(self.correct) / max(self.count, 1)
        if self.val_set is not None:
            metrics.update(self._validate())
        e_t1 = time.perf_counter()
        lr = _lr(self.optimizer)
        if self.sched_when == "epoch":
            self.scheduler.step()
        elif self.sched_when == "plateau":
            self.scheduler.step(metrics.get("val_loss", metrics["train_loss"]))
        self.epoch += 1
        self.batch = 0
        self._reset_sums()
        self.history.append({"epoch": self.epoch, **metrics, "lr": lr})
        value = metrics.get(self.monitor)
        improved = (
            value is not None
            and math.isfinite(value)
            and (
                self.best is None
                or (value > self.best if self.mode == "max" else value < self.best)
            )
        )
        if improved:
            self.best, self.best_epoch = value, self.epoch
        self._save(best=improved)
        seconds += time.perf_counter() - e_t1
        report = EpochReport(
            epoch=self.epoch,
            metrics=metrics,
            lr=lr,
            seconds=seconds,
            step=self.step,
            best=improved,
        )
        self.cb.emit("on_epoch", report)
        self.report_t = time.perf_counter()  # validation time is not step throughput

    def _validate(self) -> dict[str, float]:
        model, obj = self.model, self.objective
        loader = DataLoader(self.val_set, batch_size=self.eval_batch, shuffle=False)
        loss_sum, n, correct, count = 0.0, 0, 0, 0
        reg = RegressionStats() if self.data.task != CLASSIFICATION else None
        model.train(False)
        try:
            with core.no_grad():
                for x, y in loader:
                    if x._device != self.device:
                        x, y = x.to(self.device), y.to(self.device)
                    out = self._forward(x)
                    loss_sum += obj(out, y).item() * len(x)
                    n += len(x)
                    if reg is None:
                        right, total = obj.correct(out, y)
                        correct += right
                        count += total
                    else:
                        reg.add(out, y)
        finally:
            model.train()
        metrics = {"val_loss": loss_sum / max(n, 1)}
        if reg is None:
            metrics["val_accuracy"] = int(correct) / max(count, 1)
        else:
            metrics["val_mae"] = reg.mae()
            metrics["val_r2"] = reg.r2()
        return metrics

    def _result(self, stopped: bool) -> TrainResult:
        return TrainResult(
            model=self.model,
            history=[dict(h) for h in self.history],
            metrics=dict(self.history[-1]) if self.history else {},
            stopped=stopped,
            epochs=self.epoch,
            steps=self.step,
            seconds=time.perf_counter() - self.t0,
            monitor=getattr(self, "monitor", ""),
            best=self.best,
            best_epoch=self.best_epoch,
            checkpoint=self.last_ckpt,
            best_checkpoint=self.best_ckpt,
            out_dir=self.t.out_dir,
        )


_add_reduce = np.add.reduce


def _norm(g) -> float:
    a = g._data
    xp = _backend.get(g._device).xp
    return float(xp.sqrt(xp.vdot(a, a).real))


def _to_device(ds, device: str):
    if device == "cpu":
        return ds
    to = getattr(ds, "to", None)
    return to(device) if callable(to) else ds


def _first(ds):
    """The first two samples of a dataset as a batch."""
    items = [ds[i] for i in range(min(2, len(ds)))]
    return core.stack([a for a, _ in items]), core.stack([b for _, b in items])


def _check_single_io(model) -> None:
    ins, outs = getattr(model, "input_ids", None), getattr(model, "output_ids", None)
    if ins is not None and len(ins) != 1:
        raise TrainError(
            f"the model has {len(ins)} Input nodes ({', '.join(ins)}), but a dataset gives "
            "one input per sample",
            hint="train a model with one Input node",
        )
    if outs is not None and len(outs) != 1:
        raise TrainError(
            f"the model has {len(outs)} Output nodes ({', '.join(outs)}); training compares "
            "one output with the targets",
            hint="keep one Output node for training",
        )
