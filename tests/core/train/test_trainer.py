"""core.train: training a document or any module with the settings of the training section."""

from __future__ import annotations

import math

import numpy as np
import pytest

import core
import core.nn as nn
from core.model import Document
from core.model.data import load_data
from core.train import Callback, Objective, TrainError, document_trainer, fit, train_document

from .conftest import mlp_document


class Recorder(Callback):
    """Keeps every report."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.steps = []
        self.epochs = []
        self.info = None
        self.result = None

    def on_start(self, info):
        self.events.append("start")
        self.info = info

    def on_step(self, report):
        self.events.append("step")
        self.steps.append(report)

    def on_epoch(self, report):
        self.events.append("epoch")
        self.epochs.append(report)

    def on_done(self, result):
        self.events.append("done")
        self.result = result


# -- the basics ---------------------------------------------------------------------------------
def test_training_a_document_lowers_the_loss_and_reports_every_metric():
    doc = mlp_document(training={"epochs": 6, "lr": 0.03})
    rec = Recorder()
    result = train_document(doc, callbacks=[rec])
    assert [h["epoch"] for h in result.history] == [1, 2, 3, 4, 5, 6]
    first, last = result.history[0], result.history[-1]
    assert last["train_loss"] < first["train_loss"]
    assert set(last) == {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"}
    assert result.metrics == last and not result.stopped
    assert 0.0 <= last["val_accuracy"] <= 1.0
    # events: start, then steps and an epoch report per epoch, then done
    assert rec.events[0] == "start" and rec.events[-1] == "done"
    assert rec.events.count("epoch") == 6
    # 96 training samples in batches of 16: 6 steps per epoch
    assert rec.info.steps_per_epoch == 6 and rec.info.train_samples == 96
    assert rec.info.val_samples == 24 and rec.info.monitor == "val_accuracy"
    assert [s.step for s in rec.steps] == list(range(1, 37))
    assert rec.steps[6].epoch == 2 and rec.steps[6].batch == 1 and rec.steps[6].batches == 6
    assert all(s.samples_per_s > 0 and s.lr == 0.03 for s in rec.steps)
    assert rec.result is result and isinstance(result.model, nn.Module)


def test_regression_reports_mae_and_r2_and_uses_mse():
    doc = mlp_document(
        inputs=1,
        outputs=1,
        dataset={"name": "sine", "options": {"n_samples": 160, "noise": 0.05}},
        training={"epochs": 30, "lr": 0.02, "batch_size": 32},
    )
    rec = Recorder()
    result = train_document(doc, callbacks=[rec])
    assert rec.info.loss == "mse" and rec.info.monitor == "val_loss"
    last = result.metrics
    assert {"val_mae", "val_r2", "val_loss", "train_loss"} <= set(last)
    assert "train_accuracy" not in last
    assert last["val_r2"] > 0.5  # a sine fitted by a small MLP
    # the val metrics agree with a recomputation on the model
    data = load_data(doc.dataset)
    x, y = data.val.numpy()
    with core.no_grad():
        pred = result.model(core.tensor(x)).numpy()
    assert last["val_mae"] == pytest.approx(np.abs(pred - y).mean(), rel=1e-5)
    r2 = 1 - ((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert last["val_r2"] == pytest.approx(r2, rel=1e-4)


def test_without_validation_split_only_training_metrics_and_monitor_is_train_loss():
    doc = mlp_document(dataset={"name": "xor", "validation_split": 0, "options": {"n_samples": 64}})
    rec = Recorder()
    result = train_document(doc, callbacks=[rec])
    assert set(result.metrics) == {"epoch", "train_loss", "train_accuracy", "lr"}
    assert rec.info.monitor == "train_loss" and rec.info.val_samples == 0


def test_same_seed_gives_identical_histories_and_weights():
    doc = mlp_document(training={"epochs": 3, "seed": 7})
    a = train_document(doc)
    b = train_document(doc)
    assert a.history == b.history
    for (name, p), (_, q) in zip(
        a.model.state_dict().items(), b.model.state_dict().items(), strict=True
    ):
        assert np.array_equal(p.numpy(), q.numpy()), name
    doc.set_training({**doc.training, "seed": 8})
    c = train_document(doc)
    assert c.history != a.history


def test_epochs_argument_overrides_the_settings():
    result = train_document(mlp_document(training={"epochs": 5}), epochs=1)
    assert result.epochs == 1 and len(result.history) == 1


def test_every_optimizer_trains_and_each_takes_its_own_steps():
    losses = {}
    for optimizer in ("adam", "adamw", "sgd", "rmsprop", "adagrad"):
        doc = mlp_document(training={"optimizer": optimizer, "epochs": 2, "weight_decay": 0.01})
        history = train_document(doc).history
        assert all(math.isfinite(h["train_loss"]) for h in history), optimizer
        losses[optimizer] = history[-1]["train_loss"]
    assert len(set(losses.values())) == 5  # five different update rules


@pytest.mark.parametrize(
    ("scheduler", "extra", "expected"),
    [
        ("none", {}, [0.1, 0.1, 0.1, 0.1]),
        ("step", {"step_size": 2, "gamma": 0.5}, [0.1, 0.1, 0.05, 0.05]),
        ("exponential", {"gamma": 0.5}, [0.1, 0.05, 0.025, 0.0125]),
        ("cosine", {}, [0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05, None]),
    ],
)
def test_epoch_schedulers_set_each_epochs_lr(scheduler, extra, expected):
    doc = mlp_document(training={"scheduler": scheduler, "lr": 0.1, "epochs": 4, **extra})
    lrs = [h["lr"] for h in train_document(doc).history]
    for got, want in zip(lrs, expected):
        if want is not None:
            assert got == pytest.approx(want)


def test_onecycle_steps_per_batch_and_plateau_reduces_on_a_flat_loss():
    doc = mlp_document(training={"scheduler": "onecycle", "lr": 0.1, "epochs": 2})
    lrs = []

    class Spy(Callback):
        def on_step(self, report):
            lrs.append(report.lr)

    train_document(doc, callbacks=[Spy()])
    assert max(lrs) == pytest.approx(0.1, rel=0.05)  # the peak of the cycle
    assert lrs[0] < 0.05 and lrs[-1] < 1e-3  # warm up from and anneal to a small lr
    # plateau (patience = step_size = 1, factor = gamma): at lr 1e-6 the loss cannot
    # improve by the relative threshold 1e-4, so the lr halves after two flat epochs
    doc = mlp_document(
        training={"scheduler": "plateau", "lr": 1e-6, "epochs": 4, "step_size": 1, "gamma": 0.5}
    )
    lrs = [h["lr"] for h in train_document(doc).history]
    assert lrs == pytest.approx([1e-6, 1e-6, 1e-6, 5e-7])


@pytest.mark.parametrize("loss", ["mse", "l1", "huber"])
def test_regression_losses(loss):
    doc = mlp_document(
        inputs=1,
        outputs=1,
        dataset={"name": "polynomial", "options": {"n_samples": 64}},
        training={"loss": loss, "epochs": 2},
    )
    rec = Recorder()
    result = train_document(doc, callbacks=[rec])
    assert rec.info.loss == loss and math.isfinite(result.metrics["val_loss"])


def test_classification_with_mse_uses_one_hot_targets_and_bce_takes_one_logit():
    doc = mlp_document(training={"loss": "mse", "epochs": 2})
    result = train_document(doc)
    assert "val_accuracy" in result.metrics
    doc = mlp_document(outputs=1, training={"loss": "bce_with_logits", "epochs": 8, "lr": 0.05})
    result = train_document(doc)
    assert result.metrics["train_accuracy"] > 0.5


def test_grad_clip_bounds_the_gradient_norm_used_by_the_step():
    """With grad_clip, an SGD step moves the weights by at most lr * clip."""
    doc = mlp_document(training={"optimizer": "sgd", "momentum": 0.0, "lr": 1.0, "grad_clip": 1e-3})
    trainer = document_trainer(doc)
    before = [p.detach().numpy().copy() for p in trainer.model.parameters()]
    trainer.run(epochs=1)
    after = [p.detach().numpy() for p in trainer.model.parameters()]
    moved = math.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(after, before)))
    assert 0 < moved <= 6 * 1e-3 * 1.0001  # 6 steps of at most lr * clip


# -- what is refused before training starts -----------------------------------------------
@pytest.mark.skipif(core.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_a_gpu_fails_at_once_with_the_reason():
    seen = []

    class Spy(Callback):
        def on_start(self, info):
            seen.append(info)

    with pytest.raises(TrainError, match="device 'cuda'.*no CUDA GPU") as info:
        train_document(mlp_document(), device="cuda", callbacks=[Spy()])
    assert "device 'cpu'" in str(info.value) and seen == []
    ds = core.datasets.xor(n_samples=16, seed=0)
    with pytest.raises(TrainError, match="no CUDA GPU"):
        fit(nn.Linear(2, 2), ds, {"device": "cuda"})


def test_an_output_that_does_not_fit_the_classes_names_the_fix():
    doc = mlp_document(outputs=3)
    with pytest.raises(TrainError) as info:
        train_document(doc)
    msg = str(info.value)
    assert "'output1'" in msg and "(3,)" in msg and "2 classes" in msg
    assert "out_features=2" in msg


def test_an_input_shape_or_dtype_that_does_not_fit_the_data_is_refused(tmp_path):
    doc = mlp_document(inputs=3)
    with pytest.raises(TrainError, match=r"Input node 'input1'.*\[3\].*\[2\]") as info:
        train_document(doc)
    assert "set the Input's shape to [2]" in str(info.value)
    (tmp_path / "t.txt").write_text("hello world " * 20)
    text = {"source": "text", "path": "t.txt", "block": 8}
    doc = mlp_document(inputs=8, dataset=text)
    with pytest.raises(TrainError, match="takes float32.*gives int64") as info:
        train_document(doc, root=tmp_path)
    assert "set the Input's dtype to int64" in str(info.value)


def test_a_model_with_errors_or_bad_data_settings_gives_a_train_error_with_the_stage():
    doc = Document()
    doc.add_node("Input", params={"shape": [2]})
    with pytest.raises(TrainError) as info:
        train_document(doc)
    assert info.value.stage == "build"
    doc = mlp_document(dataset={"name": "no_such_set"})
    with pytest.raises(TrainError, match="no built-in dataset 'no_such_set'") as info:
        train_document(doc)
    assert info.value.stage == "data"


def test_bad_settings_and_losses_that_do_not_fit_the_task():
    ds = core.datasets.sine(n_samples=16, seed=0)
    with pytest.raises(TrainError, match="training.batch_size"):
        fit(nn.Linear(1, 1), ds, {"batch_size": 0})
    with pytest.raises(TrainError, match="cross_entropy needs class targets"):
        fit(nn.Linear(1, 1), ds, {"loss": "cross_entropy"})
    with pytest.raises(TrainError, match="bce_with_logits is for two classes"):
        Objective("bce_with_logits", "classification", 3)
    with pytest.raises(TrainError, match="epochs"):
        fit(nn.Linear(1, 1), ds, epochs=0)


# -- any module -----------------------------------------------------------------------------
def test_fit_trains_a_plain_module_on_a_dataset_or_a_pair():
    ds = core.datasets.blobs(n_samples=90, classes=3, seed=0)
    train, val = ds.split([0.8, 0.2], seed=0)
    core.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    result = fit(model, (train, val), {"epochs": 10, "lr": 0.05, "batch_size": 8})
    assert result.metrics["val_accuracy"] > 0.8  # blobs are easy
    result = fit(model, train, {"epochs": 1})
    assert "val_loss" not in result.metrics


class CharModel(nn.Module):
    """(N, T) ids -> (N, T, V) logits; returns a tuple like a recurrent model would."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 16)
        self.head = nn.Linear(16, vocab)

    def forward(self, x):
        return self.head(self.embed(x)), None


def test_a_sequence_model_trains_on_every_position():
    text = "abcabcabcabcabcabcabc" * 20
    ds = core.datasets.char_sequences(text, 8)
    train, val = ds.split([0.75, 0.25], seed=0)
    core.manual_seed(0)
    model = CharModel(ds.num_classes)
    rec = Recorder()
    result = fit(model, (train, val), {"epochs": 15, "lr": 0.05, "batch_size": 8}, callbacks=[rec])
    assert rec.info.loss == "cross_entropy"
    # the next character is determined by the current one: a bigram model gets it all
    assert result.metrics["val_accuracy"] == 1.0
    # the loss is over every position: recompute it
    x, y = val.tensors
    with core.no_grad():
        logits, _ = model(x)
        loss = core.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten()).item()
    assert result.metrics["val_loss"] == pytest.approx(loss, rel=1e-5)
