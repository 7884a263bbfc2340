"""Documents for the export tests: one small model per layer kind, and the structures
(residual, concat, multi-input/output, a character LSTM) the issue names."""

from __future__ import annotations

import numpy as np

from core.model import CATALOG, Document

# kind -> (per-sample input shape, dtype, params)
SINGLE = {
    "ReLU": ((8,), "float32", {}),
    "ReLU6": ((8,), "float32", {}),
    "LeakyReLU": ((8,), "float32", {"negative_slope": 0.2}),
    "ELU": ((8,), "float32", {}),
    "GELU": ((8,), "float32", {"approximate": "tanh"}),
    "SiLU": ((8,), "float32", {}),
    "Sigmoid": ((8,), "float32", {}),
    "Tanh": ((8,), "float32", {}),
    "Softplus": ((8,), "float32", {"beta": 2.0}),
    "Hardtanh": ((8,), "float32", {}),
    "Softmax": ((8,), "float32", {}),
    "LogSoftmax": ((8,), "float32", {}),
    "Identity": ((8,), "float32", {}),
    "Dropout": ((8,), "float32", {"p": 0.3}),
    "Linear": ((8,), "float32", {"out_features": 5}),
    "LayerNorm": ((5, 8), "float32", {}),
    "BatchNorm1d": ((8,), "float32", {}),
    "BatchNorm2d": ((4, 6, 6), "float32", {}),
    "GroupNorm": ((4, 6, 6), "float32", {"num_groups": 2}),
    "Conv1d": ((3, 10), "float32", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
    "ConvTranspose1d": ((3, 10), "float32", {"out_channels": 2, "kernel_size": 3, "stride": 2}),
    "Conv2d": ((3, 7, 7), "float32", {"out_channels": 4, "kernel_size": 3, "stride": 2}),
    "ConvTranspose2d": ((3, 5, 5), "float32", {"out_channels": 2, "kernel_size": 2}),
    "MaxPool1d": ((3, 10), "float32", {"kernel_size": 2}),
    "AvgPool1d": ((3, 10), "float32", {"kernel_size": 3}),
    "AdaptiveMaxPool1d": ((3, 10), "float32", {"output_size": 4}),
    "AdaptiveAvgPool1d": ((3, 10), "float32", {"output_size": 4}),
    "MaxPool2d": ((3, 8, 8), "float32", {"kernel_size": 2}),
    "AvgPool2d": ((3, 8, 8), "float32", {"kernel_size": 2}),
    "AdaptiveMaxPool2d": ((3, 8, 8), "float32", {"output_size": 3}),
    "AdaptiveAvgPool2d": ((3, 8, 8), "float32", {"output_size": 3}),
    "GlobalAvgPool": ((3, 5, 5), "float32", {}),
    "GlobalMaxPool": ((3, 5, 5), "float32", {}),
    "Flatten": ((3, 4), "float32", {}),
    "Reshape": ((12,), "float32", {"shape": (3, -1)}),
    "Permute": ((3, 4), "float32", {"dims": (1, 0)}),
    "Embedding": ((6,), "int64", {"num_embeddings": 11, "embedding_dim": 4}),
    "RNN": ((5, 8), "float32", {"hidden_size": 6}),
    "LSTM": ((5, 8), "float32", {"hidden_size": 6, "num_layers": 2, "bidirectional": True}),
    "GRU": ((5, 8), "float32", {"hidden_size": 6, "returns": "last"}),
    "MultiheadAttention": ((5, 8), "float32", {"num_heads": 2, "causal": True}),
    "TransformerEncoderLayer": ((5, 8), "float32", {"nhead": 2, "dim_feedforward": 16}),
}
# two-input kinds: (shape of in1, shape of in2, params)
PAIRS = {
    "Add": ((6,), (6,), {}),
    "Subtract": ((6,), (6,), {}),
    "Multiply": ((6,), (6,), {}),
    "Concat": ((2, 3), (4, 3), {}),
    "Bilinear": ((4,), (3,), {"out_features": 5}),
}


def chain(title: str, shape, dtype: str, layers) -> Document:
    """Input -> layers (kind, params[, name]) -> Output."""
    doc = Document()
    doc.set_meta({"title": title})
    prev = doc.add_node("Input", params={"shape": list(shape), "dtype": dtype}).id
    for layer in layers:
        kind, params = layer[0], layer[1]
        name = layer[2] if len(layer) > 2 else None
        node = doc.add_node(kind, params=params, name=name)
        doc.connect(prev, node.id)
        prev = node.id
    doc.connect(prev, doc.add_node("Output").id)
    return doc


def pair(kind: str) -> Document:
    a, b, params = PAIRS[kind]
    doc = Document()
    doc.set_meta({"title": f"{kind} of two"})
    x1 = doc.add_node("Input", params={"shape": list(a)}, name="left").id
    x2 = doc.add_node("Input", params={"shape": list(b)}, name="right").id
    node = doc.add_node(kind, params=params).id
    doc.connect(x1, node, dst_port="in1")
    doc.connect(x2, node, dst_port="in2")
    doc.connect(node, doc.add_node("Output").id)
    return doc


def mlp() -> Document:
    doc = chain(
        "Spirals MLP",
        (2,),
        "float32",
        [("Linear", {"out_features": 16}, "hidden"), ("ReLU", {}), ("Linear", {"out_features": 2})],
    )
    doc.set_dataset({"source": "builtin", "name": "spirals", "options": {"n_samples": 64}})
    doc.set_training({"epochs": 1, "batch_size": 16})
    return doc


def cnn() -> Document:
    doc = chain(
        "Digits CNN",
        (1, 8, 8),
        "float32",
        [
            ("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
            ("ReLU", {}),
            ("MaxPool2d", {"kernel_size": 2}),
            ("Flatten", {}),
            ("Linear", {"out_features": 10}),
        ],
    )
    doc.set_dataset({"source": "builtin", "name": "digits"})
    return doc


def residual() -> Document:
    doc = Document()
    doc.set_meta({"title": "Residual block"})
    x = doc.add_node("Input", params={"shape": [4, 6, 6]}).id
    c1 = doc.add_node("Conv2d", params={"out_channels": 4, "kernel_size": 3, "padding": 1}).id
    bn = doc.add_node("BatchNorm2d").id
    r1 = doc.add_node("ReLU").id
    c2 = doc.add_node("Conv2d", params={"out_channels": 4, "kernel_size": 3, "padding": 1}).id
    add = doc.add_node("Add", name="skip").id
    r2 = doc.add_node("ReLU").id
    gap = doc.add_node("GlobalAvgPool").id
    fc = doc.add_node("Linear", params={"out_features": 3}).id
    out = doc.add_node("Output").id
    for a, b in [(x, c1), (c1, bn), (bn, r1), (r1, c2), (add, r2), (r2, gap), (gap, fc), (fc, out)]:
        doc.connect(a, b)
    doc.connect(c2, add, dst_port="in1")
    doc.connect(x, add, dst_port="in2")
    return doc


def concat() -> Document:
    doc = Document()
    doc.set_meta({"title": "Two branches"})
    x = doc.add_node("Input", params={"shape": [6]}).id
    a = doc.add_node("Linear", params={"out_features": 4}, name="branch a").id
    b = doc.add_node("Linear", params={"out_features": 3}, name="branch b").id
    t = doc.add_node("Tanh").id
    cat = doc.add_node("Concat", params={"axis": -1}).id
    fc = doc.add_node("Linear", params={"out_features": 2}).id
    out = doc.add_node("Output").id
    doc.connect(x, a)
    doc.connect(x, b)
    doc.connect(b, t)
    doc.connect(a, cat, dst_port="in1")
    doc.connect(t, cat, dst_port="in2")
    doc.connect(cat, fc)
    doc.connect(fc, out)
    return doc


def char_lstm() -> Document:
    doc = chain(
        "Char LSTM",
        (16,),
        "int64",
        [
            ("Embedding", {"num_embeddings": 90, "embedding_dim": 8}),
            ("LSTM", {"hidden_size": 12}),
            ("Linear", {"out_features": 90}),
        ],
    )
    doc.set_dataset({"source": "text", "name": "python_docs", "block": 16})
    return doc


def multi_io() -> Document:
    doc = Document()
    doc.set_meta({"title": "Two heads"})
    img = doc.add_node("Input", params={"shape": [1, 4, 4]}, name="image").id
    tab = doc.add_node("Input", params={"shape": [3]}, name="table").id
    fl = doc.add_node("Flatten").id
    cat = doc.add_node("Concat").id
    body = doc.add_node("Linear", params={"out_features": 8}, name="body").id
    head1 = doc.add_node("Linear", params={"out_features": 2}, name="class head").id
    head2 = doc.add_node("Linear", params={"out_features": 1}, name="value head").id
    o1 = doc.add_node("Output", name="logits").id
    o2 = doc.add_node("Output", name="value").id
    o3 = doc.add_node("Output", name="features").id
    doc.connect(img, fl)
    doc.connect(fl, cat, dst_port="in1")
    doc.connect(tab, cat, dst_port="in2")
    doc.connect(cat, body)
    doc.connect(body, head1)
    doc.connect(body, head2)
    doc.connect(head1, o1)
    doc.connect(head2, o2)
    doc.connect(body, o3)
    return doc


def structures() -> dict[str, Document]:
    return {
        "mlp": mlp(),
        "cnn": cnn(),
        "residual": residual(),
        "concat": concat(),
        "char_lstm": char_lstm(),
        "multi_io": multi_io(),
    }


def per_kind() -> dict[str, Document]:
    """One document per catalog kind found in SINGLE/PAIRS (kinds added later are skipped
    here and caught by test_every_kind_is_covered)."""
    docs = {}
    for kind, (shape, dtype, params) in SINGLE.items():
        if kind in CATALOG:
            docs[f"kind_{kind}"] = chain(f"{kind} alone", shape, dtype, [(kind, params)])
    for kind in PAIRS:
        if kind in CATALOG:
            docs[f"kind_{kind}"] = pair(kind)
    return docs


def sample_inputs(model, n: int = 3, seed: int = 0) -> list[np.ndarray]:
    """A fixed batch for each input of a built GraphModel."""
    rng = np.random.default_rng(seed)
    out = []
    for nid in model.input_ids:
        shape = (n, *model.input_shapes[nid])
        if model.input_dtypes[nid] == "int64":
            out.append(rng.integers(0, 11, shape).astype(np.int64))
        else:
            out.append(rng.standard_normal(shape).astype(np.float32))
    return out
