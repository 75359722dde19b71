"""Resource requirements as the API server checks them when a pod is created.

What the engine can check of ``ValidateResourceRequirements`` (k8s.io/kubernetes
pkg/apis/core/validation) for the main container's and the pod's ``resources``, once the
podSpecPatch is merged in: every amount a quantity and not negative, and a request no
more than the limit of the same resource. A pod that fails it is never created: Argo's
node is an Error with the API server's message. What it cannot check: the containers Argo
adds to the pod (their resources come from the controller's configuration), so neither
the pod-level budget against them nor the scheduler's fit on a node.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.podspec import quantity


def problems(requirements: Any, where: str) -> list[str]:
    """The API server's complaints about ``requirements`` at ``where`` (a field path)."""
    if not isinstance(requirements, Mapping):
        return []
    limits = requirements.get("limits") or {}
    requests = requirements.get("requests") or {}
    found = []
    amounts: dict[tuple[str, str], Any] = {}
    for kind, given in (("limits", limits), ("requests", requests)):
        for name, text in given.items():
            try:
                amounts[(kind, name)] = value = quantity.parse(text)
            except quantity.QuantityError as exc:
                found.append(f"{where}.{kind}[{name}]: Invalid value: {text!r}: {exc}")
                continue
            if value < 0:
                found.append(f"{where}.{kind}[{name}]: Invalid value: \"{text}\": must be "
                             "greater than or equal to 0")
    for name, text in requests.items():
        request, limit = amounts.get(("requests", name)), amounts.get(("limits", name))
        if request is not None and limit is not None and request > limit:
            found.append(f"{where}.requests: Invalid value: \"{text}\": must be less than or "
                         f"equal to {name} limit of {limits[name]}")
    return found
