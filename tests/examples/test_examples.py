"""The scripts in resources/examples reach their bars (here on reduced budgets).

Each script is imported by path and its ``main(argv)`` run with a small budget; the
bars are well above what a model that learned nothing scores, so a broken engine fails.
"""

from __future__ import annotations

import gzip
import importlib.util
import inspect
import math
import struct
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits  # installed with scikit-learn

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


@pytest.fixture(autouse=True)
def one_blas_thread():
    """BLAS on one thread: these small matrices gain nothing from more, and on a busy
    machine OpenBLAS threads contend (a 10x slowdown was seen on 2 shared cores)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def load(name: str):
    """The example script ``name``.py, imported as a module."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def vision():
    return load("vision_digits_cnn")


@pytest.fixture(scope="module")
def language():
    return load("language_char_lm")


@pytest.fixture(scope="module")
def rl():
    return load("rl_cartpole")


@pytest.fixture(scope="module")
def health():
    return load("healthcare_breast_cancer")


# -- vision ------------------------------------------------------------------------------


def test_digits_cnn_passes_85_percent_after_three_epochs(vision):
    metrics = vision.main(["--epochs", "3", "--batch-size", "32"])
    assert metrics["test_accuracy"] >= 0.85  # chance is 0.10


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file of unsigned bytes: magic 0x0000 08 <ndim>, big-endian sizes, the values."""
    header = struct.pack(f">BBBB{array.ndim}I", 0, 0, 0x08, array.ndim, *array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)


def test_digits_cnn_trains_on_idx_files(vision, tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 16x16 images (each pixel doubled), bytes 0..255 as in MNIST files.
    images = np.kron(digits.images, np.ones((2, 2))) * (255 / 16)
    labels = digits.target
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", images[:1200])
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", labels[:1200])
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images[1200:1500])
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels[1200:1500])

    metrics = vision.main(["--idx-dir", str(tmp_path), "--epochs", "2", "--batch-size", "32"])
    assert metrics["test_accuracy"] >= 0.8


# -- language ----------------------------------------------------------------------------


def test_corpus_is_python_docs_in_a_fixed_order(language):
    docs = language.stdlib_docs()
    assert docs == language.stdlib_docs()
    assert 200_000 <= sum(map(len, docs)) <= 500_000
    assert docs[0] == inspect.cleandoc(__import__("abc").__doc__)
    assert sum(map(len, language.stdlib_docs(20_000))) <= 20_000


def test_unigram_entropy_of_a_known_distribution(language):
    ids = np.array([0, 0, 1, 2])  # frequencies 1/2, 1/4, 1/4
    assert language.unigram_entropy(ids, 5) == pytest.approx(1.5 * math.log(2))


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_char_model_beats_the_unigram_baseline(language, model):
    argv = ["--model", model, "--steps", "300", "--batch-size", "16", "--seq-len", "32"]
    metrics = language.main(
        [*argv, "--width", "64", "--max-chars", "40000", "--sample-chars", "40"]
    )
    # A model that learned only the character frequencies scores 1.0x.
    assert metrics["ratio"] <= 0.9
    assert metrics["sample"].startswith("Return the ") and len(metrics["sample"]) == 51


def test_transformer_is_causal(language):
    import core

    model = language.CharTransformer(vocab_size=10, block=8, d_model=16).eval()
    x = core.tensor([[1, 2, 3, 4, 5, 6, 7, 8]])
    changed = core.tensor([[1, 2, 3, 4, 9, 9, 9, 9]])
    with core.no_grad():
        before, _ = model(x)
        after, _ = model(changed)
    # Positions 0..3 see only tokens 0..3, which are the same in both inputs.
    np.testing.assert_allclose(before[:, :4].numpy(), after[:, :4].numpy(), atol=1e-5)
    assert not np.allclose(before[:, 4:].numpy(), after[:, 4:].numpy(), atol=1e-3)


# -- reinforcement learning --------------------------------------------------------------


def test_cartpole_follows_the_classic_dynamics(rl):
    env = rl.CartPole(seed=0)
    env.reset()
    env.state = (0.0, 0.0, 0.0, 0.0)
    state, reward, done = env.step(1)  # push right from rest
    # force 10 N, masses 1 + 0.1 kg, half pole length 0.5 m, sin(0) = 0, cos(0) = 1
    theta_acc = -(10 / 1.1) / (0.5 * (4 / 3 - 0.1 / 1.1))
    x_acc = 10 / 1.1 - 0.05 * theta_acc / 1.1
    np.testing.assert_allclose(state, [0.0, 0.02 * x_acc, 0.0, 0.02 * theta_acc], rtol=1e-6)
    assert (reward, done) == (1.0, False)


def test_cartpole_random_policy_scores_about_22(rl):
    env, rng = rl.CartPole(seed=1), np.random.default_rng(1)
    returns = []
    for _ in range(300):
        env.reset()
        done, steps = False, 0
        while not done:
            _, reward, done = env.step(int(rng.integers(2)))
            steps += reward
        returns.append(steps)
    assert 19 <= np.mean(returns) <= 25
    assert min(returns) >= 8  # the pole needs a few steps to fall past 12 degrees


def test_cartpole_episode_ends_at_500_steps(rl):
    env, rng = rl.CartPole(seed=0), np.random.default_rng(0)
    env.theta_limit = env.x_limit = math.inf  # nothing can fall: only the step limit ends it
    env.reset()
    steps, done = 0, False
    while not done:
        _, _, done = env.step(int(rng.integers(2)))
        steps += 1
    assert steps == 500


def test_reinforce_beats_a_random_policy(rl):
    metrics = rl.main(["--episodes", "200", "--eval-episodes", "20"])
    # A random policy averages about 22 (seeds 0-9 here: 58-319 in training, 99-500 greedy).
    assert metrics["train_mean_return"] >= 50
    assert metrics["eval_mean_return"] >= 75


def test_reinforce_is_reproducible(rl):
    first = rl.main(["--episodes", "30", "--eval-episodes", "3", "--seed", "5"])
    second = rl.main(["--episodes", "30", "--eval-episodes", "3", "--seed", "5"])
    assert first["train_mean_return"] == second["train_mean_return"]
    assert first["eval_mean_return"] == second["eval_mean_return"]


# -- healthcare --------------------------------------------------------------------------


def test_breast_cancer_mlp_passes_90_percent(health):
    metrics = health.main(["--epochs", "10"])
    assert metrics["test_accuracy"] >= 0.9
    assert metrics["auc"] >= 0.95
    assert metrics["sensitivity"] >= 0.8 and metrics["specificity"] >= 0.8


def test_roc_auc_matches_scikit_learn(health):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    scores = np.round(labels * 0.3 + rng.random(200), 1)  # rounding makes many ties
    assert health.roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))
    fpr, tpr = health.roc_curve(labels, scores)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    trapezoid = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)
    assert trapezoid == pytest.approx(roc_auc_score(labels, scores))
