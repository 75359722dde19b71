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
        params: dict[str, list[str]] = {}
        results = []
        for child in children:
            out = child.get("outputs") or {}
            if child.get("phase") == "Succeeded":  # processAggregateNodeOutputs skips others
                for param in out.get("parameters") or []:
                    params.setdefault(param["name"], []).append(str(param.get("value", "")))
            if "result" in out:
                results.append(_json_or_text(out["result"]))
        for pname, values in params.items():
            scope[f"{prefix}.outputs.parameters.{pname}"] = aggregated_values(values)
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


def aggregated_values(values: Sequence[str]) -> str:
    """``tasks.X.outputs.parameters.P`` of a fan-out, as operator.go's
    ``aggregatedJSONValueList`` writes it: a JSON list of the values as they were
    parsed when every one is a JSON list or object (Go's numbers are float64), else of
    the values as strings (``["762","751"]``, not ``[762, 751]``), compact as Go marshals."""
    from workflows.engine.expr.go_format import go_json

    parsed = []
    for value in values:
        try:
            item = json.loads(value, parse_int=float)
        except ValueError:
            return go_json(list(values))
        if not isinstance(item, list | dict):
            return go_json(list(values))
        parsed.append(item)
    return go_json(parsed)


def _json_or_text(value: Any) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value
