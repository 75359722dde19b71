"""Container templates: a retryStrategy, a deadline and resources for every pod step.

Applies to container, script and containerSet templates, with ``spec.templateDefaults``
merged in (and ``spec.retryStrategy``, the workflow's default strategy). Resources mean
cpu and memory requests and limits on every container of the pod.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workflows.lint.argo import CONTAINER_TYPES, ArgoDoc, Template, as_dict, as_list
from workflows.lint.findings import Finding, Path_

RESOURCE_KEYS = ("requests.cpu", "requests.memory", "limits.cpu", "limits.memory")


def pod_containers(adoc: ArgoDoc, t: Template) -> Iterator[tuple[dict[str, Any], Path_]]:
    """Every user container of a container, script or containerSet template."""
    effective = adoc.effective(t)
    if t.type in ("container", "script"):
        yield as_dict(effective.get(t.type)), t.at(t.type)
    if t.type == "containerSet":
        containers = as_list(as_dict(effective.get("containerSet")).get("containers"))
        for i, container in enumerate(containers):
            yield as_dict(container), t.at("containerSet", "containers", i)
    for kind in ("initContainers", "sidecars"):
        for i, container in enumerate(as_list(effective.get(kind))):
            yield as_dict(container), t.at(kind, i)


def container_templates(adoc: ArgoDoc) -> Iterator[Template]:
    return (t for t in adoc.templates if t.type in CONTAINER_TYPES and len(t.types) == 1)


def _resources(container: dict[str, Any]) -> list[str]:
    resources = as_dict(container.get("resources"))
    missing = []
    for key in RESOURCE_KEYS:
        group, name = key.split(".")
        if as_dict(resources.get(group)).get(name) in (None, ""):
            missing.append(key)
    return missing


def check(adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    default_retry = isinstance(adoc.spec.get("retryStrategy"), dict)
    for t in container_templates(adoc):
        effective = adoc.effective(t)
        if not isinstance(effective.get("retryStrategy"), dict) and not default_retry:
            out.append(adoc.finding(t.path, "container-retry",
                                    f"{t.type} template {t.name!r} has no retryStrategy"))
        if effective.get("activeDeadlineSeconds") is None:
            out.append(adoc.finding(t.path, "container-deadline",
                                    f"{t.type} template {t.name!r} has no activeDeadlineSeconds"))
        for container, path in pod_containers(adoc, t):
            missing = _resources(container)
            if missing:
                label = container.get("name") or t.name
                out.append(adoc.finding((*path, "resources"), "container-resources",
                                        f"container {label!r} has no resources."
                                        f"{', resources.'.join(missing)}"))
    return out
