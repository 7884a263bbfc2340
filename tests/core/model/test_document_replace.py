"""connection_problem(edge, replace=True): a taken input port is replaceable, nothing else."""

from __future__ import annotations

from core.model import Document, Edge


def taken() -> Document:
    """a -> fc -> out, with a second source b free: fc's input is taken by a."""
    doc = Document()
    doc.add_node("Input", params={"shape": [4]}, id="a")
    doc.add_node("Input", params={"shape": [4]}, id="b")
    doc.add_node("Linear", params={"out_features": 2}, id="fc")
    doc.add_node("Output", id="out")
    doc.connect("a", "fc")
    doc.connect("fc", "out")
    return doc


def test_a_taken_port_is_a_problem_unless_replacing():
    doc = taken()
    edge = Edge("b", "fc")
    assert "already fed by" in doc.connection_problem(edge)
    assert doc.connection_problem(edge, replace=True) is None
    assert doc.connection_problem(edge) is not None  # asking changed nothing
    assert len(doc.edges) == 2


def test_replacing_still_refuses_every_other_problem():
    doc = taken()
    assert "has no output" in doc.connection_problem(Edge("out", "fc"), replace=True)
    assert "feed itself" in doc.connection_problem(Edge("fc", "fc"), replace=True)
    assert "no input port" in doc.connection_problem(Edge("b", "fc", dst_port="x"), replace=True)
    assert "there is no node" in doc.connection_problem(Edge("zz", "fc"), replace=True)
    doc.add_node("ReLU", id="relu")
    doc.connect("fc", "relu")
    # relu already hangs after fc: feeding fc from relu is a cycle, replaced port or not
    assert "cycle" in doc.connection_problem(Edge("relu", "fc"), replace=True)


def test_a_free_port_is_the_same_with_or_without_replace():
    doc = taken()
    doc.add_node("ReLU", id="relu")
    edge = Edge("b", "relu")
    assert doc.connection_problem(edge) is None
    assert doc.connection_problem(edge, replace=True) is None
