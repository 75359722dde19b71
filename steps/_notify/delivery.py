"""Delivery of one message through one channel, with its own bounded retries.

A channel's ``send`` raises :class:`TransientError` (worth another attempt: connection
refused, timeout, HTTP 408/429/5xx, SMTP 4xx) or :class:`UpstreamError` (the server said
no: bad token, auth refused, SMTP 5xx), never a library exception. Transient failures are
retried with exponential backoff and jitter up to ``CADENCIA_NOTIFY_RETRIES`` times; a
refusal is final at once. Whatever the outcome, delivery returns a :class:`Result`: a
failing channel is reported, it does not stop the others.

Error texts pass through :func:`scrub` with the channel's secrets before they are logged.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from steps._core import redact
from steps._core.errors import TransientError, UpstreamError
from steps._core.settings import Settings
from steps._notify.message import Message

logger = logging.getLogger("steps.notify")

BACKOFF_CAP_S = 30.0


@dataclasses.dataclass(frozen=True)
class NotifySettings(Settings):
    """``CADENCIA_NOTIFY_*``: the retry budget shared by every channel."""

    prefix = "CADENCIA_NOTIFY_"
    retries: int = 3
    """Extra attempts after the first one, per channel."""
    timeout: float = 10.0
    """Seconds for each connect and each read (HTTP) or each SMTP command."""
    backoff: float = 1.0
    """Base delay in seconds; doubled at each retry, with jitter, capped at 30 s."""


class Channel(Protocol):
    name: str
    target: str
    """Where it goes, safe to log (a host, never a URL path or a password)."""

    def send(self, message: Message) -> None: ...

    def secrets(self) -> Iterable[str]: ...


@dataclasses.dataclass(frozen=True)
class Result:
    channel: str
    delivered: bool
    attempts: int
    error_kind: str | None = None
    error: str | None = None


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (and its URL-quoted form) replaced by ``***``."""
    return redact.scrub(text, secrets)


def backoff_delay(settings: NotifySettings, attempt: int, retry_after: float | None) -> float:
    base = min(BACKOFF_CAP_S, settings.backoff * 2**attempt)
    delay = random.uniform(base / 2, base)  # noqa: S311 - jitter, not cryptography
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(delay, BACKOFF_CAP_S)


def deliver(channel: Channel, message: Message, settings: NotifySettings,
            sleep: Callable[[float], None] = time.sleep) -> Result:
    """Send with retries; never raises for a delivery failure."""
    attempts = max(0, settings.retries) + 1
    secrets = list(channel.secrets())
    for attempt in range(attempts):
        try:
            channel.send(message)
        except TransientError as exc:
            reason = scrub(exc.message, secrets)
            if attempt + 1 == attempts:
                return _failed(channel, attempt + 1, exc.kind,
                               f"{reason} (gave up after {attempts} attempts)")
            delay = backoff_delay(settings, attempt, exc.fields.get("retry_after"))
            logger.warning("notification via %s: %s; retrying in %.1fs (attempt %d of %d)",
                           channel.name, reason, delay, attempt + 2, attempts,
                           extra={"channel": channel.name, "target": channel.target,
                                  "attempt": attempt + 1, "retry_in_s": round(delay, 3)})
            sleep(delay)
        except UpstreamError as exc:
            return _failed(channel, attempt + 1, exc.kind, scrub(exc.message, secrets))
        except Exception as exc:
            # A bug in a channel must not cost the other channels their delivery, and its
            # message may embed a secret: log the type and the scrubbed text, no traceback.
            return _failed(channel, attempt + 1, "bug",
                           scrub(f"{type(exc).__name__}: {exc}", secrets))
        else:
            logger.info("notification delivered via %s", channel.name,
                        extra={"channel": channel.name, "target": channel.target,
                               "attempts": attempt + 1})
            return Result(channel.name, True, attempt + 1)
    raise AssertionError("unreachable")  # pragma: no cover


def _failed(channel: Channel, attempts: int, kind: str, reason: str) -> Result:
    logger.error("notification via %s failed: %s", channel.name, reason,
                 extra={"channel": channel.name, "target": channel.target,
                        "attempts": attempts, "error_kind": kind})
    return Result(channel.name, False, attempts, kind, reason)
