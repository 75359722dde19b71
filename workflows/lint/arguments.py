"""Arguments: every call supplies the inputs its template needs, and nothing it ignores.

An input parameter needs a ``value`` or ``default`` unless the call passes it; an input
artifact needs a location or ``optional: true`` unless the call passes it. A parameter the
template does not declare is silently dropped by Argo, so it is reported (usually a typo).
Workflows and CronWorkflows hand ``spec.arguments`` to their entrypoint the same way.
"""

from __future__ import annotations

from typing import Any

from workflows.lint.argo import ArgoDoc, Template, as_dict, as_list, calls, names_of
from workflows.lint.findings import Finding, Path_
from workflows.lint.lintset import LintSet

ARTIFACT_SOURCES = ("s3", "gcs", "git", "http", "raw", "artifactory", "hdfs", "oss", "azure",
                    "huggingface", "plugin", "from", "fromExpression")


def _has_param_value(param: dict[str, Any]) -> bool:
    return "value" in param or "default" in param or isinstance(param.get("valueFrom"), dict)


def _has_artifact_source(art: dict[str, Any]) -> bool:
    return bool(art.get("optional")) or any(art.get(k) is not None for k in ARTIFACT_SOURCES)


def _supplied(adoc: ArgoDoc, args: dict[str, Any], path: Path_, template: Template,
              who: str, *, strict_names: bool = True) -> list[Finding]:
    """Check the arguments at ``path`` against the inputs of ``template``.

    A task or step (``strict_names``) must give every argument a value and may not pass
    what the template does not declare; a workflow's arguments may hold more than the
    template needs.
    """
    out: list[Finding] = []
    inputs = as_dict(template.data.get("inputs"))
    for kind in ("parameters", "artifacts"):
        declared = {str(i.get("name")): i for i in as_list(inputs.get(kind)) if isinstance(i, dict)}
        passed = {str(a.get("name")): (j, a) for j, a in enumerate(as_list(args.get(kind)))
                  if isinstance(a, dict)}
        has_value = _has_param_value if kind == "parameters" else _has_artifact_source
        for name, item in declared.items():
            if has_value(item) or (name in passed and has_value(passed[name][1])):
                continue
            if name in passed:
                out.append(adoc.finding((*path, kind, passed[name][0]), "argument-missing",
                                        f"{who}: argument {name!r} needs a value for input "
                                        f"{kind[:-1]} {name!r} of template {template.name!r}"))
            else:
                out.append(adoc.finding(path, "argument-missing",
                                        f"{who} does not supply input {kind[:-1]} {name!r} of "
                                        f"template {template.name!r}"))
        if not strict_names:
            continue
        for name, (j, arg) in passed.items():
            if name not in declared:
                out.append(adoc.finding((*path, kind, j), "argument-unknown",
                                        f"template {template.name!r} has no input "
                                        f"{kind[:-1]} {name!r}"))
            elif not has_value(arg) and has_value(declared[name]):
                out.append(adoc.finding((*path, kind, j), "argument-missing",
                                        f"argument {name!r} has no value"))
    return out


def _entry_arguments(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    """A Workflow or CronWorkflow feeds spec.arguments (merged with its template's) to main."""
    if adoc.kind not in ("Workflow", "CronWorkflow"):
        return []
    target = lint.entry_doc(adoc)
    if target is None:
        return []
    entry = adoc.spec.get("entrypoint") or target.spec.get("entrypoint")
    template = target.by_name.get(str(entry))
    if template is None:
        return []
    own = as_dict(adoc.spec.get("arguments"))
    merged: dict[str, Any] = {}
    for kind in ("parameters", "artifacts"):
        mine = [a for a in as_list(own.get(kind)) if isinstance(a, dict)]
        mine_names = set(names_of(mine))
        theirs = [a for a in as_list(as_dict(target.spec.get("arguments")).get(kind))
                  if isinstance(a, dict) and a.get("name") not in mine_names]
        merged[kind] = mine + (theirs if target is not adoc else [])
    return _supplied(adoc, merged, adoc.at("arguments"), template,
                     f"{adoc.kind} {adoc.name!r}", strict_names=False)


def _exit_arguments(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    """Argo runs the exit handler with this document's own spec.arguments as its inputs."""
    target = lint.entry_doc(adoc)
    if target is None:
        return []
    exits = [("onExit", adoc.spec.get("onExit") or target.spec.get("onExit"))]
    exits += [(f"hooks.{name}", as_dict(hook).get("template"))
              for name, hook in as_dict(adoc.spec.get("hooks")).items() if name == "exit"]
    out: list[Finding] = []
    args = as_dict(adoc.spec.get("arguments"))
    for where, name in exits:
        template = target.by_name.get(str(name)) if name else None
        if template is not None:
            out += _supplied(adoc, args, adoc.at("arguments"), template,
                             f"spec.arguments (the inputs of {where} {name!r})",
                             strict_names=False)
    return out


def check(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    out = _entry_arguments(lint, adoc) + _exit_arguments(lint, adoc)
    for owner in adoc.templates:
        for call in calls(owner):
            resolved = lint.resolve(call, adoc)
            if resolved is None:
                continue
            args = as_dict(call.node.get("arguments"))
            label = f"{call.kind} {call.node.get('name') or call.path[-1]!r}"
            out += _supplied(adoc, args, (*call.path, "arguments"), resolved[1], label)
    return out
