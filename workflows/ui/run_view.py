"""Everything the run page shows of one run, as one JSON object the page polls.

Beside the graph and the timeline (:mod:`workflows.ui.run_graph`): the header (phase,
message, times, progress), the workflow's parameters, each failed task with its cause
line, and the SLA verdict. A pipeline's SLA lives in its notify steps (steps/notify.py):
the exit handler is given ``--sla-seconds`` and logs its verdict (met, missed, unknown) in
its ``notification``; the ``sla-watch`` daemon logs an ``sla-at-risk`` notification when
the soft SLA passes while the run still goes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflows.runs import humanize, process
from workflows.runs.record import RunRecord
from workflows.runs.times import parse_time
from workflows.ui import run_graph, timeline
from workflows.ui.runs_list import parameters, pipeline_of, rows_loaded, run_date_of

SLA_TEMPLATES = ("notify", "sla-watch")
DONE = ("Succeeded", "Failed", "Error")


def run_view(record: RunRecord, now: datetime | None = None) -> dict[str, Any]:
    moment = now or datetime.now(timezone.utc)
    workflow = record.load()
    status = workflow.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    started, finished = parse_time(status.get("startedAt")), parse_time(status.get("finishedAt"))
    drawn = run_graph.graph(workflow, record.path)
    failures = [{"id": v["id"], "label": v["label"], "phase": v["phase"],
                 "message": v["message"], "exit_code": v["exit_code"], "cause": v["cause"]}
                for v in drawn["vertices"]
                if v["phase"] in run_graph.FAILED and v["type"] in ("Pod", "Retry")]
    return {
        "name": record.name, "phase": phase, "message": str(status.get("message") or ""),
        "pipeline": pipeline_of(workflow), "run_date": run_date_of(workflow),
        "started": status.get("startedAt"), "finished": status.get("finishedAt"),
        "duration": humanize.long(((finished or moment) - started).total_seconds())
        if started else "",
        "progress": str(status.get("progress") or ""),
        "parameters": parameters(workflow),
        "rows_loaded": rows_loaded(workflow),
        "failures": failures,
        "sla": sla(workflow, record.path),
        "graph": drawn,
        "timeline": [asdict(bar) for bar in timeline.timeline(workflow, moment)],
        "done": phase in DONE,
        "can_stop": phase not in DONE and process.running(record.path) is not None,
        "can_retry": phase in ("Failed", "Error") and (record.path / "invocation.json").is_file(),
    }


def sla_seconds(workflow: Mapping[str, Any]) -> float | None:
    """The soft SLA the exit handler judges by (its ``--sla-seconds``), if it has one."""
    for template in (workflow.get("spec") or {}).get("templates") or []:
        args = [str(a) for a in (template.get("container") or {}).get("args") or []]
        if "--sla-seconds" in args[:-1]:
            try:
                return float(args[args.index("--sla-seconds") + 1])
            except ValueError:
                return None
    return None


def sla(workflow: Mapping[str, Any], run_dir: Path) -> dict[str, Any]:
    """``{"seconds", "verdict", "at_risk"}``: the verdict is the exit handler's (met,
    missed, unknown), None while it has not run; ``at_risk`` whether the watcher warned."""
    verdict: str | None = None
    at_risk = False
    for notification in _notifications(workflow, run_dir):
        if notification.get("event") == "sla-at-risk":
            at_risk = True
        elif notification.get("sla_verdict"):
            verdict = str(notification["sla_verdict"])
    return {"seconds": sla_seconds(workflow), "verdict": verdict, "at_risk": at_risk}


def _notifications(workflow: Mapping[str, Any], run_dir: Path) -> Iterator[Mapping[str, Any]]:
    nodes = ((workflow.get("status") or {}).get("nodes") or {}).values()
    for node in nodes:
        if node.get("type") != "Pod" or node.get("templateName") not in SLA_TEMPLATES:
            continue
        log = run_dir / "logs" / f"{node.get('id')}.log"
        try:
            lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            if '"notification"' not in line:
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("notification"), dict):
                yield entry["notification"]
