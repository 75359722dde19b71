"""The refusal check: every field the engine does not implement, found before running.

``check(docs, entry)`` walks the entry document and every WorkflowTemplate it reaches
through ``workflowTemplateRef``/``templateRef`` against ``schema``, plus what the schema
cannot say (one template type each, existing templates and dependencies, no cycles,
parsable retry and memoize durations, metric names, a containerSet's containers:
``container_set``). It returns the problems, each
``<Kind>/<name>: <YAML path>: <why>``, and the cluster-only fields that were accepted
(listed in the run record, never silently dropped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.argo.durations import parse_go_duration
from workflows.argo.names import METRIC_NAME
from workflows.engine.admit import container_set, expressions, tags
from workflows.engine.admit import schema as s
from workflows.engine.admit.inline import with_inline
from workflows.engine.admit.load import index, pick_entry
from workflows.engine.expr import UnsupportedExpression, validate_expression
from workflows.engine.retry_policy import RetryStrategy

TEMPLATE_TYPES = ("container", "dag", "steps", "script", "resource", "suspend", "http",
                  "plugin", "containerSet", "data")


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    cluster_only: list[str] = field(default_factory=list)


def _walk(value: Any, sch: Any, path: str, doc: str, out: Findings) -> None:
    if sch is s.ANY:
        return
    if sch is s.CLUSTER:
        out.cluster_only.append(f"{doc}: {path}")
        return
    if isinstance(sch, s.Refuse):
        out.problems.append(f"{doc}: {path}: {sch.reason}")
        return
    if sch is s.VOLUMES:
        _volumes(value, path, doc, out)
        return
    if sch is s.HOOKS:
        _hooks(value, path, doc, out)
        return
    if sch is s.INLINE:
        _walk(value, s.TEMPLATE, path, doc, out)
        return
    if isinstance(sch, s.ListOf):
        if not isinstance(value, list):
            out.problems.append(f"{doc}: {path}: must be a list")
            return
        for i, item in enumerate(value):
            _walk(item, sch.item, f"{path}[{i}]", doc, out)
        return
    if not isinstance(value, Mapping):
        out.problems.append(f"{doc}: {path}: must be a mapping")
        return
    for key, sub in value.items():
        if key not in sch:
            out.problems.append(f"{doc}: {path}.{key}: {key} {s.NOT_LOCAL}")
        else:
            _walk(sub, sch[key], f"{path}.{key}", doc, out)


def _volumes(value: Any, path: str, doc: str, out: Findings) -> None:
    for i, volume in enumerate(value or []):
        kinds = [k for k in volume if k != "name"]
        if kinds != ["emptyDir"]:
            out.problems.append(f"{doc}: {path}[{i}]: only emptyDir volumes are implemented "
                                f"locally (got {', '.join(kinds) or 'nothing'})")


def _hooks(value: Any, path: str, doc: str, out: Findings) -> None:
    for name, hook in (value or {}).items():
        if name != "exit" or "expression" in (hook or {}):
            out.problems.append(f"{doc}: {path}.{name}: lifecycle hooks with an expression "
                                "are not implemented by the local engine (only hooks.exit)")
        else:
            _walk(hook, {"template": s.ANY, "templateRef": s.TASK["templateRef"],
                         "arguments": s.ARGUMENTS}, f"{path}.{name}", doc, out)


def _templates(spec: Mapping[str, Any], path: str, doc: str, library: Mapping[str, Any],
               out: Findings) -> list[str]:
    """Semantic checks of the templates; returns the WorkflowTemplates they reference."""
    names = {t.get("name") for t in spec.get("templates") or []}
    refs: list[str] = []

    def reference(holder: Mapping[str, Any], where: str) -> None:
        if "inline" in holder:
            # GetTemplate would take the inline template and ignore the other
            others = [key for key in ("template", "templateRef") if key in holder]
            if others:
                out.problems.append(f"{doc}: {where}.inline: an inline template with "
                                    f"{' and '.join(others)}: Argo wants only one")
            return
        if "templateRef" in holder:
            ref = holder["templateRef"] or {}
            target = library.get(str(ref.get("name")))
            if target is None:
                out.problems.append(f"{doc}: {where}.templateRef: no WorkflowTemplate "
                                    f"{ref.get('name')!r} among the documents")
            elif ref.get("template") not in {t.get("name") for t in target.get("templates")
                                             or []}:
                out.problems.append(f"{doc}: {where}.templateRef: WorkflowTemplate "
                                    f"{ref.get('name')!r} has no template "
                                    f"{ref.get('template')!r}")
            else:
                refs.append(ref["name"])
        elif holder.get("template") not in names:
            out.problems.append(f"{doc}: {where}.template: no template "
                                f"{holder.get('template')!r}")

    for key in ("entrypoint", "onExit"):
        if key in spec and spec[key] not in names:
            out.problems.append(f"{doc}: {path}.{key}: no template {spec[key]!r}")
    hook = ((spec.get("hooks") or {}).get("exit"))
    if hook:
        reference(hook, f"{path}.hooks.exit")
    for where, tmpl in with_inline(spec.get("templates") or [], f"{path}.templates"):
        kinds = [k for k in TEMPLATE_TYPES if k in tmpl]
        if len(kinds) != 1:
            out.problems.append(f"{doc}: {where}: a template needs exactly one of container, "
                                f"script, dag (template {tmpl.get('name')!r} has "
                                f"{', '.join(kinds) or 'none'})")
        _template_fields(tmpl, where, doc, out, spec.get("volumes") or [])
        volumes = {v.get("name") for v in [*(tmpl.get("volumes") or []),
                                           *(spec.get("volumes") or [])]}
        out.problems += [f"{doc}: {p}" for p in
                         container_set.problems(tmpl, where, volumes, _cycle)]
        tasks = (tmpl.get("dag") or {}).get("tasks") or []
        task_names = [t.get("name") for t in tasks]
        for j, task in enumerate(tasks):
            reference(task, f"{where}.dag.tasks[{j}]")
            for dep in task.get("dependencies") or []:
                if dep not in task_names:
                    out.problems.append(f"{doc}: {where}.dag.tasks[{j}].dependencies: no "
                                        f"task {dep!r}")
        cycle = _cycle(tasks)
        if cycle:
            out.problems.append(f"{doc}: {where}.dag: dependency cycle "
                                f"{' -> '.join(cycle)}")
        _steps(tmpl, where, doc, out, reference)
    return refs


def _steps(tmpl: Mapping[str, Any], where: str, doc: str, out: Findings,
           reference: Callable[[Mapping[str, Any], str], None]) -> None:
    """A steps template's references and step names (unique in the template, as Argo's
    validateSteps wants: ``steps.X`` names one step); outputs read from the children's
    scope (``valueFrom.parameter``/``expression``, artifact ``from``/``fromExpression``)
    only in dag and steps templates, their expressions within the supported subset."""
    seen: set[Any] = set()
    for i, group in enumerate(tmpl.get("steps") or []):
        for j, step in enumerate(group or []):
            at = f"{where}.steps[{i}][{j}]"
            if not isinstance(step, Mapping):
                continue
            reference(step, at)
            hook = (step.get("hooks") or {}).get("exit")
            if isinstance(hook, Mapping):
                reference(hook, f"{at}.hooks.exit")
            if step.get("onExit"):
                reference({"template": step["onExit"]}, f"{at}.onExit")
            if step.get("name") in seen:
                out.problems.append(f"{doc}: {at}.name: {step.get('name')!r} is not unique")
            seen.add(step.get("name"))
    outputs = tmpl.get("outputs") or {}
    from_scope = [(f"outputs.parameters[{k}].valueFrom.{key}", (p.get("valueFrom") or {})[key])
                  for k, p in enumerate(outputs.get("parameters") or [])
                  for key in ("parameter", "expression") if key in (p.get("valueFrom") or {})]
    from_scope += [(f"outputs.artifacts[{k}].{key}", a[key])
                   for k, a in enumerate(outputs.get("artifacts") or [])
                   for key in ("from", "fromExpression") if key in a]
    for at, text in from_scope:
        if "steps" not in tmpl and "dag" not in tmpl:
            out.problems.append(f"{doc}: {where}.{at}: read only in dag and steps templates "
                                "by the local engine")
        elif at.endswith(("expression", "Expression")):
            try:
                validate_expression(str(text))
            except UnsupportedExpression as exc:
                out.problems.append(f"{doc}: {where}.{at}: {exc}")


def _template_fields(tmpl: Mapping[str, Any], where: str, doc: str, out: Findings,
                     workflow_volumes: list[Any]) -> None:
    if tmpl.get("retryStrategy") is not None:
        try:
            RetryStrategy.parse(tmpl["retryStrategy"])
        except (ValueError, TypeError) as exc:
            out.problems.append(f"{doc}: {where}.retryStrategy: {exc}")
    memo = tmpl.get("memoize")
    if memo is not None:
        for key in ("key", "maxAge"):
            if not memo.get(key):
                out.problems.append(f"{doc}: {where}.memoize.{key}: required")
        if not ((memo.get("cache") or {}).get("configMap") or {}).get("name"):
            out.problems.append(f"{doc}: {where}.memoize.cache.configMap.name: required")
        try:
            parse_go_duration(str(memo.get("maxAge", "")))
        except ValueError as exc:
            out.problems.append(f"{doc}: {where}.memoize.maxAge: {exc}")
    _metrics(tmpl.get("metrics"), f"{where}.metrics", doc, out)
    _root_paths(tmpl, where, doc, out)
    for side in ("inputs", "outputs"):
        for k, art in enumerate((tmpl.get(side) or {}).get("artifacts") or []):
            if str(((art or {}).get("s3") or {}).get("key", "")).endswith("/"):
                out.problems.append(f"{doc}: {where}.{side}.artifacts[{k}].s3.key: a key "
                                    "ending in / (a folder of objects, listed by prefix) "
                                    f"{s.NOT_LOCAL}")
    volumes = {v.get("name") for v in [*(tmpl.get("volumes") or []), *workflow_volumes]}
    main = "container" if "container" in tmpl else "script"
    for k, mount in enumerate((tmpl.get(main) or {}).get("volumeMounts") or []):
        if mount.get("name") not in volumes:
            out.problems.append(f"{doc}: {where}.{main}.volumeMounts[{k}]: no volume "
                                f"{mount.get('name')!r} in this template or the workflow")


def _root_paths(tmpl: Mapping[str, Any], where: str, doc: str, out: Findings) -> None:
    """A declared file directly in / (``/result.txt``): a pod's filesystem maps the folders
    of its declared paths, and / is not one, so such a file could not be written there."""
    inputs, outputs = tmpl.get("inputs") or {}, tmpl.get("outputs") or {}
    declared = [(f"inputs.artifacts[{k}].path", a.get("path"))
                for k, a in enumerate(inputs.get("artifacts") or [])]
    declared += [(f"outputs.artifacts[{k}].path", a.get("path"))
                 for k, a in enumerate(outputs.get("artifacts") or [])]
    declared += [(f"outputs.parameters[{k}].valueFrom.path", (p.get("valueFrom") or {}).get("path"))
                 for k, p in enumerate(outputs.get("parameters") or [])]
    for at, path in declared:
        text = str(path or "").rstrip("/")
        if text.startswith("/") and text.count("/") == 1 and "{{" not in text:
            out.problems.append(f"{doc}: {where}.{at}: a path directly in / ({text}) "
                                f"{s.NOT_LOCAL}; declare it in a folder (/tmp{text})")


def _metrics(metrics: Any, where: str, doc: str, out: Findings) -> None:
    for i, metric in enumerate((metrics or {}).get("prometheus") or []):
        if not METRIC_NAME.match(str(metric.get("name", ""))):
            out.problems.append(f"{doc}: {where}.prometheus[{i}].name: "
                                f"{metric.get('name')!r} is not a valid metric name")
        if not metric.get("help"):
            out.problems.append(f"{doc}: {where}.prometheus[{i}].help: required")
        kinds = [k for k in ("gauge", "counter", "histogram") if k in metric]
        if len(kinds) != 1:
            out.problems.append(f"{doc}: {where}.prometheus[{i}]: needs exactly one of gauge, "
                                "counter, histogram")
        for j, label in enumerate(metric.get("labels") or []):
            if not METRIC_NAME.match(str(label.get("key", ""))):
                out.problems.append(f"{doc}: {where}.prometheus[{i}].labels[{j}].key: "
                                    f"{label.get('key')!r} is not a valid label name")


def _cycle(tasks: list[Mapping[str, Any]]) -> list[str]:
    names = {t.get("name") for t in tasks}  # once: per task, it made a big DAG quadratic
    deps = {str(t.get("name")): list(t.get("dependencies") or []) + _depends_names(t, names)
            for t in tasks}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> list[str]:
        state[name] = 1
        stack.append(name)
        for dep in deps.get(name, []):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep in deps and not state.get(dep):
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[name] = 2
        return []

    for name in deps:
        if not state.get(name):
            found = visit(name)
            if found:
                return found
    return []


def _depends_names(task: Mapping[str, Any], names: set[Any]) -> list[str]:
    words = re.findall(r"[A-Za-z0-9_-]+", str(task.get("depends") or ""))
    return [w for w in words if w in names]


def check(docs: list[dict[str, Any]], entry: str | None) -> Findings:
    """Problems and cluster-only fields of the entry and what it reaches."""
    out = Findings()
    indexed = index(docs)
    chosen = pick_entry(indexed, entry)
    library = {name: d.get("spec") or {} for (kind, name), d in indexed.items()
               if kind == "WorkflowTemplate"}
    todo = [chosen]
    seen: set[tuple[str, str]] = set()
    while todo:
        doc = todo.pop()
        kind, name = doc["kind"], (doc.get("metadata") or {}).get("name", "")
        if (kind, name) in seen:
            continue
        seen.add((kind, name))
        label = f"{kind}/{name}"
        spec = doc.get("spec") or {}
        if kind == "CronWorkflow":
            _walk(spec, s.CRON_SPEC, "spec", label, out)
            spec, path = spec.get("workflowSpec") or {}, "spec.workflowSpec"
        else:
            _walk(spec, s.WORKFLOW_SPEC, "spec", label, out)
            path = "spec"
        ref = (spec.get("workflowTemplateRef") or {}).get("name")
        refs = [ref] if ref else []
        if ref and ref not in library:
            out.problems.append(f"{label}: {path}.workflowTemplateRef: no WorkflowTemplate "
                                f"{ref!r} among the documents")
            refs = []
        if doc is chosen and not ref and "entrypoint" not in spec:
            out.problems.append(f"{label}: {path}.entrypoint: required")
        refs += _templates(spec, path, label, library, out)
        out.problems += tags.problems(spec, path, label)
        out.problems += expressions.problems(spec, path, label)
        todo += [indexed[("WorkflowTemplate", r)] for r in refs]
    return out
