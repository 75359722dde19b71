"""Which names Argo and Kubernetes accept: stated once, for config, engine and lint.

- ``metadata.name`` of a Workflow, WorkflowTemplate or CronWorkflow: a DNS-1123
  subdomain (Kubernetes ``IsDNS1123Subdomain``), at most 63 characters, 52 for a
  CronWorkflow (Argo's ``maxCharsInObjectName``/``maxCharsInCronWorkflowName``: the
  timestamp suffix of its Workflows must still fit).
- ``metadata.generateName``: a DNS-1123 subdomain once the trailing dash is masked
  (apimachinery's ``maskTrailingDash``); Kubernetes truncates a long one itself.
- template, DAG task and step names: ``[a-zA-Z0-9][-a-zA-Z0-9]*``, at most 128
  characters (Argo's ``workflowFieldNameFmt``, ``workflowFieldMaxLength``).
- parameter and artifact names: ``[-a-zA-Z0-9_]+`` (``paramOrArtifactNameRegex``).
- a DNS-1123 label (a namespace, a Secret's or ConfigMap's name part): Kubernetes
  ``IsDNS1123Label``, at most 63 characters (k8s.io/apimachinery
  ``pkg/util/validation/validation.go``); a subdomain is labels joined by ``.``, at most
  253.
- memoize cache keys: ``^[a-zA-Z0-9][-a-zA-Z0-9]*$`` (``cacheKeyRegex`` in
  ``workflow/controller/cache/cache.go``; checked when the node runs: a bad key errors it).
- Prometheus metric names and label keys: legacy Prometheus names without ``:``,
  ``[a-zA-Z_][a-zA-Z0-9_]*`` (``IsValidMetricName`` in ``workflow/metrics/util.go``).

Source: argoproj/argo-workflows v4.1.2 ``workflow/validate/validate.go`` unless named
above. None of these can hold ``/`` or start with ``.``: a name is never a path.
"""

from __future__ import annotations

import re

_DNS1123_LABEL_FORMAT = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL = re.compile(rf"^{_DNS1123_LABEL_FORMAT}$")
DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL_FORMAT}(\.{_DNS1123_LABEL_FORMAT})*$")
MEMOIZE_KEY = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
MEMOIZE_KEY_CHAR = re.compile(r"[-a-zA-Z0-9]")
METRIC_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
FIELD_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]*$")
PARAM_NAME = re.compile(r"^[-a-zA-Z0-9_]+$")
MAX_OBJECT_NAME = 63
MAX_LABEL = 63
MAX_CRON_NAME = 52
MAX_FIELD_NAME = 128
MAX_SUBDOMAIN = 253

DNS1123_RULE = ("lower-case letters, digits, '-' and '.', starting and ending with a letter "
                "or digit")
FIELD_RULE = "letters, digits and '-', starting with a letter or digit"
PARAM_RULE = "letters, digits, '-' and '_'"


def object_name_problem(name: str, kind: str) -> str | None:
    """Why ``name`` cannot be the ``metadata.name`` of a ``kind``, or None."""
    limit = MAX_CRON_NAME if kind == "CronWorkflow" else MAX_OBJECT_NAME
    if not DNS1123_SUBDOMAIN.match(name):
        return f"{name!r} is not a DNS-1123 name ({DNS1123_RULE})"
    if len(name) > limit:
        return f"{kind} name {name!r} is {len(name)} characters; the limit is {limit}"
    return None


def generate_name_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be a ``metadata.generateName``, or None."""
    # apimachinery's quirk, kept so that the same prefixes pass: the last two characters
    # become one "a".
    masked = prefix[:-2] + "a" if len(prefix) > 1 and prefix.endswith("-") else prefix
    if not DNS1123_SUBDOMAIN.match(masked) or len(masked) > MAX_SUBDOMAIN:
        return f"{prefix!r} is not a DNS-1123 name prefix ({DNS1123_RULE})"
    return None


def field_name_problem(name: str, what: str) -> str | None:
    """Why ``name`` cannot name a template, task or step (``what``), or None."""
    if len(name) > MAX_FIELD_NAME:
        return f"{what} name is {len(name)} characters; the limit is {MAX_FIELD_NAME}"
    if not FIELD_NAME.match(name):
        return f"{what} name {name!r} must use {FIELD_RULE}"
    return None


def param_name_problem(name: str, what: str) -> str | None:
    """Why ``name`` cannot name a parameter or artifact (``what``), or None."""
    if not PARAM_NAME.match(name):
        return f"{what} name {name!r} must use {PARAM_RULE}"
    return None
