"""The README's examples run as printed and train the models they show."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_engine_example_runs(tmp_path, monkeypatch, capsys):
    blocks = _blocks()
    assert blocks, "README.md has no python example"
    monkeypatch.chdir(tmp_path)  # it saves a checkpoint into the working directory
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})  # our own text
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out).group(1))
    assert accuracy >= 0.9
    assert (tmp_path / "moons.safetensors").is_file()
    assert "['0', '1', '2', '3', '4']" in out


def test_readme_document_example_runs(tmp_path, monkeypatch, capsys):
    blocks = _blocks()
    assert len(blocks) >= 2, "README.md lost its model-document example"
    monkeypatch.chdir(tmp_path)  # it saves the project, a run folder and an export here
    exec(compile(blocks[1], "README.md", "exec"), {"__name__": "readme"})  # our own text
    out = capsys.readouterr().out
    assert "changed: hidden {'out_features': 64, 'bias': True}" in out
    assert "Total params: 322" in out
    assert "['linear1', 'linear2', 'tanh1']" in out
    assert float(re.search(r"final val_accuracy ([0-9.]+)", out).group(1)) >= 0.9
    for name in (
        "moons.ember.json",
        "run/metrics.csv",
        "moons_torch.py",
        "moons_torch.safetensors",
    ):
        assert (tmp_path / name).is_file(), name
