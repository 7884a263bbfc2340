"""Layout of a recorded computation graph with collapsible groups (headless: no Qt).

``compound_layout(ops, edges, group_of, sizes, collapsed)`` places every op of an expanded
group inside its group's box and every collapsed group as one card, left to right, the
TensorBoard way: each expanded group's ops are laid out on their own (edges that enter or
leave the group meet at a port on the box's left or right border), then the groups and the
ops outside any group are laid out as one graph, each box at its real size.

Both levels are layered DAG layouts: layers by longest path (sources such as parameters pulled
to just before their first consumer), edges that span layers routed through placeholder
"dummy" slots, crossing minimisation by igraph's Sugiyama layout (``layout_sugiyama``), then
coordinates that fit the real sizes: each slot pulled towards the median of its neighbours'
edge ends, order and gaps kept by a weighted isotonic fit (pool adjacent violators).
igraph's layering is not used: it puts every source in the first layer, so a graph with its
parameters shown grows a dummy per layer per parameter and takes tens of seconds (measured:
benchmarks/bench_graph_layout.py).
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

try:
    import igraph
except ImportError:  # NOTE: a declared dependency; without it, layouts keep more crossings
    igraph = None

from core.model.layout import fit_in_order, median_straight  # noqa: E402 - after the optional import

Rect = tuple[float, float, float, float]  # x, y, width, height
Point = tuple[float, float]
ItemKey = tuple[str, Hashable]  # ("op", op id) or ("group", group id)

# how strongly a slot holds its target when the slots of a layer compete for room: long
# edges stay straight first, then real nodes; a slot nothing pulls barely resists
_DUMMY_WEIGHT = 64.0
_NODE_WEIGHT = 1.0
_FREE_WEIGHT = 0.05
_DUMMY_HEIGHT = 4.0
_SWEEPS = 3  # coordinate passes: left to right, back, and left to right again
_IN, _OUT = "in", "out"  # the ports of a group's inner graph


@dataclass(frozen=True)
class Route:
    """One drawn edge: the items it joins and its polyline (left to right; pairs of points
    at the same y run straight through a layer's column)."""

    src: ItemKey
    dst: ItemKey
    points: list[Point]


@dataclass
class Layout:
    """Where everything goes: op rectangles, group boxes (a collapsed group: its card) and
    edge routes, in one coordinate system (y down)."""

    ops: dict[Hashable, Rect] = field(default_factory=dict)
    groups: dict[Hashable, Rect] = field(default_factory=dict)
    collapsed: frozenset = frozenset()
    routes: list[Route] = field(default_factory=list)
    item_of: dict[Hashable, ItemKey] = field(default_factory=dict)  # op -> what shows it

    def bounds(self) -> Rect:
        """The rectangle around every op and box (0, 0, 0, 0 when empty)."""
        rects = list(self.ops.values()) + list(self.groups.values())
        if not rects:
            return (0.0, 0.0, 0.0, 0.0)
        x0 = min(r[0] for r in rects)
        y0 = min(r[1] for r in rects)
        x1 = max(r[0] + r[2] for r in rects)
        y1 = max(r[1] + r[3] for r in rects)
        return (x0, y0, x1 - x0, y1 - y0)


def compound_layout(
    ops: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable]],
    group_of: Mapping[Hashable, Hashable | None],
    sizes: Mapping[Hashable, tuple[float, float]],
    collapsed: Iterable[Hashable] = (),
    *,
    attach: Mapping[Hashable, Hashable] | None = None,
    group_sizes: Mapping[Hashable, tuple[float, float]] | None = None,
    header: float = 28.0,
    padding: float = 12.0,
    x_gap: float = 36.0,
    y_gap: float = 14.0,
    group_x_gap: float = 48.0,
    group_y_gap: float = 24.0,
    attach_gap: float = 6.0,
) -> Layout:
    """Lay out ``ops`` (in execution order) joined by ``edges`` (producer, consumer).

    group_of: each op's group (None or missing: the op stands alone); sizes: each op's
    (width, height); collapsed: groups drawn as one card of ``group_sizes[g]`` (default
    140 x 40), whose width is also the least width of the group's expanded box.
    attach: ops drawn right under another op of the same group (backward ops under the
    forward op they differentiate) instead of in a layer of their own.
    Edges to ops not in ``ops`` are ignored. Deterministic.
    """
    enabled = gc.isenabled()
    gc.disable()  # NOTE: the many small tuples trigger collections that cost a third
    try:
        return _compound(
            ops,
            edges,
            group_of,
            sizes,
            collapsed,
            attach,
            group_sizes,
            header,
            padding,
            x_gap,
            y_gap,
            group_x_gap,
            group_y_gap,
            attach_gap,
        )
    finally:
        if enabled:
            gc.enable()


def _compound(
    ops,
    edges,
    group_of,
    sizes,
    collapsed,
    attach,
    group_sizes,
    header,
    padding,
    x_gap,
    y_gap,
    group_x_gap,
    group_y_gap,
    attach_gap,
) -> Layout:
    ops = list(dict.fromkeys(ops))
    rank = {op: i for i, op in enumerate(ops)}
    collapsed = frozenset(collapsed)
    group_sizes = group_sizes or {}
    attach = _resolve_attach(attach or {}, rank, group_of)
    layout = Layout(collapsed=collapsed)

    def group(op: Hashable) -> Hashable | None:
        return group_of.get(op)

    # -- the item that shows each op, and the slot (anchor) it is laid out with ----------
    members: dict[Hashable, list[Hashable]] = {}
    for op in ops:
        g = group(op)
        if g is not None:
            members.setdefault(g, []).append(op)
        layout.item_of[op] = ("group", g) if g in collapsed else ("op", op)
    stacked: dict[Hashable, list[Hashable]] = {}  # anchor -> ops drawn under it
    for op, anchor in attach.items():
        if group(op) not in collapsed:
            stacked.setdefault(anchor, []).append(op)

    def slot_of(op: Hashable) -> Hashable:
        return attach.get(op, op)

    def slot_size(op: Hashable) -> tuple[float, float, float]:
        """(width, height, offset of the anchor's middle from the slot's middle)."""
        w, h = sizes[op]
        under = stacked.get(op)
        if not under:
            return w, h, 0.0
        total = h + sum(attach_gap + sizes[u][1] for u in under)
        w = max([w] + [sizes[u][0] for u in under])
        return w, total, h / 2 - total / 2

    # -- edges between visible items, split into inner (one group) and outer ones --------
    item_edges: dict[tuple[ItemKey, ItemKey], tuple[Hashable, Hashable]] = {}
    for a, b in edges:
        if a not in rank or b not in rank:
            continue
        ka, kb = layout.item_of[a], layout.item_of[b]
        if ka == kb or (slot_of(a) == slot_of(b) and group(a) not in collapsed):
            continue  # inside one card, or between an op and one hanging under it
        item_edges.setdefault((ka, kb), (a, b))
    top_of: dict[ItemKey, Hashable] = {}  # visible item -> its top-level node

    def top(op: Hashable) -> tuple[str, Hashable]:
        """The top-level node an op is laid out in: its group, or its own slot."""
        g = group(op)
        return ("op", slot_of(op)) if g is None else ("group", g)

    inner: dict[Hashable, set] = {}  # expanded group -> edges between slots (ports too)
    outer: dict[tuple, None] = {}  # edges between top-level nodes
    for (ka, kb), (a, b) in item_edges.items():
        ta, tb = top(a), top(b)
        top_of[ka], top_of[kb] = ta, tb
        if ta == tb:
            inner.setdefault(ta[1], set()).add((slot_of(a), slot_of(b)))
            continue
        outer[(ta, tb)] = None
        if ta[0] == "group" and ta[1] not in collapsed:
            inner.setdefault(ta[1], set()).add((slot_of(a), _OUT))
        if tb[0] == "group" and tb[1] not in collapsed:
            inner.setdefault(tb[1], set()).add((_IN, slot_of(b)))

    # -- each expanded group's ops, laid out on their own ---------------------------------
    inner_layouts: dict[Hashable, _Placed] = {}
    for g, group_ops in members.items():
        if g in collapsed:
            continue
        slots = [op for op in group_ops if op not in attach]
        pairs = inner.get(g, set())
        has_in = any(a == _IN for a, _ in pairs)
        has_out = any(b == _OUT for _, b in pairs)
        nodes = ([_IN] if has_in else []) + slots + ([_OUT] if has_out else [])
        node_sizes = {op: slot_size(op) for op in slots}
        node_sizes[_IN] = node_sizes[_OUT] = (0.0, 0.0, 0.0)
        order = {n: i for i, n in enumerate(nodes)}
        order[_IN], order[_OUT] = -1, len(nodes)
        if len(slots) == 1:  # the common case (one op per node): nothing to order
            placed = _single(slots[0], node_sizes[slots[0]], has_in, has_out, x_gap)
        else:
            placed = _layered(
                nodes,
                sorted(pairs, key=lambda e: (order[e[0]], order[e[1]])),
                node_sizes,
                x_gap,
                y_gap,
                ports=(_IN if has_in else None, _OUT if has_out else None),
            )
        min_w = group_sizes.get(g, (140.0, 40.0))[0]
        x0, y0, x1, y1 = placed.extent
        if not has_in:
            x0 -= padding
        if not has_out:
            x1 += padding
        if x1 - x0 < min_w:
            grow = (min_w - (x1 - x0)) / 2
            x0, x1 = x0 - grow, x1 + grow
        y0 -= padding + header
        y1 += padding
        placed.origin = (x0, y0)
        placed.box = (x1 - x0, y1 - y0)
        # ports sit on the box's border (a box widened for its title moves them out)
        for port, x in ((_IN, x0), (_OUT, x1)):
            if port in placed.centres and placed.centres[port][0] != x:
                y = placed.centres[port][1]
                placed.centres[port] = (x, y)
                for key, pts in placed.routes.items():
                    if key[0] == port:
                        pts.insert(0, (x, y))
                    elif key[1] == port:
                        pts.append((x, y))
        inner_layouts[g] = placed

    # -- the top level: groups and lone ops ----------------------------------------------
    first: dict[Hashable, int] = {}
    for op in ops:
        if op in attach:
            continue
        key = top(op)
        first.setdefault(key, rank[op])
    top_nodes = _topological(sorted(first, key=first.__getitem__), outer)
    top_sizes: dict[Hashable, tuple[float, float, float]] = {}
    offsets: dict[Hashable, tuple[float, float]] = {}  # (in, out) port y from the middle
    for key in top_nodes:
        kind, ident = key
        if kind == "op":
            top_sizes[key] = slot_size(ident)
            off = top_sizes[key][2]
            offsets[key] = (off, off)
        elif ident in collapsed:
            w, h = group_sizes.get(ident, (140.0, 40.0))
            top_sizes[key] = (w, h, 0.0)
            offsets[key] = (0.0, 0.0)
        else:
            placed = inner_layouts[ident]
            w, h = placed.box
            top_sizes[key] = (w, h, 0.0)
            mid = placed.origin[1] + h / 2
            offsets[key] = (
                placed.centres.get(_IN, (0.0, mid))[1] - mid,
                placed.centres.get(_OUT, (0.0, mid))[1] - mid,
            )
    top_rank = {k: i for i, k in enumerate(top_nodes)}
    top_edges = []
    for ta, tb in outer:
        if top_rank[ta] > top_rank[tb]:  # a back edge (never in an executed graph): turned
            ta, tb = tb, ta
        top_edges.append((ta, tb))
    top_edges = sorted(set(top_edges), key=lambda e: (top_rank[e[0]], top_rank[e[1]]))
    placed_top = _layered(
        top_nodes, top_edges, top_sizes, group_x_gap, group_y_gap, offsets=offsets
    )

    # -- absolute positions -----------------------------------------------------------------
    shift: dict[Hashable, tuple[float, float]] = {}
    for key in top_nodes:
        kind, ident = key
        x, y, w, h = placed_top.rects[key]
        if kind == "op":
            _put(layout, ident, (x, y, w, h), sizes, stacked, attach_gap)
        elif ident in collapsed:
            layout.groups[ident] = (x, y, w, h)
        else:
            placed = inner_layouts[ident]
            dx, dy = x - placed.origin[0], y - placed.origin[1]
            shift[ident] = (dx, dy)
            layout.groups[ident] = (x, y, w, h)
            for op, (ox, oy, ow, oh) in placed.rects.items():
                if op not in (_IN, _OUT):
                    _put(layout, op, (ox + dx, oy + dy, ow, oh), sizes, stacked, attach_gap)

    # -- routes ---------------------------------------------------------------------------
    def moved(points: list[Point], g: Hashable) -> list[Point]:
        dx, dy = shift[g]
        return [(px + dx, py + dy) for px, py in points]

    for (ka, kb), (a, b) in item_edges.items():
        ta, tb = top_of[ka], top_of[kb]
        if ta == tb:
            g = ta[1]
            pts = moved(inner_layouts[g].routes[(slot_of(a), slot_of(b))], g)
        else:
            pts = []
            if ta[0] == "group" and ta[1] in inner_layouts:
                pts += moved(inner_layouts[ta[1]].routes[(slot_of(a), _OUT)], ta[1])
            mid = placed_top.routes.get((ta, tb))
            if mid is None:  # a turned edge: straight from end to end
                mid = list(reversed(placed_top.routes[(tb, ta)]))
            mid = list(mid)
            if pts:
                mid[0] = pts[-1]
            if tb[0] == "group" and tb[1] in inner_layouts:
                tail = moved(inner_layouts[tb[1]].routes[(_IN, slot_of(b))], tb[1])
                mid[-1] = tail[0]
                mid += tail[1:]
            pts += mid
        if ka[0] == "op":  # start and end at the op itself, not at its slot
            x, y, w, h = layout.ops[a]
            pts[0] = (x + w, y + h / 2)
        if kb[0] == "op":
            x, y, w, h = layout.ops[b]
            pts[-1] = (x, y + h / 2)
        layout.routes.append(Route(ka, kb, _dedupe(pts)))
    return layout


def _topological(nodes: list, edges: Iterable[tuple]) -> list:
    """``nodes`` in an order where edges go forward, earliest first among the ready ones
    (Kahn's algorithm); nodes on a cycle follow in their given order."""
    rank = {v: i for i, v in enumerate(nodes)}
    succ: dict = {v: [] for v in nodes}
    indegree = dict.fromkeys(nodes, 0)
    for a, b in edges:
        succ[a].append(b)
        indegree[b] += 1
    ready = [rank[v] for v in nodes if indegree[v] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        v = nodes[heapq.heappop(ready)]
        out.append(v)
        for w in succ[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                heapq.heappush(ready, rank[w])
    if len(out) < len(nodes):
        done = set(out)
        out += [v for v in nodes if v not in done]
    return out


def _resolve_attach(
    attach: Mapping[Hashable, Hashable], rank: Mapping, group_of: Mapping
) -> dict[Hashable, Hashable]:
    """Attachments whose ops and anchors are laid out, in one group, followed to the root
    anchor (an op attached to an attached op goes under the first one's anchor)."""
    out = {}
    for op, anchor in attach.items():
        seen = {op}
        while anchor in attach and anchor not in seen:
            seen.add(anchor)
            anchor = attach[anchor]
        if op in rank and anchor in rank and anchor != op:
            if group_of.get(op) == group_of.get(anchor):
                out[op] = anchor
    return out


def _put(layout: Layout, op, slot: Rect, sizes, stacked, attach_gap: float) -> None:
    """Place an op at the top of its slot, and the ops attached to it under it."""
    x, y, w, _ = slot
    ow, oh = sizes[op]
    layout.ops[op] = (x + (w - ow) / 2, y, ow, oh)
    y += oh
    for u in stacked.get(op, ()):
        uw, uh = sizes[u]
        y += attach_gap
        layout.ops[u] = (x + (w - uw) / 2, y, uw, uh)
        y += uh


def _dedupe(points: list[Point]) -> list[Point]:
    out = [points[0]]
    for p in points[1:]:
        if abs(p[0] - out[-1][0]) > 1e-6 or abs(p[1] - out[-1][1]) > 1e-6:
            out.append(p)
    return out


# -- one level: a layered DAG layout with real sizes ------------------------------------------
@dataclass
class _Placed:
    rects: dict  # node -> (x, y, w, h)
    centres: dict  # node -> (x, y) middle (ports: their point)
    routes: dict  # (a, b) -> polyline from a's right middle to b's left middle
    extent: Rect  # x0, y0, x1, y1
    origin: tuple[float, float] = (0.0, 0.0)
    box: tuple[float, float] = (0.0, 0.0)


def _single(op, size: tuple, has_in: bool, has_out: bool, x_gap: float) -> _Placed:
    """What :func:`_layered` gives for one slot between the ports, without the work."""
    w, h, off = size
    x = x_gap if has_in else 0.0
    rects = {op: (x, -h / 2, w, h)}
    centres = {op: (x + w / 2, 0.0)}
    routes = {}
    x1 = x + w
    if has_in:
        centres[_IN] = (0.0, off)
        rects[_IN] = (0.0, off, 0.0, 0.0)
        routes[(_IN, op)] = [(0.0, off), (x, off)]
    if has_out:
        x1 += x_gap
        centres[_OUT] = (x1, off)
        rects[_OUT] = (x1, off, 0.0, 0.0)
        routes[(op, _OUT)] = [(x + w, off), (x1, off)]
    return _Placed(rects, centres, routes, (0.0 if has_in else x, -h / 2, x1, h / 2))


def _layered(
    nodes: list,
    edges: list[tuple],
    sizes: Mapping,
    x_gap: float,
    y_gap: float,
    *,
    ports: tuple = (None, None),
    offsets: Mapping | None = None,
) -> _Placed:
    """Lay out a DAG whose edges go from earlier to later ``nodes``.

    sizes: node -> (width, height, offset of its edge ends from its middle); ports: an in
    and an out node kept alone in the first and last layer; offsets: node -> (in, out)
    edge-end offsets from the middle (default: the size's offset for both)."""
    n = len(nodes)
    index = {v: i for i, v in enumerate(nodes)}
    pairs = [(index[a], index[b]) for a, b in edges]
    back = [(a, b) for a, b in pairs if a >= b]  # none in an executed graph: drawn straight
    if back:
        pairs = [(a, b) for a, b in pairs if a < b]
    succ: list[list[int]] = [[] for _ in range(n)]
    pred: list[list[int]] = [[] for _ in range(n)]
    for a, b in pairs:
        succ[a].append(b)
        pred[b].append(a)
    port_in, port_out = (index.get(p) if p is not None else None for p in ports)

    # layers: longest path, then sources moved right to just before their first consumer
    layer = [0] * n
    for v in range(n):
        for p in pred[v]:
            if layer[p] + 1 > layer[v]:
                layer[v] = layer[p] + 1
    for v in range(n - 1, -1, -1):
        if not pred[v] and succ[v] and v != port_in:
            layer[v] = min(layer[s] for s in succ[v]) - 1
    if port_in is not None:
        layer = [lv + 1 for lv in layer]
        layer[port_in] = 0
    if port_out is not None:
        last = max((lv for i, lv in enumerate(layer) if i != port_out), default=0)
        layer[port_out] = last + 1
    n_layers = max(layer, default=-1) + 1

    # crossing minimisation by igraph; dummies come back as control points per edge
    xs: list[float] = [0.0] * n
    controls: list[list] = [[] for _ in pairs]
    crowd = [0] * n_layers  # slots per layer, dummies included: one each needs no ordering
    for lv in layer:
        crowd[lv] += 1
    for a, b in pairs:
        for lv in range(layer[a] + 1, layer[b]):
            crowd[lv] += 1
    if max(crowd, default=0) > 1 and pairs:
        xs, controls = _crossing_order(n, pairs, layer)
    else:
        xs = [float(i) for i in range(n)]

    width = [0.0] * n
    height = [0.0] * n
    off_in = [0.0] * n
    off_out = [0.0] * n
    for i, v in enumerate(nodes):
        w, h, off = sizes[v]
        width[i], height[i] = w, h
        off_in[i], off_out[i] = offsets[v] if offsets is not None else (off, off)
    slots: list[list[tuple[float, int]]] = [[] for _ in range(n_layers)]
    for i in range(n):
        slots[layer[i]].append((xs[i], i))
    # dummies: one per layer an edge passes; ids from n on
    chain: list[list[int]] = []
    up: list[list[int]] = [list(p) for p in pred]
    down: list[list[int]] = [list(s) for s in succ]
    for e, (a, b) in enumerate(pairs):
        points = controls[e] if e < len(controls) else []
        by_layer = {round(p[1]): p[0] for p in points}
        prev, ids = a, []
        for lv in range(layer[a] + 1, layer[b]):
            d = len(width)
            width.append(0.0)
            height.append(_DUMMY_HEIGHT)
            off_in.append(0.0)
            off_out.append(0.0)
            up.append([prev])
            down.append([])
            down[prev].append(d)
            slots[lv].append((by_layer.get(lv, xs[a]), d))
            ids.append(d)
            prev = d
        if ids:  # the chain replaces the direct edge in the neighbour lists
            down[prev].append(b)
            up[b].append(prev)
            down[a].remove(b)
            up[b].remove(a)
        chain.append(ids)
    order = [[i for _, i in sorted(s)] for s in slots]
    total = len(width)

    # columns
    col_w = [max((width[i] for i in lay), default=0.0) for lay in order]
    col_x = []
    x = 0.0
    for lv in range(n_layers):
        col_x.append(x)
        x += col_w[lv] + x_gap
    # y: stacked first, then pulled towards neighbours' edge ends
    cy = [0.0] * total
    for lay in order:
        y = 0.0
        for i in lay:
            cy[i] = y + height[i] / 2
            y += height[i] + y_gap
    for sweep in range(_SWEEPS):
        forward = sweep % 2 == 0
        seq = order if forward else order[::-1]
        for lay in seq:
            targets = []
            for i in lay:
                ends = [(cy[p] + off_out[p] - off_in[i], p >= n) for p in up[i]]
                if sweep:
                    ends += [(cy[s] + off_in[s] - off_out[i], s >= n) for s in down[i]]
                if ends:
                    w = _DUMMY_WEIGHT if i >= n else _NODE_WEIGHT
                    targets.append((median_straight(ends), w))
                else:
                    targets.append((cy[i], _FREE_WEIGHT))
            _fit(lay, targets, height, y_gap, cy)

    rects, centres = {}, {}
    for lv, lay in enumerate(order):
        for i in lay:
            if i >= n:
                continue
            v = nodes[i]
            cx = col_x[lv] + col_w[lv] / 2
            rects[v] = (cx - width[i] / 2, cy[i] - height[i] / 2, width[i], height[i])
            centres[v] = (cx, cy[i])
    routes = {}
    for e, (a, b) in enumerate(pairs):
        ax, ay, aw, ah = rects[nodes[a]]
        bx, by, bw, bh = rects[nodes[b]]
        pts = [(ax + aw, ay + ah / 2 + off_out[a])]
        for k, d in enumerate(chain[e]):
            lv = layer[a] + 1 + k
            pts += [(col_x[lv], cy[d]), (col_x[lv] + col_w[lv], cy[d])]
        pts.append((bx, by + bh / 2 + off_in[b]))
        routes[(nodes[a], nodes[b])] = pts
    for a, b in back:
        ax, ay, aw, ah = rects[nodes[a]]
        bx, by, bw, bh = rects[nodes[b]]
        routes[(nodes[a], nodes[b])] = [(ax + aw, ay + ah / 2), (bx, by + bh / 2)]
    if rects:
        ext = (
            min(r[0] for r in rects.values()),
            min(min(r[1] for r in rects.values()), min(cy) - _DUMMY_HEIGHT),
            max(r[0] + r[2] for r in rects.values()),
            max(max(r[1] + r[3] for r in rects.values()), max(cy) + _DUMMY_HEIGHT),
        )
    else:
        ext = (0.0, 0.0, 0.0, 0.0)
    return _Placed(rects, centres, routes, ext)


def _crossing_order(n: int, pairs: list, layer: list[int]) -> tuple[list[float], list]:
    """igraph's Sugiyama layout on our layers: each node's x (its order in its layer) and,
    per edge, the (x, layer) of the dummies it passes (without igraph: execution order)."""
    if igraph is None:
        return [float(i) for i in range(n)], [[] for _ in pairs]
    graph = igraph.Graph(n=n, edges=pairs, directed=True)
    result = graph.layout_sugiyama(layers=layer, maxiter=100)
    routing = getattr(result, "edge_routing", None)  # igraph >= 1.0
    return [c[0] for c in result.coords[:n]], routing or [[] for _ in pairs]


def _fit(
    lay: list[int], targets: list[tuple[float, float]], height: list, gap: float, cy: list
) -> None:
    """Move a layer's slots as close to their targets as order and gaps allow (weighted
    least squares on each middle, at least half of both heights plus ``gap`` apart)."""
    base = []  # the least distance of each slot's middle from the first one's
    acc = 0.0
    for k, i in enumerate(lay):
        if k:
            acc += (height[lay[k - 1]] + height[i]) / 2 + gap
        base.append(acc)
    for i, y in zip(lay, fit_in_order(targets, base)):
        cy[i] = y
