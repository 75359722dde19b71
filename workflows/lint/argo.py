"""A read-only model of Argo documents: templates, calls between them, and the lint set.

Checks work on ``ArgoDoc``: one Workflow, WorkflowTemplate, ClusterWorkflowTemplate or
CronWorkflow (a CronWorkflow's ``spec.workflowSpec`` is its spec), its ``Template``s and
the ``Call``s (tasks, steps, hooks) they make. ``lintset`` resolves calls across documents.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from workflows.lint.findings import Finding, Path_
from workflows.lint.loader import Document

TEMPLATE_TYPES = ("container", "containerSet", "steps", "script", "resource", "dag", "suspend",
                  "data", "http", "plugin")
POD_TYPES = ("container", "containerSet", "script", "resource", "data")
CONTAINER_TYPES = ("container", "script", "containerSet")
WORKFLOW_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
TEMPLATE_KINDS = ("WorkflowTemplate", "ClusterWorkflowTemplate")


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def names_of(items: Any) -> list[str]:
    return [str(i["name"]) for i in as_list(items) if isinstance(i, dict) and "name" in i]


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``; mappings merge, everything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@dataclass
class Template:
    """One entry of ``spec.templates``."""

    index: int
    data: dict[str, Any]
    path: Path_

    @property
    def name(self) -> str:
        return str(self.data.get("name", ""))

    @property
    def types(self) -> list[str]:
        return [t for t in TEMPLATE_TYPES if self.data.get(t) is not None]

    @property
    def type(self) -> str | None:
        types = self.types
        return types[0] if types else None

    @property
    def is_leaf(self) -> bool:
        return self.type not in ("dag", "steps")

    def at(self, *rest: str | int) -> Path_:
        return (*self.path, *rest)


@dataclass
class Call:
    """A DAG task, a step, or a lifecycle hook that runs a template."""

    owner: Template
    node: dict[str, Any]
    path: Path_
    kind: str  # "task", "step" or "hook"

    @property
    def local_name(self) -> str | None:
        name = self.node.get("template")
        return str(name) if isinstance(name, str) else None

    @property
    def ref(self) -> dict[str, Any] | None:
        ref = self.node.get("templateRef")
        return ref if isinstance(ref, dict) else None


def _hook_calls(owner: Template, node: dict[str, Any], path: Path_) -> Iterator[Call]:
    for hook_name, hook in as_dict(node.get("hooks")).items():
        if isinstance(hook, dict):
            yield Call(owner, hook, (*path, "hooks", hook_name), "hook")


def calls(template: Template) -> list[Call]:
    """Every call made by a dag or steps template, with its path."""
    out: list[Call] = []
    for i, task in enumerate(as_list(as_dict(template.data.get("dag")).get("tasks"))):
        if isinstance(task, dict):
            path = template.at("dag", "tasks", i)
            out.append(Call(template, task, path, "task"))
            out.extend(_hook_calls(template, task, path))
    for i, group in enumerate(as_list(template.data.get("steps"))):
        for j, step in enumerate(as_list(group)):
            if isinstance(step, dict):
                path = template.at("steps", i, j)
                out.append(Call(template, step, path, "step"))
                out.extend(_hook_calls(template, step, path))
    return out


@dataclass
class ArgoDoc:
    """An Argo document that holds (or references) a workflow spec."""

    doc: Document
    kind: str
    spec_path: Path_
    spec: dict[str, Any]
    templates: list[Template] = field(default_factory=list)

    @property
    def meta(self) -> dict[str, Any]:
        return as_dict(self.doc.data.get("metadata"))

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.meta.get("generateName") or "")

    @property
    def namespace(self) -> str | None:
        ns = self.meta.get("namespace")
        return str(ns) if ns else None

    @property
    def by_name(self) -> dict[str, Template]:
        return {t.name: t for t in self.templates}

    @property
    def template_ref(self) -> dict[str, Any] | None:
        ref = self.spec.get("workflowTemplateRef")
        return ref if isinstance(ref, dict) else None

    def at(self, *rest: str | int) -> Path_:
        return (*self.spec_path, *rest)

    def effective(self, template: Template) -> dict[str, Any]:
        """The template with ``spec.templateDefaults`` merged under it, as Argo runs it."""
        defaults = as_dict(self.spec.get("templateDefaults"))
        return deep_merge(defaults, template.data) if defaults else template.data

    def finding(self, path: Path_, rule: str, message: str) -> Finding:
        return self.doc.finding(path, rule, message)


def argo_doc(doc: Document) -> ArgoDoc | None:
    kind = doc.data.get("kind")
    if kind not in WORKFLOW_KINDS:
        return None
    spec_path: Path_ = ("spec", "workflowSpec") if kind == "CronWorkflow" else ("spec",)
    spec: Any = doc.data
    for key in spec_path:
        spec = as_dict(spec).get(str(key))
    spec = as_dict(spec)
    templates = [Template(i, t, (*spec_path, "templates", i))
                 for i, t in enumerate(as_list(spec.get("templates"))) if isinstance(t, dict)]
    return ArgoDoc(doc, str(kind), spec_path, spec, templates)
