"""The training workspace of the main window: data, controls, plots, graph, insight.

:class:`TrainingWorkspace` owns the TrainingController and the training docks, and wires
them to the document controller, the canvas and each other. The main window creates one
and adds its docks and actions; everything about training lives here, not in the window.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QScrollArea, QSplitter

from app.training import IDLE, PAUSED, RUNNING, STARTING, STOPPING, TrainingController
from core.model.data import data_info, data_problems, input_params_for
from core.model.inference import Diagnostic
from widgets.dataset_panel import DatasetPanel
from widgets.graph_view import GraphView
from widgets.insight import InsightPanel
from widgets.metrics_plots import MetricsPlots
from widgets.run_list import RunList
from widgets.training_panel import TrainingPanel, format_duration

if TYPE_CHECKING:
    from app.main_window import MainWindow

MIN_BOTTOM_WIDTH = 260  # px: the least width of the plots, the graph and the insight views
MIN_SIDE_WIDTH = 220  # px: the least width of the training controls
PLOT_SHARE = 0.42  # of the window's height, for the bottom docks when a run starts
STATE_TEXT = {
    STARTING: "Starting training…",
    RUNNING: "Training…",
    PAUSED: "Training paused",
    STOPPING: "Stopping training…",
}


class TrainingWorkspace(QObject):
    """Training for one main window: its controller, panels, docks and actions."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.documents = window.controller
        doc = self.documents.document
        self.trainer = TrainingController(doc, self)
        self.data = None  # the Data loaded for the document's dataset section
        self._data_section: dict | None = None  # the section ``data`` was loaded for
        self._follow: dict | None = None  # the dataset section whose data sets the Input
        self._load_error: str | None = None  # why the dataset section does not load
        self.run_problems: list[Diagnostic] = []  # the last run's failure (NaN, ...)
        self._edit_noted = False  # "changes apply at the next run" said for this run
        self._pending: dict = {}  # view -> {update kind: args} for views not on screen

        self.dataset_panel = DatasetPanel()
        self.dataset_panel.set_document(doc)
        self.training_panel = TrainingPanel()
        self.training_panel.set_settings(doc.training)
        self.plots = MetricsPlots()
        self.run_list = RunList()
        self.metrics = QSplitter(Qt.Orientation.Horizontal)
        self.metrics.setObjectName("metricsSplitter")
        self.metrics.addWidget(self.run_list)
        self.metrics.addWidget(self.plots)
        self.metrics.setStretchFactor(1, 1)
        self.metrics.setSizes([260, 900])
        self.graph_view = GraphView()
        self.insight_panel = InsightPanel()
        self._wire()
        doc.settings_changed.connect(self._on_settings_changed)
        doc.reset.connect(self._on_reset)
        doc.changed.connect(self._on_document_changed)

    # -- docks ---------------------------------------------------------------------------
    def build_docks(self) -> list[QDockWidget]:
        """Create the training docks in the window (right: Data, Training; bottom: Metrics,
        Graph, Insight) and return them."""
        w = self.window
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        # the docks share the window with the canvas: their content shrinks (its tool rows
        # clip, the forms scroll) rather than making the window wider than a laptop screen
        for widget in (self.plots, self.graph_view, self.insight_panel):
            widget.setMinimumWidth(MIN_BOTTOM_WIDTH)
        self.training_panel.setMinimumWidth(MIN_SIDE_WIDTH)
        data_scroll = QScrollArea()
        data_scroll.setObjectName("dataScroll")
        data_scroll.setWidgetResizable(True)
        data_scroll.setFrameShape(QFrame.Shape.NoFrame)
        data_scroll.setWidget(self.dataset_panel)
        self.data_dock = w._dock("Data", "dataDock", data_scroll, right)
        self.training_dock = w._dock("Training", "trainingDock", self.training_panel, right)
        self.metrics_dock = w._dock("Metrics", "metricsDock", self.metrics, bottom)
        self.graph_dock = w._dock("Graph", "graphDock", self.graph_view, bottom)
        self.insight_dock = w._dock("Insight", "insightDock", self.insight_panel, bottom)
        w.tabifyDockWidget(w.inspector_dock, self.data_dock)
        w.tabifyDockWidget(self.data_dock, self.training_dock)
        w.tabifyDockWidget(w.history_dock, self.metrics_dock)
        w.tabifyDockWidget(self.metrics_dock, self.graph_dock)
        w.tabifyDockWidget(self.graph_dock, self.insight_dock)
        w.inspector_dock.raise_()
        for dock in (self.metrics_dock, self.graph_dock, self.insight_dock):
            dock.visibilityChanged.connect(lambda on, d=dock: self._on_dock_shown(d, on))
        return [
            self.data_dock,
            self.training_dock,
            self.metrics_dock,
            self.graph_dock,
            self.insight_dock,
        ]

    # -- wiring --------------------------------------------------------------------------
    def _wire(self) -> None:
        t, w = self.trainer, self.window
        t.run_started.connect(self._on_run_started)
        t.model_ready.connect(self._on_model_ready)
        t.updated.connect(self._on_updated)
        t.progress.connect(self.training_panel.set_progress)
        t.graph_recorded.connect(self._on_graph)
        t.health.connect(self._on_health)
        t.insight.connect(lambda run, snap: self._when_shown(self.insight_panel, "snapshot", snap))
        t.prediction.connect(self.insight_panel.show_prediction)
        t.prediction_failed.connect(lambda why: self.window.show_message(f"Cannot predict: {why}"))
        t.state_changed.connect(self._on_state)
        t.finished.connect(self._on_finished)
        t.failed.connect(self._on_failed)
        t.runs_changed.connect(self._on_runs_changed)

        p = self.training_panel
        p.settings_edited.connect(lambda values: self.documents.update_settings("training", values))
        p.start_requested.connect(self.start)
        p.pause_requested.connect(self.trainer.pause)
        p.resume_requested.connect(self.trainer.resume)
        p.stop_requested.connect(self.trainer.stop)

        self.dataset_panel.dataset_edited.connect(self._on_dataset_edited)
        self.dataset_panel.data_loaded.connect(self._on_data_loaded)
        self.dataset_panel.load_failed.connect(self._on_load_failed)

        rl = self.run_list
        rl.visibility_changed.connect(lambda _ids: self._show_runs())
        rl.current_changed.connect(lambda _id: self._show_runs())
        rl.renamed.connect(self.trainer.rename_run)
        rl.delete_requested.connect(self.trainer.delete_runs)

        self.graph_view.nodes_selected.connect(self._on_graph_selection)
        w.scene.selection_ids_changed.connect(self.graph_view.select_nodes)
        self.insight_panel.predict_requested.connect(self._predict)

    # -- commands --------------------------------------------------------------------------
    def can_start(self, fresh: bool = False) -> tuple[bool, str]:
        """Whether Start is possible now, and why not; ``fresh``: infer the document now
        rather than trust the last inference shown (an edit may not be inferred yet)."""
        if self.trainer.is_active:
            return False, "A run is in progress"
        inference = self.documents.inference  # without the data problems: added below
        if fresh or inference is None:
            inference = self.documents.infer_now()
        errors = [d for d in self.with_data_problems(inference).diagnostics if _is_error(d)]
        if errors:
            n = len(errors)
            return False, f"Fix {n} problem{'s' if n != 1 else ''} first (see Problems)"
        return True, ""

    def start(self) -> bool:
        """Start training the document as it is now; False (with a message) if it cannot."""
        ok, reason = self.can_start(fresh=True)
        if not ok:
            self.window.show_message(f"Cannot train: {reason}.")
            if not self.trainer.is_active:
                self.window._show_problems()
            return False
        self.run_problems = []
        self._refresh_problems()
        data = self.data if self._data_section == dict(self.documents.document.dataset) else None
        return self.trainer.start(data) is not None

    def toggle_pause(self) -> None:
        if self.trainer.state == PAUSED:
            self.trainer.resume()
        else:
            self.trainer.pause()

    def shutdown(self) -> bool:
        """Stop a run and wait for its thread (the window closes)."""
        return self.trainer.shutdown()

    def set_root(self, folder: Path | None) -> None:
        """The project's folder: relative dataset paths start there."""
        self.trainer.root = folder
        self.dataset_panel.set_root(folder)

    # -- diagnostics -----------------------------------------------------------------------
    def with_data_problems(self, inference):
        """``inference`` plus the problems between the model and its data, and the last
        run's failure; what the Problems panel and the canvas show."""
        extra = list(self.run_problems)
        if self._load_error is not None:
            extra.append(
                Diagnostic(
                    node_id=None,
                    severity="error",
                    message=f"the dataset cannot be loaded: {self._load_error}",
                    hint="choose another file or fix this one in the Data panel",
                    code="data_load",
                )
            )
        if self.data is not None and inference is not None:
            extra += data_problems(self.documents.document, data_info(self.data), inference)
        if not extra or inference is None:
            return inference
        return dataclasses.replace(inference, diagnostics=[*inference.diagnostics, *extra])

    def _refresh_problems(self) -> None:
        inference = self.documents.inference
        if inference is not None:
            self.window._on_inferred(inference)

    # -- data ------------------------------------------------------------------------------
    def _on_dataset_edited(self, section: dict) -> None:
        self.documents.end_edit()
        if self.documents.update_settings("dataset", section):
            self._follow = dict(self.documents.document.dataset)

    def _on_data_loaded(self, data) -> None:
        self.data = data
        self._load_error = None
        self._data_section = dict(self.documents.document.dataset)
        if self.trainer.state == IDLE:
            self.insight_panel.set_data(data)
            model_data = self.trainer.data_of(self.trainer.current)
            fits = model_data is not None and model_data.input_shape == data.input_shape
            self.insight_panel.set_model_ready(
                bool(fits and self.trainer.model_of(self.trainer.current))
            )
        if self._follow is not None and self._follow == self._data_section:
            self._match_input(data)
        self._follow = None
        self._refresh_problems()

    def _on_load_failed(self, message: str) -> None:
        """The dataset section no longer loads: forget the data (the panel shows why)."""
        self.data = self._data_section = None
        self._follow = None
        self._load_error = message
        self._refresh_problems()

    def _match_input(self, data) -> None:
        """Give the Input node the data's sample shape and dtype, in the same undo step as
        the choice of the data (while that is still the last step)."""
        inputs = self.documents.document.input_nodes()
        if len(inputs) != 1:
            return
        node = inputs[0]
        want = input_params_for(data_info(data))
        have = {k: node.params.get(k) for k in want}
        have["shape"] = list(have.get("shape") or [])
        if have != want:
            shape = list(want.get("shape", []))
            text = f"Use {data.name} (Input takes {shape})"
            if self.documents.follow_settings(node.id, want, text):
                self.window.show_message(f"Input {node.name!r} now takes {shape} from {data.name}.")

    # -- document events -------------------------------------------------------------------
    def _on_settings_changed(self, section: str, new, old) -> None:
        if section == "training":
            self.training_panel.set_settings(self.documents.document.training)
        elif section == "dataset" and dict(self.documents.document.dataset) != (self._data_section):
            # the data shown no longer describes the section: its problems go with it
            # (the panel loads the new data, or says why it cannot)
            self.data = None
            self._load_error = None
            self._refresh_problems()

    def _on_reset(self) -> None:
        """Another project (or New): stop training, forget its runs and data."""
        if self.trainer.is_active:
            self.trainer.shutdown()
        self.trainer.delete_runs([r.run_id for r in self.trainer.runs])
        self.data = self._data_section = None
        self._load_error = None
        self.run_problems = []
        self._pending.clear()
        self.training_panel.set_settings(self.documents.document.training)
        self.training_panel.reset_progress()
        self.graph_view.set_graph(None, {}, {})
        self.window.scene.set_health(None)
        self.insight_panel.set_data(None)
        self.insight_panel.set_model_ready(False)
        self._show_runs()

    def _on_document_changed(self, *args) -> None:
        if self.trainer.is_active and not self._edit_noted:
            self._edit_noted = True
            self.window.show_message(
                "The model changed while training: the changes apply when you train again."
            )

    # -- training events ---------------------------------------------------------------------
    def _on_run_started(self, run) -> None:
        self._edit_noted = False
        self._pending.pop(self.insight_panel, None)  # a snapshot of the previous run
        self.window.scene.set_health(None)
        self.training_panel.reset_progress()
        self.insight_panel.set_model_ready(False)
        self.run_list.set_runs(self.trainer.runs)
        self.run_list.set_checked(run.run_id, True)
        self.run_list.set_current(run.run_id)
        self._show_runs()
        self.reveal_dock(self.metrics_dock)

    def reveal_dock(self, dock: QDockWidget) -> None:
        """Bring ``dock`` to the front of its tabs, tall enough for plots (unless the user
        closed it: that choice stays)."""
        if not dock.toggleViewAction().isChecked() or dock.isFloating():
            return
        dock.raise_()
        w = self.window
        if w.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea:
            want = int(w.height() * PLOT_SHARE)
            if dock.height() < want * 0.8:
                w.resizeDocks([dock], [want], Qt.Orientation.Vertical)

    def _on_model_ready(self, run) -> None:
        data = self.trainer.data_of(run)
        if data is not None:
            self.insight_panel.set_data(data)
            self.insight_panel.set_model_ready(True)  # try-it: the worker answers between steps

    def _on_updated(self, run) -> None:
        self._when_shown(self.plots, "refresh")
        self.run_list.update_run(run)

    def _on_graph(self, run, recorder, node_of) -> None:
        doc = self.documents.document
        names = {nid: node.name for nid, node in doc.nodes.items()}
        kinds = {nid: node.kind for nid, node in doc.nodes.items()}
        self._when_shown(self.graph_view, "graph", recorder, node_of, names, kinds)

    # -- views that are not on screen wait: the GUI thread draws only what is seen ------------
    def _when_shown(self, view, what: str, *args) -> None:
        """Apply an update to ``view`` now if it is on screen, else when it is next shown
        (only the latest update of each kind is kept)."""
        if view.isVisible():
            self._apply(view, what, args)
        else:
            self._pending.setdefault(view, {})[what] = args

    def _apply(self, view, what: str, args: tuple) -> None:
        if what == "refresh":
            view.refresh()
        elif what == "snapshot":
            view.show_snapshot(*args)
        elif what == "graph":
            recorder, node_of, names, kinds = args
            view.set_graph(recorder, node_of, names, node_kinds=kinds)

    def _on_dock_shown(self, dock: QDockWidget, visible: bool) -> None:
        if not visible:
            return
        for view, updates in list(self._pending.items()):
            if view.isVisible():
                del self._pending[view]
                for what, args in updates.items():
                    self._apply(view, what, args)

    def _on_health(self, run, health: dict) -> None:
        self.window.scene.set_health(health)
        norms = {nid: h.grad_norm for nid, h in health.items() if h.grad_norm is not None}
        self.graph_view.set_node_values(norms)

    def _on_state(self, state: str) -> None:
        self.training_panel.set_state(state)
        if self.trainer.current is not None:
            self.run_list.update_run(self.trainer.current)
        if state in STATE_TEXT:
            self.window.statusBar().showMessage(STATE_TEXT[state], 3000)
        self.update_actions()

    def _on_finished(self, run) -> None:
        self._when_shown(self.plots, "refresh")
        self.run_list.update_run(run)
        seconds = run.duration()
        summary = _metrics_text(run.result_metrics)
        if run.status == "stopped":
            text = f"Stopped after {run.last_epoch} epoch(s), {format_duration(seconds)}"
        else:
            text = f"Finished in {format_duration(seconds)}"
        self.training_panel.set_result_text(f"{text} — {summary}" if summary else text)
        self.insight_panel.set_model_ready(True)
        self.window.show_message(f"{run.name}: {text.lower()}.")

    def _on_failed(self, run, error) -> None:
        self._when_shown(self.plots, "refresh")
        self.run_list.update_run(run)
        self.training_panel.set_result_text(f"Failed: {error.message}", error=True)
        self.insight_panel.set_model_ready(self.trainer.model_of(run) is not None)
        anomaly = error.anomaly
        message = anomaly.describe() if anomaly is not None else error.message
        self.run_problems = [
            Diagnostic(
                node_id=anomaly.node_id if anomaly is not None else None,
                severity="warning",
                message=f"{run.name} stopped: {message}",
                hint=error.hint,
                code="train_failed",
            )
        ]
        self._refresh_problems()
        self.window._show_problems()
        if anomaly is not None and anomaly.node_id in self.documents.document.nodes:
            self.window.reveal_node(anomaly.node_id)
        self.window.show_message(f"{run.name} failed: {message}")

    def _on_runs_changed(self) -> None:
        self.run_list.set_runs(self.trainer.runs)
        self._show_runs()

    def _show_runs(self) -> None:
        checked = self.run_list.checked_ids()
        current = self.trainer.current.run_id if self.trainer.current is not None else None
        shown = [r for r in self.trainer.runs if r.run_id in checked or r.run_id == current]
        self.plots.show_runs(shown, current)

    def _on_graph_selection(self, ids: list) -> None:
        scene = self.window.scene
        scene.select_ids(list(ids))
        if ids:
            self.window.reveal_node(ids[0])

    def _predict(self, x) -> None:
        try:
            asked = self.trainer.predict(x)
        except ValueError as e:  # a sample that does not fit the trained model
            self.window.show_message(f"Cannot predict: {e}")
            return
        if not asked:
            self.window.show_message("Train the model first: there is no trained model yet.")

    # -- actions ---------------------------------------------------------------------------
    def update_actions(self) -> None:
        """Enable the Train menu's actions for the state and the window's page."""
        w = self.window
        if not hasattr(w, "_actions") or "train_start" not in w._actions:
            return
        editing = w.is_editing()
        state = self.trainer.state
        w.action("train_start").setEnabled(editing and state == IDLE)
        pause = w.action("train_pause")
        pause.setEnabled(editing and state in (RUNNING, PAUSED))
        paused = state == PAUSED
        pause.setText("&Resume Training" if paused else "&Pause Training")
        w.set_action_icon(pause, "play" if paused else "pause")
        w.action("train_stop").setEnabled(editing and self.trainer.is_active and state != STOPPING)
        ok, reason = self.can_start() if state == IDLE else (False, "")
        self.training_panel.set_can_start(ok or state != IDLE, reason)


def _is_error(d: Diagnostic) -> bool:
    return d.severity == "error"


def _metrics_text(metrics: dict) -> str:
    """The headline metrics of a run: "val_accuracy 0.962 · val_loss 0.113"."""
    keys = [k for k in ("val_accuracy", "val_r2", "val_loss", "train_loss") if k in metrics]
    parts = []
    for key in keys[:2]:
        value = metrics[key]
        if isinstance(value, float) and math.isfinite(value):
            parts.append(f"{key} {value:.4g}")
    return " · ".join(parts)
