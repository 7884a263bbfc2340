"""The op table: one record per op, driving the generic op tests.

A case's ``fn`` takes the library namespace first (``core`` or ``torch``) and then
the input tensors, so one lambda runs against both: ``lambda lib, x, y: lib.add(x, y)``
or ``lambda lib, x: lib.nn.functional.conv2d(x, w, padding=1)``. Non-tensor
arguments (dims, sizes, modes) live inside the lambda.

Each area adds its cases in its own module (``cases_*.py`` beside this one) as a list
``CASES``; :data:`ALL_CASES` gathers them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Arg:
    """One tensor input of a case.

    shape: the tensor's shape. kind: "float" (differentiable unless grad=False),
    "int" (integers in [low, high)), "bool", or "fixed" (``value`` is used as is).
    low/high: the sampling range for floats (keep away from kinks and poles).
    value: set on a "float" input, the exact values to use instead of a sample (zeros,
    extremes); the input stays differentiable.
    """

    shape: tuple[int, ...] = ()
    kind: str = "float"
    low: float = -2.0
    high: float = 2.0
    grad: bool = True
    value: np.ndarray | None = None

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "fixed":
            return np.array(self.value)
        if self.value is not None:
            exact = np.array(self.value, dtype=np.float64)
            return exact.reshape(self.shape) if self.shape else exact
        if self.kind == "int":
            return rng.integers(int(self.low), int(self.high), size=self.shape, dtype=np.int64)
        if self.kind == "bool":
            return rng.random(self.shape) < 0.5
        return rng.uniform(self.low, self.high, size=self.shape)

    @property
    def differentiable(self) -> bool:
        return self.kind == "float" and self.grad


@dataclass(frozen=True)
class OpCase:
    """A record of the op table: how to call an op and on what.

    name: "op/variant", shown as the test id. op: the name recorded by core.graph for
    the op expected to run (None: do not check the name).
    differentiable: run gradcheck (False for comparisons, argmax, ...).
    f32_tol: (rtol, atol) of float32 against float64 results.
    torch: compare with PyTorch when it is installed.
    """

    name: str
    fn: Callable
    args: tuple[Arg, ...]
    op: str | None = None
    differentiable: bool = True
    f32_tol: tuple[float, float] = (1e-4, 1e-5)
    torch: bool = True
    torch_tol: tuple[float, float] = (1e-5, 1e-6)
    gradcheck_tol: dict = field(default_factory=dict)  # atol/rtol/eps overrides
    seed: int = 0
    contiguous_only: bool = False  # the op refuses non-contiguous input (Tensor.view)

    def arrays(self) -> list[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        return [a.sample(rng) for a in self.args]

    def __str__(self) -> str:
        return self.name


def tensors(lib, arrays, args, dtype: str = "float64", device: str = "cpu", grad: bool = True):
    """Make library tensors (core or torch) from sampled arrays."""
    out = []
    for arr, spec in zip(arrays, args, strict=True):
        if spec.kind == "float":
            t = lib.tensor(arr.astype(dtype), dtype=getattr(lib, dtype), device=device)
            if grad and spec.grad:
                t.requires_grad_(True)
        else:
            t = lib.tensor(arr, device=device)
        out.append(t)
    return out


def outputs(result) -> list:
    """An op's result as a list of tensors (namedtuples and tuples flattened)."""
    if isinstance(result, tuple | list):
        return list(result)
    return [result]


def _collect() -> list[OpCase]:
    cases: list[OpCase] = []
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("cases_"):
            module = importlib.import_module(f"tests.core.{info.name}")
            cases.extend(module.CASES)
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"op table: duplicate case names {sorted(duplicates)}")
    return cases


ALL_CASES: list[OpCase] = _collect()
