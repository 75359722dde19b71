"""Turn manifests into one runnable workflow: what ``argo submit`` does before running.

Accepted entries (``entry`` names one of them by ``metadata.name``; with one candidate it
may be omitted):

- a ``Workflow`` (with or without ``spec.workflowTemplateRef``);
- a ``WorkflowTemplate`` or ``ClusterWorkflowTemplate``, as ``argo submit --from
  workflowtemplate/<name>`` (``clusterworkflowtemplate/<name>``);
- a ``CronWorkflow``: its ``workflowSpec``, as one scheduled run. ``{{workflow.
  scheduledTime}}`` is the tick being run, RFC 3339 in UTC as Argo's controller writes it.

Every ``WorkflowTemplate`` and ``ClusterWorkflowTemplate`` among the documents is also a
library (:mod:`workflows.engine.admit.library`) for ``templateRef`` and
``workflowTemplateRef``; ``clusterScope: true`` names a ClusterWorkflowTemplate, so a
WorkflowTemplate and a ClusterWorkflowTemplate of the same name are distinct, as on a
cluster. ``parameters`` override ``spec.arguments.parameters``; a name the workflow does
not declare, or a declared parameter left without a value, is an error. So is a name
Argo would refuse (:mod:`workflows.engine.admit.names`): names become paths. The
``ConfigMap`` documents of the workflow's namespace are the ones parameters read
(:mod:`workflows.engine.config_maps`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.engine.admit.library import (
    CLUSTER_TEMPLATE,
    TEMPLATE_KINDS,
    Library,
    TemplateSource,
    ref_source,
)
from workflows.engine.admit.merge import join_specs
from workflows.engine.admit.names import name_problems
from workflows.engine.config_maps import ConfigMaps
from workflows.engine.errors import LoadError

# entries, in the order a lone one is picked; a ClusterWorkflowTemplate last (it is
# mostly a library beside the workflow that runs)
KINDS = ("Workflow", "WorkflowTemplate", "CronWorkflow", CLUSTER_TEMPLATE)


@dataclass
class Loaded:
    kind: str  # of the entry document
    source: str  # its metadata.name
    base_name: str  # what the run is named after (generateName without the dash)
    namespace: str
    spec: dict[str, Any]  # the resolved workflow spec that runs
    owner: TemplateSource | None  # the (Cluster)WorkflowTemplate spec.templates are from
    library: Library  # (kind, name) of every (Cluster)WorkflowTemplate -> its spec
    labels: dict[str, str] = field(default_factory=dict)
    scheduled_time: str | None = None
    config_maps: ConfigMaps = field(default_factory=ConfigMaps)  # of its namespace


def index(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The runnable documents by (kind, name); refuses names Argo would refuse."""
    problems = name_problems(docs, KINDS)
    if problems:
        raise LoadError("names Argo would refuse: " + "; ".join(problems))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for doc in docs:
        if not isinstance(doc, dict) or doc.get("kind") not in KINDS:
            continue
        name = (doc.get("metadata") or {}).get("name") or (
            doc.get("metadata") or {}).get("generateName", "").rstrip("-")
        if not name:
            raise LoadError(f"a {doc['kind']} has no metadata.name")
        key = (doc["kind"], name)
        if key in found:
            raise LoadError(f"{doc['kind']} {name!r} is given twice")
        found[key] = doc
    return found


def library_of(indexed: Mapping[tuple[str, str], dict[str, Any]]) -> Library:
    """Every WorkflowTemplate and ClusterWorkflowTemplate, by (kind, name)."""
    return {TemplateSource(kind, name): doc.get("spec") or {}
            for (kind, name), doc in indexed.items() if kind in TEMPLATE_KINDS}


def pick_entry(docs: dict[tuple[str, str], dict[str, Any]], entry: str | None) -> dict[str, Any]:
    if entry is not None:
        for kind in KINDS:
            if (kind, entry) in docs:
                return docs[(kind, entry)]
        known = ", ".join(f"{k}/{n}" for k, n in docs) or "none"
        raise LoadError(f"no Workflow, WorkflowTemplate, CronWorkflow or "
                        f"ClusterWorkflowTemplate named {entry!r} (given: {known})")
    for kind in KINDS:
        of_kind = [doc for (k, _), doc in docs.items() if k == kind]
        if len(of_kind) == 1:
            return of_kind[0]
        if of_kind:
            names = ", ".join(sorted(n for k, n in docs if k == kind))
            raise LoadError(f"several {kind}s ({names}): say which one to run")
    raise LoadError("no Workflow, WorkflowTemplate or CronWorkflow in the documents")


def apply_parameters(spec: dict[str, Any], parameters: Mapping[str, str]) -> None:
    declared = (spec.get("arguments") or {}).get("parameters") or []
    names = [p["name"] for p in declared]
    unknown = sorted(set(parameters) - set(names))
    if unknown:
        raise LoadError(f"unknown parameter(s) {', '.join(unknown)}; this workflow takes: "
                        f"{', '.join(names) or 'none'}")
    for param in declared:
        if param["name"] in parameters:
            param["value"] = str(parameters[param["name"]])
            param.pop("valueFrom", None)
        enum = param.get("enum")
        if enum and "value" in param and str(param["value"]) not in [str(e) for e in enum]:
            raise LoadError(f"parameter {param['name']}={param['value']!r} is not one of "
                            f"{', '.join(map(str, enum))}")
    missing = [p["name"] for p in declared if "value" not in p and "valueFrom" not in p]
    if missing:
        flags = " ".join(f"-p {m}=..." for m in missing)
        raise LoadError(f"parameter(s) {', '.join(missing)} have no value: pass {flags}")


def scheduled_time(cron_spec: Mapping[str, Any], when: datetime | date | None,
                   now: datetime) -> str:
    """RFC 3339 of the tick, in UTC: a date runs at the first schedule's hour and minute.

    The tick is found in the CronWorkflow's zone, and written as Argo's controller writes
    it: robfig/cron returns ``Entry.Prev`` in the controller's own zone (``time.Local``,
    UTC in its container) and ``ConvertCronWorkflowToWorkflowWithProperties`` formats it
    with ``time.RFC3339``, so ``2026-11-25 02:00 America/Sao_Paulo`` is
    ``2026-11-25T05:00:00Z``.
    """
    name = cron_spec.get("timezone") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LoadError(f"CronWorkflow timezone {name!r} is not an IANA time zone") from exc
    if isinstance(when, datetime):
        moment = when if when.tzinfo else when.replace(tzinfo=zone)
        moment = moment.astimezone(zone)
    elif isinstance(when, date):
        hour, minute = _schedule_time(cron_spec)
        moment = datetime(when.year, when.month, when.day, hour, minute, tzinfo=zone)
    else:
        moment = now.astimezone(zone)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _schedule_time(cron_spec: Mapping[str, Any]) -> tuple[int, int]:
    schedules = cron_spec.get("schedules") or []
    fields = str(schedules[0]).split() if schedules else []
    if len(fields) == 5 and re.fullmatch(r"\d+", fields[0]) and re.fullmatch(r"\d+", fields[1]):
        return int(fields[1]), int(fields[0])
    return 0, 0  # not a fixed daily time: the date's midnight


def load(docs: list[dict[str, Any]], *, entry: str | None, parameters: Mapping[str, str],
         now: datetime | None = None,
         scheduled: datetime | date | None = None) -> Loaded:
    indexed = index(docs)
    chosen = pick_entry(indexed, entry)
    library = library_of(indexed)
    kind, meta = chosen["kind"], chosen.get("metadata") or {}
    source = meta.get("name") or meta.get("generateName", "").rstrip("-")
    spec: dict[str, Any] = copy.deepcopy(chosen.get("spec") or {})
    owner = TemplateSource(kind, source) if kind in TEMPLATE_KINDS else None
    cron_time = None
    labels = dict(meta.get("labels") or {})
    if kind == "CronWorkflow":
        cron_time = scheduled_time(spec, scheduled, now or datetime.now(timezone.utc))
        spec = copy.deepcopy(spec.get("workflowSpec") or {})
    ref = spec.get("workflowTemplateRef")
    if ref:
        target = ref_source(ref)
        if target not in library:
            given = ", ".join(sorted(str(s) for s in library if s.kind == target.kind))
            raise LoadError(f"workflowTemplateRef {target.name!r}: no such {target.kind} "
                            f"among the documents (given: {given or 'none'})")
        spec = join_specs(spec, library[target])
        owner = target
    apply_parameters(spec, parameters)
    base = source if kind != "Workflow" or not meta.get("name") else meta["name"]
    namespace = meta.get("namespace") or "default"
    return Loaded(kind=kind, source=source, base_name=base, namespace=namespace, spec=spec,
                  owner=owner, library=library, labels=labels, scheduled_time=cron_time,
                  config_maps=ConfigMaps.from_docs(docs, namespace))
