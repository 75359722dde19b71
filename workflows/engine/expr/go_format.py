"""Go's ways of printing the values expressions produce: ``%v`` and ``json.Marshal``.

``go_string`` is ``fmt.Sprintf("%v", value)`` (expr-lang's ``string()``, an output
parameter's ``AnyString``); ``go_json`` is ``json.Marshal`` (``toJson``, and what Argo
v4.1.2 writes for a ``{{=...}}`` whose value is not a string). Floats are printed with
the shortest digits that read back the same, as Go's ``strconv.FormatFloat(f, 'g'/'f',
-1, 64)`` does; the two differ only in when they switch to an exponent.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from workflows.engine.expr import go_time
from workflows.engine.expr.errors import ValueFailure

_JSON_ESCAPES = {char: f"\\u{ord(char):04x}" for char in "<>&\u2028\u2029"}


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
