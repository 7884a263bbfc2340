"""Find where a NaN or Inf first appeared, by running the failing batch again under watch.

Checking every op of every step would slow training down, so the trainer only checks the
loss and the gradients (cheap sums) per step. When one is not finite, :func:`diagnose`
re-runs that batch (same weights, same random state) under a ``core.graph`` recording
that tests each op's outputs as it runs, and with a gradient hook on every intermediate
result. The first op whose output is not finite is the forward culprit; otherwise the
first gradient to turn non-finite in the backward pass names the op whose backward made
it. The op's scope (its module path) maps to the document node through the model's
``node_of_scope`` (a built GraphModel has one).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from core import backend as _backend
from core import graph as _graph
from core._state import state
from core.train.reports import Anomaly


def _finite(t) -> bool:
    """Whether tensor t holds no NaN or Inf (integer tensors always do)."""
    a = t._data
    if a.dtype.kind not in "fc":
        return True
    return bool(_backend.get(t._device).xp.isfinite(a).all())


def _kind(arrays) -> str:
    """ "nan", "inf" or "nan/inf" for the non-finite values among arrays."""
    nan = inf = False
    for a in arrays:
        if a.dtype.kind not in "fc":
            continue
        a = _backend.to_numpy(a)
        nan = nan or bool(np.isnan(a).any())
        inf = inf or bool(np.isinf(a).any())
    return "nan/inf" if nan and inf else "inf" if inf else "nan"


class _Watch(_graph.Recorder):
    """A recorder that notes the first op with a non-finite output and keeps the outputs
    (only for a diagnosis: it holds every intermediate tensor alive)."""

    def __init__(self) -> None:
        super().__init__(backward=True)
        self.first_bad: int | None = None
        self.bad_value = "nan"
        self.outputs: list[tuple[int, object]] = []  # (node id, tensor) needing grad

    def _record_op(self, name, inputs, outputs, ctx) -> None:
        super()._record_op(name, inputs, outputs, ctx)
        node_id = self.nodes[-1].id
        for o in outputs:
            if self.first_bad is None and not _finite(o):
                self.first_bad = node_id
                self.bad_value = _kind([o._data])
            if o._requires_grad:
                self.outputs.append((node_id, o))


def _node_of(model, scope: str | None):
    if scope is None:
        return None, None
    lookup = getattr(model, "node_of_scope", None)
    if lookup is not None:
        nid = lookup(scope)
    else:
        ids = getattr(model, "node_names", None)
        head = scope.split(".")[0] if scope else ""
        nid = head if ids is not None and head in ids else None
    if nid is None:
        return None, None
    return nid, getattr(model, "node_names", {}).get(nid)


def _param_node(model, name: str):
    scope = name.rsplit(".", 1)[0] if "." in name else ""
    return _node_of(model, scope)


def diagnose(model, forward, objective, x, y, *, step: int, epoch: int, rng_state) -> Anomaly:
    """Re-run one batch and say where the first non-finite value came from.

    forward: the trainer's function batch -> model output. rng_state: the default
    generator's state before the failing step (so dropout draws the same masks).
    """
    from core import random as _random

    notes: list[str] = []
    base = {"step": step, "epoch": epoch}
    # 1. the data itself
    if x.is_floating_point() and not _finite(x):
        return Anomaly("input", value=_kind([x._data]), **base)
    if y is not None and y.is_floating_point() and not _finite(y):
        return Anomaly("target", value=_kind([y._data]), **base)
    # 2. a weight that is already broken
    for name, p in model.named_parameters():
        if not _finite(p):
            nid, nname = _param_node(model, name)
            return Anomaly(
                "parameter",
                value=_kind([p._data]),
                parameter=name,
                scope=name.rsplit(".", 1)[0] if "." in name else "",
                node_id=nid,
                node_name=nname,
                **base,
            )
    # 3. the forward pass, op by op
    if rng_state is not None:
        _random.default_generator.set_state(rng_state)
    watch = _Watch()
    prev = state.recorder
    watch.parent = None  # an outer recording would see the re-run as extra steps
    state.recorder = watch
    try:
        with np.errstate(all="ignore"):
            for p in model.parameters():
                p.grad = None
            out = forward(x)
            model_ops = len(watch.nodes)  # the nodes after these ran in the loss function
            loss = objective(out, y)
            if watch.first_bad is not None:
                return _at(
                    model, watch, watch.first_bad, "forward", watch.bad_value, base, model_ops
                )
            # 4. the backward pass: hooks see each intermediate gradient as it completes
            seen: list[tuple[int, str]] = []

            def hook_for(node_id):
                def hook(g):
                    if not seen and not _finite(g):
                        seen.append((node_id, _kind([g._data])))

                return hook

            handles = [t.register_hook(hook_for(nid)) for nid, t in watch.outputs]
            try:
                loss.backward()
            finally:
                for h in handles:
                    h.remove()
    finally:
        state.recorder = prev
    if seen:
        node_id, value = seen[0]
        # the gradient of node_id's output came from the backward of one of its consumers
        consumers = [n for n in watch.nodes if n.kind == "op" and node_id in n.inputs]
        if consumers:
            return _at(model, watch, consumers[-1].id, "backward", value, base, model_ops)
    for name, p in model.named_parameters():
        if p.grad is not None and not _finite(p.grad):
            pid = getattr(p, "_rec", {}).get(watch._serial)
            users = [n for n in watch.nodes if n.kind == "op" and pid in n.inputs]
            value = _kind([p.grad._data])
            if users:
                a = _at(model, watch, users[-1].id, "backward", value, base, model_ops)
                return dataclasses.replace(a, parameter=name)
            nid, nname = _param_node(model, name)
            return Anomaly(
                "backward", value=value, parameter=name, node_id=nid, node_name=nname, **base
            )
    if not _finite(loss):
        notes.append("the loss was not finite, but no op output was")
    notes.append("the re-run of the batch gave finite values (a nondeterministic op?)")
    return Anomaly("unknown", notes=tuple(notes), **base)


def _at(
    model, watch: _Watch, op_id: int, where: str, value: str, base: dict, model_ops: int
) -> Anomaly:
    node = watch.nodes[op_id]
    in_loss = op_id >= model_ops
    nid, nname = (None, None) if in_loss else _node_of(model, node.scope)
    return Anomaly(
        where,
        value=value,
        op=node.op,
        op_index=node.id,
        scope=node.scope,
        node_id=nid,
        node_name=nname,
        in_loss=in_loss,
        **base,
    )
