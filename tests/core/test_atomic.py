"""core._atomic.write_atomic: the one atomic writer behind core.save, project files and
exported scripts — old or new content, never a mix; links followed, modes kept, a backup on
request, and failures that leave everything as it was and name the file."""

import errno
import os

import pytest

import core
from core._atomic import write_atomic


def _others(folder, *keep) -> set[str]:
    return {p.name for p in folder.iterdir()} - set(keep)


def test_writes_text_bytes_and_chunks(tmp_path):
    path = tmp_path / "f.txt"
    assert write_atomic(path, "héllo") == str(path)
    assert path.read_bytes() == "héllo".encode()
    write_atomic(path, b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    write_atomic(str(path), [b"ab", memoryview(b"cd"), bytearray(b"e")])
    assert path.read_bytes() == b"abcde"
    assert _others(tmp_path, "f.txt") == set()


def test_backup_keeps_the_previous_content_only_when_there_was_one(tmp_path):
    path = tmp_path / "f.json"
    write_atomic(path, "one", backup_suffix=".bak")
    assert not (tmp_path / "f.json.bak").exists()
    write_atomic(path, "two", backup_suffix=".bak")
    assert (tmp_path / "f.json.bak").read_text() == "one"
    assert path.read_text() == "two"


def test_a_link_is_followed_and_the_mode_kept(tmp_path):
    if not hasattr(os, "symlink"):
        pytest.skip("no symlinks")
    real, link = tmp_path / "real.bin", tmp_path / "link.bin"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link.symlink_to(real)
    assert write_atomic(link, b"new") == os.path.realpath(real)
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert os.stat(real).st_mode & 0o777 == 0o640


@pytest.mark.parametrize("where", ["open", "fsync", "replace"])
def test_a_failure_changes_nothing_and_names_the_file(tmp_path, monkeypatch, where):
    path = tmp_path / "f.json"
    write_atomic(path, "one")
    write_atomic(path, "two", backup_suffix=".bak")

    def fail(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, where, fail)
    with pytest.raises(OSError) as info:
        write_atomic(path, "three", backup_suffix=".bak")
    monkeypatch.undo()
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(path)
    assert str(path) in str(info.value) and os.strerror(errno.ENOSPC) in str(info.value)
    assert path.read_text() == "two" and (tmp_path / "f.json.bak").read_text() == "one"
    assert _others(tmp_path, "f.json", "f.json.bak") == set()


def test_the_error_keeps_the_os_error_subclass(tmp_path):
    missing = tmp_path / "no such folder" / "f.txt"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(missing, "x")
    assert info.value.filename == str(missing)  # the file asked for, not the temporary one


def test_core_save_goes_through_it(tmp_path):
    missing = tmp_path / "nope" / "w.safetensors"
    with pytest.raises(FileNotFoundError, match="w.safetensors'$"):
        core.save({"w": core.ones(2)}, missing)
