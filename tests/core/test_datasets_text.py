"""core.datasets.text: character windows and their next-character targets."""

from __future__ import annotations

import numpy as np
import pytest

import core
from core.datasets import DatasetError, SequenceDataset, char_sequences, load_text
from core.datasets import text as text_module


def test_windows_are_ids_and_the_same_ids_shifted_by_one():
    ds = char_sequences("hello world", 4)
    assert isinstance(ds, SequenceDataset)
    assert ds.classes == sorted(set("hello world")) and ds.num_classes == 8
    assert ds.task == "classification" and ds.input_shape == (4,) and ds.block == 4
    x, y = ds.numpy()
    assert x.dtype == np.int64 and y.dtype == np.int64 and x.shape == y.shape == (2, 4)
    # non-overlapping windows: starts 0 and 4 (a window needs block + 1 characters)
    assert ds.decode(x[0]) == "hell" and ds.decode(y[0]) == "ello"
    assert ds.decode(x[1]) == "o wo" and ds.decode(y[1]) == " wor"
    xb, yb = ds[1]
    assert xb.dtype == core.int64 and tuple(xb.shape) == (4,)


def test_stride_overlaps_windows_and_a_vocab_encodes_another_text_the_same_way():
    ds = char_sequences("abcdefgh", 3, stride=1)
    assert len(ds) == 5  # starts 0..4
    assert ds.decode(ds.numpy()[0][4]) == "efg"
    vocab = list("hgfedcba")
    other = char_sequences("abcdefgh", 3, vocab=vocab)
    assert other.classes == vocab and other.numpy()[0][0].tolist() == [7, 6, 5]
    assert np.array_equal(other.encode("ha"), [0, 7])
    with pytest.raises(DatasetError, match="character 'z' .*offset 2.* not in the vocabulary"):
        char_sequences("abz" * 5, 3, vocab=list("ab"))
    with pytest.raises(ValueError, match="distinct single characters"):
        char_sequences("aaaa", 2, vocab=["a", "a"])


def test_too_little_text_and_bad_arguments_are_refused():
    with pytest.raises(DatasetError, match="5 characters is too little.*block"):
        char_sequences("abcde", 5)
    with pytest.raises(ValueError, match="block"):
        char_sequences("abcdef", 0)
    with pytest.raises(ValueError, match="stride"):
        char_sequences("abcdef", 2, stride=0)
    with pytest.raises(TypeError, match="text"):
        char_sequences(b"bytes", 2)


def test_split_keeps_the_vocabulary_and_the_rows():
    ds = char_sequences("the quick brown fox jumps over the lazy dog " * 5, 8)
    a, b = ds.split([0.75, 0.25], seed=0)
    assert isinstance(a, SequenceDataset) and a.classes == ds.classes
    assert len(a) + len(b) == len(ds)
    rows = {tuple(r) for r in ds.numpy()[0]}
    assert {tuple(r) for r in a.numpy()[0]} | {tuple(r) for r in b.numpy()[0]} <= rows
    assert a.split([0.5, 0.5], seed=1)[0].classes == ds.classes
    again, _ = ds.split([0.75, 0.25], seed=0)
    assert np.array_equal(again.numpy()[0], a.numpy()[0])


def test_batches_come_from_the_data_loader():
    ds = char_sequences("abcdefghij" * 10, 9)
    x, y = next(iter(core.utils.data.DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 9) and x.dtype == core.int64
    assert np.array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])


def test_load_text_reads_a_file_and_names_problems(tmp_path):
    f = tmp_path / "poem.txt"
    f.write_text("roses are red\nviolets are blue\n", encoding="utf-8")
    ds = load_text(f, 6)
    assert ds.name == "poem" and "\n" in ds.classes
    with pytest.raises(DatasetError, match="no such file"):
        load_text(tmp_path / "missing.txt", 4)
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(DatasetError, match="empty"):
        load_text(tmp_path / "empty.txt", 4)
    (tmp_path / "latin.txt").write_bytes("café".encode("latin-1") * 10)
    with pytest.raises(DatasetError, match="not utf-8 text.*byte 3"):
        load_text(tmp_path / "latin.txt", 4)
    assert load_text(tmp_path / "latin.txt", 4, encoding="latin-1").num_classes == 4
    with pytest.raises(DatasetError, match="is a folder"):
        load_text(tmp_path, 4)


def test_the_python_docs_corpus_is_fixed_and_its_size_can_be_capped():
    small = text_module.corpus("python_docs", 16, max_chars=3000)
    assert small.name == "python_docs" and 0 < len(small) <= 3000 // 16
    assert text_module.python_docs(3000) == text_module.python_docs(3000)
    assert text_module.python_docs(3000).startswith(text_module.stdlib_docs(3000)[0])
    with pytest.raises(DatasetError, match="no built-in text corpus 'poems'.*python_docs"):
        text_module.corpus("poems", 16)
