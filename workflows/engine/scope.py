"""Variables for ``{{...}}``: building scopes and substituting with them.

Argo leaves ``{{workflow.outputs.parameters.X}}`` as written when no step exported X (the
exit handler of a run that failed early); every other unknown name is an error of the
node that uses it, with A's message naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from workflows.engine.expr import (
    UnresolvedReference,
    UnsupportedExpression,
    substitute,
    template_tags,
)

LENIENT_PREFIXES = ("workflow.outputs.parameters.",)
SubstitutionError = (UnresolvedReference, UnsupportedExpression)


def subst(text: str, scope: Mapping[str, str | None], where: str) -> str:
    """``text`` with its tags replaced; raises UnresolvedReference/UnsupportedExpression."""
    if "{{" not in text:
        return text
    extra = {tag.body: tag.text for tag in template_tags(text)
             if not tag.expression and tag.body.startswith(LENIENT_PREFIXES)
             and tag.body not in scope}
    return substitute(text, {**scope, **extra} if extra else scope, where=where)


def subst_value(value: Any, scope: Mapping[str, str], where: str) -> Any:
    """Substitute every string inside a YAML value (lists and mappings too)."""
    if isinstance(value, str):
        return subst(value, scope, where)
    if isinstance(value, list):
        return [subst_value(v, scope, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: subst_value(v, scope, f"{where}.{k}") for k, v in value.items()}
    return value


def parameter_text(value: Any) -> str:
    """A parameter value as Argo holds it: strings as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def node_scope(prefix: str, node: Mapping[str, Any],
               children: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``tasks.<name>.*`` of a finished task node (a task group aggregates its items)."""
    scope = {f"{prefix}.id": node["id"], f"{prefix}.status": node["phase"]}
    for key in ("startedAt", "finishedAt"):
        if node.get(key):
            scope[f"{prefix}.{key}"] = node[key]
    if node["type"] == "TaskGroup":
        params: dict[str, list[Any]] = {}
        results = []
        for child in children:
            out = child.get("outputs") or {}
            for param in out.get("parameters") or []:
                params.setdefault(param["name"], []).append(_json_or_text(param.get("value")))
            if "result" in out:
                results.append(_json_or_text(out["result"]))
        for pname, values in params.items():
            scope[f"{prefix}.outputs.parameters.{pname}"] = json.dumps(values)
        # Argo's processAggregateNodeOutputs: one {name: value} map per Succeeded item.
        scope[f"{prefix}.outputs.parameters"] = json.dumps(
            [{p["name"]: str(p.get("value", "")) for p in child["outputs"]["parameters"]}
             for child in children if child.get("phase") == "Succeeded"
             and (child.get("outputs") or {}).get("parameters")], separators=(",", ":"))
        scope[f"{prefix}.outputs.result"] = json.dumps(results)
        return scope
    outputs = node.get("outputs") or {}
    for param in outputs.get("parameters") or []:
        if param.get("value") is not None:
            scope[f"{prefix}.outputs.parameters.{param['name']}"] = str(param["value"])
    if "result" in outputs:
        scope[f"{prefix}.outputs.result"] = outputs["result"]
    if "exitCode" in outputs:
        scope[f"{prefix}.exitCode"] = str(outputs["exitCode"])
    return scope


def _json_or_text(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
