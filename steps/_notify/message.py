"""The notification message, built from Argo's workflow variables (pure: no I/O, no env).

Argo substitutes ``{{workflow.status}}``, ``{{workflow.duration}}`` and
``{{workflow.failures}}`` as strings. A variable with nothing to say arrives empty, as
``null``, or left literally unsubstituted (``{{workflow.failures}}`` on a run where nothing
failed), so every parser here treats those as "nothing" rather than as an error: a
notification must not fail because a run went well.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from steps._core.errors import ConfigError

EVENTS = ("finished", "sla-at-risk")
SLA_VERDICTS = ("met", "missed", "at-risk", "unknown")
MAX_FAILURES = 20  # a failing fan-out can list hundreds of nodes; the first ones say enough
MAX_FAILURE_MESSAGE = 500

_UNSUBSTITUTED = re.compile(r"^\{\{.*\}\}$", re.DOTALL)


def is_blank(raw: str | None) -> bool:
    """True for an empty, ``null`` or unsubstituted ``{{...}}`` Argo value."""
    if raw is None:
        return True
    text = raw.strip()
    return text in ("", "null", "None") or bool(_UNSUBSTITUTED.match(text))


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failed node of ``{{workflow.failures}}``."""

    name: str
    message: str = ""
    template: str = ""
    phase: str = ""
    pod: str = ""
    finished_at: str = ""

    @classmethod
    def from_argo(cls, node: Any) -> Failure:
        if not isinstance(node, dict):
            return cls(name="(unknown node)", message=str(node))

        def text(key: str) -> str:
            value = node.get(key)
            return "" if value is None else str(value)

        return cls(name=text("displayName") or text("podName") or "(unnamed node)",
                   message=text("message"), template=text("templateName"),
                   phase=text("phase"), pod=text("podName"), finished_at=text("finishedAt"))

    def line(self) -> str:
        detail = ", ".join(p for p in (self.template, self.phase) if p and p != self.name)
        head = f"{self.name} ({detail})" if detail else self.name
        msg = self.message
        if len(msg) > MAX_FAILURE_MESSAGE:
            msg = msg[:MAX_FAILURE_MESSAGE] + "..."
        return f"{head}: {msg}" if msg else head


def parse_failures(raw: str | None) -> list[Failure]:
    """``{{workflow.failures}}`` as a list; blank means none.

    Text that is not JSON is kept as one failure carrying the raw text, so that what Argo
    said still reaches the reader.
    """
    if is_blank(raw):
        return []
    assert raw is not None
    try:
        data = json.loads(raw)
    except ValueError:
        return [Failure(name="(unparsed failures)", message=raw.strip())]
    if data is None:
        return []
    if isinstance(data, str):  # double-encoded by a templating layer
        return parse_failures(data)
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        return [Failure(name="(unparsed failures)", message=raw.strip())]
    return [Failure.from_argo(node) for node in data]


def parse_duration(raw: str | None) -> float | None:
    """Seconds from ``{{workflow.duration}}`` (``"754.3"``); None when blank or not a number."""
    if is_blank(raw):
        return None
    assert raw is not None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def format_duration(seconds: float | None) -> str:
    """``3.2s``, ``45s``, ``12m 03s``, ``1h 02m 03s``, ``2d 03h 04m``; ``unknown`` for None."""
    if seconds is None:
        return "unknown"
    if seconds < 10:
        return f"{seconds:.1f}s"
    total = round(seconds)
    days, rem = divmod(total, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def parse_counts(items: Sequence[str]) -> dict[str, int | str]:
    """``NAME=VALUE`` pairs; integer values become ints, anything else is kept as given."""
    counts: dict[str, int | str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--count expects NAME=VALUE, got {item!r}")
        value = value.strip()
        try:
            counts[name] = int(value)
        except ValueError:
            counts[name] = value
    return counts


def parse_notes(items: Sequence[str]) -> dict[str, str]:
    """``NAME=TEXT`` pairs; a blank or unsubstituted text (a step that never ran, or had
    nothing to say) is left out."""
    notes: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"--note expects NAME=TEXT, got {item!r}")
        if not is_blank(text):
            notes[name] = text.strip()
    return notes


@dataclasses.dataclass(frozen=True)
class Message:
    """What every channel says, in one place."""

    workflow: str
    status: str
    event: str = "finished"
    logical_date: str | None = None
    run_id: str | None = None
    duration_s: float | None = None
    sla_verdict: str = "unknown"
    counts: dict[str, int | str] = dataclasses.field(default_factory=dict)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)
    failures: tuple[Failure, ...] = ()

    @property
    def title(self) -> str:
        what = "SLA at risk" if self.event == "sla-at-risk" else self.status
        where = f"{self.workflow} {self.logical_date}" if self.logical_date else self.workflow
        return f"{where}: {what}"

    @property
    def ok(self) -> bool:
        """A run that needs nobody's attention."""
        return (self.event == "finished" and self.status == "Succeeded"
                and self.sla_verdict in ("met", "unknown") and not self.failures)

    @property
    def duration(self) -> str:
        return format_duration(self.duration_s)

    def text(self) -> str:
        """The plain-text body (email, Slack fallback, webhook ``text``)."""
        running = "Running for" if self.event == "sla-at-risk" else "Duration"
        lines = [self.title, "", f"Status: {self.status}", f"{running}: {self.duration}",
                 f"SLA: {self.sla_verdict}"]
        if self.run_id:
            lines.append(f"Run: {self.run_id}")
        if self.counts:
            lines += ["", "Row counts:"] + [f"  {k}: {v}" for k, v in self.counts.items()]
        if self.notes:
            lines += ["", "Notes:"] + [f"  {k}: {v}" for k, v in self.notes.items()]
        if self.failures:
            lines += ["", f"Failed nodes ({len(self.failures)}):"]
            lines += [f"  - {f.line()}" for f in self.failures[:MAX_FAILURES]]
            if len(self.failures) > MAX_FAILURES:
                lines.append(f"  ... and {len(self.failures) - MAX_FAILURES} more")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        """The structured form: the webhook body and the log line's fields."""
        return {
            "title": self.title,
            "workflow": self.workflow,
            "logical_date": self.logical_date,
            "run_id": self.run_id,
            "event": self.event,
            "status": self.status,
            "ok": self.ok,
            "duration_s": self.duration_s,
            "duration": self.duration,
            "sla_verdict": self.sla_verdict,
            "counts": dict(self.counts),
            "notes": dict(self.notes),
            "failures": [dataclasses.asdict(f) for f in self.failures],
        }


def build(*, workflow: str, status: str | None, event: str = "finished",
          duration: str | None = None, failures: str | None = None,
          sla_verdict: str | None = None, counts: Sequence[str] = (),
          notes: Sequence[str] = (), logical_date: str | None = None,
          run_id: str | None = None) -> Message:
    """A :class:`Message` from the raw strings Argo substitutes into the flags."""
    if event not in EVENTS:
        raise ConfigError(f"unknown event {event!r}: expected one of {', '.join(EVENTS)}")
    verdict = "unknown" if is_blank(sla_verdict) else str(sla_verdict).strip().lower()
    if verdict not in SLA_VERDICTS:
        raise ConfigError(
            f"unknown SLA verdict {sla_verdict!r}: expected one of {', '.join(SLA_VERDICTS)}")
    if is_blank(status):
        status_text = "Running" if event == "sla-at-risk" else "Unknown"
    else:
        status_text = str(status).strip()
    return Message(workflow=workflow.strip() or "cadencia", status=status_text, event=event,
                   logical_date=logical_date, run_id=run_id,
                   duration_s=parse_duration(duration), sla_verdict=verdict,
                   counts=parse_counts(counts), notes=parse_notes(notes),
                   failures=tuple(parse_failures(failures)))
