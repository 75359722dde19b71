"""The fields that shape a pod on a cluster, checked as the pod would be made.

``check_pod`` is what the engine does where Argo's ``createWorkflowPod`` builds a pod: the
main container's ``resources`` and the pod-level ``podResources`` (the template's, else the
workflow's), then the workflow's and the template's ``podSpecPatch`` applied over them
(``patch``), then the resources checked as the API server checks them (``resources``).
The first fault is the node's Error message, as Argo's node would have it; None when the
pod would be made. ``patch`` also serves the check before the run (``admit``), where a
literal patch's fields are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from workflows.engine.podspec import patch, resources

APPLY_ERROR = "Error applying PodSpecPatch"


class Unmade(NamedTuple):
    """Why Argo would not make the pod: the node's message, and what Argo keeps to its own
    log (``errors.Wrap`` shows only its message: the cause goes to the node's log here)."""

    message: str
    detail: str = ""


def pod_resources(spec: Mapping[str, Any], tmpl: Mapping[str, Any]) -> Any:
    """workflowpod.go: the template's podResources override the workflow's."""
    return tmpl["podResources"] if tmpl.get("podResources") is not None else \
        spec.get("podResources")


def patches(spec: Mapping[str, Any], tmpl: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, text) of the patches Argo applies, the workflow's first (HasPodSpecPatch)."""
    return [(where, str(text)) for where, text in (("spec.podSpecPatch", spec.get("podSpecPatch")),
                                                  ("podSpecPatch", tmpl.get("podSpecPatch")))
            if text not in (None, "")]


def check_pod(spec: Mapping[str, Any], tmpl: Mapping[str, Any], container: Mapping[str, Any],
              substitute: Callable[[Any, str], Any], pod: str) -> Unmade | None:
    """Why Argo could not make this pod (the node's Error), else None.
    ``substitute(value, where)`` gives a field with the node's variables."""
    given = patches(spec, tmpl)
    pod_level = pod_resources(spec, tmpl)
    if not given and pod_level is None and not container.get("resources"):
        return None
    main = substitute(container.get("resources"), "container.resources")
    pod_level = substitute(pod_level, "podResources")
    selector: dict[str, Any] = {}
    for where, text in given:
        try:
            reading = patch.read(substitute(text, where))
        except patch.Unreadable as exc:
            return Unmade(APPLY_ERROR, f"{where}: {exc}")
        if reading.refused:
            path, why = reading.refused[0]
            return Unmade(f"{where}: {path}: {why}; on a cluster the patch would change the "
                          "pod, so the local engine does not run it")
        for part in reading.main:
            main = None if part is None else patch.merge(main or {}, part)
        for part in reading.pod:
            pod_level = None if part is None else patch.merge(pod_level or {}, part)
        selector = patch.merge(selector, reading.node_selector)
    found = (resources.problems(main, "spec.containers[main].resources")
             + resources.problems(pod_level, "spec.resources")
             + patch.label_problems(selector))
    if found:
        return Unmade(f'Pod "{pod}" is invalid: ' + ", ".join(found))
    return None
