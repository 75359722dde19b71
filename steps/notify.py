"""notify: tell people how a run went (Argo exit handler) or that its SLA is at risk (daemon).

Inputs (flags, as Argo substitutes them; all strings):
  ``--status``       {{workflow.status}}: Succeeded, Failed or Error
  ``--duration``     {{workflow.duration}}: seconds, may be a float
  ``--failures``     {{workflow.failures}}: JSON list of failed nodes (displayName, message,
                     templateName, phase, podName, finishedAt); empty, ``null`` or left
                     unsubstituted means nothing failed
  ``--sla-verdict``  met, missed, at-risk or unknown
  ``--count NAME=VALUE``  row counts to report (repeatable; non-integers shown as given)
  ``--note NAME=TEXT``    what a step did beyond its count, e.g. ``validate=3 quarantined
                     (range:quantidade 3)`` (repeatable; a blank or unsubstituted text is
                     left out)
  ``--workflow NAME``, ``--event finished|sla-at-risk``
  ``--channel``      log, webhook, slack, email (repeatable or comma-separated; default log)
  ``--sla-seconds N``  derive the verdict from ``--duration`` (met when at most N seconds,
                     missed above, unknown without a duration); ``--sla-verdict`` wins
  ``--delay-seconds N``  wait N seconds before sending (the SLA watcher daemon); a SIGTERM
                     while waiting (Argo stopping the daemon when the run ends) exits 0
                     quietly, sending nothing
  A count whose value is empty or an unsubstituted ``{{...}}`` (a step that never ran)
  is reported as ``unknown``.

Outputs: the message, sent to each channel; one summary line naming each channel as
delivered or failed (and ``--summary-out`` JSON).

Settings (each channel's are read before anything is sent; a missing one is exit 78):
  CADENCIA_NOTIFY_RETRIES (3), CADENCIA_NOTIFY_TIMEOUT (10 s), CADENCIA_NOTIFY_BACKOFF (1 s)
  webhook: CADENCIA_NOTIFY_WEBHOOK_URL (secret)
  slack:   CADENCIA_NOTIFY_SLACK_WEBHOOK_URL (secret)
  email:   CADENCIA_NOTIFY_SMTP_HOST, CADENCIA_NOTIFY_SMTP_PORT (587),
           CADENCIA_NOTIFY_SMTP_STARTTLS (true), CADENCIA_NOTIFY_SMTP_SSL (false, port 465),
           CADENCIA_NOTIFY_SMTP_USERNAME and _PASSWORD (secrets, optional),
           CADENCIA_NOTIFY_SMTP_CA_FILE (optional), CADENCIA_NOTIFY_EMAIL_FROM,
           CADENCIA_NOTIFY_EMAIL_TO (comma list)

Errors: a channel that cannot deliver is logged as an error naming it and the step still
exits 0, so a notification never fails a good run. With ``--fail-on-error`` it exits 75
when every failure was transient, 76 when a server refused. A channel chosen without its
settings, or a malformed flag, is 78.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import time
from collections.abc import Sequence
from typing import Any

from steps._core import redact, runner
from steps._core.errors import TransientError, UpstreamError
from steps._notify import channels as channel_registry
from steps._notify.delivery import NotifySettings, Result, deliver
from steps._notify.message import EVENTS, build, is_blank, parse_duration

logger = logging.getLogger("steps.notify")


def channel_names(values: Sequence[str] | None) -> list[str]:
    names = [n.strip().lower() for v in (values or ["log"]) for n in v.split(",") if n.strip()]
    return list(dict.fromkeys(names)) or ["log"]


def outcome(results: Sequence[Result], *, fail_on_error: bool) -> dict[str, Any]:
    """The step summary; with ``fail_on_error``, raise when any channel failed."""
    summary: dict[str, Any] = {
        "channels": {r.channel: "delivered" if r.delivered else "failed" for r in results},
        "attempts": {r.channel: r.attempts for r in results},
        "delivered": sum(r.delivered for r in results),
        "failed": sum(not r.delivered for r in results),
    }
    failed = [r for r in results if not r.delivered]
    if failed and fail_on_error:
        names = ", ".join(r.channel for r in failed)
        text = f"{len(failed)} of {len(results)} notification channels failed: {names}"
        if all(r.error_kind == TransientError.kind for r in failed):
            raise TransientError(text, channels=summary["channels"])
        raise UpstreamError(text, channels=summary["channels"])
    return summary


def seconds(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, got {value!r}")
    return number


def sla_verdict(explicit: str | None, duration: str | None, sla_seconds: float | None
                ) -> str | None:
    """The verdict given, else met/missed from the duration against the SLA, else unknown."""
    if not is_blank(explicit) or sla_seconds is None:
        return explicit
    taken = parse_duration(duration)
    if taken is None:
        return "unknown"
    return "met" if taken <= sla_seconds else "missed"


def known_counts(items: Sequence[str]) -> list[str]:
    """``NAME=VALUE`` items with a blank or unsubstituted value turned into ``unknown``."""
    out = []
    for item in items:
        name, sep, value = item.partition("=")
        out.append(f"{name}=unknown" if sep and is_blank(value) else item)
    return out


class _Stopped(BaseException):
    """Not an Exception: logging swallows those, so a SIGTERM landing while the "waiting"
    line is being written would be lost and the daemon would sleep on."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def wait(delay: float) -> bool:
    """Sleep ``delay`` seconds; False when SIGTERM came first (the run ended in time)."""
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        logger.info("waiting %.0f s before sending", delay, extra={"delay_s": delay})
        time.sleep(delay)
        return True
    except _Stopped:
        return False
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> None:
    p = runner.parser("notify", __doc__, strict_date=False)
    p.add_argument("--status", help="{{workflow.status}}")
    p.add_argument("--duration", help="{{workflow.duration}} (seconds)")
    p.add_argument("--failures", help="{{workflow.failures}} (JSON)")
    p.add_argument("--sla-verdict", help="met, missed, at-risk or unknown")
    p.add_argument("--count", action="append", default=[], metavar="NAME=VALUE",
                   help="a row count to report (repeatable)")
    p.add_argument("--note", action="append", default=[], metavar="NAME=TEXT",
                   help="a step's note to report (repeatable)")
    p.add_argument("--workflow", default="cadencia", help="workflow name for the title")
    p.add_argument("--event", choices=EVENTS, default="finished")
    p.add_argument("--channel", action="append", metavar="NAME",
                   help="log, webhook, slack or email (repeatable; default log)")
    p.add_argument("--fail-on-error", action="store_true",
                   help="exit 75/76 when a channel cannot deliver (default: report, exit 0)")
    p.add_argument("--sla-seconds", type=seconds, metavar="N",
                   help="verdict from --duration: met up to N seconds, missed above")
    p.add_argument("--delay-seconds", type=seconds, metavar="N",
                   help="wait N seconds before sending; SIGTERM meanwhile exits 0, sending "
                        "nothing")
    args = p.parse_args()

    def body(a: Any) -> dict[str, Any]:
        settings = NotifySettings.from_env()
        duration = a.duration
        if a.delay_seconds is not None:
            # check the channels' settings now: a missing one fails at once, not after the wait
            channel_registry.build(channel_names(a.channel), os.environ, settings)
            if not wait(a.delay_seconds):
                return {"event": a.event, "sent": False, "delay_s": a.delay_seconds,
                        "stopped": "SIGTERM before the delay ended; nothing sent"}
            if is_blank(duration) and a.event == "sla-at-risk":
                duration = str(a.delay_seconds)
        message = build(workflow=a.workflow, status=a.status, event=a.event,
                        duration=duration, failures=a.failures,
                        sla_verdict=sla_verdict(a.sla_verdict, duration, a.sla_seconds),
                        counts=known_counts(a.count), notes=a.note,
                        logical_date=a.logical_date,
                        run_id=a.run_id)
        channels = channel_registry.build(channel_names(a.channel), os.environ, settings)
        redact.register(*(secret for channel in channels for secret in channel.secrets()))
        results = [deliver(channel, message, settings) for channel in channels]
        summary = outcome(results, fail_on_error=a.fail_on_error)
        return {"event": message.event, "status": message.status, "title": message.title,
                **summary}

    runner.run("notify", args, body)


if __name__ == "__main__":
    main()
