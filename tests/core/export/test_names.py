"""Identifiers from user names, safe comment text, and literals/layouts as ruff writes them."""

from __future__ import annotations

import ast
import keyword
import random

import pytest

from core.export import fmt
from core.export.names import (
    MAX_IDENTIFIER,
    assign,
    class_name,
    comment_text,
    identifier,
    literal,
    reserved,
    string,
    width,
)
from tests.core.export.ruff_helper import ruff_problems


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Hidden 1", "hidden_1"),
        ("ReLU 2", "relu_2"),
        ("LeakyReLU", "leaky_relu"),
        ("BatchNorm2d", "batch_norm2d"),
        ("myLayerName", "my_layer_name"),
        ("HTTPServer", "http_server"),
        ("Couche cachée", "couche_cachee"),
        ("1st layer", "layer_1st_layer"),
        ("class", "class_"),
        ("None", "none"),
        ("self", "self_"),
        ("__init__", "init"),
        ("forward", "forward_"),
        ("training", "training_"),
        ("eval", "eval_"),
        ("parameters", "parameters_"),
        ("print", "print_"),
        ("x", "x_"),
        ("torch", "torch_"),
        ("F", "f"),
        ("层", "layer"),
        ("", "layer"),
        ('x"); import os; os.system("echo pwned', "x_import_os_os_system_echo_pwned"),
    ],
)
def test_identifier(name, expected):
    assert identifier(name) == expected


def test_identifiers_are_valid_short_and_unique():
    rng = random.Random(0)
    alphabet = "aZ_ 9é层\"'\\()#.;:-\u202e\u00a0"
    taken: set[str] = set()
    for _ in range(500):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        ident = identifier(name, "linear", taken=taken)
        assert ident.isidentifier() and ident.isascii(), (name, ident)
        assert not keyword.iskeyword(ident) and ident not in reserved()
        assert ident not in taken
        assert len(ident) <= MAX_IDENTIFIER + 4
        taken.add(ident)


def test_duplicates_are_numbered():
    taken = {"hidden", "hidden_2", "class_"}
    assert identifier("Hidden", taken=taken) == "hidden_3"
    assert identifier("class", taken=taken) == "class_2"


def test_reserved_covers_torch_module_attributes():
    torch = pytest.importorskip("torch")
    public = {a for a in dir(torch.nn.Module()) if not a.startswith("_")}
    assert public <= reserved()


def test_class_names():
    assert class_name("Spirals MLP") == "SpiralsMlp"
    assert class_name("") == "Model"
    assert class_name("3 layers") == "Model3Layers"
    assert class_name("exception") == "ExceptionNet"
    assert class_name("data loader") == "DataLoaderNet"


def test_comment_text_is_one_safe_line():
    text = comment_text('a\nb\r"c"\\d\u2028e\u202ef\x7f' + "z" * 100, limit=40)
    assert "\n" not in text and "\r" not in text and '"' not in text and "\\" not in text
    assert "\u2028" not in text and "\u202e" not in text and "\x7f" not in text
    assert text.startswith("a b 'c'/d e?f?z") and text.endswith("...")
    assert len(text) <= 40
    assert width(comment_text("层" * 100, limit=40)) <= 40  # wide characters count twice


@pytest.mark.parametrize(
    "value",
    ["plain", 'say "hi"', "it's", "both ' and \"", "tab\tnew\nline", "\x00\x7f\u2028é层", "\\"],
)
def test_string_literals_round_trip(value):
    assert ast.literal_eval(string(value)) == value


def test_literals_and_layouts_match_ruff_format(tmp_path):
    """Statements of every form the exporter writes, laid out by core.export.fmt, are what
    ruff format writes (random names of random lengths, seeded)."""
    rng = random.Random(0)

    def name() -> str:
        word = "".join(rng.choice("abcdefgh") for _ in range(rng.randint(1, 34)))
        return word + "_" if keyword.iskeyword(word) else word

    def expr(depth: int = 0) -> str:
        k = rng.randint(0, 9 if depth < 2 else 1)
        if k == 0:
            return name()
        if k == 1:
            return literal(rng.choice([0, 7, -1, 0.1, 1e-05, 1e16, True, None, (3, 3), "a'b"]))
        if k == 2:
            args = ", ".join(expr(depth + 1) for _ in range(rng.randint(1, 4)))
            return f"self.{name()}({args})"
        if k == 3:
            items = ", ".join(name() for _ in range(rng.randint(2, 8)))
            return f"torch.cat([{items}], dim={rng.randint(-1, 3)})"
        if k == 4:
            return " + ".join(name() for _ in range(rng.randint(2, 6)))
        if k == 5:
            index = rng.choice(["0", ":, -1", ":, -1, :", "1"])
            return f"self.{name()}({name()})[{index}]"
        if k == 6:
            dims = ", ".join(str(rng.randint(-1, 64)) for _ in range(rng.randint(1, 5)))
            return f"{name()}.{rng.choice(['flatten', 'reshape', 'permute'])}({dims})"
        if k == 7:
            args = [str(rng.randint(1, 999)) for _ in range(rng.randint(0, 3))]
            args += [f"{name()}={literal(rng.choice([1, 0.5, True, (3, 3), 'same']))}"]
            return f"nn.{name().capitalize()}({', '.join(args)})"
        if k == 8:
            return f"{name()} * {name()} + {name()}"
        return f"F.{name()}({expr(depth + 1)}, {name()}={rng.randint(0, 9)})"

    lines = ["class M:", "    def forward(self):"]
    for _ in range(300):
        if rng.random() < 0.2:
            prefix, source = "return ", ", ".join(name() for _ in range(rng.randint(2, 6)))
        else:
            prefix, source = rng.choice(["x = ", name() + " = ", f"self.{name()} = "]), expr()
        comment = rng.choice(["", "-> (N, 32)", "-> (N, 3, 224, 224)"])
        lines += fmt.statement(prefix, source, 8, comment)
    lines.append("")
    lines += fmt.call_lines("    def g", ["self", *(name() for _ in range(8))], ":", 0)
    lines += ["        pass", "", ""]
    for value in ["x" * 120, 'a"b' * 40, "é\\'\"" * 30, "short", "\u2028\x00" * 30, "a" * 93]:
        lines += assign("VALUE", value)
    path = tmp_path / "layout.py"
    path.write_text("\n".join(lines) + "\n")
    problems = ruff_problems([path], select=["E501", "W"])  # fragments: names are undefined
    if problems is None:
        pytest.skip("ruff is not installed")
    assert not problems, problems
