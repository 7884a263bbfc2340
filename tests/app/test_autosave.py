"""Autosave and crash recovery: what is written when, what is removed when, what the next
start is offered, and broken recovery files."""

import gc
import json
from pathlib import Path

import pytest

from app.autosave import (
    RECOVERY_FORMAT,
    Autosaver,
    pending_recoveries,
    recovery_folder,
)
from app.controller import DocumentController
from core.model import serialize

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"
SPIRALS = EXAMPLES / "mlp_spirals.ember.json"


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "recovery"


@pytest.fixture
def c(qtbot, tmp_path):
    controller = DocumentController()
    project = tmp_path / "spirals.ember.json"
    project.write_bytes(SPIRALS.read_bytes())
    controller.load(project)
    controller.messages = []
    controller.message.connect(controller.messages.append)
    return controller


def autosave_and_crash(c: DocumentController, folder: Path) -> Path:
    """An autosave, then the session ends without a clean close (its autosaver is gone,
    its recovery file stays); the file's path."""
    saver = Autosaver(c, 0, folder)
    assert saver.save_now()
    assert pending_recoveries(folder) == []  # a running session's file is not offered
    path = saver.path
    del saver
    gc.collect()
    return path


def test_nothing_is_written_without_changes(c, folder):
    saver = Autosaver(c, 0, folder)
    assert not saver.save_now()
    assert not saver.path.exists()


def test_changes_are_written_once_with_the_original_path(c, folder):
    saver = Autosaver(c, 0, folder)
    node = c.add_node("ReLU")
    assert saver.save_now()
    data = json.loads(saver.path.read_text())
    assert data["format"] == RECOVERY_FORMAT
    assert data["original"] == str(c.path)
    assert any(n["id"] == node for n in data["document"]["nodes"])
    assert not saver.save_now()  # nothing new since
    c.add_node("ReLU")
    assert saver.save_now()


def test_the_timer_autosaves(c, folder, qtbot):
    saver = Autosaver(c, 0.01, folder)
    c.add_node("ReLU")
    with qtbot.waitSignal(saver.saved, timeout=2000) as blocker:
        pass
    assert blocker.args == [saver.path] and saver.path.exists()


def test_interval_zero_is_off(c, folder):
    saver = Autosaver(c, 60, folder)
    assert saver.interval_s == 60
    saver.set_interval(0)
    assert saver.interval_s == 0


@pytest.mark.parametrize("how", ["save", "undo", "discard", "new", "open"])
def test_the_file_goes_when_the_changes_are_saved_or_gone(c, folder, tmp_path, how):
    saver = Autosaver(c, 0, folder)
    c.add_node("ReLU")
    saver.save_now()
    assert saver.path.exists()
    if how == "save":
        c.save()
    elif how == "undo":
        c.undo_stack.undo()
    elif how == "discard":  # clean close
        saver.discard()
    elif how == "new":
        c.new_document()
    else:
        c.load(SPIRALS)
    assert not saver.path.exists()
    assert pending_recoveries(folder, include_own=True) == []


def test_the_own_file_is_not_offered_but_a_crashed_one_is(c, folder):
    saver = Autosaver(c, 0, folder)
    node = c.add_node("ReLU")
    saver.save_now()
    assert pending_recoveries(folder) == []
    assert [r.path for r in pending_recoveries(folder, include_own=True)] == [saver.path]
    saver.discard()
    path = autosave_and_crash(c, folder)
    (recovery,) = pending_recoveries(folder)
    assert recovery.path == path and recovery.original == c.path
    assert recovery.display_name == "spirals.ember.json"
    assert recovery.saved_at is not None and recovery.problem is None
    doc = recovery.load()
    assert node in doc and doc.nodes == c.document.nodes


def test_restoring_a_recovery(c, folder, qtbot):
    c.add_node("ReLU")
    autosave_and_crash(c, folder)
    (recovery,) = pending_recoveries(folder)
    fresh = DocumentController()
    fresh.load_document(recovery.load(), recovery.original, modified=True)
    recovery.discard()
    assert fresh.is_modified() and fresh.path == c.path
    assert fresh.document.nodes == c.document.nodes
    assert pending_recoveries(folder) == []
    assert list(folder.iterdir()) == []  # the stale lock went too


def test_a_broken_recovery_file_is_listed_and_can_be_discarded(folder):
    folder.mkdir(parents=True)
    broken = folder / "session-1-x.ember-recovery.json"
    broken.write_text('{"format": "ember-studio.recovery", "version": 1, "document": {')
    bad_doc = folder / "session-2-y.ember-recovery.json"
    bad_doc.write_text(
        json.dumps(
            {
                "format": RECOVERY_FORMAT,
                "version": 1,
                "original": None,
                "saved_at": "2024-01-01T10:00:00+00:00",
                "document": {"format": "ember-studio.model", "version": 2, "nodes": 3},
            }
        )
    )
    found = {r.path.name: r for r in pending_recoveries(folder)}
    assert set(found) == {broken.name, bad_doc.name}
    assert "not valid JSON" in found[broken.name].problem
    assert found[broken.name].saved_at is not None  # the file's time
    with pytest.raises(serialize.FormatError, match="not valid JSON"):
        found[broken.name].load()
    assert found[bad_doc.name].problem is None and found[bad_doc.name].display_name == "Untitled"
    with pytest.raises(serialize.FormatError, match="nodes"):
        found[bad_doc.name].load()
    for recovery in found.values():
        recovery.discard()
    assert pending_recoveries(folder) == []


def test_newest_first_and_missing_folder(folder, tmp_path):
    assert pending_recoveries(tmp_path / "nowhere") == []
    folder.mkdir(parents=True)
    for name, when in (("a", "2024-01-01T10:00:00+00:00"), ("b", "2024-02-01T10:00:00+00:00")):
        data = {"format": RECOVERY_FORMAT, "version": 1, "original": None, "saved_at": when,
                "document": serialize.to_dict(serialize.load(SPIRALS))}  # fmt: skip
        (folder / f"{name}.ember-recovery.json").write_text(json.dumps(data))
    assert [r.path.stem for r in pending_recoveries(folder)] == [
        "b.ember-recovery",
        "a.ember-recovery",
    ]


def test_a_failed_write_is_reported(c, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    saver = Autosaver(c, 0, blocker / "recovery")
    c.add_node("ReLU")
    assert not saver.save_now()
    assert c.messages and c.messages[-1].startswith("Autosave failed")


def test_the_default_folder_is_in_app_data(c):
    saver = Autosaver(c, 0)
    assert saver.path.parent == recovery_folder()
    assert "recovery" == recovery_folder().name
    c.add_node("ReLU")
    assert saver.save_now()
    assert [r.path for r in pending_recoveries(include_own=True)] == [saver.path]
    saver.discard()
    assert not saver.path.exists() and pending_recoveries(include_own=True) == []
