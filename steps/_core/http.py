"""HTTP session helper: timeouts, bounded in-step retries, and error classification.

In-step retries absorb seconds-scale faults (a dropped connection, a 503 during a deploy,
a 429 with ``Retry-After``); anything longer is left to Argo's ``retryStrategy`` by raising
:class:`TransientError` (75). The decision of what is retryable lives here only:

- connection errors, timeouts, 408, 429 and 5xx: retried with ``Retry-After`` (seconds or
  an HTTP date) or exponential backoff with full jitter, then ``TransientError``;
- any other 4xx: :class:`UpstreamError` (76), never retried (401/403 say "auth").

Redirects are followed here, not by ``requests``, and only within the origin (scheme,
host and port) of the URL asked for, the rule the pagination applies to next links: the
session's headers carry the credentials (``X-API-Key`` among them, which ``requests``
would forward to any host), so a redirect to another origin is an :class:`UpstreamError`
naming both origins and nothing is sent there. At most :data:`MAX_REDIRECTS` hops.

Bodies are read through :mod:`steps._core.http_body`, bounded after decompression by
``CADENCIA_HTTP_MAX_PAGE_BYTES``: a larger page is a :class:`DataError` (65) raised while
reading, before memory holds it. URLs are logged without their query string, which may
carry an API key, and body snippets pass through :func:`steps._core.redact.snippet`.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from steps._core import redact
from steps._core.errors import DataError, TransientError, UpstreamError
from steps._core.http_body import ACCEPT_ENCODING, BodyTooLarge, UnknownEncoding, read_body
from steps._core.settings import Settings
from steps._core.urls import origin

logger = logging.getLogger(__name__)

MIB = 1 << 20
MAX_REDIRECTS = 5
ERROR_BODY_BYTES = 64 << 10  # what an error message may quote from a refusal's body
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524})


@dataclasses.dataclass(frozen=True)
class HttpSettings(Settings):
    """``CADENCIA_HTTP_*``: timeouts and the in-step retry budget."""

    prefix = "CADENCIA_HTTP_"
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    max_retry_after: float = 120.0
    max_page_bytes: int = 16 * MIB
    """A page's size after decompression. A page costs the step about 20 times its size at
    its peak (parsed records are ~4x the JSON as Python objects; up to three wait in the
    queue while one is converted to Arrow): `python -m bench page_cap` measures ~450 MiB
    for pages just under 16 MiB and ~1.5 GiB under 64 MiB, so 16 MiB leaves an honest
    page, even one heavier than the sample orders, inside a 1 Gi pod."""


def safe_url(url: str) -> str:
    """The URL without query string, fragment or credentials, for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def mib(size: int) -> str:
    return f"{size / MIB:g} MiB"


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """A ``requests.Session`` with timeouts and classified, bounded retries."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings or HttpSettings()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "cadencia-extract/0.1"
        self.session.headers["Accept"] = "application/json"
        self.session.headers["Accept-Encoding"] = ACCEPT_ENCODING  # the ones we can bound
        if headers:
            self.session.headers.update(headers)
        if auth:
            self.session.auth = auth
        self._sleep = sleep
        self.retries = 0

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return random.uniform(0, min(s.backoff_cap, s.backoff_base * 2**attempt))  # noqa: S311

    def get(self, url: str, params: Mapping[str, Any] | None = None, *,
            what: str = "the response") -> requests.Response:
        """GET with retries; returns a 2xx response or raises a classified error.

        ``what`` names the body in the size error ("page 3 is larger than ...").
        """
        s = self.settings
        where = safe_url(url)
        for attempt in range(s.max_retries + 1):
            last = attempt == s.max_retries
            cause: Exception | None
            wait: float | None
            try:
                resp = self._follow(url, params)
                # Read the body inside the try: a connection dropped mid-body is transient.
                ok = resp.status_code < 400
                body = read_body(resp, s.max_page_bytes if ok else ERROR_BODY_BYTES,
                                 truncate=not ok)
                resp._content = body  # type: ignore[assignment]  # bytes-like, parsed as is
            except BodyTooLarge as exc:
                raise DataError(
                    f"{what} is larger than {mib(exc.limit)} after decompression (GET "
                    f"{where}); raise CADENCIA_HTTP_MAX_PAGE_BYTES if the API really sends "
                    "pages this large, or ask for smaller pages", url=where,
                    max_page_bytes=exc.limit) from None
            except UnknownEncoding as exc:
                raise DataError(f"GET {where} answered with Content-Encoding {exc.encoding!r}, "
                                f"which was not asked for ({ACCEPT_ENCODING})",
                                url=where) from None
            except requests.Timeout as exc:
                reason, cause, wait = f"timed out ({exc.__class__.__name__})", exc, None
            except requests.ConnectionError as exc:
                reason, cause, wait = "connection failed", exc, None
            except requests.RequestException as exc:  # ChunkedEncodingError, ContentDecodingError
                reason, cause, wait = f"transfer failed ({exc.__class__.__name__})", exc, None
            else:
                if resp.status_code < 400:
                    return resp
                if resp.status_code not in RETRYABLE_STATUS:
                    auth = resp.status_code in (401, 403)
                    refusal = "authentication refused" if auth else "refused"
                    raise UpstreamError(
                        f"GET {where} {refusal}: HTTP {resp.status_code} {_snippet(resp)}",
                        url=where, status=resp.status_code)
                reason, cause = f"HTTP {resp.status_code}", None
                wait = parse_retry_after(resp.headers.get("Retry-After"))
                if wait is not None and wait > s.max_retry_after:
                    raise TransientError(
                        f"GET {where} HTTP {resp.status_code}: server asks to retry after "
                        f"{wait:.0f}s, more than CADENCIA_HTTP_MAX_RETRY_AFTER="
                        f"{s.max_retry_after:.0f}s", url=where, status=resp.status_code)
            if last:
                raise TransientError(
                    f"GET {where} {reason} after {attempt + 1} attempts",
                    url=where, attempts=attempt + 1) from cause
            delay = self._backoff(attempt) if wait is None else wait
            self.retries += 1
            logger.warning("GET %s %s; retrying in %.1fs (attempt %d of %d)",
                           where, reason, delay, attempt + 2, s.max_retries + 1,
                           extra={"url": where, "retry_in_s": round(delay, 3),
                                  "attempt": attempt + 1})
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _follow(self, url: str, params: Mapping[str, Any] | None) -> requests.Response:
        """The response at the end of ``url``'s same-origin redirects (body not yet read)."""
        s = self.settings
        home = origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self.session.get(url, params=params, timeout=(s.connect_timeout,
                                    s.read_timeout), stream=True, allow_redirects=False)
            location = resp.headers.get("Location")
            if resp.status_code not in REDIRECT_STATUS or not location:
                return resp
            resp.close()
            target = urljoin(resp.url, location)
            if origin(target) != home:
                raise UpstreamError(
                    f"GET {safe_url(resp.url)} redirects (HTTP {resp.status_code}) from "
                    f"{home} to another origin, {origin(target)}; refusing to follow it "
                    "with the credentials (point --url at the final address)",
                    url=safe_url(resp.url), status=resp.status_code, origin=home,
                    redirect_origin=origin(target))
            url, params = target, None
        raise UpstreamError(f"GET {safe_url(url)}: more than {MAX_REDIRECTS} redirects",
                            url=safe_url(url))

    def close(self) -> None:
        self.session.close()


def _snippet(resp: requests.Response, limit: int = 200) -> str:
    return redact.snippet(resp.text, limit, cut=len(resp.content) >= ERROR_BODY_BYTES)
