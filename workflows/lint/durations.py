"""Go ``time.ParseDuration`` syntax, and Argo's "bare integer means seconds" variant."""

from __future__ import annotations

import re
from typing import Any

_UNIT = r"(?:ns|us|µs|μs|ms|s|m|h)"
_GO_DURATION = re.compile(rf"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+){_UNIT})+$")
_INTEGER = re.compile(r"^[-+]?\d+$")


def is_templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def is_go_duration(value: Any) -> bool:
    """True for what Go's time.ParseDuration accepts (``90s``, ``1h30m``, ``0``)."""
    if not isinstance(value, str):
        return False
    return value in ("0", "+0", "-0") or bool(_GO_DURATION.match(value))


def is_bare_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(_INTEGER.match(value)))


def is_negative(value: Any) -> bool:
    return str(value).strip().startswith("-")
