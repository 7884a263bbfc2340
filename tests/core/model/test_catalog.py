"""The catalog: every entry is complete, and every kind infers, builds, runs, counts its
parameters and writes out an expression that computes what ``apply`` computes, in core and
(where installed) in PyTorch.

CASES holds at least one representative input per kind; a kind added to the catalog without
a case here fails ``test_every_kind_has_a_case``.
"""

import ast
import inspect

import numpy as np
import pytest

import core
from core import nn
from core.model import catalog
from core.model.build import build
from core.model.catalog import CATALOG, CATEGORIES, LayerKind, ModuleSpec
from core.model.document import Document
from core.model.inference import infer

# kind -> [(params, per-sample input shapes, expected per-sample output shape)]
CASES: dict[str, list[tuple[dict, list[tuple], tuple]]] = {
    "Input": [({"shape": (3, 4)}, [], (3, 4))],
    "Output": [({}, [(5,)], (5,))],
    # Dense
    "Linear": [
        ({"out_features": 7}, [(5,)], (7,)),
        ({"out_features": 3, "bias": False}, [(4, 6)], (4, 3)),
    ],
    "Bilinear": [
        ({"out_features": 4}, [(3,), (5,)], (4,)),
        ({"out_features": 2, "bias": False}, [(6, 3), (6, 2)], (6, 2)),
    ],
    "Identity": [({}, [(2, 3)], (2, 3))],
    # Convolution
    "Conv1d": [
        ({"out_channels": 4, "kernel_size": 3}, [(2, 10)], (4, 8)),
        (
            {"out_channels": 6, "kernel_size": 4, "padding_preset": "same", "dilation": 2},
            [(3, 9)],
            (6, 9),
        ),
        (
            {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 2, "groups": 2},
            [(2, 11)],
            (4, 7),
        ),
        (
            {"out_channels": 2, "kernel_size": 3, "padding": 1, "padding_mode": "reflect"},
            [(1, 5)],
            (2, 5),
        ),
    ],
    "Conv2d": [
        ({"out_channels": 4, "kernel_size": 3}, [(1, 8, 8)], (4, 6, 6)),
        (
            {"out_channels": 4, "kernel_size": (3, 1), "stride": (2, 1), "padding": (1, 0)},
            [(2, 7, 5)],
            (4, 4, 5),
        ),
        (
            {"out_channels": 6, "kernel_size": 3, "padding_preset": "same", "groups": 3},
            [(3, 5, 6)],
            (6, 5, 6),
        ),
        ({"out_channels": 2, "kernel_size": 2, "padding_preset": "valid"}, [(1, 3, 3)], (2, 2, 2)),
        (
            {
                "out_channels": 2,
                "kernel_size": 3,
                "padding": 1,
                "dilation": 2,
                "bias": False,
                "padding_mode": "circular",
            },
            [(2, 6, 6)],
            (2, 4, 4),
        ),
        (
            {"out_channels": 2, "kernel_size": 3, "padding": 2, "padding_mode": "replicate"},
            [(1, 4, 4)],
            (2, 6, 6),
        ),
    ],
    "ConvTranspose1d": [
        ({"out_channels": 3, "kernel_size": 3}, [(2, 5)], (3, 7)),
        (
            {"out_channels": 4, "kernel_size": 4, "stride": 2, "padding": 1, "groups": 2},
            [(2, 5)],
            (4, 10),
        ),
    ],
    "ConvTranspose2d": [
        ({"out_channels": 2, "kernel_size": 2, "stride": 2}, [(3, 4, 4)], (2, 8, 8)),
        (
            {
                "out_channels": 2,
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "output_padding": 1,
                "dilation": (1, 2),
                "bias": False,
            },
            [(1, 3, 4)],
            (2, 6, 10),
        ),
    ],
    # Pooling
    "MaxPool1d": [
        ({"kernel_size": 2}, [(3, 9)], (3, 4)),
        ({"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [(2, 8)], (2, 5)),
    ],
    "MaxPool2d": [
        ({"kernel_size": 2}, [(2, 6, 7)], (2, 3, 3)),
        (
            {"kernel_size": 3, "stride": (2, 1), "padding": 1, "dilation": 2},
            [(1, 7, 6)],
            (1, 3, 4),
        ),
        ({"kernel_size": 2, "ceil_mode": True}, [(1, 5, 5)], (1, 3, 3)),
    ],
    "AvgPool1d": [
        ({"kernel_size": 2}, [(2, 7)], (2, 3)),
        (
            {"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False},
            [(2, 5)],
            (2, 5),
        ),
    ],
    "AvgPool2d": [
        ({"kernel_size": 2}, [(3, 4, 6)], (3, 2, 3)),
        ({"kernel_size": (3, 2), "padding": (1, 0), "ceil_mode": True}, [(1, 7, 5)], (1, 3, 3)),
    ],
    "AdaptiveAvgPool1d": [({"output_size": 3}, [(2, 7)], (2, 3))],
    "AdaptiveAvgPool2d": [
        ({}, [(4, 5, 5)], (4, 1, 1)),
        ({"output_size": (2, 3)}, [(2, 5, 7)], (2, 2, 3)),
    ],
    "AdaptiveMaxPool1d": [({"output_size": 2}, [(3, 5)], (3, 2))],
    "AdaptiveMaxPool2d": [({"output_size": 2}, [(2, 5, 4)], (2, 2, 2))],
    "GlobalAvgPool": [({}, [(4, 3, 5)], (4,)), ({}, [(3, 6)], (3,))],
    "GlobalMaxPool": [({}, [(4, 3, 5)], (4,)), ({}, [(3, 6)], (3,))],
    # Normalization
    "BatchNorm1d": [
        ({}, [(5,)], (5,)),
        ({"affine": False, "momentum": 0.2, "eps": 1e-3}, [(3, 4)], (3, 4)),
    ],
    "BatchNorm2d": [
        ({}, [(3, 4, 4)], (3, 4, 4)),
        ({"track_running_stats": False}, [(2, 3, 3)], (2, 3, 3)),
    ],
    "LayerNorm": [
        ({}, [(6,)], (6,)),
        ({"normalized_dims": 2, "bias": False}, [(3, 4, 5)], (3, 4, 5)),
        ({"elementwise_affine": False, "eps": 1e-3}, [(2, 3)], (2, 3)),
    ],
    "GroupNorm": [
        ({"num_groups": 2}, [(4, 3, 3)], (4, 3, 3)),
        ({"num_groups": 3, "affine": False}, [(6,)], (6,)),
    ],
    # Activation
    "ReLU": [({}, [(4,)], (4,))],
    "ReLU6": [({}, [(2, 3)], (2, 3))],
    "LeakyReLU": [({"negative_slope": 0.2}, [(4,)], (4,))],
    "ELU": [({"alpha": 0.5}, [(2, 2)], (2, 2))],
    "GELU": [({}, [(4,)], (4,)), ({"approximate": "tanh"}, [(3,)], (3,))],
    "SiLU": [({}, [(4,)], (4,))],
    "Sigmoid": [({}, [(4,)], (4,))],
    "Tanh": [({}, [(4,)], (4,))],
    "Softmax": [({}, [(5,)], (5,)), ({"dim": 0}, [(3, 4)], (3, 4))],
    "LogSoftmax": [({}, [(5,)], (5,)), ({"dim": -2}, [(3, 4)], (3, 4))],
    "Softplus": [({"beta": 2.0, "threshold": 1.0}, [(4,)], (4,))],
    "Hardtanh": [({"min_val": -0.5, "max_val": 0.25}, [(4,)], (4,))],
    # Regularization
    "Dropout": [({"p": 0.3}, [(4, 5)], (4, 5))],
    # Merge
    "Add": [({}, [(3,), (3,)], (3,)), ({"inputs": 3}, [(2, 3)] * 3, (2, 3))],
    "Subtract": [({}, [(2, 4), (2, 4)], (2, 4))],
    "Multiply": [({"inputs": 3}, [(4,)] * 3, (4,))],
    "Concat": [
        ({}, [(2, 3, 3), (4, 3, 3)], (6, 3, 3)),
        ({"axis": -1, "inputs": 3}, [(2, 3), (2, 1), (2, 2)], (2, 6)),
        ({"axis": 1}, [(5, 2), (5, 3)], (5, 5)),
    ],
    # Reshape
    "Flatten": [({}, [(2, 3, 4)], (24,)), ({"start_dim": 1}, [(2, 3, 4)], (2, 12))],
    "Reshape": [
        ({"shape": (1, 4, 4)}, [(16,)], (1, 4, 4)),
        ({"shape": (3, -1)}, [(2, 6)], (3, 4)),
        ({}, [(2, 3)], (6,)),
    ],
    "Permute": [({}, [(3, 5)], (5, 3)), ({"dims": (2, 0, 1)}, [(2, 3, 4)], (4, 2, 3))],
    # Recurrent
    "RNN": [
        ({"hidden_size": 5}, [(4, 3)], (4, 5)),
        ({"hidden_size": 4, "nonlinearity": "relu", "returns": "last"}, [(3, 2)], (4,)),
    ],
    "LSTM": [
        ({"hidden_size": 5}, [(4, 3)], (4, 5)),
        (
            {"hidden_size": 3, "num_layers": 2, "bidirectional": True, "returns": "last"},
            [(5, 2)],
            (6,),
        ),
        ({"hidden_size": 2, "bias": False, "dropout": 0.2}, [(3, 2)], (3, 2)),
    ],
    "GRU": [
        ({"hidden_size": 4, "bidirectional": True}, [(3, 2)], (3, 8)),
        ({"hidden_size": 3, "num_layers": 2, "dropout": 0.1, "returns": "last"}, [(4, 2)], (3,)),
    ],
    # Attention
    "MultiheadAttention": [
        ({"num_heads": 2}, [(5, 8)], (5, 8)),
        ({"num_heads": 1, "causal": True, "bias": False}, [(4, 6)], (4, 6)),
    ],
    "TransformerEncoderLayer": [
        ({"nhead": 2, "dim_feedforward": 16}, [(5, 8)], (5, 8)),
        (
            {
                "nhead": 4,
                "dim_feedforward": 12,
                "causal": True,
                "activation": "gelu",
                "norm_first": True,
                "dropout": 0.0,
            },
            [(4, 8)],
            (4, 8),
        ),
        ({"nhead": 1, "dim_feedforward": 8, "bias": False}, [(3, 4)], (3, 4)),
    ],
    # Embedding
    "Embedding": [
        ({"num_embeddings": 10, "embedding_dim": 4}, [(6,)], (6, 4)),
        ({"num_embeddings": 7, "embedding_dim": 3, "padding_idx": 0}, [(2, 3)], (2, 3, 3)),
    ],
}

CASE_IDS = [(kind, i) for kind in sorted(CATALOG) for i in range(len(CASES.get(kind, ())))]
BATCH = 3


def _has_module(kind: str, i: int) -> bool:
    entry = catalog.get(kind)
    params, in_shapes, _ = CASES[kind][i]
    return (
        entry.module is not None and entry.module(entry.params.check(params), in_shapes) is not None
    )


MODULE_CASE_IDS = [(kind, i) for kind, i in CASE_IDS if _has_module(kind, i)]


def case(kind: str, i: int):
    params, in_shapes, expected = CASES[kind][i]
    entry = catalog.get(kind)
    return entry, entry.params.check(params), [tuple(s) for s in in_shapes], tuple(expected)


def single_node_doc(entry: LayerKind, params: dict, in_shapes) -> Document:
    """Input(s) -> the node (id "layer") -> Output; the node itself for Input/Output."""
    doc = Document()
    if entry.is_input:
        doc.add_node("Input", params=params, id="layer")
        doc.add_node("Output", id="out")
        doc.connect("layer", "out")
        return doc
    index = entry.dtype == "index"
    ports = entry.input_ports(params)
    assert len(ports) == len(in_shapes), "a case must give one shape per input port"
    for n, shape in enumerate(in_shapes):
        dtype = "int64" if index else "float32"
        doc.add_node("Input", params={"shape": shape, "dtype": dtype}, id=f"x{n}")
    doc.add_node(entry.kind, params=params, id="layer")
    for n, port in enumerate(ports):
        doc.connect(f"x{n}", "layer", dst_port=port)
    if not entry.is_output:
        doc.add_node("Output", id="out")
        doc.connect("layer", "out")
    return doc


def sample_arrays(entry: LayerKind, params: dict, in_shapes, seed: int = 0) -> list[np.ndarray]:
    """A random batch of BATCH samples per input (indices for index-typed kinds); an Input
    node gets a batch of its own shape."""
    rng = np.random.default_rng(seed)
    if entry.is_input:
        in_shapes = [params["shape"]]
    if entry.dtype == "index":
        high = params["num_embeddings"]
        return [rng.integers(0, high, size=(BATCH, *s)).astype(np.int64) for s in in_shapes]
    return [rng.standard_normal((BATCH, *s)).astype(np.float32) for s in in_shapes]


def spec_of(entry: LayerKind, params: dict, in_shapes) -> ModuleSpec | None:
    return entry.module(params, in_shapes) if entry.module is not None else None


def run_expr(source: str, namespace: dict):
    """Evaluate a generated forward expression (our own catalog's text) in ``namespace``."""
    scope = dict(namespace)
    exec(compile(f"result = {source}", "<expr>", "exec"), scope)
    return scope["result"]


# -- the entries themselves --------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(CATALOG))
def test_every_kind_has_a_case(kind):
    assert CASES.get(kind), f"add a representative case for {kind!r} to CASES"


def test_cases_name_only_catalog_kinds():
    assert set(CASES) <= set(CATALOG)


@pytest.mark.parametrize("kind", sorted(CATALOG))
def test_entry_is_complete(kind):
    entry = catalog.get(kind)
    assert entry.kind == kind
    assert entry.display_name.strip()
    assert entry.category in CATEGORIES
    assert entry.doc.strip() and entry.doc.rstrip().endswith((".", ")"))
    for p in entry.params:
        assert p.doc.strip(), f"{kind}.{p.name} has no doc"
        assert p.name.isidentifier() and not p.name.startswith("_")
    defaults = entry.params.defaults()
    assert entry.params.check(defaults) == defaults
    assert entry.id_prefix.isidentifier()
    assert set(entry.key_params) <= set(entry.params.names)


def test_categories_cover_what_core_nn_offers():
    groups = {c: {e.kind for e in es} for c, es in catalog.by_category().items()}
    assert set(groups) == set(CATEGORIES)
    assert {"Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"} <= groups["Convolution"]
    assert {"LSTM", "GRU", "RNN"} == groups["Recurrent"]
    assert {"Flatten", "Reshape", "Permute"} == groups["Reshape"]


# -- infer, build, run, count ---------------------------------------------------------
@pytest.mark.parametrize(("kind", "i"), CASE_IDS)
def test_infer_build_run_and_count(kind, i):
    entry, params, in_shapes, expected = case(kind, i)
    doc = single_node_doc(entry, params, in_shapes)
    result = infer(doc)
    assert result.ok, [str(d) for d in result.diagnostics]
    info = result.nodes["layer"]
    assert info.shape == expected
    model = build(doc, result)
    arrays = sample_arrays(entry, params, in_shapes)
    out = model(*[core.tensor(a) for a in arrays])
    assert tuple(out.shape) == (BATCH, *expected)
    assert out.dtype == core.float32
    n_params = sum(p.numel() for p in model.parameters())
    assert info.params == n_params
    assert isinstance(info.macs, int) and info.macs >= 0
    if n_params == 0:
        assert info.macs == 0


@pytest.mark.parametrize(("kind", "i"), CASE_IDS)
def test_expr_computes_what_apply_computes_in_core(kind, i):
    entry, params, in_shapes, expected = case(kind, i)
    doc = single_node_doc(entry, params, in_shapes)
    model = build(doc).eval()
    spec = spec_of(entry, params, in_shapes)
    module = model.layer if spec is not None else None
    inputs = [core.tensor(a) for a in sample_arrays(entry, params, in_shapes, seed=1)]
    names = [f"x{n}" for n in range(len(inputs))]
    source = entry.expr(names, "m" if module is not None else None, params, "core")
    ast.parse(source, mode="eval")  # one expression
    with core.no_grad():
        want = entry.apply(module, inputs, params)
        got = run_expr(source, {"core": core, "m": module, **dict(zip(names, inputs))})
    assert tuple(got.shape) == tuple(want.shape) == (BATCH, *expected)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(("kind", "i"), CASE_IDS)
def test_torch_module_and_expr_match_core(kind, i):
    torch = pytest.importorskip("torch")
    entry, params, in_shapes, expected = case(kind, i)
    doc = single_node_doc(entry, params, in_shapes)
    model = build(doc).eval()
    spec = spec_of(entry, params, in_shapes)
    arrays = sample_arrays(entry, params, in_shapes, seed=2)
    names = [f"x{n}" for n in range(len(arrays))]
    module = tmodule = None
    if spec is not None:
        module = model.layer
        tmodule = getattr(torch.nn, spec.cls)(*spec.args, **spec.kwargs)
        state = {k: torch.from_numpy(v.numpy().copy()) for k, v in module.state_dict().items()}
        tmodule.load_state_dict(state)
        tmodule.eval()
        assert repr(tmodule) == repr(module)
    with core.no_grad():
        want = entry.apply(module, [core.tensor(a) for a in arrays], params).numpy()
    source = entry.expr(names, "m" if tmodule is not None else None, params, "torch")
    with torch.no_grad():
        tinputs = [torch.from_numpy(a.copy()) for a in arrays]
        got = run_expr(source, {"torch": torch, "m": tmodule, **dict(zip(names, tinputs))})
    assert tuple(got.shape) == (BATCH, *expected)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(("kind", "i"), MODULE_CASE_IDS)
def test_module_spec_names_one_class_in_core_and_torch(kind, i):
    entry, params, in_shapes, _ = case(kind, i)
    spec = spec_of(entry, params, in_shapes)
    # plain literals only: export writes them as source
    for value in (*spec.args, *spec.kwargs.values()):
        assert ast.literal_eval(repr(value)) == value
    core_cls = getattr(nn, spec.cls)
    names = list(inspect.signature(core_cls.__init__).parameters)
    inspect.signature(core_cls.__init__).bind(None, *spec.args, **spec.kwargs)
    torch = pytest.importorskip("torch")
    torch_cls = getattr(torch.nn, spec.cls)
    assert list(inspect.signature(torch_cls.__init__).parameters) == names
