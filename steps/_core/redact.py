"""Secret values kept out of log text, whatever a server or a library echoes back.

A step registers the secrets its settings hold (:func:`register`, :func:`register_basic`)
once they are read; the log formatters pass every message, field and traceback through
:func:`text`, so a 401 body that quotes the token, or an exception that embeds a
password, is logged with ``***`` in its place. Each secret is also matched in its
URL-quoted forms, and basic auth in its base64 ``user:password`` form (what an
``Authorization: Basic`` header carries). :func:`snippet` redacts before it truncates, so a
secret cut by the truncation cannot leak its first characters.

Values shorter than :data:`MIN_LENGTH` are not masked: hiding every "a" in a log would
destroy the log and protect nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
MIN_LENGTH = 3

_registered: set[str] = set()
_ordered: list[str] = []  # longest first, so a secret inside another is masked last


def forms(secret: str) -> set[str]:
    """The secret as it may appear in text: raw and URL-quoted."""
    return {secret, quote(secret, safe=""), quote(secret)}


def basic_forms(username: str, password: str) -> set[str]:
    """The password and the base64 of ``username:password`` (latin-1, as requests sends it,
    and UTF-8)."""
    pair = f"{username}:{password}"
    encoded = {base64.b64encode(pair.encode(enc, "ignore")).decode()
               for enc in ("latin-1", "utf-8")}
    return {password, *encoded}


def register(*secrets: str | None) -> None:
    """Mask these values (and their quoted forms) in every later log line."""
    for secret in secrets:
        if secret and len(secret) >= MIN_LENGTH:
            _registered.update(forms(str.__str__(secret)))
    _ordered[:] = sorted(_registered, key=len, reverse=True)


def register_basic(username: str, password: str) -> None:
    register(*basic_forms(username, password))


def clear() -> None:
    """Forget every registered secret (tests)."""
    _registered.clear()
    _ordered.clear()


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each of ``secrets`` (and its quoted forms) replaced by ``***``."""
    values = {f for s in secrets if s and len(s) >= MIN_LENGTH for f in forms(s)}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def text(value: str) -> str:
    """``value`` with every registered secret replaced by ``***``."""
    for secret in _ordered:
        if secret in value:
            value = value.replace(secret, MASK)
    return value


def deep(value: object) -> object:
    """:func:`text` applied to every string inside dicts, lists and tuples."""
    if not _ordered:
        return value
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {k: deep(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [deep(v) for v in value]
    return value


def snippet(body: str, limit: int = 200, *, cut: bool = False, window: int = 1 << 16) -> str:
    """A one-line excerpt of a body for an error message: redacted, then cut to ``limit``.

    Only the first ``window`` characters are read. When the text was cut from a longer
    body (``cut``, or longer than the window), its last word is dropped: it may be the
    first half of a secret, which the masking cannot recognise.
    """
    cut = cut or len(body) > window
    words = body[:window].split()
    if cut and words:
        words.pop()
    flat = text(" ".join(words))
    return flat[:limit] + ("..." if cut or len(flat) > limit else "")
