"""The pod-shaping fields the engine accepts (``schema.Checked``), checked before the run.

- ``podSpecPatch``: when its shape is literal (its ``{{...}}`` only inside values), every
  field it touches must be one a local run has no use for (``podspec.patch``); each other
  one is refused by its path within the patch. A patch whose shape is only known once
  substituted (``pod-spec-from-previous-step`` builds it from a step's output) is checked
  when its pod is made, and a field it may not touch is then the node's Error.
- ``readinessProbe``: on a template that is not a ``daemon``, readiness only marks the
  pod Ready; Argo's node follows the container's exit whatever it says (operator.go
  ``assessNodeStatus`` reads readiness only for daemons), so it changes nothing locally.
  The probe must still be one the API server takes: exactly one handler (``exec``,
  ``httpGet``, ``tcpSocket``, ``grpc``). On a daemon it decides when the daemon is ready
  and the steps after it start (``daemoned`` waits for every container to be Ready): that
  is refused (``refuse._template_fields``), the engine does not probe.
- ``podResources``: Argo's ``validatePodResources`` (workflow/validate/validate.go): only
  ``cpu``, ``memory`` and ``hugepages-*``, no ``claims`` (else the workflow is an invalid
  spec); each literal amount a quantity Go reads. ``hugepages-*`` is refused: huge pages
  are a node's, which a local run has none of.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.podspec import patch, quantity


def problems(kind: str, value: Any, path: str, doc: str) -> list[str]:
    check = {"podSpecPatch": _pod_spec_patch, "podResources": _pod_resources,
             "readinessProbe": _probe}[kind]
    return [f"{doc}: {path}{where}: {why}" for where, why in check(value)]


def _pod_spec_patch(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return [("", "must be a string (a JSON or YAML patch of the pod spec)")]
    reading = patch.read_unsubstituted(value)
    if reading is None:
        return []
    return [(f": {where}" if where else "", why) for where, why in reading.refused]


def _pod_resources(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        return [("", "must be a mapping (limits, requests)")]
    found = []
    if value.get("claims"):
        found.append((".claims", "claims is not supported for pod-level resources (Argo's "
                                 "validation: invalid spec)"))
    for key, amounts in value.items():
        if key == "claims":
            continue
        if key not in ("limits", "requests"):
            found.append((f".{key}", f"{key} {patch.NOT_LOCAL}"))
            continue
        if not isinstance(amounts, Mapping):
            found.append((f".{key}", "must be a mapping of resource names to quantities"))
            continue
        for name, amount in amounts.items():
            where = f".{key}.{name}"
            if str(name).startswith("hugepages-"):
                found.append((where, "pod-level huge pages are "
                                     + patch.NOT_LOCAL.removeprefix("is ")))
            elif name not in patch.POD_NAMES:
                found.append((where, f"{name!r} is not a valid pod-level resource, only cpu, "
                                     "memory and hugepages-* are supported (Argo's "
                                     "validation: invalid spec)"))
            elif "{{" not in str(amount):
                try:
                    quantity.parse(amount)
                except quantity.QuantityError as exc:
                    found.append((where, str(exc)))
    return found


PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
PROBE_FIELDS = (*PROBE_HANDLERS, "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                "successThreshold", "failureThreshold", "terminationGracePeriodSeconds")


def _probe(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, Mapping):
        return [("", "must be a mapping (a Kubernetes Probe)")]
    found = [(f".{key}", f"{key} is not a field of a probe") for key in value
             if key not in PROBE_FIELDS]
    handlers = [key for key in PROBE_HANDLERS if key in value]
    if len(handlers) != 1 or not isinstance(value[handlers[0]], Mapping):
        found.append(("", "a probe needs exactly one handler of exec, httpGet, tcpSocket, "
                          "grpc (the API server would not create the pod)"))
    for key in PROBE_FIELDS[len(PROBE_HANDLERS):]:
        if key in value and (isinstance(value[key], bool) or not isinstance(value[key], int)
                             or value[key] < 0):
            found.append((f".{key}", "must be a whole number of 0 or more"))
    return found
