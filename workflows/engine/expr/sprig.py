"""sprig's arithmetic and base64 functions (Masterminds/sprig v3.3.0), as Argo calls them.

Argo hands expr-lang ``sprig.GenericFuncMap()`` as ``sprig`` (util/expr/env/env.go).
``add``, ``min`` and ``max`` (functions.go, numeric.go) convert every argument with
``cast.ToInt64`` (spf13/cast v1.10.0, the version Argo's go.sum resolves) and return an
int64: a float is truncated (``add(1.9, 1)`` is 2), a bool is 1 or 0, nil and ``""``
are 0, a string is read by ``strconv.ParseInt(s, 0, 0)`` after its decimals are cut
(``"7.9"`` is 7, ``"0x10"`` 16, ``"010"`` 8) and anything that does not convert is 0,
silently. A float beyond int64 (or NaN) converts differently on amd64 and arm64, and
``_`` in a string follows rules of its own: those are refused rather than guessed.

``b64dec`` (strings.go ``base64decode``) decodes standard base64 with padding as Go's
``base64.StdEncoding.DecodeString`` does (``\\r`` and ``\\n`` skipped, unused bits
ignored) and, on bad input, returns the error's text as its value: ``illegal base64 data
at input byte N``, not a failure. Decoded bytes that are not UTF-8 are refused (Go
would carry them in a string; Python cannot hold them as text).
"""

from __future__ import annotations

import math
import re
from typing import Any

from workflows.engine.expr.errors import UnsupportedExpression, ValueFailure

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DECIMAL = re.compile(r"([-+]?[0-9]*)(\.[0-9]*)?")  # Go's \d is ASCII
_B64 = {c: i for i, c in enumerate(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}
_NEWLINES = (ord("\n"), ord("\r"))
_PAD = ord("=")


def _wrap(value: int) -> int:
    return (value - INT64_MIN) % 2**64 + INT64_MIN


def to_int64(value: Any) -> int:
    """``cast.ToInt64``: the value as int64, 0 when it does not convert."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 1 if value else 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value) or not -(2.0**63) <= value < 2.0**63:
            raise UnsupportedExpression(repr(value), "a float beyond int64 given to a sprig "
                                        "integer function (Go's conversion differs by CPU)")
        return int(value)
    if isinstance(value, str):
        return _parse_int(value)
    return 0  # lists, maps, times: cast's "unable to cast", ignored by ToInt64


def _parse_int(text: str) -> int:
    if text == "":
        return 0
    if "." in text and (match := _DECIMAL.fullmatch(text)):  # cast's trimDecimal
        text = {"-": "-0", "+": "+0", "": "0"}.get(match.group(1), match.group(1))
    if "_" in text:
        raise UnsupportedExpression(repr(text), "'_' in a number given to a sprig integer "
                                    "function")
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    base, body = 10, digits
    lowered = digits[:2].lower()
    if lowered in ("0x", "0o", "0b"):
        base, body = {"0x": 16, "0o": 8, "0b": 2}[lowered], digits[2:]
    elif digits.startswith("0") and len(digits) > 1:
        base, body = 8, digits[1:]
    allowed = "0123456789abcdef"[:base]
    if not body or any(c not in allowed for c in body.lower()):
        return 0  # strconv.ParseInt fails: cast gives 0
    number = int(body, base) * (-1 if sign == "-" else 1)
    return number if INT64_MIN <= number <= INT64_MAX else 0  # out of range fails too


def add(*values: Any) -> int:
    total = 0
    for value in values:
        total = _wrap(total + to_int64(value))
    return total


def smallest(first: Any, *rest: Any) -> int:
    """sprig's ``min``."""
    return min([to_int64(first), *(to_int64(v) for v in rest)])


def largest(first: Any, *rest: Any) -> int:
    """sprig's ``max``."""
    return max([to_int64(first), *(to_int64(v) for v in rest)])


def b64dec(text: Any) -> str:
    """``base64decode``: the decoded text, or the decoder's error as text."""
    if not isinstance(text, str):
        raise ValueFailure(f"sprig.b64dec: cannot use {type(text).__name__} as string")
    src = text.encode()
    decoded = bytearray()
    pos = 0
    while pos < len(src):
        pos, chunk, bad = _quantum(src, pos)
        decoded += chunk
        if bad is not None:
            return f"illegal base64 data at input byte {bad}"
    try:
        return decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsupportedExpression(text[:40], "sprig.b64dec gives bytes that are not "
                                    "UTF-8 text") from None


def _quantum(src: bytes, pos: int) -> tuple[int, bytes, int | None]:
    """Go's ``decodeQuantum`` (encoding/base64): the next position, up to 3 bytes, and
    the offset of the input byte that is wrong (None if none is)."""
    buf = [0, 0, 0, 0]
    size, bad = 4, None
    j = 0
    while j < 4:
        if pos == len(src):
            if j == 0:
                return pos, b"", None
            return pos, b"", pos - j  # padding is required
        char = src[pos]
        pos += 1
        if char in _B64:
            buf[j] = _B64[char]
            j += 1
            continue
        if char in _NEWLINES:
            continue
        if char != _PAD or j < 2:
            return pos, b"", pos - 1
        if j == 2:  # a second '=' must follow
            while pos < len(src) and src[pos] in _NEWLINES:
                pos += 1
            if pos == len(src):
                return pos, b"", len(src)
            if src[pos] != _PAD:
                return pos, b"", pos - 1
            pos += 1
        while pos < len(src) and src[pos] in _NEWLINES:
            pos += 1
        if pos < len(src):
            bad = pos  # trailing garbage
        size = j
        break
    value = buf[0] << 18 | buf[1] << 12 | buf[2] << 6 | buf[3]
    return pos, bytes([value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF][: size - 1]), bad
