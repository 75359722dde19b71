"""The refusal check: every field the engine does not implement, found before running.

``check(docs, entry)`` walks the entry document and every WorkflowTemplate and
ClusterWorkflowTemplate it reaches through ``workflowTemplateRef``/``templateRef``
(``clusterScope: true`` names the latter) against ``schema``, plus what the schema
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
from workflows.engine.admit import container_set, expressions, pod_fields, supplied, tags
from workflows.engine.admit import schema as s
from workflows.engine.admit.inline import with_inline
from workflows.engine.admit.library import Library, TemplateSource, ref_source
from workflows.engine.admit.load import index, library_of, pick_entry
from workflows.engine.config_maps import ConfigMaps
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
    if isinstance(sch, s.Checked):
        out.cluster_only.append(f"{doc}: {path}")
        out.problems += pod_fields.problems(sch.kind, value, path, doc)
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
        if value is None:  # Go unmarshals null as an empty (nil) list
            return
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
                         "arguments": s.TASK_ARGUMENTS}, f"{path}.{name}", doc, out)


def _source(ref: Mapping[str, Any], where: str, doc: str, out: Findings
            ) -> TemplateSource | None:
    """The template document a reference names; None (a problem) when ``clusterScope``
    is not a boolean, which Argo's JSON decoding of the manifest rejects."""
    if "clusterScope" in ref and not isinstance(ref["clusterScope"], bool):
        out.problems.append(f"{doc}: {where}.clusterScope: must be true or false (got "
                            f"{ref['clusterScope']!r})")
        return None
    return ref_source(ref)


def _templates(spec: Mapping[str, Any], path: str, doc: str, library: Library,
               out: Findings, entry_in: set[Any] | None = None,
               config_maps: ConfigMaps | None = None) -> list[TemplateSource]:
    """Semantic checks of the templates; returns the template documents they reference.
    ``entry_in``: the template names ``entrypoint``/``onExit`` may name, when they are
    not the spec's own (a workflowTemplateRef's)."""
    names = {t.get("name") for t in spec.get("templates") or []}
    refs: list[TemplateSource] = []
    config_maps = config_maps or ConfigMaps()

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
            source = _source(ref, f"{where}.templateRef", doc, out)
            target = library.get(source) if source else None
            if source is None:
                pass
            elif target is None:
                out.problems.append(f"{doc}: {where}.templateRef: no {source.kind} "
                                    f"{source.name!r} among the documents")
            elif ref.get("template") not in {t.get("name") for t in target.get("templates")
                                             or []}:
                out.problems.append(f"{doc}: {where}.templateRef: {source.kind} "
                                    f"{source.name!r} has no template "
                                    f"{ref.get('template')!r}")
            else:
                refs.append(source)
        elif holder.get("template") not in names:
            out.problems.append(f"{doc}: {where}.template: no template "
                                f"{holder.get('template')!r}")

    _config_map_values((spec.get("arguments") or {}).get("parameters"),
                       f"{path}.arguments.parameters", doc, out)
    _synchronization(spec.get("synchronization"), f"{path}.synchronization", doc, out,
                     config_maps)
    for key in ("entrypoint", "onExit"):
        if spec.get(key) and spec[key] not in (names if entry_in is None else entry_in):
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
        _config_map_values((tmpl.get("inputs") or {}).get("parameters"),
                           f"{where}.inputs.parameters", doc, out)
        _synchronization(tmpl.get("synchronization"), f"{where}.synchronization", doc, out,
                         config_maps)
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


def _config_map_values(params: Any, path: str, doc: str, out: Findings) -> None:
    """A parameter's ``valueFrom`` reads a ConfigMap (``configMapKeyRef``) or is refused:
    its other sources are refused by the schema, and a lone ``default`` is what Argo's
    validation rejects for an argument (``valueFrom only allows: default, configMapKeyRef
    and supplied``)."""
    for i, param in enumerate(params if isinstance(params, list) else []):
        value_from = param.get("valueFrom") if isinstance(param, Mapping) else None
        if not isinstance(value_from, Mapping) or {"supplied", "event"} & set(value_from):
            continue  # none, or refused by the schema
        ref = value_from.get("configMapKeyRef")
        if ref is None:
            out.problems.append(f"{doc}: {path}[{i}].valueFrom: a valueFrom without "
                                f"configMapKeyRef {s.NOT_LOCAL}")
        elif not isinstance(ref, Mapping) or not (ref.get("name") and ref.get("key")):
            out.problems.append(f"{doc}: {path}[{i}].valueFrom.configMapKeyRef: needs a "
                                "name and a key")


def _synchronization(sync: Any, where: str, doc: str, out: Findings,
                     config_maps: ConfigMaps) -> None:
    """What Argo's sync manager fails at run time, refused before: the same lock twice
    (``mutexes``/``semaphores`` and the deprecated ``mutex``/``semaphore`` count together:
    ``duplicate synchronization item found``); a semaphore naming no ConfigMap key; one
    whose given ConfigMap holds a negative limit (a limit no workflow could take)."""
    if not isinstance(sync, Mapping):
        return
    for plural, singular in (("mutexes", "mutex"), ("semaphores", "semaphore")):
        items = [*(sync.get(plural) or []), *([sync[singular]] if sync.get(singular) else [])]
        if any(item in items[:i] for i, item in enumerate(items)):
            out.problems.append(f"{doc}: {where}: a lock given twice (Argo's sync manager "
                                "fails it: duplicate synchronization item found)")
        if plural != "semaphores":
            continue
        for i, item in enumerate(items):
            ref = (item or {}).get("configMapKeyRef") if isinstance(item, Mapping) else None
            at = f"{where}.{plural}[{i}]" if i < len(sync.get(plural) or []) \
                else f"{where}.{singular}"
            if not isinstance(ref, Mapping) or not (ref.get("name") and ref.get("key")):
                if not isinstance(item, Mapping) or "database" not in item:
                    out.problems.append(f"{doc}: {at}.configMapKeyRef: a semaphore needs a "
                                        "ConfigMap name and key")
                continue
            namespace = item.get("namespace") or config_maps.namespace
            text = str((config_maps.data(namespace, str(ref["name"])) or {}).get(
                ref["key"], ""))
            if text.strip().startswith("-"):
                out.problems.append(f"{doc}: {at}.configMapKeyRef: ConfigMap "
                                    f"{ref['name']!r} gives the semaphore a negative limit "
                                    f"({text})")


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
    for k, art in enumerate((tmpl.get("outputs") or {}).get("artifacts") or []):
        # a folder with archive: none is stored under such a key as Argo does, one object
        # per file; anything else would be one object named "<key>/", which a local
        # folder cannot hold
        if str(((art or {}).get("s3") or {}).get("key", "")).endswith("/") and \
                list((art or {}).get("archive") or {}) != ["none"]:
            out.problems.append(f"{doc}: {where}.outputs.artifacts[{k}].s3.key: a key ending "
                                "in / for an artifact that is not archive: none (one object "
                                f"named with a trailing /) {s.NOT_LOCAL}")
    volumes = {v.get("name") for v in [*(tmpl.get("volumes") or []), *workflow_volumes]}
    main = "container" if "container" in tmpl else "script"
    containers = [(main, tmpl.get(main) or {})]
    containers += [(f"initContainers[{i}]", c or {})
                   for i, c in enumerate(tmpl.get("initContainers") or [])]
    for at, container in containers:
        for k, mount in enumerate(container.get("volumeMounts") or []):
            if mount.get("name") not in volumes:
                out.problems.append(f"{doc}: {where}.{at}.volumeMounts[{k}]: no volume "
                                    f"{mount.get('name')!r} in this template or the workflow")
    main_paths = {str(m.get("mountPath", "")).rstrip("/")
                  for m in (tmpl.get(main) or {}).get("volumeMounts") or []}
    for i, init in enumerate(tmpl.get("initContainers") or []):
        own = [str(m.get("mountPath", "")).rstrip("/") for m in (init or {}).get("volumeMounts")
               or []]
        clash = sorted(set(own) & main_paths) if (init or {}).get("mirrorVolumeMounts") else []
        if clash:  # Kubernetes: "must be unique", the pod is never created
            out.problems.append(f"{doc}: {where}.initContainers[{i}].volumeMounts: "
                                f"{', '.join(clash)} is mounted twice once the main "
                                "container's mounts are mirrored; Kubernetes refuses such "
                                "a pod")
    if tmpl.get("initContainers") and not any(k in tmpl for k in ("container", "script")):
        out.problems.append(f"{doc}: {where}.initContainers: init containers of a "
                            f"{next((k for k in TEMPLATE_TYPES if k in tmpl), 'template')} "
                            f"template {s.NOT_LOCAL}")
    _volumes_inside_outputs(tmpl, where, doc, out)
    if tmpl.get("daemon") not in (None, False) and "readinessProbe" in (tmpl.get(main) or {}):
        out.problems.append(f"{doc}: {where}.{main}.readinessProbe: a daemon's readinessProbe "
                            "decides when the steps after it start; probes "
                            + s.NOT_LOCAL.replace("is ", "are ", 1))


def _volumes_inside_outputs(tmpl: Mapping[str, Any], where: str, doc: str,
                            out: Findings) -> None:
    """An output artifact whose folder has a volume mounted inside it (``/mnt`` over
    ``/mnt/workdir``): Argo's emissary tars the folder as main sees it, the volume's files
    included (executor.go ``isBaseImagePath``, ``FindOverlappingVolume``); the engine's
    sandbox keeps each volume apart from the pod's folders, so it would save the folder
    without them."""
    main = "container" if "container" in tmpl else "script"
    mounts = [str(m.get("mountPath", "")).rstrip("/")
              for m in (tmpl.get(main) or {}).get("volumeMounts") or [] if isinstance(m, Mapping)]
    for k, art in enumerate((tmpl.get("outputs") or {}).get("artifacts") or []):
        path = str((art or {}).get("path") or "").rstrip("/")
        if not path.startswith("/") or "{{" in path:
            continue
        inside = [m for m in mounts if m.startswith(path + "/") or (path == "" and m)]
        if inside:
            out.problems.append(f"{doc}: {where}.outputs.artifacts[{k}].path: {path or '/'} "
                                f"has the volume mount {inside[0]} inside it: an output "
                                f"artifact over a mounted volume {s.NOT_LOCAL}")


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
    library = library_of(indexed)
    config_maps = ConfigMaps.from_docs(docs, (chosen.get("metadata") or {}).get(
        "namespace") or "default")
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
        refs, target = _workflow_template_ref(spec, path, label, library, out)
        entry_in = None
        if target is not None:
            entry_in = {t.get("name") for t in library[target].get("templates") or []}
        elif spec.get("workflowTemplateRef"):  # not found (said): nothing to look into
            entry_in = {spec.get("entrypoint"), spec.get("onExit")}
        inherited = library[target].get("entrypoint") if target is not None else None
        if doc is chosen and not spec.get("entrypoint") and not inherited and (
                target is not None or not spec.get("workflowTemplateRef")):
            out.problems.append(f"{label}: {path}.entrypoint: required")
        refs += _templates(spec, path, label, library, out, entry_in, config_maps)
        out.problems += tags.problems(spec, path, label)
        out.problems += expressions.problems(spec, path, label)
        out.problems += supplied.problems(spec, path, label, library)
        todo += [indexed[source] for source in refs]
    return out


def _workflow_template_ref(spec: Mapping[str, Any], path: str, label: str, library: Library,
                           out: Findings) -> tuple[list[TemplateSource], TemplateSource | None]:
    """The template document ``spec.workflowTemplateRef`` names, if it is among the
    documents; a spec that references one has no templates of its own (Argo's
    validation: ``WorkflowTemplateRefFields``)."""
    ref = spec.get("workflowTemplateRef")
    if not ref:
        return [], None
    if spec.get("templates"):
        out.problems.append(f"{label}: {path}.templates: Templates is invalid field in spec "
                            "if workflow referred WorkflowTemplate reference")
    source = _source(ref, f"{path}.workflowTemplateRef", label, out)
    if source is None:
        return [], None
    if source not in library:
        out.problems.append(f"{label}: {path}.workflowTemplateRef: no {source.kind} "
                            f"{source.name!r} among the documents")
        return [], None
    return [source], source
