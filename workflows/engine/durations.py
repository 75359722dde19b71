"""Argo's duration strings and the way Argo prints them.

Argo reads ``backoff.duration``/``cap``/``maxDuration`` with ``ParseStringToDuration``: a
bare integer is seconds, anything else is a Go duration (``300ms``, ``30s``, ``5m``,
``1h30m``; ``1d`` is invalid). ``memoize.maxAge`` is a Go duration only. Messages such as
``Backoff for 2 seconds`` use argoproj/pkg's ``humanize.Duration``.
"""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string; raises ValueError like ``time.ParseDuration``."""
    raw = text.strip()
    body = raw.lstrip("+-")
    sign = -1.0 if raw.startswith("-") else 1.0
    if body == "0":
        return 0.0
    if not body:
        raise ValueError(f"invalid duration {text!r}")
    pos, total = 0, 0.0
    while pos < len(body):
        match = _PART.match(body, pos)
        if not match:
            raise ValueError(f"invalid duration {text!r} (units: ns us ms s m h)")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    return sign * total


def parse_argo_duration(value: object) -> float:
    """Seconds in an Argo backoff duration: a bare number is seconds, else a Go duration."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return float(int(text))
    return parse_go_duration(text)


def humanize(seconds: float) -> str:
    """argoproj/pkg ``humanize.Duration``: ``2 seconds``, ``1 minutes 4 seconds``, ..."""
    total = int(max(seconds, 0.0))
    if total < 60:
        return f"{total} seconds"
    if total < 3600:
        return f"{total // 60} minutes {total % 60} seconds"
    if total < 86400:
        return f"{total // 3600} hours {total % 3600 // 60} minutes {total % 60} seconds"
    return (f"{total // 86400} days {total % 86400 // 3600} hours "
            f"{total % 3600 // 60} minutes {total % 60} seconds")
