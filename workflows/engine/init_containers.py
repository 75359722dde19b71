"""A template's ``initContainers``: run before the main container, one after the other.

As Argo v4.1.2 builds the pod (workflowpod.go ``addInitContainers``): the template's init
containers follow Argo's own ``init`` (which has placed the input artifacts and staged
the script by then), in the order written; one with ``mirrorVolumeMounts: true`` gets the
main container's volume mounts appended to its own (``mirrorVolumeMounts``), and by then
those include a mount of each input artifact at its path (``addInputArtifactsVolumes``,
unless optional and absent) and of ``/argo/staging`` for a script. Kubernetes runs each to
its end before the next, and the main container only once all succeeded.

One that exits non-zero fails the pod: the main container never runs, so the node has no
outputs, and its message is the one ``inferFailedReason`` (operator.go) gives, the init
containers first: ``<name>: Error (exit code N)``, phase Failed (a user init container
falls in its ``default`` case). Exit codes 137 and 143 are skipped there, as a killed
sidecar's would be, so the next container, which Kubernetes left waiting, names the
failure: ``Pod failed before <next> container starts due to PodInitializing: ``, phase
Error. The pod's ``activeDeadlineSeconds`` counts from the pod's start, init containers
included.

Their output is not ``outputs.result`` and not the node's log (``argo logs`` shows the
main container's): each writes ``logs/<node id>.init-<index>.log``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine import scripts


def containers(tmpl: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The init containers as the pod has them: mirrored mounts appended."""
    main_mounts = list(scripts.main_container(tmpl).get("volumeMounts") or [])
    found = []
    for container in tmpl.get("initContainers") or []:
        container = dict(container)
        if container.get("mirrorVolumeMounts") is True:
            container["volumeMounts"] = [*(container.get("volumeMounts") or []),
                                         *main_mounts]
        found.append(container)
    return found


def mirrored_paths(tmpl: Mapping[str, Any], container: Mapping[str, Any],
                   placed: Mapping[str, Any]) -> list[str]:
    """The main container's own mounts an init container with ``mirrorVolumeMounts``
    also gets: each placed input artifact's path (``placed``: the artifacts that have a
    source), and the script's staging folder."""
    if container.get("mirrorVolumeMounts") is not True:
        return []
    found = [str(art["path"]) for art in placed.values() if art.get("path")]
    if "script" in tmpl:
        found.append(scripts.STAGING)
    return found


def failure(name: str, exit_code: int, following: str) -> tuple[str, str]:
    """(phase, message) of a pod whose init container ``name`` exited ``exit_code``;
    ``following`` is the container that would have started next."""
    if exit_code in (137, 143):
        return "Error", f"Pod failed before {following} container starts due to PodInitializing: "
    return "Failed", f"{name}: Error (exit code {exit_code})"
