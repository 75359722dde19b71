"""Hera 7.1 definitions of what every pipeline's manifests share.

One module per concept: ``defaults`` (what every container template shares), ``ports``
(the steps' artifacts and parameters), ``memo`` (memoize keys), ``metrics``
(Prometheus), ``notify`` (exit handler and SLA watcher), ``cron`` (CronWorkflow) and
``backfill`` (WorkflowTemplate over a date range). The pipeline's own WorkflowTemplate is
built by the step library (``workflows.library.build``). :func:`manifests` lists them all.
"""

from __future__ import annotations

from hera.workflows import Workflow

from workflows.config import Resolved
from workflows.definitions.backfill import backfill_template
from workflows.definitions.cron import daily_cron


def manifests(resolved: Resolved) -> list[Workflow]:
    """One pipeline's manifests in one environment, each named by ``metadata.name``."""
    from workflows.library.build import build

    env = resolved.env
    return [build(resolved), daily_cron(env), backfill_template(env)]


__all__ = ["manifests"]
