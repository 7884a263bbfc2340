"""Op-table cases for convolution, pooling and padding (``core.nn.functional``).

Shapes stay small (gradcheck perturbs every input element). Max pooling draws distinct
uniform values, so no window holds a tie within gradcheck's eps.
"""

from __future__ import annotations

from tests.core.op_table import Arg, OpCase


def f(*shape, grad=True) -> Arg:
    return Arg(shape, "float", -2.0, 2.0, grad)


def fixed(*shape) -> Arg:
    """A float input that does not require grad (exercises the partial backward)."""
    return f(*shape, grad=False)


def F(lib):  # noqa: N802 - PyTorch's conventional alias
    return lib.nn.functional


def conv(name, fn, *args, op="Conv2d") -> OpCase:
    return OpCase(f"conv2d/{name}", fn, args, op=op)


CONV2D = [
    conv(
        "basic_bias",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b),
        f(1, 2, 5, 5),
        f(3, 2, 3, 3),
        f(3),
    ),
    conv(
        "stride2_padding1",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2, padding=1),
        f(2, 2, 5, 4),
        f(2, 2, 3, 3),
        f(2),
    ),
    conv(
        "same_even_kernel",
        lambda lib, x, w: F(lib).conv2d(x, w, padding="same"),
        f(1, 2, 4, 5),
        f(2, 2, 2, 4),
    ),
    conv(
        "same_dilation2",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding="same", dilation=2),
        f(1, 2, 5, 5),
        f(2, 2, 3, 3),
        f(2),
    ),
    conv(
        "valid_stride_dilation",
        lambda lib, x, w: F(lib).conv2d(x, w, stride=(2, 1), padding="valid", dilation=(2, 2)),
        f(1, 2, 7, 6),
        f(2, 2, 2, 3),
    ),
    conv(
        "column_stride3_padding",
        lambda lib, x, w: F(lib).conv2d(x, w, stride=(1, 3), padding=(0, 2)),
        f(1, 2, 4, 7),
        f(2, 2, 2, 3),
    ),
    conv(
        "groups2",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=1, groups=2),
        f(1, 4, 4, 4),
        f(4, 2, 3, 3),
        f(4),
    ),
    conv(
        "depthwise_multiplier2",
        lambda lib, x, w: F(lib).conv2d(x, w, stride=2, padding=1, groups=3),
        f(2, 3, 4, 4),
        f(6, 1, 3, 3),
    ),
    conv(
        "unbatched",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=(1, 0)),
        f(2, 4, 5),
        f(3, 2, 2, 2),
        f(3),
    ),
    conv("1x1", lambda lib, x, w, b: F(lib).conv2d(x, w, b), f(2, 3, 3, 3), f(4, 3, 1, 1), f(4)),
    conv(  # batches of small images run batch-innermost (see core.ops.conv._batch_inner)
        "batch_padding_dilation",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, padding=2, dilation=2),
        f(2, 2, 5, 5),
        f(3, 2, 3, 3),
        f(3),
    ),
    conv(
        "batch_groups_same",
        lambda lib, x, w: F(lib).conv2d(x, w, padding="same", groups=2),
        f(2, 4, 4, 4),
        f(4, 2, 3, 3),
    ),
    conv(
        "input_grad_only",
        lambda lib, x, w, b: F(lib).conv2d(x, w, b, stride=2, padding=1),
        f(1, 2, 5, 5),
        fixed(3, 2, 3, 3),
        fixed(3),
    ),
    conv(
        "weight_grad_only",
        lambda lib, x, w: F(lib).conv2d(x, w, padding=1, groups=2),
        fixed(1, 4, 4, 4),
        f(2, 2, 3, 3),
    ),
]

CONV1D = [
    OpCase(
        "conv1d/stride2_padding1_dilation2",
        lambda lib, x, w, b: F(lib).conv1d(x, w, b, stride=2, padding=1, dilation=2),
        (f(2, 3, 9), f(4, 3, 3), f(4)),
        op="Conv1d",
    ),
    OpCase(
        "conv1d/same_even_kernel",
        lambda lib, x, w: F(lib).conv1d(x, w, padding="same", dilation=2),
        (f(1, 2, 8), f(3, 2, 4)),
        op="Conv1d",
    ),
    OpCase(
        "conv1d/groups_unbatched",
        lambda lib, x, w: F(lib).conv1d(x, w, groups=2),
        (f(4, 6), f(4, 2, 3)),
        op="Conv1d",
    ),
]

CONV_TRANSPOSE2D = [
    OpCase(
        f"conv_transpose2d/{name}",
        fn,
        args,
        op="ConvTranspose2d",
    )
    for name, fn, args in [
        (
            "basic_bias",
            lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b),
            (f(1, 3, 3, 3), f(3, 2, 3, 3), f(2)),
        ),
        (
            "stride2_padding1_output_padding1",
            lambda lib, x, w, b: F(lib).conv_transpose2d(
                x, w, b, stride=2, padding=1, output_padding=1
            ),
            (f(2, 2, 3, 3), f(2, 3, 3, 3), f(3)),
        ),
        (
            "groups2_dilation_stride",
            lambda lib, x, w: F(lib).conv_transpose2d(
                x, w, stride=(1, 2), groups=2, dilation=(2, 1)
            ),
            (f(1, 4, 3, 3), f(4, 1, 2, 3)),
        ),
        (
            "output_padding_from_dilation",
            lambda lib, x, w: F(lib).conv_transpose2d(x, w, dilation=2, output_padding=1),
            (f(1, 2, 3, 3), f(2, 2, 2, 2)),
        ),
        (
            "unbatched_stride2",
            lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=2),
            (f(2, 3, 4), f(2, 2, 2, 2)),
        ),
        (
            "batch_bias",
            lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b),
            (f(2, 3, 3, 3), f(3, 2, 3, 3), f(2)),
        ),
        (
            "weight_grad_only",
            lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=2, padding=1),
            (fixed(1, 2, 3, 3), f(2, 2, 3, 3)),
        ),
    ]
]


def pool(name, fn, *args, op) -> OpCase:
    return OpCase(name, fn, args, op=op)


MAX_POOL2D = [
    pool("max_pool2d/2x2", lambda lib, x: F(lib).max_pool2d(x, 2), f(2, 2, 4, 4), op="MaxPool2d"),
    pool(
        "max_pool2d/tiled_2x3_uncovered_edges",
        lambda lib, x: F(lib).max_pool2d(x, (2, 3)),
        f(2, 2, 5, 7),
        op="MaxPool2d",
    ),
    pool(
        "max_pool2d/k3_s2_p1",
        lambda lib, x: F(lib).max_pool2d(x, 3, stride=2, padding=1),
        f(1, 2, 5, 6),
        op="MaxPool2d",
    ),
    pool(
        "max_pool2d/ceil_mode",
        lambda lib, x: F(lib).max_pool2d(x, 2, ceil_mode=True),
        f(1, 2, 5, 5),
        op="MaxPool2d",
    ),
    pool(
        "max_pool2d/dilation2_stride1",
        lambda lib, x: F(lib).max_pool2d(x, 2, stride=1, dilation=2),
        f(1, 2, 5, 5),
        op="MaxPool2d",
    ),
    pool(
        "max_pool2d/return_indices",
        lambda lib, x: F(lib).max_pool2d(
            x, (2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True, return_indices=True
        ),
        f(1, 2, 5, 5),
        op="MaxPool2d",
    ),
    pool(
        "max_pool2d/unbatched", lambda lib, x: F(lib).max_pool2d(x, 2), f(2, 5, 5), op="MaxPool2d"
    ),
]

AVG_POOL2D = [
    pool("avg_pool2d/2x2", lambda lib, x: F(lib).avg_pool2d(x, 2), f(2, 2, 4, 4), op="AvgPool2d"),
    pool(
        "avg_pool2d/k3_s2_p1_ceil",
        lambda lib, x: F(lib).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        f(1, 2, 6, 5),
        op="AvgPool2d",
    ),
    pool(
        "avg_pool2d/exclude_pad_ceil",
        lambda lib, x: F(lib).avg_pool2d(
            x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False
        ),
        f(1, 2, 6, 5),
        op="AvgPool2d",
    ),
    pool(
        "avg_pool2d/divisor_override",
        lambda lib, x: F(lib).avg_pool2d(
            x, (2, 3), stride=(2, 1), padding=(1, 1), divisor_override=5
        ),
        f(1, 2, 4, 5),
        op="AvgPool2d",
    ),
    pool(
        "avg_pool2d/unbatched",
        lambda lib, x: F(lib).avg_pool2d(x, 2, stride=1),
        f(2, 4, 4),
        op="AvgPool2d",
    ),
]

ADAPTIVE_AVG_POOL2D = [
    pool(
        f"adaptive_avg_pool2d/{name}",
        lambda lib, x, size=size: F(lib).adaptive_avg_pool2d(x, size),
        f(*shape),
        op="AdaptiveAvgPool2d",
    )
    for name, shape, size in [
        ("divisible", (2, 2, 4, 6), (2, 3)),
        ("non_divisible", (1, 2, 5, 7), (3, 4)),
        ("global", (2, 3, 4, 5), 1),
        ("none_keeps_height_unbatched", (2, 5, 7), (None, 3)),
        ("larger_than_input", (1, 2, 3, 3), (5, 4)),
    ]
]

PAD = [
    pool(f"pad/{name}", lambda lib, x, p=p, kw=kw: F(lib).pad(x, p, **kw), f(*shape), op="Pad")
    for name, shape, p, kw in [
        ("constant_value", (1, 2, 3, 4), (1, 2, 0, 1), {"value": 1.5}),
        ("constant_negative_crops", (1, 2, 4, 5), (-1, 2, 1, -2), {}),
        ("constant_three_dims", (2, 2, 3, 3), (1, 1, 0, 0, 1, 0), {}),
        ("reflect_2d", (1, 2, 3, 4), (2, 1, 1, 2), {"mode": "reflect"}),
        ("reflect_1d_of_2d_input", (2, 5), (3, 1), {"mode": "reflect"}),
        ("reflect_negative", (1, 2, 4, 5), (-1, 2, 1, -1), {"mode": "reflect"}),
        ("replicate_2d", (1, 2, 3, 4), (3, 1, 2, 0), {"mode": "replicate"}),
        ("replicate_3d", (1, 2, 2, 3, 3), (1, 1, 1, 0, 0, 2), {"mode": "replicate"}),
        ("circular_2d", (1, 2, 3, 4), (2, 1, 1, 3), {"mode": "circular"}),
        ("circular_negative", (1, 2, 5), (-1, 3), {"mode": "circular"}),
    ]
]

CASES: list[OpCase] = (
    CONV2D + CONV1D + CONV_TRANSPOSE2D + MAX_POOL2D + AVG_POOL2D + ADAPTIVE_AVG_POOL2D + PAD
)
