"""core.multinomial and core.bernoulli: shapes, dtypes, PyTorch's errors, frequencies
that match the probabilities, draws from core's generators."""

from __future__ import annotations

import numpy as np
import pytest

import core


def freq(samples: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(samples.reshape(-1), minlength=n) / samples.size


def assert_frequencies(samples: np.ndarray, probs, sigmas: float = 5.0) -> None:
    """Each category's frequency within `sigmas` binomial standard errors of its
    probability (a fixed seed: deterministic, not flaky)."""
    p = np.asarray(probs, dtype=np.float64)
    p = p / p.sum()
    n = samples.size
    tol = sigmas * np.sqrt(p * (1 - p) / n) + 1e-12
    np.testing.assert_array_less(np.abs(freq(samples, len(p)) - p), tol + 1e-9)


# -- multinomial ---------------------------------------------------------------------
def test_multinomial_with_replacement_matches_unnormalised_weights():
    g = core.Generator().manual_seed(0)
    w = core.tensor([1.0, 0.0, 3.0, 6.0])  # unnormalised, one zero weight
    s = core.multinomial(w, 20000, replacement=True, generator=g)
    assert s.shape == (20000,) and s.dtype == core.int64
    out = s.numpy()
    assert not (out == 1).any()  # a zero weight is never drawn
    assert_frequencies(out, [1, 0, 3, 6])


def test_multinomial_rows_are_independent_distributions():
    core.manual_seed(1)
    probs = core.tensor([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], dtype=core.float64)
    s = probs.multinomial(10000, True)
    assert s.shape == (2, 10000)
    assert_frequencies(s[0].numpy(), [0.9, 0.1, 0.0])
    assert_frequencies(s[1].numpy(), [0.0, 0.2, 0.8])


def test_multinomial_without_replacement_draws_distinct_indices():
    core.manual_seed(2)
    s = core.multinomial(core.rand(50, 6) + 0.01, 6)
    for row in s.numpy():
        assert sorted(row) == list(range(6))


def test_multinomial_without_replacement_first_draw_follows_the_weights():
    core.manual_seed(3)
    w = core.tensor([[1.0, 2.0, 7.0]]).expand(20000, 3)
    first = core.multinomial(w, 2)[:, 0].numpy()
    assert_frequencies(first, [1, 2, 7])


def test_multinomial_without_replacement_puts_zero_weights_last():
    core.manual_seed(4)
    s = core.multinomial(core.tensor([0.0, 1.0, 0.0, 2.0]), 4).numpy()
    assert set(s[:2]) == {1, 3} and set(s[2:]) == {0, 2}


def test_multinomial_single_category_and_one_sample():
    assert core.multinomial(core.tensor([0.0, 0.0, 5.0]), 1).tolist() == [2]
    assert core.multinomial(core.tensor([[3.0]]), 4, True).tolist() == [[0, 0, 0, 0]]


def test_multinomial_generator_reproduces_and_default_seed_reproduces():
    w = core.tensor([0.2, 0.3, 0.5])
    a = core.multinomial(w, 50, True, generator=core.Generator().manual_seed(7))
    b = core.multinomial(w, 50, True, generator=core.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()
    core.manual_seed(11)
    c = core.multinomial(w, 50, True)
    core.manual_seed(11)
    d = core.multinomial(w, 50, True)
    assert c.tolist() == d.tolist()
    assert c.tolist() != core.multinomial(w, 50, True).tolist()  # the state moved on


def test_multinomial_builds_no_graph_and_keeps_the_device():
    w = core.tensor([1.0, 2.0], requires_grad=True)
    s = core.multinomial(w, 3, True)
    assert not s.requires_grad and s.grad_fn is None and s.device == w.device


@pytest.mark.parametrize(
    "weights, n, replacement, message",
    [
        ([1.0, -1.0], 1, False, "element < 0"),
        ([1.0, float("nan")], 1, True, "`inf`, `nan`"),
        ([1.0, float("inf")], 1, True, "`inf`, `nan`"),
        ([[1.0, 1.0], [0.0, 0.0]], 1, True, "sum of probabilities <= 0"),
        ([1.0, 2.0], 3, False, "without replacement"),
        ([1.0, 2.0], 0, True, "n_sample <= 0"),
        ([[[1.0]]], 1, True, "1 or 2 dim"),
    ],
)
def test_multinomial_errors_like_pytorch(weights, n, replacement, message):
    with pytest.raises(RuntimeError, match=message):
        core.multinomial(core.tensor(weights), n, replacement)


def test_multinomial_refuses_integer_weights():
    with pytest.raises(RuntimeError, match="floating-point"):
        core.multinomial(core.tensor([1, 2]), 1)


# -- bernoulli -----------------------------------------------------------------------
def test_bernoulli_draws_ones_with_each_probability():
    g = core.Generator().manual_seed(5)
    p = core.tensor([0.0, 0.25, 0.9, 1.0], dtype=core.float64).expand(20000, 4)
    s = core.bernoulli(p, generator=g)
    assert s.shape == (20000, 4) and s.dtype == core.float64
    out = s.numpy()
    assert set(np.unique(out)) <= {0.0, 1.0}
    assert out[:, 0].sum() == 0 and out[:, 3].sum() == 20000
    for j, pj in ((1, 0.25), (2, 0.9)):
        assert abs(out[:, j].mean() - pj) < 5 * np.sqrt(pj * (1 - pj) / 20000)


def test_bernoulli_with_a_number_p_and_the_methods():
    core.manual_seed(6)
    s = core.zeros(20000).bernoulli(0.3)
    assert s.dtype == core.float32 and abs(s.mean().item() - 0.3) < 0.02
    t = core.full((4,), 0.5).bernoulli_(core.tensor([1.0, 0.0, 1.0, 0.0]))  # a tensor of p
    assert t.tolist() == [1.0, 0.0, 1.0, 0.0]


def test_bernoulli_errors():
    with pytest.raises(RuntimeError, match=r"\[0, 1\]"):
        core.bernoulli(core.tensor([0.5, 1.5]))
    with pytest.raises(RuntimeError, match="floating-point"):
        core.bernoulli(core.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="p to be in"):
        core.bernoulli(core.zeros(2), 2.0)
