"""The generic webhook and Slack channels: one JSON POST each, classified by status.

Webhook URLs carry their token in the path or query (Slack's ``/services/T../B../xxx``),
so a URL is never logged: a channel names only its scheme and host. Redirects are not
followed (a POST turned into a GET would "succeed" without delivering anything).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from steps._core import redact
from steps._core.errors import ConfigError, TransientError, UpstreamError
from steps._core.http import RETRYABLE_STATUS, parse_retry_after
from steps._core.settings import Secret, Settings
from steps._notify import slack
from steps._notify.delivery import NotifySettings
from steps._notify.message import Message

USER_AGENT = "cadencia-notify/0.1"


@dataclasses.dataclass(frozen=True)
class WebhookSettings(Settings):
    prefix = "CADENCIA_NOTIFY_"
    webhook_url: Secret


@dataclasses.dataclass(frozen=True)
class SlackSettings(Settings):
    prefix = "CADENCIA_NOTIFY_"
    slack_webhook_url: Secret


def checked_url(url: Secret, variable: str) -> str:
    """The revealed URL if it is http(s) with a host; the error names only the variable."""
    raw = url.reveal().strip()
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{variable} is not an http(s) URL with a host", setting=variable)
    return raw


def target_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def post_json(url: str, body: Mapping[str, Any], timeout: float) -> None:
    """POST ``body``; return on 2xx, raise a classified error otherwise."""
    data = json.dumps(body, ensure_ascii=False, default=str).encode()
    try:
        resp = requests.post(url, data=data, timeout=(timeout, timeout), allow_redirects=False,
                             headers={"Content-Type": "application/json; charset=utf-8",
                                      "User-Agent": USER_AGENT})
    except requests.Timeout as exc:
        # requests' own message embeds the full URL: name the failure, not the exception.
        raise TransientError(f"timed out ({type(exc).__name__})") from None
    except requests.ConnectionError:
        raise TransientError("connection failed") from None
    except requests.RequestException as exc:
        raise TransientError(f"transfer failed ({type(exc).__name__})") from None
    code = resp.status_code
    if 200 <= code < 300:
        return
    snippet = redact.snippet(resp.text[:1 << 16], 200, cut=len(resp.content) > 1 << 16)
    if code in RETRYABLE_STATUS or code >= 500:
        raise TransientError(f"HTTP {code} {snippet}".strip(), status=code,
                             retry_after=parse_retry_after(resp.headers.get("Retry-After")))
    if 300 <= code < 400:
        raise UpstreamError(f"HTTP {code} redirect: point the URL at its final address",
                            status=code)
    what = "authentication refused" if code in (401, 403) else "refused"
    raise UpstreamError(f"{what}: HTTP {code} {snippet}".strip(), status=code)


class WebhookChannel:
    """POSTs the structured message (``Message.to_dict()`` plus ``text``) as JSON."""

    name = "webhook"

    def __init__(self, url: str, settings: NotifySettings) -> None:
        self._url = url
        self._timeout = settings.timeout
        self.target = target_of(url)

    @classmethod
    def from_env(cls, env: Mapping[str, str], settings: NotifySettings) -> WebhookChannel:
        s = WebhookSettings.from_env(env)
        return cls(checked_url(s.webhook_url, WebhookSettings.env_name("webhook_url")), settings)

    def body(self, message: Message) -> dict[str, Any]:
        return {**message.to_dict(), "text": message.text()}

    def send(self, message: Message) -> None:
        post_json(self._url, self.body(message), self._timeout)

    def secrets(self) -> Iterable[str]:
        parts = urlsplit(self._url)
        return [self._url, parts.path, parts.query, parts.password or ""]


class SlackChannel(WebhookChannel):
    """POSTs a Slack incoming-webhook payload (``text`` + ``blocks``)."""

    name = "slack"

    @classmethod
    def from_env(cls, env: Mapping[str, str], settings: NotifySettings) -> SlackChannel:
        s = SlackSettings.from_env(env)
        variable = SlackSettings.env_name("slack_webhook_url")
        return cls(checked_url(s.slack_webhook_url, variable), settings)

    def body(self, message: Message) -> dict[str, Any]:
        return slack.payload(message)
