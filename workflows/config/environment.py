"""Where and how the pipeline runs: one :class:`Environment` per overlay (local, dev, ...).

Durations are Go durations (``30s``, ``1h``) because that is what Argo reads; the
definitions turn them into seconds where a manifest needs an integer. Cross-field rules
(a backoff that must fit inside every step deadline, channels that need a Secret) live in
:func:`problems`, which names the exact field paths at fault.
"""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.config.pipeline import Pipeline
from workflows.config.types import (
    Cpu,
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
    go_seconds,
)

# Container templates and the step module each one runs.
STEP_MODULES = {
    "extract-http": "extract_http", "extract-sql": "extract_sql", "clean": "clean",
    "transform": "transform", "validate": "validate", "load": "load", "notify": "notify",
    "date-range": "date_range",
}
Channel = Literal["log", "webhook", "slack", "email"]
CHANNEL_SECRETS = {"webhook": "notify_webhook_url", "slack": "notify_slack_webhook_url"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class PerStep(Strict):
    """One optional value per container template, ``default`` for the others."""

    default: object = None
    extract_http: object = None
    extract_sql: object = None
    clean: object = None
    transform: object = None
    validate_: object = Field(default=None, alias="validate")
    load: object = None
    notify: object = None
    date_range: object = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def for_step(self, step: str) -> object:
        key = "validate_" if step == "validate" else step.replace("-", "_")
        value = getattr(self, key)
        return self.default if value is None else value


class Deadlines(PerStep):
    default: GoDuration = "30m"
    extract_http: GoDuration | None = None
    extract_sql: GoDuration | None = None
    clean: GoDuration | None = None
    transform: GoDuration | None = None
    validate_: GoDuration | None = Field(default=None, alias="validate")
    load: GoDuration | None = None
    notify: GoDuration | None = None
    date_range: GoDuration | None = None

    def seconds(self, step: str) -> int:
        return int(go_seconds(str(self.for_step(step))))


class Quantities(Strict):
    cpu: Cpu | None = None
    memory: Memory | None = None


class StepResources(Strict):
    requests: Quantities = Quantities(cpu="100m", memory="256Mi")
    limits: Quantities = Quantities(memory="1Gi")


class Resources(PerStep):
    default: StepResources = StepResources()
    extract_http: StepResources | None = None
    extract_sql: StepResources | None = None
    clean: StepResources | None = None
    transform: StepResources | None = None
    validate_: StepResources | None = Field(default=None, alias="validate")
    load: StepResources | None = None
    notify: StepResources | None = None
    date_range: StepResources | None = None


class SecretRef(Strict):
    name: DnsName
    key: SecretKey
    optional: bool = False


class Secrets(Strict):
    """Kubernetes Secrets behind each secret setting; the env var is CADENCIA_<FIELD>."""

    source_db_url: SecretRef
    target_db_url: SecretRef
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
    pipeline: Pipeline
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
    metrics: Metrics = Metrics()

    def seconds(self, duration: str) -> int:
        return int(go_seconds(duration))


def problems(env: Environment) -> list[tuple[str, str]]:
    """Cross-field errors as ``(field path, message)``; empty when the environment is sound."""
    found: list[tuple[str, str]] = []
    soft, hard = go_seconds(env.sla.soft), go_seconds(env.sla.hard)
    if soft >= hard:
        found.append(("sla.soft", f"{env.sla.soft} must be shorter than sla.hard "
                                  f"({env.sla.hard})"))
    backoff = env.retry.backoff
    if go_seconds(backoff.cap) < go_seconds(backoff.duration):
        found.append(("retry.backoff.cap", f"{backoff.cap} is shorter than "
                                           f"retry.backoff.duration ({backoff.duration})"))
    too_short = [f"{step} ({env.deadlines.for_step(step)})" for step in STEP_MODULES
                 if go_seconds(backoff.max_duration) > env.deadlines.seconds(step)]
    if too_short:
        found.append(("retry.backoff.max_duration",
                      f"{backoff.max_duration} does not fit inside the deadline of "
                      f"{', '.join(too_short)}"))
    long_deadlines: dict[str, str] = {}
    for step in STEP_MODULES:
        if step != "date-range" and env.deadlines.seconds(step) > hard:
            key = step.replace("-", "_")
            field = "validate_" if key == "validate" else key
            path = f"deadlines.{key}" if getattr(env.deadlines, field) else "deadlines.default"
            long_deadlines[path] = str(env.deadlines.for_step(step))
    found += [(path, f"{value} is longer than the hard deadline sla.hard ({env.sla.hard})")
              for path, value in long_deadlines.items()]
    for i, channel in enumerate(env.notify.channels):
        needed = CHANNEL_SECRETS.get(channel)
        if needed and getattr(env.secrets, needed) is None:
            found.append((f"notify.channels[{i}]", f"channel {channel!r} needs "
                                                   f"secrets.{needed}"))
    if go_seconds(env.backfill.deadline) < hard:
        found.append(("backfill.deadline", f"{env.backfill.deadline} is shorter than one run's "
                                           f"hard deadline sla.hard ({env.sla.hard})"))
    return found
