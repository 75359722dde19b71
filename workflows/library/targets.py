"""The ``load`` step: any number of targets per pipeline, each with its own partition,
ledger row, advisory lock and Secret."""

from __future__ import annotations

from typing import Any

from hera.workflows import Parameter, Task
from hera.workflows import models as m

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import ConfigError, Environment
from workflows.definitions import defaults as d
from workflows.definitions.metrics import step_metrics
from workflows.definitions.ports import NOTE_ARGS, reported
from workflows.library.args import Load
from workflows.library.build import current
from workflows.library.data import Data, wire


def mutex_name(env: Environment, table: str) -> str:
    """One load of a target at a time in the namespace: cron, ad-hoc runs and backfills."""
    return f"{env.pipeline.name}-load-{table.replace('.', '-').replace('_', '-')}".lower()


def load(data: Data, *, name: str = "load", **settings: Any) -> Data:
    """Add a load task: ``data`` into ``table`` in one transaction, under an advisory lock.

    Settings: ``table``, ``mode`` (replace-partition|upsert|append), ``keys`` (upsert),
    ``partition_column``, ``ledger_table``, ``batch_rows``, ``secret`` (the target
    database URL; default the shared ``secrets.target_db_url``), ``deadline``,
    ``resources``. Never memoized.
    """
    b = current()
    b.claim(name, "step")
    t = b.settings(name, Load, settings)
    env = b.env
    here = b.resolved.steps.sub(name)
    if data.key:
        raise ConfigError([b.problem(name, (), f"its input {data.step!r} carries the union "
                                     f"key {list(data.key)!r} unchecked: load a validate "
                                     "step's output, with not_null and unique rules on it",
                                     here)])
    secret = t.secret or env.secrets.target_db_url
    if secret is None:
        raise ConfigError([b.problem(name, ("secret",), "a load needs the Secret of its "
                                     "database URL: set it here or secrets.target_db_url",
                                     here)])
    if t.table in b.targets:
        raise ConfigError([b.problem(name, ("table",), f"table {t.table!r} is loaded by "
                                     "another step of this pipeline", here)])
    b.targets.append(t.table)
    args = [*d.common_args(), "--input", f"{{{{inputs.artifacts.{data.step}.path}}}}",
            "--table", t.table, "--mode", t.mode, "--partition-column", t.partition_column,
            "--pipeline", env.pipeline.name, "--ledger-table", t.ledger_table]
    for key in t.keys:
        args += ["--key", key]
    if t.batch_rows is not None:
        args += ["--batch-rows", str(t.batch_rows)]
    w = wire({data.step: data}, Parameter(name=RUN_DATE, value=RUN_DATE_INPUT))
    template = d.step_container(
        env, name, kind="load",
        args=[*args, "--rows-out", "{{outputs.parameters.rows.path}}", *NOTE_ARGS],
        secrets=[("CADENCIA_TARGET_DB_URL", secret)],
        deadline=env.seconds(t.deadline) if t.deadline else None,
        step_resources=t.resources,
        inputs=[Parameter(name=RUN_DATE), *w.template_inputs[-1:]],
        outputs=[*reported(name)],
        synchronization=m.Synchronization(mutexes=[m.Mutex(name=mutex_name(env, t.table))]),
        metrics=step_metrics(env, name, "load", table=t.table))
    task = Task(name=name, template=template, dependencies=[data.step],
                arguments=[w.arguments[0], w.arguments[-1]])
    b.counted.append(name)
    return Data(name, "load", task)
