"""Argo's ``jsonpath(json, path)``: github.com/evilmonkeyinc/jsonpath v0.8.1, a subset.

Argo's expression environment (util/expr/env/env.go ``jsonPath``) decodes ``json`` with
Go's ``json.Unmarshal`` into ``any`` (every number a float64, ``NaN``/``1e400`` refused)
and runs ``jsonpath.Query(path, value)``; a failure of either panics, which expr-lang
turns into an error of the expression. What the library returns, read from its source
(token/*.go, script/standard/*.go):

- ``$.key``, ``$['key']``, ``$["key"]``: the member; a missing key or a target that is
  not an object is an error (``key: invalid token key 'x' not found``). ``.length`` is
  the length token: an object's ``length`` member if it has one, else its size; an
  array's size; a string's size in UTF-8 bytes (an int64, not a float).
- ``[i]``: an array element, negative from the end; out of range is an error; an index
  on an object or a string is an error (the library's options are off in Argo).
- ``[*]``, ``.*``: every element of an array, or every value of an object by sorted
  key. ``[a:b]``, ``[a:]``, ``[:b]``, ``[a:b:c]``: a slice of an array (bounds clamped,
  a negative bound from the end, a step of 0 an error, a negative step backwards).
  ``[?(...)]``: the elements (values of an object by sorted key) whose filter is true.
  Each gives a list; the tokens after it apply to each element, the elements where
  they fail or give null are dropped, and results are not flattened
  (``$.a[*].b[*]`` is a list of lists). An ``[i]`` right after a slice or a filter
  indexes the list instead (``$.a[?(@.x>1)][0]`` is one element).
- A filter is comparisons ``@.k.k OP literal`` (``== != < <= > >=``; either side a
  selector ``@``/``@.k...`` or a literal: a number, a quoted string, ``true``,
  ``false``, ``null``) joined by ``&&`` and ``||`` (``&&`` binding tighter). As the
  library's script engine does it: ``< <= > >=`` need two numbers (a JSON string never
  is one: ``@.age > 42`` drops ``{"age": "43"}``); ``==``/``!=`` compare as numbers when
  both sides are, else as text, a selected string in single quotes (``'Baris'``) and
  ``"Baris"`` read as ``'Baris'``; both sides of ``&&``/``||`` are always evaluated and
  an error in any part (a missing key) drops the element, ``!=`` included.

Anything else is refused (UnsupportedExpression) rather than approximated: recursive
``..``, unions ``[0,1]``, scripts ``[(...)]``, ``@``/``$`` inside scripts, ``=~``,
``in``, arithmetic, parentheses in filters, keys the library's tokenizer splits
differently (a quote, bracket, parenthesis or backslash in a key, spaces outside a
quoted key), and filter keys that are not plain identifiers or contain ``in`` (its
script engine reads ``@.info`` as the operator ``in`` and fails to compile the path).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.go_format import go_string

MAX_PATH = 512  # characters; the corpus' longest path is 44
MAX_NESTING = 200  # levels of [ and { in a document


class JsonPathFailure(Exception):
    """The library returned an error (or json.Unmarshal did): the expression fails."""


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


def query(document: Any, path: str) -> Any:
    """``jsonPath(document, path)`` of Argo's env.go, for a path of the subset."""
    steps = compile_path(path)
    if not isinstance(document, str):
        raise JsonPathFailure("jsonpath: the JSON argument must be a string")
    root = go_unmarshal(document)
    return _apply(steps, root, root)


def _no_constant(name: str) -> Any:
    raise JsonPathFailure(f"invalid character '{name[0]}' looking for beginning of value")


def _go_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JsonPathFailure(f"json: cannot unmarshal number {text} into Go value of type "
                              "float64")
    return value


def go_unmarshal(text: str) -> Any:
    """``json.Unmarshal`` into ``any``: objects, arrays, strings, bools, nil, float64.
    A document nested deeper than ``MAX_NESTING`` is refused (Go reads 10000 levels,
    Python's recursive reader and printers fewer)."""
    if _nesting(text) > MAX_NESTING:
        raise UnsupportedExpression(text[:40], f"JSON nested deeper than {MAX_NESTING} levels")
    try:
        return json.loads(text, parse_int=_go_float, parse_float=_go_float,
                          parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise JsonPathFailure(f"invalid JSON: {exc.msg}") from None


def _nesting(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in ``text``, strings skipped (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _apply(steps: tuple[Step, ...], root: Any, current: Any) -> Any:
    if not steps:
        return current
    step, rest = steps[0], steps[1:]
    if isinstance(step, Key):
        if not isinstance(current, Mapping):
            raise JsonPathFailure(f"key: invalid token target. expected [map] got "
                                  f"[{_kind(current)}]")
        if step.name not in current:
            raise JsonPathFailure(f"key: invalid token key '{step.name}' not found")
        return _apply(rest, root, current[step.name])
    if isinstance(step, Length):
        return _apply(rest, root, _length(current))
    if isinstance(step, Index):
        if not isinstance(current, list):
            raise JsonPathFailure(f"index: invalid token target. expected [array slice] got "
                                  f"[{_kind(current)}]")
        index = step.index + len(current) if step.index < 0 else step.index
        if not 0 <= index < len(current):
            raise JsonPathFailure("index: invalid token out of range")
        return _apply(rest, root, current[index])
    if isinstance(step, Wildcard):
        elements = _members(current, "wildcard")
    elif isinstance(step, Slice):
        elements = _slice(current, step)
    else:
        elements = [item for item in _members(current, "filter")
                    if _included(step.condition, root, item)]
    if not isinstance(step, Wildcard) and rest and isinstance(rest[0], Index):
        return _apply(rest, root, elements)  # after a filter or a slice, [i] takes one
    if not rest:
        return elements  # a null element stays; it is dropped only as a result of a next token
    return [r for item in elements if (r := _each(rest, root, item)) is not None]


def _each(rest: tuple[Step, ...], root: Any, item: Any) -> Any:
    """The tokens after a list token on one element: an error drops it (``handleNext``)."""
    try:
        return _apply(rest, root, item)
    except JsonPathFailure:
        return None


def _members(current: Any, token: str) -> list[Any]:
    if isinstance(current, Mapping):
        return [current[key] for key in sorted(current)]
    if isinstance(current, list):
        return list(current)
    raise JsonPathFailure(f"{token}: invalid token target. expected [array map slice] got "
                          f"[{_kind(current)}]")


def _length(current: Any) -> Any:
    if isinstance(current, Mapping):
        return current["length"] if "length" in current else len(current)
    if isinstance(current, str):
        return len(current.encode())
    if isinstance(current, list):
        return len(current)
    raise JsonPathFailure(f"length: invalid token target. expected [array map slice string] "
                          f"got [{_kind(current)}]")


def _slice(current: Any, step: Slice) -> list[Any]:
    if not isinstance(current, list):
        raise JsonPathFailure(f"range: invalid token target. expected [array slice] got "
                              f"[{_kind(current)}]")
    length = len(current)

    def bound(value: int | None, default: int) -> int:
        if value is None:
            return default
        value = length + value if value < 0 else value
        return min(max(value, 0), length)

    start, end, by = bound(step.start, 0), bound(step.end, length), step.step or 1
    if step.step == 0:
        raise JsonPathFailure("range: invalid token out of range")
    if by < 0:
        return [current[i] for i in range(end - 1, start - 1, by)]
    return [current[i] for i in range(start, end, by)]


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list):
        return "slice"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "float64" if isinstance(value, float) else ("int64" if value is not None else "nil")


# -- the filter: the script engine's operators (script/standard) --------------------------

def _included(condition: Condition, root: Any, item: Any) -> bool:
    """``filterToken.Apply``: an evaluation error excludes the element."""
    try:
        return _condition(condition, root, item)
    except JsonPathFailure:
        return False


def _condition(condition: Condition, root: Any, item: Any) -> bool:
    if isinstance(condition, Logic):
        first = _condition(condition.left, root, item)  # both sides, always (no short cut)
        second = _condition(condition.right, root, item)
        return (first and second) if condition.op == "&&" else (first or second)
    left = _operand(condition.left, root, item)
    right = _operand(condition.right, root, item)
    numbers = _number(left), _number(right)
    if condition.op in ("==", "!="):
        if numbers[0] is not None and numbers[1] is not None:
            equal = numbers[0] == numbers[1]
        else:
            equal = _text(left) == _text(right)
        return equal == (condition.op == "==")
    low, high = numbers
    if low is None or high is None:
        raise JsonPathFailure("invalid argument. expected number")
    return {"<": low < high, "<=": low <= high, ">": low > high, ">=": low >= high}[condition.op]


class _Selected:
    """A selector's result, as ``selectorOperator.Evaluate`` hands it on."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, str) and not (len(value) > 1 and value[0] == value[-1] == "'"):
            value = f"'{value}'"  # a selected string is wrapped in single quotes
        self.value = value


def _operand(operand: Selector | str, root: Any, item: Any) -> _Selected | str:
    if isinstance(operand, str):
        return operand
    steps = tuple(Length() if k == "length" else Key(k) for k in operand.keys)
    return _Selected(_apply(steps, root, item))


def _number(operand: _Selected | str) -> float | None:
    """``getNumber``: ``strconv.ParseFloat(fmt.Sprintf("%v", value))``, None if it fails."""
    if isinstance(operand, str):
        if operand in ("null",):
            return None
        return float(operand) if re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", operand) else None
    value = operand.value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None  # strings are quoted, bools, nil, lists and maps do not parse


def _text(operand: _Selected | str) -> str:
    """``getString``: a literal's quotes made single; a value as ``%v`` prints it."""
    if isinstance(operand, str):
        if operand == "null":
            return "<nil>"
        if len(operand) > 1 and operand[0] == operand[-1] == '"':
            return f"'{operand[1:-1]}'"
        return operand
    value = operand.value
    if isinstance(value, str):
        if len(value) > 1 and value[0] == value[-1] == '"':
            return f"'{value[1:-1]}'"
        return value
    return go_string(value)
