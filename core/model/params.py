"""Parameter schemas: what a layer kind (or a training setting) accepts, and checking it.

A :class:`Param` says a parameter's type, default, range or choices and doc. ``check``
turns a value read from the user or a JSON file into the normalised in-memory value
(tuples for sizes, ints for whole floats) or raises :class:`ParamError` saying what was
expected. Values are always JSON-representable (tuples become lists on save).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The parameter types, with what each accepts.
TYPES = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "a text",
    "choice": "one of the listed choices",
    "size": "a whole number or a list of whole numbers (one per spatial dimension)",
    "shape": "a list of whole numbers",
    "ints": "a list of whole numbers",
}


class ParamError(ValueError):
    """A parameter value that its schema refuses; the message says which and why."""


@dataclass(frozen=True)
class Param:
    """One parameter: ``name``, ``type`` (a key of TYPES), ``default`` and constraints.

    ``min``/``max`` bound numbers and every element of sizes/shapes (inclusive; use
    ``min_exclusive`` for > min). ``choices`` lists the values of a "choice". ``length``
    fixes the number of elements of a "size"/"shape"/"ints" (a "size" also accepts one
    number, meaning the same along every dimension). ``optional`` admits None.
    """

    name: str
    type: str
    default: Any
    doc: str = ""
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    choices: tuple = ()
    length: int | None = None
    optional: bool = False
    label: str = ""
    advanced: bool = False

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"Param {self.name!r}: unknown type {self.type!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"Param {self.name!r}: a choice needs choices")
        if self.default is not None or not self.optional:
            object.__setattr__(self, "default", self.check(self.default))

    @property
    def title(self) -> str:
        """The label shown to the user (the name with spaces when no label is given)."""
        return self.label or self.name.replace("_", " ").capitalize()

    def describe(self) -> str:
        """What the parameter accepts, in words (for error messages and tooltips)."""
        text = TYPES[self.type]
        if self.type == "choice":
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        if self.length is not None and self.type in ("shape", "ints", "size"):
            text += f" ({self.length} of them)"
        bounds = []
        if self.min is not None:
            bounds.append(f"{'>' if self.min_exclusive else '>='} {_num(self.min)}")
        if self.max is not None:
            bounds.append(f"<= {_num(self.max)}")
        if bounds:
            text += ", " + " and ".join(bounds)
        if self.optional:
            text += ", or none"
        return text

    def check(self, value: Any) -> Any:
        """The normalised value, or a ParamError naming the parameter and what it accepts."""
        if value is None:
            if self.optional:
                return None
            raise self._error(value)
        t = self.type
        if t == "bool":
            if isinstance(value, bool):
                return value
            raise self._error(value)
        if t == "int":
            return self._bounded(self._int(value), value)
        if t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self._error(value)
            v = float(value)
            if not math.isfinite(v):
                raise self._error(value, "it must be finite")
            return self._bounded(v, value)
        if t == "str":
            if not isinstance(value, str):
                raise self._error(value)
            return value
        if t == "choice":
            if isinstance(value, str) or type(value) in (int, float, bool):
                if value in self.choices:
                    return value
            raise self._error(value)
        # sizes, shapes, int lists
        if t == "size" and not isinstance(value, (list, tuple)):
            return self._bounded(self._int(value), value)
        if not isinstance(value, (list, tuple)):
            raise self._error(value)
        items = tuple(self._bounded(self._int(v, value), value) for v in value)
        if self.length is not None and len(items) != self.length:
            raise self._error(value, f"it needs {self.length} numbers, got {len(items)}")
        if t == "shape" and not items:
            raise self._error(value, "it needs at least one dimension")
        return items

    # -- helpers -------------------------------------------------------------------
    def _int(self, v: Any, whole: Any = None) -> int:
        if isinstance(v, bool):
            raise self._error(v if whole is None else whole)
        if isinstance(v, int):
            return v
        if isinstance(v, float) and math.isfinite(v) and v == int(v):
            return int(v)
        raise self._error(v if whole is None else whole)

    def _bounded(self, v, original):
        if self.min is not None and (v < self.min or (self.min_exclusive and v == self.min)):
            raise self._error(original)
        if self.max is not None and v > self.max:
            raise self._error(original)
        return v

    def _error(self, value: Any, why: str = "") -> ParamError:
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        text = f"{self.name} = {shown} is not valid: expected {self.describe()}"
        return ParamError(f"{text} ({why})" if why else text)


@dataclass(frozen=True)
class Schema:
    """An ordered set of Params with checking of a whole mapping of values."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self.params)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def defaults(self) -> dict[str, Any]:
        """Every parameter at its default."""
        return {p.name: p.default for p in self.params}

    def check(self, values: Mapping[str, Any] | None, *, partial: bool = False, where: str = ""):
        """Normalised values: defaults filled in (unless ``partial``), unknown names refused.

        Raises ParamError naming ``where`` (e.g. the node) and the first bad parameter.
        """
        values = {} if values is None else values
        if not isinstance(values, Mapping):
            raise ParamError(f"{where or 'parameters'}: expected a mapping of names to values")
        unknown = [k for k in values if k not in self]
        if unknown:
            known = ", ".join(self.names) or "none"
            raise ParamError(
                f"{where + ': ' if where else ''}unknown parameter {unknown[0]!r} "
                f"(known parameters: {known})"
            )
        out = {} if partial else self.defaults()
        for p in self.params:
            if p.name in values:
                try:
                    out[p.name] = p.check(values[p.name])
                except ParamError as e:
                    raise ParamError(f"{where + ': ' if where else ''}{e}") from None
        return out


def params(*items: Param) -> Schema:
    """A Schema of the given Params (a shorthand for catalog entries)."""
    return Schema(tuple(items))


def as_json(value: Any) -> Any:
    """A parameter value as JSON data (tuples become lists)."""
    if isinstance(value, tuple):
        return [as_json(v) for v in value]
    return value


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)
