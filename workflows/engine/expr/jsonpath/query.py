"""Running a jsonpath over a JSON document as evilmonkeyinc/jsonpath v0.8.1 does.

``query`` decodes the document as Go's ``json.Unmarshal`` into ``any`` (``go_unmarshal``)
and applies the steps of ``syntax.compile_path`` as the library's tokens apply
themselves (token/*.go): lists from wildcards, slices and filters, the following steps
per element, and the filter comparisons of its standard script engine
(script/standard/*.go). An error of the library is a JsonPathFailure.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.go_format import go_string
from workflows.engine.expr.jsonpath.syntax import (
    Condition,
    Index,
    Key,
    Length,
    Logic,
    Selector,
    Slice,
    Step,
    Wildcard,
    compile_path,
)

MAX_NESTING = 200  # levels of [ and { in a document


class JsonPathFailure(Exception):
    """The library returned an error (or json.Unmarshal did): the expression fails."""


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
