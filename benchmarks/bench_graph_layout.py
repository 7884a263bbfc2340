"""The recorded computation graph view at 500 to 4,000 ops: layout and scene build times.

    python benchmarks/bench_graph_layout.py [--repeats N] [--sizes 500,1000,2000,4000]
                                            [--libraries]

Target: a 2,000-op graph lays out in under 1 s (and its scene builds in well under 1 s).

Real recordings: a document is built (core.model), one training step runs under
``core.graph.record(backward=True, timing=True)`` as the trainer records it (forward,
cross-entropy loss, backward), and the recording goes to ``GraphView.set_graph``. Two
model families, sized to the op counts asked for:

- "transformer": Embedding, a stack of TransformerEncoderLayer nodes (about 29 ops each,
  with residual adds and the Q/K/V fan-out), a Linear head: few, large boxes;
- "residual MLP": blocks of Linear, ReLU, LayerNorm nodes with an Add skip around them
  (one op per node): many small boxes, long skip edges.

Each is timed in three views: every box expanded (the layout's worst case), every box
collapsed (what a graph over 250 ops opens with), and expanded with the backward pass and
the parameters shown (about 2.5x the nodes). Times are the median of the repeats (after one
warm-up); "layout" is ``compound_layout``, "scene" building the QGraphicsItems.

``--libraries`` also times the crossing-minimisation candidates on the same level graphs
(each expanded box's inner graph and the top-level graph, all boxes expanded): igraph's
``layout_sugiyama`` with our layering (what the view uses), igraph with its own layering,
and grandalf's SugiyamaLayout (pure Python; skipped when not installed).
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

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import core  # noqa: E402
import core.nn.functional as F  # noqa: E402
from core.graph import record  # noqa: E402
from core.model import Document, build  # noqa: E402
from widgets import graph_layout  # noqa: E402
from widgets.graph_view import GraphView  # noqa: E402

TARGET_S = 1.0
SIZES = (500, 1000, 2000, 4000)
VOCAB, T, E, BATCH = 50, 16, 32, 8


def _chain(doc: Document, src: str, kinds: list[tuple[str, dict]]) -> str:
    for kind, params in kinds:
        nid = doc.add_node(kind, params=params).id
        doc.connect(src, nid)
        src = nid
    return src


def transformer_document(layers: int) -> Document:
    """Input (T int64) -> Embedding -> ``layers`` encoder layers -> Linear -> Output."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [T], "dtype": "int64"}).id
    x = _chain(doc, x, [("Embedding", {"num_embeddings": VOCAB, "embedding_dim": E})])
    layer = ("TransformerEncoderLayer", {"nhead": 4, "dim_feedforward": 64})
    x = _chain(doc, x, [layer] * layers)
    _chain(doc, x, [("Linear", {"out_features": VOCAB}), ("Output", {})])
    return doc


def mlp_document(blocks: int) -> Document:
    """Input (E) -> ``blocks`` x [Linear, ReLU, LayerNorm, + skip] -> Linear -> Output."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [E]}).id
    for _ in range(blocks):
        y = _chain(doc, x, [("Linear", {"out_features": E}), ("ReLU", {}), ("LayerNorm", {})])
        add = doc.add_node("Add").id
        doc.connect(y, add, dst_port="in1")
        doc.connect(x, add, dst_port="in2")
        x = add
    _chain(doc, x, [("Linear", {"out_features": 10}), ("Output", {})])
    return doc


def record_step(doc: Document):
    """One training step of ``doc``'s model on random data, recorded as the trainer does:
    (recorder, node_of, node names, node kinds)."""
    model = build(doc)
    rng = np.random.default_rng(0)
    (nid,) = model.input_ids
    shape = model.input_shapes[nid]
    if model.input_dtypes[nid].startswith("int"):
        x = core.tensor(rng.integers(0, VOCAB, size=(BATCH, *shape)))
        y = core.tensor(rng.integers(0, VOCAB, size=(BATCH * shape[0],)))
    else:
        x = core.tensor(rng.standard_normal((BATCH, *shape)).astype(np.float32))
        y = core.tensor(rng.integers(0, 10, size=(BATCH,)))
    with record(backward=True, timing=True) as rec:
        out = model(x)
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y)
        loss.backward()
    node_of = {n.scope: model.node_of_scope(n.scope) for n in rec.nodes}
    kinds = {i: n.kind for i, n in doc.nodes.items()}
    return rec, node_of, model.node_names, kinds


def sized(family: str, ops: int):
    """A recording of ``family`` with about ``ops`` forward ops."""
    if family == "transformer":  # 27 ops per encoder layer, 4 around them
        return record_step(transformer_document(max(1, round((ops - 4) / 27))))
    return record_step(mlp_document(max(1, round((ops - 3) / 4))))  # 4 per block, 3 around


def time_view(view: GraphView, recording, repeats: int, expanded: bool, everything: bool):
    """Median layout and scene seconds of ``set_graph`` with every box expanded (or
    collapsed), with or without the backward pass and parameters."""
    view.set_show_backward(everything)
    view.set_show_parameters(everything)
    view.set_graph(*recording)
    view.set_all_expanded(expanded)  # kept by node id for the next set_graph calls
    layout, scene = [], []
    for k in range(repeats + 1):
        view.set_graph(*recording)
        if k:  # the first is a warm-up
            layout.append(view.timings["layout"])
            scene.append(view.timings["scene"])
    return statistics.median(layout), statistics.median(scene)


def level_graphs(view: GraphView) -> list[tuple[int, list, list[int]]]:
    """The (n, edges, layers) that the view's last build handed to the orderer."""
    seen = []
    original = graph_layout._crossing_order

    def spy(n, pairs, layer):
        seen.append((n, list(pairs), list(layer)))
        return original(n, pairs, layer)

    graph_layout._crossing_order = spy
    try:
        view._rebuild()
    finally:
        graph_layout._crossing_order = original
    return seen


def compare_libraries(graphs: list) -> dict[str, float | None]:
    """Seconds each candidate takes to order every level graph once."""
    import igraph

    def ours(n, pairs, layer):
        igraph.Graph(n=n, edges=pairs, directed=True).layout_sugiyama(layers=layer)

    def own_layers(n, pairs, layer):
        igraph.Graph(n=n, edges=pairs, directed=True).layout_sugiyama()

    candidates = {"igraph, our layers": ours, "igraph, its layers": own_layers}
    try:
        from grandalf.graphs import Edge, Graph, Vertex
        from grandalf.layouts import SugiyamaLayout

        class _View:
            w, h = 100.0, 24.0

        def grandalf(n, pairs, layer):
            vs = [Vertex(i) for i in range(n)]
            for v in vs:
                v.view = _View()
            g = Graph(vs, [Edge(vs[a], vs[b]) for a, b in pairs])
            for component in g.C:
                sug = SugiyamaLayout(component)
                sug.init_all()
                sug.draw(2)

        candidates["grandalf"] = grandalf
    except ImportError:
        candidates["grandalf"] = None
    out = {}
    for name, fn in candidates.items():
        if fn is None:
            out[name] = None
            continue
        t0 = time.perf_counter()
        for n, pairs, layer in graphs:
            fn(n, pairs, layer)
        out[name] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--libraries", action="store_true", help="compare layout libraries")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    app = QApplication.instance() or QApplication([])
    view = GraphView()
    view.resize(1400, 800)
    view.show()
    app.processEvents()
    states = {"expanded": (True, False), "collapsed": (False, False), "+bw+params": (True, True)}
    print(
        f"GraphView.set_graph, median of {args.repeats} (target: layout < {TARGET_S:.0f} s "
        "at 2,000 ops)"
    )
    print("s: seconds; ratio: layout time / 1 s target")
    header = f"{'model':<13}{'ops':>6}{'view':>12}{'laid out':>10}{'layout s':>10}"
    print(header + f"{'scene s':>9}{'ratio':>7}")
    recordings = {}
    for family in ("transformer", "residual MLP"):
        for size in sizes:
            recording = sized(family, size)
            recordings[(family, size)] = recording
            rec = recording[0]
            for state, (expanded, everything) in states.items():
                lay, scene = time_view(view, recording, args.repeats, expanded, everything)
                shown = len(view.op_items) + len(
                    [g for g in view.group_items.values() if g.collapsed]
                )
                mark = "" if lay < TARGET_S else "  SLOW"
                print(
                    f"{family:<13}{len(rec.ops):>6}{state:>12}{shown:>10}{lay:>10.3f}"
                    f"{scene:>9.3f}{lay / TARGET_S:>7.2f}{mark}",
                    flush=True,
                )
    if args.libraries:
        print(
            "\ncrossing minimisation alone, every box expanded, on the level graphs of "
            "the layout (seconds, one run)"
        )
        for family in ("transformer", "residual MLP"):
            size = 2000 if 2000 in sizes else sizes[-1]
            recording = recordings[(family, size)]
            rec = recording[0]
            for state in ("expanded", "+bw+params"):
                time_view(view, recording, 1, *states[state])
                graphs = level_graphs(view)
                times = compare_libraries(graphs)
                cells = "  ".join(
                    f"{k}: {'n/a' if v is None else f'{v:.3f}'}" for k, v in times.items()
                )
                print(
                    f"{family:<13}{len(rec.ops):>6} {state:<11} {len(graphs):>4} graphs  {cells}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
