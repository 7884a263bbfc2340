"""Convolutions: Conv1d/2d and ConvTranspose1d/2d (input channels inferred)."""

from __future__ import annotations

import math

from core.model.catalog import LayerKind, ModuleSpec, P, ShapeError, register
from core.model.kinds._util import dims_str, need_spatial, ntuple, size_arg
from core.model.params import params

_MAX = 1 << 16


def _params(n: int, transposed: bool):
    per = "one number, or one per spatial axis" if n > 1 else "positions"
    items = [
        P("out_channels", "int", 16, "Output channels (number of filters)", min=1, max=_MAX),
        P("kernel_size", "size", 3, f"Kernel size ({per})", min=1, max=1024, length=n),
        P("stride", "size", 1, f"Step between kernel positions ({per})", min=1, max=1024, length=n),
    ]
    if transposed:
        items += [
            P(
                "padding",
                "size",
                0,
                "Trimmed from both sides of the output (undoes the same Conv padding)",
                min=0,
                max=1024,
                length=n,
            ),
            P(
                "output_padding",
                "size",
                0,
                "Extra size added to one side of the output (smaller than stride or dilation)",
                min=0,
                max=1024,
                length=n,
                advanced=True,
            ),
        ]
    else:
        items += [
            P(
                "padding",
                "size",
                0,
                "Padding added to both sides of each spatial axis (when padding_preset is "
                "'custom')",
                min=0,
                max=1024,
                length=n,
            ),
            P(
                "padding_preset",
                "choice",
                "custom",
                "'custom': the padding above; 'same': pad so the output keeps the input's size "
                "(stride 1 only); 'valid': no padding",
                choices=("custom", "same", "valid"),
            ),
        ]
    items += [
        P(
            "dilation",
            "size",
            1,
            "Spacing between kernel elements",
            min=1,
            max=1024,
            length=n,
            advanced=True,
        ),
        P(
            "groups",
            "int",
            1,
            "Blocked connections: in and out channels split into this many "
            "groups (both must be divisible by it)",
            min=1,
            max=_MAX,
            advanced=True,
        ),
        P("bias", "bool", True, "Learn an additive bias per output channel"),
    ]
    if not transposed:
        items.append(
            P(
                "padding_mode",
                "choice",
                "zeros",
                "What the padding holds: zeros, or the input reflected, replicated or wrapped",
                choices=("zeros", "reflect", "replicate", "circular"),
                advanced=True,
            )
        )
    return params(*items)


def _check_groups(kind: str, c_in: int, c_out: int, groups: int) -> None:
    for what, c in (("input", c_in), ("output", c_out)):
        if c % groups:
            raise ShapeError(
                f"{kind}: the {what}'s {c} channels are not divisible by groups={groups}",
                f"set groups to a divisor of both channel counts ({c_in} in, {c_out} out)",
                code="shape",
            )


def _too_small(kind: str, kernel, padded) -> ShapeError:
    return ShapeError(
        f"{kind}: the kernel ({dims_str(kernel)} with dilation) is larger than its padded "
        f"input ({dims_str(padded)})",
        "use a smaller kernel or more padding, or downsample less before it",
        code="shape",
    )


def _padding(p: dict, n: int) -> tuple[int, ...] | str:
    preset = p["padding_preset"]
    return preset if preset != "custom" else ntuple(p["padding"], n)


def _conv_infer(kind: str, n: int):
    def infer(p, ins):
        (shape,) = ins
        need_spatial(kind, shape, n)
        c_in, spatial = shape[0], shape[1:]
        _check_groups(kind, c_in, p["out_channels"], p["groups"])
        k, s, d = (ntuple(p[name], n) for name in ("kernel_size", "stride", "dilation"))
        eff = tuple(di * (ki - 1) + 1 for ki, di in zip(k, d))
        pad = _padding(p, n)
        if pad == "same":
            if s != (1,) * n:
                raise ShapeError(
                    f"{kind}: padding 'same' needs stride 1, got stride {dims_str(s)}",
                    "set stride to 1, or padding_preset to 'custom'",
                    code="shape",
                )
            total = tuple(e - 1 for e in eff)
            sides = tuple(t - t // 2 for t in total)  # the larger side
            out = tuple(spatial)
        else:
            pad = (0,) * n if pad == "valid" else pad
            sides = pad
            padded = tuple(size + 2 * pi for size, pi in zip(spatial, pad))
            if any(e > size for e, size in zip(eff, padded)):
                raise _too_small(kind, eff, padded)
            out = tuple((size - e) // si + 1 for size, e, si in zip(padded, eff, s))
        mode = p["padding_mode"]
        if mode in ("reflect", "circular"):
            limit = "smaller than" if mode == "reflect" else "at most"
            if any(
                (side >= size if mode == "reflect" else side > size)
                for side, size in zip(sides, spatial)
            ):
                raise ShapeError(
                    f"{kind}: {mode} padding of {dims_str(sides)} needs an input {limit} "
                    f"that along each axis, got {dims_str(spatial)}",
                    "use less padding or padding_mode 'zeros'",
                    code="shape",
                )
        return (p["out_channels"], *out)

    return infer


def _conv_spec(kind: str, n: int):
    def spec(p, ins):
        kw = {}
        if size_arg(p["stride"], n, 1):
            kw["stride"] = p["stride"]
        pad = _padding(p, n)
        if isinstance(pad, str):
            kw["padding"] = pad
        elif size_arg(pad, n, 0):
            kw["padding"] = p["padding"]
        if size_arg(p["dilation"], n, 1):
            kw["dilation"] = p["dilation"]
        if p["groups"] != 1:
            kw["groups"] = p["groups"]
        if not p["bias"]:
            kw["bias"] = False
        if p["padding_mode"] != "zeros":
            kw["padding_mode"] = p["padding_mode"]
        return ModuleSpec(kind, (ins[0][0], p["out_channels"], p["kernel_size"]), kw)

    return spec


def _conv_count(n: int):
    def count(p, ins, out):
        c_in, c_out, g = ins[0][0], p["out_channels"], p["groups"]
        per_out = (c_in // g) * math.prod(ntuple(p["kernel_size"], n))
        weights = c_out * per_out + (c_out if p["bias"] else 0)
        return weights, math.prod(out) * per_out

    return count


def _transposed_infer(kind: str, n: int):
    def infer(p, ins):
        (shape,) = ins
        need_spatial(kind, shape, n)
        c_in, spatial = shape[0], shape[1:]
        _check_groups(kind, c_in, p["out_channels"], p["groups"])
        k, s, pad, op, d = (
            ntuple(p[name], n)
            for name in ("kernel_size", "stride", "padding", "output_padding", "dilation")
        )
        for opi, si, di in zip(op, s, d):
            if opi >= si and opi >= di:
                raise ShapeError(
                    f"{kind}: output_padding {dims_str(op)} must be smaller than the stride "
                    f"({dims_str(s)}) or the dilation ({dims_str(d)})",
                    "lower output_padding (it only picks between output sizes a stride allows)",
                    code="shape",
                )
        out = tuple(
            (size - 1) * si - 2 * pi + di * (ki - 1) + opi + 1
            for size, si, pi, di, ki, opi in zip(spatial, s, pad, d, k, op)
        )
        if any(o < 1 for o in out):
            raise ShapeError(
                f"{kind}: padding {dims_str(pad)} removes the whole output "
                f"(it would be {dims_str(out)})",
                "use less padding or a larger kernel or stride",
                code="shape",
            )
        return (p["out_channels"], *out)

    return infer


def _transposed_spec(kind: str, n: int):
    def spec(p, ins):
        kw = {}
        for name, default in (("stride", 1), ("padding", 0), ("output_padding", 0)):
            if size_arg(p[name], n, default):
                kw[name] = p[name]
        if p["groups"] != 1:
            kw["groups"] = p["groups"]
        if not p["bias"]:
            kw["bias"] = False
        if size_arg(p["dilation"], n, 1):
            kw["dilation"] = p["dilation"]
        return ModuleSpec(kind, (ins[0][0], p["out_channels"], p["kernel_size"]), kw)

    return spec


def _transposed_count(n: int):
    def count(p, ins, out):
        c_in, c_out, g = ins[0][0], p["out_channels"], p["groups"]
        per_in = (c_out // g) * math.prod(ntuple(p["kernel_size"], n))
        weights = c_in * per_in + (c_out if p["bias"] else 0)
        return weights, math.prod(ins[0]) * per_in

    return count


_KEYS = ("out_channels", "kernel_size", "stride")

for _n in (1, 2):
    _kind = f"Conv{_n}d"
    register(
        LayerKind(
            kind=_kind,
            display_name=_kind,
            category="Convolution",
            doc=f"{_n}-D convolution over {'(C, L) sequences' if _n == 1 else '(C, H, W) images'}"
            ": learned filters slid across the input (input channels inferred).",
            params=_params(_n, transposed=False),
            infer=_conv_infer(_kind, _n),
            module=_conv_spec(_kind, _n),
            count=_conv_count(_n),
            key_params=_KEYS,
        )
    )
    _kind = f"ConvTranspose{_n}d"
    register(
        LayerKind(
            kind=_kind,
            display_name=_kind,
            category="Convolution",
            doc=f'Transposed {_n}-D convolution ("deconvolution"): upsamples '
            f"{'(C, L)' if _n == 1 else '(C, H, W)'} by the stride with learned filters.",
            params=_params(_n, transposed=True),
            infer=_transposed_infer(_kind, _n),
            module=_transposed_spec(_kind, _n),
            count=_transposed_count(_n),
            key_params=_KEYS,
        )
    )
