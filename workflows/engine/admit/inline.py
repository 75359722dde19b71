"""Templates written inline on a DAG task or a step, reached as templates in their own right.

A task's or step's ``inline`` is a whole template (Argo's ``DAGTask.Inline``,
``WorkflowStep.Inline``, returned first by their ``GetTemplate`` in
``templateresolution.TemplateContext.GetTemplate``), so the admission checks walk it as
one: ``with_inline`` gives every template of a list and, depth first, those inline in
it, each with its YAML path (``spec.templates[0].dag.tasks[1].inline``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def with_inline(templates: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(YAML path, template) of each template in ``templates`` and of those inline in it."""
    for i, tmpl in enumerate(templates if isinstance(templates, list) else []):
        yield from _nested(tmpl, f"{path}[{i}]")


def _nested(tmpl: Any, where: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(tmpl, Mapping):
        return
    yield where, tmpl
    dag = tmpl.get("dag")
    tasks = dag.get("tasks") if isinstance(dag, Mapping) else None
    for j, task in enumerate(tasks if isinstance(tasks, list) else []):
        if isinstance(task, Mapping) and "inline" in task:
            yield from _nested(task["inline"], f"{where}.dag.tasks[{j}].inline")
    steps = tmpl.get("steps")
    for g, group in enumerate(steps if isinstance(steps, list) else []):
        for k, step in enumerate(group if isinstance(group, list) else []):
            if isinstance(step, Mapping) and "inline" in step:
                yield from _nested(step["inline"], f"{where}.steps[{g}][{k}].inline")
