"""Train a model document: load its data, build its model, run its training settings."""

from __future__ import annotations

from collections.abc import Iterable

import core
from core.train.control import TrainControl
from core.train.reports import TrainError, TrainResult
from core.train.trainer import Trainer, run_trainer


def document_trainer(
    doc,
    *,
    callbacks: Iterable = (),
    control: TrainControl | None = None,
    device: str | None = None,
    out_dir=None,
    root=None,
    data=None,
    **options,
) -> Trainer:
    """A Trainer for ``doc`` (its data loaded, its model built and seeded) without running
    it: ``trainer.model`` and ``trainer.data`` can be looked at first.

    data: a :class:`core.model.data.Data` to use instead of loading ``doc.dataset``.
    options: further Trainer options (step_every, grad_norm_every, graph_every, ...).
    Raises TrainError (stage "data", "build" or "setup") saying what to fix.
    """
    from core.model.build import BuildError, build
    from core.model.inference import infer

    settings = dict(doc.training)
    if device is not None:
        settings["device"] = device
    if settings["device"] == "cuda":  # before anything slow: the error comes at once
        reason = core.cuda.unavailable_reason()
        if reason is not None:
            raise TrainError(
                f"device 'cuda' was asked for, but no CUDA GPU can be used: {reason}",
                hint="train on the CPU (device 'cpu'), or install CuPy for your CUDA version "
                "on a machine with an NVIDIA GPU",
            )
    inference = infer(doc)
    if not inference.ok:
        err = BuildError(inference.errors)
        raise TrainError(str(err), stage="build") from err
    if data is None:
        data = document_data(doc, root=root)
    _check_input(doc, data)
    core.manual_seed(settings["seed"])  # the initial weights follow the seed
    model = build(doc, inference)
    goal = (getattr(doc, "meta", None) or {}).get("goal_metric") or None
    mode = (doc.meta or {}).get("goal_mode") if goal else None
    return Trainer(
        model,
        data,
        settings,
        callbacks=callbacks,
        control=control,
        out_dir=out_dir,
        monitor=options.pop("monitor", goal),
        monitor_mode=options.pop("monitor_mode", mode),
        **options,
    )


def document_data(doc, *, root=None):
    """The :class:`core.model.data.Data` of ``doc``'s dataset section; TrainError (stage
    "data") saying what to fix when it cannot be loaded."""
    from core.model.data import load_data

    try:
        return load_data(doc.dataset, root=root)
    except ValueError as e:
        raise TrainError(
            f"the dataset cannot be loaded: {e}",
            stage="data",
            hint="fix the dataset settings (source, name, path, options)",
        ) from e


def train_document(
    doc,
    *,
    callbacks: Iterable = (),
    control: TrainControl | None = None,
    epochs: int | None = None,
    device: str | None = None,
    out_dir=None,
    root=None,
    resume=None,
    **options,
) -> TrainResult:
    """Train ``doc``'s model on its dataset with its training settings.

    epochs/device override the settings; out_dir receives checkpoints and metrics.csv;
    root is the folder relative dataset paths start from (the project file's); resume is
    a checkpoint to continue from. Returns a TrainResult; raises TrainError, which also
    reaches the callbacks' ``on_error`` when the data or the model cannot be set up.
    """
    return run_trainer(
        lambda cbs: document_trainer(
            doc,
            callbacks=cbs,
            control=control,
            device=device,
            out_dir=out_dir,
            root=root,
            **options,
        ),
        callbacks,
        epochs,
        resume,
    )


def _check_input(doc, data) -> None:
    """The one Input node must take the dataset's samples: shape and dtype."""
    inputs = doc.input_nodes()
    if len(inputs) != 1:
        return  # the Trainer explains this one
    node = inputs[0]
    shape = tuple(node.params.get("shape", ()))
    dtype = node.params.get("dtype", "float32")
    want = tuple(data.input_shape)
    if shape != want:
        raise TrainError(
            f"the Input node {node.id!r} ({node.name!r}) takes samples of shape "
            f"{list(shape)}, but the dataset {data.name!r} has samples of shape {list(want)}",
            hint=f"set the Input's shape to {list(want)}",
        )
    if dtype != data.input_dtype:
        what = "character/token ids" if data.input_dtype == "int64" else "float features"
        raise TrainError(
            f"the Input node {node.id!r} ({node.name!r}) takes {dtype}, but the dataset "
            f"{data.name!r} gives {data.input_dtype} samples ({what})",
            hint=f"set the Input's dtype to {data.input_dtype}",
        )
