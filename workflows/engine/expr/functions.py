"""The functions an expression may call.

Argo evaluates ``{{=...}}`` with expr-lang plus the environment of util/expr/env/env.go:
``asInt``/``asFloat`` (aliases of expr's ``int``/``float``), ``jsonpath`` (``jsonpath``),
``toJson`` and sprig under ``sprig.`` (the numeric and base64 ones in ``sprig``). The
functions here follow those Go implementations: argument types are checked as Go's
reflection would (``sprig.trunc('10', s)`` fails), ``sprig.trunc`` and ``sprig.substr``
count UTF-8 bytes as Go does, ``int('7.5')`` fails like ``strconv.Atoi``. How values are
printed (``string()``, ``toJson``) is ``go_format``'s. A failing call raises
ValueFailure; the evaluator turns it into EvaluationError.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflows.engine.expr import go_time, jsonpath, sprig
from workflows.engine.expr.errors import ValueFailure
from workflows.engine.expr.go_format import go_json, go_string

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)")
_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)


@dataclass(frozen=True, slots=True)
class Function:
    impl: Callable[..., Any]
    arity: int  # the number of arguments, the least number if variadic
    variadic: bool = False  # Go's ``...interface{}``: more may follow


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def type_name(value: Any) -> str:
    for kind, name in ((bool, "bool"), (int, "int"), (float, "float"), (str, "string")):
        if isinstance(value, kind):
            return name
    if value is None:
        return "nil"
    if isinstance(value, datetime):
        return "time.Time"
    if isinstance(value, Mapping):
        return "map"
    return "array" if isinstance(value, list | tuple) else "value"


def wrap_int(value: int) -> int:
    """Go's int64 arithmetic wraps around instead of growing."""
    return (value - INT64_MIN) % 2**64 + INT64_MIN


def _want(function: str, value: Any, kind: str) -> Any:
    if type_name(value) != kind:
        raise ValueFailure(f"{function}: cannot use {type_name(value)} as {kind}")
    return value


def _as_int(value: Any) -> int:
    if isinstance(value, str):
        if not _GO_INT.fullmatch(value) or not INT64_MIN <= int(value) <= INT64_MAX:
            raise ValueFailure(f"invalid operation: int({json.dumps(value)})")
        return int(value)
    if isinstance(value, float) and math.isfinite(value):
        return wrap_int(int(value))
    if is_number(value) and not isinstance(value, float):
        return int(value)
    raise ValueFailure(f"invalid operation: int({type_name(value)})")


def _as_float(value: Any) -> float:
    if isinstance(value, str):
        if not _GO_FLOAT.fullmatch(value.lower()):
            raise ValueFailure(f"invalid operation: float({json.dumps(value)})")
        return float(value)
    if is_number(value):
        return float(value)
    raise ValueFailure(f"invalid operation: float({type_name(value)})")


def _len(value: Any) -> int:
    if isinstance(value, str | list | tuple | Mapping):
        return len(value)
    raise ValueFailure(f"invalid argument for len (type {type_name(value)})")


def _go_bytes(function: str, data: bytes, start: int, end: int) -> str:
    if not 0 <= start <= end <= len(data):
        raise ValueFailure(f"{function}: slice bounds out of range [{start}:{end}]")
    # Go slices bytes; Argo's JSON rendering turns a cut rune into U+FFFD, as "replace" does
    return data[start:end].decode("utf-8", errors="replace")


def _trunc(count: Any, text: Any) -> str:
    count, data = _want("sprig.trunc", count, "int"), _want("sprig.trunc", text, "string").encode()
    if count < 0 and len(data) + count > 0:
        return _go_bytes("sprig.trunc", data, len(data) + count, len(data))
    if 0 <= count < len(data):
        return _go_bytes("sprig.trunc", data, 0, count)
    return str(text)


def _substr(start: Any, end: Any, text: Any) -> str:
    start, end = _want("sprig.substr", start, "int"), _want("sprig.substr", end, "int")
    data = _want("sprig.substr", text, "string").encode()
    if start < 0:
        return _go_bytes("sprig.substr", data, 0, end)
    if end < 0 or end > len(data):
        return _go_bytes("sprig.substr", data, start, len(data))
    return _go_bytes("sprig.substr", data, start, end)


def _text(function: str, op: Callable[[str], str]) -> Function:
    return Function(lambda text: op(_want(function, text, "string")), 1)


def _replace(old: Any, new: Any, text: Any) -> str:
    args = [_want("sprig.replace", value, "string") for value in (old, new, text)]
    return str(args[2].replace(args[0], args[1]))


def _time(impl: Callable[..., Any], arity: int) -> Function:
    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except go_time.TimeFailure as exc:
            raise ValueFailure(str(exc)) from None
    return Function(call, arity)


def _jsonpath(document: Any, path: Any) -> Any:
    """Argo's ``jsonPath(jsonStr string, path string) any`` (util/expr/env/env.go)."""
    for value in (document, path):
        if not isinstance(value, str):
            raise ValueFailure(f"jsonpath: cannot use {type_name(value)} as string")
    try:
        return jsonpath.query(document, path)
    except jsonpath.JsonPathFailure as exc:
        raise ValueFailure(f"jsonpath {path!r}: {exc}") from None


def _sprig_to_json(value: Any) -> str:
    """sprig's ``toJson`` ignores json.Marshal's error: ``""`` (defaults.go)."""
    try:
        return go_json(value)
    except ValueFailure:
        return ""


FUNCTIONS: dict[str, Function] = {
    "asInt": Function(_as_int, 1),
    "int": Function(_as_int, 1),
    "asFloat": Function(_as_float, 1),
    "float": Function(_as_float, 1),
    "string": Function(go_string, 1),
    "len": Function(_len, 1),
    "toJson": Function(go_json, 1),
    "sprig.toJson": Function(_sprig_to_json, 1),
    "jsonpath": Function(_jsonpath, 2),
    "sprig.add": Function(sprig.add, 0, variadic=True),
    "sprig.min": Function(sprig.smallest, 1, variadic=True),
    "sprig.max": Function(sprig.largest, 1, variadic=True),
    "sprig.b64dec": Function(sprig.b64dec, 1),
    "sprig.trunc": Function(_trunc, 2),
    "sprig.substr": Function(_substr, 3),
    "sprig.sha256sum": _text("sprig.sha256sum", lambda s: hashlib.sha256(s.encode()).hexdigest()),
    "sprig.lower": _text("sprig.lower", str.lower),
    "sprig.upper": _text("sprig.upper", str.upper),
    "sprig.trim": _text("sprig.trim", lambda s: s.strip(_GO_SPACE)),
    "sprig.replace": Function(_replace, 3),
    "sprig.toDate": _time(go_time.to_date, 2),
    "sprig.mustToDate": _time(go_time.must_to_date, 2),
    "sprig.dateModify": _time(go_time.date_modify, 2),
    "sprig.date_modify": _time(go_time.date_modify, 2),
    "sprig.mustDateModify": _time(go_time.must_date_modify, 2),
    "sprig.date": _time(go_time.date, 2),
    "sprig.dateInZone": _time(go_time.date_in_zone, 3),
    "sprig.date_in_zone": _time(go_time.date_in_zone, 3),
    "sprig.unixEpoch": _time(go_time.unix_epoch, 1),
}
