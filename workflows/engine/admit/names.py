"""Names the engine admits: Argo's rules (:mod:`workflows.argo.names`), checked on load.

Run folders, node ids, pod names and so sandboxes and artifact keys are built from the
workflow's name and its template and task names. A name that Kubernetes or Argo would
refuse (``../x``, ``a/b``) is refused here, before anything is created, with the YAML
path of every such name in one line: ``Workflow/x: spec.templates[1].name: ...``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from workflows.argo.names import (
    field_name_problem,
    generate_name_problem,
    object_name_problem,
    param_name_problem,
)
from workflows.engine.admit.inline import with_inline

Problem = tuple[str, str]  # (YAML path, why)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _named(items: Any, path: str, check: Any, what: str) -> Iterator[Problem]:
    for i, item in enumerate(_list(items)):
        name = _dict(item).get("name")
        if name is not None:
            problem = check(str(name), what)
            if problem:
                yield f"{path}[{i}].name", problem


def _io(holder: Any, path: str) -> Iterator[Problem]:
    for kind in ("parameters", "artifacts"):
        yield from _named(_dict(holder).get(kind), f"{path}.{kind}", param_name_problem,
                          kind[:-1])


def _spec(spec: Mapping[str, Any], path: str) -> Iterator[Problem]:
    yield from _io(spec.get("arguments"), f"{path}.arguments")
    templates = _list(spec.get("templates"))
    yield from _named(templates, f"{path}.templates", field_name_problem, "template")
    for where, found in with_inline(templates, f"{path}.templates"):
        tmpl = _dict(found)
        for side in ("inputs", "outputs"):
            yield from _io(tmpl.get(side), f"{where}.{side}")
        tasks = _list(_dict(tmpl.get("dag")).get("tasks"))
        yield from _named(tasks, f"{where}.dag.tasks", field_name_problem, "task")
        for j, group in enumerate(_list(tmpl.get("steps"))):
            yield from _named(group, f"{where}.steps[{j}]", field_name_problem, "step")


def document_problems(doc: Mapping[str, Any]) -> Iterator[Problem]:
    """(YAML path, why) of each name in one document that Argo would refuse."""
    kind, meta = str(doc.get("kind")), _dict(doc.get("metadata"))
    if meta.get("name") is not None:
        problem = object_name_problem(str(meta["name"]), kind)
        if problem:
            yield "metadata.name", problem
    elif meta.get("generateName") is not None:
        problem = generate_name_problem(str(meta["generateName"]))
        if problem:
            yield "metadata.generateName", problem
    spec = _dict(doc.get("spec"))
    if kind == "CronWorkflow":
        yield from _spec(_dict(spec.get("workflowSpec")), "spec.workflowSpec")
    else:
        yield from _spec(spec, "spec")


def label(doc: Mapping[str, Any]) -> str:
    """``Kind/name``, or only the kind while the name itself is in question."""
    meta = _dict(doc.get("metadata"))
    name = meta.get("name") or meta.get("generateName")
    kind = str(doc.get("kind"))
    bad = name is None or any(p.startswith("metadata.") for p, _ in document_problems(doc))
    return kind if bad else f"{kind}/{name}"


def name_problems(docs: list[dict[str, Any]], kinds: tuple[str, ...]) -> list[str]:
    """``<Kind/name>: <YAML path>: <why>`` for every refused name among ``docs``."""
    out = []
    for doc in docs:
        if isinstance(doc, Mapping) and doc.get("kind") in kinds:
            out += [f"{label(doc)}: {path}: {why}" for path, why in document_problems(doc)]
    return out
