"""Lint findings: one problem, one line (file, YAML path, rule id, message).

``RULES`` is the catalogue of rule ids with what each one checks; every rule has a broken
manifest in ``tests/workflows/lint_corpus/<rule-id>.yaml``.

Each finding has a severity. An ``error`` is a manifest Argo would reject or run wrongly
(its schema, names, references, formats), or a secret written into it (a leak whatever
the house style). A ``warning`` is house policy (``POLICY``): what cadencia wants of every
container it ships (retries, deadlines, resources, the restricted security context, pinned
images), which a user's own workflow may choose not to follow (``--no-policy``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from workflows.argo.names import MEMOIZE_KEY

Path_ = tuple[str | int, ...]

RULES: dict[str, str] = {
    # YAML and structure
    "yaml-parse": "the file is valid YAML and each document is a mapping",
    "yaml-duplicate-key": "no mapping repeats a key (the API server rejects it)",
    "yaml-alias": "no *alias (nested aliases expand a few lines into billions of nodes); "
    "the file is not loaded",
    "schema-unknown-field": "every field is known to the Argo v4.1.2 schema (strict decoding)",
    "schema-type": "every value has the type the schema gives (IntOrString widened)",
    "schema-required": "every field the schema requires is present",
    # names
    "name-length": "metadata.name fits 63 characters (CronWorkflow 52), other names 128",
    "name-format": "metadata.name is DNS-1123; templates, tasks, parameters match Argo's regexes",
    "name-duplicate": "template, task, step, parameter and artifact names are unique in their list",
    # templates and calls
    "entrypoint": "the entrypoint names a template of the workflow (or of its workflowTemplateRef)",
    "unknown-template": "onExit, hooks, tasks and steps name templates that exist",
    "unknown-workflow-template": "templateRef/workflowTemplateRef name a linted "
    "(Cluster)WorkflowTemplate and one of its templates",
    "template-type": "each template has exactly one type (container, script, dag, steps, ...)",
    "hook-expression": "lifecycle hooks other than exit have an expression",
    "argument-missing": "a call supplies every input without a default, each with a value",
    "argument-unknown": "a call passes no parameter or artifact its template does not declare",
    "deadline-format": "activeDeadlineSeconds is a positive integer on leaf templates; timeout "
    "is a duration",
    "podgc-strategy": "podGC.strategy is one of Argo's strategies",
    # references and DAGs
    "unresolved-reference": "every {{...}} placeholder and expression variable resolves",
    "dag-dependency": "dependencies/depends name tasks of the same DAG and are well formed",
    "dag-cycle": "the DAG has no dependency cycle",
    # retry
    "retry-policy": "retryPolicy is Always, OnFailure, OnError or OnTransientError",
    "backoff-duration": "backoff duration/maxDuration: Go duration or seconds; cap: Go duration",
    "backoff-factor": "backoff factor is an integer",
    # cron
    "concurrency-policy": "concurrencyPolicy is Allow, Forbid or Replace",
    "starting-deadline": "startingDeadlineSeconds is >= 0",
    "cron-schedule": "schedules are valid 5-field cron expressions or @descriptors",
    "cron-timezone": "timezone is an IANA time zone",
    "cron-timezone-unset": "timezone is set (without it the controller's zone applies)",
    # metrics
    "metric-name": "metric names match [A-Za-z_][A-Za-z0-9_]*",
    "metric-label": "metric label keys match [A-Za-z_][A-Za-z0-9_]* and values are not empty",
    "metric-help": "every metric has a help text",
    "metric-value": "every metric has exactly one of gauge/counter/histogram, with a value",
    # memoize
    "memoize-key": f"memoize keys can only produce {MEMOIZE_KEY.pattern} (no ':' from times)",
    "memoize-max-age": "memoize maxAge is a Go duration (a bare number is invalid)",
    # secrets
    "secret-parameter": "no parameter carries a secret-looking literal",
    "secret-env": "no env var carries a secret-looking literal value (use secretKeyRef)",
    # containers
    "container-retry": "every container template has a retryStrategy",
    "container-deadline": "every container template has activeDeadlineSeconds",
    "container-resources": "every container has cpu and memory requests and limits",
    "security-context": "every container runs with the restricted security context",
    "artifact-path-literal": "command, args and env use {{inputs/outputs.artifacts.X.path}}, "
    "not the artifact's literal path",
    "image-tag": "images are pinned: no :latest, no missing tag (a digest is fine)",
}

# house policy: valid for Argo, wanted by cadencia (warnings; ``--no-policy`` skips them)
POLICY = frozenset({
    "container-retry", "container-deadline", "container-resources", "security-context",
    "artifact-path-literal", "image-tag", "cron-timezone-unset",
})
SEVERITIES = ("error", "warning")

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def format_path(path: Sequence[str | int]) -> str:
    """``("spec", "templates", 3, "retryStrategy")`` -> ``spec.templates[3].retryStrategy``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out or "."


@dataclass(frozen=True)
class Finding:
    """One problem in one document."""

    file: str
    line: int | None
    path: Path_
    rule: str
    message: str

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise ValueError(f"unknown lint rule {self.rule!r}")

    @property
    def severity(self) -> str:
        return "warning" if self.rule in POLICY else "error"

    def format(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} {self.severity} {format_path(self.path)} {self.rule} {self.message}"
