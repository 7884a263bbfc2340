"""The README's engine example runs as printed and trains the model it shows."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_engine_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "README.md has no python example"
    monkeypatch.chdir(tmp_path)  # it saves a checkpoint into the working directory
    exec(compile(blocks[0], "README.md", "exec"), {"__name__": "readme"})  # our own text
    out = capsys.readouterr().out
    accuracy = float(re.search(r"test accuracy ([0-9.]+)", out).group(1))
    assert accuracy >= 0.9
    assert (tmp_path / "moons.safetensors").is_file()
    assert "['0', '1', '2', '3', '4']" in out
