"""Templates and calls: entrypoint, onExit, hooks, template types and references.

A call (DAG task, step, hook) must name a template that exists: a local one by
``template``, or one of a (Cluster)WorkflowTemplate among the linted documents by
``templateRef``. Template-level fields Argo validates live here too (deadline, timeout,
podGC).
"""

from __future__ import annotations

from typing import Any

from workflows.argo.durations import is_go_duration
from workflows.lint.argo import ArgoDoc, Call, Template, as_dict, calls
from workflows.lint.durations import is_bare_number, is_templated
from workflows.lint.findings import Finding, Path_
from workflows.lint.lintset import LintSet

PODGC_STRATEGIES = ("OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion",
                    "OnWorkflowSuccess")


def _ref_target(lint: LintSet, adoc: ArgoDoc, ref: dict[str, Any], path: Path_,
                template: str | None) -> list[Finding]:
    kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
    target = lint.find_template_doc(ref, adoc)
    if target is None:
        return [adoc.finding(path, "unknown-workflow-template",
                             f"{kind} {ref.get('name')!r} is not among the linted documents")]
    if template is not None and template not in target.by_name:
        return [adoc.finding(path, "unknown-workflow-template",
                             f"{kind} {ref.get('name')!r} has no template {template!r}")]
    return []


def _call(lint: LintSet, adoc: ArgoDoc, call: Call) -> list[Finding]:
    name, ref = call.local_name, call.ref
    if name is not None and ref is not None:
        return [adoc.finding(call.path, "unknown-template",
                             "set either template or templateRef, not both")]
    if ref is not None:
        return _ref_target(lint, adoc, ref, (*call.path, "templateRef"),
                           str(ref.get("template", "")))
    if name is not None:
        if name not in adoc.by_name:
            return [adoc.finding((*call.path, "template"), "unknown-template",
                                 f"template {name!r} is not defined")]
        return []
    if call.node.get("inline") is None:
        return [adoc.finding(call.path, "unknown-template", f"the {call.kind} names no template")]
    return []


def _hooks(adoc: ArgoDoc, hooks: Any, path: Path_) -> list[Finding]:
    return [adoc.finding((*path, name), "hook-expression",
                         f"hook {name!r} needs an expression (only 'exit' runs without one)")
            for name, hook in as_dict(hooks).items()
            if name != "exit" and not as_dict(hook).get("expression")]


def _entry(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    entry = adoc.spec.get("entrypoint")
    ref = adoc.template_ref
    out: list[Finding] = []
    if ref is not None:
        out += _ref_target(lint, adoc, ref, adoc.at("workflowTemplateRef"), None)
        target = lint.entry_doc(adoc)
        if target is None:
            return out
        if entry and entry not in target.by_name:
            out.append(adoc.finding(adoc.at("entrypoint"), "entrypoint",
                                    f"entrypoint {entry!r} is not a template of "
                                    f"{ref.get('name')!r}"))
        elif not entry and not target.spec.get("entrypoint"):
            out.append(adoc.finding(adoc.at("workflowTemplateRef"), "entrypoint",
                                    f"neither this spec nor {ref.get('name')!r} sets an "
                                    "entrypoint"))
        on_exit = adoc.spec.get("onExit")
        if on_exit and on_exit not in target.by_name:
            out.append(adoc.finding(adoc.at("onExit"), "unknown-template",
                                    f"onExit template {on_exit!r} is not defined"))
        return out
    if not entry:
        if adoc.kind in ("Workflow", "CronWorkflow"):
            out.append(adoc.finding(adoc.spec_path, "entrypoint", "spec.entrypoint is required"))
    elif entry not in adoc.by_name:
        out.append(adoc.finding(adoc.at("entrypoint"), "entrypoint",
                                f"entrypoint {entry!r} is not a defined template"))
    on_exit = adoc.spec.get("onExit")
    if on_exit and on_exit not in adoc.by_name:
        out.append(adoc.finding(adoc.at("onExit"), "unknown-template",
                                f"onExit template {on_exit!r} is not defined"))
    return out


def _spec_hooks(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    out = _hooks(adoc, adoc.spec.get("hooks"), adoc.at("hooks"))
    local = lint.entry_doc(adoc) or adoc
    for name, hook in as_dict(adoc.spec.get("hooks")).items():
        hook = as_dict(hook)
        path = adoc.at("hooks", name)
        if isinstance(hook.get("templateRef"), dict):
            ref = hook["templateRef"]
            out += _ref_target(lint, adoc, ref, (*path, "templateRef"), str(ref.get("template")))
        elif hook.get("template") and hook["template"] not in local.by_name:
            out.append(adoc.finding((*path, "template"), "unknown-template",
                                    f"hook template {hook['template']!r} is not defined"))
    return out


def _deadline(adoc: ArgoDoc, t: Template) -> list[Finding]:
    out = []
    ads = t.data.get("activeDeadlineSeconds")
    if ads is not None:
        if not t.is_leaf:
            out.append(adoc.finding(t.at("activeDeadlineSeconds"), "deadline-format",
                                    f"activeDeadlineSeconds is only valid on leaf templates, "
                                    f"not {t.type}"))
        elif not is_templated(ads) and not (is_bare_number(ads) and int(ads) > 0):
            out.append(adoc.finding(t.at("activeDeadlineSeconds"), "deadline-format",
                                    "activeDeadlineSeconds must be a positive integer, not "
                                    f"{ads!r}"))
    timeout = t.data.get("timeout")
    if timeout is not None and not is_templated(timeout):
        if not t.is_leaf:
            out.append(adoc.finding(t.at("timeout"), "deadline-format",
                                    f"timeout is only valid on leaf templates, not {t.type}"))
        elif not is_go_duration(timeout):
            out.append(adoc.finding(t.at("timeout"), "deadline-format",
                                    f"timeout {timeout!r} is not a duration such as '30m'"))
    return out


def check(lint: LintSet, adoc: ArgoDoc) -> list[Finding]:
    out = _entry(lint, adoc) + _spec_hooks(lint, adoc)
    wf_deadline = adoc.spec.get("activeDeadlineSeconds")
    if is_bare_number(wf_deadline) and int(str(wf_deadline)) <= 0:
        out.append(adoc.finding(adoc.at("activeDeadlineSeconds"), "deadline-format",
                                "the workflow's activeDeadlineSeconds must be positive"))
    strategy = as_dict(adoc.spec.get("podGC")).get("strategy")
    if strategy and strategy not in PODGC_STRATEGIES:
        out.append(adoc.finding(adoc.at("podGC", "strategy"), "podgc-strategy",
                                f"{strategy!r} is not one of {', '.join(PODGC_STRATEGIES)}"))
    for t in adoc.templates:
        types = t.types
        if len(types) != 1:
            what = "no template type" if not types else f"several types ({', '.join(types)})"
            out.append(adoc.finding(t.path, "template-type",
                                    f"template {t.name!r} has {what}; it needs exactly one"))
        out += _deadline(adoc, t)
        for call in calls(t):
            out += _call(lint, adoc, call)
            if call.kind != "hook":
                out += _hooks(adoc, call.node.get("hooks"), (*call.path, "hooks"))
            on_exit = call.node.get("onExit")
            if on_exit and on_exit not in adoc.by_name:
                out.append(adoc.finding((*call.path, "onExit"), "unknown-template",
                                        f"onExit template {on_exit!r} is not defined"))
    return out
