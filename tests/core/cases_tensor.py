"""Op-table cases for the tensor-level ops: ``core.add`` ... ``core.matmul``, Tensor methods,
operators and indexing.

Binary ops use broadcasting shapes; inputs stay away from poles and kinks (log/sqrt/div
on positive values; the chance that a uniform draw lands within gradcheck's eps of a
kink of abs/relu/clamp/max, or of a tie, is ~1e-6 per element).
"""

from __future__ import annotations

import numpy as np

from tests.core.op_table import Arg, OpCase


def f(*shape, low=-2.0, high=2.0, grad=True) -> Arg:
    """A float input."""
    return Arg(shape, "float", low, high, grad)


def pos(*shape) -> Arg:
    """A float input in [0.5, 2): the domain of log, sqrt, and of divisors."""
    return f(*shape, low=0.5, high=2.0)


def exact(values) -> Arg:
    """A float input with exactly these values (zeros, extremes)."""
    return Arg(np.shape(values), "float", value=np.array(values, dtype=np.float64))


def idx(*shape, high) -> Arg:
    """Integer indices in [0, high); more draws than values guarantees repeats."""
    return Arg(shape, "int", 0, high)


def mask(*shape) -> Arg:
    return Arg(shape, "bool")


def case(name, fn, *args, op=None, **kw) -> OpCase:
    return OpCase(name, fn, args, op=op, **kw)


NO_GRAD = {"differentiable": False}

CASES: list[OpCase] = [
    # -- binary arithmetic, broadcasting ------------------------------------------------
    case("add/broadcast", lambda lib, x, y: lib.add(x, y), f(3, 1, 4), f(2, 4), op="Add"),
    case("add/alpha", lambda lib, x, y: lib.add(x, y, alpha=2.5), f(2, 3), f(3), op="Add"),
    case("add/operator", lambda lib, x, y: x + y, f(4, 1), f(3), op="Add"),
    case("add/0d", lambda lib, x, y: x + y, f(), f(2, 3), op="Add"),
    case("sub/broadcast", lambda lib, x, y: lib.sub(x, y), f(2, 4), f(3, 1, 4), op="Sub"),
    case("sub/alpha", lambda lib, x, y: x.sub(y, alpha=-0.5), f(3, 1), f(1, 4), op="Sub"),
    case("sub/operator", lambda lib, x, y: x - y, f(1, 3), f(2, 1), op="Sub"),
    case("mul/broadcast", lambda lib, x, y: lib.mul(x, y), f(3, 1, 4), f(2, 4), op="Mul"),
    case("mul/operator", lambda lib, x, y: x * y, f(2, 1, 3), f(4, 1), op="Mul"),
    case("mul/same", lambda lib, x: x * x, f(3, 4), op="Mul"),
    case("div/broadcast", lambda lib, x, y: lib.div(x, y), f(3, 1, 4), pos(2, 4), op="Div"),
    case("div/operator", lambda lib, x, y: x / y, f(2, 4), pos(3, 1, 1), op="Div"),
    case("pow/tensor_tensor", lambda lib, x, y: x**y, pos(3, 1, 4), f(2, 4), op="Pow"),
    case("pow/fn", lambda lib, x, y: lib.pow(x, y), pos(2, 3), f(3), op="Pow"),
    case("pow/int_exponent", lambda lib, x: x**3, f(3, 4), op="Pow"),
    case("pow/square", lambda lib, x: lib.pow(x, 2), f(3, 4), op="Pow"),
    case("pow/float_exponent", lambda lib, x: x**2.5, pos(3, 4), op="Pow"),
    case("pow/negative_exponent", lambda lib, x: x**-1.5, pos(3, 4), op="Pow"),
    case("pow/scalar_base", lambda lib, x: 2.0**x, f(3, 4), op="Pow"),
    case("pow/scalar_base_fn", lambda lib, x: lib.pow(1.5, x), f(2, 3), op="Pow"),
    case("pow/0d_exponent", lambda lib, x, y: x**y, pos(3, 4), f(), op="Pow"),
    # -- reflected scalar forms ---------------------------------------------------------
    case("radd/scalar", lambda lib, x: 2.0 + x, f(3, 4), op="Add"),
    case("add/scalar", lambda lib, x: x + 3, f(3, 4), op="Add"),
    case("rsub/scalar", lambda lib, x: 3.0 - x, f(3, 4), op="Sub"),
    case("sub/scalar", lambda lib, x: x - 1.5, f(3, 4), op="Sub"),
    case("rmul/scalar", lambda lib, x: 2 * x, f(3, 4), op="Mul"),
    case("mul/scalar", lambda lib, x: x * -0.5, f(3, 4), op="Mul"),
    case("rdiv/scalar", lambda lib, x: 1.0 / x, pos(3, 4), op="Div"),
    case("div/scalar", lambda lib, x: x / 4, f(3, 4), op="Div"),
    case("remainder/broadcast", lambda lib, x, y: x % y, f(3, 1, 4), pos(2, 4), op="Remainder"),
    case("remainder/scalar", lambda lib, x: lib.remainder(x, 0.7), f(2, 3), op="Remainder"),
    # -- unary math ---------------------------------------------------------------------
    case("neg/fn", lambda lib, x: lib.neg(x), f(3, 4), op="Neg"),
    case("neg/operator", lambda lib, x: -x, f(3, 4), op="Neg"),
    case("exp", lambda lib, x: lib.exp(x), f(3, 4), op="Exp"),
    case("log", lambda lib, x: lib.log(x), pos(3, 4), op="Log"),
    case("sqrt", lambda lib, x: x.sqrt(), pos(3, 4), op="Sqrt"),
    case("rsqrt", lambda lib, x: lib.rsqrt(x), pos(3, 4), torch_tol=(1e-12, 1e-12)),
    case("square", lambda lib, x: lib.square(x), f(3, 4), op="Mul"),
    case("abs/fn", lambda lib, x: lib.abs(x), f(3, 4), op="Abs"),
    case("abs/builtin", lambda lib, x: abs(x), f(3, 4), op="Abs"),
    case("sign", lambda lib, x: lib.sign(x), f(3, 4), op="Sign"),
    case("sin", lambda lib, x: lib.sin(x), f(3, 4), op="Sin"),
    case("cos", lambda lib, x: x.cos(), f(3, 4), op="Cos"),
    case("tanh", lambda lib, x: lib.tanh(x), f(3, 4), op="Tanh"),
    case("sigmoid", lambda lib, x: lib.sigmoid(x), f(3, 4, low=-6, high=6), op="Sigmoid"),
    case(
        "sigmoid/extremes",
        lambda lib, x: lib.sigmoid(x),
        exact([-800.0, -40.0, -0.3, 0.0, 0.3, 40.0, 800.0]),
        op="Sigmoid",
    ),
    case("relu", lambda lib, x: lib.relu(x), f(3, 4), op="Relu"),
    case("clamp/both", lambda lib, x: lib.clamp(x, -0.5, 0.8), f(3, 4), op="Clamp"),
    case("clamp/min", lambda lib, x: lib.clamp(x, min=-0.3), f(3, 4), op="Clamp"),
    case("clamp/max", lambda lib, x: x.clamp(max=0.3), f(3, 4), op="Clamp"),
    case("clip", lambda lib, x: lib.clip(x, -1, 1), f(3, 4), op="Clamp"),
    case(
        "clamp/tensor_bounds",
        lambda lib, x, lo, hi: lib.clamp(x, lo, hi),
        f(3, 4),
        f(1, 4, low=-1.0, high=0.0),
        f(3, 1, low=0.0, high=1.0),
        op="Minimum",
    ),
    case("clamp/tensor_min", lambda lib, x, lo: x.clamp(min=lo), f(3, 4), f(4), op="Maximum"),
    case("maximum", lambda lib, x, y: lib.maximum(x, y), f(3, 1, 4), f(2, 4), op="Maximum"),
    case("minimum", lambda lib, x, y: lib.minimum(x, y), f(2, 4), f(3, 1, 4), op="Minimum"),
    case("max/binary", lambda lib, x, y: lib.max(x, y), f(3, 4), f(4), op="Maximum"),
    case("min/binary", lambda lib, x, y: lib.min(x, y), f(3, 1), f(4), op="Minimum"),
    case(
        "where/broadcast",
        lambda lib, c, x, y: lib.where(c, x, y),
        mask(3, 1, 4),
        f(2, 4),
        f(3, 1, 1),
        op="Where",
    ),
    case("where/scalar", lambda lib, c, x: lib.where(c, x, 0.5), mask(3, 4), f(4), op="Where"),
    case("where/method", lambda lib, c, x, y: x.where(c, y), mask(4), f(3, 4), f(3, 1), op="Where"),
    case(
        "masked_fill/broadcast",
        lambda lib, x, m: lib.masked_fill(x, m, -1.0),
        f(3, 4),
        mask(4),
        op="Where",
    ),
    case("masked_fill/method", lambda lib, x, m: x.masked_fill(m, 0), f(2, 3, 4), mask(3, 1)),
    # -- reductions ---------------------------------------------------------------------
    case("sum/all", lambda lib, x: lib.sum(x), f(2, 3, 4), op="Sum"),
    case("sum/dim", lambda lib, x: x.sum(1), f(2, 3, 4), op="Sum"),
    case("sum/neg_dim_keepdim", lambda lib, x: x.sum(-1, keepdim=True), f(2, 3, 4), op="Sum"),
    case("sum/tuple_dims", lambda lib, x: lib.sum(x, (0, 2)), f(2, 3, 4), op="Sum"),
    case("sum/tuple_keepdim", lambda lib, x: x.sum((2, 0), True), f(2, 3, 4), op="Sum"),
    case("mean/all", lambda lib, x: lib.mean(x), f(2, 3, 4), op="Mean"),
    case("mean/dim", lambda lib, x: x.mean(0), f(2, 3, 4), op="Mean"),
    case("mean/tuple_keepdim", lambda lib, x: x.mean((-1, 1), keepdim=True), f(2, 3, 4)),
    case("var/all", lambda lib, x: lib.var(x), f(2, 3, 4), op="Var"),
    case("var/dim", lambda lib, x: x.var(1), f(2, 3, 4), op="Var"),
    case(
        "var/correction0_tuple_keepdim",
        lambda lib, x: lib.var(x, (0, 2), correction=0, keepdim=True),
        f(2, 3, 4),
        op="Var",
    ),
    case("var/correction2", lambda lib, x: x.var(-1, correction=2), f(3, 5), op="Var"),
    case("var/unbiased_false", lambda lib, x: lib.var(x, 0, unbiased=False), f(3, 4), op="Var"),
    case("std/all", lambda lib, x: lib.std(x), f(3, 4), op="Std"),
    case("std/dim_keepdim", lambda lib, x: x.std(1, keepdim=True), f(2, 3, 4), op="Std"),
    case("std/correction0", lambda lib, x: lib.std(x, (0, 1), correction=0), f(2, 3, 4)),
    case("std/correction2", lambda lib, x: x.std(0, correction=2), f(5, 3), op="Std"),
    case("std/unbiased_false", lambda lib, x: lib.std(x, -1, unbiased=False), f(3, 4)),
    case(  # a constant row: std 0, gradient 0 (not nan)
        "std/constant_row",
        lambda lib, x: x.std(1),
        exact([[0.5, 0.5, 0.5], [0.1, -0.4, 1.2]]),
        op="Std",
    ),
    case("max/all", lambda lib, x: lib.max(x), f(3, 4), op="MaxMin"),
    case("max/dim", lambda lib, x: lib.max(x, 1), f(2, 3, 4), op="MaxMin"),
    case("max/dim_keepdim", lambda lib, x: x.max(0, keepdim=True), f(3, 4), op="MaxMin"),
    case("max/neg_dim_kw", lambda lib, x: x.max(dim=-1), f(2, 3, 4), op="MaxMin"),
    case("max/values", lambda lib, x: lib.max(x, 1).values, f(3, 4), op="MaxMin"),
    case("min/all", lambda lib, x: x.min(), f(3, 4), op="MaxMin"),
    case("min/dim", lambda lib, x: lib.min(x, 0), f(3, 4), op="MaxMin"),
    case("min/dim_keepdim", lambda lib, x: x.min(-1, True), f(2, 3, 4), op="MaxMin"),
    case("amax/dims", lambda lib, x: lib.amax(x, (0, 2)), f(2, 3, 4), op="MaxMin"),
    case("amax/dim_keepdim", lambda lib, x: x.amax(-1, keepdim=True), f(3, 4), op="MaxMin"),
    case("amax/all", lambda lib, x: lib.amax(x), f(3, 4), op="MaxMin"),
    case("argmax/all", lambda lib, x: lib.argmax(x), f(3, 4), op="argmax", **NO_GRAD),
    case("argmax/dim", lambda lib, x: x.argmax(1), f(2, 3, 4), op="argmax", **NO_GRAD),
    case(
        "argmax/keepdim",
        lambda lib, x: lib.argmax(x, -1, keepdim=True),
        f(3, 4),
        op="argmax",
        **NO_GRAD,
    ),
    case("argmin/all", lambda lib, x: x.argmin(), f(3, 4), op="argmin", **NO_GRAD),
    case("argmin/dim", lambda lib, x: lib.argmin(x, 0), f(3, 4), op="argmin", **NO_GRAD),
    case("logsumexp/dim", lambda lib, x: lib.logsumexp(x, 1), f(2, 3, 4), op="LogSumExp"),
    case(
        "logsumexp/tuple_keepdim",
        lambda lib, x: x.logsumexp((0, -1), keepdim=True),
        f(2, 3, 4, low=-5, high=5),
        op="LogSumExp",
    ),
    case("cumsum/dim0", lambda lib, x: lib.cumsum(x, 0), f(3, 4), op="Cumsum"),
    case("cumsum/neg_dim", lambda lib, x: x.cumsum(-1), f(2, 3, 4), op="Cumsum"),
    case("prod/all", lambda lib, x: lib.prod(x), f(2, 3, low=0.5, high=1.5), op="Prod"),
    case("prod/dim", lambda lib, x: x.prod(1), f(2, 4, 3), op="Prod"),
    case("prod/keepdim", lambda lib, x: lib.prod(x, -1, keepdim=True), f(3, 4)),
    case(  # the gradient at a zero is the product of the others; two zeros give zeros
        "prod/zeros",
        lambda lib, x: x.prod(1),
        exact([[1.5, 0.0, -2.0, 0.5], [0.0, 1.2, 0.0, 0.8], [0.3, -1.1, 0.9, 1.4]]),
        op="Prod",
    ),
    case("prod/empty_dim", lambda lib, x: lib.prod(x, 0), f(0, 3), op="Prod"),
    # -- a 0-d tensor's dim 0 (or -1) is the tensor itself ------------------------------
    case("sum/0d_dim", lambda lib, x: x.sum(0), f(), op="Sum"),
    case("mean/0d_neg_dim_keepdim", lambda lib, x: x.mean(-1, keepdim=True), f(), op="Mean"),
    case("max/0d_dim", lambda lib, x: lib.max(x, 0), f(), op="MaxMin"),
    case("logsumexp/0d", lambda lib, x: lib.logsumexp(x, 0), f(), op="LogSumExp"),
    case("cumsum/0d", lambda lib, x: x.cumsum(0), f()),
    case("flip/0d", lambda lib, x: lib.flip(x, (0,)), f()),
    case(
        "logsumexp/minus_inf",
        lambda lib, x: lib.logsumexp(x, 1),
        exact([[-np.inf, 0.5, 1.0], [-np.inf, -np.inf, -3.0]]),
        op="LogSumExp",
    ),
    # -- comparisons and other ops without gradients ------------------------------------
    case("gt/broadcast", lambda lib, x, y: x > y, f(3, 1, 4), f(2, 4), op="greater", **NO_GRAD),
    case("le/scalar", lambda lib, x: x <= 0.5, f(3, 4), op="less_equal", **NO_GRAD),
    case("ne/tensor", lambda lib, x, y: x != y, f(3, 4), f(4), op="not_equal", **NO_GRAD),
    case("nonzero", lambda lib, x: lib.nonzero(x > 0), f(3, 4), **NO_GRAD),
    # -- shapes -------------------------------------------------------------------------
    case("reshape/fn", lambda lib, x: lib.reshape(x, (4, 6)), f(2, 3, 4), op="Reshape"),
    case("reshape/method_infer", lambda lib, x: x.reshape(-1, 3), f(2, 3, 4), op="Reshape"),
    case(
        "view/varargs",
        lambda lib, x: x.view(2, -1),
        f(2, 3, 4),
        op="Reshape",
        contiguous_only=True,
    ),
    case("view_as", lambda lib, x, y: x.view_as(y), f(2, 6), f(3, 4, grad=False), op="Reshape"),
    case("flatten/all", lambda lib, x: lib.flatten(x), f(2, 3, 4), op="Reshape"),
    case("flatten/start", lambda lib, x: x.flatten(1), f(2, 3, 4), op="Reshape"),
    case("flatten/range", lambda lib, x: lib.flatten(x, 0, -2), f(2, 3, 4), op="Reshape"),
    case("squeeze/all", lambda lib, x: x.squeeze(), f(3, 1, 4, 1), op="Reshape"),
    case("squeeze/dim", lambda lib, x: lib.squeeze(x, 1), f(3, 1, 4, 1), op="Reshape"),
    case("squeeze/dims", lambda lib, x: lib.squeeze(x, (1, -1)), f(1, 3, 1, 4, 1)),
    case("unsqueeze/front", lambda lib, x: lib.unsqueeze(x, 0), f(3, 4), op="Reshape"),
    case("unsqueeze/neg", lambda lib, x: x.unsqueeze(-1), f(3, 4), op="Reshape"),
    case("transpose/fn", lambda lib, x: lib.transpose(x, 0, 2), f(2, 3, 4), op="Permute"),
    case("transpose/neg", lambda lib, x: x.transpose(-1, -2), f(2, 3, 4), op="Permute"),
    case("permute/fn", lambda lib, x: lib.permute(x, (1, 0, 2)), f(2, 3, 4), op="Permute"),
    case("permute/varargs", lambda lib, x: x.permute(2, 0, 1), f(2, 3, 4), op="Permute"),
    case("t/method", lambda lib, x: x.t(), f(3, 4), op="Permute"),
    case("t/fn", lambda lib, x: lib.t(x), f(2, 5), op="Permute"),
    case("T", lambda lib, x: x.T, f(3, 4), op="Permute"),
    case("mT", lambda lib, x: x.mT, f(2, 3, 4), op="Permute"),
    case("expand/new_dims", lambda lib, x: x.expand(2, 3, 4), f(3, 1), op="Expand"),
    case("expand/keep", lambda lib, x: x.expand(-1, 4), f(3, 1), op="Expand"),
    case("expand_as", lambda lib, x, y: x.expand_as(y), f(4), f(2, 3, 4, grad=False)),
    case("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3, 4)), f(1, 4), op="Expand"),
    case("repeat/same_ndim", lambda lib, x: x.repeat(2, 3), f(2, 3), op="Repeat"),
    case("repeat/new_dims", lambda lib, x: x.repeat(2, 1, 2), f(3, 2), op="Repeat"),
    case("cat/dim1", lambda lib, x, y: lib.cat([x, y], 1), f(2, 3), f(2, 4), op="Cat"),
    case(
        "cat/three_neg_dim",
        lambda lib, x, y, z: lib.cat((x, y, z), dim=-1),
        f(2, 3, 1),
        f(2, 3, 2),
        f(2, 3, 3),
        op="Cat",
    ),
    case("stack/dim0", lambda lib, x, y: lib.stack([x, y]), f(3, 4), f(3, 4), op="Stack"),
    case("stack/neg_dim", lambda lib, x, y: lib.stack((x, y), -1), f(3, 4), f(3, 4), op="Stack"),
    case("split/uneven", lambda lib, x: lib.split(x, 2, 1), f(3, 5), op="Split"),
    case("split/sizes", lambda lib, x: x.split([1, 3], dim=0), f(4, 3), op="Split"),
    case("chunk", lambda lib, x: lib.chunk(x, 3, 1), f(2, 6), op="Split"),
    case("chunk/uneven", lambda lib, x: x.chunk(2, -1), f(3, 5), op="Split"),
    case("unbind", lambda lib, x: lib.unbind(x, 1), f(2, 3, 4), op="Reshape"),
    case("flip/dims", lambda lib, x: lib.flip(x, (0, 2)), f(2, 3, 4), op="Flip"),
    case("flip/method", lambda lib, x: x.flip(-1), f(3, 4), op="Flip"),
    case("select", lambda lib, x: x.select(1, 2), f(2, 3, 4), op="GetItem"),
    case("select/neg", lambda lib, x: lib.select(x, -1, -1), f(2, 3, 4), op="GetItem"),
    case("narrow", lambda lib, x: lib.narrow(x, 1, 1, 2), f(2, 4, 3), op="GetItem"),
    case("narrow/method", lambda lib, x: x.narrow(0, 0, 1), f(3, 4), op="GetItem"),
    case("narrow/neg_start", lambda lib, x: lib.narrow(x, 1, -3, 2), f(2, 4), op="GetItem"),
    # -- indexing -----------------------------------------------------------------------
    case("getitem/int", lambda lib, x: x[1], f(3, 4), op="GetItem"),
    case("getitem/neg_int", lambda lib, x: x[-1, -2], f(3, 4), op="GetItem"),
    case("getitem/slices_steps", lambda lib, x: x[1::2, ::3], f(5, 7), op="GetItem"),
    case("getitem/neg_slice", lambda lib, x: x[-3:-1, :-1], f(4, 5), op="GetItem"),
    case("getitem/none", lambda lib, x: x[None, :, 1], f(3, 4), op="GetItem"),
    case("getitem/ellipsis", lambda lib, x: x[..., 0], f(2, 3, 4), op="GetItem"),
    case("getitem/ellipsis_none", lambda lib, x: x[1, ..., None], f(2, 3, 4), op="GetItem"),
    case("getitem/bool_mask", lambda lib, x, m: x[m], f(3, 4), mask(3, 4), op="GetItem"),
    case("getitem/bool_rows", lambda lib, x, m: x[m], f(4, 3), mask(4), op="GetItem"),
    case("getitem/int_array", lambda lib, x, i: x[i], f(3, 4), idx(7, high=3), op="GetItem"),
    case("getitem/int_array_2d", lambda lib, x, i: x[i], f(3, 2), idx(2, 4, high=3)),
    case("getitem/int_cols", lambda lib, x, i: x[:, i], f(2, 3), idx(5, high=3), op="GetItem"),
    case(
        "getitem/int_pairs",
        lambda lib, x, i, j: x[i, j],
        f(3, 4),
        idx(6, high=2),
        idx(6, high=2),
        op="GetItem",
    ),
    case("getitem/list", lambda lib, x: x[[0, 2, 0, 0]], f(3, 4), op="GetItem"),
    # -- linear algebra -----------------------------------------------------------------
    case("matmul/1d_1d", lambda lib, x, y: lib.matmul(x, y), f(4), f(4), op="Matmul"),
    case("matmul/1d_2d", lambda lib, x, y: lib.matmul(x, y), f(4), f(4, 3), op="Matmul"),
    case("matmul/2d_1d", lambda lib, x, y: x @ y, f(3, 4), f(4), op="Matmul"),
    case("matmul/2d_2d", lambda lib, x, y: x @ y, f(3, 4), f(4, 2), op="Matmul"),
    case("matmul/1d_3d", lambda lib, x, y: x @ y, f(4), f(2, 4, 3), op="Matmul"),
    case("matmul/3d_1d", lambda lib, x, y: lib.matmul(x, y), f(2, 3, 4), f(4), op="Matmul"),
    case(
        "matmul/batched_broadcast",
        lambda lib, x, y: lib.matmul(x, y),
        f(2, 1, 3, 4),
        f(5, 4, 2),
        op="Matmul",
    ),
    case("mm", lambda lib, x, y: lib.mm(x, y), f(2, 3), f(3, 4), op="Matmul"),
    case("bmm", lambda lib, x, y: lib.bmm(x, y), f(2, 3, 4), f(2, 4, 2), op="Matmul"),
    case("dot", lambda lib, x, y: lib.dot(x, y), f(5), f(5), op="Matmul"),
    case("outer", lambda lib, x, y: lib.outer(x, y), f(3), f(4), op="Mul"),
]


def fixed(values) -> Arg:
    """An integer input with exactly these values (indices that must not repeat)."""
    return Arg(np.shape(values), "fixed", value=np.array(values, dtype=np.int64))


INF = float("inf")

CASES += [
    # -- more elementwise math ----------------------------------------------------------
    case("log1p", lambda lib, x: lib.log1p(x), f(3, 4, low=-0.5, high=2.0), op="Log1p"),
    case("log1p/method", lambda lib, x: x.log1p(), pos(3, 4), op="Log1p"),
    case("expm1", lambda lib, x: lib.expm1(x), f(3, 4), op="Expm1"),
    case("erf", lambda lib, x: lib.erf(x), f(3, 4), op="Erf"),
    case("erf/method", lambda lib, x: x.erf(), f(2, 5, low=-4.0, high=4.0), op="Erf"),
    # piecewise constant: zero gradients (draws land within eps of a step with p ~ 1e-6)
    case("floor", lambda lib, x: lib.floor(x), f(3, 4), op="Round"),
    case("ceil", lambda lib, x: x.ceil(), f(3, 4), op="Round"),
    case("trunc", lambda lib, x: lib.trunc(x), f(3, 4), op="Round"),
    case("round", lambda lib, x: lib.round(x), f(3, 4), op="Round"),
    case("round/decimals", lambda lib, x: x.round(decimals=1), f(3, 4), op="Round"),
    # -- softmax at the top level and as methods -----------------------------------------
    case("softmax/fn", lambda lib, x: lib.softmax(x, 1), f(2, 3, 4), op="Softmax"),
    case("softmax/method", lambda lib, x: x.softmax(-1), f(3, 4), op="Softmax"),
    case("log_softmax/fn", lambda lib, x: lib.log_softmax(x, 0), f(3, 4), op="LogSoftmax"),
    case("log_softmax/method", lambda lib, x: x.log_softmax(dim=-1), f(3, 4), op="LogSoftmax"),
    # -- indexing -----------------------------------------------------------------------
    case("gather/dim1", lambda lib, x, i: lib.gather(x, 1, i), f(3, 4), idx(3, 5, high=4)),
    case(
        "gather/dim0_smaller_index",
        lambda lib, x, i: x.gather(0, i),
        f(3, 4),
        idx(2, 3, high=3),
        op="Gather",
    ),
    case("gather/3d_neg_dim", lambda lib, x, i: x.gather(-1, i), f(2, 3, 4), idx(2, 3, 2, high=4)),
    case(
        "scatter/src",
        lambda lib, x, i, s: lib.scatter(x, 1, i, s),
        f(3, 4),
        fixed([[0, 2], [3, 1], [1, 0]]),
        f(3, 2),  # NOTE: torch's backward fails for a src larger than the index
        op="Scatter",
    ),
    case(
        "scatter/value",
        lambda lib, x, i: x.scatter(0, i, 0.5),
        f(3, 4),
        fixed([[2, 0, 1, 2]]),
        op="Scatter",
    ),
    case(
        "scatter_add/repeats",
        lambda lib, x, i, s: lib.scatter_add(x, 1, i, s),
        f(3, 4),
        idx(3, 6, high=4),
        f(3, 6),
        op="Scatter",
    ),
    case(
        "scatter_add/dim0_larger_src",
        lambda lib, x, i, s: x.scatter_add(0, i, s),
        f(3, 4),
        idx(2, 4, high=3),
        f(3, 5),
        op="Scatter",
        torch=False,  # torch's backward fails for a src larger than the index; see test_parity
    ),
    case(
        "index_select/dim1",
        lambda lib, x, i: lib.index_select(x, 1, i),
        f(3, 4),
        idx(6, high=4),
        op="GetItem",
    ),
    case(
        "index_select/0d_index",
        lambda lib, x, i: x.index_select(0, i),
        f(3, 4),
        fixed(2),
        op="GetItem",
    ),
    # -- sorting (values carry the gradient through a gather) ---------------------------
    case("sort/last_dim", lambda lib, x: lib.sort(x), f(3, 5), op="Gather"),
    case("sort/descending_dim0", lambda lib, x: x.sort(0, descending=True), f(4, 3)),
    case("sort/values", lambda lib, x: lib.sort(x, dim=1).values, f(2, 4, 3), op="Gather"),
    case("argsort", lambda lib, x: lib.argsort(x, 1), f(3, 5), op="argsort", **NO_GRAD),
    case("argsort/descending", lambda lib, x: x.argsort(descending=True), f(3, 5), **NO_GRAD),
    case("topk/largest", lambda lib, x: lib.topk(x, 2), f(3, 5), op="Gather"),
    case("topk/smallest_dim0", lambda lib, x: x.topk(3, dim=0, largest=False), f(4, 3)),
    case("tril", lambda lib, x: lib.tril(x), f(3, 4), op="Tri"),
    case("tril/diagonal_batched", lambda lib, x: x.tril(-1), f(2, 3, 3), op="Tri"),
    case("triu", lambda lib, x: lib.triu(x, 1), f(3, 4), op="Tri"),
    case("triu/method", lambda lib, x: x.triu(), f(4, 3), op="Tri"),
    # -- norms ----------------------------------------------------------------------------
    case("norm/fro", lambda lib, x: lib.norm(x), f(3, 4), op="Norm"),
    case("norm/method_dim", lambda lib, x: x.norm(dim=1), f(3, 4), op="Norm"),
    case("norm/p1_keepdim", lambda lib, x: lib.norm(x, 1, dim=-1, keepdim=True), f(3, 4)),
    case("norm/inf", lambda lib, x: lib.norm(x, INF), f(3, 4), op="Norm"),
    case("norm/neg_inf_dim", lambda lib, x: x.norm(p=-INF, dim=0), f(3, 4), op="Norm"),
    case("norm/p3_dims", lambda lib, x: lib.norm(x, 3, dim=(0, 2)), f(2, 3, 4), op="Norm"),
    case("norm/p0", lambda lib, x: x.norm(0), f(3, 4), op="Norm"),
    case(  # the norm of zeros: gradient 0, not nan
        "norm/zero_row",
        lambda lib, x: x.norm(dim=1),
        exact([[0.0, 0.0, 0.0], [0.3, -1.2, 0.5]]),
        op="Norm",
    ),
    # -- einsum -------------------------------------------------------------------------
    case("einsum/matmul", lambda lib, x, y: lib.einsum("ij,jk->ik", x, y), f(3, 4), f(4, 2)),
    case(
        "einsum/batched",
        lambda lib, x, y: lib.einsum("bij,bkj->bik", x, y),
        f(2, 3, 4),
        f(2, 2, 4),
        op="Einsum",
    ),
    case("einsum/implicit", lambda lib, x, y: lib.einsum("ji,jk", x, y), f(4, 3), f(4, 2)),
    case("einsum/trace", lambda lib, x: lib.einsum("ii", x), f(4, 4), op="Einsum"),
    case("einsum/diagonal", lambda lib, x: lib.einsum("iji->ij", x), f(3, 2, 3), op="Einsum"),
    case("einsum/sum_one_side", lambda lib, x, y: lib.einsum("ijk,j->i", x, y), f(2, 3, 4), f(3)),
    case("einsum/outer_list", lambda lib, x, y: lib.einsum("i,j->ij", [x, y]), f(3), f(4)),
    case(
        "einsum/ellipsis_broadcast",
        lambda lib, x, y: lib.einsum("...ij,...jk->...ik", x, y),
        f(2, 1, 3, 4),
        f(3, 4, 2),
        op="Einsum",
    ),
    case(
        "einsum/three_operands",
        lambda lib, x, y, z: lib.einsum("ij,jk,k->i", x, y, z),
        f(2, 3),
        f(3, 4),
        f(4),
        op="Einsum",
    ),
    # -- ops for ported tutorials (core/ops/extra.py) ------------------------------------
    case("masked_select", lambda lib, x, m: lib.masked_select(x, m), f(3, 4), mask(3, 4)),
    case(
        "masked_select/broadcast_mask",
        lambda lib, x, m: x.masked_select(m),
        f(2, 3, 4),
        mask(4),
        op="GetItem",
    ),
    case(
        "masked_select/broadcast_input",
        lambda lib, x, m: lib.masked_select(x, m),
        f(1, 4),
        mask(3, 1),
        op="GetItem",
    ),
    case(
        "repeat_interleave/int_dim",
        lambda lib, x: lib.repeat_interleave(x, 3, dim=1),
        f(2, 3),
        op="RepeatInterleave",
    ),
    case(
        "repeat_interleave/flat",
        lambda lib, x: x.repeat_interleave(2),
        f(2, 3),
        op="RepeatInterleave",
    ),
    case(
        "repeat_interleave/tensor_repeats",
        lambda lib, x, r: lib.repeat_interleave(x, r, dim=0),
        f(3, 2),
        Arg((3,), "fixed", value=np.array([2, 0, 3])),
        op="GetItem",
    ),
    case("tile/fewer_dims", lambda lib, x: lib.tile(x, (2,)), f(2, 3), op="Repeat"),
    case("tile/more_dims", lambda lib, x: x.tile(2, 1, 2), f(2, 3), op="Repeat"),
    case("roll/dims", lambda lib, x: lib.roll(x, (1, -2), (0, 2)), f(2, 3, 4), op="Roll"),
    case("roll/flat", lambda lib, x: x.roll(5), f(3, 4)),
    case("roll/neg_dim", lambda lib, x: lib.roll(x, -1, -1), f(3, 4), op="Roll"),
    case("diag/vector", lambda lib, x: lib.diag(x), f(4), op="Diag"),
    case("diag/vector_above", lambda lib, x: x.diag(2), f(3), op="Diag"),
    case("diag/matrix", lambda lib, x: lib.diag(x), f(3, 4), op="Diag"),
    case("diag/matrix_below", lambda lib, x: x.diag(-1), f(4, 3), op="Diag"),
    case("cumprod/dim1", lambda lib, x: lib.cumprod(x, 1), f(3, 4), op="Cumprod"),
    case(
        "cumprod/zeros",  # the gradient holds where an input is 0 (one or two per row)
        lambda lib, x: x.cumprod(-1),
        exact([[0.5, 0.0, 1.5, -2.0], [0.0, 1.2, 0.0, 0.7], [1.1, -0.9, 0.8, 0.0]]),
        op="Cumprod",
    ),
    case("cumprod/dim0", lambda lib, x: lib.cumprod(x, 0), f(4, 2), op="Cumprod"),
    case("log2", lambda lib, x: lib.log2(x), pos(3, 4), op="LogBase"),
    case("log10/method", lambda lib, x: x.log10(), pos(3, 4), op="LogBase"),
    case("clamp_min", lambda lib, x: lib.clamp_min(x, 0.3), f(3, 4), op="Clamp"),
    case("clamp_max/method", lambda lib, x: x.clamp_max(-0.2), f(3, 4), op="Clamp"),
    case(  # close, far, within atol of 0, equal, beyond rtol
        "isclose",
        lambda lib, x, y: lib.isclose(x, y),
        exact([1.0, 2.0, 0.0, -3.0, 100.0]),
        exact([1.000001, 2.1, 1e-9, -3.0, 100.01]),
        op="isclose",
        **NO_GRAD,
    ),
    case(
        "isclose/tolerances_broadcast",
        lambda lib, x, y: x.isclose(y, rtol=0.1, atol=0.5),
        f(3, 4),
        f(4),
        **NO_GRAD,
    ),
    case("logical_and", lambda lib, x, y: lib.logical_and(x > 0, y), f(3, 4), mask(4), **NO_GRAD),
    case("logical_or", lambda lib, x, y: x.logical_or(y > 0), mask(3, 1), f(4), **NO_GRAD),
    case(
        "logical_xor", lambda lib, x, y: lib.logical_xor(x > 0, y), f(3, 4), mask(3, 4), **NO_GRAD
    ),
    case("logical_not", lambda lib, x: lib.logical_not(x > 0), f(3, 4), **NO_GRAD),
    case(
        "broadcast_tensors",
        lambda lib, x, y: lib.broadcast_tensors(x, y),
        f(3, 1),
        f(4),
        op="Expand",
    ),
]
