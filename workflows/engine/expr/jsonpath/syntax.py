"""Reading a jsonpath: the subset of evilmonkeyinc/jsonpath v0.8.1's syntax, as steps.

``compile_path`` reads ``$``, ``.key``, ``['key']``, ``.length``, ``[i]``, ``[*]``/``.*``,
slices and ``[?(...)]`` filters (comparisons joined by ``&&``/``||``, parsed with
``&&`` binding tighter and each operator splitting at its first occurrence, as the
library's script engine splits them) and refuses, with UnsupportedExpression, anything
else or anything the library's tokenizer would read differently (see the package).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Union

from workflows.engine.expr.errors import UnsupportedExpression

MAX_PATH = 512  # characters; the corpus' longest path is 44


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Length:
    pass


@dataclass(frozen=True, slots=True)
class Index:
    index: int


@dataclass(frozen=True, slots=True)
class Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    end: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class Selector:
    keys: tuple[str, ...]  # @.a.b; () for @ itself


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Selector | str  # a str is the literal as written ('x', "x", 42, true, null)
    right: Selector | str


@dataclass(frozen=True, slots=True)
class Logic:
    op: str  # "&&" or "||"
    left: Condition
    right: Condition


Condition = Union[Compare, Logic]  # noqa: UP007


@dataclass(frozen=True, slots=True)
class Filter:
    condition: Condition


Step = Union[Key, Length, Index, Wildcard, Slice, Filter]  # noqa: UP007

_DOT_KEY = re.compile(r"[A-Za-z0-9_-]+")
_QUOTED_KEY = re.compile(r"""'([^'"\\()\[\]]*)'|"([^'"\\()\[\]]*)\"""")
_INT = r"-?[0-9]+"
_INDEX = re.compile(_INT)
_SLICE = re.compile(rf"({_INT})?:({_INT})?|({_INT}):({_INT}):({_INT})")
_FILTER_TOKEN = re.compile(
    r"""\s*(?:(?P<sel>@(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?![A-Za-z0-9_.\[])"""
    r"""|(?P<num>-?[0-9]+(?:\.[0-9]+)?)(?![A-Za-z0-9_.])"""
    r"""|(?P<str>'[^'"\\()\[\]]*'|"[^'"\\()\[\]]*")"""
    r"""|(?P<word>true|false|null)(?![A-Za-z0-9_])"""
    r"""|(?P<op>&&|\|\||==|!=|<=|>=|<|>))"""
)
_COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")


def _refuse(path: str, why: str) -> UnsupportedExpression:
    return UnsupportedExpression(f"jsonpath(..., {path!r})", why)


@lru_cache(maxsize=256)
def compile_path(path: str) -> tuple[Step, ...]:
    """The steps of ``path``; UnsupportedExpression names what is outside the subset."""
    if len(path) > MAX_PATH:
        raise _refuse(path[:MAX_PATH], f"a path longer than {MAX_PATH} characters")
    if not path.startswith("$"):
        raise _refuse(path, "a path must start with '$'")
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        if path.startswith("..", pos):
            raise _refuse(path, "recursive descent '..'")
        if path[pos] == ".":
            if path.startswith("*", pos + 1):
                steps.append(Wildcard())
                pos += 2
                continue
            match = _DOT_KEY.match(path, pos + 1)
            if not match:
                raise _refuse(path, f"a key after '.' at offset {pos} (letters, digits, '_' "
                                    "and '-'; other keys in brackets: ['key'])")
            name = match.group()
            steps.append(Length() if name == "length" else Key(name))
            pos = match.end()
        elif path[pos] == "[":
            end = _bracket_end(path, pos)
            steps.append(_bracket(path, path[pos + 1 : end]))
            pos = end + 1
        else:
            raise _refuse(path, f"unexpected {path[pos]!r} at offset {pos}")
    return tuple(steps)


def _bracket_end(path: str, start: int) -> int:
    quote = ""
    depth = 0
    for pos in range(start + 1, len(path)):
        char = path[pos]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "]" and depth == 0:
            return pos
    raise _refuse(path, f"an unclosed '[' at offset {start}")


def _bracket(path: str, inner: str) -> Step:
    if inner == "*":
        return Wildcard()
    if _INDEX.fullmatch(inner):
        return Index(int(inner))
    if match := _QUOTED_KEY.fullmatch(inner):
        return Key(match.group(1) if match.group(1) is not None else match.group(2))
    if match := _SLICE.fullmatch(inner):
        start, end, step = (match.group(1), match.group(2), None) if match.group(5) is None \
            else match.group(3, 4, 5)
        return Slice(*(int(v) if v is not None else None for v in (start, end, step)))
    if inner.startswith("?(") and inner.endswith(")"):
        return Filter(_Filter(path, inner[2:-1]).parse())
    raise _refuse(path, f"the subscript [{inner}] (supported: [n], [*], ['key'], [a:b], "
                        "[?(@.key == literal)])")


class _Filter:
    """The filter grammar: or := and ("||" and)*; and := cmp ("&&" cmp)*; cmp := x OP x."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _FILTER_TOKEN.match(text, pos)
            if not match or match.end() == pos:
                raise _refuse(path, f"the filter {text!r} at offset {pos}: only comparisons "
                                    "of @.key with literals, joined by && and ||")
            kind = match.lastgroup or ""
            value = match.group(kind)
            if kind == "sel" and "in" in value:
                raise _refuse(path, f"the filter key {value!r}: the library's script engine "
                                    "reads 'in' in it as its operator 'in'")
            self.tokens.append((kind, value))
            pos = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def parse(self) -> Condition:
        condition = self.logic("||")
        if self.peek()[0] != "end":
            raise _refuse(self.path, f"unexpected {self.peek()[1]!r} in a filter")
        return condition

    def logic(self, op: str) -> Condition:
        left = self.logic("&&") if op == "||" else self.compare()
        if self.peek() == ("op", op):
            self.index += 1
            # the library splits at the first operator: a || (b || c), a && (b && c)
            return Logic(op, left, self.logic(op))
        return left

    def compare(self) -> Compare:
        left = self.operand()
        kind, op = self.peek()
        if kind != "op" or op not in _COMPARISONS:
            raise _refuse(self.path, "a filter term must be a comparison (== != < <= > >=)")
        self.index += 1
        return Compare(op, left, self.operand())

    def operand(self) -> Selector | str:
        kind, value = self.peek()
        if kind not in ("sel", "num", "str", "word"):
            raise _refuse(self.path, "a filter operand must be @, @.key... or a literal")
        self.index += 1
        if kind == "sel":
            return Selector(tuple(value.split(".")[1:]))
        return value
