"""Response body -> JSON value -> the list of records, with one clear error per bad body.

An HTTP 200 is not proof of data: gateways answer with HTML error pages, bodies get cut
off, proxies substitute text. Each of these is a :class:`DataError` (65) that says which
it was and where it came from, never a crash deep inside a parser.
"""

from __future__ import annotations

from typing import Any

import orjson

from steps._core import redact
from steps._core.errors import DataError
from steps._extract_http.pagination import MISSING, lookup


def _snippet(content: bytes | bytearray, limit: int = 80, window: int = 1 << 16) -> str:
    """The body's start for an error message, with every registered secret masked."""
    text = content[:window].decode("utf-8", "replace")
    return repr(redact.snippet(text, limit, cut=len(content) > window))


def decode_body(content: bytes | bytearray, content_type: str, where: str) -> Any:
    """Parse a JSON body; refuse HTML, empty, truncated and non-JSON bodies."""
    looks_html = content.lstrip()[:1] == b"<"
    if not looks_html:
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            error = exc
    if looks_html or "html" in content_type.lower():
        raise DataError(f"GET {where} returned an HTML page instead of JSON (Content-Type "
                        f"{content_type or '-'}): {_snippet(content)}", url=where)
    if not content.strip():
        raise DataError(f"GET {where} returned an empty body instead of JSON", url=where)
    if error.pos >= len(content.rstrip()):
        raise DataError(f"GET {where} returned truncated JSON: the body ends after "
                        f"{len(content)} bytes in the middle of a document", url=where,
                        bytes=len(content))
    raise DataError(f"GET {where} returned a body that is not JSON ({error.msg} at byte "
                    f"{error.pos}): {_snippet(content)}", url=where)


def records_at(body: Any, path: str, where: str) -> list[Any]:
    """The list of records at dotted ``path`` ("" = the body itself)."""
    value = lookup(body, path)
    name = repr(path) if path else "(the body)"
    if value is MISSING:
        keys = ", ".join(map(str, body)) if isinstance(body, dict) else type(body).__name__
        raise DataError(f"GET {where}: records path {name} not found in the response "
                        f"(top level: {keys}); set --records-path", url=where, path=path)
    if not isinstance(value, list):
        raise DataError(f"GET {where}: records path {name} holds "
                        f"{type(value).__name__}, not a list of records", url=where, path=path)
    return value
