"""core.model.data: a document's dataset section -> training/validation data (load_data),
and its problems found without loading (check_dataset)."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from core.datasets import BUILTIN, DatasetError, LabeledDataset, SequenceDataset
from core.model.data import Data, check_dataset, load_data


def test_a_builtin_set_with_options_split_and_described():
    data = load_data({"name": "spirals", "options": {"n_samples": 100, "noise": 0.1}})
    assert isinstance(data, Data) and isinstance(data.train, LabeledDataset)
    assert len(data.train) == 80 and len(data.val) == 20  # validation_split 0.2
    assert data.task == "classification" and data.num_classes == 2
    assert data.classes == data.train.classes and data.name == "spirals"
    assert data.input_shape == (2,) and data.input_dtype == "float32" and data.target_shape == ()
    assert data.description == (
        "spirals (builtin): 80 training + 20 validation samples, input 2 float32, 2 classes"
    )
    # the same every time: a built-in set gets seed 0 unless the options give one
    again = load_data({"name": "spirals", "options": {"n_samples": 100, "noise": 0.1}})
    assert np.array_equal(again.train.numpy()[0], data.train.numpy()[0])
    other = load_data({"name": "spirals", "split_seed": 1, "options": {"n_samples": 100}})
    assert not np.array_equal(other.train.numpy()[0], data.train.numpy()[0])


def test_no_validation_split_and_regression_shapes():
    data = load_data({"name": "sine", "validation_split": 0, "options": {"n_samples": 50}})
    assert data.val is None and len(data.train) == 50
    assert data.task == "regression" and data.num_classes is None and data.target_shape == (1,)
    assert "regression, 1 target" in data.description


def test_standardize_uses_the_training_statistics_only():
    data = load_data({"name": "wine", "standardize": True, "validation_split": 0.3})
    xt, _ = data.train.numpy()
    xv, _ = data.val.numpy()
    assert np.allclose(xt.mean(0), 0, atol=1e-5) and np.allclose(xt.std(0), 1, atol=1e-4)
    assert not np.allclose(xv.mean(0), 0, atol=1e-3)  # shifted by train's mean, not its own
    raw = load_data({"name": "wine", "validation_split": 0.3})
    mean, std = data.train.standardization
    assert np.allclose((raw.val.numpy()[0] - mean) / std, xv, atol=1e-5)


def test_unknown_names_and_options_list_what_is_valid():
    with pytest.raises(DatasetError, match="no built-in dataset 'spiral'.*spirals, moons"):
        load_data({"name": "spiral"})
    with pytest.raises(
        DatasetError, match=r"dataset.options.nois: spirals\(\) has no option 'nois'.*noise"
    ):
        load_data({"name": "spirals", "options": {"nois": 0.1}})
    with pytest.raises(DatasetError, match="dataset.options: spirals.*noise=-1.*noise must be"):
        load_data({"name": "spirals", "options": {"noise": -1}})
    with pytest.raises(DatasetError, match="dataset.validation_split"):
        load_data({"name": "spirals", "validation_split": 2})
    with pytest.raises(DatasetError, match="leaves .* both need at least one"):
        load_data({"name": "xor", "validation_split": 0.1, "options": {"n_samples": 3}})
    with pytest.raises(DatasetError, match="is a classification dataset.*'auto'"):
        load_data({"name": "moons", "task": "regression"})


def test_a_csv_file_relative_to_the_project_folder(tmp_path):
    (tmp_path / "data").mkdir()
    rows = ["a,b,kind"] + [f"{i},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(20)]
    (tmp_path / "data" / "t.csv").write_text("\n".join(rows) + "\n")
    section = {"source": "csv", "path": "data/t.csv", "target": "kind", "validation_split": 0.25}
    data = load_data(section, root=tmp_path)
    assert data.num_classes == 2 and data.classes == ["no", "yes"] and data.input_shape == (2,)
    assert len(data.train) == 15 and data.name == "t"
    reg = load_data({**section, "target": "a", "task": "regression"}, root=tmp_path)
    assert reg.task == "regression"
    with pytest.raises(DatasetError, match="dataset.options.sep: CSV file has no option"):
        load_data({**section, "options": {"sep": ";"}}, root=tmp_path)
    with pytest.raises(DatasetError, match=r"'data/t.csv' -> .*nothing is there"):
        load_data(section)  # no root: the working folder, where there is no data/t.csv
    with pytest.raises(DatasetError, match="dataset.path: source 'csv' reads a file"):
        load_data({"source": "csv"})
    with pytest.raises(DatasetError, match="that is a folder, not a file"):
        load_data({"source": "csv", "path": "data"}, root=tmp_path)


def test_an_npz_file_and_an_mnist_folder(tmp_path):
    x = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(10) % 2)
    data = load_data({"source": "npz", "path": str(tmp_path / "d.npz"), "validation_split": 0})
    assert data.input_shape == (4,) and data.num_classes == 2

    def idx(path, array):
        header = struct.pack(f">BBBB{array.ndim}I", 0, 0, 0x08, array.ndim, *array.shape)
        path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))

    rng = np.random.default_rng(0)
    idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 255, (12, 5, 5)))
    idx(tmp_path / "train-labels-idx1-ubyte.gz", np.arange(12) % 3)
    data = load_data({"source": "mnist", "path": str(tmp_path), "validation_split": 0.25})
    assert data.input_shape == (1, 5, 5) and data.num_classes == 3 and len(data.val) == 3


def test_an_image_folder(tmp_path):
    from PIL import Image

    for cls, color in (("cats", 50), ("dogs", 200)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("L", (6, 6), color + i).save(tmp_path / cls / f"{i}.png")
    section = {"source": "image_folder", "path": str(tmp_path), "validation_split": 0}
    data = load_data({**section, "options": {"grayscale": True}})
    assert data.classes == ["cats", "dogs"] and data.input_shape == (1, 6, 6)
    assert load_data(section).input_shape == (3, 6, 6)


def test_text_from_a_file_or_the_built_in_corpus(tmp_path):
    (tmp_path / "t.txt").write_text("to be or not to be " * 20)
    data = load_data({"source": "text", "path": "t.txt", "block": 8}, root=tmp_path)
    assert isinstance(data.train, SequenceDataset)
    assert data.input_dtype == "int64" and data.input_shape == (8,) and data.target_shape == (8,)
    assert data.num_classes == len(set("to be or not to be ")) and data.task == "classification"
    assert "classes per position" in data.description
    stride = load_data(
        {"source": "text", "path": "t.txt", "block": 8, "options": {"stride": 4}}, root=tmp_path
    )
    assert len(stride.train) + len(stride.val) > len(data.train) + len(data.val)
    corpus = load_data(
        {"source": "text", "name": "python_docs", "block": 16, "options": {"max_chars": 4000}}
    )
    assert corpus.name == "python_docs" and corpus.input_shape == (16,)
    with pytest.raises(DatasetError, match="no built-in text corpus 'shakespeare'"):
        load_data({"source": "text", "name": "shakespeare"})
    with pytest.raises(DatasetError, match="standardize.*character ids"):
        load_data({"source": "text", "path": "t.txt", "standardize": True}, root=tmp_path)


def test_list_options_reach_the_loader(tmp_path):
    # column b holds numeric codes: a number column unless categorical_columns says otherwise
    rows = ["a,b,kind"] + [f"{i},{i % 3},{'yes' if i % 2 else 'no'}" for i in range(12)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    section = {"source": "csv", "path": "t.csv", "target": "kind", "validation_split": 0}
    assert load_data(section, root=tmp_path).input_shape == (2,)
    onehot = load_data({**section, "options": {"categorical_columns": ["b"]}}, root=tmp_path)
    assert onehot.input_shape == (4,)  # a, b=0, b=1, b=2
    assert onehot.train.categories == {"b": ["0", "1", "2"]}
    x, _ = onehot.train.numpy()
    np.testing.assert_array_equal(x[:4, 1:], np.eye(3)[[0, 1, 2, 0]])
    ordered = load_data({**section, "options": {"classes": ["yes", "no"]}}, root=tmp_path)
    assert ordered.classes == ["yes", "no"] and list(ordered.train.numpy()[1][:2]) == [1, 0]
    with pytest.raises(DatasetError, match=r"categorical_columns names 'z'.*columns are a, b"):
        load_data({**section, "options": {"categorical_columns": ["z"]}}, root=tmp_path)


def test_check_dataset_finds_problems_without_loading(tmp_path):
    (tmp_path / "t.csv").write_text("a,b\n1,2\n")
    (tmp_path / "imgs").mkdir()

    def problems(section, root=tmp_path, **kw):
        return [str(p) for p in check_dataset(section, root=root, **kw)]

    assert problems({"name": "moons", "options": {"noise": 0.2, "n_samples": 10}}) == []
    assert problems({"source": "csv", "path": "t.csv", "options": {"na_values": [""]}}) == []
    assert problems({"source": "image_folder", "path": "imgs"}) == []
    assert problems({"source": "text", "name": "python_docs", "options": {"stride": 3}}) == []
    # a broken CSV is not read: only what is cheap to check is checked
    (tmp_path / "bad.csv").write_text("not,a\ncsv")
    assert problems({"source": "csv", "path": "bad.csv"}) == []

    assert problems({"name": "spiral"}) == [
        "dataset.name: there is no built-in dataset 'spiral'; the built-in sets: "
        + ", ".join(BUILTIN)
    ]
    [p] = problems({"name": "moons", "options": {"factor": 0.5}})
    assert p.startswith("dataset.options.factor: moons() has no option 'factor'; its options: ")
    [p] = problems({"source": "csv", "path": "missing.csv"})
    assert p.startswith("dataset.path: 'missing.csv' -> ") and "nothing is there" in p
    [p] = problems({"source": "csv", "path": "imgs"})
    assert "that is a folder, not a file" in p
    [p] = problems({"source": "mnist", "path": "t.csv"})
    assert "that is a file, not a folder" in p
    [p] = problems({"source": "npz"})
    assert p == "dataset.path: source 'npz' reads a file; set dataset.path to the file"
    [p] = problems({"source": "text", "name": "nope"})
    assert p.startswith("dataset.name: there is no built-in text corpus 'nope'")
    # options that repeat a setting, and settings problems, each at its own path
    found = problems({"source": "csv", "path": "x.csv", "options": {"path": "y", "task": None}})
    assert found == [
        "dataset.options.path: set by dataset.path; remove the option and use the setting",
        "dataset.options.task: set by dataset.task; remove the option and use the setting",
        found[2],
    ] and found[2].startswith("dataset.path: 'x.csv'")
    assert problems({"source": "ftp", "options": {"c": [[1]]}}) == [
        "dataset.options.c[0]: [1]: expected a number, a text or true/false",
        "dataset.source: 'ftp' is not valid: expected one of 'builtin', 'csv', 'npz', "
        "'mnist', 'image_folder', 'text'",
    ]
    # files=False: names and options only (the export checks a project on another machine)
    assert problems({"source": "csv", "path": "missing.csv"}, files=False) == []
    # no root: the working folder, as load_data resolves it
    assert problems({"source": "csv", "path": "t.csv"}, root=None)[0].startswith("dataset.path")
    # what check_dataset refuses, load_data refuses with the same message
    with pytest.raises(DatasetError) as info:
        load_data({"name": "moons", "options": {"factor": 0.5}})
    assert str(info.value) == problems({"name": "moons", "options": {"factor": 0.5}})[0]
