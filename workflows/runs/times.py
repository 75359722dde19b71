"""Times as Argo writes them in a Workflow object: RFC 3339 in UTC, to the second."""

from __future__ import annotations

from datetime import datetime, timezone


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with seconds, as Argo writes times (``2024-03-05T02:00:00Z``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime | None:
    """The datetime of an RFC 3339 string (``Z`` accepted), None for empty or absent."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
