"""The lint's questions about duration fields.

What Argo accepts as a duration is stated in :mod:`workflows.argo.durations`.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.durations import is_whole_seconds


def is_templated(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value


def is_bare_number(value: Any) -> bool:
    """An integer, or a string Argo reads as whole seconds (``ParseStringToDuration``)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and is_whole_seconds(value))


def is_negative(value: Any) -> bool:
    return str(value).strip().startswith("-")
