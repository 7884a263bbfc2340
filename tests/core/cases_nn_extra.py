"""Op-table cases for the functionals added for ported tutorials: 1-D pooling,
adaptive max pooling, normalize / cosine_similarity / pairwise_distance, and kl_div.

Pooling inputs are random floats (ties have probability ~0); the 1-D wrappers record
the 2-D op on a unit-height view, so their recorded shape is not the output's (op=None).
kl_div's input holds log-probabilities and its target positive values (no log of 0).
"""

from __future__ import annotations

import warnings

import core.nn.functional  # noqa: F401 - makes core.nn available as an attribute
from tests.core.op_table import Arg, OpCase


def f(*shape, low=-2.0, high=2.0, grad=True) -> Arg:
    return Arg(shape, "float", low, high, grad)


def pos(*shape, grad=True) -> Arg:
    return f(*shape, low=0.1, high=1.0, grad=grad)


def case(name, fn, *args, op=None, **kw) -> OpCase:
    return OpCase(name, fn, args, op=op, **kw)


def F(lib):  # noqa: N802 - PyTorch's habitual alias
    return lib.nn.functional


def kl_div(lib, x, t, **kw):
    with warnings.catch_warnings():  # reduction='mean' warns, in both libraries
        warnings.simplefilter("ignore", UserWarning)
        return F(lib).kl_div(x, t, **kw)


POOL = [
    case("max_pool1d/basic", lambda lib, x: F(lib).max_pool1d(x, 2), f(2, 3, 6)),
    case(
        "max_pool1d/stride_pad_dilation",
        lambda lib, x: F(lib).max_pool1d(x, 3, stride=2, padding=1, dilation=1),
        f(2, 2, 7),
    ),
    case(
        "max_pool1d/indices_ceil_unbatched",
        lambda lib, x: F(lib).max_pool1d(x, 2, ceil_mode=True, return_indices=True),
        f(3, 7),
    ),
    case("avg_pool1d/basic", lambda lib, x: F(lib).avg_pool1d(x, 3), f(2, 3, 6)),
    case(
        "avg_pool1d/pad_exclude",
        lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1, count_include_pad=False),
        f(2, 2, 7),
    ),
    case("adaptive_avg_pool1d", lambda lib, x: F(lib).adaptive_avg_pool1d(x, 3), f(2, 3, 7)),
    case(
        "adaptive_max_pool2d/uneven",
        lambda lib, x: F(lib).adaptive_max_pool2d(x, (3, 2)),
        f(2, 2, 5, 7),
        op="AdaptiveMaxPool2d",
    ),
    case(
        "adaptive_max_pool2d/even_indices",
        lambda lib, x: F(lib).adaptive_max_pool2d(x, 2, return_indices=True),
        f(2, 2, 4, 6),
        op="AdaptiveMaxPool2d",
    ),
    case(
        "adaptive_max_pool2d/upsample_overlap",  # output larger than input: bins overlap
        lambda lib, x: F(lib).adaptive_max_pool2d(x, (5, 4), return_indices=True),
        f(2, 3, 3),
        op="AdaptiveMaxPool2d",
    ),
    case(
        "adaptive_max_pool2d/none_global",
        lambda lib, x: F(lib).adaptive_max_pool2d(x, (None, 1)),
        f(2, 3, 4, 5),
        op="AdaptiveMaxPool2d",
    ),
    case(
        "adaptive_max_pool1d",
        lambda lib, x: F(lib).adaptive_max_pool1d(x, 4, return_indices=True),
        f(2, 3, 9),
    ),
    case("adaptive_max_pool1d/unbatched", lambda lib, x: F(lib).adaptive_max_pool1d(x, 2), f(3, 5)),
]

DISTANCE = [
    case("normalize/default", lambda lib, x: F(lib).normalize(x), f(3, 4, 2)),
    case("normalize/p1_last", lambda lib, x: F(lib).normalize(x, p=1.0, dim=-1), f(3, 4)),
    case(
        "normalize/zero_row",  # clamped by eps: the zero vector stays zero
        lambda lib, x: F(lib).normalize(
            x * (lib.arange(3, device=x.device) > 0).to(x.dtype).unsqueeze(1), dim=1
        ),
        f(3, 4),
    ),
    case(
        "cosine_similarity/broadcast",
        lambda lib, x, y: F(lib).cosine_similarity(x, y),
        f(3, 4, 2),
        f(4, 1),
    ),
    case(
        "cosine_similarity/last_dim",
        lambda lib, x, y: F(lib).cosine_similarity(x, y, dim=-1, eps=1e-6),
        f(3, 5),
        f(3, 5),
    ),
    case("pairwise_distance", lambda lib, x, y: F(lib).pairwise_distance(x, y), f(4, 3), f(4, 3)),
    case(
        "pairwise_distance/p1_keepdim_broadcast",
        lambda lib, x, y: F(lib).pairwise_distance(x, y, p=1.0, keepdim=True),
        f(4, 3),
        f(3),
    ),
]

KL = [
    case(
        f"kl_div/{reduction}",
        lambda lib, x, t, r=reduction: kl_div(lib, x, t, reduction=r),
        f(4, 5, low=-3.0, high=-0.1),
        pos(4, 5),
        op="KlDiv",
        f32_tol=(1e-4, 1e-4),
    )
    for reduction in ("mean", "batchmean", "sum", "none")
] + [
    case(
        "kl_div/log_target",
        lambda lib, x, t: kl_div(lib, x, t, reduction="batchmean", log_target=True),
        f(3, 4, low=-3.0, high=-0.1),
        f(3, 4, low=-3.0, high=-0.1),
        op="KlDiv",
    ),
    case(
        "kl_div/broadcast_target_no_grad",
        lambda lib, x, t: kl_div(lib, x, t, reduction="sum"),
        f(3, 4, low=-3.0, high=-0.1),
        pos(4, grad=False),
        op="KlDiv",
        f32_tol=(1e-4, 1e-4),
    ),
]

CASES: list[OpCase] = POOL + DISTANCE + KL
