"""The Slack incoming-webhook payload: fallback ``text`` plus Block Kit ``blocks``.

Slack rejects a payload whose blocks break its limits (header 150 characters, section
text 3000, at most 10 fields of 2000), so every piece is cut to fit rather than letting a
long failure message turn a notification into an HTTP 400.
"""

from __future__ import annotations

from typing import Any

from steps._notify.message import MAX_FAILURES, Message

HEADER_MAX = 150
SECTION_MAX = 3000
FIELD_MAX = 2000
TEXT_MAX = 3000


def escape(text: str) -> str:
    """Slack mrkdwn escaping: only ``&``, ``<`` and ``>`` are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, SECTION_MAX)}}


def payload(message: Message) -> dict[str, Any]:
    """The JSON body to POST to a Slack incoming webhook."""
    fields = [("Status", message.status),
              ("Running for" if message.event == "sla-at-risk" else "Duration", message.duration),
              ("SLA", message.sla_verdict)]
    if message.run_id:
        fields.append(("Run", message.run_id))
    blocks: list[dict[str, Any]] = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(message.title, HEADER_MAX), "emoji": False}},
        {"type": "section",
         "fields": [{"type": "mrkdwn", "text": _cut(f"*{k}*\n{escape(v)}", FIELD_MAX)}
                    for k, v in fields]},
    ]
    if message.counts:
        rows = "\n".join(f"`{escape(k)}` {escape(str(v))}" for k, v in message.counts.items())
        blocks.append(_section(f"*Row counts*\n{rows}"))
    if message.notes:
        rows = "\n".join(f"`{escape(k)}` {escape(v)}" for k, v in message.notes.items())
        blocks.append(_section(f"*Notes*\n{rows}"))
    if message.failures:
        shown = message.failures[:MAX_FAILURES]
        items = "\n".join(f"• {escape(f.line())}" for f in shown)
        more = len(message.failures) - len(shown)
        if more:
            items += f"\n… and {more} more"
        blocks.append(_section(f"*Failed nodes ({len(message.failures)})*\n{items}"))
    return {"text": _cut(escape(message.text()), TEXT_MAX), "blocks": blocks}
