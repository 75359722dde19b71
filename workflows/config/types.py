"""Checked scalar types of the pipeline configuration, as pydantic ``Annotated`` types.

Each one refuses a value Argo or Kubernetes would refuse later, at run time, on the
cluster: Go durations (``30s``, ``1h30m``; no bare numbers, no ``1d``), cron lines as the
Argo controller parses them (five fields or a ``@daily`` style descriptor), IANA time
zones, DNS-1123 names, SQL identifiers (the steps' own rule: letters of any script, at
most 63 bytes) and Kubernetes quantities. Values that end up in a manifest must not carry
``{{`` either: Argo would read it as a placeholder.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

from steps.contracts import identifier_problem
from workflows.argo.durations import is_go_duration, parse_go_duration
from workflows.argo.names import (
    DNS1123_LABEL,
    DNS1123_SUBDOMAIN,
    MAX_LABEL,
    MAX_SUBDOMAIN,
    METRIC_NAME,
)

# The configuration asks for the plain spelling of a Go duration: no sign, no bare
# "0", no ".5h" or "1.h", the micro sign only as U+00B5. Which units exist is Argo's
# fact, in workflows.argo.durations.
_PLAIN_DURATION = re.compile(r"^(?:\d+(?:\.\d+)?[a-zµ]+)+$")
_CPU = re.compile(r"^(\d+(\.\d+)?|\d+m)$")
_MEMORY = re.compile(r"^\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_REPO = re.compile(r"^[a-z0-9]+([._/:-][a-z0-9]+)*$")

# cron fields: (low, high, names); the controller uses robfig/cron's standard parser.
_CRON_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                      "nov", "dec")),
    ("day of week", 0, 6, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_CRON_DESCRIPTORS = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight",
                     "@hourly")


def _go_duration(value: str) -> str:
    if not (_PLAIN_DURATION.match(value) and is_go_duration(value)):
        raise ValueError(f"{value!r} is not a Go duration (e.g. 30s, 5m, 1h30m; units ns, us, "
                         "ms, s, m, h; no days)")
    if parse_go_duration(value) <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


def _cron_value(text: str, low: int, high: int, names: tuple[str, ...], what: str) -> int:
    if text.lower() in names:
        return names.index(text.lower()) + (low if low == 1 else 0)
    if not text.isdigit():
        raise ValueError(f"{what}: {text!r} is not a number")
    value = int(text)
    # robfig/cron accepts 7 as Sunday in the day-of-week field
    top = 7 if what == "day of week" else high
    if not low <= value <= top:
        raise ValueError(f"{what}: {value} is outside {low}-{high}")
    return value


def _cron_field(text: str, low: int, high: int, names: tuple[str, ...], what: str) -> None:
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{what}: bad step {step!r}")
        if base in ("*", "?"):
            if base == "?" and what not in ("day of month", "day of week"):
                raise ValueError(f"{what}: '?' is only allowed for days")
            continue
        start, dash, end = base.partition("-")
        first = _cron_value(start, low, high, names, what)
        if dash and _cron_value(end, low, high, names, what) < first:
            raise ValueError(f"{what}: range {base!r} ends before it starts")


def _cron(value: str) -> str:
    text = value.strip()
    if text.startswith("@"):
        if text.lower() in _CRON_DESCRIPTORS:
            return text
        raise ValueError(f"{value!r}: unknown descriptor (one of {', '.join(_CRON_DESCRIPTORS)})")
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"{value!r} has {len(fields)} fields; a cron line has 5 "
                         "(minute hour day-of-month month day-of-week)")
    for part, (what, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        _cron_field(part, low, high, names, what)
    return " ".join(fields)


def _timezone(value: str) -> str:
    if value.startswith("/") or ".." in value or value in ("", "localtime"):
        raise ValueError(f"{value!r} is not an IANA time zone name")
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone name (e.g. America/Sao_Paulo)"
                         ) from None
    return value


def _matching(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    """A validator: ``value`` matches ``pattern``, else "'value' is not WHAT"."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return check


def _dns_label(value: str) -> str:
    if len(value) > MAX_LABEL or not DNS1123_LABEL.match(value):
        raise ValueError(f"{value!r} is not a DNS-1123 label (lower case letters, digits and "
                         "'-', starting and ending with a letter or digit, at most 63)")
    return value


def _dns_subdomain(value: str) -> str:
    if len(value) > MAX_SUBDOMAIN or not DNS1123_SUBDOMAIN.match(value):
        raise ValueError(f"{value!r} is not a DNS-1123 name (lower case letters, digits, '-' "
                         "and '.', at most 253)")
    return value


def _identifier(value: str) -> str:
    """SQL identifiers follow the steps' one rule (steps._core.db.identifier_problem)."""
    problem = identifier_problem(value)
    if problem:
        raise ValueError(f"{value!r} is not an identifier: {problem}")
    return value


def _table(value: str) -> str:
    parts = value.split(".")
    problems = [identifier_problem(p) for p in parts]
    if len(parts) > 2 or any(problems):
        why = next((p for p in problems if p), "expected [schema.]name")
        raise ValueError(f"{value!r} is not a table name ([schema.]name): {why}")
    return value


def _image_tag(value: str) -> str:
    if value == "latest" or not _IMAGE_TAG.match(value):
        raise ValueError(f"{value!r} is not a pinned image tag (not 'latest'; letters, digits, "
                         "'_', '.', '-')")
    return value


def _image_repository(value: str) -> str:
    if not _IMAGE_REPO.match(value) or ":" in value.rsplit("/", 1)[-1]:
        raise ValueError(f"{value!r} is not an image repository without a tag "
                         "(e.g. ghcr.io/org/cadencia)")
    return value


def _no_placeholder(value: str) -> str:
    if "{{" in value or "}}" in value:
        raise ValueError("must not contain '{{' or '}}': Argo would substitute it")
    return value


GoDuration = Annotated[str, AfterValidator(_go_duration)]
Cron = Annotated[str, AfterValidator(_cron)]
Timezone = Annotated[str, AfterValidator(_timezone)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
DnsName = Annotated[str, AfterValidator(_dns_subdomain)]
Identifier = Annotated[str, AfterValidator(_identifier)]
TableName = Annotated[str, AfterValidator(_table)]
Cpu = Annotated[str, AfterValidator(_matching(_CPU, "a CPU quantity (e.g. 250m, 1, 1.5)"))]
Memory = Annotated[str, AfterValidator(_matching(_MEMORY,
                                                  "a memory quantity (e.g. 256Mi, 1Gi)"))]
ImageTag = Annotated[str, AfterValidator(_image_tag)]
ImageRepository = Annotated[str, AfterValidator(_image_repository)]
Text = Annotated[str, AfterValidator(_no_placeholder)]
MetricPrefix = Annotated[str, AfterValidator(_matching(
    METRIC_NAME, "a metric name ([A-Za-z0-9_], not starting with a digit)"))]
SecretKey = Annotated[str, Field(pattern=r"^[-._a-zA-Z0-9]+$", max_length=253)]
