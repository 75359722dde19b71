"""The workflow-level variables: ``workflow.*`` and ``{{workflow.failures}}``.

``workflow.parameters.X`` are the arguments after substitution (a CronWorkflow's
``run-date`` expression over ``workflow.scheduledTime`` becomes the date here);
``workflow.parameters`` and ``workflow.parameters.json`` are all of them as Go's
``json.Marshal`` writes the arguments (``[{"name":"a","value":"1"}]``).
``workflow.creationTimestamp.<c>`` is the creation time through strftime ``%<c>``, as
Argo offers it. ``workflow.failures`` is the JSON list of every Failed or Error node
(``displayName``, ``message``, ``templateName``, ``phase``, ``podName``, ``finishedAt``),
oldest failure first; it is substituted as plain JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflows.engine.context import Run
from workflows.engine.expr.go_format import go_json
from workflows.engine.nodes import FAILED
from workflows.engine.records import pod_name
from workflows.engine.scope import parameter_text, subst

_STRFTIME = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ"


def workflow_variables(run: Run) -> dict[str, str]:
    meta, spec = run.status.workflow["metadata"], run.loaded.spec
    created = datetime.fromisoformat(meta["creationTimestamp"].replace("Z", "+00:00"))
    scope = {"workflow.name": run.name, "workflow.namespace": meta["namespace"],
             "workflow.uid": meta["uid"], "workflow.creationTimestamp": meta["creationTimestamp"],
             "workflow.creationTimestamp.RFC3339": meta["creationTimestamp"],
             "workflow.mainEntrypoint": str(spec.get("entrypoint", "")),
             "workflow.status": "Running"}
    for char in _STRFTIME:
        scope[f"workflow.creationTimestamp.{char}"] = created.strftime(f"%{char}")
    if spec.get("serviceAccountName"):
        scope["workflow.serviceAccountName"] = str(spec["serviceAccountName"])
    if run.loaded.scheduled_time:
        scope["workflow.scheduledTime"] = run.loaded.scheduled_time
    for key, value in (meta.get("labels") or {}).items():
        scope[f"workflow.labels.{key}"] = str(value)
    for key, value in (meta.get("annotations") or {}).items():
        scope[f"workflow.annotations.{key}"] = str(value)
    params = []
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        value = subst(parameter_text(param.get("value", "")), scope,
                      f"spec.arguments.parameters.{param['name']}")
        param["value"] = value
        params.append(param)
    # setGlobalParameters: json.Marshal of the arguments, as workflow.parameters and as
    # workflow.parameters.json; a parameter named json is set after and wins
    marshaled = "[" + ",".join(_marshaled(param) for param in params) + "]"
    scope["workflow.parameters"] = scope["workflow.parameters.json"] = marshaled
    for param in params:
        scope[f"workflow.parameters.{param['name']}"] = param["value"]
    return scope


def _marshaled(param: Mapping[str, Any]) -> str:
    """``json.Marshal`` of a ``wfv1.Parameter``: its fields in the struct's order (name,
    default, value, enum, description: those a workflow argument may have), empty ones
    left out (omitempty)."""
    fields = [("name", param["name"])]
    for key in ("default", "value", "enum", "description"):
        value = param.get(key)
        if value is not None and value != []:
            fields.append((key, [parameter_text(v) for v in value] if key == "enum"
                           else parameter_text(value)))
    return "{" + ",".join(f"{go_json(key)}:{go_json(value)}" for key, value in fields) + "}"


def failures(run: Run) -> list[dict[str, Any]]:
    """``{{workflow.failures}}``: every Failed or Error node, in Argo's shape."""
    found = []
    for node in sorted(run.status.nodes.values(), key=lambda n: run.status.finished.get(
            n["id"], 0.0)):
        if node["phase"] in FAILED:
            template = node.get("templateName") or (node.get("templateRef") or {}).get(
                "template", "")
            found.append({"displayName": node["displayName"], "message": node.get("message", ""),
                          "templateName": template, "phase": node["phase"],
                          "podName": pod_name(run.name, template, node["name"]),
                          "finishedAt": node.get("finishedAt")})
    return found
