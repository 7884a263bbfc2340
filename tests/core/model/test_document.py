"""The Document: checked mutations, exact inverses for undo, clipboard subgraph and paste."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from core.model import Document, DocumentError, Edge, Node
from core.model.document import FrozenParams, Removal


def residual() -> Document:
    """x -> fc1 -> relu -> add.in1; x -> add.in2 -> y (a skip connection)."""
    doc = Document()
    doc.add_node("Input", params={"shape": [8]}, id="x", position=(0, 0))
    doc.add_node("Linear", params={"out_features": 8}, id="fc1", position=(200, 0))
    doc.add_node("ReLU", id="relu", position=(400, 0))
    doc.add_node("Add", id="add", position=(600, 0))
    doc.add_node("Output", id="y", position=(800, 0))
    doc.connect("x", "fc1")
    doc.connect("fc1", "relu")
    doc.connect("relu", "add", dst_port="in1")
    doc.connect("x", "add", dst_port="in2")
    doc.connect("add", "y")
    return doc


# -- adding and ids --------------------------------------------------------------------
def test_default_ids_and_names_count_per_kind():
    doc = Document()
    a, b = doc.add_node("Linear"), doc.add_node("Linear")
    assert (a.id, a.name, b.id, b.name) == ("linear1", "Linear 1", "linear2", "Linear 2")
    doc.remove_node("linear1")
    assert doc.new_id("Linear") == "linear1"  # the smallest free number, as add_node picks
    assert doc.new_name("Linear") == "Linear 1"
    assert doc.add_node("Linear").id == "linear1"


def test_parameters_are_checked_normalised_and_defaulted():
    doc = Document()
    node = doc.add_node("Input", params={"shape": [3.0, 4]})
    assert node.params == {"shape": (3, 4), "dtype": "float32"}
    assert doc.add_node("Linear").params == {"out_features": 32, "bias": True}


def test_explicit_id_and_index_put_a_node_back_exactly():
    doc = residual()
    before = doc.to_dict()
    node, index = doc.node("fc1"), doc.index_of("fc1")
    edges = [(doc.edges.index(e), e) for e in doc.edges_of("fc1")]
    doc.remove_node("fc1")
    doc.add_node(
        node.kind,
        params=node.params,
        name=node.name,
        position=node.position,
        id=node.id,
        index=index,
    )
    for i, e in edges:
        doc.connect(e.src, e.dst, e.src_port, e.dst_port, index=i)
    assert doc.to_dict() == before
    assert list(doc.nodes) == ["x", "fc1", "relu", "add", "y"]


def test_node_parameters_cannot_be_changed_in_place():
    doc = residual()
    params = doc.node("fc1").params
    with pytest.raises(TypeError, match="set_params"):
        params["out_features"] = 3
    with pytest.raises(TypeError):
        params.update(bias=False)
    assert doc.node("fc1").params["out_features"] == 8
    assert isinstance(params, dict) and json.dumps(params)  # still a dict for readers
    assert {doc.node("fc1"), doc.node("fc1")} == {doc.node("fc1")}  # nodes are hashable
    assert copy.deepcopy(params) == params and pickle.loads(pickle.dumps(params)) == params
    assert type(Node("a", "ReLU", "A", {"k": 1}).params) is FrozenParams


def test_positions_are_two_finite_numbers():
    doc = Document()
    assert doc.add_node("ReLU", position=[1, 2.5]).position == (1.0, 2.5)
    for bad in ["12", (1,), (1, 2, 3), (True, 1), {"x": 1, "y": 2}, (1e8, 0), None, iter((1,))]:
        with pytest.raises(DocumentError, match="position"):
            doc.add_node("ReLU", position=bad)
    assert doc.add_node("ReLU", position=iter((3, 4))).position == (3.0, 4.0)


# -- edges -----------------------------------------------------------------------------
def test_connect_refuses_cycles_second_inputs_and_missing_ports_with_reasons():
    doc = residual()
    doc.disconnect(doc.edge_into("fc1", "in"))
    with pytest.raises(DocumentError, match=r"cycle \('Linear 1' already feeds 'ReLU 1'\)"):
        doc.connect("relu", "fc1")
    with pytest.raises(DocumentError, match="already fed by"):
        doc.connect("x", "relu")
    with pytest.raises(DocumentError, match=r"no input port 'in3' \(its ports: in1, in2\)"):
        doc.connect("x", "add", dst_port="in3")
    with pytest.raises(DocumentError, match="takes no input"):
        doc.connect("relu", "x")
    with pytest.raises(DocumentError, match="has no output"):
        doc.connect("y", "relu")
    assert doc.connection_problem(Edge("x", "fc1")) is None


def test_a_parameter_change_that_drops_a_connected_port_is_refused():
    doc = residual()
    doc.set_params("add", inputs=3)
    assert doc.inputs_of("add")[2] is None
    doc.connect("fc1", "add", dst_port="in3")
    with pytest.raises(DocumentError, match="removes input 'in3'"):
        doc.set_params("add", inputs=2)
    assert doc.node("add").params["inputs"] == 3


def test_topological_order_puts_every_edge_forward_and_keeps_insertion_order_on_ties():
    doc = Document()
    for nid in ("b", "a", "c"):
        doc.add_node("ReLU", id=nid)
    doc.connect("c", "b")
    assert doc.topological_order() == ["a", "c", "b"]


# -- batches and undo ------------------------------------------------------------------
def test_remove_nodes_and_restore_are_exact_inverses():
    doc = residual()
    before = doc.to_dict()
    removal = doc.remove_nodes(["relu", "x"])
    assert isinstance(removal, Removal) and removal.ids == ["x", "relu"]
    assert list(doc.nodes) == ["fc1", "add", "y"] and len(doc.edges) == 1
    doc.restore(removal)
    assert doc.to_dict() == before


def test_add_nodes_and_edges_is_all_or_nothing_and_checks_cycles_once():
    doc = residual()
    nodes = [Node("a", "ReLU", "A"), Node("b", "ReLU", "B")]
    cycle = [Edge("y", "a")]  # Output has no output port
    with pytest.raises(DocumentError):
        doc.add_nodes_and_edges(nodes, cycle)
    assert "a" not in doc
    with pytest.raises(DocumentError, match="cycle"):
        doc.add_nodes_and_edges(nodes, [Edge("a", "b"), Edge("b", "a")])
    with pytest.raises(DocumentError, match="already fed"):
        doc.add_nodes_and_edges(nodes, [Edge("a", "b"), Edge("x", "b")])
    with pytest.raises(DocumentError, match="expected a Node"):
        doc.add_nodes_and_edges([{"id": "a"}])
    with pytest.raises(DocumentError, match="unknown parameter"):
        doc.add_nodes_and_edges([Node("a", "ReLU", "A", {"p": 1})])
    added = doc.add_nodes_and_edges(nodes, [Edge("fc1", "a"), Edge("a", "b")])
    assert [n.id for n in added] == ["a", "b"] and doc.successors("fc1") == ["relu", "a"]
    doc.remove_nodes(["a", "b"])
    assert doc.to_dict() == residual().to_dict()


def test_move_nodes_moves_a_selection_in_one_change():
    doc = residual()
    moved = doc.move_nodes({"x": (5, 5), "y": [9, 9], "fc1": doc.node("fc1").position})
    assert set(moved) == {"x", "y"}
    assert doc.node("x").position == (5.0, 5.0) and doc.node("y").position == (9.0, 9.0)


def test_copy_and_assign_share_no_mutable_state():
    doc = residual()
    other = doc.copy()
    other.remove_node("relu")
    other.update_settings("dataset", {"options": {"noise": 0.1}})
    assert "relu" in doc and doc.dataset["options"] == {}
    doc.assign(other)
    other.update_settings("dataset", {"options": {"noise": 0.5}})
    assert doc.dataset["options"] == {"noise": 0.1} and "relu" not in doc


def test_multiple_inputs_and_outputs_keep_document_order():
    doc = Document()
    doc.add_node("Input", id="b_in", params={"shape": [2]})
    doc.add_node("Input", id="a_in", params={"shape": [2]})
    doc.add_node("Concat", id="cat")
    doc.add_node("Output", id="o2")
    doc.add_node("Output", id="o1")
    doc.connect("a_in", "cat", dst_port="in1")
    doc.connect("b_in", "cat", dst_port="in2")
    doc.connect("cat", "o2")
    doc.connect("b_in", "o1")
    assert [n.id for n in doc.input_nodes()] == ["b_in", "a_in"]
    assert [n.id for n in doc.output_nodes()] == ["o2", "o1"]
    assert [e.src for e in doc.inputs_of("cat")] == ["a_in", "b_in"]


# -- clipboard -------------------------------------------------------------------------
def test_subgraph_holds_the_selection_and_only_the_edges_inside_it():
    doc = residual()
    data = doc.subgraph(["relu", "fc1", "add"])
    assert [n["id"] for n in data["nodes"]] == ["fc1", "relu", "add"]  # document order
    assert [(e["src"], e["dst"]) for e in data["edges"]] == [("fc1", "relu"), ("relu", "add")]
    json.dumps(data)  # clipboard text
    with pytest.raises(DocumentError):
        doc.subgraph(["fc1", "nope"])


def test_paste_remaps_taken_ids_renames_taken_names_and_offsets_positions():
    doc = residual()
    doc.rename_node("fc1", "encoder")
    data = json.dumps(doc.subgraph(["fc1", "relu"]))
    new = doc.paste(data, offset=(10, 20))
    assert new == ["linear1", "relu1"]
    a, b = doc.node("linear1"), doc.node("relu1")
    assert (a.name, b.name) == ("encoder 2", "ReLU 2")
    assert a.position == (210.0, 20.0) and a.params == doc.node("fc1").params
    assert doc.edges[-1] == Edge("linear1", "relu1")
    again = doc.paste(data)
    assert again == ["linear2", "relu2"] and doc.node("linear2").name == "encoder 3"


def test_paste_keeps_free_ids_so_cut_and_paste_keeps_them():
    doc = residual()
    data = doc.subgraph(["fc1", "relu"])
    doc.remove_nodes(["fc1", "relu"])
    assert doc.paste(data) == ["fc1", "relu"]


def test_paste_into_another_document_and_undo_by_remove_nodes():
    src = residual()
    target = Document()
    target.add_node("Linear", id="fc1")
    before = target.to_dict()
    ids = target.paste(src.subgraph([n.id for n in src]))
    assert len(ids) == 5 and ids[1] != "fc1" and len(target.edges) == 5
    target.remove_nodes(ids)
    assert target.to_dict() == before


def test_paste_refuses_broken_data_with_the_problems():
    doc = residual()
    data = doc.subgraph(["fc1", "relu"])
    data["nodes"][0]["params"]["out_features"] = -1
    data["edges"].append({"src": "relu", "dst": "ghost"})
    with pytest.raises(DocumentError) as info:
        doc.paste(data)
    text = str(info.value)
    assert "nodes[0].params.out_features" in text and "edges[1].dst" in text
    with pytest.raises(DocumentError, match="not valid JSON"):
        doc.paste("{not json")


def test_paste_accepts_a_whole_model_file():
    doc = residual()
    ids = Document().paste(doc.to_dict())
    assert ids == ["x", "fc1", "relu", "add", "y"]


def test_renaming_or_removing_frees_a_default_name_and_id_again():
    doc = Document()
    for _ in range(3):
        doc.add_node("Linear")
    doc.rename_node("linear1", "encoder")
    doc.remove_node("linear2")
    node = doc.add_node("Linear")
    assert (node.id, node.name) == ("linear2", "Linear 1")


def test_the_cycle_check_sees_edges_removed_after_it_ran():
    doc = Document()
    for nid in ("a", "b"):
        doc.add_node("ReLU", id=nid)
    edge = doc.connect("a", "b")
    assert doc.connection_problem(Edge("b", "a")) is not None  # a cycle while a feeds b
    doc.disconnect(edge)
    doc.connect("b", "a")
    assert doc.predecessors("a") == ["b"] and doc.index_of("b") == 1


def test_building_and_reloading_a_large_document_stays_linear():
    import time

    from core.model import serialize

    start = time.perf_counter()
    doc = Document()
    prev = doc.add_node("Input", params={"shape": [8]}).id
    for _ in range(1000):
        prev = doc.connect(prev, doc.add_node("Linear", params={"out_features": 8}).id).dst
    text = serialize.dumps(doc)
    again = serialize.loads(text)
    elapsed = time.perf_counter() - start
    assert len(again) == 1001 and len(again.edges) == 1000
    assert elapsed < 5.0, f"1000 nodes took {elapsed:.2f} s (was about 0.3 s)"
