"""What every settings model shares, and what the shared settings know of a pipeline."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from workflows.argo.names import MAX_CRON_NAME
from workflows.config.types import DnsLabel


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PipelineMeta(Strict):
    # <name>-backfill (definitions/backfill.py) is the longest name derived from it and
    # <name>-daily must fit Argo's limit on a CronWorkflow's name
    name: DnsLabel = Field(max_length=MAX_CRON_NAME - len("-daily"))
