"""Shape inference over 500-node documents (the GUI reruns it on every edit).

    python benchmarks/bench_inference.py [--repeats N]

Target: ``infer`` over a 500-node document in under 50 ms. Two realistic documents:

- "residual CNN": a stem, then a long chain of Conv2d/BatchNorm2d/ReLU blocks with a
  residual Add around each pair of convolutions, then a Flatten/Linear head;
- "concat MLP": stages of four parallel Linear/ReLU branches joined by a Concat and a
  Linear that narrows them again (merge-heavy: many multi-input nodes).

``summary_text`` (given the inference) and ``build`` (infer, then construct every module
and initialise its weights) are timed too, for reference. Uses only core (no torch).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.model import Document  # noqa: E402
from core.model.build import build  # noqa: E402
from core.model.inference import infer  # noqa: E402
from core.model.summary import summary_text  # noqa: E402

TARGET_MS = 50.0
NODES = 500


def residual_cnn(n_nodes: int = NODES, channels: int = 16) -> Document:
    """Input -> stem conv -> blocks [conv-bn-relu-conv-bn-add-relu] -> flatten -> linear."""
    doc = Document()
    doc.add_node("Input", id="image", params={"shape": [3, 32, 32]}, name="Image")
    x = _chain(
        doc,
        "image",
        ("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1}),
        ("BatchNorm2d", {}),
        ("ReLU", {}),
    )
    head = 4  # pool, flatten, linear, output
    while len(doc) + 7 + head <= n_nodes:
        y = _chain(
            doc,
            x,
            ("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1}),
            ("BatchNorm2d", {}),
            ("ReLU", {}),
            ("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1}),
            ("BatchNorm2d", {}),
        )
        add = doc.add_node("Add").id
        doc.connect(y, add, dst_port="in1")
        doc.connect(x, add, dst_port="in2")
        x = _chain(doc, add, ("ReLU", {}))
    x = _chain(
        doc,
        x,
        ("MaxPool2d", {"kernel_size": 4}),
        ("Flatten", {}),
        ("Linear", {"out_features": 10}),
    )
    _pad_and_finish(doc, x, n_nodes)
    return doc


def concat_mlp(n_nodes: int = NODES, width: int = 64, branches: int = 4) -> Document:
    """Input -> stages [branches x (Linear, ReLU) -> Concat -> Linear] -> Output."""
    doc = Document()
    doc.add_node("Input", id="features", params={"shape": [width]}, name="Features")
    x = "features"
    per_stage = 2 * branches + 2
    while len(doc) + per_stage + 1 <= n_nodes:
        cat = doc.add_node("Concat", params={"inputs": branches}).id
        for b in range(branches):
            y = _chain(doc, x, ("Linear", {"out_features": width // 2}), ("ReLU", {}))
            doc.connect(y, cat, dst_port=f"in{b + 1}")
        x = _chain(doc, cat, ("Linear", {"out_features": width}))
    _pad_and_finish(doc, x, n_nodes)
    return doc


def _chain(doc: Document, src: str, *layers: tuple[str, dict]) -> str:
    for kind, params in layers:
        nid = doc.add_node(kind, params=params).id
        doc.connect(src, nid)
        src = nid
    return src


def _pad_and_finish(doc: Document, x: str, n_nodes: int) -> None:
    """ReLUs up to exactly ``n_nodes`` with the Output."""
    while len(doc) < n_nodes - 1:
        x = _chain(doc, x, ("ReLU", {}))
    out = doc.add_node("Output", id="out").id
    doc.connect(x, out)


def _median_ms(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50, help="timed runs of infer")
    args = parser.parse_args()

    header = (
        f"{'document':<14} {'nodes':>5} {'edges':>5} {'infer ms':>9} {'vs 50 ms':>9} "
        f"{'summary ms':>10} {'build ms':>9} {'params':>10}"
    )
    print(f"shape inference, median of {args.repeats} runs (target: infer < {TARGET_MS:g} ms)")
    print(header)
    print("-" * len(header))
    worst = 0.0
    for name, make in (("residual CNN", residual_cnn), ("concat MLP", concat_mlp)):
        doc = make()
        result = infer(doc)
        if not result.ok:
            raise SystemExit(f"{name}: the benchmark document has errors: {result.errors[:3]}")
        t_infer = _median_ms(lambda doc=doc: infer(doc), args.repeats)
        t_summary = _median_ms(
            lambda doc=doc, result=result: summary_text(doc, result), max(args.repeats // 5, 3)
        )
        t_build = _median_ms(lambda doc=doc: build(doc), 3, warmup=1)
        worst = max(worst, t_infer)
        print(
            f"{name:<14} {len(doc):>5} {len(doc.edges):>5} {t_infer:>9.2f} "
            f"{t_infer / TARGET_MS:>8.2f}x {t_summary:>10.2f} {t_build:>9.1f} "
            f"{result.total_params:>10,}"
        )
    verdict = "meets" if worst < TARGET_MS else "MISSES"
    print(f"slowest infer: {worst:.2f} ms = {worst / TARGET_MS:.2f}x the target ({verdict} it)")


if __name__ == "__main__":
    main()
