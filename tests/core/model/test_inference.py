"""Shape inference: shapes, dtypes, counts, and one structured diagnostic per problem."""

from __future__ import annotations

import time

import pytest

from core.model import CATALOG, Document, LayerKind, ShapeError
from core.model.inference import CODES, ERROR, WARNING, Diagnostic, infer
from core.model.params import params
from tests.core.model.helpers import chain


def mlp(in_features: int = 4, dtype: str = "float32") -> Document:
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [in_features], "dtype": dtype}, name="Data")
    chain(
        doc,
        "x",
        ("Linear", {"out_features": 8}, "fc1", "Hidden"),
        ("ReLU", {}, "act"),
        ("Linear", {"out_features": 3}, "fc2", "Scores"),
        ("Output", {}, "out"),
    )
    return doc


def codes(doc: Document) -> list[str]:
    return [d.code for d in infer(doc).diagnostics]


def test_shapes_dtypes_and_counts_of_a_clean_chain():
    result = infer(mlp())
    assert result.ok and result.diagnostics == []
    assert list(result.nodes) == ["x", "fc1", "act", "fc2", "out"]
    n = result.nodes
    assert [n[i].shape for i in n] == [(4,), (8,), (8,), (3,), (3,)]
    assert {n[i].dtype for i in n} == {"float32"}
    assert n["fc1"].in_shapes == [(4,)]
    assert (n["fc1"].params, n["fc1"].macs) == (4 * 8 + 8, 4 * 8)
    assert (n["fc2"].params, n["fc2"].macs) == (8 * 3 + 3, 8 * 3)
    assert (n["act"].params, n["x"].params, n["out"].params) == (0, 0, 0)
    assert result.total_params == 40 + 27 and result.total_macs == 32 + 24
    assert result.shape("fc2") == (3,) and result.shape("nope") is None


def test_int64_input_flows_to_an_output_as_int64():
    doc = Document()
    doc.add_node("Input", id="tokens", params={"shape": [16], "dtype": "int64"})
    chain(doc, "tokens", ("Output", {}, "out"))
    result = infer(doc)
    assert result.ok
    assert result.nodes["tokens"].dtype == result.nodes["out"].dtype == "int64"


# -- one small document per diagnostic code ---------------------------------------------
def _missing_input():
    doc = mlp()
    doc.add_node("Add", id="add", name="Join")
    doc.connect("act", "add", dst_port="in1")
    doc.disconnect(doc.edge_into("out", "in"))
    doc.connect("add", "out")
    doc.remove_node("fc2")
    return doc, "add", ["'Join'", "'in2'"]


def _mismatch():
    doc = mlp()
    doc.add_node("Add", id="add", name="Skip sum")
    doc.connect("x", "add", dst_port="in1")  # (4,)
    doc.connect("act", "add", dst_port="in2")  # (8,)
    chain(doc, "add", ("Output", {}, "out2"))
    return doc, "add", ["'Skip sum'", "(4,)", "(8,)", "'Data'", "'ReLU 1'"]


def _rank():
    doc = mlp()
    chain(doc, "act", ("Conv2d", {"out_channels": 4}, "conv", "My conv"), ("Output", {}, "o2"))
    return doc, "conv", ["'My conv'", "(8,)"]


def _flatten():
    doc = Document()
    doc.add_node("Input", id="img", params={"shape": [3, 8, 8]}, name="Image")
    chain(doc, "img", ("Linear", {"out_features": 4}, "fc", "Classifier"), ("Output", {}, "o"))
    return doc, "fc", ["'Classifier'", "Flatten", "'Image'"]


def _dtype():
    doc = mlp(dtype="int64")
    return doc, "fc1", ["'Hidden'", "int64", "'Data'"]


def _empty():
    doc = mlp()
    chain(doc, "act", ("Shrink", {}, "shrink", "Squeezer"), ("Output", {}, "o2"))
    return doc, "shrink", ["'Squeezer'", "(0,)", "empty dimension"]


def _internal():
    doc = mlp()
    chain(doc, "act", ("Broken", {}, "broken", "Buggy"), ("Output", {}, "o2"))
    return doc, "broken", ["'Buggy'", "KeyError", "bug"]


def _unused():
    doc = mlp()
    chain(doc, "act", ("Linear", {"out_features": 2}, "dead", "Forgotten"))
    return doc, "dead", ["'Forgotten'", "Output"]


def _no_output():
    doc = mlp()
    doc.remove_node("out")
    return doc, None, ["no Output"]


def _no_input():
    doc = Document()
    doc.add_node("Output", id="out")
    return doc, None, ["no Input"]


def _picky_shape():
    doc = mlp()
    chain(doc, "act", ("Picky", {}, "picky", "Fussy"), ("Output", {}, "o2"))
    return doc, "picky", ["'Fussy'", "needs 5 features", "its input comes from 'ReLU 1'"]


CASES = {
    "missing_input": _missing_input,
    "mismatch": _mismatch,
    "rank": _rank,
    "flatten": _flatten,
    "dtype": _dtype,
    "shape": _picky_shape,
    "empty": _empty,
    "internal": _internal,
    "unused": _unused,
    "no_output": _no_output,
    "no_input": _no_input,
}


def _shrink_infer(p, ins):
    return (0,)


def _broken_infer(p, ins):
    return {}["missing"]


def _picky_infer(p, ins):
    raise ShapeError(f"Picky needs 5 features, got {ins[0][0]}", "give it 5")


@pytest.fixture
def test_kinds(monkeypatch):
    """Three throwaway kinds (registered for one test only) that misbehave on purpose."""
    for kind, fn in (("Shrink", _shrink_infer), ("Broken", _broken_infer), ("Picky", _picky_infer)):
        entry = LayerKind(kind, kind, "Reshape", "test kind", params(), fn)
        monkeypatch.setitem(CATALOG, kind, entry)


def test_every_code_has_a_case():
    assert set(CASES) == set(CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_problem_gives_one_diagnostic_with_its_code(code, test_kinds):
    doc, node_id, words = CASES[code]()
    result = infer(doc)
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, result.diagnostics
    (d,) = found
    assert d.node_id == node_id
    assert d.severity == (WARNING if code == "unused" else ERROR)
    assert d.hint, "every diagnostic says what to do"
    text = f"{d.message} ({d.hint})"
    for word in words:
        assert word in text, (word, text)
    assert result.ok == (code == "unused")
    # nothing else is wrong with these documents: no follow-up errors elsewhere
    others = [x for x in result.errors if x is not d]
    if code == "no_input":  # a lone Output also has its input unconnected
        assert [x.code for x in others] == ["missing_input"]
    else:
        assert others == []


def test_missing_inputs_are_reported_per_port():
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [4]})
    doc.add_node("Add", id="add", params={"inputs": 3}, name="Sum")
    doc.connect("x", "add", dst_port="in2")
    chain(doc, "add", ("Output", {}, "out"))
    found = [d for d in infer(doc).diagnostics if d.code == "missing_input"]
    assert [d.node_id for d in found] == ["add", "add"]
    assert "'in1'" in found[0].message and "'in3'" in found[1].message


def test_a_single_port_missing_input_says_its_input():
    doc = Document()
    doc.add_node("Linear", id="fc", name="Lonely")
    (d,) = [d for d in infer(doc).diagnostics if d.code == "missing_input"]
    assert d.message == "'Lonely' (Linear): its input is not connected"


def test_float_into_an_index_layer_is_a_dtype_error(monkeypatch):
    entry = LayerKind("Lookup", "Lookup", "Embedding", "t", params(), _same, dtype="index")
    monkeypatch.setitem(CATALOG, "Lookup", entry)
    doc = mlp()
    chain(doc, "x", ("Lookup", {}, "emb", "Table"), ("Output", {}, "o2"))
    (d,) = infer(doc).errors
    assert (d.node_id, d.code) == ("emb", "dtype")
    assert "integer indices" in d.message and "'Data'" in d.message and "int64" in d.hint


def _same(p, ins):
    return tuple(ins[0])


def test_no_cascade_below_a_broken_node():
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [4]})
    doc.add_node("Linear", id="side", params={"out_features": 3})
    doc.connect("x", "side")
    doc.add_node("Add", id="add")
    doc.connect("x", "add", dst_port="in1")
    doc.connect("side", "add", dst_port="in2")  # (4,) + (3,): mismatch
    chain(
        doc,
        "add",
        ("Linear", {"out_features": 5}, "after1"),
        ("ReLU", {}, "after2"),
        ("Add", {}, "after3"),  # in1 from after2, in2 from x: only the broken side matters
        ("Output", {}, "out"),
    )
    doc.connect("x", "after3", dst_port="in2")
    result = infer(doc)
    assert [(d.node_id, d.code) for d in result.diagnostics] == [("add", "mismatch")]
    for nid in ("add", "after1", "after2", "after3", "out"):
        assert result.nodes[nid].shape is None
    assert result.nodes["side"].shape == (3,)


def test_a_missing_input_does_not_cascade_either():
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [4]})
    doc.add_node("Linear", id="fc")  # not connected
    chain(doc, "fc", ("ReLU", {}, "r"), ("Linear", {}, "fc2"), ("Output", {}, "out"))
    result = infer(doc)
    assert [(d.node_id, d.code) for d in result.errors] == [("fc", "missing_input")]
    assert [(d.node_id, d.code) for d in result.warnings] == [("x", "unused")]


def test_unused_is_a_warning_given_once_at_the_end_of_a_dead_branch():
    doc = mlp()
    chain(doc, "act", ("Linear", {}, "dead1", "Probe"), ("ReLU", {}, "dead2", "Probe act"))
    result = infer(doc)
    assert result.ok
    (d,) = result.warnings
    assert (d.node_id, d.code) == ("dead2", "unused")
    assert d.message == "'Probe act' (ReLU) does not lead to any Output; nor do 'Probe' before it"
    assert result.unused == {"dead1", "dead2"}
    assert result.nodes["dead2"].shape == (32,)  # still inferred: the badge shows it


def test_a_long_dead_branch_is_counted_and_a_shared_live_node_is_not_dead():
    doc = mlp()
    end = chain(doc, "act", *[("ReLU", {}) for _ in range(5)])
    (d,) = infer(doc).warnings
    assert d.node_id == end and d.message.endswith("; nor do the 4 nodes before it")
    assert "act" not in infer(doc).unused  # it also feeds the Output


def test_without_an_output_no_node_is_called_unused():
    doc = mlp()
    doc.remove_node("out")
    assert codes(doc) == ["no_output"]


def test_an_empty_document_lacks_input_and_output():
    assert sorted(codes(Document())) == ["no_input", "no_output"]


def test_diagnostics_group_by_node_and_print_with_the_hint():
    doc, _, _ = _mismatch()
    result = infer(doc)
    groups = result.by_node()
    assert [d.code for d in groups["add"]] == ["mismatch"]
    assert result.for_node("add") == groups["add"] and result.for_node("fc1") == []
    d = Diagnostic("n1", ERROR, "it broke", "fix it", "shape")
    assert str(d) == "error: n1: it broke (fix it)"
    assert str(Diagnostic(None, WARNING, "model-wide")) == "warning: model-wide"


def test_fixing_the_document_clears_the_diagnostic():
    doc, _, _ = _mismatch()
    assert not infer(doc).ok
    doc.disconnect(doc.edge_into("add", "in1"))
    doc.connect("fc1", "add", dst_port="in1")  # (8,) + (8,)
    result = infer(doc)
    assert result.ok and result.nodes["out2"].shape == (8,)


def test_infer_does_not_change_the_document():
    doc = mlp()
    seen = []
    doc.changed.connect(lambda: seen.append(1))
    before = (doc.nodes, doc.edges)
    infer(doc)
    assert (doc.nodes, doc.edges) == before and seen == []


def test_five_hundred_nodes_infer_quickly():
    doc = Document()
    doc.add_node("Input", id="x", params={"shape": [16]})
    x = "x"
    while len(doc) < 497:
        y = chain(doc, x, ("Linear", {"out_features": 16}), ("ReLU", {}))
        add = doc.add_node("Add").id
        doc.connect(y, add, dst_port="in1")
        doc.connect(x, add, dst_port="in2")
        x = add
    chain(doc, x, ("Output", {}, "out"))
    assert len(doc) >= 498
    infer(doc)
    t0 = time.perf_counter()
    result = infer(doc)
    elapsed = time.perf_counter() - t0
    assert result.ok
    # the target is 50 ms (benchmarks/bench_inference.py); a loose bound here so that a
    # loaded test machine does not fail it, while a quadratic pass still would
    assert elapsed < 0.25, f"{elapsed * 1e3:.1f} ms"
