"""What the trainer reports: plain frozen records, safe to hand to another thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrainInfo:
    """Sent once to ``on_start``, before the first step."""

    epochs: int  # the epoch the run ends after (a total, counting resumed ones)
    start_epoch: int  # epochs already done (0, or from the checkpoint resumed)
    steps_per_epoch: int
    total_steps: int
    batch_size: int
    device: str
    task: str
    loss: str  # the loss function used ("cross_entropy", "mse", ...)
    metrics: tuple[str, ...]  # the metric names each epoch reports
    monitor: str  # the metric "best" refers to
    n_params: int
    train_samples: int
    val_samples: int
    data: str  # one line about the data
    settings: dict
    out_dir: str | None
    resumed: str | None  # the checkpoint resumed from
    history: tuple[dict, ...] = ()  # epochs done before this run (resume)


@dataclass(frozen=True)
class StepReport:
    """One optimizer step (sent to ``on_step`` every ``step_every`` steps)."""

    epoch: int  # 1-based
    step: int  # 1-based, counted over the whole run
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    loss: float  # the mean training loss of the steps since the previous report
    lr: float  # the learning rate this step used (of the first parameter group)
    samples_per_s: float  # since the previous report
    seconds: float  # wall time of this step
    elapsed: float  # since the run started


@dataclass(frozen=True)
class EpochReport:
    """The end of an epoch (sent to ``on_epoch``): its metrics and timing."""

    epoch: int  # 1-based
    metrics: dict[str, float]  # train_loss, train_accuracy, val_loss, val_accuracy, ...
    lr: float  # when the epoch ended (before an epoch-wise scheduler step)
    seconds: float  # wall time of the epoch, validation included
    step: int  # steps done so far
    best: bool  # whether the monitored metric is the best so far


@dataclass
class TrainResult:
    """What a run left: the model, one metrics row per epoch, and where it saved."""

    model: Any
    history: list[dict]  # {"epoch", metrics..., "lr"} per finished epoch
    metrics: dict[str, float]  # of the last finished epoch ({} if none)
    stopped: bool  # stopped early by TrainControl.stop()
    epochs: int  # finished epochs, resumed ones included
    steps: int
    seconds: float  # wall time of this run
    monitor: str = ""
    best: float | None = None  # the best value of ``monitor``
    best_epoch: int | None = None
    checkpoint: str | None = None  # the last checkpoint written (None without out_dir)
    best_checkpoint: str | None = None
    out_dir: str | None = None


@dataclass(frozen=True)
class Anomaly:
    """Where a NaN or Inf first appeared: the op, its scope and the document node."""

    where: str  # "forward", "backward", "input", "target", "parameter", "loss" or "unknown"
    step: int
    epoch: int
    value: str = "nan"  # "nan", "inf" or "nan/inf"
    op: str | None = None  # the op's name in the recorded graph ("Linear", "Log", ...)
    op_index: int | None = None  # its id in the recorded graph
    scope: str | None = None  # the module path that ran it ("": the top level or the loss)
    node_id: str | None = None  # the document node (built models only)
    node_name: str | None = None
    parameter: str | None = None  # a parameter involved (where it is known)
    notes: tuple[str, ...] = field(default_factory=tuple)
    in_loss: bool = False  # the op ran in the loss function, not in the model

    def describe(self) -> str:
        """One sentence: what went non-finite, where."""
        what = {"nan": "NaN", "inf": "Inf"}.get(self.value, "NaN/Inf")
        place = self._place()
        if self.where == "input":
            return f"the input batch contains {what} values: check the data"
        if self.where == "target":
            return f"the target batch contains {what} values: check the data's targets"
        if self.where == "parameter":
            return (
                f"parameter {self.parameter!r}{place} holds {what} values (the previous update "
                "overflowed)"
            )
        if self.where == "forward":
            return f"the forward pass produced {what} first in op {self.op}{place}"
        if self.where == "backward":
            grad = f" (the gradient of {self.parameter!r})" if self.parameter else ""
            return (
                f"the backward pass produced {what} first in the gradient of op "
                f"{self.op}{place}{grad}"
            )
        if self.where == "loss":
            return f"the loss is {what}{place}"
        return f"the loss or a gradient became {what}, but a re-run of the batch did not show where"

    def _place(self) -> str:
        if self.in_loss:
            return " in the loss function"
        if self.node_id is not None:
            name = (
                f" ({self.node_name!r})"
                if self.node_name and self.node_name != self.node_id
                else ""
            )
            return f" of node {self.node_id!r}{name}"
        if self.scope:
            return f" in module {self.scope!r}"
        if self.scope == "" and self.op is not None:
            return " in the model's own forward() (outside its submodules)"
        return ""

    def to_dict(self) -> dict:
        return {
            "where": self.where,
            "step": self.step,
            "epoch": self.epoch,
            "value": self.value,
            "op": self.op,
            "op_index": self.op_index,
            "scope": self.scope,
            "node_id": self.node_id,
            "node_name": self.node_name,
            "parameter": self.parameter,
            "notes": list(self.notes),
            "in_loss": self.in_loss,
        }


class TrainError(RuntimeError):
    """Training could not start or had to stop.

    ``stage``: "setup" (settings, device, data/model mismatch), "data", "build",
    "anomaly" (NaN/Inf: ``anomaly`` says where), "callback" (a callback raised: its
    exception is ``__cause__``) or "checkpoint". ``result``: what the run reached before
    the error (None before the first step), so the model and history stay usable.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str = "setup",
        anomaly: Anomaly | None = None,
        result: TrainResult | None = None,
        hint: str = "",
    ) -> None:
        self.message = message
        self.stage = stage
        self.anomaly = anomaly
        self.result = result
        self.hint = hint
        super().__init__(f"{message}\n  hint: {hint}" if hint else message)

    @property
    def op(self) -> str | None:
        return self.anomaly.op if self.anomaly else None

    @property
    def node_id(self) -> str | None:
        return self.anomaly.node_id if self.anomaly else None
