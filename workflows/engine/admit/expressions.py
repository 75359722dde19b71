"""Admission of a manifest's expressions other than tags: parsed before the run, not evaluated.

``problems(spec, path, doc)`` reads a workflow spec (a Workflow's, a CronWorkflow's
``workflowSpec`` or a WorkflowTemplate's) and returns one ``<doc>: <YAML path>: <why>``
for each expression the engine could not run, ``why`` naming the construct or function
(the ``{{=...}}`` tags are ``tags``' part):

- every ``when`` of a DAG task, a step and a metric. Argo reads these with govaluate
  once their ``{{...}}`` are substituted; here each tag stands for a bare word, so what
  is checked is the expression around the values. govaluate has no functions (Argo's
  ``shouldExecute`` gives it none), so a call there is refused: it belongs in a tag;
- every ``depends`` (``expr.depends``' grammar), whose tasks must be of its DAG, as
  Argo's validation requires;
- every ``retryStrategy.expression`` (expr-lang, as ``evaluate_bool`` runs it).

A value substituted at run time can still make a ``when`` fail to parse; that is data,
not the manifest, and the node errors then as in Argo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from workflows.engine.expr.depends import depends_tasks
from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.parser import (
    Access,
    Array,
    Call,
    Chain,
    Closure,
    Node,
    Ternary,
    Unary,
    parse,
)

_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def problems(spec: Mapping[str, Any], path: str, doc: str) -> list[str]:
    """What the engine cannot parse among the expressions of ``spec``."""
    found: list[str] = []
    for i, tmpl in enumerate(spec.get("templates") or []):
        where = f"{path}.templates[{i}]"
        tasks = (tmpl.get("dag") or {}).get("tasks") or []
        names = {task.get("name") for task in tasks}
        for j, task in enumerate(tasks):
            found += _when(task, f"{where}.dag.tasks[{j}]", doc)
            if task.get("depends"):
                found += _depends(str(task["depends"]), names, f"{where}.dag.tasks[{j}]", doc)
        for g, group in enumerate(tmpl.get("steps") or []):
            for k, step in enumerate(group if isinstance(group, list) else []):
                found += _when(step, f"{where}.steps[{g}][{k}]", doc)
        found += _metrics(tmpl, where, doc)
        expression = (tmpl.get("retryStrategy") or {}).get("expression")
        if expression:
            found += _parsed(str(expression), f"{where}.retryStrategy.expression", doc)
    return found + _metrics(spec, path, doc)


def _parsed(expression: str, where: str, doc: str) -> list[str]:
    try:
        parse(expression)
    except UnsupportedExpression as exc:
        return [f"{doc}: {where}: {exc}"]
    return []


def _when(holder: Any, where: str, doc: str) -> list[str]:
    if not isinstance(holder, Mapping) or not holder.get("when"):
        return []
    text = str(holder["when"])
    # a tag stands for a bare word; after a digit, for digits (so '1{{x}}' stays a number)
    bare = _TAG.sub(lambda m: "0" if text[m.start() - 1 : m.start()].isdigit() else "_v",
                    text)
    try:
        tree = parse(bare)
    except UnsupportedExpression as exc:
        # offsets would point into the stand-in text, not the manifest's
        construct = re.sub(r" at offset \d+", "", exc.construct)
        return [f"{doc}: {where}.when: unsupported when {text!r}: {construct}"]
    calls = sorted(set(_calls(tree)))
    if calls:
        return [f"{doc}: {where}.when: Argo evaluates when with govaluate, which has no "
                f"functions ({', '.join(calls)}): put the call in a {{{{=...}}}} tag"]
    return []


def _calls(node: Node) -> Iterator[str]:
    if isinstance(node, Call | Closure):
        yield node.function
    children: list[Any] = []
    if isinstance(node, Access):
        children = [node.base, *node.steps]
    elif isinstance(node, Call):
        children = list(node.args)
    elif isinstance(node, Closure):
        children = [node.collection, node.predicate]
    elif isinstance(node, Unary):
        children = [node.operand]
    elif isinstance(node, Chain):
        children = [node.first, *(operand for _, operand in node.rest)]
    elif isinstance(node, Ternary):
        children = [node.condition, node.then, node.otherwise]
    elif isinstance(node, Array):
        children = list(node.items)
    for child in children:
        if child is not None and not isinstance(child, str):
            yield from _calls(child)


def _depends(expr: str, names: set[Any], where: str, doc: str) -> list[str]:
    try:
        tasks = depends_tasks(expr)
    except UnsupportedExpression as exc:
        return [f"{doc}: {where}.depends: {exc}"]
    return [f"{doc}: {where}.depends: no task {task!r} in this DAG"
            for task in sorted(tasks - names)]


def _metrics(holder: Mapping[str, Any], where: str, doc: str) -> list[str]:
    found: list[str] = []
    for i, metric in enumerate((holder.get("metrics") or {}).get("prometheus") or []):
        found += _when(metric, f"{where}.metrics.prometheus[{i}]", doc)
    return found
