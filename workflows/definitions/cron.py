"""CronWorkflow ``<pipeline>-daily``: runs ``cadencia-etl`` on the configured schedule.

The logical date is the date part of ``{{workflow.scheduledTime}}`` (RFC 3339 in the
CronWorkflow's time zone), taken with ``sprig.trunc(10, ...)``: a 02:00 run on
2026-11-25 in America/Sao_Paulo loads 2026-11-25, and no ``:`` of the time reaches a
memoize key.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow, Parameter
from hera.workflows import models as m

from workflows.config import Environment
from workflows.definitions.defaults import labels

RUN_DATE_FROM_SCHEDULE = "{{=sprig.trunc(10, workflow.scheduledTime)}}"


def daily_cron(env: Environment) -> CronWorkflow:
    s = env.schedule
    return CronWorkflow(
        name=f"{env.pipeline.name}-daily",
        namespace=env.namespace,
        labels=labels(env, "schedule"),
        schedules=list(s.schedules),
        timezone=s.timezone,
        concurrency_policy=s.concurrency_policy,
        starting_deadline_seconds=env.seconds(s.starting_deadline),
        successful_jobs_history_limit=s.successful_history,
        failed_jobs_history_limit=s.failed_history,
        cron_suspend=s.suspend,
        workflow_template_ref=m.WorkflowTemplateRef(name=env.pipeline.name),
        arguments=[Parameter(name="run-date", value=RUN_DATE_FROM_SCHEDULE)],
    )
