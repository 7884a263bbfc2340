"""The training section of exported scripts names what the trainer builds: the same
optimizer, scheduler (with the same arguments) and loss for every training choice, in
ruff-clean code that runs."""

from __future__ import annotations

import ast
import io
from contextlib import redirect_stdout

import pytest

from core.export import export_source
from core.model import Document, settings
from core.model.build import build
from core.train.objective import Objective, make_optimizer, make_scheduler
from tests.core.export import zoo
from tests.core.export.ruff_helper import ruff_problems
from tests.core.export.runner import load_module

# each optimizer with a scheduler (every scheduler at least once), and onecycle with each
COMBINATIONS = [
    ("adam", "none"),
    ("adamw", "step"),
    ("sgd", "exponential"),
    ("rmsprop", "cosine"),
    ("adagrad", "plateau"),
    *((optimizer, "onecycle") for optimizer in settings.OPTIMIZERS),
]


def mlp(**training) -> Document:
    doc = zoo.mlp()
    doc.set_training({"epochs": 2, "batch_size": 16, "step_size": 3, "gamma": 0.5, **training})
    return doc


def calls(src: str) -> dict[str, ast.Call]:
    """The calls assigned to ``optimizer`` and ``scheduler`` in the script."""
    out = {}
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("optimizer", "scheduler"):
                out[target.id] = node.value
    return out


@pytest.mark.parametrize(("optimizer", "scheduler"), COMBINATIONS)
def test_the_script_builds_the_trainers_optimizer_and_scheduler(optimizer, scheduler):
    doc = mlp(optimizer=optimizer, scheduler=scheduler)
    model = build(doc)
    opt = make_optimizer(doc.training, model.parameters())
    sched, when = make_scheduler(doc.training, opt, epochs=2, steps_per_epoch=3)
    for target, lib in (("core", "core"), ("pytorch", "torch")):
        found = calls(export_source(doc, target))
        assert ast.unparse(found["optimizer"].func) == f"{lib}.optim.{type(opt).__name__}"
        keywords = {k.arg for k in found["optimizer"].keywords}
        assert keywords == {"lr", *settings.OPTIMIZER_CLASSES[optimizer][1]}
        if sched is None:
            assert "scheduler" not in found
            continue
        call = found["scheduler"]
        assert ast.unparse(call.func) == f"{lib}.optim.lr_scheduler.{type(sched).__name__}"
        written = {k.arg: k.value for k in call.keywords}
        for key, value in settings.scheduler_kwargs(
            doc.training, lr=0.01, epochs=2, total_steps=6
        ).items():
            if isinstance(written[key], ast.Constant):  # the rest are names and expressions
                assert written[key].value == value, (key, target)
    if scheduler == "onecycle":  # Adagrad has no momentum to cycle
        assert sched.cycle_momentum == (optimizer != "adagrad")


@pytest.mark.parametrize("loss", settings.LOSSES)
def test_the_script_uses_the_trainers_loss_function(loss):
    task = "regression" if loss in ("mse", "l1", "huber") else "classification"
    name = settings.LOSS_FUNCTIONS[settings.resolve_loss(loss, task)]
    doc = mlp(loss=loss)
    if task == "regression":
        doc.set_dataset({"source": "builtin", "name": "sine", "options": {"n_samples": 64}})
    Objective(loss, task, 2 if task == "classification" else None)  # the trainer accepts it
    for target in ("core", "pytorch"):
        assert f"F.{name}(" in export_source(doc, target), (loss, target)


def test_every_training_choice_gives_ruff_clean_code(tmp_path):
    paths = []
    for k, (optimizer, scheduler) in enumerate(COMBINATIONS):
        doc = mlp(optimizer=optimizer, scheduler=scheduler, grad_clip=1.0)
        for target in ("core", "pytorch"):
            path = tmp_path / f"s{k}_{target}.py"
            path.write_text(export_source(doc, target))
            paths.append(path)
    problems = ruff_problems(paths)
    if problems is None:
        pytest.skip("ruff is not installed")
    assert not problems, problems


@pytest.mark.parametrize(("optimizer", "scheduler"), [("adagrad", "onecycle"), ("sgd", "plateau")])
def test_an_exported_script_trains_with_the_choice(tmp_path, optimizer, scheduler):
    doc = mlp(optimizer=optimizer, scheduler=scheduler)
    script = tmp_path / f"{optimizer}_{scheduler}.py"
    script.write_text(export_source(doc, "core"))
    module = load_module(str(script), f"exported_{optimizer}_{scheduler}")
    printed = io.StringIO()
    with redirect_stdout(printed):
        module.main(["--epochs", "2", "--out", str(tmp_path / "w.safetensors")])
    assert "epoch 2/2  train_loss" in printed.getvalue()
