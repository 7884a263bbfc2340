"""DataLoader: batches of a dataset, in order or shuffled (PyTorch's torch.utils.data).

Loading runs in the calling process: ``num_workers > 0`` is accepted (so PyTorch
scripts run unchanged) but no worker processes are started, and the worker options
(``prefetch_factor``, ``persistent_workers``, ``worker_init_fn``, ``timeout``,
``multiprocessing_context``) and ``pin_memory`` have no effect. Inside the loader
``get_worker_info()`` is None, as in PyTorch's main process.

A TensorDataset (or a Subset of one) with the default collate function takes a fast
path: each batch is one gather per tensor (``x[indices]``) instead of collating
``batch_size`` single samples; the batches are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import numpy as np

from core.utils.data.collate import default_collate, default_convert
from core.utils.data.dataset import IterableDataset, _fast_batches
from core.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info"]


def get_worker_info():
    """None: loading always runs in the calling process (there are no workers)."""
    return None


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` (PyTorch's signature).

    ``shuffle=True`` draws a new order each epoch from ``generator`` (a core.Generator),
    or from the global generator seeded by ``core.manual_seed``. ``batch_size=None``
    turns batching off: samples come one at a time through ``default_convert``.
    Iterating again starts a new epoch; ``len(loader)`` is the number of batches.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; "
                "use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.generator = generator

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified shuffle option, "
                    f"but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified sampler option, "
                    f"but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler "
                    f"option, but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive "
                    "with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive "
                "with drop_last"
            )

        if sampler is None and not self._iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else (SequentialSampler(dataset))
            )
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    @property
    def _index_sampler(self):
        return self.batch_sampler if self.batch_sampler is not None else self.sampler

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)

    def __iter__(self) -> Iterator:
        if self._iterable:
            return self._iter_stream()
        if (
            self.batch_sampler is not None
            and self.collate_fn is default_collate
            and _fast_batches(self.dataset)
        ):
            return self._iter_gather()
        return self._iter_map()

    def _iter_map(self) -> Iterator:
        dataset, collate = self.dataset, self.collate_fn
        if self.batch_sampler is None:
            for i in self.sampler:
                yield collate(dataset[i])
            return
        getitems = getattr(dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            if getitems is not None:
                yield collate(getitems(indices))
            else:
                yield collate([dataset[i] for i in indices])

    def _iter_gather(self) -> Iterator:
        """TensorDataset fast path: one gather per tensor per batch."""
        get_batch, bs = self.dataset._get_batch, self.batch_sampler
        if type(bs) is BatchSampler and type(bs.sampler) in (SequentialSampler, RandomSampler):
            size = bs.batch_size
            if type(bs.sampler) is SequentialSampler:
                n, order = len(bs.sampler), None
            else:
                order = bs.sampler._order()  # the same draw RandomSampler.__iter__ makes
                n = len(order)
            stop = n - n % size if bs.drop_last else n
            for start in range(0, stop, size):
                end = min(start + size, n)
                yield get_batch(slice(start, end) if order is None else order[start:end])
            return
        for indices in bs:
            yield get_batch(np.asarray(indices, dtype=np.int64))

    def _iter_stream(self) -> Iterator:
        collate = self.collate_fn
        if self.batch_size is None:
            for sample in self.dataset:
                yield collate(sample)
            return
        batch, size = [], self.batch_size
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)
