"""Document.connection_checker: one graph walk per shared end, the very texts of
connection_problem; ancestors and descendants."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.model import Document, DocumentError, Edge

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


def port_pairs(doc: Document) -> list[Edge]:
    """Every (output port, input port) pair of the document, self-loops and one unknown
    port per node included."""
    edges = []
    for a in doc:
        outs = [*a.entry.outputs, "nope"]
        for b in doc:
            ins = [*b.entry.input_ports(b.params), "nope"]
            edges += [Edge(a.id, b.id, o, i) for o in outs for i in ins]
    return edges


def random_dag(seed: int, n: int = 40) -> Document:
    """Inputs, one-input layers and two-input merges, wired forward at random."""
    rng = random.Random(seed)
    doc = Document()
    ids = []
    for i in range(n):
        kind = "Input" if i < 3 else rng.choice(["ReLU", "ReLU", "Add", "Concat", "Output"])
        params = {"shape": [4]} if kind == "Input" else {}
        ids.append(doc.add_node(kind, params=params).id)
    for k, nid in enumerate(ids):
        node = doc.node(nid)
        for port in node.entry.input_ports(node.params):
            if k and rng.random() < 0.8:
                sources = [s for s in ids[:k] if doc.node(s).entry.outputs]
                doc.connect(rng.choice(sources), nid, dst_port=port)
    return doc


def assert_same_texts(doc: Document) -> tuple[int, int]:
    """Every port pair's reason from both kinds of checker equals connection_problem's;
    (pairs compared, how many of them were cycles)."""
    edges = port_pairs(doc)
    compared = cycles = 0
    for replace in (True, False):
        by_src = {nid: doc.connection_checker(src=nid, replace=replace) for nid in doc.nodes}
        by_dst = {nid: doc.connection_checker(dst=nid, replace=replace) for nid in doc.nodes}
        for edge in edges:
            expected = doc.connection_problem(edge, replace=replace)
            assert by_src[edge.src](edge) == expected, (edge, replace)
            assert by_dst[edge.dst](edge) == expected, (edge, replace)
            compared += 1
            cycles += bool(expected and "cycle" in expected)
    return compared, cycles


@pytest.mark.parametrize("name", ["residual_digits", "cnn_digits"])
def test_checker_texts_equal_connection_problem_for_every_port_pair_of_an_example(name):
    doc = Document.load(EXAMPLES / f"{name}.ember.json")
    assert doc.edges
    assert any(doc.connection_problem(e, replace=True) is None for e in port_pairs(doc))
    compared, cycles = assert_same_texts(doc)
    assert compared > 500
    assert cycles > 20


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_checker_texts_equal_connection_problem_on_a_random_dag(seed):
    doc = random_dag(seed)
    assert len(doc.edges) > 20
    compared, cycles = assert_same_texts(doc)
    assert compared > 5000
    assert cycles > 20


def test_ancestors_and_descendants_follow_the_edges():
    doc = Document()
    for nid in ("a", "b"):
        doc.add_node("Input", params={"shape": [4]}, id=nid)
    doc.add_node("Add", id="add")
    doc.add_node("ReLU", id="relu")
    doc.add_node("ReLU", id="lone")
    doc.connect("a", "add", dst_port="in1")
    doc.connect("b", "add", dst_port="in2")
    doc.connect("add", "relu")
    assert doc.ancestors("relu") == {"a", "b", "add"}
    assert doc.ancestors("a") == set()
    assert doc.descendants("a") == {"add", "relu"}
    assert doc.descendants("lone") == doc.ancestors("lone") == set()
    with pytest.raises(DocumentError, match="no node"):
        doc.ancestors("zz")


def test_a_checker_stays_exact_after_the_wiring_changes():
    doc = Document()
    doc.add_node("Input", params={"shape": [4]}, id="x")
    for nid in ("r1", "r2", "r3"):
        doc.add_node("ReLU", id=nid)
    doc.connect("x", "r1")
    doc.connect("r1", "r2")
    check = doc.connection_checker(src="r2", replace=True)
    assert "cycle" in check(Edge("r2", "r1"))
    assert check(Edge("r2", "r3")) is None
    doc.connect("r2", "r3")  # now r3 -> r1 would close a loop through r2
    doc.disconnect(Edge("r1", "r2"))  # and r2 -> r1 no longer does
    assert check(Edge("r2", "r1")) is None
    assert doc.connection_problem(Edge("r2", "r1"), replace=True) is None
    # an edge without the shared end is asked the ordinary way
    assert check(Edge("r3", "r1")) == doc.connection_problem(Edge("r3", "r1"), replace=True)
    assert check("not an edge") == doc.connection_problem("not an edge")


def test_a_checker_needs_exactly_one_shared_end():
    doc = Document()
    doc.add_node("ReLU", id="r")
    with pytest.raises(DocumentError, match="one shared end"):
        doc.connection_checker()
    with pytest.raises(DocumentError, match="one shared end"):
        doc.connection_checker(src="r", dst="r")
    with pytest.raises(DocumentError, match="no node"):
        doc.connection_checker(src="zz")
