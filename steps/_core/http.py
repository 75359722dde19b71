"""HTTP client on urllib3: timeouts, bounded in-step retries, and error classification.

In-step retries absorb seconds-scale faults (a dropped connection, a 503 during a deploy,
a 429 with ``Retry-After``); anything longer is left to Argo's ``retryStrategy`` by raising
:class:`TransientError` (75). The decision of what is retryable lives here only:

- connection errors, timeouts, 408, 429 and 5xx: retried with ``Retry-After`` (seconds or
  an HTTP date) or exponential backoff with full jitter, then ``TransientError``;
- any other 4xx: :class:`UpstreamError` (76), never retried (401/403 say "auth").

Redirects are followed here, not by urllib3, and only within the origin (scheme, host and
port) of the URL asked for, the rule the pagination applies to next links: every request
carries the credentials (``X-API-Key`` among them, which ``requests`` would forward to
any host), so a redirect to another origin is an :class:`UpstreamError` naming both
origins and nothing is sent there. At most :data:`MAX_REDIRECTS` hops.

Requests are built as ``requests`` builds them: ``params`` are URL-encoded after the query
the URL already has (a next link carries its own); basic auth from the client's pair, or
from a ``user:password@`` in the URL when there is none. TLS trust and proxies come from
the environment as ``requests`` reads them: :mod:`steps._core.http_transport` says how.

Bodies are read through :mod:`steps._core.http_body`, bounded after decompression by
``CADENCIA_HTTP_MAX_PAGE_BYTES``: a larger page is a :class:`DataError` (65) raised while
reading, before memory holds it. URLs are logged without their query string, which may
carry an API key, and body snippets pass through :func:`steps._core.redact.snippet`.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, ReadTimeoutError

from steps._core import redact
from steps._core.errors import DataError, TransientError, UpstreamError
from steps._core.http_body import ACCEPT_ENCODING, BodyTooLarge, UnknownEncoding, read_body
from steps._core.http_transport import Transport
from steps._core.settings import Settings
from steps._core.urls import origin

logger = logging.getLogger(__name__)

MIB = 1 << 20
USER_AGENT = "cadencia-extract/0.1"
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


def request_url(url: str, params: Mapping[str, Any] | None) -> str:
    """``url`` with ``params`` URL-encoded after its own query, as ``requests`` does it
    (a list value repeats the name; ``None`` values are left out)."""
    pairs: list[tuple[str, Any]] = []
    for name, values in (params or {}).items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            values = [values]
        pairs.extend((name, value) for value in values if value is not None)
    scheme, netloc, path, query, fragment = urlsplit(url)
    encoded = urlencode(pairs, doseq=True)
    if encoded:
        query = f"{query}&{encoded}" if query else encoded
    return urlunsplit((scheme, netloc, path, query, fragment))


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` value: latin-1 as ``requests`` sends it, else UTF-8 (RFC 7617)."""
    pair = f"{username}:{password}"
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """An answer with its body read: its final URL, status, headers and body."""

    url: str
    status_code: int
    headers: Mapping[str, str]  # urllib3's HTTPHeaderDict: case-insensitive
    content: bytearray


class HttpClient:
    """GETs over urllib3 with timeouts, classified bounded retries, same-origin redirects."""

    def __init__(
        self,
        settings: HttpSettings | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = s = settings or HttpSettings()
        self.headers = urllib3.HTTPHeaderDict({
            "User-Agent": USER_AGENT, "Accept": "application/json",
            "Accept-Encoding": ACCEPT_ENCODING})  # the encodings whose size we can bound
        self.headers.update(headers or {})
        if auth:
            self.headers["Authorization"] = basic_auth(*auth)
        self.transport = Transport(headers=self.headers, timeout=urllib3.Timeout(
            connect=s.connect_timeout, read=s.read_timeout))
        self._sleep = sleep
        self.retries = 0

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return random.uniform(0, min(s.backoff_cap, s.backoff_base * 2**attempt))  # noqa: S311

    def get(self, url: str, params: Mapping[str, Any] | None = None, *,
            what: str = "the response") -> Response:
        """GET with retries; returns a 2xx response or raises a classified error.

        ``what`` names the body in the size error ("page 3 is larger than ...").
        """
        s = self.settings
        where = safe_url(url)
        for attempt in range(s.max_retries + 1):
            last = attempt == s.max_retries
            cause: Exception | None
            wait: float | None
            reading = False
            try:
                final, raw = self._follow(url, params)
                # Read the body inside the try: a connection dropped mid-body is transient.
                reading, ok = True, raw.status < 400
                body = read_body(raw, s.max_page_bytes if ok else ERROR_BODY_BYTES,
                                 truncate=not ok)
                resp = Response(final, raw.status, raw.headers, body)
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
            except HTTPError as exc:
                reason, cause, wait = _failure(exc, reading), exc, None
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

    def _follow(self, url: str, params: Mapping[str, Any] | None
                ) -> tuple[str, urllib3.BaseHTTPResponse]:
        """The URL at the end of ``url``'s same-origin redirects, and its response (body
        not yet read)."""
        home = origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            url = request_url(url, params)
            resp = self.transport.get(url, self._headers_for(url))
            location = resp.headers.get("Location")
            if resp.status not in REDIRECT_STATUS or not location:
                return url, resp
            resp.close()  # its body is not wanted; the connection is not reused
            resp.release_conn()
            target = urljoin(url, location)
            if origin(target) != home:
                raise UpstreamError(
                    f"GET {safe_url(url)} redirects (HTTP {resp.status}) from "
                    f"{home} to another origin, {origin(target)}; refusing to follow it "
                    "with the credentials (point --url at the final address)",
                    url=safe_url(url), status=resp.status, origin=home,
                    redirect_origin=origin(target))
            url, params = target, None
        raise UpstreamError(f"GET {safe_url(url)}: more than {MAX_REDIRECTS} redirects",
                            url=safe_url(url))

    def _headers_for(self, url: str) -> Mapping[str, str] | None:
        """The client's headers, plus basic auth from the URL when it has a user and the
        client has no ``Authorization`` (None: the client's headers as they are)."""
        if "@" not in url or "Authorization" in self.headers:
            return None
        parts = urlsplit(url)
        if parts.username is None:
            return None
        headers = self.headers.copy()
        headers["Authorization"] = basic_auth(unquote(parts.username),
                                              unquote(parts.password or ""))
        return headers

    def close(self) -> None:
        self.transport.close()


def _failure(exc: HTTPError, reading: bool) -> str:
    """What went wrong, in the retry log line and the final error."""
    if isinstance(exc, NewConnectionError):  # a ConnectTimeoutError too, in urllib3's tree
        return "connection failed"
    if isinstance(exc, ReadTimeoutError):
        return "timed out (ReadTimeout)"
    if isinstance(exc, ConnectTimeoutError):
        return "timed out (ConnectTimeout)"
    if reading:  # cut off mid-body, or a body that does not inflate
        return f"transfer failed ({type(exc).__name__})"
    return f"connection failed ({type(exc).__name__})"


def _snippet(resp: Response, limit: int = 200) -> str:
    ctype = resp.headers.get("Content-Type", "")
    charset = ctype.partition("charset=")[2].split(";")[0].strip(" \"'") or "utf-8"
    try:
        text = resp.content.decode(charset, "replace")
    except LookupError:
        text = resp.content.decode("utf-8", "replace")
    return redact.snippet(text, limit, cut=len(resp.content) >= ERROR_BODY_BYTES)
