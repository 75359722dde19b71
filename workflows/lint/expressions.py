"""Reading ``{{...}}`` placeholders and the variables an ``expr`` expression uses.

Argo substitutes ``{{name}}`` tags (fasttemplate: from ``{{`` to the next ``}}``) and
evaluates ``{{=expr}}`` with antonmedv/expr. Expressions are not evaluated here: only the
variable chains they read (``inputs.parameters['x']``, ``tasks.a.outputs.result``) are
extracted, skipping string literals, function calls, member names and keywords.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)
KEYWORDS = frozenset({"true", "false", "nil", "and", "or", "not", "in", "matches", "contains",
                      "startsWith", "endsWith", "let", "if", "else", "then", "sprig"})
_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
_BRACKET = re.compile(r"""\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]""")
_MEMBER = re.compile(r"\??\.\s*([A-Za-z_$][A-Za-z0-9_$]*)")


def placeholders(text: str) -> list[str]:
    """The tags of every ``{{...}}`` in ``text``, stripped of surrounding spaces."""
    return [m.group(1).strip() for m in PLACEHOLDER.finditer(text)]


def _skip_string(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if text[i] == "\\" and quote != "`":
            i += 2
            continue
        if text[i] == quote:
            return i + 1
        i += 1
    return len(text)


def _chain(text: str, start: int) -> tuple[list[str], int]:
    """An identifier followed by ``.name`` and ``['key']`` parts."""
    match = _IDENT.match(text, start)
    assert match is not None
    parts = [match.group(0)]
    i = match.end()
    while i < len(text):
        member = _MEMBER.match(text, i)
        bracket = _BRACKET.match(text, i)
        if member:
            parts.append(member.group(1))
            i = member.end()
        elif bracket:
            parts.append(next(g for g in bracket.groups() if g is not None))
            i = bracket.end()
        else:
            break
    return parts, i


def expression_variables(expr: str) -> list[str]:
    """Dotted names of the variables an expr expression reads."""
    out: list[str] = []
    declared: set[str] = set()
    previous = ""
    i = 0
    while i < len(expr):
        char = expr[i]
        if char in "'\"`":
            i = _skip_string(expr, i)
            previous = "literal"
        elif char.isdigit():
            i = _NUMBER.match(expr, i).end()  # type: ignore[union-attr]
            previous = "literal"
        elif char == "#":  # predicate pointer inside all(), filter(), ...
            match = _IDENT.match(expr, i + 1)
            i = match.end() if match else i + 1
            previous = "literal"
        elif _IDENT.match(char):
            parts, end = _chain(expr, i)
            rest = expr[end:].lstrip()
            if previous == "let":
                declared.add(parts[0])
            elif not (previous == "." or rest.startswith("(") or parts[0] in KEYWORDS
                      or parts[0] in declared
                      or (rest.startswith(":") and previous in ("{", ","))):
                out.append(".".join(parts))
            previous = "let" if parts == ["let"] else "name"
            i = end
        else:
            if not char.isspace():
                previous = char
            i += 1
    return out


def root(tag: str) -> str:
    return re.split(r"[.\[]", tag, maxsplit=1)[0]
