"""The whole window at 300 nodes: how long an edit takes until every view shows it.

    python benchmarks/bench_app.py [--repeats N] [--nodes N] [--profile EDIT]

The document of ``bench_canvas.py`` (residual blocks and concat stages, 300 nodes) is
loaded in a real :class:`app.main_window.MainWindow` (offscreen, 1440x900, shown, zoomed
to fit, one node selected so that the Inspector shows it). Each edit goes through the
``DocumentController`` as the GUI makes it (one undo command), then the event loop runs
until the debounced re-inference has been emitted (``controller.inferred``) and once more
for the repaint it schedules (as ``bench_canvas.py`` waits for it):

add one node, connect one edge, move one node, move 10 nodes (one ``move_nodes``, a
drag's undo step), set a parameter (of the node the Inspector shows), auto-layout the
whole model, undo (of a 10-node move).

The time of each is split into stages (median of each stage over the repeats):

- edit: the controller call (document method + undo push; scene items follow the
  document's events synchronously);
- infer: ``core.model.inference.infer`` (the controller's debounced re-inference);
- scene / inspector / problems / summary: each view's ``set_inference``;
- loop: the rest of the event-loop turns (the window's other slots, the repaint of the
  canvas and the docks, Qt's layout requests).

Target: each edit reflected in under 50 ms. ``--profile EDIT`` runs cProfile over that
edit's repeats and prints the top functions. ``processEvents`` is pumped here on purpose:
it is the event loop turn the app itself would run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import app.controller as controller_module  # noqa: E402
from benchmarks.bench_canvas import NODES, TARGET_MS, mixed_document  # noqa: E402

STAGES = ("edit", "infer", "scene", "inspector", "problems", "summary", "loop")
VIEWS = ("scene", "inspector", "problems", "summary")
EDITS = (
    "add one node",
    "connect one edge",
    "move one node",
    "move 10 nodes",
    "set a parameter",
    "auto-layout",
    "undo (10-node move)",
)


class Stages:
    """Accumulates the time spent in wrapped callables during one edit."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}

    def wrap(self, name: str, fn):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                ms = (time.perf_counter() - t0) * 1e3
                self.current[name] = self.current.get(name, 0.0) + ms

        return timed


def isolate_settings() -> None:
    """Keep the benchmark's window out of the user's settings and recovery files."""
    QCoreApplication.setOrganizationName("Ember Studio Bench")
    QCoreApplication.setApplicationName("Ember Studio Bench")
    QStandardPaths.setTestModeEnabled(True)
    base = Path(tempfile.mkdtemp(prefix="ember-bench-"))
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(base))
    os.environ["XDG_DATA_HOME"] = str(base / "share")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")


def apply_prototypes(scene) -> None:
    """Monkeypatched prototypes of changes recommended outside the widgets (``--prototype``):

    1. ``core.model.document.parse_position`` builds its error text (reprlib) only for a
       bad position, not for every one (auto-layout parses 300 positions);
    2. ``CanvasScene`` re-routes each wire once per ``Document.move_nodes`` (at the
       document's ``changed``), not once per moved end (auto-layout: ~700 -> ~350).
    """
    import math
    from numbers import Real

    import core.model.document as document_module
    from widgets.canvas.scene import CanvasScene

    slow_parse = document_module.parse_position
    limit = document_module.MAX_COORDINATE

    def parse_position(position):
        if isinstance(position, tuple) and len(position) == 2:
            x, y = position
            if (
                isinstance(x, Real)
                and isinstance(y, Real)
                and not isinstance(x, bool)
                and not isinstance(y, bool)
            ):
                x, y = float(x), float(y)
                if math.isfinite(x) and math.isfinite(y) and max(abs(x), abs(y)) <= limit:
                    return (x, y), None
        return slow_parse(position)

    document_module.parse_position = parse_position
    controller_module.parse_position = parse_position

    moved_one = CanvasScene._on_node_moved
    item_moved = CanvasScene.node_item_moved

    def on_node_moved(self, node, old):
        self._batch_edges = getattr(self, "_batch_edges", None) or set()
        moved_one(self, node, old)

    def node_item_moved(self, item):
        batch = getattr(self, "_batch_edges", None)
        if batch is None:
            return item_moved(self, item)
        batch.update(self._edges_of.get(item.node_id, ()))
        self._grow(item.sceneBoundingRect())

    def flush(*_):
        batch, scene._batch_edges = getattr(scene, "_batch_edges", None), None
        for edge in batch or ():
            edge.adjust()

    CanvasScene._on_node_moved = on_node_moved
    CanvasScene.node_item_moved = node_item_moved
    scene.document.changed.connect(flush)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each edit")
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument("--profile", choices=EDITS, help="cProfile this edit's repeats")
    parser.add_argument("--top", type=int, default=30, help="rows of the profile")
    parser.add_argument(
        "--prototype", action="store_true", help="with the recommended core/scene changes"
    )
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    isolate_settings()
    from app.main_window import MainWindow  # after the settings are isolated
    from widgets import theme

    theme.apply_theme(app, "light")
    window = MainWindow(restore_window=False)
    window.ask_save_changes = lambda: "discard"
    window.resize(1440, 900)
    window.show()
    if not QTest.qWaitForWindowExposed(window):
        raise SystemExit("the offscreen window was never shown: nothing would be painted")
    c = window.controller
    doc = mixed_document(args.nodes)
    c.load_document(doc)
    window.show_editor()
    c.infer_now()
    if not c.inference.ok:
        raise SystemExit(f"the benchmark document has errors: {c.inference.errors[:3]}")
    window.view.zoom_fit()
    d = c.document
    if args.prototype:
        apply_prototypes(window.scene)

    stages = Stages()
    done = {"n": 0}
    c.inferred.connect(lambda *_: done.__setitem__("n", done["n"] + 1))
    controller_module.infer = stages.wrap("infer", controller_module.infer)
    for name in VIEWS:
        view = getattr(window, name)
        view.set_inference = stages.wrap(name, view.set_inference)

    def settle() -> None:
        """The event loop until the re-inference is out (when the edit asked for one: a
        move does not), then the repaint turn."""
        start = done["n"]
        for _ in range(100):
            app.processEvents()
            if done["n"] != start or not c._infer_timer.isActive():
                break
        else:
            raise SystemExit("the edit never re-inferred: the benchmark is broken")
        app.processEvents()
        app.processEvents()

    def drain() -> None:
        for _ in range(3):
            app.processEvents()

    ids = list(d.nodes)
    middle = ids[150 * len(ids) // NODES]
    feeder = d.inputs_of(d.output_nodes()[0].id)[0].src  # the last layer before Output
    linear = next(n.id for n in d if n.kind == "Linear")
    spot = d.node(middle).position
    sel10 = ids[ids.index(middle) - 5 : ids.index(middle) + 5]
    flip = {"dx": 20.0, "units": 32}

    def select(node_id: str) -> None:
        window.scene.select_ids([node_id])
        drain()

    def undo(_state=None) -> None:
        c.undo_stack.undo()
        settle()

    def moves(nodes):
        def setup():
            select(middle)
            flip["dx"] = -flip["dx"]
            return {n: (d.node(n).position[0] + flip["dx"], d.node(n).position[1]) for n in nodes}

        return setup

    def free_node():
        select(middle)
        nid = c.add_node("Linear", (spot[0], spot[1] + 240))
        settle()
        return {"id": nid}

    def connect_teardown(state) -> None:
        undo()
        undo()

    def param_setup():
        select(linear)
        flip["units"] = 33 if flip["units"] == 32 else 32
        return {"out_features": flip["units"]}

    def moved10():
        state = moves(sel10)()
        c.move_nodes(state)
        settle()
        return state

    # (setup, edit, teardown); the setup and teardown are not timed
    plans = {
        "add one node": (
            lambda: select(middle),
            lambda s: c.add_node("ReLU", (spot[0] + 60, spot[1] + 240)),
            undo,
        ),
        "connect one edge": (
            free_node,
            lambda s: c.connect(feeder, "out", s["id"], "in"),
            connect_teardown,
        ),
        "move one node": (moves([middle]), c.move_nodes, None),
        "move 10 nodes": (moves(sel10), c.move_nodes, None),
        "set a parameter": (param_setup, lambda s: c.set_params(linear, s), None),
        "auto-layout": (lambda: select(middle), lambda s: c.auto_layout(), undo),
        "undo (10-node move)": (moved10, lambda s: c.undo_stack.undo(), None),
    }

    def run_edit(name: str, repeats: int, warmup: int = 2, profiler=None):
        setup, edit, teardown = plans[name]
        totals, parts = [], {k: [] for k in STAGES}
        for i in range(warmup + repeats):
            state = setup()
            drain()
            stages.current = {}
            if profiler is not None and i >= warmup:
                profiler.enable()
            t0 = time.perf_counter()
            if edit(state) is False:
                raise SystemExit(f"{name}: the controller refused the edit")
            t1 = time.perf_counter()
            settle()
            t2 = time.perf_counter()
            if profiler is not None:
                profiler.disable()
            measured = dict(stages.current)
            if teardown is not None:
                teardown(state)
            if i < warmup:
                continue
            total = (t2 - t0) * 1e3
            totals.append(total)
            measured["edit"] = (t1 - t0) * 1e3
            in_loop = sum(measured.get(k, 0.0) for k in ("infer", *VIEWS))
            measured["loop"] = (t2 - t1) * 1e3 - in_loop
            for k in STAGES:
                parts[k].append(measured.get(k, 0.0))
        return statistics.median(totals), {k: statistics.median(v) for k, v in parts.items()}

    drain()
    if args.profile:
        run_edit(args.profile, 3)
        profiler = cProfile.Profile()
        run_edit(args.profile, args.repeats, warmup=0, profiler=profiler)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        return

    for name in EDITS:  # warm-up round: caches, allocator, first paints
        run_edit(name, 2, warmup=1)
    results = {name: run_edit(name, args.repeats) for name in EDITS}

    print(
        f"MainWindow at {len(d)} nodes / {len(d.edges)} edges, offscreen 1440x900, zoomed to "
        f"fit ({window.view.zoom():.2f}x), median of {args.repeats} runs; "
        f"target: each edit reflected in < {TARGET_MS:g} ms"
    )
    header = f"{'edit':<21}" + "".join(f"{k:>10}" for k in STAGES)
    header += f"{'total ms':>10}{'vs 50 ms':>10}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name in EDITS:
        total, parts = results[name]
        worst = max(worst, total)
        row = f"{name:<21}" + "".join(f"{parts[k]:>10.2f}" for k in STAGES)
        print(row + f"{total:>10.2f}{total / TARGET_MS:>9.2f}x")
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"slowest edit: {worst:.2f} ms = {worst / TARGET_MS:.2f}x the target ({verdict} it)")
    print("(stage columns are medians per stage, so they need not add up to the total)")
    window.close()


if __name__ == "__main__":
    main()
