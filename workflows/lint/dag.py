"""DAG templates: dependencies and ``depends`` name tasks of the same DAG; no cycles.

``depends`` is a boolean expression over ``task`` or ``task.Result`` terms joined by
``&&``, ``||`` and ``!`` with parentheses; ``dependencies`` is a plain list.
"""

from __future__ import annotations

import re
from typing import Any

from workflows.lint.argo import ArgoDoc, Template, as_dict, as_list
from workflows.lint.findings import Finding

RESULTS = ("Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned")
ITEM_RESULTS = ("AnySucceeded", "AllFailed")
_TERM = re.compile(r"^([A-Za-z0-9_][-A-Za-z0-9_]*)(?:\.([A-Za-z]+))?$")
_OPERATORS = re.compile(r"&&|\|\||[!()]")


def parse_depends(text: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(task, result) terms of a depends expression, and the tokens it could not read."""
    terms: list[tuple[str, str | None]] = []
    bad: list[str] = []
    for token in _OPERATORS.sub(" ", text).split():
        match = _TERM.match(token)
        if match:
            terms.append((match.group(1), match.group(2)))
        else:
            bad.append(token)
    return terms, bad


def task_dependencies(task: dict[str, Any]) -> list[str]:
    """Names of the tasks one task waits for."""
    if isinstance(task.get("depends"), str):
        return [name for name, _ in parse_depends(task["depends"])[0]]
    return [str(d) for d in as_list(task.get("dependencies"))]


def dag_tasks(template: Template) -> list[dict[str, Any]]:
    return [t for t in as_list(as_dict(template.data.get("dag")).get("tasks"))
            if isinstance(t, dict)]


def ancestors(template: Template) -> dict[str, set[str]]:
    """For every task, the tasks it (transitively) depends on."""
    deps = {str(t.get("name")): task_dependencies(t) for t in dag_tasks(template)}
    out: dict[str, set[str]] = {}
    for name in deps:
        seen: set[str] = set()
        todo = list(deps[name])
        while todo:
            dep = todo.pop()
            if dep in seen or dep not in deps:
                continue
            seen.add(dep)
            todo.extend(deps[dep])
        out[name] = seen
    return out


def _find_cycle(deps: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in deps.get(node, []):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep in deps and dep not in state:
                found = visit(dep, stack)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in deps:
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def _check_dag(adoc: ArgoDoc, t: Template) -> list[Finding]:
    tasks = dag_tasks(t)
    if not tasks:
        return [adoc.finding(t.at("dag"), "dag-dependency", "a DAG needs at least one task")]
    out: list[Finding] = []
    by_name = {str(task.get("name")): task for task in tasks}
    uses_depends = any("depends" in task for task in tasks)
    for i, task in enumerate(tasks):
        path = t.at("dag", "tasks", i)
        name = str(task.get("name"))
        if name[:1].isdigit():
            out.append(adoc.finding((*path, "name"), "name-format",
                                    f"DAG task name {name!r} cannot begin with a digit"))
        if uses_depends and task.get("dependencies"):
            out.append(adoc.finding((*path, "dependencies"), "dag-dependency",
                                    "a DAG cannot mix 'depends' and 'dependencies'"))
        if uses_depends and task.get("continueOn") is not None:
            out.append(adoc.finding((*path, "continueOn"), "dag-dependency",
                                    "continueOn cannot be used with 'depends'; use "
                                    "'task.Failed' or 'task.Errored' terms"))
        if isinstance(task.get("depends"), str):
            terms, bad = parse_depends(task["depends"])
            for token in bad:
                out.append(adoc.finding((*path, "depends"), "dag-dependency",
                                        f"cannot read {token!r} in depends"))
            for dep, result in terms:
                if dep not in by_name:
                    out.append(adoc.finding((*path, "depends"), "dag-dependency",
                                            f"depends names task {dep!r}, which is not in this "
                                            "DAG"))
                elif result and result not in RESULTS + ITEM_RESULTS:
                    out.append(adoc.finding((*path, "depends"), "dag-dependency",
                                            f"{dep}.{result}: unknown result (use one of "
                                            f"{', '.join(RESULTS + ITEM_RESULTS)})"))
                elif result in ITEM_RESULTS and not any(
                        by_name[dep].get(k) for k in ("withItems", "withParam", "withSequence")):
                    out.append(adoc.finding((*path, "depends"), "dag-dependency",
                                            f"{dep}.{result} needs {dep!r} to loop over items"))
        for j, dep in enumerate(as_list(task.get("dependencies"))):
            if str(dep) not in by_name:
                out.append(adoc.finding((*path, "dependencies", j), "dag-dependency",
                                        f"dependency {dep!r} is not a task of this DAG"))
    target = as_dict(t.data.get("dag")).get("target")
    for name in str(target or "").split():
        if "{{" not in name and name not in by_name:
            out.append(adoc.finding(t.at("dag", "target"), "dag-dependency",
                                    f"target {name!r} is not a task of this DAG"))
    cycle = _find_cycle({n: task_dependencies(task) for n, task in by_name.items()})
    if cycle:
        out.append(adoc.finding(t.at("dag", "tasks"), "dag-cycle",
                                f"dependency cycle: {' -> '.join(cycle)}"))
    return out


def check(adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    for t in adoc.templates:
        if isinstance(t.data.get("dag"), dict):
            out += _check_dag(adoc, t)
    return out
