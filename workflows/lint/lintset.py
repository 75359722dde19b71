"""The documents linted together: calls and template references resolved across files.

A ``templateRef`` or ``workflowTemplateRef`` must name a (Cluster)WorkflowTemplate among
the linted documents; when several match (one per environment folder, say) the one in the
caller's namespace and folder wins.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from workflows.lint.argo import ArgoDoc, Call, Template, calls


class LintSet:
    """The Argo documents linted together."""

    def __init__(self, docs: list[ArgoDoc]) -> None:
        self.docs = docs

    def _folder(self, doc: ArgoDoc) -> PurePath:
        return PurePath(doc.doc.file).parent

    def find_template_doc(self, ref: dict[str, Any], caller: ArgoDoc) -> ArgoDoc | None:
        """The (Cluster)WorkflowTemplate a templateRef/workflowTemplateRef names."""
        name = ref.get("name")
        kind = "ClusterWorkflowTemplate" if ref.get("clusterScope") else "WorkflowTemplate"
        found = [d for d in self.docs if d.kind == kind and d.name == name]
        if kind == "WorkflowTemplate":
            # a manifest without a namespace lands in whichever one it is applied to
            found = [d for d in found if None in (d.namespace, caller.namespace)
                     or d.namespace == caller.namespace]
        if not found:
            return None
        return max(found, key=lambda d: (d.namespace == caller.namespace,
                                         self._folder(d) == self._folder(caller)))

    def resolve(self, call: Call, caller: ArgoDoc) -> tuple[ArgoDoc, Template] | None:
        """The document and template a call runs, when they are known."""
        if call.ref is not None:
            target = self.find_template_doc(call.ref, caller)
            template = target.by_name.get(str(call.ref.get("template"))) if target else None
            return (target, template) if target and template else None
        if call.local_name is not None:
            local = caller.by_name.get(call.local_name)
            return (caller, local) if local else None
        return None

    def referrers(self, target: ArgoDoc) -> list[ArgoDoc]:
        """Documents whose workflowTemplateRef points at ``target``."""
        return [d for d in self.docs if d.template_ref
                and self.find_template_doc(d.template_ref, d) is target]

    def callers(self, target: ArgoDoc, template: Template) -> list[tuple[ArgoDoc, Call]]:
        """Every task, step or hook, in any document, that runs ``template`` of ``target``."""
        out = []
        for doc in self.docs:
            for owner in doc.templates:
                for call in calls(owner):
                    resolved = self.resolve(call, doc)
                    if resolved and resolved[0] is target and resolved[1] is template:
                        out.append((doc, call))
        return out

    def entry_doc(self, doc: ArgoDoc) -> ArgoDoc | None:
        """The document whose templates run: itself, or its workflowTemplateRef target."""
        if doc.template_ref is not None:
            return self.find_template_doc(doc.template_ref, doc)
        return doc


def reachable(doc: ArgoDoc, roots: list[str]) -> set[str]:
    """Names of templates of ``doc`` reachable from ``roots`` through local calls."""
    by_name = doc.by_name
    seen: set[str] = set()
    todo = [r for r in roots if r in by_name]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for call in calls(by_name[name]):
            if call.local_name is not None and call.local_name in by_name:
                todo.append(call.local_name)
    return seen
