"""The workflow-level variables: ``workflow.*`` and ``{{workflow.failures}}``.

``workflow.parameters.X`` are the arguments after substitution (a CronWorkflow's
``run-date`` expression over ``workflow.scheduledTime`` becomes the date here), or the
ConfigMap value an argument's ``valueFrom.configMapKeyRef`` names; ``workflow.parameters``
and ``workflow.parameters.json`` are all of them as Go's ``json.Marshal`` writes the
arguments (``[{"name":"a","value":"1"}]``).
``workflow.creationTimestamp.<c>`` is the creation time through strftime ``%<c>``, as
Argo offers it. ``workflow.failures`` is the JSON list of every Failed or Error node
(``displayName``, ``message``, ``templateName``, ``phase``, ``podName``, ``finishedAt``),
oldest failure first; it is substituted as plain JSON text.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from workflows.argo.nodes import pod_name
from workflows.engine.config_maps import ConfigMapError
from workflows.engine.context import Run
from workflows.engine.expr.go_format import go_json
from workflows.engine.nodes import FAILED
from workflows.engine.scope import parameter_text, subst

_STRFTIME = "aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ"


class GlobalParameterError(Exception):
    """A workflow argument has no value: the run fails before anything starts, as Argo's
    ``setExecWorkflow`` fails it (``failed to set global parameters: ...``)."""


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
    params: list[dict[str, Any]] = []
    for param in (spec.get("arguments") or {}).get("parameters") or []:
        if "value" not in param and "valueFrom" in param:
            scope[f"workflow.parameters.{param['name']}"] = _from_config_map(run, param)
            params.append(param)  # as written: Argo marshals its valueFrom, no value
            continue
        value = subst(parameter_text(param.get("value", "")), scope,
                      f"spec.arguments.parameters.{param['name']}")
        param["value"] = value
        params.append(param)
    # setGlobalParameters: json.Marshal of the arguments, as workflow.parameters and as
    # workflow.parameters.json; a parameter named json is set after and wins
    marshaled = "[" + ",".join(_marshaled(param) for param in params) + "]"
    scope["workflow.parameters"] = scope["workflow.parameters.json"] = marshaled
    for param in params:
        if "value" in param:  # a ConfigMap's value is set above
            scope[f"workflow.parameters.{param['name']}"] = param["value"]
    return scope


def _from_config_map(run: Run, param: dict[str, Any]) -> str:
    """``setGlobalParameters``: the ConfigMap's value, else ``valueFrom.default`` whatever
    the error, else the run fails. The spec keeps the ``valueFrom`` (the root template's
    input reads the ConfigMap again, as Argo's ``ProcessArgs`` does)."""
    value_from = param["valueFrom"]
    ref = value_from["configMapKeyRef"]
    try:
        return run.loaded.config_maps.parameter_value(str(ref["name"]), str(ref["key"]))
    except ConfigMapError as exc:
        if value_from.get("default") is None:
            raise GlobalParameterError(
                f"failed to set global parameter {param['name']} from configmap with name "
                f"{ref['name']} and key {ref['key']}: {exc}") from exc
        return parameter_text(value_from["default"])


def _marshaled(param: Mapping[str, Any]) -> str:
    """``json.Marshal`` of a ``wfv1.Parameter``: its fields in the struct's order (name,
    default, value, enum, description: those a workflow argument may have), empty ones
    left out (omitempty)."""
    fields: list[tuple[str, Any]] = [("name", param["name"])]
    for key in ("default", "value", "valueFrom", "enum", "description"):
        value = param.get(key)
        if value is None or value == []:
            continue
        if key == "valueFrom":  # ValueFrom's fields in their order: configMapKeyRef, default
            value = _Raw(_marshaled_value_from(value))
        elif key == "enum":
            value = [parameter_text(v) for v in value]
        else:
            value = parameter_text(value)
        fields.append((key, value))
    return "{" + ",".join(f"{go_json(key)}:{_json(value)}" for key, value in fields) + "}"


def _marshaled_value_from(value_from: Mapping[str, Any]) -> str:
    out = []
    ref = value_from.get("configMapKeyRef")
    if ref is not None:  # apiv1.ConfigMapKeySelector: name, key, optional
        inner = [f"{go_json('name')}:{go_json(str(ref.get('name', '')))}",
                 f"{go_json('key')}:{go_json(str(ref.get('key', '')))}"]
        if ref.get("optional") is not None:
            inner.append(f"{go_json('optional')}:{'true' if ref['optional'] else 'false'}")
        out.append(f"{go_json('configMapKeyRef')}:{{{','.join(inner)}}}")
    if value_from.get("default") is not None:
        out.append(f"{go_json('default')}:{go_json(parameter_text(value_from['default']))}")
    return "{" + ",".join(out) + "}"


class _Raw(str):
    """JSON already written (a nested object)."""


def _json(value: Any) -> str:
    return str(value) if isinstance(value, _Raw) else go_json(value)


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
