"""The Runs page's rows: ``argo list`` columns plus what a pipeline's run adds.

Each row is one run folder of the store: its name and phase, the pipeline (the
``cadencia.dev/pipeline`` label the compiler puts on every workflow, else the template it
came from), the logical date (``run-date``, or a backfill's ``start-date..end-date``), the
duration, and the rows loaded (the ``rows`` output of every load pod that succeeded).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

from workflows.runs import humanize
from workflows.runs.record import RunRecord, output_parameter
from workflows.runs.store import RunStore
from workflows.runs.times import parse_time

PIPELINE_LABELS = ("cadencia.dev/pipeline", "workflows.argoproj.io/workflow-template")


@dataclass(frozen=True)
class RunRow:
    name: str
    phase: str
    pipeline: str
    run_date: str
    created: str
    duration: str
    seconds: float | None
    rows_loaded: int | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def parameters(workflow: Mapping[str, Any]) -> dict[str, str]:
    """The workflow's arguments as ``{name: value}``."""
    params = ((workflow.get("spec") or {}).get("arguments") or {}).get("parameters") or []
    return {str(p.get("name")): str(p.get("value", "")) for p in params}


def pipeline_of(workflow: Mapping[str, Any]) -> str:
    labels = (workflow.get("metadata") or {}).get("labels") or {}
    return next((str(labels[key]) for key in PIPELINE_LABELS if labels.get(key)), "")


def run_date_of(workflow: Mapping[str, Any]) -> str:
    params = parameters(workflow)
    if params.get("run-date"):
        return params["run-date"]
    start, end = params.get("start-date"), params.get("end-date")
    if start and end:
        return start if start == end else f"{start}..{end}"
    return ""


def rows_loaded(workflow: Mapping[str, Any]) -> int | None:
    """The rows every succeeded load pod wrote; None when the run has no load."""
    nodes = ((workflow.get("status") or {}).get("nodes") or {}).values()
    loads = [n for n in nodes if n.get("type") == "Pod" and n.get("templateName") == "load"]
    if not loads:
        return None
    counts = [str(output_parameter(n, "rows")) for n in loads if n.get("phase") == "Succeeded"]
    return sum(int(c) for c in counts if c.isdigit())


def run_row(record: RunRecord, now: datetime) -> RunRow:
    """One run's row, from one read of its record (as ``RunRecord.summary`` reads it)."""
    try:
        workflow = record.load()
    except (OSError, ValueError) as exc:  # hand-edited or foreign file: still list it
        return RunRow(name=record.name, phase="Unknown", pipeline="", run_date="", created="",
                      duration="", seconds=None, rows_loaded=None,
                      message=f"unreadable record: {exc}")
    meta, status = workflow.get("metadata") or {}, workflow.get("status") or {}
    started, finished = parse_time(status.get("startedAt")), parse_time(status.get("finishedAt"))
    seconds = ((finished or now) - started).total_seconds() if started else None
    return RunRow(name=str(meta.get("name", record.name)),
                  phase=str(status.get("phase") or "Pending"), pipeline=pipeline_of(workflow),
                  run_date=run_date_of(workflow), created=str(meta.get("creationTimestamp", "")),
                  duration=humanize.short(seconds) if seconds is not None else "",
                  seconds=seconds, rows_loaded=rows_loaded(workflow),
                  message=str(status.get("message") or ""))


def list_rows(store: RunStore, *, phase: str | None = None, pipeline: str | None = None,
              now: datetime | None = None) -> list[RunRow]:
    """Every run, newest first, keeping those of ``phase`` and ``pipeline`` when given."""
    moment = now or datetime.now(timezone.utc)
    rows = [run_row(record, moment) for record in store.records()]
    return [r for r in rows if (not phase or r.phase == phase)
            and (not pipeline or r.pipeline == pipeline)]
