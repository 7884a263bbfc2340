"""Auto-layout: layered, left to right, few crossings, no overlaps, stable and deterministic."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.model import Document
from core.model.layout import layered_layout
from core.model.serialize import load

EXAMPLES = sorted(
    (Path(__file__).resolve().parents[3] / "resources" / "examples").glob("*.ember.json")
)
NODE_W, NODE_H = 160.0, 80.0  # the canvas's node card (at least)


def chain(doc: Document, src: str, kinds: list[str]) -> str:
    for kind in kinds:
        nid = doc.add_node(kind).id
        doc.connect(src, nid)
        src = nid
    return src


def residual_doc(skip_port: str = "in2") -> tuple[Document, str, str]:
    """Input -> Conv -> [Conv, BN, ReLU, Conv] + skip -> Add -> ReLU -> Output."""
    doc = Document()
    x = chain(doc, doc.add_node("Input").id, ["Conv2d"])
    y = chain(doc, x, ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d"])
    add = doc.add_node("Add").id
    doc.connect(y, add, dst_port="in1" if skip_port == "in2" else "in2")
    doc.connect(x, add, dst_port=skip_port)
    chain(doc, add, ["ReLU", "Output"])
    return doc, x, add


def random_doc(seed: int, n: int = 60) -> Document:
    """A seeded random DAG of one-input (Linear) and two-input (Add) nodes."""
    rng = random.Random(seed)
    doc = Document()
    ids = [doc.add_node("Input", position=(rng.randrange(0, 900), rng.randrange(0, 900))).id]
    ids.append(doc.add_node("Input").id)
    while len(doc) < n:
        if rng.random() < 0.3:
            a, b = rng.sample(ids, 2)
            nid = doc.add_node("Add").id
            doc.connect(a, nid, dst_port="in1")
            doc.connect(b, nid, dst_port="in2")
        else:
            nid = doc.add_node("Linear").id
            doc.connect(rng.choice(ids[-8:]), nid)
        ids.append(nid)
    return doc


def crossings(doc: Document, pos: dict) -> int:
    """Pairs of straight wires that cross, counted between each pair of adjacent columns."""
    xs = sorted({p[0] for p in pos.values()})
    wires = [(pos[e.src], pos[e.dst]) for e in doc.edges if e.src in pos and e.dst in pos]

    def y_at(wire, x):
        (x0, y0), (x1, y1) = wire
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)

    count = 0
    for left, right in zip(xs, xs[1:]):
        spans = [(y_at(w, left), y_at(w, right)) for w in wires if w[0][0] <= left < w[1][0]]
        for i, (a0, a1) in enumerate(spans):
            for b0, b1 in spans[i + 1 :]:
                count += (a0 - b0) * (a1 - b1) < 0
    return count


def overlapping(pos: dict) -> list[tuple[str, str]]:
    """Pairs of node cards (NODE_W x NODE_H at each position) that overlap."""
    items = sorted(pos.items(), key=lambda item: item[1])
    found = []
    for i, (a, (ax, ay)) in enumerate(items):
        for b, (bx, by) in items[i + 1 :]:
            if bx >= ax + NODE_W:
                break
            if abs(ay - by) < NODE_H:
                found.append((a, b))
    return found


def test_a_chain_is_one_row_left_to_right_x_gap_apart():
    doc = Document()
    first = doc.add_node("Input").id
    chain(doc, first, ["Linear", "ReLU", "Linear", "Output"])
    order = doc.topological_order()
    # scattered, top-left at (100, 60): the row starts there
    doc.move_nodes({n: (100 + 37 * i, 60 + 53 * (i % 3)) for i, n in enumerate(order)})
    pos = layered_layout(doc)
    assert {pos[n][1] for n in order} == {60.0}
    xs = [pos[n][0] for n in order]
    assert xs == [100.0 + 240.0 * i for i in range(5)]


def test_gaps_are_configurable():
    doc = Document()
    chain(doc, doc.add_node("Input").id, ["Linear", "Output"])
    pos = layered_layout(doc, x_gap=300.0, y_gap=100.0)
    assert sorted(x for x, _ in pos.values()) == [0.0, 300.0, 600.0]


@pytest.mark.parametrize("skip_port", ["in1", "in2"])
def test_a_residual_skip_crosses_nothing_and_runs_clear_of_the_block(skip_port):
    doc, x, add = residual_doc(skip_port)
    pos = layered_layout(doc)
    assert crossings(doc, pos) == 0
    # the skip is a straight wire from x to add; no block node may sit on it
    assert pos[x][1] == pos[add][1]
    between = [n for n, (nx, _) in pos.items() if pos[x][0] < nx < pos[add][0]]
    assert len(between) == 4
    assert all(abs(pos[n][1] - pos[x][1]) >= 120.0 for n in between)
    # the block itself is a straight row, on the side of its port on the Add (in1: top)
    assert len({pos[n][1] for n in between}) == 1
    block_above = pos[between[0]][1] < pos[add][1]
    assert block_above == (skip_port == "in2")


def test_every_edge_goes_left_to_right_and_no_two_nodes_share_a_place():
    for seed in range(8):
        doc = random_doc(seed)
        pos = layered_layout(doc)
        assert set(pos) == set(doc.nodes)
        for e in doc.edges:
            assert pos[e.src][0] < pos[e.dst][0], (seed, e)
        assert len(set(pos.values())) == len(pos), seed
        assert overlapping(pos) == [], seed


def test_ordering_removes_crossings_that_document_order_has():
    # x fans out to a1..a3; a1..a3 feed b3..b1 (reversed); b1..b3 merge into one Concat.
    # Placed in document order, every pair of wires between the a and b columns crosses.
    doc = Document()
    x = doc.add_node("Input").id
    a = [doc.add_node("Linear").id for _ in range(3)]
    b = [doc.add_node("Linear").id for _ in range(3)]
    cat = doc.add_node("Concat", params={"inputs": 3}).id
    for ai, bi in zip(a, reversed(b)):
        doc.connect(x, ai)
        doc.connect(ai, bi)
    for i, bi in enumerate(b):
        doc.connect(bi, cat, dst_port=f"in{i + 1}")
    naive = {x: (0.0, 120.0), cat: (720.0, 120.0)}
    for col, ids in ((1, a), (2, b)):
        for row, nid in enumerate(ids):
            naive[nid] = (col * 240.0, row * 120.0)
    assert crossings(doc, naive) == 3
    pos = layered_layout(doc)
    assert crossings(doc, pos) == 0
    assert overlapping(pos) == []


def test_merging_branches_centre_their_merge_node():
    doc = Document()
    x = doc.add_node("Input").id
    ends = [chain(doc, x, ["Linear", "ReLU"]) for _ in range(2)]
    cat = doc.add_node("Concat").id
    doc.connect(ends[0], cat, dst_port="in1")
    doc.connect(ends[1], cat, dst_port="in2")
    pos = layered_layout(doc)
    branch_ys = sorted(pos[e][1] for e in ends)
    assert branch_ys[1] - branch_ys[0] == 120.0
    assert pos[cat][1] == pos[x][1] == sum(branch_ys) / 2
    assert crossings(doc, pos) == 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name.split(".")[0])
def test_every_example_lays_out_without_overlaps(path):
    doc = load(path)
    pos = layered_layout(doc)
    assert set(pos) == set(doc.nodes)
    assert overlapping(pos) == []
    assert all(pos[e.src][0] < pos[e.dst][0] for e in doc.edges)
    assert crossings(doc, pos) == 0


def test_components_are_stacked_top_to_bottom_from_the_same_left_edge():
    doc = Document()
    a = doc.add_node("Input", position=(0, 0)).id
    chain(doc, a, ["Linear", "Output"])
    b = doc.add_node("Input", position=(500, 400)).id
    chain(doc, b, ["Linear", "ReLU", "Output"])
    lone = doc.add_node("Linear", position=(0, 900)).id
    pos = layered_layout(doc)
    assert pos[a] == (0.0, 0.0)
    assert pos[b] == (0.0, 120.0)  # one row below the first component
    assert pos[lone] == (0.0, 240.0)
    assert overlapping(pos) == []


def test_only_the_given_nodes_move_placed_at_their_top_left():
    doc = Document()
    first = doc.add_node("Input", position=(0, 0)).id
    last = chain(doc, first, ["Linear", "ReLU", "Linear", "Output"])
    ids = doc.topological_order()
    picked = ids[1:4]
    doc.move_nodes({picked[0]: (400, 300), picked[1]: (360, 500), picked[2]: (700, 340)})
    before = {n.id: n.position for n in doc}
    pos = layered_layout(doc, picked)
    assert set(pos) == set(picked)
    assert [pos[n] for n in picked] == [(360.0, 300.0), (600.0, 300.0), (840.0, 300.0)]
    assert {n.id: n.position for n in doc} == before  # the document is only read
    assert first not in pos and last not in pos


def test_nothing_to_lay_out_gives_nothing():
    assert layered_layout(Document()) == {}
    doc = Document()
    doc.add_node("Input")
    assert layered_layout(doc, []) == {}


def test_unknown_ids_are_refused_by_name():
    doc = Document()
    doc.add_node("Input")
    with pytest.raises(ValueError, match="'ghost'"):
        layered_layout(doc, ["input1", "ghost"])


def test_positions_are_on_the_grid_and_at_the_origin():
    doc = random_doc(3, 30)
    pos = layered_layout(doc, origin=(33.0, -47.0))
    assert min(x for x, _ in pos.values()) == 40.0
    assert min(y for _, y in pos.values()) == -40.0
    assert all(x % 20 == 0 and y % 20 == 0 for x, y in pos.values())


def test_laying_out_twice_changes_nothing_and_is_deterministic():
    doc = random_doc(5)
    pos = layered_layout(doc)
    assert layered_layout(doc.copy()) == pos
    doc.move_nodes(pos)
    assert layered_layout(doc) == pos


def test_three_hundred_nodes_lay_out_cleanly():
    doc = random_doc(11, 300)
    pos = layered_layout(doc)
    assert len(pos) == 300
    assert overlapping(pos) == []
    assert all(pos[e.src][0] < pos[e.dst][0] for e in doc.edges)
