"""Lay out generated statements the way ``ruff format`` does (line length 100), so exported
code passes ``ruff format --check`` without ruff being installed.

Only what the exporter generates is covered: assignments and returns of calls, attribute
and subscript chains, lists, tuples and arithmetic over names and literals. A statement
that fits on one line stays on it; otherwise it breaks as ruff breaks it: the last call's
arguments go on an indented line (or one per line with a trailing comma), arithmetic and
tuples are wrapped in parentheses. The layout engine is a small Wadler/Prettier printer
(groups that break only when their content does not fit), which is the model of ruff's.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from core.export.names import literal, width

LINE_LENGTH = 100
INDENT = 4


# -- the document model -----------------------------------------------------------------
@dataclass(frozen=True)
class Group:
    """Printed flat when all of it fits on the rest of the line, else broken."""

    parts: tuple


@dataclass(frozen=True)
class Indent:
    parts: tuple


@dataclass(frozen=True)
class IfBreak:
    """``broken`` when the enclosing group is broken, ``flat`` otherwise."""

    broken: str
    flat: str = ""


SOFT = "\0soft"  # a line break, or nothing when flat
LINE = "\0line"  # a line break, or a space when flat

_FLAT, _BREAK = 0, 1


def render(doc, indent: int = 0, limit: int = LINE_LENGTH) -> list[str]:
    """The lines of ``doc`` printed from column ``indent`` (each line indented)."""
    lines: list[str] = []
    current = [" " * indent]
    pos = indent
    stack = [(indent, _BREAK, doc)]
    while stack:
        ind, mode, d = stack.pop()
        if isinstance(d, str):
            if d == SOFT or d == LINE:
                if mode == _FLAT:
                    if d == LINE:
                        current.append(" ")
                        pos += 1
                else:
                    lines.append("".join(current).rstrip())
                    current, pos = [" " * ind], ind
            else:
                current.append(d)
                pos += width(d)
        elif isinstance(d, (list, tuple)):
            stack.extend((ind, mode, p) for p in reversed(d))
        elif isinstance(d, Indent):
            stack.extend((ind + INDENT, mode, p) for p in reversed(d.parts))
        elif isinstance(d, Group):
            if mode == _FLAT or _fits([(ind, _FLAT, d.parts)], stack, limit - pos):
                stack.append((ind, _FLAT, d.parts))
            else:
                stack.append((ind, _BREAK, d.parts))
        elif isinstance(d, IfBreak):
            text = d.broken if mode == _BREAK else d.flat
            if text:
                current.append(text)
                pos += width(text)
        else:  # pragma: no cover - a bug in a caller
            raise TypeError(f"not a layout element: {d!r}")
    lines.append("".join(current).rstrip())
    return lines


def _fits(next_cmds: list, rest: list, room: int) -> bool:
    """Whether the commands fit in ``room`` columns up to the next line break."""
    cmds = list(next_cmds)
    rest_index = len(rest)
    while room >= 0:
        if not cmds:
            if rest_index == 0:
                return True
            rest_index -= 1
            cmds.append(rest[rest_index])
            continue
        ind, mode, d = cmds.pop()
        if isinstance(d, str):
            if d == SOFT or d == LINE:
                if mode == _BREAK:
                    return True
                room -= d == LINE
            else:
                room -= width(d)
        elif isinstance(d, (list, tuple)):
            cmds.extend((ind, mode, p) for p in reversed(d))
        elif isinstance(d, Indent):
            cmds.extend((ind + INDENT, mode, p) for p in reversed(d.parts))
        elif isinstance(d, Group):
            cmds.append((ind, mode, d.parts))
        elif isinstance(d, IfBreak):
            room -= width(d.broken if mode == _BREAK else d.flat)
    return False


def flat(doc) -> str:
    """``doc`` on one line."""
    return render(Group((doc,)), 0, limit=10**9)[0]


# -- expressions -------------------------------------------------------------------------
_PRECEDENCE = {
    ast.BitOr: 6,
    ast.BitXor: 7,
    ast.BitAnd: 8,
    ast.LShift: 9,
    ast.RShift: 9,
    ast.Add: 10,
    ast.Sub: 10,
    ast.Mult: 11,
    ast.Div: 11,
    ast.FloorDiv: 11,
    ast.Mod: 11,
    ast.MatMult: 11,
    ast.Pow: 13,
}
_OPS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.Pow: "**",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Invert: "~", ast.Not: "not "}


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _PRECEDENCE[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return 4 if isinstance(node.op, ast.Not) else 12
    if isinstance(node, (ast.Compare,)):
        return 5
    if isinstance(node, (ast.BoolOp, ast.IfExp, ast.Lambda, ast.NamedExpr)):
        return 1
    return 20


def _parens(doc):
    return ["(", Group((Indent((SOFT, doc)), SOFT)), ")"]


def _items(docs: list, *, trailing: bool) -> Group:
    """Comma-separated items: on one line, or one per line with a trailing comma."""
    parts: list = []
    for i, d in enumerate(docs):
        if i:
            parts += [",", LINE]
        parts.append(d)
    if trailing:
        parts.append(IfBreak(","))
    return Group(tuple(parts))


def arguments(docs: list):
    """A call's or def's bracketed arguments: ``(a, b)``, or on an indented line, or one
    per line with a trailing comma (no comma after a lone argument)."""
    if not docs:
        return "()"
    return ["(", Group((Indent((SOFT, _items(docs, trailing=len(docs) > 1))), SOFT)), ")"]


def _collection(open_: str, close: str, docs: list, *, one_tuple: bool = False):
    if not docs:
        return open_ + close
    if one_tuple:
        return [open_, Group((Indent((SOFT, docs[0], ",")), SOFT)), close]
    inner = _items(docs, trailing=True)
    return [open_, Group((Indent((SOFT, *inner.parts)), SOFT)), close]


def expr(node: ast.AST):
    """The layout of an expression."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        if node.value is Ellipsis:
            return "..."
        return literal(node.value)
    if isinstance(node, ast.Attribute):
        value = expr(node.value)
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
            value = ["(", value, ")"]
        elif _precedence(node.value) < 20:
            value = _parens(value)
        return [value, ".", node.attr]
    if isinstance(node, ast.Call):
        func = expr(node.func)
        if _precedence(node.func) < 20:
            func = _parens(func)
        args = [expr(a) for a in node.args] + [_keyword(k) for k in node.keywords]
        return [func, arguments(args)]
    if isinstance(node, ast.Subscript):
        value = expr(node.value)
        if _precedence(node.value) < 20:
            value = _parens(value)
        return [value, "[", Group((Indent((SOFT, _index(node.slice))), SOFT)), "]"]
    if isinstance(node, ast.List):
        return _collection("[", "]", [expr(e) for e in node.elts])
    if isinstance(node, ast.Tuple):
        docs = [expr(e) for e in node.elts]
        return _collection("(", ")", docs, one_tuple=len(docs) == 1)
    if isinstance(node, ast.Starred):
        return ["*", expr(node.value)]
    if isinstance(node, ast.BinOp):
        return Group(tuple(_binop(node)))
    if isinstance(node, ast.UnaryOp):
        operand = expr(node.operand)
        if _precedence(node.operand) < _precedence(node):
            operand = _parens(operand)
        return [_UNARY[type(node.op)], operand]
    return ast.unparse(node)


def _keyword(k: ast.keyword):
    if k.arg is None:
        return ["**", expr(k.value)]
    return [k.arg, "=", expr(k.value)]


def _index(node: ast.AST):
    if isinstance(node, ast.Tuple) and node.elts:
        docs = [_index(e) for e in node.elts]
        if len(docs) == 1:
            return [docs[0], ","]
        return _items(docs, trailing=True)
    if isinstance(node, ast.Slice):
        return ast.unparse(node)
    return expr(node)


def _binop(node: ast.BinOp) -> list:
    """The operands and operators of a chain of one precedence, flattened."""
    prec = _precedence(node)
    left = node.left
    if isinstance(left, ast.BinOp) and _precedence(left) == prec and prec != 13:
        parts = _binop(left)
    else:
        parts = [_operand(left, prec, right=False)]
    parts += [LINE, _OPS[type(node.op)], " ", _operand(node.right, prec, right=True)]
    return parts


def _operand(node: ast.AST, prec: int, *, right: bool):
    doc = expr(node)
    p = _precedence(node)
    if p < prec or (right and p == prec and prec != 13) or (not right and p == prec == 13):
        return _parens(doc)
    return doc


# -- statements --------------------------------------------------------------------------
def _ends_in_bracket(node: ast.AST) -> bool:
    return isinstance(node, (ast.Call, ast.Subscript, ast.List, ast.Dict, ast.Set))


def statement(prefix: str, source: str, indent: int, comment: str = "") -> list[str]:
    """``prefix + source`` (e.g. ``"x = "`` and an expression) as ruff lays it out at
    ``indent``, with ``comment`` (text without ``#``) after it when that fits on the
    line, else on the line above."""
    node = ast.parse(source, mode="eval").body
    doc = expr(node)
    if isinstance(node, ast.Tuple) and len(node.elts) > 1:  # a bare tuple: no parentheses
        one = " " * indent + prefix + ", ".join(flat(expr(e)) for e in node.elts)
    else:
        one = " " * indent + prefix + flat(doc)
    note = f"  # {comment}" if comment else ""
    if width(one) + width(note) <= LINE_LENGTH:
        return [one + note]
    above = [" " * indent + f"# {comment}"] if comment else []
    if width(one) <= LINE_LENGTH:
        return [*above, one]
    if isinstance(node, ast.Tuple) and node.elts:
        inner = _items([expr(e) for e in node.elts], trailing=True)
        wrapped = Group((IfBreak("("), Indent((SOFT, *inner.parts)), SOFT, IfBreak(")")))
        return above + render([prefix, wrapped], indent)
    parenthesized = Group((IfBreak("("), Indent((SOFT, doc)), SOFT, IfBreak(")")))
    if not _ends_in_bracket(node):
        return above + render([prefix, parenthesized], indent)
    lines = render([prefix, doc], indent)
    if width(lines[0]) <= LINE_LENGTH:
        return above + lines
    inside = " " * (indent + INDENT) + flat(doc)
    if width(inside) <= LINE_LENGTH:
        return above + render([prefix, parenthesized], indent)
    return above + lines


def call_lines(head: str, args: list[str], tail: str, indent: int) -> list[str]:
    """``head(args)tail`` (e.g. a ``def`` line) laid out as ruff lays out its arguments."""
    return render([head, arguments(list(args)), tail], indent)
