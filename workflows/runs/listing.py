"""What ``cadencia runs`` prints: the runs of a home as ``argo list`` shows them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from workflows.runs import humanize
from workflows.runs.record import RunSummary
from workflows.runs.table import table
from workflows.runs.times import parse_time


def format_runs(runs: Iterable[RunSummary], *, now: datetime | None = None) -> str:
    """``argo list``-style table of runs (newest first, as given)."""
    now = now or datetime.now(timezone.utc)
    rows = [["NAME", "STATUS", "AGE", "DURATION", "PROGRESS", "MESSAGE"]]
    for run in runs:
        created, started = parse_time(run.created), parse_time(run.started)
        finished = parse_time(run.finished)
        age = humanize.short((now - created).total_seconds()) if created else ""
        took = humanize.short(((finished or now) - started).total_seconds()) if started else ""
        rows.append([run.name, run.phase, age, took, run.progress, run.message])
    if len(rows) == 1:
        return "No runs found.\n"
    return table(rows)
