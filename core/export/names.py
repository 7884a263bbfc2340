"""Names and text in generated code: identifiers from the user's names, safe comments and
docstrings, and string literals written as ruff's formatter writes them.

A user's node name reaches generated code only through these functions: as an identifier
(:func:`identifier`: ASCII letters, digits and ``_``, never a keyword, builtin or
``nn.Module`` attribute), or inside a comment, docstring or string literal
(:func:`comment_text`, :func:`literal`), where it cannot end the comment or the string.
"""

from __future__ import annotations

import builtins
import keyword
import re
import textwrap
import unicodedata
from collections.abc import Iterable

MAX_IDENTIFIER = 32  # characters of an identifier made from a user's name

# Public attributes of torch.nn.Module (2.x) and core.nn.Module: an attribute of the model
# class with one of these names would shadow it.
MODULE_ATTRIBUTES = frozenset(
    """
    T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty train
    training type xpu zero_grad
    """.split()
)

# Names the generated code itself uses at module level or in forward().
CODE_NAMES = frozenset(
    "self core torch nn F np math os sys json argparse main args model device x".split()
)


def reserved() -> frozenset[str]:
    """Every name an identifier made from a user's name must not be."""
    global _RESERVED
    if _RESERVED is None:
        from core.nn import Module

        _RESERVED = (
            frozenset(keyword.kwlist)
            | frozenset(keyword.softkwlist)
            | frozenset(dir(builtins))
            | MODULE_ATTRIBUTES
            | frozenset(a for a in dir(Module()) if not a.startswith("_"))
            | CODE_NAMES
        )
    return _RESERVED


_RESERVED: frozenset[str] | None = None

# word boundaries inside CamelCase: "BatchNorm" -> batch_norm, "HTTPServer" -> http_server,
# while acronyms stay whole: "ReLU" -> relu, "LeakyReLU" -> leaky_relu
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def ascii_words(text: str) -> str:
    """``text`` transliterated to ASCII (accents dropped) in lower snake case."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if ch.isascii())
    text = _CAMEL.sub("_", text).lower()
    return _NOT_WORD.sub("_", text).strip("_")


def identifier(name: str, fallback: str = "layer", *, taken: Iterable[str] = ()) -> str:
    """A lower-snake-case identifier from a user's ``name``.

    Characters outside ``[a-z0-9]`` become ``_``; a leading digit gets ``fallback_`` in
    front; an empty result is ``fallback``; keywords, builtins and ``nn.Module``
    attribute names get a ``_`` suffix; a name in ``taken`` is numbered ``_2``, ``_3``...
    """
    word = ascii_words(name)[:MAX_IDENTIFIER].rstrip("_")
    base = ascii_words(fallback) or "layer"
    if not word:
        word = base
    elif word[0].isdigit():
        word = f"{base}_{word}"[:MAX_IDENTIFIER].rstrip("_")
    if word in reserved():
        word += "_"
    taken = set(taken)
    if word not in taken:
        return word
    n = 2
    while f"{word.rstrip('_')}_{n}" in taken:
        n += 1
    return f"{word.rstrip('_')}_{n}"


def class_name(title: str, fallback: str = "Model") -> str:
    """A CapWords class name from a title (``"spirals MLP"`` -> ``SpiralsMlp``)."""
    words = ascii_words(title).split("_")
    name = "".join(w[:1].upper() + w[1:] for w in words if w)[:MAX_IDENTIFIER]
    if not name:
        return fallback
    if name[0].isdigit():
        name = fallback + name
    if name in reserved() or name in ("Model", "DataLoader", "TensorDataset"):
        name += "Net"
    return name[: MAX_IDENTIFIER + 3]


def width(text: str) -> int:
    """Columns ``text`` may take in an editor (and for ruff's line length): 2 per non-ASCII
    character, an upper bound for wide East Asian characters."""
    return sum(1 if ch.isascii() else 2 for ch in text)


def comment_text(text: str, limit: int = 60) -> str:
    """``text`` safe inside a comment or docstring: one line, printable characters only,
    no backslashes or double quotes (which could end a docstring), cut to ``limit``
    columns."""
    out = []
    for ch in text:
        if ch == "\\":
            ch = "/"
        elif ch == '"':
            ch = "'"
        elif ch.isspace():  # newlines and line separators included
            ch = " "
        elif not ch.isprintable() or unicodedata.category(ch) == "Cf":
            ch = "?"
        out.append(ch)
    text = " ".join("".join(out).split())
    if width(text) <= limit:
        return text
    cut = []
    used = 0
    for ch in text:
        used += width(ch)
        if used > limit - 3:
            break
        cut.append(ch)
    return "".join(cut).rstrip() + "..."


def wrap(text: str, indent: str = "", limit: int = 88) -> list[str]:
    """``text`` (already made safe) as lines of at most ``limit`` columns."""
    lines = textwrap.wrap(
        text, width=max(20, limit - len(indent)), break_long_words=True, break_on_hyphens=False
    )
    out = []
    for line in lines:  # textwrap counts characters; wide characters need more room
        while width(line) > limit - len(indent):
            k = len(line) // 2
            out.append(indent + line[:k].rstrip())
            line = line[k:].lstrip()
        out.append(indent + line)
    return out


def literal(value) -> str:
    """A Python literal for ``value`` (None, bool, int, float, str, tuple, list), written
    the way ``ruff format`` writes it (double quotes unless that means more escapes,
    ``1e-05`` style floats)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"cannot write {value!r} as a literal")
        return repr(value).replace("e+", "e")
    if isinstance(value, str):
        return string(value)
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({literal(value[0])},)"
        return "(" + ", ".join(literal(v) for v in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} as a literal")


_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def string(text: str) -> str:
    """A string literal of ``text``: every non-printable character escaped, quotes chosen
    as ruff's formatter chooses them."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif ch.isprintable() and unicodedata.category(ch) not in ("Zl", "Zp", "Cf"):
            out.append(ch)
        else:
            code = ord(ch)
            if code < 0x100:
                out.append(f"\\x{code:02x}")
            elif code < 0x10000:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    return quote + "".join(out) + quote


def assign(name: str, value, limit: int = 100) -> list[str]:
    """Module-level lines ``name = <literal>`` laid out as ruff lays them out: one line; or
    the literal alone on a parenthesized line; or a long string cut into implicitly
    concatenated parts, one per line (cut between characters, never inside an escape)."""
    text = literal(value)
    if width(f"{name} = {text}") <= limit:
        return [f"{name} = {text}"]
    if not isinstance(value, str) or width(f"    {text}") <= limit:
        return [f"{name} = (", f"    {text}", ")"]
    parts, current = [], ""
    for ch in value:
        if current and width("    " + string(current + ch)) > limit:
            parts.append(current)
            current = ""
        current += ch
    parts.append(current)
    return [f"{name} = (", *(f"    {string(p)}" for p in parts), ")"]
