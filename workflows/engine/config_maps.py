"""ConfigMaps given as documents beside the workflow: the cluster's, for parameters.

A parameter's ``valueFrom.configMapKeyRef`` (a workflow argument or a template input)
reads a ConfigMap as Argo's controller does (``common.GetConfigMapValue``): through an
informer that only sees ConfigMaps labelled ``workflows.argoproj.io/configmap-type``
(``newTypedConfigMapInformer``), in the workflow's namespace. So, with Argo's messages:

- no such ConfigMap, or one without that label: ``ConfigMap 'N' does not exist. Please
  make sure it has the label ...`` (not found);
- the label with another value than ``Parameter``: ``ConfigMap 'N' needs to have the
  label ...`` (not a not-found: a ``valueFrom.default`` does not apply to an input);
- no such key: ``ConfigMap 'N' does not have the key 'K'`` (not found).

``configMapKeyRef.optional`` plays no part: ``GetConfigMapValue`` never reads it.
Locally the cluster is the documents given: a ConfigMap without a namespace is in the
workflow's; one with another namespace is not seen, as on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.engine.errors import LoadError, NodeError

TYPE_LABEL = "workflows.argoproj.io/configmap-type"
PARAMETER_TYPE = "Parameter"


class ConfigMapError(NodeError):
    """A ConfigMap value Argo's controller would not find; ``not_found`` is Argo's
    ``CodeNotFound`` (the cases where a ``valueFrom.default`` stands in)."""

    def __init__(self, message: str, *, not_found: bool) -> None:
        super().__init__(message)
        self.not_found = not_found


@dataclass(frozen=True)
class ConfigMaps:
    """The ConfigMap documents of the workflow's namespace, by name."""

    by_name: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_docs(cls, docs: list[dict[str, Any]], namespace: str) -> ConfigMaps:
        """Raises LoadError for what the Kubernetes API would not accept (no name, a value
        that is not a string, a name given twice)."""
        found: dict[str, Mapping[str, Any]] = {}
        for doc in docs:
            if not isinstance(doc, dict) or doc.get("kind") != "ConfigMap":
                continue
            meta = doc.get("metadata") or {}
            name = meta.get("name")
            if not name:
                raise LoadError("a ConfigMap has no metadata.name")
            data = doc.get("data") or {}
            bad = [k for k, v in data.items() if not isinstance(v, str)]
            if bad:
                raise LoadError(f"ConfigMap {name!r}: data.{bad[0]} must be a string (quote "
                                "it), as the Kubernetes API requires")
            if (meta.get("namespace") or namespace) != namespace:
                continue
            if name in found:
                raise LoadError(f"ConfigMap {name!r} is given twice")
            found[str(name)] = doc
        return cls(found)

    def parameter_value(self, name: str, key: str) -> str:
        """``GetConfigMapValue``: the value of ``key``, or ConfigMapError."""
        doc = self.by_name.get(name)
        labels = ((doc or {}).get("metadata") or {}).get("labels") or {}
        if doc is None or TYPE_LABEL not in labels:
            raise ConfigMapError(
                f"ConfigMap '{name}' does not exist. Please make sure it has the label "
                f"{TYPE_LABEL}: {PARAMETER_TYPE} to be detectable by the controller",
                not_found=True)
        if labels[TYPE_LABEL] != PARAMETER_TYPE:
            raise ConfigMapError(f"ConfigMap '{name}' needs to have the label {TYPE_LABEL}: "
                                 f"{PARAMETER_TYPE} to load parameters", not_found=False)
        data = doc.get("data") or {}
        if key not in data:
            raise ConfigMapError(f"ConfigMap '{name}' does not have the key '{key}'",
                                 not_found=True)
        return str(data[key])
