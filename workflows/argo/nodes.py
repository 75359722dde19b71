"""How Argo names a workflow's nodes and pods (stated once, for the engine and the runs).

- node id: the workflow name for the root node, else ``<workflow>-<fnv32a(node name)>``;
- pod name (v2, the default ``POD_NAMES=v2``): ``<workflow>-<template>-<fnv32a(node name)>``,
  the prefix cut so that the name stays within a DNS-1123 subdomain's 253 characters.

Source: argoproj/argo-workflows v4.1.2 ``workflow/util/pod_name.go`` and
``workflow/controller/operator.go`` (``NodeID``).
"""

from __future__ import annotations

from workflows.argo.names import MAX_SUBDOMAIN


def fnv32a(text: str) -> int:
    """FNV-1a 32-bit hash, the one Argo uses for node ids and pod names."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def node_id(workflow_name: str, node_name: str) -> str:
    """Argo's node id: the workflow name for the root node, else name + FNV hash."""
    return workflow_name if node_name == workflow_name else f"{workflow_name}-{fnv32a(node_name)}"


def pod_name(workflow_name: str, template_name: str, node_name: str) -> str:
    """Argo's v2 pod name: ``<workflow>-<template>-<FNV hash of the node name>``."""
    if node_name == workflow_name:
        return workflow_name
    # GeneratePodName: no "-<template>" for an inline template, whose name is ""
    prefix = f"{workflow_name}-{template_name}" if template_name else workflow_name
    prefix = prefix[: MAX_SUBDOMAIN - 10 - 1]
    return f"{prefix}-{fnv32a(node_name)}"
