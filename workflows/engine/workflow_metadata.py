"""``workflowMetadata``: the labels a run gets from its spec, as Argo sets them.

Argo's ``updateWorkflowMetadata`` (workflow/controller/operator.go), once, before the
first node: each ``labels`` value must be a valid label value; each ``labelsFrom``
expression is compiled against the workflow's variables (``workflow.parameters.X``,
``workflow.name``...; a ``workflow.labels.X`` that ``labelsFrom`` itself sets is not among
them yet), run, and must give a string that is a valid label value. The label goes on the
workflow's metadata and becomes ``{{workflow.labels.X}}``. Any failure is the workflow's
Error, with Argo's message, and nothing runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflows.engine.context import Run
from workflows.engine.expr import UnresolvedReference, UnsupportedExpression, evaluate
from workflows.engine.podspec.labels import value_problems

LABEL = "workflow.labels."


def _go_type(value: Any) -> str:
    """What Go's ``%T`` prints for a value expr-lang returned."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    return type(value).__name__


def apply(run: Run) -> str | None:
    """Set the labels on the run's workflow object and in its variables; the workflow's
    Error message when Argo would refuse them, else None."""
    meta = run.loaded.spec.get("workflowMetadata") or {}
    labels = run.status.workflow["metadata"].setdefault("labels", {})
    for name, value in (meta.get("labels") or {}).items():
        found = value_problems(str(value))
        if found:
            return (f"invalid label value {json.dumps(str(value))} for label "
                    f"{json.dumps(str(name))}: {';'.join(found)}")
    sources = meta.get("labelsFrom") or {}
    env = {k: v for k, v in run.globals.items()
           if not (k.startswith(LABEL) and k[len(LABEL):] in sources)}
    for name, source in sources.items():
        expression = str((source or {}).get("expression") or "")
        quoted, label = json.dumps(expression), json.dumps(str(name))
        try:
            value = evaluate(expression, env, strict=True)
        except UnresolvedReference as exc:  # expr.Compile with the env knows every name
            return f"failed to compile function for expression {quoted}: {exc}"
        except UnsupportedExpression as exc:
            return f"failed to evaluate label {label} expression {quoted}: {exc}"
        if not isinstance(value, str):
            return (f"failed to evaluate label {label} expression {quoted} evaluted to "
                    f"{_go_type(value)} but must be a string")
        found = value_problems(value)
        if found:
            return (f"invalid label value {json.dumps(value)} for label {label} and "
                    f"expression {quoted}: {';'.join(found)}")
        labels[str(name)] = value
        run.globals[LABEL + str(name)] = value
    return None
