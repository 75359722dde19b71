"""Where and how the pipeline runs: one :class:`Environment` per overlay (local, dev, ...).

Durations are Go durations (``30s``, ``1h``) because that is what Argo reads; the
definitions turn them into seconds where a manifest needs an integer. Per-step values
(deadlines, resources) are in ``per_step``; cross-field rules in ``checks``.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from workflows.argo.durations import parse_go_duration
from workflows.config.per_step import Deadlines, Resources
from workflows.config.pipeline import PipelineMeta, Strict
from workflows.config.types import (
    Cron,
    DnsLabel,
    DnsName,
    GoDuration,
    ImageRepository,
    ImageTag,
    Memory,
    MetricPrefix,
    SecretKey,
    Timezone,
)

Channel = Literal["log", "webhook", "slack", "email"]
CHANNEL_SECRETS = {"webhook": "notify_webhook_url", "slack": "notify_slack_webhook_url"}


class Image(Strict):
    repository: ImageRepository
    tag: ImageTag
    pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


class Schedule(Strict):
    schedules: list[Cron] = Field(default_factory=lambda: ["0 2 * * *"], min_length=1)
    timezone: Timezone = "America/Sao_Paulo"
    # The tick's calendar date in ``timezone`` plus this many days is the run-date a
    # scheduled run loads: -1, the daily-batch convention, loads the day that has ended.
    run_date_offset_days: int = Field(default=-1, ge=-366, le=0)
    concurrency_policy: Literal["Forbid", "Allow", "Replace"] = "Forbid"
    starting_deadline: GoDuration = "30m"
    successful_history: int = Field(default=3, ge=0, le=100)
    failed_history: int = Field(default=3, ge=0, le=100)
    suspend: bool = False


class Sla(Strict):
    soft: GoDuration = "1h"
    hard: GoDuration = "3h"


class Backoff(Strict):
    duration: GoDuration = "30s"
    factor: int = Field(default=2, ge=1, le=10)
    cap: GoDuration = "5m"
    max_duration: GoDuration = "20m"


class Retry(Strict):
    limit: int = Field(default=3, ge=0, le=10)
    backoff: Backoff = Backoff()


class Memo(Strict):
    max_age: GoDuration = "1h"
    config_map: DnsName = "cadencia-memo-cache"


class SecretRef(Strict):
    name: DnsName
    key: SecretKey
    optional: bool = False


class Secrets(Strict):
    """Kubernetes Secrets behind each secret setting; the env var is CADENCIA_<FIELD>."""

    # the defaults of the steps that set no ``secret`` of their own
    source_db_url: SecretRef | None = None
    target_db_url: SecretRef | None = None
    http_token: SecretRef | None = None
    http_username: SecretRef | None = None
    http_password: SecretRef | None = None
    http_api_key: SecretRef | None = None
    notify_webhook_url: SecretRef | None = None
    notify_slack_webhook_url: SecretRef | None = None
    notify_smtp_username: SecretRef | None = None
    notify_smtp_password: SecretRef | None = None

    def env_for(self, prefix: str) -> list[tuple[str, SecretRef]]:
        """``(CADENCIA_NAME, ref)`` for the fields starting with ``prefix``, in field order."""
        out = []
        for field in type(self).model_fields:
            ref = getattr(self, field)
            if field.startswith(prefix) and ref is not None:
                out.append((f"CADENCIA_{field.upper()}", ref))
        return out


class Notify(Strict):
    channels: list[Channel] = Field(default_factory=lambda: list[Channel](["log"]),
                                    min_length=1)
    fail_on_error: bool = False

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value


class ArtifactRepository(Strict):
    config_map: DnsName = "artifact-repositories"
    key: SecretKey = "default-v1"


class Gc(Strict):
    pod_gc: Literal["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion",
                    "OnWorkflowSuccess"] = "OnPodSuccess"
    pod_delete_delay: GoDuration | None = None
    ttl_after_success: GoDuration = "24h"
    ttl_after_failure: GoDuration = "168h"


class Backfill(Strict):
    parallelism: int = Field(default=2, ge=1, le=32)
    max_days: int = Field(default=92, ge=1, le=3660)
    deadline: GoDuration = "24h"


class Shards(Strict):
    """``shards: K`` (or ``{count: K, parallelism: P}``): the frame steps between the
    sources and the loads run as K branches by a hash of the union's key, at most P at
    once (default K); see docs/workflows.md, Sharded pipelines."""

    count: int = Field(default=1, ge=1, le=64)
    parallelism: int | None = Field(default=None, ge=1, le=64)

    @model_validator(mode="before")
    @classmethod
    def _count_alone(cls, value: Any) -> Any:
        return {"count": value} if isinstance(value, int) and not isinstance(value, bool) \
            else value


class Metrics(Strict):
    prefix: MetricPrefix = "cadencia"
    duration_buckets: list[float] = Field(
        default_factory=lambda: [1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0],
        min_length=1)

    @field_validator("duration_buckets")
    @classmethod
    def _increasing(cls, value: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(value)) or value[0] <= 0:
            raise ValueError("buckets must be positive and strictly increasing")
        return value


class Environment(Strict):
    name: DnsLabel
    pipeline: PipelineMeta
    namespace: DnsLabel
    service_account: DnsName = "cadencia-workflow"
    executor_service_account: DnsName = "cadencia-executor"
    settings_config_map: DnsName = "cadencia-settings"
    run_as_user: int = Field(default=10001, ge=1)
    scratch_size_limit: Memory = "8Gi"
    image: Image
    schedule: Schedule = Schedule()
    sla: Sla = Sla()
    retry: Retry = Retry()
    memo: Memo = Memo()
    deadlines: Deadlines = Deadlines()
    resources: Resources = Resources()
    secrets: Secrets
    notify: Notify = Notify()
    artifact_repository: ArtifactRepository = ArtifactRepository()
    gc: Gc = Gc()
    backfill: Backfill = Backfill()
    shards: Shards = Shards()
    metrics: Metrics = Metrics()

    def seconds(self, duration: str) -> int:
        return int(parse_go_duration(duration))
