"""The run-date ``cadencia run`` uses without ``--date``: what the daily schedule loads now.

The compiled CronWorkflow's ``run-date`` argument (the tick's date in its time zone plus
``schedule.run_date_offset_days``, by default the previous day) is evaluated by the
engine's expression evaluator with ``workflow.scheduledTime`` = now, formatted as Argo's
controller formats it (RFC 3339 in UTC). Manifests without a CronWorkflow get the same
convention: yesterday, in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from workflows.argo.parameters import RUN_DATE
from workflows.engine.expr import substitute


def scheduled_run_date(docs: Iterable[dict[str, Any]], now: datetime | None = None) -> str:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    tick = moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    for doc in docs:
        if doc.get("kind") != "CronWorkflow":
            continue
        spec = (doc.get("spec") or {}).get("workflowSpec") or {}
        for param in (spec.get("arguments") or {}).get("parameters") or []:
            if param.get("name") == RUN_DATE and "value" in param:
                return substitute(str(param["value"]), {"workflow.scheduledTime": tick},
                                  where=f"CronWorkflow {RUN_DATE}")
    return (moment.date() - timedelta(days=1)).isoformat()
