"""HTTP session helper: timeouts, bounded in-step retries, and error classification.

In-step retries absorb seconds-scale faults (a dropped connection, a 503 during a deploy,
a 429 with ``Retry-After``); anything longer is left to Argo's ``retryStrategy`` by raising
:class:`TransientError` (75). The decision of what is retryable lives here only:

- connection errors, timeouts, 408, 429 and 5xx: retried with ``Retry-After`` (seconds or
  an HTTP date) or exponential backoff with full jitter, then ``TransientError``;
- any other 4xx: :class:`UpstreamError` (76), never retried (401/403 say "auth").

URLs are logged without their query string, which may carry an API key.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from steps._core.errors import TransientError, UpstreamError
from steps._core.settings import Settings

logger = logging.getLogger(__name__)

BODY_CHUNK = 1 << 20
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


def safe_url(url: str) -> str:
    """The URL without query string, fragment or credentials, for logs and errors."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


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
        if headers:
            self.session.headers.update(headers)
        if auth:
            self.session.auth = auth
        self._sleep = sleep
        self.retries = 0

    def _backoff(self, attempt: int) -> float:
        s = self.settings
        return random.uniform(0, min(s.backoff_cap, s.backoff_base * 2**attempt))  # noqa: S311

    def get(self, url: str, params: Mapping[str, Any] | None = None) -> requests.Response:
        """GET with retries; returns a 2xx/3xx response or raises a classified error."""
        s = self.settings
        where = safe_url(url)
        for attempt in range(s.max_retries + 1):
            last = attempt == s.max_retries
            cause: Exception | None
            wait: float | None
            try:
                resp = self.session.get(
                    url, params=params, timeout=(s.connect_timeout, s.read_timeout),
                    stream=True,
                )
                # Read the body inside the try: a connection dropped mid-body is transient.
                # Same as ``resp.content`` but in 1 MiB reads instead of 10 KiB ones, which
                # cost ~30% of a large page's transfer time in Python overhead.
                resp._content = b"".join(resp.iter_content(BODY_CHUNK))
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
                    what = "authentication refused" if resp.status_code in (401, 403) else "refused"
                    raise UpstreamError(
                        f"GET {where} {what}: HTTP {resp.status_code} {_snippet(resp)}",
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

    def close(self) -> None:
        self.session.close()


def _snippet(resp: requests.Response, limit: int = 200) -> str:
    text = resp.text.strip().replace("\n", " ")
    return text[:limit] + ("..." if len(text) > limit else "")
