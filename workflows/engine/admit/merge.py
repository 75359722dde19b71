"""A Workflow's spec joined with the (Cluster)WorkflowTemplate its ``workflowTemplateRef``
names, as Argo's controller does (``setStoredWfSpec`` -> ``util.JoinWorkflowSpec``).

``MergeTo`` is a strategic merge patch of the Workflow's spec over the template's: a
field the Workflow sets wins, mappings merge key by key, lists are replaced, except the
lists merged by ``name`` (``patchMergeKey: name``: ``templates``, ``arguments.parameters``,
``arguments.artifacts``), whose items of the same name merge field by field. ``hooks``
do not merge: the template's hook of a name the Workflow lacks is added. So a Workflow
with ``entrypoint: print-message`` and ``arguments`` runs a template that declares
neither, and the Workflow's entrypoint beats the template's.

Then an argument parameter with a value (``value``, ``default`` or ``valueFrom``:
``Parameter.HasValue``) is the Workflow's parameter of that name as a whole when the
Workflow gives it one, else the template's: a value and a ``valueFrom`` from different
places never mix. An argument artifact is the Workflow's (else the template's), its
location merged with the other's when both use the same storage (``mergeArtifactOverride``).
(No workflow defaults exist locally: ``wfDefaultSpec`` is empty.)
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

MERGED_BY_NAME = {("templates",), ("arguments", "parameters"), ("arguments", "artifacts")}
PARAMETER_VALUES = ("value", "default", "valueFrom")
LOCATIONS = ("s3", "raw", "http", "git", "gcs", "oss", "hdfs", "artifactory", "azure",
             "plugin")


def join_specs(workflow: Mapping[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """The spec that runs: ``workflow`` (with its ``workflowTemplateRef``) over
    ``template``."""
    hooks = template.get("hooks") or {}
    base = {k: v for k, v in template.items() if k != "hooks"}
    joined: dict[str, Any] = _merge(base, workflow, ())
    if hooks:
        own = joined.setdefault("hooks", {})
        for name, hook in hooks.items():
            own.setdefault(name, copy.deepcopy(hook))
    args = joined.get("arguments") or {}
    mine, theirs = _arguments(workflow, "parameters"), _arguments(template, "parameters")
    for i, param in enumerate(args.get("parameters") or []):
        if _has_value(param):
            chosen = mine.get(param.get("name"), theirs.get(param.get("name")))
            if chosen is not None:
                args["parameters"][i] = copy.deepcopy(chosen)
    mine, theirs = _arguments(workflow, "artifacts"), _arguments(template, "artifacts")
    for i, art in enumerate(args.get("artifacts") or []):
        override = mine.get(art.get("name"), theirs.get(art.get("name")))
        if override is not None:
            args["artifacts"][i] = _artifact_override(art, override)
    return joined


def _has_value(param: Mapping[str, Any]) -> bool:
    return any(param.get(key) is not None for key in PARAMETER_VALUES)


def _arguments(spec: Mapping[str, Any], kind: str) -> dict[str, Mapping[str, Any]]:
    """The spec's argument parameters with a value (``parametersToMapByName``), or all
    its argument artifacts (``artifactsToMapByName``), by name."""
    items = (spec.get("arguments") or {}).get(kind) or []
    return {item.get("name"): item for item in items
            if kind == "artifacts" or _has_value(item)}


def _merge(base: Any, over: Any, path: tuple[str, ...]) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        for key, value in over.items():
            if value is None:  # YAML's empty value: Go's zero value, omitted (omitempty)
                continue
            out[key] = _merge(base[key], value, (*path, key)) if key in base \
                else copy.deepcopy(value)
        return out
    if path in MERGED_BY_NAME and isinstance(base, list) and isinstance(over, list):
        merged = [copy.deepcopy(item) for item in base]
        names = [item.get("name") if isinstance(item, Mapping) else None for item in merged]
        for item in over:
            name = item.get("name") if isinstance(item, Mapping) else None
            if name is not None and name in names:
                at = names.index(name)
                merged[at] = _merge(merged[at], item, (*path, "[]"))
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(over)


def _artifact_override(base: Mapping[str, Any], override: Mapping[str, Any]
                       ) -> dict[str, Any]:
    """``mergeArtifactOverride``: the override, its location merged over the base's when
    both are of the same storage, else the override's own location only."""
    merged = copy.deepcopy(dict(override))
    base_kind = [k for k in LOCATIONS if base.get(k) is not None]
    over_kind = [k for k in LOCATIONS if override.get(k) is not None]
    if base_kind and base_kind == over_kind:
        kind = base_kind[0]
        merged[kind] = _merge(base[kind], override[kind], ())
    return merged
