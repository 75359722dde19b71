"""The outputs of a DAG or steps template, read from the scope of its children.

Argo v4.1.2's ``getTemplateOutputsFromScope`` (workflow/controller/operator.go), over the
scope ``executeDAG`` (dag.go) or ``executeSteps`` (steps.go) built once the children ended:

- An output parameter needs a ``valueFrom`` (``output parameters must have a valueFrom
  specified``). ``valueFrom.parameter`` is one ``{{name}}`` of the scope (``ResolveVar``:
  not a template, ``prefix-{{x}}`` does not resolve); ``valueFrom.expression``
  is an expr-lang expression over it (``tasks['flip-coin'].outputs.result == 'heads' ?
  tasks.heads.outputs.result : tasks.tails.outputs.result``), ``wfScope.resolveParameter``
  in controller/scope.go: a reference that does not resolve, or a nil result, takes
  ``valueFrom.default`` if there is one, else fails the template's node (Error). An
  expression's value is written with Go's ``%v`` (``AnyStringPtr``). The entry keeps the
  parameter's other fields (its ``globalName`` too) with ``value`` set.
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
from workflows.engine.expr.errors import EvaluationError, UnsupportedExpression
from workflows.engine.expr.functions import ValueFailure, go_string
from workflows.engine.expr.parser import Call, Name, parse, walk
from workflows.engine.scope import SubstitutionError, parameter_text


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
            text = _any_string(value)
        else:
            text = _any_string(_resolve_var(str(value_from["parameter"]), scope))
    except (OutputError, *SubstitutionError) as exc:
        if "default" not in value_from or _refused(exc):
            raise OutputError(str(exc)) from exc
        text = parameter_text(value_from["default"])
    entry = {k: v for k, v in param.items() if k != "valueFrom"}
    entry["value"] = text
    return entry


def _refused(exc: BaseException) -> bool:
    """A construct the engine cannot run faithfully (a jsonpath computed at run time
    outside the subset): the node errors naming it rather than take the default, which
    Argo, running it, might not have."""
    cause = exc.__cause__ if isinstance(exc, OutputError) else exc
    return isinstance(cause, UnsupportedExpression) and not isinstance(cause, EvaluationError)


# expr-lang's own functions: what an expression compiled with the bare scope (no
# env.GetFuncMap: no asInt, toJson, jsonpath, sprig) can call
_EXPR_BUILTINS = frozenset({"int", "float", "string", "len"})


def _resolve_var(text: str, scope: Mapping[str, Any]) -> Any:
    """``template.ResolveVar`` (util/template/resolve_var.go), which reads
    ``valueFrom.parameter``: the whole string is one tag, ``{{`` and ``}}`` trimmed, so
    ``prefix-{{x}}`` does not resolve. A name is looked up as it is. ``{{=expr}}`` is
    compiled with the flat scope as its environment: its dotted keys are no names to
    expr-lang and Argo's functions are not in it, so only literals, operators and
    expr-lang's builtins evaluate; anything else is "Unable to compile"."""
    tag = text.removeprefix("{{").removesuffix("}}").strip()
    if not tag.startswith("="):
        if tag not in scope:
            raise OutputError(f"Unable to resolve: {tag!r}")
        return scope[tag]
    expression = tag[1:].replace("\\u003c", "<").replace("\\u003e", ">").replace(
        "\\u0026", "&")  # jsonutil.Fix
    tree = parse(expression)  # admission (tags) refused what the engine cannot parse
    for node in walk(tree):
        if isinstance(node, Name) or (isinstance(node, Call)
                                      and node.function not in _EXPR_BUILTINS):
            raise OutputError(f"Unable to compile: {expression!r}")
    try:
        result = evaluate(expression, {}, strict=True)
    except (UnresolvedReference, UnsupportedExpression) as exc:
        raise OutputError(f"Invalid expression: {expression!r}") from exc
    if result is None:
        raise OutputError(f"Unable to resolve: {tag!r}")
    return result


def _any_string(value: Any) -> str:
    """``wfv1.AnyStringPtr(val)``: ``fmt.Sprintf("%v", val)`` (a float 3.0 is ``3``,
    1e6 ``1e+06``, a list ``[1 2]``), not JSON as a ``{{=...}}`` tag writes it."""
    try:
        return go_string(value)
    except ValueFailure as exc:
        raise OutputError(f"cannot print the expression's value: {exc}") from None


def _expression(expr: str, scope: Mapping[str, Any]) -> Any:
    """expr-lang over the scope (``env.GetFuncMap(scope.AsAnyMap())``), run with no
    missing-variable check: a missing map key is nil (``tasks.x.outputs.parameters.y ==
    nil`` is true), an unknown name or a value that does not fit is the failure Argo's
    ``expr.Compile``/``expr.Run`` returns."""
    try:
        return evaluate(expr, scope, strict=True, missing_keys_nil=True)
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
