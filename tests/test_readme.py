"""The README's examples run as printed and train the models they show; its project-file
example is a valid project."""

import json
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


def _project_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Project files (`.ember.json`)")
    return text[start : text.index("### Command line", start)]


def test_readme_project_file_example_is_a_valid_project():
    from core.model import infer, serialize
    from core.model.data import check_dataset

    section = _project_section()
    [block] = re.findall(r"```json\n(.*?)```", section, re.S)
    assert serialize.validate(json.loads(block)) == []
    doc = serialize.loads(block)
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Linear", "Output"]
    assert infer(doc).ok
    assert check_dataset(doc.dataset) == []
    keys = re.findall(r'^  "(\w+)"', block, re.M)
    assert set(serialize.TOP_KEYS) - set(keys) == {"ui"}  # all but the GUI's view state


def test_readme_project_file_section_names_every_choice():
    from core.datasets import BUILTIN
    from core.model import serialize, settings

    section = _project_section()
    names = [*serialize.TOP_KEYS, *settings.DATA_SOURCES, *BUILTIN]
    names += [*settings.LOSSES, *settings.OPTIMIZERS, *settings.SCHEDULERS]
    names += [*settings.DATASET.names, *settings.TRAINING.names, "options"]
    missing = [n for n in names if f"`{n}`" not in section]
    assert missing == [], f"README's project-file section does not mention {missing}"
    assert "python -m app kinds" in section
