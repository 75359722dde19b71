"""``script`` templates: the source staged as a file in the pod, run by the template's command.

As Argo v4.1.2 does it: the controller appends ``/argo/staging/script``
(``common.ExecutorScriptSourcePath``) to the container's ``args`` (operator.go
``executeScript``; not when ``source`` is empty), and the executor's init step writes the
substituted ``source`` there with mode 0755 (executor.go ``StageFiles``). So
``command: [python]`` runs ``python /argo/staging/script`` and ``command: [sh, -c]`` runs
``sh -c /argo/staging/script``. ``source`` is substituted with the template's other fields
(``SubstituteParams``): ``{{inputs.parameters.X}}``, ``{{inputs.parameters}}`` (every
input parameter as JSON, what Hera's runner reads), the path variables, the workflow's.

In a pod of its own (``isolation``) the file is at that path; where the process sees the
host's filesystem (this project's image, or no namespaces) it is the sandbox's file of
that path, and the argument names it there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from workflows.engine.artifacts.sandbox import Sandbox
from workflows.engine.scope import parameter_text

SOURCE_PATH = "/argo/staging/script"
STAGING = "/argo/staging"


def main_container(tmpl: Mapping[str, Any]) -> dict[str, Any]:
    """The template's main container: its ``container``, or its ``script`` (a container
    with a ``source``)."""
    return dict(tmpl.get("container") or tmpl.get("script") or {})


def stage(tmpl: Mapping[str, Any], box: Sandbox, source: str, *, literal: bool) -> list[str]:
    """Write ``source`` (already substituted) where the pod finds it; the argument to
    append to the command: none when the template has no source, as in Argo."""
    if "script" not in tmpl or not source:
        return []
    path = box.path(SOURCE_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    path.chmod(0o755)
    return [SOURCE_PATH if literal else str(path)]


def inputs_json(tmpl: Mapping[str, Any], values: Mapping[str, str]) -> str:
    """``{{inputs.parameters}}``: the template's input parameters, each with the value it
    got, as Go's ``json.Marshal`` of ``[]Parameter`` writes them (fields in the struct's
    order, empty ones left out, ``<``, ``>``, ``&`` escaped; ``null`` when there are
    none)."""
    params = []
    for param in (tmpl.get("inputs") or {}).get("parameters") or []:
        entry: dict[str, Any] = {"name": param["name"]}
        if param.get("default") is not None:
            entry["default"] = parameter_text(param["default"])
        if param["name"] in values:
            entry["value"] = values[param["name"]]
        for key in ("valueFrom", "globalName"):
            if param.get(key):
                entry[key] = param[key]
        if param.get("enum"):
            entry["enum"] = [parameter_text(e) for e in param["enum"]]
        if param.get("description") is not None:
            entry["description"] = parameter_text(param["description"])
        params.append(entry)
    if not params:
        return "null"  # a nil slice: what Hera's runner guards against with `or []`
    text = json.dumps(params, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text
