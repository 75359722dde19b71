"""Tokenizer of the expression subset (expr-lang / govaluate) the engine evaluates.

Tokens: numbers (``75``, ``1.5``, ``2e3``), strings in 'single' or "double" quotes with
the escapes ``\\\\ \\' \\" \\n \\r \\t \\uXXXX``, names (``[A-Za-z_][A-Za-z0-9_]*``; the
keywords are names the parser knows), closure pointers (``#``, ``#index``: a ``ptr``
token whose value is the name, as expr-lang's lexer reads ``#`` and the word right after
it), and the operators in ``OPERATORS`` (``{ }`` included: the parser allows them only
around a closure's predicate and map literals). Anything else, including expr-lang
operators outside the subset (``**``, ``?.``, ``..``, ``|``, ``=~``), names starting
with ``__`` and integers beyond int64, raises UnsupportedExpression naming it and its
offset. Input longer than ``MAX_LENGTH`` is refused before it is read.

With ``govaluate`` (a ``when``, which Argo's ``shouldExecute`` hands to govaluate) ``=~``
and ``!~`` are operators, ``??`` (govaluate's own, not expr-lang's) is refused, and a
backslash in a string takes the next character as it is (govaluate's
``readUntilFalse``: ``'\\n'`` is ``n``, not a newline).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflows.engine.expr.errors import UnsupportedExpression

_INT64_MAX = 2**63 - 1
MAX_LENGTH = 4096  # characters; the compiled manifests' longest expression is ~300

OPERATORS = (
    "&&", "||", "==", "!=", "<=", ">=", "??",
    "<", ">", "+", "-", "*", "/", "%", "!", "(", ")", "[", "]", ",", ".", "?", ":",
    "{", "}",
)  # fmt: skip
_REFUSED = {
    "**": "the power operator '**'",
    "?.": "optional chaining '?.'",
    "..": "ranges '..'",
    "=~": "regular expression matching '=~'",
    "!~": "regular expression matching '!~'",
    "|": "pipes '|'",
    "^": "the power operator '^'",
    "&": "bitwise operators",
    "=": "assignment '='",
    "`": "raw strings in backticks",
}
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_POINTER = re.compile(r"#([A-Za-z0-9_]*)")
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "str", "name", "ptr", "op" or "end"
    text: str
    value: Any
    pos: int


_REGEX_OPERATORS = ("=~", "!~")


def tokenize(expr: str, *, govaluate: bool = False) -> list[Token]:
    """The tokens of ``expr``, ending with an ``end`` token."""
    if len(expr) > MAX_LENGTH:
        raise UnsupportedExpression(expr, f"longer than {MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos, size = 0, len(expr)
    while pos < size:
        char = expr[pos]
        if char in " \t\r\n":
            pos += 1
            continue
        start = pos
        if char in "'\"":
            value, pos = _string(expr, pos, govaluate=govaluate)
            tokens.append(Token("str", expr[start:pos], value, start))
        elif char.isdigit():
            match = _NUMBER.match(expr, pos)
            assert match is not None
            pos = match.end()
            if pos < size and (expr[pos].isalnum() or expr[pos] == "_"):
                raise UnsupportedExpression(expr, f"malformed number at offset {start}")
            text = match.group()
            number: float | int = float(text) if "." in text or "e" in text.lower() else int(text)
            if isinstance(number, int) and number > _INT64_MAX:
                raise UnsupportedExpression(expr, f"integer literal out of range at offset {start}")
            tokens.append(Token("num", text, number, start))
        elif char == "#":
            # expr-lang's pointer state: '#' and the letters and digits glued to it
            match = _POINTER.match(expr, pos)
            assert match is not None
            pos = match.end()
            tokens.append(Token("ptr", match.group(), match.group(1), start))
        elif match := _NAME.match(expr, pos):
            pos = match.end()
            if match.group().startswith("__"):
                # nothing legitimate is named so; refusing early keeps dunder probing out
                raise UnsupportedExpression(expr, f"names starting with '__' at offset {start}")
            tokens.append(Token("name", match.group(), match.group(), start))
        elif govaluate and expr[pos : pos + 2] in _REGEX_OPERATORS:
            tokens.append(Token("op", expr[pos : pos + 2], expr[pos : pos + 2], pos))
            pos += 2
        elif govaluate and expr[pos : pos + 2] == "??":
            # govaluate has a '??' of its own (argo's when): not expr-lang's, not here
            raise UnsupportedExpression(expr, f"'??' in a when (govaluate) at offset {pos}")
        else:
            pos = _operator(expr, pos, tokens)
    tokens.append(Token("end", "", None, size))
    return tokens


def _operator(expr: str, pos: int, tokens: list[Token]) -> int:
    pair = expr[pos : pos + 2]
    if pair in _REFUSED:
        raise UnsupportedExpression(expr, f"{_REFUSED[pair]} at offset {pos}")
    if pair in OPERATORS:
        tokens.append(Token("op", pair, pair, pos))
        return pos + 2
    char = expr[pos]
    if char in _REFUSED:
        raise UnsupportedExpression(expr, f"{_REFUSED[char]} at offset {pos}")
    if char in OPERATORS:
        tokens.append(Token("op", char, char, pos))
        return pos + 1
    raise UnsupportedExpression(expr, f"unexpected character {char!r} at offset {pos}")


def _string(expr: str, pos: int, *, govaluate: bool = False) -> tuple[str, int]:
    quote, start = expr[pos], pos
    pos += 1
    parts: list[str] = []
    while pos < len(expr):
        char = expr[pos]
        if char == quote:
            return "".join(parts), pos + 1
        if char != "\\":
            parts.append(char)
            pos += 1
            continue
        escape = expr[pos + 1 : pos + 2]
        if govaluate and escape:
            parts.append(escape)
            pos += 2
        elif escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            pos += 2
        elif escape == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", expr[pos + 2 : pos + 6]):
            parts.append(chr(int(expr[pos + 2 : pos + 6], 16)))
            pos += 6
        else:
            raise UnsupportedExpression(expr, f"unknown escape '\\{escape}' at offset {pos}")
    raise UnsupportedExpression(expr, f"unterminated string starting at offset {start}")
