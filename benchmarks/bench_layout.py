"""Auto-layout of 300-node documents (the canvas's "Auto-layout" runs it on the GUI thread).

    python benchmarks/bench_layout.py [--repeats N] [--nodes N]

Target: ``layered_layout`` over a 300-node document in under 20 ms. Three documents:

- "residual/concat": a stem, then residual blocks (five layers with an Add skip around them)
  and Concat stages of three parallel branches, then a head: the realistic case;
- "random DAG": every node after the first few takes one or two inputs from anywhere
  earlier (seeded), so long edges and crossings abound: the hard case;
- "forest": 60 unconnected 5-node chains (component stacking).

Also reports the wire crossings left (counted on the layered graph, long edges included).
Uses only core.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.model import Document  # noqa: E402
from core.model.layout import layered_layout  # noqa: E402

TARGET_MS = 20.0


def _chain(doc: Document, src: str, kinds: list[str]) -> str:
    for kind in kinds:
        nid = doc.add_node(kind).id
        doc.connect(src, nid)
        src = nid
    return src


def residual_document(n_nodes: int = 300) -> Document:
    """Input -> [residual block, residual block, concat stage]* -> ReLU chain -> Output."""
    doc = Document()
    x = _chain(doc, doc.add_node("Input").id, ["Conv2d", "BatchNorm2d", "ReLU"])
    stage = 0
    while len(doc) + 11 + 2 <= n_nodes:
        if stage % 3 < 2:
            y = _chain(doc, x, ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d"])
            add = doc.add_node("Add").id
            doc.connect(y, add, dst_port="in1")
            doc.connect(x, add, dst_port="in2")
            x = _chain(doc, add, ["ReLU"])
        else:
            ends = [_chain(doc, x, ["Conv2d", "ReLU"]) for _ in range(3)]
            cat = doc.add_node("Concat", params={"inputs": 3}).id
            for i, src in enumerate(ends):
                doc.connect(src, cat, dst_port=f"in{i + 1}")
            x = _chain(doc, cat, ["Conv2d"])
        stage += 1
    while len(doc) < n_nodes - 1:
        x = _chain(doc, x, ["ReLU"])
    _chain(doc, x, ["Output"])
    return doc


def random_document(n_nodes: int = 300, seed: int = 0) -> Document:
    """A seeded random DAG of Linear (one input) and Add (two inputs) nodes."""
    rng = random.Random(seed)
    doc = Document()
    ids = [doc.add_node("Input").id for _ in range(3)]
    while len(doc) < n_nodes:
        if rng.random() < 0.35:
            a, b = rng.sample(ids, 2)
            nid = doc.add_node("Add").id
            doc.connect(a, nid, dst_port="in1")
            doc.connect(b, nid, dst_port="in2")
        else:
            nid = doc.add_node("Linear").id
            doc.connect(ids[max(0, len(ids) - 1 - int(rng.expovariate(0.15)))], nid)
        ids.append(nid)
    return doc


def forest_document(n_nodes: int = 300) -> Document:
    """Unconnected 5-node chains."""
    doc = Document()
    while len(doc) + 5 <= n_nodes:
        _chain(doc, doc.add_node("Input").id, ["Linear", "ReLU", "Linear", "Output"])
    return doc


def crossings(doc: Document, positions: dict[str, tuple[float, float]]) -> int:
    """Crossing pairs of straight wires, each wire split at every layer it passes."""
    segments = []
    for e in doc.edges:
        (x0, y0), (x1, y1) = positions[e.src], positions[e.dst]
        segments.append((x0, y0, x1, y1))

    def y_at(seg, x):
        x0, y0, x1, y1 = seg
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    xs = sorted({p[0] for p in positions.values()})
    count = 0
    for left, right in zip(xs, xs[1:]):
        here = [s for s in segments if s[0] <= left and s[2] >= right]
        ends = [(y_at(s, left), y_at(s, right)) for s in here]
        for i in range(len(ends)):
            for j in range(i + 1, len(ends)):
                (a0, a1), (b0, b1) = ends[i], ends[j]
                if (a0 - b0) * (a1 - b1) < 0:
                    count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--nodes", type=int, default=300)
    args = parser.parse_args()
    docs = {
        "residual/concat": residual_document(args.nodes),
        "random DAG": random_document(args.nodes),
        "forest": forest_document(args.nodes),
    }
    print(f"layered_layout, {args.nodes} nodes (target < {TARGET_MS:.0f} ms)")
    print("ms: median and best of the repeats (best: least disturbed by other processes)")
    print(f"{'document':<18}{'nodes':>7}{'edges':>7}{'median':>9}{'best':>8}{'crossings':>11}")
    for name, doc in docs.items():
        for _ in range(3):
            layered_layout(doc)
        samples = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            layered_layout(doc)
            samples.append((time.perf_counter() - t0) * 1e3)
        ms, best = statistics.median(samples), min(samples)
        positions = layered_layout(doc)
        mark = "" if ms < TARGET_MS else "  SLOW"
        print(
            f"{name:<18}{len(doc):>7}{len(doc.edges):>7}{ms:>9.2f}{best:>8.2f}"
            f"{crossings(doc, positions):>11}{mark}"
        )


if __name__ == "__main__":
    main()
