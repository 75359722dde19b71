"""Go's regexp (RE2) patterns run by Python's ``re``, limited to a subset that means the same.

govaluate's ``=~``/``!~`` (``regexStage``) compile the right side with Go's
``regexp.Compile`` and test ``pattern.Match``: an unanchored search. ``compile_go`` reads
the pattern itself and translates it; whatever it does not know to mean the same in both
is refused (UnsupportedExpression naming it and its offset), never guessed:

- literal characters, escaped ASCII punctuation (``\\.``), ``.`` (any character but a
  newline in both), ``|``, groups ``(...)`` and ``(?:...)``;
- quantifiers ``* + ?``, their lazy forms, ``{n}``, ``{n,}``, ``{n,m}`` (n <= m <= 1000,
  Go's limit) after an atom; a quantifier after a quantifier (possessive in Python, an
  error in Go) is refused;
- ``^``, ``\\A`` (start of text) and ``$``, ``\\z`` (end of text: Go's ``$`` without the
  ``m`` flag does not match before a final newline, Python's does, so ``$`` becomes
  ``\\Z``);
- ``\\d \\w \\b \\B`` (ASCII in Go, so compiled with ``re.ASCII``), ``\\s \\S`` (Go's
  ``[\\t\\n\\f\\r ]``, without Python's ``\\v``), ``\\D \\W``, ``\\n \\t \\r \\f``;
- classes ``[...]``/``[^...]`` of those, with ranges; ``[`` inside a class (Go's
  ``[[:alpha:]]``), ``&& -- ~~ ||`` (Python's future set operations), a leading ``]``,
  ``\\S`` inside a class and an empty class are refused.

Refused besides: flags ``(?i)``, named groups, lookarounds, backreferences, ``\\p``,
``\\x``, ``\\Q``, octal and the other escapes, a literal ``{``/``}``/``]``.
"""

from __future__ import annotations

import re
from functools import lru_cache

from workflows.engine.expr.errors import UnsupportedExpression

_PUNCT = frozenset("\\.+*?()|[]{}^$-/#&~!\"'%,:;<=>@_`")
_ESCAPES = {"d": r"\d", "D": r"\D", "w": r"\w", "W": r"\W", "s": r"[\t\n\f\r ]",
            "S": r"[^\t\n\f\r ]", "b": r"\b", "B": r"\B", "A": r"\A", "z": r"\Z",
            "n": r"\n", "t": r"\t", "r": r"\r", "f": r"\f"}
_CLASS_ESCAPES = {"d": r"\d", "D": r"\D", "w": r"\w", "W": r"\W", "s": r"\t\n\f\r ",
                  "n": r"\n", "t": r"\t", "r": r"\r", "f": r"\f"}
_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_MAX_REPEAT = 1000  # Go's syntax.maxRepeat (regexp/syntax: "invalid repeat count")


@lru_cache(maxsize=256)
def compile_go(pattern: str) -> re.Pattern[str]:
    """``pattern`` (Go syntax) as a Python pattern that matches the same strings."""
    translated = _Translator(pattern).translate()
    try:
        return re.compile(translated, re.ASCII)
    except re.error as exc:  # a bad range such as [z-a]: Go rejects it too
        raise UnsupportedExpression(pattern, f"an invalid regular expression ({exc})") from None


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.pos = 0
        self.out: list[str] = []

    def fail(self, what: str) -> UnsupportedExpression:
        return UnsupportedExpression(
            self.pattern, f"{what} at offset {self.pos} of the regular expression: its "
            "meaning in Go's regexp (RE2) and Python's re may differ, or Go rejects it")

    def translate(self) -> str:
        depth = 0
        atom = False  # may a quantifier follow?
        text = self.pattern
        while self.pos < len(text):
            char = text[self.pos]
            if char in "*+?{":
                if not atom:
                    raise self.fail(f"a repetition '{char}' with nothing to repeat")
                self.quantifier()
                atom = False
                continue
            atom = True
            if char == "\\":
                atom = self.escape()
                continue
            if char == "[":
                self.char_class()
                continue
            if char == "(":
                if text.startswith("(?:", self.pos):
                    self.out.append("(?:")
                    self.pos += 3
                elif text.startswith("(?", self.pos):
                    raise self.fail("a group with flags, a name or a lookaround '(?'")
                else:
                    self.out.append("(")
                    self.pos += 1
                depth += 1
                atom = False
                continue
            if char == ")":
                if depth == 0:
                    raise self.fail("an unopened ')'")
                depth -= 1
            elif char in "|^":
                atom = False
            elif char == "$":
                self.out.append(r"\Z")
                self.pos += 1
                atom = False
                continue
            elif char in "]}":
                raise self.fail(f"a literal '{char}'")
            self.out.append(re.escape(char) if char not in ".()|^" else char)
            self.pos += 1
        if depth:
            raise self.fail("an unclosed '('")
        return "".join(self.out)

    def quantifier(self) -> None:
        text = self.pattern
        if text[self.pos] == "{":
            match = _REPEAT.match(text, self.pos)
            if match is None:
                raise self.fail("a '{' that is not a repetition {n}, {n,} or {n,m}")
            low = int(match.group(1))
            high = int(match.group(3)) if match.group(3) else None
            if max(low, high or 0) > _MAX_REPEAT or (high is not None and high < low):
                raise self.fail(f"the repetition {match.group()}")
            self.out.append(match.group())
            self.pos = match.end()
        else:
            self.out.append(text[self.pos])
            self.pos += 1
        if text.startswith("?", self.pos):  # lazy, the same in both
            self.out.append("?")
            self.pos += 1
        if self.pos < len(text) and text[self.pos] in "*+?{":
            raise self.fail(f"a repetition '{text[self.pos]}' of a repetition")

    def escape(self) -> bool:
        """Translate ``\\x``; whether a quantifier may follow it."""
        text = self.pattern
        char = text[self.pos + 1 : self.pos + 2]
        if char in _PUNCT:
            self.out.append(re.escape(char))
        elif char and char in _ESCAPES:
            self.out.append(_ESCAPES[char])
        else:
            raise self.fail(f"the escape '\\{char}'")
        self.pos += 2
        return char not in "bBAz"

    def char_class(self) -> None:
        text = self.pattern
        start = self.pos
        self.pos += 1
        parts = ["["]
        if text.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        first = True
        while True:
            if self.pos >= len(text):
                self.pos = start
                raise self.fail("an unclosed '['")
            char = text[self.pos]
            if char == "]":
                if first:
                    raise self.fail("an empty class or a leading ']'")
                break
            if char == "[" or text[self.pos : self.pos + 2] in ("&&", "--", "~~", "||"):
                raise self.fail(f"{text[self.pos : self.pos + 2]!r} inside a class")
            if char == "\\":
                escaped = text[self.pos + 1 : self.pos + 2]
                if escaped in _PUNCT:
                    parts.append(re.escape(escaped))
                elif escaped and escaped in _CLASS_ESCAPES:
                    parts.append(_CLASS_ESCAPES[escaped])
                else:
                    raise self.fail(f"the escape '\\{escaped}' inside a class")
                self.pos += 2
            else:
                parts.append("-" if char == "-" else re.escape(char))
                self.pos += 1
            first = False
        self.pos += 1
        parts.append("]")
        self.out.append("".join(parts))
