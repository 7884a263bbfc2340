"""Ember's define-by-run deep-learning engine, with PyTorch's names and semantics.

import core
x = core.randn(4, 3, requires_grad=True)
(x.relu() ** 2).sum().backward()
"""

from core.tensor import Tensor, device, from_numpy, tensor  # noqa: I001 - first: ops need it

from core import autograd, cuda, graph  # noqa: F401
from core.autograd import (
    Function,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from core.backend import DeviceError
from core.dtypes import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)
from core.factories import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    zeros,
    zeros_like,
)
from core.ops import (
    abs,
    add,
    all,
    amax,
    any,
    argmax,
    argmin,
    argsort,
    bitwise_and,
    bitwise_not,
    bitwise_or,
    bitwise_xor,
    bmm,
    broadcast_to,
    cat,
    ceil,
    chunk,
    clamp,
    clip,
    concat,
    concatenate,
    cos,
    cumsum,
    div,
    dot,
    einsum,
    erf,
    exp,
    expm1,
    flatten,
    flip,
    floor,
    floor_divide,
    gather,
    index_select,
    log,
    log1p,
    log_softmax,
    logsumexp,
    masked_fill,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    narrow,
    neg,
    nonzero,
    norm,
    outer,
    permute,
    pow,
    prod,
    relu,
    remainder,
    repeat,
    reshape,
    round,
    rsqrt,
    scatter,
    scatter_add,
    select,
    sigmoid,
    sign,
    sin,
    softmax,
    sort,
    split,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sub,
    sum,
    t,
    tanh,
    topk,
    transpose,
    tril,
    triu,
    trunc,
    unbind,
    unsqueeze,
    var,
    where,
)
from core.ops.extra import (
    broadcast_shapes,
    broadcast_tensors,
    clamp_max,
    clamp_min,
    cumprod,
    diag,
    isclose,
    log2,
    log10,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    masked_select,
    repeat_interleave,
    roll,
    tile,
)
from core.ops.sampling import bernoulli, multinomial
from core.random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from core.size import Size

__version__ = "0.1.0"


def is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    return input.numel()


def get_default_dtype():
    return float32


def expand(input: Tensor, *sizes) -> Tensor:
    return input.expand(*sizes)


def allclose(input: Tensor, other: Tensor, rtol=1e-05, atol=1e-08, equal_nan=False):
    return input.allclose(other, rtol, atol, equal_nan)


def isnan(input: Tensor) -> Tensor:
    return input.isnan()


def isfinite(input: Tensor) -> Tensor:
    return input.isfinite()


def clone(input: Tensor) -> Tensor:
    return input.clone()


def detach(input: Tensor) -> Tensor:
    return input.detach()


def eq(input, other):
    return input == other


def equal(input: Tensor, other: Tensor):
    return input.equal(other)


import core.datasets  # noqa: E402 - core.datasets / core.utils.data as attributes, as in torch
import core.distributions  # noqa: E402, F401 - core.distributions as an attribute, as in torch
import core.nn  # noqa: E402, F401 - core.nn.functional as an attribute, as torch.nn is
import core.optim  # noqa: E402, F401 - core.optim as an attribute, as torch.optim is
import core.utils  # noqa: E402
from core.serialization import load, save  # noqa: E402
