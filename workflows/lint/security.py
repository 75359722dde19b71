"""The "restricted" Pod Security Standard on every container of every pod step.

Pod-level settings come from ``spec.securityContext`` with the template's
``securityContext`` over it; a container's own ``securityContext`` wins over both. Needed:
runAsNonRoot true, a non-zero runAsUser, a RuntimeDefault (or Localhost) seccomp profile,
and per container allowPrivilegeEscalation false, capabilities.drop ALL and
readOnlyRootFilesystem true.
"""

from __future__ import annotations

from typing import Any

from workflows.lint.argo import ArgoDoc, as_dict, as_list, deep_merge
from workflows.lint.containers import container_templates, pod_containers
from workflows.lint.findings import Finding

SECCOMP_TYPES = ("RuntimeDefault", "Localhost")


def _setting(pod: dict[str, Any], ctr: dict[str, Any], key: str) -> Any:
    return ctr[key] if ctr.get(key) is not None else pod.get(key)


def problems(pod: dict[str, Any], ctr: dict[str, Any]) -> list[str]:
    """What the restricted profile misses, given pod and container security contexts."""
    out = []
    if _setting(pod, ctr, "runAsNonRoot") is not True:
        out.append("runAsNonRoot must be true")
    user = _setting(pod, ctr, "runAsUser")
    if user is None or (isinstance(user, int) and user == 0):
        out.append("runAsUser must be set to a non-zero user")
    seccomp = as_dict(_setting(pod, ctr, "seccompProfile")).get("type")
    if seccomp not in SECCOMP_TYPES:
        out.append("seccompProfile.type must be RuntimeDefault")
    if ctr.get("allowPrivilegeEscalation") is not False:
        out.append("allowPrivilegeEscalation must be false")
    drop = [str(c) for c in as_list(as_dict(ctr.get("capabilities")).get("drop"))]
    if "ALL" not in drop:
        out.append("capabilities.drop must include ALL")
    if ctr.get("readOnlyRootFilesystem") is not True:
        out.append("readOnlyRootFilesystem must be true")
    return out


def check(adoc: ArgoDoc) -> list[Finding]:
    out: list[Finding] = []
    workflow_pod = as_dict(adoc.spec.get("securityContext"))
    for t in container_templates(adoc):
        pod = deep_merge(workflow_pod, as_dict(adoc.effective(t).get("securityContext")))
        for container, path in pod_containers(adoc, t):
            label = container.get("name") or t.name
            for problem in problems(pod, as_dict(container.get("securityContext"))):
                out.append(adoc.finding((*path, "securityContext"), "security-context",
                                        f"container {label!r}: {problem}"))
    return out
