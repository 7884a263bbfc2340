"""Optimizer: the base of core.optim, with PyTorch's param groups, state and state_dict.

Subclasses update parameters in place on their backend arrays: on the CPU with chains
of numpy ``out=`` ufuncs run by ``core.optim._foreach`` (large parameters in cache-sized
pieces, on worker threads; small ones packed into one flat array per group), on "cuda"
with one fused CuPy kernel per parameter (Adam, SGD with momentum) or the same ufuncs:
no Tensor is created and no graph is built per step.
"""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import chain
from typing import Any

from core import backend as _backend
from core.autograd.grad_mode import enable_grad
from core.optim._foreach import Batch, Pack, packable
from core.tensor import Tensor, _bump_version, _make

__all__ = ["Optimizer", "required"]

_XP = _backend.XP
_NUMPY = _backend.CPU.xp


class _RequiredParameter:
    """Singleton marking a hyper-parameter a param group must give (no default)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _xp(p: Tensor):
    """The array module (numpy or cupy) of a parameter."""
    return _XP.get(p._device) or _backend.get(p._device).xp


_kernels: dict = {}


def _fused_kernel(xp, name: str, in_params: str, out_params: str, body: str):
    """A CuPy elementwise kernel (compiled once) for a whole update on "cuda", where a
    chain of ufuncs would launch one kernel per operation; None for numpy."""
    key = (xp, name)
    if key not in _kernels:
        make = getattr(xp, "ElementwiseKernel", None)
        _kernels[key] = make and make(in_params, out_params, body, "ember_" + name)
    return _kernels[key]


def _retains_grad(t: Tensor) -> bool:
    retained = t._grad_fn._retained
    return bool(retained) and retained.get(t._out_idx, (None, False))[1]


def _zeros_state(p: Tensor, fill: float = 0.0) -> Tensor:
    """A state tensor like p (same shape, dtype, device, layout), filled with ``fill``."""
    xp = _xp(p)
    arr = xp.zeros_like(p._data) if fill == 0 else xp.full_like(p._data, fill)
    return _make(arr, p._device, False, None)


def _step_tensor(value: float = 0.0) -> Tensor:
    """The per-parameter step counter: a 0-d float32 tensor on the CPU, as in PyTorch
    (host memory, so reading it costs no device sync)."""
    return _make(_backend.CPU.xp.array(value, dtype="float32"), "cpu", False, None)


def _check_nonneg(value, what: str) -> None:
    """PyTorch's hyper-parameter check: ValueError("Invalid <what>: <value>") below 0."""
    if not 0.0 <= value:
        raise ValueError(f"Invalid {what}: {value}")


class Optimizer:
    """Base class of all optimizers (PyTorch's ``torch.optim.Optimizer`` contract).

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts
    (param groups, each with a ``"params"`` entry and optional per-group options);
    ``defaults`` fills the options a group does not give.
    """

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if defaults.get("differentiable"):
            raise NotImplementedError(
                f"{type(self).__name__}: differentiable=True (autograd through the "
                "optimizer step) is not supported by core.optim"
            )
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                f"or dicts, but got {type(params).__name__}"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._scratch: dict = {}  # (shape, dtype, array type, slot) -> work array
        self._packs: dict[int, Pack] = {}  # group index -> its small parameters' Pack
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- pickling (the step wrapper a scheduler installs is not part of the state) ----
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    # options a group gets when loaded from a state dict (or pickle) that predates them
    _group_defaults: dict[str, Any] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_scratch", {})
        self._packs = {}  # the state tensors are new ones
        for group in self.__dict__.get("param_groups", ()):
            for key, value in self._group_defaults.items():
                group.setdefault(key, value)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    # -- param groups -----------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with its own options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry (the Tensors to optimize)")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a "
                "list instead."
            )
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )
            param_group["param_names"] = names
        param_group["params"] = tensors
        for k, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params "
                    f"(index {k}) is {type(p).__name__}"
                )
            if p._grad_fn is not None and not _retains_grad(p):
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (param index {k}, shape "
                    f"{tuple(p.shape)}, computed by {p._grad_fn.name}). Optimize the leaf "
                    "tensors it was computed from, or a detached copy: "
                    "t.detach().requires_grad_()."
                )
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        seen: dict[int, int] = {}
        for k, p in enumerate(tensors):
            if id(p) in seen:
                raise ValueError(
                    f"optimizer got the same parameter twice in one parameter group "
                    f"(indices {seen[id(p)]} and {k}, shape {tuple(p.shape)}): each "
                    "parameter may be given once"
                )
            seen[id(p)] = k
        for i, group in enumerate(self.param_groups):
            if any(id(p) in seen for p in group["params"]):
                raise ValueError(
                    "some parameters appear in more than one parameter group "
                    f"(the new group shares parameters with group {i})"
                )
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        self.param_groups.append(param_group)

    # -- gradients ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors: to None (the default), or to
        zeros in place (detached from any graph)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g._grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data.fill(0)
                    _bump_version(g)

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step; returns ``closure()``'s loss when given."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    @staticmethod
    def _loss(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- helpers for the subclasses' in-place kernels ------------------------------------
    def _update_group(
        self,
        batch: Batch,
        index: int,
        keys: tuple[str, ...],
        fn,
        ntmp: int,
        consts_at: Callable,
        init_state: Callable,
        reads_param: bool,
        per_step: bool = True,
        off_cpu: Callable | None = None,
    ) -> None:
        """The per-parameter loop of the stateful optimizers, for group ``index``: skip
        parameters without a gradient, fill in missing state (``init_state(p, st)``),
        count the step, then queue the update ``fn`` with ``consts_at(step)`` (one
        tuple for every step when not ``per_step``): small CPU parameters into the
        group's packed buffer, the others one by one; off the CPU through
        ``off_cpu(p, consts, ntmp, arrays)`` or the plain kernel."""
        state = self.state
        small, states, steps = [], [], []
        consts, consts_step = (None, None) if per_step else (consts_at(None), None)
        for p in self.param_groups[index]["params"]:
            gt = p._grad
            if gt is None:
                continue
            st = state[p]
            init_state(p, st)
            sd = st["step"]._data
            step = float(sd) + 1.0
            sd[()] = step
            d, g = p._data, gt._data
            if packable(d, g):
                small.append(p)
                states.append(st)
                steps.append(step)
                continue
            if per_step and step != consts_step:
                consts_step, consts = step, consts_at(step)
            arrays = (d, g, *[st[k]._data for k in keys])
            if p._device == "cpu":
                batch.add(p, fn, consts, ntmp, arrays)
            elif off_cpu is not None:
                off_cpu(p, consts, ntmp, arrays)
            else:
                self._update_now(_xp(p), fn, consts, ntmp, arrays)
                _bump_version(p)
        if small:
            if per_step:
                phases, by_phase = steps, {s: consts_at(s) for s in set(steps)}
            else:
                phases, by_phase = None, {None: consts}
            self._add_small(
                batch, index, small, states, keys, fn, ntmp, reads_param, phases, by_phase
            )

    def _add_small(
        self,
        batch: Batch,
        index: int,
        params: list,
        states: list,
        keys: tuple[str, ...],
        fn,
        ntmp: int,
        reads_param: bool,
        phases: list | None,
        consts: dict,
    ) -> None:
        """Add to batch the updates ``fn`` of the small CPU parameters of group
        ``index`` (with gradients; ``states``: theirs, holding the arrays ``keys``): as
        one Pack those of the first one's dtype and of the most common phase (the step
        count, or what else selects the constants ``consts[phase]`` of their update;
        None for all when phases is None), the others one by one."""
        phase = None if phases is None else phases[0]
        dtype = params[0]._data.dtype
        if phases is not None and any(s != phase for s in phases):
            phase = Counter(phases).most_common(1)[0][0]
        members = [
            i
            for i, p in enumerate(params)
            if p._data.dtype == dtype and (phases is None or phases[i] == phase)
        ]
        rest = range(len(params))
        if len(members) > 1:
            if len(members) < len(params):
                rest = sorted(set(rest) - set(members))
                params_in, states_in = [params[i] for i in members], [states[i] for i in members]
            else:
                rest, params_in, states_in = (), params, states
            pack = self._packs.get(index)
            if pack is None or not pack.matches(params_in, states_in, keys):
                pack = self._packs[index] = Pack(params_in, states_in, keys)
            batch.add_pack(pack, fn, consts[phase], ntmp, reads_param)
        for i in rest:
            p, st = params[i], states[i]
            arrays = (p._data, p._grad._data, *[st[k]._data for k in keys])
            batch.add(p, fn, consts[None if phases is None else phases[i]], ntmp, arrays)

    def _buf(self, xp, d, slot: int = 0):
        """A work array of xp shaped like array d, for updates off the CPU (those on the
        CPU have per-thread ones). Parameters of one shape share it (they update one at
        a time); ``slot`` tells apart those used together."""
        key = (d.shape, d.dtype, xp, slot)
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = xp.empty(d.shape, dtype=d.dtype)
        return buf

    def _update_now(self, xp, fn, consts, ntmp: int, arrays: tuple) -> None:
        """Run an update kernel (see ``core.optim._foreach``) on one parameter at once,
        with this optimizer's work arrays: the path of arrays off the CPU."""
        d = arrays[0]
        fn(xp, consts, self._buf(xp, d), self._buf(xp, d, 1) if ntmp > 1 else None, *arrays)

    # -- state dict -------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [index, ...]}]}``
        with parameters numbered in group order, as in PyTorch. State tensors are the
        live ones (copy.deepcopy the result to keep a snapshot)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict from :meth:`state_dict` (of an optimizer with the same
        groups): state tensors are copied to each parameter's device and dtype."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            raise ValueError(
                "load_state_dict expects a dict with 'state' and 'param_groups' entries "
                "(as returned by Optimizer.state_dict())"
            )
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group: group {i} has {len(s['params'])} "
                    f"parameters in the state dict and {len(g['params'])} in the optimizer"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, value) for key, value in v.items()}
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})


def _cast_state(p: Tensor, key, value):
    """A copy of one saved state value for parameter p: 'step' becomes the CPU float32
    counter (from a float or a tensor); other arrays take p's device and (floating) dtype."""
    if key == "step":
        return _step_tensor(float(value))
    if isinstance(value, Tensor):
        src = value._data if value._device == p._device else _backend.to_numpy(value._data)
    elif hasattr(value, "__array__") and not isinstance(value, int | float | bool):
        src = _backend.to_numpy(value.__array__())  # numpy arrays, foreign tensors
    elif isinstance(value, dict):
        return {k: _cast_state(p, k, v) for k, v in value.items()}
    else:
        return copy.deepcopy(value)
    xp = _xp(p)
    dtype = p._data.dtype if p._data.dtype.kind == "f" else src.dtype
    return _make(xp.array(src, dtype=dtype, copy=True), p._device, False, None)
