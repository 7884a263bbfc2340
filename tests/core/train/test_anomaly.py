"""Anomaly detection: a NaN/Inf loss or gradient stops training and names where it began."""

from __future__ import annotations

import numpy as np
import pytest

import core
import core.nn as nn
from core.train import Callback, TrainError, document_trainer, fit, train_document

from .conftest import mlp_document


class Errors(Callback):
    def __init__(self) -> None:
        self.errors = []

    def on_error(self, error):
        self.errors.append(error)


def test_an_overflow_in_a_layer_names_the_op_and_the_document_node():
    doc = mlp_document(training={"epochs": 1})
    trainer = document_trainer(doc, callbacks=[errors := Errors()])
    with core.no_grad():  # finite weights whose products overflow float32
        trainer.model.linear1.weight[0] = 3e38
        trainer.model.linear1.bias[0] = 3e38
    with pytest.raises(TrainError) as info:
        trainer.run()
    err = info.value
    a = err.anomaly
    assert err.stage == "anomaly" and a.where == "forward"
    assert a.op == "Linear" and a.node_id == "linear1" and a.node_name == "Linear 1"
    assert a.value == "inf" and a.step == 1 and a.epoch == 1
    assert err.op == "Linear" and err.node_id == "linear1"
    msg = str(err)
    assert "loss became non-finite at step 1" in msg and "node 'linear1' ('Linear 1')" in msg
    assert "hint:" in msg
    assert errors.errors == [err]
    # nothing was applied: the step stopped before the optimizer
    assert np.all(trainer.model.linear1.weight.detach().numpy()[0] == np.float32(3e38))
    assert err.result.steps == 0


def test_a_learning_rate_blow_up_is_caught_at_the_layer_that_overflows():
    doc = mlp_document(
        inputs=1,
        outputs=1,
        dataset={"name": "sine", "options": {"n_samples": 100, "noise": 50.0}},
        training={"optimizer": "sgd", "lr": 10.0, "epochs": 50},
    )
    with pytest.raises(TrainError) as info:
        train_document(doc)
    a = info.value.anomaly
    assert a.where == "forward" and a.node_id in {"linear1", "linear2"} and a.op == "Linear"
    assert a.step > 1  # it took some updates to get there


class Root(nn.Module):
    def forward(self, x):
        return core.sqrt(x)


class ZeroRoot(nn.Module):
    """sqrt(0 * x): finite values, but d sqrt/dx at 0 is Inf (and Inf * 0 is NaN)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.root = Root()

    def forward(self, x):
        return self.root(self.lin(x) * 0.0)


def test_a_gradient_only_anomaly_names_the_op_whose_backward_made_it():
    ds = core.datasets.xor(n_samples=32, seed=0)
    with pytest.raises(TrainError) as info:
        fit(ZeroRoot(), ds, {"epochs": 1})
    err = info.value
    a = err.anomaly
    assert "a gradient became non-finite at step 1" in str(err)
    assert a.where == "backward" and a.op == "Sqrt" and a.scope == "root"
    assert a.node_id is None  # not a document model: the module path stands in
    assert "in module 'root'" in a.describe()


def test_nan_in_the_data_is_blamed_on_the_data():
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    x[5, 1] = np.nan
    ds = core.datasets.LabeledDataset(x, (x[:, 0] > 0).astype(np.int64))
    with pytest.raises(TrainError) as info:
        fit(nn.Linear(2, 2), ds, {"epochs": 1, "batch_size": 32})
    assert info.value.anomaly.where == "input"
    assert "input batch contains NaN" in str(info.value)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy's, about the NaNs
def test_detection_can_be_turned_off():
    ds = core.datasets.xor(n_samples=32, seed=0)
    result = fit(ZeroRoot(), ds, {"epochs": 2, "batch_size": 32}, detect_anomaly=False)
    # step 1's loss was finite, its NaN gradient went into the weights: epoch 2 is NaN
    assert np.isfinite(result.history[0]["train_loss"])
    assert np.isnan(result.history[1]["train_loss"]) and not result.stopped


class TopLevelLog(nn.Module):
    """log() of a shifted output, in the model's own forward (no submodule runs it)."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return (self.lin(x) * 0.0 - 1.0).log()


def test_an_op_in_the_models_own_forward_is_not_blamed_on_the_loss():
    ds = core.datasets.xor(n_samples=32, seed=0)
    with pytest.raises(TrainError) as info:
        fit(TopLevelLog(), ds, {"epochs": 1})
    a = info.value.anomaly
    assert a.where == "forward" and a.op == "Log" and a.scope == "" and not a.in_loss
    assert "loss function" not in a.describe()
    assert "the model's own forward()" in a.describe()


class HugeScores(nn.Module):
    """Finite scores so far apart that the cross-entropy of class 1 overflows to Inf."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return self.lin(x) * 0.0 + core.tensor([3e38, -3e38])


def test_an_op_of_the_loss_function_is_named_as_such():
    ds = core.datasets.xor(n_samples=32, seed=0)
    with pytest.raises(TrainError) as info:
        fit(HugeScores(), ds, {"epochs": 1, "batch_size": 32})
    a = info.value.anomaly
    assert a.where == "forward" and a.in_loss and a.node_id is None
    assert a.describe().endswith("in the loss function") and a.to_dict()["in_loss"] is True
    assert "outputs grew too large for the loss" in info.value.hint


def test_nan_in_the_targets_is_blamed_on_the_targets_with_a_data_hint():
    x = np.random.default_rng(0).normal(size=(32, 1)).astype(np.float32)
    y = 2.0 * x
    y[7, 0] = np.nan
    ds = core.datasets.LabeledDataset(x, y, task="regression")
    with pytest.raises(TrainError) as info:
        fit(nn.Linear(1, 1), ds, {"epochs": 1, "batch_size": 32})
    err = info.value
    assert err.anomaly.where == "target" and "target batch contains NaN" in str(err)
    assert "learning rate" not in err.hint and "targets of the dataset" in err.hint


def test_nan_in_the_inputs_gets_a_data_hint_not_a_learning_rate_one():
    x = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    x[3, 0] = np.inf
    ds = core.datasets.LabeledDataset(x, (x[:, 1] > 0).astype(np.int64))
    with pytest.raises(TrainError) as info:
        fit(nn.Linear(2, 2), ds, {"epochs": 1, "batch_size": 32})
    err = info.value
    assert err.anomaly.where == "input" and err.anomaly.value == "inf"
    assert "learning rate" not in err.hint and "features" in err.hint
