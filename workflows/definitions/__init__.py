"""Hera 7.1 definitions of the Argo manifests of one environment.

One module per concept: ``defaults`` (what every container template shares), ``steps``
(the ETL step templates), ``memo`` (memoize keys), ``metrics`` (Prometheus), ``notify``
(exit handler and SLA watcher), ``etl`` (WorkflowTemplate), ``cron`` (CronWorkflow) and
``backfill`` (WorkflowTemplate over a date range). :func:`manifests` lists them all.
"""

from __future__ import annotations

from hera.workflows import Workflow

from workflows.config import Environment
from workflows.definitions.backfill import backfill_template
from workflows.definitions.cron import daily_cron
from workflows.definitions.etl import etl_template


def manifests(env: Environment) -> list[Workflow]:
    """The environment's manifests, each named by ``metadata.name``."""
    return [etl_template(env), daily_cron(env), backfill_template(env)]


__all__ = ["manifests"]
