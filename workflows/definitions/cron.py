"""CronWorkflow ``<pipeline>-daily``: runs ``cadencia-etl`` on the configured schedule.

The run-date is the tick's calendar date in the CronWorkflow's time zone plus
``schedule.run_date_offset_days`` (default -1: the 02:00 America/Sao_Paulo tick of
2026-11-26 loads 2026-11-25, the day that has ended). Argo's controller formats
``{{workflow.scheduledTime}}`` as RFC 3339 in its *own* zone (robfig/cron returns the
tick in the cron runner's location, ``time.Local``: UTC in the controller's container),
so the expression never takes the text's date: it parses the time
(``sprig.mustToDate``), prints its date in the schedule's zone (``sprig.dateInZone``)
and, for a non-zero offset, shifts that date by whole days at noon UTC
(``sprig.dateModify``), so a DST change can never move it by a day. The result is a
plain ``YYYY-MM-DD``: no ``:`` of the time reaches a memoize key. ``-p run-date=...``
on ``argo submit`` (or ``cadencia run --date``) still names any date explicitly.
"""

from __future__ import annotations

from hera.workflows import CronWorkflow, Parameter
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE
from workflows.config import Environment
from workflows.definitions.defaults import labels

RFC3339 = "2006-01-02T15:04:05Z07:00"  # Go's time.RFC3339, the scheduledTime format
DATE = "2006-01-02"


def run_date_expression(timezone: str, offset_days: int) -> str:
    """The ``run-date`` argument: the tick's date in ``timezone`` plus ``offset_days``."""
    tick = f"sprig.mustToDate('{RFC3339}', workflow.scheduledTime)"
    day = f"sprig.dateInZone('{DATE}', {tick}, '{timezone}')"
    if offset_days == 0:
        return f"{{{{={day}}}}}"
    noon = f"sprig.mustToDate('{RFC3339}', {day} + 'T12:00:00Z')"
    shifted = f"sprig.dateModify('{offset_days * 24}h', {noon})"
    return f"{{{{=sprig.dateInZone('{DATE}', {shifted}, 'UTC')}}}}"


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
        arguments=[Parameter(name=RUN_DATE,
                             value=run_date_expression(s.timezone, s.run_date_offset_days))],
    )
