"""Layer health while training: dead ReLUs, vanishing or exploding gradients, the NaN node.

:class:`HealthMonitor` is a :class:`core.train.Callback` (it runs on the training thread)
that hands the canvas one :class:`NodeHealth` per measured node through ``deliver``:

    monitor = HealthMonitor(deliver=queue.append, every=20)
    monitor.model = trainer.model  # a core.model.build.GraphModel (or any core.nn.Module)
    trainer.callbacks.append(monitor)

What is measured and what it costs is in the class docstring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import core
from core import backend as _backend
from core import nn
from core.train.callbacks import Callback
from core.train.reports import EpochReport, StepReport, TrainError, TrainInfo, TrainResult

WARNING, ERROR = "warning", "error"
DEAD_RELU, VANISHING, EXPLODING, NAN = "dead_relu", "vanishing", "exploding", "nan"

GROWTH_FLOOR = 1.0  # the growth rule ignores norms below this: growing from ~0 is not exploding


@dataclass(frozen=True)
class Issue:
    """One problem of a node: ``severity`` "warning" or "error"; ``code`` "dead_relu",
    "vanishing", "exploding" or "nan"; ``badge`` a few characters for the canvas;
    ``tooltip`` a sentence with the number and what to try."""

    severity: str
    code: str
    badge: str
    tooltip: str


@dataclass(frozen=True)
class NodeHealth:
    """What the monitor knows of one node: its last gradient norm (L2 over its parameters;
    None for nodes without any), its last dead-unit fraction (ReLU-family nodes, else None)
    and its current issues (errors first)."""

    node_id: str
    grad_norm: float | None
    dead_fraction: float | None
    issues: tuple[Issue, ...] = ()

    @property
    def severity(self) -> str | None:
        """ "error", "warning" or None (no issue): the worst of the issues."""
        if not self.issues:
            return None
        return ERROR if any(i.severity == ERROR for i in self.issues) else WARNING


class HealthMonitor(Callback):
    """Measures each node's health during training and ``deliver``\\ s it.

    Set ``monitor.model`` to the trained model before ``run()``; node ids come from its
    ``node_of_scope`` (a GraphModel), or are the top-level submodule names of other models.

    **Gradients** come from ``on_grad_norms`` (every ``grad_norm_every`` steps of the
    Trainer): a node's norm is the L2 norm of all its parameters' gradients, sqrt(sum of
    the squared per-parameter norms), the same number the gradient-norm plots show. The
    thresholds are on this *absolute* norm: below ``vanishing`` (1e-7) a layer has
    stopped learning whatever its size (a big layer only makes the total larger, so a
    vanished one is never missed, and a tiny healthy layer is still far above 1e-7);
    a norm relative to the weights' norm was rejected because it explodes for weights
    near 0 (zero init, a dead path) and needs a second read of every parameter. Above
    ``exploding`` (1e3), or ``growth`` (100) times the node's first measurement of the
    run (and above 1: a node that starts near 0 may grow a lot harmlessly), the
    gradient explodes; that relative rule catches explosions in layers whose normal norm
    is far below the absolute threshold, whatever their size.

    **Dead units** of ReLU-family nodes (ReLU; ReLU6 and Hardtanh clamped at 0): the
    fraction of the node's output units (every element of one sample's output, e.g.
    each channel at each position) that are 0 for every sample of a training batch;
    above ``dead`` (0.5) it is an issue. Measured on step 1 and then every ``every`` steps, on the
    training batch itself (no extra forward): a forward hook is registered on those
    nodes' modules from the callback before the measured step (``on_step``, or
    ``on_grad_norms`` when ``step_every`` > 1 skips it) until that step's forward, takes
    one reduction per node on the backend's array module (numpy or CuPy: the one host
    read waits for the step's callbacks) and removes itself. Forwards in eval mode or
    without grad (validation, a preview probe) are skipped. Between measurements the
    model runs without hooks: it costs nothing.

    Every condition must hold on ``confirm`` (2) consecutive measurements before it
    becomes an issue, and an issue goes when its condition does: badges do not flicker.

    **NaN**: ``on_error`` with a TrainError whose ``anomaly`` names a node adds a "nan"
    issue (an error) to that node and delivers at once.

    ``deliver(health)`` gets a new dict {node id: NodeHealth} of all measured nodes (those
    without issues too) after each measurement, on the training thread.
    """

    def __init__(
        self,
        deliver: Callable[[dict[str, NodeHealth]], None],
        every: int = 20,
        vanishing: float = 1e-7,
        exploding: float = 1e3,
        dead: float = 0.5,
        *,
        growth: float = 100.0,
        confirm: int = 2,
    ) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"HealthMonitor every: expected an int >= 1, got {every!r}")
        if not isinstance(confirm, int) or confirm < 1:
            raise ValueError(f"HealthMonitor confirm: expected an int >= 1, got {confirm!r}")
        self.deliver = deliver
        self.every = every
        self.vanishing = vanishing
        self.exploding = exploding
        self.dead = dead
        self.growth = growth
        self.confirm = confirm
        self.model = None
        self._reset()

    # -- state -------------------------------------------------------------------------
    def _reset(self) -> None:
        self._node_of: Callable[[str], str | None] = lambda scope: None
        self._clamped: dict[str, tuple[nn.Module, float]] = {}  # node -> (module, floor)
        self._handles: list = []
        self._pending: dict[str, tuple] = {}  # node -> (live units: a backend scalar, units)
        self._due = 1  # the next step whose forward is measured
        self._grad: dict[str, float] = {}
        self._first: dict[str, float] = {}
        self._dead: dict[str, float] = {}
        self._streak: dict[tuple[str, str], int] = {}
        self._issues: dict[str, dict[str, Issue]] = {}
        self._nan: dict[str, Issue] = {}
        self._dirty = False

    @property
    def health(self) -> dict[str, NodeHealth]:
        """The current health of every measured node (a new dict)."""
        nodes = dict.fromkeys([*self._grad, *self._dead, *self._issues, *self._nan])
        out = {}
        for nid in nodes:
            issues = list(self._issues.get(nid, {}).values())
            if nid in self._nan:
                issues.insert(0, self._nan[nid])
            issues.sort(key=lambda i: i.severity != ERROR)
            out[nid] = NodeHealth(nid, self._grad.get(nid), self._dead.get(nid), tuple(issues))
        return out

    # -- callback events -----------------------------------------------------------------
    def on_start(self, info: TrainInfo) -> None:
        model = self.model
        if model is None:
            raise ValueError(
                "HealthMonitor.model is not set: set monitor.model = trainer.model before run()"
            )
        self._disarm()
        self._reset()
        node_of = getattr(model, "node_of_scope", None)
        self._node_of = node_of if callable(node_of) else _top_level
        for name, module in model.named_children():
            floor = _clamp_floor(module)
            if floor is not None and self._node_of(name) == name:
                self._clamped[name] = (module, floor)
        self._arm()  # the first step's forward is measured

    def on_grad_norms(self, step: int, norms: dict[str, float]) -> None:
        self._collect(step)
        squares: dict[str, float] = {}
        for name, norm in norms.items():
            scope = name.rpartition(".")[0]
            nid = self._node_of(scope) if scope else None
            if nid is not None:
                squares[nid] = squares.get(nid, 0.0) + float(norm) ** 2
        for nid, sq in squares.items():
            self._judge_grad(nid, math.sqrt(sq))
        self._dirty = True
        self._flush()
        self._maybe_arm(step)

    def on_step(self, report: StepReport) -> None:
        self._collect(report.step)
        self._flush()
        self._maybe_arm(report.step)

    def on_epoch(self, report: EpochReport) -> None:
        self._collect(report.step)
        self._flush()

    def on_done(self, result: TrainResult) -> None:
        self._disarm()
        self._collect(result.steps)
        self._flush()

    def on_error(self, error: TrainError) -> None:
        self._disarm()
        self._pending.clear()
        anomaly = getattr(error, "anomaly", None)
        nid = getattr(anomaly, "node_id", None)
        if nid is None:
            return
        tip = anomaly.describe()
        tip = tip[:1].upper() + tip[1:] + "."
        if error.hint:
            tip += f" Try: {error.hint}."
        badge = {"inf": "Inf", "nan": "NaN"}.get(anomaly.value, "NaN")
        self._nan[nid] = Issue(ERROR, NAN, badge, tip)
        self._dirty = True
        self._flush()

    # -- gradients -----------------------------------------------------------------------
    def _judge_grad(self, nid: str, norm: float) -> None:
        self._grad[nid] = norm
        first = self._first.setdefault(nid, norm)
        low = norm < self.vanishing
        grew = norm > self.growth * first and norm > GROWTH_FLOOR
        high = norm > self.exploding or grew or not math.isfinite(norm)
        self._confirm(nid, VANISHING, low, lambda: _vanishing(norm, self.vanishing))
        self._confirm(
            nid, EXPLODING, high, lambda: _exploding(norm, self.exploding, first, self.growth)
        )

    # -- dead units ----------------------------------------------------------------------
    def _maybe_arm(self, step: int) -> None:
        if not self._handles and step + 1 >= self._due:
            self._arm()

    def _arm(self) -> None:
        for nid, (module, floor) in self._clamped.items():
            self._handles.append(module.register_forward_hook(self._hook(nid, floor)))

    def _disarm(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def _hook(self, nid: str, floor: float):
        def hook(module, args, output) -> None:
            if module.training and core.is_grad_enabled():
                self._measure(nid, floor, output)

        return hook

    def _measure(self, nid: str, floor: float, output) -> None:
        """Keep how many of the node's units lived in this forward (a backend scalar: no
        host read here); the hooks go once every armed node has been seen."""
        data = output._data
        xp = _backend.get(output._device).xp
        # (N, *unit) -> (*unit): a unit lives if some sample of the batch passes the clamp
        alive = xp.count_nonzero(data.max(axis=0) > floor)
        self._pending[nid] = (alive, max(data[0].size, 1) if len(data) else 0)
        if len(self._pending) >= len(self._clamped):
            self._disarm()

    def _collect(self, step: int) -> None:
        """Judge the dead fractions measured since the last callback (the host reads)."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        self._disarm()  # a node the forward skipped (a branch not taken) waits for next time
        self._due = step + self.every
        for nid, (alive, units) in pending.items():
            if not units:  # an empty batch tells nothing
                continue
            fraction = 1.0 - int(alive) / units
            self._dead[nid] = fraction
            self._confirm(nid, DEAD_RELU, fraction > self.dead, lambda f=fraction: _dead(f))
        self._dirty = True

    # -- issues --------------------------------------------------------------------------
    def _confirm(self, nid: str, code: str, holds: bool, make: Callable[[], Issue]) -> None:
        key = (nid, code)
        issues = self._issues.setdefault(nid, {})
        if not holds:
            self._streak.pop(key, None)
            issues.pop(code, None)
            return
        self._streak[key] = self._streak.get(key, 0) + 1
        if self._streak[key] >= self.confirm:
            issues[code] = make()

    def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            self.deliver(self.health)


# -- helpers ---------------------------------------------------------------------------------
def _top_level(scope: str) -> str | None:
    """A plain model's "node" of a scope: its top-level submodule."""
    return scope.split(".", 1)[0] or None


def _clamp_floor(module) -> float | None:
    """The value a zero-clamped activation outputs for a dead unit (0), else None."""
    if isinstance(module, nn.ReLU):
        return 0.0
    if isinstance(module, nn.Hardtanh) and module.min_val == 0:  # ReLU6 too
        return 0.0
    return None


def sci(x: float) -> str:
    """A norm in a few characters: 3e-9, 4e+4, 0."""
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "Inf" if x > 0 else "NaN"
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{x:.0e}")


def _dead(fraction: float) -> Issue:
    pct = round(100 * fraction)
    return Issue(
        WARNING,
        DEAD_RELU,
        f"{pct}% dead",
        f"{pct}% of this activation's units output 0 for every sample of a batch: they get "
        "no gradient and have stopped learning. Try a lower learning rate, He (Kaiming) "
        "initialisation, BatchNorm before the activation, or LeakyReLU.",
    )


def _vanishing(norm: float, threshold: float) -> Issue:
    return Issue(
        WARNING,
        VANISHING,
        f"\u2207 {sci(norm)}",
        f"The gradient of this layer's parameters has vanished: its norm is {norm:.1e} "
        f"(below {threshold:.0e}), so it has stopped learning. Try BatchNorm, residual "
        "connections, ReLU or LeakyReLU instead of sigmoid/tanh, He initialisation, or look "
        "for dead units after it.",
    )


def _exploding(norm: float, threshold: float, first: float, growth: float) -> Issue:
    if norm > threshold or not math.isfinite(norm):
        why = f"above {threshold:.0e}"
    else:
        why = f"{norm / first:.0f}x its first value, {first:.1e}" if first > 0 else "grown from 0"
    return Issue(
        WARNING,
        EXPLODING,
        f"\u2207 {sci(norm)}",
        f"The gradient of this layer's parameters is exploding: its norm is {norm:.1e} "
        f"({why}), and training may diverge. Lower the learning rate, set grad_clip in the "
        "training settings, add BatchNorm, or standardize the inputs.",
    )
