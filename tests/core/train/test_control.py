"""TrainControl: pause, resume and stop from another thread, honoured between steps.

Synchronised with threading.Event handshakes: no sleeps, no polling.
"""

from __future__ import annotations

import threading

import pytest

from core.train import Callback, TrainControl, train_document

from .conftest import mlp_document

TIMEOUT = 30  # seconds; only reached if the trainer hangs


class Gate(Callback):
    """At step ``at``, signal ``reached`` and wait for ``go`` (the other thread's turn)."""

    def __init__(self, at: int) -> None:
        self.at = at
        self.reached = threading.Event()
        self.go = threading.Event()
        self.steps: list[int] = []

    def on_step(self, report):
        self.steps.append(report.step)
        if report.step == self.at:
            self.reached.set()
            assert self.go.wait(TIMEOUT), "the test thread never answered"


def run_in_thread(doc, control, callbacks):
    out: dict = {}

    def target():
        try:
            out["result"] = train_document(doc, control=control, callbacks=callbacks)
        except BaseException as e:  # handed to the test thread
            out["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, out


def test_stop_from_another_thread_ends_the_run_after_the_current_step():
    doc = mlp_document(training={"epochs": 50})
    control = TrainControl()
    gate = Gate(at=5)
    thread, out = run_in_thread(doc, control, [gate])
    assert gate.reached.wait(TIMEOUT)
    control.stop()  # while step 5's callback runs
    gate.go.set()
    thread.join(TIMEOUT)
    assert not thread.is_alive() and "error" not in out
    result = out["result"]
    assert result.stopped and result.steps == 5 and gate.steps[-1] == 5


def test_pause_blocks_between_steps_until_resume():
    doc = mlp_document(training={"epochs": 3})  # 18 steps
    control = TrainControl()
    gate = Gate(at=3)
    thread, out = run_in_thread(doc, control, [gate])
    assert gate.reached.wait(TIMEOUT)
    control.pause()
    gate.go.set()
    assert control.wait_paused(TIMEOUT)  # the trainer is blocked, after step 3
    assert control.blocked and gate.steps == [1, 2, 3]
    assert thread.is_alive()
    control.resume()
    thread.join(TIMEOUT)
    assert not thread.is_alive() and "error" not in out
    result = out["result"]
    assert not result.stopped and result.steps == 18 and gate.steps == list(range(1, 19))


def test_stop_while_paused_wakes_the_trainer_and_stops():
    doc = mlp_document(training={"epochs": 3})
    control = TrainControl()
    gate = Gate(at=2)
    thread, out = run_in_thread(doc, control, [gate])
    assert gate.reached.wait(TIMEOUT)
    control.pause()
    gate.go.set()
    assert control.wait_paused(TIMEOUT)
    control.stop()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    assert out["result"].stopped and out["result"].steps == 2
    assert not control.blocked


def test_a_control_stopped_before_the_start_runs_no_step_and_reset_clears_it():
    control = TrainControl()
    control.stop()
    control.pause()  # ignored once stopped
    assert control.stopped and not control.paused
    result = train_document(mlp_document(), control=control)
    assert result.stopped and result.steps == 0 and result.history == []
    control.reset()
    assert not control.stopped
    assert train_document(mlp_document(), control=control).steps == 12


@pytest.mark.parametrize("method", ["pause", "resume", "stop"])
def test_requests_from_many_threads_do_not_break_the_control(method):
    control = TrainControl()
    threads = [threading.Thread(target=getattr(control, method)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    assert control.stopped == (method == "stop")
    assert control.paused == (method == "pause")
    if method != "pause":  # (a paused checkpoint() would block this thread)
        assert control.checkpoint() == (method == "stop")
