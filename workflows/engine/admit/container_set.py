"""What a ``containerSet`` template must be before it runs: Argo's validation, and the
engine's limits, each refused by its YAML path.

Argo v4.1.2 rejects the manifest (``invalid spec``) when, in
``ContainerSetTemplate.Validate`` (pkg/apis/workflow/v1alpha1/container_set_template_types.go)
and ``validateNonLeaf``'s containerSet block (workflow/validate/validate.go):

- there is no container; a name is empty, not a workflow field name, or used twice
  (``validateWorkflowFieldNames``); a name is one of Argo's own containers (``wait``,
  ``supervisor``, ``artifact-plugin-...``: ``common.IsArgoSidecar``);
- the set's ``volumeMounts`` mount two volumes at one path; a dependency names no
  container; the dependencies make a cycle (``validateNoCycles``);
- (at run time in Argo: the emissary fails) the set's ``retryStrategy.duration`` is not a
  Go duration or is negative; refused here too, and so is a ``retries`` that is not a
  literal whole number >= 1 (Argo's emissary would never run the command);
- the template has input artifacts, output parameters or output artifacts and no
  container named ``main`` (only ``main`` gets the inputs, and the executor reads the
  outputs through it).

Kubernetes would refuse the pod of a container name that is not a DNS-1123 label or of a
container with no image (the node would be an Error); refused here too. The engine's own
limits: a container of this project's image (it runs in the host's filesystem, so it
could not share the set's volumes nor keep its own files: ``host_problems``), and
``daemon`` sets. Volume names are checked against the template's and the workflow's
``volumes`` as for a container.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from workflows.argo.durations import parse_go_duration
from workflows.argo.names import DNS1123_LABEL, FIELD_NAME, MAX_FIELD_NAME, MAX_LABEL
from workflows.engine.admit.schema import NOT_LOCAL
from workflows.engine.declared import image_repository

MAIN = "main"
ARGO_CONTAINERS = ("wait", "supervisor")  # common.IsArgoAuxilliary
ARTIFACT_PLUGIN_PREFIX = "artifact-plugin-"  # common.ArtifactPluginSidecarPrefix
Cycle = Callable[[list[Mapping[str, Any]]], list[str]]


def problems(tmpl: Mapping[str, Any], where: str, volumes: set[Any],
             cycle: Cycle) -> list[str]:
    """``<YAML path>: <why>`` of each problem of ``tmpl``'s containerSet (none if it has
    none). ``cycle`` finds a dependency cycle among items with ``name``/``dependencies``
    (the DAG check's)."""
    cs = tmpl.get("containerSet")
    if not isinstance(cs, Mapping):
        return []
    at = f"{where}.containerSet"
    found: list[str] = []
    containers = [c for c in cs.get("containers") or [] if isinstance(c, Mapping)]
    if not containers:
        return [f"{at}.containers: containers must have at least one container"]
    names = [str(c.get("name") or "") for c in containers]
    seen: set[str] = set()
    for j, (name, container) in enumerate(zip(names, containers, strict=True)):
        here = f"{at}.containers[{j}]"
        why = _name_problem(name, seen)
        if why:
            found.append(f"{here}.name: {why}")
        seen.add(name)
        if not container.get("image"):  # no Argo check: the API server's, on the pod
            found.append(f"{here}.image: required (Kubernetes would refuse the pod)")
        deps = container.get("dependencies") or []
        if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
            found.append(f"{here}.dependencies: must be a list of container names")
            deps = []
        found += [f"{here}.dependencies: dependency {dep!r} not defined"
                  for dep in deps if dep not in names]
        for k, mount in enumerate(_mappings(container.get("volumeMounts"))):
            if mount.get("name") not in volumes:
                found.append(f"{here}.volumeMounts[{k}]: no volume {mount.get('name')!r} in "
                             "this template or the workflow")
    paths: set[Any] = set()
    for k, mount in enumerate(_mappings(cs.get("volumeMounts"))):
        if mount.get("mountPath") in paths:
            found.append(f"{at}.volumeMounts[{k}].mountPath: {mount.get('mountPath')!r} "
                         "already mounted")
        paths.add(mount.get("mountPath"))
        if mount.get("name") not in volumes:
            found.append(f"{at}.volumeMounts[{k}]: no volume {mount.get('name')!r} in this "
                         "template or the workflow")
    loop = cycle([{"name": n, "dependencies": [d for d in c.get("dependencies") or []
                                               if isinstance(d, str)]}
                  for n, c in zip(names, containers, strict=True)
                  if isinstance(c.get("dependencies") or [], list)])
    if loop:
        found.append(f"{at}.containers: dependency cycle {' -> '.join(loop)}")
    found += _retry_problems(cs.get("retryStrategy"), f"{at}.retryStrategy")
    inputs, outputs = tmpl.get("inputs") or {}, tmpl.get("outputs") or {}
    if (inputs.get("artifacts") or outputs.get("parameters") or outputs.get("artifacts")) \
            and MAIN not in names:
        found.append(f"{at}.containers: must have a container named \"main\" for input or "
                     "output")
    if tmpl.get("podSpecPatch") and MAIN not in names:
        found.append(f"{where}.podSpecPatch: a patch of a containerSet with no container "
                     f"named \"main\" {NOT_LOCAL} (on a cluster a patch of main's fields "
                     "would add a container)")
    if tmpl.get("daemon"):
        found.append(f"{where}.daemon: daemon containerSet templates {NOT_LOCAL}".replace(
            " is not", " are not"))
    return found


def retry_attempts(strategy: Mapping[str, Any] | None) -> tuple[int, float]:
    """(attempts, seconds between them) of a containerSet's retryStrategy, as the emissary
    reads it (``ContainerSetTemplate.GetRetryStrategy``): ``retries`` is the backoff's
    ``Steps``, which ``retry.OnError``/``wait.ExponentialBackoff`` spend as the number of
    runs in all (one when there is no strategy), ``duration`` a constant pause (no
    factor). Raises ValueError where the emissary would not run the command as asked."""
    if not strategy or strategy.get("retries") is None:
        return 1, 0.0
    text = str(strategy["retries"])
    if not re.fullmatch(r"[0-9]+", text) or int(text) < 1:  # IntValue: Atoi, else 0 steps
        raise ValueError(f"retries {strategy['retries']!r} is no whole number of runs >= 1 "
                         "(the emissary would never run the command)")
    duration = str(strategy.get("duration") or "")
    seconds = parse_go_duration(duration) if duration else 0.0
    if seconds < 0:
        raise ValueError(f"duration has to be positive, current duration: {duration}")
    return int(text), seconds


def _retry_problems(strategy: Any, at: str) -> list[str]:
    if strategy is None:
        return []
    if not isinstance(strategy, Mapping):
        return [f"{at}: must be a mapping"]
    try:
        retry_attempts(strategy)
    except ValueError as exc:
        return [f"{at}: {exc}"]
    return []


def host_problems(tmpl: Mapping[str, Any], where: str, our_images: frozenset[str],
                  namespaces: str | None) -> list[str]:
    """What this machine cannot give a containerSet: each container needs a filesystem
    of its own that shares only the set's volumes, so a mount namespace (``namespaces``
    is why there is none, None when there is), and none of this project's image (never
    isolated)."""
    cs = tmpl.get("containerSet")
    if not isinstance(cs, Mapping):
        return []
    found = []
    if namespaces is not None:
        found.append(f"{where}.containerSet: each container of a set has a filesystem of "
                     "its own sharing only the set's volumes, which needs a mount "
                     f"namespace this machine cannot give ({namespaces})")
    for j, container in enumerate(_mappings(cs.get("containers"))):
        if image_repository(str(container.get("image", ""))) in our_images:
            found.append(f"{where}.containerSet.containers[{j}].image: a container of this "
                         "project's image runs in the host's filesystem, so it cannot share "
                         f"a containerSet's volumes; such a container {NOT_LOCAL}")
    return found


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    """The mappings of a list (the schema walk names what is not one)."""
    return [v if isinstance(v, Mapping) else {} for v in value] if isinstance(value, list) \
        else []


def _name_problem(name: str, seen: set[str]) -> str | None:
    if not name:
        return "name is required"
    if len(name) > MAX_FIELD_NAME or not FIELD_NAME.match(name):
        return f"{name!r} is invalid: must match [a-zA-Z0-9][-a-zA-Z0-9]*"
    if len(name) > MAX_LABEL or not DNS1123_LABEL.match(name):
        return (f"{name!r} is not a DNS-1123 label (lower case, digits, '-'): Kubernetes "
                "would refuse the pod")
    if name in seen:
        return f"{name!r} is not unique"
    if name in ARGO_CONTAINERS or name.startswith(ARTIFACT_PLUGIN_PREFIX):
        return f"{name!r} is a reserved Argo container name"
    return None
