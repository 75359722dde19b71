"""CronWorkflow: schedules, timezone, concurrencyPolicy, startingDeadlineSeconds.

Schedules follow robfig/cron's ParseStandard, which Argo uses: five fields (minute, hour,
day of month, month, day of week 0-6), ``*``/``?``, lists, ranges, steps and JAN-DEC /
SUN-SAT names, or ``@yearly``/``@monthly``/``@weekly``/``@daily``/``@hourly``/``@every
<duration>``; an optional ``CRON_TZ=<zone>`` prefix.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from workflows.argo.durations import is_go_duration
from workflows.lint.argo import as_dict, as_list
from workflows.lint.durations import is_bare_number
from workflows.lint.findings import Finding
from workflows.lint.loader import Document

CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
_FIELDS: list[tuple[str, int, int, dict[str, int]]] = [
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(_DAYS)}),
]
_RANGE = re.compile(r"^(?P<low>[^-/]+)(?:-(?P<high>[^/]+))?(?:/(?P<step>.+))?$")


def timezone_error(name: Any) -> str | None:
    """Why ``name`` is not an IANA time zone, or None when it is one."""
    if not isinstance(name, str) or not name:
        return "timezone must be set (the default is the controller's zone)"
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"{name!r} is not an IANA time zone (e.g. 'America/Sao_Paulo')"
    return None


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    number = names.get(text.lower())
    if number is None:
        if not text.isdigit():
            raise ValueError(f"{text!r} is not a number or name")
        number = int(text)
    if not low <= number <= high:
        raise ValueError(f"{number} is outside {low}-{high}")
    return number


def _field(text: str, spec: tuple[str, int, int, dict[str, int]]) -> None:
    label, low, high, names = spec
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"{label}: cannot read {part!r}")
        start, end, step = match.group("low"), match.group("high"), match.group("step")
        try:
            if start in ("*", "?"):
                if end is not None:
                    raise ValueError(f"{part!r}: '*' cannot start a range")
            else:
                first = _value(start, low, high, names)
                last = _value(end, low, high, names) if end is not None else first
                if first > last:
                    raise ValueError(f"range {part!r} runs backwards")
            if step is not None and (not step.isdigit() or int(step) == 0):
                raise ValueError(f"step {step!r} must be a positive integer")
        except ValueError as exc:
            raise ValueError(f"{label}: {exc}") from None


def schedule_error(schedule: Any) -> str | None:
    """Why ``schedule`` is not a valid cron schedule, or None when it is one."""
    if not isinstance(schedule, str) or not schedule.strip():
        return "the schedule is empty"
    text = schedule.strip()
    prefix = re.match(r"^(?:CRON_TZ|TZ)=(\S+)\s+", text)
    if prefix:
        problem = timezone_error(prefix.group(1))
        if problem:
            return problem
        text = text[prefix.end():]
    if text.startswith("@every "):
        every = text[len("@every "):].strip()
        return None if is_go_duration(every) else f"@every needs a duration, not {every!r}"
    if text.startswith("@"):
        return None if text in DESCRIPTORS else f"unknown descriptor {text!r}"
    fields = text.split()
    if len(fields) != 5:
        return f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    try:
        for value, spec in zip(fields, _FIELDS, strict=True):
            _field(value, spec)
    except ValueError as exc:
        return str(exc)
    return None


def check(doc: Document) -> list[Finding]:
    if doc.data.get("kind") != "CronWorkflow":
        return []
    spec = as_dict(doc.data.get("spec"))
    out: list[Finding] = []
    schedules = spec.get("schedules")
    if isinstance(schedules, list) and not schedules:
        out.append(doc.finding(("spec", "schedules"), "cron-schedule",
                               "schedules needs at least one schedule"))
    for i, schedule in enumerate(as_list(schedules)):
        problem = schedule_error(schedule)
        if problem:
            out.append(doc.finding(("spec", "schedules", i), "cron-schedule",
                                   f"{schedule!r}: {problem}"))
    zone = spec.get("timezone")
    problem = timezone_error(zone)
    if problem:
        rule = "cron-timezone-unset" if zone in (None, "") else "cron-timezone"
        out.append(doc.finding(("spec", "timezone"), rule, problem))
    policy = spec.get("concurrencyPolicy")
    if policy not in (None, "") and policy not in CONCURRENCY_POLICIES:
        out.append(doc.finding(("spec", "concurrencyPolicy"), "concurrency-policy",
                               f"{policy!r} is not one of {', '.join(CONCURRENCY_POLICIES)}"))
    deadline = spec.get("startingDeadlineSeconds")
    if is_bare_number(deadline) and int(str(deadline)) < 0:
        out.append(doc.finding(("spec", "startingDeadlineSeconds"), "starting-deadline",
                               f"startingDeadlineSeconds must be >= 0, not {deadline}"))
    return out
