"""The project file format: round trips, migration, validation paths, strict JSON, atomic save."""

from __future__ import annotations

import copy
import errno
import json
import os
from pathlib import Path

import pytest

from core.model import Document, serialize
from core.model.serialize import FORMAT, VERSION, FormatError, Problem

EXAMPLES = Path(__file__).resolve().parents[3] / "resources" / "examples"


# -- documents -------------------------------------------------------------------------
def empty() -> Document:
    return Document()


def mlp() -> Document:
    doc = Document()
    doc.add_node("Input", params={"shape": [2]}, id="x", name="Point", position=(0, 0))
    doc.add_node("Linear", params={"out_features": 16}, id="fc1", position=(200, 0))
    doc.add_node("ReLU", id="act", position=(400, 0))
    doc.add_node("Linear", params={"out_features": 2, "bias": False}, id="fc2", position=(600, 0))
    doc.add_node("Output", id="y", position=(800, -12.5))
    for a, b in (("x", "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "y")):
        doc.connect(a, b)
    doc.set_meta({"title": "MLP", "description": "two spirals, «unicode» ok", "goal": 0.9})
    doc.set_dataset({"name": "spirals", "options": {"n_samples": 300, "noise": 0.1}})
    doc.set_training({"lr": 0.01, "epochs": 3, "optimizer": "sgd"})
    return doc


def merges() -> Document:
    """Two inputs, a Concat and an Add with a skip connection, two outputs."""
    doc = Document()
    doc.add_node("Input", params={"shape": [4]}, id="a")
    doc.add_node("Input", params={"shape": [4]}, id="b")
    doc.add_node("Concat", params={"inputs": 2, "axis": 0}, id="cat")
    doc.add_node("Linear", params={"out_features": 4}, id="proj")
    doc.add_node("Add", params={"inputs": 3}, id="sum")
    doc.add_node("Output", id="main")
    doc.add_node("Output", id="aux")
    doc.connect("a", "cat", dst_port="in1")
    doc.connect("b", "cat", dst_port="in2")
    doc.connect("cat", "proj")
    doc.connect("proj", "sum", dst_port="in1")
    doc.connect("a", "sum", dst_port="in2")
    doc.connect("b", "sum", dst_port="in3")
    doc.connect("sum", "main")
    doc.connect("cat", "aux")
    doc.set_ui({"view": {"zoom": 1.25, "center": [10, -4]}, "collapsed": ["aux"]})
    return doc


def various() -> Document:
    """Kinds with tuple-valued, optional and choice parameters."""
    doc = Document()
    doc.add_node("Input", params={"shape": [1, 8, 8]}, id="img")
    conv = doc.add_node("Conv2d", params={"out_channels": 4, "kernel_size": [3, 3], "padding": 1})
    flat = doc.add_node("Flatten")
    doc.add_node("Input", params={"shape": [5], "dtype": "int64"}, id="tok")
    emb = doc.add_node("Embedding", params={"num_embeddings": 10, "embedding_dim": 3})
    act = doc.add_node("GELU", params={"approximate": "tanh"})
    doc.connect("img", conv.id)
    doc.connect(conv.id, flat.id)
    doc.connect("tok", emb.id)
    doc.connect(emb.id, act.id)
    return doc


def tabular() -> Document:
    """A CSV dataset whose options hold lists (as JSON lists, round trip included)."""
    doc = Document()
    doc.add_node("Input", params={"shape": [3]}, id="x")
    doc.add_node("Linear", params={"out_features": 2}, id="fc")
    doc.add_node("Output", id="y")
    doc.connect("x", "fc")
    doc.connect("fc", "y")
    options = {
        "categorical_columns": ("b", "colour"),  # a tuple: written and read back as a list
        "na_values": ["", "?"],
        "classes": [0, 1.5, True, None],
        "numeric_columns": [f"c{i}" for i in range(30)],  # too long for one line
        "delimiter": ";",
    }
    doc.set_dataset({"source": "csv", "path": "data/t.csv", "target": "kind", "options": options})
    return doc


DOCS = [empty, mlp, merges, various, tabular]


# -- round trips -----------------------------------------------------------------------
@pytest.mark.parametrize("make", DOCS, ids=[f.__name__ for f in DOCS])
def test_to_dict_from_dict_round_trip_is_exact(make):
    data = serialize.to_dict(make())
    again = serialize.to_dict(serialize.from_dict(copy.deepcopy(data)))
    assert again == data
    assert list(again) == list(serialize.TOP_KEYS)
    assert json.loads(json.dumps(data)) == data  # plain JSON data: lists, not tuples


@pytest.mark.parametrize("make", DOCS, ids=[f.__name__ for f in DOCS])
def test_dumps_is_deterministic_json_with_indent_two_and_a_trailing_newline(make):
    text = serialize.dumps(make())
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text.splitlines()[1] == f'  "format": "{FORMAT}",'
    assert json.loads(text) == serialize.to_dict(make())
    assert serialize.dumps(serialize.loads(text)) == text
    assert serialize.dumps(make()) == text
    assert all(len(line) <= 100 or '": "' in line for line in text.splitlines())


def test_list_options_round_trip_through_the_file_text():
    doc = serialize.loads(serialize.dumps(tabular()))
    options = doc.dataset["options"]
    assert options["categorical_columns"] == ["b", "colour"]
    assert options["classes"] == [0, 1.5, True, None]
    assert options["numeric_columns"] == [f"c{i}" for i in range(30)]
    text = serialize.dumps(doc)
    assert '"categorical_columns": ["b", "colour"],' in text  # short lists on one line


def test_dumps_sorts_keys_where_order_does_not_matter_and_keeps_graph_order():
    doc = merges()
    data = json.loads(serialize.dumps(doc))
    for section in ("meta", "dataset", "training"):
        assert list(data[section]) == sorted(data[section])
    assert list(data["nodes"][2]["params"]) == ["axis", "inputs"]
    assert [n["id"] for n in data["nodes"]] == list(doc.nodes)
    assert [(e["src"], e["dst"]) for e in data["edges"]] == [(e.src, e.dst) for e in doc.edges]


def test_a_loaded_document_keeps_input_and_output_order():
    doc = serialize.loads(serialize.dumps(merges()))
    assert [n.id for n in doc.input_nodes()] == ["a", "b"]
    assert [n.id for n in doc.output_nodes()] == ["main", "aux"]
    assert doc.ui["view"]["zoom"] == 1.25


def test_optional_keys_take_defaults():
    data = {
        "format": FORMAT,
        "version": VERSION,
        "nodes": [{"id": "x", "kind": "Input"}, {"id": "fc", "kind": "Linear", "name": "Linear 1"}],
        "edges": [{"src": "x", "dst": "fc"}],
    }
    doc = serialize.from_dict(data)
    assert doc.node("x").name == "Input 1" and doc.node("x").position == (0.0, 0.0)
    assert doc.node("fc").params == {"out_features": 32, "bias": True}
    assert doc.edges[0].src_port == "out" and doc.edges[0].dst_port == "in"
    assert doc.training == Document().training


def test_from_dict_does_not_change_its_input():
    data = serialize.to_dict(merges())
    frozen = copy.deepcopy(data)
    serialize.from_dict(data)
    assert data == frozen


@pytest.mark.skipif(not list(EXAMPLES.glob("*.ember.json")), reason="no example projects")
def test_example_projects_load_and_are_written_in_canonical_form():
    for path in sorted(EXAMPLES.glob("*.ember.json")):
        text = path.read_text(encoding="utf-8")
        assert serialize.dumps(serialize.load(path)) == text, path.name


# -- migration -------------------------------------------------------------------------
V1 = {
    "format": FORMAT,
    "version": 1,
    "meta": {"title": "old"},
    "nodes": {
        "x": {"type": "Input", "name": "In", "params": {"shape": [3]}, "pos": {"x": 5, "y": 6}},
        "fc": {"type": "Linear", "params": {"out_features": 2}},
        "y": {"type": "Output", "name": "Out", "pos": {"x": 300, "y": 0}},
    },
    "edges": ["x:out->fc:in", "fc -> y"],
    "dataset": {"name": "moons"},
    "training": {"learning_rate": 0.05, "epochs": 2},
}


def test_a_version_1_file_migrates_to_the_current_layout():
    before = copy.deepcopy(V1)
    migrated = serialize.migrate(V1)
    assert V1 == before  # migrations are pure
    assert migrated["version"] == VERSION
    assert migrated["nodes"][0] == {
        "id": "x",
        "kind": "Input",
        "name": "In",
        "params": {"shape": [3]},
        "position": [5, 6],
    }
    assert migrated["edges"][1] == {"src": "fc", "src_port": "out", "dst": "y", "dst_port": "in"}
    assert migrated["training"] == {"lr": 0.05, "epochs": 2}
    assert serialize.validate(V1) == []
    doc = serialize.from_dict(V1)
    assert list(doc.nodes) == ["x", "fc", "y"] and doc.node("x").position == (5.0, 6.0)
    assert doc.training["lr"] == 0.05 and doc.dataset["name"] == "moons"
    assert serialize.to_dict(doc)["version"] == VERSION  # saved in the new layout


def test_each_migration_is_a_step_of_one_version():
    assert sorted(serialize.MIGRATIONS) == list(range(1, VERSION))
    assert serialize.MIGRATIONS[1](V1)["version"] == 2


def test_a_broken_version_1_layout_is_reported_with_version_1_paths():
    bad = copy.deepcopy(V1)
    bad["nodes"]["fc"]["pos"] = [1, 2]
    bad["nodes"]["fc"]["colour"] = "red"
    del bad["nodes"]["y"]["type"]
    bad["edges"].append("x=>y")
    problems = serialize.validate(bad)
    assert {p.path for p in problems} == {
        "nodes.fc.pos",
        "nodes.fc.colour",
        "nodes.y.type",
        "edges[2]",
    }
    assert all(p.message.endswith("(version 1 layout)") for p in problems)
    with pytest.raises(FormatError, match="nodes.fc.pos"):
        serialize.from_dict(bad)


def test_a_newer_file_is_refused_with_a_request_to_update():
    data = serialize.to_dict(mlp())
    data["version"] = VERSION + 1
    data["nodes"] = "a layout we do not know"
    with pytest.raises(FormatError, match="update Ember Studio") as info:
        serialize.from_dict(data)
    assert [p.path for p in info.value.problems] == ["version"]


# -- validation: every problem, with its path -------------------------------------------
def _set(path, value):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _delete(path):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        del target[last]

    return change


def _append(key, value):
    return lambda data: data[key].append(value)


CASES = [
    # (change to mlp().to_dict(), expected path, words in the message)
    (_set(("format",), "other.app"), "format", "not an Ember Studio model"),
    (_delete(("format",)), "format", "missing"),
    (_set(("version",), "2"), "version", "not a format version"),
    (_set(("version",), 0), "version", "not a format version"),
    (_set(("version",), True), "version", "not a format version"),
    (_delete(("version",)), "version", "missing"),
    (_set(("colour",), 1), "colour", "unknown key"),
    (_set(("odd key",), 1), '["odd key"]', "unknown key"),
    (_delete(("nodes",)), "nodes", "missing"),
    (_delete(("edges",)), "edges", "missing"),
    (_set(("nodes",), {}), "nodes", "expected a list"),
    (_set(("edges",), "x->y"), "edges", "expected a list"),
    (_set(("nodes", 1), 5), "nodes[1]", "expected a node object"),
    (_delete(("nodes", 1, "id")), "nodes[1].id", "missing"),
    (_delete(("nodes", 1, "kind")), "nodes[1].kind", "missing"),
    (_set(("nodes", 1, "id"), "x"), "nodes[1].id", "duplicate id 'x' (also nodes[0])"),
    (_set(("nodes", 1, "id"), "2fc"), "nodes[1].id", "not valid"),
    (_set(("nodes", 1, "id"), "forward"), "nodes[1].id", "reserved"),
    (_set(("nodes", 1, "id"), 7), "nodes[1].id", "not valid"),
    (_set(("nodes", 1, "kind"), "Lineer"), "nodes[1].kind", "did you mean Linear"),
    (_set(("nodes", 1, "kind"), None), "nodes[1].kind", "a layer kind is a name"),
    (_set(("nodes", 1, "name"), ""), "nodes[1].name", "cannot be empty"),
    (_set(("nodes", 1, "name"), 3), "nodes[1].name", "must be text"),
    (_set(("nodes", 1, "params"), []), "nodes[1].params", "expected an object"),
    (_set(("nodes", 1, "params", "out_features"), 0), "nodes[1].params.out_features", ">= 1"),
    (_set(("nodes", 1, "params", "out_features"), "8"), "nodes[1].params.out_features", "whole"),
    (_set(("nodes", 1, "params", "units"), 8), "nodes[1].params.units", "unknown parameter"),
    (_set(("nodes", 0, "params", "shape"), []), "nodes[0].params.shape", "one dimension"),
    (_set(("nodes", 1, "position"), [1]), "nodes[1].position", "two numbers"),
    (_set(("nodes", 1, "position"), [1e9, 0]), "nodes[1].position", "out of range"),
    (_set(("nodes", 1, "colour"), "red"), "nodes[1].colour", "unknown key"),
    (_set(("edges", 1), "fc1->act"), "edges[1]", "expected an edge object"),
    (_delete(("edges", 1, "src")), "edges[1].src", "missing"),
    (_delete(("edges", 1, "dst")), "edges[1].dst", "missing"),
    (_set(("edges", 1, "dst"), "ghost"), "edges[1].dst", "no node 'ghost'"),
    (_set(("edges", 1, "src"), 3), "edges[1].src", "expected a text"),
    (_set(("edges", 1, "dst_port"), "in2"), "edges[1].dst_port", "no input port 'in2'"),
    (_set(("edges", 1, "src_port"), "left"), "edges[1].src_port", "no output port 'left'"),
    (_set(("edges", 1, "weight"), 1), "edges[1].weight", "unknown key"),
    (_append("edges", {"src": "x", "dst": "act"}), "edges[4].dst", "already fed by edges[1]"),
    (_append("edges", {"src": "x", "dst": "x"}), "edges[4].dst_port", "its inputs: none"),
    (_append("edges", {"src": "act", "dst": "act", "dst_port": "in"}), "edges[4].dst", "itself"),
    (_set(("meta",), "MLP"), "meta", "expected an object"),
    (_set(("training", "lr"), -1), "training.lr", "> 0"),
    (_set(("training", "optimiser"), "adam"), "training.optimiser", "unknown parameter"),
    (_set(("dataset", "source"), "web"), "dataset.source", "one of"),
    (_set(("dataset", "options", "cols"), ["a", [1]]), "dataset.options.cols[1]", "expected a"),
    (_set(("dataset", "options", "cols"), {"a": 1}), "dataset.options.cols", "a list of those"),
    (_set(("dataset", "options", "cols"), [0] * 1001), "dataset.options.cols", "at most 1000"),
    (_set(("ui",), []), "ui", "expected an object"),
    (_set(("ui", "x"), {"y": [1, {"z": set()}]}), "ui.x.y[1].z", "not JSON data"),
]


@pytest.mark.parametrize("change, path, words", CASES, ids=[c[1] for c in CASES])
def test_validate_reports_the_problem_at_its_json_path(change, path, words):
    data = serialize.to_dict(mlp())
    change(data)
    problems = serialize.validate(data)
    assert problems, "the change must be reported"
    assert path in [p.path for p in problems], problems
    message = next(p.message for p in problems if p.path == path)
    assert words in message
    with pytest.raises(FormatError) as info:
        serialize.from_dict(data)
    assert info.value.problems == problems


def test_a_cycle_is_reported_at_the_edge_that_closes_it_with_the_loop_spelled_out():
    data = serialize.to_dict(mlp())
    data["nodes"].append({"id": "extra", "kind": "ReLU"})
    data["edges"][1] = {"src": "extra", "dst": "act"}  # frees act.in
    data["edges"].append({"src": "fc2", "dst": "extra"})
    problems = serialize.validate(data)
    assert problems == [
        Problem(
            "edges[1]",
            "the edges make a cycle: extra -> act -> fc2 -> extra (a model must not loop back)",
        )
    ]


def test_two_separate_cycles_are_two_problems():
    nodes = [{"id": f"n{i}", "kind": "ReLU"} for i in range(4)]
    edges = [("n0", "n1"), ("n1", "n0"), ("n2", "n3"), ("n3", "n2")]
    data = {
        "format": FORMAT,
        "version": VERSION,
        "nodes": nodes,
        "edges": [{"src": a, "dst": b} for a, b in edges],
    }
    assert [p.path for p in serialize.validate(data)] == ["edges[0]", "edges[2]"]


def test_every_problem_is_reported_and_the_message_lists_the_first_ten():
    data = serialize.to_dict(mlp())
    for i in range(12):
        data["nodes"].append({"id": f"bad{i}", "kind": "Linear", "params": {"out_features": -i}})
    data["edges"].append({"src": "ghost", "dst": "y"})
    problems = serialize.validate(data)
    assert len(problems) == 13  # 12 parameters and the dangling edge
    with pytest.raises(FormatError) as info:
        serialize.from_dict(data, source="model.ember.json")
    text = str(info.value)
    assert text.startswith("model.ember.json: cannot read this model (13 problems):")
    assert "nodes[14].params.out_features" in text and "... and 3 more" in text
    assert "edges[4]" not in text  # not among the first ten


def test_not_an_object_is_one_problem_at_the_top():
    for data in (None, [], "model", 3):
        (problem,) = serialize.validate(data)
        assert problem.path == "" and "expected a JSON object" in problem.message


def test_loading_never_runs_anything_in_the_file():
    data = serialize.to_dict(mlp())
    data["nodes"][1]["kind"] = "__import__('os').system('echo pwned')"
    data["nodes"][1]["name"] = "x'); import os; os.system('echo pwned"
    problems = serialize.validate(data)
    assert [p.path for p in problems] == ["nodes[1].kind"]
    source = Path(serialize.__file__).read_text()
    builtins_that_run_code = ("ev" + "al(", "ex" + "ec(", "pickle", "import_module", "__import__")
    for word in builtins_that_run_code:
        assert word not in source


# -- strict JSON text --------------------------------------------------------------------
def test_syntax_errors_give_line_and_column():
    text = serialize.dumps(mlp()).replace('"version": 2,', '"version": 2', 1)
    with pytest.raises(FormatError, match=r"^model\.json:4:3: not valid JSON") as info:
        serialize.loads(text, source="model.json")
    assert info.value.problems[0].message.startswith("line 4, column 3")


@pytest.mark.parametrize(
    "value, words",
    [("NaN", "NaN"), ("-Infinity", "Infinity"), ("1e999", "too large")],
)
def test_non_finite_numbers_are_refused_with_their_place(value, words):
    text = serialize.dumps(mlp()).replace('"goal": 0.9', f'"goal": {value}')
    line = next(i for i, s in enumerate(text.splitlines(), 1) if '"goal":' in s)
    with pytest.raises(FormatError, match=rf"^f:{line}:\d+: .*{words}"):
        serialize.loads(text, source="f")


def test_nan_inside_a_string_is_text_not_a_number():
    doc = mlp()
    doc.update_settings("meta", {"title": "NaN and Infinity 1e999"})
    assert serialize.loads(serialize.dumps(doc)).meta["title"] == "NaN and Infinity 1e999"


def test_duplicate_keys_are_refused():
    text = serialize.dumps(mlp()).replace('"version": 2,', '"version": 2, "version": 1,')
    with pytest.raises(FormatError, match="'version' appears twice"):
        serialize.loads(text)


def test_size_and_depth_limits(monkeypatch):
    with pytest.raises(FormatError, match="nested more than"):
        serialize.loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FormatError, match="nested more than"):
        serialize.loads('{"ui": ' + "[" * 70 + "]" * 70 + "}")
    monkeypatch.setattr(serialize, "MAX_BYTES", 1000)
    with pytest.raises(FormatError, match="too large"):
        serialize.loads(serialize.dumps(mlp()))


def test_bytes_are_utf8_with_or_without_a_bom():
    text = serialize.dumps(mlp())
    assert serialize.loads(text.encode("utf-8")).meta == mlp().meta
    assert serialize.loads(b"\xef\xbb\xbf" + text.encode("utf-8")).meta == mlp().meta
    with pytest.raises(FormatError, match="not UTF-8"):
        serialize.loads(text.encode("utf-16"))


def test_a_huge_integer_is_a_format_error():
    with pytest.raises(FormatError):
        serialize.loads('{"version": ' + "9" * 5000 + "}")


# -- files -----------------------------------------------------------------------------
def test_save_and_load_round_trip(tmp_path):
    path = tmp_path / "model.ember.json"
    serialize.save(mlp(), path)
    assert path.read_text(encoding="utf-8") == serialize.dumps(mlp())
    assert serialize.to_dict(serialize.load(path)) == serialize.to_dict(mlp())
    assert serialize.to_dict(Document.load(str(path))) == serialize.to_dict(mlp())
    assert not Path(serialize.backup_path(path)).exists()  # nothing to keep the first time


def test_save_keeps_the_previous_file_as_bak(tmp_path):
    path = tmp_path / "model.ember.json"
    first, second = mlp(), merges()
    first.save(path)
    second.save(path)
    bak = tmp_path / "model.ember.json.bak"
    assert bak.read_text(encoding="utf-8") == serialize.dumps(first)
    assert path.read_text(encoding="utf-8") == serialize.dumps(second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.ember.json", bak.name]


def test_save_keeps_the_file_mode(tmp_path):
    path = tmp_path / "model.ember.json"
    path.write_text("old")
    os.chmod(path, 0o640)
    serialize.save(mlp(), path)
    assert (os.stat(path).st_mode & 0o777) == 0o640


def _failing(code: int):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    "where, code",
    [
        ("replace", errno.ENOSPC),
        ("fsync", errno.ENOSPC),
        ("write", errno.ENOSPC),
        ("open", errno.EACCES),  # the folder refuses new files
    ],
)
def test_a_failed_save_leaves_the_file_untouched_and_says_why(tmp_path, monkeypatch, where, code):
    path = tmp_path / "model.ember.json"
    mlp().save(path)
    mlp().save(path)  # a .bak exists too
    before = path.read_bytes()
    bak_before = (tmp_path / "model.ember.json.bak").read_bytes()
    if where == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:10])
                _failing(code)()

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(os, where, _failing(code))
    with pytest.raises(serialize.SaveError) as info:
        merges().save(path)
    monkeypatch.undo()
    message = str(info.value)
    assert str(path) in message and os.strerror(code) in message
    assert "not changed" in message
    assert info.value.errno == code and isinstance(info.value, OSError)
    assert path.read_bytes() == before
    assert (tmp_path / "model.ember.json.bak").read_bytes() == bak_before
    leftovers = {p.name for p in tmp_path.iterdir()} - {path.name, path.name + ".bak"}
    assert leftovers == set()  # no temporary files left behind


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_saving_into_a_read_only_folder_names_the_file_and_the_reason(tmp_path):
    path = tmp_path / "model.ember.json"
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.raises(serialize.SaveError, match="Permission denied") as info:
            serialize.save(mlp(), path)
    finally:
        os.chmod(tmp_path, 0o700)
    assert str(path) in str(info.value)


def test_load_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.ember.json"
    with pytest.raises(FileNotFoundError) as info:
        serialize.load(missing)
    assert str(missing) in str(info.value)
    broken = tmp_path / "broken.ember.json"
    broken.write_text('{"format": ')
    with pytest.raises(FormatError, match=rf"^{broken}:1:12: not valid JSON"):
        serialize.load(broken)
    invalid = tmp_path / "invalid.ember.json"
    invalid.write_text(json.dumps({"format": FORMAT, "version": 2, "nodes": [1], "edges": []}))
    with pytest.raises(FormatError, match=rf"^{invalid}: cannot read .*\n  nodes\[0\]"):
        serialize.load(invalid)


def test_load_refuses_a_file_over_the_size_limit_before_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "big.ember.json"
    mlp().save(path)
    monkeypatch.setattr(serialize, "MAX_BYTES", 100)
    with pytest.raises(FormatError, match="too large"):
        serialize.load(path)


def test_save_through_a_symlink_writes_the_target(tmp_path):
    if not hasattr(os, "symlink"):
        pytest.skip("no symlinks")
    real = tmp_path / "real.ember.json"
    link = tmp_path / "link.ember.json"
    mlp().save(real)
    link.symlink_to(real)
    merges().save(link)
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == serialize.dumps(merges())
