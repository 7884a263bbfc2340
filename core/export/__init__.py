"""``core.export``: a document as a standalone, readable Python script.

``export_source(doc, "core")`` writes the model for the core library, ``"pytorch"`` for
PyTorch (no Ember import). A script holds: a header docstring, the imports, the training
settings as constants, the model class (one attribute per layer, named from the user's
node names; forward() in topological order with each layer's output shape), the data
section (the document's dataset, split and standardized as the app does), the training
loop, and ``main()`` with ``--epochs``, ``--no-train``, ``--weights``, ``--out`` and
``--device``. The same document always gives the same bytes, and the code passes
``ruff check`` and ``ruff format --check``.

``write(doc, path, target, model=built)`` writes the script atomically and, given a
built (or trained) model, its weights beside it as ``<stem>.safetensors`` with the keys
renamed from node ids to the script's attribute names; the script loads that file when
it exists (both targets: the PyTorch one reads it with json and numpy, no pickle).
"""

from __future__ import annotations

import ast
import os
from typing import TYPE_CHECKING

from core._atomic import write_atomic
from core.export import data as _data
from core.export import loop as _loop
from core.export.names import assign, comment_text, literal, width, wrap
from core.export.source import ModelPlan, TemplateError, plan_model
from core.model.document import Document

if TYPE_CHECKING:
    from core.model.build import GraphModel

__all__ = ["TARGETS", "ExportError", "export_source", "plan", "state_dict_for", "write"]

TARGETS = ("core", "pytorch")
_LIB = {"core": "core", "pytorch": "torch"}


class ExportError(ValueError):
    """The document cannot be exported; the message says why and what to do."""


_ALIASES = {"torch": "pytorch"}


def _check_target(target: str) -> str:
    target = _ALIASES.get(target, target)
    if target not in TARGETS:
        raise ExportError(f"unknown export target {target!r}: use 'core' or 'pytorch'")
    return target


def plan(doc: Document, target: str = "core") -> ModelPlan:
    """The exported model's class name, attribute names and inputs/outputs."""
    from core.model.build import BuildError

    try:
        return plan_model(doc, _LIB[_check_target(target)])
    except (BuildError, TemplateError) as e:
        raise ExportError(f"cannot export: {e}") from None


def export_source(
    doc: Document,
    target: str = "core",
    *,
    weights: str | None = None,
    root: str | os.PathLike | None = None,
) -> str:
    """The script for ``target`` ("core" or "pytorch") as text.

    ``weights``: the weights file the script loads by default, relative to the script's
    folder (default: the script's own name with ``.safetensors``). ``root``: the folder
    relative dataset paths start from (the project file's folder); without it they are
    resolved against the script's folder when it runs.
    """
    target = _check_target(target)
    lib = _LIB[target]
    model = plan(doc, target)
    try:
        data = _data.section(doc.dataset, target, root=root)
        loss = _loop.loss_block(doc.training, data)
    except ValueError as e:
        raise ExportError(f"cannot export: {e}") from None
    trainable = len(model.inputs) == 1 and len(model.outputs) == 1

    blocks = [_banner("the model") + "\n" + "\n".join(model.lines)]
    if model.dropped:
        names = ", ".join(comment_text(doc.nodes[n].name, 30) for n in model.dropped[:5])
        more = f" and {len(model.dropped) - 5} more" if len(model.dropped) > 5 else ""
        note = wrap(f"Not exported (they lead to no Output): {names}{more}.", "# ", 98)
        blocks[-1] = "\n".join(note) + "\n" + blocks[-1]
    data_blocks = list(data.blocks)
    data_blocks[0] = _banner("the data") + "\n" + data_blocks[0]
    blocks += data_blocks
    if target == "pytorch":
        blocks.append(_banner("weights files") + "\n" + _loop.SAFETENSORS)
    if trainable:
        training = [loss, _loop.evaluate_block(lib, doc.training, data)]
        training.append(_loop.train_block(lib, doc.training, model))
        training[0] = _banner("training") + "\n" + training[0]
        blocks += training
    blocks.append(_loop.main_block(lib, model, trainable))
    blocks.append('if __name__ == "__main__":\n    main()')

    imports = {"import argparse", "import os"} | data.imports
    if target == "core":
        imports |= {"import core", "from core import nn"}
        if trainable:
            imports.add("from core.utils.data import DataLoader")
    else:
        imports |= {"import json", "import numpy as np", "import torch", "from torch import nn"}
        if trainable:
            imports.add("from torch.utils.data import DataLoader, TensorDataset")
    if any(_uses_name(b, "F") for b in blocks):
        imports.add(f"import {lib}.nn.functional as F")
    script = _script_name(weights)
    paths = _paths(weights) + ("\n" + "\n".join(data.constants) if data.constants else "")
    top = [_header(doc, target, data, script), _imports(imports), paths]
    blocks.insert(0, "\n\n".join([*top, _loop.settings_block(doc.training)]))
    return "\n\n\n".join(b.rstrip("\n") for b in blocks) + "\n"


def _script_name(weights: str | None) -> str:
    """The script's file name as the header's usage lines show it (from the weights name)."""
    if weights is None:
        return "model.py"
    name = comment_text(os.path.splitext(os.path.basename(weights))[0], 40) + ".py"
    if not any(ch.isspace() or ch in "'$`;&|<>()*?!#~" for ch in name):
        return name
    return f"'{name}'" if "'" not in name else "model.py"


def _uses_name(block: str, name: str) -> bool:
    """Whether the code ``block`` reads the global ``name``."""
    tree = ast.parse(block)
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree))


def _banner(title: str) -> str:
    return f"# -- {title} ".ljust(99, "-")


def _header(doc: Document, target: str, data, script: str) -> str:
    title = comment_text(str(doc.meta.get("title", "") or ""), 70) or "Model"
    engine = "the core library (Ember's engine)" if target == "core" else "PyTorch"
    first = wrap(f"{title}: a model and its training, for {engine}.", "", 97)
    lines = [f'"""{first[0]}', *first[1:], ""]
    description = comment_text(str(doc.meta.get("description", "") or ""), 600)
    if description:
        lines += wrap(description, "", 88) + [""]
    needs = "core (Ember)" if target == "core" else "numpy and torch"
    if target == "pytorch" and doc.dataset["source"] == "builtin":
        if doc.dataset["name"] in _data.SKLEARN_SETS:
            needs += ", scikit-learn"
    if target == "pytorch" and doc.dataset["source"] == "image_folder":
        needs += ", Pillow"
    lines += wrap(f"Generated by Ember Studio. Data: {data.description}. Needs {needs}.", "", 88)
    lines += [
        "",
        "Run it:",
        "",
        f"    python {script}               # train, then save the weights",
        f"    python {script} --epochs 5    # another number of epochs",
        f"    python {script} --no-train    # evaluate the saved weights",
        '"""',
    ]
    return "\n".join(line.rstrip() for line in lines)


def _imports(imports: set[str]) -> str:
    """Import lines grouped and sorted as isort (ruff's I rules) wants them."""
    stdlib, other = [], []
    for line in imports:
        module = line.split()[1]
        top = module.split(".")[0]
        (other if top in ("core", "numpy", "torch") else stdlib).append(line)

    def key(line: str):
        return (line.startswith("from "), line.split()[1])

    groups = [sorted(stdlib, key=key), sorted(other, key=key)]
    return "\n\n".join("\n".join(g) for g in groups if g)


def _paths(weights: str | None) -> str:
    lines = ["HERE = os.path.dirname(os.path.abspath(__file__))"]
    if weights is None:
        lines.append('WEIGHTS = os.path.splitext(os.path.abspath(__file__))[0] + ".safetensors"')
    elif width(f"WEIGHTS = os.path.join(HERE, {literal(weights)})") <= 100:
        lines.append(f"WEIGHTS = os.path.join(HERE, {literal(weights)})")
    else:
        lines += assign("WEIGHTS_FILE", weights)
        lines.append("WEIGHTS = os.path.join(HERE, WEIGHTS_FILE)")
    return "\n".join(lines)


# -- writing -----------------------------------------------------------------------------
def state_dict_for(model, model_plan: ModelPlan) -> dict:
    """A built GraphModel's state_dict with keys renamed to the exported attribute names."""
    out = {}
    for key, value in model.state_dict().items():
        head = key.partition(".")[0]
        if head in model_plan.attrs:
            out[model_plan.rename(key)] = value
    return out


def write(
    doc: Document,
    path: str | os.PathLike,
    target: str = "core",
    *,
    model: GraphModel | None = None,
    root: str | os.PathLike | None = None,
) -> list[str]:
    """Write the script to ``path`` (atomically) and, if ``model`` (a built GraphModel) is
    given, its weights beside it as ``<stem>.safetensors``; returns the paths written."""
    import core

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist")
    stem = os.path.splitext(os.path.basename(path))[0]
    weights_name = stem + ".safetensors"
    source = export_source(doc, target, weights=weights_name, root=root)
    written = []
    if model is not None:
        weights_path = os.path.join(os.path.dirname(path), weights_name)  # as given: beside it
        tensors = state_dict_for(model, plan(doc, target))
        try:
            core.save(tensors, weights_path)
        except OSError as e:
            raise ExportError(f"cannot write {weights_path}: {e.strerror or e}") from e
        written.append(weights_path)
    try:
        write_atomic(path, source)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}") from e
    return [path, *written]
