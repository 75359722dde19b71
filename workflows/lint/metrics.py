"""Prometheus custom metrics (template and workflow level): names, labels, help, values.

Argo accepts legacy Prometheus names without ':' (``[A-Za-z_][A-Za-z0-9_]*``) for metric
names and label keys, requires a help text, and exactly one of gauge, counter or histogram
with a value.
"""

from __future__ import annotations

from typing import Any

from workflows.argo.names import METRIC_NAME
from workflows.lint.argo import ArgoDoc, as_dict, as_list
from workflows.lint.findings import Finding, Path_

KINDS = ("gauge", "counter", "histogram")


def _metric(adoc: ArgoDoc, metric: dict[str, Any], path: Path_) -> list[Finding]:
    out = []
    name = metric.get("name")
    if name is not None and not METRIC_NAME.match(str(name)):
        out.append(adoc.finding((*path, "name"), "metric-name",
                                f"metric name {name!r} may only use letters, digits and '_' "
                                "(not starting with a digit)"))
    for i, label in enumerate(as_list(metric.get("labels"))):
        label = as_dict(label)
        key, value = label.get("key"), label.get("value")
        if key is not None and not METRIC_NAME.match(str(key)):
            out.append(adoc.finding((*path, "labels", i, "key"), "metric-label",
                                    f"label key {key!r} may only use letters, digits and '_'"))
        if "value" in label and (value is None or str(value).strip() == ""):
            out.append(adoc.finding((*path, "labels", i, "value"), "metric-label",
                                    f"label {key!r} has an empty value"))
    if "help" in metric and not str(metric.get("help") or "").strip():
        out.append(adoc.finding((*path, "help"), "metric-help",
                                f"metric {name!r} needs a help text"))
    kinds = [k for k in KINDS if metric.get(k) is not None]
    if len(kinds) != 1:
        what = "none" if not kinds else ", ".join(kinds)
        out.append(adoc.finding(path, "metric-value",
                                f"metric {name!r} needs exactly one of gauge, counter, histogram "
                                f"(has {what})"))
    for kind in kinds:
        body = metric.get(kind)
        if isinstance(body, dict) and not str(body.get("value") or "").strip():
            out.append(adoc.finding((*path, kind), "metric-value",
                                    f"metric {name!r}: {kind}.value is empty"))
    return out


def _metrics(adoc: ArgoDoc, holder: dict[str, Any], path: Path_) -> list[Finding]:
    out = []
    prometheus = as_dict(holder.get("metrics")).get("prometheus")
    for i, metric in enumerate(as_list(prometheus)):
        if isinstance(metric, dict):
            out += _metric(adoc, metric, (*path, "metrics", "prometheus", i))
    return out


def check(adoc: ArgoDoc) -> list[Finding]:
    out = _metrics(adoc, adoc.spec, adoc.spec_path)
    for t in adoc.templates:
        out += _metrics(adoc, t.data, t.path)
    return out
