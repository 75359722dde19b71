"""Which variables exist where: the global, template, task, step and metric scopes.

Modelled on Argo's validator (workflow/validate/validate.go) and a little stricter: a DAG
task may only read the outputs of tasks it depends on (Argo lint lets any task through, the
run then fails), ``workflow.parameters.X`` must be declared by the workflow (or by a
CronWorkflow/Workflow that references the template), and ``workflow.failures`` exists only
in the exit handler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.lint.argo import POD_TYPES, ArgoDoc, Template, as_dict, as_list, names_of
from workflows.lint.lintset import LintSet

OUTPUT_TYPES = ("container", "script", "containerSet", "data", "http")
LAST_RETRY = ("lastRetry.exitCode", "lastRetry.status", "lastRetry.duration",
              "lastRetry.message")
METRIC_VARS = ("status", "duration", "exitCode", "retries", "resourcesDuration.cpu",
               "resourcesDuration.memory")
CHECKED_ROOTS = frozenset({"item", "steps", "inputs", "outputs", "pod", "workflow", "tasks",
                           "node", "retries", "lastRetry", "status", "duration", "exitCode",
                           "resourcesDuration"})
_GLOBALS = ("workflow.name", "workflow.namespace", "workflow.uid", "workflow.mainEntrypoint",
            "workflow.serviceAccountName", "workflow.status", "workflow.duration",
            "workflow.scheduledTime", "workflow.creationTimestamp", "workflow.labels",
            "workflow.labels.json", "workflow.annotations", "workflow.annotations.json")


@dataclass
class Scope:
    """Resolvable names; ``open`` prefixes accept anything below them."""

    names: set[str] = field(default_factory=set)
    open: set[str] = field(default_factory=set)
    notes: dict[str, str] = field(default_factory=dict)

    def child(self) -> Scope:
        return Scope(set(self.names), set(self.open), dict(self.notes))

    def resolves(self, name: str, *, as_map: bool = False) -> bool:
        if name in self.names:
            return True
        if any(name == p or name.startswith(p + ".") for p in self.open):
            return True
        # expr reads maps too: inputs.parameters['x'] starts from inputs.parameters
        return as_map and any(n.startswith(name + ".") for n in self.names)

    def note(self, name: str) -> str | None:
        for prefix, text in self.notes.items():
            if name == prefix or name.startswith(prefix + "."):
                return text
        return None


def declared_parameters(lint: LintSet, doc: ArgoDoc) -> set[str]:
    """Workflow parameters ``doc`` declares, with those of documents it references or that
    reference it through workflowTemplateRef."""
    holders = [doc, *lint.referrers(doc)]
    target = lint.entry_doc(doc)
    if target is not None and target is not doc:
        holders.append(target)
    out: set[str] = set()
    for holder in holders:
        out.update(names_of(as_dict(holder.spec.get("arguments")).get("parameters")))
    return out


def global_scope(lint: LintSet, doc: ArgoDoc) -> Scope:
    scope = Scope(set(_GLOBALS), {"workflow.creationTimestamp"})
    if doc.spec.get("priority") is not None:
        scope.names.add("workflow.priority")
    params = declared_parameters(lint, doc)
    if params:
        scope.names.update({"workflow.parameters", "workflow.parameters.json"})
    scope.names.update(f"workflow.parameters.{p}" for p in params)
    for holder in [doc, *lint.referrers(doc)]:
        for meta in (holder.meta, as_dict(holder.spec.get("workflowMetadata"))):
            for kind in ("labels", "annotations"):
                scope.names.update(f"workflow.{kind}.{k}" for k in as_dict(meta.get(kind)))
            scope.names.update(f"workflow.labels.{k}" for k in as_dict(meta.get("labelsFrom")))
    for t in doc.templates:
        outputs = as_dict(t.data.get("outputs"))
        for kind in ("parameters", "artifacts"):
            for item in as_list(outputs.get(kind)):
                glob = as_dict(item).get("globalName")
                if glob and "{{" in str(glob):
                    scope.open.add(f"workflow.outputs.{kind}")
                elif glob:
                    scope.names.add(f"workflow.outputs.{kind}.{glob}")
    return scope


def template_scope(base: Scope, doc: ArgoDoc, t: Template) -> Scope:
    scope = base.child()
    effective = doc.effective(t)
    inputs = as_dict(t.data.get("inputs"))
    params = names_of(inputs.get("parameters"))
    if params:
        scope.names.add("inputs.parameters")
    scope.names.update(f"inputs.parameters.{p}" for p in params)
    for art in names_of(inputs.get("artifacts")):
        scope.names.add(f"inputs.artifacts.{art}")
        if t.is_leaf:
            scope.names.add(f"inputs.artifacts.{art}.path")
    outputs = as_dict(t.data.get("outputs"))
    for p in as_list(outputs.get("parameters")):
        scope.names.add(f"outputs.parameters.{as_dict(p).get('name')}")
        if t.is_leaf and as_dict(as_dict(p).get("valueFrom")).get("path"):
            scope.names.add(f"outputs.parameters.{as_dict(p).get('name')}.path")
    for a in as_list(outputs.get("artifacts")):
        scope.names.add(f"outputs.artifacts.{as_dict(a).get('name')}")
        if t.is_leaf and as_dict(a).get("path"):
            scope.names.add(f"outputs.artifacts.{as_dict(a).get('name')}.path")
    if t.type in OUTPUT_TYPES:
        scope.names.add("outputs.result")
    if t.type in POD_TYPES:
        scope.names.add("pod.name")
    scope.names.add("node.name")
    scope.notes["item"] = "{{item}} exists only in a task or step with withItems, withParam or " \
                          "withSequence"
    if isinstance(effective.get("retryStrategy"), dict):
        scope.names.update(("retries", *LAST_RETRY))
    else:
        scope.notes["retries"] = "{{retries}} needs a retryStrategy on the template"
    return scope


def metric_scope(scope: Scope) -> Scope:
    out = scope.child()
    out.names.update(METRIC_VARS)
    return out


def add_node_outputs(scope: Scope, prefix: str, target: tuple[ArgoDoc, Template] | None,
                     node: dict[str, Any], *, status: bool = True) -> None:
    """What ``tasks.X`` / ``steps.X`` offers, given the template the node runs."""
    scope.names.update(f"{prefix}.{k}" for k in ("id", "startedAt", "finishedAt",
                                                  "hostNodeName", "name"))
    if status:
        scope.names.add(f"{prefix}.status")
    if target is None:  # unresolved call: reported elsewhere, do not pile up findings
        scope.open.add(prefix)
        return
    t = target[1].data
    if t.get("daemon"):
        scope.names.add(f"{prefix}.ip")
    if target[1].type in OUTPUT_TYPES:
        scope.names.update((f"{prefix}.outputs.result", f"{prefix}.exitCode"))
    outputs = as_dict(t.get("outputs"))
    for kind in ("parameters", "artifacts"):
        scope.names.update(f"{prefix}.outputs.{kind}.{n}" for n in names_of(outputs.get(kind)))
    if any(node.get(k) for k in ("withItems", "withParam", "withSequence")):
        scope.names.add(f"{prefix}.outputs.parameters")
        if target[1].type in ("script", "containerSet"):
            scope.names.update((f"{prefix}.outputs.result", f"{prefix}.exitCode"))


def add_items(scope: Scope, node: dict[str, Any]) -> None:
    items = node.get("withItems")
    if isinstance(items, list) and items:
        for item in items:
            if isinstance(item, dict):
                scope.names.update(f"item.{k}" for k in item)
            elif isinstance(item, list):
                scope.names.update(f"item.[{i}]" for i in range(len(item)))
            else:
                scope.names.add("item")
    elif node.get("withParam"):
        scope.names.add("item")
        scope.open.add("item")
    elif node.get("withSequence") is not None:
        scope.names.add("item")
