"""The export dialog writes the chosen files, then runs the parity check in a separate
process without blocking the window, and shows the largest difference (or why not)."""

import os
import sys

import pytest

from app import export_dialog
from app.export_dialog import NO_MODEL_NOTE, ExportDialog
from core.export.parity import ParityResult
from tests.core.export.test_parity import iris_mlp, trained

WAIT_MS = 60_000


@pytest.fixture(scope="module")
def iris():
    doc = iris_mlp()
    model, data = trained(doc, steps=3)
    return doc, model, data


@pytest.fixture
def make(qtbot, tmp_path):
    def make(doc, model=None, data=None, folder=None):
        dialog = ExportDialog(doc, model, data, folder or tmp_path)
        qtbot.addWidget(dialog)
        return dialog

    return make


def _slow_check(monkeypatch):
    """The check's process runs until killed (so that it can be cancelled)."""
    cmd = [sys.executable, "-c", "import sys; sys.stdin.read()"]  # blocks on the open pipe
    monkeypatch.setattr(export_dialog.parity, "parity_command", lambda *a, **k: cmd)


def test_export_writes_the_script_and_weights_then_shows_the_parity(iris, make, qtbot, tmp_path):
    doc, model, data = iris
    dialog = make(doc, model, data)
    assert dialog.name_edit.text() == "iris_mlp.py"
    assert dialog.weights_check.isChecked() and dialog.parity_check.isChecked()
    with qtbot.waitSignal(dialog.parity_finished, timeout=WAIT_MS) as finished:
        assert dialog.export_now()
        assert dialog.is_checking() and dialog.busy.isVisibleTo(dialog)
    assert (tmp_path / "iris_mlp.py").is_file() and (tmp_path / "iris_mlp.safetensors").is_file()
    result = finished.args[0]
    assert isinstance(result, ParityResult) and result.ok, result
    assert result.max_abs < 1e-4 and result.n_samples == 16
    text = dialog.result_text()
    assert text.startswith("Largest difference from the live model: ")
    assert text.endswith("over 16 samples — the exported code matches")
    assert not dialog.busy.isVisibleTo(dialog)
    assert dialog.open_button.isVisibleTo(dialog) and dialog.close_button.isVisibleTo(dialog)
    opened = []
    dialog.open_folder = lambda: opened.append(dialog.folder)
    dialog.open_button.click()
    assert opened == [tmp_path]


def test_without_a_model_the_script_is_checked_against_fresh_weights(make, qtbot, tmp_path):
    dialog = make(iris_mlp())
    assert not dialog.weights_check.isEnabled() and not dialog.weights_check.isChecked()
    assert dialog.weights_note.text() == NO_MODEL_NOTE
    assert dialog.weights_note.isVisibleTo(dialog)
    assert not dialog.choice_buttons["weights"].isEnabled()
    with qtbot.waitSignal(dialog.parity_finished, timeout=WAIT_MS) as finished:
        dialog.export_now()
    assert finished.args[0].ok, finished.args[0]
    assert sorted(os.listdir(tmp_path)) == ["iris_mlp.py"]  # no weights file


def test_the_file_name_follows_the_choice_and_keeps_the_users_own_name(iris, make):
    doc, model, data = iris
    dialog = make(doc, model, data)
    dialog.set_what("pytorch")
    assert dialog.name_edit.text() == "iris_mlp_torch.py"
    dialog.set_what("weights")
    assert dialog.name_edit.text() == "iris_mlp.safetensors"
    assert not dialog.parity_check.isEnabled() and not dialog.weights_check.isEnabled()
    dialog.name_edit.setText("flowers.safetensors")
    dialog.set_what("core")
    assert dialog.name_edit.text() == "flowers.py"
    assert dialog.parity_check.isEnabled()


def test_browse_changes_the_folder(iris, make, tmp_path):
    doc, model, data = iris
    dialog = make(doc, model, data, folder=tmp_path / "nowhere")
    (tmp_path / "out").mkdir()
    dialog.ask_folder = lambda: tmp_path / "out"
    dialog.browse_button.click()
    assert dialog.path() == tmp_path / "out" / "iris_mlp.py"


def test_weights_only_writes_a_safetensors_file_and_checks_nothing(iris, make, tmp_path):
    import core

    doc, model, data = iris
    dialog = make(doc, model, data)
    dialog.set_what("weights")
    assert dialog.export_now()
    assert not dialog.is_checking()
    saved = core.load(tmp_path / "iris_mlp.safetensors")
    assert "hidden_1.weight" in saved
    assert dialog.result_text().startswith("Wrote iris_mlp.safetensors in ")


def test_an_unwritable_folder_is_reported_inline_and_nothing_is_left(
    iris, make, monkeypatch, tmp_path
):
    doc, model, data = iris

    def refuse(path, data, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("core.export.write_atomic", refuse)
    dialog = make(doc, model, data)
    assert not dialog.export_now()
    assert "Nothing was exported" in dialog.result_text()
    assert "Permission denied" in dialog.result_text()
    assert dialog.status_label.isVisibleTo(dialog) and not dialog.is_checking()
    assert os.listdir(tmp_path) == []  # the weights written first were taken back
    missing = make(doc, model, data, folder=tmp_path / "missing")
    assert not missing.export_now()
    assert "does not exist" in missing.result_text()


def test_a_failed_check_shows_the_process_error(iris, make, monkeypatch, qtbot):
    doc, model, data = iris
    cmd = [sys.executable, "-c", "import sys; sys.exit('ModuleNotFoundError: no core here')"]
    monkeypatch.setattr(export_dialog.parity, "parity_command", lambda *a, **k: cmd)
    dialog = make(doc, model, data)
    with qtbot.waitSignal(dialog.parity_finished, timeout=WAIT_MS) as finished:
        dialog.export_now()
    assert finished.args[0].endswith("ModuleNotFoundError: no core here")
    assert dialog.result_text().startswith("The parity check failed:\n")


def test_cancel_kills_the_check(iris, make, monkeypatch, qtbot):
    _slow_check(monkeypatch)
    doc, model, data = iris
    dialog = make(doc, model, data)
    dialog.export_now()
    qtbot.waitUntil(lambda: dialog._process.processId() > 0, timeout=WAIT_MS)
    pid = dialog._process.processId()
    assert dialog.cancel_button.text() == "Cancel Check"
    with qtbot.waitSignal(dialog.parity_finished, timeout=WAIT_MS) as finished:
        dialog.cancel_button.click()
    assert "cancelled" in finished.args[0]
    assert not dialog.is_checking()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # gone (and reaped)


def test_closing_the_dialog_kills_the_check(iris, make, monkeypatch, qtbot):
    _slow_check(monkeypatch)
    doc, model, data = iris
    dialog = make(doc, model, data)
    dialog.show()
    dialog.export_now()
    qtbot.waitUntil(lambda: dialog._process.processId() > 0, timeout=WAIT_MS)
    pid = dialog._process.processId()
    dialog.close()
    assert not dialog.is_checking()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_model_with_errors_is_refused_inline(make, tmp_path):
    doc = iris_mlp()
    doc.disconnect(doc.edges[-1])  # the Output gets no input
    dialog = make(doc)
    assert not dialog.export_now()
    text = dialog.result_text()
    assert text.startswith("Nothing was exported: the model has 1 error to fix first: ")
    assert "'Arm' (Output): its input is not connected" in text
    assert not dialog.is_checking() and os.listdir(tmp_path) == []
