"""The parity check: an exported script, run in its own process on a fixed batch, gives what
the live model gives; wrong weights, a broken script and a missing PyTorch say so."""

import ast
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import core
from core.export import write
from core.export.parity import (
    RUNNER,
    ParityError,
    check_parity,
    compare,
    fixed_batch,
    live_outputs,
    parity_command,
    save_weights,
    write_batch,
)
from core.model.document import Document
from core.train import Callback, TrainControl, document_trainer

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"
TORCH_MISSING = (
    "PyTorch is not installed for {}: the PyTorch script was written but could not be checked"
)


def iris_mlp() -> Document:
    """The spirals MLP example, reshaped for iris (4 features, 3 classes)."""
    d = json.loads((EXAMPLES / "mlp_spirals.ember.json").read_text(encoding="utf-8"))
    d["nodes"][0]["params"]["shape"] = [4]
    d["nodes"][5]["params"]["out_features"] = 3
    d["dataset"].update(name="iris", options={}, standardize=True)
    d["meta"]["title"] = "Iris MLP"
    return Document.from_dict(d)


class _StopAfter(Callback):
    def __init__(self, control: TrainControl, steps: int) -> None:
        self.control, self.steps = control, steps

    def on_step(self, report) -> None:
        if report.step >= self.steps:
            self.control.stop()


def trained(doc: Document, steps: int = 6):
    """(model, data) after a few training steps."""
    control = TrainControl()
    trainer = document_trainer(doc, control=control, callbacks=[_StopAfter(control, steps)])
    trainer.run(epochs=1)
    return trainer.model, trainer.data


@pytest.fixture(scope="module")
def projects():
    """The iris MLP and the digits CNN example, each trained for a few steps."""
    out = {}
    for name, doc in (
        ("iris", iris_mlp()),
        ("cnn", Document.load(EXAMPLES / "cnn_digits.ember.json")),
    ):
        model, data = trained(doc)
        out[name] = (doc, model, data)
    return out


# -- the batch ---------------------------------------------------------------------------
def test_the_batch_is_the_first_validation_samples_when_the_data_fits(projects):
    doc, _, data = projects["iris"]
    (batch,) = fixed_batch(doc, data)
    x_val, _ = data.val.numpy()
    np.testing.assert_array_equal(batch, x_val[:16])
    assert fixed_batch(doc, data, n=5)[0].shape == (5, 4)


def test_without_fitting_data_the_batch_is_random_seeded_and_shaped_like_the_input(projects):
    doc, _, _ = projects["cnn"]
    _, _, iris_data = projects["iris"]
    (a,) = fixed_batch(doc)
    (b,) = fixed_batch(doc, iris_data)  # iris rows do not fit an image input
    assert a.shape == (16, 1, 8, 8) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fixed_batch(doc, seed=1)[0])


def test_index_inputs_stay_within_the_embedding_range():
    doc = Document.load(EXAMPLES / "char_lm.ember.json")
    (batch,) = fixed_batch(doc, n=32)
    assert batch.dtype == np.int64 and batch.shape == (32, 64)
    assert batch.min() >= 0 and batch.max() < 95  # the example's num_embeddings
    assert batch.max() > 50  # spread over the range, not a handful of ids


def test_live_outputs_run_in_eval_mode_and_restore_the_mode(projects):
    doc, model, data = projects["iris"]
    batch = fixed_batch(doc, data)
    model.train()
    (out,) = live_outputs(model, batch)
    assert model.training
    assert out.shape == (16, 3) and out.dtype == np.float32
    model.eval()
    (again,) = live_outputs(model, batch)
    assert not model.training
    np.testing.assert_array_equal(out, again)


# -- the comparison ----------------------------------------------------------------------
def test_compare_reports_the_largest_difference():
    live = [np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)]
    exported = live[0].copy()
    exported[1, 0] += 2.0**-20  # exactly representable: 9.5e-07
    close = compare(live, [exported])
    assert close.ok and close.shapes_match and close.n_samples == 2
    assert close.max_abs == 2.0**-20
    assert close.max_rel == 2.0**-21  # relative to the output's largest magnitude, 2
    assert close.message.startswith("Largest difference from the live model: 9.5e-07 over 2")
    assert close.message.endswith("the exported code matches")
    far = compare(live, [live[0] + np.float32(0.5)])
    assert not far.ok and far.max_abs == pytest.approx(0.5)
    assert "does not match" in far.message


def test_compare_refuses_other_shapes_and_misplaced_nans():
    live = [np.zeros((4, 3), np.float32)]
    shapes = compare(live, [np.zeros((4, 2), np.float32)])
    assert not shapes.ok and not shapes.shapes_match and math.isinf(shapes.max_abs)
    assert "(4, 2)" in shapes.message and "(4, 3)" in shapes.message
    assert not compare(live, []).ok
    nan = np.zeros((4, 3), np.float32)
    nan[1, 2] = np.nan
    assert not compare(live, [nan]).ok
    assert compare([nan], [nan.copy()]).ok  # NaN where the live model has NaN too


def test_the_tolerance_grows_with_the_outputs_magnitude():
    big = [np.full((2, 2), 1000.0, np.float32)]
    assert compare(big, [big[0] + np.float32(0.06)]).ok  # ~1 ulp at 1000 is 6e-5
    assert not compare(big, [big[0] + np.float32(1.0)]).ok


# -- the exported scripts in their own process -------------------------------------------
@pytest.mark.parametrize("name", ["iris", "cnn"])
def test_the_core_script_matches_the_live_model(projects, name, tmp_path):
    doc, model, data = projects[name]
    script, weights = write(doc, tmp_path / "model.py", "core", model=model)
    result = check_parity(doc, script, weights, model, data, target="core")
    assert result.ok, result.message
    assert result.max_abs < 1e-4 and result.n_samples == 16


@pytest.mark.parametrize("name", ["iris", "cnn"])
def test_the_pytorch_script_matches_the_live_model(projects, name, tmp_path):
    pytest.importorskip("torch")
    doc, model, data = projects[name]
    script, weights = write(doc, tmp_path / "model_torch.py", "pytorch", model=model)
    result = check_parity(doc, script, weights, model, data, target="pytorch")
    assert result.ok, result.message
    assert result.max_abs < 1e-4


def test_a_script_without_weights_is_checked_with_the_models_weights(projects, tmp_path):
    doc, model, data = projects["iris"]
    (script,) = write(doc, tmp_path / "model.py", "core")
    assert check_parity(doc, script, None, model, data).ok


def test_wrong_weights_give_a_large_difference(projects, tmp_path):
    doc, model, data = projects["iris"]
    (script,) = write(doc, tmp_path / "model.py", "core")
    core.manual_seed(123)
    from core.model.build import build

    other = save_weights(doc, build(doc), tmp_path / "other.safetensors")
    result = check_parity(doc, script, other, model, data)
    assert not result.ok and result.shapes_match
    assert result.max_abs > 1e-2
    assert "does not match" in result.message


def test_a_broken_script_raises_with_the_reason_on_one_line(projects, tmp_path):
    doc, model, data = projects["iris"]
    script = Path(write(doc, tmp_path / "model.py", "core")[0])
    script.write_text(script.read_text().replace("def forward(self, x):", "def forward(self, x)"))
    with pytest.raises(ParityError, match="SyntaxError") as error:
        check_parity(doc, script, None, model, data)
    assert "\n" not in str(error.value)


def test_a_missing_pytorch_is_reported_clearly(projects, tmp_path):
    doc, model, data = projects["iris"]
    (script,) = write(doc, tmp_path / "model_torch.py", "pytorch")
    fake = tmp_path / "no_torch"
    fake.mkdir()
    (fake / "torch.py").write_text('raise ImportError("this test hides PyTorch")\n')
    write_batch(fixed_batch(doc, data), tmp_path / "batch.npz")
    cmd = parity_command(script, None, tmp_path / "batch.npz", tmp_path / "out.npz")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode != 0
    assert proc.stderr.strip() == TORCH_MISSING.format(sys.executable)
    assert not (tmp_path / "out.npz").exists()


def test_the_runner_runs_as_a_file_of_its_own(tmp_path):
    cmd = parity_command(
        tmp_path / "m.py", None, tmp_path / "b.npz", tmp_path / "o.npz", class_name="Net"
    )
    assert cmd[:2] == [sys.executable, str(RUNNER)]  # not ``-m core...``: core is not imported
    assert cmd[2:] == [str(tmp_path / n) for n in ("m.py", "b.npz", "o.npz")] + [
        "--class-name",
        "Net",
    ]


def test_the_runner_imports_only_numpy_and_the_standard_library():
    tree = ast.parse(RUNNER.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"argparse", "importlib", "os", "re", "sys", "traceback", "numpy"}
