"""core.graph: the recorder of the computation graph that actually ran."""

import gc
import json
import re
import threading
import weakref

import pytest

import core
from core import graph


def small_program(x, w):
    """(x * w + 1).sum(): three ops on an input and a parameter."""
    return (x * w + 1).sum()


def inputs():
    return core.ones(2, 3), core.full((2, 3), 0.5, requires_grad=True)


def ops_named(rec, name):
    return [n for n in rec.nodes if n.op == name]


# -- what is captured ----------------------------------------------------------------


def test_record_captures_each_op_in_order():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    assert [n.op for n in g.ops] == ["Mul", "Add", "Sum"]


def test_leaves_become_input_and_parameter_nodes():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    leaves = {n.kind: n for n in g.nodes if n.kind != "op"}
    assert set(leaves) == {"input", "parameter"}
    assert leaves["input"].shape == (2, 3)
    assert leaves["parameter"].inputs == []


def test_op_inputs_wire_producers_to_consumers():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    (mul,) = ops_named(g, "Mul")
    (add,) = ops_named(g, "Add")
    (total,) = ops_named(g, "Sum")
    kinds = [g.nodes[i].kind for i in mul.inputs]
    assert kinds == ["input", "parameter"]
    assert add.inputs == [mul.id]  # the Python scalar 1 is not a node
    assert total.inputs == [add.id]
    assert (mul.inputs[0], mul.id) in g.edges


def test_a_tensor_used_twice_is_one_leaf_node():
    x = core.ones(2)
    with graph.record() as g:
        x * x
    (mul,) = g.ops
    assert mul.inputs[0] == mul.inputs[1]
    assert len([n for n in g.nodes if n.kind == "input"]) == 1


def test_op_nodes_have_output_shape_dtype_and_device():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w).to(core.float64)
    mul, _, total, cast = g.ops
    assert (mul.shape, mul.dtype, mul.device) == ((2, 3), "float32", "cpu")
    assert total.shape == ()
    assert cast.dtype == "float64"


def test_multi_output_op_lists_all_output_shapes():
    with graph.record() as g:
        core.arange(5.0).split([2, 3])
    split = g.ops[-1]
    assert split.outputs == [(2,), (3,)]


def test_ids_are_positions_in_execution_order():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    assert [n.id for n in g.nodes] == list(range(len(g.nodes)))


def test_same_program_twice_gives_identical_signatures():
    with graph.record() as first:
        small_program(*inputs())
    with graph.record() as second:
        small_program(*inputs())
    assert first.signature() == second.signature()
    assert [n.id for n in first.nodes] == [n.id for n in second.nodes]


def test_different_programs_give_different_signatures():
    x, w = inputs()
    with graph.record() as first:
        (x * w).sum()
    with graph.record() as second:
        (x + w).sum()
    assert first.signature() != second.signature()


def test_ops_under_no_grad_are_recorded():
    x, w = inputs()
    with graph.record() as g, core.no_grad():
        small_program(x, w)
    assert [n.op for n in g.ops] == ["Mul", "Add", "Sum"]


def test_ops_without_gradient_are_recorded_too():
    x = core.tensor([1.0, -1.0])
    with graph.record() as g:
        _ = x > 0
    assert [n.op for n in g.ops] == ["greater"]
    assert g.ops[0].dtype == "bool"


def test_custom_function_is_recorded_under_its_class_name():
    class Twice(core.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    with graph.record(backward=True) as g:
        Twice.apply(core.ones(2, requires_grad=True)).sum().backward()
    assert [n.op for n in g.ops] == ["Twice", "Sum"]  # not the ops inside forward/backward
    assert [n.op for n in g.nodes if n.kind == "backward"] == ["SumBackward", "TwiceBackward"]
    assert len([n for n in g.nodes if n.kind == "parameter"]) == 1


def test_a_tensor_from_an_earlier_recording_is_a_leaf_in_a_new_one():
    x, w = inputs()
    with graph.record():
        h = x * w
    with graph.record() as g:
        h + 1
    (add,) = g.ops
    assert g.nodes[add.inputs[0]].kind == "input"  # h is computed, not a parameter


def test_a_nested_recording_sees_its_block_and_the_outer_one_sees_everything():
    x = core.ones(2, requires_grad=True)
    with graph.record() as outer:
        y = x + 1
        with graph.record() as inner:
            z = y * 2
        z - 1
    assert [n.op for n in inner.ops] == ["Mul"]
    assert [n.op for n in outer.ops] == ["Add", "Mul", "Sub"]
    add, mul, sub = outer.ops
    assert mul.inputs == [add.id] and sub.inputs == [mul.id]  # wired across the blocks
    assert [n.kind for n in inner.nodes if n.kind != "op"] == ["input"]  # y: not a leaf


def test_record_restores_the_previous_recorder():
    with graph.record() as outer:
        with graph.record():
            pass
        core.ones(2) + 1
    assert [n.op for n in outer.ops] == ["Add"]


# -- scopes --------------------------------------------------------------------------


def test_nested_scopes_give_a_dotted_path():
    x = core.ones(2)
    with graph.record() as g:
        with graph.scope("a"):
            x + 1
            with graph.scope("b"):
                assert graph.current_scope() == "a.b"
                x * 2
            x - 1
        x / 2
    assert [(n.op, n.scope) for n in g.ops] == [
        ("Add", "a"),
        ("Mul", "a.b"),
        ("Sub", "a"),
        ("Div", ""),
    ]
    assert graph.current_scope() == ""


def test_scope_is_restored_after_an_exception():
    with pytest.raises(ValueError), graph.scope("a"), graph.scope("b"):
        raise ValueError
    assert graph.current_scope() == ""


# -- timing and backward nodes -------------------------------------------------------


def test_timing_records_a_duration_per_op():
    x, w = inputs()
    with graph.record(timing=True) as g:
        small_program(x, w)
    assert all(isinstance(n.time, float) and n.time >= 0 for n in g.ops)


def test_without_timing_ops_have_no_time():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    assert all(n.time is None for n in g.nodes)


def test_backward_nodes_link_to_their_forward_op():
    x, w = inputs()
    with graph.record(backward=True) as g:
        small_program(x, w).backward()
    back = [n for n in g.nodes if n.kind == "backward"]
    assert [n.op for n in back] == ["SumBackward", "AddBackward", "MulBackward"]
    for n in back:
        forward = g.nodes[n.forward_id]
        assert forward.kind == "op"
        assert n.op == forward.op + "Backward"
        assert n.shape == forward.shape


def test_backward_nodes_keep_the_forward_scope_and_time_with_timing():
    x = core.ones(2, requires_grad=True)
    with graph.record(backward=True, timing=True) as g:
        with graph.scope("layer"):
            y = (x * 3).sum()
        y.backward()
    back = [n for n in g.nodes if n.kind == "backward"]
    assert {n.scope for n in back} == {"layer"}
    assert all(isinstance(n.time, float) for n in back)


def test_backward_is_not_recorded_unless_asked():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w).backward()
    assert not [n for n in g.nodes if n.kind == "backward"]


# -- export ----------------------------------------------------------------------------


def test_to_json_round_trips_through_json_loads():
    x, w = inputs()
    with graph.record(timing=True) as g, graph.scope("net"):
        small_program(x, w)
    data = json.loads(g.to_json())
    assert data["format"] == "ember-graph"
    assert data["version"] == 1
    assert len(data["nodes"]) == len(g.nodes)
    mul = next(n for n in data["nodes"] if n["op"] == "Mul")
    assert mul["shape"] == [2, 3]
    assert mul["scope"] == "net"
    assert [tuple(e) for e in data["edges"]] == g.edges
    ids = {n["id"] for n in data["nodes"]}
    assert all(src in ids and dst in ids for src, dst in data["edges"])


def test_to_dot_is_a_digraph_with_one_node_per_graph_node_and_its_edges():
    x, w = inputs()
    with graph.record() as g:
        small_program(x, w)
    dot = g.to_dot()
    assert dot.startswith("digraph ")
    assert dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    declared = set(re.findall(r"^\s*(n\d+) \[", dot, flags=re.M))
    assert declared == {f"n{n.id}" for n in g.nodes}
    for src, dst in g.edges:
        assert f"n{src} -> n{dst};" in dot


def test_to_dot_groups_scopes_into_clusters():
    x = core.ones(2)
    with graph.record() as g:
        with graph.scope("enc"):
            x + 1
        with graph.scope("dec"):
            x * 2
    dot = g.to_dot()
    assert len(re.findall(r"subgraph cluster_\w+ \{", dot)) == 2
    assert 'label="enc";' in dot
    assert 'label="dec";' in dot


def test_to_dot_escapes_quotes_in_scope_names():
    x = core.ones(2)
    with graph.record() as g, graph.scope('say "hi"'):
        x + 1
    dot = g.to_dot()
    assert 'label="say \\"hi\\"";' in dot
    assert 'label="say "hi"' not in dot


# -- what is not captured or kept ----------------------------------------------------


def test_ops_in_another_thread_are_not_recorded():
    barrier = threading.Barrier(2, timeout=10)
    done = threading.Event()

    def worker():
        barrier.wait()  # the main thread is recording now
        core.ones(3).exp()
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    with graph.record() as g:
        core.ones(2) + 1
        barrier.wait()
        assert done.wait(10)
        core.ones(2) * 2
    t.join(10)
    assert [n.op for n in g.ops] == ["Add", "Mul"]


def test_without_recording_results_carry_no_record_attribute():
    x, w = inputs()
    y = x * w
    assert not hasattr(y, "_rec")


def _intermediate_ref(x):
    h = x * 2
    ref = weakref.ref(h)
    return (h + 1).sum(), ref


def test_without_recording_intermediates_are_not_kept_alive():
    out, ref = _intermediate_ref(core.ones(3, requires_grad=True))
    gc.collect()
    assert ref() is None
    assert out.item() == 9.0


def test_recording_does_not_keep_intermediates_alive():
    with graph.record() as g:
        out, ref = _intermediate_ref(core.ones(3, requires_grad=True))
    gc.collect()
    assert ref() is None
    assert [n.op for n in g.ops] == ["Mul", "Add", "Sum"]
    del out


def test_dot_links_each_backward_node_to_the_op_it_differentiates():
    x = core.ones(2, requires_grad=True)
    with graph.record(backward=True) as g:
        (x * 2).sum().backward()
    mul = next(n for n in g.nodes if n.op == "Mul")
    back = next(n for n in g.nodes if n.op == "MulBackward")
    assert f"n{mul.id} -> n{back.id} [style=dashed" in g.to_dot()
