"""Bernoulli: 1 with probability ``probs`` (or sigmoid(logits)), else 0."""

from __future__ import annotations

import numbers

from core.distributions import constraints
from core.distributions.distribution import Distribution
from core.distributions.utils import (
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from core.factories import arange
from core.ops.loss import binary_cross_entropy_with_logits
from core.ops.sampling import bernoulli
from core.size import Size
from core.tensor import Tensor


class Bernoulli(Distribution):
    """Independent 0/1 draws, parameterised by probs in [0, 1] or by logits; log_prob
    and entropy are binary cross-entropies with logits (stable, differentiable)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.boolean
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None) -> None:
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            is_scalar = isinstance(probs, numbers.Number)
            (self.probs,) = broadcast_all(probs)
        else:
            is_scalar = isinstance(logits, numbers.Number)
            (self.logits,) = broadcast_all(logits)
        self._param = self.probs if probs is not None else self.logits
        batch_shape = Size() if is_scalar else Size(self._param.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    @lazy_property
    def logits(self) -> Tensor:
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self) -> Tensor:
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self) -> Size:
        return Size(self._param.shape)

    @property
    def mean(self) -> Tensor:
        return self.probs

    @property
    def mode(self) -> Tensor:
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self) -> Tensor:
        return self.probs * (1 - self.probs)

    def sample(self, sample_shape=()) -> Tensor:
        """0/1 draws (probs' dtype) of shape sample_shape + batch_shape."""
        shape = self._extended_shape(sample_shape)
        return bernoulli(self.probs.detach().expand(*shape))

    def log_prob(self, value: Tensor) -> Tensor:
        """value log p + (1 - value) log(1 - p), from the logits (differentiable)."""
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        if not value.is_floating_point():
            value = value.to(logits.dtype)
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self) -> Tensor:
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """[0, 1] along a new leading dim (expanded over the batch)."""
        values = arange(2, dtype=self._param.dtype, device=self._param.device)
        values = values.reshape((-1,) + (1,) * len(self._batch_shape))
        if expand:
            values = values.expand(-1, *self._batch_shape)
        return values
