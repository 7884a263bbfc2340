"""The pieces a run is made of: loss (with its target layout), optimizer, scheduler, metrics.

Losses: ``cross_entropy`` takes logits (N, C) against class ids (N,), or per position
(N, T, C) against (N, T) (a sequence model: one loss over all positions); ``mse``, ``l1``,
``huber`` compare equal shapes (class targets become one-hot rows); ``bce_with_logits``
takes one logit per sample (binary classes) or the targets' shape. "auto" is
cross_entropy for classification and mse for regression.
"""

from __future__ import annotations

import math

import numpy as np

from core import backend as _backend
from core import optim
from core.model.settings import (
    LOSS_FUNCTIONS,
    OPTIMIZER_CLASSES,
    SCHEDULER_CLASSES,
    resolve_loss,
    scheduler_kwargs,
)
from core.nn import functional as F
from core.optim import lr_scheduler
from core.train.reports import TrainError

CLASSIFICATION, REGRESSION = "classification", "regression"


def _shape(s) -> str:
    return "(" + ", ".join(map(str, s)) + ("," if len(s) == 1 else "") + ")"


class Objective:
    """A loss and the per-batch statistics behind the metrics, for one task."""

    def __init__(self, loss: str, task: str, num_classes: int | None) -> None:
        if task not in (CLASSIFICATION, REGRESSION):
            raise TrainError(f"the task must be classification or regression, got {task!r}")
        self.loss = resolve_loss(loss, task)
        self.task = task
        self.num_classes = num_classes
        if self.loss == "cross_entropy" and task == REGRESSION:
            raise TrainError(
                "training.loss: cross_entropy needs class targets, but the dataset is a "
                "regression set",
                hint="use loss 'auto', 'mse', 'l1' or 'huber' for regression",
            )
        if self.loss == "bce_with_logits" and task == CLASSIFICATION and (num_classes or 2) > 2:
            raise TrainError(
                f"training.loss: bce_with_logits is for two classes, but the dataset has "
                f"{num_classes}",
                hint="use loss 'auto' (cross_entropy) for several classes",
            )

    # -- what the model must output -------------------------------------------------------
    def expected_output(self, target_shape: tuple) -> tuple:
        """One sample's output shape the loss needs, given one sample's target shape."""
        t = tuple(target_shape)
        if self.task == REGRESSION:
            return t
        if self.loss == "bce_with_logits":
            return t + (1,)
        return t + (self.num_classes,)

    def check(self, out_shape: tuple, target_shape: tuple, output_name: str) -> None:
        """A TrainError saying how to fix the model when its output does not fit the loss."""
        want = self.expected_output(target_shape)
        out_shape = tuple(out_shape)
        if out_shape == want:
            return
        if self.loss == "bce_with_logits" and out_shape == tuple(target_shape):
            return  # one logit per sample without the trailing 1 is fine too
        if self.task == CLASSIFICATION and self.loss != "bce_with_logits":
            why = (
                f"{self.loss} over the dataset's {self.num_classes} classes needs "
                f"{_shape(want)} (one score per class"
                + (" at each position)" if target_shape else ")")
            )
            hint = (
                f"make the layer before the output produce {self.num_classes} features (e.g. "
                f"a Linear with out_features={self.num_classes})"
            )
        elif self.task == CLASSIFICATION:
            why = f"bce_with_logits needs one logit per sample, {_shape(want)}"
            hint = "make the layer before the output produce 1 feature"
        else:
            why = f"the dataset's targets are {_shape(want)} per sample"
            hint = f"make the layer before the output produce {_shape(want)} per sample"
        raise TrainError(
            f"{output_name} gives {_shape(out_shape)} per sample, but {why}", hint=hint
        )

    # -- the loss ----------------------------------------------------------------------------
    def __call__(self, out, y):
        loss = self.loss
        if self.task == CLASSIFICATION:
            if loss == "cross_entropy":
                if out.ndim > 2:  # (N, T, C) per position
                    return F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))
                return F.cross_entropy(out, y)
            if loss == "bce_with_logits":
                return F.binary_cross_entropy_with_logits(out, y.reshape(out.shape).float())
            y = F.one_hot(y, self.num_classes).float()
        return getattr(F, LOSS_FUNCTIONS[loss])(out, y)

    # -- statistics of a batch (backend arrays, no graph) ---------------------------------
    def correct(self, out, y):
        """(number right, number of predictions) of a classification batch; the count is
        an array (no host sync)."""
        o, t = out._data, y._data
        xp = _backend.get(out._device).xp
        if self.loss == "bce_with_logits":
            pred = (o.reshape(t.shape) > 0).astype(t.dtype)
        else:
            pred = o.argmax(-1)
        return xp.count_nonzero(pred == t), t.size


class RegressionStats:
    """Sums over batches for mean absolute error and R² (per output, averaged)."""

    def __init__(self) -> None:
        self.n = 0
        self.abs = 0.0
        self.res = self.sy = self.syy = None

    def add(self, out, y) -> None:
        o = _backend.to_numpy(out._data).astype(np.float64).reshape(len(out), -1)
        t = _backend.to_numpy(y._data).astype(np.float64).reshape(len(y), -1)
        d = o - t
        self.n += len(t)
        self.abs += float(np.abs(d).sum())
        if self.res is None:
            self.res, self.sy, self.syy = d.__pow__(2).sum(0), t.sum(0), (t * t).sum(0)
        else:
            self.res += (d * d).sum(0)
            self.sy += t.sum(0)
            self.syy += (t * t).sum(0)

    def mae(self) -> float:
        return self.abs / (self.n * len(self.res)) if self.n else math.nan

    def r2(self) -> float:
        if not self.n:
            return math.nan
        tot = self.syy - self.sy * self.sy / self.n
        with np.errstate(divide="ignore", invalid="ignore"):
            r2 = np.where(tot > 0, 1.0 - self.res / np.where(tot > 0, tot, 1.0), np.nan)
        return float(np.mean(r2))


# -- optimizer and scheduler -----------------------------------------------------------------
def make_optimizer(settings: dict, params) -> optim.Optimizer:
    """The core.optim optimizer that the training settings name, over ``params``."""
    name = settings["optimizer"]
    if name not in OPTIMIZER_CLASSES:
        raise TrainError(
            f"training.optimizer: unknown optimizer {name!r}",
            hint=f"use one of {', '.join(OPTIMIZER_CLASSES)}",
        )
    cls, names = OPTIMIZER_CLASSES[name]
    kwargs = {n: settings[n] for n in names}
    return getattr(optim, cls)(params, lr=settings["lr"], **kwargs)


def make_scheduler(
    settings: dict, optimizer, epochs: int, steps_per_epoch: int
) -> tuple[lr_scheduler.LRScheduler | None, str | None]:
    """(the core.optim.lr_scheduler scheduler the training settings name, or None; when it
    steps: "epoch", "step" or "plateau"). The plateau one watches the validation loss
    (the training loss without validation). See ``core.model.settings.SCHEDULER_CLASSES``."""
    name = settings["scheduler"]
    if name == "none":
        return None, None
    if name not in SCHEDULER_CLASSES:
        raise TrainError(
            f"training.scheduler: unknown scheduler {name!r}",
            hint=f"use none or one of {', '.join(SCHEDULER_CLASSES)}",
        )
    cls, when = SCHEDULER_CLASSES[name]
    total_steps = max(1, epochs * steps_per_epoch)
    kwargs = scheduler_kwargs(settings, lr=settings["lr"], epochs=epochs, total_steps=total_steps)
    return getattr(lr_scheduler, cls)(optimizer, **kwargs), when
