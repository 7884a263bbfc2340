"""Pooling: max/average over windows, adaptive pooling to a fixed size, global pooling."""

from __future__ import annotations

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register, shape_str
from core.model.kinds._util import dims_str, need_spatial, ntuple, size_arg
from core.model.params import params


def _window_params(n: int, dilation: bool, avg: bool):
    items = [
        P("kernel_size", "size", 2, "Window size", min=1, max=1024, length=n),
        P(
            "stride",
            "size",
            None,
            "Step between windows (none: the kernel size, so windows do not overlap)",
            min=1,
            max=1024,
            length=n,
            optional=True,
        ),
        P(
            "padding",
            "size",
            0,
            "Implicit padding on both sides (at most half the kernel size)",
            min=0,
            max=512,
            length=n,
            advanced=True,
        ),
    ]
    if dilation:
        items.append(
            P(
                "dilation",
                "size",
                1,
                "Spacing between window elements",
                min=1,
                max=1024,
                length=n,
                advanced=True,
            )
        )
    items.append(
        P(
            "ceil_mode",
            "bool",
            False,
            "Round the output size up (a last partial window counts)",
            advanced=True,
        )
    )
    if avg:
        items.append(
            P("count_include_pad", "bool", True, "Average padded zeros in too", advanced=True)
        )
    return params(*items)


def pool_out(size: int, k: int, s: int, pad: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling output size along one axis."""
    span = size + 2 * pad - d * (k - 1) - 1
    out = (span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (out - 1) * s >= size + pad:
        out -= 1  # the last window must start inside the input or left padding
    return out


def _window_infer(kind: str, n: int):
    def infer(p, ins):
        (shape,) = ins
        need_spatial(kind, shape, n)
        spatial = shape[1:]
        k = ntuple(p["kernel_size"], n)
        s = k if p["stride"] is None else ntuple(p["stride"], n)
        pad = ntuple(p["padding"], n)
        d = ntuple(p.get("dilation", 1), n)
        if any(pi > ki // 2 for pi, ki in zip(pad, k)):
            raise ShapeError(
                f"{kind}: padding {dims_str(pad)} is more than half the kernel size {dims_str(k)}",
                "use less padding or a larger kernel",
                code="shape",
            )
        eff = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
        padded = tuple(size + 2 * pi for size, pi in zip(spatial, pad))
        if any(e > size for e, size in zip(eff, padded)):
            raise ShapeError(
                f"{kind}: the window {dims_str(eff)} is larger than its input "
                f"{dims_str(padded)} (input {shape_str(shape)})",
                "use a smaller kernel_size, or remove a downsampling layer before it",
                code="shape",
            )
        out = tuple(
            pool_out(size, ki, si, pi, di, p["ceil_mode"])
            for size, ki, si, pi, di in zip(spatial, k, s, pad, d)
        )
        return (shape[0], *out)

    return infer


def _window_spec(kind: str, n: int):
    def spec(p, ins):
        kw = {}
        if p["stride"] is not None:
            kw["stride"] = p["stride"]
        if size_arg(p["padding"], n, 0):
            kw["padding"] = p["padding"]
        if "dilation" in p and size_arg(p["dilation"], n, 1):
            kw["dilation"] = p["dilation"]
        if p["ceil_mode"]:
            kw["ceil_mode"] = True
        if not p.get("count_include_pad", True):
            kw["count_include_pad"] = False
        return ModuleSpec(kind, (p["kernel_size"],), kw)

    return spec


def _adaptive_infer(kind: str, n: int):
    def infer(p, ins):
        (shape,) = ins
        need_spatial(kind, shape, n)
        return (shape[0], *ntuple(p["output_size"], n))

    return infer


for _n in (1, 2):
    _what = "(C, L) sequence" if _n == 1 else "(C, H, W) image"
    for _op, _avg in (("Max", False), ("Avg", True)):
        _kind = f"{_op}Pool{_n}d"
        _verb = "maximum" if _op == "Max" else "average"
        register(
            LayerKind(
                kind=_kind,
                display_name=_kind,
                category="Pooling",
                doc=f"{_n}-D {_verb} pooling: the {_verb} of each window of a {_what}, per "
                "channel (downsamples by the stride).",
                params=_window_params(_n, dilation=not _avg, avg=_avg),
                infer=_window_infer(_kind, _n),
                module=_window_spec(_kind, _n),
                key_params=("kernel_size", "stride"),
            )
        )
        _kind = f"Adaptive{_op}Pool{_n}d"
        register(
            LayerKind(
                kind=_kind,
                display_name=_kind,
                category="Pooling",
                doc=f"Adaptive {_n}-D {_verb} pooling: a {_what} pooled to a fixed output size, "
                "whatever the input size.",
                params=params(
                    P(
                        "output_size",
                        "size",
                        1,
                        "Output size per spatial axis",
                        min=1,
                        max=1 << 16,
                        length=_n,
                    )
                ),
                infer=_adaptive_infer(_kind, _n),
                module=lambda p, ins, _kind=_kind: ModuleSpec(_kind, (p["output_size"],)),
                key_params=("output_size",),
            )
        )


def _global_infer(kind: str):
    def infer(p, ins):
        (shape,) = ins
        if len(shape) < 2:
            raise ShapeError(
                f"{kind} needs a (C, L) or (C, H, W) input per sample, got {shape_str(shape)}",
                "it pools the spatial axes of conv feature maps; a flat vector has none",
                code="rank",
            )
        return (shape[0],)

    return infer


register(
    LayerKind(
        kind="GlobalAvgPool",
        display_name="Global Avg Pool",
        category="Pooling",
        doc="The mean of each channel over all its positions: (C, ...) -> (C,) (no Flatten "
        "needed after it).",
        params=params(),
        infer=_global_infer("GlobalAvgPool"),
        apply=lambda m, xs, p: xs[0].flatten(2).mean(2),
        expr=lambda ins, attr, p, lib: f"{ins[0]}.flatten(2).mean(2)",
        id_prefix="gap",
    )
)

register(
    LayerKind(
        kind="GlobalMaxPool",
        display_name="Global Max Pool",
        category="Pooling",
        doc="The maximum of each channel over all its positions: (C, ...) -> (C,).",
        params=params(),
        infer=_global_infer("GlobalMaxPool"),
        apply=lambda m, xs, p: xs[0].flatten(2).amax(2),
        expr=lambda ins, attr, p, lib: f"{ins[0]}.flatten(2).amax(2)",
        id_prefix="gmp",
    )
)
