"""Admission of a manifest's expressions other than tags: parsed before the run, not evaluated.

``problems(spec, path, doc)`` reads a workflow spec (a Workflow's, a CronWorkflow's
``workflowSpec`` or a WorkflowTemplate's) and returns one ``<doc>: <YAML path>: <why>``
for each expression the engine could not run, ``why`` naming the construct or function
(the ``{{=...}}`` tags are ``tags``' part):

- every ``when`` of a DAG task, a step and a metric. Argo reads these with govaluate
  once their ``{{...}}`` are substituted; here each tag stands for a bare word, so what
  is checked is the expression around the values. govaluate has no functions (Argo's
  ``shouldExecute`` gives it none), so a call there is refused: it belongs in a tag.
  The pattern of a ``=~``/``!~`` must be written in the manifest (a tag would give it
  only at run time) and within ``go_regexp``'s subset, where Go and Python agree;
- every ``depends`` (``expr.depends``' grammar), whose tasks must be of its DAG, as
  Argo's validation requires;
- every ``retryStrategy.expression`` (expr-lang, as ``evaluate_bool`` runs it), with
  its literal ``jsonpath`` paths (``validate_expression``);
- every ``workflowMetadata.labelsFrom.<label>.expression`` (expr-lang, as
  ``workflows.engine.labels_from`` runs it).

A value substituted at run time can still make a ``when`` fail to parse; that is data,
not the manifest, and the node errors then as in Argo.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from workflows.engine.admit.inline import with_inline
from workflows.engine.expr.depends import depends_tasks
from workflows.engine.expr.errors import UnsupportedExpression
from workflows.engine.expr.expressions import validate_expression
from workflows.engine.expr.go_regexp import compile_go
from workflows.engine.expr.parser import Call, Chain, Closure, Literal, Name, Node, children, parse

_TAG = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_STAND_IN = "_cadencia_tag_"  # what a tag stands for in a when: a bare word


def problems(spec: Mapping[str, Any], path: str, doc: str) -> list[str]:
    """What the engine cannot parse among the expressions of ``spec``."""
    found: list[str] = []
    for where, tmpl in with_inline(spec.get("templates") or [], f"{path}.templates"):
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
    return found + _metrics(spec, path, doc) + _labels_from(spec, path, doc)


def _labels_from(spec: Mapping[str, Any], path: str, doc: str) -> list[str]:
    meta = spec.get("workflowMetadata")
    given = meta.get("labelsFrom") if isinstance(meta, Mapping) else None
    if given is None:
        return []
    where = f"{path}.workflowMetadata.labelsFrom"
    if not isinstance(given, Mapping):
        return [f"{doc}: {where}: must be a mapping of label names to {{expression: ...}}"]
    found = []
    for name, source in given.items():
        if not isinstance(source, Mapping) or set(source) - {"expression"}:
            found.append(f"{doc}: {where}.{name}: must be {{expression: ...}}")
        else:
            found += _parsed(str(source.get("expression") or ""), f"{where}.{name}.expression",
                             doc)
    return found


def _parsed(expression: str, where: str, doc: str) -> list[str]:
    try:
        validate_expression(expression)
    except UnsupportedExpression as exc:
        return [f"{doc}: {where}: {exc}"]
    return []


def _when(holder: Any, where: str, doc: str) -> list[str]:
    if not isinstance(holder, Mapping) or not holder.get("when"):
        return []
    text = str(holder["when"])
    # a tag stands for a bare word; after a digit, for digits (so '1{{x}}' stays a number)
    bare = _TAG.sub(lambda m: "0" if text[m.start() - 1 : m.start()].isdigit() else _STAND_IN,
                    text)
    try:
        tree = parse(bare, govaluate=True)
    except UnsupportedExpression as exc:
        # offsets would point into the stand-in text, not the manifest's
        construct = re.sub(r" at offset \d+", "", exc.construct)
        return [f"{doc}: {where}.when: unsupported when {text!r}: {construct}"]
    calls = sorted(set(_calls(tree)))
    if calls:
        return [f"{doc}: {where}.when: Argo evaluates when with govaluate, which has no "
                f"functions ({', '.join(calls)}): put the call in a {{{{=...}}}} tag"]
    return [f"{doc}: {where}.when: {why}" for why in _patterns(tree, text)]


def _patterns(node: Node, text: str) -> Iterator[str]:
    """Why each ``=~``/``!~`` pattern of the tree cannot be run faithfully."""
    if isinstance(node, Chain) and any(op in ("=~", "!~") for op, _ in node.rest):
        operands = [node.first, *(operand for _, operand in node.rest)]
        if any(isinstance(o, Literal) and o.value is None for o in operands):
            # govaluate reads nil as a variable, so the word 'nil'; expr-lang as nil
            yield f"nil beside =~ or !~ in {text!r}: quote it ('nil')"
    if isinstance(node, Chain):
        for op, operand in node.rest:
            if op not in ("=~", "!~"):
                continue
            if isinstance(operand, Name) and _STAND_IN not in operand.name:
                pattern: Any = operand.name
            elif isinstance(operand, Literal) and _STAND_IN not in str(operand.value):
                pattern = operand.value
            else:
                yield (f"the pattern of {op} in {text!r} must be a literal string: one "
                       "substituted at run time could use regexp syntax that Go and Python "
                       "read differently")
                continue
            if isinstance(pattern, str):
                try:
                    compile_go(pattern)
                except UnsupportedExpression as exc:
                    yield f"{op} {pattern!r}: {exc.construct}"
    for child in children(node):
        yield from _patterns(child, text)


def _calls(node: Node) -> Iterator[str]:
    if isinstance(node, Call | Closure):
        yield node.function
    for child in children(node):
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
