"""Build the example projects (``*.ember.json`` beside this script) with the Document API.

The committed project files are this script's output, so they can be reproduced and
reviewed as code:

    python resources/examples/make_projects.py            # rewrite the project files
    python resources/examples/make_projects.py --out DIR  # write them into DIR instead
    python resources/examples/make_projects.py --check    # exit 1 if a file is stale

Nodes are laid out left to right (200 apart) on y = 0; side branches sit below.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parents[1]) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE.parents[1]))

from core.model import Document  # noqa: E402

SUFFIX = ".ember.json"
DX = 200.0  # horizontal spacing of the layout
BRANCH_DY = 120.0  # vertical offset of a side branch


class Layout:
    """Adds nodes left to right, each wired to the previous one unless told otherwise."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.column = 0
        self.last: str | None = None

    def add(
        self,
        kind: str,
        name: str,
        *,
        id: str,  # noqa: A002
        after: str | None = "previous",
        port: str = "in",
        dy: float = 0.0,
        **params: Any,
    ) -> str:
        """Add a node in the next column; wire ``after`` (default: the previous node) into
        its ``port``."""
        node = self.doc.add_node(
            kind, id=id, name=name, params=params, position=(self.column * DX, dy)
        )
        source = self.last if after == "previous" else after
        if source is not None:
            self.doc.connect(source, node.id, dst_port=port)
        self.column += 1
        self.last = node.id
        return node.id


def _settings(doc: Document, *, meta: dict, dataset: dict, training: dict) -> Document:
    doc.set_meta(meta)
    doc.set_dataset(dataset)
    doc.set_training(training)
    return doc


# -- the projects ------------------------------------------------------------------------
def mlp_spirals() -> Document:
    """A two-hidden-layer MLP separating two interleaved spirals."""
    doc = Document()
    g = Layout(doc)
    g.add("Input", "Point (x, y)", id="point", after=None, shape=[2])
    g.add("Linear", "Hidden 1", id="hidden1", out_features=64)
    g.add("ReLU", "ReLU 1", id="relu1")
    g.add("Linear", "Hidden 2", id="hidden2", out_features=64)
    g.add("ReLU", "ReLU 2", id="relu2")
    g.add("Linear", "Class scores", id="scores", out_features=2)
    g.add("Output", "Arm", id="arm")
    return _settings(
        doc,
        meta=dict(
            title="MLP on spirals",
            description=(
                "A multilayer perceptron learns to tell two interleaved spiral arms apart "
                "from a point's (x, y) coordinates: a boundary no straight line can draw."
            ),
            goal_metric="val_accuracy",
            goal=0.95,
            goal_mode="max",
        ),
        dataset=dict(
            source="builtin",
            name="spirals",
            options=dict(n_samples=600, noise=0.05, seed=0),
            validation_split=0.2,
        ),
        training=dict(optimizer="adam", lr=0.01, batch_size=32, epochs=30, seed=0),
    )


def cnn_digits() -> Document:
    """A small CNN on scikit-learn's 8x8 handwritten digits."""
    doc = Document()
    g = Layout(doc)
    g.add("Input", "Digit image", id="image", after=None, shape=[1, 8, 8])
    g.add("Conv2d", "Conv 3x3, 16", id="conv1", out_channels=16, kernel_size=3, padding=1)
    g.add("ReLU", "ReLU 1", id="relu1")
    g.add("MaxPool2d", "Pool 2x2", id="pool1", kernel_size=2)
    g.add("Conv2d", "Conv 3x3, 32", id="conv2", out_channels=32, kernel_size=3, padding=1)
    g.add("ReLU", "ReLU 2", id="relu2")
    g.add("MaxPool2d", "Pool 2x2 (2)", id="pool2", kernel_size=2)
    g.add("Flatten", "Flatten", id="flatten")
    g.add("Linear", "Dense 64", id="dense", out_features=64)
    g.add("ReLU", "ReLU 3", id="relu3")
    g.add("Linear", "Digit scores", id="scores", out_features=10)
    g.add("Output", "Digit", id="digit")
    return _settings(
        doc,
        meta=dict(
            title="CNN on digits",
            description=(
                "Two convolution + pooling stages and a small classifier read scikit-learn's "
                "1,797 handwritten digits (8x8 grey images) and name the digit."
            ),
            goal_metric="val_accuracy",
            goal=0.95,
            goal_mode="max",
        ),
        dataset=dict(source="builtin", name="digits", validation_split=0.2),
        training=dict(
            optimizer="adam", lr=0.003, batch_size=32, epochs=12, scheduler="cosine", seed=0
        ),
    )


def residual_digits() -> Document:
    """A residual network: conv blocks with BatchNorm and ReLU, identity skips through Add."""
    doc = Document()
    g = Layout(doc)
    g.add("Input", "Digit image", id="image", after=None, shape=[1, 8, 8])
    g.add("Conv2d", "Stem conv", id="stem", out_channels=16, kernel_size=3, padding=1)
    g.add("BatchNorm2d", "Stem norm", id="stem_bn")
    trunk = g.add("ReLU", "Stem ReLU", id="stem_relu")

    def conv_norm(b: int, k: int, part: str) -> str:
        """A branch's 3x3 conv (no bias: the norm follows) and BatchNorm; the norm's id."""
        conv = dict(out_channels=16, kernel_size=3, padding=1, bias=False)
        g.add("Conv2d", f"Block {b} conv {part}", id=f"b{b}_conv{k}", dy=BRANCH_DY, **conv)
        return g.add("BatchNorm2d", f"Block {b} norm {part}", id=f"b{b}_bn{k}", dy=BRANCH_DY)

    for b in (1, 2):
        conv_norm(b, 1, "A")
        g.add("ReLU", f"Block {b} ReLU A", id=f"b{b}_relu1", dy=BRANCH_DY)
        branch = conv_norm(b, 2, "B")
        add = g.add("Add", f"Block {b} skip", id=f"b{b}_add", after=branch, port="in1")
        doc.connect(trunk, add, dst_port="in2")  # the identity skip
        trunk = g.add("ReLU", f"Block {b} ReLU", id=f"b{b}_relu")
    g.add("MaxPool2d", "Pool 2x2", id="pool", kernel_size=2)
    g.add("Flatten", "Flatten", id="flatten")
    g.add("Linear", "Digit scores", id="scores", out_features=10)
    g.add("Output", "Digit", id="digit")
    return _settings(
        doc,
        meta=dict(
            title="Residual network on digits",
            description=(
                "Two residual blocks (conv, BatchNorm, ReLU, conv, BatchNorm) whose input "
                "skips around them and is added back: the shape of a ResNet, on 8x8 digits."
            ),
            goal_metric="val_accuracy",
            goal=0.95,
            goal_mode="max",
        ),
        dataset=dict(source="builtin", name="digits", validation_split=0.2),
        training=dict(
            optimizer="adam", lr=0.003, batch_size=32, epochs=6, scheduler="cosine", seed=0
        ),
    )


def tabular_breast_cancer() -> Document:
    """A standardized tabular MLP with Dropout on the breast-cancer set."""
    doc = Document()
    g = Layout(doc)
    g.add("Input", "30 measurements", id="features", after=None, shape=[30])
    g.add("Linear", "Hidden 32", id="hidden1", out_features=32)
    g.add("ReLU", "ReLU 1", id="relu1")
    g.add("Dropout", "Dropout 0.3", id="dropout", p=0.3)
    g.add("Linear", "Hidden 16", id="hidden2", out_features=16)
    g.add("ReLU", "ReLU 2", id="relu2")
    g.add("Linear", "Class scores", id="scores", out_features=2)
    g.add("Output", "Diagnosis", id="diagnosis")
    return _settings(
        doc,
        meta=dict(
            title="Breast-cancer classifier",
            description=(
                "An MLP with Dropout on scikit-learn's breast-cancer set: 30 standardized "
                "measurements of a tumour, malignant or benign."
            ),
            goal_metric="val_accuracy",
            goal=0.95,
            goal_mode="max",
        ),
        dataset=dict(
            source="builtin", name="breast_cancer", standardize=True, validation_split=0.2
        ),
        training=dict(optimizer="adam", lr=0.003, batch_size=32, epochs=20, seed=0),
    )


# The char LM reads the first CORPUS_CHARS characters of the python_docs corpus, which use
# VOCAB distinct characters (the Embedding's rows and the head's outputs).
CORPUS_CHARS = 100_000
VOCAB = 95


def char_lm() -> Document:
    """A character-level language model: Embedding -> LSTM -> Linear over the vocabulary."""
    block = 64
    doc = Document()
    g = Layout(doc)
    g.add("Input", "Characters", id="chars", after=None, shape=[block], dtype="int64")
    g.add("Embedding", "Embedding", id="embed", num_embeddings=VOCAB, embedding_dim=32)
    g.add("LSTM", "LSTM", id="lstm", hidden_size=128)
    g.add("Linear", "Next-character scores", id="head", out_features=VOCAB)
    g.add("Output", "Next character", id="next_char")
    return _settings(
        doc,
        meta=dict(
            title="Character-level language model",
            description=(
                "An LSTM reads Python's own documentation one character at a time and "
                "predicts the next character. The goal, 2.45 nats per character, is below "
                "0.75x the 3.30 nats of the character frequencies alone (the unigram "
                "entropy of this text): the model must use the context."
            ),
            goal_metric="val_loss",
            goal=2.45,
            goal_mode="min",
        ),
        dataset=dict(
            source="text",
            name="python_docs",
            block=block,
            options=dict(max_chars=CORPUS_CHARS),
            validation_split=0.1,
        ),
        training=dict(optimizer="adam", lr=0.005, batch_size=32, epochs=5, seed=0),
    )


def regression_sine() -> Document:
    """An MLP with Tanh fitting y = sin(x)."""
    doc = Document()
    g = Layout(doc)
    g.add("Input", "x", id="x", after=None, shape=[1])
    g.add("Linear", "Hidden 32", id="hidden1", out_features=32)
    g.add("Tanh", "Tanh 1", id="tanh1")
    g.add("Linear", "Hidden 32 (2)", id="hidden2", out_features=32)
    g.add("Tanh", "Tanh 2", id="tanh2")
    g.add("Linear", "y", id="head", out_features=1)
    g.add("Output", "sin(x)", id="y")
    return _settings(
        doc,
        meta=dict(
            title="Sine regression",
            description="An MLP with Tanh activations fits y = sin(x) from noisy samples.",
            goal_metric="val_r2",
            goal=0.95,
            goal_mode="max",
        ),
        dataset=dict(
            source="builtin",
            name="sine",
            options=dict(n_samples=500, noise=0.05, seed=0),
            validation_split=0.2,
        ),
        training=dict(
            optimizer="adam", lr=0.01, batch_size=32, epochs=30, scheduler="cosine", seed=0
        ),
    )


PROJECTS: dict[str, Callable[[], Document]] = {
    f.__name__: f
    for f in (
        mlp_spirals,
        cnn_digits,
        residual_digits,
        tabular_breast_cancer,
        char_lm,
        regression_sine,
    )
}


def write_all(folder: Path) -> list[Path]:
    """Save every project into ``folder`` and return the paths."""
    from core.model import serialize

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in PROJECTS.items():
        path = folder / f"{name}{SUFFIX}"
        serialize.save(make(), path)
        backup = path.with_name(path.name + ".bak")
        backup.unlink(missing_ok=True)  # save keeps the previous file; the repo does not
        paths.append(path)
    return paths


def stale(folder: Path = HERE) -> list[str]:
    """Names of the projects whose file in ``folder`` differs from this script's output."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = write_all(Path(tmp))
        return [
            p.name
            for p in fresh
            if not (folder / p.name).is_file() or (folder / p.name).read_bytes() != p.read_bytes()
        ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument(
        "--check", action="store_true", help="only check that the files are up to date"
    )
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.out)
        for name in names:
            print(f"{args.out / name}: out of date (run {Path(__file__).name})", file=sys.stderr)
        return 1 if names else 0
    for path in write_all(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
