"""The node canvas at 300 nodes: how long an edit takes to show.

    python benchmarks/bench_canvas.py [--repeats N] [--nodes N]

Target: each edit reflected in under 50 ms. The document is a realistic mix: residual
blocks (Conv2d/BatchNorm2d/ReLU with an Add skip around them) and Concat stages of
parallel branches, laid out left to right, shown in a CanvasScene + CanvasView (offscreen,
1600x1000, zoomed to fit: every node on screen).

Each edit is timed as the app does it, without the app: the document method (the undo
command's work), then ``infer`` and ``scene.set_inference`` (the controller's debounced
re-inference), then, in the last column, a synchronous repaint of the viewport:

1. add one node;
2. connect one edge;
3. move one node, and a 10-node selection (one ``move_nodes``, as one drag's undo step);
4. full re-inference: ``infer(doc)`` + ``scene.set_inference``.

Also timed, for reference: one mouse-move step of dragging a 10-node selection (the
items and their wires follow the cursor before the document hears of it).
Imports widgets and core only (no app/).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from core.model import Document  # noqa: E402
from core.model.inference import infer  # noqa: E402
from widgets.canvas import CanvasScene, CanvasView  # noqa: E402

TARGET_MS = 50.0
NODES = 300
X_GAP, Y_GAP = 200.0, 120.0
BAND_COLUMNS, BAND_ROWS = 24, 4


class _Builder:
    """Adds nodes left to right (``column`` advances along the main path); the model wraps
    into bands of BAND_COLUMNS columns, like lines of text, so that it fits a screen."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.column = 0
        self.band = 0

    def add(self, kind: str, row: int = 0, **params) -> str:
        pos = (self.column * X_GAP, (self.band * BAND_ROWS + row) * Y_GAP)
        return self.doc.add_node(kind, params=params, position=pos).id

    def wrap(self) -> None:
        if self.column >= BAND_COLUMNS:
            self.column = 0
            self.band += 1

    def chain(self, src: str, *layers: tuple[str, dict], row: int = 0) -> str:
        for kind, params in layers:
            self.column += 1
            nid = self.add(kind, row, **params)
            self.doc.connect(src, nid)
            src = nid
        return src


def mixed_document(n_nodes: int = NODES, channels: int = 8) -> Document:
    """Input -> stem -> [residual block, residual block, concat stage]* -> head -> Output."""
    doc = Document()
    b = _Builder(doc)
    x = b.add("Input", shape=[3, 16, 16])
    conv = ("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1})
    x = b.chain(x, conv, ("BatchNorm2d", {}), ("ReLU", {}))
    stage = 0
    head = 5  # pool, flatten, linear, relu, output
    while len(doc) + 11 + head <= n_nodes:
        if stage % 3 < 2:  # residual block: 5 layers on the row below, an Add back on top
            start = b.column
            y = b.chain(
                x, conv, ("BatchNorm2d", {}), ("ReLU", {}), conv, ("BatchNorm2d", {}), row=1
            )
            b.column += 1
            add = b.add("Add")
            doc.connect(y, add, dst_port="in1")
            doc.connect(x, add, dst_port="in2")
            x = b.chain(add, ("ReLU", {}))
            assert b.column > start
        else:  # concat stage: three 1x1 conv branches on three rows, concatenated
            start = b.column
            cat_inputs = []
            for row in range(3):
                b.column = start
                branch = ("Conv2d", {"out_channels": channels // 2, "kernel_size": 1})
                cat_inputs.append(b.chain(x, branch, ("ReLU", {}), row=row - 1))
            b.column += 1
            cat = b.add("Concat", inputs=3)
            for i, src in enumerate(cat_inputs):
                doc.connect(src, cat, dst_port=f"in{i + 1}")
            x = b.chain(cat, ("Conv2d", {"out_channels": channels, "kernel_size": 1}))
        stage += 1
        b.wrap()
    x = b.chain(x, ("MaxPool2d", {"kernel_size": 4}), ("Flatten", {}))
    x = b.chain(x, ("Linear", {"out_features": 32}))
    while len(doc) < n_nodes - 1:
        x = b.chain(x, ("ReLU", {}))
    out = b.chain(x, ("Output", {}))
    assert out and len(doc) == n_nodes
    return doc


def timed(repeats: int, setup, run, teardown=None, warmup: int = 2) -> float:
    """Median ms of ``run(state)`` where ``state = setup()``; setup/teardown untimed."""
    samples = []
    for i in range(warmup + repeats):
        state = setup()
        t0 = time.perf_counter()
        run(state)
        elapsed = time.perf_counter() - t0
        if teardown is not None:
            teardown(state)
        if i >= warmup:
            samples.append(elapsed * 1e3)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each edit")
    parser.add_argument("--nodes", type=int, default=NODES)
    args = parser.parse_args()

    app = QApplication.instance() or QApplication([])
    doc = mixed_document(args.nodes)
    result = infer(doc)
    if not result.ok:
        raise SystemExit(f"the benchmark document has errors: {result.errors[:3]}")
    scene = CanvasScene()
    scene.set_document(doc)
    view = CanvasView(scene)
    view.resize(1600, 1000)
    view.show()
    if not QTest.qWaitForWindowExposed(view):
        raise SystemExit("the offscreen view was never shown: nothing would be painted")
    scene.set_inference(result)

    def reinfer() -> None:
        scene.set_inference(infer(doc))

    def shown() -> None:
        # the event loop's turn after an edit: the scene hands its dirty items to the view,
        # which repaints what changed (here, not in product code, pumping it is the point)
        app.processEvents()
        app.processEvents()

    ids = list(doc.nodes)
    middle = ids[150 * len(ids) // NODES]
    feeder = doc.inputs_of(doc.output_nodes()[0].id)[0].src  # the last layer before Output
    spot = doc.node(middle).position
    sel10 = ids[ids.index(middle) - 5 : ids.index(middle) + 5]
    flip = {"dx": 20.0}

    def edits(paint: bool) -> list[tuple]:
        """(setup, run, teardown) of each edit; run includes the repaint when ``paint``."""

        def done() -> None:
            reinfer()
            if paint:
                shown()

        def add(state):
            state["id"] = doc.add_node("ReLU", position=(spot[0] + 60, spot[1] + 240)).id
            done()

        def remove(state):
            doc.remove_node(state["id"])
            reinfer()
            shown()

        def free_node():
            state = {"id": doc.add_node("Linear", position=(spot[0], spot[1] + 240)).id}
            reinfer()
            shown()
            return state

        def connect(state):
            doc.connect(feeder, state["id"])
            done()

        def moves(nodes):
            def setup():
                flip["dx"] = -flip["dx"]
                return {
                    n: (doc.node(n).position[0] + flip["dx"], doc.node(n).position[1])
                    for n in nodes
                }

            return setup

        def move(state):
            doc.move_nodes(state)
            done()

        return [
            (dict, add, remove),
            (free_node, connect, remove),
            (moves([middle]), move, None),
            (moves(sel10), move, None),
            (dict, lambda s: done(), None),
        ]

    def measure(paint: bool) -> list[float]:
        return [timed(args.repeats, *edit) for edit in edits(paint)]

    def full_repaint() -> float:
        return timed(args.repeats, dict, lambda s: view.viewport().repaint())

    def on_screen() -> int:
        visible = view.mapToScene(view.viewport().rect()).boundingRect()
        return sum(visible.intersects(i.sceneBoundingRect()) for i in scene.node_items())

    view.zoom_fit()
    shown()
    measure(False)  # warm-up round: caches, allocator, first paints
    bare = measure(False)
    fit_zoom, fit_count = view.zoom(), on_screen()
    at_fit = measure(True)
    repaint_fit = full_repaint()
    view.reset_zoom()
    view.centerOn(scene.item_for_node(middle).sceneBoundingRect().center())
    shown()
    count_100 = on_screen()
    at_100 = measure(True)
    repaint_100 = full_repaint()
    t_drag = drag_step_time(app, view, scene, sel10, args.repeats, shown)
    t_wire = wire_start_time(view, scene, middle, args.repeats, shown)
    view.zoom_fit()
    t_wire_fit = wire_start_time(view, scene, middle, args.repeats, shown, center=False)

    print(
        f"canvas at {len(doc)} nodes / {len(doc.edges)} edges in a 1600x1000 offscreen view, "
        f"median of {args.repeats} runs (target: each edit reflected in < {TARGET_MS:g} ms)"
    )
    print(
        "scene: document method + infer + scene.set_inference; shown: and the repaint the "
        f"event loop then does, zoomed to fit ({fit_zoom:.2f}x, {fit_count} nodes on screen) "
        f"and at 100 % ({count_100} nodes on screen)"
    )
    names = (
        "add one node",
        "connect one edge",
        "move one node",
        "move 10 nodes",
        "re-infer + set_inference",
    )
    header = f"{'edit':<26} {'scene ms':>9} {'shown, fit':>11} {'shown, 100%':>12} {'vs 50 ms':>9}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for i, name in enumerate(names):
        slowest = max(bare[i], at_fit[i], at_100[i])
        worst = max(worst, slowest)
        print(
            f"{name:<26} {bare[i]:>9.2f} {at_fit[i]:>11.2f} {at_100[i]:>12.2f} "
            f"{slowest / TARGET_MS:>8.2f}x"
        )
    print("for reference:")
    print(
        f"{'full repaint (scroll/zoom)':<26} {'':>9} {repaint_fit:>11.2f} {repaint_100:>12.2f} "
        f"{max(repaint_fit, repaint_100) / TARGET_MS:>8.2f}x"
    )
    print(
        f"{'drag step, 10 nodes':<26} {'':>9} {'':>11} {t_drag:>12.2f} {t_drag / TARGET_MS:>8.2f}x"
    )
    wire = f"{t_wire_fit:>11.2f} {t_wire:>12.2f} {max(t_wire, t_wire_fit) / TARGET_MS:>8.2f}x"
    print(f"{'start a wire (tests ports)':<26} {'':>9} {wire}")
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"slowest edit: {worst:.2f} ms = {worst / TARGET_MS:.2f}x the target ({verdict} it)")
    scene.set_document(None)


def drag_step_time(app, view, scene, nodes, repeats, shown) -> float:
    """Median ms of one mouse-move step while dragging the selected ``nodes`` (items and
    their wires follow the cursor; the document hears of it only on release)."""
    scene.select_ids(nodes)
    item = scene.item_for_node(nodes[0])
    view.centerOn(item.sceneBoundingRect().center())
    shown()
    grab = item.scenePos() + QPointF(60, 30)
    before = item.scenePos()
    vp = view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, scene_pos, button, buttons):
        local = QPointF(view.mapFromScene(scene_pos))
        glob = QPointF(vp.mapToGlobal(local.toPoint()))
        event = QMouseEvent(kind, local, glob, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, event)

    send(QEvent.Type.MouseButtonPress, grab, left, left)
    step = {"i": 0}

    def drag_step(_):
        step["i"] += 1
        offset = QPointF(20.0 * (step["i"] % 2 + 1), 20.0)
        send(QEvent.Type.MouseMove, grab + offset, none, left)
        shown()

    elapsed = timed(repeats, dict, drag_step)
    if item.scenePos() == before:
        raise SystemExit("the drag did not move the selection: the benchmark is broken")
    send(QEvent.Type.MouseButtonRelease, grab, left, none)
    return elapsed


def wire_start_time(view, scene, node_id, repeats, shown, center=True) -> float:
    """Median ms of pressing on an output port: the ports on screen are tested (one
    ``Document.connection_checker`` per drag) and highlighted, the others right after, in
    the event loop's next turns (the release right there cancels, untimed)."""
    port = scene.item_for_node(node_id).outputs["out"]
    if center:
        view.centerOn(port.scenePos())
    shown()
    vp = view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind, button, buttons):
        local = QPointF(view.mapFromScene(port.scenePos()))
        glob = QPointF(vp.mapToGlobal(local.toPoint()))
        event = QMouseEvent(kind, local, glob, button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, event)

    def press(_):
        send(QEvent.Type.MouseButtonPress, left, left)
        shown()

    def release(_):
        if not scene.is_dragging_wire():
            raise SystemExit("the press did not start a wire: the benchmark is broken")
        send(QEvent.Type.MouseButtonRelease, left, none)
        shown()

    return timed(repeats, dict, press, release)


if __name__ == "__main__":
    main()
