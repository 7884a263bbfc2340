"""The command line (``python -m app train|export|validate|summary|kinds``): exit codes,
messages, files written, and no Qt import.

Most tests call ``app.cli.main(argv)`` in this process; the ones about the process itself
(no PySide6 imported, Ctrl-C) start ``python -m app``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import core
from app import __version__, cli
from core.model import serialize
from core.model.inference import infer

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "resources" / "examples"
SPIRALS = EXAMPLES / "mlp_spirals.ember.json"
PROJECTS = sorted(EXAMPLES.glob("*.ember.json"))


def run(capsys, *argv) -> tuple[int, str, str]:
    """cli.main(argv): (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_project(tmp_path: Path, data: dict, name: str = "model.ember.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def spirals_data() -> dict:
    return json.loads(SPIRALS.read_text(encoding="utf-8"))


@pytest.fixture
def shape_error_project(tmp_path) -> Path:
    """The spirals MLP fed (1, 8, 8) images: its first Linear gets a 3-D input."""
    data = spirals_data()
    data["nodes"][0]["params"]["shape"] = [1, 8, 8]
    return write_project(tmp_path, data, "broken.ember.json")


@pytest.fixture
def small_spirals(tmp_path) -> Path:
    """The spirals project with a small dataset, so that an epoch takes a moment."""
    data = spirals_data()
    data["dataset"]["options"]["n_samples"] = 120
    return write_project(tmp_path, data, "spirals.ember.json")


# -- parser ------------------------------------------------------------------------------
@pytest.mark.parametrize("command", cli.COMMANDS)
def test_each_command_has_help_with_examples(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert f"usage: ember-studio {command}" in out
    assert "examples:" in out
    assert f"ember-studio {command} " in out.split("examples:")[1]


def test_top_level_help_lists_the_commands(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for command in cli.COMMANDS:
        assert command in out


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert (code, out.strip()) == (0, f"Ember Studio {__version__}")


@pytest.mark.parametrize(
    "argv, says",
    [
        ([], "a command is needed"),
        (["frobnicate", "x.ember.json"], "invalid choice"),
        (["train"], "required: PROJECT"),
        (["train", SPIRALS, "--epochs", "0"], "--epochs"),
        (["train", SPIRALS, "--device", "tpu"], "invalid choice"),
        (["export", SPIRALS, "-o", "x.py"], "--target"),
        (["export", SPIRALS, "--target", "tensorflow", "-o", "x.py"], "invalid choice"),
        (["export", SPIRALS, "--target", "core"], "-o/--output"),
        (["summary", SPIRALS, "--batch-size", "many"], "--batch-size"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, says):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert says in err
    assert "usage: ember-studio" in err


def test_main_entry_runs_a_command_and_starts_the_gui_without_one(monkeypatch, capsys):
    import app.__main__ as entry

    started = []
    monkeypatch.setattr(entry, "run_gui", lambda qt_args: started.append(list(qt_args)) or 0)
    assert entry.main(["validate", str(SPIRALS)]) == 0
    assert started == []
    assert "ok" in capsys.readouterr().out
    assert entry.main([]) == 0
    assert entry.main(["-platform", "offscreen"]) == 0
    assert started == [[], ["-platform", "offscreen"]]


# -- no Qt -------------------------------------------------------------------------------
NO_QT_SCRIPT = """
import sys

class NoQt:  # any attempt to import PySide6 fails loudly
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph"):
            raise ImportError("the command line imported " + name)
        return None

sys.meta_path.insert(0, NoQt())
from app.__main__ import main

project, out = sys.argv[1], sys.argv[2]
codes = [
    main(["validate", project]),
    main(["summary", project]),
    main(["train", project, "--epochs", "1", "--out", out, "--quiet"]),
    main(["export", project, "--target", "core", "-o", out + "/model.py"]),
    main(["kinds"]),
    main(["kinds", "Conv2d", "--json"]),
]
print("codes", codes)
print("qt", sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6")))
"""


def test_commands_never_import_qt(tmp_path, small_spirals):
    proc = subprocess.run(
        [sys.executable, "-c", NO_QT_SCRIPT, str(small_spirals), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "codes [0, 0, 0, 0, 0, 0]" in proc.stdout
    assert "qt []" in proc.stdout


def test_python_dash_m_app_runs_a_command(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "validate", str(tmp_path / "missing.ember.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("ember-studio: error: ")
    assert "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- validate ----------------------------------------------------------------------------
@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_validate_is_clean_for_every_example(capsys, project):
    code, out, err = run(capsys, "validate", project)
    assert code == 0, out + err
    assert out.strip().endswith("parameters)")
    assert ": ok (" in out
    assert "warning" not in out and err == ""


def test_validate_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path / "nothere.ember.json")
    assert code == 1
    assert err == f"ember-studio: error: {tmp_path / 'nothere.ember.json'}: no such file\n"


def test_validate_a_folder(capsys, tmp_path):
    code, _, err = run(capsys, "validate", tmp_path)
    assert code == 1
    assert "is a folder" in err


def test_validate_malformed_json_gives_line_and_column(capsys, tmp_path):
    path = tmp_path / "bad.ember.json"
    path.write_text('{\n  "format": "ember-studio.model",\n  "version": 2,,\n}', encoding="utf-8")
    code, out, err = run(capsys, "validate", path)
    assert code == 1
    assert f"{path}:3:" in out
    assert "not valid JSON" in out
    assert err.startswith("ember-studio: error: ")


def test_validate_lists_format_problems_with_json_paths(capsys, tmp_path):
    data = spirals_data()
    data["nodes"][1]["kind"] = "Linaer"
    data["nodes"][3]["params"]["out_features"] = -4
    data["training"]["lr"] = "fast"
    path = write_project(tmp_path, data)
    code, out, err = run(capsys, "validate", path)
    assert code == 1
    lines = out.splitlines()
    assert any("nodes[1].kind" in line and "Linear" in line for line in lines)  # did you mean
    assert any("nodes[3].params.out_features" in line for line in lines)
    assert any("training.lr" in line for line in lines)
    assert all(line.startswith(f"{path}: error: ") for line in lines)
    assert "3 problems" in err


def test_validate_reports_shape_errors_by_node(capsys, shape_error_project):
    code, out, err = run(capsys, "validate", shape_error_project)
    assert code == 1
    assert "error: node hidden1:" in out
    assert "Flatten" in out  # the hint says what to do
    assert "1 error" in err


def test_validate_checks_the_dataset_without_loading_it(capsys, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text("not,really\na csv")  # not read by validate
    data = spirals_data()
    data["dataset"] = {"source": "csv", "path": "data/t.csv", "target": "really"}
    data["dataset"]["options"] = {"categorical_columns": ["not"]}
    project = write_project(tmp_path / "data", data)  # relative paths start at its folder
    code, out, err = run(capsys, "validate", project)
    assert code == 1  # data/t.csv is not beside the project
    assert f"{project}: error: dataset.path: 'data/t.csv' -> " in out
    assert "nothing is there" in out and "the project file's folder" in out
    assert err == f"ember-studio: error: {project}: the dataset section has 1 problem\n"

    project = write_project(tmp_path, data)
    code, out, err = run(capsys, "validate", project)
    assert (code, err) == (0, "") and ": ok (" in out

    data["dataset"] = {"source": "image_folder", "path": "data/t.csv"}
    code, out, _ = run(capsys, "validate", write_project(tmp_path, data))
    assert code == 1 and "that is a file, not a folder" in out

    data["dataset"] = {"source": "builtin", "name": "spirls", "options": {"nosie": 0.1}}
    code, out, _ = run(capsys, "validate", write_project(tmp_path, data))
    assert code == 1
    assert "error: dataset.name: there is no built-in dataset 'spirls'" in out

    data["dataset"] = {"source": "builtin", "name": "moons", "options": {"nosie": 0.1}}
    code, out, err = run(capsys, "validate", write_project(tmp_path, data))
    assert code == 1
    assert "error: dataset.options.nosie: moons() has no option 'nosie'; its options:" in out
    assert "noise" in out


def test_validate_reports_model_and_dataset_errors_together(capsys, shape_error_project):
    data = json.loads(shape_error_project.read_text())
    data["dataset"] = {"source": "npz", "path": "nowhere.npz"}
    shape_error_project.write_text(json.dumps(data))
    code, out, err = run(capsys, "validate", shape_error_project)
    assert code == 1
    assert "error: node hidden1:" in out and "error: dataset.path: 'nowhere.npz'" in out
    assert "the model has 1 error and 0 warnings; the dataset section has 1 problem" in err


def test_validate_passes_with_warnings_printed(capsys, tmp_path):
    data = spirals_data()
    data["nodes"].append({"id": "spare", "kind": "ReLU", "position": [400.0, 200.0]})
    data["edges"].append({"src": "hidden1", "dst": "spare"})  # leads to no Output
    path = write_project(tmp_path, data)
    code, out, err = run(capsys, "validate", path)
    assert code == 0
    assert "warning: node spare:" in out
    assert "1 warning" in out
    assert err == ""


# -- summary -----------------------------------------------------------------------------
def test_summary_prints_the_table_and_totals(capsys):
    doc = serialize.load(SPIRALS)
    total = infer(doc).total_params
    code, out, _ = run(capsys, "summary", SPIRALS)
    assert code == 0
    assert f"Total params: {total:,}" in out
    assert "Trainable params:" in out
    assert "hidden1" in out and "[N, 64]" in out


def test_summary_with_a_batch_size(capsys):
    code, out, _ = run(capsys, "summary", SPIRALS, "--batch-size", 16)
    assert code == 0
    assert "[16, 64]" in out
    assert "MACs per batch of 16" in out


def test_summary_of_a_broken_model_prints_it_and_fails(capsys, shape_error_project):
    code, out, err = run(capsys, "summary", shape_error_project)
    assert code == 1
    assert "Total params:" in out
    assert "hidden1" in out
    assert "1 error" in err


def test_summary_of_malformed_json(capsys, tmp_path):
    path = tmp_path / "bad.ember.json"
    path.write_text("{not json", encoding="utf-8")
    code, out, err = run(capsys, "summary", path)
    assert code == 1
    assert out == ""
    assert err.startswith(f"ember-studio: error: {path}:1:")


def test_summary_of_a_project_with_format_problems(capsys, tmp_path):
    data = spirals_data()
    del data["nodes"][0]["kind"]
    code, _, err = run(capsys, "summary", write_project(tmp_path, data))
    assert code == 1
    assert "nodes[0].kind" in err


# -- export ------------------------------------------------------------------------------
@pytest.mark.parametrize("target, lib", [("core", "import core"), ("pytorch", "import torch")])
def test_export_writes_a_script(capsys, tmp_path, target, lib):
    script = tmp_path / "model.py"
    code, out, _ = run(capsys, "export", SPIRALS, "--target", target, "-o", script)
    assert code == 0
    assert out.splitlines() == [str(script)]
    source = script.read_text(encoding="utf-8")
    assert lib in source
    compile(source, str(script), "exec")  # valid Python


def test_export_with_weights_writes_them_beside(capsys, tmp_path, small_spirals):
    run_dir = tmp_path / "run"
    assert run(capsys, "train", small_spirals, "--epochs", 1, "--out", run_dir, "-q")[0] == 0
    script = tmp_path / "out" / "net.py"
    script.parent.mkdir()
    for weights in (run_dir / "last.ckpt", run_dir / cli.WEIGHTS):
        code, out, _ = run(
            capsys, "export", small_spirals, "--target", "core", "-o", script, "--weights", weights
        )
        assert code == 0
        assert out.splitlines() == [str(script), str(script.with_suffix(".safetensors"))]
        exported = core.load(str(script.with_suffix(".safetensors")))
        trained = core.load(str(run_dir / cli.WEIGHTS))  # the same weights, renamed
        assert len(exported) == len(trained) == 6
        for tensor in trained.values():
            assert any(
                e.shape == tensor.shape and (e.numpy() == tensor.numpy()).all()
                for e in exported.values()
            )


def test_export_refuses_weights_of_another_model(capsys, tmp_path):
    other = tmp_path / "other.safetensors"
    core.save({"fc.weight": core.zeros(3, 3)}, str(other))
    script = tmp_path / "model.py"
    code, _, err = run(
        capsys, "export", SPIRALS, "--target", "core", "-o", script, "--weights", other
    )
    assert code == 1
    assert "do not fit" in err
    assert not script.exists()


def test_export_of_a_broken_model_fails(capsys, tmp_path, shape_error_project):
    script = tmp_path / "model.py"
    code, _, err = run(capsys, "export", shape_error_project, "--target", "core", "-o", script)
    assert code == 1
    assert "node hidden1" in err
    assert not script.exists()


def test_export_into_a_missing_folder_fails(capsys, tmp_path):
    script = tmp_path / "no" / "such" / "model.py"
    code, _, err = run(capsys, "export", SPIRALS, "--target", "core", "-o", script)
    assert code == 1
    assert "does not exist" in err


def test_export_missing_project(capsys, tmp_path):
    code, _, err = run(
        capsys, "export", tmp_path / "x.ember.json", "--target", "core", "-o", tmp_path / "m.py"
    )
    assert code == 1
    assert "no such file" in err


# -- train -------------------------------------------------------------------------------
def test_train_one_epoch_writes_metrics_checkpoints_and_weights(capsys, tmp_path):
    out_dir = tmp_path / "run"
    code, out, err = run(capsys, "train", SPIRALS, "--epochs", 1, "--out", out_dir)
    assert code == 0
    with open(out_dir / "metrics.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "lr",
        "seconds",
    ]
    assert len(rows) == 2 and rows[1][0] == "1"
    assert (out_dir / "last.ckpt").is_file()
    assert set(core.load(str(out_dir / cli.WEIGHTS))) >= {"hidden1.weight", "scores.bias"}
    # progress and per-epoch metrics on stderr; the result on stdout
    assert "epoch 1/1" in err and "val_accuracy" in err
    assert out.startswith("finished after 1 epoch ")
    assert "val_accuracy" in out
    assert "goal val_accuracy >= 0.95: " in out
    assert f"checkpoint: {out_dir / 'last.ckpt'}" in out


def test_train_defaults_its_output_folder_beside_the_project(capsys, small_spirals):
    code, _, _ = run(capsys, "train", small_spirals, "--epochs", 1, "--quiet")
    assert code == 0
    assert (small_spirals.parent / "spirals-run" / "metrics.csv").is_file()


def test_train_quiet_prints_no_progress(capsys, tmp_path, small_spirals):
    code, out, err = run(
        capsys, "train", small_spirals, "--epochs", 1, "--out", tmp_path / "r", "-q"
    )
    assert code == 0
    assert err == ""
    assert "finished after 1 epoch" in out


def test_train_resumes_from_a_checkpoint(capsys, tmp_path, small_spirals):
    out_dir = tmp_path / "run"
    assert run(capsys, "train", small_spirals, "--epochs", 1, "--out", out_dir, "-q")[0] == 0
    code, out, _ = run(
        capsys,
        "train",
        small_spirals,
        "--epochs",
        2,
        "--out",
        out_dir,
        "--resume",
        out_dir / "last.ckpt",
        "-q",
    )
    assert code == 0
    assert "finished after 2 epochs" in out
    with open(out_dir / "metrics.csv", newline="", encoding="utf-8") as f:
        assert [r["epoch"] for r in csv.DictReader(f)] == ["1", "2"]


def test_train_resume_needs_an_existing_checkpoint(capsys, tmp_path):
    code, _, err = run(capsys, "train", SPIRALS, "--resume", tmp_path / "none.ckpt")
    assert code == 1
    assert "none.ckpt: no such file" in err


def test_train_missing_project(capsys, tmp_path):
    code, out, err = run(capsys, "train", tmp_path / "gone.ember.json")
    assert (code, out) == (1, "")
    assert err.startswith("ember-studio: error: ")


def test_train_a_broken_model_names_the_node(capsys, tmp_path, shape_error_project):
    code, _, err = run(capsys, "train", shape_error_project, "--out", tmp_path / "r")
    assert code == 1
    assert "node hidden1" in err
    assert not (tmp_path / "r").exists()


def test_train_a_dataset_that_cannot_load(capsys, tmp_path):
    data = spirals_data()
    data["dataset"]["name"] = "spirls"
    code, _, err = run(capsys, "train", write_project(tmp_path, data), "--out", tmp_path / "r")
    assert code == 1
    assert "spirls" in err and "spirals" in err  # what is wrong, and what exists


@pytest.mark.skipif(core.cuda.is_available(), reason="a GPU is available")
def test_train_on_cuda_without_a_gpu_says_so(capsys, tmp_path):
    code, _, err = run(capsys, "train", SPIRALS, "--device", "cuda", "--out", tmp_path / "r")
    assert code == 1
    assert "cuda" in err and "--device cpu" in err


def test_train_anomaly_names_the_op_and_node(capsys, tmp_path):
    data = json.loads((EXAMPLES / "regression_sine.ember.json").read_text(encoding="utf-8"))
    data["training"].update(optimizer="sgd", lr=10.0, momentum=1.0, scheduler="none")
    for node in data["nodes"]:
        if node["kind"] == "Tanh":
            node["kind"] = "ReLU"  # unbounded: the outputs overflow within a few steps
    path = write_project(tmp_path, data)
    code, out, err = run(capsys, "train", path, "--out", tmp_path / "r")
    assert (code, out) == (1, "")
    message = err.split("ember-studio: error: ")[1]
    assert message.startswith("training stopped: loss became non-finite at step ")
    found = re.search(r"in op (\w+) of node '(\w+)'", message)
    assert found, message
    assert found[2] in {n["id"] for n in data["nodes"]}
    assert "hint: lower the learning rate" in message


def test_ctrl_c_stops_saves_a_checkpoint_and_exits_130(tmp_path, small_spirals):
    out_dir = tmp_path / "run"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "train",
            str(small_spirals),
            "--epochs",
            "100000",
            "--out",
            str(out_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        for line in proc.stderr:  # wait until training runs
            if line.startswith("epoch 1/100000"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert out.startswith("stopped after ")
    assert (out_dir / "last.ckpt").is_file()
    assert (out_dir / cli.WEIGHTS).is_file()
    assert "Traceback" not in err


# -- progress and goal -------------------------------------------------------------------
class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _info(**changes):
    from core.train import TrainInfo

    values = dict(
        epochs=2,
        start_epoch=0,
        steps_per_epoch=5,
        total_steps=10,
        batch_size=8,
        device="cpu",
        task="classification",
        loss="cross_entropy",
        metrics=("train_loss",),
        monitor="train_loss",
        n_params=10,
        train_samples=40,
        val_samples=0,
        data="toy",
        settings={},
        out_dir=None,
        resumed=None,
    )
    return TrainInfo(**{**values, **changes})


def _step(step: int):
    from core.train import StepReport

    return StepReport(
        epoch=1 + (step - 1) // 5,
        step=step,
        batch=1 + (step - 1) % 5,
        batches=5,
        loss=0.5,
        lr=0.001,
        samples_per_s=1234.0,
        seconds=0.01,
        elapsed=0.01 * step,
    )


def test_progress_on_a_terminal_redraws_one_line():
    stream = FakeTTY()
    progress = cli.Progress(stream, interval=0, columns=200)
    progress.on_start(_info())
    progress.on_step(_step(3))
    progress.on_step(_step(4))
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "epoch 1/2  [######..............]  step 3/10  loss 0.5000  lr 0.001" in text
    assert "1,234 samples/s" in text and "ETA " in text
    progress.finish()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_on_a_narrow_terminal_clips_the_line():
    stream = FakeTTY()
    progress = cli.Progress(stream, interval=0, columns=40)
    progress.on_start(_info())
    progress.on_step(_step(3))
    drawn = stream.getvalue().split("\r")[-1].removesuffix("\x1b[K")
    assert len(drawn) == 39  # one column short of the edge: no wrap
    assert drawn.startswith("epoch 1/2  [######......")


def test_progress_to_a_file_writes_plain_lines():
    stream = io.StringIO()
    progress = cli.Progress(stream, interval=0)
    progress.on_start(_info())
    progress.on_step(_step(5))
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0] == "data: toy"
    assert lines[-1].startswith("epoch 1/2  [##########..........]  step 5/10")


def test_progress_throttles_plain_lines():
    stream = io.StringIO()
    progress = cli.Progress(stream, interval=3600)
    progress.on_start(_info())
    before = stream.getvalue()
    for step in range(1, 10):
        progress.on_step(_step(step))
    assert stream.getvalue() == before  # nothing until the interval passes (or the last step)
    progress.on_step(_step(10))
    assert "step 10/10" in stream.getvalue()


@pytest.mark.parametrize(
    "meta, metrics, reached, says",
    [
        ({"goal_metric": "val_accuracy", "goal": 0.9}, {"val_accuracy": 0.95}, True, ">= 0.9"),
        ({"goal_metric": "val_accuracy", "goal": 0.9}, {"val_accuracy": 0.5}, False, "not reached"),
        (
            {"goal_metric": "val_loss", "goal": 2.0, "goal_mode": "min"},
            {"val_loss": 1.5},
            True,
            "<= 2",
        ),
        ({"goal_metric": "val_r2", "goal": 0.9}, {"train_loss": 0.1}, False, "no val_r2"),
        ({"goal_metric": ""}, {"val_accuracy": 1.0}, None, ""),
    ],
)
def test_goal_status(meta, metrics, reached, says):
    line, ok = cli.goal_status(meta, metrics)
    assert ok is reached
    assert says in line


# -- slips a user makes ------------------------------------------------------------------
def test_a_mistyped_command_is_a_usage_error_not_the_gui(monkeypatch, capsys):
    import app.__main__ as entry

    started = []
    monkeypatch.setattr(entry, "run_gui", lambda qt_args: started.append(list(qt_args)) or 0)
    assert entry.main(["trian", str(SPIRALS)]) == 2
    assert started == []
    err = capsys.readouterr().err
    assert "invalid choice: 'trian'" in err and "train" in err


def test_export_never_overwrites_a_project_or_any_file_but_a_script(capsys, tmp_path):
    project = write_project(tmp_path, spirals_data())
    table = tmp_path / "data.csv"
    table.write_text("a,b\n1,2\n", encoding="utf-8")
    for target in (project, table):
        before = target.read_bytes()
        code, _, err = run(capsys, "export", project, "--target", "core", "-o", target)
        assert code == 1
        assert "not overwriting" in err and ".py" in err
        assert target.read_bytes() == before
    script = tmp_path / "old.py"
    script.write_text("# an earlier export\n", encoding="utf-8")
    assert run(capsys, "export", project, "--target", "core", "-o", script)[0] == 0
    assert "import core" in script.read_text(encoding="utf-8")  # a script is replaced


def test_validate_refuses_a_file_over_the_size_limit(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(serialize, "MAX_BYTES", 100)
    path = tmp_path / "big.ember.json"
    path.write_text(" " * 1000 + "{}", encoding="utf-8")
    code, out, err = run(capsys, "validate", path)
    assert code == 1
    assert "too large" in out and "not a valid project file" in err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes")
@pytest.mark.parametrize("command", ["validate", "summary"])
def test_a_pipe_or_device_is_refused_without_reading_it(capsys, tmp_path, command):
    import os

    fifo = tmp_path / "pipe.ember.json"
    os.mkfifo(fifo)  # opening it would block until a writer comes: it must not be opened
    code, _, err = run(capsys, command, fifo)
    assert code == 1
    assert "not a regular file" in err


def test_resume_from_an_unreadable_checkpoint_fails_before_training(capsys, tmp_path):
    bad = tmp_path / "last.ckpt"
    bad.write_bytes(b"not a checkpoint at all")
    code, _, err = run(capsys, "train", SPIRALS, "--resume", bad, "--out", tmp_path / "r", "-q")
    assert code == 1
    assert "is not a readable checkpoint" in err
    assert "training stopped" not in err  # nothing had started


def test_a_stopped_run_says_at_which_step(capsys, tmp_path):
    from types import SimpleNamespace

    result = SimpleNamespace(
        epochs=0, steps=12, seconds=1.5, metrics={}, checkpoint=str(tmp_path / "last.ckpt")
    )
    doc = serialize.load(SPIRALS)
    cli._print_result(doc, result, tmp_path, tmp_path / cli.WEIGHTS, interrupted=True)
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "stopped after 0 epochs, at step 12 (1.5 s)"


# -- kinds -------------------------------------------------------------------------------
def test_kinds_lists_the_catalog_by_category(capsys):
    from core.model import catalog

    code, out, err = run(capsys, "kinds")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    groups = catalog.by_category()
    headings = [line for line in lines if line and not line.startswith(" ")][:-1]
    assert headings == list(groups)  # every category, in catalog order
    for entries in groups.values():
        for e in entries:
            [line] = [x for x in lines if x.startswith(f"  {e.kind} ")]
            assert e.display_name in line and " ".join(e.doc.split()) in line
    assert lines[-1].startswith(f"{len(catalog.CATALOG)} kinds; ")
    # the headings' order: a kind is listed under its own category
    conv = lines.index("Convolution")
    assert lines[conv + 1].split()[0] == groups["Convolution"][0].kind


def test_kinds_of_one_category(capsys):
    code, out, _ = run(capsys, "kinds", "--category", "merge")
    assert code == 0
    kinds = [line.split()[0] for line in out.splitlines() if line.startswith("  ")]
    assert "Add" in kinds and "Concat" in kinds and "Linear" not in kinds
    assert out.splitlines()[0] == "Merge"
    code, out, _ = run(capsys, "kinds", "--category", "input")  # a unique prefix
    assert code == 0 and out.splitlines()[0] == "Input / Output"
    code, _, err = run(capsys, "kinds", "--category", "dancing")
    assert code == 1
    assert "no category 'dancing'" in err and "'Convolution'" in err


def test_kinds_shows_one_kinds_parameters_as_a_table(capsys):
    code, out, err = run(capsys, "kinds", "Conv2d")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "Conv2d (category Convolution)"
    assert lines[1].startswith("2-D convolution")
    assert "inputs:  in" in lines and "outputs: out" in lines
    header = next(line for line in lines if line.split()[:1] == ["parameter"])
    assert header.split() == ["parameter", "type", "default", "accepts"]
    row = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert row["out_channels"].split()[:4] == ["out_channels", "int", "16", "[1,"]
    assert "Output channels" in row["out_channels"]
    assert '"zeros", "reflect", "replicate", "circular"' in row["padding_mode"]
    assert "2 values, each [1, 1024], or one for all" in row["kernel_size"]
    assert row["bias"].split()[:3] == ["bias", "bool", "true"]  # defaults as JSON
    assert "(advanced)" in row["groups"]
    # columns line up: each column starts where its heading does
    start = header.index("default")
    assert all(r[start - 2 : start] == "  " and r[start] != " " for r in row.values())


def test_kinds_without_parameters_merges_and_optional_values(capsys):
    _, out, _ = run(capsys, "kinds", "ReLU")
    assert out.rstrip().endswith("parameters: none")
    _, out, _ = run(capsys, "kinds", "Add")
    assert "inputs:  in1, in2 (with the default parameters)" in out
    _, out, _ = run(capsys, "kinds", "Input")
    assert "inputs:  none" in out
    _, out, _ = run(capsys, "kinds", "Embedding")
    assert "integer indices" in out
    row = next(line for line in out.splitlines() if line.startswith("  padding_idx"))
    assert row.split()[2] == "null" and "or null" in row


def test_kinds_finds_a_kind_in_any_case_or_says_what_was_meant(capsys):
    code, out, _ = run(capsys, "kinds", "conv2d")
    assert code == 0 and out.startswith("Conv2d (category Convolution)")
    code, out, _ = run(capsys, "kinds", "Multi-head Attention")  # the display name
    assert code == 0 and out.startswith("MultiheadAttention: Multi-head Attention")
    code, out, err = run(capsys, "kinds", "Lineer")
    assert (code, out) == (1, "")
    assert err.startswith("ember-studio: error: unknown layer kind 'Lineer'; did you mean Linear")
    code, _, err = run(capsys, "kinds", "Zzzzz")
    assert code == 1 and "did you mean" not in err and "'ember-studio kinds' lists them" in err
    code, _, err = run(capsys, "kinds", "Linear", "--category", "merge")
    assert code == 1 and "Linear is in the category 'Dense', not 'Merge'" in err


def test_kinds_json_for_tools(capsys):
    from core.model import catalog
    from core.model.params import as_json

    code, out, _ = run(capsys, "kinds", "--json")
    assert code == 0
    kinds = json.loads(out)
    assert sorted(k["kind"] for k in kinds) == sorted(catalog.CATALOG)
    code, out, _ = run(capsys, "kinds", "Conv2d", "--json")
    info = json.loads(out)
    entry = catalog.get("Conv2d")
    assert info == next(k for k in kinds if k["kind"] == "Conv2d")
    assert info["category"] == "Convolution" and info["inputs"] == ["in"]
    assert [p["name"] for p in info["params"]] == list(entry.params.names)
    pad = next(p for p in info["params"] if p["name"] == "padding_mode")
    assert pad["choices"] == ["zeros", "reflect", "replicate", "circular"]
    assert pad["default"] == "zeros" and pad["advanced"] is True
    # every default, as printed, is what the kind accepts back in a project file
    for k in kinds:
        params = catalog.get(k["kind"]).params
        assert params.check({p["name"]: p["default"] for p in k["params"]}) == params.defaults()
        assert all(p["default"] == as_json(params[p["name"]].default) for p in k["params"])
    code, out, _ = run(capsys, "kinds", "--category", "merge", "--json")
    assert {k["category"] for k in json.loads(out)} == {"Merge"}
