"""Probability distributions (``core.distributions``), PyTorch's API for the common
ones: sample / rsample, log_prob and entropy built from differentiable core ops, so
gradients reach the parameters (REINFORCE, reparameterised VAEs)."""

from core.distributions.bernoulli import Bernoulli
from core.distributions.categorical import Categorical
from core.distributions.distribution import Distribution
from core.distributions.kl import kl_divergence, register_kl
from core.distributions.normal import Normal

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Normal",
    "kl_divergence",
    "register_kl",
]
