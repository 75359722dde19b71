"""Names: object names (DNS-1123, 63 characters, CronWorkflow 52) and Argo field names.

The rules are Argo's, stated once in :mod:`workflows.argo.names` (the local engine refuses
the same names); here each broken one is a finding, and each name must be unique in its
list.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.names import (
    DNS1123_RULE,
    DNS1123_SUBDOMAIN,
    FIELD_NAME,
    FIELD_RULE,
    MAX_CRON_NAME,
    MAX_FIELD_NAME,
    MAX_OBJECT_NAME,
    PARAM_NAME,
    PARAM_RULE,
    generate_name_problem,
)
from workflows.lint.argo import ArgoDoc, Template, as_dict, as_list
from workflows.lint.findings import Finding, Path_


def _metadata(adoc: ArgoDoc) -> list[Finding]:
    meta = adoc.meta
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        return [adoc.finding(("metadata",), "schema-required",
                             "metadata.name (or generateName) is required")]
    out = []
    if name:
        limit = MAX_CRON_NAME if adoc.kind == "CronWorkflow" else MAX_OBJECT_NAME
        if len(str(name)) > limit:
            out.append(adoc.finding(("metadata", "name"), "name-length",
                                    f"{adoc.kind} name {name!r} is {len(str(name))} characters; "
                                    f"the limit is {limit}"))
        if not DNS1123_SUBDOMAIN.match(str(name)):
            out.append(adoc.finding(("metadata", "name"), "name-format",
                                    f"{name!r} is not a DNS-1123 name ({DNS1123_RULE})"))
    problem = generate_name_problem(str(generate)) if generate else None
    if problem:
        out.append(adoc.finding(("metadata", "generateName"), "name-format", problem))
    return out


def check_names(adoc: ArgoDoc, items: Any, path: Path_, what: str, *,
                params: bool = False) -> list[Finding]:
    """Required, well-formed and unique ``name`` fields in one list."""
    out: list[Finding] = []
    seen: set[str] = set()
    pattern = PARAM_NAME if params else FIELD_NAME
    for i, item in enumerate(as_list(items)):
        if not isinstance(item, dict):
            continue
        name = item.get("name")
        if name is None or name == "":
            out.append(adoc.finding((*path, i), "schema-required", f"{what} name is required"))
            continue
        name = str(name)
        where = (*path, i, "name")
        if not params and len(name) > MAX_FIELD_NAME:
            out.append(adoc.finding(where, "name-length",
                                    f"{what} name is {len(name)} characters; the limit is "
                                    f"{MAX_FIELD_NAME}"))
        elif not pattern.match(name):
            rule = PARAM_RULE if params else FIELD_RULE
            out.append(adoc.finding(where, "name-format", f"{what} name {name!r} must use {rule}"))
        if name in seen:
            out.append(adoc.finding(where, "name-duplicate", f"{what} name {name!r} is not unique"))
        seen.add(name)
    return out


def _io(adoc: ArgoDoc, holder: dict[str, Any], path: Path_, label: str) -> list[Finding]:
    out = []
    for kind in ("parameters", "artifacts"):
        items = holder.get(kind)
        out += check_names(adoc, items, (*path, kind), f"{label} {kind[:-1]}", params=True)
        for i, item in enumerate(as_list(items)):
            glob = as_dict(item).get("globalName")
            if glob and "{{" not in str(glob) and not PARAM_NAME.match(str(glob)):
                out.append(adoc.finding((*path, kind, i, "globalName"), "name-format",
                                        f"globalName {glob!r} must use {PARAM_RULE}"))
    return out


def _template(adoc: ArgoDoc, t: Template) -> list[Finding]:
    out = []
    for part in ("inputs", "outputs"):
        out += _io(adoc, as_dict(t.data.get(part)), t.at(part), part[:-1])
    tasks = as_list(as_dict(t.data.get("dag")).get("tasks"))
    out += check_names(adoc, tasks, t.at("dag", "tasks"), "task")
    for i, task in enumerate(tasks):
        out += _io(adoc, as_dict(as_dict(task).get("arguments")),
                   t.at("dag", "tasks", i, "arguments"), "argument")
    seen: set[str] = set()
    for i, group in enumerate(as_list(t.data.get("steps"))):
        for j, step in enumerate(as_list(group)):
            name = str(as_dict(step).get("name", ""))
            where = t.at("steps", i, j, "name")
            if not name:
                out.append(adoc.finding(t.at("steps", i, j), "schema-required",
                                        "step name is required"))
            elif not FIELD_NAME.match(name) or len(name) > MAX_FIELD_NAME:
                out.append(adoc.finding(where, "name-format",
                                        f"step name {name!r} must use {FIELD_RULE}"))
            elif name in seen:
                out.append(adoc.finding(where, "name-duplicate",
                                        f"step name {name!r} is not unique"))
            seen.add(name)
            out += _io(adoc, as_dict(as_dict(step).get("arguments")),
                       t.at("steps", i, j, "arguments"), "argument")
    return out


def check(adoc: ArgoDoc) -> list[Finding]:
    out = _metadata(adoc)
    out += check_names(adoc, adoc.spec.get("templates"), adoc.at("templates"), "template")
    out += _io(adoc, as_dict(adoc.spec.get("arguments")), adoc.at("arguments"), "argument")
    for t in adoc.templates:
        out += _template(adoc, t)
    return out
