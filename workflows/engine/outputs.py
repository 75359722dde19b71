"""The outputs of a DAG or steps template, read from the scope of its children.

Argo v4.1.2's ``getTemplateOutputsFromScope`` (workflow/controller/operator.go), over the
scope ``executeDAG`` (dag.go) or ``executeSteps`` (steps.go) built once the children ended:

- An output parameter needs a ``valueFrom`` (``output parameters must have a valueFrom
  specified``). ``valueFrom.parameter`` is substituted with the scope; ``valueFrom.expression``
  is an expr-lang expression over it (``tasks['flip-coin'].outputs.result == 'heads' ?
  tasks.heads.outputs.result : tasks.tails.outputs.result``), ``wfScope.resolveParameter``
  in controller/scope.go: a reference that does not resolve, or a nil result, takes
  ``valueFrom.default`` if there is one, else fails the template's node (Error). The entry
  keeps the parameter's other fields (its ``globalName`` too) with ``value`` set.
- An output artifact names its source with ``from`` (``{{tasks.X.outputs.artifacts.Y}}``,
  ``{{inputs.artifacts.Y}}``) or ``fromExpression`` (an expression whose value is such an
  artifact): ``wfScope.resolveArtifact``. The entry is the source artifact (its stored
  location and its fields) renamed to the output's name, as Argo copies it; one that does
  not resolve is left out when ``optional``, else fails the node.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from workflows.engine.errors import NodeError
from workflows.engine.expr import UnresolvedReference, evaluate
from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.functions import ValueFailure
from workflows.engine.scope import SubstitutionError, parameter_text, subst


class OutputError(NodeError):
    """A template output that cannot be resolved from the scope of its children."""


class Artifact(dict[str, Any]):
    """An artifact as a value of the expression scope (``tasks.X.outputs.artifacts.Y``)."""


def artifact_scope(prefix: str, ids: Mapping[str, str], nodes: Mapping[str, Any],
                   inputs: Mapping[str, Mapping[str, Any]]) -> dict[str, Artifact]:
    """``<prefix>.X.outputs.artifacts.Y`` of the children that stored Y (``buildLocalScope``)
    and ``inputs.artifacts.Y`` of the template itself."""
    found = {f"inputs.artifacts.{name}": Artifact(art) for name, art in inputs.items()}
    for name, nid in ids.items():
        for art in ((nodes.get(nid) or {}).get("outputs") or {}).get("artifacts") or []:
            found[f"{prefix}.{name}.outputs.artifacts.{art['name']}"] = Artifact(art)
    return found


def template_outputs(tmpl: Mapping[str, Any], scope: Mapping[str, str],
                     artifacts: Mapping[str, Artifact] | None = None,
                     absent: Collection[str] = ()) -> dict[str, Any]:
    """``getTemplateOutputsFromScope``: the outputs of a DAG or steps template. ``absent``
    are the scope's absent optionals (a skipped child's outputs without a default):
    ``addSkippedNodeOutputsToScope`` puts them in Argo's scope as nil, which an
    expression sees (``tasks.x.outputs.parameters.y ?? 'fallback'``)."""
    declared = tmpl.get("outputs") or {}
    outputs: dict[str, Any] = {}
    nils = {key: None for key in absent if key not in scope}
    params = [_parameter(param, scope, nils) for param in declared.get("parameters") or []]
    if params:
        outputs["parameters"] = params
    found = []
    for art in declared.get("artifacts") or []:
        entry = _artifact(art, scope, artifacts or {})
        if entry is not None:
            found.append(entry)
    if found:
        outputs["artifacts"] = found
    return outputs


def _parameter(param: Mapping[str, Any], scope: Mapping[str, str],
               nils: Mapping[str, None]) -> dict[str, Any]:
    value_from = param.get("valueFrom") or {}
    name = param["name"]
    if "parameter" not in value_from and "expression" not in value_from:
        raise OutputError(f"outputs.parameters.{name}: output parameters must have a "
                          "valueFrom specified")
    try:
        if value_from.get("expression"):
            value = _expression(str(value_from["expression"]), {**scope, **nils})
            if value is None:  # an absent optional, unhandled: resolveParameter's error
                raise OutputError(f"failed to evaluate expression "
                                  f"{value_from['expression']!r}")
            text = parameter_text(value)
        else:
            text = subst(str(value_from["parameter"]), scope,
                         f"outputs.parameters.{name}.valueFrom.parameter")
    except (OutputError, *SubstitutionError) as exc:
        if "default" not in value_from:
            raise OutputError(str(exc)) from exc
        text = parameter_text(value_from["default"])
    entry = {k: v for k, v in param.items() if k != "valueFrom"}
    entry["value"] = text
    return entry


def _expression(expr: str, scope: Mapping[str, Any]) -> Any:
    """expr-lang over the scope (``env.GetFuncMap(scope.AsAnyMap())``); an unknown name or
    a value that does not fit is the failure Argo's ``expr.Run`` returns."""
    try:
        return evaluate(expr, scope, strict=True)
    except (UnresolvedReference, UnsupportedExpression) as exc:
        raise OutputError(f"failed to evaluate expression {expr!r}: {exc}") from exc
    except ValueFailure as exc:
        raise OutputError(f"failed to evaluate expression {expr!r}: {exc}") from exc


def _artifact(art: Mapping[str, Any], scope: Mapping[str, str],
              artifacts: Mapping[str, Artifact]) -> dict[str, Any] | None:
    name = art["name"]
    if art.get("fromExpression"):
        source = str(art["fromExpression"])
        try:
            value = _expression(source, {**scope, **artifacts})
        except OutputError as exc:
            if "Unable to resolve" in str(exc) and art.get("optional"):
                return None
            raise OutputError(f"unable to resolve outputs from scope: {exc}") from exc
    elif art.get("from"):
        source = str(art["from"])
        key = source.strip()
        key = key[2:-2].strip() if key.startswith("{{") and key.endswith("}}") else key
        value = artifacts.get(key)
        if value is None:
            if art.get("optional"):  # "Unable to resolve" of an optional: left out
                return None
            raise OutputError(f"unable to resolve outputs from scope: Unable to resolve: "
                              f"{source}")
    else:
        return None  # resolveArtifact: nil, nil - the output is not set
    if not isinstance(value, Artifact):
        raise OutputError(f"unable to resolve outputs from scope: Variable {{{{{source}}}}} "
                          "is not an artifact")
    return {**value, "name": name}
