"""kl_divergence(p, q) for pairs of distributions of one family, PyTorch's formulas
(differentiable in both distributions' parameters)."""

from __future__ import annotations

import math

from core.distributions.bernoulli import Bernoulli
from core.distributions.categorical import Categorical
from core.distributions.distribution import Distribution
from core.distributions.normal import Normal
from core.ops import where
from core.ops.activation import softplus
from core.tensor import Tensor

_KL_REGISTRY: dict = {}


def register_kl(type_p: type, type_q: type):
    """Decorator: register ``fn(p, q)`` as KL(p || q) for these two classes."""

    def decorator(fn):
        _KL_REGISTRY[type_p, type_q] = fn
        return fn

    return decorator


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """KL(p || q), batched over their batch shapes."""
    for cls_p in type(p).__mro__:
        for cls_q in type(q).__mro__:
            fn = _KL_REGISTRY.get((cls_p, cls_q))
            if fn is not None:
                return fn(p, q)
    raise NotImplementedError(
        f"No KL(p || q) is implemented for p type {type(p).__name__} and q type {type(q).__name__}"
    )


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale).pow(2)
    t1 = ((p.loc - q.loc) / q.scale).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = where((q.probs == 0).expand_as(t), math.inf, t)
    t = where((p.probs == 0).expand_as(t), 0.0, t)
    return t.sum(-1)


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * (softplus(-q.logits) - softplus(-p.logits))
    t1 = where(q.probs == 0, math.inf, t1)
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (softplus(q.logits) - softplus(p.logits))
    t2 = where(q.probs == 1, math.inf, t2)
    t2 = where(p.probs == 1, 0.0, t2)
    return t1 + t2
