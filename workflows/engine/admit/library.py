"""The templates a workflow can reference: WorkflowTemplates and ClusterWorkflowTemplates.

On a cluster a ``templateRef`` (or ``workflowTemplateRef``) names a WorkflowTemplate of the
workflow's namespace, or, with ``clusterScope: true``, a ClusterWorkflowTemplate
(templateresolution ``GetTemplateFromRef``/``WithTemplateHolder``: one getter per scope).
Locally the cluster is the documents given beside the workflow, so the library is every
document of those two kinds, keyed by (kind, name): a WorkflowTemplate and a
ClusterWorkflowTemplate of the same name are two different templates, as on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

NAMESPACED_TEMPLATE = "WorkflowTemplate"
CLUSTER_TEMPLATE = "ClusterWorkflowTemplate"
TEMPLATE_KINDS = (NAMESPACED_TEMPLATE, CLUSTER_TEMPLATE)


class TemplateSource(NamedTuple):
    """One (Cluster)WorkflowTemplate: its kind and name."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


Library = dict[TemplateSource, dict[str, Any]]  # each template document's spec


def ref_source(ref: Mapping[str, Any]) -> TemplateSource:
    """The document a ``templateRef``/``workflowTemplateRef`` names (``clusterScope``
    chooses the getter, as ``TemplateContext.GetTemplateFromRef`` does)."""
    kind = CLUSTER_TEMPLATE if ref.get("clusterScope") is True else NAMESPACED_TEMPLATE
    return TemplateSource(kind, str(ref.get("name")))
