"""Op-table cases for ``core.nn.functional``: activations, softmax, losses, normalisation,
embedding and one_hot.

Float inputs stay away from kinks (relu and friends at their corners, l1 at d=0,
smooth_l1 at |d|=beta: a uniform draw lands within gradcheck's eps of one with
probability ~1e-6). Class targets are "int" args in [0, C) or "fixed" arrays (with
ignored entries); probability targets and running statistics are "float" args so
that they follow the case's dtype. Weights of cross_entropy, nll_loss and the binary
losses have grad=False: PyTorch refuses weights that require grad there. dropout is
random, so it is tested in test_functional.py instead.
"""

from __future__ import annotations

import numpy as np

import core.nn.functional  # noqa: F401 - makes core.nn available as an attribute
from tests.core.op_table import Arg, OpCase


def f(*shape, low=-2.0, high=2.0, grad=True) -> Arg:
    """A float input."""
    return Arg(shape, "float", low, high, grad)


def const(*shape, low=0.2, high=2.0) -> Arg:
    """A float input that does not require grad (class weights, running statistics)."""
    return f(*shape, low=low, high=high, grad=False)


def prob(*shape) -> Arg:
    """A float in (0, 1): probabilities and binary targets."""
    return f(*shape, low=0.05, high=0.95)


def idx(*shape, high) -> Arg:
    """Integer class indices in [0, high)."""
    return Arg(shape, "int", 0, high)


def fixed(value) -> Arg:
    arr = np.array(value, dtype=np.int64)
    return Arg(arr.shape, "fixed", value=arr)


def case(name, fn, *args, op=None, **kw) -> OpCase:
    return OpCase(name, fn, args, op=op, **kw)


def F(lib):  # noqa: N802 - PyTorch's habitual alias
    return lib.nn.functional


LOSS_TOL = {"f32_tol": (1e-4, 1e-4)}
# targets with ignored entries (-100, or 1 for ignore_index=1)
IGNORED = fixed([0, -100, 2, 3, -100])
IGNORED_1 = fixed([0, 1, 2, 1, 3])

ACTIVATIONS = [
    case("relu/basic", lambda lib, x: F(lib).relu(x), f(3, 4), op="Relu"),
    case("relu/inplace", lambda lib, x: F(lib).relu(x * 1.5, inplace=True), f(3, 4), op="Relu"),
    case("relu6/basic", lambda lib, x: F(lib).relu6(x), f(3, 4, low=-2, high=8), op="Hardtanh"),
    case(
        "hardtanh/range",
        lambda lib, x: F(lib).hardtanh(x, -0.5, 1.5),
        f(3, 4),
        op="Hardtanh",
    ),
    case("leaky_relu/default", lambda lib, x: F(lib).leaky_relu(x), f(3, 4), op="LeakyRelu"),
    case(
        "leaky_relu/slope",
        lambda lib, x: F(lib).leaky_relu(x, negative_slope=0.2),
        f(2, 3, 2),
        op="LeakyRelu",
    ),
    case(
        "leaky_relu/inplace",
        lambda lib, x: F(lib).leaky_relu(x + 0.0, 0.1, inplace=True),
        f(3, 4),
        op="LeakyRelu",
    ),
    case("elu/default", lambda lib, x: F(lib).elu(x), f(3, 4), op="Elu"),
    case("elu/alpha", lambda lib, x: F(lib).elu(x, alpha=0.5), f(3, 4), op="Elu"),
    case("elu/inplace", lambda lib, x: F(lib).elu(x * 2, inplace=True), f(3, 4), op="Elu"),
    case("gelu/exact", lambda lib, x: F(lib).gelu(x), f(3, 4, low=-4, high=4), op="Gelu"),
    case(
        "gelu/tanh",
        lambda lib, x: F(lib).gelu(x, approximate="tanh"),
        f(3, 4, low=-4, high=4),
        op="Gelu",
    ),
    case("silu/basic", lambda lib, x: F(lib).silu(x), f(3, 4, low=-5, high=5), op="Silu"),
    case(
        "softplus/default",
        lambda lib, x: F(lib).softplus(x),
        f(3, 4, low=-5, high=5),
        op="Softplus",
    ),
    case(
        "softplus/beta_threshold",
        lambda lib, x: F(lib).softplus(x, beta=2.0, threshold=3.0),
        f(3, 4, low=-4, high=4),
        op="Softplus",
    ),
    case("sigmoid/functional", lambda lib, x: F(lib).sigmoid(x), f(3, 4), op="Sigmoid"),
    case("tanh/functional", lambda lib, x: F(lib).tanh(x), f(3, 4), op="Tanh"),
    case("softmax/dim0", lambda lib, x: F(lib).softmax(x, dim=0), f(3, 4), op="Softmax"),
    case("softmax/dim1", lambda lib, x: F(lib).softmax(x, dim=1), f(2, 3, 4), op="Softmax"),
    case("softmax/dim_last", lambda lib, x: F(lib).softmax(x, -1), f(2, 3, 4), op="Softmax"),
    case("softmax/1d", lambda lib, x: F(lib).softmax(x, 0), f(5, low=-5, high=5), op="Softmax"),
    case("log_softmax/dim1", lambda lib, x: F(lib).log_softmax(x, dim=1), f(4, 5), op="LogSoftmax"),
    case(
        "log_softmax/dim0",
        lambda lib, x: F(lib).log_softmax(x, dim=0),
        f(3, 2, 4),
        op="LogSoftmax",
    ),
    case(
        "log_softmax/dim_last",
        lambda lib, x: F(lib).log_softmax(x, dim=-1),
        f(2, 3, 4, low=-6, high=6),
        op="LogSoftmax",
    ),
    # numpy reduces short rows by shape (core.ops._util.amax/asum): 2 columns, <= 32
    # columns, more, and an innermost dim followed by a size-1 dim
    case("softmax/two_columns", lambda lib, x: F(lib).softmax(x, 1), f(40, 2), op="Softmax"),
    case(
        "log_softmax/two_columns",
        lambda lib, x: F(lib).log_softmax(x, 1),
        f(40, 2),
        op="LogSoftmax",
    ),
    case("softmax/many_columns", lambda lib, x: F(lib).softmax(x, 1), f(3, 40), op="Softmax"),
    case(
        "log_softmax/many_columns",
        lambda lib, x: F(lib).log_softmax(x, -1),
        f(3, 40),
        op="LogSoftmax",
    ),
    case("softmax/size1_after", lambda lib, x: F(lib).softmax(x, 1), f(4, 5, 1), op="Softmax"),
    case(
        "log_softmax/size1_after",
        lambda lib, x: F(lib).log_softmax(x, 1),
        f(4, 5, 1),
        op="LogSoftmax",
    ),
]

REGRESSION = [
    case("mse_loss/mean", lambda lib, x, y: F(lib).mse_loss(x, y), f(3, 4), f(3, 4), op="MseLoss"),
    case(
        "mse_loss/sum",
        lambda lib, x, y: F(lib).mse_loss(x, y, reduction="sum"),
        f(3, 4),
        f(3, 4),
        op="MseLoss",
    ),
    case(
        "mse_loss/none",
        lambda lib, x, y: F(lib).mse_loss(x, y, reduction="none"),
        f(2, 3, 2),
        f(2, 3, 2),
        op="MseLoss",
    ),
    case(
        "mse_loss/weight_mean",
        lambda lib, x, y, w: F(lib).mse_loss(x, y, weight=w),
        f(3, 4),
        f(3, 4),
        f(3, 4, low=0.1, high=2.0),
        op="MseLoss",
        **LOSS_TOL,
    ),
    case(
        "mse_loss/weight_sum",
        lambda lib, x, y, w: F(lib).mse_loss(x, y, reduction="sum", weight=w),
        f(3, 4),
        f(3, 4),
        f(3, 4, low=0.1, high=2.0),
        op="MseLoss",
        **LOSS_TOL,
    ),
    case("l1_loss/mean", lambda lib, x, y: F(lib).l1_loss(x, y), f(3, 4), f(3, 4), op="L1Loss"),
    case(
        "l1_loss/none",
        lambda lib, x, y: F(lib).l1_loss(x, y, reduction="none"),
        f(3, 4),
        f(3, 4),
        op="L1Loss",
    ),
    case(
        "l1_loss/weight_mean",
        lambda lib, x, y, w: F(lib).l1_loss(x, y, weight=w),
        f(3, 4),
        f(3, 4),
        f(3, 4, low=0.1, high=2.0),
        op="L1Loss",
        **LOSS_TOL,
    ),
    case(
        "smooth_l1_loss/default",
        lambda lib, x, y: F(lib).smooth_l1_loss(x, y),
        f(3, 4),
        f(3, 4),
        op="SmoothL1Loss",
    ),
    case(
        "smooth_l1_loss/beta_sum",
        lambda lib, x, y: F(lib).smooth_l1_loss(x, y, reduction="sum", beta=0.5),
        f(3, 4),
        f(3, 4),
        op="SmoothL1Loss",
    ),
    case(
        "smooth_l1_loss/beta_none",
        lambda lib, x, y: F(lib).smooth_l1_loss(x, y, reduction="none", beta=2.0),
        f(3, 4),
        f(3, 4),
        op="SmoothL1Loss",
    ),
    case(
        "smooth_l1_loss/beta0_is_l1",
        lambda lib, x, y: F(lib).smooth_l1_loss(x, y, beta=0.0),
        f(3, 4),
        f(3, 4),
        op="L1Loss",
    ),
    case(
        "huber_loss/delta",
        lambda lib, x, y: F(lib).huber_loss(x, y, delta=0.7),
        f(3, 4),
        f(3, 4),
        op="HuberLoss",
    ),
    case(
        "huber_loss/weight_mean",
        lambda lib, x, y, w: F(lib).huber_loss(x, y, delta=1.5, weight=w),
        f(3, 4),
        f(3, 4),
        f(3, 4, low=0.1, high=2.0),
        op="HuberLoss",
    ),
]


def ce(**kw):
    return lambda lib, x, t: F(lib).cross_entropy(x, t, **kw)


def ce_w(**kw):
    return lambda lib, x, t, w: F(lib).cross_entropy(x, t, weight=w, **kw)


CROSS_ENTROPY = [
    case("cross_entropy/mean", ce(), f(5, 4), idx(5, high=4), op="CrossEntropy"),
    case("cross_entropy/sum", ce(reduction="sum"), f(5, 4), idx(5, high=4), op="CrossEntropy"),
    case("cross_entropy/none", ce(reduction="none"), f(5, 4), idx(5, high=4), op="CrossEntropy"),
    case(
        "cross_entropy/weight_mean",
        ce_w(),
        f(5, 4),
        idx(5, high=4),
        const(4),
        op="CrossEntropy",
        **LOSS_TOL,
    ),
    case(
        "cross_entropy/weight_none",
        ce_w(reduction="none"),
        f(5, 4),
        idx(5, high=4),
        const(4),
        op="CrossEntropy",
    ),
    case("cross_entropy/ignore_index", ce(), f(5, 4), IGNORED, op="CrossEntropy"),
    case(
        "cross_entropy/ignore_index_none",
        ce(reduction="none"),
        f(5, 4),
        IGNORED,
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/ignore_index_custom_weight",
        ce_w(ignore_index=1),
        f(5, 4),
        IGNORED_1,
        const(4),
        op="CrossEntropy",
        **LOSS_TOL,
    ),
    case(
        "cross_entropy/label_smoothing",
        ce(label_smoothing=0.2),
        f(5, 4),
        idx(5, high=4),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/label_smoothing_weight_ignore",
        ce_w(label_smoothing=0.3),
        f(5, 4),
        IGNORED,
        const(4),
        op="CrossEntropy",
        **LOSS_TOL,
    ),
    case(
        "cross_entropy/label_smoothing_weight_ignore_sum",
        ce_w(label_smoothing=0.3, reduction="sum"),
        f(5, 4),
        IGNORED,
        const(4),
        op="CrossEntropy",
        **LOSS_TOL,
    ),
    case(
        "cross_entropy/label_smoothing_none",
        ce_w(label_smoothing=0.1, reduction="none"),
        f(5, 4),
        IGNORED,
        const(4),
        op="CrossEntropy",
    ),
    case("cross_entropy/probs", ce(), f(5, 4), prob(5, 4), op="CrossEntropy"),
    case(
        "cross_entropy/probs_none",
        ce(reduction="none"),
        f(3, 4),
        prob(3, 4),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/probs_weight_smoothing",
        ce_w(label_smoothing=0.2),
        f(4, 3),
        prob(4, 3),
        const(3),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/probs_kdim_sum",
        ce(reduction="sum"),
        f(2, 3, 4),
        prob(2, 3, 4),
        op="CrossEntropy",
    ),
    case("cross_entropy/kdim", ce(), f(2, 3, 4), idx(2, 4, high=3), op="CrossEntropy"),
    case(
        "cross_entropy/kdim2_weight_none",
        ce_w(reduction="none"),
        f(2, 3, 2, 3),
        idx(2, 2, 3, high=3),
        const(3),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/kdim_ignore_smoothing",
        ce(label_smoothing=0.1),
        f(2, 3, 3),
        fixed([[0, -100, 2], [1, 1, -100]]),
        op="CrossEntropy",
    ),
    case("cross_entropy/unbatched", ce(), f(5), fixed(3), op="CrossEntropy"),
    case(
        "cross_entropy/unbatched_none",
        ce(reduction="none", label_smoothing=0.1),
        f(5),
        fixed(1),
        op="CrossEntropy",
    ),
    case("cross_entropy/unbatched_probs", ce(), f(5), prob(5), op="CrossEntropy"),
    # the lean (N, C) path: class indices, no weight, no smoothing (ignored targets
    # present or not, ignore_index in [0, C) or not); two classes; more than 32
    case("cross_entropy/two_classes", ce(), f(48, 2), idx(48, high=2), op="CrossEntropy"),
    case(
        "cross_entropy/two_classes_sum",
        ce(reduction="sum"),
        f(40, 2),
        idx(40, high=2),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/two_classes_none",
        ce(reduction="none"),
        f(40, 2),
        idx(40, high=2),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/ignore_index_sum",
        ce(reduction="sum"),
        f(5, 4),
        IGNORED,
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/ignore_index_in_range",
        ce(ignore_index=1),
        f(5, 4),
        IGNORED_1,
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/ignore_index_in_range_none",
        ce(ignore_index=1, reduction="none"),
        f(5, 4),
        IGNORED_1,
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/ignore_index_in_range_absent",
        ce(ignore_index=3),
        f(5, 4),
        fixed([0, 1, 2, 1, 0]),
        op="CrossEntropy",
    ),
    case("cross_entropy/many_classes", ce(), f(3, 40), idx(3, high=40), op="CrossEntropy"),
    case(
        "cross_entropy/kdim_size1",
        ce(),
        f(4, 3, 1),
        idx(4, 1, high=3),
        op="CrossEntropy",
    ),
    case(
        "cross_entropy/large_logits",
        ce(),
        f(4, 3, low=-50, high=50),
        idx(4, high=3),
        op="CrossEntropy",
    ),
]


def nll(**kw):
    return lambda lib, x, t: F(lib).nll_loss(x, t, **kw)


NLL = [
    case("nll_loss/mean", nll(), f(5, 4), idx(5, high=4), op="NllLoss"),
    case("nll_loss/sum", nll(reduction="sum"), f(5, 4), idx(5, high=4), op="NllLoss"),
    case("nll_loss/none_ignore", nll(reduction="none"), f(5, 4), IGNORED, op="NllLoss"),
    case(
        "nll_loss/weight_ignore",
        lambda lib, x, t, w: F(lib).nll_loss(x, t, weight=w, ignore_index=1),
        f(5, 4),
        IGNORED_1,
        const(4),
        op="NllLoss",
    ),
    case("nll_loss/kdim", nll(), f(2, 3, 2, 2), idx(2, 2, 2, high=3), op="NllLoss"),
    case("nll_loss/unbatched", nll(), f(4), fixed(2), op="NllLoss"),
]

BINARY = [
    case(
        "binary_cross_entropy/mean",
        lambda lib, x, y: F(lib).binary_cross_entropy(x, y),
        prob(3, 4),
        prob(3, 4),
        op="BinaryCrossEntropy",
    ),
    case(
        "binary_cross_entropy/sum",
        lambda lib, x, y: F(lib).binary_cross_entropy(x, y, reduction="sum"),
        prob(3, 4),
        prob(3, 4),
        op="BinaryCrossEntropy",
    ),
    case(
        "binary_cross_entropy/weight_none",
        lambda lib, x, y, w: F(lib).binary_cross_entropy(x, y, weight=w, reduction="none"),
        prob(3, 4),
        prob(3, 4),
        const(4),
        op="BinaryCrossEntropy",
    ),
    case(
        "binary_cross_entropy_with_logits/mean",
        lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y),
        f(3, 4, low=-4, high=4),
        prob(3, 4),
        op="BinaryCrossEntropyWithLogits",
    ),
    case(
        "binary_cross_entropy_with_logits/pos_weight",
        lambda lib, x, y, pw: F(lib).binary_cross_entropy_with_logits(x, y, pos_weight=pw),
        f(3, 4, low=-4, high=4),
        prob(3, 4),
        const(4, low=0.5, high=3.0),
        op="BinaryCrossEntropyWithLogits",
    ),
    case(
        "binary_cross_entropy_with_logits/weight_pos_weight_none",
        lambda lib, x, y, w, pw: F(lib).binary_cross_entropy_with_logits(
            x, y, weight=w, pos_weight=pw, reduction="none"
        ),
        f(3, 4, low=-4, high=4),
        prob(3, 4),
        const(3, 1),
        const(4, low=0.5, high=3.0),
        op="BinaryCrossEntropyWithLogits",
    ),
    case(
        "binary_cross_entropy_with_logits/sum_large",
        lambda lib, x, y: F(lib).binary_cross_entropy_with_logits(x, y, reduction="sum"),
        f(3, 4, low=-40, high=40),
        prob(3, 4),
        op="BinaryCrossEntropyWithLogits",
    ),
]


def bn(training, **kw):
    return lambda lib, x, rm, rv, w, b: F(lib).batch_norm(x, rm, rv, w, b, training=training, **kw)


NORM = [
    case(
        "batch_norm/train_2d",
        bn(True),
        f(6, 3),
        const(3, low=-1),
        const(3),
        f(3),
        f(3),
        op="BatchNorm",
    ),
    case(
        "batch_norm/train_3d_momentum",
        bn(True, momentum=0.3, eps=1e-3),
        f(4, 3, 5),
        const(3, low=-1),
        const(3),
        f(3),
        f(3),
        op="BatchNorm",
    ),
    case(
        "batch_norm/train_4d_no_affine",
        lambda lib, x, rm, rv: F(lib).batch_norm(x, rm, rv, training=True),
        f(2, 3, 3, 3),
        const(3, low=-1),
        const(3),
        op="BatchNorm",
    ),
    case(
        "batch_norm/train_no_running_stats",
        lambda lib, x, w, b: F(lib).batch_norm(x, None, None, w, b, training=True),
        f(3, 2, 4),
        f(2),
        f(2),
        op="BatchNorm",
    ),
    case(
        "batch_norm/eval_4d",
        bn(False),
        f(2, 3, 2, 2),
        const(3, low=-1),
        const(3),
        f(3),
        f(3),
        op="BatchNorm",
    ),
    case(
        "batch_norm/eval_2d_weight_only",
        lambda lib, x, rm, rv, w: F(lib).batch_norm(x, rm, rv, w),
        f(4, 3),
        const(3, low=-1),
        const(3),
        f(3),
        op="BatchNorm",
    ),
    case(
        "layer_norm/affine",
        lambda lib, x, w, b: F(lib).layer_norm(x, (5,), w, b),
        f(3, 4, 5),
        f(5),
        f(5),
        op="LayerNorm",
    ),
    case(
        "layer_norm/two_dims",
        lambda lib, x, w, b: F(lib).layer_norm(x, [3, 4], w, b, eps=1e-3),
        f(2, 3, 4),
        f(3, 4),
        f(3, 4),
        op="LayerNorm",
    ),
    case(
        "layer_norm/no_affine",
        lambda lib, x: F(lib).layer_norm(x, (4,)),
        f(3, 4),
        op="LayerNorm",
    ),
    case(
        "group_norm/affine",
        lambda lib, x, w, b: F(lib).group_norm(x, 3, w, b),
        f(2, 6, 3),
        f(6),
        f(6),
        op="GroupNorm",
    ),
    case(
        "group_norm/no_affine_4d",
        lambda lib, x: F(lib).group_norm(x, 2, eps=1e-3),
        f(2, 4, 2, 2),
        op="GroupNorm",
    ),
    case(
        "group_norm/one_group",
        lambda lib, x, w: F(lib).group_norm(x, 1, w),
        f(3, 4),
        f(4),
        op="GroupNorm",
    ),
]

EMBEDDING = [
    case(
        "embedding/repeated",
        lambda lib, i, w: F(lib).embedding(i, w),
        idx(2, 5, high=6),
        f(6, 3),
        op="Embedding",
    ),
    # NOTE: padding rows get no gradient by design, which central differences cannot
    # see; the output at padding positions is masked out here, and test_functional.py
    # checks the zero gradient (and scale_grad_by_freq) against PyTorch directly.
    case(
        "embedding/padding_idx",
        lambda lib, i, w: F(lib).embedding(i, w, padding_idx=2) * (i != 2).unsqueeze(-1),
        fixed([[0, 2, 1], [2, 2, 4]]),
        f(5, 3),
        op="Embedding",
    ),
    case(
        "embedding/negative_padding_idx",
        lambda lib, i, w: F(lib).embedding(i, w, padding_idx=-1) * (i != 4).unsqueeze(-1),
        fixed([4, 0, 4, 1, 1]),
        f(5, 2),
        op="Embedding",
    ),
    case(
        "one_hot/inferred",
        lambda lib, t: F(lib).one_hot(t),
        idx(2, 3, high=5),
        op="one_hot",
        differentiable=False,
    ),
    case(
        "one_hot/num_classes",
        lambda lib, t: F(lib).one_hot(t, num_classes=6),
        idx(4, high=3),
        op="one_hot",
        differentiable=False,
    ),
]

LINEAR = [
    case(
        "linear/1d", lambda lib, x, w, b: F(lib).linear(x, w, b), f(3), f(4, 3), f(4), op="Linear"
    ),
    case(
        "linear/2d",
        lambda lib, x, w, b: F(lib).linear(x, w, b),
        f(5, 3),
        f(4, 3),
        f(4),
        op="Linear",
    ),
    case(
        "linear/3d",
        lambda lib, x, w, b: F(lib).linear(x, w, b),
        f(2, 3, 3),
        f(4, 3),
        f(4),
        op="Linear",
    ),
    case(
        "linear/4d-no-bias",
        lambda lib, x, w: F(lib).linear(x, w),
        f(2, 1, 3, 3),
        f(4, 3),
        op="Linear",
    ),
    case(
        "linear/3d-input-only",
        lambda lib, x, w: F(lib).linear(x, w),
        f(2, 2, 3),
        const(4, 3),
        op="Linear",
    ),
]

CASES: list[OpCase] = (
    LINEAR + ACTIVATIONS + REGRESSION + CROSS_ENTROPY + NLL + BINARY + NORM + EMBEDDING
)
