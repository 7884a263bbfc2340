"""Automatic left-to-right layout of a model graph (layered, Sugiyama style).

``layered_layout(doc)`` gives every node a canvas position: layers by the longest path from the
sources (one column each), long edges routed through placeholder "dummy" slots, barycentre
sweeps to cut wire crossings, then y coordinates that keep chains and long edges straight
(every node pulled towards the median of its neighbours, with a minimum gap kept by an exact
weighted isotonic fit). Weakly connected components are stacked top to bottom. Headless: no Qt.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping

from core.model.document import Document, Edge

GRID = 20.0

# how strongly a slot holds its desired y when neighbours in one layer compete for room:
# long edges stay straight first, then real nodes; a node nothing pulls barely resists
_DUMMY_WEIGHT = 64.0
_NODE_WEIGHT = 1.0
_FREE_WEIGHT = 0.25

_ORDER_SWEEPS = 4  # down+up barycentre sweep pairs at most (stops early without progress)
_PLACE_SWEEPS = 2  # down+up coordinate passes (more change nothing once snapped)


def layered_layout(
    doc: Document,
    node_ids: Iterable[str] | None = None,
    *,
    x_gap: float = 240.0,
    y_gap: float = 120.0,
    origin: tuple[float, float] | None = None,
) -> dict[str, tuple[float, float]]:
    """New positions ``{node_id: (x, y)}`` for the nodes laid out (all, or ``node_ids``).

    Edges run left to right, ``x_gap`` apart per layer; nodes of one layer are at least
    ``y_gap`` apart. ``origin`` is the top-left of the result (default: the current top-left
    of the nodes laid out, so laying out twice changes nothing). Nodes not in ``node_ids``
    keep their place and are not in the result; only edges among the laid-out nodes count.
    Positions are snapped to a 20 px grid. Deterministic.
    """
    nodes = doc.nodes
    if node_ids is None:
        ids = list(nodes)
    else:
        wanted = set(node_ids)
        unknown = sorted(wanted - set(nodes))
        if unknown:
            raise ValueError(
                f"cannot lay out unknown nodes {', '.join(map(repr, unknown))}: "
                "pass ids of nodes in the document"
            )
        ids = [nid for nid in nodes if nid in wanted]
    if not ids:
        return {}
    if origin is None:
        origin = (min(nodes[n].position[0] for n in ids), min(nodes[n].position[1] for n in ids))
    ox, oy = _snap(float(origin[0])), _snap(float(origin[1]))

    index = {nid: i for i, nid in enumerate(ids)}
    edges = doc.edges
    pairs = _pairs(edges, index)
    ports = _port_offsets(nodes, edges, index)
    components = _components(len(ids), pairs)
    # keep the user's arrangement of components: top to bottom as they are now
    components.sort(
        key=lambda comp: (
            min(nodes[ids[v]].position[1] for v in comp),
            min(nodes[ids[v]].position[0] for v in comp),
            comp[0],
        )
    )

    root = {v: comp[0] for comp in components for v in comp}
    by_component: dict[int, list[tuple[int, int]]] = {comp[0]: [] for comp in components}
    for s, d in pairs:
        by_component[root[s]].append((s, d))

    result: dict[str, tuple[float, float]] = {}
    top = 0.0
    for comp in components:
        placed = _layout_component(comp, by_component[comp[0]], ports, y_gap)
        height = max(y for _, y in placed.values())
        for v, (layer, y) in placed.items():
            result[ids[v]] = (_snap(ox + layer * x_gap), _snap(oy + top + y))
        top += height + y_gap
    return result


def _snap(value: float) -> float:
    """The nearest grid line (monotone, so gaps that are grid multiples survive)."""
    return math.floor(value / GRID + 0.5) * GRID + 0.0


def _pairs(edges: list[Edge], index: Mapping[str, int]) -> list[tuple[int, int]]:
    """Distinct (src, dst) index pairs of the edges among the laid-out nodes, in edge order."""
    seen: dict[tuple[int, int], None] = {}
    for e in edges:
        s, d = index.get(e.src), index.get(e.dst)
        if s is not None and d is not None and s != d:
            seen.setdefault((s, d), None)
    return list(seen)


def _port_offsets(nodes: Mapping, edges: list[Edge], index: Mapping[str, int]) -> dict:
    """{(src, dst): offset} for wires into a node with several inputs: where the input port
    sits on the node, from -0.25 (first port, top) to 0.25 (last), so that ordering puts
    the sources of a merge in port order (a tie-break: less than half a slot)."""
    into: dict[str, list[Edge]] = {}
    for e in edges:
        if e.src in index and e.dst in index:
            into.setdefault(e.dst, []).append(e)
    offsets: dict[tuple[int, int], float] = {}
    for dst, wires in into.items():
        if len(wires) < 2:
            continue
        node = nodes[dst]
        order = {port: k for k, port in enumerate(node.entry.input_ports(node.params))}
        wires.sort(key=lambda e: order.get(e.dst_port, len(order)))
        last = len(wires) - 1
        for k, e in enumerate(wires):
            offsets.setdefault((index[e.src], index[dst]), (k / last - 0.5) * 0.5)
    return offsets


def _components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Weakly connected components, each a sorted list of node indices."""
    parent = list(range(n))

    def find(v: int) -> int:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for s, d in pairs:
        a, b = find(s), find(d)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for v in range(n):
        groups.setdefault(find(v), []).append(v)
    return list(groups.values())


def _layers(comp: list[int], succ: dict[int, list[int]], pred: dict[int, list[int]]):
    """Layer of each node: the longest path from a source; sources move right next to
    their first consumer. A cycle (never in a valid document) is broken at its first node."""
    indeg = {v: len(pred[v]) for v in comp}
    ready = [v for v in comp if not indeg[v]]
    layer: dict[int, int] = {}
    unplaced = iter(comp)
    while len(layer) < len(comp):
        if not ready:  # a cycle: take the first unplaced node as if it were a source
            ready.append(next(v for v in unplaced if v not in layer))
        v = ready.pop()
        if v in layer:
            continue
        layer[v] = max([layer[p] + 1 for p in pred[v] if p in layer], default=0)
        for s in succ[v]:
            indeg[s] -= 1
            if not indeg[s] and s not in layer:
                ready.append(s)
    for v in comp:
        if not pred[v] and succ[v]:
            layer[v] = max(layer[v], min([layer[s] for s in succ[v]]) - 1)
    return layer


def _layout_component(
    comp: list[int], pairs: list[tuple[int, int]], ports: Mapping, y_gap: float
) -> dict[int, tuple[int, float]]:
    """{node: (layer, y)} for one connected component (``pairs``: its edges; ``ports``: input
    port offsets of wires into merges), y from 0 down."""
    if len(comp) == 1:
        return {comp[0]: (0, 0.0)}
    succ: dict[int, list[int]] = {v: [] for v in comp}
    pred: dict[int, list[int]] = {v: [] for v in comp}
    for s, d in pairs:
        succ[s].append(d)
        pred[d].append(s)
    layer = _layers(comp, succ, pred)

    # slots: real nodes keep their index; dummies (one per layer a long edge passes) get
    # fresh ids above every node index. up/down: neighbours in the layer before/after.
    up: dict[int, list[int]] = {v: [] for v in comp}
    down: dict[int, list[int]] = {v: [] for v in comp}
    slot_layer = dict(layer)
    port: dict[tuple[int, int], float] = {}  # (slot, node) -> input port offset on the node
    next_id = max(comp) + 1
    for s, d in pairs:
        a, b = layer[s], layer[d]
        if b <= a:  # only a broken cycle does this: draw it backwards, no dummies
            continue
        prev = s
        for k in range(a + 1, b):
            dummy = next_id
            next_id += 1
            slot_layer[dummy] = k
            up[dummy], down[dummy] = [prev], []
            down[prev].append(dummy)
            prev = dummy
        down[prev].append(d)
        up[d].append(prev)
        if (s, d) in ports:
            port[prev, d] = ports[s, d]
    first_dummy = max(comp) + 1

    depth = max(slot_layer.values()) + 1
    layers: list[list[int]] = [[] for _ in range(depth)]
    for v in sorted(slot_layer):  # real nodes in document order, then dummies in edge order
        layers[slot_layer[v]].append(v)

    if all(len(slots) == 1 for slots in layers):  # a chain: one straight row
        return {v: (layer[v], 0.0) for v in comp}
    _order(layers, up, down, {v: [port.get((v, w), 0.0) for w in down[v]] for v in down})
    ys = _place(layers, up, down, first_dummy, y_gap)
    low = min(ys[v] for v in comp)
    return {v: (layer[v], ys[v] - low) for v in comp}


# -- ordering (crossing reduction) ----------------------------------------------------------


def _order(layers: list[list[int]], up: dict, down: dict, port: dict) -> None:
    """Reorder each layer in place by barycentre sweeps, keeping the order with the fewest
    crossings seen. ``port[v]``: where each of ``down[v]``'s wires enters its node (offsets
    into a merge; 0 elsewhere)."""
    shift = {v: sum(offsets) for v, offsets in port.items()}
    pos = {v: i for layer in layers for i, v in enumerate(layer)}
    # a first downward pass from the document order gives a sensible start
    _sweep(layers, pos, up, range(1, len(layers)))
    best = [list(layer) for layer in layers]
    best_count = _crossings(layers, pos, down, port)
    stale = 0
    for _ in range(_ORDER_SWEEPS):
        if best_count == 0:
            break
        _sweep(layers, pos, down, range(len(layers) - 2, -1, -1), shift)
        _sweep(layers, pos, up, range(1, len(layers)))
        count = _crossings(layers, pos, down, port)
        if count < best_count:
            best, best_count, stale = [list(layer) for layer in layers], count, 0
        else:
            stale += 1
            if stale >= 2:
                break
    layers[:] = best


def _sweep(
    layers: list[list[int]],
    pos: dict,
    neighbours: dict,
    indices: Iterable[int],
    shift: dict | None = None,
) -> None:
    """Sort each listed layer by the mean position of each slot's neighbours in the layer it
    is compared with (plus, sorting by successors, the ``shift`` of where the wires enter
    them); a slot without such neighbours keeps its place."""
    for i in indices:
        keyed = []
        for v in layers[i]:
            near, p = neighbours[v], pos[v]
            if not near:
                keyed.append((p, p, v))
                continue
            total = sum(map(pos.__getitem__, near))
            if shift:
                total += shift[v]
            keyed.append((total / len(near), p, v))
        keyed.sort()
        layers[i] = [v for _, _, v in keyed]
        for k, (_, _, v) in enumerate(keyed):
            pos[v] = k


def _crossings(layers: list[list[int]], pos: dict, down: dict, port: dict) -> int:
    """Wire crossings between adjacent layers (pairs of edges whose ends swap order; the
    wires into one merge cross where their sources are out of port order)."""
    total = 0
    for layer in layers[:-1]:
        ends = sorted(
            (pos[v], pos[w] + offset) for v in layer for w, offset in zip(down[v], port[v])
        )
        total += _inversions([w for _, w in ends])
    return total


def _inversions(values: list[float]) -> int:
    """Pairs i < j with values[i] > values[j]."""
    seen: list[float] = []
    count = 0
    for v in values:
        k = bisect_right(seen, v)
        count += len(seen) - k
        seen.insert(k, v)
    return count


# -- coordinates ----------------------------------------------------------------------------


def _place(layers: list[list[int]], up: dict, down: dict, first_dummy: int, gap: float) -> dict:
    """y of every slot: each pulled to the median y of its neighbours, layer by layer, with
    slots of a layer kept in order and at least ``gap`` apart."""
    ys: dict[int, float] = {}
    for layer in layers:
        mid = (len(layer) - 1) / 2
        for k, v in enumerate(layer):
            ys[v] = (k - mid) * gap
    down_order = range(1, len(layers))
    up_order = range(len(layers) - 2, -1, -1)
    for _ in range(_PLACE_SWEEPS):
        moved = 0.0
        for i in down_order:
            moved = max(moved, _fit(layers[i], ys, up, first_dummy, gap))
        for i in up_order:
            moved = max(moved, _fit(layers[i], ys, down, first_dummy, gap))
        if moved < 0.5:
            break  # settled: a chain settles in one sweep
    return ys


def _fit(layer: list[int], ys: dict, neighbours: dict, first_dummy: int, gap: float) -> float:
    """Move a layer's slots as close as they can get to their targets (least squares,
    weighted, keeping order and ``gap``). Returns the largest move."""
    if len(layer) == 1 and not neighbours[layer[0]]:
        return 0.0
    targets = []
    for v in layer:
        near = neighbours[v]
        if len(near) == 1:
            targets.append((ys[near[0]], _DUMMY_WEIGHT if v >= first_dummy else _NODE_WEIGHT))
        elif near:
            targets.append(
                (median_straight([(ys[u], u >= first_dummy) for u in near]), _NODE_WEIGHT)
            )
        else:
            targets.append((ys[v], _FREE_WEIGHT))
    moved = 0.0
    for v, y in zip(layer, fit_in_order(targets, [k * gap for k in range(len(layer))])):
        moved = max(moved, abs(ys[v] - y))
        ys[v] = y
    return moved


def fit_in_order(targets: list[tuple[float, float]], offsets: list[float]) -> list[float]:
    """Positions as close as they can get to ``targets`` ((position, weight) per slot, in
    weighted least squares) while slot k stays at least ``offsets[k] - offsets[k-1]`` below
    slot k-1: pool-adjacent-violators on position - offset (the layered layouts' last step).
    """
    sums: list[float] = []  # the pooled blocks: weighted sum of z, weight, slot count
    weights: list[float] = []
    counts: list[int] = []
    for (target, w), base in zip(targets, offsets):
        total, c = (target - base) * w, 1
        # pool while the previous block's mean is below this one's (means must not decrease)
        while sums and sums[-1] * w > total * weights[-1]:
            total += sums.pop()
            w += weights.pop()
            c += counts.pop()
        sums.append(total)
        weights.append(w)
        counts.append(c)
    out: list[float] = []
    for total, w, c in zip(sums, weights, counts):
        z = total / w
        for _ in range(c):
            out.append(z + offsets[len(out)])
    return out


def median_straight(values: list[tuple[float, bool]]) -> float:
    """The median of (y, straight) pairs; of an even count, the middle value a long edge
    holds (``straight``: so skip wires stay straight) or else the mean of the two middle
    values."""
    if len(values) == 1:
        return values[0][0]
    ranked = sorted(values)
    half = len(ranked) // 2
    if len(ranked) % 2:
        return ranked[half][0]
    (a, a_straight), (b, b_straight) = ranked[half - 1], ranked[half]
    if a_straight != b_straight:
        return a if a_straight else b
    return (a + b) / 2
