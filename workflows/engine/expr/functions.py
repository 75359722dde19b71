"""The functions an expression may call, and Go's ways of printing values.

Argo evaluates ``{{=...}}`` with expr-lang plus ``asInt``/``asFloat`` (aliases of expr's
``int``/``float``), ``toJson`` and sprig under ``sprig.``; the result is printed with
Go's ``%v``. The functions here follow those Go implementations: argument types are
checked as Go's reflection would (``sprig.trunc('10', s)`` fails), ``sprig.trunc`` and
``sprig.substr`` count UTF-8 bytes as Go does, ``int('7.5')`` fails like ``strconv.Atoi``.
A failing call raises ValueFailure; the evaluator turns it into EvaluationError.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from workflows.engine.expr import go_time

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_FLOAT = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf|infinity|nan)")
_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
_JSON_ESCAPES = {char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"}


class ValueFailure(Exception):
    """A function or operator got values it cannot work on."""


@dataclass(frozen=True, slots=True)
class Function:
    impl: Callable[..., Any]
    arity: int


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


def _float_parts(value: float) -> tuple[str, str, int]:
    """Sign, shortest round-trip digits and the decimal point's position."""
    _, digits, exponent = Decimal(repr(abs(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exponent)
    return ("-" if math.copysign(1.0, value) < 0 else ""), text, point


def _float_text(value: float, *, exponent_if: Callable[[int], bool], short_exp: bool) -> str:
    sign, digits, point = _float_parts(value)
    if digits != "0" and exponent_if(point - 1):
        exp = point - 1
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        width = 1 if short_exp and exp < 0 else 2
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):0{width}d}"
    if digits == "0":
        return sign + "0"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def go_string(value: Any) -> str:
    """``fmt.Sprintf("%v", value)`` for the values expressions produce."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        return _float_text(value, exponent_if=lambda exp: exp < -4 or exp >= 6, short_exp=False)
    if value is None:
        return "<nil>"
    if isinstance(value, datetime):
        return go_time.go_time_string(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_string(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{go_string(value[k])}" for k in sorted(value)) + "]"
    raise ValueFailure(f"cannot print a {type(value).__name__}")


def go_json(value: Any) -> str:
    """``json.Marshal(value)`` as Go writes it (sorted keys, ``<>&`` escaped, ``1.0`` is ``1``)."""
    if value is None or isinstance(value, bool | int):
        return json.dumps(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueFailure(f"json: unsupported value: {go_string(value)}")
        threshold = lambda exp: abs(value) < 1e-6 or abs(value) >= 1e21  # noqa: E731
        return _float_text(value, exponent_if=threshold, short_exp=True)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return "".join(_JSON_ESCAPES.get(char, char) for char in text)
    if isinstance(value, datetime):  # time.Time marshals as RFC 3339 with nanoseconds
        utc = value.utcoffset() is not None and not value.utcoffset()
        moment = value.astimezone(timezone.utc) if utc else value
        return json.dumps(go_time.go_format(moment, "2006-01-02T15:04:05.999999999Z07:00"))
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise ValueFailure("json: unsupported map key type")
        return "{" + ",".join(f"{go_json(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    raise ValueFailure(f"json: unsupported type: {type(value).__name__}")


def _time(impl: Callable[..., Any], arity: int) -> Function:
    def call(*args: Any) -> Any:
        try:
            return impl(*args)
        except go_time.TimeFailure as exc:
            raise ValueFailure(str(exc)) from None
    return Function(call, arity)


FUNCTIONS: dict[str, Function] = {
    "asInt": Function(_as_int, 1),
    "int": Function(_as_int, 1),
    "asFloat": Function(_as_float, 1),
    "float": Function(_as_float, 1),
    "string": Function(go_string, 1),
    "len": Function(_len, 1),
    "toJson": Function(go_json, 1),
    "sprig.toJson": Function(go_json, 1),
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
