"""compound_layout: ops in boxes per group, laid out left to right without overlaps."""

import numpy as np
import pytest

import core
import core.nn.functional as F
from core.graph import record
from core.model import Document, build
from widgets.graph_layout import Layout, compound_layout

OP_SIZE = (90.0, 24.0)


def _chain(doc, src, kinds):
    for kind, params in kinds:
        nid = doc.add_node(kind, params=params).id
        doc.connect(src, nid)
        src = nid
    return src


def _residual_document(blocks: int = 3) -> Document:
    """Input -> blocks of [Linear, LayerNorm, ReLU + skip Add] -> Reshape -> attention ->
    Flatten -> Linear -> Output: one-op nodes, a many-op node, long skip edges."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [8]}).id
    for _ in range(blocks):
        y = _chain(doc, x, [("Linear", {"out_features": 8}), ("LayerNorm", {}), ("ReLU", {})])
        add = doc.add_node("Add").id
        doc.connect(y, add, dst_port="in1")
        doc.connect(x, add, dst_port="in2")
        x = add
    _chain(
        doc,
        x,
        [
            ("Reshape", {"shape": [2, 4]}),
            ("MultiheadAttention", {"num_heads": 2}),
            ("Flatten", {}),
            ("Linear", {"out_features": 3}),
            ("Output", {}),
        ],
    )
    return doc


@pytest.fixture(scope="module")
def recording():
    """A real recorded training step (forward, loss, backward) and its op -> node map."""
    doc = _residual_document()
    model = build(doc)
    x = core.tensor(np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32))
    y = core.tensor(np.array([0, 1, 2, 0]))
    with record(backward=True, timing=True) as rec:
        F.cross_entropy(model(x), y).backward()
    group_of = {}
    for n in rec.nodes:
        if n.kind == "input" and n.shape[0] == 4:
            group_of[n.id] = None  # graph inputs stand alone
        else:
            group_of[n.id] = model.node_of_scope(n.scope) or "(loss)"
    return rec, group_of


def _args(recording, backward=False, params=False):
    rec, group_of = recording
    keep = [
        n
        for n in rec.nodes
        if n.kind in ("op", "input")
        or (backward and n.kind == "backward")
        or (params and n.kind == "parameter")
    ]
    ids = [n.id for n in keep]
    attach = {n.id: n.forward_id for n in keep if n.kind == "backward"}
    sizes = {i: OP_SIZE for i in ids}
    return ids, rec.edges, group_of, sizes, attach


def _overlap(a, b, eps=0.5) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax + eps < bx + bw and bx + eps < ax + aw and ay + eps < by + bh and by + eps < ay + ah


def _inside(inner, outer) -> bool:
    ix, iy, iw, ih = inner
    ox, oy, ow, oh = outer
    return (
        ix >= ox - 1e-6
        and iy >= oy - 1e-6
        and ix + iw <= ox + ow + 1e-6
        and (iy + ih <= oy + oh + 1e-6)
    )


def _layout(recording, collapsed=(), **kw) -> Layout:
    ids, edges, group_of, sizes, attach = _args(recording, **kw)
    return compound_layout(ids, edges, group_of, sizes, collapsed, attach=attach)


@pytest.mark.parametrize("show", [{}, {"backward": True, "params": True}])
def test_boxes_and_lone_ops_do_not_overlap(recording, show):
    layout = _layout(recording, **show)
    _, group_of = recording
    top = list(layout.groups.values())
    top += [r for op, r in layout.ops.items() if group_of[op] is None]
    for i, a in enumerate(top):
        for b in top[i + 1 :]:
            assert not _overlap(a, b), (a, b)


@pytest.mark.parametrize("show", [{}, {"backward": True, "params": True}])
def test_every_op_is_inside_its_groups_box_below_the_header_and_ops_do_not_overlap(recording, show):
    layout = _layout(recording, **show)
    _, group_of = recording
    for op, rect in layout.ops.items():
        g = group_of[op]
        if g is not None:
            x, y, w, h = layout.groups[g]
            assert _inside(rect, (x, y + 28.0, w, h - 28.0)), (op, g)
    rects = list(layout.ops.values())
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _overlap(a, b)


def test_edges_run_left_to_right_between_their_ops(recording):
    layout = _layout(recording)
    ids, edges, group_of, _, _ = _args(recording)
    shown = set(ids)
    for a, b in edges:
        if a in shown and b in shown:
            ax, _, aw, _ = layout.ops[a]
            bx, _, _, _ = layout.ops[b]
            assert ax + aw < bx, (a, b)  # the consumer is in a later layer
    assert layout.routes
    for route in layout.routes:
        xs = [p[0] for p in route.points]
        assert xs == sorted(xs), route
        (sx, sy), (ex, ey) = route.points[0], route.points[-1]
        x, y, w, h = layout.ops[route.src[1]]
        assert (sx, sy) == (x + w, y + h / 2)  # from the producer's right middle
        x, y, w, h = layout.ops[route.dst[1]]
        assert (ex, ey) == (x, y + h / 2)  # to the consumer's left middle


def test_an_edge_into_an_expanded_box_enters_through_its_left_border(recording):
    layout = _layout(recording)
    _, group_of = recording
    crossing = [r for r in layout.routes if group_of[r.src[1]] != group_of[r.dst[1]]]
    assert crossing
    for route in crossing:
        g = group_of[route.dst[1]]
        if g is None:
            continue
        x, y, w, h = layout.groups[g]
        assert any(abs(px - x) < 1e-6 and y < py < y + h for px, py in route.points)


def test_collapsing_groups_shows_one_card_per_group(recording):
    _, group_of = recording
    groups = {g for g in group_of.values() if g is not None}
    open_ = _layout(recording)
    shut = _layout(recording, collapsed=groups)
    assert len(shut.ops) < len(open_.ops)
    assert set(shut.ops) == {op for op in open_.ops if group_of[op] is None}
    assert set(shut.groups) == set(open_.groups) == groups
    assert shut.collapsed == frozenset(groups)
    for op, key in shut.item_of.items():
        assert key == (("op", op) if group_of[op] is None else ("group", group_of[op]))
    # cards are joined once per pair, whatever the number of op edges between them
    pairs = [(r.src, r.dst) for r in shut.routes]
    assert len(pairs) == len(set(pairs))
    for route in shut.routes:
        if route.src[0] == "group":
            x, y, w, h = shut.groups[route.src[1]]
            assert route.points[0] == (x + w, y + h / 2)


def test_collapsing_one_group_keeps_the_others_open(recording):
    shut = _layout(recording, collapsed={"attn1"})
    assert ("group", "attn1") in {shut.item_of[op] for op in shut.item_of}
    assert any(op for op, key in shut.item_of.items() if key == ("op", op))
    assert all(shut.item_of[op][1] != "attn1" or op not in shut.ops for op in shut.item_of)


def test_backward_ops_hang_under_the_op_they_differentiate(recording):
    layout = _layout(recording, backward=True)
    rec, _ = recording
    for n in rec.nodes:
        if n.kind == "backward" and n.forward_id in layout.ops:
            fx, fy, fw, fh = layout.ops[n.forward_id]
            bx, by, bw, bh = layout.ops[n.id]
            assert by > fy + fh  # below
            assert abs((bx + bw / 2) - (fx + fw / 2)) < 1e-6  # centred under it


def test_layout_is_deterministic(recording):
    a = _layout(recording, backward=True, params=True)
    b = _layout(recording, backward=True, params=True)
    assert a.ops == b.ops and a.groups == b.groups
    assert [(r.src, r.dst, r.points) for r in a.routes] == [
        (r.src, r.dst, r.points) for r in b.routes
    ]


def test_a_collapsed_card_takes_the_size_asked_for():
    layout = compound_layout(
        [0, 1, 2],
        [(0, 1), (1, 2)],
        {0: None, 1: "g", 2: None},
        {i: OP_SIZE for i in range(3)},
        {"g"},
        group_sizes={"g": (200.0, 50.0)},
    )
    assert layout.groups["g"][2:] == (200.0, 50.0)
    assert layout.ops[0][0] + OP_SIZE[0] < layout.groups["g"][0]
    assert layout.groups["g"][0] + 200.0 < layout.ops[2][0]


def test_an_empty_graph_gives_an_empty_layout():
    layout = compound_layout([], [], {}, {})
    assert layout.ops == {} and layout.groups == {} and layout.routes == []
    assert layout.bounds() == (0.0, 0.0, 0.0, 0.0)


def test_edges_to_ops_not_laid_out_are_ignored():
    layout = compound_layout([0, 1], [(0, 1), (1, 5), (7, 0)], {}, {0: OP_SIZE, 1: OP_SIZE})
    assert [(r.src, r.dst) for r in layout.routes] == [(("op", 0), ("op", 1))]


def test_cycles_and_edges_between_an_op_and_its_attached_op_do_not_break_the_layout():
    size = (50.0, 20.0)
    layout = compound_layout(
        [0, 1, 2, 3, 4],
        [(0, 1), (2, 1), (1, 2), (3, 0), (1, 3), (4, 3)],
        {0: "a", 1: "a", 2: "a", 3: "b", 4: "b"},
        {i: size for i in range(5)},
        attach={4: 3},
    )
    assert set(layout.ops) == {0, 1, 2, 3, 4}
    assert not _overlap(layout.groups["a"], layout.groups["b"])
    assert all(len(r.points) >= 2 for r in layout.routes)
