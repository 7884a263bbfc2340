"""Training in the window: a real run on a worker thread, its controls, plots, graph,
insight, failures and the window closing mid-run. Every wait is on a signal or a condition."""

import threading

import numpy as np
import pytest

from app.training import FLUSH_HZ
from core.model.document import Document

RUN_TIMEOUT_MS = 60_000


@pytest.fixture
def trained_window(window, project):
    """The spirals example open, with a small dataset and few epochs (a run takes < 2 s)."""
    window.open_path(project, ask=False)
    c = window.controller
    c.update_settings("dataset", {"options": {"n_samples": 200, "noise": 0.05, "seed": 0}})
    c.update_settings("training", {"epochs": 3, "batch_size": 32})
    c.infer_now()
    return window


def start_and_finish(qtbot, window):
    trainer = window.training.trainer
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS) as done:
        assert window.training.start()
    return done.args[0]


def long_run(window, epochs=1000):
    window.controller.update_settings("training", {"epochs": epochs})


def wait_steps(qtbot, run, at_least: int) -> None:
    qtbot.waitUntil(lambda: len(run.series("loss") or ()) >= at_least, timeout=RUN_TIMEOUT_MS)


# -- a short real run ----------------------------------------------------------------------------
def test_a_short_run_trains_off_the_gui_thread_and_fills_the_plots(qtbot, trained_window):
    window = trained_window
    trainer = window.training.trainer
    gui = threading.current_thread()
    threads = []
    original = trainer._work

    def spy(*args):
        threads.append(threading.current_thread())
        return original(*args)

    trainer._work = spy
    states = []
    trainer.state_changed.connect(states.append)
    run = start_and_finish(qtbot, window)

    assert threads and threads[0] is not gui  # the steps ran on the worker thread
    assert run.status == "finished"
    assert states[0] == "starting" and "running" in states and states[-1] == "idle"
    steps = run.series("loss")
    assert len(steps) == run.info.total_steps == 3 * run.steps_per_epoch
    assert np.all(np.isfinite(steps.y))
    assert [e["epoch"] for e in run.epochs] == [1, 2, 3]
    assert "val_accuracy" in run.metric_names()
    assert run.series("grad/hidden1") is not None  # per-layer gradient norms arrived
    # the plots show it; the updates were batched (far fewer GUI ticks than steps)
    assert window.training.plots.refresh_count >= 1
    assert window.training.run_list.checked_ids() == {run.run_id}
    assert "Finished" in window.training.training_panel.result_label.text()
    # the trained model is there for the export and the try-it panel
    assert trainer.model_of(run) is not None and trainer.data_of(run) is not None


def test_the_graph_view_fills_and_maps_ops_to_canvas_nodes(qtbot, trained_window):
    window = trained_window
    trainer = window.training.trainer
    recorded = []
    trainer.graph_recorded.connect(lambda *args: recorded.append(args))
    start_and_finish(qtbot, window)
    assert recorded  # the first step's graph (the graph does not change later)
    _run, recorder, node_of = recorded[-1]
    assert {node_of[op.scope] for op in recorder.nodes if op.scope} >= {
        "hidden1",
        "hidden2",
        "scores",
    }
    view = window.training.graph_view
    window.training.graph_dock.raise_()  # a view behind another tab is drawn when shown
    qtbot.waitUntil(lambda: bool(view.group_items))
    assert set(view.group_items) >= {"hidden1", "relu1", "hidden2", "scores"}
    # selecting in the graph selects the canvas node, and the reverse
    view.nodes_selected.emit(["hidden2"])
    assert window.scene.selected_ids() == ["hidden2"]
    window.scene.select_ids(["relu1"])
    assert view.selected_nodes() == ["relu1"]


def test_pause_blocks_the_worker_and_resume_and_stop_end_it(qtbot, trained_window):
    window = trained_window
    long_run(window)
    trainer = window.training.trainer
    window.training.start()
    run = trainer.current
    wait_steps(qtbot, run, 5)
    trainer.pause()
    assert trainer.state == "paused"
    assert trainer._control.wait_paused(30)  # the worker blocks between two steps
    qtbot.waitUntil(lambda: not trainer._queue)  # what it reported before blocking arrived
    trainer.flush()
    n = len(run.series("loss"))
    trainer.flush()
    assert len(run.series("loss")) == n and trainer._control.blocked
    assert window.training.training_panel.pause_button.text().replace("&", "") == "Resume"

    trainer.resume()
    wait_steps(qtbot, run, n + 5)
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()
    assert run.status == "stopped" and trainer.state == "idle"
    assert len(run.series("loss")) < run.info.total_steps
    assert "Stopped" in window.training.training_panel.result_label.text()


def test_closing_the_window_mid_run_stops_the_worker(qtbot, trained_window):
    window = trained_window
    long_run(window)
    trainer = window.training.trainer
    window.training.start()
    wait_steps(qtbot, trainer.current, 3)
    thread = trainer._thread
    window.ask_save_changes = lambda: "discard"
    assert window.close()
    assert not thread.is_alive()
    assert trainer.current.status == "stopped" and trainer.state == "idle"


def test_a_second_run_is_overlaid_for_comparison_and_runs_can_be_renamed_and_deleted(
    qtbot, trained_window
):
    window = trained_window
    first = start_and_finish(qtbot, window)
    window.controller.update_settings("training", {"lr": 0.001})
    second = start_and_finish(qtbot, window)
    ws = window.training
    assert [r.run_id for r in ws.trainer.runs] == [first.run_id, second.run_id]
    assert second.settings["lr"] == 0.001 and first.settings["lr"] == 0.01
    ws.run_list.set_checked(first.run_id, True)
    assert {r.run_id for r in ws.plots.runs()} == {first.run_id, second.run_id}
    for run in (first, second):  # each run has its own loss curve with all its steps
        xs, _ys = ws.plots.curves_of(run.run_id)["loss"].getData()
        assert xs is not None and len(xs) > 0
    ws.run_list.renamed.emit(first.run_id, "Adam 1e-2")
    assert first.name == "Adam 1e-2"
    ws.run_list.delete_requested.emit([first.run_id])
    assert [r.run_id for r in ws.trainer.runs] == [second.run_id]
    assert {r.run_id for r in ws.plots.runs()} == {second.run_id}


def test_editing_while_training_applies_at_the_next_run(qtbot, trained_window):
    window = trained_window
    long_run(window, epochs=200)
    trainer = window.training.trainer
    window.training.start()
    run = trainer.current
    wait_steps(qtbot, run, 2)
    assert window.controller.set_params("hidden1", {"out_features": 8})
    assert "next" in window.statusBar().currentMessage() or "again" in (
        window.statusBar().currentMessage()
    )
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()
    assert trainer.model_of(run).hidden1.out_features == 64  # the run kept its snapshot
    window.controller.update_settings("training", {"epochs": 1})
    second = start_and_finish(qtbot, window)
    assert trainer.model_of(second).hidden1.out_features == 8


def test_a_nan_stops_the_run_with_a_diagnostic_on_the_node(qtbot, window):
    # the learning-rate blow-up of tests/core/train/test_anomaly.py: a Linear overflows
    doc = Document()
    for kind, params in (
        ("Input", {"shape": [1]}),
        ("Linear", {"out_features": 16}),
        ("ReLU", {}),
        ("Linear", {"out_features": 1}),
        ("Output", {}),
    ):
        doc.add_node(kind, params=params)
    ids = list(doc.nodes)
    for a, b in zip(ids, ids[1:]):
        doc.connect(a, b)
    doc.set_dataset({"name": "sine", "options": {"n_samples": 100, "noise": 50.0}})
    doc.set_training({"optimizer": "sgd", "lr": 10.0, "epochs": 50, "batch_size": 16})
    window.controller.load_document(doc)
    window.show_editor()
    c = window.controller
    c.infer_now()
    trainer = window.training.trainer
    with qtbot.waitSignal(trainer.failed, timeout=RUN_TIMEOUT_MS) as failed:
        window.training.start()
    run, error = failed.args
    assert run.status == "failed" and error.anomaly is not None
    node = error.anomaly.node_id
    assert node in c.document.nodes
    rows = window.problems.row_texts()
    assert any("stopped" in r and ("NaN" in r or "Inf" in r) for r in rows), rows
    assert window.scene.selected_ids() == [node]  # revealed on the canvas
    assert window.training.training_panel.result_label.text().startswith("Failed")


def test_train_is_refused_with_the_reason_while_the_model_has_errors(qtbot, trained_window):
    window = trained_window
    window.controller.disconnect(window.controller.document.edges[0])
    window.controller.infer_now()
    assert not window.training.start()
    assert "Cannot train" in window.statusBar().currentMessage()
    assert window.training.trainer.runs == []


def test_try_it_is_answered_by_the_worker_while_training_and_directly_after(qtbot, trained_window):
    window = trained_window
    long_run(window, epochs=200)
    trainer = window.training.trainer
    window.training.start()
    wait_steps(qtbot, trainer.current, 2)
    x = np.zeros((1, 2), np.float32)
    with qtbot.waitSignal(trainer.prediction, timeout=RUN_TIMEOUT_MS) as answer:
        assert trainer.predict(x)
    assert answer.args[1].shape == (1, 2)
    np.testing.assert_allclose(answer.args[1].sum(), 1.0, rtol=1e-5)
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()
    with qtbot.waitSignal(trainer.prediction, timeout=1000) as answer:
        assert trainer.predict(x)
    assert answer.args[1].shape == (1, 2)


def test_choosing_a_dataset_makes_the_input_follow_it_as_one_undo_step(qtbot, trained_window):
    window = trained_window
    panel = window.training.dataset_panel
    section = dict(window.controller.document.dataset)
    section.update({"name": "iris", "options": {}})
    with qtbot.waitSignal(panel.data_loaded, timeout=RUN_TIMEOUT_MS):
        panel.dataset_edited.emit(section)
    qtbot.waitUntil(
        lambda: list(window.controller.document.nodes["point"].params["shape"]) == [4],
        timeout=RUN_TIMEOUT_MS,
    )
    # the output still has 2 classes, iris has 3: a diagnostic, not a crash
    assert any("3" in r and "class" in r.lower() for r in window.problems.row_texts())
    undo = window.controller.undo_stack
    assert undo.undoText().startswith("Use iris")
    undo.undo()  # one step takes back the data and the Input's shape together
    assert list(window.controller.document.nodes["point"].params["shape"]) == [2]
    assert window.controller.document.dataset["name"] == "spirals"
    undo.redo()
    assert list(window.controller.document.nodes["point"].params["shape"]) == [4]
    assert window.controller.document.dataset["name"] == "iris"


def test_the_training_panel_edits_the_document_as_undoable_steps(trained_window):
    window = trained_window
    panel = window.training.training_panel
    panel.settings_edited.emit({"lr": 0.05})
    assert window.controller.document.training["lr"] == 0.05
    window.controller.undo_stack.undo()
    assert window.controller.document.training["lr"] == 0.01
    assert panel.values()["lr"] == 0.01  # the panel follows the document


def test_reports_reach_the_gui_in_batches_of_at_most_25_a_second(qtbot, trained_window):
    window = trained_window
    long_run(window)
    trainer = window.training.trainer
    updates = []
    trainer.updated.connect(lambda run: updates.append(run.last_step))
    window.training.start()
    run = trainer.current
    wait_steps(qtbot, run, 60)
    qtbot.waitUntil(lambda: len(updates) >= 5, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()
    seconds = run.duration()
    assert len(updates) <= seconds * FLUSH_HZ + 2  # throttled by the timer
    assert len(updates) < run.last_step  # and batched: several steps per update
    assert updates == sorted(updates)


def test_a_dataset_that_cannot_load_fails_the_run_with_the_reason(qtbot, trained_window):
    window = trained_window
    c = window.controller
    c.update_settings("dataset", {"source": "csv", "path": "missing.csv", "options": {}})
    trainer = window.training.trainer
    with qtbot.waitSignal(trainer.failed, timeout=RUN_TIMEOUT_MS) as failed:
        trainer.start()  # the panel has no data: the worker loads it, and fails
    run, error = failed.args
    assert error.stage == "data" and "missing.csv" in error.message
    assert run.status == "failed" and trainer.state == "idle"


def test_a_run_that_does_not_stop_in_time_is_abandoned_and_the_window_stays_usable(
    qtbot, trained_window, monkeypatch
):
    import app.training as training_module

    window = trained_window
    release = threading.Event()
    real = training_module.document_data

    def slow_data(doc, root=None):
        release.wait(30)  # a huge dataset being read
        return real(doc, root=root)

    monkeypatch.setattr(training_module, "document_data", slow_data)
    trainer = window.training.trainer
    trainer.start()
    assert trainer.state == "starting"
    assert not trainer.shutdown(timeout=0.05)
    assert trainer.state == "idle" and trainer.current.status == "failed"
    release.set()
    monkeypatch.setattr(training_module, "document_data", real)
    run = start_and_finish(qtbot, window)  # a new run starts and finishes normally
    assert run.status == "finished"


def test_try_it_with_a_sample_of_the_wrong_shape_says_why(qtbot, trained_window):
    window = trained_window
    run = start_and_finish(qtbot, window)
    trainer = window.training.trainer
    with pytest.raises(ValueError, match="shape"):
        trainer.predict(np.zeros((1, 4), np.float32), run)
    window.training._predict(np.zeros((1, 4), np.float32))
    assert "Cannot predict" in window.statusBar().currentMessage()


def test_try_it_while_paused_waits_for_the_worker_to_block(qtbot, trained_window):
    window = trained_window
    long_run(window)
    trainer = window.training.trainer
    window.training.start()
    wait_steps(qtbot, trainer.current, 2)
    trainer.pause()
    with qtbot.waitSignal(trainer.prediction, timeout=RUN_TIMEOUT_MS):
        assert trainer.predict(np.zeros((1, 2), np.float32))
    assert trainer._control.blocked  # it answered on the GUI thread only once blocked
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()


def test_a_dataset_file_that_does_not_load_is_a_problem_before_train(
    qtbot, trained_window, tmp_path
):
    window = trained_window
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,label\n1,2,x\n3\n", encoding="utf-8")
    panel = window.training.dataset_panel
    section = dict(window.controller.document.dataset)
    section.update({"source": "csv", "path": str(bad), "options": {}, "name": ""})
    with qtbot.waitSignal(panel.load_failed, timeout=RUN_TIMEOUT_MS):
        panel.dataset_edited.emit(section)
    assert any("cannot be loaded" in r for r in window.problems.row_texts())
    assert not window.training.start()  # refused, no failed run in the list
    assert window.training.trainer.runs == []


def test_pausing_brings_the_insight_views_up_to_the_step_reached(qtbot, trained_window):
    window = trained_window
    long_run(window)
    trainer = window.training.trainer
    window.training.start()
    run = trainer.current
    wait_steps(qtbot, run, 20)
    snapshots = []
    trainer.insight.connect(lambda r, snap: snapshots.append(snap))
    trainer.pause()
    assert trainer._control.wait_paused(30)
    qtbot.waitUntil(lambda: bool(snapshots) and snapshots[-1].step == run.last_step)
    boundary = snapshots[-1].boundary
    assert boundary is not None and boundary.probs.shape[-1] == 2
    with qtbot.waitSignal(trainer.finished, timeout=RUN_TIMEOUT_MS):
        trainer.stop()
