"""References across documents: a template run through ``templateRef`` runs inside the
caller's workflow, so every ``{{workflow.parameters.X}}`` it (or what it calls) reads must
be declared by the caller. Argo lint lets this through; the run then fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workflows.lint.argo import ArgoDoc, calls
from workflows.lint.expressions import expression_variables, placeholders
from workflows.lint.findings import Finding
from workflows.lint.lintset import LintSet, reachable
from workflows.lint.scope import declared_parameters


def strings(value: Any) -> Iterator[str]:
    """Every string under a parsed YAML node, depth first."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def workflow_parameters_used(doc: ArgoDoc, names: set[str]) -> set[str]:
    """``workflow.parameters.X`` names read by the named templates of ``doc``."""
    used: set[str] = set()
    for t in doc.templates:
        if t.name not in names:
            continue
        for text in strings(t.data):
            tags = placeholders(text)
            variables = [v for tag in tags if tag.startswith("=")
                         for v in expression_variables(tag[1:])]
            for name in [*tags, *variables]:
                parts = name.split(".")
                if len(parts) >= 3 and parts[:2] == ["workflow", "parameters"]:
                    used.add(parts[2])
    return used


def check(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    declared = declared_parameters(lint, adoc)
    for owner in adoc.templates:
        for call in calls(owner):
            resolved = lint.resolve(call, adoc) if call.ref else None
            if resolved is None or resolved[0] is adoc:
                continue
            target, template = resolved
            used = workflow_parameters_used(target, reachable(target, [template.name]))
            for name in sorted(used - declared):
                out.append(adoc.finding(
                    (*call.path, "templateRef"), "unresolved-reference",
                    f"{target.name}/{template.name} reads {{{{workflow.parameters.{name}}}}}, "
                    f"but templateRef runs it in this workflow, which declares no such parameter"))
    return out
