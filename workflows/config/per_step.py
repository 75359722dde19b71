"""Values set per container template: a ``default`` plus optional per-step overrides.

Keys are the step programs with ``_`` for ``-`` (``extract_http``, ``date_range``; a
library ``union`` step runs ``clean``), whatever a pipeline names its steps;
``validate`` is spelled as is in YAML (the attribute is ``validate_``, since pydantic
models have a ``validate`` method).
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from workflows.argo.durations import parse_go_duration
from workflows.config.pipeline import Strict
from workflows.config.types import Cpu, GoDuration, Memory

# Container templates and the step module each one runs.
STEP_MODULES = {
    "extract-http": "extract_http", "extract-sql": "extract_sql", "clean": "clean",
    "join": "join", "transform": "transform", "validate": "validate", "load": "load",
    "notify": "notify", "date-range": "date_range", "source-fingerprint": "source_fingerprint",
}


def field_of(step: str) -> str:
    return "validate_" if step == "validate" else step.replace("-", "_")


class PerStep(Strict):
    """One optional value per container template, ``default`` for the others."""

    default: object = None
    extract_http: object = None
    extract_sql: object = None
    clean: object = None
    join: object = None
    transform: object = None
    validate_: object = Field(default=None, alias="validate")
    load: object = None
    notify: object = None
    date_range: object = None
    source_fingerprint: object = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def for_step(self, step: str) -> object:
        value = getattr(self, field_of(step))
        return self.default if value is None else value


class Deadlines(PerStep):
    default: GoDuration = "30m"
    extract_http: GoDuration | None = None
    extract_sql: GoDuration | None = None
    clean: GoDuration | None = None
    join: GoDuration | None = None
    transform: GoDuration | None = None
    validate_: GoDuration | None = Field(default=None, alias="validate")
    load: GoDuration | None = None
    notify: GoDuration | None = None
    date_range: GoDuration | None = None
    source_fingerprint: GoDuration | None = None

    def seconds(self, step: str) -> int:
        return int(parse_go_duration(str(self.for_step(step))))


class Quantities(Strict):
    cpu: Cpu | None = None
    memory: Memory | None = None


class StepResources(Strict):
    requests: Quantities = Quantities(cpu="100m", memory="256Mi")
    limits: Quantities = Quantities(cpu="1", memory="1Gi")


class Resources(PerStep):
    default: StepResources = StepResources()
    extract_http: StepResources | None = None
    extract_sql: StepResources | None = None
    clean: StepResources | None = None
    join: StepResources | None = None
    transform: StepResources | None = None
    validate_: StepResources | None = Field(default=None, alias="validate")
    load: StepResources | None = None
    notify: StepResources | None = None
    date_range: StepResources | None = None
    source_fingerprint: StepResources | None = None
