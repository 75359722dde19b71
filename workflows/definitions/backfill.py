"""WorkflowTemplate ``<pipeline>-backfill``: the pipeline over a range of logical dates.

``date-range`` (``python -m steps.date_range``) lists the dates from ``start-date`` to
``end-date`` inclusive as a JSON list; the ``run`` task fans out over it with
``withParam``, calling the ETL template's ``main`` DAG through ``templateRef``, at most
``backfill.parallelism`` dates at a time. A failed date does not stop the others
(``failFast: false``); the loads of the dates still queue on the target's mutex.

``argo submit --from workflowtemplate/cadencia-etl-backfill -p start-date=2026-11-01
-p end-date=2026-11-07``
"""

from __future__ import annotations

from hera.workflows import DAG, Container, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE
from workflows.config import Environment
from workflows.definitions import defaults as d
from workflows.definitions.notify import exit_handler
from workflows.definitions.ports import MISSING


def date_range(env: Environment) -> Container:
    return d.step_container(
        env, "date-range",
        args=[*d.common_args(run_date=False), "--start", "{{inputs.parameters.start-date}}",
              "--end", "{{inputs.parameters.end-date}}",
              "--max-days", str(env.backfill.max_days),
              "--out", "{{outputs.parameters.dates.path}}"],
        inputs=[Parameter(name="start-date"), Parameter(name="end-date")],
        outputs=[Parameter(name="dates", value_from=m.ValueFrom(
            path=d.out_path("dates", ".json"), default=MISSING))])


def backfill_dag(env: Environment) -> DAG:
    return DAG(
        name="backfill",
        inputs=[Parameter(name="start-date"), Parameter(name="end-date")],
        parallelism=env.backfill.parallelism,
        fail_fast=False,
        tasks=[
            Task(name="dates", template="date-range", arguments=[
                Parameter(name="start-date", value="{{inputs.parameters.start-date}}"),
                Parameter(name="end-date", value="{{inputs.parameters.end-date}}")]),
            Task(name="run", dependencies=["dates"],
                 template_ref=m.TemplateRef(name=env.pipeline.name, template="main"),
                 with_param="{{tasks.dates.outputs.parameters.dates}}",
                 arguments=[Parameter(name=RUN_DATE, value="{{item}}")]),
        ])


def backfill_template(env: Environment) -> WorkflowTemplate:
    return WorkflowTemplate(
        name=f"{env.pipeline.name}-backfill",
        entrypoint="backfill",
        on_exit="notify",
        arguments=[
            Parameter(name="start-date", description="First logical date, YYYY-MM-DD."),
            Parameter(name="end-date", description="Last logical date (inclusive)."),
        ],
        templates=[backfill_dag(env), date_range(env), exit_handler(env, run=False)],
        **d.workflow_settings(env, "backfill", env.backfill.deadline),
    )
