"""The dataset, training, meta and ui sections: defaults, checks and every-problem lists."""

from __future__ import annotations

import pytest

from core.model import Document, DocumentError, settings


def test_empty_sections_take_every_default():
    assert settings.check_training({}) == settings.TRAINING.defaults()
    assert settings.check_meta({}) == settings.META.defaults()
    assert settings.check_dataset({}) == {**settings.DATASET.defaults(), "options": {}}
    assert settings.check_ui({}) == {}


def test_a_bad_setting_names_its_section_and_field():
    with pytest.raises(DocumentError, match=r"^training\.lr: 0 is not valid"):
        settings.check_training({"lr": 0})
    with pytest.raises(DocumentError, match=r"^dataset\.source: .*'builtin'"):
        settings.check_dataset({"source": "ftp"})
    with pytest.raises(DocumentError, match=r"^meta\.colour: unknown parameter"):
        settings.check_meta({"colour": "red"})
    with pytest.raises(DocumentError, match="^training: expected an object"):
        settings.check_training([1])


def test_dataset_options_are_scalars_or_lists_of_scalars_with_identifier_names():
    ok = settings.check_dataset({"options": {"n_samples": 200, "noise": 0.1, "kind": "x"}})
    assert ok["options"] == {"n_samples": 200, "noise": 0.1, "kind": "x"}
    columns = ("b", "c")  # a tuple is kept as the list JSON gives back
    ok = settings.check_dataset({"options": {"categorical_columns": columns, "na": [1, None]}})
    assert ok["options"] == {"categorical_columns": ["b", "c"], "na": [1, None]}
    bad = [
        ({"noise": float("nan")}, r"options\.noise: nan"),
        ({"n": 2**80}, r"options\.n: "),
        ({"not a name": 1}, r"options\.not a name: "),
        ({"x": "bad \ud800"}, r"options\.x: "),
        ({"cols": ["a", ["b"]]}, r"options\.cols\[1\]: \['b'\]: expected a number"),
        ({"cols": [{"a": 1}]}, r"options\.cols\[0\]: "),
        ({"cols": {"a": 1}}, r"options\.cols: .*or a list of those"),
        ({"cols": ["a", float("inf")]}, r"options\.cols\[1\]: inf"),
        ({"cols": list(range(settings.MAX_OPTION_ITEMS + 1))}, r"options\.cols: at most 1000"),
    ]
    for options, words in bad:
        with pytest.raises(DocumentError, match=r"^dataset\." + words):
            settings.check_dataset({"options": options})
    too_many = {f"o{i}": i for i in range(settings.MAX_OPTIONS + 1)}
    with pytest.raises(DocumentError, match="at most"):
        settings.check_dataset({"options": too_many})
    # a copy: changing the caller's list later does not change the checked section
    given = {"options": {"cols": ["a"]}}
    checked = settings.check_dataset(given)
    given["options"]["cols"].append("b")
    assert checked["options"]["cols"] == ["a"]


def test_problems_lists_every_problem_with_its_path():
    found = settings.problems(
        "dataset",
        {"source": "ftp", "block": 1, "extra": 1, "options": {"a": [1, [2], 3, {}], "b": {}}},
    )
    paths = sorted(found, key=lambda f: str(f[0]))
    assert [p for p, _ in paths] == [
        ("block",),
        ("extra",),
        ("options", "a", 1),
        ("options", "a", 3),
        ("options", "b"),
        ("source",),
    ]
    assert settings.problems("training", {"lr": 0.1, "epochs": 3}) == []


def test_ui_is_free_json_bounded_in_depth_and_kind():
    value = {"view": {"zoom": 1.5, "center": (10, 20)}, "notes": ["a", None, True]}
    copy = settings.check_ui(value)
    assert copy == {"view": {"zoom": 1.5, "center": [10, 20]}, "notes": ["a", None, True]}
    copy["view"]["zoom"] = 3
    assert value["view"]["zoom"] == 1.5  # a copy, not the caller's objects
    deep: dict = {}
    d = deep
    for _ in range(settings.UI_MAX_DEPTH + 2):
        d["x"] = {}
        d = d["x"]
    problems = settings.problems("ui", deep)
    assert problems and "levels deep" in problems[0][1]
    paths = [p for p, _ in settings.problems("ui", {"a": [1, float("inf")], 3: "x", "s": {1}})]
    assert ("a", 1) in paths and (3,) in paths and ("s",) in paths


def test_document_sections_are_read_only_copies():
    doc = Document()
    doc.training["lr"] = 5.0
    doc.dataset["options"]["n"] = 1
    assert doc.training["lr"] == 0.001 and doc.dataset["options"] == {}
    with pytest.raises(AttributeError):
        doc.training = {}


def test_update_settings_keeps_the_other_fields_and_set_replaces_them():
    doc = Document()
    doc.update_settings("training", {"lr": 0.01, "epochs": 3})
    doc.update_settings("training", {"batch_size": 8})
    assert (doc.training["lr"], doc.training["epochs"], doc.training["batch_size"]) == (0.01, 3, 8)
    doc.set_training({"batch_size": 16})
    assert doc.training["lr"] == 0.001 and doc.training["batch_size"] == 16
    doc.update_settings("dataset", {"options": {"noise": 0.2}})
    assert doc.dataset["options"] == {"noise": 0.2}
    doc.set_ui({"zoom": 2})
    doc.update_settings("ui", {"grid": True})
    assert doc.ui == {"zoom": 2, "grid": True}
