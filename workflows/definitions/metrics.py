"""Prometheus custom metrics (exported by the Argo controller with ``argo_workflows_``).

Per step template: a histogram of duration and a counter of results, labelled by step
and status; on load, a gauge of the rows loaded (only when it succeeded, so the value is
a number). Per workflow: a realtime gauge of its duration and a counter of SLA misses.
Every metric carries ``environment`` and ``pipeline``: one Argo controller serves every
namespace of a cluster and merges series with equal labels, so without ``environment``
staging's failures and SLA misses would count as prod's.
"""

from __future__ import annotations

from hera.workflows import models as m

from workflows.config import Environment


def _name(env: Environment, metric: str) -> str:
    return f"{env.metrics.prefix}_{metric}"


def _labels(env: Environment, **pairs: str) -> list[m.MetricLabel]:
    every = {"environment": env.name, "pipeline": env.pipeline.name, **pairs}
    return [m.MetricLabel(key=k, value=v) for k, v in every.items()]


def step_metrics(env: Environment, step: str, program: str, *, table: str | None = None
                 ) -> m.Metrics:
    """Duration and results of the step, labelled with its name and its ``program``
    (``load`` for every load, whatever the pipeline calls it, so one alert rule covers
    every pipeline); with ``table`` (a load), the rows it loaded."""
    metrics = [
        m.Prometheus(
            name=_name(env, "step_duration_seconds"),
            help="Duration of a cadencia step in seconds, by step and final status.",
            labels=_labels(env, step=step, program=program, status="{{status}}"),
            histogram=m.Histogram(value="{{duration}}",
                                  buckets=[m.Amount(b) for b in env.metrics.duration_buckets])),
        m.Prometheus(
            name=_name(env, "step_results"),
            help="Finished cadencia steps, by step and status (Succeeded, Failed, Error).",
            labels=_labels(env, step=step, program=program, status="{{status}}"),
            counter=m.Counter(value="1")),
    ]
    if table is not None:
        metrics.append(m.Prometheus(
            name=_name(env, "rows_loaded"),
            help="Rows written to the target table by the last successful load.",
            labels=_labels(env, step=step, table=table),
            when="{{status}} == Succeeded",
            gauge=m.Gauge(value="{{outputs.parameters.rows}}", realtime=False)))
    return m.Metrics(prometheus=metrics)


def workflow_metrics(env: Environment) -> m.Metrics:
    return m.Metrics(prometheus=[
        m.Prometheus(
            name=_name(env, "workflow_duration_seconds"),
            help="Seconds since the cadencia run started, updated while it runs.",
            labels=_labels(env),
            gauge=m.Gauge(value="{{workflow.duration}}", realtime=True)),
        m.Prometheus(
            name=_name(env, "sla_misses"),
            help="cadencia runs that finished after their soft SLA.",
            labels=_labels(env),
            when=f"{{{{workflow.duration}}}} > {env.seconds(env.sla.soft)}",
            counter=m.Counter(value="1")),
    ])
