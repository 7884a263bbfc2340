"""core.export: exported scripts are valid, ruff-clean, deterministic, harmless with hostile
names, and compute what the built model computes (core in a fresh process, PyTorch within
1e-5), with the weights that ``write`` puts beside them."""

from __future__ import annotations

import ast
import io
import json
import os
import subprocess
import sys
import tokenize
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

import core
from core.export import ExportError, export_source, plan, state_dict_for, write
from core.model import CATALOG, Document, DocumentError
from core.model.build import build
from tests.core.export import zoo
from tests.core.export.ruff_helper import ruff_problems

ROOT = Path(__file__).resolve().parents[3]
RUNNER = Path(__file__).with_name("runner.py")
TARGETS = ("core", "pytorch")

# A marker file that injected code would create; none of the runs below may create it.
MARKER_NAME = "PWNED_MARKER"


def hostile_names(marker: str) -> list[str]:
    return [
        f'x"); import os; os.system("touch {marker}")  #',
        f"'); open({marker!r}, 'w')  #",
        "class",
        "None",
        "self",
        "__init__",
        "1st layer",
        "forward",
        "training",
        "eval",
        "x",
        "F",
        "torch",
        "core",
        "nn",
        "",
        "   ",
        "Ünïcödé 层 ☃",
        "x" * 200,
        "\\ back\\slash ''' \"\"\" end\\",
        "line\nbreak",
        "\u2028line separator",
        "\u202eright-to-left",
        "# comment",
        "lambda: 0",
        "__import__('os').system('true')",
    ]


def hostile_document(marker: str) -> tuple[Document, list[str]]:
    """A chain of Linear layers named with every hostile name the document accepts."""
    doc = Document()
    doc.set_meta(
        {
            "title": f'""" ; import os; os.system("touch {marker}") #',
            "description": f"\\'''\" {marker}\u2028 \\N{{x}} ",
        }
    )
    doc.set_dataset(
        {
            "source": "csv",
            "path": f'd"); os.system("touch {marker}"); ("\\\\e\nvil.csv',
            "target": 'y"); os.system("touch x")',
        }
    )
    prev = doc.add_node("Input", params={"shape": [3]}, name=hostile_names(marker)[0]).id
    accepted = []
    for name in hostile_names(marker):
        try:
            node = doc.add_node("Linear", params={"out_features": 3}, name=name)
        except DocumentError:
            continue
        accepted.append(name)
        doc.connect(prev, node.id)
        prev = node.id
    doc.connect(prev, doc.add_node("Output", name=hostile_names(marker)[1]).id)
    return doc, accepted


def example_documents() -> dict[str, Document]:
    """The example projects shipped in resources/examples."""
    from core.model import serialize

    return {
        "example_" + path.name.split(".")[0]: serialize.load(path)
        for path in sorted((ROOT / "resources" / "examples").glob("*.ember.json"))
    }


def perturb(model, seed: int = 1) -> None:
    """New random weights and running statistics, so equal outputs mean the weights were
    loaded (each tensor keeps its initial scale: a deep LSTM stays well-conditioned)."""
    rng = np.random.default_rng(seed)
    for key, t in model.state_dict().items():
        if t.is_floating_point():
            scale = float(np.sqrt(np.mean(t.numpy().astype(np.float64) ** 2))) or 0.1
            a = (rng.standard_normal(tuple(t.shape)) * scale).astype(np.float32)
            if key.endswith("running_var"):
                a = np.abs(a) + 0.5
            t.copy_(core.from_numpy(a))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Every zoo document built, perturbed, run on a fixed batch and written for both
    targets with its weights; plus the hostile document (no weights)."""
    out = tmp_path_factory.mktemp("export")
    marker = str(out / MARKER_NAME)
    docs = {**zoo.structures(), **zoo.per_kind(), **example_documents()}
    cases = {}
    core.manual_seed(0)
    for name, doc in docs.items():
        model = build(doc)
        perturb(model)
        model.eval()
        xs = zoo.sample_inputs(model)
        inputs = []
        for k, x in enumerate(xs):
            path = out / f"{name}_in{k}.npy"
            np.save(path, x)
            inputs.append(str(path))
        with core.no_grad():
            y = model(*[core.from_numpy(x) for x in xs])
        ref = [t.numpy() for t in (y if isinstance(y, tuple) else (y,))]
        scripts = {}
        for target in TARGETS:
            paths = write(doc, out / f"{name}_{target}.py", target, model=model)
            scripts[target] = paths
        cases[name] = {"doc": doc, "model": model, "inputs": inputs, "ref": ref, **scripts}
    hostile, accepted = hostile_document(marker)
    for target in TARGETS:
        write(hostile, out / f"hostile_{target}.py", target)
    return {"dir": out, "cases": cases, "hostile": hostile, "accepted": accepted, "marker": marker}


def test_the_example_projects_are_exported(exported):
    examples = [name for name in exported["cases"] if name.startswith("example_")]
    assert len(examples) >= 6, examples


def test_every_layer_kind_has_an_export_case():
    covered = set(zoo.SINGLE) | set(zoo.PAIRS) | {"Input", "Output"}
    missing = sorted(set(CATALOG) - covered)
    assert not missing, f"add export test cases for {missing} to tests/core/export/zoo.py"


def test_generated_scripts_pass_ruff_check_and_format(exported):
    scripts = sorted(exported["dir"].glob("*.py"))
    assert len(scripts) >= 2 * len(exported["cases"]) + 2
    problems = ruff_problems(scripts)
    if problems is None:
        pytest.skip("ruff is not installed")
    assert not problems, problems


def test_export_is_deterministic():
    for name, doc in zoo.structures().items():
        for target in TARGETS:
            first = export_source(doc, target)
            assert export_source(doc, target) == first, (name, target)
            again = getattr(zoo, name)()  # a fresh document with the same content
            assert export_source(again, target) == first, (name, target)


def test_script_layout_mlp():
    doc = zoo.mlp()
    src = export_source(doc, "core", weights="spirals.safetensors")
    assert src.startswith('"""Spirals MLP: a model and its training, for the core library')
    assert "Generated by Ember Studio" in src
    assert "python spirals.py --epochs 5" in src
    assert "class SpiralsMlp(nn.Module):" in src
    assert "self.hidden = nn.Linear(2, 16)" in src
    assert "x = self.hidden(x)  # -> (N, 16)" in src
    assert "core.datasets.spirals(n_samples=64, seed=0)" in src
    assert "dataset.split([len(dataset) - n_val, n_val], seed=0)" in src
    assert "EPOCHS = 1" in src and "BATCH_SIZE = 16" in src
    assert "core.optim.Adam(model.parameters(), lr=LEARNING_RATE" in src
    assert 'WEIGHTS = os.path.join(HERE, "spirals.safetensors")' in src
    assert src.rstrip().endswith('if __name__ == "__main__":\n    main()')
    torch_src = export_source(doc, "pytorch")
    assert "import torch" in torch_src and "from torch import nn" in torch_src
    assert "def spirals(" in torch_src and "def load_safetensors(" in torch_src


def test_pytorch_script_imports_nothing_from_ember(exported):
    allowed = {"argparse", "os", "json", "math", "numpy", "torch", "csv", "io", "gzip"}
    allowed |= {"struct", "importlib", "inspect", "warnings", "sklearn", "PIL"}
    for path in exported["dir"].glob("*_pytorch.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                tops = {node.module.split(".")[0]}
            else:
                continue
            assert tops <= allowed, (path.name, tops)


def test_weights_are_renamed_to_the_script_attributes(exported):
    case = exported["cases"]["residual"]
    weights = case["core"][1]
    assert weights.endswith("residual_core.safetensors")
    names = plan(case["doc"]).attrs
    saved = core.load(weights)
    assert sorted(saved) == sorted(state_dict_for(case["model"], plan(case["doc"])))
    heads = {k.split(".")[0] for k in saved}
    assert heads == {"conv2d_1", "batch_norm2d_1", "conv2d_2", "linear_1"}
    assert heads < set(names.values())  # and the ReLUs, which have no weights
    assert "conv2d_1.weight" in saved and "batch_norm2d_1.running_var" in saved
    # a plain safetensors file: the safetensors library reads it
    safetensors = pytest.importorskip("safetensors.numpy")
    plain = safetensors.load_file(weights)
    for key, value in saved.items():
        np.testing.assert_array_equal(plain[key], value.numpy())


def _run_core(manifest: list, path: Path) -> subprocess.CompletedProcess:
    path.write_text(json.dumps(manifest))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(RUNNER), str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        timeout=120,
    )


def test_core_export_matches_the_built_model_in_a_fresh_process(exported):
    out = exported["dir"]
    manifest = []
    for name, case in exported["cases"].items():
        script, weights = case["core"]
        manifest.append(
            {
                "script": script,
                "target": "core",
                "class": plan(case["doc"]).class_name,
                "weights": weights,
                "inputs": case["inputs"],
                "outputs": str(out / f"{name}_core_"),
                "data": name in ("mlp", "cnn"),
            }
        )
    hostile = exported["hostile"]
    x = np.ones((2, 3), np.float32)
    np.save(out / "hostile_in.npy", x)
    manifest.append(
        {
            "script": str(out / "hostile_core.py"),
            "target": "core",
            "class": plan(hostile).class_name,
            "inputs": [str(out / "hostile_in.npy")],
            "outputs": str(out / "hostile_core_"),
        }
    )
    result = _run_core(manifest, out / "core_manifest.json")
    assert result.returncode == 0, result.stderr[-4000:]
    for name, case in exported["cases"].items():
        for k, ref in enumerate(case["ref"]):
            got = np.load(out / f"{name}_core_out{k}.npy")
            assert got.shape == ref.shape, name
            np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6, err_msg=name)
    # the data section gives what the app's load_data gives
    from core.model.data import load_data

    for name in ("mlp", "cnn"):
        data = load_data(exported["cases"][name]["doc"].dataset)
        for part, ds in (("train", data.train), ("val", data.val)):
            x, y = ds.numpy()
            np.testing.assert_array_equal(np.load(out / f"{name}_core_{part}_x.npy"), x)
            np.testing.assert_array_equal(np.load(out / f"{name}_core_{part}_y.npy"), y)
        assert json.loads((out / f"{name}_core_classes.json").read_text()) == data.classes
    # the hostile script ran (a chain of Linear layers) and ran nothing injected
    reference = build(hostile)
    assert np.load(out / "hostile_core_out0.npy").shape == (2, 3)
    assert reference is not None
    assert not os.path.exists(exported["marker"])


def test_pytorch_export_matches_the_built_model(exported):
    torch = pytest.importorskip("torch")
    from tests.core.export.runner import load_module

    for name, case in exported["cases"].items():
        script, weights = case["pytorch"]
        module = load_module(script, f"exported_torch_{name}")
        model = getattr(module, plan(case["doc"], "pytorch").class_name)()
        model.load_state_dict(module.load_safetensors(weights))  # strict: every key fits
        model.eval()
        with torch.no_grad():
            outs = model(*[torch.from_numpy(np.load(p)) for p in case["inputs"]])
        outs = outs if isinstance(outs, tuple) else (outs,)
        assert len(outs) == len(case["ref"]), name
        for got, ref in zip(outs, case["ref"]):
            assert tuple(got.shape) == ref.shape, name
            np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-5, err_msg=name)
    module = load_module(str(exported["dir"] / "hostile_pytorch.py"), "exported_torch_hostile")
    model = getattr(module, plan(exported["hostile"], "pytorch").class_name)()
    assert tuple(model(torch.ones(2, 3)).shape) == (2, 3)
    assert not os.path.exists(exported["marker"])


def test_hostile_names_become_identifiers_and_safe_comments(exported):
    doc, accepted = exported["hostile"], exported["accepted"]
    assert "" not in accepted and "line\nbreak" not in accepted  # the document refuses them
    assert 'x"); import os; os.system("touch' in accepted[0]
    for target in TARGETS:
        src = (exported["dir"] / f"hostile_{target}.py").read_text()
        compile(src, f"hostile_{target}.py", "exec")
        names = set()
        for tok in tokenize.generate_tokens(io.StringIO(src).readline):
            if tok.type == tokenize.NAME:
                names.add(tok.string)
            if tok.type == tokenize.COMMENT:
                assert "\n" not in tok.string and "\u2028" not in tok.string
        # the injected code's words appear in no code token: only inside strings/comments
        # or as parts of longer, sanitised identifiers
        assert not names & {"system", "touch", "__import__", "PWNED_MARKER"}
        attrs = plan(doc, target).attrs.values()
        for attr in attrs:
            assert attr.isidentifier() and attr.isascii() and attr == attr.lower()
            assert attr not in ("class", "None", "self", "forward", "training", "eval", "x")
        assert len(set(attrs)) == len(attrs)
        assert {"class_", "none", "self_", "init", "forward_", "training_", "eval_"} <= set(attrs)
        assert any(a.startswith("linear_1st_layer") for a in attrs)


def test_core_script_trains_end_to_end(exported, tmp_path):
    script = exported["cases"]["mlp"]["core"][0]
    out = tmp_path / "trained.safetensors"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = [sys.executable, script, "--epochs", "1", "--out", str(out)]
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "loaded weights from" in result.stdout  # the file write() put beside it
    assert "epoch 1/1  train_loss" in result.stdout and "val_accuracy" in result.stdout
    trained = core.load(str(out))
    assert sorted(trained) == sorted(core.load(exported["cases"]["mlp"]["core"][1]))


def test_pytorch_script_trains_end_to_end(exported, tmp_path):
    pytest.importorskip("torch")
    from tests.core.export.runner import load_module

    module = load_module(exported["cases"]["mlp"]["pytorch"][0], "exported_torch_train")
    out = tmp_path / "trained.safetensors"
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        module.main(["--epochs", "1", "--out", str(out)])
    printed = buffer.getvalue()
    assert "epoch 1/1  train_loss" in printed and "val_accuracy" in printed
    # what the PyTorch script saves, the app reads (and vice versa, above)
    trained = core.load(str(out))
    original = core.load(exported["cases"]["mlp"]["pytorch"][1])
    assert sorted(trained) == sorted(original)
    assert all(trained[k].shape == original[k].shape for k in trained)


def test_multi_input_script_runs_a_batch_instead_of_training(exported):
    src = Path(exported["cases"]["multi_io"]["core"][0]).read_text()
    assert "def forward(self, image, table):" in src
    assert "return class_head, value_head, x" in src
    assert "def train(" not in src and "core.zeros(2, 1, 4, 4), core.zeros(2, 3)" in src


def test_unused_nodes_are_left_out_with_a_note():
    doc = zoo.mlp()
    dangling = doc.add_node("Linear", params={"out_features": 3}, name="Dangling")
    doc.connect(next(n.id for n in doc if n.name == "hidden"), dangling.id)
    src = export_source(doc, "core")
    assert "# Not exported (they lead to no Output): Dangling." in src
    assert "dangling" not in src.split("# -- the data")[0].split("class ")[1]


def test_export_refuses_a_broken_model_and_an_unknown_target():
    doc = Document()
    doc.add_node("Linear")
    with pytest.raises(ExportError, match="cannot export"):
        export_source(doc, "core")
    with pytest.raises(ExportError, match="unknown export target 'jax'"):
        export_source(zoo.mlp(), "jax")
    assert export_source(zoo.mlp(), "torch") == export_source(zoo.mlp(), "pytorch")  # alias


def test_write_returns_the_paths_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = zoo.mlp()
    assert write(doc, "m.py", model=build(doc)) == ["m.py", "m.safetensors"]
    assert (tmp_path / "m.safetensors").is_file()


def test_write_needs_an_existing_folder(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write(zoo.mlp(), tmp_path / "missing" / "m.py")
    paths = write(zoo.mlp(), tmp_path / "m.py", "pytorch")
    assert paths == [str(tmp_path / "m.py")]  # no model: no weights file
    assert [p.name for p in tmp_path.iterdir()] == ["m.py"]  # no temporary file left
