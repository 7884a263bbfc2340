"""core.distributions: Categorical, Bernoulli, Normal and kl_divergence.

Values against closed forms, gradients by gradcheck, sample frequencies, shapes and
argument validation; then, where torch is installed, log_prob / entropy / kl values
and gradients (including a REINFORCE loss) against torch.distributions.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import core
from core.autograd import gradcheck
from core.distributions import Bernoulli, Categorical, Normal, kl_divergence

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((4, 3))
ACTIONS = np.array([0, 2, 1, 2])
RETURNS = RNG.standard_normal(4)


def t64(a, grad=False):
    return core.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def log_softmax(a):
    a = a - a.max(-1, keepdims=True)
    return a - np.log(np.exp(a).sum(-1, keepdims=True))


# -- Categorical ---------------------------------------------------------------------
def test_categorical_normalises_probs_and_logits():
    d = Categorical(probs=core.tensor([[1.0, 3.0], [2.0, 2.0]]))
    np.testing.assert_allclose(d.probs.numpy(), [[0.25, 0.75], [0.5, 0.5]])
    np.testing.assert_allclose(d.logits.numpy(), np.log([[0.25, 0.75], [0.5, 0.5]]), rtol=1e-6)
    e = Categorical(logits=t64(LOGITS))
    np.testing.assert_allclose(e.logits.numpy(), log_softmax(LOGITS), rtol=1e-12)
    np.testing.assert_allclose(e.probs.numpy(), np.exp(log_softmax(LOGITS)), rtol=1e-12)
    assert e.batch_shape == (4,) and isinstance(e.batch_shape, core.Size)
    assert e.event_shape == () and e.param_shape == (4, 3)


def test_categorical_log_prob_and_entropy_values():
    d = Categorical(logits=t64(LOGITS))
    lp = d.log_prob(core.tensor(ACTIONS)).numpy()
    np.testing.assert_allclose(lp, log_softmax(LOGITS)[np.arange(4), ACTIONS], rtol=1e-12)
    p = np.exp(log_softmax(LOGITS))
    np.testing.assert_allclose(d.entropy().numpy(), -(p * np.log(p)).sum(-1), rtol=1e-12)
    # a zero probability adds nothing to the entropy (0 log 0 = 0), no nan
    z = Categorical(probs=core.tensor([0.0, 0.5, 0.5]))
    assert math.isclose(z.entropy().item(), math.log(2), rel_tol=1e-6)


def test_categorical_log_prob_broadcasts_values_over_the_batch():
    d = Categorical(logits=t64(LOGITS))
    lp = d.log_prob(core.tensor([[0], [2]]))  # (2, 1) against batch (4,) -> (2, 4)
    assert lp.shape == (2, 4)
    np.testing.assert_allclose(lp[1].numpy(), log_softmax(LOGITS)[:, 2], rtol=1e-12)


def test_categorical_gradients():
    acts = core.tensor(ACTIONS)
    for kw in ("logits", "probs"):
        x = t64(LOGITS if kw == "logits" else np.exp(LOGITS), grad=True)
        assert gradcheck(lambda a, kw=kw: Categorical(**{kw: a}).log_prob(acts), [x])
        assert gradcheck(lambda a, kw=kw: Categorical(**{kw: a}).entropy(), [x])


def test_categorical_samples_follow_the_probabilities():
    core.manual_seed(0)
    d = Categorical(probs=core.tensor([[0.7, 0.2, 0.1], [0.0, 0.0, 1.0]]))
    s = d.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == core.int64
    counts = np.bincount(s[:, 0].numpy(), minlength=3) / 20000
    np.testing.assert_allclose(counts, [0.7, 0.2, 0.1], atol=0.02)
    assert (s[:, 1].numpy() == 2).all()
    assert Categorical(logits=core.zeros(3)).sample().shape == ()
    assert not d.sample().requires_grad


def test_categorical_support_mode_and_moments():
    d = Categorical(logits=core.tensor([[0.0, 2.0, 1.0], [3.0, 0.0, 0.0]]))
    assert d.mode.tolist() == [1, 0]
    assert d.enumerate_support().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert d.enumerate_support(expand=False).shape == (3, 1)
    assert np.isnan(d.mean.numpy()).all() and d.mean.shape == (2,)


def test_categorical_argument_errors():
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Categorical()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Categorical(probs=core.ones(2), logits=core.ones(2))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        Categorical(logits=core.tensor(1.0))
    with pytest.raises(ValueError, match="constraint Simplex"):
        Categorical(probs=core.tensor([-0.5, 1.0]))
    d = Categorical(logits=core.zeros(3))
    with pytest.raises(ValueError, match="within the support"):
        d.log_prob(core.tensor(3))
    with pytest.raises(ValueError, match="must be a Tensor"):
        d.log_prob(1)
    # validation off: no check (PyTorch's validate_args=False)
    assert Categorical(probs=core.tensor([-0.5, 1.0]), validate_args=False).probs.shape == (2,)


# -- Bernoulli -----------------------------------------------------------------------
def test_bernoulli_values():
    p = np.array([0.1, 0.5, 0.8])
    d = Bernoulli(probs=t64(p))
    v = np.array([1.0, 0.0, 0.0])
    np.testing.assert_allclose(
        d.log_prob(t64(v)).numpy(), v * np.log(p) + (1 - v) * np.log(1 - p), rtol=1e-12
    )
    np.testing.assert_allclose(
        d.entropy().numpy(), -(p * np.log(p) + (1 - p) * np.log(1 - p)), rtol=1e-12
    )
    np.testing.assert_allclose(d.logits.numpy(), np.log(p / (1 - p)), rtol=1e-12)
    np.testing.assert_allclose(d.variance.numpy(), p * (1 - p))
    assert Bernoulli(logits=t64([0.0])).probs.tolist() == [0.5]
    assert Bernoulli(0.3).batch_shape == () and Bernoulli(0.3).probs.dtype == core.float32


def test_bernoulli_gradients_and_samples():
    x = t64([-1.0, 0.3, 2.0], grad=True)
    v = t64([1.0, 0.0, 1.0])
    assert gradcheck(lambda a: Bernoulli(logits=a).log_prob(v) + Bernoulli(logits=a).entropy(), [x])
    core.manual_seed(1)
    s = Bernoulli(probs=core.tensor([0.2, 0.9])).sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == core.float32
    np.testing.assert_allclose(s.mean(0).numpy(), [0.2, 0.9], atol=0.02)


def test_bernoulli_validation():
    with pytest.raises(ValueError, match="Interval"):
        Bernoulli(1.5)
    with pytest.raises(ValueError, match="Boolean"):
        Bernoulli(0.3).log_prob(core.tensor(0.5))


# -- Normal --------------------------------------------------------------------------
def test_normal_log_prob_entropy_cdf_values():
    loc, scale = np.array([0.0, 1.0]), np.array([1.0, 2.0])
    d = Normal(t64(loc), t64(scale))
    v = np.array([0.5, -1.0])
    expected = -((v - loc) ** 2) / (2 * scale**2) - np.log(scale) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(d.log_prob(t64(v)).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(
        d.entropy().numpy(), 0.5 + 0.5 * np.log(2 * np.pi) + np.log(scale), rtol=1e-12
    )
    cdf = [0.5 * (1 + math.erf((a - m) / (s * math.sqrt(2)))) for a, m, s in zip(v, loc, scale)]
    np.testing.assert_allclose(d.cdf(t64(v)).numpy(), cdf, rtol=1e-12)
    assert d.mean is d.loc and d.stddev is d.scale
    np.testing.assert_allclose(d.variance.numpy(), scale**2)


def test_normal_rsample_is_reparameterised():
    loc, scale = t64([1.0, -2.0], grad=True), t64([0.5, 3.0], grad=True)
    core.manual_seed(2)
    x = Normal(loc, scale).rsample((3,))
    assert x.shape == (3, 2) and x.requires_grad
    x.sum().backward()
    eps = (x.detach() - loc.detach()) / scale.detach()
    assert loc.grad.tolist() == [3.0, 3.0]
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-12)
    assert gradcheck(lambda m, s: Normal(m, s).log_prob(t64([0.3, 0.1])), [loc, scale])


def test_normal_samples_have_the_moments():
    core.manual_seed(3)
    s = Normal(core.tensor([1.0, -3.0]), core.tensor([2.0, 0.5])).sample((20000,))
    assert s.shape == (20000, 2) and not s.requires_grad
    np.testing.assert_allclose(s.mean(0).numpy(), [1.0, -3.0], atol=0.05)
    np.testing.assert_allclose(s.std(0).numpy(), [2.0, 0.5], rtol=0.03)


def test_normal_shapes_and_validation():
    assert Normal(0.0, 1.0).batch_shape == ()
    assert Normal(core.zeros(2, 1), core.ones(3)).batch_shape == (2, 3)
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    with pytest.raises(ValueError, match="GreaterThan"):
        Normal(0.0, -1.0)
    with pytest.raises(NotImplementedError, match="rsample"):
        Categorical(logits=core.zeros(2)).rsample()


# -- KL ------------------------------------------------------------------------------
def test_kl_divergences():
    p, q = Normal(t64(0.5), t64(1.5)), Normal(t64(-1.0), t64(0.7))
    expected = math.log(0.7 / 1.5) + (1.5**2 + 1.5**2) / (2 * 0.7**2) - 0.5
    assert math.isclose(kl_divergence(p, q).item(), expected, rel_tol=1e-12)
    a, b = np.array([0.2, 0.3, 0.5]), np.array([0.4, 0.4, 0.2])
    kl = kl_divergence(Categorical(probs=t64(a)), Categorical(probs=t64(b)))
    assert math.isclose(kl.item(), (a * np.log(a / b)).sum(), rel_tol=1e-9)
    zero = kl_divergence(Categorical(probs=t64([0.0, 1.0])), Categorical(probs=t64([0.5, 0.5])))
    assert math.isclose(zero.item(), math.log(2), rel_tol=1e-9)  # 0 log 0 terms vanish
    assert (
        kl_divergence(Categorical(probs=t64([0.5, 0.5])), Categorical(probs=t64([1, 0]))).item()
        == math.inf
    )
    kb = kl_divergence(Bernoulli(t64(0.3)), Bernoulli(t64(0.6)))
    assert math.isclose(kb.item(), 0.3 * math.log(0.5) + 0.7 * math.log(0.7 / 0.4), rel_tol=1e-9)
    with pytest.raises(NotImplementedError, match="No KL"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(0.5))


# -- against torch.distributions -----------------------------------------------------
def _both(torch, arr):
    return t64(arr, grad=True), torch.tensor(np.asarray(arr, dtype=np.float64), requires_grad=True)


def _close(c, t):
    np.testing.assert_allclose(c.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("param", ["logits", "probs"])
def test_categorical_matches_torch(param):
    torch = pytest.importorskip("torch")
    arr = LOGITS if param == "logits" else np.exp(LOGITS)
    c, t = _both(torch, arr)
    dc, dt = Categorical(**{param: c}), torch.distributions.Categorical(**{param: t})
    _close(dc.probs, dt.probs)
    _close(dc.logits, dt.logits)
    lpc, lpt = dc.log_prob(core.tensor(ACTIONS)), dt.log_prob(torch.tensor(ACTIONS))
    _close(lpc, lpt)
    _close(dc.entropy(), dt.entropy())
    (lpc.sum() + 0.3 * dc.entropy().sum()).backward()
    (lpt.sum() + 0.3 * dt.entropy().sum()).backward()
    _close(c.grad, t.grad)


def test_reinforce_gradients_match_torch():
    """-(dist.log_prob(a) * R).sum().backward() gives PyTorch's policy gradient."""
    torch = pytest.importorskip("torch")
    c, t = _both(torch, LOGITS)
    loss_c = -(Categorical(logits=c).log_prob(core.tensor(ACTIONS)) * t64(RETURNS)).sum()
    td = torch.distributions.Categorical(logits=t)
    loss_t = -(td.log_prob(torch.tensor(ACTIONS)) * torch.tensor(RETURNS)).sum()
    loss_c.backward()
    loss_t.backward()
    _close(loss_c, loss_t)
    _close(c.grad, t.grad)
    # and in float32 through a Linear policy, the usual tutorial setup
    core.manual_seed(0)
    policy = core.nn.Linear(5, 3)
    tpolicy = torch.nn.Linear(5, 3)
    with torch.no_grad():
        tpolicy.weight.copy_(torch.tensor(policy.weight.detach().numpy()))
        tpolicy.bias.copy_(torch.tensor(policy.bias.detach().numpy()))
    obs = RNG.standard_normal((4, 5)).astype(np.float32)
    lc = -(
        Categorical(logits=policy(core.tensor(obs))).log_prob(core.tensor(ACTIONS))
        * core.tensor(RETURNS, dtype=core.float32)
    ).sum()
    lt = -(
        torch.distributions.Categorical(logits=tpolicy(torch.tensor(obs))).log_prob(
            torch.tensor(ACTIONS)
        )
        * torch.tensor(RETURNS, dtype=torch.float32)
    ).sum()
    lc.backward()
    lt.backward()
    np.testing.assert_allclose(
        policy.weight.grad.numpy(), tpolicy.weight.grad.numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        policy.bias.grad.numpy(), tpolicy.bias.grad.numpy(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("param", ["logits", "probs"])
def test_bernoulli_matches_torch(param):
    torch = pytest.importorskip("torch")
    arr = np.array([-1.5, 0.2, 2.0]) if param == "logits" else np.array([0.1, 0.55, 0.9])
    c, t = _both(torch, arr)
    dc, dt = Bernoulli(**{param: c}), torch.distributions.Bernoulli(**{param: t})
    v = np.array([1.0, 0.0, 1.0])
    lpc, lpt = dc.log_prob(t64(v)), dt.log_prob(torch.tensor(v))
    _close(lpc, lpt)
    _close(dc.entropy(), dt.entropy())
    _close(dc.probs, dt.probs)
    _close(dc.logits, dt.logits)
    (lpc * 2 + dc.entropy()).sum().backward()
    (lpt * 2 + dt.entropy()).sum().backward()
    _close(c.grad, t.grad)


def test_normal_matches_torch():
    torch = pytest.importorskip("torch")
    (cl, tl), (cs, ts) = _both(torch, [0.3, -1.0, 2.0]), _both(torch, [0.5, 1.0, 2.5])
    dc, dt = Normal(cl, cs), torch.distributions.Normal(tl, ts)
    v = np.array([[0.0, 1.0, -2.0], [0.5, 0.5, 0.5]])
    parts_c = (dc.log_prob(t64(v)), dc.entropy(), dc.cdf(t64(v)))
    parts_t = (dt.log_prob(torch.tensor(v)), dt.entropy(), dt.cdf(torch.tensor(v)))
    for a, b in zip(parts_c, parts_t):
        _close(a, b)
    sum(p.sum() for p in parts_c).backward()
    sum(p.sum() for p in parts_t).backward()
    _close(cl.grad, tl.grad)
    _close(cs.grad, ts.grad)


def test_kl_matches_torch():
    torch = pytest.importorskip("torch")
    td = torch.distributions
    (c1, t1), (c2, t2) = _both(torch, LOGITS), _both(torch, LOGITS[::-1].copy())
    kc = kl_divergence(Categorical(logits=c1), Categorical(logits=c2))
    kt = td.kl_divergence(td.Categorical(logits=t1), td.Categorical(logits=t2))
    _close(kc, kt)
    kc.sum().backward()
    kt.sum().backward()
    _close(c1.grad, t1.grad)
    _close(c2.grad, t2.grad)
    (m, tm), (s, ts) = _both(torch, [0.1, -0.4]), _both(torch, [0.8, 1.7])
    kc = kl_divergence(Normal(m, s), Normal(0.0, 1.0))
    kt = td.kl_divergence(td.Normal(tm, ts), td.Normal(0.0, 1.0))
    _close(kc, kt)
    kc.sum().backward()
    kt.sum().backward()
    _close(m.grad, tm.grad)
    _close(s.grad, ts.grad)
    (b, tb) = _both(torch, [0.2, 0.7])
    kc = kl_divergence(Bernoulli(b), Bernoulli(probs=t64([0.5, 0.4])))
    kt = td.kl_divergence(
        td.Bernoulli(tb), td.Bernoulli(probs=torch.tensor([0.5, 0.4], dtype=torch.float64))
    )
    _close(kc, kt)
