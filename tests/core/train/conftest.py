"""Shared pieces of the trainer tests: a small MLP document and tiny datasets."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_limits

from core.model import Document


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Tiny matrices gain nothing from BLAS threads; on a busy machine they contend."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def mlp_document(
    *,
    inputs: int = 2,
    hidden: int = 16,
    outputs: int = 2,
    dataset: dict | None = None,
    training: dict | None = None,
    dropout: float | None = None,
) -> Document:
    """Input -> Linear -> ReLU [-> Dropout] -> Linear -> Output, ids input1, linear1,
    relu1, [dropout1,] linear2, output1."""
    doc = Document()
    doc.add_node("Input", params={"shape": [inputs]})
    doc.add_node("Linear", params={"out_features": hidden})
    doc.add_node("ReLU")
    if dropout is not None:
        doc.add_node("Dropout", params={"p": dropout})
    doc.add_node("Linear", params={"out_features": outputs})
    doc.add_node("Output")
    ids = list(doc.nodes)
    for a, b in zip(ids, ids[1:]):
        doc.connect(a, b)
    doc.set_dataset(dataset or {"name": "spirals", "options": {"n_samples": 120}})
    doc.set_training({"epochs": 2, "batch_size": 16, "lr": 0.01, **(training or {})})
    return doc


@pytest.fixture
def doc() -> Document:
    return mlp_document()
