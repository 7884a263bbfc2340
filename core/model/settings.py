"""The document's dataset, training and metadata sections: their schemas and checks.

Each section is a plain JSON-compatible dict. ``check_*`` fill defaults and raise
:class:`DocumentError` naming the field and what it accepts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.model.params import Param, ParamError, Schema, params

DATA_SOURCES = ("builtin", "csv", "npz", "mnist", "image_folder", "text")
LOSSES = ("auto", "cross_entropy", "mse", "l1", "huber", "bce_with_logits")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "exponential", "cosine", "onecycle", "plateau")

DATASET = params(
    Param("source", "choice", "builtin", "Where the samples come from", choices=DATA_SOURCES),
    Param("name", "str", "spirals", "Built-in dataset name (source 'builtin'; 'text': a corpus)"),
    Param("path", "str", "", "File or folder of the user's data (empty for built-in sets)"),
    Param("target", "str", "", "CSV: the target column's name (empty: the last column)"),
    Param("task", "choice", "auto", "Task type", choices=("auto", "classification", "regression")),
    Param("block", "int", 64, "Text: characters per training sequence", min=2, max=4096),
    Param("standardize", "bool", False, "Scale features to mean 0, std 1 (training statistics)"),
    Param("validation_split", "float", 0.2, "Fraction held out for validation", min=0, max=0.9),
    Param("split_seed", "int", 0, "Seed of the train/validation split", min=0, max=2**32 - 1),
)
# Options passed to a built-in dataset function (n_samples, noise, seed, ...): scalars only.
MAX_OPTIONS = 32

TRAINING = params(
    Param("loss", "choice", "auto", "Loss ('auto': from the task)", choices=LOSSES),
    Param("optimizer", "choice", "adam", "Optimizer", choices=OPTIMIZERS),
    Param("lr", "float", 1e-3, "Learning rate", min=0, min_exclusive=True, max=10),
    Param("momentum", "float", 0.9, "SGD/RMSprop momentum", min=0, max=1),
    Param("weight_decay", "float", 0.0, "Weight decay (L2)", min=0, max=1),
    Param("batch_size", "int", 32, "Samples per step", min=1, max=1_000_000),
    Param("epochs", "int", 10, "Passes over the training set", min=1, max=100_000),
    Param("scheduler", "choice", "none", "Learning-rate schedule", choices=SCHEDULERS),
    Param("step_size", "int", 10, "StepLR: epochs per decay", min=1, max=100_000),
    Param("gamma", "float", 0.1, "Step/Exponential decay factor", min=0, min_exclusive=True, max=1),
    Param("grad_clip", "float", 0.0, "Clip the gradient norm to this (0: off)", min=0, max=1e6),
    Param("seed", "int", 0, "Seed of initialisation and shuffling", min=0, max=2**32 - 1),
    Param("device", "choice", "cpu", "Where to train", choices=("cpu", "cuda")),
)

META = params(
    Param("title", "str", "", "Project title"),
    Param("description", "str", "", "What the model is for"),
    Param("goal_metric", "str", "", "Metric the example promises, e.g. val_accuracy"),
    Param("goal", "float", 0.0, "The promised value of goal_metric"),
    Param(
        "goal_mode",
        "choice",
        "max",
        "Whether the metric must reach at least (max) or at most (min) the goal",
        choices=("max", "min"),
    ),
)


def _section(schema: Schema, value: Any, where: str) -> dict:
    from core.model.document import DocumentError

    try:
        return schema.check(value, where=where)
    except ParamError as e:
        raise DocumentError(str(e)) from None


def check_dataset(value: Mapping[str, Any]) -> dict:
    """The dataset section with defaults filled in; ``options`` holds scalar kwargs."""
    from core.model.document import DocumentError

    if not isinstance(value, Mapping):
        raise DocumentError("dataset: expected a mapping of settings")
    options = value.get("options", {})
    rest = {k: v for k, v in value.items() if k != "options"}
    out = _section(DATASET, rest, "dataset")
    if not isinstance(options, Mapping) or len(options) > MAX_OPTIONS:
        raise DocumentError(f"dataset.options: expected at most {MAX_OPTIONS} name: value pairs")
    clean = {}
    for k, v in options.items():
        if not isinstance(k, str) or not k.isidentifier():
            raise DocumentError(f"dataset.options: {k!r} is not an option name")
        ok = (
            v is None
            or isinstance(v, (bool, int, str))
            or (isinstance(v, float) and math.isfinite(v))
        )
        if not ok:
            raise DocumentError(f"dataset.options.{k}: expected a number, text or true/false")
        clean[k] = v
    out["options"] = clean
    return out


def check_training(value: Mapping[str, Any]) -> dict:
    """The training section with defaults filled in."""
    return _section(TRAINING, value, "training")


def check_meta(value: Mapping[str, Any]) -> dict:
    """The metadata section with defaults filled in."""
    return _section(META, value, "meta")
