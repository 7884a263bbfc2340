"""Normal: the Gaussian with mean ``loc`` and standard deviation ``scale``."""

from __future__ import annotations

import math
import numbers

from core import random as _random
from core.autograd import no_grad
from core.distributions import constraints
from core.distributions.distribution import Distribution
from core.distributions.utils import broadcast_all
from core.ops import erf, log
from core.size import Size
from core.tensor import Tensor, tensor

_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))


class Normal(Distribution):
    """N(loc, scale^2), loc and scale broadcast together (the batch). rsample is
    reparameterised: loc + eps * scale with eps ~ N(0, 1), differentiable in both."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None) -> None:
        self.loc, self.scale = broadcast_all(loc, scale)
        if isinstance(loc, numbers.Number) and isinstance(scale, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = Size(self.loc.shape)
        super().__init__(batch_shape, validate_args=validate_args)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev.pow(2)

    def _standard_normal(self, shape) -> Tensor:
        eps = _random.normal(tuple(shape))  # host draw from core's generator
        return tensor(eps, dtype=self.loc.dtype, device=self.loc.device)

    def sample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            return self.loc.expand(*shape) + self._standard_normal(shape) * self.scale.expand(
                *shape
            )

    def rsample(self, sample_shape=()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = self._standard_normal(shape)
        return self.loc + eps * self.scale

    def log_prob(self, value) -> Tensor:
        """-(value - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi))."""
        if self._validate_args:
            self._validate_sample(value)
        var = self.scale**2
        log_scale = (
            math.log(self.scale) if isinstance(self.scale, numbers.Real) else log(self.scale)
        )
        return -((value - self.loc) ** 2) / (2 * var) - log_scale - _LOG_SQRT_2PI

    def cdf(self, value) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + erf((value - self.loc) / self.scale / math.sqrt(2)))

    def entropy(self) -> Tensor:
        return 0.5 + 0.5 * math.log(2 * math.pi) + log(self.scale)
