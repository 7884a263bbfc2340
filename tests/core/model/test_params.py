"""Parameter schemas: what each type accepts, normalises and refuses (with a reason)."""

from __future__ import annotations

import math

import pytest

from core.model.params import INT_LIMIT, Param, ParamError, Schema, as_json, params, short_repr


def test_int_accepts_whole_numbers_and_whole_floats_and_refuses_the_rest():
    p = Param("units", "int", 4, min=1, max=100)
    assert p.check(7) == 7
    assert p.check(7.0) == 7 and isinstance(p.check(7.0), int)
    for bad in (7.5, True, "7", None, [7], float("nan"), float("inf")):
        with pytest.raises(ParamError, match="units"):
            p.check(bad)


def test_bounds_are_inclusive_unless_min_exclusive():
    p = Param("lr", "float", 0.1, min=0, max=1, min_exclusive=True)
    assert p.check(1) == 1.0
    with pytest.raises(ParamError, match="> 0"):
        p.check(0)
    with pytest.raises(ParamError, match="<= 1"):
        p.check(1.5)


def test_float_refuses_non_finite_and_numbers_too_large_for_a_float():
    p = Param("x", "float", 0.0)
    with pytest.raises(ParamError, match="finite"):
        p.check(float("inf"))
    with pytest.raises(ParamError, match="finite"):
        p.check(10**400)  # float(10**400) overflows: refused, not an OverflowError


def test_unbounded_whole_numbers_must_fit_in_int64():
    p = Param("n", "int", 0)
    assert p.check(INT_LIMIT) == INT_LIMIT
    with pytest.raises(ParamError, match="too large"):
        p.check(INT_LIMIT + 1)
    with pytest.raises(ParamError, match="too large"):
        Param("s", "shape", (1,)).check([1, 2**70])


def test_error_messages_stay_short_even_for_huge_values():
    p = Param("n", "int", 0)
    huge = 10**5000  # repr() of this raises ValueError in Python 3.11
    with pytest.raises(ParamError) as info:
        p.check(huge)
    assert len(str(info.value)) < 200
    with pytest.raises(ParamError) as info:
        Param("name", "str", "").check(["x" * 10_000])
    assert len(str(info.value)) < 200
    assert "..." in short_repr("y" * 1000) and len(short_repr("y" * 1000)) <= 60


def test_choice_matches_type_exactly():
    p = Param("mode", "choice", "a", choices=("a", "b"))
    assert p.check("b") == "b"
    with pytest.raises(ParamError, match="one of 'a', 'b'"):
        p.check("c")
    n = Param("k", "choice", 1, choices=(1, 2))
    assert n.check(2.0) == 2 and isinstance(n.check(2.0), int)
    with pytest.raises(ParamError):
        n.check(True)  # True == 1 in Python, but it is not the choice 1
    b = Param("flag", "choice", False, choices=(False, "auto"))
    with pytest.raises(ParamError):
        b.check(0)


def test_str_refuses_non_text_nul_and_lone_surrogates():
    p = Param("path", "str", "")
    assert p.check("data/x.csv") == "data/x.csv"
    for bad in (3, b"x", "a\x00b", "bad \ud800 text"):
        with pytest.raises(ParamError, match="path"):
            p.check(bad)


def test_size_takes_one_number_or_a_list_of_its_length():
    p = Param("kernel", "size", 3, min=1, length=2)
    assert p.check(5) == 5
    assert p.check([3, 4]) == (3, 4)
    assert p.check((3.0, 4)) == (3, 4)
    with pytest.raises(ParamError, match="needs 2 numbers, got 3"):
        p.check([1, 2, 3])
    with pytest.raises(ParamError):
        p.check([1, 0])
    with pytest.raises(ParamError):
        p.check([1, [2]])


def test_shape_needs_at_least_one_dimension():
    p = Param("shape", "shape", (2,), min=1)
    assert p.check([3, 32, 32]) == (3, 32, 32)
    with pytest.raises(ParamError, match="at least one dimension"):
        p.check([])
    with pytest.raises(ParamError):
        p.check(3)


def test_optional_admits_none_and_says_so():
    p = Param("pad", "int", None, optional=True)
    assert p.check(None) is None
    assert "or none" in p.describe()
    with pytest.raises(ParamError):
        Param("n", "int", 1).check(None)


def test_param_definitions_are_checked():
    with pytest.raises(ValueError, match="unknown type"):
        Param("x", "complex", 0)
    with pytest.raises(ValueError, match="needs choices"):
        Param("x", "choice", "a")
    with pytest.raises(ParamError):
        Param("x", "int", 0, min=1)  # the default itself breaks the bound


def test_param_error_carries_the_name_and_a_detail_without_it():
    with pytest.raises(ParamError) as info:
        Param("units", "int", 1, min=1).check(0)
    assert info.value.param == "units"
    assert info.value.detail.startswith("0 is not valid")
    assert str(info.value).startswith("units = 0")


SCHEMA = params(
    Param("units", "int", 4, min=1),
    Param("bias", "bool", True),
    Param("act", "choice", "relu", choices=("relu", "tanh")),
)


def test_schema_fills_defaults_and_partial_does_not():
    assert SCHEMA.check({"units": 8}) == {"units": 8, "bias": True, "act": "relu"}
    assert SCHEMA.check({"units": 8}, partial=True) == {"units": 8}
    assert SCHEMA.check(None) == SCHEMA.defaults()


def test_schema_refuses_unknown_names_and_names_where():
    with pytest.raises(ParamError, match=r"node 'fc': unknown parameter 'unit'.*units, bias"):
        SCHEMA.check({"unit": 3}, where="node 'fc'")
    with pytest.raises(ParamError, match="node 'fc': units = 0"):
        SCHEMA.check({"units": 0}, where="node 'fc'")
    with pytest.raises(ParamError, match="mapping"):
        SCHEMA.check([("units", 3)])


def test_schema_problems_lists_every_problem_by_key():
    found = SCHEMA.problems({"units": 0, "bias": "yes", "color": "red", 3: 1, "act": "relu"})
    assert [k for k, _ in found] == ["units", "bias", "color", 3]
    assert "unknown parameter 'color'" in found[2][1]
    assert found[0][1].startswith("0 is not valid")


def test_schema_lookups():
    assert SCHEMA.names == ("units", "bias", "act")
    assert "units" in SCHEMA and 3 not in SCHEMA and ["units"] not in SCHEMA
    assert SCHEMA["bias"].default is True
    with pytest.raises(KeyError):
        SCHEMA["nope"]
    with pytest.raises(ValueError, match="duplicate"):
        Schema((Param("a", "int", 0), Param("a", "int", 0)))


def test_as_json_turns_tuples_into_lists():
    assert as_json((1, (2, 3))) == [1, [2, 3]]
    assert as_json(math.pi) == math.pi
