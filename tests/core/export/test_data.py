"""The data sections of exported scripts give exactly the data the app trains on
(core.model.data.load_data): the same samples, split and standardization, for every
built-in set and every file source; the PyTorch one with numpy code alone."""

from __future__ import annotations

import ast
import struct

import numpy as np
import pytest

from core.export import ExportError, export_source
from core.model import Document
from core.model.data import load_data
from tests.core.export.ruff_helper import ruff_problems


def data_document(dataset: dict) -> Document:
    doc = Document()
    doc.set_dataset(dataset)
    x = doc.add_node("Input").id
    doc.connect(x, doc.add_node("Output").id)
    return doc


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A CSV with text columns, a regression CSV, an .npz, MNIST IDX files, an image
    folder and a text file."""
    d = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    rows = [
        f"{rng.normal():.3f};{rng.integers(0, 5)};{['red', 'green', 'blue'][i % 3]};"
        f"{['yes', 'no'][rng.integers(0, 2)]}"
        for i in range(40)
    ]
    (d / "mixed.csv").write_text("a;b;color;label\n" + "\n".join(rows) + "\n")
    rows = [f"{i * 0.5},{i % 4},{i * 1.7 + 0.1:.2f}" for i in range(30)]
    (d / "numbers.csv").write_text("x,k,t\n" + "\n".join(rows) + "\n")
    np.savez(d / "arrays.npz", x=rng.random((30, 3)), y=np.arange(30) % 3)
    (d / "mnist").mkdir()
    images = rng.integers(0, 256, (20, 5, 5)).astype(np.uint8)
    head = bytes([0, 0, 8, 3]) + struct.pack(">3I", 20, 5, 5)
    (d / "mnist" / "train-images-idx3-ubyte").write_bytes(head + images.tobytes())
    labels = (np.arange(20) % 10).astype(np.uint8)
    head = bytes([0, 0, 8, 1]) + struct.pack(">I", 20)
    (d / "mnist" / "train-labels-idx1-ubyte").write_bytes(head + labels.tobytes())
    image = pytest.importorskip("PIL.Image")
    for c in ("cat", "dog"):
        (d / "images" / c).mkdir(parents=True)
        for i in range(3):
            pixels = rng.integers(0, 256, (6, 7, 3)).astype(np.uint8)
            image.fromarray(pixels).save(d / "images" / c / f"{i}.png")
    (d / "tiny.txt").write_text("hello world, a tiny corpus of text. " * 12)
    return d


def configs(d) -> list[dict]:
    builtin = [
        ("spirals", True),
        ("moons", False),
        ("circles", True),
        ("xor", False),
        ("blobs", True),
        ("sine", True),
        ("polynomial", False),
        ("step", False),
        ("absolute", True),
        ("digits", False),
        ("iris", True),
        ("wine", True),
        ("breast_cancer", True),
    ]
    return [{"source": "builtin", "name": n, "standardize": s} for n, s in builtin] + [
        {
            "source": "builtin",
            "name": "spirals",
            "options": {"n_samples": 101, "classes": 3, "arms": 2, "noise": 0.2, "seed": 5},
            "validation_split": 0.3,
            "split_seed": 7,
        },
        {"source": "builtin", "name": "blobs", "validation_split": 0.0, "standardize": True},
        {"source": "builtin", "name": "digits", "options": {"flat": True}},
        {"source": "csv", "path": str(d / "mixed.csv"), "standardize": True},
        {"source": "csv", "path": str(d / "numbers.csv"), "target": "t"},
        {"source": "csv", "path": "numbers.csv", "target": "k", "options": {"delimiter": ","}},
        {"source": "npz", "path": str(d / "arrays.npz")},
        {"source": "mnist", "path": str(d / "mnist")},
        {"source": "image_folder", "path": str(d / "images"), "options": {"size": 4}},
        {"source": "image_folder", "path": str(d / "images"), "options": {"grayscale": True}},
        {"source": "text", "path": str(d / "tiny.txt"), "block": 8},
        {"source": "text", "name": "python_docs", "block": 16, "options": {"max_chars": 3000}},
    ]


def test_pytorch_data_section_gives_the_apps_data(files, tmp_path):
    pytest.importorskip("torch")  # the scripts import torch (the data code is numpy only)
    from tests.core.export.runner import load_module

    for k, dataset in enumerate(configs(files)):
        doc = data_document(dataset)
        ref = load_data(doc.dataset, root=files)
        script = tmp_path / f"data_{k}.py"
        script.write_text(export_source(doc, "pytorch", root=files))
        train, val, classes = load_module(str(script), f"exported_data_{k}").load_data()
        what = f"{dataset['source']} {dataset.get('name', '')} {dataset.get('path', '')}"
        for got, part in ((train, ref.train), (val, ref.val)):
            if part is None:
                assert got is None, what
                continue
            x, y = part.numpy()
            assert got[0].dtype == x.dtype and got[1].dtype == y.dtype, what
            np.testing.assert_array_equal(got[0], x, err_msg=what)
            np.testing.assert_array_equal(got[1], y, err_msg=what)
        assert classes == ref.classes, what


def test_core_data_section_calls_core_datasets(files):
    doc = data_document({"source": "csv", "path": "numbers.csv", "target": "t"})
    src = export_source(doc, "core")
    assert 'DATA_FILE = "numbers.csv"' in src
    assert "DATA_PATH = os.path.join(HERE, DATA_FILE)" in src
    assert 'TARGET_COLUMN = "t"' in src
    assert "core.datasets.load_csv(DATA_PATH, target=TARGET_COLUMN, task=None)" in src
    src = export_source(doc, "core", root=files)
    assert f"DATA_PATH = {str(files / 'numbers.csv')!r}".replace("'", '"') in src
    text = data_document({"source": "text", "name": "python_docs", "block": 32})
    assert 'core.datasets.text.corpus("python_docs", 32)' in export_source(text, "core")


def test_long_strings_become_constants_split_between_characters():
    path = "/data/" + "very long folder name é\\ " * 8 + "x.csv"
    doc = data_document({"source": "csv", "path": path, "options": {"delimiter": ";"}})
    src = export_source(doc, "core")
    start = src.index("DATA_PATH = (")
    block = src[start : src.index("\n)", start)]
    parts = [line.strip() for line in block.splitlines()[1:]]
    assert len(parts) > 1 and all(len(line) <= 100 for line in block.splitlines())
    assert "".join(ast.literal_eval(p) for p in parts) == path
    assert 'delimiter=";"' in src


def test_unknown_sets_and_standardized_text_are_refused():
    with pytest.raises(ExportError, match="no built-in dataset 'nope'"):
        export_source(data_document({"source": "builtin", "name": "nope"}), "core")
    with pytest.raises(ExportError, match="no built-in text corpus 'nope'"):
        export_source(data_document({"source": "text", "name": "nope"}), "pytorch")
    moons = data_document({"source": "builtin", "name": "moons", "options": {"factor": 0.3}})
    for target in ("core", "pytorch"):  # what load_data refuses, with its message
        with pytest.raises(
            ExportError, match=r"dataset.options.factor: moons\(\) has no option 'factor'"
        ):
            export_source(moons, target)
    # an option repeating a setting would be a duplicate keyword argument in the script
    csv = data_document({"source": "csv", "path": "t.csv", "options": {"target": "b"}})
    with pytest.raises(ExportError, match="dataset.options.target: set by dataset.target"):
        export_source(csv, "core")
    bad = data_document({"source": "text", "name": "python_docs", "standardize": True})
    with pytest.raises(ExportError, match="cannot be standardized"):
        export_source(bad, "core")


LONG = "a very long missing-value marker that no file uses"


def list_configs(d) -> list[dict]:
    """Sections whose options hold lists (categorical_columns, classes, x_range, ...)."""
    text = (d / "tiny.txt").read_text()
    return [
        {
            "source": "csv",
            "path": str(d / "mixed.csv"),
            # b holds numbers: one-hot only because categorical_columns names it
            "options": {"categorical_columns": ["b", "color"], "classes": ["yes", "no"]},
        },
        {
            "source": "csv",
            "path": "numbers.csv",
            "target": "k",
            "options": {"na_values": ["", "NA", "-", "n/a", LONG], "numeric_columns": ["x"]},
        },
        {"source": "builtin", "name": "sine", "options": {"x_range": [-2, 3]}},
        {
            "source": "builtin",
            "name": "polynomial",
            "options": {"coefficients": [1, 0, -2.5], "x_range": [0.0, 1.0]},
        },
        {"source": "image_folder", "path": str(d / "images"), "options": {"size": [4, 5]}},
        {
            "source": "text",
            "path": str(d / "tiny.txt"),
            "block": 8,
            "options": {"vocab": sorted(set(text), reverse=True)},
        },
    ]


def test_list_options_are_exported_for_both_targets(files, tmp_path):
    from tests.core.export.runner import load_module

    has_torch = True
    try:
        import torch  # noqa: F401 (the PyTorch scripts import it)
    except ImportError:
        has_torch = False
    scripts = []
    for k, dataset in enumerate(list_configs(files)):
        doc = data_document(dataset)
        ref = load_data(doc.dataset, root=files)
        for target in ("core", "pytorch"):
            source = export_source(doc, target, root=files)
            script = tmp_path / f"lists_{target}_{k}.py"
            script.write_text(source)
            scripts.append(script)
            if target == "pytorch" and not has_torch:
                continue
            train, val, classes = load_module(str(script), f"lists_{target}_{k}").load_data()
            what = f"{target}: {dataset}"
            for got, part in ((train, ref.train), (val, ref.val)):
                x, y = part.numpy()
                got = got.numpy() if target == "core" else got
                np.testing.assert_array_equal(got[0], x, err_msg=what)
                np.testing.assert_array_equal(got[1], y, err_msg=what)
            assert classes == ref.classes, what
    core_csv = scripts[0].read_text()
    assert 'categorical_columns=["b", "color"], classes=["yes", "no"]' in core_csv
    long_lists = scripts[2].read_text()  # numbers.csv for core: long values are constants
    assert f"OPTION_NA_VALUES_4 = {LONG!r}".replace("'", '"') in long_lists
    assert 'OPTION_NA_VALUES = ["", "NA", "-", "n/a", OPTION_NA_VALUES_4]' in long_lists
    assert "na_values=OPTION_NA_VALUES," in long_lists
    assert "core.datasets.sine(x_range=[-2, 3], seed=0)" in scripts[4].read_text()
    problems = ruff_problems(scripts)
    if problems is None:
        pytest.skip("ruff is not installed")
    assert problems == "", problems
