"""``core.utils.data``: datasets, samplers and the DataLoader (PyTorch's torch.utils.data).

from core.utils.data import DataLoader, TensorDataset, random_split
gen = core.Generator().manual_seed(0)
train, test = random_split(TensorDataset(x, y), [0.8, 0.2], generator=gen)
for xb, yb in DataLoader(train, batch_size=64, shuffle=True):
    ...
"""

from core.utils.data.collate import default_collate, default_convert
from core.utils.data.dataloader import DataLoader, get_worker_info
from core.utils.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from core.utils.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
