"""Is the window responsive while it trains? Ticks of a 10 ms timer and plot refreshes.

    python benchmarks/bench_training_gui.py [--seconds S] [--example FILE] [--size WxH]

The digits CNN example (``resources/examples/cnn_digits.ember.json``) is opened in a real
:class:`app.main_window.MainWindow` (offscreen, shown, the Metrics dock raised so the plots
repaint) and trained from the Train action for ``--seconds`` seconds of wall time, on the
worker thread as a user's run. Meanwhile a 10 ms QTimer on the GUI thread records when it
fires. Reported:

- the longest gap between two ticks (target <= 50 ms) and the 99th percentile;
- the plot refresh rate: ``MetricsPlots.refreshed`` per second while steps arrive (target
  >= 20 Hz; the controller batches at most 25 per second);
- training speed in the window vs headless (``core.train.document_trainer``, same
  document, same number of steps) as a ratio: what the GUI costs the run.

Nothing here pumps ``processEvents``: the app's own event loop runs (QEventLoop.exec).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from benchmarks.bench_app import isolate_settings  # noqa: E402

EXAMPLE = ROOT / "resources" / "examples" / "cnn_digits.ember.json"
TICK_MS = 10
GAP_TARGET_MS = 50.0
REFRESH_TARGET_HZ = 20.0


def run_window(example: Path, seconds: float, size: tuple[int, int]) -> dict:
    """Train ``example`` in a window for ``seconds``; the tick gaps and refresh counts."""
    from app.main_window import MainWindow

    window = MainWindow(restore_window=False)
    window.resize(*size)
    window.show()
    window.open_path(example, ask=False)
    panel = window.training.dataset_panel
    if panel.data is None:  # as a user would: the Data panel has loaded the data first
        waiting = QEventLoop()
        panel.data_loaded.connect(waiting.quit)
        panel.load_failed.connect(waiting.quit)
        QTimer.singleShot(60_000, waiting.quit)
        waiting.exec()
    window.controller.update_settings("training", {"epochs": 1000})
    window.training.metrics_dock.show()
    window.training.metrics_dock.raise_()
    plots = window.training.plots
    trainer = window.training.trainer

    loop = QEventLoop()
    clock = QElapsedTimer()
    ticks: list[int] = []
    refreshes: list[int] = []
    plots.refreshed.connect(lambda: refreshes.append(clock.elapsed()))
    tick = QTimer()
    tick.setTimerType(Qt.TimerType.PreciseTimer)
    tick.setInterval(TICK_MS)
    tick.timeout.connect(lambda: ticks.append(clock.elapsed()))
    first_step: list[int] = []

    def on_updated(run) -> None:
        if not first_step:
            first_step.append(clock.elapsed())

    trainer.updated.connect(on_updated)

    def finish() -> None:
        trainer.stop()

    trainer.finished.connect(lambda run: loop.quit())
    trainer.failed.connect(lambda run, err: (print("failed:", err), loop.quit()))
    clock.start()
    tick.start()
    window.action("train_start").trigger()
    if trainer.state == "idle":
        raise SystemExit(f"training did not start: {window.statusBar().currentMessage()}")
    QTimer.singleShot(int(seconds * 1000), finish)
    loop.exec()
    tick.stop()
    run = trainer.current
    steps = len(run.series("loss"))
    start = first_step[0] if first_step else 0
    during = [t for t in ticks if t >= start]
    gaps = [b - a for a, b in zip(during, during[1:])]
    window_refreshes = [t for t in refreshes if t >= start]
    span_s = max(1e-9, (ticks[-1] - start) / 1000)
    elapsed = run.series("loss").x  # steps
    window.ask_save_changes = lambda: "discard"
    window.close()
    return {
        "steps": steps,
        "train_s": span_s,
        "gaps": gaps,
        "refresh_hz": len(window_refreshes) / span_s,
        "steps_per_s": steps / span_s if len(elapsed) else 0.0,
    }


def headless_steps_per_s(example: Path, steps: int) -> float:
    """Steps per second of the same document trained headless for ``steps`` steps."""
    from core.model import serialize
    from core.train import Callback, TrainControl, document_trainer

    doc = serialize.load(example)
    control = TrainControl()

    class StopAt(Callback):
        def on_step(self, report) -> None:
            if report.step >= steps:
                control.stop()

    trainer = document_trainer(doc, callbacks=[StopAt()], control=control)
    t0 = time.perf_counter()
    result = trainer.run(1000)
    return result.steps / (time.perf_counter() - t0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="training time to watch")
    parser.add_argument("--example", type=Path, default=EXAMPLE, help="project to train")
    parser.add_argument("--size", default="1440x900", help="window size WxH")
    args = parser.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    isolate_settings()
    app = QApplication.instance() or QApplication([])
    from widgets import theme

    theme.apply_theme(app, "light")
    result = run_window(args.example, args.seconds, (w, h))
    gaps = sorted(result["gaps"])
    longest = gaps[-1] if gaps else float("nan")
    p99 = gaps[int(0.99 * (len(gaps) - 1))] if gaps else float("nan")
    headless = headless_steps_per_s(args.example, max(50, result["steps"]))
    print(
        f"{args.example.name}: {result['steps']} steps in {result['train_s']:.1f} s, window "
        f"{args.size}, {os.cpu_count()} CPUs"
    )
    print(
        f"  timer ticks: {len(gaps) + 1}, median gap {statistics.median(gaps):.1f} ms, "
        f"p99 {p99:.1f} ms, longest {longest:.1f} ms "
        f"(target <= {GAP_TARGET_MS:.0f} ms: {longest / GAP_TARGET_MS:.2f}x); "
        f"{sum(g > GAP_TARGET_MS for g in gaps)} gaps over {GAP_TARGET_MS:.0f} ms"
    )
    print(
        f"  plot refresh: {result['refresh_hz']:.1f} Hz "
        f"(target >= {REFRESH_TARGET_HZ:.0f} Hz: {result['refresh_hz'] / REFRESH_TARGET_HZ:.2f}x)"
    )
    print(
        f"  training speed: window {result['steps_per_s']:.1f} steps/s, headless "
        f"{headless:.1f} steps/s (ratio {result['steps_per_s'] / headless:.2f})"
    )


if __name__ == "__main__":
    main()
