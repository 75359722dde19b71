"""A DAG task's (or a step's) arguments: parameters substituted, artifacts resolved.

``from: "{{tasks.T.outputs.artifacts.X}}"`` (``steps.T...`` in a steps template) becomes
the stored location of T's output X (its repository key, size and sha256);
``from: "{{inputs.artifacts.X}}"`` passes the DAG's own input on;
``from: "{{workflow.outputs.artifacts.X}}"`` the artifact exported with globalName X;
``raw`` and ``s3`` keys are taken as written. A reference that does not resolve raises KeyError
(``Unable to resolve: ...``) unless the artifact is optional. ``subPath`` (substituted)
selects a file or folder inside a ``from`` artifact: its key becomes ``path.Join(key,
subPath)`` and the rest of the location is kept (controller/scope.go ``resolveArtifact``,
``AppendToKey``); it exists only in a folder of objects (``archive: none``), so under a
tarball's key it is missing, as in Argo.

A parameter whose value is only a reference to an absent optional (an output of a
skipped or omitted task that declares no default) is not supplied: Argo's
``markAbsentOptionalArgs`` (controller/scope.go) marks it, and ``ProcessArgs`` lets the
input's own default apply (``Arguments.absent``, read by ``resolve_inputs``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping
from typing import Any

from workflows.engine.context import Run
from workflows.engine.inputs import Arguments
from workflows.engine.scope import parameter_text, subst

_FROM = re.compile(r"^\{\{\s*((tasks|steps)\.([^.\s]+)\.outputs\.artifacts|inputs\.artifacts"
                   r"|workflow\.outputs\.artifacts)\.([^}\s]+)\s*\}\}$")


_PURE_REFERENCE = re.compile(r"^\{\{([^{}]*)\}\}$")


def task_arguments(run: Run, task: Mapping[str, Any], scope: dict[str, str], name: str,
                   ids: Mapping[str, str], dag_artifacts: Mapping[str, dict[str, Any]], *,
                   absent: Collection[str] = (), ref: str = "tasks") -> Arguments:
    """The arguments of a task; ``ids`` maps the DAG's task names to their node ids,
    ``absent`` holds the scope's absent optionals; ``ref`` is ``tasks`` in a DAG,
    ``steps`` in a steps template (the names ``from`` may reference)."""
    args = Arguments()
    spec = task.get("arguments") or {}
    # the absent optionals are nil in Argo's scope: '{{=... ?? x}}' falls back on them,
    # and any other tag naming one fails (simpleReplaceStrict)
    with_nils = {**scope, **{key: None for key in absent if key not in scope}}
    for param in spec.get("parameters") or []:
        pure = _PURE_REFERENCE.match(str(param.get("value", "")))
        if pure and pure.group(1).strip() in absent:  # absentOptionalRef
            args.absent.add(param["name"])
            continue
        args.parameters[param["name"]] = subst(
            parameter_text(param.get("value", "")), with_nils,
            f"{ref}.{name}.arguments.parameters.{param['name']}")
    for art in spec.get("artifacts") or []:
        location = _artifact(run, art, scope, name, ids, dag_artifacts, ref)
        if location is not None:
            args.artifacts[art["name"]] = location
    return args


def _artifact(run: Run, art: Mapping[str, Any], scope: dict[str, str], name: str,
              ids: Mapping[str, str],
              dag_artifacts: Mapping[str, dict[str, Any]], kind: str) -> dict[str, Any] | None:
    if "raw" in art:
        return {"raw": {"data": subst(str((art["raw"] or {}).get("data", "")), scope,
                                      f"{kind}.{name}.arguments.artifacts.{art['name']}")}}
    if "s3" in art:
        return {run.repo.kind: {"key": subst(str(art["s3"]["key"]), scope, "s3.key")}}
    ref = str(art.get("from", ""))
    match = _FROM.match(ref)
    found = None
    if match and match.group(1) == "inputs.artifacts":
        found = dag_artifacts.get(match.group(4))
    elif match and match.group(1) == "workflow.outputs.artifacts":  # addArtifactToGlobalScope
        for out in (run.status.status.get("outputs") or {}).get("artifacts") or []:
            if out["name"] == match.group(4):
                found = {k: v for k, v in out.items() if k != "name"}
    elif match and match.group(2) == kind and match.group(3) in ids:
        node = run.status.nodes.get(ids[match.group(3)]) or {}
        for out in (node.get("outputs") or {}).get("artifacts") or []:
            if out["name"] == match.group(4):
                found = {k: v for k, v in out.items() if k not in ("name", "path")}
    if found is None:
        if art.get("optional"):
            return None
        raise KeyError(f"Unable to resolve: {ref}")
    if art.get("subPath"):
        return _sub_path(run, dict(found), subst(str(art["subPath"]), scope,
                                                 f"{kind}.{name}.arguments.artifacts."
                                                 f"{art['name']}.subPath"), art)
    return dict(found)


def _sub_path(run: Run, found: dict[str, Any], sub: str,
              art: Mapping[str, Any]) -> dict[str, Any] | None:
    """The artifact ``found`` narrowed to ``sub``: Go's ``path.Join`` (cleaned, a leading
    / of ``sub`` kept as a separator) appended to its key. Its recorded size and sha256
    are the whole artifact's, so they go. A location without a key (``raw``) cannot take
    one: Argo's ``SetKey`` error, or nothing for an optional artifact."""
    location = found.get(run.repo.kind)
    if not isinstance(location, Mapping) or not location.get("key"):
        if art.get("optional"):
            return None
        raise KeyError(f"artifact {art['name']}: subPath {sub!r}: key unsupported: cannot set "
                       "key for an artifact without one")
    key = posixpath.normpath(f"{location['key']}/{sub}")
    narrowed = {k: v for k, v in found.items() if k not in ("size", "sha256")}
    narrowed[run.repo.kind] = {**location, "key": key}
    return narrowed
