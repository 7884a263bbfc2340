"""core.utils.data: datasets, random_split, samplers, default_collate and DataLoader, with
PyTorch's semantics (checked against torch.utils.data where torch is installed)."""

import collections

import numpy as np
import pytest

import core
from core.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    StackDataset,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)


def _gen(seed):
    return core.Generator().manual_seed(seed)


def _ds(n=10, features=3):
    x = core.from_numpy(np.arange(n * features, dtype=np.float32).reshape(n, features))
    y = core.from_numpy(np.arange(n, dtype=np.int64) % 3)
    return TensorDataset(x, y)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


# -- datasets ---------------------------------------------------------------------------


def test_tensor_dataset_items_are_tuples_of_rows():
    ds = _ds()
    x, y = ds[4]
    assert len(ds) == 10
    assert x.tolist() == [12.0, 13.0, 14.0] and y.item() == 1
    assert ds.tensors[0].shape == (10, 3)


def test_tensor_dataset_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"Size mismatch.*\[4, 3\]"):
        TensorDataset(core.zeros(4, 2), core.zeros(3))


def test_tensor_dataset_rejects_0d_tensors_and_wraps_numpy_arrays():
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(core.tensor(1.0))
    a = np.zeros((3, 2), np.float32)
    ds = TensorDataset(a)
    a[1, 0] = 7.0
    assert ds[1][0].tolist() == [7.0, 0.0]


def test_base_dataset_getitem_is_abstract_and_add_concatenates():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    both = Squares(3) + Squares(2)
    assert isinstance(both, ConcatDataset)
    assert [both[i] for i in range(len(both))] == [0, 1, 4, 0, 1]


def test_concat_dataset_indexing_including_negative_and_out_of_range():
    ds = ConcatDataset([Squares(2), Squares(3)])
    assert len(ds) == 5 and ds.cumulative_sizes == [2, 5]
    assert ds[2] == 0 and ds[4] == 4 and ds[-1] == 4 and ds[-5] == 0
    with pytest.raises(ValueError, match="should not exceed"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])


def test_subset_maps_indices_and_lists():
    sub = Subset(Squares(10), [7, 2, 5])
    assert len(sub) == 3
    assert [sub[i] for i in range(3)] == [49, 4, 25]
    assert sub.__getitems__([0, 2]) == [49, 25]


def test_stack_dataset_zips_as_tuples_or_dicts():
    assert StackDataset(Squares(3), Squares(3))[2] == (4, 4)
    assert StackDataset(a=Squares(3), b=Squares(3))[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="Size mismatch"):
        StackDataset(Squares(3), Squares(2))


class Count(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_chain_dataset_and_iterable_add():
    chained = Count(2) + Count(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2] and len(chained) == 5


# -- random_split ---------------------------------------------------------------------------


def test_random_split_with_ints_covers_the_dataset_without_overlap():
    parts = random_split(Squares(10), [3, 7], generator=_gen(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    assert all(isinstance(p, Subset) for p in parts)


@pytest.mark.parametrize(
    "n, fractions",
    [(10, [0.8, 0.2]), (11, [0.5, 0.5]), (7, [0.1, 0.2, 0.7]), (5, [1 / 3, 1 / 3, 1 / 3])],
)
def test_random_split_fraction_lengths_match_pytorch(n, fractions):
    torch = pytest.importorskip("torch")
    expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
    assert [len(s) for s in random_split(Squares(n), fractions, generator=_gen(1))] == expected


def test_random_split_is_reproducible_with_a_generator_and_the_global_seed():
    a = random_split(Squares(20), [0.5, 0.5], generator=_gen(3))
    b = random_split(Squares(20), [0.5, 0.5], generator=_gen(3))
    c = random_split(Squares(20), [0.5, 0.5], generator=_gen(4))
    assert a[0].indices == b[0].indices != c[0].indices
    core.manual_seed(5)
    d = random_split(Squares(20), [10, 10])
    core.manual_seed(5)
    assert random_split(Squares(20), [10, 10])[0].indices == d[0].indices


def test_random_split_rejects_bad_lengths():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="fractions adding up to 1"):
        random_split(Squares(10), [0.5, 0.6])
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(Squares(2), [0.99, 0.01])


# -- samplers -------------------------------------------------------------------------------


def test_sequential_and_random_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = RandomSampler(range(6), generator=_gen(0))
    first, second = list(rs), list(rs)
    assert sorted(first) == sorted(second) == list(range(6))
    assert first != second  # a new order each pass
    assert list(RandomSampler(range(6), generator=_gen(0))) == first


def test_random_sampler_num_samples_and_replacement():
    more = list(RandomSampler(range(3), num_samples=7, generator=_gen(0)))
    assert len(more) == 7 and sorted(more[:3]) == [0, 1, 2] and sorted(more[3:6]) == [0, 1, 2]
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=50, generator=_gen(0)))
    assert len(drawn) == 50 and set(drawn) == {0, 1, 2}
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(range(3), replacement=1)


def test_subset_and_weighted_samplers():
    assert sorted(SubsetRandomSampler([5, 9, 2], generator=_gen(0))) == [2, 5, 9]
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0], 20, generator=_gen(0)))
    assert w == [1] * 20
    no_repeat = list(WeightedRandomSampler([1, 1, 1, 0], 3, replacement=False, generator=_gen(0)))
    assert sorted(no_repeat) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1, 0], 2, replacement=False)


@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_groups_and_counts(drop_last):
    bs = BatchSampler(SequentialSampler(range(10)), 4, drop_last)
    batches = list(bs)
    expected = [[0, 1, 2, 3], [4, 5, 6, 7]] + ([] if drop_last else [[8, 9]])
    assert batches == expected and len(bs) == len(expected)


def test_batch_sampler_validates_its_arguments():
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(range(3), 2, 1)


# -- default_collate --------------------------------------------------------------------------


def test_default_collate_stacks_tensors_and_types_numbers_like_pytorch():
    out = default_collate([core.tensor([1.0, 2.0]), core.tensor([3.0, 4.0])])
    assert out.shape == (2, 2) and out.dtype is core.float32
    assert default_collate([1, 2]).dtype is core.int64
    assert default_collate([1.5, 2.0]).dtype is core.float64
    assert default_collate([True, False]).dtype is core.bool
    assert default_collate(["a", "b"]) == ["a", "b"]
    arr = default_collate([np.zeros(3, np.float32), np.ones(3, np.float32)])
    assert isinstance(arr, core.Tensor) and arr.dtype is core.float32 and arr.shape == (2, 3)
    assert default_collate([np.float32(1), np.float32(2)]).dtype is core.float32


def test_default_collate_transposes_tuples_into_lists_and_keeps_dicts():
    out = default_collate([(core.tensor([1.0]), 0), (core.tensor([2.0]), 1)])
    assert isinstance(out, list) and out[0].shape == (2, 1) and out[1].tolist() == [0, 1]
    d = default_collate([{"x": 1.0, "s": "a"}, {"x": 2.0, "s": "b"}])
    assert d["x"].tolist() == [1.0, 2.0] and d["s"] == ["a", "b"]
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3] and p.y.dtype is core.float64


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"equal size, but got \[2\] at entry 0 and \[3\]"):
        default_collate([core.zeros(2), core.zeros(3)])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_collate_keeps_the_graph_of_samples_that_need_grad():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_default_convert_turns_arrays_into_tensors_recursively():
    out = default_convert({"a": np.arange(3), "b": (np.float32(1.5), "s")})
    assert isinstance(out["a"], core.Tensor) and out["a"].dtype is core.int64
    assert isinstance(out["b"], list) and out["b"][0].dtype is core.float32 and out["b"][1] == "s"


def _same(ours, theirs):
    """Same nesting, container types, tensor dtypes and values as torch's result."""
    torch = pytest.importorskip("torch")
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, core.Tensor), type(ours)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        assert ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _sample(lib, i):
    return {
        "image": lib.ones(2, 3) * i,
        "label": i,
        "weight": 0.5 * i,
        "flag": i % 2 == 0,
        "name": f"s{i}",
        "pair": (np.full(2, i, np.int32), [float(i), i]),
        "scalar": np.float64(i),
        "words": (f"w{i}", i),
    }


def test_default_collate_matches_pytorch_on_nested_samples():
    torch = pytest.importorskip("torch")
    ours = default_collate([_sample(core, i) for i in range(3)])
    theirs = torch.utils.data.default_collate([_sample(torch, i) for i in range(3)])
    _same(ours, theirs)


class Samples:
    def __init__(self, lib, n):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return _sample(self.lib, i)


@pytest.mark.parametrize("drop_last", [False, True])
def test_dataloader_of_nested_samples_matches_pytorch(drop_last):
    torch = pytest.importorskip("torch")
    ours = DataLoader(Samples(core, 5), batch_size=2, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(Samples(torch, 5), batch_size=2, drop_last=drop_last)
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want) == (2 if drop_last else 3)
    for a, b in zip(got, want):
        _same(a, b)


# -- DataLoader -----------------------------------------------------------------------------------


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True)])
def test_dataloader_batches_and_length_match_pytorch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    ours = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    got, want = list(ours), list(theirs)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        _same(a, b)


def test_dataloader_on_a_plain_dataset_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours = [b.tolist() for b in DataLoader(Squares(7), batch_size=3)]
    theirs = [b.tolist() for b in torch.utils.data.DataLoader(Squares(7), batch_size=3)]
    assert ours == theirs == [[0, 1, 4], [9, 16, 25], [36]]
    assert default_collate([0, 1]).dtype.name == "int64"


def test_dataloader_is_reiterable_and_shuffles_reproducibly_with_a_generator():
    ds = _ds(20)
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=_gen(0))
    e1 = np.concatenate([y.numpy() for _, y in loader])
    e2 = np.concatenate([x.numpy()[:, 0] for x, _ in loader])
    assert len(e1) == len(e2) == 20
    assert sorted(e2 / 3) == list(range(20))  # every sample once per epoch
    again = DataLoader(ds, batch_size=6, shuffle=True, generator=_gen(0))
    np.testing.assert_array_equal(np.concatenate([y.numpy() for _, y in again]), e1)
    order1 = [
        x.numpy()[:, 0] for x, _ in DataLoader(ds, batch_size=20, shuffle=True, generator=_gen(0))
    ]
    assert not np.array_equal(order1[0], e2)  # epoch 2 of the first loader had a new order


def test_dataloader_shuffle_without_generator_follows_core_manual_seed():
    ds = _ds(30)
    core.manual_seed(11)
    a = [x.numpy()[:, 0] for x, _ in DataLoader(ds, batch_size=30, shuffle=True)][0]
    core.manual_seed(11)
    b = [x.numpy()[:, 0] for x, _ in DataLoader(ds, batch_size=30, shuffle=True)][0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, np.sort(a))


@pytest.mark.parametrize("shuffle, drop_last", [(False, False), (True, False), (True, True)])
def test_tensor_dataset_fast_path_gives_what_collating_items_gives(shuffle, drop_last):
    ds = _ds(23)

    def slow(batch):  # not default_collate itself: forces the per-item path
        return default_collate(batch)

    kw = dict(batch_size=5, shuffle=shuffle, drop_last=drop_last)
    fast = list(DataLoader(ds, generator=_gen(2), **kw))
    ref = list(DataLoader(ds, generator=_gen(2), collate_fn=slow, **kw))
    assert len(fast) == len(ref) == len(DataLoader(ds, **kw))
    for (fx, fy), (rx, ry) in zip(fast, ref):
        assert fx.dtype is rx.dtype and fy.dtype is ry.dtype
        np.testing.assert_array_equal(fx.numpy(), rx.numpy())
        np.testing.assert_array_equal(fy.numpy(), ry.numpy())


def test_fast_path_batches_are_copies_not_views_of_the_dataset():
    ds = _ds(6)
    for shuffle in (False, True):
        xb, _ = next(iter(DataLoader(ds, batch_size=3, shuffle=shuffle)))
        xb.add_(100.0)
        assert ds.tensors[0].numpy().max() == 17.0


def test_fast_path_through_subsets_and_custom_samplers():
    ds = _ds(12)
    train, _ = random_split(ds, [8, 4], generator=_gen(0))
    seen = np.concatenate([x.numpy()[:, 0] / 3 for x, _ in DataLoader(train, batch_size=3)])
    assert seen.tolist() == train.indices
    sampler = BatchSampler(SubsetRandomSampler([1, 4, 7], generator=_gen(0)), 2, False)
    got = [y.tolist() for _, y in DataLoader(ds, batch_sampler=sampler)]
    assert sorted(sum(got, [])) == [1, 1, 1] and [len(b) for b in got] == [2, 1]


def test_subclass_with_its_own_getitem_is_not_fast_pathed():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            x, y = super().__getitem__(i)
            return x * 2, y

    xb, _ = next(iter(DataLoader(Doubled(core.ones(4, 2), core.zeros(4)), batch_size=4)))
    assert xb.tolist() == [[2.0, 2.0]] * 4


def test_fast_path_keeps_the_graph_of_tensors_that_need_grad():
    x = core.ones(4, 2, requires_grad=True)
    (xb,) = next(iter(DataLoader(TensorDataset(x), batch_size=2)))
    (xb * 3).sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0], [0.0, 0.0], [0.0, 0.0]]


def test_batch_size_none_yields_converted_samples():
    loader = DataLoader(_ds(3), batch_size=None)
    items = list(loader)
    assert len(loader) == 3 and len(items) == 3
    assert items[1][0].tolist() == [3.0, 4.0, 5.0]


def test_custom_sampler_collate_fn_and_num_workers_run_in_process():
    loader = DataLoader(
        Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0], collate_fn=list, num_workers=2
    )
    assert list(loader) == [[25, 16], [9, 4], [1, 0]]
    assert get_worker_info() is None


def test_dataloader_option_conflicts_are_errors():
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        DataLoader(Squares(3), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(Squares(3), batch_sampler=[[0, 1]], batch_size=2)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(Squares(3), num_workers=-1)
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Count(3), shuffle=True)


def test_dataloader_over_an_iterable_dataset():
    loader = DataLoader(Count(7), batch_size=3)
    assert [b.tolist() for b in loader] == [[0, 1, 2], [3, 4, 5], [6]] and len(loader) == 3
    dropped = DataLoader(Count(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]] and len(dropped) == 2


@pytest.mark.gpu
def test_fast_path_on_cuda_tensors_matches_cpu():
    ds = _ds(11)
    gds = TensorDataset(*(t.to("cuda") for t in ds.tensors))
    for (cx, cy), (gx, gy) in zip(
        DataLoader(ds, batch_size=4, shuffle=True, generator=_gen(0)),
        DataLoader(gds, batch_size=4, shuffle=True, generator=_gen(0)),
    ):
        assert gx.device == "cuda" and gy.device == "cuda"
        np.testing.assert_array_equal(gx.cpu().numpy(), cx.numpy())
        np.testing.assert_array_equal(gy.cpu().numpy(), cy.numpy())
