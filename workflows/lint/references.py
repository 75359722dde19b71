"""Every ``{{...}}`` placeholder and every variable of an expression resolves in its scope.

Walks each template with the scope Argo gives that part of it (see ``scope``): DAG tasks
see their ancestors' outputs, steps see earlier groups, metrics see ``status``/``duration``,
``retryStrategy.expression`` sees ``lastRetry.*``. Tags outside Argo's roots (a Go template
in a command, say) are left alone, as Argo does.
"""

from __future__ import annotations

from typing import Any

from workflows.lint.argo import ArgoDoc, Call, Template, as_dict, as_list
from workflows.lint.dag import ancestors, dag_tasks
from workflows.lint.expressions import PLACEHOLDER, expression_variables, placeholders, root
from workflows.lint.findings import Finding, Path_
from workflows.lint.lintset import LintSet, reachable
from workflows.lint.scope import (
    CHECKED_ROOTS,
    LAST_RETRY,
    METRIC_VARS,
    Scope,
    add_items,
    add_node_outputs,
    global_scope,
    metric_scope,
    template_scope,
)

_FAILURES = "workflow.failures"


class _Checker:
    def __init__(self, lint: LintSet, adoc: ArgoDoc) -> None:
        self.lint = lint
        self.adoc = adoc
        self.out: list[Finding] = []
        self._seen: set[tuple[Path_, str]] = set()

    def _report(self, path: Path_, name: str, scope: Scope, where: str, expression: bool) -> None:
        if (path, name) in self._seen:
            return
        self._seen.add((path, name))
        note = scope.note(name)
        what = f"expression variable {name}" if expression else f"{{{{{name}}}}}"
        text = f"{what} does not resolve {where}" + (f": {note}" if note else "")
        self.out.append(self.adoc.finding(path, "unresolved-reference", text))

    def text(self, value: str, path: Path_, scope: Scope, where: str, *,
             expression: bool = False) -> None:
        names: list[tuple[str, bool]] = []
        if expression:
            names += [(v, True) for v in expression_variables(PLACEHOLDER.sub(" 0 ", value))]
        for tag in placeholders(value):
            if tag.startswith("="):
                names += [(v, True) for v in expression_variables(tag[1:])]
            elif root(tag) in CHECKED_ROOTS:
                names.append((tag, False))
        for name, as_map in names:
            if not scope.resolves(name, as_map=as_map):
                self._report(path, name, scope, where, as_map)

    def walk(self, value: Any, path: Path_, scope: Scope, where: str) -> None:
        if isinstance(value, str):
            self.text(value, path, scope, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                self.walk(item, (*path, key), scope, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.walk(item, (*path, i), scope, where)

    def node(self, node: dict[str, Any], path: Path_, scope: Scope, self_prefix: str,
             target: tuple[ArgoDoc, Template] | None, where: str) -> None:
        """A DAG task or a step: its hooks also see the node's own outputs."""
        for key, value in node.items():
            if key in ("name", "depends", "dependencies"):
                continue
            if key != "hooks":
                self.walk(value, (*path, key), scope, where)
                continue
            hook_scope = scope.child()
            add_node_outputs(hook_scope, self_prefix, target, node)
            for hook_name, hook in as_dict(value).items():
                hook_path = (*path, "hooks", hook_name)
                for hkey, hvalue in as_dict(hook).items():
                    if hkey == "expression" and isinstance(hvalue, str):
                        self.text(hvalue, (*hook_path, hkey), hook_scope, where, expression=True)
                    else:
                        self.walk(hvalue, (*hook_path, hkey), hook_scope, where)

    def _target(self, t: Template, node: dict[str, Any], path: Path_,
                kind: str) -> tuple[ArgoDoc, Template] | None:
        return self.lint.resolve(Call(t, node, path, kind), self.adoc)

    def dag(self, t: Template, scope: Scope) -> Scope:
        tasks = dag_tasks(t)
        names = [str(task.get("name")) for task in tasks]
        targets = {n: self._target(t, task, t.at("dag", "tasks", i), "task")
                   for i, (n, task) in enumerate(zip(names, tasks, strict=True))}
        anc = ancestors(t)
        for i, (me, task) in enumerate(zip(names, tasks, strict=True)):
            task_scope = scope.child()
            task_scope.names.add("tasks.name")
            for other, other_task in zip(names, tasks, strict=True):
                if other in anc.get(me, set()):
                    add_node_outputs(task_scope, f"tasks.{other}", targets[other], other_task)
                else:
                    task_scope.notes[f"tasks.{other}"] = (
                        "a task cannot read its own outputs" if other == me else
                        f"task {me!r} does not depend on {other!r}; add it to depends")
            add_items(task_scope, task)
            self.node(task, t.at("dag", "tasks", i), task_scope, f"tasks.{me}", targets[me],
                      f"in task {me!r}")
        children = scope.child()
        for n, task in zip(names, tasks, strict=True):
            add_node_outputs(children, f"tasks.{n}", targets[n], task)
        for key, value in as_dict(t.data.get("dag")).items():
            if key != "tasks":
                self.walk(value, t.at("dag", key), children, f"in template {t.name!r}")
        return children

    def steps(self, t: Template, scope: Scope) -> Scope:
        prior = scope.child()
        prior.names.add("steps.name")
        for i, group in enumerate(as_list(t.data.get("steps"))):
            steps = [(j, s) for j, s in enumerate(as_list(group)) if isinstance(s, dict)]
            group_scope = prior.child()
            group_scope.names.update(f"steps.{s.get('name')}.status" for _, s in steps)
            for j, step in steps:
                step_scope = group_scope.child()
                add_items(step_scope, step)
                self.node(step, t.at("steps", i, j), step_scope, f"steps.{step.get('name')}",
                          self._target(t, step, t.at("steps", i, j), "step"),
                          f"in step {step.get('name')!r}")
            for j, step in steps:
                add_node_outputs(prior, f"steps.{step.get('name')}",
                                 self._target(t, step, t.at("steps", i, j), "step"), step)
        return prior

    def template(self, t: Template, base: Scope) -> None:
        scope = template_scope(base, self.adoc, t)
        where = f"in template {t.name!r}"
        children = scope
        if isinstance(t.data.get("dag"), dict):
            children = self.dag(t, scope)
        elif isinstance(t.data.get("steps"), list):
            children = self.steps(t, scope)
        for key, value in t.data.items():
            path = t.at(key)
            if key in ("name", "dag", "steps"):
                continue
            if key == "metrics":
                self.walk(value, path, metric_scope(scope), f"in the metrics of {t.name!r}")
            elif key == "retryStrategy":
                self.retry(value, path, scope, where)
            elif key == "outputs":
                self.outputs(value, path, children, where)
            else:
                self.walk(value, path, scope, where)

    def retry(self, value: Any, path: Path_, scope: Scope, where: str) -> None:
        retry_scope = scope.child()
        retry_scope.names.update(LAST_RETRY)
        for key, item in as_dict(value).items():
            if key == "expression" and isinstance(item, str):
                self.text(item, (*path, key), retry_scope, where, expression=True)
            else:
                self.walk(item, (*path, key), scope, where)

    def outputs(self, value: Any, path: Path_, scope: Scope, where: str) -> None:
        for kind, items in as_dict(value).items():
            for i, item in enumerate(as_list(items)):
                for key, field in as_dict(item).items():
                    here = (*path, kind, i, key)
                    expr = as_dict(field).get("expression") if key == "valueFrom" else None
                    if isinstance(expr, str):
                        self.text(expr, (*here, "expression"), scope, where, expression=True)
                        rest = {k: v for k, v in field.items() if k != "expression"}
                        self.walk(rest, here, scope, where)
                    else:
                        self.walk(field, here, scope, where)

    def spec(self, base: Scope) -> None:
        adoc = self.adoc
        exit_scope = base.child()
        exit_scope.names.add(_FAILURES)
        for key, value in adoc.spec.items():
            path = adoc.at(key)
            if key in ("templates", "templateDefaults"):
                continue
            if key == "metrics":
                workflow_metrics = metric_scope(exit_scope)
                self.walk(value, path, workflow_metrics, "in the workflow metrics")
            elif key == "hooks":
                for name, hook in as_dict(value).items():
                    for hkey, hvalue in as_dict(hook).items():
                        here = (*path, name, hkey)
                        if hkey == "expression" and isinstance(hvalue, str):
                            self.text(hvalue, here, exit_scope, "in workflow hooks",
                                      expression=True)
                        else:
                            self.walk(hvalue, here, exit_scope, "in workflow hooks")
            elif key == "retryStrategy":
                self.retry(value, path, base, "in the workflow retryStrategy")
            else:
                self.walk(value, path, base, f"in spec.{key}")


def check(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    checker = _Checker(lint, adoc)
    base = global_scope(lint, adoc)
    checker.spec(base)
    entry = adoc.spec.get("entrypoint")
    main_path = reachable(adoc, [str(entry)]) if entry else set()
    defaults = adoc.spec.get("templateDefaults")
    if isinstance(defaults, dict):
        lenient = base.child()
        lenient.open.update(("inputs", "outputs", "pod", "node", "retries"))
        lenient.names.update(METRIC_VARS)
        checker.walk(defaults, adoc.at("templateDefaults"), lenient, "in templateDefaults")
    for t in adoc.templates:
        scope = base.child()
        if t.name in main_path:
            scope.notes[_FAILURES] = "workflow.failures is only set for the exit handler (onExit)"
        else:
            scope.names.add(_FAILURES)
        checker.template(t, scope)
    return checker.out
