"""TrainingController: runs core.train on a worker thread and reports to the GUI.

The worker thread runs ``core.train.document_trainer(snapshot).run()`` on a copy of the
document taken at Start, so edits made while it trains apply at the next start. Its
callbacks never touch Qt: they append plain records to a deque. A timer on the GUI thread
drains the deque at most ``FLUSH_HZ`` times a second and emits one batch of signals per
tick (many steps -> one ``updated``), which keeps the GUI loop free however fast the model
trains (DESIGN.md §6; Orange's concurrent pattern: the task is a plain function taking a
state object, results come back on the GUI thread).
"""

from __future__ import annotations

import collections
import threading
import time
import traceback
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from core.model.data import Data
from core.model.document import Document
from core.train import Callback, TrainControl, TrainError, document_trainer
from core.train.document import document_data
from core.train.health import HealthMonitor
from core.train.history import RunLog, group_by_node, progress_of
from core.train.insight import InsightProbe, predict

FLUSH_HZ = 25  # batched GUI updates per second, at most (the plots repaint at this rate)
KEEP_MODELS = 3  # runs whose trained model and data stay in memory (the latest ones)
GRAD_NORM_EVERY = 10  # steps between gradient-norm reports
GRAPH_EVERY = 200  # steps between graph checks (a changed graph is sent again)
HEALTH_EVERY = 20  # steps between health measurements
# seconds between live insight snapshots at most (the probe also keeps to ~10 % of the run's
# time): a small model trains dozens of epochs in 0.5 s, and its boundary must keep up
INSIGHT_EVERY_S = 0.1
PAUSE_WAIT_S = 2.0  # how long a try-it request waits for a paused worker to block

IDLE, STARTING, RUNNING, PAUSED, STOPPING = "idle", "starting", "running", "paused", "stopping"
ACTIVE = (STARTING, RUNNING, PAUSED, STOPPING)


class _Relay(Callback):
    """Turns the trainer's callbacks into records on the queue (training thread)."""

    def __init__(self, queue: collections.deque, node_of) -> None:
        self.queue = queue
        self.node_of = node_of  # param/scope name -> canvas node id (set once the model exists)

    def on_start(self, info) -> None:
        self.queue.append(("start", info))

    def on_step(self, report) -> None:
        self.queue.append(("step", report))

    def on_epoch(self, report) -> None:
        self.queue.append(("epoch", report))

    def on_grad_norms(self, step: int, norms: dict[str, float]) -> None:
        self.queue.append(("grads", step, group_by_node(norms, self.node_of)))

    def on_graph(self, step: int, recorder) -> None:
        scopes = {op.scope for op in recorder.nodes}
        self.queue.append(("graph", recorder, {s: self.node_of(s) for s in scopes}))


class TrainingController(QObject):
    """Starts, pauses, resumes and stops training runs of the document, keeps the runs.

    Signals arrive on the GUI thread, batched by a timer (at most FLUSH_HZ per second).
    """

    run_started = Signal(object)  # RunLog
    model_ready = Signal(object)  # RunLog: its model is built, model_of/data_of answer
    updated = Signal(object)  # RunLog: new steps, epochs or gradient norms
    graph_recorded = Signal(object, object, object)  # RunLog, Recorder, {scope: node id}
    insight = Signal(object, object)  # RunLog, InsightSnapshot
    health = Signal(object, object)  # RunLog, {node id: NodeHealth}
    progress = Signal(object)  # ProgressInfo
    state_changed = Signal(str)
    finished = Signal(object)  # RunLog (finished or stopped)
    failed = Signal(object, object)  # RunLog, TrainError
    prediction = Signal(object, object)  # input batch, output (a try-it answer)
    prediction_failed = Signal(str)  # why a try-it request could not be answered
    runs_changed = Signal()  # a run was renamed or deleted

    def __init__(self, document: Document, parent: QObject) -> None:
        super().__init__(parent)
        self.document = document
        self.root: Path | None = None  # the project folder (relative dataset paths)
        self.runs: list[RunLog] = []
        self.state = IDLE
        self.current: RunLog | None = None  # the run in progress (or the last one)
        self._models: dict[int, object] = {}
        self._data: dict[int, Data] = {}
        self._docs: dict[int, Document] = {}  # the document each run trained (its snapshot)
        self._next_id = 1
        self._queue: collections.deque = collections.deque()
        self._control = TrainControl()
        self._thread: threading.Thread | None = None
        self._probe: InsightProbe | None = None
        self._paused_at: int | None = None  # the step of the last paused insight snapshot
        self._timer = QTimer(self)
        self._timer.setInterval(round(1000 / FLUSH_HZ))
        self._timer.timeout.connect(self.flush)

    # -- state ---------------------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        """A run is starting, running, paused or stopping."""
        return self.state in ACTIVE

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self.current is not None and state in (RUNNING, PAUSED):
                self.current.status = "paused" if state == PAUSED else "running"
            self.state_changed.emit(state)

    def model_of(self, run: RunLog | None):
        """The model ``run`` trained (a GraphModel), or None (not built yet, or deleted)."""
        return None if run is None else self._models.get(run.run_id)

    def data_of(self, run: RunLog | None) -> Data | None:
        """The data ``run`` trained on, or None."""
        return None if run is None else self._data.get(run.run_id)

    def trained_model(self, run: RunLog | None = None):
        """The model of ``run`` (default: the current run) if the document still describes
        it (same layers, parameters and wires) and no run is training it; else None."""
        run = run or self.current
        model = self.model_of(run)
        if model is None or (run is self.current and self.is_active):
            return None
        return model if same_model(self._docs.get(run.run_id), self.document) else None

    def run_by_id(self, run_id: int) -> RunLog | None:
        return next((r for r in self.runs if r.run_id == run_id), None)

    # -- commands --------------------------------------------------------------------------
    def start(self, data: Data | None = None) -> RunLog | None:
        """Start a run of the document as it is now; ``data``: already loaded data for its
        dataset section (else the worker loads it). Returns the new run, or None when a run
        is already active."""
        if self.is_active:
            return None
        snapshot = self.document.copy()
        run = RunLog(
            self._next_id,
            f"Run {self._next_id}",
            settings=dict(snapshot.training),
            dataset=dict(snapshot.dataset),
        )
        self._next_id += 1
        self._forget_old_models()
        self._docs[run.run_id] = snapshot
        self.runs.append(run)
        self.current = run
        self._queue = collections.deque()
        self._control = TrainControl()
        queue, control = self._queue, self._control
        self._thread = threading.Thread(
            target=self._work,
            args=(snapshot, data, self.root, control, queue),
            name=f"ember-training-{run.run_id}",
            daemon=True,  # a stuck step never keeps the process alive after the window closed
        )
        self._set_state(STARTING)
        self.run_started.emit(run)
        self._thread.start()
        self._timer.start()
        return run

    def _forget_old_models(self) -> None:
        """Keep the models and data of the latest runs only: their curves stay, their
        weights (and GPU memory) go."""
        keep = {r.run_id for r in self.runs[-(KEEP_MODELS - 1) :]} if KEEP_MODELS > 1 else set()
        for store in (self._models, self._data, self._docs):
            for run_id in [i for i in store if i not in keep]:
                del store[run_id]

    def pause(self) -> None:
        if self.state in (STARTING, RUNNING):
            self._control.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.state == PAUSED:
            self._control.resume()
            self._set_state(RUNNING)

    def stop(self) -> None:
        """End the run after the current step (the result keeps what was reached)."""
        if self.is_active and self.state != STOPPING:
            self._control.stop()
            self._set_state(STOPPING)

    def shutdown(self, timeout: float = 10.0) -> bool:
        """Stop any run and wait for its thread (window close, another project); False if
        it did not end in time: the run is then abandoned (reported failed, its thread left
        to finish on its own, writing to a queue nobody reads) and the controller is idle."""
        thread = self._thread
        if thread is None:
            return True
        self._control.stop()
        thread.join(timeout)
        if not thread.is_alive():
            self.flush()
            self._timer.stop()
            return True
        self._queue = collections.deque()
        err = TrainError(
            f"the run did not stop within {timeout:g} s and was abandoned", stage="internal"
        )
        self._end(self.current, ("error", err), join=False)
        return False

    def rename_run(self, run_id: int, name: str) -> bool:
        run = self.run_by_id(run_id)
        name = name.strip()
        if run is None or not name:
            return False
        run.name = name
        self.runs_changed.emit()
        return True

    def delete_runs(self, run_ids) -> list[int]:
        """Forget these runs (not the active one); returns the ids deleted."""
        gone = []
        for run_id in list(run_ids):
            run = self.run_by_id(run_id)
            if run is None or (run is self.current and self.is_active):
                continue
            self.runs.remove(run)
            self._models.pop(run_id, None)
            self._data.pop(run_id, None)
            self._docs.pop(run_id, None)
            if run is self.current:
                self.current = None
            gone.append(run_id)
        if gone:
            self.runs_changed.emit()
        return gone

    def predict(self, x: np.ndarray, run: RunLog | None = None) -> bool:
        """Run ``run``'s model (default: the current one) on ``x``; ``prediction`` answers.

        While a run trains, the worker answers between two steps (the GUI thread never
        touches a model in training); otherwise it runs here at once. False when no model.
        """
        run = run or self.current
        model, data = self.model_of(run), self.data_of(run)
        if model is None or data is None:
            return False
        want = tuple(data.input_shape)
        if tuple(np.shape(x)[1:]) != want:
            raise ValueError(
                f"the model takes samples of shape {list(want)}, not {list(np.shape(x)[1:])}"
            )
        idle = not (run is self.current and self.is_active)
        # paused: the worker blocks between two steps soon after the request (wait for it)
        if idle or (self.state == PAUSED and self._control.wait_paused(PAUSE_WAIT_S)):
            self.prediction.emit(x, predict(model, x, data.task))  # the model is not changing
            return True
        if self._probe is None:
            return False
        queue = self._queue
        self._probe.request(x, lambda xb, out: queue.append(("prediction", xb, out)))
        return True

    # -- the worker (training thread) ------------------------------------------------------
    def _work(self, doc, data, root, control, queue) -> None:
        try:
            if data is None:
                data = document_data(doc, root=root)
            relay = _Relay(queue, lambda scope: None)
            probe = InsightProbe(
                data, lambda s: queue.append(("insight", s)), every_s=INSIGHT_EVERY_S
            )
            monitor = HealthMonitor(lambda h: queue.append(("health", h)), every=HEALTH_EVERY)
            trainer = document_trainer(
                doc,
                callbacks=[relay, probe, monitor],
                control=control,
                data=data,
                grad_norm_every=GRAD_NORM_EVERY,
                graph_every=GRAPH_EVERY,
            )
            model = trainer.model
            relay.node_of = model.node_of_scope
            probe.model = monitor.model = model
            self._probe = probe
            queue.append(("model", model, data))
            result = trainer.run()
            queue.append(("done", result))
        except TrainError as e:
            queue.append(("error", e))
        except Exception as e:  # a bug: report it as a failed run, never end the thread silently
            err = TrainError(f"internal error: {type(e).__name__}: {e}", stage="internal")
            err.add_note(traceback.format_exc())
            queue.append(("error", err))

    # -- back on the GUI thread --------------------------------------------------------------
    def flush(self) -> None:
        """Apply what the worker reported since the last tick; emit one batch of signals."""
        queue, run = self._queue, self.current
        if run is None or not queue:
            self._check_thread()
            self._snapshot_paused(run)
            return
        n = len(queue)
        changed = False
        graph = insight = health = None
        end = None
        for _ in range(n):
            record = queue.popleft()
            kind = record[0]
            if kind == "step":
                run.add_step(record[1])
                changed = True
            elif kind == "epoch":
                run.add_epoch(record[1])
                changed = True
            elif kind == "grads":
                run.add_grad_norms(record[1], record[2])
                changed = True
            elif kind == "start":
                run.start(record[1])
                if self.state == STARTING:
                    self._set_state(RUNNING)
                changed = True
            elif kind == "model":
                self._models[run.run_id] = record[1]
                self._data[run.run_id] = record[2]
                self.model_ready.emit(run)
            elif kind == "graph":
                graph = record[1:]
            elif kind == "insight":
                insight = record[1]
            elif kind == "health":
                health = record[1]
            elif kind == "prediction":
                if isinstance(record[2], Exception):
                    self.prediction_failed.emit(str(record[2]))
                else:
                    self.prediction.emit(record[1], record[2])
            elif kind in ("done", "error"):
                end = record
        if graph is not None:
            self.graph_recorded.emit(run, *graph)
        if health is not None:
            self.health.emit(run, health)
        if insight is not None:
            self.insight.emit(run, insight)
        if changed:
            self.updated.emit(run)
            info = progress_of(run, time.time())
            if info is not None:
                self.progress.emit(info)
        if end is not None:
            self._end(run, end)

    def _snapshot_paused(self, run: RunLog | None) -> None:
        """Once a paused worker blocks, bring the insight views up to the step it reached:
        the probe's throttle may have left them behind, and a pause is when they are read.
        The model is idle, so this runs here (once per pause)."""
        probe = self._probe
        if (
            self.state != PAUSED
            or run is None
            or probe is None
            or self._paused_at == run.last_step
            or not self._control.blocked
        ):
            return
        self._paused_at = run.last_step
        try:
            snapshot = probe.snapshot(run.last_step, run.last_epoch)
        except Exception:  # noqa: BLE001 - the views keep their last snapshot (probe.error)
            return
        self.insight.emit(run, snapshot)

    def _check_thread(self) -> None:
        """A worker that ended without a word (it cannot, but never hang in 'running')."""
        thread = self._thread
        if self.is_active and thread is not None and not thread.is_alive() and not self._queue:
            err = TrainError("the training thread ended without reporting", stage="internal")
            self._end(self.current, ("error", err))

    def _end(self, run: RunLog, record, join: bool = True) -> None:
        self._timer.stop()
        probe, self._probe = self._probe, None
        if self._thread is not None and join:
            self._thread.join(1.0)  # it has returned, or is returning
        self._thread = None
        if record[0] == "done":
            result = record[1]
            run.finish("stopped" if result.stopped else "finished", metrics=dict(result.metrics))
            self._models[run.run_id] = result.model
            self._set_state(IDLE)
            self._final_progress(run)
            self.finished.emit(run)
            if probe is not None:  # try-it requests the run ended before answering
                for x in probe.take_requests():
                    self.predict(x, run)
        else:
            error = record[1]
            metrics = dict(error.result.metrics) if error.result is not None else None
            run.finish("failed", error=error.message, metrics=metrics)
            self._set_state(IDLE)
            self._final_progress(run)
            self.failed.emit(run, error)

    def _final_progress(self, run: RunLog) -> None:
        """The progress as the run ended (no time left to count down)."""
        info = progress_of(run, time.time())
        if info is not None:
            self.progress.emit(info)


def same_model(a: Document | None, b: Document | None) -> bool:
    """Whether two documents describe the same model: layers, parameters and wires (not
    positions, names or settings)."""
    if a is None or b is None:
        return False
    layers = lambda d: {i: (n.kind, n.params) for i, n in d.nodes.items()}  # noqa: E731
    return layers(a) == layers(b) and sorted(map(repr, a.edges)) == sorted(map(repr, b.edges))
