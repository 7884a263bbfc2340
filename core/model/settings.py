"""The document's dataset, training and metadata sections: their schemas and checks.

Each section is a plain JSON-compatible dict. ``check_*`` fill defaults and raise
:class:`DocumentError` naming the field and what it accepts; ``problems`` lists every
problem of a section (for the file validator). The "ui" section is free JSON data that the
GUI keeps with the project (view state); the engine never reads it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from core.model.params import INT_LIMIT, Param, params, short_repr

DATA_SOURCES = ("builtin", "csv", "npz", "mnist", "image_folder", "text")

# What the training choices are in the engine (core and torch share the names): the trainer
# builds its loss, optimizer and scheduler from these tables and the export writes them out.
# loss -> function of nn.functional ("auto": see resolve_loss)
LOSS_FUNCTIONS = {
    "cross_entropy": "cross_entropy",
    "mse": "mse_loss",
    "l1": "l1_loss",
    "huber": "huber_loss",
    "bce_with_logits": "binary_cross_entropy_with_logits",
}
# optimizer -> (class of optim, the training settings it takes besides lr)
OPTIMIZER_CLASSES = {
    "adam": ("Adam", ("weight_decay",)),
    "adamw": ("AdamW", ("weight_decay",)),
    "sgd": ("SGD", ("momentum", "weight_decay")),
    "rmsprop": ("RMSprop", ("momentum", "weight_decay")),
    "adagrad": ("Adagrad", ("weight_decay",)),
}
# scheduler -> (class of optim.lr_scheduler, when it steps: "epoch" after each epoch,
# "step" after each batch, "plateau" after each epoch on the validation loss)
SCHEDULER_CLASSES = {
    "step": ("StepLR", "epoch"),
    "exponential": ("ExponentialLR", "epoch"),
    "cosine": ("CosineAnnealingLR", "epoch"),
    "onecycle": ("OneCycleLR", "step"),
    "plateau": ("ReduceLROnPlateau", "plateau"),
}
LOSSES = ("auto", *LOSS_FUNCTIONS)
OPTIMIZERS = tuple(OPTIMIZER_CLASSES)
SCHEDULERS = ("none", *SCHEDULER_CLASSES)

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
# Options: keyword arguments of the loading function (n_samples, noise, seed for a built-in
# set; delimiter, categorical_columns for a CSV, ...): JSON scalars (number, text, true/false,
# null) or lists of at most MAX_OPTION_ITEMS scalars.
MAX_OPTIONS = 32
MAX_OPTION_ITEMS = 1000
MAX_OPTION_TEXT = 10_000  # characters of a text option (or of one item of a list)

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


SECTIONS = {"dataset": DATASET, "training": TRAINING, "meta": META}
# The free "ui" section (canvas view, panel state): JSON data, bounded in depth and size.
UI_MAX_DEPTH = 16
UI_MAX_ITEMS = 10_000

Path = tuple  # keys from a section down to a problem, e.g. ("options", "noise")


def problems(section: str, value: Any) -> list[tuple[Path, str]]:
    """Every problem of a section's value as (path within the section, message)."""
    if section == "ui":
        return _ui_problems(value)
    if not isinstance(value, Mapping):
        return [((), "expected an object of settings")]
    schema = SECTIONS[section]
    rest = value
    out: list[tuple[Path, str]] = []
    if section == "dataset":
        rest = {k: v for k, v in value.items() if k != "options"}
        if "options" in value:
            out += [((("options",) + p), m) for p, m in _options_problems(value["options"])]
    out += [((k,), m) for k, m in schema.problems(rest)]
    return out


def check_dataset(value: Mapping[str, Any]) -> dict:
    """The dataset section with defaults filled in; ``options`` holds keyword arguments
    (scalars, or lists of scalars: a tuple becomes a list, as JSON would give it back)."""
    _raise_first("dataset", value)
    out = DATASET.check({k: v for k, v in value.items() if k != "options"})
    options = value.get("options", {})
    out["options"] = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in options.items()}
    return out


def check_training(value: Mapping[str, Any]) -> dict:
    """The training section with defaults filled in."""
    _raise_first("training", value)
    return TRAINING.check(value)


def check_meta(value: Mapping[str, Any]) -> dict:
    """The metadata section with defaults filled in."""
    _raise_first("meta", value)
    return META.check(value)


def check_ui(value: Mapping[str, Any]) -> dict:
    """The free "ui" section: a JSON object (copied, tuples become lists)."""
    _raise_first("ui", value)
    return _json_copy(value)


def resolve_loss(loss: str, task: str | None) -> str | None:
    """The loss a run uses: "auto" is cross_entropy for classification and mse for
    regression (None while the task is unknown)."""
    if loss != "auto":
        return loss
    if task is None:
        return None
    return "cross_entropy" if task == "classification" else "mse"


def scheduler_kwargs(
    training: Mapping[str, Any], *, lr: Any, epochs: Any, total_steps: Any
) -> dict[str, Any]:
    """The keyword arguments after the optimizer of the scheduler the training settings
    name (not "none"). ``lr``, ``epochs`` and ``total_steps`` (batches in the whole run) are
    given: values for the trainer, code for an exported script."""
    name = training["scheduler"]
    if name == "step":
        return {"step_size": training["step_size"], "gamma": training["gamma"]}
    if name == "exponential":
        return {"gamma": training["gamma"]}
    if name == "cosine":
        return {"T_max": epochs}
    if name == "onecycle":
        # Adagrad has neither momentum nor betas for the cycle to vary
        cycle = training["optimizer"] != "adagrad"
        return {"max_lr": lr, "total_steps": total_steps, "cycle_momentum": cycle}
    if name == "plateau":
        return {"mode": "min", "factor": training["gamma"], "patience": training["step_size"]}
    raise ValueError(f"training.scheduler: unknown scheduler {name!r}")


# -- helpers ---------------------------------------------------------------------------
def _raise_first(section: str, value: Any) -> None:
    from core.model.document import DocumentError

    found = problems(section, value)
    if found:
        path, message = found[0]
        where = section + "".join(
            f"[{k}]" if isinstance(k, int) and not isinstance(k, bool) else f".{k}" for k in path
        )
        raise DocumentError(f"{where}: {message}")


def _options_problems(options: Any) -> list[tuple[Path, str]]:
    if not isinstance(options, Mapping):
        return [((), "expected an object of option names and values")]
    out: list[tuple[Path, str]] = []
    if len(options) > MAX_OPTIONS:
        out.append(((), f"at most {MAX_OPTIONS} options are allowed, got {len(options)}"))
    for k, v in options.items():
        if not isinstance(k, str) or not k.isidentifier() or len(k) > 64:
            out.append(((k,), f"{short_repr(k)} is not an option name (use an identifier)"))
            continue
        if isinstance(v, (list, tuple)):
            if len(v) > MAX_OPTION_ITEMS:
                out.append(((k,), f"at most {MAX_OPTION_ITEMS} items are allowed, got {len(v)}"))
                continue
            for i, item in enumerate(v):
                if not _scalar_ok(item):
                    out.append(
                        ((k, i), f"{short_repr(item)}: expected a number, a text or true/false")
                    )
        elif not _scalar_ok(v):
            out.append(
                (
                    (k,),
                    f"{short_repr(v)}: expected a number, a short text, true/false, or a list "
                    "of those",
                )
            )
    return out


def _scalar_ok(v: Any) -> bool:
    """Whether ``v`` is a JSON scalar an option may hold."""
    return (
        v is None
        or isinstance(v, bool)
        or (isinstance(v, int) and abs(v) <= INT_LIMIT)
        or (isinstance(v, float) and math.isfinite(v))
        or (isinstance(v, str) and len(v) <= MAX_OPTION_TEXT and not _bad_text(v))
    )


def _ui_problems(value: Any) -> list[tuple[Path, str]]:
    """Problems of a free JSON object, found without recursion (its depth is bounded)."""
    if not isinstance(value, Mapping):
        return [((), "expected an object")]
    out: list[tuple[Path, str]] = []
    stack: list[tuple[Path, Any]] = [((), value)]
    count = 0
    while stack:
        path, item = stack.pop()
        count += 1
        if count > UI_MAX_ITEMS:
            return out + [((), f"too large: at most {UI_MAX_ITEMS} values are allowed")]
        if len(path) > UI_MAX_DEPTH:
            out.append((path, f"nested more than {UI_MAX_DEPTH} levels deep"))
            continue
        if isinstance(item, Mapping):
            for k, v in item.items():
                if not isinstance(k, str) or _bad_text(k):
                    out.append(((*path, k), "keys must be text"))
                else:
                    stack.append(((*path, k), v))
        elif isinstance(item, (list, tuple)):
            stack.extend(((*path, i), v) for i, v in enumerate(item))
        elif isinstance(item, str):
            if _bad_text(item):
                out.append((path, "not valid Unicode text"))
        elif isinstance(item, float):
            if not math.isfinite(item):
                out.append((path, f"{item!r} is not allowed (JSON numbers are finite)"))
        elif isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > INT_LIMIT:
                out.append((path, "the number is too large"))
        elif not (item is None or isinstance(item, bool)):
            out.append((path, f"{type(item).__name__} is not JSON data"))
    out.reverse()  # the stack visits the last keys first
    return out


def _json_copy(value: Any) -> Any:
    """A copy of checked JSON data (depth is bounded, so recursion is safe)."""
    if isinstance(value, Mapping):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_copy(v) for v in value]
    return value


def _bad_text(text: str) -> bool:
    return "\x00" in text or _SURROGATE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")
