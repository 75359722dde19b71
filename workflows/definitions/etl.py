"""WorkflowTemplate ``cadencia-etl``: the daily pipeline as one DAG, with its exit handler.

::

    sla-watch (daemon) .............................................  killed at the end
                          +-> extract-http -+
    source-fingerprint ---+                 +-> clean -> transform -> validate -> load
                          +-> extract-sql  -+
    onExit: notify

source-fingerprint hashes the sources' resolved settings (from the Secrets the extracts
read, which Argo's controller cannot see when it evaluates a memoize key); each extract
takes its source's hash into its memoize key, so another source never hits its entries.

The entrypoint ``main`` takes the logical date as its input ``run-date`` (filled from
the workflow argument of the same name), so the backfill can call it through
``templateRef`` with a date of its own. Submit a day by hand with
``argo submit --from workflowtemplate/cadencia-etl -p run-date=2026-11-25``.
"""

from __future__ import annotations

from typing import Any

from hera.workflows import DAG, Artifact, Parameter, Task, WorkflowTemplate
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import Environment
from workflows.definitions import defaults as d
from workflows.definitions import steps
from workflows.definitions.metrics import workflow_metrics
from workflows.definitions.notify import exit_handler, sla_watch


def _param(name: str, value: str) -> Parameter:
    return Parameter(name=name, value=value)


def _from(name: str, task: str, artifact: str = "data") -> Artifact:
    return Artifact(name=name, from_=f"{{{{tasks.{task}.outputs.artifacts.{artifact}}}}}")


def _sha(task: str) -> str:
    return f"{{{{tasks.{task}.outputs.parameters.sha256}}}}"


def _fingerprint(source: str) -> str:
    return f"{{{{tasks.source-fingerprint.outputs.parameters.{source}}}}}"


def main_dag() -> DAG:
    date = _param(RUN_DATE, RUN_DATE_INPUT)
    tasks: list[Any] = [
        # the watcher must never fail the run it watches
        Task(name="sla-watch", template="sla-watch", arguments=[date],
             continue_on=m.ContinueOn(failed=True, error=True)),
        Task(name="source-fingerprint", template="source-fingerprint"),
        Task(name="extract-http", template="extract-http", dependencies=["source-fingerprint"],
             arguments=[date, _param("source-fingerprint", _fingerprint("http"))]),
        Task(name="extract-sql", template="extract-sql", dependencies=["source-fingerprint"],
             arguments=[date, _param("source-fingerprint", _fingerprint("sql"))]),
        Task(name="clean", template="clean", dependencies=["extract-http", "extract-sql"],
             arguments=[date, _param("http-sha256", _sha("extract-http")),
                        _param("sql-sha256", _sha("extract-sql")),
                        _from("http", "extract-http"), _from("sql", "extract-sql")]),
        Task(name="transform", template="transform", dependencies=["clean"],
             arguments=[date, _param("input-sha256", _sha("clean")), _from("data", "clean")]),
        Task(name="validate", template="validate", dependencies=["transform"],
             arguments=[date, _from("data", "transform")]),
        Task(name="load", template="load", dependencies=["validate"],
             arguments=[date, _from("data", "validate")]),
    ]
    return DAG(name="main", inputs=[Parameter(name=RUN_DATE)], tasks=tasks)


def etl_template(env: Environment) -> WorkflowTemplate:
    return WorkflowTemplate(
        name=env.pipeline.name,
        entrypoint="main",
        on_exit="notify",
        arguments=[Parameter(name=RUN_DATE,
                             description="Logical date of the run, YYYY-MM-DD.")],
        metrics=workflow_metrics(env),
        templates=[main_dag(), *steps.all_steps(env), sla_watch(env), exit_handler(env)],
        **d.workflow_settings(env, "etl", env.sla.hard),
    )
