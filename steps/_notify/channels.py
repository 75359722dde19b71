"""Channel names, the always-available log channel, and building channels from settings.

Channels are built before anything is sent, so a channel chosen without its settings is a
:class:`ConfigError` naming the missing variable, not a half-delivered notification. The
modules behind ``webhook``/``slack`` (requests) and ``email`` (smtplib, ssl) are imported
only when chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

from steps._core.errors import ConfigError
from steps._notify.delivery import Channel, NotifySettings
from steps._notify.message import Message

CHANNELS = ("log", "webhook", "slack", "email")

logger = logging.getLogger("steps.notify")


class LogChannel:
    """One structured log line: warning when the run needs attention, info otherwise."""

    name = "log"
    target = "stderr"

    def send(self, message: Message) -> None:
        level = logging.INFO if message.ok else logging.WARNING
        logger.log(level, "%s", message.title, extra={"notification": message.to_dict()})

    def secrets(self) -> Iterable[str]:
        return ()


def build(names: Sequence[str], env: Mapping[str, str], settings: NotifySettings
          ) -> list[Channel]:
    """One channel per distinct name, in the order given."""
    channels: list[Channel] = []
    for name in dict.fromkeys(names):
        if name == "log":
            channels.append(LogChannel())
        elif name == "webhook":
            from steps._notify.webhook import WebhookChannel

            channels.append(WebhookChannel.from_env(env, settings))
        elif name == "slack":
            from steps._notify.webhook import SlackChannel

            channels.append(SlackChannel.from_env(env, settings))
        elif name == "email":
            from steps._notify.smtp import EmailChannel

            channels.append(EmailChannel.from_env(env, settings))
        else:
            raise ConfigError(f"unknown channel {name!r}: expected one of {', '.join(CHANNELS)}")
    return channels
