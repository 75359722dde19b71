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
workflow's; one of another namespace is not seen by parameters, as on a cluster (a
semaphore names its ConfigMap's namespace: ``data``).
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
    """The ConfigMap documents given, by (namespace, name); ``namespace`` is the
    workflow's, where a document without one is."""

    namespace: str = "default"
    by_key: Mapping[tuple[str, str], Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_docs(cls, docs: list[dict[str, Any]], namespace: str) -> ConfigMaps:
        """Raises LoadError for what the Kubernetes API would not accept (no name, a value
        that is not a string, a name given twice in a namespace)."""
        found: dict[tuple[str, str], Mapping[str, Any]] = {}
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
            key = (str(meta.get("namespace") or namespace), str(name))
            if key in found:
                raise LoadError(f"ConfigMap {name!r} is given twice")
            found[key] = doc
        return cls(namespace, found)

    @property
    def by_name(self) -> dict[str, Mapping[str, Any]]:
        """Those of the workflow's namespace, by name."""
        return {name: doc for (ns, name), doc in self.by_key.items() if ns == self.namespace}

    def data(self, namespace: str, name: str) -> Mapping[str, Any] | None:
        """The data of a ConfigMap of any namespace, as the API gives it (no label needed:
        what a semaphore's limit is read from), or None."""
        doc = self.by_key.get((namespace, name))
        return None if doc is None else (doc.get("data") or {})

    def parameter_value(self, name: str, key: str) -> str:
        """``GetConfigMapValue``: the value of ``key``, or ConfigMapError."""
        doc = self.by_key.get((self.namespace, name))
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
