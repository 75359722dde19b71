"""Prometheus custom metrics (exported by the Argo controller with ``argo_workflows_``).

Per step template: a histogram of duration and a counter of results, labelled by step
and status; on load, a gauge of the rows loaded (only when it succeeded, so the value is
a number). Per workflow: a realtime gauge of its duration and a counter of SLA misses.
"""

from __future__ import annotations

from hera.workflows import models as m

from workflows.config import Environment


def _name(env: Environment, metric: str) -> str:
    return f"{env.metrics.prefix}_{metric}"


def _labels(**pairs: str) -> list[m.MetricLabel]:
    return [m.MetricLabel(key=k, value=v) for k, v in pairs.items()]


def step_metrics(env: Environment, step: str, *, rows_gauge: bool = False) -> m.Metrics:
    pipeline = env.pipeline.name
    metrics = [
        m.Prometheus(
            name=_name(env, "step_duration_seconds"),
            help="Duration of a cadencia step in seconds, by step and final status.",
            labels=_labels(pipeline=pipeline, step=step, status="{{status}}"),
            histogram=m.Histogram(value="{{duration}}",
                                  buckets=[m.Amount(b) for b in env.metrics.duration_buckets])),
        m.Prometheus(
            name=_name(env, "step_results"),
            help="Finished cadencia steps, by step and status (Succeeded, Failed, Error).",
            labels=_labels(pipeline=pipeline, step=step, status="{{status}}"),
            counter=m.Counter(value="1")),
    ]
    if rows_gauge:
        metrics.append(m.Prometheus(
            name=_name(env, "rows_loaded"),
            help="Rows written to the target table by the last successful load.",
            labels=_labels(pipeline=pipeline, table=env.pipeline.target.table),
            when="{{status}} == Succeeded",
            gauge=m.Gauge(value="{{outputs.parameters.rows}}", realtime=False)))
    return m.Metrics(prometheus=metrics)


def workflow_metrics(env: Environment) -> m.Metrics:
    pipeline = env.pipeline.name
    return m.Metrics(prometheus=[
        m.Prometheus(
            name=_name(env, "workflow_duration_seconds"),
            help="Seconds since the cadencia run started, updated while it runs.",
            labels=_labels(pipeline=pipeline),
            gauge=m.Gauge(value="{{workflow.duration}}", realtime=True)),
        m.Prometheus(
            name=_name(env, "sla_misses"),
            help="cadencia runs that finished after their soft SLA.",
            labels=_labels(pipeline=pipeline),
            when=f"{{{{workflow.duration}}}} > {env.seconds(env.sla.soft)}",
            counter=m.Counter(value="1")),
    ])
