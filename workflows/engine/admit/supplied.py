"""Every input a called template needs is supplied by its caller, as Argo's validation checks.

Argo validates each step and DAG task against the template it calls with the arguments it
passes (``validateSteps``/``validateDAG`` -> ``validateTemplateHolder`` -> ``ProcessArgs``
in workflow/common/util.go): an input parameter gets its ``default``, then the argument of
its name (an argument without a ``value`` takes the value away), and one left without a
value is ``inputs.parameters.<name> was not supplied``; an input artifact that is neither
optional nor located (``raw``, ``s3``) needs an argument of its name. Argo's controller
fails such a workflow before anything runs ("invalid spec"), so the engine refuses it.
Before that (``validateArgumentsValues``), each parameter a step or task passes must have
a ``value``: ``<name>.value or <name>.valueFrom is required``.

``arguments: {parameters: }`` (null) is Go's empty list: no parameter is passed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from workflows.engine.admit.inline import with_inline
from workflows.engine.admit.library import Library, ref_source

INVALID = "Argo's validation rejects the workflow: invalid spec"
LOCATIONS = ("raw", "s3", "git", "http", "artifactory", "hdfs", "oss", "gcs", "azure",
             "plugin")


def problems(spec: Mapping[str, Any], path: str, doc: str,
             library: Library) -> list[str]:
    """``<doc>: <caller path>.arguments: templates.<t> inputs.<kind>.<name> was not
    supplied`` for each missing input of each call whose template is found."""
    by_name = {t.get("name"): t for t in spec.get("templates") or [] if isinstance(t, Mapping)}
    found = []
    for where, caller in _callers(spec.get("templates"), f"{path}.templates"):
        valueless = _valueless(caller.get("arguments"))
        if valueless:  # validateArgumentsValues comes first
            found += [f"{doc}: {where}.arguments.parameters[{i}]: {name}.value or "
                      f"{name}.valueFrom is required ({INVALID})" for i, name in valueless]
            continue
        target = _target(caller, by_name, library)
        if target is None:
            continue
        for missing in _missing(target, caller.get("arguments") or {}):
            found.append(f"{doc}: {where}.arguments: templates.{target.get('name') or ''} "
                         f"{missing} was not supplied ({INVALID})")
    return found


def _callers(templates: Any, path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for where, tmpl in with_inline(templates, path):
        dag = tmpl.get("dag")
        tasks = dag.get("tasks") if isinstance(dag, Mapping) else None
        for j, task in enumerate(tasks if isinstance(tasks, list) else []):
            if isinstance(task, Mapping):
                yield f"{where}.dag.tasks[{j}]", task
        steps = tmpl.get("steps")
        for i, group in enumerate(steps if isinstance(steps, list) else []):
            for k, step in enumerate(group if isinstance(group, list) else []):
                if isinstance(step, Mapping):
                    yield f"{where}.steps[{i}][{k}]", step


def _valueless(arguments: Any) -> list[tuple[int, str]]:
    """validateArgumentsValues: each parameter a step or task passes needs a value."""
    if not isinstance(arguments, Mapping):
        return []
    return [(i, str(p.get("name"))) for i, p in enumerate(arguments.get("parameters") or [])
            if isinstance(p, Mapping) and p.get("value") is None and p.get("valueFrom") is None]


def _target(caller: Mapping[str, Any], by_name: Mapping[Any, Mapping[str, Any]],
            library: Library) -> Mapping[str, Any] | None:
    if isinstance(caller.get("inline"), Mapping):
        return caller["inline"]
    ref = caller.get("templateRef")
    if isinstance(ref, Mapping):
        owner = library.get(ref_source(ref))
        templates = (owner or {}).get("templates") or []
        return next((t for t in templates if isinstance(t, Mapping)
                     and t.get("name") == ref.get("template")), None)
    return by_name.get(caller.get("template"))


def _missing(target: Mapping[str, Any], arguments: Any) -> list[str]:
    """ProcessArgs with the caller's arguments, validateOnly (a ``from`` is not resolved)."""
    if not isinstance(arguments, Mapping):
        return []
    passed = {p.get("name"): p for p in arguments.get("parameters") or []
              if isinstance(p, Mapping)}
    given = {a.get("name") for a in arguments.get("artifacts") or [] if isinstance(a, Mapping)}
    inputs = target.get("inputs") or {}
    missing = []
    for param in inputs.get("parameters") or []:
        if not isinstance(param, Mapping):
            continue
        value = param.get("value") if param.get("value") is not None else param.get("default")
        source = param.get("valueFrom")
        if param.get("name") in passed:  # overwriteWithArguments
            arg = passed[param.get("name")]
            value, source = arg.get("value"), None if arg.get("value") is not None else \
                arg.get("valueFrom")
        if value is None and not (source or {}).get("configMapKeyRef"):
            missing.append(f"inputs.parameters.{param.get('name')}")
    for art in inputs.get("artifacts") or []:
        if not isinstance(art, Mapping) or art.get("optional") is True:
            continue
        if not any(art.get(key) for key in LOCATIONS) and art.get("name") not in given:
            missing.append(f"inputs.artifacts.{art.get('name')}")
    return missing
