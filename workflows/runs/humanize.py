"""Human times and durations written the way the ``argo`` CLI writes them.

``short(90)`` -> ``1m``; ``long(90)`` -> ``1 minute 30 seconds``; ``stamp(t, now)`` ->
``Tue Mar 05 02:00:00 +0000 (3 hours ago)``. Durations truncate, never round, like Argo.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

MINUTE, HOUR, DAY, WEEK = 60, 3600, 86400, 7 * 86400
MONTH, YEAR = 30 * DAY, 365 * DAY

# (below this many seconds, format, divisor): go-humanize's magnitude tables.
_SHORT = [(1, "0s", 0), (2, "1s", 0), (MINUTE, "{}s", 1), (2 * MINUTE, "1m", 0),
          (HOUR, "{}m", MINUTE), (2 * HOUR, "1h", 0), (DAY, "{}h", HOUR), (2 * DAY, "1d", 0)]
_LONG = [(1, "0 seconds", 0), (2, "1 second", 0), (MINUTE, "{} seconds", 1),
         (2 * MINUTE, "1 minute", 0), (HOUR, "{} minutes", MINUTE), (2 * HOUR, "1 hour", 0),
         (DAY, "{} hours", HOUR), (2 * DAY, "1 day", 0), (WEEK, "{} days", DAY),
         (2 * WEEK, "1 week", 0), (MONTH, "{} weeks", WEEK), (2 * MONTH, "1 month", 0),
         (YEAR, "{} months", MONTH), (int(1.5 * YEAR), "1 year", 0), (2 * YEAR, "2 years", 0)]


def _magnitude(seconds: float, table: list[tuple[int, str, int]], last: str, unit: int) -> str:
    for limit, fmt, divisor in table:
        if seconds < limit:
            return fmt.format(int(seconds // divisor)) if divisor else fmt
    return last.format(int(seconds // unit))


def short(seconds: float) -> str:
    """``0s``, ``45s``, ``3m``, ``2h``, ``4d``: the DURATION column of ``argo get``."""
    return _magnitude(max(seconds, 0), _SHORT, "{}d", DAY)


def truncated(seconds: float) -> str:
    """One unit: ``45 seconds``, ``1 minute``, ``3 hours``."""
    return _magnitude(max(seconds, 0), _LONG, "{} years", YEAR)


def long(seconds: float) -> str:
    """Up to two units: ``1 minute 30 seconds``, ``2 hours 5 minutes``."""
    seconds = max(seconds, 0)
    if seconds < MINUTE:
        return truncated(seconds)
    if seconds < HOUR:
        return f"{truncated(seconds)} {int(seconds % MINUTE)} seconds"
    if seconds < DAY:
        return f"{truncated(seconds)} {int(seconds // MINUTE % 60)} minutes"
    return f"{truncated(seconds)} {int(seconds // HOUR % 24)} hours"


def ago(moment: datetime, now: datetime) -> str:
    """``now``, ``5 minutes ago``, ``2 days from now``."""
    delta = (now - moment).total_seconds()
    if abs(delta) < 1:
        return "now"
    return f"{truncated(abs(delta))} {'ago' if delta > 0 else 'from now'}"


def stamp(moment: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """``Tue Mar 05 02:00:00 +0000 (3 hours ago)`` in ``tz`` (default: local time)."""
    shown = moment.astimezone(tz)
    return f"{shown.strftime('%a %b %d %H:%M:%S %z')} ({ago(moment, now)})"
