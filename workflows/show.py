"""``cadencia show NAME``: one pipeline's DAG and its resolved settings, each with its origin.

The DAG is read from the WorkflowTemplate the pipeline compiles to (nothing is written),
so what is shown is what Argo gets. As text it lists each task with its step program,
what it runs after, and what it is (memoized, a daemon, the table it loads); as
``mermaid`` or ``dot`` it is a graph to draw. The settings are every value of the shared
settings and of each step, with the file that set it: a settings file
(``environments/prod.yaml``, ``pipelines/orders.yaml``), the pipeline's Python file for a
keyword of a step function, or ``default``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from workflows.config import Project, Resolved, Stack, pipelines, resolve
from workflows.config.layers import Path_, dotted
from workflows.library.build import Build, build_traced

FORMATS = ("text", "mermaid", "dot")
PIPELINE_ONLY = ("name", "pipeline")  # said in the heading, not listed as settings


class NoSpec(LookupError):
    """The task named reads no spec file (or there is no such task)."""


@dataclass(frozen=True)
class Task:
    name: str
    program: str  # the step module (extract_http), or the template name
    after: tuple[str, ...]
    notes: tuple[str, ...]


def show(project: Project, name: str, env: str, fmt: str = "text",
         spec_of: str | None = None) -> str:
    """The text ``cadencia show`` prints; ConfigError on an unknown pipeline or a bad
    setting (naming the file and field, as ``cadencia compile`` does). ``spec_of`` names a
    task: then only the file it reads as its spec (``step_spec``)."""
    (files,) = pipelines(project, [name])
    resolved = resolve(project, files, env)
    workflow, built = build_traced(resolved)
    spec = workflow.to_dict()["spec"]
    if spec_of is not None:
        return step_spec(spec, spec_of)
    tasks = dag_tasks(spec)
    title = f"{resolved.env.pipeline.name} ({env})"
    if fmt == "mermaid":
        return mermaid(tasks)
    if fmt == "dot":
        return dot(title, tasks)
    return "\n".join([*heading(resolved), "", *dag_text(tasks, spec.get("onExit")), "",
                      *settings_text(resolved, built)])


def step_spec(spec: Mapping[str, Any], task_name: str) -> str:
    """The file the task ``task_name`` reads as its spec (transform's spec, validate's
    rules), exactly as compiled into the manifest: its template's raw input artifact.
    NoSpec naming the tasks that have one otherwise."""
    templates = {t["name"]: t for t in spec["templates"]}
    # every DAG's tasks, the entrypoint's first: a sharded pipeline's run inside `shard`
    dags = [templates[spec["entrypoint"]], *(t for t in spec["templates"]
                                             if t.get("dag") and t["name"] != spec["entrypoint"])]
    tasks = [task for dag in dags for task in dag["dag"]["tasks"]]

    def raws(task: Mapping[str, Any]) -> list[str]:
        template = templates.get(task.get("template", ""), {})
        return [str(a["raw"]["data"]) for a in (template.get("inputs") or {}).get(
            "artifacts") or [] if (a.get("raw") or {}).get("data") is not None]

    having = list(dict.fromkeys(t["name"] for t in tasks if raws(t)))
    found = [raws(t) for t in tasks if t["name"] == task_name][:1]
    if not found or len(found[0]) != 1:
        what = "no task" if not found else "task"
        raise NoSpec(f"{what} {task_name!r} reads no spec file; tasks that do: "
                     f"{', '.join(having) or 'none'}")
    text = found[0][0]
    return text[:-1] if text.endswith("\n") else text


def dag_tasks(spec: Mapping[str, Any]) -> list[Task]:
    """The entrypoint DAG's tasks, in the order of the manifest."""
    templates = {t["name"]: t for t in spec["templates"]}
    out = []
    for task in templates[spec["entrypoint"]]["dag"]["tasks"]:
        template = templates.get(task.get("template", ""), {})
        command = (template.get("container") or {}).get("command") or []
        program = command[2].removeprefix("steps.") if command[1:2] == ["-m"] else task[
            "template"]
        notes = []
        if template.get("daemon"):
            notes.append("daemon")
        if template.get("memoize"):
            notes.append("memoized")
        args = [str(a) for a in (template.get("container") or {}).get("args") or []]
        if program == "load" and "--table" in args[:-1]:
            notes.append(f"-> table {args[args.index('--table') + 1]}")
        if task.get("continueOn"):
            notes.append("never fails the run")
        notes += _fan_out(templates, template)
        after = tuple(task.get("dependencies") or ())
        out.append(Task(task["name"], program, after, tuple(notes)))
    return out


def _fan_out(templates: Mapping[str, Any], template: Mapping[str, Any]) -> list[str]:
    """A sharded pipeline's ``shards`` task, told: ``4 x clean -> transform -> validate,
    then gather; 2 at once``."""
    tasks = (template.get("dag") or {}).get("tasks") or []
    fans = [t for t in tasks if t.get("withSequence")]
    if not fans:
        return []
    fan = fans[0]
    inner = (templates.get(fan["template"], {}).get("dag") or {}).get("tasks") or []
    after = [t["name"] for t in tasks if t is not fan]
    return [f"{fan['withSequence'].get('count')} x {' -> '.join(t['name'] for t in inner)}"
            + (f", then {', '.join(after)}" if after else "")
            + (f"; {template['parallelism']} at once" if template.get("parallelism") else "")]


def heading(resolved: Resolved) -> list[str]:
    env = resolved.env
    s = env.schedule
    files = resolved.files
    own = [files.source, files.settings, *([files.overlays[env.name]]
                                           if env.name in files.overlays else [])]
    return [f"pipeline {env.pipeline.name}, environment {env.name} (namespace "
            f"{env.namespace})",
            f"  files:    {', '.join(str(p.relative_to(files.source.parents[2])) for p in own)}",
            f"  schedule: CronWorkflow {env.pipeline.name}-daily, {', '.join(s.schedules)} "
            f"{s.timezone}{' (suspended)' if s.suspend else ''}",
            f"  SLA:      soft {env.sla.soft}, hard {env.sla.hard}"]


def dag_text(tasks: list[Task], on_exit: str | None) -> list[str]:
    width = max(len(t.name) for t in tasks)
    program = max(len(t.program) for t in tasks)
    lines = [f"DAG main: {len(tasks)} tasks"]
    for t in tasks:
        after = f"after {', '.join(t.after)}" if t.after else "first"
        notes = f"  [{'; '.join(t.notes)}]" if t.notes else ""
        lines.append(f"  {t.name:<{width}}  {t.program:<{program}}  {after}{notes}")
    if on_exit:
        lines.append(f"  onExit: {on_exit} (runs last, whatever the outcome)")
    return lines


def mermaid(tasks: list[Task]) -> str:
    ids = {t.name: f"t{i}" for i, t in enumerate(tasks)}
    lines = ["flowchart LR"]
    for t in tasks:
        label = t.name if t.program == t.name else f"{t.name}<br/><i>{t.program}</i>"
        lines.append(f'  {ids[t.name]}["{label}"]')
    for t in tasks:
        lines += [f"  {ids[a]} --> {ids[t.name]}" for a in t.after if a in ids]
    return "\n".join(lines)


def dot(title: str, tasks: list[Task]) -> str:
    lines = [f"digraph {json.dumps(title)} {{", "  rankdir=LR;",
             "  node [shape=box, style=rounded];"]
    for t in tasks:
        label = t.name if t.program == t.name else f"{t.name}\\n{t.program}"
        style = ", style=\"rounded,dashed\"" if "daemon" in t.notes else ""
        lines.append(f"  {json.dumps(t.name)} [label=\"{label}\"{style}];")
    for t in tasks:
        lines += [f"  {json.dumps(a)} -> {json.dumps(t.name)};" for a in t.after]
    lines.append("}")
    return "\n".join(lines)


def settings_text(resolved: Resolved, built: Build) -> list[str]:
    """Every resolved value with its origin: the shared settings, then each step's."""
    rows = [(dotted(path), value, origin) for path, value, origin in values(
        resolved.env.model_dump(mode="json", by_alias=True, exclude_none=True),
        resolved.stack)
        if path[0] not in PIPELINE_ONLY]
    for name, (model, stack) in built.resolved_steps.items():
        dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
        rows += [(dotted(("steps", name, *path)), value, origin)
                 for path, value, origin in values(dumped, stack)]
    key_width = min(44, max(len(k) for k, _, _ in rows))
    value_width = min(28, max(len(v) for _, v, _ in rows))
    lines = ["settings (value, then the file that set it)"]
    for key, value, origin in rows:
        lines.append(f"  {key:<{key_width}}  {value:<{value_width}}  {origin}")
    return lines


def values(dumped: Mapping[str, Any], stack: Stack) -> Iterator[tuple[Path_, str, str]]:
    """``(path, value as flow YAML, origin)`` of each leaf of ``dumped``; a list of
    mappings gives one row per item; an empty default (no params, no keys) is left out."""
    for path, value in _leaves(dumped, ()):
        origin = _origin(stack, path)
        if value in ({}, []) and origin == "default":
            continue
        yield path, _flow(value), origin


def _leaves(node: Any, at: Path_) -> Iterator[tuple[Path_, Any]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _leaves(value, (*at, key))
    elif isinstance(node, list) and node and all(isinstance(v, Mapping) for v in node):
        for i, value in enumerate(node):
            yield (*at, i), value
    else:
        yield at, node


def _origin(stack: Stack, path: Path_) -> str:
    """The file that set ``path`` itself or a value holding it (a list replaces whole),
    else ``default``: a value no layer gave is the model's default."""
    for n in range(len(path), 0, -1):
        if path[:n] in stack.origins:
            return stack.origins[path[:n]]
    return "default"


def _flow(value: Any) -> str:
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=10**6,
                          sort_keys=False).strip().removesuffix("...").strip()
