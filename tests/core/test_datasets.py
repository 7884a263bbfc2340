"""core.datasets: generated and bundled sets, LabeledDataset, and the file loaders (CSV,
NPZ/NPY, IDX, image folders) with their errors for malformed files."""

import gzip
import struct

import numpy as np
import pytest

import core
from core.datasets import (
    BUILTIN,
    DatasetError,
    LabeledDataset,
    absolute,
    blobs,
    breast_cancer,
    circles,
    digits,
    iris,
    load_csv,
    load_idx,
    load_image_folder,
    load_mnist,
    load_npy,
    load_npz,
    moons,
    polynomial,
    read_idx,
    sine,
    spirals,
    standardize,
    step,
    wine,
    xor,
)
from core.utils.data import DataLoader, TensorDataset, random_split

CLASSIFIERS = [spirals, moons, circles, xor, blobs]
REGRESSIONS = [sine, polynomial, step, absolute]


# -- generated sets ------------------------------------------------------------------------


@pytest.mark.parametrize("make", CLASSIFIERS, ids=lambda f: f.__name__)
def test_classification_sets_shapes_dtypes_and_seeds(make):
    ds = make(n_samples=101, seed=0)
    x, y = ds.tensors
    assert isinstance(ds, TensorDataset) and len(ds) == 101
    assert x.shape == (101, 2) and x.dtype is core.float32
    assert y.shape == (101,) and y.dtype is core.int64
    assert ds.task == "classification" and ds.num_classes == len(ds.classes)
    assert set(y.tolist()) == set(range(ds.num_classes))
    np.testing.assert_array_equal(make(n_samples=101, seed=0).numpy()[0], x.numpy())
    assert not np.array_equal(make(n_samples=101, seed=1).numpy()[0], x.numpy())


@pytest.mark.parametrize("make", CLASSIFIERS + REGRESSIONS, ids=lambda f: f.__name__)
def test_seed_none_follows_core_manual_seed(make):
    core.manual_seed(3)
    a = make(n_samples=20).numpy()[0]
    core.manual_seed(3)
    np.testing.assert_array_equal(make(n_samples=20).numpy()[0], a)


def test_classes_are_balanced():
    assert np.bincount(spirals(n_samples=301, classes=3, seed=0).numpy()[1]).tolist() == [
        101,
        100,
        100,
    ]
    assert np.bincount(moons(n_samples=11, seed=0).numpy()[1]).tolist() == [6, 5]


def test_noise_free_geometry():
    x, y = circles(n_samples=40, noise=0.0, factor=0.3, seed=0).numpy()
    r = np.linalg.norm(x, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-6)
    x, y = moons(n_samples=40, noise=0.0, seed=0).numpy()
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0, rtol=1e-6)
    x, y = xor(n_samples=50, noise=0.0, seed=0).numpy()
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] < 0).astype(np.int64))
    x, y = spirals(n_samples=60, classes=3, arms=2, noise=0.0, seed=0).numpy()
    assert np.linalg.norm(x, axis=1).max() <= 1.0 + 1e-6 and set(y.tolist()) == {0, 1, 2}


def test_blobs_cluster_around_their_centers():
    centers = [[5.0, 5.0], [-5.0, 0.0]]
    x, y = blobs(n_samples=400, centers=centers, noise=0.2, seed=0).numpy()
    for k, c in enumerate(centers):
        np.testing.assert_allclose(x[y == k].mean(axis=0), c, atol=0.05)
    with pytest.raises(ValueError, match="centers must have shape"):
        blobs(centers=[1.0, 2.0])


@pytest.mark.parametrize(
    "make, f",
    [
        (sine, np.sin),
        (polynomial, lambda x: x**3 - x),
        (step, lambda x: (x > 0).astype(np.float64)),
        (absolute, np.abs),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_regression_sets_follow_their_function(make, f):
    ds = make(n_samples=50, noise=0.0, seed=0)
    x, y = ds.numpy()
    assert x.shape == y.shape == (50, 1) and x.dtype == y.dtype == np.float32
    assert ds.task == "regression" and ds.num_classes is None and ds.classes is None
    np.testing.assert_allclose(y, f(x.astype(np.float64)), atol=1e-5)
    noisy = make(n_samples=2000, noise=0.1, seed=0).numpy()
    assert 0.08 < np.std(noisy[1] - f(noisy[0].astype(np.float64))) < 0.12


def test_generator_argument_errors():
    with pytest.raises(ValueError, match="noise must be >= 0"):
        moons(noise=-1)
    with pytest.raises(ValueError, match="factor must be in"):
        circles(factor=1.5)
    with pytest.raises(ValueError, match="n_samples"):
        spirals(n_samples=1, classes=2)


def test_builtin_registry_lists_every_set():
    assert set(BUILTIN) == {
        "spirals", "moons", "circles", "xor", "blobs", "sine", "polynomial", "step",
        "absolute", "digits", "iris", "wine", "breast_cancer",
    }  # fmt: skip


# -- LabeledDataset ------------------------------------------------------------------------


def test_split_keeps_metadata_and_matches_random_split():
    ds = iris()
    train, test = ds.split([0.8, 0.2], seed=0)
    assert (len(train), len(test)) == (120, 30)
    assert train.classes == ds.classes and train.feature_names == ds.feature_names
    ref = random_split(ds, [0.8, 0.2], generator=core.Generator().manual_seed(0))
    np.testing.assert_array_equal(train.numpy()[0], ds.numpy()[0][ref[0].indices])
    rows = np.concatenate([train.numpy()[0], test.numpy()[0]])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, ds.numpy()[0]))


def test_labeled_dataset_in_a_dataloader_and_attributes():
    ds = moons(n_samples=10, seed=0)
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert xb.shape == (4, 2) and yb.tolist() == ds.targets.tolist()[:4]
    assert ds.data is ds.tensors[0] and ds.targets is ds.tensors[1]
    assert ds.class_to_idx == {"upper": 0, "lower": 1} and ds.input_shape == (2,)
    assert "moons" in repr(ds) and "samples=10" in repr(ds)


def test_labeled_dataset_validates_targets():
    with pytest.raises(ValueError, match="one row per sample"):
        LabeledDataset(np.zeros((3, 2)), np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="out of range"):
        LabeledDataset(np.zeros((2, 2)), np.array([0, 2]), classes=["a", "b"])
    assert LabeledDataset(np.zeros((2, 1)), np.array([0.0, 1.0])).task == "regression"


def test_standardize_uses_the_first_datasets_statistics():
    train, test = wine().split([0.7, 0.3], seed=0)
    s_train, s_test = standardize(train, test)
    x = s_train.numpy()[0]
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(x.std(axis=0), 1.0, atol=1e-4)
    mean, std = s_test.standardization
    np.testing.assert_allclose(s_test.numpy()[0], (test.numpy()[0] - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(mean, train.numpy()[0].mean(axis=0), rtol=1e-5)
    flat = standardize(digits())  # constant pixels (std 0) are only centred
    assert np.isfinite(flat.numpy()[0]).all()


def test_standardize_accepts_random_split_subsets():
    ds = wine()
    gen = core.Generator().manual_seed(0)
    train_sub, test_sub = random_split(ds, [0.8, 0.2], generator=gen)
    s_train, s_test = standardize(train_sub, test_sub)
    x, y = ds.numpy()
    idx = np.asarray(train_sub.indices)
    mean, std = x[idx].mean(axis=0), x[idx].std(axis=0)
    np.testing.assert_allclose(s_train.numpy()[0], (x[idx] - mean) / std, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(s_test.numpy()[1], y[np.asarray(test_sub.indices)])
    assert s_train.classes == ds.classes and len(s_test) == len(test_sub)
    nested = random_split(train_sub, [0.5, 0.5], generator=gen)[0]
    inner = np.asarray(train_sub.indices)[np.asarray(nested.indices)]
    np.testing.assert_array_equal(standardize(nested).numpy()[1], y[inner])
    with pytest.raises(TypeError, match="expected a LabeledDataset .* got TensorDataset"):
        standardize(TensorDataset(core.ones(3, 2), core.zeros(3)))


# -- scikit-learn's sets -------------------------------------------------------------------


def test_digits_as_images_and_flat():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    ref = sklearn_datasets.load_digits()
    ds = digits()
    assert ds.data.shape == (1797, 1, 8, 8) and ds.data.dtype is core.float32
    np.testing.assert_allclose(ds.numpy()[0][:, 0], ref.images / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.numpy()[1], ref.target)
    flat = digits(flat=True)
    assert flat.data.shape == (1797, 64) and len(flat.feature_names) == 64
    assert ds.num_classes == 10 and ds.classes[3] == "3"


@pytest.mark.parametrize(
    "make, shape, classes",
    [(iris, (150, 4), 3), (wine, (178, 13), 3), (breast_cancer, (569, 30), 2)],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_tabular_sklearn_sets(make, shape, classes):
    ds = make()
    assert ds.data.shape == shape and ds.num_classes == classes
    assert len(ds.feature_names) == shape[1]
    assert ds.targets.dtype is core.int64 and ds.targets.numpy().max() == classes - 1


# -- CSV -----------------------------------------------------------------------------------


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_numeric_and_one_hot_columns_with_text_target(tmp_path):
    p = _write(tmp_path / "pets.csv", "w,h,color,kind\n1,2.5,red,cat\n3,4,blue,dog\n5,6,red,cat\n")
    ds = load_csv(p)
    assert ds.name == "pets" and ds.classes == ["cat", "dog"]
    assert ds.feature_names == ["w", "h", "color=blue", "color=red"]
    assert ds.categories == {"color": ["blue", "red"]}
    np.testing.assert_array_equal(ds.numpy()[0], [[1, 2.5, 0, 1], [3, 4, 1, 0], [5, 6, 0, 1]])
    assert ds.targets.tolist() == [0, 1, 0]


def test_csv_label_encoding_and_target_by_name_or_index(tmp_path):
    p = _write(tmp_path / "t.csv", "color,y,x\nred,1,0.5\nblue,0,0.25\ngreen,1,1\n")
    ds = load_csv(p, target="y", categorical="label")
    assert ds.feature_names == ["color", "x"] and ds.categories == {
        "color": ["blue", "green", "red"]
    }
    np.testing.assert_array_equal(ds.numpy()[0][:, 0], [2, 0, 1])
    assert ds.classes == ["0", "1"] and ds.targets.tolist() == [1, 0, 1]
    assert load_csv(p, target=1, categorical="label").targets.tolist() == [1, 0, 1]
    reg = load_csv(p, target=-1)  # 0.5, 0.25, 1: not integers -> regression
    assert reg.task == "regression" and reg.targets.shape == (3, 1)
    assert load_csv(p, target="y", task="regression").targets.dtype is core.float32


def test_csv_numeric_class_labels_are_mapped_to_indices(tmp_path):
    p = _write(tmp_path / "t.csv", "x,label\n0,3\n1,7\n2,3\n")
    ds = load_csv(p)
    assert ds.classes == ["3", "7"] and ds.targets.tolist() == [0, 1, 0]


def test_csv_missing_value_names_file_line_and_column(tmp_path):
    p = _write(tmp_path / "m.csv", 'a,b,c\n1,2,x\n\n"multi\nline",5,y\n3,NA,z\n')
    with pytest.raises(DatasetError, match=r"m\.csv, line 6, column 'b': missing value"):
        load_csv(p)
    _write(p, "a,b\n1,\n")
    with pytest.raises(ValueError, match=r"line 2, column 'b'"):
        load_csv(p)


def test_csv_ragged_row_names_line_and_field_counts(tmp_path):
    p = _write(tmp_path / "r.csv", "a,b,c\n1,2,3\n4,5\n")
    with pytest.raises(DatasetError, match=r"r\.csv, line 3: expected 3 fields .*got 2"):
        load_csv(p)


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("a,b\n", "no data rows"),
        ("a,a\n1,2\n", "appears twice"),
        ("a,,c\n1,2,3\n", "empty name"),
        ("y\n1\n", "no feature columns"),
    ],
)
def test_csv_malformed_tables(tmp_path, text, match):
    with pytest.raises(DatasetError, match=match):
        load_csv(_write(tmp_path / "bad.csv", text))


def test_csv_target_errors(tmp_path):
    p = _write(tmp_path / "t.csv", "a,b\n1,x\n2,y\n")
    with pytest.raises(DatasetError, match="no column named 'z'; the columns are a, b"):
        load_csv(p, target="z")
    with pytest.raises(DatasetError, match="out of range"):
        load_csv(p, target=5)
    with pytest.raises(DatasetError, match=r"line 2, column 'b': 'x' is not a number"):
        load_csv(p, task="regression")


def test_csv_that_is_not_text(tmp_path):
    p = tmp_path / "bin.csv"
    p.write_bytes(b"a,b\n\xff\xfe,1\n")
    with pytest.raises(DatasetError, match="not utf-8"):
        load_csv(p)


def test_csv_mistyped_number_in_a_feature_column_is_an_error(tmp_path):
    p = _write(tmp_path / "t.csv", "age,income,label\n30,50.5,yes\n40,61.2x,no\n50,70.1,yes\n")
    with pytest.raises(
        DatasetError,
        match=r"t\.csv, line 3, column 'income': '61\.2x' is not a number; expected a "
        r"number, like the other 2 values in column 'income'",
    ) as info:
        load_csv(p)
    assert "categorical_columns=['income']" in str(info.value)
    # the user may say the column holds categories
    ds = load_csv(p, categorical_columns=["income"])
    assert ds.feature_names == ["age", "income=50.5", "income=61.2x", "income=70.1"]
    _write(p, "age,income,label\n30,50.5,yes\n40,61.2,no\n50,70.1,yes\n")
    assert load_csv(p).feature_names == ["age", "income"]


def test_csv_mistyped_number_in_the_target_is_an_error(tmp_path):
    rows = "".join(f"{i},{i * 1.5}\n" for i in range(30))
    p = _write(tmp_path / "r.csv", "x,y\n" + rows + "30,12.0O\n")
    with pytest.raises(
        DatasetError, match=r"line 32, column 'y': '12\.0O' is not a number; .*other 30 values"
    ):
        load_csv(p)
    _write(p, "x,y\n" + rows + "30,12.0\n")
    assert load_csv(p).task == "regression"


def test_csv_column_kinds_mostly_numbers_versus_mostly_text(tmp_path):
    nums = [str(i) for i in range(40)]
    # 4 non-numbers among 44 (<= 10%): typos
    col = nums[:20] + ["x1", "x2", "x3", "x4"] + nums[20:]
    p = _write(tmp_path / "k.csv", "a,y\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(col)))
    with pytest.raises(DatasetError, match=r"line 22, column 'a': 'x1' .*3 more such cells"):
        load_csv(p)
    # 10 non-numbers among 40: a text column with some numeric-looking categories
    col = nums[:30] + [f"t{i}" for i in range(10)]
    _write(p, "a,y\n" + "".join(f"{v},{i % 2}\n" for i, v in enumerate(col)))
    assert load_csv(p).categories["a"][:2] == ["0", "1"]
    # mostly text stays categorical
    _write(p, "a,y\nred,0\nblue,1\n3,0\ngreen,1\n")
    ds = load_csv(p)
    assert ds.categories == {"a": ["3", "blue", "green", "red"]} and ds.num_classes == 2


def test_csv_forced_column_kinds(tmp_path):
    p = _write(tmp_path / "f.csv", "zip,w,y\n10115,1.5,a\n80331,2.5,b\n10115,3,a\n")
    ds = load_csv(p, categorical_columns=["zip"], categorical="label")
    assert ds.feature_names == ["zip", "w"] and ds.categories == {"zip": ["10115", "80331"]}
    np.testing.assert_array_equal(ds.numpy()[0][:, 0], [0, 1, 0])
    assert load_csv(p, categorical_columns="zip").feature_names[:2] == ["zip=10115", "zip=80331"]
    with pytest.raises(DatasetError, match=r"line 2, column 'y': 'a' is not a number.*numeric_c"):
        load_csv(p, target="w", numeric_columns=["y"])
    with pytest.raises(DatasetError, match=r"numeric_columns names 'nope', which the file"):
        load_csv(p, numeric_columns=["nope"])
    with pytest.raises(ValueError, match="both categorical_columns and numeric_columns"):
        load_csv(p, numeric_columns=["w"], categorical_columns=["w"])
    # a numeric-looking target read as classes named as written
    q = _write(tmp_path / "g.csv", "x,y\n1,0.5\n2,1.50\n3,0.5\n")
    assert load_csv(q, categorical_columns=["y"]).classes == ["0.5", "1.50"]


def test_csv_na_values_are_configurable(tmp_path):
    p = _write(tmp_path / "c.csv", "country,x,y\nDE,1,a\nNA,2,b\nFR,3,a\n")
    with pytest.raises(DatasetError, match=r"line 3, column 'country': missing value \('NA'\)"):
        load_csv(p)
    ds = load_csv(p, na_values=[""])
    assert ds.categories == {"country": ["DE", "FR", "NA"]}
    np.testing.assert_array_equal(ds.numpy()[0][1], [0, 0, 1, 2])
    assert load_csv(p, na_values=()).categories["country"] == ["DE", "FR", "NA"]
    _write(p, "country,x,y\nDE,1,a\nNA,,b\nFR,3,a\n")
    with pytest.raises(DatasetError, match=r"line 3, column 'x': missing value \(''\)"):
        load_csv(p, na_values=[""])
    _write(p, "x,y\n1,a\n-,b\n3,a\n")  # a custom marker
    with pytest.raises(DatasetError, match=r"line 3, column 'x': missing value \('-'\)"):
        load_csv(p, na_values=["-"])


@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_csv_delimiter_is_detected(tmp_path, sep):
    text = "\n".join(sep.join(r) for r in [["a", "b", "y"], ["1", "2,5", "x"], ["3", "4", "z"]])
    ds = load_csv(_write(tmp_path / "s.csv", text + "\n"), categorical="label")
    assert ds.classes == ["x", "z"]
    assert ds.feature_names == ["a", "b"]
    assert ds.categories == {"b": ["2,5", "4"]}
    comma = load_csv(_write(tmp_path / "c.csv", 'a,b,y\n1,"p;q|r",x\n2,"s;t",z\n'))
    assert comma.feature_names == ["a", "b=p;q|r", "b=s;t"]


def test_csv_single_field_header_suggests_the_delimiter(tmp_path):
    p = _write(tmp_path / "s.csv", "x;y\n1;2\n3;4\n")
    with pytest.raises(DatasetError, match=r"no feature columns .*pass delimiter=';'"):
        load_csv(p, delimiter=",")
    assert load_csv(p).feature_names == ["x"]
    assert load_csv(p, delimiter=";").feature_names == ["x"]
    with pytest.raises(ValueError, match="one character"):
        load_csv(p, delimiter=";;")


def test_csv_test_file_uses_the_train_files_categories_and_classes(tmp_path):
    train = load_csv(
        _write(tmp_path / "train.csv", "c,x,y\nred,1,cat\nblue,2,dog\ngreen,3,cat\nred,4,eel\n")
    )
    test_path = _write(tmp_path / "test.csv", "c,x,y\nred,5,dog\nblue,6,dog\n")
    alone = load_csv(test_path)
    assert alone.feature_names != train.feature_names and alone.classes == ["dog"]
    test = load_csv(test_path, categories=train.categories, classes=train.classes)
    assert test.feature_names == train.feature_names == ["c=blue", "c=green", "c=red", "x"]
    assert test.categories == train.categories and test.classes == ["cat", "dog", "eel"]
    np.testing.assert_array_equal(test.numpy()[0], [[0, 0, 1, 5], [1, 0, 0, 6]])
    assert test.targets.tolist() == [1, 1]
    _write(test_path, "c,x,y\nred,5,dog\npink,6,dog\n")
    with pytest.raises(
        DatasetError, match=r"test\.csv, line 3, column 'c': 'pink' is not one of the 3 categ"
    ):
        load_csv(test_path, categories=train.categories)
    _write(test_path, "c,x,y\nred,5,cow\n")
    with pytest.raises(DatasetError, match=r"line 2, column 'y': 'cow' is not one of the 3"):
        load_csv(test_path, categories=train.categories, classes=train.classes)
    with pytest.raises(DatasetError, match="categories names 'z'"):
        load_csv(test_path, categories={"z": ["a"]})
    # numeric class labels line up by value
    tr = load_csv(_write(tmp_path / "n.csv", "x,y\n0,3\n1,7\n2,5\n"))
    te = load_csv(_write(tmp_path / "m.csv", "x,y\n0,7\n1,7.0\n"), classes=tr.classes)
    assert tr.classes == ["3", "5", "7"] and te.targets.tolist() == [2, 2]


# -- NPZ / NPY -----------------------------------------------------------------------------


def test_npz_default_and_explicit_keys(tmp_path):
    p = tmp_path / "d.npz"
    np.savez(p, X=np.ones((4, 3)), y=np.array([0, 1, 2, 1]), other=np.zeros(4))
    ds = load_npz(p)
    assert ds.data.shape == (4, 3) and ds.num_classes == 3 and ds.name == "d"
    reg = load_npz(p, x="X", y="other")
    assert reg.task == "regression" and reg.targets.shape == (4, 1)
    with pytest.raises(DatasetError, match=r"no array named 'nope' .*\['X', 'y', 'other'\]"):
        load_npz(p, x="nope", y="y")
    np.savez(p, a=np.ones(2), b=np.ones(2))
    with pytest.raises(DatasetError, match="pass x= and y="):
        load_npz(p)


def test_npz_refuses_pickled_objects_and_mismatched_lengths(tmp_path):
    p = tmp_path / "o.npz"
    np.savez(p, x=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(DatasetError, match=r"o\.npz.*allow_pickle=False"):
        load_npz(p)
    np.savez(p, x=np.ones((3, 2)), y=np.array([0, 1]))
    with pytest.raises(DatasetError, match="'x' has 3 samples .* 'y' has 2"):
        load_npz(p)
    np.savez(p, x=np.array(["a", "b"]), y=np.array([0, 1]))
    with pytest.raises(DatasetError, match="expected numbers"):
        load_npz(p)


def test_npz_corrupt_file(tmp_path):
    p = tmp_path / "c.npz"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 30)
    with pytest.raises(DatasetError, match=r"c\.npz: not a readable \.npz file"):
        load_npz(p)


def test_npy_pair(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(6, dtype=np.float64).reshape(3, 2))
    np.save(tmp_path / "y.npy", np.array([1, 0, 1], dtype=np.int32))
    ds = load_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert ds.data.dtype is core.float32 and ds.targets.tolist() == [1, 0, 1]
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(DatasetError, match=r"bad\.npy: not a readable \.npy file"):
        load_npy(tmp_path / "bad.npy", tmp_path / "y.npy")


# -- IDX -----------------------------------------------------------------------------------


def _idx(array, code):
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


IMAGES = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3) * 4
LABELS = np.array([3, 0, 9, 1, 3], dtype=np.uint8)


@pytest.mark.parametrize("gz", [False, True])
def test_load_idx_plain_and_gzip(tmp_path, gz):
    def write(name, data):
        p = tmp_path / (name + (".gz" if gz else ""))
        p.write_bytes(gzip.compress(data) if gz else data)
        return p

    ds = load_idx(write("im", _idx(IMAGES, 0x08)), write("lb", _idx(LABELS, 0x08)))
    assert ds.data.shape == (5, 1, 4, 3) and ds.data.dtype is core.float32
    np.testing.assert_allclose(ds.numpy()[0][:, 0], IMAGES / 255.0, rtol=1e-6)
    assert ds.targets.tolist() == [3, 0, 9, 1, 3] and ds.num_classes == 10


@pytest.mark.parametrize(
    "array, code",
    [
        (np.arange(6, dtype=np.int32).reshape(2, 3) - 3, 0x0C),
        (np.linspace(0, 1, 4), 0x0E),
        (np.array([1.5, -2], np.float32), 0x0D),
        (np.array([-1, 2], np.int16), 0x0B),
    ],
    ids=["int32", "float64", "float32", "int16"],
)
def test_read_idx_big_endian_types(tmp_path, array, code):
    p = tmp_path / "a.idx"
    p.write_bytes(_idx(array, code))
    out = read_idx(p)
    assert out.dtype == array.dtype.newbyteorder("=") and out.dtype.isnative
    np.testing.assert_array_equal(out, array)


def test_load_mnist_finds_the_standard_names(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(_idx(IMAGES, 0x08))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(LABELS, 0x08)))
    ds = load_mnist(tmp_path)
    assert len(ds) == 5 and ds.name == "mnist-train"
    with pytest.raises(FileNotFoundError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, train=False)


GOOD = _idx(IMAGES, 0x08)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"\x00\x00", "4-byte magic number"),
        (b"\x01" + GOOD[1:], "bad magic number 0x01000803"),
        (GOOD[:2] + b"\x07" + GOOD[3:], "unknown IDX type code 0x07"),
        (GOOD[:10], "cut short: 3 dimension sizes need 12 bytes"),
        (GOOD[:-1], r"\(5, 4, 3\) of uint8 values, so the file should be 76 bytes, but it is 75"),
        (GOOD + b"\x00", "should be 76 bytes, but it is 77"),
        (b"\x00\x00\x08\x00", "0 dimensions"),
    ],
    ids=["short", "magic", "type", "dims", "truncated", "extra", "0-d"],
)
def test_read_idx_errors_name_the_file_and_the_expectation(tmp_path, data, match):
    p = tmp_path / "bad-idx"
    p.write_bytes(data)
    with pytest.raises(DatasetError, match="bad-idx: .*" + match):
        read_idx(p)


def test_read_idx_gzip_errors(tmp_path):
    p = tmp_path / "t.gz"
    p.write_bytes(gzip.compress(GOOD[:-5]))
    with pytest.raises(
        DatasetError, match=r"should be 76 bytes, but it is 71 bytes \(decompressed\)"
    ):
        read_idx(p)
    p.write_bytes(gzip.compress(GOOD)[:-12])  # cut inside the stream
    with pytest.raises(DatasetError, match=r"t\.gz"):
        read_idx(p)
    huge = bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 60000, 60000)
    p.write_bytes(gzip.compress(huge + b"\x00" * 100))  # claims 2e14 bytes: no allocation
    with pytest.raises(DatasetError, match="but it is 116 bytes"):
        read_idx(p)


def test_load_idx_shape_errors(tmp_path):
    (tmp_path / "im").write_bytes(GOOD)
    (tmp_path / "lb").write_bytes(_idx(LABELS[:4], 0x08))
    with pytest.raises(DatasetError, match="has 5 images but .* has 4 labels"):
        load_idx(tmp_path / "im", tmp_path / "lb")
    with pytest.raises(DatasetError, match=r"expected images of 3 dimensions \(N, H, W\)"):
        load_idx(tmp_path / "lb", tmp_path / "lb")
    with pytest.raises(DatasetError, match="expected labels as 1 dimension"):
        load_idx(tmp_path / "im", tmp_path / "im")


# -- image folders -------------------------------------------------------------------------


def _png(path, array):
    Image = pytest.importorskip("PIL.Image")  # noqa: N806
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def test_image_folder_rgb_and_grayscale(tmp_path):
    rng = np.random.default_rng(0)
    red = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    blue = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    _png(tmp_path / "zebra" / "a.png", red)
    _png(tmp_path / "ant" / "b.png", blue)
    _png(tmp_path / "ant" / "c.png", red)
    (tmp_path / "ant" / "notes.txt").write_text("not an image")
    ds = load_image_folder(tmp_path)
    assert ds.classes == ["ant", "zebra"] and ds.targets.tolist() == [0, 0, 1]
    assert ds.data.shape == (3, 3, 4, 5) and ds.data.dtype is core.float32
    np.testing.assert_allclose(ds.numpy()[0][0], blue.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert [p.endswith(n) for (p, _), n in zip(ds.samples, ["b.png", "c.png", "a.png"])] == [
        True
    ] * 3
    gray = load_image_folder(tmp_path, grayscale=True)
    assert gray.data.shape == (3, 1, 4, 5)
    v = gray.numpy()[0]
    assert 0.0 <= v.min() and v.max() <= 1.0
    resized = load_image_folder(tmp_path, size=(8, 6))
    assert resized.data.shape == (3, 3, 8, 6)
    assert load_image_folder(tmp_path, size=2, grayscale=True).data.shape == (3, 1, 2, 2)


def test_image_folder_errors(tmp_path):
    _png(tmp_path / "a" / "x.png", np.zeros((4, 4), np.uint8))
    _png(tmp_path / "b" / "y.png", np.zeros((3, 4), np.uint8))
    with pytest.raises(DatasetError, match=r"y\.png: image is 4x3 .* 4x4; pass size="):
        load_image_folder(tmp_path)
    (tmp_path / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(DatasetError, match=r"broken\.png: cannot read this image"):
        load_image_folder(tmp_path, size=4)
    (tmp_path / "c").mkdir()
    (tmp_path / "b" / "broken.png").unlink()
    with pytest.raises(DatasetError, match="no image files .* for class 'c'"):
        load_image_folder(tmp_path, size=4)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no class sub-folders"):
        load_image_folder(tmp_path / "empty")


def test_every_file_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)
