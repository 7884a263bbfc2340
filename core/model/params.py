"""Parameter schemas: what a layer kind (or a training setting) accepts, and checking it.

A :class:`Param` says a parameter's type, default, range or choices and doc. ``check``
turns a value read from the user or a JSON file into the normalised in-memory value
(tuples for sizes, ints for whole floats) or raises :class:`ParamError` saying what was
expected. Values are always JSON-representable (tuples become lists on save).
"""

from __future__ import annotations

import math
import re
import reprlib
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


# Whole numbers are bounded to what an int64 holds when a Param gives no bound of its own.
INT_LIMIT = 2**63 - 1


class ParamError(ValueError):
    """A parameter value that its schema refuses; the message says which and why.

    ``param`` is the parameter's name and ``detail`` the message without it (for reports
    that name the parameter already, such as a JSON path).
    """

    def __init__(self, message: str, *, param: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.param = param
        self.detail = detail or message


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
            try:
                v = float(value)
            except OverflowError:
                v = math.inf
            if not math.isfinite(v):
                raise self._error(value, "it must be finite")
            return self._bounded(v, value)
        if t == "str":
            if not isinstance(value, str):
                raise self._error(value)
            if "\x00" in value:
                raise self._error(value, "it cannot contain a NUL character")
            if _SURROGATE.search(value):
                raise self._error(value, "it is not valid Unicode text")
            return value
        if t == "choice":
            for choice in self.choices:
                if _same_value(choice, value):
                    return choice
            raise self._error(value)
        # sizes, shapes, int lists
        if t == "size" and not isinstance(value, (list, tuple)):
            return self._bounded(self._int(value), value)
        if not isinstance(value, (list, tuple)):
            raise self._error(value)
        if self.length is not None and len(value) != self.length:
            raise self._error(value, f"it needs {self.length} numbers, got {len(value)}")
        items = tuple(self._bounded(self._int(v, value), value) for v in value)
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
        if isinstance(v, int) and abs(v) > INT_LIMIT:
            raise self._error(original, "it is too large")
        return v

    def _error(self, value: Any, why: str = "") -> ParamError:
        detail = f"{short_repr(value)} is not valid: expected {self.describe()}"
        if why:
            detail += f" ({why})"
        return ParamError(f"{self.name} = {detail}", param=self.name, detail=detail)


@dataclass(frozen=True)
class Schema:
    """An ordered set of Params with checking of a whole mapping of values."""

    params: tuple[Param, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate parameter names in {names}")
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})

    def __iter__(self):
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._by_name

    def __getitem__(self, name: str) -> Param:
        return self._by_name[name]

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
        prefix = f"{where}: " if where else ""
        values = {} if values is None else values
        if not isinstance(values, Mapping):
            raise ParamError(f"{where or 'parameters'}: expected a mapping of names to values")
        for key in values:
            if key not in self:
                raise ParamError(f"{prefix}{self.unknown(key)}", param=str(key))
        out = {} if partial else self.defaults()
        for p in self.params:
            if p.name in values:
                try:
                    out[p.name] = p.check(values[p.name])
                except ParamError as e:
                    raise ParamError(f"{prefix}{e}", param=p.name, detail=e.detail) from None
        return out

    def problems(self, values: Mapping[str, Any]) -> list[tuple[Any, str]]:
        """Every problem of ``values`` as (key, message): unknown names and refused values."""
        out: list[tuple[Any, str]] = []
        for key, value in values.items():
            if key not in self:
                out.append((key, self.unknown(key)))
                continue
            try:
                self[key].check(value)
            except ParamError as e:
                out.append((key, e.detail))
        return out

    def unknown(self, key: Any) -> str:
        """The message for a parameter name this schema does not have."""
        known = ", ".join(self.names) or "none"
        return f"unknown parameter {short_repr(key)} (known parameters: {known})"


def params(*items: Param) -> Schema:
    """A Schema of the given Params (a shorthand for catalog entries)."""
    return Schema(tuple(items))


def as_json(value: Any) -> Any:
    """A parameter value as JSON data (tuples become lists)."""
    if isinstance(value, tuple):
        return [as_json(v) for v in value]
    return value


def short_repr(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters; safe for huge or odd values."""
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - e.g. an int too long to print, a broken __repr__
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _same_value(choice: Any, value: Any) -> bool:
    """Whether ``value`` is ``choice``, with no bool/number confusion (True is not 1)."""
    if isinstance(choice, bool) or isinstance(value, bool):
        return type(choice) is type(value) and choice == value
    if isinstance(choice, str) or isinstance(value, str):
        return isinstance(choice, str) and isinstance(value, str) and choice == value
    if isinstance(value, (int, float)) and isinstance(choice, (int, float)):
        return choice == value
    return False


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def _make_repr() -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxstring = r.maxother = 60
    r.maxlong = 40
    return r


_REPR = _make_repr()
_SURROGATE = re.compile("[\ud800-\udfff]")
