"""``core.train``: the headless trainer (no Qt; the GUI runs it on a worker thread).

    from core.train import train_document, Callback, TrainControl

    class Printer(Callback):
        def on_epoch(self, report):
            print(report.epoch, report.metrics)

    result = train_document(doc, callbacks=[Printer()], out_dir="runs/1")

- :func:`train_document` trains a model document (data from its dataset section, the
  model built from its graph, its training settings); :func:`document_trainer` prepares
  the same without running it.
- :func:`fit` / :class:`Trainer` train any core.nn.Module on a dataset.
- :class:`Callback` (on_start, on_step, on_epoch, on_grad_norms, on_graph, on_done,
  on_error) and :class:`CSVLogger`; reports are frozen records (:class:`StepReport`,
  :class:`EpochReport`, :class:`TrainInfo`, :class:`TrainResult`).
- :class:`TrainControl`: pause/resume/stop from another thread, honoured between steps.
- A NaN/Inf loss or gradient raises :class:`TrainError` whose ``anomaly`` names the first
  op and the document node that produced it.
- Checkpoints (``last.ckpt``, ``best.ckpt`` in out_dir) resume exactly:
  ``train_document(doc, resume="runs/1/last.ckpt")``.
- What a GUI keeps and shows of a run: :class:`RunLog` (growing metric buffers, CSV),
  ``core.train.insight`` (decision boundary, confusion matrix, predictions, try-it) and
  ``core.train.health`` (dead ReLUs, vanishing/exploding gradients, the NaN node).
"""

from core.train.callbacks import Callback, CSVLogger
from core.train.checkpoint import load_checkpoint, load_weights, save_checkpoint
from core.train.control import TrainControl
from core.train.document import document_data, document_trainer, train_document
from core.train.history import ProgressInfo, RunLog, Series, group_by_node, progress_of, smooth
from core.train.objective import Objective
from core.train.reports import (
    Anomaly,
    EpochReport,
    StepReport,
    TrainError,
    TrainInfo,
    TrainResult,
)
from core.train.trainer import METRICS_CSV, Trainer, fit

__all__ = [
    "METRICS_CSV",
    "Anomaly",
    "CSVLogger",
    "Callback",
    "EpochReport",
    "Objective",
    "ProgressInfo",
    "RunLog",
    "Series",
    "StepReport",
    "TrainControl",
    "TrainError",
    "TrainInfo",
    "TrainResult",
    "Trainer",
    "document_data",
    "document_trainer",
    "fit",
    "group_by_node",
    "load_checkpoint",
    "load_weights",
    "progress_of",
    "save_checkpoint",
    "smooth",
    "train_document",
]
