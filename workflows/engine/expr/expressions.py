"""Argo's ``{{...}}`` substitution, its expression language, and DAG ``depends``.

What ``workflows.engine.expr`` exports; the rest of the engine imports only the package.

- ``substitute(text, scope, where=)``: every ``{{name}}`` (spaces inside the braces
  allowed) is looked up verbatim in ``scope``; every ``{{=expr}}`` is evaluated with the
  scope as nested variables (``inputs.parameters.run-date`` is reachable as
  ``inputs.parameters['run-date']``) and written as Argo v4.1.2's
  ``expressionReplaceCore`` writes it: a string as it is, any other value as
  ``json.Marshal`` prints it (``[1,"a"]``, ``{"a":1}``, ``1000000`` for 1e6; ``1/0``
  fails). Like Argo's template engine, a tag ends at the first ``}}``; values are never
  re-scanned, and a value holding JSON stays that string. A ``None`` in the scope is an
  absent optional (a skipped task's output with no default): an expression sees nil,
  a ``{{name}}`` of it fails, as ``simpleReplaceStrict`` does.
- ``evaluate(expr, variables)``: the expr-lang subset (grammar in ``parser``,
  typing in ``evaluator``, functions in ``functions``), own tokenizer and parser, no
  Python eval and no attribute access. ``evaluate_bool`` is Argo's ``EvalBool``
  (``retryStrategy.expression``); ``evaluate_when`` is Argo's govaluate ``when``, where
  every bare word is a string (``Succeeded == Succeeded`` is true).
- ``evaluate_depends(expr, results)``: ``depends`` (see ``expr.depends``).

Errors: UnresolvedReference (an unknown name), UnsupportedExpression (outside the
subset, longer than 4096 characters or nested deeper than 32), EvaluationError (a
subclass of UnsupportedExpression: the values do not fit, e.g. ``asInt('x')``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from workflows.engine.expr.depends import (
    TaskState,
    dependencies_to_depends,
    depends_tasks,
    evaluate_depends,
)
from workflows.engine.expr.errors import EvaluationError, UnresolvedReference, UnsupportedExpression
from workflows.engine.expr.evaluator import Evaluator, nest
from workflows.engine.expr.functions import ValueFailure, go_json, go_string
from workflows.engine.expr.jsonpath import compile_path
from workflows.engine.expr.parser import Call, Literal, parse, walk

__all__ = [
    "EvaluationError",
    "Tag",
    "TaskState",
    "UnresolvedReference",
    "UnsupportedExpression",
    "dependencies_to_depends",
    "depends_tasks",
    "evaluate",
    "evaluate_bool",
    "evaluate_depends",
    "evaluate_when",
    "substitute",
    "template_tags",
    "validate_expression",
]

_TAG = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


class Tag(NamedTuple):
    """One ``{{...}}`` of a string: ``body`` without braces and spaces, ``=`` removed."""

    expression: bool
    body: str
    text: str


def template_tags(text: str) -> list[Tag]:
    """The tags of ``text`` in order, as ``substitute`` reads them."""
    tags = []
    for match in _TAG.finditer(text):
        body = match.group(1).strip()
        is_expr = body.startswith("=")
        tags.append(Tag(is_expr, body[1:].strip() if is_expr else body, match.group()))
    return tags


def validate_expression(expr: str) -> None:
    """Raise UnsupportedExpression unless ``expr`` parses and each ``jsonpath`` path
    written as a literal is within the supported subset (nothing is evaluated). A path
    computed at run time is checked when it is known."""
    for node in walk(parse(expr)):
        if isinstance(node, Call) and node.function == "jsonpath":
            path = node.args[1]
            if isinstance(path, Literal) and isinstance(path.value, str):
                try:
                    compile_path(path.value)
                except UnsupportedExpression as exc:
                    raise UnsupportedExpression(expr, exc.construct) from None


def evaluate(expr: str, variables: Mapping[str, Any], *, strict: bool = False,
             govaluate: bool = False, missing_keys_nil: bool = False) -> Any:
    """The value of ``expr``. ``variables`` may be nested maps, dotted keys, or both.

    With ``strict`` off a bare word that is not a variable is its own text; with it on
    it raises UnresolvedReference. ``govaluate``: read as a ``when`` (``=~``, ``!~``).
    ``missing_keys_nil``: a map key the variables lack is nil everywhere, as expr-lang
    runs it when Argo calls it with no missing-variable check first
    (``resolveParameter``'s ``valueFrom.expression``); a name they lack still fails.
    """
    tree = parse(expr, govaluate=govaluate)
    evaluator = Evaluator(expr, nest(variables), strict=strict)
    evaluator.guarded = 1 if missing_keys_nil else 0
    return evaluator.value(tree)


def evaluate_bool(expr: str, variables: Mapping[str, Any]) -> bool:
    """Argo's ``EvalBool``: strict names, and the result must be a boolean."""
    return _boolean(expr, evaluate(expr, variables, strict=True))


def evaluate_when(expr: str) -> bool:
    """A substituted ``when``, read as Argo's govaluate does: bare words are strings."""
    return _boolean(expr, evaluate(expr, {}, strict=False, govaluate=True))


def _boolean(expr: str, result: Any) -> bool:
    if not isinstance(result, bool):
        raise EvaluationError(expr, f"expected a boolean result, got {_printed(result)}")
    return result


def _printed(value: Any) -> str:
    try:
        return repr(go_string(value))
    except ValueFailure:
        return type(value).__name__


def substitute(
    text: str, scope: Mapping[str, Any], *, where: str, allow_unresolved: bool = False
) -> str:
    """``text`` with its tags replaced; ``where`` names the field in error messages.

    With ``allow_unresolved`` a tag whose name (or an expression whose variable) is not
    in ``scope`` stays as written, as Argo leaves ``{{workflow.outputs.parameters.x}}``
    of a step that never ran.
    """
    if "{{" not in text:
        return text
    parts: list[str] = []
    env: dict[str, Any] | None = None
    end = 0
    for match in _TAG.finditer(text):
        parts.append(text[end : match.start()])
        end = match.end()
        body = match.group(1).strip()
        if not body.startswith("="):
            if body in scope:
                parts.append(_as_text(scope[body], body, where))
            elif allow_unresolved:
                parts.append(match.group())
            else:
                raise UnresolvedReference(body, where)
            continue
        expr = body[1:].strip()
        try:
            env = nest(scope) if env is None else env
            result = Evaluator(expr, env, strict=True).value(parse(expr))
            parts.append(_expression_text(expr, result))
        except (UnresolvedReference, EvaluationError) as exc:
            if allow_unresolved:
                parts.append(match.group())
                continue
            raise exc.located(where) from None
        except UnsupportedExpression as exc:
            raise exc.located(where) from None
        except ValueFailure as exc:
            raise EvaluationError(expr, str(exc), where) from None
    parts.append(text[end:])
    return "".join(parts)


def _expression_text(expr: str, result: Any) -> str:
    """What ``expressionReplaceCore`` writes for ``result``: nil fails, a string is
    written as is (so is what marshals to a JSON string, a time.Time: its RFC 3339
    text), anything else as its ``json.Marshal`` text (which the template's own
    JSON decoding then reads back: a DEL there, escaped by ``strconv.Quote`` as ``\\x7f``,
    makes the template invalid JSON)."""
    if result is None:
        raise EvaluationError(expr, "the result is nil")
    if isinstance(result, str):
        return result
    try:
        text = go_json(result)
    except ValueFailure as exc:
        raise EvaluationError(expr, f"failed to marshal evaluated expression: {exc}") from None
    if len(text) > 1 and text[0] == text[-1] == '"':
        return str(json.loads(text))  # a time.Time marshals as a JSON string: its text
    if "\x7f" in text:
        raise EvaluationError(expr, "the result was invalid JSON (a DEL character)")
    return text


def _as_text(value: Any, name: str, where: str) -> str:
    if value is None:  # simpleReplaceStrict: a present-but-nil value is a terminal error
        raise EvaluationError(name, "output is an absent optional (skipped/omitted node "
                              "with no default)", where)
    try:
        return go_string(value)
    except ValueFailure as exc:
        raise EvaluationError(name, str(exc), where) from None
