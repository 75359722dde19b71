"""Durations as Argo reads and prints them: stated once, for config, lint and engine.

- A Go duration is what Go's ``time.ParseDuration`` accepts (Go ``src/time/format.go``):
  an optional sign, then one or more ``<number><unit>`` (``300ms``, ``30s``, ``5m``,
  ``1h30m``, ``1.5h``, ``.5s``), units ``ns us µs μs ms s m h`` and no days (``1d`` is
  invalid); ``0`` alone needs no unit. Argo reads ``memoize.maxAge`` this way
  (``time.ParseDuration`` in ``workflow/controller/operator.go``).
- An Argo duration is what ``ParseStringToDuration`` accepts
  (``pkg/apis/workflow/v1alpha1/utils.go``): a whole number is seconds (Go's
  ``strconv.Atoi``: an optional sign and digits), anything else a Go duration. Argo reads
  ``retryStrategy.backoff.duration``/``cap``/``maxDuration``, a template's ``timeout``
  and ``podGC.deleteDelayDuration`` this way.
- Messages such as ``Backoff for 2 seconds`` print a duration with argoproj/pkg's
  ``humanize.Duration``.

Sources: argoproj/argo-workflows v4.1.2 (the files named above) and the Go standard library.
"""

from __future__ import annotations

import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_WHOLE_NUMBER = re.compile(r"[-+]?\d+")


def parse_go_duration(text: str) -> float:
    """Seconds in a Go duration string; raises ValueError where ``time.ParseDuration`` fails."""
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in ("-", "+") else text
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


def is_go_duration(value: object) -> bool:
    """True for a string ``time.ParseDuration`` accepts (``90s``, ``1h30m``, ``0``)."""
    if not isinstance(value, str):
        return False
    try:
        parse_go_duration(value)
    except ValueError:
        return False
    return True


def is_whole_seconds(text: str) -> bool:
    """True where ``ParseStringToDuration`` reads ``text`` as a number of seconds (Atoi)."""
    return bool(_WHOLE_NUMBER.fullmatch(text))


def parse_argo_duration(value: object) -> float:
    """Seconds in an Argo duration: a whole number is seconds, else a Go duration.

    A YAML number (not a string) is taken as seconds too; raises ValueError otherwise.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if is_whole_seconds(text):
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
