"""sprig's date functions as Argo's controller runs them, with Go's ``time`` semantics.

A Go ``time.Time`` is an aware ``datetime`` here. The functions are sprig v3's:

- ``toDate(layout, s)``: ``time.ParseInLocation(layout, s, time.Local)``; a value that
  does not parse gives Go's zero time (0001-01-01 UTC). ``mustToDate`` fails instead.
- ``dateModify(d, t)``: ``t.Add(time.ParseDuration(d))``, ``t`` unchanged when ``d`` is
  not a duration (``mustDateModify`` fails); the addition is on the instant, not the
  wall clock, so a DST change is an hour like any other.
- ``dateInZone(layout, t, zone)``: ``t.In(zone).Format(layout)``; an int is Unix
  seconds, any other value is *now* (as in sprig); a zone Go cannot load is UTC.
- ``date(layout, t)``: ``dateInZone(layout, t, "Local")``, so a string (such as
  ``workflow.creationTimestamp``, a string in Argo's scope) formats the current time.
- ``unixEpoch(t)``: Unix seconds as a string.

``time.Local`` is UTC, as in the controller's container. Layouts are Go reference-time
layouts; the numeric fields (``2006 01 02 15 04 05``, fractions ``.000``/``.999``) and
the offsets (``Z07:00 -07:00 Z0700 -0700``) are implemented; a layout using another Go
field (``Jan``, ``Mon``, ``MST``, ``3``, ``PM``...) is refused rather than misread.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.argo.durations import parse_go_duration

GO_ZERO_TIME = datetime(1, 1, 1, tzinfo=timezone.utc)
_NUMERIC = {"2006": 4, "01": 2, "02": 2, "15": 2, "04": 2, "05": 2}
_OFFSETS = ("Z07:00", "-07:00", "Z0700", "-0700")
_FRACTION = re.compile(r"[.,](0+|9+)(?![0-9])")
# Go layout fields this module does not implement: refused, never taken as literal text.
_UNSUPPORTED = re.compile(r"January|Jan|Monday|Mon|MST|002|__2|_2|06|03|PM|pm|-07|Z07|[12345]")


class TimeFailure(ValueError):
    """A date function got a value or a layout it cannot work on."""


class UnsupportedLayout(TimeFailure):
    """A Go layout field the local engine does not implement."""


def _fields(layout: str) -> list[str]:
    """The layout as fields (``2006``, ``Z07:00``, ``.000``) and literal characters."""
    out, i = [], 0
    while i < len(layout):
        found = next((t for t in (*_OFFSETS, *_NUMERIC) if layout.startswith(t, i)), None)
        if found is None and (fraction := _FRACTION.match(layout, i)):
            found = fraction.group(0)
        if found is None and (other := _UNSUPPORTED.match(layout, i)):
            raise UnsupportedLayout(f"the Go layout field {other.group(0)!r} (in {layout!r}) "
                                    "is not supported by the local engine")
        out.append(found or layout[i])
        i += len(found or layout[i])
    return out


def _offset(moment: datetime, field: str) -> str:
    seconds = int((moment.utcoffset() or timedelta()).total_seconds())
    if seconds == 0 and field.startswith("Z"):
        return "Z"
    sign, seconds = ("-" if seconds < 0 else "+"), abs(seconds)
    sep = ":" if ":" in field else ""
    return f"{sign}{seconds // 3600:02d}{sep}{seconds % 3600 // 60:02d}"


def go_format(moment: datetime, layout: str) -> str:
    """``t.Format(layout)``."""
    values = {"2006": f"{moment.year:04d}", "01": f"{moment.month:02d}",
              "02": f"{moment.day:02d}", "15": f"{moment.hour:02d}",
              "04": f"{moment.minute:02d}", "05": f"{moment.second:02d}"}
    out = []
    for field in _fields(layout):
        if field in values:
            out.append(values[field])
        elif field in _OFFSETS:
            out.append(_offset(moment, field))
        elif len(field) > 1:  # a fraction: .000 keeps zeros, .999 trims them
            digits = f"{moment.microsecond:06d}000"[:len(field) - 1]
            digits = digits.rstrip("0") if field[1] == "9" else digits
            out.append(field[0] + digits if digits else "")
        else:
            out.append(field)
    return "".join(out)


def _fail(value: str, layout: str, rest: str, field: str) -> TimeFailure:
    return TimeFailure(f"parsing time {json.dumps(value)} as {json.dumps(layout)}: cannot "
                       f"parse {json.dumps(rest)} as {json.dumps(field)}")


def go_parse(layout: str, value: str) -> datetime:
    """``time.ParseInLocation(layout, value, time.Local)`` with Local = UTC."""
    parts = {"2006": 1, "01": 1, "02": 1, "15": 0, "04": 0, "05": 0}
    micro, zone, rest = 0, timezone.utc, value
    for field in _fields(layout):
        if field in _NUMERIC:
            width = _NUMERIC[field]
            match = re.match(r"[0-9]{1,2}" if field == "15" else f"[0-9]{{{width}}}", rest)
            if not match:
                raise _fail(value, layout, rest, field)
            parts[field], rest = int(match.group(0)), rest[match.end():]
            if field == "05" and (frac := re.match(r"[.,]([0-9]+)", rest)):
                micro, rest = int(frac.group(1)[:6].ljust(6, "0")), rest[frac.end():]
        elif field in _OFFSETS:
            match = re.match(r"Z" if field.startswith("Z") and rest.startswith("Z") else
                             r"([+-])([0-9]{2})" + (":" if ":" in field else "") + r"([0-9]{2})",
                             rest)
            if not match:
                raise _fail(value, layout, rest, field)
            if match.group(0) != "Z":
                sign = -1 if match.group(1) == "-" else 1
                delta = timedelta(hours=int(match.group(2)), minutes=int(match.group(3)))
                zone = timezone.utc if not delta else timezone(sign * delta)
            rest = rest[match.end():]
        elif len(field) > 1:
            match = re.match(r"[.,]([0-9]+)", rest)
            if not match:
                raise _fail(value, layout, rest, field)
            micro, rest = int(match.group(1)[:6].ljust(6, "0")), rest[match.end():]
        elif rest.startswith(field):
            rest = rest[1:]
        else:
            raise _fail(value, layout, rest, field)
    if rest:
        raise TimeFailure(f"parsing time {json.dumps(value)}: extra text: {json.dumps(rest)}")
    try:
        return datetime(parts["2006"], parts["01"], parts["02"], parts["15"], parts["04"],
                        parts["05"], micro, tzinfo=zone)
    except ValueError as exc:
        raise TimeFailure(f"parsing time {json.dumps(value)}: {exc}") from None


def _zone(name: str) -> Any:
    if name in ("", "UTC", "Local"):
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc  # sprig: a zone that does not load is UTC


def _text(function: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TimeFailure(f"{function}: cannot use {type(value).__name__} as string")
    return value


def _moment(function: str, value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TimeFailure(f"{function}: cannot use {type(value).__name__} as time.Time")
    return value


def to_date(layout: Any, value: Any) -> datetime:
    layout, value = _text("sprig.toDate", layout), _text("sprig.toDate", value)
    _fields(layout)  # an unsupported layout is refused, not read as the zero time
    try:
        return go_parse(layout, value)
    except TimeFailure:
        return GO_ZERO_TIME


def must_to_date(layout: Any, value: Any) -> datetime:
    return go_parse(_text("sprig.mustToDate", layout), _text("sprig.mustToDate", value))


def _add(moment: datetime, seconds: float) -> datetime:
    """``t.Add(d)``: on the instant, then back in ``t``'s zone."""
    utc = moment.astimezone(timezone.utc) + timedelta(seconds=seconds)
    return utc.astimezone(moment.tzinfo)


def date_modify(duration: Any, moment: Any) -> datetime:
    text, moment = _text("sprig.dateModify", duration), _moment("sprig.dateModify", moment)
    try:
        return _add(moment, parse_go_duration(text))
    except ValueError:
        return moment


def must_date_modify(duration: Any, moment: Any) -> datetime:
    text = _text("sprig.mustDateModify", duration)
    moment = _moment("sprig.mustDateModify", moment)
    try:
        return _add(moment, parse_go_duration(text))
    except ValueError as exc:
        raise TimeFailure(f"time: {exc}") from None


def date(layout: Any, moment: Any) -> str:
    """sprig's ``date``: ``dateInZone(fmt, date, "Local")`` (date.go)."""
    return date_in_zone(_text("sprig.date", layout), moment, "Local")


def date_in_zone(layout: Any, moment: Any, zone: Any) -> str:
    layout, zone = _text("sprig.dateInZone", layout), _text("sprig.dateInZone", zone)
    if isinstance(moment, datetime):
        when = moment
    elif isinstance(moment, int) and not isinstance(moment, bool):
        when = datetime.fromtimestamp(moment, timezone.utc)
    else:  # sprig's default branch: anything else is the current time
        when = datetime.now(timezone.utc)
    return go_format(when.astimezone(_zone(zone)), layout)


def unix_epoch(moment: Any) -> str:
    return str(int(_moment("sprig.unixEpoch", moment).timestamp()))


def go_time_string(moment: datetime) -> str:
    """``t.String()``: ``2006-01-02 15:04:05.999999999 -0700 MST``."""
    name = moment.tzname() or ""
    if moment.tzinfo is timezone.utc or name in ("UTC", "UTC+00:00"):
        name = "UTC"
    elif not name or name.startswith("UTC"):
        name = _offset(moment, "-0700")
    return f"{go_format(moment, '2006-01-02 15:04:05.999999999 -0700')} {name}"
